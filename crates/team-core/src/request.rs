//! The access request and its lifecycle, as an explicit transition table.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{TeamError, TeamResult};
use crate::ids::{
    AccountId, Comment, Justification, PermissionSetArn, RequestId, TicketNo, UserId,
};

/// Status of a request. The strings are exactly TEAM's, so audit queries carry over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// Waiting for approvers.
    #[serde(rename = "pending")]
    Pending,
    /// Approved (or needing no approval); not yet scheduled or granted.
    #[serde(rename = "approved")]
    Approved,
    /// An approver rejected it.
    #[serde(rename = "rejected")]
    Rejected,
    /// The requester withdrew it before access started.
    #[serde(rename = "cancelled")]
    Cancelled,
    /// Nobody decided before the approval expiry.
    #[serde(rename = "expired")]
    Expired,
    /// Approved, waiting for its start time.
    #[serde(rename = "scheduled")]
    Scheduled,
    /// The account assignment exists: the session is running.
    #[serde(rename = "in progress")]
    InProgress,
    /// The session ended: at its end time or early by the requester.
    #[serde(rename = "ended")]
    Ended,
    /// An approver ended the session.
    #[serde(rename = "revoked")]
    Revoked,
    /// Granting or removing access failed; `errorReason` says why.
    #[serde(rename = "error")]
    Error,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 10] = [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Cancelled,
        Status::Expired,
        Status::Scheduled,
        Status::InProgress,
        Status::Ended,
        Status::Revoked,
        Status::Error,
    ];

    /// TEAM's string for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Scheduled => "scheduled",
            Status::InProgress => "in progress",
            Status::Ended => "ended",
            Status::Revoked => "revoked",
            Status::Error => "error",
        }
    }

    /// Parses TEAM's string (as used in `?status=`).
    pub fn parse(value: &str) -> TeamResult<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                TeamError::validation(
                    "status",
                    format!(
                        "unknown status '{value}'; use one of: {}",
                        Status::ALL.map(Status::as_str).join(", ")
                    ),
                )
            })
    }

    /// No transition leaves this status.
    pub fn is_terminal(self) -> bool {
        !TRANSITIONS.iter().any(|t| t.from == self)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who causes a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    /// The user who asked for access.
    Requester,
    /// One of the request's approvers.
    Approver,
    /// A member of the TEAM admin group: the kill switch for any request.
    Admin,
    /// The workflow, the scheduler, a step handler or the reconciler.
    System,
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The last approval needed arrives, or approval is not needed.
    Approve,
    /// An approver says no.
    Reject,
    /// The requester withdraws it before access starts.
    Cancel,
    /// The approval window closes without a decision, or a fixed access window
    /// passed before access could start.
    Expire,
    /// The start time lies ahead: wait for it.
    Schedule,
    /// The account assignment was created.
    Grant,
    /// The session ends: at its end time (system) or early (requester).
    End,
    /// An approver or an admin takes access away (or withdraws an approved request).
    Revoke,
    /// Granting or removing access failed.
    Fail,
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Status before.
    pub from: Status,
    /// What happens.
    pub action: Action,
    /// Who may make it happen.
    pub actor: Actor,
    /// Status after.
    pub to: Status,
}

const fn t(from: Status, action: Action, actor: Actor, to: Status) -> Transition {
    Transition {
        from,
        action,
        actor,
        to,
    }
}

use Action as A;
use Actor::{Admin, Approver, Requester, System};
use Status as S;

