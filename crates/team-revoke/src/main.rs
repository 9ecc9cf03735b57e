//! `team-revoke`: the `revoke` and `recordError` steps: end the session and remove the assignment unless another request holds it; record failures.
//!
//! Invoked by Step Functions (`arn:aws:states:::lambda:invoke`) with the Task's
//! payload; a failure's `errorType` is the stable error name the state machines retry
//! or catch (`TeamTransientError`, …).
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
    team_lambda::serve_steps(team, StepFunction::Revoke).await
}
