-- The request that created each case, by hash: an Idempotency-Key sent again with a different application
-- is refused instead of silently answering with (and claiming members for) the first case.

CREATE TABLE case_requests (
    case_id        uuid PRIMARY KEY,
    actor_id       text        NOT NULL,
    request_sha256 char(64)    NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
