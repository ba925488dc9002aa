//! Reading the alert endpoints' input: ids, conditions, thresholds, and serde's errors
//! turned into problems that name the field.

use fxmon_core::Condition;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::views::AlertCondition;
use crate::error::ApiError;

/// An alert id from the path: anything but an integer is a 422 naming `id`.
pub fn alert_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid("id", format!("must be an integer alert id, got {raw:?}")))
}

/// The 404 of an alert that does not exist or was deleted.
pub fn no_alert(id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "alert {id} does not exist or was deleted; GET /alerts lists the alerts"
    ))
}

/// A condition by its wire name; the 422 lists the allowed names.
pub fn condition(raw: &str) -> Result<Condition, ApiError> {
    raw.parse().map_err(|_| {
        let allowed: Vec<String> = AlertCondition::ALL
            .iter()
            .map(|c| format!("{:?}", Condition::from(*c).as_str()))
            .collect();
        ApiError::invalid(
            "condition",
            format!("must be one of {}, got {raw:?}", allowed.join(", ")),
        )
    })
}

/// A threshold: a finite number > 0. Taken as any JSON value so that a string or `null`
/// gets this message too, rather than serde's.
pub fn threshold(value: &Value) -> Result<f64, ApiError> {
    value
        .as_f64()
        .filter(|t| t.is_finite() && *t > 0.0)
        .ok_or_else(|| {
            ApiError::invalid(
                "threshold",
                format!("must be a finite number > 0, got {value}"),
            )
        })
}

/// For optional fields where `null` is not "absent" but a wrong value: with
/// `#[serde(default, deserialize_with = "present")]`, a missing field is `None` and a
/// present one (even `null`) is deserialized as `T`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Moves the field a body or query error is about from serde's message into `param`, so a
/// problem says `"param": "threshold"` rather than `"param": "body"`. serde words these
/// errors "missing field `x`", "unknown field `x`, expected ...", "duplicate field `x`"
/// and, with the path, "x: invalid type ...". A number too large for an `f64` is valid JSON
/// that serde_json cannot parse (a 400 so far): it is an invalid value of its field, a 422.
pub fn name_field(error: ApiError) -> ApiError {
    match &error {
        ApiError::Invalid { param, message } if param == "body" || param == "query" => {
            field_error(message).unwrap_or(error)
        }
        ApiError::Malformed(message) => out_of_range(message).unwrap_or(error),
        _ => error,
    }
}

fn out_of_range(message: &str) -> Option<ApiError> {
    let (before, _) = message.split_once(": number out of range")?;
    let field = before.rsplit(": ").next().filter(|f| is_path(f))?;
    Some(ApiError::invalid(field, "is a number out of range"))
}

fn field_error(message: &str) -> Option<ApiError> {
    // serde_json's position adds nothing once the field is named.
    let message = message.split(" at line ").next().unwrap_or(message);
    let (path, reason) = match message.split_once(": ") {
        Some((path, reason)) if is_path(path) => (Some(path), reason),
        _ => (None, message),
    };
    if let Some(rest) = reason.strip_prefix("missing field `") {
        let (field, _) = rest.split_once('`')?;
        return Some(ApiError::invalid(field, "is required"));
    }
    if let Some(rest) = reason.strip_prefix("duplicate field `") {
        let (field, _) = rest.split_once('`')?;
        return Some(ApiError::invalid(field, "is given twice"));
    }
    if let Some(rest) = reason.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once("`, ")?;
        return Some(ApiError::invalid(
            field,
            format!("is not a known field; {expected}"),
        ));
    }
    path.map(|field| ApiError::invalid(field, format!("is invalid: {reason}")))
}

/// A field path as serde_path_to_error writes it (`threshold`, `items[0].pair`).
fn is_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_and_text(error: ApiError) -> (String, String) {
        match &error {
            ApiError::Invalid { param, .. } => (param.clone(), error.to_string()),
            other => panic!("not a 422: {other:?}"),
        }
    }

    #[test]
    fn serde_errors_name_the_field_they_are_about() {
        let cases = [
            ("missing field `threshold` at line 1 column 40", "threshold", "threshold is required"),
            (
                "unknown field `note`, expected one of `pair`, `condition`, `threshold` at line 1 column 9",
                "note",
                "note is not a known field; expected one of `pair`, `condition`, `threshold`",
            ),
            (
                "duplicate field `pair` at line 1 column 30",
                "pair",
                "pair is given twice",
            ),
            (
                "limit: invalid digit found in string",
                "limit",
                "limit is invalid: invalid digit found in string",
            ),
        ];
        for (message, param, text) in cases {
            let (got_param, got_text) =
                param_and_text(name_field(ApiError::invalid("body", message)));
            assert_eq!((got_param.as_str(), got_text.as_str()), (param, text));
        }
    }

    #[test]
    fn a_number_too_large_for_a_float_is_an_invalid_value_not_a_malformed_body() {
        let message = "the body is not valid JSON: Failed to parse the request body as JSON: \
                       threshold: number out of range at line 1 column 55";
        let (param, text) = param_and_text(name_field(ApiError::Malformed(message.into())));
        assert_eq!(
            (param.as_str(), text.as_str()),
            ("threshold", "threshold is a number out of range")
        );
        let syntax = ApiError::Malformed("the body is not valid JSON: expected value".into());
        assert!(matches!(name_field(syntax), ApiError::Malformed(_)));
    }

    #[test]
    fn errors_about_the_whole_body_or_another_param_keep_their_param() {
        let whole = "invalid type: string \"x\", expected struct NewAlert at line 1 column 3";
        assert_eq!(
            param_and_text(name_field(ApiError::invalid("body", whole))).0,
            "body"
        );
        let other = ApiError::invalid("pair", "missing field `x`");
        assert_eq!(param_and_text(name_field(other)).0, "pair");
    }

    #[test]
    fn a_threshold_must_be_a_finite_positive_number() {
        assert_eq!(threshold(&serde_json::json!(0.85)).unwrap(), 0.85);
        for (value, shown) in [
            (serde_json::json!(-1), "got -1"),
            (serde_json::json!(0), "got 0"),
            (serde_json::json!("abc"), "got \"abc\""),
            (serde_json::json!(null), "got null"),
        ] {
            let text = threshold(&value).unwrap_err().to_string();
            assert_eq!(
                text,
                format!("threshold must be a finite number > 0, {shown}")
            );
        }
    }

    #[test]
    fn an_unknown_condition_is_refused_with_the_allowed_names() {
        assert_eq!(condition("above").unwrap(), Condition::Above);
        let text = condition("sideways").unwrap_err().to_string();
        assert_eq!(
            text,
            "condition must be one of \"above\", \"below\", got \"sideways\""
        );
    }
}
