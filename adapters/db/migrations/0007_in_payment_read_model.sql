-- The in-payment life of a case (issue 4): what the payment roll, the review sweep and the standard-change
-- preview read. Written by the workflow's record activity with the rest of the case row (order-safe: only a
-- higher version changes it). ``state`` is the case state as JSON, for the preview's recomputation; it holds
-- personal data and never leaves PostgreSQL except through the API's jurisdiction checks.

ALTER TABLE cases
    ADD COLUMN area_type            text,
    ADD COLUMN monthly_amount       numeric(12, 2),
    ADD COLUMN first_payment_month  char(7),
    ADD COLUMN stop_effective_month char(7),
    ADD COLUMN next_review_due      date,
    ADD COLUMN overdue              boolean NOT NULL DEFAULT false,
    ADD COLUMN state                jsonb;

CREATE INDEX cases_review_due_idx ON cases (next_review_due) WHERE stage = 'in_payment';
CREATE INDEX cases_active_idx ON cases (case_id) WHERE stage IN ('in_payment', 'under_review', 'gradual_exit');

-- The monthly amount from a month on, per case (the case's benefit periods, replaced as a whole with each
-- newer version of the case).
CREATE TABLE benefit_periods (
    case_id               uuid          NOT NULL REFERENCES cases (case_id),
    from_month            char(7)       NOT NULL,
    monthly_amount        numeric(12, 2) NOT NULL CHECK (monthly_amount >= 0),
    household_size        smallint      NOT NULL,
    parameter_set_version text,
    seq                   integer       NOT NULL,
    PRIMARY KEY (case_id, from_month)
);
