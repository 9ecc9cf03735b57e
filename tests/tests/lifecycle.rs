//! The access lifecycle end to end through the HTTP API, the state machine files and
//! the simulated Identity Center, with a clock the tests move (no sleeping).

use http::StatusCode;
use serde_json::json;
use team_tests::*;
use time::Duration;

/// A fresh twin in which alice has asked for admin on payments-prod, which bob or erin approve.
struct AliceAsked {
    h: Harness,
    alice: String,
    id: String,
}

/// GIVEN alice has asked for `minutes` of admin on payments-prod (approval needed).
async fn given_alice_asked_for_prod(minutes: i64) -> AliceAsked {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, minutes).await);
    AliceAsked { h, alice, id }
}

/// GIVEN alice has asked for `minutes` of admin on payments-prod AND `approver`
/// approved it AND the grant went through. Answers the approver's token too.
async fn given_alice_in_a_prod_session(approver: &str, minutes: i64) -> (AliceAsked, String) {
    let asked = given_alice_asked_for_prod(minutes).await;
    let approver = asked.h.login(approver).await;
    asked.h.approve(&approver, &asked.id).await;
    asked.h.advance(Duration::seconds(30)).await;
    (asked, approver)
}

#[tokio::test]
async fn approved_request_is_granted_then_removed_at_its_end_time() {
    // GIVEN alice is eligible for payments-prod with approval
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;

    // WHEN she asks for 60 minutes
    let submitted = h.submit(&alice, PROD, ADMIN_PS, 60).await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "pending");
    let id = id_of(&submitted);
    h.settle().await;
    assert!(h.assignments().await.is_empty());

    // AND bob approves
    let approved = h.act(&bob, &id, "approve", json!({"comment": "ok"})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    h.advance(Duration::seconds(30)).await;

    // THEN the session is in progress with the assignment in Identity Center
    assert_eq!(h.status(&alice, &id).await, "in progress");
    assert_eq!(
        h.assignments().await,
        vec![("u-alice".into(), PROD.into(), ADMIN_PS.into())]
    );

    // AND at the end time it ends and the assignment is gone
    h.advance(Duration::minutes(61)).await;
    assert_eq!(h.status(&alice, &id).await, "ended");
    assert!(h.assignments().await.is_empty());
    let kinds = h.event_kinds(&alice, &id).await;
    for expected in [
        "submitted",
        "approved",
        "granted",
        "ended",
        "access-removed",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "missing {expected} in {kinds:?}"
        );
    }
}

#[tokio::test]
async fn future_request_is_scheduled_until_its_start_time() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let start = T0 + Duration::hours(2);
    let body = json!({
        "accountId": DEV, "permissionSetArn": READ_PS, "durationMinutes": 30,
        "justification": "release", "startTime": start.format(&time::format_description::well_known::Rfc3339).unwrap(),
    });
    let id = id_of(&h.post("/api/requests", &alice, body).await);
    h.approve(&bob, &id).await;
    h.advance(Duration::minutes(1)).await;
    assert_eq!(h.status(&alice, &id).await, "scheduled");
    assert!(h.assignments().await.is_empty());
    h.advance(Duration::minutes(120)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
    h.advance(Duration::minutes(31)).await;
    assert_eq!(h.status(&alice, &id).await, "ended");
}

