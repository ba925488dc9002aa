//! `GET /rates`: latest quotes of the tracked pairs, or of the pairs asked for.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use fxmon_app::ports::Quote;
use fxmon_app::Tracked;
use fxmon_core::snapshot::format_time;
use fxmon_core::{Currency, Pair};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiQuery};
use crate::http::cached_json;
use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(list_rates))
}

/// A pair's latest rate: the original's shape (`pair`, `rate`, `volatility`, `timestamp`)
/// plus `volatility_log_return` and `source`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateView {
    /// `BASE/QUOTE`: 1 BASE = `rate` QUOTE.
    #[schema(example = "USD/EUR")]
    pub pair: String,
    #[schema(example = 0.8612)]
    pub rate: f64,
    /// Sample standard deviation (n − 1) of the last 20 distinct updates' levels, in
    /// quote-currency units (the original's figure); null until 2 updates.
    pub volatility: Option<f64>,
    /// Sample standard deviation of the log returns over the same window, unit-free;
    /// null until 3 updates.
    pub volatility_log_return: Option<f64>,
    /// The provider's as-of time of this rate (RFC 3339, UTC).
    #[schema(example = "2026-11-26T00:02:31Z")]
    pub timestamp: String,
    /// Where the rate came from.
    #[schema(example = "exchangerate-api.com")]
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

/// Query of `GET /rates`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RatesParams {
    /// Comma-separated pairs (crosses allowed, e.g. `USD/EUR,EUR/GBP`); default: the
    /// tracked pairs.
    pub pairs: Option<String>,
}

/// Latest rates of the tracked pairs (or of `pairs`). Pairs with no data yet are left out.
/// Carries an `ETag`; a matching `If-None-Match` gets `304`.
#[utoipa::path(get, path = "/rates", tag = "rates", params(RatesParams), responses(
    (status = 200, description = "Latest rates", body = [RateView]),
    (status = 304, description = "Unchanged since the ETag in If-None-Match"),
    (status = 404, description = "A currency is not known", body = Problem),
    (status = 422, description = "A pair is malformed", body = Problem),
))]
pub async fn list_rates(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<RatesParams>,
) -> Result<Response, ApiError> {
    let pairs: Vec<Pair> = match (&params.pairs, &deps.tracked) {
        (Some(list), _) => list
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| extract::pair("pairs", p))
            .collect::<Result<_, _>>()?,
        (None, Tracked::Pairs(pairs)) => pairs.clone(),
        (None, Tracked::All) => Currency::all()
            .filter_map(|c| Pair::new(Currency::USD, c).ok())
            .collect(),
    };
    let mut views = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if let Some(quote) = deps.quote(pair).await? {
            views.push(RateView::from(quote));
        }
    }
    Ok(cached_json(&headers, &views))
}
