//! `team-request`: the requesters' routes: `/api/me`, `/api/eligibility`, `/api/requests` (submit, list, cancel, events).
//!
//! API Gateway routes these paths here; the function mounts the whole shared router
//! (`team_api::router`), so a route sent to the wrong function still answers correctly.
//!
//! Environment: see `team_lambda::Config` (`TEAM_REQUESTS_TABLE`, `TEAM_POLICIES_TABLE`,
//! `TEAM_IDENTITY_CENTER_INSTANCE_ARN`, `TEAM_IDENTITY_STORE_ID`,
//! `TEAM_ACCESS_REQUEST_STATE_MACHINE_ARN`, `TEAM_REVOKE_STATE_MACHINE_ARN`,
//! `TEAM_SCHEDULE_GROUP`, `TEAM_SCHEDULER_ROLE_ARN`, `TEAM_SCHEDULER_DLQ_ARN`,
//! `TEAM_TOPIC_ARN`, optional `TEAM_EVENT_DATA_STORE`).

use team_lambda::{Config, Error};

// One invocation at a time per instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    team_lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = team_lambda::load_sdk_config().await;
    let team = team_lambda::wire(&config, &sdk);
    team_lambda::serve_http(team).await
}