#[tokio::test]
async fn rejected_request_never_grants() {
    let AliceAsked { h, alice, id } = given_alice_asked_for_prod(60).await;
    let erin = h.login("erin").await;
    h.settle().await;
    let rejected = h
        .act(&erin, &id, "reject", json!({"comment": "no ticket"}))
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    h.advance(Duration::minutes(5)).await;
    assert_eq!(h.status(&alice, &id).await, "rejected");
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn requester_can_cancel_a_pending_request() {
    let AliceAsked { h, alice, id } = given_alice_asked_for_prod(60).await;
    let bob = h.login("bob").await;
    h.settle().await;
    let cancelled = h.act(&alice, &id, "cancel", json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    h.advance(Duration::minutes(5)).await;
    // A late approval is refused
    let late = h.approve(&bob, &id).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn only_the_requester_can_cancel() {
    let AliceAsked { h, id, .. } = given_alice_asked_for_prod(60).await;
    let bob = h.login("bob").await;
    let reply = h.act(&bob, &id, "cancel", json!({})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
}

#[tokio::test]
async fn pending_request_expires_after_the_approval_window() {
    let AliceAsked { h, alice, id } = given_alice_asked_for_prod(60).await;
    h.advance(Duration::minutes(179)).await;
    assert_eq!(h.status(&alice, &id).await, "pending");
    h.advance(Duration::minutes(2)).await;
    assert_eq!(h.status(&alice, &id).await, "expired");
    assert!(
        h.event_kinds(&alice, &id)
            .await
            .contains(&"expired".to_string())
    );
}

#[tokio::test]
async fn requester_ends_a_session_early() {
    let (AliceAsked { h, alice, id }, _bob) = given_alice_in_a_prod_session("bob", 120).await;
    assert_eq!(h.assignments().await.len(), 1);
    let ended = h.act(&alice, &id, "revoke", json!({})).await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(ended.body["status"], "ended");
    assert_eq!(ended.body["closed"]["by"]["username"], "alice");
    h.advance(Duration::seconds(30)).await;
    assert!(h.assignments().await.is_empty());
    // The end timer no longer matters: nothing changes at the original end time
    h.advance(Duration::minutes(121)).await;
    assert_eq!(h.status(&alice, &id).await, "ended");
}

#[tokio::test]
async fn approver_revokes_a_running_session() {
    let (AliceAsked { h, alice, id }, erin) = given_alice_in_a_prod_session("erin", 120).await;
    let revoked = h
        .act(
            &erin,
            &id,
            "revoke",
            json!({"comment": "suspicious activity"}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.body["status"], "revoked");
    h.advance(Duration::seconds(30)).await;
    assert!(h.assignments().await.is_empty());
    assert_eq!(h.status(&alice, &id).await, "revoked");
}

#[tokio::test]
async fn no_approval_policy_grants_at_once() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let submitted = h.submit(&alice, SANDBOX, ADMIN_PS, 30).await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "approved");
    assert_eq!(submitted.body["approvers"], json!([]));
    h.advance(Duration::seconds(10)).await;
    assert_eq!(h.status(&alice, &id_of(&submitted)).await, "in progress");
}

#[tokio::test]
async fn approver_cannot_approve_own_request() {
    let h = Harness::new().await;
    let bob = h.login("bob").await;
    let erin = h.login("erin").await;
    let id = id_of(&h.submit(&bob, DEV, READ_PS, 30).await);
    let own = h.approve(&bob, &id).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text);
    assert_eq!(own.body["error"]["code"], "Forbidden");
    let other = h.approve(&erin, &id).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
}

#[tokio::test]
async fn ineligible_user_is_refused() {
    let h = Harness::new().await;
    let frank = h.login("frank").await;
    let reply = h.submit(&frank, PROD, ADMIN_PS, 30).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    let alice = h.login("alice").await;
    let not_hers = h.submit(&alice, "444444444444", ADMIN_PS, 30).await;
    assert_eq!(not_hers.status, StatusCode::FORBIDDEN, "{}", not_hers.text);
}

#[tokio::test]
async fn duration_over_the_maximum_is_a_bad_request() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let reply = h.submit(&alice, SANDBOX, ADMIN_PS, 241).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["error"]["field"], "durationMinutes");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("240")
    );
}

