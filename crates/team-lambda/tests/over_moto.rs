//! The Lambda functions' wiring end to end over the wire: configuration read from the
//! environment variables the SAM template sets, [`team_lambda::wire`] building every AWS
//! adapter, the HTTP API entered through API Gateway events with JWT-authorizer claims,
//! and the steps entered with the payloads the state machines send, all against AWS
//! emulated by moto (DynamoDB, Identity Store, SSO Admin, Organizations, Step Functions,
//! EventBridge Scheduler, SNS).
//!
//! moto neither runs state machines nor fires schedules, so this test plays Step
//! Functions: it calls each step in the order `statemachines/access-request.asl.json`
//! does. That order itself is tested against the same file by `teamd`'s system tests.
//! And moto issues permission-set ARNs of a shape Identity Center never does
//! (`…:instance/ssoins-…/ps-…`), which the Organizations adapter skips (tested in
//! team-aws), so only the permission-set catalogue is given here; the organization tree
//! still comes from moto's Organizations.
//!
//! The reconciler (`team-sweep`) runs over the same wiring: it lists the managed
//! assignments with SSO Admin's `ListAccountAssignments`, removes a leaked one, reports
//! one made outside TEAM-rs, and records its runs in DynamoDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use aws_config::SdkConfig;
use serde_json::{Value, json};
use team_core::TeamResult;
use team_core::ids::{PermissionSetArn, UserId};
use team_core::org::{OrgTree, PermissionSet};
use team_core::policy::Principal;
use team_core::ports::{Organization, SweepLog};
use team_core::sweep::{Finding, FindingAction, FindingKind, LeakMode, SweepConfig, SweepRun};
use team_dynamo::DynamoSweepLog;
use team_lambda::{Config, StepFunction, sweep};
use team_moto::Moto;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A permission set ARN of the shape Identity Center issues.
const PERMISSION_SET: &str =
    "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

/// The organization over the wire, with a catalogue of one permission set (see above).
struct OnePermissionSet {
    organization: Arc<dyn Organization>,
}

#[async_trait]
impl Organization for OnePermissionSet {
    async fn tree(&self) -> TeamResult<Arc<OrgTree>> {
        self.organization.tree().await
    }

    async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
        Ok(vec![PermissionSet {
            arn: PermissionSetArn::parse(PERMISSION_SET)?,
            name: "AdministratorAccess".into(),
            description: None,
        }])
    }
}

/// Everything the test created in moto.
struct World {
    sdk: SdkConfig,
    instance_arn: String,
    permission_set_arn: String,
    account_id: String,
    management_account: String,
    alice: String,
    bob: String,
    carol: String,
    approvers_group: String,
    access_request_arn: String,
    revoke_arn: String,
    schedule_group: String,
    env: HashMap<&'static str, String>,
}

