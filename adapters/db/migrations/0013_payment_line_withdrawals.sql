-- A line of a drawn payment roll withdrawn before it was paid (issue 20): a stop decided after next month's roll
-- was drawn up withdraws that month's unpaid line (the case's event payment_lines_withdrawn, written in the same
-- transaction) instead of ordering its amount back. The line stays, keyed (case_id, month) as before; rolls,
-- totals and exports leave it out and list it as withdrawn. Generating the roll again draws it anew only for a
-- case payable that month again (a 渐退期 resumed by a review), never for a stopped one.

ALTER TABLE payment_lines
    ADD COLUMN withdrawn_seq integer,
    ADD COLUMN withdrawn_at  timestamptz,
    ADD CONSTRAINT payment_lines_withdrawn_check CHECK ((withdrawn_seq IS NULL) = (withdrawn_at IS NULL));
