//! The adapters against `aws-smithy-mocks`: the SDK's real request and response
//! types, canned answers, no network. Each client has the SDK's own retries
//! turned off so the adapter's back-off is what is under test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use fixtures::{PS, notification, request};
use serde_json::json;
use team_aws::{
    AwsNotifier, AwsOrganization, Backoff, CloudTrailConfig, CloudTrailLakeActivity,
    EventBridgeScheduler, EventDataStoreId, IdentityStoreDirectory, NotifierConfig,
    SchedulerConfig, SlackConfig, SsoAdminProvisioner, StateMachineArns, StepFunctionsWorkflow,
};
use team_core::TeamError;
use team_core::ids::{AccountId, PermissionSetArn, RequestId, UserId};
use team_core::ports::{
    AccessProvisioner, Channel, Directory, Notification, Notifier, Operation, OperationStatus,
    Organization, Scheduler, SessionActivity, Workflow, WorkflowKind,
};
use team_core::request::{AccessRequest, Assignment, EventKind, Status};
use time::macros::datetime;

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";

/// A client of the SDK crate `$sdk` that answers from `$rules` (in order, unless a
/// [`RuleMode`] comes first) with the SDK's own retries off. A macro, like
/// `mock_client!`, because every SDK crate has its own client and config types.
macro_rules! mocked {
    ($sdk:ident, $rules:expr) => {
        mocked!($sdk, RuleMode::Sequential, $rules)
    };
    ($sdk:ident, $mode:expr, $rules:expr) => {
        mock_client!($sdk, $mode, $rules, |config| {
            config.retry_config(RetryConfig::disabled())
        })
    };
}

/// The metadata of an AWS error answer: its code and message.
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// The permission set [`PS`] for user `9067-user` in account 111122223333.
fn assignment() -> Assignment {
    Assignment {
        user_id: UserId::parse("9067-user").unwrap(),
        account_id: AccountId::parse("111122223333").unwrap(),
        permission_set_arn: PermissionSetArn::parse(PS).unwrap(),
    }
}

/// The inputs a mocked operation was called with, in call order.
struct Inputs<I>(Arc<Mutex<Vec<I>>>);

impl<I: Clone + Send + 'static> Inputs<I> {
    fn new() -> Inputs<I> {
        Inputs(Arc::default())
    }

    /// An answer for `then_compute_output`: keeps the input, then answers `output()`.
    fn answer<O>(
        &self,
        output: impl Fn() -> O + Send + Sync + 'static,
    ) -> impl Fn(&I) -> O + Send + Sync + 'static {
        let sink = Arc::clone(&self.0);
        move |input| {
            sink.lock().unwrap().push(input.clone());
            output()
        }
    }

    /// Every input so far.
    fn all(&self) -> Vec<I> {
        self.0.lock().unwrap().clone()
    }

    /// The latest input.
    fn last(&self) -> I {
        self.all().pop().expect("the operation was called")
    }
}

mod sso_admin {
    use super::*;
    use aws_sdk_ssoadmin::Client;
    use aws_sdk_ssoadmin::operation::create_account_assignment::{
        CreateAccountAssignmentError, CreateAccountAssignmentOutput,
    };
    use aws_sdk_ssoadmin::operation::delete_account_assignment::DeleteAccountAssignmentError;
    use aws_sdk_ssoadmin::operation::describe_account_assignment_creation_status::DescribeAccountAssignmentCreationStatusOutput;
    use aws_sdk_ssoadmin::types::error::ConflictException;
    use aws_sdk_ssoadmin::types::{AccountAssignmentOperationStatus, StatusValues};

    /// The state of the Identity Center operation `id`.
    pub(super) fn status(
        id: &str,
        value: StatusValues,
        reason: Option<&str>,
    ) -> AccountAssignmentOperationStatus {
        AccountAssignmentOperationStatus::builder()
            .request_id(id)
            .status(value)
            .set_failure_reason(reason.map(str::to_string))
            .build()
    }

    /// `CreateAccountAssignment`'s answer: the operation `id` is in progress.
    pub(super) fn created(id: &str) -> CreateAccountAssignmentOutput {
        CreateAccountAssignmentOutput::builder()
            .account_assignment_creation_status(status(id, StatusValues::InProgress, None))
            .build()
    }

    /// `DescribeAccountAssignmentCreationStatus`'s answer about the operation `id`.
    pub(super) fn creation(
        id: &str,
        value: StatusValues,
        reason: Option<&str>,
    ) -> DescribeAccountAssignmentCreationStatusOutput {
        DescribeAccountAssignmentCreationStatusOutput::builder()
            .account_assignment_creation_status(status(id, value, reason))
            .build()
    }

    /// The provisioner over SSO Admin answering from `rules`, four attempts per call.
    fn provisioner(rules: &[&Rule]) -> SsoAdminProvisioner {
        SsoAdminProvisioner::new(mocked!(aws_sdk_ssoadmin, rules), INSTANCE)
            .with_backoff(Backoff::immediate(4))
    }

    /// The creation operation `id`, to poll.
    fn creating(id: &str) -> Operation {
        Operation {
            id: id.into(),
            deletion: false,
        }
    }

