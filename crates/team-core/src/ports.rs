//! Ports: what the domain needs from the outside world. AWS and local adapters implement them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{TeamError, TeamResult};
use crate::ids::{AccountId, GroupId, PermissionSetArn, PolicyId, RequestId, UserId};
use crate::org::{Group, OrgTree, PermissionSet, User};
use crate::policy::{ApproverPolicy, EligibilityPolicy, Principal, Settings};
use crate::request::{AccessRequest, Assignment, RequestEvent, Status};

/// Which requests to list. Every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestQuery {
    /// Requests of this requester.
    pub requester: Option<UserId>,
    /// Requests this user may decide.
    pub approver: Option<UserId>,
    /// Requests this user decided.
    pub decided_by: Option<UserId>,
    /// Any of these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// For this account.
    pub account: Option<AccountId>,
    /// Sessions ending after this instant.
    pub active_after: Option<OffsetDateTime>,
    /// Sessions starting before this instant.
    pub active_before: Option<OffsetDateTime>,
    /// Page size.
    pub limit: usize,
    /// Opaque continuation from the previous page.
    pub next_token: Option<String>,
}

/// One page of results, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_token: Option<String>,
}

/// Where a page of requests ended, as every store lists them: newest first by
/// creation time, then by id. A `nextToken` is this cursor, so a request written
/// between two pages can neither repeat nor hide an item of the next page (an
/// offset could). One format for every store keeps tokens opaque and identical.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageCursor {
    /// Creation time of the page's last request.
    pub created_at: OffsetDateTime,
    /// Its id, the tie-breaker among requests created in the same nanosecond.
    pub id: RequestId,
}

const CURSOR_PREFIX: &str = "v1:";

impl PageCursor {
    /// The cursor just past `request`.
    pub fn after(request: &AccessRequest) -> PageCursor {
        PageCursor {
            created_at: request.created_at,
            id: request.id.clone(),
        }
    }

    /// Whether `request` comes after this cursor in the listing order, i.e. on a later
    /// page. Cursors order like requests: by creation time, then id (field order).
    pub fn precedes(&self, request: &AccessRequest) -> bool {
        PageCursor::after(request) < *self
    }

    /// The opaque, URL-safe `nextToken` of this cursor.
    pub fn token(&self) -> String {
        let text = format!(
            "{CURSOR_PREFIX}{}:{}",
            self.created_at.unix_timestamp_nanos(),
            self.id
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a `nextToken`; anything no store issued is a `Validation` error on
    /// `nextToken` (400), never a failed query.
    pub fn parse(token: &str) -> TeamResult<PageCursor> {
        let bad = || TeamError::validation("nextToken", "is not a token this API returned");
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let rest = text.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        let (created, id) = rest.split_once(':').ok_or_else(bad)?;
        let created: i128 = created.parse().map_err(|_| bad())?;
        Ok(PageCursor {
            created_at: OffsetDateTime::from_unix_timestamp_nanos(created).map_err(|_| bad())?,
            id: RequestId::parse(id).map_err(|_| bad())?,
        })
    }
}

/// Who holds an account assignment, and whether its deletion is still owed. Fixes
/// TEAM #279: the assignment is removed only when its last holder lets go; and a
/// removal is never forgotten: it stays owed here until Identity Center confirms the
/// assignment gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The assignment.
    pub assignment: Assignment,
    /// Granted requests that rely on it.
    pub holders: BTreeSet<RequestId>,
    /// Set from the moment the last holder lets go until Identity Center confirms the
    /// deletion: the removal is owed. A new grant waits while a deletion is under way.
    pub removing: bool,
    /// The request whose release made the removal owed (the one to record it on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owed_by: Option<RequestId>,
    /// When the current deletion attempt started; an attempt much older than a
    /// deletion takes was cut short (a crash), and the reconciler takes it up.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub removal_started_at: Option<OffsetDateTime>,
    /// Why the last deletion attempt failed; `None` while one is under way. Only a
    /// failed removal (nothing deleting the assignment now) may be taken over by a grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_error: Option<String>,
    /// Bumped by every write; writes are conditional on it.
    pub version: u64,
}

impl Lease {
    /// A lease nobody holds yet.
    pub fn new(assignment: Assignment) -> Lease {
        Lease {
            assignment,
            holders: BTreeSet::new(),
            removing: false,
            owed_by: None,
            removal_started_at: None,
            removal_error: None,
            version: 0,
        }
    }

