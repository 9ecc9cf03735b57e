//! In-memory fakes of every port, and GIVEN helpers, for the step and lifecycle tests.
#![allow(clippy::unwrap_used, dead_code)] // a poisoned lock in a fake is a failed test; each test file uses some helpers

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use team_core::ids::{AccountId, GroupId, OuId, PermissionSetArn, RequestId, UserId};
use team_core::memory::{MemoryPolicyStore, MemoryRequestStore};
use team_core::org::{Account, Group, OrgTree, OrgUnit, PermissionSet, User};
use team_core::ports::*;
use team_core::request::{AccessRequest, Assignment, Status};
use team_core::service::{Caller, NewRequest};
use team_core::steps::StepInput;
use team_core::{Ports, Team, TeamError, TeamResult};
use time::OffsetDateTime;
use time::macros::datetime;

pub const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";
pub const ACCOUNT: &str = "123456789012";
/// An account TEAM cannot grant (as the management account is to a delegated admin).
pub const MANAGEMENT: &str = "999999999999";

/// Identity Center, Step Functions, the scheduler, the notifier and the clock in one.
pub struct Fakes {
    /// The account assignments that exist.
    pub assignments: Mutex<BTreeSet<Assignment>>,
    /// Deletions end `FAILED` with this reason while set.
    pub fail_delete: Mutex<Option<String>>,
    /// The next create or delete happens, then the call fails as if the process died
    /// before the step could record it.
    pub crash_after_side_effect: Mutex<bool>,
    /// Executions started.
    pub started: Mutex<Vec<(WorkflowKind, String)>>,
    /// End timers: the latest per request.
    pub end_timers: Mutex<std::collections::BTreeMap<RequestId, OffsetDateTime>>,
    /// Every notification attempted (the fake mail server then fails it).
    pub notifications: Mutex<Vec<Notification>>,
    /// Now.
    pub now: Mutex<OffsetDateTime>,
}

impl Fakes {
    fn crash(&self) -> TeamResult<()> {
        let mut crash = self.crash_after_side_effect.lock().unwrap();
        if std::mem::take(&mut *crash) {
            return Err(TeamError::Transient(
                "the process died after the side effect".into(),
            ));
        }
        Ok(())
    }

    /// Moves the clock.
    pub fn advance(&self, by: time::Duration) {
        *self.now.lock().unwrap() += by;
    }
}

#[async_trait]
impl AccessProvisioner for Fakes {
    async fn create_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        self.assignments.lock().unwrap().insert(a.clone());
        self.crash()?;
        Ok(Operation {
            id: "c".into(),
            deletion: false,
        })
    }
    async fn delete_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        if self.fail_delete.lock().unwrap().is_none() {
            self.assignments.lock().unwrap().remove(a);
            self.crash()?;
        }
        Ok(Operation {
            id: "d".into(),
            deletion: true,
        })
    }
    async fn operation_status(&self, op: &Operation) -> TeamResult<OperationStatus> {
        match (op.deletion, self.fail_delete.lock().unwrap().clone()) {
            (true, Some(reason)) => Ok(OperationStatus::Failed { reason }),
            _ => Ok(OperationStatus::Succeeded),
        }
    }
    async fn assigned_principals(
        &self,
        account: &AccountId,
        ps: &PermissionSetArn,
    ) -> TeamResult<Vec<team_core::policy::Principal>> {
        Ok(self
            .assignments
            .lock()
            .unwrap()
            .iter()
            .filter(|a| &a.account_id == account && &a.permission_set_arn == ps)
            .map(|a| team_core::policy::Principal::User(a.user_id.clone()))
            .collect())
    }
}

#[async_trait]
impl Workflow for Fakes {
    async fn start(&self, kind: WorkflowKind, name: &str, _input: Value) -> TeamResult<()> {
        self.started.lock().unwrap().push((kind, name.to_string()));
        Ok(())
    }
    async fn send_task_success(&self, _token: &str, _output: Value) -> TeamResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Scheduler for Fakes {
    async fn schedule_end(&self, r: &RequestId, at: OffsetDateTime) -> TeamResult<()> {
        self.end_timers.lock().unwrap().insert(r.clone(), at);
        Ok(())
    }
    async fn cancel_end(&self, r: &RequestId) -> TeamResult<()> {
        self.end_timers.lock().unwrap().remove(r);
        Ok(())
    }
}

#[async_trait]
impl Notifier for Fakes {
    async fn notify(&self, n: &Notification) -> TeamResult<()> {
        self.notifications.lock().unwrap().push(n.clone());
        Err(TeamError::Transient("mail is down".into()))
    }
}

#[async_trait]
impl SessionActivity for Fakes {
    async fn activity(&self, _r: &AccessRequest) -> TeamResult<Vec<ActivityEvent>> {
        Ok(vec![])
    }
}

#[async_trait]
impl Clock for Fakes {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap()
    }
    async fn sleep(&self, d: Duration) {
        *self.now.lock().unwrap() += d;
    }
}

pub struct Ids(Mutex<u32>);
impl IdGenerator for Ids {
    fn new_id(&self) -> String {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        format!("req-{n}")
    }
}

