//! The reconciler over the whole twin (SQLite, the simulated Identity Center, the
//! state machine files): leaks are removed, hand-made assignments reported, overdue
//! sessions re-driven, owed removals paid; its runs are listed for admins.

use http::{Method, StatusCode};
use serde_json::json;
use team_core::ids::RequestId;
use team_core::sweep::{FindingAction, FindingKind, LeakMode, SweepConfig, SweepRun};
use team_tests::*;
use time::Duration;

/// A sweep that acts one minute after things are due.
fn config(leaks: LeakMode) -> SweepConfig {
    SweepConfig {
        grace: Duration::minutes(1),
        stale_removal: Duration::minutes(2),
        leaks,
        list_calls_per_second: 100,
    }
}

async fn sweep(h: &Harness, leaks: LeakMode) -> SweepRun {
    let run = h.twin.team.sweep(config(leaks)).await;
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    run
}

/// Creates an assignment the way someone outside TEAM-rs would.
async fn assign_by_hand(h: &Harness, user: &str, account: &str, ps: &str) {
    let made = h
        .call(
            Method::POST,
            "/api/local/assignments",
            None,
            Some(json!({"accountId": account, "permissionSetArn": ps, "principalId": user})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
}

/// GIVEN alice's sandbox session (no approval needed) ran and ended normally.
async fn given_a_finished_sandbox_session(h: &Harness) -> String {
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::seconds(30)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
    h.advance(Duration::minutes(31)).await;
    assert_eq!(h.status(&alice, &id).await, "ended");
    assert!(h.assignments().await.is_empty());
    id
}

#[tokio::test]
async fn a_clean_twin_has_nothing_to_find() {
    let h = Harness::new().await;
    given_a_finished_sandbox_session(&h).await;
    let run = sweep(&h, LeakMode::Remove).await;
    assert!(run.findings.is_empty(), "{:?}", run.findings);
    assert!(run.counts.pairs > 0, "the managed pairs were listed");
}

#[tokio::test]
async fn an_assignment_team_made_that_no_live_request_holds_is_removed() {
    // GIVEN alice's session ended, and then her assignment came back (a bug, a lost
    // removal, a restore from backup): TEAM-rs has a lease for it, with no live holder
    let h = Harness::new().await;
    given_a_finished_sandbox_session(&h).await;
    assign_by_hand(&h, "u-alice", SANDBOX, ADMIN_PS).await;
    // WHEN the reconciler runs in report mode THEN it is found and left
    let reported = sweep(&h, LeakMode::Report).await;
    let leak: Vec<_> = reported.of(FindingKind::Leaked).collect();
    assert_eq!(leak.len(), 1, "{:?}", reported.findings);
    assert_eq!(leak[0].action, FindingAction::Reported);
    assert_eq!(h.assignments().await.len(), 1);
    // WHEN it runs in remove mode THEN the assignment is deleted
    let removed = sweep(&h, LeakMode::Remove).await;
    let leak: Vec<_> = removed.of(FindingKind::Leaked).collect();
    assert_eq!(leak.len(), 1, "{:?}", removed.findings);
    assert_eq!(leak[0].action, FindingAction::Removed, "{:?}", leak[0]);
    assert!(h.assignments().await.is_empty());
    // AND the next run finds nothing
    assert!(sweep(&h, LeakMode::Remove).await.findings.is_empty());
}

#[tokio::test]
async fn an_assignment_made_outside_team_is_reported_and_never_removed() {
    // GIVEN frank was given admin on payments-prod by hand, outside TEAM-rs
    let h = Harness::new().await;
    assign_by_hand(&h, "u-frank", PROD, ADMIN_PS).await;
    // WHEN the reconciler runs
    let run = sweep(&h, LeakMode::Remove).await;
    // THEN it reports the drift and leaves the assignment alone
    let drift: Vec<_> = run.of(FindingKind::Drift).collect();
    assert_eq!(drift.len(), 1, "{:?}", run.findings);
    assert_eq!(drift[0].action, FindingAction::Reported);
    assert_eq!(drift[0].account_id.as_ref().map(|a| a.as_str()), Some(PROD));
    assert_eq!(h.assignments().await.len(), 1);
}

#[tokio::test]
async fn a_session_whose_end_timer_was_lost_is_ended_by_the_reconciler() {
    // GIVEN alice's running sandbox session whose end timer is lost
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::seconds(30)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
    h.twin
        .scheduler
        .remove(&RequestId::parse(id.clone()).expect("request id"))
        .await;
    // WHEN its end time passes, nothing ends it
    h.advance(Duration::minutes(31)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
    assert_eq!(h.assignments().await.len(), 1);
    // AND WHEN the grace has passed too and the reconciler runs
    h.advance(Duration::minutes(2)).await;
    let run = sweep(&h, LeakMode::Remove).await;
    // THEN it re-drove the session: ended, access gone, the trail says so
    let overdue: Vec<_> = run.of(FindingKind::Overdue).collect();
    assert_eq!(overdue.len(), 1, "{:?}", run.findings);
    assert_eq!(overdue[0].action, FindingAction::Redriven);
    assert_eq!(h.status(&alice, &id).await, "ended");
    assert!(h.assignments().await.is_empty());
    // AND the trail records it with the status it led to, so the trail stays a path
    // through the transition table
    let events = h.get(&format!("/api/requests/{id}/events"), &alice).await;
    let swept: Vec<_> = events
        .body
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "swept")
        .collect();
    assert_eq!(swept.len(), 1, "{}", events.text);
    assert_eq!(swept[0]["status"], "ended", "{}", events.text);
}

#[tokio::test]
async fn a_removal_that_failed_is_paid_by_the_reconciler_once_identity_center_recovers() {
    // GIVEN alice's session whose removal failed at its end time (the request is in error)
    let h = Harness::with_faults("fail-delete:333333333333:AccessDeniedException").await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::seconds(30)).await;
    h.advance(Duration::minutes(31)).await;
    assert_eq!(h.status(&alice, &id).await, "error");
    assert_eq!(h.assignments().await.len(), 1, "the access is still there");
    // WHEN Identity Center recovers and the reconciler runs
    let cleared = h
        .call(Method::DELETE, "/api/local/faults", None, None)
        .await;
    assert!(cleared.status.is_success(), "{}", cleared.text);
    let run = sweep(&h, LeakMode::Remove).await;
    // THEN the owed removal is paid and recorded on the request
    let owed: Vec<_> = run.of(FindingKind::OwedRemoval).collect();
    assert_eq!(owed.len(), 1, "{:?}", run.findings);
    assert_eq!(owed[0].action, FindingAction::Removed, "{:?}", owed[0]);
    h.settle().await;
    assert!(h.assignments().await.is_empty());
    let kinds = h.event_kinds(&alice, &id).await;
    assert!(kinds.contains(&"removal-failed".to_string()), "{kinds:?}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("access-removed"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn admins_and_auditors_see_the_runs_and_requesters_do_not() {
    let h = Harness::new().await;
    assign_by_hand(&h, "u-frank", PROD, ADMIN_PS).await;
    sweep(&h, LeakMode::Remove).await;
    for who in ["carol", "dave"] {
        let token = h.login(who).await;
        let runs = h.get("/api/admin/sweeps?limit=5", &token).await;
        assert_eq!(runs.status, StatusCode::OK, "{who}: {}", runs.text);
        assert_eq!(runs.body.as_array().map(Vec::len), Some(1), "{}", runs.text);
        assert_eq!(
            runs.body[0]["findings"][0]["kind"], "drift",
            "{}",
            runs.text
        );
    }
    let alice = h.login("alice").await;
    let refused = h.get("/api/admin/sweeps", &alice).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
}

#[tokio::test]
async fn a_session_closed_a_moment_ago_is_left_to_its_workflow() {
    // GIVEN alice ended her session early, and its removal has not run yet
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.advance(Duration::seconds(30)).await;
    let ended = h.act(&alice, &id, "revoke", json!({})).await;
    assert_eq!(ended.body["status"], "ended", "{}", ended.text);
    assert_eq!(h.assignments().await.len(), 1);
    // WHEN the reconciler runs right then THEN it finds nothing to do
    let run = sweep(&h, LeakMode::Remove).await;
    assert!(run.findings.is_empty(), "{:?}", run.findings);
    // AND the workflow removes the access as usual
    h.advance(Duration::seconds(30)).await;
    assert!(h.assignments().await.is_empty());
}
