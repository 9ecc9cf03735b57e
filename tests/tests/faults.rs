//! teamd's local-only routes for the simulated Identity Center: faults set, read and
//! cleared at run time, and assignments made outside TEAM-rs.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use team_tests::*;
use time::Duration;

const FAULTS: &str = "/api/local/faults";
const ASSIGNMENTS: &str = "/api/local/assignments";

/// Faults as `GET /api/local/faults` shows them when none is set.
fn no_faults() -> Value {
    json!({
        "throttle": 0,
        "failCreate": [],
        "failDelete": [],
        "latencyMs": 0,
        "dieAfterNextSideEffect": false,
    })
}

/// `POST /api/local/faults` with `body`.
async fn set_faults(h: &Harness, body: Value) -> Reply {
    h.call(Method::POST, FAULTS, None, Some(body)).await
}

/// The faults now set, as `GET /api/local/faults` shows them.
async fn get_faults(h: &Harness) -> Value {
    let reply = h.call(Method::GET, FAULTS, None, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// Asserts `reply` is a 400 validation error about `field`.
fn assert_bad_field(reply: &Reply, field: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{field}: {}",
        reply.text
    );
    assert_eq!(
        reply.body["error"]["code"], "ValidationError",
        "{}",
        reply.text
    );
    assert_eq!(reply.body["error"]["field"], field, "{}", reply.text);
}

#[tokio::test]
async fn a_fresh_twin_has_no_faults() {
    // GIVEN a twin started without --fault
    let h = Harness::new().await;
    // WHEN its faults are read
    let faults = get_faults(&h).await;
    // THEN none is set
    assert_eq!(faults, no_faults());
}

#[tokio::test]
async fn a_fail_delete_fault_set_over_http_is_listed() {
    // GIVEN a twin without faults
    let h = Harness::new().await;

    // WHEN deletions on the sandbox account are made to fail
    let set = set_faults(
        &h,
        json!({"failDelete": {"accountId": SANDBOX, "reason": "AccessDeniedException: nope"}}),
    )
    .await;

    // THEN the answer and a later GET list that fault, and only that one
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let mut expected = no_faults();
    expected["failDelete"] =
        json!([{"accountId": SANDBOX, "reason": "AccessDeniedException: nope"}]);
    assert_eq!(set.body, expected);
    assert_eq!(get_faults(&h).await, expected);
}

#[tokio::test]
async fn several_faults_in_one_body_are_set_and_a_later_body_replaces_only_its_keys() {
    // GIVEN a twin without faults
    let h = Harness::new().await;

    // WHEN one body sets every kind of fault (a failure without a reason)
    let first = set_faults(
        &h,
        json!({
            "throttle": 3,
            "failCreate": {"accountId": PROD},
            "failDelete": {"accountId": DEV, "reason": "first"},
            "latencyMs": 5,
            "dieAfterNextSideEffect": true,
        }),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    // AND a second body changes the throttle and the failDelete entry of DEV, and adds SANDBOX
    set_faults(
        &h,
        json!({"throttle": 1, "failDelete": {"accountId": DEV, "reason": "second"}}),
    )
    .await;
    let last = set_faults(&h, json!({"failDelete": {"accountId": SANDBOX}})).await;

    // THEN the untouched faults stay, the given ones are replaced or added
    let expected = json!({
        "throttle": 1,
        "failCreate": [{"accountId": PROD, "reason": "simulated failure"}],
        "failDelete": [
            {"accountId": DEV, "reason": "second"},
            {"accountId": SANDBOX, "reason": "simulated failure"},
        ],
        "latencyMs": 5,
        "dieAfterNextSideEffect": true,
    });
    assert_eq!(last.body, expected, "{}", last.text);
    assert_eq!(get_faults(&h).await, expected);
}

#[tokio::test]
async fn deleting_the_faults_clears_every_one() {
    // GIVEN several faults set
    let h = Harness::new().await;
    let set = set_faults(
        &h,
        json!({"throttle": 2, "failCreate": {"accountId": PROD}, "latencyMs": 1,
               "dieAfterNextSideEffect": true}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);

    // WHEN they are deleted
    let cleared = h.call(Method::DELETE, FAULTS, None, None).await;

    // THEN the answer and a later GET show none
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert_eq!(cleared.body, no_faults());
    assert_eq!(get_faults(&h).await, no_faults());
}

#[tokio::test]
async fn bad_faults_are_refused_naming_the_field_and_change_nothing() {
    // GIVEN a twin without faults
    let h = Harness::new().await;

    // WHEN bodies with a bad account id, too much latency or an unknown key are posted
    let bad_create = set_faults(
        &h,
        json!({"throttle": 3, "failCreate": {"accountId": "12"}}),
    )
    .await;
    let bad_delete = set_faults(&h, json!({"failDelete": {"accountId": "not-an-account"}})).await;
    let bad_latency = set_faults(&h, json!({"latencyMs": 600_001})).await;
    let unknown = set_faults(&h, json!({"throttle": 3, "explode": true})).await;
    let negative = set_faults(&h, json!({"throttle": -1})).await;

    // THEN each is a 400 naming what is wrong
    assert_bad_field(&bad_create, "failCreate.accountId");
    assert_bad_field(&bad_delete, "failDelete.accountId");
    assert_bad_field(&bad_latency, "latencyMs");
    assert_bad_field(&unknown, "body");
    assert!(unknown.text.contains("explode"), "{}", unknown.text);
    assert_bad_field(&negative, "body");
    // AND nothing was set, not even the valid throttle next to the bad account
    assert_eq!(get_faults(&h).await, no_faults());
}

#[tokio::test]
async fn an_assignment_made_outside_team_is_listed_at_once() {
    // GIVEN a twin with no assignment
    let h = Harness::new().await;
    assert!(h.assignments().await.is_empty());

    // WHEN someone outside TEAM-rs assigns bob admin on payments-prod
    let body = json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "principalId": "u-bob"});
    let created = h.call(Method::POST, ASSIGNMENTS, None, Some(body)).await;

    // THEN it is created and listed without the clock moving
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.body,
        json!({"userId": "u-bob", "accountId": PROD, "permissionSetArn": ADMIN_PS})
    );
    assert_eq!(
        h.assignments().await,
        vec![("u-bob".into(), PROD.into(), ADMIN_PS.into())]
    );
}

