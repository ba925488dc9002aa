//! `/rates`: latest quotes of the tracked pairs, and a pair's history.

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{TimeDelta, Utc};
use fxmon_app::ports::{HistoryQuery, Order, Quote};
use fxmon_app::Tracked;
use fxmon_core::snapshot::format_time;
use fxmon_core::{Currency, Pair};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::ApiDeps;

/// One element of `GET /rates`: the seed's shape plus `volatility_log_return` and `source`.
#[derive(Debug, Serialize)]
pub struct RateView {
    pub pair: String,
    pub rate: f64,
    /// Sample standard deviation of the last 20 levels (the seed's figure), price units.
    pub volatility: Option<f64>,
    /// Sample standard deviation of the log returns over the same window, unit-free.
    pub volatility_log_return: Option<f64>,
    /// The provider's as-of time.
    pub timestamp: String,
    pub source: String,
}

impl From<Quote> for RateView {
    fn from(q: Quote) -> Self {
        Self {
            pair: q.pair.to_string(),
            rate: q.rate.get(),
            volatility: q.volatility.level,
            volatility_log_return: q.volatility.log_return,
            timestamp: format_time(q.as_of),
            source: q.source,
        }
    }
}

/// `GET /rates`: the tracked pairs' latest rates (pairs without data yet are left out).
pub async fn list_rates(State(deps): State<ApiDeps>) -> Result<Json<Vec<RateView>>, ApiError> {
    let pairs: Vec<Pair> = match &deps.tracked {
        Tracked::Pairs(pairs) => pairs.clone(),
        Tracked::All => Currency::all()
            .filter_map(|c| Pair::new(Currency::USD, c).ok())
            .collect(),
    };
    let mut views = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if let Some(quote) = deps.quote(pair).await? {
            views.push(quote.into());
        }
    }
    Ok(Json(views))
}

/// Query of `GET /rates/{base}/{quote}/history`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// How far back, in hours (1..=720, default 24).
    pub hours: Option<i64>,
    /// At most this many points (1..=10000, default 100).
    pub limit: Option<u32>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
}

/// One history point.
#[derive(Debug, Serialize)]
pub struct PointView {
    pub pair: String,
    pub rate: f64,
    pub timestamp: String,
    pub source: String,
}

/// `GET /rates/{base}/{quote}/history`.
pub async fn get_history(
    State(deps): State<ApiDeps>,
    Path((base, quote)): Path<(String, String)>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Vec<PointView>>, ApiError> {
    let pair = Pair::parse(&format!("{base}/{quote}")).map_err(|e| ApiError::bad("pair", e))?;
    history(deps, pair, params).await
}

/// `GET /rates/{pair}/history` with the pair URL-encoded (`USD%2FEUR`), as the seed wrote it.
pub async fn get_history_encoded(
    State(deps): State<ApiDeps>,
    Path(pair): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Vec<PointView>>, ApiError> {
    let pair = Pair::parse(&pair).map_err(|e| ApiError::bad("pair", e))?;
    history(deps, pair, params).await
}

async fn history(
    deps: ApiDeps,
    pair: Pair,
    params: HistoryParams,
) -> Result<Json<Vec<PointView>>, ApiError> {
    let hours = params.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::bad(
            "hours",
            format!("{hours} is outside 1..=720"),
        ));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::bad(
            "limit",
            format!("{limit} is outside 1..=10000"),
        ));
    }
    let order = match params.order.as_deref() {
        None | Some("asc") => Order::Asc,
        Some("desc") => Order::Desc,
        Some(other) => {
            return Err(ApiError::bad(
                "order",
                format!("{other:?} must be \"asc\" or \"desc\""),
            ))
        }
    };
    let query = HistoryQuery {
        pair,
        from: Some(Utc::now() - TimeDelta::hours(hours)),
        to: None,
        limit,
        offset: 0,
        order,
    };
    let points = deps.store.history(&query).await?;
    Ok(Json(
        points
            .into_iter()
            .map(|p| PointView {
                pair: pair.to_string(),
                rate: p.rate,
                timestamp: format_time(p.timestamp),
                source: p.source,
            })
            .collect(),
    ))
}
