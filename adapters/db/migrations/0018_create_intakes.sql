-- 一门受理 (one intake, S5 item 23; S4 Art. 60; issue 16 item 7): a household's situation told once at the
-- township window, its screening against every programme, and the cases opened from it (one per programme).
-- ``household`` holds personal data (members, income, property) and never leaves PostgreSQL except through the
-- API's jurisdiction checks; ``screening`` holds the outcomes and criteria only.

CREATE TABLE intakes (
    intake_id     uuid        PRIMARY KEY,
    village_code  char(12)    NOT NULL,
    township_code char(9)     NOT NULL,
    actor_id      text        NOT NULL,
    actor_role    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    parameter_set_version text NOT NULL,
    household     jsonb       NOT NULL,
    screening     jsonb       NOT NULL
);

CREATE INDEX intakes_township_idx ON intakes (township_code, created_at);

CREATE TABLE intake_cases (
    intake_id  uuid        NOT NULL REFERENCES intakes (intake_id),
    program    text        NOT NULL,
    case_id    uuid        NOT NULL UNIQUE,
    opened_by  text        NOT NULL,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (intake_id, program)
);
