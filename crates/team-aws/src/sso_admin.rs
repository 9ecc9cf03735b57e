//! [`AccessProvisioner`] over IAM Identity Center's SSO Admin API.

use async_trait::async_trait;
use aws_sdk_ssoadmin::Client;
use aws_sdk_ssoadmin::types::{
    AccountAssignment, AccountAssignmentOperationStatus, PrincipalType, StatusValues, TargetType,
};
use team_core::ids::{AccountId, GroupId, PermissionSetArn, UserId};
use team_core::policy::Principal;
use team_core::ports::{AccessProvisioner, Operation, OperationStatus};
use team_core::request::Assignment;
use team_core::{TeamError, TeamResult};

use crate::retry::{Backoff, Failure, collect_pages, retry, unless_not_found};

/// Operation ids with this prefix stand for operations that never had to run:
/// the assignment already existed, or was already gone. Identity Center's own
/// request ids are UUIDs, so they cannot collide.
const SETTLED: &str = "settled:";

/// Names the assignment on a `CreateAccountAssignment` or `DeleteAccountAssignment`
/// call: the two SDK builders have the same setters but share no trait a generic
/// function could name.
macro_rules! for_assignment {
    ($call:expr, $instance_arn:expr, $assignment:expr) => {
        $call
            .instance_arn($instance_arn)
            .target_id($assignment.account_id.as_str())
            .target_type(TargetType::AwsAccount)
            .permission_set_arn($assignment.permission_set_arn.as_str())
            .principal_type(PrincipalType::User)
            .principal_id($assignment.user_id.as_str())
    };
}

/// Creates and deletes account assignments (principal type `USER`, target type
/// `AWS_ACCOUNT`) in one Identity Center instance.
///
/// Every call is retried with [`Backoff`] on throttling, `ConflictException`
/// (another operation on the same assignment is running), `InternalServerException`
/// and unavailability (TEAM #327, #513); after the bound the error is
/// [`TeamError::Transient`]. A `FAILED` operation surfaces Identity Center's
/// `FailureReason` (TEAM drops it: its #522).
#[derive(Debug, Clone)]
pub struct SsoAdminProvisioner {
    client: Client,
    instance_arn: String,
    backoff: Backoff,
}

