-- The daily catch-up of 高龄津贴's own timers (issue 17 item 4): the catch-up pages by case id through the
-- allowance cases being paid or held (band moves and survival checks fall due only there) and tests each row's
-- state (next band's birthday, the survival check's last day). This partial index keeps that page small
-- however many other cases the county has.

CREATE INDEX cases_old_age_active_idx ON cases (case_id)
    WHERE program = 'old_age_allowance' AND stage IN ('in_payment', 'payment_held');
