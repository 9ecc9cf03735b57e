//! Step handlers: the work the state machines' Task states invoke.
//!
//! Each step is idempotent, because Step Functions (and the local executor)
//! deliver at least once. Failures carry [`TeamError::code`] as their Step
//! Functions error name; the state machines retry `TeamTransientError`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::access::Release;
use crate::error::{TeamError, TeamResult};
use crate::executions::{RevokeCause, RevokeInput};
use crate::ids::RequestId;
use crate::ports::WorkflowKind;
use crate::request::{AccessRequest, Action, Actor, EventKind, Status};
use crate::service::Team;

/// The payload a Task state sends to a step handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum StepInput {
    /// Store the task token and tell approvers; resume at once if already decided.
    #[serde(rename_all = "camelCase")]
    AwaitDecision {
        /// The request.
        request_id: RequestId,
        /// `$$.Task.Token`.
        task_token: String,
    },
    /// Approval window closed without a decision.
    #[serde(rename_all = "camelCase")]
    Expire {
        /// The request.
        request_id: RequestId,
    },
    /// Mark a future request `scheduled`; say whether to go on and when.
    #[serde(rename_all = "camelCase")]
    Schedule {
        /// The request.
        request_id: RequestId,
    },
    /// Create the account assignment.
    #[serde(rename_all = "camelCase")]
    Grant {
        /// The request.
        request_id: RequestId,
    },
    /// Hand the end time to the scheduler.
    #[serde(rename_all = "camelCase")]
    ScheduleEnd {
        /// The request.
        request_id: RequestId,
    },
    /// End the session (if still running) and remove the assignment unless another request holds it.
    #[serde(rename_all = "camelCase")]
    Revoke {
        /// The request.
        request_id: RequestId,
    },
    /// A step failed for good: put the request in `error` and make sure no access is left behind.
    #[serde(rename_all = "camelCase")]
    RecordError {
        /// The request.
        request_id: RequestId,
        /// Step Functions' `{"Error", "Cause"}`.
        #[serde(default)]
        error: Option<Value>,
    },
}

/// The Lambda function that runs a step in AWS (the ASL names it in `FunctionName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepFunction {
    /// `team-approval`: waiting for and expiring decisions.
    Approval,
    /// `team-grant`: scheduling and granting.
    Grant,
    /// `team-revoke`: removing access and recording failures.
    Revoke,
}

impl StepFunction {
    /// The Lambda package (and function) name.
    pub fn package(self) -> &'static str {
        match self {
            StepFunction::Approval => "team-approval",
            StepFunction::Grant => "team-grant",
            StepFunction::Revoke => "team-revoke",
        }
    }
}

impl StepInput {
    /// Which function serves this step; a state machine that sends it elsewhere is wrong.
    pub fn handled_by(&self) -> StepFunction {
        match self {
            StepInput::AwaitDecision { .. } | StepInput::Expire { .. } => StepFunction::Approval,
            StepInput::Schedule { .. }
            | StepInput::Grant { .. }
            | StepInput::ScheduleEnd { .. } => StepFunction::Grant,
            StepInput::Revoke { .. } | StepInput::RecordError { .. } => StepFunction::Revoke,
        }
    }
}

impl Team {
    /// Runs one step; the JSON result is what the Task state receives as `Payload`.
    pub async fn step(&self, input: StepInput) -> TeamResult<Value> {
        match input {
            StepInput::AwaitDecision {
                request_id,
                task_token,
            } => self.await_decision(&request_id, task_token).await,
            StepInput::Expire { request_id } => self.expire(&request_id).await,
            StepInput::Schedule { request_id } => self.schedule(&request_id).await,
            StepInput::Grant { request_id } => self.grant(&request_id).await,
            StepInput::ScheduleEnd { request_id } => self.schedule_end(&request_id).await,
            StepInput::Revoke { request_id } => self.revoke_step(&request_id).await,
            StepInput::RecordError { request_id, error } => {
                self.record_error(&request_id, error).await
            }
        }
    }

    async fn load(&self, id: &RequestId) -> TeamResult<AccessRequest> {
        self.ports
            .requests
            .get(id)
            .await?
            .ok_or_else(|| TeamError::NotFound(format!("request {id} not found")))
    }

