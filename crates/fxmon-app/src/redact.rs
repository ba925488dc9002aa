//! Masks connection secrets before anything shows them: logs, `/health`, error messages,
//! `Debug` output. One place decides what a secret looks like (docs/CONNECTIONS.md).

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Whether a setting named `key` holds a secret: a librdkafka property such as
/// `sasl.password`, `ssl.key.pem` or `sasl.oauthbearer.client.secret`, or a URL query
/// parameter such as `password`.
pub fn is_secret_key(key: &str) -> bool {
    const MARKS: [&str; 8] = [
        "password",
        "passwd",
        "secret",
        "token",
        "key.pem",
        "oauthbearer.config",
        "api_key",
        "apikey",
    ];
    let key = key.to_ascii_lowercase();
    MARKS.iter().any(|mark| key.contains(mark))
}

/// `value`, or [`MASK`] when `key` names a secret.
pub fn property<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret_key(key) {
        MASK
    } else {
        value
    }
}

/// `KEY=VALUE` pairs for display, secret values masked.
pub fn properties(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", property(key, value)))
        .collect()
}

/// `text` with the password of every URL in it masked, in the user info
/// (`postgres://fxmon:***@db/fxmon`) and in secret query parameters (`?password=***`).
/// Text without URLs comes back unchanged.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let end = after.find(ends_url).unwrap_or(after.len());
        out.push_str(&url_tail(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `url` with its password masked; see [`text`].
pub fn url(url: &str) -> String {
    text(url)
}

/// Whether `url` carries a password, in its user info or a query parameter.
pub fn has_password(url: &str) -> bool {
    text(url) != url
}

/// Characters that end a URL inside free text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | ',' | ';' | ')')
}

/// Masks the secrets of what follows `scheme://`.
fn url_tail(tail: &str) -> String {
    let authority_end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    let (authority, path) = tail.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:{MASK}@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    authority + &mask_query(path)
}

/// Masks the values of secret query parameters in `path?query#fragment`.
fn mask_query(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{before}?{}", query.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_url_is_masked_and_the_rest_kept() {
        assert_eq!(
            url("postgres://fxmon:s3cr%40t@db:5432/fxmon?sslmode=require"),
            "postgres://fxmon:***@db:5432/fxmon?sslmode=require"
        );
        assert_eq!(
            url("rediss://:hunter2@cache:6380/0"),
            "rediss://:***@cache:6380/0"
        );
    }

    #[test]
    fn a_password_containing_an_at_sign_is_masked_whole() {
        assert_eq!(url("redis://u:a@b@host/0"), "redis://u:***@host/0");
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        assert_eq!(
            url("postgres://db/fxmon?user=fxmon&password=hunter2&sslmode=verify-full#x"),
            "postgres://db/fxmon?user=fxmon&password=***&sslmode=verify-full#x"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for plain in [
            "postgres://fxmon@db/fxmon",
            "redis://127.0.0.1:6379",
            "not a url",
        ] {
            assert_eq!(url(plain), plain);
            assert!(!has_password(plain));
        }
        assert!(has_password("redis://:pw@h"));
    }

    #[test]
    fn every_url_inside_a_message_is_masked() {
        assert_eq!(
            text("Redis URL \"redis://u:pw@a:1\" is invalid; tried postgres://v:pw2@b/c."),
            "Redis URL \"redis://u:***@a:1\" is invalid; tried postgres://v:***@b/c."
        );
    }

    #[test]
    fn secret_looking_kafka_properties_are_masked() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "ssl.key.pem",
            "sasl.oauthbearer.client.secret",
        ] {
            assert_eq!(property(key, "v"), MASK, "{key}");
        }
        for key in ["security.protocol", "sasl.username", "ssl.ca.location"] {
            assert_eq!(property(key, "v"), "v", "{key}");
        }
        let pairs = [("sasl.password".to_owned(), "pw".to_owned())];
        assert_eq!(properties(&pairs), ["sasl.password=***"]);
    }
}
