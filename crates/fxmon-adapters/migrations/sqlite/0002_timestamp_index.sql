-- The newest snapshot at or before a time (`snapshot_at`) looks rows up by time alone.
CREATE INDEX fx_rates_timestamp ON fx_rates (timestamp);
