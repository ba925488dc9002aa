//! An alert's webhook: the URL a user gives, and the secret fxmon signs deliveries with.

use axum::http::uri::{Scheme, Uri};
use fxmon_app::net_guard::{self, TargetPolicy};
use rand::rngs::OsRng;
use rand::RngCore;

use crate::error::ApiError;

/// Longer URLs are refused: no real endpoint needs one, and each is stored and shown.
const MAX_URL_LEN: usize = 2048;
/// Bytes of a secret: 256 bits, the HMAC-SHA256 block's worth of key material.
const SECRET_BYTES: usize = 32;

/// `webhook_url`: an absolute `http` or `https` URL with a host, kept as given (trimmed).
pub fn webhook_url(raw: &str) -> Result<String, ApiError> {
    let url = raw.trim();
    let refuse = || {
        ApiError::invalid(
            "webhook_url",
            format!("must be an http or https URL with a host, got {raw:?}"),
        )
    };
    if url.len() > MAX_URL_LEN {
        return Err(ApiError::invalid(
            "webhook_url",
            format!("must be at most {MAX_URL_LEN} characters long"),
        ));
    }
    let uri: Uri = url.parse().map_err(|_| refuse())?;
    let web = [Scheme::HTTP, Scheme::HTTPS];
    let has_host = uri.host().is_some_and(|host| !host.is_empty());
    if !(uri.scheme().is_some_and(|s| web.contains(s)) && has_host) {
        return Err(refuse());
    }
    Ok(url.to_owned())
}

/// Refuses a `webhook_url` (as `webhook_url` returned it) whose host is, or resolves to, a
/// non-public address, or does not resolve, unless `targets` allows private ones. Delivery
/// checks again: this check is for a clear answer now, not the only line of defence.
pub async fn check_target(url: &str, targets: TargetPolicy) -> Result<(), ApiError> {
    if targets == TargetPolicy::AllowPrivate {
        return Ok(());
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| ApiError::invalid("webhook_url", "is not a URL"))?;
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme() == Some(&Scheme::HTTPS) {
            443
        } else {
            80
        });
    let host = uri.host().unwrap_or_default();
    match net_guard::resolve_public(host, port).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_refusal() => Err(ApiError::invalid(
            "webhook_url",
            format!("{error}; start fxmon with --webhook-allow-private to allow it"),
        )),
        Err(error) => Err(ApiError::invalid("webhook_url", error)),
    }
}

/// A new signing secret: 32 bytes from the operating system's CSPRNG, as 64 hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_kept_as_given() {
        for url in [
            "https://hooks.example.com/fx?team=1",
            "http://127.0.0.1:8080/hook",
            "HTTPS://Example.com",
            "http://[::1]:9000/",
        ] {
            assert_eq!(webhook_url(&format!(" {url} ")).unwrap(), url);
        }
    }

    #[test]
    fn other_schemes_relative_urls_and_hostless_urls_are_refused() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "/hooks/fx",
            "example.com/hook",
            "https://",
            "https:///path",
            "http://exa mple.com",
            "",
            long.as_str(),
        ] {
            let error = webhook_url(url).unwrap_err();
            assert!(
                matches!(&error, ApiError::Invalid { param, .. } if param == "webhook_url"),
                "{url}: {error}"
            );
        }
    }

    async fn refusal(url: &str) -> String {
        match check_target(url, TargetPolicy::PublicOnly).await {
            Err(ApiError::Invalid { param, message }) if param == "webhook_url" => message,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[tokio::test]
    async fn non_public_targets_are_refused_naming_the_address_and_the_flag() {
        let hint = "; start fxmon with --webhook-allow-private to allow it";
        for (url, reason) in [
            (
                "http://127.0.0.1:9/",
                "points at 127.0.0.1, a loopback address",
            ),
            (
                "http://169.254.169.254/latest/meta-data",
                "points at 169.254.169.254, a cloud metadata address",
            ),
            (
                "http://[::ffff:10.0.0.1]/",
                "points at ::ffff:10.0.0.1, a private address",
            ),
            (
                "https://[fd00:ec2::254]/",
                "points at fd00:ec2::254, a cloud metadata address",
            ),
            (
                "http://0.0.0.0:8000/",
                "points at 0.0.0.0, an unspecified address",
            ),
        ] {
            assert_eq!(refusal(url).await, format!("{reason}{hint}"), "{url}");
        }
        // Names, and the other spellings of 127.0.0.1, resolve to a loopback address.
        for url in [
            "http://localhost:8080/",
            "http://2130706433/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
        ] {
            let local = refusal(url).await;
            assert!(local.starts_with("resolves to "), "{url}: {local}");
            assert!(local.contains("a loopback address"), "{url}: {local}");
            assert!(local.ends_with(hint), "{url}: {local}");
        }
    }

    #[tokio::test]
    async fn a_host_that_does_not_resolve_is_refused_without_the_hint() {
        let reason = refusal("https://no-such-host.invalid/hook").await;
        assert!(
            reason.starts_with("does not resolve") || reason.starts_with("did not resolve"),
            "{reason}"
        );
        assert!(!reason.contains("--webhook-allow-private"), "{reason}");
    }

    #[tokio::test]
    async fn public_addresses_pass_and_allowing_private_targets_skips_the_check() {
        check_target("https://93.184.216.34/hook", TargetPolicy::PublicOnly)
            .await
            .unwrap();
        for url in [
            "http://127.0.0.1:9/",
            "http://localhost:8080/",
            "https://no-such-host.invalid/hook",
        ] {
            check_target(url, TargetPolicy::AllowPrivate).await.unwrap();
        }
    }

    #[test]
    fn secrets_are_64_hex_digits_and_never_repeat() {
        let (first, second) = (new_secret(), new_secret());
        assert_eq!(first.len(), 64);
        assert!(first
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(first, second);
    }
}
