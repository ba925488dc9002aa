-- Every pair ever stored. History finds the first leg of a cross (every X/A, whatever X
-- is) here, then reads each X/A by `pair` through the unique key's index. That replaces
-- the (quote, base, timestamp) index, which every insert had to update: the store writes
-- about a third faster without it.
CREATE TABLE fx_pairs (
    pair  TEXT NOT NULL PRIMARY KEY,
    base  TEXT NOT NULL,
    quote TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO fx_pairs (pair, base, quote) SELECT DISTINCT pair, base, quote FROM fx_rates;

DROP INDEX fx_rates_quote_base_timestamp;
