-- Idempotency-Key for every mutating request (issue 7): the first request with a key (per caller) claims a
-- row, runs, and stores its answer; a resend — concurrent or days later, before or after the case's workflow
-- continued as new — gets that stored answer, byte for byte; the same key with a different request is
-- refused. Server errors release the key so the request may be retried.

CREATE TABLE idempotent_requests (
    actor_id        text        NOT NULL,
    idempotency_key text        NOT NULL,
    method          text        NOT NULL,
    path            text        NOT NULL,
    request_sha256  char(64)    NOT NULL,
    status          integer,                -- NULL while the first request is still running
    headers         jsonb,
    body            bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    PRIMARY KEY (actor_id, idempotency_key)
);

CREATE INDEX idempotent_requests_created_idx ON idempotent_requests (created_at);
