//! A pair's history, candles and fluctuation, from the store (crosses from stored legs).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use fxmon_app::ports::{HistoryQuery, Order, RatePoint};
use fxmon_core::snapshot::format_time;
use fxmon_core::Pair;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::candles::{candles, Candle, Interval};
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiPath, ApiQuery};
use crate::http::{cached, cached_json, wants_csv};
use crate::params::{self, within};
use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new()
        .routes(routes!(get_history))
        .routes(routes!(get_history_encoded))
        .routes(routes!(get_ohlc))
        .routes(routes!(get_fluctuation))
}

/// Most points one candle or history request may read.
const MAX_POINTS: u32 = 200_000;

/// Query of the history endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// How far back from now, in hours: 1..=720, default 24. Not with `from`/`to`.
    pub hours: Option<i64>,
    /// Start, inclusive: RFC 3339 or YYYY-MM-DD (that day's start).
    pub from: Option<String>,
    /// End, inclusive: RFC 3339 or YYYY-MM-DD (that day's end). Default: now.
    pub to: Option<String>,
    /// At most this many points: 1..=10000, default 100.
    pub limit: Option<i64>,
    /// Points to skip first, default 0.
    pub offset: Option<i64>,
    /// `asc` (default, as the original) or `desc`.
    pub order: Option<String>,
}

/// One stored point.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PointView {
    #[schema(example = "USD/EUR")]
    pub pair: String,
    pub rate: f64,
    /// The provider's as-of time.
    pub timestamp: String,
    pub source: String,
}

/// A pair's stored history, crosses derived from stored legs at the same time. JSON, or CSV
/// (`pair,timestamp,rate,source`) on `Accept: text/csv`. Carries an `ETag`.
#[utoipa::path(get, path = "/rates/{base}/{quote}/history", tag = "rates",
    params(("base" = String, Path, description = "Base currency, e.g. USD"),
           ("quote" = String, Path, description = "Quote currency, e.g. EUR"), HistoryParams),
    responses(
        (status = 200, description = "Points in time order", content(
            (Vec<PointView> = "application/json"),
            (String = "text/csv", example = "pair,timestamp,rate,source\nUSD/EUR,2026-11-26T00:02:31Z,0.8612,exchangerate-api.com\n"),
        )),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known", body = Problem),
        (status = 422, description = "A parameter is invalid", body = Problem),
    ))]
pub async fn get_history(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath((base, quote)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<Response, ApiError> {
    history(&deps, &headers, extract::pair_of(&base, &quote)?, params).await
}

/// The original's form, with the pair URL-encoded in one segment: `/rates/USD%2FEUR/history`.
#[utoipa::path(get, path = "/rates/{base}/history", tag = "rates",
    params(("base" = String, Path, description = "The pair, URL-encoded: USD%2FEUR (also USD-EUR, USDEUR)"), HistoryParams),
    responses(
        (status = 200, description = "Points in time order", body = [PointView]),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known", body = Problem),
        (status = 422, description = "A parameter is invalid", body = Problem),
    ))]
pub async fn get_history_encoded(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath(pair): ApiPath<String>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<Response, ApiError> {
    history(&deps, &headers, extract::pair("pair", &pair)?, params).await
}

async fn history(
    deps: &ApiDeps,
    headers: &HeaderMap,
    pair: Pair,
    params: HistoryParams,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let (from, to) = if params.from.is_some() || params.to.is_some() {
        if params.hours.is_some() {
            return Err(ApiError::invalid(
                "hours",
                "cannot be combined with `from`/`to`",
            ));
        }
        let (from, to) = params::range(
            params.from.as_deref(),
            params.to.as_deref(),
            TimeDelta::MAX,
            now,
        )?;
        // An open start means "from the beginning" rather than "a default span".
        (params.from.as_ref().map(|_| from), Some(to))
    } else {
        let hours = within("hours", params.hours.unwrap_or(24), 1, 720)?;
        (Some(now - TimeDelta::hours(hours)), None)
    };
    let query = HistoryQuery {
        pair,
        from,
        to,
        limit: within("limit", params.limit.unwrap_or(100), 1, 10_000)? as u32,
        offset: within("offset", params.offset.unwrap_or(0), 0, i64::from(u32::MAX))? as u32,
        order: order(params.order.as_deref())?,
    };
    let points = deps.store.history(&query).await?;
    if wants_csv(headers) {
        return Ok(cached(
            headers,
            csv(pair, &points).into_bytes(),
            "text/csv; charset=utf-8",
        ));
    }
    let views: Vec<PointView> = points.into_iter().map(|p| view(pair, p)).collect();
    Ok(cached_json(headers, &views))
}

fn order(raw: Option<&str>) -> Result<Order, ApiError> {
    match raw {
        None | Some("asc") => Ok(Order::Asc),
        Some("desc") => Ok(Order::Desc),
        Some(other) => Err(ApiError::invalid(
            "order",
            format!("must be \"asc\" or \"desc\", got {other:?}"),
        )),
    }
}

fn view(pair: Pair, point: RatePoint) -> PointView {
    PointView {
        pair: pair.to_string(),
        rate: point.rate,
        timestamp: format_time(point.timestamp),
        source: point.source,
    }
}

fn csv(pair: Pair, points: &[RatePoint]) -> String {
    let mut out = String::from("pair,timestamp,rate,source\n");
    for p in points {
        // Sources are fxmon's own labels (no commas or quotes), so no quoting is needed.
        out.push_str(&format!(
            "{pair},{},{},{}\n",
            format_time(p.timestamp),
            p.rate,
            p.source
        ));
    }
    out
}

/// Query of `/ohlc`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OhlcParams {
    /// Bucket size: `1m`, `5m`, `15m`, `1h`, `1d` (default) or `1w`, in UTC (`5m` buckets
    /// start at :00, :05, ...; weeks start Monday 00:00 UTC).
    pub interval: Option<String>,
    /// Start, inclusive (RFC 3339 or YYYY-MM-DD). Default: 100 intervals before `to`.
    pub from: Option<String>,
    /// End, inclusive (RFC 3339 or YYYY-MM-DD). Default: now.
    pub to: Option<String>,
}

