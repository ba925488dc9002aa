-- `GET /alerts/history?alert_id=` and `?pair=`, newest first: each filter walks its own
-- index in time order (the rowid `id` breaks ties) instead of scanning the whole history.
CREATE INDEX alert_history_alert_id_triggered_at ON alert_history (alert_id, triggered_at);
CREATE INDEX alert_history_pair_triggered_at ON alert_history (pair, triggered_at);