#[tokio::test]
async fn bad_json_and_bad_fields_get_messages() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let request = http::Request::builder()
        .method("POST")
        .uri("/api/requests")
        .header("authorization", format!("Bearer {alice}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let broken = h.raw(request).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.text);
    assert_eq!(broken.body["error"]["code"], "ValidationError");

    let cases = [
        (
            json!({"accountId": "12", "permissionSetArn": ADMIN_PS, "durationMinutes": 5, "justification": "x"}),
            "accountId",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": "arn:nope", "durationMinutes": 5, "justification": "x"}),
            "permissionSetArn",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 5, "justification": "  "}),
            "justification",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 5, "justification": "x", "ticketNo": "#1"}),
            "ticketNo",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 5, "justification": "x", "startTime": "tomorrow"}),
            "startTime",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 5, "justification": "x", "startTime": "2020-01-01T00:00:00Z"}),
            "startTime",
        ),
        (
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 0, "justification": "x"}),
            "durationMinutes",
        ),
    ];
    for (body, field) in cases {
        let reply = h.post("/api/requests", &alice, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            reply.text
        );
        assert_eq!(reply.body["error"]["field"], field, "{}", reply.text);
    }
    let missing = h
        .post("/api/requests", &alice, json!({"accountId": PROD}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("permissionSetArn"),
        "{}",
        missing.text
    );
    let unknown = h
        .post(
            "/api/requests",
            &alice,
            json!({"accountId": PROD, "permissionSetArn": ADMIN_PS,
        "durationMinutes": 5, "justification": "x", "duration": 5}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
}

#[tokio::test]
async fn invalid_transitions_are_conflicts() {
    let (AliceAsked { h, alice, id }, bob) = given_alice_in_a_prod_session("bob", 60).await;
    let again = h.approve(&bob, &id).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let cancel = h.act(&alice, &id, "cancel", json!({})).await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{}", cancel.text);
    assert_eq!(cancel.body["error"]["code"], "InvalidTransition");
}

#[tokio::test]
async fn overlapping_grants_keep_access_until_the_last_one_ends() {
    // TEAM #279: ending one session must not cut off another of the same user and permission set.
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let first = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 60).await);
    h.advance(Duration::minutes(30)).await;
    let second = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 60).await);
    h.advance(Duration::minutes(1)).await;
    assert_eq!(h.status(&alice, &first).await, "in progress");
    assert_eq!(h.status(&alice, &second).await, "in progress");
    h.advance(Duration::minutes(30)).await;
    assert_eq!(h.status(&alice, &first).await, "ended");
    assert_eq!(
        h.assignments().await.len(),
        1,
        "the second session still needs the assignment"
    );
    assert!(
        h.event_kinds(&alice, &first)
            .await
            .contains(&"access-kept".to_string())
    );
    h.advance(Duration::minutes(31)).await;
    assert_eq!(h.status(&alice, &second).await, "ended");
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn two_approvers_approving_at_once_make_one_transition_and_one_grant() {
    let AliceAsked { h, alice, id } = given_alice_asked_for_prod(60).await;
    let bob = h.login("bob").await;
    let erin = h.login("erin").await;
    h.settle().await;
    let (a, b) = tokio::join!(h.approve(&bob, &id), h.approve(&erin, &id));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.text,
        b.text
    );
    h.advance(Duration::minutes(1)).await;
    let kinds = h.event_kinds(&alice, &id).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "approved").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "granted").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(h.assignments().await.len(), 1);
}

#[tokio::test]
async fn a_grant_that_fails_in_identity_center_ends_in_error_with_the_reason() {
    let h = Harness::with_faults(&format!(
        "fail-create:{SANDBOX}:ConflictException quota of assignments reached"
    ))
    .await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::minutes(1)).await;
    let request = h.get(&format!("/api/requests/{id}"), &alice).await;
    assert_eq!(request.body["status"], "error", "{}", request.text);
    let reason = request.body["errorReason"].as_str().unwrap();
    assert!(reason.contains("quota of assignments reached"), "{reason}");
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn throttled_identity_center_calls_are_retried() {
    let h = Harness::with_faults("throttle:2").await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::minutes(2)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
}

#[tokio::test]
async fn a_restarted_teamd_still_revokes_on_time() {
    let db = Restartable::new("restart");
    let id;
    {
        let h = db.start().await;
        let alice = h.login("alice").await;
        id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 45).await);
        h.advance(Duration::minutes(1)).await;
        assert_eq!(h.status(&alice, &id).await, "in progress");
    }
    // The process is gone; time passes; a new one starts on the same data.
    db.clock.advance(std::time::Duration::from_secs(50 * 60));
    let h = db.start().await;
    h.advance(Duration::seconds(30)).await;
    let alice = h.login("alice").await;
    assert_eq!(h.status(&alice, &id).await, "ended");
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn a_restarted_teamd_keeps_pending_approvals() {
    let db = Restartable::new("restart-pending");
    let id;
    {
        let h = db.start().await;
        let alice = h.login("alice").await;
        id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 30).await);
        h.settle().await;
    }
    let h = db.start().await;
    let bob = h.login("bob").await;
    let approved = h.approve(&bob, &id).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    h.advance(Duration::seconds(30)).await;
    assert_eq!(h.status(&bob, &id).await, "in progress");
}
