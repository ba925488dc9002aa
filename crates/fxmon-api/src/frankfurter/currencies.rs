//! `/v1/currencies`: the currencies the newest data covers, with their names.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::{ApiError, Problem};
use crate::http::cached_json;
use crate::market::currency_names;
use crate::state::ApiDeps;

/// The currencies of the newest stored rates, code → name, as Frankfurter lists the
/// currencies it has rates for (empty while nothing is stored). `GET /currencies` lists
/// every code fxmon knows. Carries an `ETag`.
#[utoipa::path(get, path = "/v1/currencies", tag = "frankfurter", responses(
    (status = 200, description = "Code → name", body = BTreeMap<String, String>,
     example = json!({"EUR": "Euro", "USD": "US Dollar"})),
    (status = 304, description = "Unchanged since the ETag in If-None-Match"),
    (status = 503, description = "The store is unavailable", body = Problem),
))]
pub async fn list_v1_currencies(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snapshot = deps.store.snapshot_at(None).await?;
    let names = match &snapshot {
        Some(snapshot) => currency_names(snapshot.currencies()),
        None => BTreeMap::new(),
    };
    Ok(cached_json(&headers, &names))
}
