//! Error types of the crate.

/// A definition could not be loaded: bad JSON, a bad substitution, or
/// something outside the supported ASL subset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AslError {
    /// The (substituted) definition is not valid JSON.
    #[error("state machine definition is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A `${Name}` placeholder has no value in the substitutions.
    #[error("definition substitution: placeholder `${{{name}}}` has no value")]
    UnknownPlaceholder {
        /// The placeholder name (without `${` and `}`).
        name: String,
    },
    /// A `${` is not followed by a name (letters, digits, `_.-:`) and `}`.
    #[error(
        "definition substitution: placeholder starting at byte {offset} is not a `${{Name}}` (unclosed or invalid name)"
    )]
    UnterminatedPlaceholder {
        /// Byte offset of the `${` in the raw definition.
        offset: usize,
    },
    /// A top-level field of the definition is missing, malformed or unsupported.
    #[error("state machine definition: field `{field}`: {reason}")]
    Definition {
        /// The top-level field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of a state is missing, malformed or unsupported.
    #[error("state `{state}`: field `{field}`: {reason}")]
    State {
        /// The state's name.
        state: String,
        /// The field (for nested fields, a path like `Retry[0].ErrorEquals`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Failure of an [`ExecutionStore`](crate::ExecutionStore) backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (I/O, database, ...).
    #[error("execution store failure: {message}")]
    Backend {
        /// A human-readable description of the failure.
        message: String,
    },
    /// A stored record could not be encoded or decoded.
    #[error("execution record could not be (de)serialized: {message}")]
    Corrupt {
        /// A human-readable description of the failure.
        message: String,
    },
}

impl StoreError {
    /// Wrap any displayable backend error.
    pub fn backend(error: impl std::fmt::Display) -> StoreError {
        StoreError::Backend {
            message: error.to_string(),
        }
    }
}

/// Errors of the [`Engine`](crate::Engine) API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No state machine is registered under this name.
    #[error("state machine `{name}` does not exist")]
    StateMachineDoesNotExist {
        /// The requested state machine name.
        name: String,
    },
    /// The execution name is not valid (1 to 80 characters, no whitespace,
    /// control characters or any of `<>{}[]?*"#%\^|~`$&,;:/`).
    #[error("invalid execution name `{name}`")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// An execution with this name exists with a different input or state machine.
    #[error("execution `{name}` already exists")]
    ExecutionAlreadyExists {
        /// The execution name.
        name: String,
    },
    /// The task token is unknown or was already used.
    #[error("invalid or already used task token")]
    InvalidToken,
    /// The task this token belongs to has timed out.
    #[error("the task for this token has timed out")]
    TaskTimedOut,
    /// The execution store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A worker running an execution stopped abnormally.
    #[error("execution worker failed: {message}")]
    Worker {
        /// A description of the failure.
        message: String,
    },
}
