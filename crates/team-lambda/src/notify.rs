//! Notifications in AWS: published once, delivered asynchronously.
//!
//! The functions that cause notifications (the API functions and the step functions)
//! do not talk to SES or Slack. Their [`Notifier`] port is a [`TopicNotifier`]: it
//! publishes the notification as JSON (the request without its task token) on the
//! SNS topic `TEAM_TOPIC_ARN`, which is one fast call and needs only `sns:Publish`.
//! `team-notify` is subscribed to that topic and does the slow, failure-prone part:
//! e-mail through SES and Slack messages, with `team_aws::AwsNotifier` (so only
//! `team-notify` may read the Slack token or send e-mail).
//!
//! The topic doubles as the SNS channel: any other subscriber receives the same JSON.
//! Every message carries two attributes, `event` (e.g. `approved`) and `channels`
//! (the channels the settings enabled, e.g. `["email","sns"]`), so a subscriber that
//! should only hear what the SNS channel allows uses the filter policy
//! `{"channels": ["sns"]}`, and `team-notify` sends only on the channels listed.

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_smithy_types::error::display::DisplayErrorContext;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::Value;
use team_core::ports::{Channel, Notification, Notifier};
use team_core::{TeamError, TeamResult};

use crate::steps::StepError;

/// Publishes notifications on the TEAM topic (see the module docs).
#[derive(Debug, Clone)]
pub struct TopicNotifier {
    sns: aws_sdk_sns::Client,
    topic_arn: String,
}

impl TopicNotifier {
    /// Publishes on `topic_arn`.
    pub fn new(sns: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> TopicNotifier {
        TopicNotifier {
            sns,
            topic_arn: topic_arn.into(),
        }
    }
}

/// The message published for `notification`: its JSON, without the task token.
pub fn topic_message(notification: &Notification) -> TeamResult<String> {
    let mut body = notification.clone();
    body.request = body.request.redacted();
    serde_json::to_string(&body)
        .map_err(|e| TeamError::Internal(format!("notification not serializable: {e}")))
}

fn channel_names(channels: &[Channel]) -> Vec<&'static str> {
    channels
        .iter()
        .map(|c| match c {
            Channel::Email => "email",
            Channel::Sns => "sns",
            Channel::Slack => "slack",
        })
        .collect()
}

fn string_attribute(data_type: &str, value: String) -> TeamResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| TeamError::Internal(format!("SNS message attribute: {e}")))
}

