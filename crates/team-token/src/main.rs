//! `team-token`: the Cognito user pool's pre-token-generation trigger (event version
//! 2). Looks the signed-in user up in the Identity Store and adds `team:userId`,
//! `team:groups` and `team:roles` to the ID and access tokens; see
//! `team_lambda::auth` for the claims and `team_lambda::token` for the lookup.
//!
//! Environment: `TEAM_IDENTITY_STORE_ID`, `TEAM_ADMIN_GROUP`, `TEAM_AUDITOR_GROUP`.

use team_lambda::{Error, RoleGroups, TokenConfig};

// One invocation at a time per instance: a single-threaded runtime starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    team_lambda::init_tracing();
    let config = TokenConfig::from_env()?;
    let sdk = team_lambda::load_sdk_config().await;
    let directory = team_lambda::wire::directory(&sdk, &config.identity_store_id);
    team_lambda::serve_token(directory, RoleGroups::from(&config)).await
}
