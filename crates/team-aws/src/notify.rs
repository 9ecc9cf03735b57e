//! [`Notifier`] fan-out: e-mail through SES v2, the notification as JSON on an
//! SNS topic, and Slack messages through `chat.postMessage`.
//!
//! A send that fails is logged and dropped: notifications never fail the
//! workflow step or API call that caused them (the audit trail has the event).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::Value;
use team_core::TeamError;
use team_core::TeamResult;
use team_core::ports::{Channel, Notification, Notifier};
use team_core::request::{AccessRequest, EventKind, UserRef};
use time::OffsetDateTime;
use time::macros::format_description;
use tokio::sync::OnceCell;

use crate::retry::Failure;

/// Slack's Web API.
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// Where notifications go. A channel that settings enable but that is not
/// configured here is skipped with a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierConfig {
    /// The web UI's base URL, without a trailing `/`; links are `{web_url}/requests/{id}`.
    pub web_url: String,
    /// SES: the verified sender address (`TEAM <team@example.com>`); `None` disables e-mail.
    pub email_from: Option<String>,
    /// SNS: the topic the notification JSON is published to; `None` disables SNS.
    pub sns_topic_arn: Option<String>,
    /// Slack; `None` disables it.
    pub slack: Option<SlackConfig>,
}

/// Slack settings. The bot token lives in Secrets Manager only: it is read once,
/// kept in memory, and never stored in a table or logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackConfig {
    /// The secret holding the bot token (`xoxb-…`), as plain text or as JSON `{"token": "…"}`.
    pub token_secret_id: String,
    /// Also post every notification to this channel id; recipients get direct
    /// messages (looked up by e-mail, as TEAM does) either way.
    pub channel: Option<String>,
    /// The Web API base URL, [`SLACK_API_URL`] unless testing.
    pub api_url: String,
}

impl SlackConfig {
    /// Slack with the token in `token_secret_id`, direct messages only.
    pub fn new(token_secret_id: impl Into<String>) -> SlackConfig {
        SlackConfig {
            token_secret_id: token_secret_id.into(),
            channel: None,
            api_url: SLACK_API_URL.into(),
        }
    }
}

/// The bot token; its `Debug` does not show it.
struct SlackToken(String);

impl fmt::Debug for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlackToken(redacted)")
    }
}

/// Why a Slack call failed (never contains the token).
#[derive(Debug, thiserror::Error)]
enum SlackError {
    #[error("reading the Slack token: {0}")]
    Token(String),
    #[error("Slack HTTP call failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Slack answered {0}")]
    Api(String),
}

/// Sends notifications by e-mail, SNS and Slack.
pub struct AwsNotifier {
    config: NotifierConfig,
    ses: aws_sdk_sesv2::Client,
    sns: aws_sdk_sns::Client,
    secrets: aws_sdk_secretsmanager::Client,
    http: reqwest::Client,
    slack_token: OnceCell<SlackToken>,
}

