//! The application service: every use case of the API, written against the ports.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access::retry_on_conflict;
use crate::error::{TeamError, TeamResult};
use crate::executions::{AccessRequestInput, RevokeCause, RevokeInput};
use crate::ids::{
    AccountId, Comment, GroupId, Justification, PermissionSetArn, PolicyId, RequestId, TicketNo,
    UserId,
};
use crate::org::{Account, Group, OrgTree, OrgUnit, PermissionSet, User};
use crate::policy::{
    ApproverPolicy, ApproverPolicyInput, ApproverSet, Eligibility, EligibilityPolicy,
    EligibilityPolicyInput, Settings, approvers_for, evaluate_eligibility, is_approver,
    principals_of,
};
use crate::ports::{
    AccessProvisioner, ActivityEvent, Channel, Clock, Directory, IdGenerator, Notification,
    Notifier, Organization, Page, PolicyStore, RequestQuery, RequestStore, Scheduler,
    SessionActivity, SweepLog, Workflow, WorkflowKind,
};
use crate::request::{
    AccessRequest, AccountRef, Action, Actor, Closure, Decision, EventKind, Outcome,
    PermissionSetRef, RequestEvent, Status, UserRef,
};

/// Start times may lie this far in the past (clock skew, slow forms).
pub const START_GRACE: time::Duration = time::Duration::seconds(60);
/// Start times may lie at most this far ahead.
pub const MAX_START_AHEAD: time::Duration = time::Duration::days(90);
/// Largest page a list call returns.
pub const MAX_PAGE: usize = 200;

/// Every port the service uses.
#[derive(Clone)]
pub struct Ports {
    /// Requests, events, leases.
    pub requests: Arc<dyn RequestStore>,
    /// Settings and policies.
    pub policies: Arc<dyn PolicyStore>,
    /// Users and groups.
    pub directory: Arc<dyn Directory>,
    /// Accounts, OUs, permission sets.
    pub organization: Arc<dyn Organization>,
    /// Account assignments.
    pub provisioner: Arc<dyn AccessProvisioner>,
    /// The state machines.
    pub workflow: Arc<dyn Workflow>,
    /// End-of-session timers.
    pub scheduler: Arc<dyn Scheduler>,
    /// Notifications.
    pub notifier: Arc<dyn Notifier>,
    /// Session activity.
    pub activity: Arc<dyn SessionActivity>,
    /// The reconciler's runs.
    pub sweeps: Arc<dyn SweepLog>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

/// How the grant and revoke steps wait for Identity Center.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    /// First wait between polls; doubles up to `max_interval`.
    pub interval: Duration,
    /// Longest wait between polls.
    pub max_interval: Duration,
    /// Polls before giving up with a retryable error (the workflow retries the step).
    pub max_polls: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(5),
            max_polls: 20,
        }
    }
}

/// The verified identity of a caller: the Identity Center user id from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Identity Center user id (`sub`).
    pub user_id: UserId,
}

/// The roles a user has in TEAM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Roles {
    /// May request access (every user).
    pub requester: bool,
    /// Named by an approver policy.
    pub approver: bool,
    /// Member of the admin group.
    pub admin: bool,
    /// Member of the auditor group.
    pub auditor: bool,
}

/// A caller with their directory entry, groups and roles.
#[derive(Debug, Clone)]
pub struct CallerContext {
    /// The user.
    pub user: User,
    /// Their groups.
    pub groups: Vec<Group>,
    /// Member of the admin group.
    pub admin: bool,
    /// Member of the auditor group.
    pub auditor: bool,
    /// Settings at the time of the call.
    pub settings: Settings,
}

impl CallerContext {
    fn user_ref(&self) -> UserRef {
        user_ref(&self.user)
    }

    fn require_admin(&self) -> TeamResult<()> {
        if self.admin {
            Ok(())
        } else {
            Err(TeamError::Forbidden(format!(
                "only members of the TEAM admin group '{}' may do this",
                self.settings.admin_group
            )))
        }
    }

    fn require_auditor(&self) -> TeamResult<()> {
        if self.auditor {
            Ok(())
        } else {
            Err(TeamError::Forbidden(format!(
                "only members of the TEAM auditor group '{}' may do this",
                self.settings.auditor_group
            )))
        }
    }

    fn group_ids(&self) -> Vec<GroupId> {
        self.groups.iter().map(|g| g.id.clone()).collect()
    }

    fn can_see(&self, request: &AccessRequest) -> bool {
        request.requester.user_id == self.user.id
            || request.approvers.iter().any(|a| a.user_id == self.user.id)
            || self.admin
            || self.auditor
    }
}

fn user_ref(user: &User) -> UserRef {
    UserRef {
        user_id: user.id.clone(),
        username: user.username.clone(),
        email: user.email.clone(),
    }
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The user.
    pub user: User,
    /// Their groups.
    pub groups: Vec<Group>,
    /// Their roles.
    pub roles: Roles,
}

/// `POST /api/requests` body. Fields are checked one by one so each error names its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRequest {
    /// Account id.
    pub account_id: String,
    /// Permission set ARN.
    pub permission_set_arn: String,
    /// RFC 3339 start; now when absent.
    #[serde(default)]
    pub start_time: Option<String>,
    /// Session length in minutes.
    pub duration_minutes: i64,
    /// Why.
    pub justification: String,
    /// Ticket reference.
    #[serde(default)]
    pub ticket_no: Option<String>,
}

/// What `POST /api/admin/users/{id}/revoke-all` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeAll {
    /// The user whose access was ended.
    pub user_id: UserId,
    /// Requests revoked: running sessions (their access is being removed) and approved
    /// requests that had not started.
    pub revoked: Vec<RequestId>,
    /// Requests cancelled while they waited for approvers.
    pub cancelled: Vec<RequestId>,
    /// Requests that could not be closed, with why.
    pub failed: Vec<RevokeAllFailure>,
}

