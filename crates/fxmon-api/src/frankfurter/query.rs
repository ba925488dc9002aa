//! Frankfurter's query parameters: `base`/`from`, `symbols`/`to`, `amount`.

use fxmon_core::Currency;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract;
use crate::market::input;

/// Query of the Frankfurter endpoints. Each alias pair names one thing; giving both with
/// different values is refused rather than silently picking one.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FrankfurterParams {
    /// The currency to quote against; default `EUR`. Any currency with data works.
    #[param(example = "USD")]
    pub base: Option<String>,
    /// Alias of `base`.
    pub from: Option<String>,
    /// Comma-separated currencies to return; default: every currency with data.
    #[param(example = "EUR,GBP")]
    pub symbols: Option<String>,
    /// Alias of `symbols`.
    pub to: Option<String>,
    /// Rates are multiplied by this: a finite number > 0, default 1.
    #[param(value_type = Option<f64>, example = 10)]
    pub amount: Option<String>,
}

/// The parameters, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RatesQuery {
    pub base: Currency,
    /// `None`: every currency with data. Never contains `base`.
    pub symbols: Option<Vec<Currency>>,
    pub amount: f64,
}

impl FrankfurterParams {
    /// Validates: unknown codes are 404, everything else wrong is 422.
    pub fn parse(self) -> Result<RatesQuery, ApiError> {
        let base = match alias("base", self.base, "from", self.from)? {
            Some((param, raw)) => extract::currency(param, &raw)?,
            None => Currency::EUR,
        };
        let symbols = alias("symbols", self.symbols, "to", self.to)?
            .map(|(param, raw)| symbols(param, &raw, base))
            .transpose()?;
        let amount = match self.amount {
            Some(raw) => input::amount("amount", &raw)?,
            None => 1.0,
        };
        Ok(RatesQuery {
            base,
            symbols,
            amount,
        })
    }
}

/// The value of a parameter that has an alias, with the name it was given under.
fn alias(
    name: &'static str,
    value: Option<String>,
    alias: &'static str,
    alias_value: Option<String>,
) -> Result<Option<(&'static str, String)>, ApiError> {
    match (value, alias_value) {
        (Some(a), Some(b)) if !a.trim().eq_ignore_ascii_case(b.trim()) => Err(ApiError::invalid(
            alias,
            format!("is an alias of `{name}` and names something else ({b:?} vs {a:?}); give one"),
        )),
        (Some(a), _) => Ok(Some((name, a))),
        (None, Some(b)) => Ok(Some((alias, b))),
        (None, None) => Ok(None),
    }
}

/// `USD,GBP` → currencies, repeats and the base dropped (a rate of the base in itself is
/// not listed, as in Frankfurter); at least one must remain.
fn symbols(param: &str, raw: &str, base: Currency) -> Result<Vec<Currency>, ApiError> {
    let mut list = Vec::new();
    for code in raw.split(',').filter(|c| !c.trim().is_empty()) {
        let currency = extract::currency(param, code)?;
        if currency != base && !list.contains(&currency) {
            list.push(currency);
        }
    }
    if list.is_empty() {
        return Err(ApiError::invalid(
            param,
            format!("must name at least one currency other than the base {base}, got {raw:?}"),
        ));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(base: Option<&str>, from: Option<&str>, to: Option<&str>) -> FrankfurterParams {
        FrankfurterParams {
            base: base.map(Into::into),
            from: from.map(Into::into),
            symbols: None,
            to: to.map(Into::into),
            amount: None,
        }
    }

    #[test]
    fn defaults_are_euro_every_symbol_and_an_amount_of_one() {
        let query = params(None, None, None).parse().unwrap();
        assert_eq!(query.base, Currency::EUR);
        assert_eq!((query.symbols, query.amount), (None, 1.0));
    }

    #[test]
    fn aliases_work_alone_and_agree_or_are_refused_together() {
        let query = params(None, Some("usd"), Some("EUR,gbp,usd,EUR"))
            .parse()
            .unwrap();
        assert_eq!(query.base, Currency::USD);
        let codes: Vec<String> = query
            .symbols
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(codes, ["EUR", "GBP"]);
        assert!(params(Some("USD"), Some("usd"), None).parse().is_ok());
        let err = params(Some("USD"), Some("GBP"), None).parse().unwrap_err();
        assert!(
            err.to_string().starts_with("from is an alias of `base`"),
            "{err}"
        );
    }

    #[test]
    fn symbols_naming_only_the_base_are_refused() {
        let err = params(Some("USD"), None, Some("usd")).parse().unwrap_err();
        assert!(err.to_string().contains("other than the base USD"), "{err}");
    }
}
