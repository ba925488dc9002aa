//! Alert rules: list, read, pause/resume or change, and (softly) delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use fxmon_app::ports::{AlertFilter, AlertPatch};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::input::{self, alert_id, no_alert, present, store_failure};
use super::views::AlertView;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiJson, ApiPath, ApiQuery};
use crate::state::ApiDeps;

/// Body of `PATCH /alerts/{id}`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(min_properties = 1)]
#[serde(deny_unknown_fields)]
pub struct AlertChange {
    /// `false` pauses the alert, `true` resumes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    pub active: Option<bool>,
    /// A new threshold: a finite number > 0. A new threshold is a new rule: its arm state
    /// and cooldown start over.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, example = 0.84, exclusive_minimum = 0.0)]
    pub threshold: Option<Value>,
    /// A new hysteresis: >= 0 and below the threshold. Like a new threshold, it starts the
    /// arm state and cooldown over.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, minimum = 0.0, example = 0.005)]
    pub hysteresis: Option<f64>,
    /// A new cooldown, in seconds; the last notification's time is kept.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u32, example = 600)]
    pub cooldown_seconds: Option<u32>,
}

/// Query of `GET /alerts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsParams {
    /// Only active alerts: not paused, fired (`once`) or expired. Default false.
    pub active_only: Option<bool>,
    /// Only alerts on this pair (`USD/EUR`, `USD-EUR`, `USDEUR` or `USD%2FEUR`).
    pub pair: Option<String>,
}

/// The alerts not deleted, by id; `active_only` leaves out the inactive ones.
#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertsParams), responses(
    (status = 200, description = "Alerts, by id", body = [AlertView]),
    (status = 404, description = "A currency of `pair` is not known", body = Problem,
        content_type = "application/problem+json"),
    (status = 422, description = "A parameter is unknown or invalid", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn list_alerts(
    State(deps): State<ApiDeps>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AlertsParams>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let filter = AlertFilter {
        active_only: params.active_only.unwrap_or(false),
        pair: params
            .pair
            .map(|raw| extract::pair("pair", &raw))
            .transpose()?,
        owner: caller.owned(),
    };
    let alerts = deps.alerts.list_alerts(&filter).await?;
    let now = Utc::now();
    let views = alerts.into_iter().map(|a| AlertView::new(a, now));
    Ok(Json(views.collect()))
}

/// One alert.
#[utoipa::path(get, path = "/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert", body = AlertView),
        (status = 404, description = "No such alert, or it was deleted", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The id is not an integer", body = Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn get_alert(
    State(deps): State<ApiDeps>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    let record = owned_alert(&deps, caller, id).await?;
    Ok(Json(AlertView::new(record, Utc::now())))
}

/// Pauses (`"active": false`) or resumes (`"active": true`) an alert, or changes its
/// threshold, hysteresis or cooldown. A paused alert is not evaluated. A new threshold or
/// hysteresis is a new rule: it re-arms (a `crosses_*` alert waits to see the rate on its
/// near side again) and its cooldown starts over.
#[utoipa::path(patch, path = "/alerts/{id}", tag = "alerts", request_body = AlertChange,
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The changed alert", body = AlertView),
        (status = 400, description = "The body is not JSON", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such alert, or it was deleted", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The id, or a field, is invalid; or nothing to change", body = Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn update_alert(
    State(deps): State<ApiDeps>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AlertChange>,
) -> Result<Json<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    owned_alert(&deps, caller, id).await?;
    let patch = AlertPatch {
        active: body.active,
        threshold: body.threshold.as_ref().map(input::threshold).transpose()?,
        hysteresis: body.hysteresis,
        cooldown_seconds: body.cooldown_seconds,
    };
    if patch == AlertPatch::default() {
        return Err(ApiError::invalid(
            "body",
            "has nothing to change: set `active`, `threshold`, `hysteresis` or \
             `cooldown_seconds`",
        ));
    }
    // The store checks the patched rule (a hysteresis must stay below the threshold).
    let record = deps
        .alerts
        .update_alert(id, &patch)
        .await
        .map_err(store_failure)?
        .ok_or_else(|| no_alert(id))?;
    let rule = &record.rule;
    tracing::info!(
        alert_id = id,
        active = record.active,
        threshold = rule.threshold,
        hysteresis = rule.hysteresis,
        cooldown_seconds = rule.cooldown_seconds,
        "Alert changed."
    );
    Ok(Json(AlertView::new(record, Utc::now())))
}

/// Deletes an alert: it stops firing and leaves the listings; its trigger history stays
/// (`GET /alerts/history?alert_id=`).
#[utoipa::path(delete, path = "/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such alert, or it was already deleted", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The id is not an integer", body = Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn delete_alert(
    State(deps): State<ApiDeps>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = alert_id(&id)?;
    owned_alert(&deps, caller, id).await?;
    if !deps.alerts.delete_alert(id).await? {
        return Err(no_alert(id));
    }
    tracing::info!(alert_id = id, "Alert deleted.");
    Ok(StatusCode::NO_CONTENT)
}

/// Alert `id`, if it exists and `caller` owns it (401 or 403 otherwise).
pub(super) async fn owned_alert(
    deps: &ApiDeps,
    caller: Caller,
    id: i64,
) -> Result<fxmon_app::ports::AlertRecord, ApiError> {
    let record = deps
        .alerts
        .get_alert(id)
        .await?
        .ok_or_else(|| no_alert(id))?;
    caller.check_owner(id, record.owner)?;
    Ok(record)
}
