-- API keys, stored as the SHA-256 digest of the key (never the key), and the key that owns
-- each alert. An alert created without a key has no owner.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    digest     TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

ALTER TABLE user_alerts ADD COLUMN owner_key_id INTEGER REFERENCES api_keys (id);
CREATE INDEX user_alerts_owner ON user_alerts (owner_key_id);
