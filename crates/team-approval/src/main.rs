//! `team-approval`: the approvers' HTTP routes (`/api/requests?scope=approvable`,
//! `/api/requests/{id}/approve|reject|revoke`) and the `awaitDecision` / `expire` steps
//! of the access-request state machine, in one function.
//!
//! One function serves both event sources because both sides of a decision meet here:
//! the step stores the task token, the approve route completes it. An event is a step
//! when it is a JSON object with a top-level `step` field (every Task payload of the
//! state machines has one); anything else is handled as an API Gateway HTTP API
//! (payload 2.0) event — see `team_lambda::http::EventShape`.
//!
//! Environment: see `team_lambda::Config`.

use team_lambda::{Config, Error, StepFunction};

// One invocation at a time per instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    team_lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = team_lambda::load_sdk_config().await;
    let team = team_lambda::wire(&config, &sdk);
    team_lambda::serve_http_and_steps(team, StepFunction::Approval).await
}
