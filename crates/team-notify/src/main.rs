//! `team-notify`: subscribed to the TEAM SNS topic (`TEAM_TOPIC_ARN`), on which the
//! API and step functions publish every notification as JSON; sends each one by
//! e-mail (SES) and Slack, on the channels the settings enabled. See
//! `team_lambda::notify` for the design.
//!
//! Environment: `TEAM_WEB_URL` (links), optional `TEAM_SES_SENDER` (e-mail) and
//! `TEAM_SLACK_SECRET_ARN` (Slack bot token).

use std::sync::Arc;

use team_lambda::{Error, NotifyConfig};

// One invocation at a time per instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    team_lambda::init_tracing();
    let config = NotifyConfig::from_env()?;
    let sdk = team_lambda::load_sdk_config().await;
    let notifier = team_lambda::wire::notifier(&config, &sdk)?;
    team_lambda::serve_notify(Arc::new(notifier)).await
}
