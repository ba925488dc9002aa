-- fxmon's SQLite schema: the seed's tables and columns, plus what the seed lacked.
-- Every time is TEXT in RFC 3339 UTC with six fractional digits
-- (2026-10-30T00:00:00.000000Z): fixed width, so text order is time order.

-- One rate as the provider gave it: 1 `base` = `rate` `quote`, as of `timestamp`.
-- UNIQUE(pair, timestamp, source) makes replaying a message a no-op; its index also
-- serves look-ups by (pair, timestamp).
CREATE TABLE fx_rates (
    id         INTEGER PRIMARY KEY,
    pair       TEXT    NOT NULL,
    base       TEXT    NOT NULL,
    quote      TEXT    NOT NULL,
    rate       REAL    NOT NULL CHECK (rate > 0),
    timestamp  TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (pair, timestamp, source)
);

-- Direct and inverse history, and the second leg of a cross (X/B at a given time).
CREATE INDEX fx_rates_base_quote_timestamp ON fx_rates (base, quote, timestamp);
-- The first leg of a cross: every X/A, whatever X is.
CREATE INDEX fx_rates_quote_base_timestamp ON fx_rates (quote, base, timestamp);

CREATE TABLE user_alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pair       TEXT    NOT NULL,
    condition  TEXT    NOT NULL,
    threshold  REAL    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    -- Soft delete: the alert's history keeps pointing at it.
    deleted_at TEXT
);

-- One notification. `event_id` is unique per (alert, observation), so recording a
-- replayed trigger is a no-op.
CREATE TABLE alert_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    alert_id     INTEGER NOT NULL REFERENCES user_alerts (id),
    pair         TEXT    NOT NULL,
    condition    TEXT    NOT NULL,
    threshold    REAL    NOT NULL,
    rate         REAL    NOT NULL,
    message      TEXT    NOT NULL,
    triggered_at TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

CREATE INDEX alert_history_triggered_at ON alert_history (triggered_at);
