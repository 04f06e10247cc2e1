-- 一门受理 for the programmes applied for by one person (特困, 残疾人两项补贴; issue 16 item 7's intake): one case per
-- programme and person from an intake — two disabled members of a household each apply for the subsidies. A
-- household programme (低保, 临时救助) keeps one case per intake (``person`` empty). ``person`` is the applicant's
-- resident ID number, as ``case_members`` keeps it; it never leaves PostgreSQL.

ALTER TABLE intake_cases ADD COLUMN person text NOT NULL DEFAULT '';
ALTER TABLE intake_cases DROP CONSTRAINT intake_cases_pkey;
ALTER TABLE intake_cases ADD PRIMARY KEY (intake_id, program, person);
