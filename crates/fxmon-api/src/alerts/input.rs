//! Reading the alert endpoints' input: ids, conditions, thresholds, times, and the core's
//! rule errors turned into problems that name the field.

use chrono::{DateTime, Utc};
use fxmon_app::ports::StoreError;
use fxmon_core::alert::RuleError;
use fxmon_core::Condition;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::wire::AlertCondition;
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

/// An invalid rule: a 422 naming the field the core's error is about.
pub fn invalid_rule(error: RuleError) -> ApiError {
    let field = error.field();
    let text = error.to_string();
    // The core's messages start with the field's name, which the problem's detail adds.
    let message = text.strip_prefix(field).map_or(&*text, str::trim_start);
    ApiError::invalid(field, message)
}

/// A store failure, where a store's refusal of an invalid rule (it validates too, against
/// the stored rule a patch applies to) is the client's 422, not a 500.
pub fn store_failure(error: StoreError) -> ApiError {
    match error {
        StoreError::Rejected(source) if source.is::<RuleError>() => {
            let rule = source.downcast::<RuleError>().expect("checked above");
            invalid_rule(*rule)
        }
        other => other.into(),
    }
}

/// `expires_at`: an RFC 3339 time after `now`.
pub fn expires_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let time = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            ApiError::invalid(
                "expires_at",
                format!("must be an RFC 3339 time such as 2026-12-31T00:00:00Z, got {raw:?}"),
            )
        })?
        .to_utc();
    if time <= now {
        return Err(ApiError::invalid(
            "expires_at",
            format!("must be in the future, got {raw:?}"),
        ));
    }
    Ok(time)
}

/// For optional fields where `null` is not "absent" but a wrong value: with
/// `#[serde(default, deserialize_with = "present")]`, a missing field is `None` and a
/// present one (even `null`) is deserialized as `T`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "condition must be one of \"above\", \"below\", \"crosses_above\", \
             \"crosses_below\", \"change_pct\", \"volatility_above\", got \"sideways\""
        );
    }

    #[test]
    fn a_rule_error_names_its_field_once() {
        let error = invalid_rule(RuleError::WindowMissing);
        assert_eq!(
            error.to_string(),
            "window_seconds is required for change_pct, between 1 and 2678400"
        );
        assert!(matches!(error, ApiError::Invalid { param, .. } if param == "window_seconds"));
    }

    #[test]
    fn expiry_must_be_an_rfc_3339_time_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-10-30T10:00:00Z")
            .unwrap()
            .to_utc();
        let later = expires_at("2026-10-30T12:00:00+01:00", now).unwrap();
        assert_eq!(later.to_rfc3339(), "2026-10-30T11:00:00+00:00");
        for (raw, reason) in [
            ("2026-10-30T10:00:00Z", "in the future"),
            ("2026-10-30", "RFC 3339"),
            ("tomorrow", "RFC 3339"),
        ] {
            let text = expires_at(raw, now).unwrap_err().to_string();
            assert!(
                text.starts_with("expires_at must be") && text.contains(reason),
                "{text}"
            );
        }
    }
}
