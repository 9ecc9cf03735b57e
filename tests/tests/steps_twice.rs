//! Every step of both state machines under at-least-once delivery, over the in-memory
//! store and over SQLite: each delivered twice, and the ones with a side effect in
//! Identity Center also cut short right after it (as if the process died before the
//! step could record it), then delivered again. The outcome must be the one of a
//! single clean delivery.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use team_core::ids::{AccountId, PermissionSetArn, RequestId, UserId};
use team_core::memory::{MemoryRequestStore, MemorySweepLog};
use team_core::policy::Principal;
use team_core::ports::{
    AccessProvisioner, Operation, OperationStatus, RequestStore, Workflow, WorkflowKind,
};
use team_core::request::{AccessRequest, Assignment, EventKind, Outcome, Status};
use team_core::service::{Caller, NewRequest};
use team_core::steps::StepInput;
use team_core::{Ports, Team, TeamError, TeamResult};
use team_local::{
    Db, LocalScheduler, ManualClock, Outbox, Seed, SimActivity, SimDirectory, SimFaults,
    SimIdentityCenter, SimOrganization, SqlitePolicyStore, SqliteRequestStore, UuidIds,
};
use team_tests::{ADMIN_PS, PROD, SANDBOX, T0, TEST_ORG};

/// The simulated Identity Center, which can die right after its next side effect.
struct Dying {
    inner: SimIdentityCenter,
    die_next: AtomicBool,
}

impl Dying {
    fn after(&self, operation: Operation) -> TeamResult<Operation> {
        if self.die_next.swap(false, Ordering::SeqCst) {
            return Err(TeamError::Transient(
                "the process died after the side effect".into(),
            ));
        }
        Ok(operation)
    }
}

#[async_trait]
impl AccessProvisioner for Dying {
    async fn create_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        let operation = self.inner.create_assignment(a).await?;
        self.after(operation)
    }
    async fn delete_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        let operation = self.inner.delete_assignment(a).await?;
        self.after(operation)
    }
    async fn operation_status(&self, operation: &Operation) -> TeamResult<OperationStatus> {
        self.inner.operation_status(operation).await
    }
    async fn assigned_principals(
        &self,
        account: &AccountId,
        ps: &PermissionSetArn,
    ) -> TeamResult<Vec<Principal>> {
        self.inner.assigned_principals(account, ps).await
    }
}

/// Executions started and tasks resumed (the steps are driven by the test itself).
#[derive(Default)]
struct Recorded {
    started: Mutex<Vec<String>>,
    resumed: Mutex<Vec<Value>>,
}

#[async_trait]
impl Workflow for Recorded {
    async fn start(&self, _kind: WorkflowKind, name: &str, _input: Value) -> TeamResult<()> {
        self.started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.to_string());
        Ok(())
    }
    async fn send_task_success(&self, _token: &str, output: Value) -> TeamResult<()> {
        self.resumed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(output);
        Ok(())
    }
}

struct World {
    team: Team,
    ic: Arc<Dying>,
    requests: Arc<dyn RequestStore>,
    scheduler: Arc<LocalScheduler>,
    outbox: Arc<Outbox>,
}

async fn world(sqlite: bool) -> World {
    let db = Db::in_memory().expect("database");
    let clock = Arc::new(ManualClock::new(T0));
    let seed = Seed::parse(TEST_ORG).expect("test organization");
    let policies = Arc::new(SqlitePolicyStore::new(db.clone()));
    seed.apply_policies(policies.as_ref())
        .await
        .expect("policies");
    let requests: Arc<dyn RequestStore> = if sqlite {
        Arc::new(SqliteRequestStore::new(db.clone()))
    } else {
        Arc::new(MemoryRequestStore::default())
    };
    let ic = Arc::new(Dying {
        inner: SimIdentityCenter::new(
            db.clone(),
            clock.clone(),
            Duration::ZERO,
            SimFaults::default(),
        ),
        die_next: AtomicBool::new(false),
    });
    let scheduler = Arc::new(LocalScheduler::new(db.clone()));
    let outbox = Arc::new(Outbox::new(db.clone(), clock.clone()));
    let team = Team::new(Ports {
        requests: requests.clone(),
        policies,
        directory: Arc::new(SimDirectory::new(&seed)),
        organization: Arc::new(SimOrganization::new(&seed).expect("organization")),
        provisioner: ic.clone(),
        workflow: Arc::new(Recorded::default()),
        scheduler: scheduler.clone(),
        notifier: outbox.clone(),
        activity: Arc::new(SimActivity::new(db.clone())),
        sweeps: Arc::new(MemorySweepLog::default()),
        clock,
        ids: Arc::new(UuidIds),
    });
    World {
        team,
        ic,
        requests,
        scheduler,
        outbox,
    }
}

fn caller(user: &str) -> Caller {
    Caller {
        user_id: UserId::parse(user).expect("user id"),
    }
}

impl World {
    async fn submit(&self, account: &str) -> RequestId {
        self.team
            .submit(
                &caller("u-alice"),
                NewRequest {
                    account_id: account.into(),
                    permission_set_arn: ADMIN_PS.into(),
                    start_time: None,
                    duration_minutes: 60,
                    justification: "steps delivered twice".into(),
                    ticket_no: None,
                },
            )
            .await
            .expect("submitted")
            .id
    }

