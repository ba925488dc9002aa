-- The alert engine: every field of a rule, its persisted arm state, its webhook, and a
-- durable outbox of deliveries. Times are fixed-width RFC 3339 text, as in 0001.

-- `change_pct` only: the look-back window and the direction (up, down, either).
ALTER TABLE user_alerts ADD COLUMN window_seconds INTEGER;
ALTER TABLE user_alerts ADD COLUMN direction TEXT;
-- How far back past the threshold the value must go before the rule re-arms.
ALTER TABLE user_alerts ADD COLUMN hysteresis REAL NOT NULL DEFAULT 0;
-- An hour, the seed's documented (never built) cooldown: existing alerts get it too.
ALTER TABLE user_alerts ADD COLUMN cooldown_seconds INTEGER NOT NULL DEFAULT 3600;
ALTER TABLE user_alerts ADD COLUMN frequency TEXT NOT NULL DEFAULT 'recurring';
ALTER TABLE user_alerts ADD COLUMN expires_at TEXT;
-- Where triggers are POSTed, and the HMAC-SHA256 key that signs them.
ALTER TABLE user_alerts ADD COLUMN webhook_url TEXT;
ALTER TABLE user_alerts ADD COLUMN webhook_secret TEXT;
-- The rule's state, saved by the alerter so a restart neither re-fires nor forgets.
-- Existing rows are `above`/`below`, which start armed.
ALTER TABLE user_alerts ADD COLUMN armed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE user_alerts ADD COLUMN last_fired_at TEXT;

-- One delivery of one trigger to one target, written in the same transaction as its
-- `alert_history` row, so a trigger is never recorded without being queued nor queued
-- twice (UNIQUE(event_id, target)). `next_attempt_at` is when a pending row is due.
CREATE TABLE alert_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL REFERENCES alert_history (event_id),
    alert_id        INTEGER NOT NULL,
    pair            TEXT    NOT NULL,
    target          TEXT    NOT NULL CHECK (target IN ('bus', 'webhook')),
    -- The webhook's URL when queued: changing the alert later does not redirect it.
    url             TEXT,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT    NOT NULL,
    UNIQUE (event_id, target)
);

-- The deliverer's poll: pending rows due by now. The UNIQUE index serves a trigger's
-- deliveries in `GET /alerts/history`.
CREATE INDEX alert_deliveries_state_next_attempt_at
    ON alert_deliveries (state, next_attempt_at);
