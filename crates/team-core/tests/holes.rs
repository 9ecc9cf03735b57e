//! The holes through which access could outlive its window (issue 8), each shown
//! closed over the in-memory fakes: a forgotten failed removal, a grant that is not
//! idempotent, a window shortened by a late approval, checks not made again when
//! access starts.
#![allow(clippy::unwrap_used)] // a poisoned lock in a fake is a failed test

mod support;

use serde_json::json;
use support::*;
use team_core::request::{EventKind, Status};
use team_core::service::NewRequest;
use team_core::steps::StepInput;
use time::{Duration, UtcOffset};

async fn owed(team: &team_core::Team) -> Vec<team_core::ports::Lease> {
    team.ports().requests.owed_leases().await.unwrap()
}

async fn request(
    team: &team_core::Team,
    id: &team_core::ids::RequestId,
) -> team_core::request::AccessRequest {
    team.ports().requests.get(id).await.unwrap().unwrap()
}

/// The end step fails to delete the assignment (Identity Center answers `reason`),
/// and the workflow's catch runs the record-error step, as Step Functions would.
async fn removal_fails_and_is_recorded(
    team: &team_core::Team,
    fakes: &Fakes,
    id: &team_core::ids::RequestId,
    reason: &str,
) {
    *fakes.fail_delete.lock().unwrap() = Some(reason.into());
    let err = revoke(team, id).await.unwrap_err();
    team.step(StepInput::RecordError {
        request_id: id.clone(),
        error: Some(json!({"Error": err.code(), "Cause": err.to_string()})),
    })
    .await
    .unwrap();
}

// Hole 1: a failed removal was forgotten.

#[tokio::test]
async fn a_failed_removal_stays_owed_and_a_retry_of_the_step_deletes_it() {
    // GIVEN a running session whose assignment cannot be deleted right now
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    *fakes.fail_delete.lock().unwrap() = Some("AccessDeniedException".into());
    // WHEN its end time comes
    let err = revoke(&team, &id).await.unwrap_err();
    // THEN the step fails, the session does not read 'ended' while access exists,
    // and the removal is owed with its reason
    assert_eq!(err.code(), "TeamProvisioningError");
    assert_eq!(status(&team, &id).await, Status::InProgress);
    assert_eq!(fakes.assignments.lock().unwrap().len(), 1);
    let debts = owed(&team).await;
    assert_eq!(debts.len(), 1, "{debts:?}");
    assert_eq!(debts[0].owed_by.as_ref(), Some(&id));
    assert!(
        debts[0]
            .removal_error
            .as_deref()
            .is_some_and(|e| e.contains("AccessDeniedException")),
        "{debts:?}"
    );
    // AND WHEN the step is retried after Identity Center recovers
    *fakes.fail_delete.lock().unwrap() = None;
    let out = revoke(&team, &id).await.unwrap();
    // THEN the assignment is gone, the debt paid, and only now the session has ended
    assert_eq!(out["removed"], true);
    assert!(fakes.assignments.lock().unwrap().is_empty());
    assert!(owed(&team).await.is_empty());
    assert_eq!(status(&team, &id).await, Status::Ended);
}

#[tokio::test]
async fn a_removal_that_keeps_failing_puts_the_request_in_error_and_tells_admins_and_auditors() {
    // GIVEN a running session whose removal fails for good
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    // WHEN the end step fails and the workflow's catch records the failure
    removal_fails_and_is_recorded(&team, &fakes, &id, "AccessDeniedException").await;
    // THEN the request is in error with the reason, the removal is still owed,
    // the trail says so and admins and auditors were told
    let stored = request(&team, &id).await;
    assert_eq!(stored.status, Status::Error);
    assert!(
        stored
            .error_reason
            .unwrap()
            .contains("AccessDeniedException")
    );
    assert_eq!(owed(&team).await.len(), 1);
    let events = team.ports().requests.events(&id).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == EventKind::RemovalFailed),
        "{events:?}"
    );
    let told: Vec<_> = fakes
        .notifications
        .lock()
        .unwrap()
        .iter()
        .filter(|n| n.event == EventKind::RemovalFailed)
        .flat_map(|n| n.recipients.iter().map(|r| r.username.clone()))
        .collect();
    assert_eq!(told, ["admin"], "the admin group's members hear of it");
}

