//! exchangerate-api.com's error bodies, `{"result":"error","error-type":"..."}`, turned into
//! [`SourceError::Refused`] with advice an operator can act on.

use fxmon_app::ports::SourceError;
use serde_json::Value;

use super::config::API_KEY_ENV;

/// The longest provider-supplied error type we repeat; the rest is cut so a broken proxy
/// cannot flood the logs.
const MAX_KIND_LEN: usize = 64;

/// The refusal an error body stands for; `None` when `value` is not an error body.
pub(crate) fn from_value(value: &Value) -> Option<SourceError> {
    if value.get("result").and_then(Value::as_str) != Some("error") {
        return None;
    }
    let kind = value
        .get("error-type")
        .and_then(Value::as_str)
        .unwrap_or("unspecified");
    Some(from_error_type(kind))
}

/// Like [`from_value`], for a body that may not even be JSON.
pub(crate) fn from_body(body: &[u8]) -> Option<SourceError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| from_value(&value))
}

/// The refusal for one `error-type`; unknown types keep their raw name.
pub(crate) fn from_error_type(kind: &str) -> SourceError {
    let advice = advice(kind).map(str::to_owned).unwrap_or_else(|| {
        "exchangerate-api.com reported an error fxmon does not know; \
         see https://www.exchangerate-api.com/docs"
            .to_owned()
    });
    SourceError::Refused {
        kind: kind.chars().take(MAX_KIND_LEN).collect(),
        advice,
    }
}

/// True for the error types exchangerate-api.com documents.
pub(crate) fn is_known(kind: &str) -> bool {
    advice(kind).is_some()
}

/// The refusal for a 4xx that carried no error body.
pub(crate) fn from_status(status: u16) -> SourceError {
    let advice = match status {
        401 | 403 => format!("the provider denied access; check {API_KEY_ENV} and the plan"),
        404 => "the provider has no such endpoint; check the source URL and flavour".to_owned(),
        _ => "the provider rejected the request; check the source URL and flavour".to_owned(),
    };
    SourceError::Refused {
        kind: format!("HTTP {status}"),
        advice,
    }
}

fn advice(kind: &str) -> Option<&'static str> {
    let advice = match kind {
        "invalid-key" => "the API key is not valid; check FXMON_EXCHANGERATE_API_KEY",
        "inactive-account" => {
            "the account is inactive until its email address is confirmed; \
             confirm it from exchangerate-api.com's email, then retry"
        }
        "quota-reached" => {
            "the account has used its monthly request quota; upgrade the plan, \
             wait for the monthly quota reset, or use a keyless source (open.er-api.com)"
        }
        "unsupported-code" => "the provider does not support the requested base currency",
        "malformed-request" => {
            "the provider could not read fxmon's request; this is a bug in fxmon, please report it"
        }
        "plan-upgrade-required" => {
            "this endpoint needs a higher plan; upgrade it or use a keyless source"
        }
        "no-data-available" => {
            "the provider has no data for this request; retry later or use another source"
        }
        _ => return None,
    };
    Some(advice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> (String, String) {
        match from_body(body.as_bytes()) {
            Some(SourceError::Refused { kind, advice }) => (kind, advice),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn each_documented_error_type_gets_advice_that_says_what_to_do() {
        let cases = [
            ("invalid-key", API_KEY_ENV),
            ("inactive-account", "email"),
            ("quota-reached", "upgrade"),
            ("quota-reached", "keyless"),
            ("unsupported-code", "base currency"),
            ("malformed-request", "bug"),
        ];
        for (kind, needle) in cases {
            let body = format!(r#"{{"result":"error","error-type":"{kind}"}}"#);
            let (got, advice) = refusal(&body);
            assert_eq!(got, kind);
            assert!(advice.contains(needle), "{kind}: {advice}");
        }
    }

    #[test]
    fn an_unknown_error_type_is_kept_raw() {
        let (kind, _) = refusal(r#"{"result":"error","error-type":"brand-new-thing"}"#);
        assert_eq!(kind, "brand-new-thing");
        assert!(!is_known("brand-new-thing"));
    }

    #[test]
    fn only_bodies_whose_result_is_error_are_error_bodies() {
        assert!(from_body(br#"{"result":"success"}"#).is_none());
        assert!(from_body(b"<html>Not Found</html>").is_none());
        assert!(from_body(br#"{"rates":{}}"#).is_none());
    }
}
