-- The case list and the supervisors' reports (issue 5). The pending step (who must act next, by when) and the
-- outcome of the application are written with the rest of the row by the record activity at every transition
-- (order-safe: only a higher version changes a row). Rows written before this migration get their pending
-- step at their next transition, or at once with `casework projection rebuild`; outcome and decided_at are
-- filled here from the stored state.
--
-- outcome: approved (approved, in payment, under review, 渐退期) / rejected / terminated / withdrawn / exited,
-- NULL while undecided. decided_at: the approval, refusal or termination (the withdrawal for a withdrawn case).

ALTER TABLE cases
    ADD COLUMN pending_step  text,
    ADD COLUMN pending_roles text[] NOT NULL DEFAULT '{}',
    ADD COLUMN pending_due   date,
    ADD COLUMN decided_at    timestamptz,
    ADD COLUMN outcome       text CHECK (outcome IN ('approved', 'rejected', 'terminated', 'withdrawn', 'exited'));

UPDATE cases SET
    outcome = CASE
        WHEN stage IN ('approved', 'in_payment', 'under_review', 'gradual_exit') THEN 'approved'
        WHEN stage = 'rejected' THEN 'rejected'
        WHEN stage = 'terminated_noncooperation' THEN 'terminated'
        WHEN stage = 'withdrawn' THEN 'withdrawn'
        WHEN stage = 'exited' THEN 'exited'
    END,
    decided_at = CASE
        WHEN stage = 'withdrawn' THEN stage_since
        ELSE (state ->> 'decided_at')::timestamptz
    END;

-- The list: newest first, keyset on (opened_at, case_id), inside a county, a township or a village.
CREATE INDEX cases_county_opened_idx ON cases (county_code, opened_at DESC, case_id DESC);
CREATE INDEX cases_township_opened_idx ON cases (township_code, opened_at DESC, case_id DESC);
CREATE INDEX cases_village_opened_idx ON cases (village_code, opened_at DESC, case_id DESC);
-- Filters: stage (with the keyset order), overdue cases (few), the role a case waits on, deadlines.
CREATE INDEX cases_stage_opened_idx ON cases (stage, opened_at DESC, case_id DESC);
CREATE INDEX cases_overdue_idx ON cases (township_code, opened_at DESC, case_id DESC) WHERE overdue;
CREATE INDEX cases_pending_roles_idx ON cases USING gin (pending_roles);
CREATE INDEX cases_pending_due_idx ON cases (pending_due) WHERE pending_due IS NOT NULL;
-- The monthly caseload: decisions per township and month.
CREATE INDEX cases_decided_idx ON cases (township_code, decided_at) WHERE decided_at IS NOT NULL;