#[tokio::test]
async fn an_interrupted_removal_is_finished_by_the_next_delivery() {
    // GIVEN the process died right after Identity Center deleted the assignment
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    *fakes.crash_after_side_effect.lock().unwrap() = true;
    assert!(revoke(&team, &id).await.is_err());
    assert_eq!(
        owed(&team).await.len(),
        1,
        "the debt was written before the delete"
    );
    // WHEN the step is delivered again
    revoke(&team, &id).await.unwrap();
    // THEN the debt is settled and the session ended
    assert!(owed(&team).await.is_empty());
    assert!(fakes.assignments.lock().unwrap().is_empty());
    assert_eq!(status(&team, &id).await, Status::Ended);
}

// Hole 2: grant was not idempotent.

#[tokio::test]
async fn a_grant_delivered_again_after_its_success_answers_granted_so_the_end_is_scheduled() {
    // GIVEN a granted session
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    // WHEN the grant step is delivered a second time (its answer was lost)
    let again = grant(&team, &id).await.unwrap();
    // THEN it answers granted, so the workflow goes on to schedule the end
    assert_eq!(again["granted"], true);
    team.step(StepInput::ScheduleEnd {
        request_id: id.clone(),
    })
    .await
    .unwrap();
    let end = request(&team, &id).await.end_time;
    assert_eq!(fakes.end_timers.lock().unwrap().get(&id), Some(&end));
    assert_eq!(fakes.assignments.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_grant_cut_short_after_the_assignment_was_created_completes_on_the_next_delivery() {
    // GIVEN the process died after Identity Center created the assignment, before the
    // request was marked in progress
    let (team, fakes) = setup().await;
    let submitted = submit(&team, 60, "why").await;
    *fakes.crash_after_side_effect.lock().unwrap() = true;
    assert!(grant(&team, &submitted.id).await.is_err());
    assert_eq!(status(&team, &submitted.id).await, Status::Approved);
    // WHEN the step is delivered again
    let out = grant(&team, &submitted.id).await.unwrap();
    // THEN the session runs, with one assignment held by this request
    assert_eq!(out["granted"], true);
    assert_eq!(status(&team, &submitted.id).await, Status::InProgress);
    let lease = team
        .ports()
        .requests
        .lease(&submitted.assignment())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lease.holders.into_iter().collect::<Vec<_>>(),
        [submitted.id]
    );
}

// Hole 3: a late approval shortened or zeroed the session.

#[tokio::test]
async fn without_a_start_time_the_session_runs_its_full_duration_from_the_grant() {
    // GIVEN a 60-minute request without a start time, granted two hours after it was made
    let (team, fakes) = setup().await;
    let submitted = submit(&team, 60, "why").await;
    assert!(!submitted.fixed_window);
    fakes.advance(Duration::hours(2));
    let granted_at = *fakes.now.lock().unwrap();
    // WHEN access is granted
    grant(&team, &submitted.id).await.unwrap();
    // THEN the window is the one granted: from now, for the full hour
    let stored = request(&team, &submitted.id).await;
    assert_eq!(stored.status, Status::InProgress);
    assert_eq!(stored.start_time, granted_at);
    assert_eq!(stored.end_time, granted_at + Duration::minutes(60));
}

#[tokio::test]
async fn a_fixed_window_that_closed_before_access_could_start_expires_unused() {
    // GIVEN a request for 09:00-10:00 whose approval comes after 10:00
    let (team, fakes) = setup().await;
    let start = *fakes.now.lock().unwrap() + Duration::minutes(5);
    let submitted = team
        .submit(
            &as_alice(),
            NewRequest {
                account_id: ACCOUNT.into(),
                permission_set_arn: PS.into(),
                start_time: Some(
                    start
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap(),
                ),
                duration_minutes: 60,
                justification: "maintenance window".into(),
                ticket_no: None,
            },
        )
        .await
        .unwrap();
    fakes.advance(Duration::hours(3));
    // WHEN the workflow goes on
    let out = team
        .step(StepInput::Schedule {
            request_id: submitted.id.clone(),
        })
        .await
        .unwrap();
    // THEN nothing is granted and the request expired, saying why
    assert_eq!(out["proceed"], false);
    assert_eq!(status(&team, &submitted.id).await, Status::Expired);
    assert!(fakes.assignments.lock().unwrap().is_empty());
    let events = team.ports().requests.events(&submitted.id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::Expired && e.message.contains("window closed")),
        "{events:?}"
    );
    // AND a late grant delivery does not grant either
    let late = grant(&team, &submitted.id).await.unwrap();
    assert_eq!(late["granted"], false);
}

