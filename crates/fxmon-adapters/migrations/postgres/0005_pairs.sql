-- Every pair ever stored. History finds the first leg of a cross (every X/A, whatever X
-- is) here, then reads each X/A by `pair` through the unique key's index. That replaces
-- the (quote, base, timestamp) index, which every insert had to update in every
-- partition.
CREATE TABLE fx_pairs (
    pair  text COLLATE "C" NOT NULL PRIMARY KEY CHECK (pair = base || '/' || quote),
    base  text COLLATE "C" NOT NULL,
    quote text COLLATE "C" NOT NULL
);

INSERT INTO fx_pairs (pair, base, quote) SELECT DISTINCT pair, base, quote FROM fx_rates;

DROP INDEX fx_rates_quote_base_timestamp;
