//! Step handlers over in-memory fakes: leases (TEAM #279), failures and idempotency.
#![allow(clippy::unwrap_used)] // a poisoned lock in a fake is a failed test

mod support;

use serde_json::json;
use support::*;
use team_core::TeamError;
use team_core::ports::WorkflowKind;
use team_core::request::Status;
use team_core::service::NewRequest;
use team_core::steps::StepInput;

#[tokio::test]
async fn ending_one_of_two_overlapping_grants_keeps_the_assignment() {
    // GIVEN two granted requests for the same user, account and permission set
    let (team, fakes) = setup().await;
    let first = granted_request(&team).await;
    let second = granted_request(&team).await;
    assert_eq!(fakes.assignments.lock().unwrap().len(), 1);
    // WHEN the first ends
    let out = revoke(&team, &first).await.unwrap();
    // THEN the assignment stays for the second
    assert_eq!(out["removed"], false);
    assert_eq!(status(&team, &first).await, Status::Ended);
    assert_eq!(fakes.assignments.lock().unwrap().len(), 1);
    // AND goes when the second ends
    let out = revoke(&team, &second).await.unwrap();
    assert_eq!(out["removed"], true);
    assert!(fakes.assignments.lock().unwrap().is_empty());
}

#[tokio::test]
async fn revoking_twice_is_harmless() {
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    revoke(&team, &id).await.unwrap();
    let again = revoke(&team, &id).await.unwrap();
    assert_eq!(again["removed"], false);
    assert!(fakes.assignments.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_removal_is_reported_and_does_not_block_later_grants() {
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    *fakes.fail_delete.lock().unwrap() = Some("AccessDenied".into());
    let err = revoke(&team, &id).await.unwrap_err();
    assert_eq!(err.code(), "TeamProvisioningError");
    assert!(err.to_string().contains("AccessDenied"));
    // The workflow's catch records it on the request
    team.step(StepInput::RecordError {
        request_id: id.clone(),
        error: Some(json!({"Error": err.code(), "Cause": err.to_string()})),
    })
    .await
    .unwrap();
    let stored = team.ports().requests.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Error);
    assert!(stored.error_reason.unwrap().contains("AccessDenied"));
    // A new grant of the same assignment is not blocked by the failed removal
    *fakes.fail_delete.lock().unwrap() = None;
    granted_request(&team).await;
}

#[tokio::test]
async fn a_grant_waits_while_the_same_assignment_is_being_removed() {
    let (team, _fakes) = setup().await;
    let id = granted_request(&team).await;
    let request = team.ports().requests.get(&id).await.unwrap().unwrap();
    // GIVEN a removal in flight (as if another process were deleting it right now)
    let mut lease = team
        .ports()
        .requests
        .lease(&request.assignment())
        .await
        .unwrap()
        .unwrap();
    let expected = lease.version;
    lease.holders.clear();
    lease.removing = true;
    lease.version += 1;
    team.ports()
        .requests
        .put_lease(&lease, Some(expected))
        .await
        .unwrap();
    // WHEN another request is granted THEN it is told to retry
    let next = submit(&team, 30, "again").await;
    let err = grant(&team, &next.id).await.unwrap_err();
    assert_eq!(err.code(), "TeamTransientError");
    // AND an interrupted removal is finished by the next release, after which the grant succeeds
    let finished = revoke(&team, &id).await.unwrap();
    assert_eq!(finished["removed"], true);
    let out = grant(&team, &next.id).await.unwrap();
    assert_eq!(out["granted"], true);
}

#[tokio::test]
async fn a_failing_notifier_never_fails_the_request() {
    let (team, _fakes) = setup().await;
    let id = granted_request(&team).await;
    assert_eq!(status(&team, &id).await, Status::InProgress);
}

#[tokio::test]
async fn early_end_starts_the_revoke_workflow() {
    let (team, fakes) = setup().await;
    let id = granted_request(&team).await;
    let ended = team.revoke(&as_alice(), id.as_str(), None).await.unwrap();
    assert_eq!(ended.status, Status::Ended);
    let started = fakes.started.lock().unwrap().clone();
    assert!(
        started.contains(&(WorkflowKind::Revoke, format!("revoke-{id}"))),
        "{started:?}"
    );
}

#[tokio::test]
async fn a_request_for_an_account_team_cannot_grant_is_refused_with_the_reason() {
    // GIVEN a policy that (written before the account became unassignable) names it
    let (team, fakes) = setup().await;
    // WHEN alice asks for it
    let err = team
        .submit(
            &as_alice(),
            NewRequest {
                account_id: MANAGEMENT.into(),
                permission_set_arn: PS.into(),
                start_time: None,
                duration_minutes: 60,
                justification: "why".into(),
                ticket_no: None,
            },
        )
        .await
        .unwrap_err();
    // THEN she learns why, and nothing was stored or started
    match &err {
        TeamError::Validation { field, message } => {
            assert_eq!(field, "accountId");
            assert!(message.contains("management account"), "{message}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(fakes.started.lock().unwrap().is_empty());
    let eligible = team.eligibility(&as_alice()).await.unwrap();
    let ids: Vec<&str> = eligible
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    assert_eq!(ids, [ACCOUNT], "only the account TEAM can grant is listed");
}