#[tokio::test]
async fn a_start_time_sent_with_an_offset_reaches_the_workflow_in_utc() {
    // GIVEN a start time written in Central European Summer Time
    let (team, fakes) = setup().await;
    let local = (*fakes.now.lock().unwrap() + Duration::hours(1))
        .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
    let text = local
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(text.ends_with("+02:00"), "{text}");
    // WHEN alice asks for it
    let submitted = team
        .submit(
            &as_alice(),
            NewRequest {
                account_id: ACCOUNT.into(),
                permission_set_arn: PS.into(),
                start_time: Some(text),
                duration_minutes: 30,
                justification: "later".into(),
                ticket_no: None,
            },
        )
        .await
        .unwrap();
    // THEN the request holds the same instant in UTC, and so does the Wait state's input
    assert_eq!(submitted.start_time, local);
    assert_eq!(submitted.start_time.offset(), UtcOffset::UTC);
    let out = team
        .step(StepInput::Schedule {
            request_id: submitted.id.clone(),
        })
        .await
        .unwrap();
    let start = out["startTime"].as_str().unwrap();
    assert!(start.ends_with('Z'), "{start}");
}

#[tokio::test]
async fn an_early_end_records_when_the_session_really_ended() {
    // GIVEN a running one-hour session
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    fakes.advance(Duration::minutes(10));
    let ended_at = *fakes.now.lock().unwrap();
    // WHEN alice ends it early
    let ended = team.revoke(&as_alice(), id.as_str(), None).await.unwrap();
    // THEN its end time is the time it ended, not the planned end
    assert_eq!(ended.status, Status::Ended);
    assert_eq!(ended.end_time, ended_at);
}

// Hole 4: eligibility was not checked again when access starts.

#[tokio::test]
async fn grant_refuses_with_a_reason_when_the_requester_is_no_longer_eligible() {
    // GIVEN an approved request whose eligibility policy was deleted before it started
    let (team, fakes) = setup().await;
    let submitted = submit(&team, 60, "why").await;
    let policy = team_core::ids::PolicyId::parse("e1").unwrap();
    assert!(
        team.ports()
            .policies
            .delete_eligibility_policy(&policy)
            .await
            .unwrap()
    );
    // WHEN the grant step runs
    let out = grant(&team, &submitted.id).await.unwrap();
    // THEN nothing is granted and the request says why
    assert_eq!(out["granted"], false);
    assert!(fakes.assignments.lock().unwrap().is_empty());
    let stored = request(&team, &submitted.id).await;
    assert_eq!(stored.status, Status::Error);
    assert!(
        stored
            .error_reason
            .as_deref()
            .is_some_and(|r| r.contains("no longer eligible")),
        "{:?}",
        stored.error_reason
    );
}

#[tokio::test]
async fn an_owed_removal_left_by_a_failed_request_is_paid_by_a_later_retry() {
    // GIVEN a request in error whose removal is still owed
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    removal_fails_and_is_recorded(&team, &fakes, &id, "ThrottlingException").await;
    let debts = owed(&team).await;
    assert_eq!(debts.len(), 1);
    // WHEN Identity Center recovers and the debt is retried (as the reconciler does)
    *fakes.fail_delete.lock().unwrap() = None;
    let paid = team.retry_owed_removal(&debts[0]).await.unwrap();
    // THEN the assignment is gone and nothing is owed any more
    assert_eq!(paid, Some(team_core::access::Release::Removed));
    assert!(fakes.assignments.lock().unwrap().is_empty());
    assert!(owed(&team).await.is_empty());
    // AND a stale copy of the paid debt is not paid twice
    assert_eq!(team.retry_owed_removal(&debts[0]).await.unwrap(), None);
}
