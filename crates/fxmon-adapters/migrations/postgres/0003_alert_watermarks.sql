-- How far the alerter has evaluated each source: a snapshot at or before its source's
-- watermark is a redelivery or a replay, and must not move any rule's state back.
CREATE TABLE alert_watermarks (
    source text COLLATE "C" PRIMARY KEY,
    as_of  timestamptz NOT NULL
);
