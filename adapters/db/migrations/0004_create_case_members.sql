-- Who belongs to which case. A person may be a member of one active dibao case at a time (issue 3):
-- the partial unique index makes a second active membership impossible, whatever the race.

CREATE TABLE case_members (
    case_id     uuid     NOT NULL,
    resident_id char(18) NOT NULL,
    program     text     NOT NULL,
    active      boolean  NOT NULL DEFAULT true,
    PRIMARY KEY (case_id, resident_id)
);

CREATE UNIQUE INDEX case_members_one_active_idx ON case_members (program, resident_id) WHERE active;
