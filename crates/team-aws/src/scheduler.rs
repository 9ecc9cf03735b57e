//! [`Scheduler`] over Amazon EventBridge Scheduler: one one-time schedule per
//! granted request that starts the revoke workflow at the session's end.

use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};
use team_core::executions::RevokeInput;
use team_core::ids::RequestId;
use team_core::ports::Scheduler;
use team_core::{TeamError, TeamResult};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::retry::{Backoff, Failure, retry, unless_not_found};

/// Where the schedules live and what they start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// The schedule group (created by the deployment), e.g. `team-rs`.
    pub group_name: String,
    /// The revoke state machine, started with `{"requestId": …}`.
    pub revoke_state_machine_arn: String,
    /// The role Scheduler assumes to call `states:StartExecution`.
    pub role_arn: String,
    /// The SQS queue that receives a schedule's event when every retry failed.
    pub dead_letter_queue_arn: String,
    /// How often Scheduler retries a failed start (0 to 185).
    pub maximum_retry_attempts: i32,
    /// How long Scheduler keeps retrying, in seconds (60 to 86 400).
    pub maximum_event_age_seconds: i32,
}

impl SchedulerConfig {
    /// A configuration with Scheduler's retry defaults (185 attempts within 24 h):
    /// ending a session must not be dropped because Step Functions throttled once.
    pub fn new(
        group_name: impl Into<String>,
        revoke_state_machine_arn: impl Into<String>,
        role_arn: impl Into<String>,
        dead_letter_queue_arn: impl Into<String>,
    ) -> SchedulerConfig {
        SchedulerConfig {
            group_name: group_name.into(),
            revoke_state_machine_arn: revoke_state_machine_arn.into(),
            role_arn: role_arn.into(),
            dead_letter_queue_arn: dead_letter_queue_arn.into(),
            maximum_retry_attempts: 185,
            maximum_event_age_seconds: 86_400,
        }
    }
}

/// Creates (or replaces) and deletes the end-of-session schedules.
///
/// Schedules are named after the request id (a request id is at most 64
/// letters, digits or `-`, exactly what Scheduler accepts), fire once at the end
/// time in UTC and delete themselves afterwards (`ActionAfterCompletion::Delete`).
#[derive(Debug, Clone)]
pub struct EventBridgeScheduler {
    client: Client,
    config: SchedulerConfig,
    backoff: Backoff,
}

impl EventBridgeScheduler {
    /// Schedules in `config.group_name` that start `config.revoke_state_machine_arn`.
    pub fn new(client: Client, config: SchedulerConfig) -> EventBridgeScheduler {
        EventBridgeScheduler {
            client,
            config,
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> EventBridgeScheduler {
        self.backoff = backoff;
        self
    }

    fn target(&self, request: &RequestId) -> TeamResult<Target> {
        let input = RevokeInput::new(request).to_value().to_string();
        Target::builder()
            .arn(&self.config.revoke_state_machine_arn)
            .role_arn(&self.config.role_arn)
            .input(input)
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(self.config.maximum_retry_attempts)
                    .maximum_event_age_in_seconds(self.config.maximum_event_age_seconds)
                    .build(),
            )
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .arn(&self.config.dead_letter_queue_arn)
                    .build(),
            )
            .build()
            .map_err(|e| TeamError::Internal(format!("schedule target: {e}")))
    }
}

/// The one-time schedule expression for `at`, in UTC: `at(2024-05-01T17:30:00)`.
/// Scheduler has whole seconds; a fraction rounds up so a session never ends early.
pub fn at_expression(at: OffsetDateTime) -> TeamResult<String> {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let whole = utc
        .replace_nanosecond(0)
        .map_err(|e| TeamError::Internal(e.to_string()))?;
    let due = if whole < utc {
        whole + time::Duration::SECOND
    } else {
        whole
    };
    let text = due
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .map_err(|e| TeamError::Internal(format!("cannot format the end time: {e}")))?;
    Ok(format!("at({text})"))
}

#[async_trait]
impl Scheduler for EventBridgeScheduler {
    async fn schedule_end(&self, request: &RequestId, at: OffsetDateTime) -> TeamResult<()> {
        const CREATE: &str = "CreateSchedule";
        const UPDATE: &str = "UpdateSchedule";
        let expression = at_expression(at)?;
        let target = self.target(request)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| TeamError::Internal(format!("schedule window: {e}")))?;
        // The create and the update call carry the same schedule, but their SDK
        // builders share no trait a generic function could name.
        macro_rules! end_of_session {
            ($call:expr) => {
                $call
                    .name(request.as_str())
                    .group_name(&self.config.group_name)
                    .schedule_expression(&expression)
                    .schedule_expression_timezone("UTC")
                    .flexible_time_window(window.clone())
                    .action_after_completion(ActionAfterCompletion::Delete)
                    .description(format!("TEAM-rs: end the session of request {request}"))
                    .target(target.clone())
            };
        }
        let created = retry(&self.backoff, CREATE, || async {
            match end_of_session!(self.client.create_schedule()).send().await {
                Ok(_) => Ok(true),
                Err(err) => {
                    let failure = Failure::of(&err);
                    // A schedule of this name exists: replace it below.
                    if failure.is("ConflictException") {
                        Ok(false)
                    } else {
                        Err(failure.into_team_error(CREATE))
                    }
                }
            }
        })
        .await?;
        if !created {
            retry(&self.backoff, UPDATE, || async {
                end_of_session!(self.client.update_schedule())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| Failure::of(&e).into_team_error(UPDATE))
            })
            .await?;
        }
        tracing::info!(request_id = %request, expression = %expression, replaced = !created, "session end scheduled");
        Ok(())
    }

    async fn cancel_end(&self, request: &RequestId) -> TeamResult<()> {
        const OP: &str = "DeleteSchedule";
        let existed = retry(&self.backoff, OP, || async {
            unless_not_found(
                self.client
                    .delete_schedule()
                    .name(request.as_str())
                    .group_name(&self.config.group_name)
                    .send()
                    .await,
                OP,
            )
            .map(|deleted| deleted.is_some())
        })
        .await?;
        tracing::info!(request_id = %request, existed, "session end schedule cancelled");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_expression_is_utc_with_whole_seconds() {
        assert_eq!(
            at_expression(datetime!(2024-05-01 19:30:00 +2)).unwrap(),
            "at(2024-05-01T17:30:00)"
        );
    }

    #[test]
    fn a_fraction_of_a_second_rounds_up_so_sessions_never_end_early() {
        assert_eq!(
            at_expression(datetime!(2024-05-01 23:59:59.25 UTC)).unwrap(),
            "at(2024-05-02T00:00:00)"
        );
    }
}
