//! Alert rules and their trigger history: `POST/GET /alerts`, `GET/PATCH/DELETE
//! /alerts/{id}` and `GET /alerts/history`.
//!
//! `/alerts/history` and `/alerts/{id}` share a prefix; the router prefers the static
//! segment, so `history` never reaches `get_alert` as an id.

mod create;
mod history;
mod input;
mod rules;
mod state;
mod views;
mod webhook;
mod wire;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new()
        .routes(routes!(rules::list_alerts, create::create_alert))
        .routes(routes!(
            rules::get_alert,
            rules::update_alert,
            rules::delete_alert
        ))
        .routes(routes!(history::list_alert_history))
}
