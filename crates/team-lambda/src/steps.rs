//! Step Functions tasks: `arn:aws:states:::lambda:invoke` sends the Task's `Payload`
//! (a [`StepInput`]) as the Lambda event; the step's JSON result becomes the Task's
//! `Payload` output, exactly as `teamd`'s in-process dispatcher does.
//!
//! A failed step must fail the invocation with an `errorType` the state machines'
//! `Retry`/`Catch` match on (`TeamTransientError`, …). `lambda_runtime` posts a handler
//! error to the Runtime API as a [`Diagnostic`] `{errorType, errorMessage}`, and Step
//! Functions uses that `errorType` as the error name; by default it would be a Rust
//! type name, so [`StepError`] converts into a `Diagnostic` itself, with
//! [`TeamError::code`] as `errorType`.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;
use team_core::steps::{StepFunction, StepInput};
use team_core::{Team, TeamError};

/// A step that failed: converts into the Lambda error whose `errorType` is the error's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct StepError(pub TeamError);

impl From<TeamError> for StepError {
    fn from(err: TeamError) -> StepError {
        StepError(err)
    }
}

impl From<StepError> for Diagnostic {
    fn from(err: StepError) -> Diagnostic {
        Diagnostic {
            error_type: err.0.code().to_string(),
            error_message: err.0.to_string(),
        }
    }
}

/// Parses a Task payload and checks it was sent to the function that serves it.
pub fn parse_step(function: StepFunction, payload: Value) -> Result<StepInput, StepError> {
    let input: StepInput = serde_json::from_value(payload)
        // The state machine file is wrong, not the world: retrying cannot help.
        .map_err(|e| TeamError::Internal(format!("bad step payload: {e}")))?;
    let served_by = input.handled_by();
    if served_by != function {
        return Err(TeamError::Internal(format!(
            "step sent to {}, but it is served by {}",
            function.package(),
            served_by.package()
        ))
        .into());
    }
    Ok(input)
}

/// Runs one Task payload.
pub async fn handle_step(
    team: &Team,
    function: StepFunction,
    payload: Value,
) -> Result<Value, StepError> {
    let input = parse_step(function, payload)?;
    let step = step_name(&input);
    let request_id = step_request_id(&input).to_string();
    match team.step(input).await {
        Ok(output) => {
            tracing::info!(step, request_id = %request_id, "step done");
            Ok(output)
        }
        Err(err) => {
            // The task token never appears here: only the step name and request id.
            tracing::warn!(step, request_id = %request_id, code = err.code(), error = %err, "step failed");
            Err(err.into())
        }
    }
}

fn step_name(input: &StepInput) -> &'static str {
    match input {
        StepInput::AwaitDecision { .. } => "awaitDecision",
        StepInput::Expire { .. } => "expire",
        StepInput::Schedule { .. } => "schedule",
        StepInput::Grant { .. } => "grant",
        StepInput::ScheduleEnd { .. } => "scheduleEnd",
        StepInput::Revoke { .. } => "revoke",
        StepInput::RecordError { .. } => "recordError",
    }
}

fn step_request_id(input: &StepInput) -> &team_core::ids::RequestId {
    match input {
        StepInput::AwaitDecision { request_id, .. }
        | StepInput::Expire { request_id }
        | StepInput::Schedule { request_id }
        | StepInput::Grant { request_id }
        | StepInput::ScheduleEnd { request_id }
        | StepInput::Revoke { request_id }
        | StepInput::RecordError { request_id, .. } => request_id,
    }
}

/// Serves Step Functions tasks for `function` until the runtime stops.
pub async fn serve_steps(team: Team, function: StepFunction) -> Result<(), lambda_runtime::Error> {
    tracing::info!(function = function.package(), "serving steps");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let team = team.clone();
        async move { handle_step(&team, function, event.payload).await }
    }))
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn the_error_type_is_the_stable_code_the_state_machines_match() {
        let cases = [
            (
                TeamError::Transient("throttled".into()),
                "TeamTransientError",
            ),
            (
                TeamError::Provisioning("no such permission set".into()),
                "TeamProvisioningError",
            ),
            (TeamError::Internal("broken".into()), "TeamInternalError"),
            (TeamError::NotFound("request r-1".into()), "NotFound"),
            (TeamError::Conflict("request r-1".into()), "Conflict"),
            (
                TeamError::InvalidTransition("ended".into()),
                "InvalidTransition",
            ),
        ];
        for (err, code) in cases {
            let message = err.to_string();
            let diagnostic = Diagnostic::from(StepError(err));
            assert_eq!(diagnostic.error_type, code);
            assert_eq!(diagnostic.error_message, message);
        }
    }

    #[test]
    fn the_diagnostic_is_posted_as_error_type_and_message() {
        // What lambda_runtime posts to /invocation/{id}/error and Step Functions reads.
        let diagnostic = Diagnostic::from(StepError(TeamError::Transient("slow down".into())));
        let body = serde_json::to_value(&diagnostic).unwrap();
        assert_eq!(body["errorType"], "TeamTransientError");
        assert_eq!(body["errorMessage"], "temporary failure: slow down");
    }

    #[test]
    fn a_malformed_payload_is_an_internal_error() {
        for payload in [
            json!({ "step": "launchMissiles", "requestId": "r-1" }),
            json!({ "step": "grant" }),
            json!("grant"),
        ] {
            let err = parse_step(StepFunction::Grant, payload).unwrap_err();
            assert_eq!(Diagnostic::from(err).error_type, "TeamInternalError");
        }
    }

    #[test]
    fn a_step_sent_to_the_wrong_function_is_refused() {
        let payload =
            json!({ "step": "revoke", "requestId": "0b9f3d1e-5b8a-4c56-9f1e-2d3c4b5a6978" });
        let err = parse_step(StepFunction::Grant, payload.clone()).unwrap_err();
        assert_eq!(err.0.code(), "TeamInternalError");
        assert!(matches!(
            parse_step(StepFunction::Revoke, payload),
            Ok(StepInput::Revoke { .. })
        ));
    }
}