    async fn await_decision(&self, id: &RequestId, token: String) -> TeamResult<Value> {
        let mut first_time = false;
        let request = self
            .update(id, |r, _| {
                first_time = r.task_token.is_none();
                if r.status == Status::Pending {
                    r.task_token = Some(token.clone());
                }
                Ok(())
            })
            .await?;
        if request.status != Status::Pending {
            // Decided before the token was stored: nobody else will resume the workflow.
            self.ports
                .workflow
                .send_task_success(&token, json!({ "outcome": request.status.as_str() }))
                .await?;
        } else if first_time {
            self.notify(&request, EventKind::Submitted, request.approvers.clone())
                .await;
        }
        Ok(json!({ "status": request.status.as_str() }))
    }

    async fn expire(&self, id: &RequestId) -> TeamResult<Value> {
        let mut changed = false;
        let request = self
            .update(id, |r, now| {
                changed = r.status == Status::Pending;
                if changed {
                    r.apply(Action::Expire, Actor::System, now)?;
                    r.task_token = None;
                }
                Ok(())
            })
            .await?;
        if changed {
            self.record(
                &request,
                EventKind::Expired,
                None,
                "no approver decided in time".into(),
            )
            .await;
            self.notify_requester_and_approvers(&request, EventKind::Expired)
                .await;
        }
        // A decision that raced the timeout wins: the workflow goes on with it.
        Ok(json!({ "outcome": request.status.as_str() }))
    }

    async fn schedule(&self, id: &RequestId) -> TeamResult<Value> {
        let mut scheduled = false;
        let mut expired = false;
        let request = self
            .update(id, |r, now| {
                scheduled = false;
                expired = false;
                r.task_token = None;
                if window_closed(r, now) {
                    r.apply(Action::Expire, Actor::System, now)?;
                    expired = true;
                } else if r.status == Status::Approved && r.start_time > now {
                    r.apply(Action::Schedule, Actor::System, now)?;
                    scheduled = true;
                }
                Ok(())
            })
            .await?;
        if expired {
            self.record_window_closed(&request).await;
        }
        if scheduled {
            self.record(
                &request,
                EventKind::Scheduled,
                None,
                format!("access starts at {}", rfc3339(request.start_time)?),
            )
            .await;
        }
        let proceed = matches!(request.status, Status::Approved | Status::Scheduled);
        Ok(json!({
            "proceed": proceed,
            // UTC, whatever offset the requester sent: the Wait state reads it.
            "startTime": rfc3339(request.start_time)?,
        }))
    }

    async fn record_window_closed(&self, request: &AccessRequest) {
        let message = format!(
            "expired unused: its access window closed at {} before access could start",
            rfc3339(request.end_time).unwrap_or_default()
        );
        self.record(request, EventKind::Expired, None, message)
            .await;
        self.notify_requester_and_approvers(request, EventKind::Expired)
            .await;
    }

