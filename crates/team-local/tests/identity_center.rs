//! The simulated Identity Center: settling, idempotency, faults, persistence and activity.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{PS, T0, TempDir, assignment, clock};
use team_contract::fixtures::request;
use team_core::TeamError;
use team_core::ids::{AccountId, PermissionSetArn, RequestId, UserId};
use team_core::policy::Principal;
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
        "latency:x",
        "latency:-5",
        "latency:1.5",
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

#[test]
fn a_latency_spec_sets_the_latency_in_milliseconds() {
    // GIVEN no faults
    let mut faults = SimFaults::default();
    // WHEN a latency spec is added
    faults.parse_spec("latency:250").unwrap();
    // THEN every call will wait that long, and nothing else is set
    assert_eq!(
        faults,
        SimFaults {
            latency: Duration::from_millis(250),
            ..SimFaults::default()
        }
    );
}

/// Runs `call` and answers how long it took in real time.
async fn timed<T>(call: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = call.await;
    (out, started.elapsed())
}

#[tokio::test]
async fn latency_delays_every_call_in_real_time_without_moving_the_clock() {
    // GIVEN a simulated Identity Center with 60 ms of latency
    let latency = Duration::from_millis(60);
    let clock = clock();
    let faults = SimFaults {
        latency,
        ..SimFaults::default()
    };
    let ic = center(Db::in_memory().unwrap(), clock.clone(), faults);
    let a = assignment("u-alice", ACCOUNT);

    // WHEN each kind of call is made
    let (op, create) = timed(ic.create_assignment(&a)).await;
    let op = op.unwrap();
    let (_, status_call) = timed(ic.operation_status(&op)).await;
    let (_, list) = timed(ic.assigned_principals(&a.account_id, &a.permission_set_arn)).await;
    let (_, delete) = timed(ic.delete_assignment(&a)).await;

    // THEN each one took at least the latency
    for (call, took) in [
        ("create", create),
        ("status", status_call),
        ("list", list),
        ("delete", delete),
    ] {
        assert!(took >= latency, "{call} took only {took:?}");
    }
    // AND the injected clock did not move (the wait is real time)
    assert_eq!(clock.now_utc(), T0);
}

#[tokio::test]
async fn a_throttled_call_waits_the_latency_before_failing() {
    // GIVEN latency and one throttled call
    let latency = Duration::from_millis(40);
    let faults = SimFaults {
        latency,
        throttle_next: 1,
        ..SimFaults::default()
    };
    let ic = center(Db::in_memory().unwrap(), clock(), faults);
    // WHEN the call is made
    let (result, took) = timed(ic.create_assignment(&assignment("u-alice", ACCOUNT))).await;
    // THEN it is throttled, after the latency
    assert!(matches!(result, Err(TeamError::Transient(_))), "{result:?}");
    assert!(took >= latency, "took only {took:?}");
}

/// A hook that counts its calls.
fn counting_hook() -> (team_local::SideEffectHook, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let hook: team_local::SideEffectHook = Arc::new(move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    (hook, calls)
}

fn dying() -> SimFaults {
    SimFaults {
        die_after_next_side_effect: true,
        ..SimFaults::default()
    }
}

#[tokio::test]
async fn the_die_hook_runs_once_after_a_create_and_again_only_when_set_again() {
    // GIVEN the die fault and a hook that counts
    let (ic, _clock) = fresh();
    let (hook, calls) = counting_hook();
    ic.set_side_effect_hook(hook);
    ic.set_faults(dying());
    let a = assignment("u-alice", ACCOUNT);

    // WHEN two creates are made
    ic.create_assignment(&a).await.unwrap();
    ic.create_assignment(&a).await.unwrap();

    // THEN the hook ran once, and the fault cleared
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!ic.faults().die_after_next_side_effect);

    // AND set again, the next delete calls it once more
    ic.set_faults(dying());
    ic.delete_assignment(&a).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(!ic.faults().die_after_next_side_effect);
}

#[tokio::test]
async fn the_side_effect_is_committed_before_the_die_hook_runs() {
    // GIVEN a hook that kills the call (a panic stands in for the process dying)
    let (ic, clock) = fresh();
    let ic = Arc::new(ic);
    ic.set_side_effect_hook(Arc::new(|| panic!("the process dies here")));
    ic.set_faults(dying());
    let a = assignment("u-alice", ACCOUNT);

    // WHEN a create is made and never returns
    let creating = {
        let (ic, a) = (ic.clone(), a.clone());
        tokio::spawn(async move { ic.create_assignment(&a).await })
    };
    let died = creating.await.unwrap_err();
    assert!(died.is_panic(), "the hook ran");

    // THEN Identity Center went ahead anyway: the assignment settles
    clock.advance(Duration::from_secs(2));
    assert_eq!(ic.assignments().await, vec![a]);
    assert!(!ic.faults().die_after_next_side_effect);
}

