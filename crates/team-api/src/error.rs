//! The one mapping from domain errors to HTTP responses.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use team_core::TeamError;

/// An error as the API returns it: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug)]
pub struct ApiError(pub TeamError);

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`ValidationError`, `Forbidden`, `InvalidTransition`, …).
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The input field concerned, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The HTTP status of a domain error.
pub fn status_of(err: &TeamError) -> StatusCode {
    match err {
        TeamError::Validation { .. } => StatusCode::BAD_REQUEST,
        TeamError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        TeamError::Forbidden(_) => StatusCode::FORBIDDEN,
        TeamError::NotFound(_) => StatusCode::NOT_FOUND,
        TeamError::InvalidTransition(_) | TeamError::Conflict(_) => StatusCode::CONFLICT,
        TeamError::Transient(_) => StatusCode::SERVICE_UNAVAILABLE,
        TeamError::Provisioning(_) => StatusCode::BAD_GATEWAY,
        TeamError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            tracing::error!(code = self.0.code(), error = %self.0, "request failed");
        }
        let message = match &self.0 {
            // The field is reported separately; the message alone reads better in a form.
            TeamError::Validation { field, message } => format!("{field} {message}"),
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_string(),
                message,
                field: self.0.field().map(str::to_string),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<TeamError> for ApiError {
    fn from(err: TeamError) -> Self {
        ApiError(err)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "send the body as JSON with Content-Type: application/json".into()
            }
            other => format!("invalid JSON body: {}", other.body_text()),
        };
        ApiError(TeamError::validation("body", message))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError(TeamError::validation("query", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError(TeamError::NotFound(rejection.body_text()))
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