/// Every allowed transition. Anything not listed is refused (HTTP 409).
pub const TRANSITIONS: &[Transition] = &[
    t(S::Pending, A::Approve, Approver, S::Approved),
    t(S::Pending, A::Approve, System, S::Approved),
    t(S::Pending, A::Reject, Approver, S::Rejected),
    t(S::Pending, A::Cancel, Requester, S::Cancelled),
    t(S::Pending, A::Cancel, Admin, S::Cancelled),
    t(S::Pending, A::Expire, System, S::Expired),
    t(S::Pending, A::Fail, System, S::Error),
    t(S::Approved, A::Schedule, System, S::Scheduled),
    t(S::Approved, A::Grant, System, S::InProgress),
    t(S::Approved, A::Cancel, Requester, S::Cancelled),
    t(S::Approved, A::Cancel, Admin, S::Cancelled),
    t(S::Approved, A::Revoke, Approver, S::Revoked),
    t(S::Approved, A::Revoke, Admin, S::Revoked),
    // A fixed window that closed before access could start (a late approval).
    t(S::Approved, A::Expire, System, S::Expired),
    t(S::Approved, A::Fail, System, S::Error),
    t(S::Scheduled, A::Grant, System, S::InProgress),
    t(S::Scheduled, A::Cancel, Requester, S::Cancelled),
    t(S::Scheduled, A::Cancel, Admin, S::Cancelled),
    t(S::Scheduled, A::Revoke, Approver, S::Revoked),
    t(S::Scheduled, A::Revoke, Admin, S::Revoked),
    t(S::Scheduled, A::Expire, System, S::Expired),
    t(S::Scheduled, A::Fail, System, S::Error),
    t(S::InProgress, A::End, Requester, S::Ended),
    t(S::InProgress, A::End, System, S::Ended),
    t(S::InProgress, A::Revoke, Approver, S::Revoked),
    t(S::InProgress, A::Revoke, Admin, S::Revoked),
    t(S::InProgress, A::Fail, System, S::Error),
    // Access is taken away after the status changes; if that fails the request must say so.
    t(S::Ended, A::Fail, System, S::Error),
    t(S::Revoked, A::Fail, System, S::Error),
];

/// The status `action` by `actor` leads to from `from`, or why it is refused.
pub fn next_status(from: Status, action: Action, actor: Actor) -> TeamResult<Status> {
    TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.action == action && t.actor == actor)
        .map(|t| t.to)
        .ok_or_else(|| {
            TeamError::InvalidTransition(format!(
                "a request that is '{from}' cannot be {} by the {}",
                past_tense(action),
                actor_name(actor)
            ))
        })
}

fn past_tense(action: Action) -> &'static str {
    match action {
        A::Approve => "approved",
        A::Reject => "rejected",
        A::Cancel => "cancelled",
        A::Expire => "expired",
        A::Schedule => "scheduled",
        A::Grant => "granted",
        A::End => "ended",
        A::Revoke => "revoked",
        A::Fail => "failed",
    }
}

fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Requester => "requester",
        Approver => "approver",
        Admin => "admin",
        System => "system",
    }
}

/// A user as recorded on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    /// Identity Center user id.
    pub user_id: UserId,
    /// Identity Center user name.
    pub username: String,
    /// E-mail address, when the directory has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The account a request is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountRef {
    /// Account id.
    pub id: AccountId,
    /// Account name at the time of the request.
    pub name: String,
}

/// The permission set a request is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionSetRef {
    /// Permission set ARN.
    pub arn: PermissionSetArn,
    /// Permission set name at the time of the request.
    pub name: String,
}

/// An approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// Yes.
    Approve,
    /// No.
    Reject,
}

/// One approver's recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// Who decided.
    pub by: UserRef,
    /// What they decided.
    pub outcome: Outcome,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
}

/// Who closed a request early (cancel, end, revoke) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Closure {
    /// Who; absent when the system closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserRef>,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comment>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
}

fn fixed_by_default() -> bool {
    true
}

/// A request for temporary access to one permission set on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    /// Request id.
    pub id: RequestId,
    /// Who asked.
    pub requester: UserRef,
    /// For which account.
    pub account: AccountRef,
    /// For which permission set.
    pub permission_set: PermissionSetRef,
    /// When access starts (UTC). Until access is granted this is the requested start;
    /// from then on it is the time access actually started.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start_time: OffsetDateTime,
    /// Whether the requester chose `startTime`. A fixed window keeps its end time
    /// however late access starts (and expires unused if it closes first); without one,
    /// the session runs `durationMinutes` from the moment access is granted, as in TEAM.
    /// Requests stored before this field existed had fixed windows.
    #[serde(default = "fixed_by_default")]
    pub fixed_window: bool,
    /// How long access lasts.
    pub duration_minutes: u32,
    /// When access ends (UTC): the planned end, and once the session ended early
    /// (by its requester, an approver or an admin) the time it actually ended.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end_time: OffsetDateTime,
    /// Why access is needed.
    pub justification: Justification,
    /// Change or incident ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_no: Option<TicketNo>,
    /// Where the request is in its lifecycle.
    pub status: Status,
    /// Whether approvers must decide.
    pub approval_required: bool,
    /// How many approvals are needed.
    pub approvals_required: u32,
    /// Who may decide, resolved at submission (never includes the requester).
    pub approvers: Vec<UserRef>,
    /// Decisions so far.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Who cancelled, ended or revoked it, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
    /// Why it is in `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
    /// Bumped by every write; writes are conditional on it.
    pub version: u64,
    /// The workflow's task token while approvers decide. Never shown by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub task_token: Option<String>,
}

