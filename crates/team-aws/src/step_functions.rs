//! [`Workflow`] over AWS Step Functions.

use async_trait::async_trait;
use aws_sdk_sfn::Client;
use serde_json::Value;
use team_core::ports::{Workflow, WorkflowKind};
use team_core::{TeamError, TeamResult};

use crate::retry::{Backoff, Failure, retry};

/// The ARNs of the deployed state machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineArns {
    /// `statemachines/access-request.asl.json`.
    pub access_request: String,
    /// `statemachines/revoke.asl.json`.
    pub revoke: String,
}

impl StateMachineArns {
    /// The ARN of `kind`.
    pub fn of(&self, kind: WorkflowKind) -> &str {
        match kind {
            WorkflowKind::AccessRequest => &self.access_request,
            WorkflowKind::Revoke => &self.revoke,
        }
    }
}

/// Starts executions and completes `.waitForTaskToken` tasks.
///
/// The execution name comes from the caller (the domain derives it from the
/// request id), so a retried start meets `ExecutionAlreadyExists`, which is
/// success: the execution the caller wanted is running or ran.
#[derive(Debug, Clone)]
pub struct StepFunctionsWorkflow {
    client: Client,
    arns: StateMachineArns,
    backoff: Backoff,
}

impl StepFunctionsWorkflow {
    /// Executions of the state machines `arns`.
    pub fn new(client: Client, arns: StateMachineArns) -> StepFunctionsWorkflow {
        StepFunctionsWorkflow {
            client,
            arns,
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> StepFunctionsWorkflow {
        self.backoff = backoff;
        self
    }

    /// Fails a waiting task with the error name `error` (which the state machine's
    /// `Catch` matches) and a `cause`. An expired or unknown token is
    /// [`TeamError::InvalidTransition`]: the workflow has moved on.
    pub async fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> TeamResult<()> {
        const OP: &str = "SendTaskFailure";
        retry(&self.backoff, OP, || async {
            self.client
                .send_task_failure()
                .task_token(token)
                .error(error)
                .cause(cause)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| task_error(OP, Failure::of(&e)))
        })
        .await
    }
}

/// Step Functions' execution names: 1 to 80 letters, digits, `-` or `_`.
/// Anything else becomes `-`, so the same input always gives the same name.
pub fn execution_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if cleaned.is_empty() {
        "execution".into()
    } else {
        cleaned
    }
}

/// A task whose token expired or never existed: the same answer the local executor gives.
fn task_error(operation: &str, failure: Failure) -> TeamError {
    if failure.is("TaskTimedOut") || failure.is("InvalidToken") || failure.is("TaskDoesNotExist") {
        TeamError::InvalidTransition(format!(
            "{operation}: the workflow no longer waits for this decision ({})",
            failure.code.as_deref().unwrap_or("unknown")
        ))
    } else {
        failure.into_team_error(operation)
    }
}

#[async_trait]
impl Workflow for StepFunctionsWorkflow {
    async fn start(&self, kind: WorkflowKind, name: &str, input: Value) -> TeamResult<()> {
        const OP: &str = "StartExecution";
        let name = execution_name(name);
        let input = serde_json::to_string(&input)
            .map_err(|e| TeamError::Internal(format!("{OP}: input is not JSON: {e}")))?;
        let arn = self.arns.of(kind);
        retry(&self.backoff, OP, || async {
            match self
                .client
                .start_execution()
                .state_machine_arn(arn)
                .name(&name)
                .input(&input)
                .send()
                .await
            {
                Ok(output) => {
                    tracing::info!(workflow = kind.name(), execution = %name, execution_arn = %output.execution_arn, "execution started");
                    Ok(())
                }
                Err(err) => {
                    let failure = Failure::of(&err);
                    if failure.is("ExecutionAlreadyExists") {
                        tracing::info!(workflow = kind.name(), execution = %name, "execution already started");
                        Ok(())
                    } else {
                        Err(failure.into_team_error(OP))
                    }
                }
            }
        })
        .await
    }

    async fn send_task_success(&self, token: &str, output: Value) -> TeamResult<()> {
        const OP: &str = "SendTaskSuccess";
        let output = serde_json::to_string(&output)
            .map_err(|e| TeamError::Internal(format!("{OP}: output is not JSON: {e}")))?;
        retry(&self.backoff, OP, || async {
            self.client
                .send_task_success()
                .task_token(token)
                .output(&output)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| task_error(OP, Failure::of(&e)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_names_keep_only_what_step_functions_accepts() {
        assert_eq!(execution_name("end-r-123"), "end-r-123");
        assert_eq!(execution_name("a b/c"), "a-b-c");
        assert_eq!(execution_name(&"x".repeat(100)).len(), 80);
        assert_eq!(execution_name(""), "execution");
    }
}
