-- Monthly payment rolls (发放名册, issue 4). A line per case and month: the primary key makes paying a case
-- twice in a month impossible, whatever the race. The bank account number lives only here (case_payees),
-- never in Temporal: rolls and workflows carry the account reference.

CREATE TABLE case_payees (
    case_id        uuid        PRIMARY KEY REFERENCES cases (case_id),
    account_ref    uuid        NOT NULL UNIQUE,
    bank_name      text        NOT NULL,
    account_number text        NOT NULL,
    updated_by     text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_rolls (
    township_code char(9)     NOT NULL,
    month         char(7)     NOT NULL,
    generated_by  text        NOT NULL,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (township_code, month)
);

CREATE TABLE payment_lines (
    case_id        uuid          NOT NULL REFERENCES cases (case_id),
    month          char(7)       NOT NULL,
    township_code  char(9)       NOT NULL,
    village_code   char(12)      NOT NULL,
    amount         numeric(12, 2) NOT NULL CHECK (amount > 0),
    household_size smallint      NOT NULL,
    account_ref    uuid,
    period_seq     integer       NOT NULL,
    PRIMARY KEY (case_id, month),
    FOREIGN KEY (township_code, month) REFERENCES payment_rolls (township_code, month)
);

CREATE INDEX payment_lines_roll_idx ON payment_lines (township_code, month);
