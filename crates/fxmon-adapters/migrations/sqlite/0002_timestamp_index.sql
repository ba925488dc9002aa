-- Look-ups by time alone: the newest snapshot at or before a time (`snapshot_at`), and the
-- currencies quoted in a range (`currencies_between`, answered from the index alone).
CREATE INDEX fx_rates_timestamp ON fx_rates (timestamp, base, quote);
