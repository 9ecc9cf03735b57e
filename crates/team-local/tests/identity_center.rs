//! The simulated Identity Center: settling, idempotency, faults, persistence and activity.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PS, T0, TempDir, assignment, clock};
use team_contract::fixtures::request;
use team_core::TeamError;
use team_core::ids::{AccountId, RequestId, UserId};
use team_core::ports::{AccessProvisioner, Operation, OperationStatus, SessionActivity};
use team_local::{Db, ManualClock, SSO_EVENT_SOURCE, SimActivity, SimFaults, SimIdentityCenter};

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "210987654321";

fn center(db: Arc<Db>, clock: Arc<ManualClock>, faults: SimFaults) -> SimIdentityCenter {
    SimIdentityCenter::new(db, clock, Duration::from_secs(2), faults)
}

fn fresh() -> (SimIdentityCenter, Arc<ManualClock>) {
    let clock = clock();
    (
        center(
            Db::in_memory().unwrap(),
            clock.clone(),
            SimFaults::default(),
        ),
        clock,
    )
}

async fn status(ic: &SimIdentityCenter, op: &Operation) -> OperationStatus {
    ic.operation_status(op).await.unwrap()
}

#[tokio::test]
async fn a_created_assignment_appears_only_once_the_operation_succeeded() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    let op = ic.create_assignment(&a).await.unwrap();
    assert!(!op.deletion);
    assert_eq!(status(&ic, &op).await, OperationStatus::InProgress);
    assert!(
        ic.assignments().await.is_empty(),
        "not there while in progress"
    );
    clock.advance(Duration::from_millis(1999));
    assert_eq!(status(&ic, &op).await, OperationStatus::InProgress);
    assert!(ic.assignments().await.is_empty());
    clock.advance(Duration::from_millis(1));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
    assert_eq!(ic.assignments().await, vec![a]);
}

#[tokio::test]
async fn listing_assignments_settles_due_operations_without_polling() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(5));
    assert_eq!(ic.assignments().await, vec![a]);
}

#[tokio::test]
async fn a_deleted_assignment_stays_until_the_deletion_succeeded() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    let op = ic.delete_assignment(&a).await.unwrap();
    assert!(op.deletion);
    assert_eq!(status(&ic, &op).await, OperationStatus::InProgress);
    assert_eq!(
        ic.assignments().await,
        vec![a],
        "still there while the deletion runs"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
    assert!(ic.assignments().await.is_empty());
}

#[tokio::test]
async fn creating_an_existing_assignment_succeeds_and_keeps_one() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    let first = ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    let second = ic.create_assignment(&a).await.unwrap();
    assert_ne!(first.id, second.id, "each call is its own operation");
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &second).await, OperationStatus::Succeeded);
    assert_eq!(ic.assignments().await, vec![a]);
}

#[tokio::test]
async fn deleting_a_missing_assignment_succeeds() {
    let (ic, clock) = fresh();
    let kept = assignment("u-bob", ACCOUNT);
    ic.create_assignment(&kept).await.unwrap();
    let op = ic
        .delete_assignment(&assignment("u-alice", ACCOUNT))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
    assert_eq!(
        ic.assignments().await,
        vec![kept],
        "other assignments are untouched"
    );
}

#[tokio::test]
async fn a_create_and_a_delete_due_together_settle_in_order() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_millis(10));
    ic.delete_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(10));
    assert!(ic.assignments().await.is_empty(), "created, then deleted");
}

#[tokio::test]
async fn throttled_calls_fail_as_transient_and_change_nothing() {
    let clock = clock();
    let faults = SimFaults {
        throttle_next: 2,
        ..SimFaults::default()
    };
    let ic = center(Db::in_memory().unwrap(), clock.clone(), faults);
    let a = assignment("u-alice", ACCOUNT);
    for left in [1, 0] {
        match ic.create_assignment(&a).await {
            Err(TeamError::Transient(message)) => {
                assert!(message.contains("ThrottlingException"), "{message}")
            }
            other => panic!("expected throttling, got {other:?}"),
        }
        assert_eq!(ic.faults().throttle_next, left);
    }
    let op = ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
    assert_eq!(
        ic.assignments().await,
        vec![a],
        "only the unthrottled call created it"
    );
}

#[tokio::test]
async fn status_polls_are_throttled_too() {
    let (ic, _clock) = fresh();
    let op = ic
        .create_assignment(&assignment("u-alice", ACCOUNT))
        .await
        .unwrap();
    ic.set_faults(SimFaults {
        throttle_next: 1,
        ..SimFaults::default()
    });
    assert!(matches!(
        ic.operation_status(&op).await,
        Err(TeamError::Transient(_))
    ));
    assert_eq!(status(&ic, &op).await, OperationStatus::InProgress);
}

#[tokio::test]
async fn a_create_failing_on_an_account_ends_failed_with_the_reason_and_creates_nothing() {
    let clock = clock();
    let mut faults = SimFaults::default();
    faults
        .parse_spec(&format!(
            "fail-create:{ACCOUNT}:ConflictException: quota exceeded"
        ))
        .unwrap();
    let ic = center(Db::in_memory().unwrap(), clock.clone(), faults);
    let failing = ic
        .create_assignment(&assignment("u-alice", ACCOUNT))
        .await
        .unwrap();
    let fine = ic
        .create_assignment(&assignment("u-alice", OTHER))
        .await
        .unwrap();
    assert_eq!(
        status(&ic, &failing).await,
        OperationStatus::InProgress,
        "failures settle like successes"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        status(&ic, &failing).await,
        OperationStatus::Failed {
            reason: "ConflictException: quota exceeded".into()
        }
    );
    assert_eq!(
        status(&ic, &fine).await,
        OperationStatus::Succeeded,
        "other accounts are unaffected"
    );
    assert_eq!(ic.assignments().await, vec![assignment("u-alice", OTHER)]);
}

