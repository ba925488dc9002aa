//! Alert rules: create, list, read, pause/resume or change, and (softly) delete.

use axum::extract::State;
use axum::http::{header, HeaderName, StatusCode};
use axum::Json;
use fxmon_app::ports::{AlertFilter, AlertPatch};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::input::{self, alert_id, no_alert, present};
use super::views::{AlertCondition, AlertView};
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiJson, ApiPath, ApiQuery};
use crate::state::ApiDeps;

/// Body of `POST /alerts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// Two known currencies, crosses included: `USD/EUR` (also `USD-EUR`, `USDEUR`,
    /// `USD%2FEUR`, any case).
    #[schema(example = "USD/EUR")]
    pub pair: String,
    #[schema(value_type = AlertCondition, example = "below")]
    pub condition: String,
    /// A finite number > 0, in quote-currency units.
    #[schema(value_type = f64, example = 0.85, exclusive_minimum = 0.0)]
    pub threshold: Value,
}

/// Body of `PATCH /alerts/{id}`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(min_properties = 1)]
#[serde(deny_unknown_fields)]
pub struct AlertChange {
    /// `false` pauses the alert, `true` resumes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    pub active: Option<bool>,
    /// A new threshold: a finite number > 0.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, example = 0.84, exclusive_minimum = 0.0)]
    pub threshold: Option<Value>,
}

/// Query of `GET /alerts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsParams {
    /// Only alerts that are not paused. Default false.
    pub active_only: Option<bool>,
    /// Only alerts on this pair (`USD/EUR`, `USD-EUR`, `USDEUR` or `USD%2FEUR`).
    pub pair: Option<String>,
}

/// Creates an active alert. It fires once each time its condition becomes true.
#[utoipa::path(post, path = "/alerts", tag = "alerts", request_body = NewAlert, responses(
    (status = 201, description = "Created", body = AlertView,
        headers(("Location" = String, description = "The new alert's URL: /alerts/{id}"))),
    (status = 400, description = "The body is not JSON", body = Problem,
        content_type = "application/problem+json"),
    (status = 404, description = "A currency is not known", body = Problem,
        content_type = "application/problem+json"),
    (status = 422, description = "A field is missing, unknown or invalid", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn create_alert(
    State(deps): State<ApiDeps>,
    ApiJson(body): ApiJson<NewAlert>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<AlertView>), ApiError> {
    let pair = extract::pair("pair", &body.pair)?;
    let condition = input::condition(&body.condition)?;
    let threshold = input::threshold(&body.threshold)?;
    let record = deps.alerts.create_alert(pair, condition, threshold).await?;
    let id = record.rule.id;
    tracing::info!(alert_id = id, %pair, %condition, threshold, "Alert created.");
    let location = [(header::LOCATION, format!("/alerts/{id}"))];
    Ok((StatusCode::CREATED, location, Json(record.into())))
}

/// The alerts not deleted, by id; `active_only` leaves out paused ones.
#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertsParams), responses(
    (status = 200, description = "Alerts, by id", body = [AlertView]),
    (status = 404, description = "A currency of `pair` is not known", body = Problem,
        content_type = "application/problem+json"),
    (status = 422, description = "A parameter is unknown or invalid", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn list_alerts(
    State(deps): State<ApiDeps>,
    ApiQuery(params): ApiQuery<AlertsParams>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let filter = AlertFilter {
        active_only: params.active_only.unwrap_or(false),
        pair: params
            .pair
            .map(|raw| extract::pair("pair", &raw))
            .transpose()?,
    };
    let alerts = deps.alerts.list_alerts(&filter).await?;
    Ok(Json(alerts.into_iter().map(AlertView::from).collect()))
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
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    let record = deps
        .alerts
        .get_alert(id)
        .await?
        .ok_or_else(|| no_alert(id))?;
    Ok(Json(record.into()))
}

/// Pauses (`"active": false`) or resumes (`"active": true`) an alert, or changes its
/// threshold. A paused alert is not evaluated.
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
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AlertChange>,
) -> Result<Json<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    let patch = AlertPatch {
        active: body.active,
        threshold: body.threshold.as_ref().map(input::threshold).transpose()?,
    };
    if patch == AlertPatch::default() {
        return Err(ApiError::invalid(
            "body",
            "has nothing to change: set `active`, `threshold` or both",
        ));
    }
    let record = deps
        .alerts
        .update_alert(id, &patch)
        .await?
        .ok_or_else(|| no_alert(id))?;
    tracing::info!(
        alert_id = id,
        active = record.active,
        threshold = record.rule.threshold,
        "Alert changed."
    );
    Ok(Json(record.into()))
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
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = alert_id(&id)?;
    if !deps.alerts.delete_alert(id).await? {
        return Err(no_alert(id));
    }
    tracing::info!(alert_id = id, "Alert deleted.");
    Ok(StatusCode::NO_CONTENT)
}
