//! `GET /convert`: an amount from one currency to another, now or on a past day.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use fxmon_core::snapshot::format_time;
use fxmon_core::{CrossError, Currency, Pair};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::input;
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiQuery};
use crate::http::cached_json;
use crate::state::ApiDeps;

/// Query of `GET /convert`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    /// The currency of `amount`.
    #[param(example = "EUR")]
    pub from: String,
    /// The currency to convert into.
    #[param(example = "JPY")]
    pub to: String,
    /// How much of `from`: a finite number > 0.
    #[param(value_type = f64, example = 100)]
    pub amount: String,
    /// `YYYY-MM-DD`: convert at that UTC day's rate (the newest stored at or before the
    /// day's end). Default: the latest rate.
    #[param(example = "2026-10-30")]
    pub date: Option<String>,
}

/// A conversion: `result = amount × rate`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Conversion {
    #[schema(example = "EUR")]
    pub from: String,
    #[schema(example = "JPY")]
    pub to: String,
    #[schema(example = 100.0)]
    pub amount: f64,
    /// How many `to` one `from` buys.
    #[schema(example = 175.68)]
    pub rate: f64,
    #[schema(example = 17568.0)]
    pub result: f64,
    /// The provider's as-of time of the rate; null when `from` = `to` (no rate is needed).
    #[schema(required = true, example = "2026-10-30T00:00:00Z")]
    pub timestamp: Option<String>,
    /// Where the rate came from; null when `from` = `to`.
    #[schema(required = true, example = "ecb")]
    pub source: Option<String>,
    /// The day asked for, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-10-30")]
    pub date: Option<String>,
}

/// Where a rate came from.
struct Origin {
    as_of: DateTime<Utc>,
    source: String,
}

/// Converts `amount` of `from` into `to` at the latest rate, or at the rate of `date`.
/// Crosses are computed from stored legs. Carries an `ETag`.
#[utoipa::path(get, path = "/convert", tag = "rates", params(ConvertParams), responses(
    (status = 200, description = "The conversion", body = Conversion),
    (status = 304, description = "Unchanged since the ETag in If-None-Match"),
    (status = 404, description = "A currency is not known, or no rate is stored (at or before `date`)", body = Problem),
    (status = 422, description = "A parameter is missing, malformed or out of range", body = Problem),
    (status = 503, description = "The store is unavailable", body = Problem),
))]
pub async fn get_conversion(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ConvertParams>,
) -> Result<Response, ApiError> {
    let from = extract::currency("from", &params.from)?;
    let to = extract::currency("to", &params.to)?;
    let amount = input::amount("amount", &params.amount)?;
    let date = params
        .date
        .as_deref()
        .map(|raw| input::date("date", raw))
        .transpose()?;
    let (rate, origin) = match (Pair::new(from, to), date) {
        (Err(_), _) => (1.0, None),
        (Ok(pair), None) => latest(&deps, pair).await?,
        (Ok(pair), Some(day)) => on_day(&deps, pair, day).await?,
    };
    let body = Conversion {
        from: from.to_string(),
        to: to.to_string(),
        amount,
        rate,
        result: input::scaled("amount", amount, rate)?,
        timestamp: origin.as_ref().map(|o| format_time(o.as_of)),
        source: origin.map(|o| o.source),
        date: date.map(|d| d.to_string()),
    };
    Ok(cached_json(&headers, &body))
}

/// The latest rate of `pair`, as `GET /rates/{base}/{quote}` gives it.
async fn latest(deps: &ApiDeps, pair: Pair) -> Result<(f64, Option<Origin>), ApiError> {
    let quote = deps
        .quote(pair)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no rate of {pair} is stored yet")))?;
    let origin = Origin {
        as_of: quote.as_of,
        source: quote.source,
    };
    Ok((quote.rate.get(), Some(origin)))
}

/// The rate of `pair` in the newest snapshot at or before the end of `day` (UTC).
async fn on_day(
    deps: &ApiDeps,
    pair: Pair,
    day: NaiveDate,
) -> Result<(f64, Option<Origin>), ApiError> {
    let snapshot = deps
        .store
        .snapshot_at(Some(input::end_of(day)))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no rates are stored at or before {day}")))?;
    let rate = snapshot.cross(pair).map_err(|e| match e {
        CrossError::Missing(currency) => missing(currency, day, &snapshot.source),
        CrossError::OutOfRange { .. } => ApiError::invalid("to", e),
    })?;
    let origin = Origin {
        as_of: snapshot.timestamp,
        source: snapshot.source,
    };
    Ok((rate.get(), Some(origin)))
}

fn missing(currency: Currency, day: NaiveDate, source: &str) -> ApiError {
    ApiError::NotFound(format!(
        "the newest rates at or before {day} (from {source}) have no rate for {currency}"
    ))
}
