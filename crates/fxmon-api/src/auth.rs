//! API keys on requests: who is calling, and whether the call needs a key.
//!
//! A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` and looked up by
//! its SHA-256 digest. Writes (any method but GET, HEAD and OPTIONS) need a valid key when
//! `require_auth` is set (`--require-auth`, or listening on a non-loopback address) or as
//! soon as any key exists; reads need one only with `private_reads`. A key that is sent
//! must be valid, whatever the route. Liveness, readiness, the dashboard's files and the
//! API docs never need one. Look-ups are cached for [`CACHE_TTL`], so a key created or
//! revoked with `fxmon apikey` takes effect within a second, without a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use fxmon_app::keys;
use fxmon_app::ports::{ApiKey, KeyStore, OwnerFilter};

use crate::error::ApiError;

/// How long a key look-up (and the count of active keys) is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(1);
/// Cached look-ups kept at most; beyond, the cache starts over (unknown keys sent by a
/// scanner must not grow it without bound).
const CACHE_LIMIT: usize = 10_000;

/// When a request needs a key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthSettings {
    /// Writes need a key even while none exists.
    pub require_auth: bool,
    /// Reads need a key too.
    pub private_reads: bool,
}

/// Who is calling: set on every request by the auth layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No key was sent (and none was needed).
    Anonymous,
    /// A valid key, by id.
    Key(i64),
}

impl Caller {
    /// The alerts this caller may see: its own. Alerts created without a key belong to
    /// callers without a key.
    pub fn owned(self) -> OwnerFilter {
        match self {
            Caller::Anonymous => OwnerFilter::Unowned,
            Caller::Key(id) => OwnerFilter::Key(id),
        }
    }

    /// The owner of what this caller creates.
    pub fn owner(self) -> Option<i64> {
        match self {
            Caller::Anonymous => None,
            Caller::Key(id) => Some(id),
        }
    }

    /// Whether this caller may see and change alert `id`, owned by `owner`.
    pub fn check_owner(self, id: i64, owner: Option<i64>) -> Result<(), ApiError> {
        match (self, owner) {
            (Caller::Anonymous, None) => Ok(()),
            (Caller::Key(key), Some(owner)) if key == owner => Ok(()),
            (Caller::Anonymous, Some(_)) => Err(ApiError::Unauthorized(format!(
                "alert {id} belongs to an API key: send it as Authorization: Bearer <key>"
            ))),
            (Caller::Key(_), _) => Err(ApiError::Forbidden(format!(
                "alert {id} belongs to another API key (or to none); a key sees only the \
                 alerts it created"
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .copied()
            .unwrap_or(Caller::Anonymous))
    }
}

/// Decides who is calling and whether that is enough.
#[derive(Clone)]
pub struct Auth {
    keys: Arc<dyn KeyStore>,
    settings: AuthSettings,
    cache: Arc<Mutex<Cache>>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, (Option<ApiKey>, Instant)>,
    active: Option<(u64, Instant)>,
}

impl Auth {
    pub fn new(keys: Arc<dyn KeyStore>, settings: AuthSettings) -> Self {
        Self {
            keys,
            settings,
            cache: Arc::default(),
        }
    }

    /// The caller of a request to `path` with `method` and `headers`, or why it is refused.
    pub async fn caller(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<Caller, ApiError> {
        if let Some(key) = presented_key(headers)? {
            return match self.key(&key).await? {
                Some(found) if found.is_active() => Ok(Caller::Key(found.id)),
                Some(_) => Err(ApiError::Unauthorized("the API key was revoked".into())),
                None => Err(ApiError::Unauthorized("the API key is not valid".into())),
            };
        }
        if open_path(path) || *method == Method::OPTIONS {
            return Ok(Caller::Anonymous);
        }
        let read = matches!(*method, Method::GET | Method::HEAD);
        let needed = if read {
            self.settings.private_reads
        } else {
            self.settings.require_auth || self.active_keys().await? > 0
        };
        if needed {
            let what = if read { "reading" } else { "changing" };
            return Err(ApiError::Unauthorized(format!(
                "{what} {path} needs an API key: send it as Authorization: Bearer <key> or \
                 X-API-Key: <key> (create one with `fxmon apikey create`)"
            )));
        }
        Ok(Caller::Anonymous)
    }

    async fn key(&self, key: &str) -> Result<Option<ApiKey>, ApiError> {
        let digest = keys::digest(key);
        if let Some((found, at)) = self.cache.lock().expect("auth cache").keys.get(&digest) {
            if at.elapsed() < CACHE_TTL {
                return Ok(found.clone());
            }
        }
        let found = self.keys.key_by_digest(&digest).await?;
        let mut cache = self.cache.lock().expect("auth cache");
        if cache.keys.len() >= CACHE_LIMIT {
            cache.keys.clear();
        }
        cache.keys.insert(digest, (found.clone(), Instant::now()));
        Ok(found)
    }

    async fn active_keys(&self) -> Result<u64, ApiError> {
        if let Some((count, at)) = self.cache.lock().expect("auth cache").active {
            if at.elapsed() < CACHE_TTL {
                return Ok(count);
            }
        }
        let count = self.keys.active_keys().await?;
        self.cache.lock().expect("auth cache").active = Some((count, Instant::now()));
        Ok(count)
    }
}

/// The key sent with the request, if any. Never logged.
fn presented_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default().trim();
        let Some((scheme, key)) = value.split_once(' ') else {
            return Err(bad_scheme());
        };
        if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
            return Err(bad_scheme());
        }
        return Ok(Some(key.trim().to_owned()));
    }
    Ok(headers
        .get("x-api-key")
        .map(|value| value.to_str().unwrap_or_default().trim().to_owned())
        .filter(|key| !key.is_empty()))
}

fn bad_scheme() -> ApiError {
    ApiError::Unauthorized("Authorization must be `Bearer <key>`".into())
}

/// Paths anyone may read: liveness, readiness, the dashboard's files, the API docs.
fn open_path(path: &str) -> bool {
    matches!(path, "/health" | "/ready") || static_path(path)
}

/// The dashboard's and the API docs' files: compiled in, cheap, and loaded by the dozen
/// when a page opens, so not rate-limited either.
pub fn static_path(path: &str) -> bool {
    matches!(path, "/openapi.json" | "/dashboard" | "/docs")
        || path.starts_with("/dashboard/")
        || path.starts_with("/docs/")
}
