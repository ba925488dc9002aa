-- The alert engine's tables now live in `fxmon-alerts.db` (its own migrations, under
-- migrations/sqlite-alerts). Opening the store copied their rows there, in a transaction
-- of that file, before running this; here they leave the rates file.
DROP TRIGGER alert_rules_version_on_insert;
DROP TRIGGER alert_rules_version_on_update;
DROP TABLE alert_deliveries;
DROP TABLE alert_history;
DROP TABLE user_alerts;
DROP TABLE api_keys;
DROP TABLE alert_rules_version;
DROP TABLE alert_watermarks;
DELETE FROM sqlite_sequence
 WHERE name IN ('alert_deliveries', 'alert_history', 'user_alerts', 'api_keys');
