//! The persisted shape of an execution.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Status of an execution, as Step Functions reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still running (possibly waiting on a timer or a task token).
    Running,
    /// Reached a Succeed state or an `End`.
    Succeeded,
    /// Reached a Fail state or an uncaught error.
    Failed,
    /// The state machine's `TimeoutSeconds` elapsed.
    TimedOut,
}

impl ExecutionStatus {
    /// Has the execution finished (any status but `Running`)?
    pub fn is_finished(self) -> bool {
        self != ExecutionStatus::Running
    }

    /// The AWS spelling (`RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
        }
    }
}

/// Why an execution sleeps until an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerReason {
    /// A Wait state.
    Wait,
    /// The back-off before a Task's next retry.
    Retry,
}

/// The result of a task token delivered by `send_task_success`/`send_task_failure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenOutcome {
    /// `SendTaskSuccess` with this output.
    Success {
        /// The task output.
        output: Value,
    },
    /// `SendTaskFailure` with this error and cause.
    Failure {
        /// The error name.
        error: String,
        /// The cause.
        cause: String,
    },
}

/// What a running execution waits for before its current state can progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Waiting {
    /// Nothing: the current state is to be run (or re-run, e.g. a Task whose
    /// invocation was interrupted by a crash).
    Nothing,
    /// An instant: a Wait state or a retry back-off.
    Until {
        /// When the execution becomes runnable again.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// Why it sleeps.
        reason: TimerReason,
    },
    /// A task token callback (`.waitForTaskToken`).
    TaskToken {
        /// The token handed to the task.
        token: String,
        /// When the task times out (`TimeoutSeconds`), if ever.
        #[serde(with = "time::serde::rfc3339::option", default)]
        deadline: Option<OffsetDateTime>,
        /// Whether the dispatcher accepted the invocation; `false` means it
        /// must be (re-)invoked.
        dispatched: bool,
    },
    /// A token result arrived and is to be processed.
    TokenResult {
        /// The token the result was sent for.
        token: String,
        /// The result.
        outcome: TokenOutcome,
    },
}

/// Kinds of history events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// The execution started.
    ExecutionStarted,
    /// The execution entered a state (detail: its input).
    StateEntered,
    /// The execution left a state (detail: its output).
    StateExited,
    /// A task was handed to the dispatcher.
    TaskScheduled,
    /// The dispatcher accepted a `.waitForTaskToken` task; a callback is awaited.
    TaskSubmitted,
    /// A task succeeded.
    TaskSucceeded,
    /// A task failed (detail: error and cause).
    TaskFailed,
    /// A failed task will be retried (detail: attempt and instant).
    TaskRetryScheduled,
    /// A Wait state started waiting (detail: until when).
    WaitStarted,
    /// A Wait state finished waiting.
    WaitEnded,
    /// An error was caught by a `Catch` clause (detail: error and next state).
    ErrorCaught,
    /// The execution succeeded (detail: output).
    ExecutionSucceeded,
    /// The execution failed (detail: error and cause).
    ExecutionFailed,
    /// The execution exceeded its `TimeoutSeconds`.
    ExecutionTimedOut,
}

/// One entry of an execution's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// When it happened (engine clock).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The state it concerns, if any.
    #[serde(default)]
    pub state: Option<String>,
    /// Small event-specific details.
    #[serde(default)]
    pub detail: Value,
}

/// Everything the engine knows about one execution; saved to the
/// [`ExecutionStore`](crate::ExecutionStore) after every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// The execution name (unique).
    pub name: String,
    /// The registered name of its state machine.
    pub state_machine: String,
    /// Current status.
    pub status: ExecutionStatus,
    /// The execution input.
    pub input: Value,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub start_time: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub stop_time: Option<OffsetDateTime>,
    /// When it times out (state machine `TimeoutSeconds`).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub timeout_at: Option<OffsetDateTime>,
    /// The state it is in (for a finished execution: the last state).
    pub current_state: Option<String>,
    /// When it entered the current state.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub state_entered_time: Option<OffsetDateTime>,
    /// The raw input of the current state.
    pub state_input: Value,
    /// What the current state waits for.
    pub waiting: Waiting,
    /// Attempts made so far by each retrier of the current state (same order as `Retry`).
    #[serde(default)]
    pub retry_attempts: Vec<u64>,
    /// Output, once succeeded.
    #[serde(default)]
    pub output: Option<Value>,
    /// Error name, once failed or timed out.
    #[serde(default)]
    pub error: Option<String>,
    /// Error cause, once failed or timed out.
    #[serde(default)]
    pub cause: Option<String>,
    /// Everything that happened, oldest first.
    #[serde(default)]
    pub history: Vec<HistoryEvent>,
}

impl ExecutionRecord {
    /// The task token the execution currently waits on, if any.
    pub fn pending_token(&self) -> Option<&str> {
        match &self.waiting {
            Waiting::TaskToken { token, .. } if self.status == ExecutionStatus::Running => {
                Some(token)
            }
            _ => None,
        }
    }
}
