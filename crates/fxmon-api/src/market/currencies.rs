//! `GET /currencies`: every code fxmon knows, with its name.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use axum::response::Response;
use fxmon_core::Currency;

use crate::http::cached_json;

/// Every currency code fxmon accepts, with its English name, as one object sorted by code
/// (the shape of Frankfurter's and Open Exchange Rates' lists). Knowing a code does not
/// mean rates are stored for it. Carries an `ETag`.
#[utoipa::path(get, path = "/currencies", tag = "rates", responses(
    (status = 200, description = "Code → name", body = BTreeMap<String, String>,
     example = json!({"EUR": "Euro", "USD": "US Dollar"})),
    (status = 304, description = "Unchanged since the ETag in If-None-Match"),
))]
pub async fn list_currencies(headers: HeaderMap) -> Response {
    cached_json(&headers, &names(Currency::all()))
}

/// `{code: name}` for `currencies`, sorted by code.
pub fn names(currencies: impl Iterator<Item = Currency>) -> BTreeMap<String, &'static str> {
    currencies.map(|c| (c.to_string(), c.name())).collect()
}