    #[tokio::test]
    async fn throttling_is_retried_until_identity_center_accepts() {
        let rule = mock!(Client::create_account_assignment)
            .sequence()
            .error(|| {
                CreateAccountAssignmentError::generic(meta("ThrottlingException", "Rate exceeded"))
            })
            .times(2)
            .output(|| created("op-1"))
            .build();
        let operation = provisioner(&[&rule])
            .create_assignment(&assignment())
            .await
            .unwrap();
        assert_eq!(operation, creating("op-1"));
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn the_request_names_the_user_account_and_permission_set() {
        let inputs = Inputs::new();
        let rule = mock!(Client::create_account_assignment)
            .then_compute_output(inputs.answer(|| created("op-2")));
        provisioner(&[&rule])
            .create_assignment(&assignment())
            .await
            .unwrap();
        let input = inputs.last();
        assert_eq!(input.instance_arn(), Some(INSTANCE));
        assert_eq!(input.target_id(), Some("111122223333"));
        assert_eq!(input.target_type().map(|t| t.as_str()), Some("AWS_ACCOUNT"));
        assert_eq!(input.principal_type().map(|t| t.as_str()), Some("USER"));
        assert_eq!(input.principal_id(), Some("9067-user"));
        assert_eq!(input.permission_set_arn(), Some(PS));
    }

    #[tokio::test]
    async fn a_conflict_that_never_clears_becomes_a_transient_error_after_the_bound() {
        const IN_PROGRESS: &str = "Another operation is in progress for this assignment";
        let rule = mock!(Client::create_account_assignment)
            .sequence()
            .error(|| {
                CreateAccountAssignmentError::ConflictException(
                    ConflictException::builder()
                        .message(IN_PROGRESS)
                        .meta(meta("ConflictException", IN_PROGRESS))
                        .build(),
                )
            })
            .repeatedly()
            .build();
        let err = provisioner(&[&rule])
            .create_assignment(&assignment())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TeamError::Transient(m) if m.contains("ConflictException")),
            "{err:?}"
        );
        assert_eq!(err.code(), "TeamTransientError");
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test]
    async fn a_conflict_saying_the_assignment_exists_is_success() {
        let rule = mock!(Client::create_account_assignment).then_error(|| {
            CreateAccountAssignmentError::generic(meta(
                "ConflictException",
                "The account assignment already exists",
            ))
        });
        let provisioner = provisioner(&[&rule]);
        let operation = provisioner.create_assignment(&assignment()).await.unwrap();
        // No further call: the mock would panic on an unexpected DescribeAccountAssignmentCreationStatus.
        assert_eq!(
            provisioner.operation_status(&operation).await.unwrap(),
            OperationStatus::Succeeded
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_creation_surfaces_identity_centers_reason() {
        const REASON: &str =
            "Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/Nope.";
        let rule = mock!(Client::describe_account_assignment_creation_status)
            .sequence()
            .output(|| creation("op-3", StatusValues::InProgress, None))
            .output(|| creation("op-3", StatusValues::Failed, Some(REASON)))
            .build();
        let provisioner = provisioner(&[&rule]);
        let operation = creating("op-3");
        assert_eq!(
            provisioner.operation_status(&operation).await.unwrap(),
            OperationStatus::InProgress
        );
        assert_eq!(
            provisioner.operation_status(&operation).await.unwrap(),
            OperationStatus::Failed {
                reason: REASON.into()
            }
        );
    }

    #[tokio::test]
    async fn a_creation_that_failed_because_the_assignment_exists_is_success() {
        let rule = mock!(Client::describe_account_assignment_creation_status).then_output(|| {
            creation(
                "op-4",
                StatusValues::Failed,
                Some("Account assignment already exists"),
            )
        });
        let status = provisioner(&[&rule])
            .operation_status(&creating("op-4"))
            .await
            .unwrap();
        assert_eq!(status, OperationStatus::Succeeded);
    }

    #[tokio::test]
    async fn deleting_an_assignment_that_is_already_gone_is_success() {
        let rule = mock!(Client::delete_account_assignment).then_error(|| {
            DeleteAccountAssignmentError::generic(meta(
                "ResourceNotFoundException",
                "Could not find the account assignment",
            ))
        });
        let provisioner = provisioner(&[&rule]);
        let operation = provisioner.delete_assignment(&assignment()).await.unwrap();
        assert!(operation.deletion);
        assert_eq!(
            provisioner.operation_status(&operation).await.unwrap(),
            OperationStatus::Succeeded
        );
    }

    #[tokio::test]
    async fn access_denied_is_not_retried() {
        let rule = mock!(Client::create_account_assignment)
            .sequence()
            .error(|| CreateAccountAssignmentError::generic(meta("AccessDeniedException", "no")))
            .repeatedly()
            .build();
        let err = provisioner(&[&rule])
            .create_assignment(&assignment())
            .await
            .unwrap_err();
        assert!(matches!(err, TeamError::Internal(_)), "{err:?}");
        assert_eq!(rule.num_calls(), 1);
    }
}

mod assigned_principals {
    use super::*;
    use aws_sdk_ssoadmin::Client;
    use aws_sdk_ssoadmin::operation::list_account_assignments::{
        ListAccountAssignmentsError, ListAccountAssignmentsInput, ListAccountAssignmentsOutput,
    };
    use aws_sdk_ssoadmin::types::{AccountAssignment, PrincipalType};
    use team_core::ids::GroupId;
    use team_core::policy::Principal;

    const ACCOUNT: &str = "111122223333";

    /// The provisioner over SSO Admin answering from `rules`, four attempts per call.
    fn provisioner(rules: &[&Rule]) -> SsoAdminProvisioner {
        SsoAdminProvisioner::new(mocked!(aws_sdk_ssoadmin, rules), INSTANCE)
            .with_backoff(Backoff::immediate(4))
    }

    /// [`PS`] on [`ACCOUNT`] held by the principal `id` of type `kind`.
    fn held_by(kind: PrincipalType, id: &str) -> AccountAssignment {
        AccountAssignment::builder()
            .account_id(ACCOUNT)
            .permission_set_arn(PS)
            .principal_type(kind)
            .principal_id(id)
            .build()
    }

    /// A page of `ListAccountAssignments` with `items`, and `next` if more follow.
    fn page(items: Vec<AccountAssignment>, next: Option<&str>) -> ListAccountAssignmentsOutput {
        ListAccountAssignmentsOutput::builder()
            .set_account_assignments(Some(items))
            .set_next_token(next.map(str::to_string))
            .build()
    }

    fn user(id: &str) -> Principal {
        Principal::User(UserId::parse(id).unwrap())
    }

    /// Who holds [`PS`] on [`ACCOUNT`], as the adapter lists it.
    async fn listed(provisioner: &SsoAdminProvisioner) -> team_core::TeamResult<Vec<Principal>> {
        provisioner
            .assigned_principals(
                &AccountId::parse(ACCOUNT).unwrap(),
                &PermissionSetArn::parse(PS).unwrap(),
            )
            .await
    }

    #[tokio::test]
    async fn every_page_of_assignments_is_read() {
        // GIVEN Identity Center answers in two pages, one user on each; each page
        // answers only a request naming the instance, the account, the permission
        // set and that page's token
        let asks_for = |token: Option<&'static str>| {
            move |input: &ListAccountAssignmentsInput| {
                input.instance_arn() == Some(INSTANCE)
                    && input.account_id() == Some(ACCOUNT)
                    && input.permission_set_arn() == Some(PS)
                    && input.next_token() == token
            }
        };
        let first = mock!(Client::list_account_assignments)
            .match_requests(asks_for(None))
            .then_output(|| {
                page(
                    vec![held_by(PrincipalType::User, "9067-alice")],
                    Some("t-1"),
                )
            });
        let second = mock!(Client::list_account_assignments)
            .match_requests(asks_for(Some("t-1")))
            .then_output(|| page(vec![held_by(PrincipalType::User, "9067-bob")], None));
        let provisioner = SsoAdminProvisioner::new(
            mocked!(aws_sdk_ssoadmin, RuleMode::MatchAny, [&first, &second]),
            INSTANCE,
        )
        .with_backoff(Backoff::immediate(4));

        // WHEN the principals are listed
        let principals = listed(&provisioner).await.unwrap();

        // THEN both pages were read, once each, and every principal is there
        assert_eq!(principals, [user("9067-alice"), user("9067-bob")]);
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_throttled_page_is_retried_then_read() {
        // GIVEN the second page is throttled twice before Identity Center answers it
        let rule = mock!(Client::list_account_assignments)
            .sequence()
            .output(|| {
                page(
                    vec![held_by(PrincipalType::User, "9067-alice")],
                    Some("t-1"),
                )
            })
            .error(|| {
                ListAccountAssignmentsError::generic(meta("ThrottlingException", "Rate exceeded"))
            })
            .times(2)
            .output(|| page(vec![held_by(PrincipalType::User, "9067-bob")], None))
            .build();

        // WHEN the principals are listed
        let principals = listed(&provisioner(&[&rule])).await.unwrap();

        // THEN the throttled page was asked for again and nothing is missing
        assert_eq!(principals, [user("9067-alice"), user("9067-bob")]);
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test]
    async fn users_and_groups_become_their_principals_and_unknown_types_are_skipped() {
        // GIVEN a user, a group and a principal type this version does not know
        let rule = mock!(Client::list_account_assignments).then_output(|| {
            page(
                vec![
                    held_by(PrincipalType::User, "9067-alice"),
                    held_by(PrincipalType::Group, "9067-admins"),
                    held_by(PrincipalType::from("ROBOT"), "9067-robot"),
                ],
                None,
            )
        });

        // WHEN the principals are listed
        let principals = listed(&provisioner(&[&rule])).await.unwrap();

        // THEN the user and the group are there, in their own kinds, and the rest is not
        assert_eq!(
            principals,
            [
                user("9067-alice"),
                Principal::Group(GroupId::parse("9067-admins").unwrap()),
            ]
        );
    }

    #[tokio::test]
    async fn access_denied_on_listing_is_a_permanent_error_and_not_retried() {
        // GIVEN TEAM-rs's role may not list assignments
        let rule = mock!(Client::list_account_assignments)
            .sequence()
            .error(|| {
                ListAccountAssignmentsError::generic(meta("AccessDeniedException", "not allowed"))
            })
            .repeatedly()
            .build();

        // WHEN the principals are listed
        let err = listed(&provisioner(&[&rule])).await.unwrap_err();

        // THEN the error is not transient, names the call, and came from one attempt
        assert!(
            matches!(&err, TeamError::Internal(m) if m.contains("ListAccountAssignments") && m.contains("AccessDeniedException")),
            "{err:?}"
        );
        assert_ne!(err.code(), "TeamTransientError");
        assert_eq!(rule.num_calls(), 1);
    }
}

mod scheduler {
    use super::*;
    use aws_sdk_scheduler::Client;
    use aws_sdk_scheduler::operation::create_schedule::{
        CreateScheduleError, CreateScheduleOutput,
    };
    use aws_sdk_scheduler::operation::delete_schedule::{
        DeleteScheduleError, DeleteScheduleOutput,
    };
    use aws_sdk_scheduler::operation::update_schedule::UpdateScheduleOutput;
    use aws_sdk_scheduler::types::ActionAfterCompletion;

    const SCHEDULE_ARN: &str = "arn:aws:scheduler:us-east-1:111122223333:schedule/team-rs/req-1";

    /// Schedules in `team-rs` over a Scheduler answering from `rules`.
    fn scheduler(rules: &[&Rule]) -> EventBridgeScheduler {
        let config = SchedulerConfig::new(
            "team-rs",
            "arn:aws:states:us-east-1:111122223333:stateMachine:revoke",
            "arn:aws:iam::111122223333:role/team-scheduler",
            "arn:aws:sqs:us-east-1:111122223333:team-dlq",
        );
        EventBridgeScheduler::new(mocked!(aws_sdk_scheduler, rules), config)
            .with_backoff(Backoff::immediate(2))
    }

    #[tokio::test]
    async fn a_session_end_is_a_one_time_schedule_that_deletes_itself() {
        let inputs = Inputs::new();
        let rule = mock!(Client::create_schedule).then_compute_output(inputs.answer(|| {
            CreateScheduleOutput::builder()
                .schedule_arn(SCHEDULE_ARN)
                .build()
                .unwrap()
        }));
        scheduler(&[&rule])
            .schedule_end(
                &RequestId::parse("req-1").unwrap(),
                datetime!(2024-05-01 19:30:00 +2),
            )
            .await
            .unwrap();
        let input = inputs.last();
        assert_eq!(input.name(), Some("req-1"));
        assert_eq!(input.group_name(), Some("team-rs"));
        assert_eq!(input.schedule_expression(), Some("at(2024-05-01T17:30:00)"));
        assert_eq!(input.schedule_expression_timezone(), Some("UTC"));
        assert_eq!(
            input.action_after_completion(),
            Some(&ActionAfterCompletion::Delete)
        );
        let target = input.target().unwrap();
        assert_eq!(
            target.arn(),
            "arn:aws:states:us-east-1:111122223333:stateMachine:revoke"
        );
        assert_eq!(
            target.role_arn(),
            "arn:aws:iam::111122223333:role/team-scheduler"
        );
        let body: serde_json::Value = serde_json::from_str(target.input().unwrap()).unwrap();
        assert_eq!(body, json!({"requestId": "req-1"}));
        assert_eq!(
            target.dead_letter_config().and_then(|d| d.arn()),
            Some("arn:aws:sqs:us-east-1:111122223333:team-dlq")
        );
        assert!(
            target
                .retry_policy()
                .and_then(|r| r.maximum_retry_attempts())
                .is_some()
        );
    }

    #[tokio::test]
    async fn scheduling_again_replaces_the_existing_schedule() {
        let create = mock!(Client::create_schedule).then_error(|| {
            CreateScheduleError::generic(meta(
                "ConflictException",
                "Schedule req-1 already exists.",
            ))
        });
        let inputs = Inputs::new();
        let update = mock!(Client::update_schedule).then_compute_output(inputs.answer(|| {
            UpdateScheduleOutput::builder()
                .schedule_arn(SCHEDULE_ARN)
                .build()
                .unwrap()
        }));
        scheduler(&[&create, &update])
            .schedule_end(
                &RequestId::parse("req-1").unwrap(),
                datetime!(2024-05-02 08:00 UTC),
            )
            .await
            .unwrap();
        let input = inputs.last();
        assert_eq!(input.name(), Some("req-1"));
        assert_eq!(input.schedule_expression(), Some("at(2024-05-02T08:00:00)"));
        assert_eq!(
            input.action_after_completion(),
            Some(&ActionAfterCompletion::Delete)
        );
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn cancelling_deletes_the_schedule_and_a_missing_one_is_fine() {
        let inputs = Inputs::new();
        let deleted = mock!(Client::delete_schedule)
            .then_compute_output(inputs.answer(|| DeleteScheduleOutput::builder().build()));
        let missing = mock!(Client::delete_schedule).then_error(|| {
            DeleteScheduleError::generic(meta(
                "ResourceNotFoundException",
                "Schedule req-2 does not exist.",
            ))
        });
        let scheduler = scheduler(&[&deleted, &missing]);
        scheduler
            .cancel_end(&RequestId::parse("req-1").unwrap())
            .await
            .unwrap();
        scheduler
            .cancel_end(&RequestId::parse("req-2").unwrap())
            .await
            .unwrap();
        let deletions = inputs.all();
        assert_eq!(
            deletions
                .iter()
                .map(|input| (input.name(), input.group_name()))
                .collect::<Vec<_>>(),
            [(Some("req-1"), Some("team-rs"))]
        );
        assert_eq!(missing.num_calls(), 1);
    }
}

mod step_functions {
    use super::*;
    use aws_sdk_sfn::Client;
    use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
    use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
    use aws_sdk_sfn::types::error::ExecutionAlreadyExists;

    fn arns() -> StateMachineArns {
        StateMachineArns {
            access_request: "arn:aws:states:us-east-1:111122223333:stateMachine:access-request"
                .into(),
            revoke: "arn:aws:states:us-east-1:111122223333:stateMachine:revoke".into(),
        }
    }

    /// The workflow over Step Functions answering from `rules`.
    fn workflow(rules: &[&Rule]) -> StepFunctionsWorkflow {
        StepFunctionsWorkflow::new(mocked!(aws_sdk_sfn, rules), arns())
            .with_backoff(Backoff::immediate(2))
    }

    #[tokio::test]
    async fn an_execution_that_already_exists_counts_as_started() {
        const EXISTS: &str = "Execution Already Exists: 'end-req-1'";
        let inputs = Inputs::new();
        let first = mock!(Client::start_execution).then_compute_output(inputs.answer(|| {
            StartExecutionOutput::builder()
                .execution_arn("arn:aws:states:us-east-1:111122223333:execution:revoke:end-req-1")
                .start_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap()
        }));
        let again = mock!(Client::start_execution).then_error(|| {
            StartExecutionError::ExecutionAlreadyExists(
                ExecutionAlreadyExists::builder()
                    .message(EXISTS)
                    .meta(meta("ExecutionAlreadyExists", EXISTS))
                    .build(),
            )
        });
        let workflow = workflow(&[&first, &again]);
        for _ in 0..2 {
            workflow
                .start(
                    WorkflowKind::Revoke,
                    "end-req-1",
                    json!({"requestId": "req-1"}),
                )
                .await
                .unwrap();
        }
        let input = inputs.last();
        assert_eq!(input.state_machine_arn(), Some(arns().revoke.as_str()));
        assert_eq!(input.name(), Some("end-req-1"));
        assert_eq!(input.input(), Some(r#"{"requestId":"req-1"}"#));
        assert_eq!(again.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_timed_out_task_token_is_an_invalid_transition() {
        let rule = mock!(Client::send_task_success)
            .then_error(|| SendTaskSuccessError::generic(meta("TaskTimedOut", "Task Timed Out")));
        let err = workflow(&[&rule])
            .send_task_success("token", json!({"outcome": "approved"}))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "InvalidTransition", "{err:?}");
        assert_eq!(rule.num_calls(), 1);
    }
}

mod notify {
    use super::*;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
    use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailOutput};
    use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};

    fn config() -> NotifierConfig {
        NotifierConfig {
            web_url: "https://team.example.com".into(),
            email_from: Some("team@example.com".into()),
            sns_topic_arn: Some("arn:aws:sns:us-east-1:111122223333:team".into()),
            slack: Some(SlackConfig::new("team/slack")),
        }
    }

    /// A notifier configured by `config` over SES, SNS and Secrets Manager answering
    /// from `ses`, `sns` and `secrets`. Any secret rule answers any read, so a test
    /// counts how often the token was read rather than failing at a second read.
    pub(super) fn notifier(
        config: NotifierConfig,
        ses: &[&Rule],
        sns: &[&Rule],
        secrets: &[&Rule],
    ) -> AwsNotifier {
        AwsNotifier::new(
            config,
            mocked!(aws_sdk_sesv2, ses),
            mocked!(aws_sdk_sns, sns),
            mocked!(aws_sdk_secretsmanager, RuleMode::MatchAny, secrets),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn every_channel_failing_does_not_fail_the_caller() {
        let ses = mock!(aws_sdk_sesv2::Client::send_email).then_error(|| {
            SendEmailError::generic(meta("MessageRejected", "Email address is not verified"))
        });
        let sns = mock!(aws_sdk_sns::Client::publish)
            .then_error(|| PublishError::generic(meta("AuthorizationError", "not allowed")));
        let secret = mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .then_error(|| GetSecretValueError::generic(meta("AccessDeniedException", "no")));
        let every_channel = vec![Channel::Email, Channel::Sns, Channel::Slack];
        notifier(config(), &[&ses], &[&sns], &[&secret])
            .notify(&notification(EventKind::Submitted, every_channel))
            .await
            .unwrap();
        assert_eq!(ses.num_calls(), 1);
        assert_eq!(sns.num_calls(), 1);
        assert_eq!(secret.num_calls(), 1);
    }

    #[tokio::test]
    async fn the_approver_gets_an_email_with_the_link_and_sns_gets_the_json() {
        let emails = Inputs::new();
        let ses = mock!(aws_sdk_sesv2::Client::send_email).then_compute_output(
            emails.answer(|| SendEmailOutput::builder().message_id("m-1").build()),
        );
        let published = Inputs::new();
        let sns = mock!(aws_sdk_sns::Client::publish).then_compute_output(
            published.answer(|| PublishOutput::builder().message_id("p-1").build()),
        );
        let mut notification =
            notification(EventKind::Submitted, vec![Channel::Email, Channel::Sns]);
        notification.request.task_token = Some("secret-task-token".into());
        notifier(config(), &[&ses], &[&sns], &[])
            .notify(&notification)
            .await
            .unwrap();

        let email = emails.last();
        assert_eq!(email.from_email_address(), Some("team@example.com"));
        assert_eq!(
            email.destination().unwrap().to_addresses(),
            &["bob@example.com".to_string()]
        );
        let simple = email.content().unwrap().simple().unwrap();
        assert_eq!(
            simple.subject().unwrap().data(),
            "TEAM: alice for Admin on prod is pending"
        );
        let body = simple.body().unwrap();
        assert!(
            body.text()
                .unwrap()
                .data()
                .contains("https://team.example.com/requests/req-1")
        );
        assert!(
            body.html()
                .unwrap()
                .data()
                .contains("href=\"https://team.example.com/requests/req-1\"")
        );

        let message = published.last();
        assert_eq!(
            message.topic_arn(),
            Some("arn:aws:sns:us-east-1:111122223333:team")
        );
        let json: serde_json::Value = serde_json::from_str(message.message().unwrap()).unwrap();
        assert_eq!(json["event"], "submitted");
        assert_eq!(json["request"]["id"], "req-1");
        assert!(
            json["request"].get("taskToken").is_none(),
            "the task token must not leave"
        );
    }
}

mod cloudtrail {
    use super::*;
    use aws_sdk_cloudtrail::Client;
    use aws_sdk_cloudtrail::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_cloudtrail::operation::start_query::StartQueryOutput;
    use aws_sdk_cloudtrail::types::QueryStatus;
    use std::collections::HashMap;

    /// The activity reader over CloudTrail answering from `rules`, looking at a
    /// running query at most `max_polls` times, without waiting in between.
    fn activity(rules: &[&Rule], max_polls: u32) -> CloudTrailLakeActivity {
        let mut config = CloudTrailConfig::new(EventDataStoreId::parse("eds-1").unwrap());
        config.poll_interval = Duration::ZERO;
        config.max_polls = max_polls;
        CloudTrailLakeActivity::new(mocked!(aws_sdk_cloudtrail, rules), config)
            .with_backoff(Backoff::immediate(2))
    }

    /// `StartQuery` answering the query id `id`.
    fn start(id: &'static str) -> Rule {
        mock!(Client::start_query)
            .then_output(move || StartQueryOutput::builder().query_id(id).build())
    }

    /// A `GetQueryResults` answer without rows.
    fn no_rows(status: QueryStatus) -> GetQueryResultsOutput {
        GetQueryResultsOutput::builder()
            .query_status(status)
            .build()
    }

    fn row(at: &str, name: &str) -> Vec<HashMap<String, String>> {
        vec![
            HashMap::from([("eventTime".to_string(), at.to_string())]),
            HashMap::from([("eventName".to_string(), name.to_string())]),
            HashMap::from([("eventSource".to_string(), "ec2.amazonaws.com".to_string())]),
        ]
    }

    #[tokio::test]
    async fn a_query_is_polled_until_finished_and_every_page_is_read() {
        let queries = Inputs::new();
        let start = mock!(Client::start_query).then_compute_output(
            queries.answer(|| StartQueryOutput::builder().query_id("q-1").build()),
        );
        let results = mock!(Client::get_query_results)
            .sequence()
            .output(|| no_rows(QueryStatus::Queued))
            .output(|| no_rows(QueryStatus::Running))
            .output(|| {
                GetQueryResultsOutput::builder()
                    .query_status(QueryStatus::Finished)
                    .query_result_rows(row("2024-05-01 17:50:00.000", "StopInstances"))
                    .next_token("page-2")
                    .build()
            })
            .output(|| {
                GetQueryResultsOutput::builder()
                    .query_status(QueryStatus::Finished)
                    .query_result_rows(row("2024-05-01 17:40:00.000", "DescribeInstances"))
                    .build()
            })
            .build();
        let events = activity(&[&start, &results], 5)
            .activity(&request())
            .await
            .unwrap();
        let names: Vec<_> = events.iter().map(|e| e.event_name.as_str()).collect();
        assert_eq!(names, ["DescribeInstances", "StopInstances"]);
        assert!(
            queries
                .last()
                .query_statement()
                .unwrap_or_default()
                .contains("FROM eds-1")
        );
        assert_eq!(results.num_calls(), 4);
    }

    #[tokio::test]
    async fn a_query_that_keeps_running_is_a_transient_error() {
        let results = mock!(Client::get_query_results)
            .sequence()
            .output(|| no_rows(QueryStatus::Running))
            .repeatedly()
            .build();
        let err = activity(&[&start("q-2"), &results], 3)
            .activity(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, TeamError::Transient(_)), "{err:?}");
        assert_eq!(results.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_failed_query_says_why() {
        let results = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .query_status(QueryStatus::Failed)
                .error_message("COLUMN_NOT_FOUND")
                .build()
        });
        let err = activity(&[&start("q-3"), &results], 3)
            .activity(&request())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TeamError::Internal(m) if m.contains("COLUMN_NOT_FOUND")),
            "{err:?}"
        );
    }
}

mod directory {
    use super::*;
    use aws_sdk_identitystore::Client;
    use aws_sdk_identitystore::operation::list_users::ListUsersOutput;
    use aws_sdk_identitystore::types::{Email, User};

    fn user(id: &str, name: &str, emails: Vec<Email>) -> User {
        User::builder()
            .identity_store_id("d-1234567890")
            .user_id(id)
            .user_arn(format!("arn:aws:identitystore:::user/{id}"))
            .revision("1")
            .user_name(name)
            .set_emails(Some(emails))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn users_are_read_page_by_page_with_their_primary_email() {
        let rule = mock!(Client::list_users)
            .sequence()
            .output(|| {
                ListUsersOutput::builder()
                    .users(user(
                        "u-2",
                        "bob",
                        vec![
                            Email::builder().value("bob@home.example").build(),
                            Email::builder()
                                .value("bob@work.example")
                                .primary(true)
                                .build(),
                        ],
                    ))
                    .next_token("t-1")
                    .build()
                    .unwrap()
            })
            .output(|| {
                ListUsersOutput::builder()
                    .users(user("u-1", "alice", vec![]))
                    .build()
                    .unwrap()
            })
            .build();
        let client = mocked!(aws_sdk_identitystore, [&rule]);
        let users = IdentityStoreDirectory::new(client, "d-1234567890")
            .users()
            .await
            .unwrap();
        let names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(users[1].email.as_deref(), Some("bob@work.example"));
        assert_eq!(users[0].email, None);
        assert_eq!(rule.num_calls(), 2);
    }
}

mod organization {
    use super::*;
    use aws_sdk_organizations::Client;
    use aws_sdk_organizations::operation::describe_organization::DescribeOrganizationOutput;
    use aws_sdk_organizations::operation::list_accounts_for_parent::ListAccountsForParentOutput;
    use aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput;
    use aws_sdk_organizations::operation::list_roots::ListRootsOutput;
    use aws_sdk_organizations::types::{
        Account, Organization as Described, OrganizationalUnit, Root,
    };
    use team_core::ids::OuId;

    #[tokio::test]
    async fn the_tree_is_read_recursively_and_cached_with_the_management_account_marked() {
        let organization = mock!(Client::describe_organization).then_output(|| {
            DescribeOrganizationOutput::builder()
                .organization(
                    Described::builder()
                        .id("o-ab12")
                        .master_account_id("444455556666")
                        .build(),
                )
                .build()
        });
        let roots = mock!(Client::list_roots).then_output(|| {
            ListRootsOutput::builder()
                .roots(Root::builder().id("r-ab12").name("Root").build())
                .build()
        });
        let ous =
            mock!(Client::list_organizational_units_for_parent).then_compute_output(|input| {
                let builder = ListOrganizationalUnitsForParentOutput::builder();
                match input.parent_id() {
                    Some("r-ab12") => builder
                        .organizational_units(
                            OrganizationalUnit::builder()
                                .id("ou-ab12-11111111")
                                .name("workloads")
                                .build(),
                        )
                        .build(),
                    _ => builder.build(),
                }
            });
        let accounts = mock!(Client::list_accounts_for_parent).then_compute_output(|input| {
            let builder = ListAccountsForParentOutput::builder();
            match input.parent_id() {
                Some("ou-ab12-11111111") => builder
                    .accounts(Account::builder().id("111122223333").name("prod").build())
                    .build(),
                _ => builder
                    .accounts(
                        Account::builder()
                            .id("444455556666")
                            .name("management")
                            .build(),
                    )
                    .build(),
            }
        });
        let org = AwsOrganization::new(
            mocked!(
                aws_sdk_organizations,
                RuleMode::MatchAny,
                [&organization, &roots, &ous, &accounts]
            ),
            mocked!(aws_sdk_ssoadmin, []),
            INSTANCE,
            Duration::from_secs(300),
        );
        let tree = org.tree().await.unwrap();
        let under: Vec<_> = tree
            .accounts_under(&OuId::parse("r-ab12").unwrap())
            .iter()
            .map(|a| a.name.clone())
            .collect();
        assert_eq!(under.len(), 2, "{under:?}");
        assert_eq!(
            tree.ancestors(&AccountId::parse("111122223333").unwrap())
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["ou-ab12-11111111", "r-ab12"]
        );
        let marked = |id: &str| {
            tree.account(&AccountId::parse(id).unwrap())
                .unwrap()
                .unassignable
                .clone()
        };
        assert!(
            marked("444455556666").is_some_and(|r| r.contains("management account")),
            "a delegated administrator cannot grant there"
        );
        assert_eq!(marked("111122223333"), None);
        org.tree().await.unwrap();
        assert_eq!(
            roots.num_calls(),
            1,
            "the second call is served from the cache"
        );
    }
}

mod permission_sets {
    use super::*;
    use aws_sdk_ssoadmin::Client;
    use aws_sdk_ssoadmin::operation::describe_permission_set::DescribePermissionSetOutput;
    use aws_sdk_ssoadmin::operation::list_permission_sets::ListPermissionSetsOutput;
    use aws_sdk_ssoadmin::types::PermissionSet;

    const READ_ONLY: &str =
        "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdefabcdefabcd";

    #[tokio::test]
    async fn permission_sets_are_listed_page_by_page_and_described() {
        let list = mock!(Client::list_permission_sets)
            .sequence()
            .output(|| {
                ListPermissionSetsOutput::builder()
                    .permission_sets(PS)
                    .next_token("t-1")
                    .build()
            })
            .output(|| {
                ListPermissionSetsOutput::builder()
                    .permission_sets(READ_ONLY)
                    .build()
            })
            .build();
        let describe = mock!(Client::describe_permission_set).then_compute_output(|input| {
            let (name, description) = if input.permission_set_arn() == Some(PS) {
                ("Admin", "")
            } else {
                ("ReadOnly", "look, do not touch")
            };
            DescribePermissionSetOutput::builder()
                .permission_set(
                    PermissionSet::builder()
                        .name(name)
                        .description(description)
                        .permission_set_arn(input.permission_set_arn().unwrap_or_default())
                        .build(),
                )
                .build()
        });
        let org = AwsOrganization::new(
            mocked!(aws_sdk_organizations, []),
            mocked!(aws_sdk_ssoadmin, RuleMode::MatchAny, [&list, &describe]),
            INSTANCE,
            Duration::from_secs(60),
        );
        let sets = org.permission_sets().await.unwrap();
        assert_eq!(
            sets.iter()
                .map(|s| (s.name.as_str(), s.description.as_deref()))
                .collect::<Vec<_>>(),
            [("Admin", None), ("ReadOnly", Some("look, do not touch"))]
        );
        org.permission_sets().await.unwrap();
        assert_eq!(
            describe.num_calls(),
            2,
            "the second call is served from the cache"
        );
    }
}

mod slack {
    use super::*;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// One HTTP request as the fake Slack saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        path: String,
        authorization: String,
        body: String,
    }

    /// A minimal HTTP/1.1 server answering like Slack's Web API.
    async fn fake_slack() -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let path = line
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .to_string();
                        let (mut length, mut authorization) = (0usize, String::new());
                        loop {
                            let mut header = String::new();
                            reader.read_line(&mut header).await.unwrap();
                            let header = header.trim_end();
                            if header.is_empty() {
                                break;
                            }
                            let (name, value) = header.split_once(':').unwrap();
                            match name.to_ascii_lowercase().as_str() {
                                "content-length" => length = value.trim().parse().unwrap(),
                                "authorization" => authorization = value.trim().to_string(),
                                _ => {}
                            }
                        }
                        let mut body = vec![0; length];
                        reader.read_exact(&mut body).await.unwrap();
                        let answer = if path.contains("users.lookupByEmail") {
                            json!({"ok": true, "user": {"id": "U-BOB"}})
                        } else {
                            json!({"ok": true})
                        };
                        sink.lock().unwrap().push(Seen {
                            path,
                            authorization,
                            body: String::from_utf8(body).unwrap(),
                        });
                        let answer = answer.to_string();
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                            answer.len()
                        );
                        reader
                            .get_mut()
                            .write_all(response.as_bytes())
                            .await
                            .unwrap();
                    }
                });
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn slack_messages_reach_the_recipient_with_the_token_read_once() {
        let (api_url, seen) = fake_slack().await;
        let secret = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_output(|| {
            GetSecretValueOutput::builder()
                .secret_string(r#"{"token": "xoxb-test-token"}"#)
                .build()
        });
        let slack = SlackConfig {
            token_secret_id: "team/slack".into(),
            channel: Some("C-TEAM".into()),
            api_url,
        };
        let config = NotifierConfig {
            web_url: "https://team.example.com".into(),
            email_from: None,
            sns_topic_arn: None,
            slack: Some(slack),
        };
        let notifier = super::notify::notifier(config, &[], &[], &[&secret]);
        let notification = notification(EventKind::Submitted, vec![Channel::Slack]);
        notifier.notify(&notification).await.unwrap();
        notifier.notify(&notification).await.unwrap();

        assert_eq!(secret.num_calls(), 1, "the token is read once");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 6, "{seen:?}");
        assert!(
            seen.iter()
                .all(|s| s.authorization == "Bearer xoxb-test-token")
        );
        assert_eq!(seen[0].path, "/api/chat.postMessage");
        let channel_post: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
        assert_eq!(channel_post["channel"], "C-TEAM");
        assert!(
            channel_post["text"]
                .as_str()
                .unwrap()
                .contains("<https://team.example.com/requests/req-1|Open the request>")
        );
        assert_eq!(
            seen[1].path,
            "/api/users.lookupByEmail?email=bob%40example.com"
        );
        let direct: serde_json::Value = serde_json::from_str(&seen[2].body).unwrap();
        assert_eq!(direct["channel"], "U-BOB");
    }
}