/// A request `revoke-all` could not close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeAllFailure {
    /// The request.
    pub request_id: RequestId,
    /// Why it is still open.
    pub error: String,
}

/// Which list of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ListScope {
    /// My requests.
    Mine,
    /// Requests waiting for my decision.
    Approvable,
    /// Requests I decided.
    Decided,
    /// Every request (admins and auditors).
    All,
}

/// Filters of the audit listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Sessions ending after this.
    pub from: Option<OffsetDateTime>,
    /// Sessions starting before this.
    pub to: Option<OffsetDateTime>,
    /// Statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Account.
    pub account: Option<AccountId>,
    /// Requester (user id or user name).
    pub requester: Option<String>,
}

/// The TEAM-rs application.
#[derive(Clone)]
pub struct Team {
    pub(crate) ports: Ports,
    pub(crate) poll: PollPolicy,
}

impl Team {
    /// Wires the service.
    pub fn new(ports: Ports) -> Team {
        Team {
            ports,
            poll: PollPolicy::default(),
        }
    }

    /// Changes how Identity Center operations are polled.
    pub fn with_poll_policy(mut self, poll: PollPolicy) -> Team {
        self.poll = poll;
        self
    }

    /// The ports (adapters call through them directly, e.g. for local-only endpoints).
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.ports.clock.now()
    }

    /// Resolves the caller's directory entry, groups and roles.
    pub async fn context(&self, caller: &Caller) -> TeamResult<CallerContext> {
        let user = self
            .ports
            .directory
            .user(&caller.user_id)
            .await?
            .ok_or_else(|| {
                TeamError::Forbidden(format!(
                    "user {} is not in the Identity Center directory",
                    caller.user_id
                ))
            })?;
        let groups = self.ports.directory.groups_of(&user.id).await?;
        let settings = self.ports.policies.settings().await?;
        Ok(CallerContext {
            admin: groups.iter().any(|g| g.name == settings.admin_group),
            auditor: groups.iter().any(|g| g.name == settings.auditor_group),
            user,
            groups,
            settings,
        })
    }

    /// `GET /api/me`.
    pub async fn me(&self, caller: &Caller) -> TeamResult<Me> {
        let ctx = self.context(caller).await?;
        let group_ids: Vec<_> = ctx.groups.iter().map(|g| g.id.clone()).collect();
        // Only this call needs every approver policy; the others skip loading them.
        let approver_policies = self.ports.policies.approver_policies().await?;
        let roles = Roles {
            requester: true,
            approver: is_approver(&approver_policies, &ctx.user.id, &group_ids),
            admin: ctx.admin,
            auditor: ctx.auditor,
        };
        Ok(Me {
            user: ctx.user,
            groups: ctx.groups,
            roles,
        })
    }

    /// `GET /api/eligibility`.
    pub async fn eligibility(&self, caller: &Caller) -> TeamResult<Eligibility> {
        let ctx = self.context(caller).await?;
        self.eligibility_of(&ctx).await
    }

    async fn eligibility_of(&self, ctx: &CallerContext) -> TeamResult<Eligibility> {
        self.eligibility_for(&ctx.user.id, &ctx.groups, &ctx.settings)
            .await
    }

    /// What a user with these groups may request under the current policies.
    pub(crate) async fn eligibility_for(
        &self,
        user: &UserId,
        groups: &[Group],
        settings: &Settings,
    ) -> TeamResult<Eligibility> {
        let group_ids: Vec<_> = groups.iter().map(|g| g.id.clone()).collect();
        let principals = principals_of(user, &group_ids);
        let policies = self
            .ports
            .policies
            .eligibility_policies_for(&principals)
            .await?;
        let tree = self.ports.organization.tree().await?;
        let catalogue = self.ports.organization.permission_sets().await?;
        Ok(evaluate_eligibility(
            &tree,
            &catalogue,
            &policies,
            &principals,
            settings,
        ))
    }

    /// `POST /api/requests`: checks eligibility and limits, resolves approvers, stores the
    /// request and starts its workflow.
    pub async fn submit(&self, caller: &Caller, input: NewRequest) -> TeamResult<AccessRequest> {
        let ctx = self.context(caller).await?;
        let now = self.now();
        let account_id = AccountId::parse(input.account_id.trim())?;
        let ps_arn = PermissionSetArn::parse(input.permission_set_arn.trim())?;
        let justification = Justification::parse(input.justification)?;
        let ticket_no = match input.ticket_no.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(TicketNo::parse(t)?),
        };
        let (start_time, fixed_window) = match input.start_time.as_deref().map(str::trim) {
            None | Some("") => (now, false),
            Some(s) => {
                let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                    TeamError::validation(
                        "startTime",
                        "must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z",
                    )
                })?;
                // Stored and handed to the workflow in UTC: Step Functions' Wait state
                // rejects other offsets at run time, where no Catch can handle it.
                (at.to_offset(time::UtcOffset::UTC), true)
            }
        };
        if start_time < now - START_GRACE {
            return Err(TeamError::validation(
                "startTime",
                "must not be in the past",
            ));
        }
        if start_time > now + MAX_START_AHEAD {
            return Err(TeamError::validation(
                "startTime",
                "must be at most 90 days ahead",
            ));
        }

        let eligibility = self.eligibility_of(&ctx).await?;
        let account_name = eligibility
            .accounts
            .iter()
            .find(|a| a.account_id == account_id)
            .map(|a| a.account_name.clone());
        let Some(entitlement) = eligibility.find(&account_id, &ps_arn) else {
            return Err(self.not_eligible(&account_id, &ps_arn).await);
        };
        let max = i64::from(entitlement.max_duration_minutes);
        if input.duration_minutes < 1 || input.duration_minutes > max {
            return Err(TeamError::validation(
                "durationMinutes",
                format!("must be between 1 and {max} minutes for this account and permission set"),
            ));
        }
        let duration_minutes = u32::try_from(input.duration_minutes)
            .map_err(|_| TeamError::validation("durationMinutes", "is out of range"))?;
        if entitlement.ticket_required && ticket_no.is_none() {
            return Err(TeamError::validation(
                "ticketNo",
                "is required for this account and permission set",
            ));
        }

        let (approvers, approvals_required) = if entitlement.approval_required {
            self.resolve_approvers(&ctx.user.id, &account_id, &ps_arn)
                .await?
        } else {
            (Vec::new(), 0)
        };

        let id = RequestId::parse(self.ports.ids.new_id())?;
        let mut request = AccessRequest {
            id: id.clone(),
            requester: ctx.user_ref(),
            account: AccountRef {
                id: account_id,
                name: account_name.unwrap_or_default(),
            },
            permission_set: PermissionSetRef {
                arn: ps_arn,
                name: entitlement.permission_set_name.clone(),
            },
            start_time,
            fixed_window,
            duration_minutes,
            end_time: start_time + time::Duration::minutes(i64::from(duration_minutes)),
            justification,
            ticket_no,
            status: Status::Pending,
            approval_required: entitlement.approval_required,
            approvals_required,
            approvers,
            decisions: Vec::new(),
            closed: None,
            error_reason: None,
            created_at: now,
            updated_at: now,
            version: 1,
            task_token: None,
        };
        if !request.approval_required {
            request.apply(Action::Approve, Actor::System, now)?;
        }
        self.ports.requests.put(&request, None).await?;
        tracing::info!(request_id = %id, requester = %request.requester.username, account = %request.account.id,
            permission_set = %request.permission_set.name, status = %request.status, "request submitted");
        self.record(
            &request,
            EventKind::Submitted,
            Some(ctx.user_ref()),
            format!(
                "{} asked for {} on {} ({}) for {} minutes",
                request.requester.username,
                request.permission_set.name,
                request.account.name,
                request.account.id,
                request.duration_minutes
            ),
        )
        .await;
        if !request.approval_required {
            self.record(
                &request,
                EventKind::Approved,
                None,
                "approved automatically: no approval required".into(),
            )
            .await;
        }

        let input = AccessRequestInput {
            request_id: id.clone(),
            approval_required: request.approval_required,
            approval_timeout_seconds: u64::from(ctx.settings.approval_expiry_hours) * 3600,
        };
        if let Err(err) = self
            .ports
            .workflow
            .start(
                WorkflowKind::AccessRequest,
                &input.execution_name(),
                input.to_value(),
            )
            .await
        {
            tracing::error!(request_id = %id, error = %err, "workflow did not start");
            let reason = format!("the workflow could not start: {err}");
            let failed = self
                .update(&id, |r, now| {
                    r.apply(Action::Fail, Actor::System, now)?;
                    r.error_reason = Some(reason.clone());
                    Ok(())
                })
                .await?;
            self.record(&failed, EventKind::Error, None, reason).await;
            return Err(err);
        }
        Ok(request)
    }

    async fn resolve_approvers(
        &self,
        requester: &UserId,
        account: &AccountId,
        ps: &PermissionSetArn,
    ) -> TeamResult<(Vec<UserRef>, u32)> {
        let tree = self.ports.organization.tree().await?;
        let policies = self.ports.policies.approver_policies().await?;
        let set = approvers_for(&tree, &policies, account, ps);
        let mut users: BTreeMap<UserId, UserRef> = BTreeMap::new();
        for id in &set.users {
            if let Some(u) = self.ports.directory.user(id).await? {
                users.insert(u.id.clone(), user_ref(&u));
            }
        }
        for group in &set.groups {
            for u in self.ports.directory.members_of(group).await? {
                users.insert(u.id.clone(), user_ref(&u));
            }
        }
        users.remove(requester);
        if users.is_empty() {
            return Err(TeamError::validation(
                "permissionSetArn",
                "no approver other than you is configured for this account and permission set; ask a TEAM admin to add an approver policy",
            ));
        }
        if users.len() < set.approvals_required as usize {
            return Err(TeamError::validation(
                "permissionSetArn",
                format!(
                    "{} approvals are required but only {} approver(s) other than you exist; ask a TEAM admin",
                    set.approvals_required,
                    users.len()
                ),
            ));
        }
        Ok((users.into_values().collect(), set.approvals_required))
    }

    /// Loads a request the caller may see (others get 404, so ids do not leak).
    async fn visible(&self, ctx: &CallerContext, id: &RequestId) -> TeamResult<AccessRequest> {
        match self.ports.requests.get(id).await? {
            Some(r) if ctx.can_see(&r) => Ok(r),
            _ => Err(TeamError::NotFound(format!("request {id} not found"))),
        }
    }

    /// `GET /api/requests/{id}`.
    pub async fn get(&self, caller: &Caller, id: &str) -> TeamResult<AccessRequest> {
        let ctx = self.context(caller).await?;
        let id = parse_request_id(id)?;
        Ok(self.visible(&ctx, &id).await?.redacted())
    }

    /// `GET /api/requests/{id}/events`.
    pub async fn events(&self, caller: &Caller, id: &str) -> TeamResult<Vec<RequestEvent>> {
        let ctx = self.context(caller).await?;
        let id = parse_request_id(id)?;
        self.visible(&ctx, &id).await?;
        self.ports.requests.events(&id).await
    }

    /// `GET /api/requests`.
    pub async fn list(
        &self,
        caller: &Caller,
        scope: ListScope,
        statuses: Vec<Status>,
        limit: Option<usize>,
        next_token: Option<String>,
    ) -> TeamResult<Page<AccessRequest>> {
        let ctx = self.context(caller).await?;
        let mut query = RequestQuery {
            statuses,
            limit: page_size(limit),
            next_token,
            ..RequestQuery::default()
        };
        match scope {
            ListScope::Mine => query.requester = Some(ctx.user.id.clone()),
            ListScope::Approvable => {
                query.approver = Some(ctx.user.id.clone());
                if query.statuses.is_empty() {
                    query.statuses = vec![Status::Pending];
                }
            }
            ListScope::Decided => query.decided_by = Some(ctx.user.id.clone()),
            ListScope::All => {
                if !(ctx.admin || ctx.auditor) {
                    return Err(TeamError::Forbidden(
                        "only admins and auditors may list every request".into(),
                    ));
                }
            }
        }
        let mut page = self.ports.requests.query(&query).await?;
        if scope == ListScope::Approvable {
            page.items.retain(|r| !r.decided_by(&ctx.user.id));
        }
        page.items = page
            .items
            .into_iter()
            .map(AccessRequest::redacted)
            .collect();
        Ok(page)
    }

    /// `POST /api/requests/{id}/approve` and `/reject`: records an approver's decision;
    /// the last approval needed, or any rejection, decides the request.
    ///
    /// Only people who are approvers of the request's account and permission set *now*
    /// take part: someone removed from the approver policies (or their groups) since the
    /// request was made is refused, and an approval they gave earlier no longer counts
    /// towards the number needed. Someone who became an approver since may decide.
    pub async fn decide(
        &self,
        caller: &Caller,
        id: &str,
        outcome: Outcome,
        comment: Option<String>,
    ) -> TeamResult<AccessRequest> {
        let ctx = self.context(caller).await?;
        let id = parse_request_id(id)?;
        let comment = parse_comment(comment, ctx.settings.comment_required)?;
        let not_found = || TeamError::NotFound(format!("request {id} not found"));
        let before = self.ports.requests.get(&id).await?.ok_or_else(not_found)?;
        let approvers = self.current_approvers(&before).await?;
        let approver_now = approvers.includes(&ctx.user.id, &ctx.group_ids());
        if !ctx.can_see(&before) && !approver_now {
            return Err(not_found());
        }
        let me = ctx.user_ref();
        if before.requester.user_id == me.user_id {
            return Err(TeamError::Forbidden(
                "you cannot approve or reject your own request".into(),
            ));
        }
        if !approver_now {
            return Err(TeamError::Forbidden(format!(
                "you are not an approver of this request: no approver policy names you or one of your groups for {} on {} ({}) now",
                before.permission_set.name, before.account.name, before.account.id
            )));
        }
        let mut former = BTreeSet::new();
        for d in before
            .decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Approve)
        {
            let groups: Vec<_> = self
                .ports
                .directory
                .groups_of(&d.by.user_id)
                .await?
                .into_iter()
                .map(|g| g.id)
                .collect();
            if !approvers.includes(&d.by.user_id, &groups) {
                former.insert(d.by.user_id.clone());
            }
        }
        let counted = |r: &AccessRequest| {
            r.decisions
                .iter()
                .filter(|d| d.outcome == Outcome::Approve && !former.contains(&d.by.user_id))
                .count()
        };
        let updated = self
            .update(&id, |r, now| {
                if r.status != Status::Pending {
                    return Err(TeamError::InvalidTransition(format!(
                        "the request is '{}' and can no longer be decided",
                        r.status
                    )));
                }
                if r.decided_by(&me.user_id) {
                    return Err(TeamError::InvalidTransition(
                        "you already decided on this request".into(),
                    ));
                }
                r.decisions.push(Decision {
                    by: me.clone(),
                    outcome,
                    comment: comment.clone(),
                    at: now,
                });
                match outcome {
                    Outcome::Reject => {
                        r.apply(Action::Reject, Actor::Approver, now)?;
                    }
                    Outcome::Approve if counted(r) >= r.approvals_required as usize => {
                        r.apply(Action::Approve, Actor::Approver, now)?;
                    }
                    Outcome::Approve => r.updated_at = now,
                }
                Ok(())
            })
            .await?;
        let note = comment
            .as_ref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        let (kind, message) = match updated.status {
            Status::Approved => (
                EventKind::Approved,
                format!("approved by {}{note}", me.username),
            ),
            Status::Rejected => (
                EventKind::Rejected,
                format!("rejected by {}{note}", me.username),
            ),
            _ => (
                EventKind::ApprovalRecorded,
                format!(
                    "approval {} of {} recorded from {}{note}",
                    counted(&updated),
                    updated.approvals_required,
                    me.username
                ),
            ),
        };
        self.record(&updated, kind, Some(me), message).await;
        if updated.status != before.status {
            self.resume_after_decision(&updated).await;
            self.notify(&updated, kind, vec![updated.requester.clone()])
                .await;
        }
        Ok(updated.redacted())
    }

    /// Who may decide `request` under the approver policies as they are now.
    async fn current_approvers(&self, request: &AccessRequest) -> TeamResult<ApproverSet> {
        let tree = self.ports.organization.tree().await?;
        let policies = self.ports.policies.approver_policies().await?;
        Ok(approvers_for(
            &tree,
            &policies,
            &request.account.id,
            &request.permission_set.arn,
        ))
    }

    /// Hands a decision to the waiting workflow. If the workflow has not stored its
    /// token yet, its await step sees the decided status and resumes itself.
    async fn resume_after_decision(&self, request: &AccessRequest) {
        if let Some(token) = &request.task_token {
            let output = serde_json::json!({ "outcome": request.status.as_str() });
            if let Err(err) = self.ports.workflow.send_task_success(token, output).await {
                tracing::warn!(request_id = %request.id, error = %err, "could not resume the workflow");
            }
        }
    }

    /// `POST /api/requests/{id}/cancel`: the requester withdraws a request before access
    /// starts, or a TEAM admin cancels anyone's (with a comment: it is the kill switch).
    pub async fn cancel(
        &self,
        caller: &Caller,
        id: &str,
        comment: Option<String>,
    ) -> TeamResult<AccessRequest> {
        let ctx = self.context(caller).await?;
        let id = parse_request_id(id)?;
        let current = self.visible(&ctx, &id).await?;
        let actor = if current.requester.user_id == ctx.user.id {
            Actor::Requester
        } else if ctx.admin {
            Actor::Admin
        } else {
            return Err(TeamError::Forbidden(
                "only the requester or a TEAM admin may cancel a request".into(),
            ));
        };
        let comment = parse_comment(comment, actor == Actor::Admin)?;
        self.close(&ctx, &id, actor, comment, |_| Action::Cancel)
            .await
    }

    /// `POST /api/requests/{id}/revoke`: the requester ends their session early (or
    /// withdraws a request that has not started), an approver revokes it, or a TEAM admin
    /// revokes any request, whoever approved it. Access is then removed by the revoke workflow.
    pub async fn revoke(
        &self,
        caller: &Caller,
        id: &str,
        comment: Option<String>,
    ) -> TeamResult<AccessRequest> {
        let ctx = self.context(caller).await?;
        let id = parse_request_id(id)?;
        let current = self.visible(&ctx, &id).await?;
        let actor = if current.requester.user_id == ctx.user.id {
            Actor::Requester
        } else if current.is_approver(&ctx.user.id) {
            Actor::Approver
        } else if ctx.admin {
            Actor::Admin
        } else {
            return Err(TeamError::Forbidden(
                "only the requester, an approver or a TEAM admin may end this session".into(),
            ));
        };
        let comment = parse_comment(
            comment,
            actor == Actor::Admin || (actor == Actor::Approver && ctx.settings.comment_required),
        )?;
        self.close(&ctx, &id, actor, comment, closing_action(actor))
            .await
    }

    /// `POST /api/admin/users/{id}/revoke-all` (admins): the incident kill switch for one
    /// user. Ends every running session and cancels every pending, approved or scheduled
    /// request of the user, each recorded with the admin's comment. Works for a user
    /// already deleted from the directory. A request that cannot be closed (it changed
    /// meanwhile, or a store failed) is listed with the reason; the others still close.
    pub async fn revoke_all(
        &self,
        caller: &Caller,
        user_id: &str,
        comment: Option<String>,
    ) -> TeamResult<RevokeAll> {
        let ctx = self.context(caller).await?;
        ctx.require_admin()?;
        let user = UserId::parse(user_id.trim())
            .map_err(|_| TeamError::NotFound(format!("user {user_id} not found")))?;
        let comment = parse_comment(comment, true)?;
        let open: Vec<RequestId> = self
            .every_request(RequestQuery {
                requester: Some(user.clone()),
                statuses: crate::sweep::OPEN.to_vec(),
                ..RequestQuery::default()
            })
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut outcome = RevokeAll {
            user_id: user.clone(),
            revoked: Vec::new(),
            cancelled: Vec::new(),
            failed: Vec::new(),
        };
        for id in open {
            match self
                .close(
                    &ctx,
                    &id,
                    Actor::Admin,
                    comment.clone(),
                    closing_action(Actor::Admin),
                )
                .await
            {
                Ok(closed) if closed.status == Status::Cancelled => outcome.cancelled.push(id),
                Ok(_) => outcome.revoked.push(id),
                Err(err) => outcome.failed.push(RevokeAllFailure {
                    request_id: id,
                    error: err.to_string(),
                }),
            }
        }
        tracing::warn!(admin = %ctx.user.username, user_id = %user, revoked = outcome.revoked.len(),
            cancelled = outcome.cancelled.len(), failed = outcome.failed.len(), "revoke-all");
        Ok(outcome)
    }

    /// Closes a request on a person's word: applies the action `pick` chooses for its
    /// current status, records who and why, hands a pending decision back to the workflow,
    /// starts removing access if the session was running, and tells everyone concerned.
    async fn close(
        &self,
        ctx: &CallerContext,
        id: &RequestId,
        actor: Actor,
        comment: Option<Comment>,
        pick: fn(Status) -> Action,
    ) -> TeamResult<AccessRequest> {
        let me = ctx.user_ref();
        let mut was_active = false;
        let updated = self
            .update(id, |r, now| {
                was_active = r.status == Status::InProgress;
                r.apply(pick(r.status), actor, now)?;
                if was_active && now < r.end_time {
                    // The window as it really was: access ends now, not at the planned end.
                    r.end_time = now;
                }
                r.closed = Some(Closure {
                    by: Some(me.clone()),
                    comment: comment.clone(),
                    at: now,
                });
                Ok(())
            })
            .await?;
        let note = comment
            .as_ref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        let kind = match updated.status {
            Status::Ended => EventKind::Ended,
            Status::Cancelled => EventKind::Cancelled,
            _ => EventKind::Revoked,
        };
        let verb = match kind {
            EventKind::Ended => "ended early",
            EventKind::Cancelled => "cancelled",
            _ => "revoked",
        };
        let role = if actor == Actor::Admin {
            " (TEAM admin)"
        } else {
            ""
        };
        self.record(
            &updated,
            kind,
            Some(me.clone()),
            format!("{verb} by {}{role}{note}", me.username),
        )
        .await;
        self.resume_after_decision(&updated).await;
        if was_active {
            // Start removal before dropping the end timer: if the start fails the timer still ends access.
            let input = RevokeInput::new(id);
            self.ports
                .workflow
                .start(
                    WorkflowKind::Revoke,
                    &input.execution_name(RevokeCause::Closed),
                    input.to_value(),
                )
                .await?;
            if let Err(err) = self.ports.scheduler.cancel_end(id).await {
                tracing::warn!(request_id = %id, error = %err, "end timer not cancelled; it will find the session ended");
            }
        }
        self.notify_requester_and_approvers(&updated, kind).await;
        Ok(updated.redacted())
    }

    /// `GET /api/audit/requests/{id}/activity` (auditors): what the user did during the session.
    pub async fn activity(&self, caller: &Caller, id: &str) -> TeamResult<Vec<ActivityEvent>> {
        let ctx = self.context(caller).await?;
        ctx.require_auditor()?;
        let id = parse_request_id(id)?;
        let request = self.visible(&ctx, &id).await?;
        self.ports.activity.activity(&request).await
    }

    /// `GET /api/audit/requests` (auditors).
    pub async fn audit(
        &self,
        caller: &Caller,
        filter: AuditFilter,
        limit: Option<usize>,
        next_token: Option<String>,
    ) -> TeamResult<Page<AccessRequest>> {
        let ctx = self.context(caller).await?;
        ctx.require_auditor()?;
        let requester = match filter.requester.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => match self.ports.directory.user_by_username(name).await? {
                Some(u) => Some(u.id),
                None => Some(UserId::parse(name)?),
            },
        };
        let query = RequestQuery {
            requester,
            statuses: filter.statuses,
            account: filter.account,
            active_after: filter.from,
            active_before: filter.to,
            limit: page_size(limit),
            next_token,
            ..RequestQuery::default()
        };
        let mut page = self.ports.requests.query(&query).await?;
        page.items = page
            .items
            .into_iter()
            .map(AccessRequest::redacted)
            .collect();
        Ok(page)
    }

    /// `GET /api/admin/settings`.
    pub async fn settings(&self, caller: &Caller) -> TeamResult<Settings> {
        let ctx = self.context(caller).await?;
        ctx.require_admin()?;
        Ok(ctx.settings)
    }

    /// `PUT /api/admin/settings`.
    pub async fn put_settings(&self, caller: &Caller, settings: Settings) -> TeamResult<Settings> {
        let ctx = self.context(caller).await?;
        ctx.require_admin()?;
        settings.validate()?;
        self.ports.policies.put_settings(&settings).await?;
        tracing::info!(admin = %ctx.user.username, "settings changed");
        Ok(settings)
    }

    /// `GET /api/admin/eligibility-policies`.
    pub async fn eligibility_policies(
        &self,
        caller: &Caller,
    ) -> TeamResult<Vec<EligibilityPolicy>> {
        self.context(caller).await?.require_admin()?;
        self.ports.policies.eligibility_policies().await
    }

    /// `GET /api/admin/eligibility-policies/{id}`.
    pub async fn eligibility_policy(
        &self,
        caller: &Caller,
        id: &str,
    ) -> TeamResult<EligibilityPolicy> {
        self.admin_policy(caller, id).await
    }

    /// `POST` (id `None`) or `PUT` an eligibility policy.
    pub async fn put_eligibility_policy(
        &self,
        caller: &Caller,
        id: Option<&str>,
        spec: EligibilityPolicyInput,
    ) -> TeamResult<EligibilityPolicy> {
        self.put_admin_policy(caller, id, spec).await
    }

    /// `DELETE /api/admin/eligibility-policies/{id}`.
    pub async fn delete_eligibility_policy(&self, caller: &Caller, id: &str) -> TeamResult<()> {
        self.delete_admin_policy::<EligibilityPolicy>(caller, id)
            .await
    }

    /// `GET /api/admin/approver-policies`.
    pub async fn approver_policies(&self, caller: &Caller) -> TeamResult<Vec<ApproverPolicy>> {
        self.context(caller).await?.require_admin()?;
        self.ports.policies.approver_policies().await
    }

    /// `GET /api/admin/approver-policies/{id}`.
    pub async fn approver_policy(&self, caller: &Caller, id: &str) -> TeamResult<ApproverPolicy> {
        self.admin_policy(caller, id).await
    }

    /// `POST` (id `None`) or `PUT` an approver policy.
    pub async fn put_approver_policy(
        &self,
        caller: &Caller,
        id: Option<&str>,
        spec: ApproverPolicyInput,
    ) -> TeamResult<ApproverPolicy> {
        self.put_admin_policy(caller, id, spec).await
    }

    /// `DELETE /api/admin/approver-policies/{id}`.
    pub async fn delete_approver_policy(&self, caller: &Caller, id: &str) -> TeamResult<()> {
        self.delete_admin_policy::<ApproverPolicy>(caller, id).await
    }

    async fn admin_policy<P: AdminPolicy>(&self, caller: &Caller, id: &str) -> TeamResult<P> {
        self.context(caller).await?.require_admin()?;
        let id = parse_policy_id(id)?;
        P::load(&*self.ports.policies, &id)
            .await?
            .ok_or_else(|| policy_not_found::<P>(&id))
    }

    async fn put_admin_policy<P: AdminPolicy>(
        &self,
        caller: &Caller,
        id: Option<&str>,
        spec: P::Spec,
    ) -> TeamResult<P> {
        let ctx = self.context(caller).await?;
        ctx.require_admin()?;
        let tree = self.ports.organization.tree().await?;
        let catalogue = self.ports.organization.permission_sets().await?;
        P::validate(&spec, &tree, &catalogue)?;
        let id = match id {
            Some(id) => {
                let id = parse_policy_id(id)?;
                // PUT replaces; creating under an id the caller chose is not allowed.
                if P::load(&*self.ports.policies, &id).await?.is_none() {
                    return Err(policy_not_found::<P>(&id));
                }
                id
            }
            None => PolicyId::parse(self.ports.ids.new_id())?,
        };
        let policy = P::assemble(id, spec, self.now());
        P::save(&*self.ports.policies, &policy).await?;
        tracing::info!(admin = %ctx.user.username, policy_id = %policy.id(), "{} saved", P::KIND);
        Ok(policy)
    }

    async fn delete_admin_policy<P: AdminPolicy>(
        &self,
        caller: &Caller,
        id: &str,
    ) -> TeamResult<()> {
        self.context(caller).await?.require_admin()?;
        let id = parse_policy_id(id)?;
        if P::remove(&*self.ports.policies, &id).await? {
            Ok(())
        } else {
            Err(policy_not_found::<P>(&id))
        }
    }

    /// `GET /api/directory/accounts` (admins).
    pub async fn directory_accounts(&self, caller: &Caller) -> TeamResult<Vec<Account>> {
        self.context(caller).await?.require_admin()?;
        Ok(self
            .ports
            .organization
            .tree()
            .await?
            .accounts()
            .cloned()
            .collect())
    }

    /// `GET /api/directory/ous` (admins).
    pub async fn directory_ous(&self, caller: &Caller) -> TeamResult<Vec<OrgUnit>> {
        self.context(caller).await?.require_admin()?;
        Ok(self
            .ports
            .organization
            .tree()
            .await?
            .ous()
            .cloned()
            .collect())
    }

    /// `GET /api/directory/permission-sets` (admins).
    pub async fn directory_permission_sets(
        &self,
        caller: &Caller,
    ) -> TeamResult<Vec<PermissionSet>> {
        self.context(caller).await?.require_admin()?;
        self.ports.organization.permission_sets().await
    }

    /// `GET /api/directory/users` (admins).
    pub async fn directory_users(&self, caller: &Caller) -> TeamResult<Vec<User>> {
        self.context(caller).await?.require_admin()?;
        self.ports.directory.users().await
    }

    /// `GET /api/directory/groups` (admins).
    pub async fn directory_groups(&self, caller: &Caller) -> TeamResult<Vec<Group>> {
        self.context(caller).await?.require_admin()?;
        self.ports.directory.groups().await
    }

    /// Read-modify-write of a request with optimistic concurrency: `change` runs on the
    /// freshest copy and is re-run if another writer got there first.
    pub(crate) async fn update<F>(&self, id: &RequestId, mut change: F) -> TeamResult<AccessRequest>
    where
        F: FnMut(&mut AccessRequest, OffsetDateTime) -> TeamResult<()> + Send,
    {
        // Each try's future borrows `change` in turn; the mutex makes that borrow shareable.
        let change = std::sync::Mutex::new(&mut change);
        let change = &change;
        retry_on_conflict(
            || async move {
                let mut request = self
                    .ports
                    .requests
                    .get(id)
                    .await?
                    .ok_or_else(|| TeamError::NotFound(format!("request {id} not found")))?;
                let expected = request.version;
                {
                    let mut change = change.lock().unwrap_or_else(|p| p.into_inner());
                    (*change)(&mut request, self.now())?;
                }
                request.version = expected + 1;
                self.ports.requests.put(&request, Some(expected)).await?;
                Ok(request)
            },
            || TeamError::Conflict(format!("request {id}")),
        )
        .await
    }

    /// Appends to the audit trail; a failure is logged, not fatal (the status change already happened).
    pub(crate) async fn record(
        &self,
        request: &AccessRequest,
        kind: EventKind,
        actor: Option<UserRef>,
        message: String,
    ) {
        let event = RequestEvent {
            request_id: request.id.clone(),
            at: self.now(),
            kind,
            actor,
            status: request.status,
            message,
        };
        if let Err(err) = self.ports.requests.append_event(&event).await {
            tracing::error!(request_id = %request.id, error = %err, "audit event not recorded");
        }
    }

    /// Why a request for `ps` on `account` is refused when eligibility does not list it:
    /// an account TEAM can never grant (which eligibility never lists) is named with its
    /// reason, so the requester learns why rather than only that they are not eligible.
    /// Only this refusal path reads the tree again.
    async fn not_eligible(&self, account: &AccountId, ps: &PermissionSetArn) -> TeamError {
        let tree = match self.ports.organization.tree().await {
            Ok(tree) => tree,
            Err(err) => return err,
        };
        match tree
            .account(account)
            .and_then(|a| a.unassignable.as_deref())
        {
            Some(reason) => TeamError::validation(
                "accountId",
                format!("TEAM cannot grant access to account {account}: {reason}"),
            ),
            None => TeamError::Forbidden(format!(
                "you are not eligible for permission set {ps} on account {account}; see GET /api/eligibility"
            )),
        }
    }

    /// The members of the admin and auditor groups, who hear of every removal that
    /// failed. A directory failure is logged and answers nobody (a notification never
    /// fails its caller).
    pub(crate) async fn admins_and_auditors(&self) -> Vec<UserRef> {
        let found: TeamResult<Vec<UserRef>> = async {
            let settings = self.ports.policies.settings().await?;
            let wanted = [&settings.admin_group, &settings.auditor_group];
            let mut people: BTreeMap<UserId, UserRef> = BTreeMap::new();
            for group in self.ports.directory.groups().await? {
                if !wanted.contains(&&group.name) {
                    continue;
                }
                for user in self.ports.directory.members_of(&group.id).await? {
                    people.insert(user.id.clone(), user_ref(&user));
                }
            }
            Ok(people.into_values().collect())
        }
        .await;
        found.unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot find the admins and auditors to notify");
            Vec::new()
        })
    }

    /// Notifies everyone a request concerns: its requester and its approvers.
    pub(crate) async fn notify_requester_and_approvers(
        &self,
        request: &AccessRequest,
        event: EventKind,
    ) {
        let mut recipients = vec![request.requester.clone()];
        recipients.extend(request.approvers.iter().cloned());
        self.notify(request, event, recipients).await;
    }

    /// Sends a notification on the channels enabled in settings; never fails the caller.
    pub(crate) async fn notify(
        &self,
        request: &AccessRequest,
        event: EventKind,
        recipients: Vec<UserRef>,
    ) {
        let settings = match self.ports.policies.settings().await {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(request_id = %request.id, error = %err, "settings unavailable; notification skipped");
                return;
            }
        };
        let mut channels = Vec::new();
        if settings.notifications.email {
            channels.push(Channel::Email);
        }
        if settings.notifications.sns {
            channels.push(Channel::Sns);
        }
        if settings.notifications.slack {
            channels.push(Channel::Slack);
        }
        if channels.is_empty() || recipients.is_empty() {
            return;
        }
        let subject = format!(
            "TEAM: {} for {} on {} is {}",
            request.requester.username,
            request.permission_set.name,
            request.account.name,
            request.status
        );
        let names: Vec<_> = recipients.iter().map(|r| r.username.clone()).collect();
        let notification = Notification {
            request: request.clone().redacted(),
            event,
            recipients,
            channels,
            subject,
        };
        match self.ports.notifier.notify(&notification).await {
            Ok(()) => {
                self.record(
                    request,
                    EventKind::Notified,
                    None,
                    format!("notified {}", names.join(", ")),
                )
                .await
            }
            Err(err) => {
                tracing::warn!(request_id = %request.id, error = %err, "notification failed")
            }
        }
    }
}

