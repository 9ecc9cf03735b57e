//! # team-api
//!
//! The TEAM-rs HTTP API: one axum [`router`] over the domain service. `teamd`
//! serves it directly; the Lambda functions mount the same router through
//! `lambda_http`. Errors are `{"error": {"code", "message"}}` with 400, 401,
//! 403, 404, 409 (or 5xx when a dependency fails).

use std::sync::Arc;

use axum::Router;
use team_core::Team;

pub mod auth;
pub mod error;
mod routes;

pub use auth::{Authenticator, HmacJwt};
pub use error::{ApiError, ApiResult};

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The application service.
    pub team: Team,
    /// How callers are identified.
    pub auth: Arc<dyn Authenticator>,
}

/// The whole `/api` router.
pub fn router(state: AppState) -> Router {
    routes::routes().with_state(state)
}

/// The OpenAPI 3 document of every route of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}
