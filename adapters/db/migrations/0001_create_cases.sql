-- Cases and their recorded events. One row per case (the workflow's current state, written by the workflow
-- through an activity at every transition) and one row per event, keyed by (case_id, seq) so an activity
-- retry or a replayed write never duplicates or reorders anything.

CREATE TABLE cases (
    case_id        uuid PRIMARY KEY,
    workflow_id    text        NOT NULL UNIQUE,
    program        text        NOT NULL,
    stage          text        NOT NULL,
    village_code   char(12)    NOT NULL,
    township_code  char(9)     NOT NULL,
    county_code    char(6)     NOT NULL,
    household_size smallint    NOT NULL CHECK (household_size > 0),
    version        integer     NOT NULL CHECK (version > 0),
    opened_at      timestamptz NOT NULL,
    stage_since    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE INDEX cases_township_stage_idx ON cases (township_code, stage);
CREATE INDEX cases_county_stage_idx ON cases (county_code, stage);

CREATE TABLE case_events (
    case_id            uuid        NOT NULL,
    seq                integer     NOT NULL CHECK (seq > 0),
    type               text        NOT NULL,
    at                 timestamptz NOT NULL,
    actor_id           text        NOT NULL,
    actor_role         text        NOT NULL,
    actor_jurisdiction text        NOT NULL,
    payload            jsonb       NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, seq)
);