/// What differs between eligibility and approver policies in the admin use
/// cases, so both go through one get/put/delete flow and cannot drift apart.
trait AdminPolicy: Sized + Send + Sync {
    /// What an admin sends.
    type Spec: Send;
    /// How messages and logs name this kind of policy.
    const KIND: &'static str;

    /// The stored policy for an admin's spec.
    fn assemble(id: PolicyId, spec: Self::Spec, updated_at: OffsetDateTime) -> Self;
    /// Its id.
    fn id(&self) -> &PolicyId;
    /// Checks the spec against the organization and the permission set catalogue.
    fn validate(spec: &Self::Spec, tree: &OrgTree, catalogue: &[PermissionSet]) -> TeamResult<()>;
    /// The [`PolicyStore`] calls for this kind: get, put, delete.
    fn load<'a>(
        store: &'a dyn PolicyStore,
        id: &'a PolicyId,
    ) -> impl Future<Output = TeamResult<Option<Self>>> + Send + 'a;
    fn save<'a>(
        store: &'a dyn PolicyStore,
        policy: &'a Self,
    ) -> impl Future<Output = TeamResult<()>> + Send + 'a;
    fn remove<'a>(
        store: &'a dyn PolicyStore,
        id: &'a PolicyId,
    ) -> impl Future<Output = TeamResult<bool>> + Send + 'a;
}

