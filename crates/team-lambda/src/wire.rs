//! Builds the service over the AWS adapters, once per cold start: SDK clients are
//! cheap to clone and share one connection pool, so each is built here once and every
//! invocation of the warm function reuses it.

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::SdkConfig;
use team_aws::cloudtrail::CloudTrailConfig;
use team_aws::notify::{NotifierConfig, SlackConfig};
use team_aws::{
    AwsNotifier, AwsOrganization, CloudTrailLakeActivity, DEFAULT_CACHE_TTL, EventBridgeScheduler,
    IdentityStoreDirectory, SchedulerConfig, SsoAdminProvisioner, StateMachineArns,
    StepFunctionsWorkflow,
};
use team_core::ports::{ActivityEvent, Directory, SessionActivity};
use team_core::request::AccessRequest;
use team_core::{Ports, Team, TeamResult};
use team_dynamo::{DynamoPolicyStore, DynamoRequestStore, DynamoSweepLog};

use crate::config::{Config, NotifyConfig};
use crate::notify::TopicNotifier;
use team_core::system::{SystemClock, UuidIds};

/// Loads region and credentials the way every AWS SDK does (in Lambda: the
/// function's region and execution role, from the environment).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::load_from_env().await
}

/// Session activity when no CloudTrail Lake event data store is configured: none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoActivity;

#[async_trait]
impl SessionActivity for NoActivity {
    async fn activity(&self, _request: &AccessRequest) -> TeamResult<Vec<ActivityEvent>> {
        Ok(Vec::new())
    }
}

/// The service of the API and step functions, over DynamoDB, Identity Center,
/// Organizations, Step Functions, EventBridge Scheduler, SNS and CloudTrail Lake.
pub fn wire(config: &Config, sdk: &SdkConfig) -> Team {
    Team::new(ports(config, sdk))
}

/// The AWS adapter behind every port of the service (what [`wire`] builds it over).
pub fn ports(config: &Config, sdk: &SdkConfig) -> Ports {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sso_admin = aws_sdk_ssoadmin::Client::new(sdk);
    let instance_arn = config.identity_center_instance_arn.as_str();
    let activity: Arc<dyn SessionActivity> = match &config.event_data_store {
        Some(store) => Arc::new(CloudTrailLakeActivity::new(
            aws_sdk_cloudtrail::Client::new(sdk),
            CloudTrailConfig::new(store.clone()),
        )),
        None => Arc::new(NoActivity),
    };
    Ports {
        requests: Arc::new(DynamoRequestStore::new(
            dynamodb.clone(),
            config.requests_table.clone(),
        )),
        policies: Arc::new(DynamoPolicyStore::new(
            dynamodb.clone(),
            config.policies_table.clone(),
        )),
        sweeps: Arc::new(DynamoSweepLog::new(dynamodb, config.requests_table.clone())),
        directory: directory(sdk, &config.identity_store_id),
        organization: Arc::new(organization(config, sdk, sso_admin.clone())),
        provisioner: Arc::new(SsoAdminProvisioner::new(sso_admin, instance_arn)),
        workflow: Arc::new(StepFunctionsWorkflow::new(
            aws_sdk_sfn::Client::new(sdk),
            StateMachineArns {
                access_request: config.access_request_state_machine_arn.to_string(),
                revoke: config.revoke_state_machine_arn.to_string(),
            },
        )),
        scheduler: Arc::new(EventBridgeScheduler::new(
            aws_sdk_scheduler::Client::new(sdk),
            SchedulerConfig::new(
                config.schedule_group.clone(),
                config.revoke_state_machine_arn.to_string(),
                config.scheduler_role_arn.to_string(),
                config.scheduler_dlq_arn.to_string(),
            ),
        )),
        notifier: Arc::new(TopicNotifier::new(
            aws_sdk_sns::Client::new(sdk),
            config.topic_arn.to_string(),
        )),
        activity,
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidIds),
    }
}

/// The organization tree and permission sets, with the TEAM account marked as the
/// configuration says.
fn organization(
    config: &Config,
    sdk: &SdkConfig,
    sso_admin: aws_sdk_ssoadmin::Client,
) -> AwsOrganization {
    let organization = AwsOrganization::new(
        aws_sdk_organizations::Client::new(sdk),
        sso_admin,
        config.identity_center_instance_arn.as_str(),
        DEFAULT_CACHE_TTL,
    );
    match &config.team_account {
        Some(account) => organization.with_team_account(account.clone()),
        None => organization,
    }
}

/// The Identity Store directory (`team-token` needs only this).
pub fn directory(sdk: &SdkConfig, identity_store_id: &str) -> Arc<dyn Directory> {
    Arc::new(IdentityStoreDirectory::new(
        aws_sdk_identitystore::Client::new(sdk),
        identity_store_id,
    ))
}

/// `team-notify`'s e-mail and Slack sender.
pub fn notifier(config: &NotifyConfig, sdk: &SdkConfig) -> TeamResult<AwsNotifier> {
    let notifier_config = NotifierConfig {
        web_url: config.web_url.clone(),
        email_from: config.ses_sender.clone(),
        // The topic is what invoked team-notify: publishing again would loop.
        sns_topic_arn: None,
        slack: config
            .slack_secret_arn
            .as_ref()
            .map(|arn| SlackConfig::new(arn.to_string())),
    };
    AwsNotifier::new(
        notifier_config,
        aws_sdk_sesv2::Client::new(sdk),
        aws_sdk_sns::Client::new(sdk),
        aws_sdk_secretsmanager::Client::new(sdk),
    )
}