#[tokio::test]
async fn a_delete_failing_on_an_account_ends_failed_and_keeps_the_assignment() {
    let (ic, clock) = fresh();
    let a = assignment("u-alice", ACCOUNT);
    ic.create_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    ic.set_faults(SimFaults::from_specs([format!("fail-delete:{ACCOUNT}:AccessDenied")]).unwrap());
    let op = ic.delete_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        status(&ic, &op).await,
        OperationStatus::Failed {
            reason: "AccessDenied".into()
        }
    );
    assert_eq!(ic.assignments().await, vec![a.clone()]);
    // Faults lifted at run time: the next deletion works.
    ic.set_faults(SimFaults::default());
    let op = ic.delete_assignment(&a).await.unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
    assert!(ic.assignments().await.is_empty());
}

#[tokio::test]
async fn the_status_of_an_unknown_operation_is_not_found() {
    let (ic, _) = fresh();
    let op = Operation {
        id: "no-such-operation".into(),
        deletion: false,
    };
    assert!(matches!(
        ic.operation_status(&op).await,
        Err(TeamError::NotFound(_))
    ));
}

#[test]
fn fault_specs_parse_and_bad_ones_are_refused() {
    let mut faults = SimFaults::default();
    faults.parse_spec("throttle:3").unwrap();
    faults
        .parse_spec("fail-create:123456789012:quota exceeded: try later")
        .unwrap();
    faults.parse_spec("fail-delete:210987654321").unwrap();
    assert_eq!(faults.throttle_next, 3);
    let account = AccountId::parse("123456789012").unwrap();
    assert_eq!(
        faults.fail_create.get(&account).unwrap(),
        "quota exceeded: try later"
    );
    assert_eq!(
        faults
            .fail_delete
            .get(&AccountId::parse("210987654321").unwrap())
            .unwrap(),
        "simulated failure"
    );
    for bad in [
        "explode:1",
        "throttle:x",
        "throttle:-1",
        "fail-create:123:reason",
        "nocolon",
        "",
    ] {
        let err = SimFaults::default().parse_spec(bad).unwrap_err();
        assert_eq!(err.field(), Some("fault"), "{bad}");
    }
    let many = SimFaults::from_specs(["throttle:1", "fail-create:123456789012:x"]).unwrap();
    assert_eq!((many.throttle_next, many.fail_create.len()), (1, 1));
}

#[tokio::test]
async fn assignments_and_operations_survive_reopening_the_database() {
    let dir = TempDir::new("identity-center");
    let clock = clock();
    let a = assignment("u-alice", ACCOUNT);
    let b = assignment("u-bob", ACCOUNT);
    let pending = {
        let ic = center(
            Db::open(dir.db()).unwrap(),
            clock.clone(),
            SimFaults::default(),
        );
        ic.create_assignment(&a).await.unwrap();
        clock.advance(Duration::from_secs(2));
        assert_eq!(ic.assignments().await, vec![a.clone()]);
        ic.create_assignment(&b).await.unwrap()
    };
    let ic = center(
        Db::open(dir.db()).unwrap(),
        clock.clone(),
        SimFaults::default(),
    );
    assert_eq!(
        ic.assignments().await,
        vec![a.clone()],
        "the settled assignment is still there"
    );
    assert_eq!(
        status(&ic, &pending).await,
        OperationStatus::InProgress,
        "the restarted twin knows the operation"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &pending).await, OperationStatus::Succeeded);
    assert_eq!(ic.assignments().await, vec![a, b]);
}

#[tokio::test]
async fn activity_lists_the_assignment_calls_of_the_session_window() {
    let db = Db::in_memory().unwrap();
    let clock = clock();
    let ic = center(db.clone(), clock.clone(), SimFaults::default());
    let activity = SimActivity::new(db);
    let alice = UserId::parse("u-alice").unwrap();
    let account = AccountId::parse(ACCOUNT).unwrap();
    // The request: T0 to T0 + 1 h, for PS.
    let mut r = request(&RequestId::parse("r1").unwrap(), &alice, &account, T0);
    r.start_time = T0;
    r.end_time = T0 + time::Duration::hours(1);
    assert_eq!(
        r.permission_set.arn.as_str(),
        team_contract::fixtures::PS_ADMIN
    );
    assert_eq!(PS, team_contract::fixtures::PS_ADMIN);
    let a = r.assignment();

    clock.set(T0 - time::Duration::minutes(5));
    ic.create_assignment(&a).await.unwrap(); // before the session: not listed
    clock.set(T0);
    ic.create_assignment(&a).await.unwrap();
    ic.create_assignment(&assignment("u-bob", ACCOUNT))
        .await
        .unwrap(); // another user
    ic.create_assignment(&assignment("u-alice", OTHER))
        .await
        .unwrap(); // another account
    clock.set(T0 + time::Duration::hours(1));
    ic.delete_assignment(&a).await.unwrap();
    clock.set(T0 + time::Duration::hours(2));
    ic.delete_assignment(&a).await.unwrap(); // end + 1 h exactly: still listed
    clock.advance(Duration::from_secs(1));
    ic.delete_assignment(&a).await.unwrap(); // later: not listed

    let events = activity.activity(&r).await.unwrap();
    let seen: Vec<(&str, time::OffsetDateTime)> = events
        .iter()
        .map(|e| (e.event_name.as_str(), e.at))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("CreateAccountAssignment", T0),
            ("DeleteAccountAssignment", T0 + time::Duration::hours(1)),
            ("DeleteAccountAssignment", T0 + time::Duration::hours(2)),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.event_source == SSO_EVENT_SOURCE && e.region.is_some())
    );
}
