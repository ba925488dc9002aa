-- One index fewer on `fx_rates`. Every row went into the table and two indexes in its
-- month's partition: the unique (pair, timestamp, source) one and (timestamp, base, quote).
-- The second only served "the newest snapshot at or before a time" and "the currencies
-- quoted in a range". The first is now answered by `fx_snapshots`, one row per stored
-- (timestamp, source) rather than one per rate, and both then read the rates pair by pair
-- (`fx_pairs`) through the unique key's index.
CREATE TABLE fx_snapshots (
    timestamp timestamptz      NOT NULL,
    source    text COLLATE "C" NOT NULL,
    PRIMARY KEY (timestamp, source)
);

INSERT INTO fx_snapshots (timestamp, source)
SELECT DISTINCT timestamp, source FROM fx_rates;

DROP INDEX fx_rates_timestamp;
