//! `team-sweep`: the reconciler. Every run re-drives overdue requests, pays owed
//! removals, removes (or reports) leaked account assignments and reports drift, records
//! itself in the sweep log and prints its CloudWatch metrics (Embedded Metric Format).
//!
//! Invoked by an EventBridge Scheduler schedule (`rate(5 minutes)`); the event is
//! ignored. Reserved concurrency 1 keeps two sweeps from overlapping.
//!
//! Environment: see `team_lambda::Config` (`TEAM_SWEEP_*` for the sweep itself).

use team_lambda::{Config, Error};

// One invocation at a time per instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    team_lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = team_lambda::load_sdk_config().await;
    let team = team_lambda::wire(&config, &sdk);
    team_lambda::serve_sweep(team, config.sweep).await
}
