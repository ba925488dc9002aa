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
            "condition must be one of \"above\", \"below\", got \"sideways\""
        );
    }
}
