-- 临时救助备用金 (the township reserve fund, S8 §三(三); S5 item 15; issue 16 item 4): a balance per township that
-- urgent grants (先行救助) draw and county replenishments fill. Every movement is a ledgered row with who, when,
-- why and its legal basis; the balance never goes below zero (the CHECK, and the draw's row lock). A draw is keyed
-- by the case and the seq of the decision that granted it: a retried activity never draws twice.

CREATE TABLE reserve_funds (
    township_code char(9)        PRIMARY KEY,
    balance       numeric(14, 2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at    timestamptz    NOT NULL DEFAULT now()
);

CREATE TABLE reserve_fund_movements (
    movement_id     bigserial      PRIMARY KEY,
    township_code   char(9)        NOT NULL REFERENCES reserve_funds (township_code),
    kind            text           NOT NULL CHECK (kind IN ('replenishment', 'urgent_grant')),
    amount          numeric(14, 2) NOT NULL CHECK (amount <> 0),  -- signed: + replenishment, - grant
    balance_after   numeric(14, 2) NOT NULL CHECK (balance_after >= 0),
    case_id         uuid,
    case_seq        integer,
    idempotency_key text,
    actor_id        text           NOT NULL,
    actor_role      text           NOT NULL,
    jurisdiction    text           NOT NULL,
    reason          text           NOT NULL,
    legal_basis     text[]         NOT NULL,
    at              timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (case_id, case_seq),
    UNIQUE (township_code, idempotency_key),
    CHECK ((kind = 'urgent_grant') = (case_id IS NOT NULL AND case_seq IS NOT NULL))
);

CREATE INDEX reserve_fund_movements_month_idx ON reserve_fund_movements (township_code, at);

-- A grant refused because the fund could not pay it: the county is told (its list of shortfalls).
CREATE TABLE reserve_fund_shortfalls (
    shortfall_id  bigserial      PRIMARY KEY,
    township_code char(9)        NOT NULL,
    case_id       uuid           NOT NULL,
    case_seq      integer        NOT NULL,
    amount        numeric(14, 2) NOT NULL,
    balance       numeric(14, 2) NOT NULL,
    actor_id      text           NOT NULL,
    at            timestamptz    NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    UNIQUE (case_id, case_seq)
);

-- Every movement of a reserve fund is also an entry of the audit ledger's hash chain.
ALTER TABLE audit_ledger DROP CONSTRAINT audit_ledger_kind_check;
ALTER TABLE audit_ledger ADD CONSTRAINT audit_ledger_kind_check
    CHECK (kind IN ('decision', 'refusal', 'access', 'history_sealed', 'reserve_fund'));
