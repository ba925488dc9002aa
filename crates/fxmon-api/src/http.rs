//! HTTP conveniences for rate reads: strong validators (`ETag`), `Cache-Control`, `304 Not
//! Modified`, and CSV on `Accept: text/csv`.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// How long clients and proxies may reuse a rate read without revalidating: short, since
/// rates move, and an `ETag` makes the revalidation cheap.
pub const RATE_MAX_AGE_SECS: u32 = 5;

/// A JSON response with an `ETag` over its bytes and `Cache-Control`; `304` without a body
/// when the request's `If-None-Match` already names that `ETag`.
pub fn cached_json<T: Serialize>(request: &HeaderMap, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("response types serialize");
    cached(request, body, "application/json")
}

/// `cached_json` for a body already rendered with the given content type.
pub fn cached(request: &HeaderMap, body: Vec<u8>, content_type: &'static str) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    let etag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    let cache_control = HeaderValue::from_str(&format!("public, max-age={RATE_MAX_AGE_SECS}"))
        .expect("valid header value");
    if matches(request, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)],
        )
            .into_response();
    }
    (
        [
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache_control),
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        ],
        Body::from(body),
    )
        .into_response()
}

/// True when the client asked for CSV (`Accept: text/csv`).
pub fn wants_csv(request: &HeaderMap) -> bool {
    accepts(request, "text/csv")
}

/// True when `Accept` names `media_type` itself (not through a wildcard): what a browser
/// sends for `text/html`, and an API client does not.
pub fn accepts(request: &HeaderMap, media_type: &str) -> bool {
    request
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().split(';').next() == Some(media_type))
}

/// Whether `If-None-Match` lists `etag` (or `*`). Weak comparison, as RFC 9110 asks for GET.
fn matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default();
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == ours)
}

/// FNV-1a: a stable 64-bit hash, so an `ETag` survives restarts for the same bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn a_matching_if_none_match_gives_304_and_any_other_gives_the_body() {
        let first = cached_json(&HeaderMap::new(), &[1, 2, 3]);
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = cached_json(
            &headers(&[(header::IF_NONE_MATCH, &format!("\"x\", W/{etag}"))]),
            &[1, 2, 3],
        );
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let changed = cached_json(&headers(&[(header::IF_NONE_MATCH, &etag)]), &[1, 2, 4]);
        assert_eq!(changed.status(), StatusCode::OK);
        assert_ne!(changed.headers()[header::ETAG], etag.as_str());
    }

    #[test]
    fn csv_is_chosen_only_when_accepted() {
        assert!(wants_csv(&headers(&[(header::ACCEPT, "text/csv")])));
        assert!(wants_csv(&headers(&[(
            header::ACCEPT,
            "application/json;q=0.5, text/csv;q=0.9"
        )])));
        assert!(!wants_csv(&headers(&[(
            header::ACCEPT,
            "application/json"
        )])));
        assert!(!wants_csv(&HeaderMap::new()));
    }
}
