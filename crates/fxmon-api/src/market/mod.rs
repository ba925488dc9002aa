//! Market reads beyond the original: one pair's latest rate (crosses included), the cross
//! rate matrix, conversion, and the currency list.

mod convert;
mod cross;
mod currencies;
pub(crate) mod input;
mod rate;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

pub(crate) use currencies::names as currency_names;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new()
        .routes(routes!(rate::get_rate))
        .routes(routes!(cross::get_cross_rates))
        .routes(routes!(convert::get_conversion))
        .routes(routes!(currencies::list_currencies))
}
