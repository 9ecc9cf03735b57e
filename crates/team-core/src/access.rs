//! Leases on account assignments: who holds one, and the removal it is owed.
//!
//! Two rules keep access inside its windows whatever fails:
//! - an assignment is deleted only when its last holder lets go (TEAM #279), and a
//!   grant never races a deletion of the same assignment that is under way;
//! - a removal, once owed, stays owed in the lease until Identity Center confirms
//!   the assignment gone. A failed or interrupted deletion is retried by the step's
//!   retries, then by the reconciler; nothing forgets it.

use std::future::Future;

use crate::error::{TeamError, TeamResult};
use crate::ids::RequestId;
use crate::ports::{Lease, Operation, OperationStatus};
use crate::request::Assignment;
use crate::service::Team;

/// Attempts of one optimistic read-modify-write before it is reported as contended.
/// Each attempt re-reads the item, so only a burst of writers to one item exhausts it.
pub const CONFLICT_ATTEMPTS: usize = 8;

/// Runs `attempt` again while it fails with [`TeamError::Conflict`] (someone else wrote
/// the item first), at most [`CONFLICT_ATTEMPTS`] times; then answers `contended()`.
/// Any other outcome is returned as it is.
///
/// `attempt` makes a fresh future per try (`|| async move { … }` over borrowed data):
/// a plain closure returning a future keeps the future's `Send`-ness provable, which
/// the API's handlers need and async closures do not yet give.
pub(crate) async fn retry_on_conflict<T, F, Fut>(
    mut attempt: F,
    contended: impl FnOnce() -> TeamError,
) -> TeamResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = TeamResult<T>>,
{
    for _ in 0..CONFLICT_ATTEMPTS {
        match attempt().await {
            Err(TeamError::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(contended())
}

fn contended(assignment: &Assignment) -> impl FnOnce() -> TeamError + '_ {
    move || TeamError::Transient(format!("lease {} is contended", assignment.key()))
}

/// What removing access came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The assignment was deleted, and Identity Center confirmed it.
    Removed,
    /// Other granted requests still rely on the assignment (TEAM #279).
    Kept(Vec<RequestId>),
    /// This request held nothing, and owes no removal.
    NotHeld,
}

/// What the lease says to do after a holder lets go.
enum Next {
    Done(Release),
    Delete,
}

impl Team {
    /// Adds `holder` to the assignment's lease. Refused (retryably) while a deletion is
    /// under way, so a deletion that started before this grant cannot take the new access
    /// away. A removal that *failed* is taken over instead: nothing is deleting the
    /// assignment then, and the grant that follows finds it present or creates it.
    pub(crate) async fn acquire(
        &self,
        assignment: &Assignment,
        holder: &RequestId,
    ) -> TeamResult<()> {
        retry_on_conflict(
            || async move {
                let current = self.ports.requests.lease(assignment).await?;
                let expected = current.as_ref().map(|l| l.version);
                let mut lease = current.unwrap_or_else(|| Lease::new(assignment.clone()));
                if lease.holders.contains(holder) {
                    return Ok(());
                }
                if lease.removing {
                    let Some(failure) = &lease.removal_error else {
                        return Err(TeamError::Transient(format!(
                            "the assignment {} is being removed; granting again after that",
                            assignment.key()
                        )));
                    };
                    tracing::warn!(assignment = %assignment.key(), owed_by = ?lease.owed_by,
                        failure = %failure, "a grant takes over an assignment whose removal failed");
                    lease.clear_removal();
                }
                lease.holders.insert(holder.clone());
                lease.version += 1;
                self.ports.requests.put_lease(&lease, expected).await
            },
            contended(assignment),
        )
        .await
    }

    /// Removes `holder` from the lease and, if nobody else holds the assignment, deletes
    /// it and waits until Identity Center confirms. Called again after a failure (a
    /// retry of the step, or the reconciler), it resumes the removal this holder owes.
    ///
    /// # Errors
    /// The deletion's failure ([`TeamError::Provisioning`] for a `FAILED` operation,
    /// [`TeamError::Transient`] for throttling or an operation that did not settle in
    /// time); the removal then stays owed in the lease, with the reason.
    pub(crate) async fn release(
        &self,
        assignment: &Assignment,
        holder: &RequestId,
    ) -> TeamResult<Release> {
        let next = retry_on_conflict(
            || async move {
                let Some(mut lease) = self.ports.requests.lease(assignment).await? else {
                    return Ok(Next::Done(Release::NotHeld));
                };
                let expected = lease.version;
                let held = lease.holders.remove(holder);
                if held && !lease.holders.is_empty() {
                    lease.version += 1;
                    self.ports
                        .requests
                        .put_lease(&lease, Some(expected))
                        .await?;
                    return Ok(Next::Done(Release::Kept(
                        lease.holders.into_iter().collect(),
                    )));
                }
                // A lease from before owners were recorded names none: anyone may finish it.
                let owes = lease.removing && lease.owed_by.as_ref().is_none_or(|o| o == holder);
                if !held && !owes {
                    return Ok(Next::Done(Release::NotHeld));
                }
                self.start_removal(&mut lease, holder);
                self.ports
                    .requests
                    .put_lease(&lease, Some(expected))
                    .await?;
                Ok(Next::Delete)
            },
            contended(assignment),
        )
        .await?;
        match next {
            Next::Done(release) => Ok(release),
            Next::Delete => self.delete_owed(assignment).await,
        }
    }

    /// Marks the removal owed by `owner` and a deletion attempt as started now.
    fn start_removal(&self, lease: &mut Lease, owner: &RequestId) {
        lease.removing = true;
        lease.owed_by = Some(owner.clone());
        lease.removal_started_at = Some(self.now());
        lease.removal_error = None;
        lease.version += 1;
    }

    /// Retries an owed removal that nobody is working on: the reconciler's way of paying
    /// a debt that the workflow's retries could not. Claims it with a conditional write,
    /// so two sweeps never delete at once, then deletes and settles it.
    /// `Ok(None)` when the lease changed since it was read (someone else paid it, or a
    /// grant took the assignment over).
    ///
    /// # Errors
    /// The deletion's failure (`Provisioning` or `Transient`); the debt stays owed.
    pub async fn retry_owed_removal(&self, owed: &Lease) -> TeamResult<Option<Release>> {
        let mut lease = owed.clone();
        if !lease.removing || !lease.holders.is_empty() {
            return Ok(None);
        }
        let owner = lease.owed_by.clone();
        let expected = lease.version;
        lease.removing = true;
        lease.removal_started_at = Some(self.now());
        lease.removal_error = None;
        lease.version += 1;
        match self.ports.requests.put_lease(&lease, Some(expected)).await {
            Ok(()) => {}
            Err(TeamError::Conflict(_)) => return Ok(None),
            Err(err) => return Err(err),
        }
        tracing::info!(assignment = %owed.assignment.key(), owed_by = ?owner, "retrying an owed removal");
        self.delete_owed(&owed.assignment).await.map(Some)
    }

    /// Deletes the assignment and settles the debt: cleared once Identity Center confirms,
    /// kept with the reason when it fails.
    async fn delete_owed(&self, assignment: &Assignment) -> TeamResult<Release> {
        let deleted = async {
            let operation = self.ports.provisioner.delete_assignment(assignment).await?;
            self.settle(&operation).await
        }
        .await;
        match deleted {
            Ok(()) => {
                self.settle_debt(assignment, None).await?;
                Ok(Release::Removed)
            }
            Err(err) => {
                tracing::error!(assignment = %assignment.key(), error = %err, "removal failed; it stays owed");
                if let Err(write) = self.settle_debt(assignment, Some(err.to_string())).await {
                    // The debt itself is still recorded (`removing`); only the reason is missing.
                    tracing::error!(assignment = %assignment.key(), error = %write, "cannot record why a removal failed");
                }
                Err(err)
            }
        }
    }

    /// After a deletion attempt: clears the debt (`failure` `None`) or records why it failed.
    async fn settle_debt(
        &self,
        assignment: &Assignment,
        failure: Option<String>,
    ) -> TeamResult<()> {
        let failure = &failure;
        retry_on_conflict(
            || async move {
                let Some(mut lease) = self.ports.requests.lease(assignment).await? else {
                    return Ok(());
                };
                if !lease.removing {
                    return Ok(());
                }
                let expected = lease.version;
                match failure {
                    None => lease.clear_removal(),
                    Some(reason) => lease.removal_error = Some(reason.clone()),
                }
                lease.version += 1;
                self.ports.requests.put_lease(&lease, Some(expected)).await
            },
            contended(assignment),
        )
        .await
    }

    /// Polls an Identity Center operation until it settles (bounded, with back-off).
    pub(crate) async fn settle(&self, operation: &Operation) -> TeamResult<()> {
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
