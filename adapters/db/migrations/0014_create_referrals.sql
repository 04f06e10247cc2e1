-- Referrals between programmes (转介 / 转办, S4 Art. 60; S5 item 23): recorded on the referring case as a
-- ``referral_recorded`` event and listed here for the receiving programme's window, which opens one as a new
-- application (the row is then ``taken`` with the new case's id). Written in the record activity's transaction.
CREATE TABLE referrals (
    referral_id    uuid PRIMARY KEY,
    from_case_id   uuid        NOT NULL,
    from_seq       integer     NOT NULL,
    from_program   text        NOT NULL,
    to_program     text        NOT NULL,
    village_code   char(12)    NOT NULL,
    township_code  char(9)     NOT NULL,
    county_code    char(6)     NOT NULL,
    member_indexes smallint[]  NOT NULL,
    referred_at    timestamptz NOT NULL,
    status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'taken')),
    taken_case_id  uuid,
    taken_at       timestamptz,
    taken_by       text
);

CREATE INDEX referrals_open_idx ON referrals (to_program, township_code) WHERE status = 'open';