// Both kinds have the same fields and a `validate` of the same signature; only
// the names of their store calls differ.
macro_rules! admin_policy {
    ($policy:ident, $spec:ident, $kind:literal, get = $get:ident, put = $put:ident, delete = $delete:ident) => {
        impl AdminPolicy for $policy {
            type Spec = $spec;
            const KIND: &'static str = $kind;

            fn assemble(id: PolicyId, spec: $spec, updated_at: OffsetDateTime) -> Self {
                $policy {
                    id,
                    spec,
                    updated_at,
                }
            }
            fn id(&self) -> &PolicyId {
                &self.id
            }
            fn validate(
                spec: &$spec,
                tree: &OrgTree,
                catalogue: &[PermissionSet],
            ) -> TeamResult<()> {
                spec.validate(tree, catalogue)
            }
            fn load<'a>(
                store: &'a dyn PolicyStore,
                id: &'a PolicyId,
            ) -> impl Future<Output = TeamResult<Option<Self>>> + Send + 'a {
                store.$get(id)
            }
            fn save<'a>(
                store: &'a dyn PolicyStore,
                policy: &'a Self,
            ) -> impl Future<Output = TeamResult<()>> + Send + 'a {
                store.$put(policy)
            }
            fn remove<'a>(
                store: &'a dyn PolicyStore,
                id: &'a PolicyId,
            ) -> impl Future<Output = TeamResult<bool>> + Send + 'a {
                store.$delete(id)
            }
        }
    };
}

