//! `POST /alerts`: the original's `{pair, condition, threshold}`, plus the alert engine's
//! optional fields, validated by the core's rule.

use axum::extract::State;
use axum::http::{header, HeaderName, StatusCode};
use axum::{Extension, Json};
use chrono::Utc;
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports;
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::{AlertRule, Condition};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::input::{self, invalid_rule, present, store_failure};
use super::views::{AlertView, CreatedAlertView};
use super::webhook;
use super::wire::{AlertCondition, AlertDirection, AlertFrequency};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{self, ApiJson};
use crate::state::ApiDeps;

/// Body of `POST /alerts`. Only `pair`, `condition` and `threshold` are required; an
/// optional field may be left out but not `null`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// Two known currencies, crosses included: `USD/EUR` (also `USD-EUR`, `USDEUR`,
    /// `USD%2FEUR`, any case).
    #[schema(example = "USD/EUR")]
    pub pair: String,
    #[schema(value_type = AlertCondition, example = "below")]
    pub condition: String,
    /// A finite number > 0: a rate in quote-currency units; a percentage for `change_pct`
    /// (1.5 = 1.5 %); a volatility for `volatility_above`.
    #[schema(value_type = f64, example = 0.85, exclusive_minimum = 0.0)]
    pub threshold: Value,
    /// `change_pct` only, and required there: the look-back window, 1..=2678400 (31 days).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u32, minimum = 1, maximum = 2678400, example = 3600)]
    pub window_seconds: Option<u32>,
    /// `change_pct` only: which way the move must go. Default `either`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = AlertDirection)]
    pub direction: Option<String>,
    /// How far back past the threshold the value must go before the alert re-arms, in the
    /// threshold's units: >= 0 and below the threshold. Default 0.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, minimum = 0.0, example = 0.005)]
    pub hysteresis: Option<f64>,
    /// No second notification within this many seconds of one. Default 3600.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u32, example = 3600)]
    pub cooldown_seconds: Option<u32>,
    /// Default `recurring`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = AlertFrequency)]
    pub frequency: Option<String>,
    /// An RFC 3339 time in the future, after which the alert never fires.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-31T00:00:00Z")]
    pub expires_at: Option<String>,
    /// An `http` or `https` URL to POST each trigger to, signed: the 201 returns the
    /// signing secret, once. Its host must resolve, and only to public addresses, unless
    /// fxmon runs with `--webhook-allow-private`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, example = "https://hooks.example.com/fx")]
    pub webhook_url: Option<String>,
}

/// Creates an active alert. It notifies once per episode (each time its condition becomes
/// true, re-arming once it is false again), at most once per cooldown. With a
/// `webhook_url`, the answer carries the `webhook_secret` that signs its deliveries: it is
/// shown only here.
#[utoipa::path(post, path = "/alerts", tag = "alerts", request_body = NewAlert, responses(
    (status = 201, description = "Created", body = CreatedAlertView,
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
    Extension(targets): Extension<TargetPolicy>,
    caller: Caller,
    ApiJson(body): ApiJson<NewAlert>,
) -> Result<
    (
        StatusCode,
        [(HeaderName, String); 1],
        Json<CreatedAlertView>,
    ),
    ApiError,
> {
    let now = Utc::now();
    let mut new = new_alert(body, now)?;
    new.owner = caller.owner();
    if let Some(url) = &new.webhook_url {
        webhook::check_target(url, targets).await?;
    }
    let record = deps
        .alerts
        .create_alert(&new)
        .await
        .map_err(store_failure)?;
    let rule = &record.rule;
    let (id, pair, condition) = (rule.id, rule.pair, rule.condition);
    let webhook = new.webhook_url.is_some();
    tracing::info!(alert_id = id, %pair, %condition, threshold = rule.threshold, webhook, "Alert created.");
    let location = [(header::LOCATION, format!("/alerts/{id}"))];
    let created = CreatedAlertView {
        alert: AlertView::new(record, now),
        webhook_secret: new.webhook_secret,
    };
    Ok((StatusCode::CREATED, location, Json(created)))
}

/// The alert `body` asks for, checked field by field, then as a whole rule.
fn new_alert(body: NewAlert, now: chrono::DateTime<Utc>) -> Result<ports::NewAlert, ApiError> {
    let pair = extract::pair("pair", &body.pair)?;
    let condition = input::condition(&body.condition)?;
    let threshold = input::threshold(&body.threshold)?;
    let direction = body
        .direction
        .map(|raw| raw.parse::<Direction>().map_err(invalid_rule))
        .transpose()?;
    let frequency = body
        .frequency
        .map(|raw| raw.parse::<Frequency>().map_err(invalid_rule))
        .transpose()?;
    let expires_at = body
        .expires_at
        .map(|raw| input::expires_at(&raw, now))
        .transpose()?;
    let webhook_url = body
        .webhook_url
        .map(|raw| webhook::webhook_url(&raw))
        .transpose()?;
    let defaults = AlertRule::new(0, pair, condition, threshold);
    let rule = AlertRule {
        window_seconds: body.window_seconds,
        // Stored explicitly, so the alert shows the direction it watches.
        direction: direction.or((condition == Condition::ChangePct).then_some(Direction::Either)),
        hysteresis: body.hysteresis.unwrap_or(defaults.hysteresis),
        cooldown_seconds: body.cooldown_seconds.unwrap_or(defaults.cooldown_seconds),
        frequency: frequency.unwrap_or(defaults.frequency),
        expires_at,
        ..defaults
    };
    rule.validate().map_err(invalid_rule)?;
    Ok(ports::NewAlert {
        rule,
        webhook_secret: webhook_url.as_ref().map(|_| webhook::new_secret()),
        webhook_url,
        owner: None,
    })
}
