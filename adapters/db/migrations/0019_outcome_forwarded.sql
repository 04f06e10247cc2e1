-- Issue 17: an application forwarded under 跨省通办 (两项补贴, SPEC §6.2) has an outcome in the read model:
-- 'forwarded' (recorded here and forwarded to the hukou place, which decides it). Until now the CHECK allowed
-- five values and such a case showed no outcome at all. decided_at stays NULL: nothing was decided here.

ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_outcome_check;
ALTER TABLE cases ADD CONSTRAINT cases_outcome_check
    CHECK (outcome IN ('approved', 'rejected', 'terminated', 'withdrawn', 'exited', 'forwarded'));

UPDATE cases SET outcome = 'forwarded'
WHERE program = 'disability_subsidies' AND stage = 'forwarded' AND outcome IS NULL;
