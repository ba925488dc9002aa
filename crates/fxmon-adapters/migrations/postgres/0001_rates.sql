-- fxmon's PostgreSQL schema for rates: the seed's `fx_rates`, partitioned by month on the
-- provider's as-of time so that retention is dropping a partition, not a mass DELETE.

-- One rate as the provider gave it: 1 `base` = `rate` `quote`, as of `timestamp`.
-- The unique key makes replaying a message a no-op; on a partitioned table it must hold the
-- partition key, which it does. Its index also serves direct and inverse history and the
-- second leg of a cross (X/B at a given time and source).
-- Text compares bytewise ("C"), as in SQLite: the same order everywhere, and faster.
-- NaN is greater than every number in PostgreSQL, hence the upper bound on `rate`.
CREATE TABLE fx_rates (
    pair       text COLLATE "C" NOT NULL CHECK (pair = base || '/' || quote),
    base       text COLLATE "C" NOT NULL,
    quote      text COLLATE "C" NOT NULL,
    rate       double precision NOT NULL CHECK (rate > 0 AND rate < 'Infinity'),
    timestamp  timestamptz      NOT NULL,
    source     text COLLATE "C" NOT NULL,
    created_at timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT fx_rates_pair_timestamp_source UNIQUE (pair, timestamp, source)
) PARTITION BY RANGE (timestamp);

-- Every index is built again in each monthly partition, which makes creating one slower:
-- hence no (base, quote) index beside the unique one on `pair`.
-- The first leg of a cross: every X/A, whatever X is.
CREATE INDEX fx_rates_quote_base_timestamp ON fx_rates (quote, base, timestamp);
-- The newest snapshot at or before a time, and the currencies quoted in a range.
CREATE INDEX fx_rates_timestamp ON fx_rates (timestamp, base, quote);

-- The safety net: a row whose month has no partition yet lands here rather than failing.
-- fxmon creates a month's partition before writing to it, so this normally stays empty;
-- `fx_rates_ensure_partition` moves any rows it holds into their month's new partition.
CREATE TABLE fx_rates_default PARTITION OF fx_rates DEFAULT;

-- Creates the partition `fx_rates_pYYYYMM` of the month starting `month` if it is missing;
-- returns whether it created it. Creators in several processes are serialised by an
-- advisory lock held to the end of the transaction, so a concurrent creator waits and then
-- finds the partition rather than failing on a duplicate name.
CREATE FUNCTION fx_rates_ensure_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    next  date := (first + interval '1 month')::date;
    name  text := 'fx_rates_p' || to_char(first, 'YYYYMM');
    -- Bounds as UTC literals, whatever the session's TimeZone and DateStyle.
    lo    text := to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi    text := to_char(next, 'YYYY-MM-DD') || ' 00:00:00+00';
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('fxmon.fx_rates.partitions'));
    IF to_regclass(quote_ident(name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- A new range partition must not overlap rows already in the default one: move them
    -- out and back in. Rare (another writer skipped creating the month), so checked first.
    IF EXISTS (SELECT FROM fx_rates_default
                WHERE timestamp >= lo::timestamptz AND timestamp < hi::timestamptz) THEN
        CREATE TEMPORARY TABLE fx_rates_moving (LIKE fx_rates) ON COMMIT DROP;
        WITH moved AS (
            DELETE FROM fx_rates_default
             WHERE timestamp >= lo::timestamptz AND timestamp < hi::timestamptz
            RETURNING *
        )
        INSERT INTO fx_rates_moving SELECT * FROM moved;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF fx_rates FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    IF to_regclass('pg_temp.fx_rates_moving') IS NOT NULL THEN
        INSERT INTO fx_rates SELECT * FROM pg_temp.fx_rates_moving;
        DROP TABLE pg_temp.fx_rates_moving;
    END IF;
    RETURN true;
END
$$;
