//! An alert's webhook: the URL a user gives, and the secret fxmon signs deliveries with.

use axum::http::uri::{Scheme, Uri};
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