#[tokio::test]
async fn a_bad_outside_assignment_is_refused_naming_the_field() {
    // GIVEN a twin
    let h = Harness::new().await;
    let good = json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "principalId": "u-bob"});

    for (field, bad_value) in [
        ("accountId", json!("1234")),
        ("permissionSetArn", json!("arn:nope")),
        ("principalId", json!("bob smith!")),
    ] {
        // WHEN one field is malformed
        let mut body = good.clone();
        body[field] = bad_value;
        let reply = h.call(Method::POST, ASSIGNMENTS, None, Some(body)).await;
        // THEN it is a 400 naming that field
        assert_bad_field(&reply, field);
    }
    // AND nothing was assigned
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn a_throttle_set_at_run_time_makes_the_grant_retry_and_still_succeed() {
    // GIVEN alice asked for her sandbox (no approval) and the grant has not run yet
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);

    // WHEN the next two Identity Center calls are throttled, at run time
    let set = set_faults(&h, json!({"throttle": 2})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    h.advance(Duration::minutes(2)).await;

    // THEN the grant step used both throttles up, was retried and the session runs
    assert_eq!(get_faults(&h).await["throttle"], 0);
    assert_eq!(h.status(&alice, &id).await, "in progress");
    assert_eq!(
        h.assignments().await,
        vec![("u-alice".into(), SANDBOX.into(), ADMIN_PS.into())]
    );
}
