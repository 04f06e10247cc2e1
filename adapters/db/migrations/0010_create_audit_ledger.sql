-- The tamper-evident audit ledger (issue 6): every decision, every refused command and every audit access,
-- appended once to one hash chain. Each entry's hash covers its own fields and the previous entry's hash
-- (infra/audit/chain.py), so changing, removing or reordering any entry breaks the chain from there on;
-- `casework audit verify` recomputes it, and signed checkpoints of the chain head, kept where the database
-- operator cannot write, catch a rewrite of the whole tail.
--
-- Entries are keyed for idempotency (a decision by case and sequence, never by workflow run): an activity
-- retry or a replayed write appends nothing new.

CREATE TABLE audit_ledger (
    position    bigint      PRIMARY KEY CHECK (position > 0),
    entry_key   text        NOT NULL UNIQUE,
    kind        text        NOT NULL CHECK (kind IN ('decision', 'refusal', 'access', 'history_sealed')),
    case_id     uuid,
    seq         integer,
    actor_id    text        NOT NULL,
    actor_role  text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    -- The entry's content as canonical JSON: the exact text that was hashed.
    content     text        NOT NULL,
    algorithm   text        NOT NULL CHECK (algorithm IN ('sha256', 'sm3')),
    prev_hash   text        NOT NULL,
    entry_hash  text        NOT NULL
);

CREATE INDEX audit_ledger_case_idx ON audit_ledger (case_id, position) WHERE case_id IS NOT NULL;

-- Append-only, whoever asks: UPDATE, DELETE and TRUNCATE fail even for the table's owner. (A superuser can
-- still disable triggers: production runs the application as an ordinary role, see README "Audit".)
CREATE FUNCTION audit_ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_ledger is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_ledger_no_update_delete BEFORE UPDATE OR DELETE ON audit_ledger
    FOR EACH ROW EXECUTE FUNCTION audit_ledger_refuse_change();
CREATE TRIGGER audit_ledger_no_truncate BEFORE TRUNCATE ON audit_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_ledger FROM PUBLIC;

-- Where the migrating role may (a superuser, as with the embedded server), the ledger belongs to a role
-- nobody logs in as, so the application's role can neither alter nor drop it, nor disable its triggers; the
-- application keeps SELECT and INSERT only.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        BEGIN
            CREATE ROLE casework_ledger_owner NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database on this server created it first
        END;
        ALTER TABLE audit_ledger OWNER TO casework_ledger_owner;
        ALTER FUNCTION audit_ledger_refuse_change() OWNER TO casework_ledger_owner;
        EXECUTE format('GRANT SELECT, INSERT ON audit_ledger TO %I', current_user);
    END IF;
END
$$;
