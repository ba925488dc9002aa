//! `/v1/latest` and `/v1/{date}`: the rates of one day, against any base.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use fxmon_core::{Pair, RateSnapshot};

use super::query::{FrankfurterParams, RatesQuery};
use super::{series, FrankfurterDated, FrankfurterDay};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::http::cached_json;
use crate::market::input;
use crate::state::ApiDeps;

/// The newest rates, Frankfurter's `GET /latest`. Carries an `ETag`.
#[utoipa::path(get, path = "/v1/latest", tag = "frankfurter", params(FrankfurterParams),
    responses(
        (status = 200, description = "The newest rates", body = FrankfurterDay),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known, or there is no data for it", body = Problem),
        (status = 422, description = "A parameter is invalid", body = Problem),
        (status = 503, description = "The store is unavailable", body = Problem),
    ))]
pub async fn get_latest(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<FrankfurterParams>,
) -> Result<Response, ApiError> {
    let query = params.parse()?;
    let day = day(&deps, &query, None).await?;
    Ok(cached_json(&headers, &day))
}

/// Frankfurter's `GET /{date}` and `GET /{start}..{end}`. A date gives the rates of that day,
/// or of the closest earlier day with data; a range gives every day with data in it (an
/// open end, `2024-01-01..`, runs to today). Carries an `ETag`.
#[utoipa::path(get, path = "/v1/{date}", tag = "frankfurter",
    params(
        ("date" = String, Path,
         description = "`YYYY-MM-DD` for one day, `START..END` or `START..` for a series",
         example = "2026-10-01..2026-10-30"),
        FrankfurterParams,
    ),
    responses(
        (status = 200, description = "One day (`date`) or a series (`start_date`, `end_date`)", body = FrankfurterDated),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known, or there is no data", body = Problem),
        (status = 422, description = "The date or a parameter is invalid", body = Problem),
        (status = 503, description = "The store is unavailable", body = Problem),
    ))]
pub async fn get_dated(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath(date): ApiPath<String>,
    ApiQuery(params): ApiQuery<FrankfurterParams>,
) -> Result<Response, ApiError> {
    let query = params.parse()?;
    let answer = match date.split_once("..") {
        Some((start, end)) => {
            FrankfurterDated::Series(series::series(&deps, &query, start, end).await?)
        }
        None => {
            let day_end = input::end_of(input::date("date", &date)?);
            FrankfurterDated::Day(day(&deps, &query, Some(day_end)).await?)
        }
    };
    Ok(cached_json(&headers, &answer))
}

/// The rates of the newest stored snapshot at or before `at` (now if `None`).
async fn day(
    deps: &ApiDeps,
    query: &RatesQuery,
    at: Option<DateTime<Utc>>,
) -> Result<FrankfurterDay, ApiError> {
    let snapshot = deps.store.snapshot_at(at).await?.ok_or_else(|| {
        ApiError::NotFound(match at {
            Some(at) => format!("no rates are stored on or before {}", at.date_naive()),
            None => "no rates are stored yet".to_owned(),
        })
    })?;
    let date = snapshot.timestamp.date_naive();
    if snapshot.per_base(query.base).is_none() {
        return Err(ApiError::NotFound(format!(
            "no rate for {} is stored on {date}",
            query.base
        )));
    }
    let rates = rates(&snapshot, query)?;
    if rates.is_empty() {
        return Err(ApiError::NotFound(format!(
            "none of the symbols has a rate on {date}"
        )));
    }
    Ok(FrankfurterDay {
        amount: query.amount,
        base: query.base.to_string(),
        date: date.to_string(),
        rates,
    })
}

/// `amount ×` the cross rate of base/X for each symbol (every currency of the snapshot by
/// default). A symbol without data that day is left out, as Frankfurter does.
fn rates(snapshot: &RateSnapshot, query: &RatesQuery) -> Result<BTreeMap<String, f64>, ApiError> {
    let symbols = match &query.symbols {
        Some(symbols) => symbols.clone(),
        None => snapshot.currencies().collect(),
    };
    let mut rates = BTreeMap::new();
    for symbol in symbols {
        let Ok(pair) = Pair::new(query.base, symbol) else {
            continue; // the base itself
        };
        if let Ok(rate) = snapshot.cross(pair) {
            let value = input::scaled("amount", query.amount, rate.get())?;
            rates.insert(symbol.to_string(), value);
        }
    }
    Ok(rates)
}