/// An organization with one member account, the Identity Center instance,
/// alice (requester), bob (in the approvers group), carol (in `team-admins`), the
/// tables, both state machines, the schedule group and the topic.
async fn world(moto: &Moto) -> World {
    let sdk = moto.sdk_config().await;

    let sso = aws_sdk_ssoadmin::Client::new(&sdk);
    let instance = sso
        .list_instances()
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()[0]
        .clone();
    let instance_arn = instance.instance_arn.unwrap();
    let identity_store_id = instance.identity_store_id.unwrap();
    let permission_set_arn = PERMISSION_SET.to_owned();

    let org = aws_sdk_organizations::Client::new(&sdk);
    let management_account = org
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .master_account_id
        .unwrap();
    let created = org
        .create_account()
        .account_name("workload")
        .email("workload@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap();
    let account_id = match created.account_id {
        Some(id) => id,
        None => org
            .describe_create_account_status()
            .create_account_request_id(created.id.unwrap())
            .send()
            .await
            .unwrap()
            .create_account_status
            .unwrap()
            .account_id
            .unwrap(),
    };

    let ids = aws_sdk_identitystore::Client::new(&sdk);
    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let id = ids
            .create_user()
            .identity_store_id(&identity_store_id)
            .user_name(name)
            .display_name(name)
            .name(
                aws_sdk_identitystore::types::Name::builder()
                    .given_name(name)
                    .family_name("Example")
                    .build(),
            )
            .emails(
                aws_sdk_identitystore::types::Email::builder()
                    .value(format!("{name}@example.com"))
                    .primary(true)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .user_id;
        users.push(id);
    }
    let [alice, bob, carol] = <[String; 3]>::try_from(users).unwrap();
    let mut groups = Vec::new();
    for (name, member) in [("approvers", &bob), ("team-admins", &carol)] {
        let group = ids
            .create_group()
            .identity_store_id(&identity_store_id)
            .display_name(name)
            .send()
            .await
            .unwrap()
            .group_id;
        ids.create_group_membership()
            .identity_store_id(&identity_store_id)
            .group_id(&group)
            .member_id(aws_sdk_identitystore::types::MemberId::UserId(
                member.clone(),
            ))
            .send()
            .await
            .unwrap();
        groups.push(group);
    }
    let approvers_group = groups.swap_remove(0);

    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    team_dynamo::create_tables(&dynamodb, "team-requests", "team-policies")
        .await
        .unwrap();

    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let role = "arn:aws:iam::123456789012:role/team-state-machine";
    let mut machines = Vec::new();
    for file in ["access-request", "revoke"] {
        let path = format!(
            "{}/../../statemachines/{file}.asl.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let definition = std::fs::read_to_string(&path).unwrap();
        let arn = sfn
            .create_state_machine()
            .name(format!("team-{file}"))
            .definition(definition)
            .role_arn(role)
            .send()
            .await
            .unwrap()
            .state_machine_arn;
        machines.push(arn);
    }
    let [access_request_arn, revoke_arn] = <[String; 2]>::try_from(machines).unwrap();

    let schedule_group = "team-sessions".to_owned();
    aws_sdk_scheduler::Client::new(&sdk)
        .create_schedule_group()
        .name(&schedule_group)
        .send()
        .await
        .unwrap();
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name("team-events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();

    // The names and formats infra/template.yaml gives the functions.
    let env = HashMap::from([
        ("TEAM_REQUESTS_TABLE", "team-requests".to_owned()),
        ("TEAM_POLICIES_TABLE", "team-policies".to_owned()),
        ("TEAM_IDENTITY_CENTER_INSTANCE_ARN", instance_arn.clone()),
        ("TEAM_IDENTITY_STORE_ID", identity_store_id),
        (
            "TEAM_ACCESS_REQUEST_STATE_MACHINE_ARN",
            access_request_arn.clone(),
        ),
        ("TEAM_REVOKE_STATE_MACHINE_ARN", revoke_arn.clone()),
        ("TEAM_SCHEDULE_GROUP", schedule_group.clone()),
        (
            "TEAM_SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/team-scheduler".to_owned(),
        ),
        (
            "TEAM_SCHEDULER_DLQ_ARN",
            "arn:aws:sqs:us-east-1:123456789012:team-scheduler-dlq".to_owned(),
        ),
        ("TEAM_TOPIC_ARN", topic),
        // The stack runs in a member account (the delegated administrator).
        ("TEAM_ACCOUNT_ID", "210987654321".to_owned()),
        ("TEAM_ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT", "false".to_owned()),
    ]);
    World {
        sdk,
        instance_arn,
        permission_set_arn,
        account_id,
        management_account,
        alice,
        bob,
        carol,
        approvers_group,
        access_request_arn,
        revoke_arn,
        schedule_group,
        env,
    }
}

/// An HTTP API (payload 2.0) event as API Gateway sends it after its JWT authorizer
/// verified a token carrying `user`'s Identity Center id.
fn http_event(method: &str, path: &str, user: &str, body: Option<Value>) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": { "host": "api.example.com", "content-type": "application/json" },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test" },
            "requestId": "req",
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": "27/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64,
            "authorizer": { "jwt": { "claims": { "sub": user, "team:userId": user }, "scopes": null } }
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// Calls the API as `user`; answers the status code and the JSON body.
async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    user: &str,
    body: Option<Value>,
) -> (i64, Value) {
    let out = team_lambda::http::handle_http(router.clone(), http_event(method, path, user, body))
        .await
        .unwrap();
    let status = out["statusCode"].as_i64().unwrap();
    let body = out["body"]
        .as_str()
        .map(|b| serde_json::from_str(b).unwrap_or(Value::String(b.to_owned())))
        .unwrap_or(Value::Null);
    (status, body)
}

async fn step(team: &team_core::Team, function: StepFunction, payload: Value) -> Value {
    match team_lambda::steps::handle_step(team, function, payload.clone()).await {
        Ok(output) => output,
        Err(err) => panic!("step {payload} failed: {err:?}"),
    }
}

/// Alice's account assignments on the workload account, as Identity Center has them.
async fn assignments(world: &World) -> Vec<String> {
    aws_sdk_ssoadmin::Client::new(&world.sdk)
        .list_account_assignments()
        .instance_arn(&world.instance_arn)
        .account_id(&world.account_id)
        .permission_set_arn(&world.permission_set_arn)
        .send()
        .await
        .unwrap()
        .account_assignments
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.principal_id)
        .collect()
}

