-- Issue 20: at intake the engine links the household members' earlier cases (any programme, any outcome), found
-- by resident ID number; this index serves that lookup (the unique index of 0004 covers active rows only).
CREATE INDEX case_members_resident_idx ON case_members (resident_id);

-- A refused case no longer holds its members once the refusal is decided (S1 Art. 21), not only once its
-- notice is served: release the members of cases already refused whose notice is still to be served.
UPDATE case_members SET active = false
WHERE active AND case_id IN (SELECT case_id FROM cases WHERE outcome = 'rejected');
