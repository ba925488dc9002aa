//! A success body turned into [`FetchedRates`]: validated once, here, at the edge.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use fxmon_app::ports::{FetchedRates, SourceError};
use fxmon_core::{Currency, CurrencyError, Rate};
use serde_json::{Map, Value};
use tracing::debug;

use super::provider::{BodyFields, Provider};

/// Reads the base, the as-of time, the next-update time and the rates of `provider`'s body.
/// Unknown codes and invalid rates are skipped (and reported); a missing base, as-of time
/// or rate table, or a table without one valid rate, makes the whole body malformed.
pub(crate) fn parse_rates(provider: Provider, value: &Value) -> Result<FetchedRates, SourceError> {
    let fields = provider.body_fields();
    let body = value
        .as_object()
        .ok_or_else(|| malformed("the body is not a JSON object".to_owned()))?;
    let base = base(body, fields.base)?;
    let as_of = as_of(body, fields.as_of)?;
    let next_update = fields.next_update.and_then(|name| next_update(body, name));
    let table = body
        .get(fields.rates)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            malformed(format!(
                "field `{}` is missing or not an object",
                fields.rates
            ))
        })?;
    let (rates, skipped) = rates(table, base);
    if rates.is_empty() {
        return Err(malformed(no_rates(fields, skipped.len())));
    }
    Ok(FetchedRates {
        base,
        as_of,
        next_update,
        rates,
        skipped,
    })
}

fn malformed(message: String) -> SourceError {
    SourceError::Malformed(message)
}

fn no_rates(fields: BodyFields, skipped: usize) -> String {
    format!(
        "field `{}` holds no valid rate ({skipped} skipped)",
        fields.rates
    )
}

fn base(body: &Map<String, Value>, name: &str) -> Result<Currency, SourceError> {
    let raw = body
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("field `{name}` is missing or not a string")))?;
    Currency::parse(raw).map_err(|e| malformed(format!("field `{name}`: {e}")))
}

fn as_of(body: &Map<String, Value>, name: &str) -> Result<DateTime<Utc>, SourceError> {
    let seconds = body
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed(format!("field `{name}` is missing or not unix seconds")))?;
    unix_time(seconds).ok_or_else(|| malformed(format!("field `{name}` is out of range")))
}

/// The optional next-update time; a bad one is dropped, since the rates are still good.
fn next_update(body: &Map<String, Value>, name: &str) -> Option<DateTime<Utc>> {
    let raw = body.get(name)?;
    let time = raw.as_i64().filter(|s| *s > 0).and_then(unix_time);
    if time.is_none() {
        debug!(field = name, value = %raw, "Ignored an unusable next-update time.");
    }
    time
}

/// A time of years 0000 to 9999 only: RFC 3339, the wire format of `fx-rates`, writes
/// four-digit years, so a later time would make a snapshot every consumer refuses.
fn unix_time(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0).filter(|t| (0..=9999).contains(&t.year()))
}

/// The valid rates against `base` (without `base` itself), and `"CODE: reason"` for the rest.
fn rates(table: &Map<String, Value>, base: Currency) -> (BTreeMap<Currency, Rate>, Vec<String>) {
    let mut rates = BTreeMap::new();
    let mut skipped = Vec::new();
    for (code, value) in table {
        match rate(code, value) {
            Ok((currency, _)) if currency == base => {}
            Ok((currency, rate)) => {
                rates.insert(currency, rate);
            }
            Err(reason) => {
                debug!(%code, %reason, "Skipped a rate the provider returned.");
                skipped.push(format!("{code}: {reason}"));
            }
        }
    }
    (rates, skipped)
}

