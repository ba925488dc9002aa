//! `GET /alerts/history`: when alerts fired, newest first.

use axum::extract::State;
use axum::Json;
use fxmon_app::ports::TriggerFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::TriggerView;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiQuery};
use crate::params::within;
use crate::state::ApiDeps;

/// Query of `GET /alerts/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertHistoryParams {
    /// At most this many triggers: 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Triggers to skip first, default 0.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Only this alert's triggers; a deleted alert's are still there.
    pub alert_id: Option<i64>,
    /// Only triggers on this pair (`USD/EUR`, `USD-EUR`, `USDEUR` or `USD%2FEUR`).
    pub pair: Option<String>,
}

/// Recorded triggers, newest first (by the as-of time of the rate that fired them).
#[utoipa::path(get, path = "/alerts/history", tag = "alerts", params(AlertHistoryParams),
    responses(
        (status = 200, description = "Triggers, newest first", body = [TriggerView]),
        (status = 404, description = "A currency of `pair` is not known", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A parameter is unknown or invalid", body = Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn list_alert_history(
    State(deps): State<ApiDeps>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AlertHistoryParams>,
) -> Result<Json<Vec<TriggerView>>, ApiError> {
    let filter = TriggerFilter {
        limit: within("limit", params.limit.unwrap_or(100), 1, 1000)? as u32,
        offset: within("offset", params.offset.unwrap_or(0), 0, i64::from(u32::MAX))? as u32,
        alert_id: params.alert_id,
        pair: params
            .pair
            .map(|raw| extract::pair("pair", &raw))
            .transpose()?,
        // Only the caller's alerts' triggers: another key's `alert_id` lists nothing.
        owner: caller.owned(),
    };
    let triggers = deps.alerts.triggers(&filter).await?;
    Ok(Json(triggers.into_iter().map(TriggerView::from).collect()))
}