#[tokio::test]
async fn without_a_hook_the_die_fault_only_clears() {
    // GIVEN the die fault and no hook
    let (ic, clock) = fresh();
    ic.set_faults(dying());
    let a = assignment("u-alice", ACCOUNT);
    // WHEN a create is made
    let op = ic.create_assignment(&a).await.unwrap();
    // THEN it works as usual and the fault is used up
    assert!(!ic.faults().die_after_next_side_effect);
    clock.advance(Duration::from_secs(2));
    assert_eq!(status(&ic, &op).await, OperationStatus::Succeeded);
}

#[tokio::test]
async fn a_throttled_call_does_not_use_up_the_die_fault() {
    // GIVEN one throttled call and the die fault
    let (ic, _clock) = fresh();
    let (hook, calls) = counting_hook();
    ic.set_side_effect_hook(hook);
    ic.set_faults(SimFaults {
        throttle_next: 1,
        ..dying()
    });
    let a = assignment("u-alice", ACCOUNT);
    // WHEN the first create is throttled (no side effect)
    assert!(ic.create_assignment(&a).await.is_err());
    // THEN the hook has not run and the fault waits for the next side effect
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(ic.faults().die_after_next_side_effect);
    ic.create_assignment(&a).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn update_faults_changes_only_what_it_touches() {
    // GIVEN a throttle and a failing account
    let (ic, _clock) = fresh();
    ic.set_faults(SimFaults::from_specs(["throttle:2", "fail-create:123456789012:x"]).unwrap());
    // WHEN latency is added
    let now = ic.update_faults(|f| f.latency = Duration::from_millis(5));
    // THEN the answer and the faults hold all three
    assert_eq!(now, ic.faults());
    assert_eq!(now.throttle_next, 2);
    assert_eq!(now.fail_create.len(), 1);
    assert_eq!(now.latency, Duration::from_millis(5));
}

#[tokio::test]
async fn an_assignment_made_outside_team_exists_at_once_and_is_logged() {
    // GIVEN a simulated Identity Center with its activity log
    let db = Db::in_memory().unwrap();
    let clock = clock();
    let ic = center(db.clone(), clock.clone(), SimFaults::default());
    let alice = UserId::parse("u-alice").unwrap();
    let account = AccountId::parse(ACCOUNT).unwrap();
    let mut r = request(&RequestId::parse("r1").unwrap(), &alice, &account, T0);
    r.start_time = T0;
    r.end_time = T0 + time::Duration::hours(1);
    let a = r.assignment();

    // WHEN someone outside TEAM-rs assigns it (twice)
    ic.assign_outside_team(&a).await.unwrap();
    ic.assign_outside_team(&a).await.unwrap();

    // THEN it exists without the clock moving, once
    assert_eq!(ic.assignments().await, vec![a.clone()]);
    assert_eq!(
        ic.assigned_principals(&a.account_id, &a.permission_set_arn)
            .await
            .unwrap(),
        vec![Principal::User(alice)]
    );
    assert!(
        ic.assigned_principals(&a.account_id, &PermissionSetArn::parse(OTHER_PS).unwrap())
            .await
            .unwrap()
            .is_empty(),
        "another permission set has nobody"
    );
    // AND each call is in the activity log
    let events = SimActivity::new(db).activity(&r).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event_name.as_str()).collect();
    assert_eq!(
        names,
        vec!["CreateAccountAssignment", "CreateAccountAssignment"]
    );
}

const OTHER_PS: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb";

#[tokio::test]
async fn faults_do_not_apply_to_assignments_made_outside_team() {
    // GIVEN every call throttled and creates failing on the account
    let (ic, _clock) = fresh();
    ic.set_faults(
        SimFaults::from_specs(["throttle:5", &format!("fail-create:{ACCOUNT}:nope")]).unwrap(),
    );
    let a = assignment("u-alice", ACCOUNT);
    // WHEN someone outside TEAM-rs assigns
    ic.assign_outside_team(&a).await.unwrap();
    // THEN it exists, and no throttle was used up
    assert_eq!(ic.assignments().await, vec![a]);
    assert_eq!(ic.faults().throttle_next, 5);
}
