//! Frankfurter v1 compatibility (<https://frankfurter.dev>): `/v1/latest`, `/v1/{date}`,
//! `/v1/{start}..{end}` and `/v1/currencies` in Frankfurter's shapes, so a Frankfurter client
//! pointed at fxmon works. Rates against any base are crosses of the stored rates.
//!
//! Differences, on purpose: errors are problem details like every other endpoint (Frankfurter
//! answers `{"message": ...}`); rates are not rounded to Frankfurter's display precision, so
//! they equal the other endpoints' figures; a time series is never thinned to weeks.

mod currencies;
mod day;
mod query;
mod series;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new()
        .routes(routes!(day::get_latest))
        .routes(routes!(currencies::list_v1_currencies))
        .routes(routes!(day::get_dated))
}

/// Frankfurter's rates of one day: 1 `base` × `amount` = `rates[X]` X.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FrankfurterDay {
    #[schema(example = 1.0)]
    pub amount: f64,
    #[schema(example = "EUR")]
    pub base: String,
    /// The UTC date of the rates' as-of time.
    #[schema(example = "2026-10-30")]
    pub date: String,
    /// By code, the base itself left out.
    #[schema(example = json!({"GBP": 0.8338, "JPY": 175.68, "USD": 1.1172}))]
    pub rates: BTreeMap<String, f64>,
}

/// Frankfurter's time series: one entry per day with data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FrankfurterSeries {
    #[schema(example = 1.0)]
    pub amount: f64,
    #[schema(example = "EUR")]
    pub base: String,
    /// The first day with data in the range.
    #[schema(example = "2026-10-29")]
    pub start_date: String,
    /// The last day with data in the range.
    #[schema(example = "2026-10-30")]
    pub end_date: String,
    /// Date → code → rate; each day's last stored rate.
    #[schema(example = json!({"2026-10-29": {"USD": 1.1161}, "2026-10-30": {"USD": 1.1172}}))]
    pub rates: BTreeMap<String, BTreeMap<String, f64>>,
}

/// `/v1/{date}` answers one day or, for a range, a series.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FrankfurterDated {
    Day(FrankfurterDay),
    Series(FrankfurterSeries),
}