impl fmt::Debug for AwsNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsNotifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AwsNotifier {
    /// A notifier sending through these clients as `config` says. Fails only if
    /// the HTTP client for Slack cannot be built (no TLS roots).
    pub fn new(
        config: NotifierConfig,
        ses: aws_sdk_sesv2::Client,
        sns: aws_sdk_sns::Client,
        secrets: aws_sdk_secretsmanager::Client,
    ) -> TeamResult<AwsNotifier> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TeamError::Internal(format!("HTTP client for Slack: {e}")))?;
        Ok(AwsNotifier {
            config,
            ses,
            sns,
            secrets,
            http,
            slack_token: OnceCell::new(),
        })
    }

    async fn send_email(&self, notification: &Notification, from: &str) -> TeamResult<()> {
        const OP: &str = "SendEmail";
        let rendered = render(notification, &self.config.web_url);
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| TeamError::Internal(format!("{OP}: {e}")))
        };
        let message = Message::builder()
            .subject(content(&rendered.subject)?)
            .body(
                Body::builder()
                    .text(content(&rendered.text)?)
                    .html(content(&rendered.html)?)
                    .build(),
            )
            .build();
        let mut failed = 0;
        // One e-mail per recipient, so nobody sees the others' addresses.
        for recipient in &notification.recipients {
            let Some(address) = recipient.email.as_deref() else {
                tracing::info!(request_id = %notification.request.id, user = %recipient.username, "no e-mail address; skipped");
                continue;
            };
            let sent = self
                .ses
                .send_email()
                .from_email_address(from)
                .destination(Destination::builder().to_addresses(address).build())
                .content(EmailContent::builder().simple(message.clone()).build())
                .send()
                .await;
            if let Err(err) = sent {
                failed += 1;
                let err = Failure::of(&err).into_team_error(OP);
                tracing::warn!(request_id = %notification.request.id, user = %recipient.username, error = %err, "e-mail not sent");
            }
        }
        if failed > 0 {
            return Err(TeamError::Internal(format!("{failed} e-mail(s) not sent")));
        }
        Ok(())
    }

    async fn publish_sns(&self, notification: &Notification, topic: &str) -> TeamResult<()> {
        const OP: &str = "Publish";
        let mut body = notification.clone();
        body.request = body.request.redacted();
        let message =
            serde_json::to_string(&body).map_err(|e| TeamError::Internal(format!("{OP}: {e}")))?;
        let event = event_name(notification.event);
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&event)
            .build()
            .map_err(|e| TeamError::Internal(format!("{OP}: {e}")))?;
        self.sns
            .publish()
            .topic_arn(topic)
            .subject(sns_subject(&notification.subject))
            .message(message)
            .message_attributes("event", attribute)
            .send()
            .await
            .map_err(|e| Failure::of(&e).into_team_error(OP))?;
        Ok(())
    }

    async fn token(&self, slack: &SlackConfig) -> Result<&SlackToken, SlackError> {
        self.slack_token
            .get_or_try_init(|| async {
                let output = self
                    .secrets
                    .get_secret_value()
                    .secret_id(&slack.token_secret_id)
                    .send()
                    .await
                    .map_err(|e| {
                        SlackError::Token(
                            Failure::of(&e)
                                .into_team_error("GetSecretValue")
                                .to_string(),
                        )
                    })?;
                let secret = output
                    .secret_string
                    .ok_or_else(|| SlackError::Token("the secret has no string value".into()))?;
                parse_token(&secret)
                    .map(SlackToken)
                    .ok_or_else(|| SlackError::Token("the secret holds no token".into()))
            })
            .await
    }

    async fn slack_call(
        &self,
        slack: &SlackConfig,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SlackError> {
        let token = self.token(slack).await?;
        let answer: Value = request
            .bearer_auth(&token.0)
            .send()
            .await
            .map_err(reqwest::Error::without_url)?
            .error_for_status()
            .map_err(reqwest::Error::without_url)?
            .json()
            .await
            .map_err(reqwest::Error::without_url)?;
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(answer)
        } else {
            let code = answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("an unknown error");
            Err(SlackError::Api(code.to_string()))
        }
    }

    async fn post_slack(
        &self,
        slack: &SlackConfig,
        channel: &str,
        text: &str,
    ) -> Result<(), SlackError> {
        let url = format!("{}/chat.postMessage", slack.api_url);
        let body = serde_json::json!({ "channel": channel, "text": text, "unfurl_links": false });
        self.slack_call(slack, self.http.post(url).json(&body))
            .await?;
        Ok(())
    }

    async fn send_slack(&self, notification: &Notification, slack: &SlackConfig) -> TeamResult<()> {
        let text = slack_text(notification, &self.config.web_url);
        let mut failed = 0;
        if let Some(channel) = &slack.channel
            && let Err(err) = self.post_slack(slack, channel, &text).await
        {
            failed += 1;
            tracing::warn!(request_id = %notification.request.id, slack_channel = %channel, error = %err, "Slack message not sent");
        }
        for recipient in &notification.recipients {
            let Some(email) = recipient.email.as_deref() else {
                continue;
            };
            let sent = async {
                let url = reqwest::Url::parse_with_params(
                    &format!("{}/users.lookupByEmail", slack.api_url),
                    &[("email", email)],
                )
                .map_err(|e| SlackError::Api(format!("bad Slack URL: {e}")))?;
                let answer = self.slack_call(slack, self.http.get(url)).await?;
                let user = answer
                    .pointer("/user/id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| SlackError::Api("no user id".into()))?
                    .to_string();
                self.post_slack(slack, &user, &text).await
            }
            .await;
            if let Err(err) = sent {
                failed += 1;
                tracing::warn!(request_id = %notification.request.id, user = %recipient.username, error = %err, "Slack message not sent");
            }
        }
        if failed > 0 {
            return Err(TeamError::Internal(format!(
                "{failed} Slack message(s) not sent"
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl Notifier for AwsNotifier {
    /// Sends on every channel the notification names; each failure is logged
    /// and the answer is always `Ok`.
    async fn notify(&self, notification: &Notification) -> TeamResult<()> {
        let request_id = &notification.request.id;
        for channel in &notification.channels {
            let result = match channel {
                Channel::Email => match &self.config.email_from {
                    Some(from) => self.send_email(notification, from).await,
                    None => Err(TeamError::Internal("no sender address configured".into())),
                },
                Channel::Sns => match &self.config.sns_topic_arn {
                    Some(topic) => self.publish_sns(notification, topic).await,
                    None => Err(TeamError::Internal("no SNS topic configured".into())),
                },
                Channel::Slack => match &self.config.slack {
                    Some(slack) => self.send_slack(notification, slack).await,
                    None => Err(TeamError::Internal("Slack is not configured".into())),
                },
            };
            match result {
                Ok(()) => {
                    tracing::info!(request_id = %request_id, channel = ?channel, event = ?notification.event, "notification sent")
                }
                Err(err) => {
                    tracing::warn!(request_id = %request_id, channel = ?channel, event = ?notification.event, error = %err, "notification not sent")
                }
            }
        }
        Ok(())
    }
}

/// The token from the secret: the plain string, or the `token` (or `botToken`)
/// field of a JSON object.
fn parse_token(secret: &str) -> Option<String> {
    let secret = secret.trim();
    if secret.starts_with('{') {
        let value: Value = serde_json::from_str(secret).ok()?;
        ["token", "botToken", "slackToken"]
            .iter()
            .find_map(|k| value.get(k).and_then(Value::as_str))
            .map(str::to_string)
            .filter(|t| !t.is_empty())
    } else if secret.is_empty() {
        None
    } else {
        Some(secret.to_string())
    }
}

/// An SNS subject: at most 100 characters, no line breaks.
fn sns_subject(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(100)
        .collect()
}

fn event_name(event: EventKind) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{event:?}"))
}

/// A notification rendered for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (every value escaped).
    pub html: String,
}

/// The link to a request in the web UI.
pub fn request_link(web_url: &str, request: &AccessRequest) -> String {
    format!("{}/requests/{}", web_url.trim_end_matches('/'), request.id)
}

fn when(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| at.to_string())
}

fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn who(user: &UserRef) -> &str {
    &user.username
}

/// The sentence saying what happened, per event kind.
fn headline(notification: &Notification) -> String {
    let r = &notification.request;
    let access = format!(
        "{} on {} ({})",
        r.permission_set.name, r.account.name, r.account.id
    );
    let last_comment = r
        .decisions
        .last()
        .and_then(|d| d.comment.as_ref())
        .map(|c| format!(" Comment: {c}"))
        .unwrap_or_default();
    match notification.event {
        EventKind::Submitted => format!(
            "{} asks for {access} for {}, starting {}. Please review the request.",
            who(&r.requester),
            duration(r.duration_minutes),
            when(r.start_time)
        ),
        EventKind::ApprovalRecorded => format!(
            "An approval of {}'s request for {access} was recorded; more approvals are needed.",
            who(&r.requester)
        ),
        EventKind::Approved => format!(
            "{}'s request for {access} was approved.{last_comment}",
            who(&r.requester)
        ),
        EventKind::Rejected => format!(
            "{}'s request for {access} was rejected.{last_comment}",
            who(&r.requester)
        ),
        EventKind::Cancelled => {
            format!("{} cancelled the request for {access}.", who(&r.requester))
        }
        EventKind::Expired => format!(
            "{}'s request for {access} expired: no approver decided in time.",
            who(&r.requester)
        ),
        EventKind::Scheduled => format!(
            "{}'s access to {access} is scheduled to start at {}.",
            who(&r.requester),
            when(r.start_time)
        ),
        EventKind::Granted => format!(
            "{} can now use {access} until {}.",
            who(&r.requester),
            when(r.end_time)
        ),
        EventKind::Ended => format!("{}'s session with {access} ended.", who(&r.requester)),
        EventKind::Revoked => {
            let by = r
                .closed
                .as_ref()
                .and_then(|c| c.by.as_ref())
                .map(|u| format!(" by {}", u.username))
                .unwrap_or_default();
            format!(
                "{}'s access to {access} was revoked{by}.",
                who(&r.requester)
            )
        }
        EventKind::Error => format!(
            "{}'s request for {access} failed: {}",
            who(&r.requester),
            r.error_reason.as_deref().unwrap_or("no reason recorded")
        ),
        EventKind::RemovalFailed => format!(
            "ACTION NEEDED: {}'s access to {access} could not be removed and still exists. TEAM-rs keeps retrying; check the account assignment in IAM Identity Center. Reason: {}",
            who(&r.requester),
            r.error_reason.as_deref().unwrap_or("no reason recorded")
        ),
        EventKind::AccessRemoved
        | EventKind::AccessKept
        | EventKind::Swept
        | EventKind::Notified => format!(
            "{}'s request for {access} is now {}.",
            who(&r.requester),
            r.status
        ),
    }
}

/// The request's facts, as (label, value) lines.
fn facts(request: &AccessRequest) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        ("Requester", request.requester.username.clone()),
        (
            "Account",
            format!("{} ({})", request.account.name, request.account.id),
        ),
        ("Permission set", request.permission_set.name.clone()),
        ("Start", when(request.start_time)),
        ("Duration", duration(request.duration_minutes)),
        ("Justification", request.justification.to_string()),
    ];
    if let Some(ticket) = &request.ticket_no {
        lines.push(("Ticket", ticket.to_string()));
    }
    lines.push(("Status", request.status.to_string()));
    lines
}

/// Renders a notification as e-mail: subject, text and HTML, both bodies with
/// the link to the request (approvers open it to decide). Pure.
pub fn render(notification: &Notification, web_url: &str) -> Rendered {
    let request = &notification.request;
    let headline = headline(notification);
    let link = request_link(web_url, request);
    let facts = facts(request);
    let mut text = format!("{headline}\n\n");
    for (label, value) in &facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\nOpen the request: {link}\n"));
    let mut html = format!("<html><body><p>{}</p><table>", escape_html(&headline));
    for (label, value) in &facts {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(label),
            escape_html(value)
        ));
    }
    html.push_str(&format!(
        "</table><p><a href=\"{0}\">Open the request</a></p></body></html>",
        escape_html(&link)
    ));
    Rendered {
        subject: notification.subject.clone(),
        text,
        html,
    }
}

