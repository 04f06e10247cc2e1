-- Household economic records for the information check (信息核对, S1 Art. 17), loaded by the county from
-- departmental CSV extracts. One row per imported extract file (a batch) and one per record in it. A file's
-- SHA-256 is unique, so importing the same file twice changes nothing. Records are never updated in place: a
-- newer batch from the same source supersedes, person by person, what older batches said (see
-- infra/db/economic_records.py), and old batches stay so earlier check reports can still cite them.

CREATE TABLE economic_record_batches (
    batch_id    text PRIMARY KEY,
    source      text        NOT NULL,
    file_sha256 text        NOT NULL UNIQUE,
    row_count   integer     NOT NULL CHECK (row_count >= 0),
    imported_by text        NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE economic_records (
    id           bigserial PRIMARY KEY,
    batch_id     text          NOT NULL REFERENCES economic_record_batches (batch_id),
    resident_id  char(18)      NOT NULL,
    source       text          NOT NULL,
    kind         text          NOT NULL,
    amount       numeric(14,2) NOT NULL CHECK (amount >= 0),
    count        integer       NOT NULL DEFAULT 1 CHECK (count >= 1),
    detail       text,
    period_start date,
    period_end   date,
    CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start)
);

CREATE INDEX economic_records_resident_id_idx ON economic_records (resident_id);
CREATE INDEX economic_records_batch_id_idx ON economic_records (batch_id);
