//! The bridge between the state machine executor and the domain: Task states are
//! dispatched in-process to the same step handlers the Lambda functions run, and the
//! domain's `Workflow` port drives the executor.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use serde_json::{Value, json};
use team_asl::{Engine, EngineError, TaskDispatcher, TaskFailure};
use team_core::ports::{Workflow, WorkflowKind};
use team_core::steps::{StepFunction, StepInput};
use team_core::{Team, TeamError, TeamResult};

/// The ARN `teamd` substitutes for a Lambda function in the state machines.
pub fn local_function_arn(function: StepFunction) -> String {
    format!(
        "arn:aws:lambda:local:000000000000:function:{}",
        function.package()
    )
}

/// Runs `arn:aws:states:::lambda:invoke` tasks with the domain's step handlers.
#[derive(Default)]
pub struct StepDispatcher {
    team: OnceLock<Team>,
}

impl StepDispatcher {
    /// Gives the dispatcher the service once it exists (the service needs the workflow first).
    pub fn bind(&self, team: Team) {
        // Binding twice would be a wiring bug; the first binding stays.
        let _ = self.team.set(team);
    }
}

fn failure(error: &str, message: String) -> TaskFailure {
    // Step Functions reports a Lambda error's cause as this JSON document.
    TaskFailure {
        error: error.to_string(),
        cause: json!({ "errorMessage": message, "errorType": error }).to_string(),
    }
}

#[async_trait]
impl TaskDispatcher for StepDispatcher {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        if resource != "arn:aws:states:::lambda:invoke" {
            return Err(failure(
                "States.Runtime",
                format!("teamd cannot run resource {resource}"),
            ));
        }
        let function = parameters
            .get("FunctionName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let payload = parameters.get("Payload").cloned().unwrap_or(Value::Null);
        let input: StepInput = serde_json::from_value(payload)
            .map_err(|e| failure("TeamInternalError", format!("bad step payload: {e}")))?;
        let expected = local_function_arn(input.handled_by());
        if function != expected {
            // In AWS this step would reach a function that does not serve it.
            return Err(failure(
                "TeamInternalError",
                format!("step sent to {function}, but it is served by {expected}"),
            ));
        }
        let team = self.team.get().ok_or_else(|| {
            failure(
                "Lambda.ServiceException",
                "the service is not wired yet".into(),
            )
        })?;
        match team.step(input).await {
            Ok(output) => {
                Ok(json!({ "ExecutedVersion": "$LATEST", "Payload": output, "StatusCode": 200 }))
            }
            Err(err) => Err(failure(err.code(), err.to_string())),
        }
    }
}

/// The domain's `Workflow` port over the in-process executor.
pub struct LocalWorkflow {
    engine: Arc<Engine>,
}

impl LocalWorkflow {
    /// Wraps the executor.
    pub fn new(engine: Arc<Engine>) -> LocalWorkflow {
        LocalWorkflow { engine }
    }
}

fn engine_error(err: EngineError) -> TeamError {
    match err {
        EngineError::InvalidToken | EngineError::TaskTimedOut => {
            TeamError::InvalidTransition(err.to_string())
        }
        EngineError::ExecutionAlreadyExists { .. } => TeamError::Conflict(err.to_string()),
        other => TeamError::Internal(other.to_string()),
    }
}

#[async_trait]
impl Workflow for LocalWorkflow {
    async fn start(&self, kind: WorkflowKind, name: &str, input: Value) -> TeamResult<()> {
        self.engine
            .start_execution(kind.name(), name, input)
            .await
            .map_err(engine_error)
    }

    async fn send_task_success(&self, token: &str, output: Value) -> TeamResult<()> {
        self.engine
            .send_task_success(token, output)
            .await
            .map_err(engine_error)
    }
}
