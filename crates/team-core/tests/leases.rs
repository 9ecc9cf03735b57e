//! Step handlers over in-memory fakes: leases (TEAM #279), failures and idempotency.
#![allow(clippy::unwrap_used)] // a poisoned lock in a fake is a failed test

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

const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";
const ACCOUNT: &str = "123456789012";
/// An account TEAM cannot grant (as the management account is to a delegated admin).
const MANAGEMENT: &str = "999999999999";

struct Fakes {
    assignments: Mutex<BTreeSet<Assignment>>,
    fail_delete: Mutex<Option<String>>,
    started: Mutex<Vec<(WorkflowKind, String)>>,
    now: Mutex<OffsetDateTime>,
}

#[async_trait]
impl AccessProvisioner for Fakes {
    async fn create_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        self.assignments.lock().unwrap().insert(a.clone());
        Ok(Operation {
            id: "c".into(),
            deletion: false,
        })
    }
    async fn delete_assignment(&self, a: &Assignment) -> TeamResult<Operation> {
        if self.fail_delete.lock().unwrap().is_none() {
            self.assignments.lock().unwrap().remove(a);
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
    async fn schedule_end(&self, _r: &RequestId, _at: OffsetDateTime) -> TeamResult<()> {
        Ok(())
    }
    async fn cancel_end(&self, _r: &RequestId) -> TeamResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Notifier for Fakes {
    async fn notify(&self, _n: &Notification) -> TeamResult<()> {
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

struct Ids(Mutex<u32>);
impl IdGenerator for Ids {
    fn new_id(&self) -> String {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        format!("req-{n}")
    }
}

struct Org;
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

struct Dir;
fn alice() -> User {
    User {
        id: UserId::parse("u-alice").unwrap(),
        username: "alice".into(),
        display_name: "Alice".into(),
        email: None,
    }
}
#[async_trait]
impl Directory for Dir {
    async fn user(&self, id: &UserId) -> TeamResult<Option<User>> {
        Ok((id.as_str() == "u-alice").then(alice))
    }
    async fn user_by_username(&self, name: &str) -> TeamResult<Option<User>> {
        Ok((name == "alice").then(alice))
    }
    async fn groups_of(&self, _u: &UserId) -> TeamResult<Vec<Group>> {
        Ok(vec![Group {
            id: GroupId::parse("g-dev").unwrap(),
            name: "dev".into(),
        }])
    }
    async fn members_of(&self, _g: &GroupId) -> TeamResult<Vec<User>> {
        Ok(vec![])
    }
    async fn users(&self) -> TeamResult<Vec<User>> {
        Ok(vec![alice()])
    }
    async fn groups(&self) -> TeamResult<Vec<Group>> {
        Ok(vec![])
    }
}

async fn setup() -> (Team, Arc<Fakes>) {
    let fakes = Arc::new(Fakes {
        assignments: Mutex::default(),
        fail_delete: Mutex::default(),
        started: Mutex::default(),
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
        clock: fakes.clone(),
        ids: Arc::new(Ids(Mutex::new(0))),
    };
    (Team::new(ports), fakes)
}

fn as_alice() -> Caller {
    Caller {
        user_id: UserId::parse("u-alice").unwrap(),
    }
}

/// Alice asks for the one account and permission set; no approval is needed.
async fn submit(team: &Team, duration_minutes: i64, justification: &str) -> AccessRequest {
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

async fn grant(team: &Team, id: &RequestId) -> TeamResult<Value> {
    team.step(StepInput::Grant {
        request_id: id.clone(),
    })
    .await
}

async fn revoke(team: &Team, id: &RequestId) -> TeamResult<Value> {
    team.step(StepInput::Revoke {
        request_id: id.clone(),
    })
    .await
}

async fn granted_request(team: &Team) -> RequestId {
    let request = submit(team, 60, "why").await;
    assert_eq!(request.status, Status::Approved, "no approval needed");
    let out = grant(team, &request.id).await.unwrap();
    assert_eq!(out["granted"], true);
    request.id
}

async fn status(team: &Team, id: &RequestId) -> Status {
    team.ports().requests.get(id).await.unwrap().unwrap().status
}

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