fn rate(code: &str, value: &Value) -> Result<(Currency, Rate), String> {
    let currency = Currency::parse(code).map_err(|e| match e {
        CurrencyError::Malformed(_) => "not a three-letter currency code".to_owned(),
        CurrencyError::Unknown(_) => "not a currency fxmon knows".to_owned(),
    })?;
    let number = value
        .as_f64()
        .ok_or_else(|| format!("rate {value} is not a number"))?;
    let rate = Rate::new(number).map_err(|e| e.to_string())?;
    Ok((currency, rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v4(rates: Value) -> Value {
        json!({"base": "USD", "time_last_updated": 1764115201, "rates": rates})
    }

    #[test]
    fn the_base_is_left_out_and_every_other_valid_rate_is_kept() {
        let got = parse_rates(
            Provider::ExchangerateApiV4,
            &v4(json!({"USD": 1, "EUR": 0.8637, "JPY": 156})),
        )
        .unwrap();
        assert_eq!(got.base, Currency::USD);
        assert_eq!(got.rates.len(), 2);
        assert_eq!(got.rates[&Currency::EUR].get(), 0.8637);
        assert!(got.skipped.is_empty());
        assert_eq!(got.next_update, None);
        assert_eq!(got.as_of.timestamp(), 1764115201);
    }

    #[test]
    fn bad_entries_are_skipped_with_their_code_and_reason() {
        let body =
            v4(json!({"EUR": 0.86, "ABC": 1.0, "GBP": null, "JPY": "156", "CHF": 0, "X1": 2}));
        let got = parse_rates(Provider::ExchangerateApiV4, &body).unwrap();
        assert_eq!(got.rates.len(), 1);
        let skipped = got.skipped.join("; ");
        for needle in [
            "ABC: not a currency",
            "GBP: rate null",
            "JPY: rate \"156\"",
            "CHF: rate 0",
            "X1: not a three-letter",
        ] {
            assert!(skipped.contains(needle), "{needle} not in {skipped}");
        }
    }

    #[test]
    fn non_positive_and_non_numeric_rates_never_reach_the_rates() {
        let body = v4(
            json!({"EUR": 0.86, "GBP": -0.79, "JPY": 0.0, "CHF": -0.0, "CAD": true,
            "AUD": [1.5], "INR": {"rate": 88}}),
        );
        let got = parse_rates(Provider::ExchangerateApiV4, &body).unwrap();
        assert_eq!(
            got.rates.keys().copied().collect::<Vec<_>>(),
            [Currency::EUR]
        );
        assert_eq!(got.skipped.len(), 6, "{:?}", got.skipped);
        assert!(got.skipped.iter().any(|s| s.starts_with("GBP: rate -0.79")));
    }

    #[test]
    fn a_partial_table_keeps_the_rates_it_has() {
        let got = parse_rates(Provider::ExchangerateApiV4, &v4(json!({"EUR": 0.86}))).unwrap();
        assert_eq!(got.rates.len(), 1);
        assert!(
            got.skipped.is_empty(),
            "a missing currency is not a skipped one"
        );
    }

    #[test]
    fn a_malformed_body_names_the_field_of_its_flavour() {
        let cases = [
            (
                Provider::ExchangerateApiV4,
                json!({"time_last_updated": 1, "rates": {"EUR": 1}}),
                "`base`",
            ),
            (
                Provider::OpenErApi,
                json!({"base_code": "XYZ", "time_last_update_unix": 1, "rates": {}}),
                "`base_code`",
            ),
            (
                Provider::OpenErApi,
                json!({"base_code": "USD", "rates": {"EUR": 1}}),
                "`time_last_update_unix`",
            ),
            (
                Provider::ExchangerateApiV6,
                json!({"base_code": "USD", "time_last_update_unix": 1, "rates": {"EUR": 1}}),
                "`conversion_rates`",
            ),
            (
                Provider::ExchangerateApiV4,
                v4(json!({"EUR": null})),
                "no valid rate",
            ),
            (
                Provider::ExchangerateApiV4,
                json!([1, 2]),
                "not a JSON object",
            ),
        ];
        for (provider, body, needle) in cases {
            let err = parse_rates(provider, &body).unwrap_err();
            assert!(matches!(err, SourceError::Malformed(_)));
            assert!(
                err.to_string().contains(needle),
                "{err} should name {needle}"
            );
        }
    }

    #[test]
    fn a_time_past_year_9999_or_before_year_0_is_out_of_range() {
        for seconds in [253_402_300_800_i64, -62_167_219_201] {
            let body = json!({"base": "USD", "time_last_updated": seconds, "rates": {"EUR": 0.9}});
            let err = parse_rates(Provider::ExchangerateApiV4, &body).unwrap_err();
            assert!(err.to_string().contains("out of range"), "{err}");
            let body = json!({"base_code": "USD", "time_last_update_unix": 1,
                "time_next_update_unix": seconds, "rates": {"EUR": 0.9}});
            let got = parse_rates(Provider::OpenErApi, &body).unwrap();
            assert_eq!(got.next_update, None, "the rates are still good");
        }
    }

    #[test]
    fn a_zero_or_unusable_next_update_time_is_simply_absent() {
        for next in [json!(0), json!("tomorrow"), json!(null)] {
            let body = json!({"base_code": "USD", "time_last_update_unix": 1,
                "time_next_update_unix": next, "rates": {"EUR": 0.9}});
            let got = parse_rates(Provider::OpenErApi, &body).unwrap();
            assert_eq!(got.next_update, None);
        }
    }
}
