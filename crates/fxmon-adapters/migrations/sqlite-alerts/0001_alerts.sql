-- The alert engine's file, `fxmon-alerts.db` beside `fxmon.db`: alert rules and their
-- state, the history of their triggers, the delivery outbox, the alerter's watermarks and
-- the API keys. It is the schema the rates file's migrations 0001-0010 built, in a file of
-- its own so that its writes (the alerter's, one per batch) never queue behind the
-- processor's, which hold the rates file's single write lock for milliseconds at a time.
-- A database of an earlier release has these tables in `fxmon.db`; opening it copies
-- their rows here once (`sqlite/split.rs`) before the rates file's 0011 drops them.
-- Times are fixed-width RFC 3339 text.

-- Keys the API accepts: only a SHA-256 digest of each is kept, never the key itself.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    digest     TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE user_alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    pair             TEXT    NOT NULL,
    condition        TEXT    NOT NULL,
    threshold        REAL    NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT    NOT NULL,
    -- Soft delete: the alert's history keeps pointing at it.
    deleted_at       TEXT,
    -- `change_pct` only: the look-back window and the direction (up, down, either).
    window_seconds   INTEGER,
    direction        TEXT,
    -- How far back past the threshold the value must go before the rule re-arms.
    hysteresis       REAL    NOT NULL DEFAULT 0,
    cooldown_seconds INTEGER NOT NULL DEFAULT 3600,
    frequency        TEXT    NOT NULL DEFAULT 'recurring',
    expires_at       TEXT,
    -- Where triggers are POSTed, and the HMAC-SHA256 key that signs them.
    webhook_url      TEXT,
    webhook_secret   TEXT,
    -- The rule's state, saved by the alerter so a restart neither re-fires nor forgets.
    armed            INTEGER NOT NULL DEFAULT 1,
    last_fired_at    TEXT,
    owner_key_id     INTEGER REFERENCES api_keys (id)
);
CREATE INDEX user_alerts_owner ON user_alerts (owner_key_id);

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
CREATE INDEX alert_history_alert_id_triggered_at ON alert_history (alert_id, triggered_at);
CREATE INDEX alert_history_pair_triggered_at ON alert_history (pair, triggered_at);

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
CREATE INDEX alert_deliveries_state_next_attempt_at
    ON alert_deliveries (state, next_attempt_at);

-- A counter that changes whenever an alert's rule or activity changes (not its arm
-- state), so the alerter reloads its index only when there is something new to load.
CREATE TABLE alert_rules_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO alert_rules_version (id, version) VALUES (1, 0);

CREATE TRIGGER alert_rules_version_on_insert AFTER INSERT ON user_alerts
BEGIN
    UPDATE alert_rules_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER alert_rules_version_on_update
AFTER UPDATE OF pair, condition, threshold, window_seconds, direction, hysteresis,
                cooldown_seconds, frequency, expires_at, webhook_url, active, deleted_at
ON user_alerts
BEGIN
    UPDATE alert_rules_version SET version = version + 1 WHERE id = 1;
END;

-- Per source, the as-of time of the newest snapshot the alerter has evaluated: an older
-- or replayed snapshot is not a new observation.
CREATE TABLE alert_watermarks (
    source TEXT PRIMARY KEY,
    as_of  TEXT NOT NULL
);
