-- Commands sent with an Idempotency-Key, by hash: the key is the Temporal update id, so the same key with a
-- different command would silently return the first command's result; with this table it is refused.

CREATE TABLE command_requests (
    case_id         uuid        NOT NULL,
    actor_id        text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_sha256  char(64)    NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, actor_id, idempotency_key)
);
