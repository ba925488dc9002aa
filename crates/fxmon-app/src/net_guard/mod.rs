//! Where webhooks may go. A webhook URL is user input that makes fxmon send requests:
//! without a guard it could reach the host's own services, the private network or a cloud
//! metadata endpoint (SSRF). Non-public targets are refused unless the operator allows
//! them (`--webhook-allow-private`): when an alert is created, and again on every delivery,
//! on the addresses actually connected to.

mod class;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub use class::{classify, AddressClass};

/// How long resolving a webhook's host may take.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which webhook targets are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetPolicy {
    /// Public addresses only: the default.
    #[default]
    PublicOnly,
    /// Any address (`--webhook-allow-private`), for receivers on this host or its network.
    AllowPrivate,
}

impl TargetPolicy {
    /// `AllowPrivate` if `allow`, else `PublicOnly`.
    pub fn allow_private(allow: bool) -> Self {
        if allow {
            Self::AllowPrivate
        } else {
            Self::PublicOnly
        }
    }
}

/// Why a webhook target is refused. Never names the host: the reason is stored with the
/// delivery, and a host may be part of a secret URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The URL's host is an IP literal that is not public.
    #[error("points at {ip}, {class}")]
    Address { ip: IpAddr, class: AddressClass },
    /// The host resolves to an address that is not public.
    #[error("resolves to {ip}, {class}")]
    Resolves { ip: IpAddr, class: AddressClass },
    /// The host has no address (or the resolver failed).
    #[error("does not resolve: {0}")]
    Unresolved(String),
    /// The resolver took longer than `RESOLVE_TIMEOUT`.
    #[error("did not resolve within {} s", RESOLVE_TIMEOUT.as_secs())]
    Timeout,
}

impl TargetError {
    /// Whether the target itself is refused (a non-public address), rather than the lookup
    /// failing: a refusal is final, a failed lookup may succeed later.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Address { .. } | Self::Resolves { .. })
    }
}

/// Refuses a non-public IP literal.
pub fn check_ip(ip: IpAddr) -> Result<(), TargetError> {
    match classify(ip) {
        AddressClass::Public => Ok(()),
        class => Err(TargetError::Address { ip, class }),
    }
}

/// The IP address `host` is written as, if it is an IP literal (IPv6 with or without
/// brackets).
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    bare.unwrap_or(host).parse().ok()
}

/// Refuses a `host` that is a non-public IP literal; a name passes (it is checked when
/// resolved).
pub fn check_literal(host: &str) -> Result<(), TargetError> {
    ip_literal(host).map_or(Ok(()), check_ip)
}

/// The addresses of `host` (a name, or an IP literal) with `port`, if every one is public.
/// One non-public address refuses the host: a connection may go to any of them.
pub async fn resolve_public(host: &str, port: u16) -> Result<Vec<SocketAddr>, TargetError> {
    if let Some(ip) = ip_literal(host) {
        check_ip(ip)?;
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lookup = tokio::net::lookup_host((host, port));
    let addrs: Vec<SocketAddr> = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
        .await
        .map_err(|_| TargetError::Timeout)?
        .map_err(|e| TargetError::Unresolved(e.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError::Unresolved("no addresses".to_owned()));
    }
    for addr in &addrs {
        let ip = addr.ip();
        let class = classify(ip);
        if !class.is_public() {
            return Err(TargetError::Resolves { ip, class });
        }
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ip_literals_are_checked_without_a_lookup() {
        let refused = resolve_public("[::ffff:10.0.0.1]", 80).await.unwrap_err();
        assert_eq!(
            refused.to_string(),
            "points at ::ffff:10.0.0.1, a private address"
        );
        assert!(refused.is_refusal());
        let public = resolve_public("93.184.216.34", 443).await.unwrap();
        assert_eq!(public, ["93.184.216.34:443".parse().unwrap()]);
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_naming_the_address() {
        let refused = resolve_public("localhost", 8080).await.unwrap_err();
        assert!(
            matches!(
                refused,
                TargetError::Resolves {
                    class: AddressClass::Loopback,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert!(refused.to_string().starts_with("resolves to "), "{refused}");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_not_a_refusal() {
        let error = resolve_public("no-such-host.invalid", 80)
            .await
            .unwrap_err();
        assert!(
            matches!(error, TargetError::Unresolved(_) | TargetError::Timeout),
            "{error:?}"
        );
        assert!(!error.is_refusal());
    }

    #[test]
    fn literals_are_told_from_names() {
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("::1"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(ip_literal("localhost"), None);
        assert_eq!(ip_literal("[localhost]"), None);
        assert!(check_literal("localhost").is_ok());
        assert!(check_literal("8.8.8.8").is_ok());
        assert!(check_literal("[fe80::1]").unwrap_err().is_refusal());
    }

    #[test]
    fn the_policy_follows_the_flag() {
        assert_eq!(
            TargetPolicy::allow_private(true),
            TargetPolicy::AllowPrivate
        );
        assert_eq!(TargetPolicy::allow_private(false), TargetPolicy::PublicOnly);
        assert_eq!(TargetPolicy::default(), TargetPolicy::PublicOnly);
    }
}
