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