    async fn twice(&self, input: StepInput) -> (Value, Value) {
        let first = self.team.step(input.clone()).await.expect("first delivery");
        let second = self.team.step(input).await.expect("second delivery");
        (first, second)
    }

    async fn request(&self, id: &RequestId) -> AccessRequest {
        self.requests
            .get(id)
            .await
            .expect("store")
            .expect("request")
    }

    async fn events(&self, id: &RequestId, kind: EventKind) -> usize {
        self.requests
            .events(id)
            .await
            .expect("events")
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }

    async fn assignments(&self) -> usize {
        self.ic.inner.assignments().await.len()
    }
}

async fn every_step_delivered_twice_or_cut_short_ends_as_one_clean_delivery(sqlite: bool) {
    let w = world(sqlite).await;

    // awaitDecision: the token is stored once, approvers are told once.
    let pending = w.submit(PROD).await;
    let await_decision = StepInput::AwaitDecision {
        request_id: pending.clone(),
        task_token: "token-1".into(),
    };
    let (a, b) = w.twice(await_decision).await;
    assert_eq!(
        (a["status"].clone(), b["status"].clone()),
        (json!("pending"), json!("pending"))
    );
    assert_eq!(
        w.request(&pending).await.task_token.as_deref(),
        Some("token-1")
    );
    let submitted = w
        .outbox
        .list(100)
        .await
        .iter()
        .filter(|n| n.notification.event == EventKind::Submitted)
        .count();
    assert_eq!(submitted, 1, "approvers are told once");

    // schedule, after bob approved: the request goes on either way.
    w.team
        .decide(&caller("u-bob"), pending.as_str(), Outcome::Approve, None)
        .await
        .expect("bob approves");
    let (a, b) = w
        .twice(StepInput::Schedule {
            request_id: pending.clone(),
        })
        .await;
    assert_eq!(
        (a["proceed"].clone(), b["proceed"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(a["startTime"], b["startTime"]);

    // grant: cut short after Identity Center created the assignment, then twice.
    w.ic.die_next.store(true, Ordering::SeqCst);
    let cut = w
        .team
        .step(StepInput::Grant {
            request_id: pending.clone(),
        })
        .await;
    assert_eq!(cut.expect_err("cut short").code(), "TeamTransientError");
    assert_eq!(w.request(&pending).await.status, Status::Approved);
    let (a, b) = w
        .twice(StepInput::Grant {
            request_id: pending.clone(),
        })
        .await;
    assert_eq!(
        (a["granted"].clone(), b["granted"].clone()),
        (json!(true), json!(true))
    );
    let granted = w.request(&pending).await;
    assert_eq!(granted.status, Status::InProgress);
    assert_eq!(w.events(&pending, EventKind::Granted).await, 1);
    assert_eq!(w.assignments().await, 1);

    // scheduleEnd: one timer at the end time.
    let (a, b) = w
        .twice(StepInput::ScheduleEnd {
            request_id: pending.clone(),
        })
        .await;
    assert_eq!(
        (a["scheduled"].clone(), b["scheduled"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        w.scheduler.timers().await,
        vec![(pending.clone(), granted.end_time)]
    );

    // revoke: cut short after Identity Center deleted the assignment, then twice.
    w.ic.die_next.store(true, Ordering::SeqCst);
    let cut = w
        .team
        .step(StepInput::Revoke {
            request_id: pending.clone(),
        })
        .await;
    assert!(cut.is_err(), "cut short");
    assert_eq!(
        w.request(&pending).await.status,
        Status::InProgress,
        "not ended before access is gone"
    );
    let (a, b) = w
        .twice(StepInput::Revoke {
            request_id: pending.clone(),
        })
        .await;
    assert_eq!(
        (a["removed"].clone(), b["removed"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(w.request(&pending).await.status, Status::Ended);
    assert_eq!(w.events(&pending, EventKind::Ended).await, 1);
    assert_eq!(w.assignments().await, 0);
    assert!(w.requests.owed_leases().await.expect("owed").is_empty());

    // expire: one expiry.
    let unanswered = w.submit(PROD).await;
    let (a, b) = w
        .twice(StepInput::Expire {
            request_id: unanswered.clone(),
        })
        .await;
    assert_eq!(
        (a["outcome"].clone(), b["outcome"].clone()),
        (json!("expired"), json!("expired"))
    );
    assert_eq!(w.events(&unanswered, EventKind::Expired).await, 1);

    // recordError: one failure recorded, and the access of a running session goes.
    let running = w.submit(SANDBOX).await;
    w.team
        .step(StepInput::Grant {
            request_id: running.clone(),
        })
        .await
        .expect("granted");
    assert_eq!(w.assignments().await, 1);
    let error = json!({"Error": "TeamInternalError", "Cause": "a bug"});
    let (a, b) = w
        .twice(StepInput::RecordError {
            request_id: running.clone(),
            error: Some(error),
        })
        .await;
    assert_eq!(
        (a["status"].clone(), b["status"].clone()),
        (json!("error"), json!("error"))
    );
    assert_eq!(w.events(&running, EventKind::Error).await, 1);
    assert_eq!(w.assignments().await, 0);
}

#[tokio::test]
async fn every_step_over_the_memory_store() {
    every_step_delivered_twice_or_cut_short_ends_as_one_clean_delivery(false).await;
}

#[tokio::test]
async fn every_step_over_sqlite() {
    every_step_delivered_twice_or_cut_short_ends_as_one_clean_delivery(true).await;
}