admin_policy!(
    EligibilityPolicy,
    EligibilityPolicyInput,
    "eligibility policy",
    get = eligibility_policy,
    put = put_eligibility_policy,
    delete = delete_eligibility_policy
);
admin_policy!(
    ApproverPolicy,
    ApproverPolicyInput,
    "approver policy",
    get = approver_policy,
    put = put_approver_policy,
    delete = delete_approver_policy
);

fn policy_not_found<P: AdminPolicy>(id: &PolicyId) -> TeamError {
    TeamError::NotFound(format!("{} {id} not found", P::KIND))
}

/// The action that closes a request of this status on `actor`'s word: a requester ends
/// a running session and cancels anything else; an approver revokes; an admin cancels
/// a request still waiting for approvers and revokes anything approved.
fn closing_action(actor: Actor) -> fn(Status) -> Action {
    match actor {
        Actor::Requester => |status| match status {
            Status::InProgress => Action::End,
            _ => Action::Cancel,
        },
        Actor::Admin => |status| match status {
            Status::Pending => Action::Cancel,
            _ => Action::Revoke,
        },
        Actor::Approver | Actor::System => |_| Action::Revoke,
    }
}

fn page_size(limit: Option<usize>) -> usize {
    limit.unwrap_or(50).clamp(1, MAX_PAGE)
}

fn parse_request_id(id: &str) -> TeamResult<RequestId> {
    RequestId::parse(id).map_err(|_| TeamError::NotFound(format!("request {id} not found")))
}

fn parse_policy_id(id: &str) -> TeamResult<PolicyId> {
    PolicyId::parse(id).map_err(|_| TeamError::NotFound(format!("policy {id} not found")))
}

fn parse_comment(comment: Option<String>, required: bool) -> TeamResult<Option<Comment>> {
    match comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        Some(c) => Ok(Some(Comment::parse(c)?)),
        None if required => Err(TeamError::validation(
            "comment",
            "is required by the TEAM settings",
        )),
        None => Ok(None),
    }
}
