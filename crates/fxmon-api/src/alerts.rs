//! Placeholder: filled in by its own change.

use utoipa_axum::router::OpenApiRouter;

use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new()
}
