//! `GET /cross-rates`: the full matrix of rates between some currencies, both directions,
//! now or as stored at a past time.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use fxmon_app::Tracked;
use fxmon_core::snapshot::format_time;
use fxmon_core::{CrossError, Currency, RateSnapshot};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiQuery};
use crate::http::cached_json;
use crate::params;
use crate::state::ApiDeps;

const PARAM: &str = "currencies";

/// Query of `GET /cross-rates`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CrossRatesParams {
    /// Comma-separated codes, at least two, e.g. `EUR,GBP,JPY`. Default: the currencies of
    /// the tracked pairs (every currency of the newest data when all are tracked).
    #[param(example = "EUR,GBP,JPY")]
    pub currencies: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD (that day's end): the matrix comes from the newest
    /// snapshot stored at or before it. Default: the newest snapshot.
    #[param(example = "2026-10-30T12:00:00Z")]
    pub at: Option<String>,
}

/// Every rate between the chosen currencies, from one stored snapshot.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CrossRates {
    /// The provider's as-of time of the snapshot every rate comes from.
    #[schema(example = "2026-10-30T00:00:00Z")]
    pub timestamp: String,
    /// Where the snapshot came from.
    #[schema(example = "ecb")]
    pub source: String,
    /// The currency the snapshot is quoted against; every other rate is a cross through it.
    #[schema(example = "EUR")]
    pub base: String,
    /// The matrix's currencies, in the order asked for.
    #[schema(example = json!(["EUR", "GBP", "JPY"]))]
    pub currencies: Vec<String>,
    /// `rates[A][B]`: how many B one A buys, for every A ≠ B, so `rates[A][B] × rates[B][A] = 1`.
    #[schema(example = json!({"EUR": {"GBP": 0.8338, "JPY": 175.68}, "GBP": {"EUR": 1.1993, "JPY": 210.7}, "JPY": {"EUR": 0.005692, "GBP": 0.004746}}))]
    pub rates: BTreeMap<String, BTreeMap<String, f64>>,
}

/// The cross-rate matrix of `currencies` from the newest stored snapshot (at or before
/// `at`, when given), both directions. Carries an `ETag`; a matching `If-None-Match` gets
/// `304`.
#[utoipa::path(get, path = "/cross-rates", tag = "rates", params(CrossRatesParams), responses(
    (status = 200, description = "The matrix", body = CrossRates),
    (status = 304, description = "Unchanged since the ETag in If-None-Match"),
    (status = 404, description = "A currency is not known, or nothing is stored (at or before `at`)", body = Problem),
    (status = 422, description = "Fewer than two currencies, one malformed, one without data, or a malformed `at`", body = Problem),
    (status = 503, description = "The store is unavailable", body = Problem),
))]
pub async fn get_cross_rates(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CrossRatesParams>,
) -> Result<Response, ApiError> {
    let asked = params.currencies.as_deref().map(parse_list).transpose()?;
    let at = params
        .at
        .as_deref()
        .map(|raw| params::time_bound("at", raw, true))
        .transpose()?;
    let snapshot = deps
        .store
        .snapshot_at(at)
        .await?
        .ok_or_else(|| nothing_stored(at))?;
    let currencies = match asked {
        Some(list) => with_data(&snapshot, list)?,
        None => defaults(&deps.tracked, &snapshot)?,
    };
    let body = CrossRates {
        timestamp: format_time(snapshot.timestamp),
        source: snapshot.source.clone(),
        base: snapshot.base.to_string(),
        currencies: currencies.iter().map(Currency::to_string).collect(),
        rates: matrix(&snapshot, &currencies)?,
    };
    Ok(cached_json(&headers, &body))
}

/// The 404 when no snapshot is stored (at or before `at`).
fn nothing_stored(at: Option<DateTime<Utc>>) -> ApiError {
    match at {
        None => ApiError::NotFound("no rates are stored yet".into()),
        Some(at) => ApiError::NotFound(format!(
            "no rates are stored at or before `at` ({})",
            format_time(at)
        )),
    }
}

/// Parses `EUR,GBP,JPY`, dropping repeats; at least two different codes.
fn parse_list(raw: &str) -> Result<Vec<Currency>, ApiError> {
    let mut list = Vec::new();
    for code in raw.split(',').filter(|c| !c.trim().is_empty()) {
        let currency = extract::currency(PARAM, code)?;
        if !list.contains(&currency) {
            list.push(currency);
        }
    }
    if list.len() < 2 {
        return Err(ApiError::invalid(
            PARAM,
            format!(
                "must name at least 2 different currencies, got {}",
                list.len()
            ),
        ));
    }
    Ok(list)
}

/// The list as asked, once each currency is known to have a rate in `snapshot`.
fn with_data(snapshot: &RateSnapshot, list: Vec<Currency>) -> Result<Vec<Currency>, ApiError> {
    match list.iter().find(|c| snapshot.per_base(**c).is_none()) {
        Some(missing) => Err(ApiError::invalid(
            PARAM,
            format!(
                "{missing} has no rate in the newest stored data ({}, as of {})",
                snapshot.source,
                format_time(snapshot.timestamp)
            ),
        )),
        None => Ok(list),
    }
}

/// The tracked currencies that have a rate in `snapshot` (all of its currencies for `All`).
fn defaults(tracked: &Tracked, snapshot: &RateSnapshot) -> Result<Vec<Currency>, ApiError> {
    let wanted: BTreeSet<Currency> = tracked
        .currencies()
        .unwrap_or_else(|| snapshot.currencies().collect());
    let present: Vec<Currency> = wanted
        .into_iter()
        .filter(|c| snapshot.per_base(*c).is_some())
        .collect();
    if present.len() < 2 {
        return Err(ApiError::NotFound(format!(
            "the newest stored data has rates for fewer than 2 tracked currencies; \
             name some with ?{PARAM}=EUR,GBP"
        )));
    }
    Ok(present)
}

/// `rates[A][B]` for every A ≠ B of `currencies`; every leg was checked, so only an
/// overflow can fail here.
fn matrix(
    snapshot: &RateSnapshot,
    currencies: &[Currency],
) -> Result<BTreeMap<String, BTreeMap<String, f64>>, ApiError> {
    let matrix = snapshot.cross_matrix(currencies).map_err(|e| match e {
        CrossError::Missing(c) => ApiError::invalid(PARAM, format!("{c} has no rate")),
        CrossError::OutOfRange { .. } => ApiError::invalid(PARAM, e),
    })?;
    let row = |i: usize| {
        let others = currencies.iter().enumerate().filter(|&(j, _)| j != i);
        others
            .map(|(j, to)| (to.to_string(), matrix.get(i, j)))
            .collect()
    };
    Ok(currencies
        .iter()
        .enumerate()
        .map(|(i, from)| (from.to_string(), row(i)))
        .collect())
}
