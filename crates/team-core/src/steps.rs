//! Step handlers: the work the state machines' Task states invoke.
//!
//! Each step is idempotent, because Step Functions (and the local executor)
//! deliver at least once. Failures carry [`TeamError::code`] as their Step
//! Functions error name; the state machines retry `TeamTransientError`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::error::{TeamError, TeamResult};
use crate::ids::RequestId;
use crate::ports::{Lease, Operation, OperationStatus, WorkflowKind};
use crate::request::{AccessRequest, Action, Actor, Assignment, EventKind, Status};
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

/// What removing access came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The assignment was deleted.
    Removed,
    /// Other granted requests still rely on the assignment (TEAM #279).
    Kept(Vec<RequestId>),
    /// This request held nothing.
    NotHeld,
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
        let mut changed = false;
        let request = self
            .update(id, |r, now| {
                changed = r.status == Status::Approved && r.start_time > now;
                if changed {
                    r.apply(Action::Schedule, Actor::System, now)?;
                }
                r.task_token = None;
                Ok(())
            })
            .await?;
        if changed {
            let at = request.start_time.format(&Rfc3339).unwrap_or_default();
            self.record(
                &request,
                EventKind::Scheduled,
                None,
                format!("access starts at {at}"),
            )
            .await;
        }
        let proceed = matches!(request.status, Status::Approved | Status::Scheduled);
        Ok(json!({
            "proceed": proceed,
            "startTime": request.start_time.format(&Rfc3339).map_err(|e| TeamError::Internal(e.to_string()))?,
        }))
    }

    async fn grant(&self, id: &RequestId) -> TeamResult<Value> {
        let request = self.load(id).await?;
        if !matches!(request.status, Status::Approved | Status::Scheduled) {
            return Ok(json!({ "granted": false, "status": request.status.as_str() }));
        }
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
                        "{} can now use {} on {} ({})",
                        request.requester.username,
                        request.permission_set.name,
                        request.account.name,
                        request.account.id
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
                Ok(json!({ "granted": false, "status": request.status.as_str() }))
            }
            Err(err) => Err(err),
        }
    }

    async fn schedule_end(&self, id: &RequestId) -> TeamResult<Value> {
        let request = self.load(id).await?;
        if request.status != Status::InProgress {
            return Ok(json!({ "scheduled": false }));
        }
        if request.end_time <= self.now() {
            self.ports
                .workflow
                .start(
                    WorkflowKind::Revoke,
                    &format!("end-{id}"),
                    json!({ "requestId": id.as_str() }),
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

    async fn revoke_step(&self, id: &RequestId) -> TeamResult<Value> {
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
        let outcome = self.release_and_record(&request).await?;
        Ok(json!({ "removed": outcome == Release::Removed }))
    }

    async fn record_error(&self, id: &RequestId, error: Option<Value>) -> TeamResult<Value> {
        let reason = failure_reason(error.as_ref());
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
        tracing::error!(request_id = %id, reason = %reason, "request failed");
        if changed {
            self.record(&request, EventKind::Error, None, reason.clone())
                .await;
            self.notify_requester_and_approvers(&request, EventKind::Error)
                .await;
        }
        // Never leave access behind a request that failed.
        if let Err(err) = self.release_and_record(&request).await {
            tracing::error!(request_id = %id, error = %err, "access could not be removed after a failure");
            self.record(
                &request,
                EventKind::Error,
                None,
                format!("access could not be removed: {err}"),
            )
            .await;
        }
        Ok(json!({ "status": request.status.as_str() }))
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

    /// Adds `holder` to the assignment's lease. Waits (retryably) while a removal is under way,
    /// so a deletion that started before this grant cannot take the new access away.
    pub(crate) async fn acquire(
        &self,
        assignment: &Assignment,
        holder: &RequestId,
    ) -> TeamResult<()> {
        for _ in 0..8 {
            let current = self.ports.requests.lease(assignment).await?;
            let expected = current.as_ref().map(|l| l.version);
            let mut lease = current.unwrap_or_else(|| Lease {
                assignment: assignment.clone(),
                holders: Default::default(),
                removing: false,
                version: 0,
            });
            if lease.removing {
                return Err(TeamError::Transient(format!(
                    "the assignment {} is being removed; granting again after that",
                    assignment.key()
                )));
            }
            if !lease.holders.insert(holder.clone()) {
                return Ok(());
            }
            lease.version += 1;
            match self.ports.requests.put_lease(&lease, expected).await {
                Ok(()) => return Ok(()),
                Err(TeamError::Conflict(_)) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(TeamError::Transient(format!(
            "lease {} is contended",
            assignment.key()
        )))
    }

    /// Removes `holder` from the lease and deletes the assignment if nobody else holds it.
    pub(crate) async fn release(
        &self,
        assignment: &Assignment,
        holder: &RequestId,
    ) -> TeamResult<Release> {
        let mut must_delete = false;
        for attempt in 0..9 {
            if attempt == 8 {
                return Err(TeamError::Transient(format!(
                    "lease {} is contended",
                    assignment.key()
                )));
            }
            let Some(mut lease) = self.ports.requests.lease(assignment).await? else {
                return Ok(Release::NotHeld);
            };
            let expected = lease.version;
            if lease.holders.remove(holder) {
                if !lease.holders.is_empty() {
                    lease.version += 1;
                    match self.ports.requests.put_lease(&lease, Some(expected)).await {
                        Ok(()) => return Ok(Release::Kept(lease.holders.into_iter().collect())),
                        Err(TeamError::Conflict(_)) => continue,
                        Err(err) => return Err(err),
                    }
                }
                lease.removing = true;
                lease.version += 1;
                match self.ports.requests.put_lease(&lease, Some(expected)).await {
                    Ok(()) => {
                        must_delete = true;
                        break;
                    }
                    Err(TeamError::Conflict(_)) => continue,
                    Err(err) => return Err(err),
                }
            } else if lease.removing && lease.holders.is_empty() {
                // A removal was interrupted (crash or retry): finish it.
                must_delete = true;
                break;
            } else {
                return Ok(Release::NotHeld);
            }
        }
        if !must_delete {
            return Ok(Release::NotHeld);
        }
        let deleted = async {
            let operation = self.ports.provisioner.delete_assignment(assignment).await?;
            self.settle(&operation).await
        }
        .await;
        // Whether or not the deletion worked, stop blocking new grants of this assignment.
        self.finish_removal(assignment).await?;
        deleted.map(|()| Release::Removed)
    }

    async fn finish_removal(&self, assignment: &Assignment) -> TeamResult<()> {
        for _ in 0..8 {
            let Some(mut lease) = self.ports.requests.lease(assignment).await? else {
                return Ok(());
            };
            if !lease.removing {
                return Ok(());
            }
            let expected = lease.version;
            lease.removing = false;
            lease.version += 1;
            match self.ports.requests.put_lease(&lease, Some(expected)).await {
                Ok(()) => return Ok(()),
                Err(TeamError::Conflict(_)) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(TeamError::Transient(format!(
            "lease {} is contended",
            assignment.key()
        )))
    }

    /// Polls an Identity Center operation until it settles (bounded, with back-off).
    async fn settle(&self, operation: &Operation) -> TeamResult<()> {
        let mut wait = self.poll.interval;
        for _ in 0..self.poll.max_polls {
            match self.ports.provisioner.operation_status(operation).await? {
                OperationStatus::Succeeded => return Ok(()),
                OperationStatus::Failed { reason } => {
                    let what = if operation.deletion {
                        "deleting"
                    } else {
                        "creating"
                    };
                    return Err(TeamError::Provisioning(format!(
                        "Identity Center failed {what} the account assignment: {reason}"
                    )));
                }
                OperationStatus::InProgress => {
                    self.ports.clock.sleep(wait).await;
                    wait = (wait * 2).min(self.poll.max_interval);
                }
            }
        }
        Err(TeamError::Transient(format!(
            "Identity Center operation {} is still in progress",
            operation.id
        )))
    }
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
