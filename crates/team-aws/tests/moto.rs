//! The adapters over the wire against moto (`pip install 'moto[server]'`): real
//! SDK requests, real serialisation, an emulated AWS. Each test starts its own
//! moto server. CloudTrail Lake is not emulated by moto; its adapter is covered
//! by `tests/mocked.rs` only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;
mod support;

use std::time::Duration;

use aws_config::SdkConfig;
use fixtures::{PS, notification};
use serde_json::json;
use support::{Moto, call_json, instance_arn, model_data};
use team_aws::{
    AwsNotifier, AwsOrganization, Backoff, EventBridgeScheduler, IdentityStoreDirectory,
    NotifierConfig, SchedulerConfig, SsoAdminProvisioner,
};
use team_core::ids::{AccountId, GroupId, OuId, PermissionSetArn, RequestId, UserId};
use team_core::ports::{
    AccessProvisioner, Channel, Directory, Notifier, OperationStatus, Organization, Scheduler,
};
use team_core::request::{Assignment, EventKind};
use time::macros::datetime;

#[tokio::test]
async fn assignments_are_created_and_deleted_idempotently_in_identity_center() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_ssoadmin::Client::new(&config);
    let instance = instance_arn(&client).await;
    let provisioner =
        SsoAdminProvisioner::new(client.clone(), &instance).with_backoff(Backoff::immediate(2));
    let assignment = Assignment {
        user_id: UserId::parse("9067-alice").unwrap(),
        account_id: AccountId::parse("111122223333").unwrap(),
        permission_set_arn: PermissionSetArn::parse(PS).unwrap(),
    };
    let listed = |client: aws_sdk_ssoadmin::Client| {
        let instance = instance.clone();
        async move {
            client
                .list_account_assignments()
                .instance_arn(instance)
                .account_id("111122223333")
                .permission_set_arn(PS)
                .send()
                .await
                .unwrap()
                .account_assignments
                .unwrap_or_default()
        }
    };

    let created = provisioner.create_assignment(&assignment).await.unwrap();
    assert!(!created.deletion);
    assert_eq!(
        provisioner.operation_status(&created).await.unwrap(),
        OperationStatus::Succeeded
    );
    let now = listed(client.clone()).await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].principal_id(), Some("9067-alice"));
    assert_eq!(now[0].principal_type().map(|t| t.as_str()), Some("USER"));

    let deleted = provisioner.delete_assignment(&assignment).await.unwrap();
    assert_eq!(
        provisioner.operation_status(&deleted).await.unwrap(),
        OperationStatus::Succeeded
    );
    assert!(listed(client.clone()).await.is_empty());
    // Gone already: still success.
    let again = provisioner.delete_assignment(&assignment).await.unwrap();
    assert_eq!(
        provisioner.operation_status(&again).await.unwrap(),
        OperationStatus::Succeeded
    );
}

