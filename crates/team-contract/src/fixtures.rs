//! Test data builders: valid requests, users, leases and policies with ids
//! that no other check uses.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use team_core::ids::{
    AccountId, GroupId, Justification, PermissionSetArn, PolicyId, RequestId, UserId,
};
use team_core::policy::{
    ApproverPolicy, ApproverPolicyInput, EligibilityPolicy, EligibilityPolicyInput, Principal,
    Scope,
};
use team_core::ports::Lease;
use team_core::request::{
    AccessRequest, AccountRef, Assignment, Decision, EventKind, Outcome, PermissionSetRef,
    RequestEvent, Status, UserRef,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant most test data is built around.
pub const T0: OffsetDateTime = datetime!(2026-01-05 10:00:00 UTC);

/// A valid permission set ARN.
pub const PS_ADMIN: &str =
    "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";

/// Another valid permission set ARN.
pub const PS_READ: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A namespace of ids for one check: every id it makes is unique to it.
#[derive(Debug, Clone)]
pub struct Ns {
    tag: String,
    number: u64,
}

impl Ns {
    /// A fresh namespace; `name` (letters, digits, `-`) shows up in the ids.
    pub fn new(name: &str) -> Ns {
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // Mixes the clock and the counter; distinct within a process, and across runs on one store.
        let number = u64::try_from(nanos % 1_000_000_000_000)
            .unwrap_or_default()
            .wrapping_mul(7919)
            .wrapping_add(count.wrapping_mul(104_729));
        let short: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(24)
            .collect();
        Ns {
            tag: format!("{short}-{count}-{}", number % 1_000_000_000),
            number,
        }
    }

    /// An id unique to this namespace (at most 64 characters).
    pub fn id(&self, suffix: &str) -> String {
        let id = format!("{}-{suffix}", self.tag);
        id.chars().take(64).collect()
    }

    /// A request id unique to this namespace.
    pub fn request_id(&self, suffix: &str) -> RequestId {
        parse(RequestId::parse(self.id(suffix)))
    }

    /// A user id unique to this namespace.
    pub fn user_id(&self, suffix: &str) -> UserId {
        parse(UserId::parse(self.id(suffix)))
    }

    /// A group id unique to this namespace.
    pub fn group_id(&self, suffix: &str) -> GroupId {
        parse(GroupId::parse(self.id(suffix)))
    }

    /// A policy id unique to this namespace.
    pub fn policy_id(&self, suffix: &str) -> PolicyId {
        parse(PolicyId::parse(self.id(suffix)))
    }

    /// The `n`th 12-digit account id of this namespace (`n` below 100).
    pub fn account_id(&self, n: u64) -> AccountId {
        let base = (self.number % 10_000_000_000) * 100;
        parse(AccountId::parse(format!("{:012}", base + n % 100)))
    }
}

fn parse<T>(value: team_core::TeamResult<T>) -> T {
    match value {
        Ok(v) => v,
        Err(e) => panic!("fixture builds an invalid value: {e}"),
    }
}

/// A permission set ARN by one of the constants above.
pub fn arn(value: &str) -> PermissionSetArn {
    parse(PermissionSetArn::parse(value))
}

/// A user as recorded on a request.
pub fn user(id: &UserId) -> UserRef {
    UserRef {
        user_id: id.clone(),
        username: format!("name-{id}"),
        email: Some(format!("{id}@example.com")),
    }
}

/// A pending request of `requester` for `account`, created at `created_at`, for one hour from `T0`.
pub fn request(
    id: &RequestId,
    requester: &UserId,
    account: &AccountId,
    created_at: OffsetDateTime,
) -> AccessRequest {
    AccessRequest {
        id: id.clone(),
        requester: user(requester),
        account: AccountRef {
            id: account.clone(),
            name: format!("account-{account}"),
        },
        permission_set: PermissionSetRef {
            arn: arn(PS_ADMIN),
            name: "AdministratorAccess".into(),
        },
        start_time: T0,
        fixed_window: true,
        duration_minutes: 60,
        end_time: T0 + Duration::hours(1),
        justification: parse(Justification::parse("investigate the incident")),
        ticket_no: None,
        status: Status::Pending,
        approval_required: true,
        approvals_required: 1,
        approvers: Vec::new(),
        decisions: Vec::new(),
        closed: None,
        error_reason: None,
        created_at,
        updated_at: created_at,
        version: 1,
        task_token: None,
    }
}

/// A decision by `by` at `at`.
pub fn decision(by: &UserId, outcome: Outcome, at: OffsetDateTime) -> Decision {
    Decision {
        by: user(by),
        outcome,
        comment: None,
        at,
    }
}

/// An event of a request.
pub fn event(
    request: &RequestId,
    at: OffsetDateTime,
    kind: EventKind,
    message: &str,
) -> RequestEvent {
    RequestEvent {
        request_id: request.clone(),
        at,
        kind,
        actor: None,
        status: Status::Pending,
        message: message.into(),
    }
}

/// The assignment of `user` to `account` with the admin permission set.
pub fn assignment(user: &UserId, account: &AccountId) -> Assignment {
    Assignment {
        user_id: user.clone(),
        account_id: account.clone(),
        permission_set_arn: arn(PS_ADMIN),
    }
}

/// A lease at `version` held by `holders`.
pub fn lease(assignment: &Assignment, holders: &[&RequestId], version: u64) -> Lease {
    Lease {
        assignment: assignment.clone(),
        holders: holders
            .iter()
            .map(|h| (*h).clone())
            .collect::<BTreeSet<_>>(),
        removing: false,
        owed_by: None,
        removal_started_at: None,
        removal_error: None,
        version,
    }
}

/// An eligibility policy of `principal` for `account`.
pub fn eligibility_policy(
    id: &PolicyId,
    principal: Principal,
    account: &AccountId,
) -> EligibilityPolicy {
    EligibilityPolicy {
        id: id.clone(),
        spec: EligibilityPolicyInput {
            name: format!("eligibility {id}"),
            principal,
            accounts: vec![account.clone()],
            ous: Vec::new(),
            permission_sets: vec![arn(PS_ADMIN), arn(PS_READ)],
            max_duration_minutes: 120,
            approval_required: true,
            ticket_required: false,
        },
        updated_at: T0,
    }
}

/// An approver policy for `account` naming `approvers`.
pub fn approver_policy(
    id: &PolicyId,
    account: &AccountId,
    approvers: &[&UserId],
) -> ApproverPolicy {
    ApproverPolicy {
        id: id.clone(),
        spec: ApproverPolicyInput {
            name: format!("approvers {id}"),
            scope: Scope::Account(account.clone()),
            permission_sets: vec![arn(PS_READ)],
            approver_groups: Vec::new(),
            approver_users: approvers.iter().map(|u| (*u).clone()).collect(),
            approvals_required: 1,
        },
        updated_at: T0,
    }
}