    async fn grant(&self, id: &RequestId) -> TeamResult<Value> {
        let request = self.load(id).await?;
        match request.status {
            // Delivered again after a grant whose answer was lost: the session is running,
            // and the workflow must still go on to schedule its end.
            Status::InProgress => return Ok(json!({ "granted": true, "status": request.status })),
            Status::Approved | Status::Scheduled => {}
            other => return Ok(json!({ "granted": false, "status": other })),
        }
        if window_closed(&request, self.now()) {
            let mut expired = false;
            let request = self
                .update(id, |r, now| {
                    expired = window_closed(r, now);
                    if expired {
                        r.apply(Action::Expire, Actor::System, now)?;
                    }
                    Ok(())
                })
                .await?;
            if expired {
                self.record_window_closed(&request).await;
            }
            return Ok(json!({ "granted": false, "status": request.status }));
        }
        // Approval may have come long ago (a start up to 90 days ahead): the requester
        // must still be eligible now, when access would start.
        if let Some(reason) = self.eligibility_lost(&request).await? {
            let failed = self.fail(id, reason).await?;
            return Ok(json!({ "granted": false, "status": failed.status }));
        }
        // Access may be live from the moment Identity Center starts creating it: the
        // window as granted (and the activity audited) starts here, not once it settled.
        let began = self.now();
        let assignment = request.assignment();
        self.acquire(&assignment, id).await?;
        let operation = self
            .ports
            .provisioner
            .create_assignment(&assignment)
            .await?;
        self.settle(&operation).await?;
        let granted = self
            .update(id, |r, now| {
                r.apply(Action::Grant, Actor::System, now)?;
                // The window as granted; without a chosen start it runs the full duration
                // from the grant (TEAM counts the duration from the grant).
                r.start_time = began.min(now);
                if !r.fixed_window {
                    r.end_time =
                        r.start_time + time::Duration::minutes(i64::from(r.duration_minutes));
                }
                Ok(())
            })
            .await;
        match granted {
            Ok(request) => {
                tracing::info!(request_id = %id, assignment = %assignment.key(), "access granted");
                self.record(
                    &request,
                    EventKind::Granted,
                    None,
                    format!(
                        "{} can now use {} on {} ({}) until {}",
                        request.requester.username,
                        request.permission_set.name,
                        request.account.name,
                        request.account.id,
                        rfc3339(request.end_time)?
                    ),
                )
                .await;
                self.notify_requester_and_approvers(&request, EventKind::Granted)
                    .await;
                Ok(json!({ "granted": true }))
            }
            Err(TeamError::InvalidTransition(_)) => {
                // Cancelled or revoked while the assignment was being created: take it back.
                let request = self.load(id).await?;
                self.release_and_record(&request).await?;
                Ok(json!({ "granted": false, "status": request.status }))
            }
            Err(err) => Err(err),
        }
    }

    /// Why `request`'s requester may no longer have the access it asks for, if so: gone
    /// from the directory, or no eligibility policy covers the pair any more.
    async fn eligibility_lost(&self, request: &AccessRequest) -> TeamResult<Option<String>> {
        let user = &request.requester.user_id;
        if self.ports.directory.user(user).await?.is_none() {
            return Ok(Some(format!(
                "not granted: {} is no longer in the Identity Center directory",
                request.requester.username
            )));
        }
        let groups = self.ports.directory.groups_of(user).await?;
        let settings = self.ports.policies.settings().await?;
        let eligibility = self.eligibility_for(user, &groups, &settings).await?;
        if eligibility
            .find(&request.account.id, &request.permission_set.arn)
            .is_none()
        {
            return Ok(Some(format!(
                "not granted: {} is no longer eligible for {} on {} ({}); an eligibility policy changed after the request was made",
                request.requester.username,
                request.permission_set.name,
                request.account.name,
                request.account.id
            )));
        }
        Ok(None)
    }

    /// Puts a request in `error` with `reason`, records and notifies it.
    async fn fail(&self, id: &RequestId, reason: String) -> TeamResult<AccessRequest> {
        let mut changed = false;
        let request = self
            .update(id, |r, now| {
                changed = r.apply(Action::Fail, Actor::System, now).is_ok();
                if changed {
                    r.error_reason = Some(reason.clone());
                    r.task_token = None;
                }
                Ok(())
            })
            .await?;
        if changed {
            tracing::warn!(request_id = %id, reason = %reason, "request failed");
            self.record(&request, EventKind::Error, None, reason).await;
            self.notify_requester_and_approvers(&request, EventKind::Error)
                .await;
        }
        Ok(request)
    }

    async fn schedule_end(&self, id: &RequestId) -> TeamResult<Value> {
        let request = self.load(id).await?;
        if request.status != Status::InProgress {
            return Ok(json!({ "scheduled": false }));
        }
        if request.end_time <= self.now() {
            let input = RevokeInput::new(id);
            self.ports
                .workflow
                .start(
                    WorkflowKind::Revoke,
                    &input.execution_name(RevokeCause::EndTime),
                    input.to_value(),
                )
                .await?;
        } else {
            self.ports
                .scheduler
                .schedule_end(id, request.end_time)
                .await?;
        }
        Ok(json!({ "scheduled": true }))
    }