#[tokio::test]
async fn assigned_principals_lists_the_user_while_the_assignment_exists() {
    use team_core::policy::Principal;
    // GIVEN moto's Identity Center with no assignment of PS on the account
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_ssoadmin::Client::new(&config);
    let instance = instance_arn(&client).await;
    let provisioner =
        SsoAdminProvisioner::new(client, &instance).with_backoff(Backoff::immediate(2));
    let assignment = Assignment {
        user_id: UserId::parse("9067-alice").unwrap(),
        account_id: AccountId::parse("111122223333").unwrap(),
        permission_set_arn: PermissionSetArn::parse(PS).unwrap(),
    };
    let holders =
        || provisioner.assigned_principals(&assignment.account_id, &assignment.permission_set_arn);
    assert!(holders().await.unwrap().is_empty());

    // WHEN the adapter creates the assignment and it settles
    let created = provisioner.create_assignment(&assignment).await.unwrap();
    assert_eq!(
        provisioner.operation_status(&created).await.unwrap(),
        OperationStatus::Succeeded
    );

    // THEN the user is listed as holding it
    assert_eq!(
        holders().await.unwrap(),
        [Principal::User(assignment.user_id.clone())]
    );

    // AND once the adapter deleted it and that settled, nobody is
    let deleted = provisioner.delete_assignment(&assignment).await.unwrap();
    assert_eq!(
        provisioner.operation_status(&deleted).await.unwrap(),
        OperationStatus::Succeeded
    );
    assert!(holders().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_directory_reads_users_groups_and_memberships() {
    use aws_sdk_identitystore::types::{Email, MemberId, Name};
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_identitystore::Client::new(&config);
    let store = "d-1234567890";
    let mut ids = Vec::new();
    for (name, display) in [("alice", "Alice Liddell"), ("bob", "Bob Builder")] {
        let id = client
            .create_user()
            .identity_store_id(store)
            .user_name(name)
            .display_name(display)
            .name(Name::builder().given_name(name).family_name("Test").build())
            .emails(
                Email::builder()
                    .value(format!("{name}@other.example"))
                    .primary(false)
                    .build(),
            )
            .emails(
                Email::builder()
                    .value(format!("{name}@example.com"))
                    .primary(true)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .user_id;
        ids.push(id);
    }
    let mut group_ids = Vec::new();
    for name in ["approvers", "empty"] {
        let created = client
            .create_group()
            .identity_store_id(store)
            .display_name(name);
        group_ids.push(created.send().await.unwrap().group_id);
    }
    let group = &group_ids[0];
    client
        .create_group_membership()
        .identity_store_id(store)
        .group_id(group)
        .member_id(MemberId::UserId(ids[1].clone()))
        .send()
        .await
        .unwrap();

    let directory = IdentityStoreDirectory::new(client, store).with_backoff(Backoff::immediate(2));
    let alice = directory
        .user(&UserId::parse(ids[0].as_str()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.display_name, "Alice Liddell");
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert!(
        directory
            .user(&UserId::parse("00000000-0000-0000-0000-000000000000").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let bob = directory.user_by_username("bob").await.unwrap().unwrap();
    assert_eq!(bob.id.as_str(), ids[1]);
    assert!(
        directory
            .user_by_username("nobody")
            .await
            .unwrap()
            .is_none()
    );

    let groups = directory.groups_of(&bob.id).await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["approvers"]
    );
    let members = directory
        .members_of(&GroupId::parse(group.as_str()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        members
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["bob"]
    );

    let users = directory.users().await.unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    let groups = directory.groups().await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["approvers", "empty"]
    );
}

/// Creates the OU `name` under `parent`; answers its id.
async fn create_ou(client: &aws_sdk_organizations::Client, parent: &str, name: &str) -> String {
    let created = client
        .create_organizational_unit()
        .parent_id(parent)
        .name(name)
        .send()
        .await
        .unwrap();
    created.organizational_unit.unwrap().id.unwrap()
}

#[tokio::test]
async fn the_organization_tree_covers_nested_ous() {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_organizations::Client::new(&config);
    client
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let root = client.list_roots().send().await.unwrap().roots.unwrap()[0]
        .id
        .clone()
        .unwrap();
    let workloads = create_ou(&client, &root, "workloads").await;
    let prod = create_ou(&client, &workloads, "prod").await;
    let account = client
        .create_account()
        .email("payments@example.com")
        .account_name("payments-prod")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap()
        .account_id
        .unwrap();
    client
        .move_account()
        .account_id(&account)
        .source_parent_id(&root)
        .destination_parent_id(&prod)
        .send()
        .await
        .unwrap();

    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let instance = instance_arn(&sso).await;
    let organization = AwsOrganization::new(client, sso, instance, Duration::from_secs(300))
        .with_backoff(Backoff::immediate(2));
    let tree = organization.tree().await.unwrap();
    let account = AccountId::parse(account).unwrap();
    assert_eq!(tree.account(&account).unwrap().name, "payments-prod");
    let under: Vec<_> = tree
        .accounts_under(&OuId::parse(workloads.as_str()).unwrap())
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(under, std::slice::from_ref(&account));
    assert_eq!(
        tree.ancestors(&account)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [prod, workloads, root.clone()]
    );
    // The management account sits in the root, listed but marked: TEAM, a delegated
    // administrator, cannot grant there.
    let under_root = tree.accounts_under(&OuId::parse(root.as_str()).unwrap());
    assert_eq!(under_root.len(), 2);
    let marked: Vec<&str> = under_root
        .iter()
        .filter(|a| a.unassignable.is_some())
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(
        marked.len(),
        1,
        "exactly the management account: {marked:?}"
    );
    assert_ne!(marked[0], account.as_str());
}

#[tokio::test]
async fn permission_sets_with_arns_identity_center_never_issues_are_skipped() {
    // moto names permission sets `…:instance/ssoins-…/ps-…`, real Identity Center
    // `…:permissionSet/ssoins-…/ps-…`; the adapter keeps only what parses.
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let instance = instance_arn(&sso).await;
    sso.create_permission_set()
        .instance_arn(&instance)
        .name("Admin")
        // moto echoes its default duration as a number, which the SDK rejects.
        .session_duration("PT1H")
        .send()
        .await
        .unwrap();
    let organization = AwsOrganization::new(
        aws_sdk_organizations::Client::new(&config),
        sso,
        instance,
        Duration::ZERO,
    )
    .with_backoff(Backoff::immediate(2));
    assert_eq!(organization.permission_sets().await.unwrap(), []);
}

#[tokio::test]
async fn a_session_end_schedule_is_created_replaced_and_cancelled() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_scheduler::Client::new(&config);
    client
        .create_schedule_group()
        .name("team-rs")
        .send()
        .await
        .unwrap();
    let scheduler = EventBridgeScheduler::new(
        client.clone(),
        SchedulerConfig::new(
            "team-rs",
            "arn:aws:states:us-east-1:123456789012:stateMachine:revoke",
            "arn:aws:iam::123456789012:role/team-scheduler",
            "arn:aws:sqs:us-east-1:123456789012:team-dlq",
        ),
    )
    .with_backoff(Backoff::immediate(2));
    let request = RequestId::parse("req-1").unwrap();
    scheduler
        .schedule_end(&request, datetime!(2030-01-01 08:00 UTC))
        .await
        .unwrap();
    scheduler
        .schedule_end(&request, datetime!(2030-01-01 09:15 UTC))
        .await
        .unwrap();
    let schedule = client
        .get_schedule()
        .name("req-1")
        .group_name("team-rs")
        .send()
        .await
        .unwrap();
    assert_eq!(
        schedule.schedule_expression(),
        Some("at(2030-01-01T09:15:00)")
    );
    assert_eq!(
        schedule.action_after_completion().map(|a| a.as_str()),
        Some("DELETE")
    );
    let target = schedule.target().unwrap();
    assert_eq!(
        target.arn(),
        "arn:aws:states:us-east-1:123456789012:stateMachine:revoke"
    );
    assert_eq!(target.input(), Some(r#"{"requestId":"req-1"}"#));
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some("arn:aws:sqs:us-east-1:123456789012:team-dlq")
    );

    scheduler.cancel_end(&request).await.unwrap();
    let gone = client
        .get_schedule()
        .name("req-1")
        .group_name("team-rs")
        .send()
        .await;
    assert!(gone.is_err());
    scheduler.cancel_end(&request).await.unwrap();
}

/// A notifier over moto's SES and SNS, sending from `from` and publishing to `topic`.
fn notifier(config: &SdkConfig, from: &str, topic: &str) -> AwsNotifier {
    AwsNotifier::new(
        NotifierConfig {
            web_url: "https://team.example.com".into(),
            email_from: Some(from.into()),
            sns_topic_arn: Some(topic.into()),
            slack: None,
        },
        aws_sdk_sesv2::Client::new(config),
        aws_sdk_sns::Client::new(config),
        aws_sdk_secretsmanager::Client::new(config),
    )
    .unwrap()
}

#[tokio::test]
async fn email_goes_out_through_ses_and_the_json_through_sns() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    ses.create_email_identity()
        .email_identity("team@example.com")
        .send()
        .await
        .unwrap();
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("team")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    // SNS has no read-back: deliver to an SQS queue and read moto's copy of it.
    let queue = call_json(
        &moto,
        "sqs",
        "AmazonSQS.CreateQueue",
        json!({"QueueName": "notifications"}),
    )
    .await;
    assert!(queue["QueueUrl"].is_string(), "{queue}");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:us-east-1:123456789012:notifications")
        .send()
        .await
        .unwrap();

    let notifier = notifier(&config, "team@example.com", &topic);
    let notification = notification(EventKind::Submitted, vec![Channel::Email, Channel::Sns]);
    notifier.notify(&notification).await.unwrap();

    let data = model_data(&moto).await;
    let emails = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(emails.len(), 1, "{}", data["ses"]);
    let email = emails[0].to_string();
    assert!(email.contains("bob@example.com"), "{email}");
    assert!(
        email.contains("https://team.example.com/requests/req-1"),
        "{email}"
    );

    let delivered = data["sqs"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(delivered.len(), 1, "{}", data["sqs"]);
    let envelope: serde_json::Value =
        serde_json::from_str(delivered[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        envelope["Subject"],
        "TEAM: alice for Admin on prod is pending"
    );
    let message: serde_json::Value =
        serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["event"], "submitted");
    assert_eq!(message["request"]["id"], "req-1");
}

#[tokio::test]
async fn an_unverified_sender_is_logged_not_raised() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let notifier = notifier(
        &config,
        "unverified@example.com",
        "arn:aws:sns:us-east-1:123456789012:missing",
    );
    let notification = notification(EventKind::Submitted, vec![Channel::Email, Channel::Sns]);
    notifier.notify(&notification).await.unwrap();
    let data = model_data(&moto).await;
    assert!(data["ses"]["Message"].as_array().is_none_or(Vec::is_empty));
}
