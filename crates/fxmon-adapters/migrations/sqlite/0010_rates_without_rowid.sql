-- Fewer b-trees per stored rate. Every row used to go into three: the table (by rowid),
-- the unique (pair, timestamp, source) index and the (timestamp, base, quote) index.
-- Now it goes into one.
--
-- * `fx_rates` is a WITHOUT ROWID table keyed by (pair, timestamp, source): the key that
--   makes a replay a no-op is the table itself, and history reads a pair's rows in order
--   from it. Nothing referred to the rowid `id`, so it goes.
-- * The index on time is replaced by `fx_snapshots`, one row per stored (timestamp,
--   source) rather than one per rate. The newest snapshot at or before a time is found
--   there; its rows are then read pair by pair (`fx_pairs`) through the key.
--
-- The ECB history's 221,702 rows are copied once, in about a second.
CREATE TABLE fx_rates_keyed (
    pair       TEXT NOT NULL,
    base       TEXT NOT NULL,
    quote      TEXT NOT NULL,
    rate       REAL NOT NULL CHECK (rate > 0),
    timestamp  TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (pair, timestamp, source)
) WITHOUT ROWID;

INSERT INTO fx_rates_keyed (pair, base, quote, rate, timestamp, source, created_at)
SELECT pair, base, quote, rate, timestamp, source, created_at FROM fx_rates
 ORDER BY pair, timestamp, source;

CREATE TABLE fx_snapshots (
    timestamp TEXT NOT NULL,
    source    TEXT NOT NULL,
    PRIMARY KEY (timestamp, source)
) WITHOUT ROWID;

INSERT INTO fx_snapshots (timestamp, source)
SELECT DISTINCT timestamp, source FROM fx_rates ORDER BY timestamp, source;

DROP TABLE fx_rates;
ALTER TABLE fx_rates_keyed RENAME TO fx_rates;