/// Open, high, low and close of the stored points in each UTC bucket; buckets without
/// points are left out.
#[utoipa::path(get, path = "/rates/{base}/{quote}/ohlc", tag = "rates",
    params(("base" = String, Path, description = "Base currency"),
           ("quote" = String, Path, description = "Quote currency"), OhlcParams),
    responses(
        (status = 200, description = "Candles in time order", body = [Candle]),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known", body = Problem),
        (status = 422, description = "A parameter is invalid, or the range holds too many points", body = Problem),
    ))]
pub async fn get_ohlc(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath((base, quote)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<OhlcParams>,
) -> Result<Response, ApiError> {
    let pair = extract::pair_of(&base, &quote)?;
    let interval = Interval::parse(params.interval.as_deref().unwrap_or("1d"))?;
    let (from, to) = params::range(
        params.from.as_deref(),
        params.to.as_deref(),
        interval.span() * 100,
        Utc::now(),
    )?;
    let points = points_between(&deps, pair, from, to).await?;
    Ok(cached_json(&headers, &candles(&points, interval)))
}

/// Query of `/fluctuation`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FluctuationParams {
    /// Start, inclusive (RFC 3339 or YYYY-MM-DD). Default: 24 hours before `to`.
    pub from: Option<String>,
    /// End, inclusive (RFC 3339 or YYYY-MM-DD). Default: now.
    pub to: Option<String>,
}

/// How a pair moved between the first and the last stored point of a range.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Fluctuation {
    pub pair: String,
    pub from: String,
    pub to: String,
    pub start_rate: f64,
    pub start_timestamp: String,
    pub end_rate: f64,
    pub end_timestamp: String,
    /// `end_rate - start_rate`.
    pub change: f64,
    /// `change / start_rate × 100`.
    pub change_pct: f64,
}

/// Start, end, change and change in percent of a pair over a range.
#[utoipa::path(get, path = "/rates/{base}/{quote}/fluctuation", tag = "rates",
    params(("base" = String, Path, description = "Base currency"),
           ("quote" = String, Path, description = "Quote currency"), FluctuationParams),
    responses(
        (status = 200, description = "The move over the range", body = Fluctuation),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known, or no data in the range", body = Problem),
        (status = 422, description = "A parameter is invalid", body = Problem),
    ))]
pub async fn get_fluctuation(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath((base, quote)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<FluctuationParams>,
) -> Result<Response, ApiError> {
    let pair = extract::pair_of(&base, &quote)?;
    let (from, to) = params::range(
        params.from.as_deref(),
        params.to.as_deref(),
        TimeDelta::hours(24),
        Utc::now(),
    )?;
    let edge = |order| HistoryQuery {
        pair,
        from: Some(from),
        to: Some(to),
        limit: 1,
        offset: 0,
        order,
    };
    let first = deps
        .store
        .history(&edge(Order::Asc))
        .await?
        .into_iter()
        .next();
    let last = deps
        .store
        .history(&edge(Order::Desc))
        .await?
        .into_iter()
        .next();
    let (Some(start), Some(end)) = (first, last) else {
        return Err(ApiError::NotFound(format!(
            "no {pair} data between {} and {}",
            format_time(from),
            format_time(to)
        )));
    };
    let change = end.rate - start.rate;
    let body = Fluctuation {
        pair: pair.to_string(),
        from: format_time(from),
        to: format_time(to),
        start_rate: start.rate,
        start_timestamp: format_time(start.timestamp),
        end_rate: end.rate,
        end_timestamp: format_time(end.timestamp),
        change,
        change_pct: change / start.rate * 100.0,
    };
    Ok(cached_json(&headers, &body))
}

/// Every point of `pair` in the range, oldest first; refuses ranges over [`MAX_POINTS`].
async fn points_between(
    deps: &ApiDeps,
    pair: Pair,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RatePoint>, ApiError> {
    let query = HistoryQuery {
        pair,
        from: Some(from),
        to: Some(to),
        limit: MAX_POINTS + 1,
        offset: 0,
        order: Order::Asc,
    };
    let points = deps.store.history(&query).await?;
    if points.len() > MAX_POINTS as usize {
        return Err(ApiError::invalid(
            "from",
            format!("the range holds more than {MAX_POINTS} points; narrow `from`/`to` or use a larger interval"),
        ));
    }
    Ok(points)
}