impl SsoAdminProvisioner {
    /// A provisioner for the Identity Center instance `instance_arn`
    /// (`arn:aws:sso:::instance/ssoins-…`), with the default [`Backoff`].
    pub fn new(client: Client, instance_arn: impl Into<String>) -> SsoAdminProvisioner {
        SsoAdminProvisioner {
            client,
            instance_arn: instance_arn.into(),
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> SsoAdminProvisioner {
        self.backoff = backoff;
        self
    }

    async fn create_once(&self, assignment: &Assignment) -> TeamResult<Operation> {
        const OP: &str = "CreateAccountAssignment";
        let call = self.client.create_account_assignment();
        let sent = for_assignment!(call, &self.instance_arn, assignment)
            .send()
            .await;
        match sent {
            Ok(output) => operation(OP, output.account_assignment_creation_status(), false),
            Err(err) => {
                let failure = Failure::of(&err);
                if failure.is("ConflictException") && failure.says("already exists") {
                    tracing::info!(assignment = %assignment.key(), "account assignment already exists");
                    return Ok(settled(assignment, false));
                }
                Err(failure.into_team_error(OP))
            }
        }
    }

    async fn delete_once(&self, assignment: &Assignment) -> TeamResult<Operation> {
        const OP: &str = "DeleteAccountAssignment";
        let call = self.client.delete_account_assignment();
        let sent = for_assignment!(call, &self.instance_arn, assignment)
            .send()
            .await;
        match unless_not_found(sent, OP)? {
            Some(output) => operation(OP, output.account_assignment_deletion_status(), true),
            None => {
                tracing::info!(assignment = %assignment.key(), "account assignment already gone");
                Ok(settled(assignment, true))
            }
        }
    }

    async fn status_once(&self, operation: &Operation) -> TeamResult<OperationStatus> {
        let status = if operation.deletion {
            const OP: &str = "DescribeAccountAssignmentDeletionStatus";
            self.client
                .describe_account_assignment_deletion_status()
                .instance_arn(&self.instance_arn)
                .account_assignment_deletion_request_id(&operation.id)
                .send()
                .await
                .map_err(|e| Failure::of(&e).into_team_error(OP))?
                .account_assignment_deletion_status
        } else {
            const OP: &str = "DescribeAccountAssignmentCreationStatus";
            self.client
                .describe_account_assignment_creation_status()
                .instance_arn(&self.instance_arn)
                .account_assignment_creation_request_id(&operation.id)
                .send()
                .await
                .map_err(|e| Failure::of(&e).into_team_error(OP))?
                .account_assignment_creation_status
        };
        let status = status.ok_or_else(|| {
            TeamError::Internal(format!(
                "Identity Center answered no status for operation {}",
                operation.id
            ))
        })?;
        Ok(operation_status(&status, operation.deletion))
    }
}

/// The operation to poll from the status a create or delete call answered.
fn operation(
    call: &str,
    status: Option<&AccountAssignmentOperationStatus>,
    deletion: bool,
) -> TeamResult<Operation> {
    let id = status
        .and_then(AccountAssignmentOperationStatus::request_id)
        .ok_or_else(|| TeamError::Internal(format!("{call} answered no request id")))?;
    tracing::info!(operation_id = id, call, "Identity Center operation started");
    Ok(Operation {
        id: id.to_string(),
        deletion,
    })
}

fn settled(assignment: &Assignment, deletion: bool) -> Operation {
    Operation {
        id: format!("{SETTLED}{}", assignment.key()),
        deletion,
    }
}

/// The domain's principal for a listed assignment; `None` for an unknown type or id shape.
fn principal(assignment: &AccountAssignment) -> Option<Principal> {
    let id = assignment.principal_id()?;
    match assignment.principal_type()? {
        PrincipalType::User => UserId::parse(id).ok().map(Principal::User),
        PrincipalType::Group => GroupId::parse(id).ok().map(Principal::Group),
        _ => None,
    }
}

/// Identity Center's status in the domain's terms. A creation that failed because
/// the assignment already exists is a success: the caller wanted it to exist.
fn operation_status(status: &AccountAssignmentOperationStatus, deletion: bool) -> OperationStatus {
    match status.status() {
        Some(StatusValues::Succeeded) => OperationStatus::Succeeded,
        Some(StatusValues::InProgress) => OperationStatus::InProgress,
        Some(StatusValues::Failed) => {
            let reason = status
                .failure_reason()
                .unwrap_or("Identity Center gave no reason")
                .to_string();
            if !deletion && reason.to_ascii_lowercase().contains("already exists") {
                OperationStatus::Succeeded
            } else {
                tracing::warn!(
                    operation_id = status.request_id().unwrap_or_default(),
                    deletion,
                    reason = %reason,
                    "Identity Center operation failed"
                );
                OperationStatus::Failed { reason }
            }
        }
        // A status added to the API after this was written: keep polling, the
        // step's poll bound turns a status that never settles into a transient error.
        _ => OperationStatus::InProgress,
    }
}

#[async_trait]
impl AccessProvisioner for SsoAdminProvisioner {
    async fn create_assignment(&self, assignment: &Assignment) -> TeamResult<Operation> {
        retry(&self.backoff, "CreateAccountAssignment", || {
            self.create_once(assignment)
        })
        .await
    }

    async fn delete_assignment(&self, assignment: &Assignment) -> TeamResult<Operation> {
        retry(&self.backoff, "DeleteAccountAssignment", || {
            self.delete_once(assignment)
        })
        .await
    }

    async fn operation_status(&self, operation: &Operation) -> TeamResult<OperationStatus> {
        if operation.id.starts_with(SETTLED) {
            return Ok(OperationStatus::Succeeded);
        }
        retry(&self.backoff, "DescribeAccountAssignmentStatus", || {
            self.status_once(operation)
        })
        .await
    }

    /// `ListAccountAssignments`, every page; principals of a type this version of
    /// TEAM-rs does not know are skipped with a warning rather than failing the sweep.
    async fn assigned_principals(
        &self,
        account: &AccountId,
        permission_set: &PermissionSetArn,
    ) -> TeamResult<Vec<Principal>> {
        let listed = collect_pages(
            &self.backoff,
            "ListAccountAssignments",
            |next| {
                self.client
                    .list_account_assignments()
                    .instance_arn(&self.instance_arn)
                    .account_id(account.as_str())
                    .permission_set_arn(permission_set.as_str())
                    .set_next_token(next)
                    .send()
            },
            |page| {
                (
                    page.account_assignments.unwrap_or_default(),
                    page.next_token,
                )
            },
        )
        .await?;
        let mut principals = Vec::with_capacity(listed.len());
        for assignment in listed {
            match principal(&assignment) {
                Some(p) => principals.push(p),
                None => tracing::warn!(
                    account_id = %account,
                    principal_type = ?assignment.principal_type(),
                    "skipping an account assignment whose principal TEAM-rs cannot read"
                ),
            }
        }
        Ok(principals)
    }
}