pub struct Org;
#[async_trait]
impl Organization for Org {
    async fn tree(&self) -> TeamResult<Arc<OrgTree>> {
        let root = OuId::parse("r-root").unwrap();
        Ok(Arc::new(OrgTree::new(
            vec![
                Account {
                    id: AccountId::parse(ACCOUNT).unwrap(),
                    name: "prod".into(),
                    parent_id: root.clone(),
                    unassignable: None,
                },
                Account {
                    id: AccountId::parse(MANAGEMENT).unwrap(),
                    name: "management".into(),
                    parent_id: root.clone(),
                    unassignable: Some("the organization's management account".into()),
                },
            ],
            vec![OrgUnit {
                id: root,
                name: "Root".into(),
                parent_id: None,
            }],
        )?))
    }
    async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
        Ok(vec![PermissionSet {
            arn: PermissionSetArn::parse(PS).unwrap(),
            name: "Admin".into(),
            description: None,
        }])
    }
}

/// alice (in group `dev`) and admin (in `team-admins`, the default admin group).
pub struct Dir;
pub fn alice() -> User {
    User {
        id: UserId::parse("u-alice").unwrap(),
        username: "alice".into(),
        display_name: "Alice".into(),
        email: None,
    }
}
pub fn admin() -> User {
    User {
        id: UserId::parse("u-admin").unwrap(),
        username: "admin".into(),
        display_name: "Admin".into(),
        email: None,
    }
}
fn dev_group() -> Group {
    Group {
        id: GroupId::parse("g-dev").unwrap(),
        name: "dev".into(),
    }
}
fn admin_group() -> Group {
    Group {
        id: GroupId::parse("g-admins").unwrap(),
        name: "team-admins".into(),
    }
}
#[async_trait]
impl Directory for Dir {
    async fn user(&self, id: &UserId) -> TeamResult<Option<User>> {
        Ok([alice(), admin()].into_iter().find(|u| &u.id == id))
    }
    async fn user_by_username(&self, name: &str) -> TeamResult<Option<User>> {
        Ok([alice(), admin()].into_iter().find(|u| u.username == name))
    }
    async fn groups_of(&self, u: &UserId) -> TeamResult<Vec<Group>> {
        Ok(match u.as_str() {
            "u-alice" => vec![dev_group()],
            "u-admin" => vec![admin_group()],
            _ => vec![],
        })
    }
    async fn members_of(&self, g: &GroupId) -> TeamResult<Vec<User>> {
        Ok(match g.as_str() {
            "g-dev" => vec![alice()],
            "g-admins" => vec![admin()],
            _ => vec![],
        })
    }
    async fn users(&self) -> TeamResult<Vec<User>> {
        Ok(vec![admin(), alice()])
    }
    async fn groups(&self) -> TeamResult<Vec<Group>> {
        Ok(vec![dev_group(), admin_group()])
    }
}

pub async fn setup() -> (Team, Arc<Fakes>) {
    let fakes = Arc::new(Fakes {
        assignments: Mutex::default(),
        fail_delete: Mutex::default(),
        crash_after_side_effect: Mutex::default(),
        started: Mutex::default(),
        end_timers: Mutex::default(),
        notifications: Mutex::default(),
        now: Mutex::new(datetime!(2026-05-01 10:00 UTC)),
    });
    let policies = Arc::new(MemoryPolicyStore::default());
    let policy: team_core::policy::EligibilityPolicy = serde_json::from_value(json!({
        "id": "e1", "name": "dev", "principal": {"type": "group", "id": "g-dev"}, "accounts": [ACCOUNT, MANAGEMENT],
        "permissionSets": [PS], "maxDurationMinutes": 120, "approvalRequired": false,
        "updatedAt": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    policies.put_eligibility_policy(&policy).await.unwrap();
    let ports = Ports {
        requests: Arc::new(MemoryRequestStore::default()),
        policies,
        directory: Arc::new(Dir),
        organization: Arc::new(Org),
        provisioner: fakes.clone(),
        workflow: fakes.clone(),
        scheduler: fakes.clone(),
        notifier: fakes.clone(),
        activity: fakes.clone(),
        sweeps: Arc::new(team_core::memory::MemorySweepLog::default()),
        clock: fakes.clone(),
        ids: Arc::new(Ids(Mutex::new(0))),
    };
    (Team::new(ports), fakes)
}

pub fn as_alice() -> Caller {
    Caller {
        user_id: UserId::parse("u-alice").unwrap(),
    }
}

/// Alice asks for the one account and permission set; no approval is needed.
pub async fn submit(team: &Team, duration_minutes: i64, justification: &str) -> AccessRequest {
    team.submit(
        &as_alice(),
        NewRequest {
            account_id: ACCOUNT.into(),
            permission_set_arn: PS.into(),
            start_time: None,
            duration_minutes,
            justification: justification.into(),
            ticket_no: None,
        },
    )
    .await
    .unwrap()
}

pub async fn grant(team: &Team, id: &RequestId) -> TeamResult<Value> {
    team.step(StepInput::Grant {
        request_id: id.clone(),
    })
    .await
}

pub async fn revoke(team: &Team, id: &RequestId) -> TeamResult<Value> {
    team.step(StepInput::Revoke {
        request_id: id.clone(),
    })
    .await
}

pub async fn granted_request(team: &Team) -> RequestId {
    let request = submit(team, 60, "why").await;
    assert_eq!(request.status, Status::Approved, "no approval needed");
    let out = grant(team, &request.id).await.unwrap();
    assert_eq!(out["granted"], true);
    request.id
}

pub async fn status(team: &Team, id: &RequestId) -> Status {
    team.ports().requests.get(id).await.unwrap().unwrap().status
}