    /// Forgets the owed removal: Identity Center confirmed it, or a grant took the
    /// assignment over after the deletion failed.
    pub fn clear_removal(&mut self) {
        self.removing = false;
        self.owed_by = None;
        self.removal_started_at = None;
        self.removal_error = None;
    }
}

/// Requests, their audit trail and the assignment leases.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Writes `request`. With `expected_version` `None` the request must not exist yet;
    /// otherwise the stored version must equal it. Fails with `Conflict` if not.
    async fn put(&self, request: &AccessRequest, expected_version: Option<u64>) -> TeamResult<()>;
    /// One request.
    async fn get(&self, id: &RequestId) -> TeamResult<Option<AccessRequest>>;
    /// Lists requests, newest first.
    async fn query(&self, query: &RequestQuery) -> TeamResult<Page<AccessRequest>>;
    /// Appends to a request's audit trail.
    async fn append_event(&self, event: &RequestEvent) -> TeamResult<()>;
    /// A request's audit trail, oldest first.
    async fn events(&self, id: &RequestId) -> TeamResult<Vec<RequestEvent>>;
    /// The lease on an assignment.
    async fn lease(&self, assignment: &Assignment) -> TeamResult<Option<Lease>>;
    /// Writes a lease, conditional like [`RequestStore::put`].
    async fn put_lease(&self, lease: &Lease, expected_version: Option<u64>) -> TeamResult<()>;
    /// Every lease whose removal is owed (`removing`), for the reconciler: read from
    /// an index of owed leases, never by reading every lease.
    async fn owed_leases(&self) -> TeamResult<Vec<Lease>>;
}

/// Settings and policies.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Current settings (the defaults if never saved).
    async fn settings(&self) -> TeamResult<Settings>;
    /// Replaces the settings.
    async fn put_settings(&self, settings: &Settings) -> TeamResult<()>;
    /// Every eligibility policy.
    async fn eligibility_policies(&self) -> TeamResult<Vec<EligibilityPolicy>>;
    /// Eligibility policies naming any of these principals.
    async fn eligibility_policies_for(
        &self,
        principals: &[Principal],
    ) -> TeamResult<Vec<EligibilityPolicy>> {
        let all = self.eligibility_policies().await?;
        Ok(all
            .into_iter()
            .filter(|p| principals.contains(&p.spec.principal))
            .collect())
    }
    /// One eligibility policy.
    async fn eligibility_policy(&self, id: &PolicyId) -> TeamResult<Option<EligibilityPolicy>>;
    /// Creates or replaces an eligibility policy.
    async fn put_eligibility_policy(&self, policy: &EligibilityPolicy) -> TeamResult<()>;
    /// Deletes an eligibility policy; `false` if there was none.
    async fn delete_eligibility_policy(&self, id: &PolicyId) -> TeamResult<bool>;
    /// Every approver policy.
    async fn approver_policies(&self) -> TeamResult<Vec<ApproverPolicy>>;
    /// One approver policy.
    async fn approver_policy(&self, id: &PolicyId) -> TeamResult<Option<ApproverPolicy>>;
    /// Creates or replaces an approver policy.
    async fn put_approver_policy(&self, policy: &ApproverPolicy) -> TeamResult<()>;
    /// Deletes an approver policy; `false` if there was none.
    async fn delete_approver_policy(&self, id: &PolicyId) -> TeamResult<bool>;
}

/// Identity Center's directory (Identity Store).
#[async_trait]
pub trait Directory: Send + Sync {
    /// A user by id.
    async fn user(&self, id: &UserId) -> TeamResult<Option<User>>;
    /// A user by user name.
    async fn user_by_username(&self, username: &str) -> TeamResult<Option<User>>;
    /// The groups a user belongs to.
    async fn groups_of(&self, user: &UserId) -> TeamResult<Vec<Group>>;
    /// The members of a group.
    async fn members_of(&self, group: &GroupId) -> TeamResult<Vec<User>>;
    /// Every user.
    async fn users(&self) -> TeamResult<Vec<User>>;
    /// Every group.
    async fn groups(&self) -> TeamResult<Vec<Group>>;
}

/// AWS Organizations and the permission set catalogue.
#[async_trait]
pub trait Organization: Send + Sync {
    /// A snapshot of accounts and OUs (adapters may cache it).
    async fn tree(&self) -> TeamResult<Arc<OrgTree>>;
    /// Identity Center permission sets.
    async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>>;
}

/// State of an asynchronous assignment operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    /// Still running.
    InProgress,
    /// Done.
    Succeeded,
    /// Identity Center gave up; the reason is its `FailureReason` (TEAM drops it: its #522).
    Failed {
        /// Why.
        reason: String,
    },
}

/// An assignment operation to poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Identity Center's request id.
    pub id: String,
    /// `true` for deletion.
    pub deletion: bool,
}

/// Creates and removes Identity Center account assignments.
#[async_trait]
pub trait AccessProvisioner: Send + Sync {
    /// Starts creating an assignment. One that already exists is success.
    async fn create_assignment(&self, assignment: &Assignment) -> TeamResult<Operation>;
    /// Starts deleting an assignment. One already gone is success.
    async fn delete_assignment(&self, assignment: &Assignment) -> TeamResult<Operation>;
    /// Where an operation is.
    async fn operation_status(&self, operation: &Operation) -> TeamResult<OperationStatus>;
    /// Every principal (user or group) that holds `permission_set` on `account` right
    /// now, as Identity Center lists it. The reconciler compares this with the leases:
    /// an assignment held by no live lease is a leak or was made outside TEAM-rs.
    async fn assigned_principals(
        &self,
        account: &AccountId,
        permission_set: &PermissionSetArn,
    ) -> TeamResult<Vec<Principal>>;
}

