//! `GET /rates/{base}/{quote}`: the latest rate of any pair, crosses included.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiPath};
use crate::http::cached_json;
use crate::rates::RateView;
use crate::state::ApiDeps;

/// The latest rate of one pair, with its as-of time, source and volatility. Any two known
/// currencies work: a pair nobody stores directly is answered from its stored legs.
/// Carries an `ETag`; a matching `If-None-Match` gets `304`.
#[utoipa::path(get, path = "/rates/{base}/{quote}", tag = "rates",
    params(
        ("base" = String, Path, description = "Base currency: 1 base = `rate` quote", example = "USD"),
        ("quote" = String, Path, description = "Quote currency", example = "JPY"),
    ),
    responses(
        (status = 200, description = "The latest rate", body = RateView),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 404, description = "A currency is not known, or the pair has no data yet", body = Problem),
        (status = 422, description = "A code is malformed, or base and quote are the same", body = Problem),
        (status = 503, description = "The store is unavailable", body = Problem),
    ))]
pub async fn get_rate(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
    ApiPath((base, quote)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let pair = extract::pair_of(&base, &quote)?;
    let quote = deps.quote(pair).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no rate of {pair} is stored yet (neither directly nor from its legs)"
        ))
    })?;
    Ok(cached_json(&headers, &RateView::from(quote)))
}
