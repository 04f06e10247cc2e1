-- The mass recalculation (物价联动, S4 Art. 10) and the standard-change preview page through the cases being paid
-- on this partial index (adapters/db/active_cases.py). A 特困 person whose support is being terminated is paid
-- until the county decides (S3 Arts. 25-26): the termination's stages join the list, so such a case is
-- recalculated like one in payment. The stage names are 特困's own (no other programme uses them).

DROP INDEX IF EXISTS cases_active_idx;
CREATE INDEX cases_active_idx ON cases (case_id) WHERE stage IN (
    'in_payment', 'under_review', 'gradual_exit',
    'termination_proposed', 'termination_publicity', 'termination_objection', 'termination_investigation',
    'termination_decision'
);
