//! The reconciler: the safety net under the workflow. It compares what TEAM-rs
//! believes with Identity Center and repairs the difference, so that any bug, lost
//! timer, dead-lettered schedule or crashed step is caught within one sweep:
//!
//! - *overdue*: a session still `in progress` past its end, a request still `approved`
//!   or `scheduled` past its start, or still `pending` past its approval expiry (each
//!   plus a grace that leaves the workflow's own retries time first) is driven on by
//!   running the step the workflow should have run; every step is idempotent, so a
//!   workflow that is merely slow is not disturbed;
//! - *owed removals*: a removal that failed, or whose attempt was cut short, is retried;
//! - *leaked*: an assignment of a permission set that the policies name, on an account
//!   they cover, which TEAM-rs made (it has a lease) but no live request holds, is
//!   removed (or only reported);
//! - *drift*: such an assignment TEAM-rs never made (no lease, or a group) is reported,
//!   never touched: like Entra PIM's "assigned outside PIM".
//!
//! `teamd` runs it periodically; in AWS a scheduled function does.

use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::access::Release;
use crate::error::TeamResult;
use crate::ids::{AccountId, PermissionSetArn, RequestId};
use crate::policy::{Principal, managed_pairs};
use crate::ports::{Lease, RequestQuery};
use crate::request::{AccessRequest, Assignment, EventKind, Status};
use crate::service::{Caller, MAX_PAGE, Team};
use crate::steps::StepInput;

/// The statuses of a request that can still grant or hold access.
pub(crate) const OPEN: [Status; 4] = [
    Status::Pending,
    Status::Approved,
    Status::Scheduled,
    Status::InProgress,
];

/// What the reconciler does with an assignment TEAM-rs made that no live request holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LeakMode {
    /// List it as a finding and leave it.
    Report,
    /// Delete it (the default: access without a live request is what TEAM-rs exists to prevent).
    Remove,
}

impl LeakMode {
    /// Parses `report` or `remove` (a command-line flag or an environment variable).
    pub fn parse(text: &str) -> TeamResult<LeakMode> {
        match text.trim() {
            "report" => Ok(LeakMode::Report),
            "remove" => Ok(LeakMode::Remove),
            other => Err(crate::TeamError::validation(
                "leaks",
                format!("'{other}' is neither 'report' nor 'remove'"),
            )),
        }
    }
}

/// How a sweep behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepConfig {
    /// How long past its end (or start, or approval expiry) a request may be before it
    /// counts as overdue: the workflow and its retries get this long first.
    pub grace: Duration,
    /// A deletion attempt older than this that recorded no outcome was cut short.
    pub stale_removal: Duration,
    /// What to do with leaked assignments.
    pub leaks: LeakMode,
    /// At most this many Identity Center list calls per second: the sweep shares
    /// Identity Center's rate limits with the grant path and must leave it room.
    pub list_calls_per_second: u32,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            grace: Duration::minutes(5),
            stale_removal: Duration::minutes(10),
            leaks: LeakMode::Remove,
            list_calls_per_second: 5,
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FindingKind {
    /// A session still running past its end.
    Overdue,
    /// An approved or scheduled request past its start with nothing running.
    NotStarted,
    /// A request still waiting for approvers past its approval expiry.
    Unanswered,
    /// A removal that failed or was cut short, still owed.
    OwedRemoval,
    /// An assignment TEAM-rs made that no live request holds.
    Leaked,
    /// An assignment of a managed permission set made outside TEAM-rs.
    Drift,
}

/// What the sweep did about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FindingAction {
    /// Ran the step the workflow should have run.
    Redriven,
    /// Deleted the assignment (Identity Center confirmed it).
    Removed,
    /// Only listed it.
    Reported,
    /// Tried and failed; the next sweep tries again.
    Failed,
}

/// One thing a sweep found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// What the sweep did.
    pub action: FindingAction,
    /// The request concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// The account concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    /// The permission set concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set_arn: Option<PermissionSetArn>,
    /// The user or group holding the assignment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// A sentence for people: what was found, what was done, or why it failed.
    pub detail: String,
}

/// How much a sweep looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepCounts {
    /// Open requests checked for being overdue.
    pub requests: usize,
    /// Owed removals found.
    pub owed_removals: usize,
    /// Account and permission set pairs whose assignments were listed.
    pub pairs: usize,
    /// Assignments listed.
    pub assignments: usize,
}