#[async_trait]
impl Notifier for TopicNotifier {
    async fn notify(&self, notification: &Notification) -> TeamResult<()> {
        let message = topic_message(notification)?;
        let event = serde_json::to_value(notification.event)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let channels = serde_json::to_string(&channel_names(&notification.channels))
            .map_err(|e| TeamError::Internal(format!("channels not serializable: {e}")))?;
        // SNS subjects: at most 100 characters, no control characters.
        let subject: String = notification
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(100)
            .collect();
        self.sns
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .message_attributes("event", string_attribute("String", event.clone())?)
            .message_attributes("channels", string_attribute("String.Array", channels)?)
            .send()
            .await
            // The service logs and carries on: a lost notification never fails a step.
            .map_err(|e| {
                TeamError::Transient(format!("SNS Publish: {}", DisplayErrorContext(&e)))
            })?;
        tracing::info!(request_id = %notification.request.id, event, "notification published");
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct SnsEvent {
    #[serde(rename = "Records")]
    records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsMessage,
}

#[derive(Debug, Deserialize)]
struct SnsMessage {
    #[serde(rename = "MessageId", default)]
    message_id: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The notifications in one `team-notify` event: an SNS event from the topic, or a
/// bare notification (an asynchronous invocation, e.g. a manual resend). A message
/// that is not a notification is logged and skipped: retrying cannot fix it.
pub fn notifications_of(event: Value) -> Vec<Notification> {
    if event.get("Records").is_some() {
        let records = match serde_json::from_value::<SnsEvent>(event) {
            Ok(e) => e.records,
            Err(err) => {
                tracing::error!(error = %err, "not an SNS event; skipped");
                return Vec::new();
            }
        };
        records
            .into_iter()
            .filter_map(
                |r| match serde_json::from_str::<Notification>(&r.sns.message) {
                    Ok(n) => Some(n),
                    Err(err) => {
                        tracing::error!(message_id = %r.sns.message_id, error = %err, "SNS message is not a notification; skipped");
                        None
                    }
                },
            )
            .collect()
    } else {
        match serde_json::from_value::<Notification>(event) {
            Ok(n) => vec![n],
            Err(err) => {
                tracing::error!(error = %err, "event is not a notification; skipped");
                Vec::new()
            }
        }
    }
}

/// Delivers one notification on e-mail and Slack: the topic already carried it, so
/// the SNS channel is done.
pub async fn deliver(notifier: &dyn Notifier, mut notification: Notification) {
    notification.channels.retain(|c| *c != Channel::Sns);
    if notification.channels.is_empty() {
        return;
    }
    if let Err(err) = notifier.notify(&notification).await {
        tracing::warn!(request_id = %notification.request.id, error = %err, "notification not delivered");
    }
}

/// Serves `team-notify` until the runtime stops.
pub async fn serve_notify(
    notifier: std::sync::Arc<dyn Notifier>,
) -> Result<(), lambda_runtime::Error> {
    tracing::info!("serving notifications");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let notifier = notifier.clone();
        async move {
            for notification in notifications_of(event.payload) {
                deliver(notifier.as_ref(), notification).await;
            }
            Ok::<Value, StepError>(Value::Null)
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    fn notification() -> Notification {
        // The shape team-core serializes; built from JSON so the test follows the type.
        let request = json!({
            "id": "0b9f3d1e-5b8a-4c56-9f1e-2d3c4b5a6978",
            "requester": { "userId": "u-alice", "username": "alice", "email": "alice@example.com" },
            "account": { "id": "111122223333", "name": "workload" },
            "permissionSet": { "arn": "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef", "name": "Admin" },
            "startTime": "2026-01-01T10:00:00Z",
            "endTime": "2026-01-01T11:00:00Z",
            "durationMinutes": 60,
            "justification": "deploy",
            "status": "approved",
            "approvers": [],
            "approvalRequired": true,
            "approvalsRequired": 1,
            "decisions": [],
            "createdAt": "2026-01-01T09:00:00Z",
            "updatedAt": "2026-01-01T09:00:00Z",
            "version": 1,
            "taskToken": "SECRET-TASK-TOKEN"
        });
        let request = serde_json::from_value(request);
        Notification {
            request: request.unwrap(),
            event: team_core::request::EventKind::Approved,
            recipients: vec![],
            channels: vec![Channel::Email, Channel::Sns, Channel::Slack],
            subject: "TEAM: approved".into(),
        }
    }

    #[test]
    fn the_published_message_has_no_task_token() {
        let n = notification();
        assert!(n.request.task_token.is_some());
        let message = topic_message(&n).unwrap();
        assert!(!message.contains("SECRET-TASK-TOKEN"));
        let back: Notification = serde_json::from_str(&message).unwrap();
        assert_eq!(back.request.id, n.request.id);
        assert_eq!(back.channels, n.channels);
    }

    #[test]
    fn sns_events_and_bare_notifications_are_read_and_junk_skipped() {
        let message = topic_message(&notification()).unwrap();
        let event = json!({ "Records": [
            { "EventSource": "aws:sns", "Sns": { "MessageId": "m-1", "Message": message } },
            { "EventSource": "aws:sns", "Sns": { "MessageId": "m-2", "Message": "hello" } }
        ]});
        assert_eq!(notifications_of(event).len(), 1);
        let bare = serde_json::to_value(notification()).unwrap();
        assert_eq!(notifications_of(bare).len(), 1);
        assert!(notifications_of(json!({ "hello": 1 })).is_empty());
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Vec<Channel>>>);

    #[async_trait]
    impl Notifier for Recorder {
        async fn notify(&self, n: &Notification) -> TeamResult<()> {
            self.0.lock().unwrap().push(n.channels.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn delivery_skips_the_sns_channel_the_topic_already_served() {
        let recorder = Recorder::default();
        deliver(&recorder, notification()).await;
        let mut sns_only = notification();
        sns_only.channels = vec![Channel::Sns];
        deliver(&recorder, sns_only).await;
        assert_eq!(
            *recorder.0.lock().unwrap(),
            vec![vec![Channel::Email, Channel::Slack]]
        );
    }
}
