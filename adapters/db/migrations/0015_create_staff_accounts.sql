-- Staff accounts for the console's password login (issue 19 item 4). The identity provider's tokens
-- (CASEWORK_JWT_JWKS_URL) stay the production path; a bureau without one keeps its staff here.
--
-- staff_id is the opaque id every decision records (a token's `sub`), never a resident ID number. The password
-- is kept only as an argon2id hash (pwdlib). display_name is personal data: it is shown in the console, never
-- logged. After repeated failed logins the account is locked until locked_until (the lock-out is written to
-- the audit ledger); `casework users reset-password` clears it, `casework users disable` ends the account.

CREATE TABLE staff_accounts (
    staff_id            text        PRIMARY KEY CHECK (staff_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    display_name        text        NOT NULL DEFAULT '',
    role                text        NOT NULL,
    jurisdiction        text        NOT NULL CHECK (jurisdiction ~ '^([0-9]{6}|[0-9]{9}|[0-9]{12})$'),
    password_hash       text        NOT NULL,
    failed_attempts     integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until        timestamptz,
    disabled_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    last_login_at       timestamptz
);
