-- The bureau's working-day calendar overrides (SPEC §0.1). The chinese-calendar package knows statutory
-- holidays and make-up working days (调休) only up to the year of its release; the State Council publishes each
-- next year's schedule around November, so staff enter it here. A row in calendar_overrides wins over the
-- package for its day. A year counts as covered once it is listed in calendar_years, which staff do only after
-- entering all of that year's holidays and make-up working days; until then, deadlines running into it are
-- refused rather than computed as if every weekday were a working day.

CREATE TABLE calendar_overrides (
    day        date PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note       text        NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_years (
    year       integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    source     text        NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
