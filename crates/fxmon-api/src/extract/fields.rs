//! serde's errors turned into problems that name the field they are about.

use crate::error::ApiError;

/// Moves the field a body or query error is about from serde's message into `param`, so a
/// problem says `"param": "threshold"` rather than `"param": "body"`. serde words these
/// errors "missing field `x`", "unknown field `x`, expected ...", "duplicate field `x`"
/// and, with the path, "x: invalid type ...". A number too large for an `f64` is valid JSON
/// that serde_json cannot parse (a 400 so far): it is an invalid value of its field, a 422.
pub(crate) fn name_field(error: ApiError) -> ApiError {
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
}