/// The Slack message (mrkdwn): subject in bold, what happened, the link. Pure.
pub fn slack_text(notification: &Notification, web_url: &str) -> String {
    let link = request_link(web_url, &notification.request);
    format!(
        "*{}*\n{}\n<{}|Open the request>",
        escape_slack(&notification.subject),
        escape_slack(&headline(notification)),
        escape_slack(&link)
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use team_core::ids::{Justification, TicketNo};
    use team_core::request::Status;

    /// The fixture notification by e-mail, for 90 minutes with a ticket, justified by
    /// `justification`.
    fn notification(event: EventKind, justification: &str) -> Notification {
        let mut notification = fixtures::notification(event, vec![Channel::Email]);
        let request = &mut notification.request;
        request.duration_minutes = 90;
        request.end_time = request.start_time + time::Duration::minutes(90);
        request.justification = Justification::parse(justification).unwrap();
        request.ticket_no = Some(TicketNo::parse("INC-42").unwrap());
        notification
    }

    #[test]
    fn an_approver_email_links_to_the_request() {
        let rendered = render(
            &notification(EventKind::Submitted, "fix the deploy"),
            "https://team.example.com/",
        );
        assert_eq!(rendered.subject, "TEAM: alice for Admin on prod is pending");
        assert!(
            rendered
                .text
                .contains("https://team.example.com/requests/req-1"),
            "{}",
            rendered.text
        );
        assert!(
            rendered
                .html
                .contains("href=\"https://team.example.com/requests/req-1\""),
            "{}",
            rendered.html
        );
        assert!(rendered.text.contains("alice asks for Admin on prod (111122223333) for 1 h 30 min, starting 2024-05-01 17:30 UTC"), "{}", rendered.text);
        assert!(rendered.text.contains("Ticket: INC-42"));
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let rendered = render(
            &notification(EventKind::Submitted, "<script>alert('x')</script> & more"),
            "https://team.example.com",
        );
        assert!(!rendered.html.contains("<script>"));
        assert!(
            rendered
                .html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
        );
        // The text body is for people, as written.
        assert!(rendered.text.contains("<script>alert('x')</script> & more"));
    }

    #[test]
    fn a_failure_notification_says_why() {
        let mut n = notification(EventKind::Error, "fix it");
        n.request.status = Status::Error;
        n.request.error_reason =
            Some("TeamProvisioningError: permission set not provisioned".into());
        let rendered = render(&n, "https://team.example.com");
        assert!(
            rendered
                .text
                .contains("failed: TeamProvisioningError: permission set not provisioned"),
            "{}",
            rendered.text
        );
    }

    #[test]
    fn slack_text_escapes_and_links() {
        let text = slack_text(
            &notification(EventKind::Granted, "a <b> & c"),
            "https://t.example",
        );
        assert!(text.starts_with("*TEAM: alice for Admin on prod is pending*\n"));
        assert!(
            text.contains(
                "alice can now use Admin on prod (111122223333) until 2024-05-01 19:00 UTC."
            ),
            "{text}"
        );
        assert!(
            text.ends_with("<https://t.example/requests/req-1|Open the request>"),
            "{text}"
        );
    }

    #[test]
    fn every_event_kind_has_its_own_sentence() {
        let kinds = [
            EventKind::Submitted,
            EventKind::ApprovalRecorded,
            EventKind::Approved,
            EventKind::Rejected,
            EventKind::Cancelled,
            EventKind::Expired,
            EventKind::Scheduled,
            EventKind::Granted,
            EventKind::Ended,
            EventKind::Revoked,
            EventKind::Error,
        ];
        let sentences: std::collections::BTreeSet<String> = kinds
            .iter()
            .map(|k| headline(&notification(*k, "why")))
            .collect();
        assert_eq!(sentences.len(), kinds.len());
    }

    #[test]
    fn the_token_may_be_plain_or_json() {
        assert_eq!(parse_token(" xoxb-1 \n").as_deref(), Some("xoxb-1"));
        assert_eq!(
            parse_token(r#"{"token":"xoxb-2"}"#).as_deref(),
            Some("xoxb-2")
        );
        assert_eq!(parse_token(r#"{"other":"x"}"#), None);
        assert_eq!(parse_token(""), None);
        assert_eq!(
            format!("{:?}", SlackToken("xoxb-secret".into())),
            "SlackToken(redacted)"
        );
    }

    #[test]
    fn sns_subjects_are_one_short_line() {
        assert_eq!(sns_subject("a\nb"), "a b");
        assert_eq!(sns_subject(&"x".repeat(150)).len(), 100);
    }
}