/// The SSO Admin adapter under team-core's real grant and record-error steps.
mod grant_step {
    use super::sso_admin::{self, created, status};
    use super::*;
    use async_trait::async_trait;
    use aws_sdk_ssoadmin::Client;
    use aws_sdk_ssoadmin::operation::delete_account_assignment::DeleteAccountAssignmentOutput;
    use aws_sdk_ssoadmin::operation::describe_account_assignment_deletion_status::DescribeAccountAssignmentDeletionStatusOutput;
    use aws_sdk_ssoadmin::types::StatusValues;
    use team_core::memory::{MemoryPolicyStore, MemoryRequestStore};
    use team_core::org::{Group, OrgTree, PermissionSet, User};
    use team_core::ports::{ActivityEvent, Clock, IdGenerator, PolicyStore, RequestStore};
    use team_core::service::PollPolicy;
    use team_core::steps::StepInput;
    use team_core::{Ports, Team, TeamResult};
    use time::OffsetDateTime;

    /// Everything the grant step does not use; the directory knows every user (the
    /// grant step checks the requester is still there) and the organization has the one
    /// account and permission set of the fixture request.
    struct Idle;

    #[async_trait]
    impl Directory for Idle {
        async fn user(&self, id: &UserId) -> TeamResult<Option<User>> {
            Ok(Some(User {
                id: id.clone(),
                username: id.to_string(),
                display_name: id.to_string(),
                email: None,
            }))
        }
        async fn user_by_username(&self, _: &str) -> TeamResult<Option<User>> {
            Ok(None)
        }
        async fn groups_of(&self, _: &UserId) -> TeamResult<Vec<Group>> {
            Ok(vec![])
        }
        async fn members_of(&self, _: &team_core::ids::GroupId) -> TeamResult<Vec<User>> {
            Ok(vec![])
        }
        async fn users(&self) -> TeamResult<Vec<User>> {
            Ok(vec![])
        }
        async fn groups(&self) -> TeamResult<Vec<Group>> {
            Ok(vec![])
        }
    }