    /// Ends a session at its end time, or finishes removing the access of a request that
    /// someone closed. Access goes first: a running session reads `ended` only once its
    /// assignment is gone (or kept for another request); if removal fails the step fails,
    /// and the workflow's catch puts the request in `error` with the removal still owed.
    async fn revoke_step(&self, id: &RequestId) -> TeamResult<Value> {
        let request = self.load(id).await?;
        let outcome = self.release_and_record(&request).await?;
        if request.status == Status::InProgress {
            let mut ended_now = false;
            let request = self
                .update(id, |r, now| {
                    ended_now = r.status == Status::InProgress;
                    if ended_now {
                        r.apply(Action::End, Actor::System, now)?;
                    }
                    Ok(())
                })
                .await?;
            if ended_now {
                self.record(
                    &request,
                    EventKind::Ended,
                    None,
                    "the session reached its end time".into(),
                )
                .await;
                self.notify_requester_and_approvers(&request, EventKind::Ended)
                    .await;
            }
        }
        Ok(json!({ "removed": outcome == Release::Removed }))
    }

    async fn record_error(&self, id: &RequestId, error: Option<Value>) -> TeamResult<Value> {
        let reason = failure_reason(error.as_ref());
        let request = self.fail(id, reason).await?;
        // Never leave access behind a request that failed.
        if let Err(err) = self.release_and_record(&request).await {
            tracing::error!(request_id = %id, error = %err, "access could not be removed after a failure; the removal stays owed");
            let message = format!(
                "access could not be removed: {err}; the removal stays owed and the reconciler retries it"
            );
            self.record(&request, EventKind::RemovalFailed, None, message)
                .await;
            let recipients = self.admins_and_auditors().await;
            self.notify(&request, EventKind::RemovalFailed, recipients)
                .await;
        }
        Ok(json!({ "status": request.status }))
    }

    async fn release_and_record(&self, request: &AccessRequest) -> TeamResult<Release> {
        let outcome = self.release(&request.assignment(), &request.id).await?;
        match &outcome {
            Release::Removed => {
                self.record(
                    request,
                    EventKind::AccessRemoved,
                    None,
                    "the account assignment was removed".into(),
                )
                .await
            }
            Release::Kept(others) => {
                let others: Vec<_> = others.iter().map(RequestId::as_str).collect();
                self.record(
                    request,
                    EventKind::AccessKept,
                    None,
                    format!(
                        "the account assignment stays: still granted by request {}",
                        others.join(", ")
                    ),
                )
                .await
            }
            Release::NotHeld => {}
        }
        Ok(outcome)
    }
}

/// Whether a fixed access window closed before access started: such a request
/// expires unused rather than being granted for no time at all.
fn window_closed(request: &AccessRequest, now: time::OffsetDateTime) -> bool {
    matches!(request.status, Status::Approved | Status::Scheduled)
        && request.fixed_window
        && request.end_time <= now
}

/// An instant as RFC 3339 in UTC (`…Z`), as Step Functions' Wait state and the API show it.
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> TeamResult<String> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| TeamError::Internal(format!("cannot format {at}: {e}")))
}

/// A readable reason from Step Functions' `{"Error", "Cause"}`; a Lambda's cause is
/// itself JSON with `errorMessage`.
fn failure_reason(error: Option<&Value>) -> String {
    let Some(error) = error else {
        return "the workflow failed".into();
    };
    let name = error
        .get("Error")
        .and_then(Value::as_str)
        .unwrap_or("Error");
    let cause = error.get("Cause").and_then(Value::as_str).unwrap_or("");
    let message = serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|c| {
            c.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| cause.to_string());
    if message.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reason_reads_lambda_causes() {
        let e = json!({"Error": "TeamProvisioningError", "Cause": "{\"errorMessage\":\"boom\",\"errorType\":\"TeamProvisioningError\"}"});
        assert_eq!(failure_reason(Some(&e)), "TeamProvisioningError: boom");
        let plain = json!({"Error": "States.Timeout", "Cause": ""});
        assert_eq!(failure_reason(Some(&plain)), "States.Timeout");
    }

    #[test]
    fn step_input_is_tagged_by_step() {
        let input: StepInput =
            serde_json::from_value(json!({"step": "grant", "requestId": "r-1"})).unwrap();
        assert_eq!(
            input,
            StepInput::Grant {
                request_id: RequestId::parse("r-1").unwrap()
            }
        );
        let bad = serde_json::from_value::<StepInput>(json!({"step": "nope", "requestId": "r-1"}));
        assert!(bad.is_err());
    }
}