impl AccessRequest {
    /// Applies `action` by `actor`, or refuses it. Bumps `updated_at`, not `version` (the store does).
    pub fn apply(
        &mut self,
        action: Action,
        actor: Actor,
        now: OffsetDateTime,
    ) -> TeamResult<Status> {
        let to = next_status(self.status, action, actor)?;
        self.status = to;
        self.updated_at = now;
        Ok(to)
    }

    /// Whether `user` is one of the request's approvers.
    pub fn is_approver(&self, user: &UserId) -> bool {
        self.approvers.iter().any(|a| &a.user_id == user) && &self.requester.user_id != user
    }

    /// Whether `user` already decided.
    pub fn decided_by(&self, user: &UserId) -> bool {
        self.decisions.iter().any(|d| &d.by.user_id == user)
    }

    /// Number of approvals so far.
    pub fn approvals(&self) -> usize {
        self.decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Approve)
            .count()
    }

    /// The (user, account, permission set) triple this request grants.
    pub fn assignment(&self) -> Assignment {
        Assignment {
            user_id: self.requester.user_id.clone(),
            account_id: self.account.id.clone(),
            permission_set_arn: self.permission_set.arn.clone(),
        }
    }

    /// The request without workflow internals, as the API shows it.
    pub fn redacted(mut self) -> Self {
        self.task_token = None;
        self
    }
}

/// An Identity Center account assignment for one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    /// The user.
    pub user_id: UserId,
    /// The account.
    pub account_id: AccountId,
    /// The permission set.
    pub permission_set_arn: PermissionSetArn,
}

impl Assignment {
    /// A stable key for leases and logs.
    pub fn key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.user_id, self.account_id, self.permission_set_arn
        )
    }
}

/// What a request event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// The request was submitted.
    Submitted,
    /// One approver approved; more approvals are needed.
    ApprovalRecorded,
    /// Approved (by the last approver needed, or automatically).
    Approved,
    /// Rejected.
    Rejected,
    /// Cancelled by the requester.
    Cancelled,
    /// Nobody decided in time.
    Expired,
    /// Waiting for the start time.
    Scheduled,
    /// The account assignment was created.
    Granted,
    /// The session ended.
    Ended,
    /// An approver revoked access.
    Revoked,
    /// The account assignment was removed.
    AccessRemoved,
    /// The assignment was kept because another request of the same user still covers it.
    AccessKept,
    /// Removing the assignment failed; the removal stays owed until it succeeds.
    RemovalFailed,
    /// The reconciler found the request stuck and drove it on.
    Swept,
    /// Something failed.
    Error,
    /// A notification went out.
    Notified,
}

/// One entry of a request's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestEvent {
    /// The request.
    pub request_id: RequestId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// What.
    pub kind: EventKind,
    /// Who; absent for the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<UserRef>,
    /// The request's status after the event.
    pub status: Status,
    /// A sentence for people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_strings_are_teams() {
        let json = serde_json::to_string(&Status::InProgress).unwrap();
        assert_eq!(json, "\"in progress\"");
        assert_eq!(Status::parse("in progress").unwrap(), Status::InProgress);
        assert!(Status::parse("running").is_err());
    }

    #[test]
    fn requester_cannot_approve() {
        let err = next_status(Status::Pending, Action::Approve, Actor::Requester).unwrap_err();
        assert_eq!(err.code(), "InvalidTransition");
    }

    #[test]
    fn rejected_is_terminal_and_cannot_be_approved() {
        assert!(Status::Rejected.is_terminal());
        assert!(next_status(Status::Rejected, Action::Approve, Actor::Approver).is_err());
    }

    #[test]
    fn cancel_only_before_access_starts() {
        assert_eq!(
            next_status(Status::Scheduled, Action::Cancel, Actor::Requester).unwrap(),
            Status::Cancelled
        );
        assert!(next_status(Status::InProgress, Action::Cancel, Actor::Requester).is_err());
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            vec![
                Status::Rejected,
                Status::Cancelled,
                Status::Expired,
                Status::Error
            ]
        );
    }
}