    #[async_trait]
    impl Organization for Idle {
        async fn tree(&self) -> TeamResult<Arc<OrgTree>> {
            let root = team_core::ids::OuId::parse("r-root")?;
            Ok(Arc::new(OrgTree::new(
                vec![team_core::org::Account {
                    id: request().account.id,
                    name: "prod".into(),
                    parent_id: root.clone(),
                    unassignable: None,
                }],
                vec![team_core::org::OrgUnit {
                    id: root,
                    name: "Root".into(),
                    parent_id: None,
                }],
            )?))
        }
        async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
            Ok(vec![PermissionSet {
                arn: PermissionSetArn::parse(PS)?,
                name: "Admin".into(),
                description: None,
            }])
        }
    }

    /// alice is eligible for the fixture request's account and permission set.
    async fn alice_eligible() -> Arc<MemoryPolicyStore> {
        let policies = Arc::new(MemoryPolicyStore::default());
        let policy: team_core::policy::EligibilityPolicy = serde_json::from_value(json!({
            "id": "e1", "name": "alice", "principal": {"type": "user", "id": request().requester.user_id},
            "accounts": [request().account.id], "permissionSets": [PS], "maxDurationMinutes": 120,
            "approvalRequired": true, "updatedAt": "2024-01-01T00:00:00Z"
        }))
        .unwrap();
        policies.put_eligibility_policy(&policy).await.unwrap();
        policies
    }

    #[async_trait]
    impl Workflow for Idle {
        async fn start(&self, _: WorkflowKind, _: &str, _: serde_json::Value) -> TeamResult<()> {
            Ok(())
        }
        async fn send_task_success(&self, _: &str, _: serde_json::Value) -> TeamResult<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl Scheduler for Idle {
        async fn schedule_end(&self, _: &RequestId, _: OffsetDateTime) -> TeamResult<()> {
            Ok(())
        }
        async fn cancel_end(&self, _: &RequestId) -> TeamResult<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl Notifier for Idle {
        async fn notify(&self, _: &Notification) -> TeamResult<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl SessionActivity for Idle {
        async fn activity(&self, _: &AccessRequest) -> TeamResult<Vec<ActivityEvent>> {
            Ok(vec![])
        }
    }

    #[async_trait]
    impl Clock for Idle {
        fn now(&self) -> OffsetDateTime {
            datetime!(2024-05-01 17:31 UTC)
        }
        async fn sleep(&self, _: Duration) {}
    }

    impl IdGenerator for Idle {
        fn new_id(&self) -> String {
            "unused".into()
        }
    }

    #[tokio::test]
    async fn a_failed_creation_becomes_a_provisioning_error_and_the_requests_error_reason() {
        const REASON: &str = "The permission set is not provisioned to the account";
        let create = mock!(Client::create_account_assignment).then_output(|| created("op-c"));
        let creation = mock!(Client::describe_account_assignment_creation_status)
            .sequence()
            .output(|| sso_admin::creation("op-c", StatusValues::InProgress, None))
            .output(|| sso_admin::creation("op-c", StatusValues::Failed, Some(REASON)))
            .build();
        let delete = mock!(Client::delete_account_assignment).then_output(|| {
            DeleteAccountAssignmentOutput::builder()
                .account_assignment_deletion_status(status("op-d", StatusValues::InProgress, None))
                .build()
        });
        let deletion =
            mock!(Client::describe_account_assignment_deletion_status).then_output(|| {
                DescribeAccountAssignmentDeletionStatusOutput::builder()
                    .account_assignment_deletion_status(status(
                        "op-d",
                        StatusValues::Succeeded,
                        None,
                    ))
                    .build()
            });
        let client = mocked!(
            aws_sdk_ssoadmin,
            RuleMode::MatchAny,
            [&create, &creation, &delete, &deletion]
        );
        let requests = Arc::new(MemoryRequestStore::default());
        let mut approved = request();
        approved.status = Status::Approved;
        requests.put(&approved, None).await.unwrap();
        let idle = Arc::new(Idle);
        let team = Team::new(Ports {
            requests: requests.clone(),
            policies: alice_eligible().await,
            directory: idle.clone(),
            organization: idle.clone(),
            provisioner: Arc::new(
                SsoAdminProvisioner::new(client, INSTANCE).with_backoff(Backoff::immediate(2)),
            ),
            workflow: idle.clone(),
            scheduler: idle.clone(),
            notifier: idle.clone(),
            activity: idle.clone(),
            sweeps: Arc::new(team_core::memory::MemorySweepLog::default()),
            clock: idle.clone(),
            ids: idle,
        })
        .with_poll_policy(PollPolicy {
            interval: Duration::ZERO,
            max_interval: Duration::ZERO,
            max_polls: 5,
        });

        let err = team
            .step(StepInput::Grant {
                request_id: approved.id.clone(),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TeamError::Provisioning(m) if m.contains(REASON)),
            "{err:?}"
        );
        assert_eq!(err.code(), "TeamProvisioningError");

        // What Step Functions' Catch hands to the record-error step.
        let cause = json!({ "errorMessage": err.to_string(), "errorType": err.code() });
        team.step(StepInput::RecordError {
            request_id: approved.id.clone(),
            error: Some(json!({ "Error": err.code(), "Cause": cause.to_string() })),
        })
        .await
        .unwrap();
        let stored = requests.get(&approved.id).await.unwrap().unwrap();
        assert_eq!(stored.status, Status::Error);
        assert!(
            stored
                .error_reason
                .as_deref()
                .unwrap_or_default()
                .contains(REASON),
            "{stored:?}"
        );
        // Never leave access behind a failed request.
        assert_eq!(delete.num_calls(), 1);
    }
}