/// One run of the reconciler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepRun {
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub finished_at: OffsetDateTime,
    /// What it did with leaks.
    pub leaks: LeakMode,
    /// How much it looked at.
    pub counts: SweepCounts,
    /// What it found and did.
    pub findings: Vec<Finding>,
    /// Parts of the sweep that could not run (a store or Identity Center failed); the
    /// rest of the sweep went on.
    pub errors: Vec<String>,
}

impl SweepRun {
    /// Findings of `kind`.
    pub fn of(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

impl Finding {
    fn about_request(kind: FindingKind, request: &AccessRequest) -> Finding {
        Finding {
            kind,
            action: FindingAction::Reported,
            request_id: Some(request.id.clone()),
            account_id: Some(request.account.id.clone()),
            permission_set_arn: Some(request.permission_set.arn.clone()),
            principal: Some(Principal::User(request.requester.user_id.clone())),
            detail: String::new(),
        }
    }

    fn about_assignment(kind: FindingKind, assignment: &Assignment) -> Finding {
        Finding {
            kind,
            action: FindingAction::Reported,
            request_id: None,
            account_id: Some(assignment.account_id.clone()),
            permission_set_arn: Some(assignment.permission_set_arn.clone()),
            principal: Some(Principal::User(assignment.user_id.clone())),
            detail: String::new(),
        }
    }

    fn outcome(mut self, result: TeamResult<FindingAction>, done: &str) -> Finding {
        match result {
            Ok(action) => {
                self.action = action;
                self.detail = done.to_string();
            }
            Err(err) => {
                self.action = FindingAction::Failed;
                self.detail = format!("{done} failed: {err}; the next sweep tries again");
            }
        }
        self
    }
}

impl Team {
    /// Runs one sweep, records it in the sweep log and answers it. Never fails as a
    /// whole: a part that cannot run is listed in `errors` and the rest goes on.
    pub async fn sweep(&self, config: SweepConfig) -> SweepRun {
        let mut run = SweepRun {
            started_at: self.now(),
            finished_at: self.now(),
            leaks: config.leaks,
            counts: SweepCounts::default(),
            findings: Vec::new(),
            errors: Vec::new(),
        };
        if let Err(err) = self.sweep_overdue(&config, &mut run).await {
            run.errors.push(format!("overdue requests: {err}"));
        }
        if let Err(err) = self.sweep_owed(&config, &mut run).await {
            run.errors.push(format!("owed removals: {err}"));
        }
        if let Err(err) = self.sweep_assignments(&config, &mut run).await {
            run.errors.push(format!("assignments: {err}"));
        }
        run.finished_at = self.now();
        let acted = run
            .findings
            .iter()
            .filter(|f| f.action != FindingAction::Reported)
            .count();
        tracing::info!(
            findings = run.findings.len(),
            acted,
            errors = run.errors.len(),
            pairs = run.counts.pairs,
            "sweep done"
        );
        if let Err(err) = self.ports.sweeps.record(&run).await {
            tracing::error!(error = %err, "sweep not recorded");
        }
        run
    }

    /// `GET /api/admin/sweeps` (admins and auditors): the latest runs, newest first.
    pub async fn sweeps(&self, caller: &Caller, limit: Option<usize>) -> TeamResult<Vec<SweepRun>> {
        let ctx = self.context(caller).await?;
        if !(ctx.admin || ctx.auditor) {
            return Err(crate::TeamError::Forbidden(
                "only TEAM admins and auditors may see the reconciler's runs".into(),
            ));
        }
        self.ports
            .sweeps
            .recent(limit.unwrap_or(20).clamp(1, 100))
            .await
    }

    /// Every request `query` matches, page after page (its `limit` is the page size).
    pub(crate) async fn every_request(
        &self,
        mut query: RequestQuery,
    ) -> TeamResult<Vec<AccessRequest>> {
        query.limit = MAX_PAGE;
        let mut all = Vec::new();
        loop {
            let page = self.ports.requests.query(&query).await?;
            all.extend(page.items);
            match page.next_token {
                Some(token) => query.next_token = Some(token),
                None => return Ok(all),
            }
        }
    }

    async fn sweep_overdue(&self, config: &SweepConfig, run: &mut SweepRun) -> TeamResult<()> {
        let open = self
            .every_request(RequestQuery {
                statuses: OPEN.to_vec(),
                ..RequestQuery::default()
            })
            .await?;
        run.counts.requests = open.len();
        let settings = self.ports.policies.settings().await?;
        let expiry = Duration::hours(i64::from(settings.approval_expiry_hours));
        for request in open {
            let now = self.now();
            // Untouched for the grace too: a request that just changed is in the workflow's hands.
            let quiet = request.updated_at + config.grace < now;
            let id = request.id.clone();
            let finding = match request.status {
                Status::InProgress if quiet && request.end_time + config.grace < now => {
                    let result = self.redrive(StepInput::Revoke { request_id: id }).await;
                    Finding::about_request(FindingKind::Overdue, &request)
                        .outcome(result, "ran the end step: access removed, session ended")
                }
                Status::Approved | Status::Scheduled
                    if quiet && request.start_time + config.grace < now =>
                {
                    let result = self.redrive_grant(&id).await;
                    Finding::about_request(FindingKind::NotStarted, &request)
                        .outcome(result, "ran the grant step (and the end step's scheduling)")
                }
                Status::Pending if quiet && request.created_at + expiry + config.grace < now => {
                    let result = self.redrive(StepInput::Expire { request_id: id }).await;
                    Finding::about_request(FindingKind::Unanswered, &request)
                        .outcome(result, "ran the expire step")
                }
                _ => continue,
            };
            tracing::warn!(request_id = %request.id, kind = ?finding.kind, action = ?finding.action,
                detail = %finding.detail, "sweep re-drove a request");
            // The event carries the status after the re-drive, not the one read before it,
            // so the trail stays a path through the transition table.
            let after = match self.ports.requests.get(&request.id).await {
                Ok(Some(fresh)) => fresh,
                _ => request.clone(),
            };
            self.record(
                &after,
                EventKind::Swept,
                None,
                format!(
                    "the reconciler found it {}: {}",
                    kind_words(finding.kind),
                    finding.detail
                ),
            )
            .await;
            run.findings.push(finding);
        }
        Ok(())
    }

    async fn redrive(&self, step: StepInput) -> TeamResult<FindingAction> {
        self.step(step).await.map(|_| FindingAction::Redriven)
    }

    async fn redrive_grant(&self, id: &RequestId) -> TeamResult<FindingAction> {
        let out = self
            .step(StepInput::Grant {
                request_id: id.clone(),
            })
            .await?;
        if out["granted"] == true {
            self.step(StepInput::ScheduleEnd {
                request_id: id.clone(),
            })
            .await?;
        }
        Ok(FindingAction::Redriven)
    }

    async fn sweep_owed(&self, config: &SweepConfig, run: &mut SweepRun) -> TeamResult<()> {
        let owed = self.ports.requests.owed_leases().await?;
        run.counts.owed_removals = owed.len();
        for lease in owed {
            let now = self.now();
            let abandoned = lease.removal_error.is_some()
                || lease
                    .removal_started_at
                    .is_none_or(|at| at + config.stale_removal < now);
            if !abandoned {
                continue; // an attempt is under way
            }
            let mut finding =
                Finding::about_assignment(FindingKind::OwedRemoval, &lease.assignment);
            finding.request_id = lease.owed_by.clone();
            let result = match self.retry_owed_removal(&lease).await {
                Ok(Some(Release::Removed)) => Ok(FindingAction::Removed),
                Ok(_) => continue, // paid or taken over meanwhile
                Err(err) => Err(err),
            };
            let finding = finding.outcome(result, "retried the owed removal");
            self.record_on_owner(&lease, &finding).await;
            run.findings.push(finding);
        }
        Ok(())
    }

    async fn record_on_owner(&self, lease: &Lease, finding: &Finding) {
        let Some(owner) = &lease.owed_by else { return };
        let Ok(Some(request)) = self.ports.requests.get(owner).await else {
            return;
        };
        let (kind, message) = match finding.action {
            FindingAction::Removed => (
                EventKind::AccessRemoved,
                "the reconciler removed the account assignment this request still owed".to_string(),
            ),
            _ => (
                EventKind::RemovalFailed,
                format!(
                    "the reconciler could not remove the access: {}",
                    finding.detail
                ),
            ),
        };
        self.record(&request, kind, None, message).await;
    }

    async fn sweep_assignments(&self, config: &SweepConfig, run: &mut SweepRun) -> TeamResult<()> {
        let tree = self.ports.organization.tree().await?;
        let policies = self.ports.policies.eligibility_policies().await?;
        let pairs = managed_pairs(&tree, &policies);
        run.counts.pairs = pairs.len();
        let pause = StdDuration::from_secs(1) / config.list_calls_per_second.max(1);
        for (i, (account, ps)) in pairs.into_iter().enumerate() {
            if i > 0 {
                self.ports.clock.sleep(pause).await;
            }
            let principals = match self
                .ports
                .provisioner
                .assigned_principals(&account, &ps)
                .await
            {
                Ok(p) => p,
                Err(err) => {
                    run.errors.push(format!("listing {ps} on {account}: {err}"));
                    continue;
                }
            };
            run.counts.assignments += principals.len();
            for principal in principals {
                let user = match principal {
                    Principal::User(user) => user,
                    Principal::Group(_) => {
                        run.findings.push(Finding {
                            kind: FindingKind::Drift,
                            action: FindingAction::Reported,
                            request_id: None,
                            account_id: Some(account.clone()),
                            permission_set_arn: Some(ps.clone()),
                            principal: Some(principal),
                            detail: "a group holds this managed permission set outside TEAM-rs"
                                .into(),
                        });
                        continue;
                    }
                };
                let assignment = Assignment {
                    user_id: user,
                    account_id: account.clone(),
                    permission_set_arn: ps.clone(),
                };
                if let Some(finding) = self.check_assignment(config, &assignment).await? {
                    run.findings.push(finding);
                }
            }
        }
        Ok(())
    }

    /// Whether an existing assignment is held by a live request; a leak is removed (or
    /// reported), an assignment TEAM-rs never made is reported.
    async fn check_assignment(
        &self,
        config: &SweepConfig,
        assignment: &Assignment,
    ) -> TeamResult<Option<Finding>> {
        let Some(lease) = self.ports.requests.lease(assignment).await? else {
            let mut finding = Finding::about_assignment(FindingKind::Drift, assignment);
            finding.detail = "assigned outside TEAM-rs: no request ever held it".into();
            return Ok(Some(finding));
        };
        if lease.removing {
            return Ok(None); // owed: the owed-removal pass handles it
        }
        let now = self.now();
        for holder in &lease.holders {
            let Some(request) = self.ports.requests.get(holder).await? else {
                continue;
            };
            let live = matches!(
                request.status,
                Status::Approved | Status::Scheduled | Status::InProgress
            );
            // A session closed a moment ago is still being removed by its workflow.
            let closing = request.updated_at + config.grace > now;
            if live || closing {
                return Ok(None);
            }
        }
        let mut finding = Finding::about_assignment(FindingKind::Leaked, assignment);
        if config.leaks == LeakMode::Report {
            finding.detail = "no live request holds it; reported only (leak mode 'report')".into();
            return Ok(Some(finding));
        }
        let result = match self.remove_leak(&lease).await {
            Ok(Some(Release::Removed)) => Ok(FindingAction::Removed),
            Ok(_) => return Ok(None), // a grant took it meanwhile
            Err(err) => Err(err),
        };
        Ok(Some(
            finding.outcome(result, "no live request held it; removed it"),
        ))
    }

    /// Makes a leaked assignment's removal owed (holders that are no longer live are
    /// dropped) and pays it. `Ok(None)` if a grant changed the lease meanwhile.
    async fn remove_leak(&self, lease: &Lease) -> TeamResult<Option<Release>> {
        let mut owed = lease.clone();
        owed.holders.clear();
        owed.removing = true;
        owed.owed_by = None;
        owed.removal_error = Some("leaked: no live request held it".into());
        owed.version += 1;
        match self
            .ports
            .requests
            .put_lease(&owed, Some(lease.version))
            .await
        {
            Ok(()) => {}
            Err(crate::TeamError::Conflict(_)) => return Ok(None),
            Err(err) => return Err(err),
        }
        self.retry_owed_removal(&owed).await
    }
}

fn kind_words(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Overdue => "still running past its end",
        FindingKind::NotStarted => "not started past its start time",
        FindingKind::Unanswered => "still pending past its approval expiry",
        FindingKind::OwedRemoval => "owing a removal",
        FindingKind::Leaked => "holding a leaked assignment",
        FindingKind::Drift => "assigned outside TEAM-rs",
    }
}
