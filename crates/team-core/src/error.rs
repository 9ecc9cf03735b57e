//! The one error type of the domain.
//!
//! Every variant has a stable [`TeamError::code`]: the HTTP API puts it in
//! `{"error": {"code", "message"}}` and the step handlers use it as the Step
//! Functions error name that the state machines' `Retry`/`Catch` match on.

use thiserror::Error;

/// Everything that can go wrong in TEAM-rs, by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TeamError {
    /// A field of the caller's input is malformed or out of range.
    #[error("{field}: {message}")]
    Validation {
        /// The input field concerned, as named in the API (`durationMinutes`).
        field: String,
        /// What is wrong with it and what would be accepted.
        message: String,
    },
    /// No verified identity came with the call.
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist (or the caller may not know it does).
    #[error("{0}")]
    NotFound(String),
    /// The request is not in a status that allows this action.
    #[error("{0}")]
    InvalidTransition(String),
    /// Someone else changed the item first (optimistic concurrency); reload and retry.
    #[error("concurrent update of {0}; reload and try again")]
    Conflict(String),
    /// A dependency failed in a way that is worth retrying (throttling, timeouts).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Identity Center refused or failed an account assignment operation.
    #[error("provisioning failed: {0}")]
    Provisioning(String),
    /// A dependency failed permanently or data is inconsistent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl TeamError {
    /// Shorthand for a [`TeamError::Validation`].
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        TeamError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable machine-readable name of this error: API error code and Step Functions error name.
    pub fn code(&self) -> &'static str {
        match self {
            TeamError::Validation { .. } => "ValidationError",
            TeamError::Unauthenticated(_) => "Unauthenticated",
            TeamError::Forbidden(_) => "Forbidden",
            TeamError::NotFound(_) => "NotFound",
            TeamError::InvalidTransition(_) => "InvalidTransition",
            TeamError::Conflict(_) => "Conflict",
            TeamError::Transient(_) => "TeamTransientError",
            TeamError::Provisioning(_) => "TeamProvisioningError",
            TeamError::Internal(_) => "TeamInternalError",
        }
    }

    /// The field an input error concerns, so a form can show the message beside it.
    pub fn field(&self) -> Option<&str> {
        match self {
            TeamError::Validation { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Result alias used throughout the domain.
pub type TeamResult<T> = Result<T, TeamError>;
