//! API keys: stored as a SHA-256 digest of the key, never the key itself.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A stored API key, without the key: it cannot be recovered from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    /// A label chosen by whoever created it ("ops dashboard").
    pub name: String,
    /// The key's first characters, to recognise it in a list (`fxk_3f9a1c`).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Set when revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Where API keys live (the same store as the alerts they own).
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key by its digest; returns it with its id.
    async fn create_key(
        &self,
        name: &str,
        prefix: &str,
        digest: &str,
    ) -> Result<ApiKey, StoreError>;
    /// Every key, revoked ones included, oldest first.
    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key; false if there is no such key or it was already revoked.
    async fn revoke_key(&self, id: i64) -> Result<bool, StoreError>;
    /// The key with this digest, revoked or not.
    async fn key_by_digest(&self, digest: &str) -> Result<Option<ApiKey>, StoreError>;
    /// How many keys are not revoked.
    async fn active_keys(&self) -> Result<u64, StoreError>;
}