async fn executions(world: &World, state_machine: &str) -> Vec<String> {
    aws_sdk_sfn::Client::new(&world.sdk)
        .list_executions()
        .state_machine_arn(state_machine)
        .send()
        .await
        .unwrap()
        .executions
        .into_iter()
        .map(|e| e.name)
        .collect()
}

async fn schedules(world: &World) -> Vec<String> {
    aws_sdk_scheduler::Client::new(&world.sdk)
        .list_schedules()
        .group_name(&world.schedule_group)
        .send()
        .await
        .unwrap()
        .schedules
        .into_iter()
        .filter_map(|s| s.name)
        .collect()
}

/// Carol (an admin) makes alice eligible for the permission set on `account`.
async fn alice_eligible_on(api: &axum::Router, world: &World, account: &str) -> (i64, Value) {
    let policy = json!({
        "name": format!("alice on {account}"),
        "principal": { "type": "user", "id": world.alice },
        "accounts": [account],
        "permissionSets": [world.permission_set_arn],
        "maxDurationMinutes": 480
    });
    call(
        api,
        "POST",
        "/api/admin/eligibility-policies",
        &world.carol,
        Some(policy),
    )
    .await
}

#[tokio::test]
async fn a_request_goes_from_submission_to_removed_access_through_the_aws_adapters() {
    let moto = Moto::start();
    let world = world(&moto).await;
    let config = Config::from_source(&|name: &str| world.env.get(name).cloned()).unwrap();
    let mut ports = team_lambda::wire::ports(&config, &world.sdk);
    ports.organization = Arc::new(OnePermissionSet {
        organization: ports.organization,
    });
    let team = team_core::Team::new(ports);
    let api = team_lambda::http::api_router(team.clone());

    // GIVEN carol, a TEAM admin by her Identity Center group, sets up the policies.
    let (status, body) = alice_eligible_on(&api, &world, &world.account_id).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (status, body) = call(
        &api,
        "POST",
        "/api/admin/approver-policies",
        &world.carol,
        Some(json!({
            "name": "workload approvers",
            "scope": { "type": "account", "id": world.account_id },
            "approverGroups": [world.approvers_group]
        })),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");

    // A policy naming the management account is refused with the reason: TEAM, a
    // delegated administrator, can never grant there (moto's Organizations says which).
    let (status, body) = alice_eligible_on(&api, &world, &world.management_account).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("management account"), "{body}");

    // WHEN alice asks for an hour from now on
    let start = (OffsetDateTime::now_utc() - time::Duration::seconds(5))
        .format(&Rfc3339)
        .unwrap();
    let (status, request) = call(
        &api,
        "POST",
        "/api/requests",
        &world.alice,
        Some(json!({
            "accountId": world.account_id,
            "permissionSetArn": world.permission_set_arn,
            "startTime": start,
            "durationMinutes": 60,
            "justification": "rotate the database credentials",
            "ticketNo": "CHG-1"
        })),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {request}");
    let id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(request["status"], "pending");
    let approvers: Vec<&str> = request["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["userId"].as_str())
        .collect();
    assert_eq!(approvers, [world.bob.as_str()], "bob, through his group");
    // THEN the workflow started, named from the request id, in Step Functions.
    let started = executions(&world, &world.access_request_arn).await;
    assert_eq!(started.len(), 1, "{started:?}");
    assert!(started[0].contains(&id), "{started:?} named from {id}");

    // The state machine waits for a decision with a task token.
    step(
        &team,
        StepFunction::Approval,
        json!({ "step": "awaitDecision", "requestId": id, "taskToken": "token-from-step-functions" }),
    )
    .await;
    // Alice cannot approve her own request; bob can (and his decision goes to Step
    // Functions as SendTaskSuccess, which moto accepts).
    let (status, _) = call(
        &api,
        "POST",
        &format!("/api/requests/{id}/approve"),
        &world.alice,
        Some(json!({})),
    )
    .await;
    assert!(
        (400..500).contains(&status),
        "own approval answered {status}"
    );
    let (status, approved) = call(
        &api,
        "POST",
        &format!("/api/requests/{id}/approve"),
        &world.bob,
        Some(json!({ "comment": "go ahead" })),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");

    // The state machine schedules, grants and hands the end time to the Scheduler.
    step(
        &team,
        StepFunction::Grant,
        json!({ "step": "schedule", "requestId": id }),
    )
    .await;
    let granted = step(
        &team,
        StepFunction::Grant,
        json!({ "step": "grant", "requestId": id }),
    )
    .await;
    assert!(
        assignments(&world).await.contains(&world.alice),
        "Identity Center has alice's assignment after grant ({granted})"
    );
    step(
        &team,
        StepFunction::Grant,
        json!({ "step": "scheduleEnd", "requestId": id }),
    )
    .await;
    let (_, now) = call(
        &api,
        "GET",
        &format!("/api/requests/{id}"),
        &world.alice,
        None,
    )
    .await;
    assert_eq!(now["status"], "in progress", "{now}");
    let timers = schedules(&world).await;
    assert_eq!(timers.len(), 1, "one end-of-session schedule: {timers:?}");

    // WHEN alice ends early
    let (status, ended) = call(
        &api,
        "POST",
        &format!("/api/requests/{id}/revoke"),
        &world.alice,
        Some(json!({ "comment": "done" })),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    // THEN the end-of-session schedule is gone, the revoke workflow started, and its
    // step removes the assignment from Identity Center.
    assert!(
        schedules(&world).await.is_empty(),
        "the schedule is deleted on early end"
    );
    assert_eq!(executions(&world, &world.revoke_arn).await.len(), 1);
    step(
        &team,
        StepFunction::Revoke,
        json!({ "step": "revoke", "requestId": id }),
    )
    .await;
    assert!(
        !assignments(&world).await.contains(&world.alice),
        "alice's assignment is gone from Identity Center"
    );
    let (_, events) = call(
        &api,
        "GET",
        &format!("/api/requests/{id}/events"),
        &world.alice,
        None,
    )
    .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in [
        "submitted",
        "approved",
        "granted",
        "ended",
        "access-removed",
    ] {
        assert!(kinds.contains(&kind), "the trail lacks {kind}: {kinds:?}");
    }
}

#[tokio::test]
async fn the_token_trigger_claims_are_what_the_api_authorizes_with() {
    let moto = Moto::start();
    let world = world(&moto).await;
    let store = &world.env["TEAM_IDENTITY_STORE_ID"];
    let directory = team_lambda::wire::directory(&world.sdk, store);
    let roles = team_lambda::RoleGroups {
        admin: "team-admins".into(),
        auditor: "team-auditors".into(),
    };
    // GIVEN carol signs in through Identity Center federated into Cognito
    let event = serde_json::from_value(json!({
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "region": "us-east-1",
        "userPoolId": "us-east-1_example",
        "userName": "IdentityCenter_carol",
        "callerContext": { "awsSdkVersion": "aws-sdk-unknown", "clientId": "client" },
        "request": {
            "userAttributes": {
                "sub": "0000",
                "email": "carol@example.com",
                "identities": "[{\"providerName\":\"IdentityCenter\",\"providerType\":\"SAML\"}]"
            },
            "groupConfiguration": { "groupsToOverride": [], "iamRolesToOverride": [] },
            "scopes": []
        },
        "response": { "claimsAndScopeOverrideDetails": null }
    }))
    .unwrap();

    // WHEN the pre-token-generation trigger runs
    let out = team_lambda::token::handle_token(directory.as_ref(), &roles, event)
        .await
        .unwrap();

    // THEN the token carries her Identity Center id, her groups and the admin role...
    let claims = out
        .response
        .claims_and_scope_override_details
        .unwrap()
        .access_token_generation
        .unwrap()
        .claims_to_add_or_override;
    assert_eq!(claims["team:userId"], world.carol.as_str());
    assert_eq!(claims["team:roles"], "admin");
    assert_eq!(
        claims["team:groups"].as_str().unwrap().split(' ').count(),
        1
    );
    // ... and the API, reading the user id claim the JWT authorizer passes on, knows her
    // as an admin from the same directory.
    let config = Config::from_source(&|name: &str| world.env.get(name).cloned()).unwrap();
    let api = team_lambda::http::api_router(team_lambda::wire(&config, &world.sdk));
    let user = claims["team:userId"].as_str().unwrap();
    let (status, me) = call(&api, "GET", "/api/me", user, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["roles"]["admin"], true, "{me}");
    assert_eq!(me["user"]["id"], world.carol.as_str());
}

/// Creates `user`'s assignment of the permission set on the workload account directly in
/// Identity Center, as someone outside TEAM-rs would.
async fn assign_by_hand(world: &World, user: &str) {
    let status = aws_sdk_ssoadmin::Client::new(&world.sdk)
        .create_account_assignment()
        .instance_arn(&world.instance_arn)
        .target_id(&world.account_id)
        .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
        .permission_set_arn(&world.permission_set_arn)
        .principal_type(aws_sdk_ssoadmin::types::PrincipalType::User)
        .principal_id(user)
        .send()
        .await
        .unwrap()
        .account_assignment_creation_status
        .unwrap();
    assert_ne!(
        status.status,
        Some(aws_sdk_ssoadmin::types::StatusValues::Failed),
        "{status:?}"
    );
}

/// Alice asks for an hour, bob approves, the steps grant it, alice ends early and the
/// revoke step removes the assignment: afterwards TEAM-rs holds a lease on the assignment
/// with no holder left.
async fn a_session_granted_and_ended(api: &axum::Router, team: &team_core::Team, world: &World) {
    let (status, body) = alice_eligible_on(api, world, &world.account_id).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (status, body) = call(
        api,
        "POST",
        "/api/admin/approver-policies",
        &world.carol,
        Some(json!({
            "name": "workload approvers",
            "scope": { "type": "account", "id": world.account_id },
            "approverGroups": [world.approvers_group]
        })),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (status, request) = call(
        api,
        "POST",
        "/api/requests",
        &world.alice,
        Some(json!({
            "accountId": world.account_id,
            "permissionSetArn": world.permission_set_arn,
            "durationMinutes": 60,
            "justification": "rotate the database credentials",
            "ticketNo": "CHG-2"
        })),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {request}");
    let id = request["id"].as_str().unwrap().to_owned();
    step(
        team,
        StepFunction::Approval,
        json!({ "step": "awaitDecision", "requestId": id, "taskToken": "token" }),
    )
    .await;
    let (status, approved) = call(
        api,
        "POST",
        &format!("/api/requests/{id}/approve"),
        &world.bob,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    for name in ["schedule", "grant", "scheduleEnd"] {
        step(
            team,
            StepFunction::Grant,
            json!({ "step": name, "requestId": id }),
        )
        .await;
    }
    assert!(assignments(world).await.contains(&world.alice));
    let (status, ended) = call(
        api,
        "POST",
        &format!("/api/requests/{id}/revoke"),
        &world.alice,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    step(
        team,
        StepFunction::Revoke,
        json!({ "step": "revoke", "requestId": id }),
    )
    .await;
    assert!(!assignments(world).await.contains(&world.alice));
}

fn only(run: &SweepRun, kind: FindingKind) -> &Finding {
    let found: Vec<&Finding> = run.of(kind).collect();
    assert_eq!(found.len(), 1, "one {kind:?} finding: {:#?}", run.findings);
    found[0]
}

#[tokio::test]
async fn the_sweep_removes_a_leaked_assignment_and_only_reports_one_made_outside_team() {
    let moto = Moto::start();
    let mut world = world(&moto).await;
    // The function's own settings, as the template sets them for team-sweep.
    world
        .env
        .insert("TEAM_SWEEP_GRACE_SECONDS", "300".to_owned());
    world.env.insert("TEAM_SWEEP_LEAKS", "remove".to_owned());
    world
        .env
        .insert("TEAM_SWEEP_LIST_CALLS_PER_SECOND", "5".to_owned());
    let config = Config::from_source(&|name: &str| world.env.get(name).cloned()).unwrap();
    assert_eq!(config.sweep.leaks, LeakMode::Remove);
    let mut ports = team_lambda::wire::ports(&config, &world.sdk);
    ports.organization = Arc::new(OnePermissionSet {
        organization: ports.organization,
    });
    let team = team_core::Team::new(ports);
    let api = team_lambda::http::api_router(team.clone());

    // GIVEN a session TEAM-rs granted and removed (its lease remains, without holders)...
    a_session_granted_and_ended(&api, &team, &world).await;
    // ... the same assignment made again behind TEAM-rs's back (a leak: TEAM-rs made it
    // once, no live request holds it), and one for bob, who never asked (drift).
    assign_by_hand(&world, &world.alice).await;
    assign_by_hand(&world, &world.bob).await;

    // WHEN the reconciler runs in report mode
    let report = SweepConfig {
        leaks: LeakMode::Report,
        ..config.sweep
    };
    let reported = sweep::handle_sweep(&team, report).await;
    // THEN it lists both and touches neither.
    assert!(reported.errors.is_empty(), "{:?}", reported.errors);
    assert_eq!(reported.counts.pairs, 1, "the one managed pair");
    assert_eq!(reported.counts.assignments, 2);
    let leak = only(&reported, FindingKind::Leaked);
    assert_eq!(leak.action, FindingAction::Reported);
    assert_eq!(
        leak.principal,
        Some(Principal::User(UserId::parse(&world.alice).unwrap()))
    );
    let now = assignments(&world).await;
    assert!(
        now.contains(&world.alice) && now.contains(&world.bob),
        "{now:?}"
    );
    let metrics = sweep::emf_document(&reported, "team-sweep");
    assert_eq!(metrics["SweepLeaksReported"], 1);
    assert_eq!(metrics["SweepLeaksRemoved"], 0);

    // WHEN it runs with the function's configuration (leaks removed)
    let run = sweep::handle_sweep(&team, config.sweep).await;
    // THEN alice's leaked assignment is gone, and bob's is only reported as drift.
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let leak = only(&run, FindingKind::Leaked);
    assert_eq!(leak.action, FindingAction::Removed, "{leak:?}");
    assert_eq!(leak.account_id.as_ref().unwrap().as_str(), world.account_id);
    assert_eq!(
        leak.permission_set_arn.as_ref().unwrap().as_str(),
        world.permission_set_arn
    );
    let drift = only(&run, FindingKind::Drift);
    assert_eq!(drift.action, FindingAction::Reported);
    assert_eq!(
        drift.principal,
        Some(Principal::User(UserId::parse(&world.bob).unwrap()))
    );
    assert_eq!(run.findings.len(), 2, "{:#?}", run.findings);
    assert_eq!(assignments(&world).await, [world.bob.clone()]);
    // Its metrics say so.
    let metrics = sweep::emf_document(&run, "team-sweep");
    assert_eq!(metrics["SweepLeaksRemoved"], 1);
    assert_eq!(metrics["SweepDrift"], 1);
    assert_eq!(metrics["SweepFailures"], 0);
    assert_eq!(metrics["SweepRedriven"], 0);

    // The runs are in the sweep log in DynamoDB, newest first...
    let log = DynamoSweepLog::new(aws_sdk_dynamodb::Client::new(&world.sdk), "team-requests");
    let runs = log.recent(10).await.unwrap();
    assert_eq!(runs, [run.clone(), reported.clone()]);
    assert_eq!(log.recent(1).await.unwrap(), std::slice::from_ref(&run));
    // ... which admins read through the API.
    let (status, listed) = call(&api, "GET", "/api/admin/sweeps", &world.carol, None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["findings"].as_array().unwrap().len(), 2);

    // A second sweep finds the leak gone: only the drift is left.
    let again = sweep::handle_sweep(&team, config.sweep).await;
    assert_eq!(again.of(FindingKind::Leaked).count(), 0, "{again:#?}");
    assert_eq!(again.of(FindingKind::Drift).count(), 1);
}
