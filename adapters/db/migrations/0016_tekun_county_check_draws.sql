-- 特困: the county's random check of at least 30 % of a township's submissions (S3 Art. 16), one row per draw:
-- who drew, when, the seed, the rate, the batch drawn from and the cases drawn (each case records the draw too).
CREATE TABLE tekun_county_check_draws (
    draw_id        uuid PRIMARY KEY,
    township_code  char(9)     NOT NULL,
    seed           text        NOT NULL,
    rate           numeric(4, 3) NOT NULL CHECK (rate >= 0.30 AND rate <= 1),
    parameter_set_version text NOT NULL,
    drawn_by       text        NOT NULL,
    drawn_by_role  text        NOT NULL,
    drawn_at       timestamptz NOT NULL,
    batch          uuid[]      NOT NULL,
    drawn          uuid[]      NOT NULL
);

CREATE INDEX tekun_county_check_draws_township_idx ON tekun_county_check_draws (township_code, drawn_at);