/// Which state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkflowKind {
    /// `statemachines/access-request.asl.json`.
    AccessRequest,
    /// `statemachines/revoke.asl.json`.
    Revoke,
}

impl WorkflowKind {
    /// The registered name (and file stem) of the state machine.
    pub fn name(self) -> &'static str {
        match self {
            WorkflowKind::AccessRequest => "access-request",
            WorkflowKind::Revoke => "revoke",
        }
    }
}

/// Step Functions (or the local executor).
#[async_trait]
pub trait Workflow: Send + Sync {
    /// Starts an execution; the name makes a retried start harmless.
    async fn start(
        &self,
        kind: WorkflowKind,
        name: &str,
        input: serde_json::Value,
    ) -> TeamResult<()>;
    /// Completes a task that waits for a token.
    async fn send_task_success(&self, token: &str, output: serde_json::Value) -> TeamResult<()>;
}

/// One-time timers that end sessions (EventBridge Scheduler or the local timer table).
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// At `at`, start the revoke workflow for `request`. Idempotent per request.
    async fn schedule_end(&self, request: &RequestId, at: OffsetDateTime) -> TeamResult<()>;
    /// Drops the timer; a missing timer is fine.
    async fn cancel_end(&self, request: &RequestId) -> TeamResult<()>;
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// SES e-mail.
    Email,
    /// SNS topic.
    Sns,
    /// Slack.
    Slack,
}

/// A message about a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The request after the event.
    pub request: AccessRequest,
    /// What happened, as a request event kind (`submitted`, `approved`, …).
    pub event: crate::request::EventKind,
    /// Who should hear of it.
    pub recipients: Vec<crate::request::UserRef>,
    /// Channels enabled in settings.
    pub channels: Vec<Channel>,
    /// One line for subjects and chat.
    pub subject: String,
}

/// E-mail, SNS, Slack (or the local outbox). A failed send is logged, never fatal.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one notification.
    async fn notify(&self, notification: &Notification) -> TeamResult<()>;
}

/// One action a user took during a session (from CloudTrail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// API call, e.g. `TerminateInstances`.
    pub event_name: String,
    /// Service, e.g. `ec2.amazonaws.com`.
    pub event_source: String,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Caller address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
}

/// What a user did during a session (CloudTrail Lake, or the local simulation).
#[async_trait]
pub trait SessionActivity: Send + Sync {
    /// Events of the requester, permission set and account between start and end + 1 h.
    async fn activity(&self, request: &AccessRequest) -> TeamResult<Vec<ActivityEvent>>;
}

/// Where the reconciler keeps its runs (`GET /api/admin/sweeps`).
#[async_trait]
pub trait SweepLog: Send + Sync {
    /// Keeps one run.
    async fn record(&self, run: &crate::sweep::SweepRun) -> TeamResult<()>;
    /// The latest runs, newest first, at most `limit`.
    async fn recent(&self, limit: usize) -> TeamResult<Vec<crate::sweep::SweepRun>>;
}

/// Time, so tests control it.
#[async_trait]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
    /// Waits (a test clock may just move its time forward).
    async fn sleep(&self, duration: Duration);
}

/// New ids.
pub trait IdGenerator: Send + Sync {
    /// A fresh unique id.
    fn new_id(&self) -> String;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    fn cursor(at: OffsetDateTime, id: &str) -> PageCursor {
        PageCursor {
            created_at: at,
            id: RequestId::parse(id).unwrap(),
        }
    }

    #[test]
    fn a_token_round_trips_to_the_nanosecond_and_is_url_safe() {
        let c = cursor(datetime!(2026-01-05 10:00:00.000000501 UTC), "req-1");
        let token = c.token();
        assert_eq!(PageCursor::parse(&token).unwrap(), c);
        assert!(
            token
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
            "tokens are URL-safe: {token}"
        );
    }

    #[test]
    fn a_token_no_store_issued_is_a_validation_error_on_next_token() {
        for text in [
            "v1:12:has space",
            "v1:x:req-1",
            "v2:12:req-1",
            "v1:99999999999999999999999999:req",
            "v1:12",
        ] {
            let token = URL_SAFE_NO_PAD.encode(text);
            assert_eq!(
                PageCursor::parse(&token).unwrap_err().field(),
                Some("nextToken"),
                "{text}"
            );
        }
        assert_eq!(
            PageCursor::parse("not base64!").unwrap_err().field(),
            Some("nextToken")
        );
    }

    #[test]
    fn cursors_order_by_creation_time_first_then_by_id() {
        let at = datetime!(2026-01-05 10:00 UTC);
        let c = cursor(at, "req-5");
        assert!(cursor(at - time::Duration::nanoseconds(1), "req-9") < c);
        assert!(cursor(at, "req-4") < c);
        assert!(cursor(at, "req-5") == c);
        assert!(cursor(at + time::Duration::nanoseconds(1), "req-1") > c);
    }
}
