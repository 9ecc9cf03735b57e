//! `team-asl`: an in-process executor for a portable subset of the Amazon
//! States Language (AWS Step Functions).
//!
//! The local server runs the same `statemachines/*.asl.json` files that AWS
//! runs. Definitions are validated when loaded ([`StateMachine::parse`]):
//! anything outside the supported subset (Map/Parallel states, intrinsic
//! functions, JSONata, heartbeats, `.sync` integrations, ...) is rejected
//! with an error naming the state and the field.
//!
//! Supported states: Task (request/response and `.waitForTaskToken`, with
//! Retry/Catch and timeouts), Pass, Wait, Choice, Succeed and Fail, with
//! `InputPath`, `Parameters`, `ResultSelector`, `ResultPath` and `OutputPath`
//! processed in AWS order. Paths are reference paths (`$.a.b`, `$.a[0]`,
//! `$['a']`, `$$.Task.Token`).
//!
//! [`Engine`] runs executions against a [`TaskDispatcher`] (which performs the
//! tasks) and an [`ExecutionStore`] (which persists every step so a restarted
//! process resumes where it stopped).

mod choice;
mod definition;
mod engine;
mod error;
mod interpreter;
mod path;
mod record;
mod store;
mod template;

use serde::{Deserialize, Serialize};

pub use definition::StateMachine;
pub use engine::{Clock, Engine};
pub use error::{AslError, EngineError, StoreError};
pub use record::{
    EventKind, ExecutionRecord, ExecutionStatus, HistoryEvent, TimerReason, TokenOutcome, Waiting,
};
pub use store::{ExecutionStore, MemoryExecutionStore};

/// Failure of a task, as Step Functions sees it: error name + cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    /// The error name matched by `Retry`/`Catch` `ErrorEquals`.
    pub error: String,
    /// Human-readable details.
    pub cause: String,
}

impl TaskFailure {
    /// A failure with this error name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskFailure {
        TaskFailure {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for TaskFailure {}

/// Performs the work of Task states (teamd maps resources to its handlers).
#[async_trait::async_trait]
pub trait TaskDispatcher: Send + Sync {
    /// Run a Task state's resource with its effective Parameters (after path
    /// and context resolution). `resource` has any `.waitForTaskToken` suffix
    /// removed. Return what AWS would return as the task result; for a
    /// `.waitForTaskToken` task the value is ignored (the result comes from
    /// [`Engine::send_task_success`]) but an error fails the task.
    async fn invoke(
        &self,
        resource: &str,
        parameters: serde_json::Value,
    ) -> Result<serde_json::Value, TaskFailure>;
}
