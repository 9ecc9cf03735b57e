//! Who may end access, and when approver rights count (issue 8, holes 4 and 5), through
//! the HTTP API of a whole twin: admins cancel or revoke any request and end everything
//! of one user; approvers count only while an approver policy names them.

use http::StatusCode;
use serde_json::json;
use team_tests::*;
use time::Duration;

/// GIVEN alice asked for 60 minutes of admin on payments-prod, bob approved it and the
/// grant went through. Answers the twin, alice's token and the request id.
async fn given_alice_in_a_prod_session() -> (Harness, String, String) {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await);
    assert_eq!(h.approve(&bob, &id).await.status, StatusCode::OK);
    h.advance(Duration::seconds(30)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
    (h, alice, id)
}

#[tokio::test]
async fn an_admin_revokes_a_session_nobody_else_could_and_access_goes() {
    // GIVEN a running session in which carol (admin) is neither requester nor approver
    let (h, alice, id) = given_alice_in_a_prod_session().await;
    let carol = h.login("carol").await;
    // WHEN carol revokes it without saying why THEN she is asked for a comment
    let bare = h.act(&carol, &id, "revoke", json!({})).await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST, "{}", bare.text);
    assert_eq!(bare.body["error"]["field"], "comment");
    // WHEN she gives one
    let revoked = h
        .act(
            &carol,
            &id,
            "revoke",
            json!({"comment": "incident 42: account compromised"}),
        )
        .await;
    // THEN the request is revoked by her, and the assignment is removed
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(revoked.body["closed"]["by"]["username"], "carol");
    h.advance(Duration::seconds(30)).await;
    assert!(h.assignments().await.is_empty());
    let trail = h.get(&format!("/api/requests/{id}/events"), &alice).await;
    assert!(
        trail
            .text
            .contains("revoked by carol (TEAM admin): incident 42"),
        "{}",
        trail.text
    );
}

#[tokio::test]
async fn an_admin_cancels_a_pending_request_and_its_workflow_closes() {
    // GIVEN a pending request of alice
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let carol = h.login("carol").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await);
    h.settle().await;
    // WHEN carol cancels it with a comment
    let cancelled = h
        .act(
            &carol,
            &id,
            "cancel",
            json!({"comment": "duplicate of another request"}),
        )
        .await;
    // THEN it is cancelled and nothing is ever granted
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    h.advance(Duration::minutes(5)).await;
    assert_eq!(h.status(&alice, &id).await, "cancelled");
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn someone_who_is_neither_requester_approver_nor_admin_cannot_cancel() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let dave = h.login("dave").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await);
    // dave (auditor) sees every request but may not close any
    let refused = h.act(&dave, &id, "cancel", json!({"comment": "no"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
}

#[tokio::test]
async fn revoke_all_ends_every_session_and_cancels_every_request_of_one_user() {
    // GIVEN alice has a running session and a pending request
    let (h, alice, running) = given_alice_in_a_prod_session().await;
    let pending = id_of(&h.submit(&alice, DEV, READ_PS, 30).await);
    h.settle().await;
    let carol = h.login("carol").await;
    // WHEN a non-admin tries THEN it is refused
    let bob = h.login("bob").await;
    let refused = h
        .post(
            "/api/admin/users/u-alice/revoke-all",
            &bob,
            json!({"comment": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    // WHEN carol ends everything of alice
    let done = h
        .post(
            "/api/admin/users/u-alice/revoke-all",
            &carol,
            json!({"comment": "alice's laptop was stolen"}),
        )
        .await;
    // THEN the session is revoked, the pending request cancelled, and access is gone
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["userId"], "u-alice");
    assert_eq!(done.body["revoked"], json!([running]));
    assert_eq!(done.body["cancelled"], json!([pending]));
    assert_eq!(done.body["failed"], json!([]));
    h.advance(Duration::seconds(30)).await;
    assert!(h.assignments().await.is_empty());
    assert_eq!(h.status(&alice, &running).await, "revoked");
    assert_eq!(h.status(&alice, &pending).await, "cancelled");
}

#[tokio::test]
async fn an_approver_removed_from_the_approver_policy_can_no_longer_approve() {
    // GIVEN alice's pending request, approvable by the prod-approvers group (bob, erin)
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let carol = h.login("carol").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await);
    h.settle().await;
    // WHEN carol changes the approver policy so that only erin approves
    let policy = h
        .get("/api/admin/approver-policies/a-workloads", &carol)
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.text);
    let mut spec = policy.body.clone();
    for field in ["id", "updatedAt"] {
        spec.as_object_mut().expect("policy object").remove(field);
    }
    spec["approverGroups"] = json!([]);
    spec["approverUsers"] = json!(["u-erin"]);
    let changed = h
        .put("/api/admin/approver-policies/a-workloads", &carol, spec)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    // THEN bob's approval is refused, saying why, and the request still waits
    let refused = h.approve(&bob, &id).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(refused.text.contains("not an approver"), "{}", refused.text);
    assert_eq!(h.status(&alice, &id).await, "pending");
    // AND erin, still an approver, can approve
    let erin = h.login("erin").await;
    let approved = h.approve(&erin, &id).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
}
