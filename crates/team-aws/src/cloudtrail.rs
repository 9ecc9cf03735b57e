//! [`SessionActivity`] over CloudTrail Lake: what a user did with the granted
//! permission set on the account during the session (and the hour after it,
//! because CloudTrail delivers late and credentials outlive the assignment).
//!
//! moto does not emulate CloudTrail Lake queries, so this adapter is tested with
//! `aws-smithy-mocks` only (plus the pure SQL builder's unit tests).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::QueryStatus;
use team_core::ports::{ActivityEvent, SessionActivity};
use team_core::request::AccessRequest;
use team_core::{TeamError, TeamResult};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::retry::{Backoff, Failure, retry};

/// The id of a CloudTrail Lake event data store, checked so that it can stand in
/// the query's `FROM` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDataStoreId(String);

impl EventDataStoreId {
    /// Takes the id, or the ARN (`arn:aws:cloudtrail:…:eventdatastore/<id>`), of the store.
    pub fn parse(value: &str) -> TeamResult<EventDataStoreId> {
        let id = value.rsplit('/').next().unwrap_or_default();
        if !id.is_empty()
            && id.len() <= 128
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            Ok(EventDataStoreId(id.to_string()))
        } else {
            Err(TeamError::validation(
                "eventDataStore",
                "must be a CloudTrail Lake event data store id or ARN",
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which store to query and how patiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTrailConfig {
    /// The event data store with the organization's management and data events.
    pub event_data_store: EventDataStoreId,
    /// Between two looks at a running query.
    pub poll_interval: Duration,
    /// Looks at a running query before giving up with [`TeamError::Transient`].
    pub max_polls: u32,
}

impl CloudTrailConfig {
    /// Polls every second for up to 25 s, inside API Gateway's 29 s limit.
    pub fn new(event_data_store: EventDataStoreId) -> CloudTrailConfig {
        CloudTrailConfig {
            event_data_store,
            poll_interval: Duration::from_secs(1),
            max_polls: 25,
        }
    }
}

/// Runs one CloudTrail Lake query per call and maps its rows to [`ActivityEvent`]s.
#[derive(Debug, Clone)]
pub struct CloudTrailLakeActivity {
    client: Client,
    config: CloudTrailConfig,
    backoff: Backoff,
}

impl CloudTrailLakeActivity {
    /// Activity from `config.event_data_store`.
    pub fn new(client: Client, config: CloudTrailConfig) -> CloudTrailLakeActivity {
        CloudTrailLakeActivity {
            client,
            config,
            backoff: Backoff::default(),
        }
    }

    /// Replaces the retry policy of each call.
    pub fn with_backoff(mut self, backoff: Backoff) -> CloudTrailLakeActivity {
        self.backoff = backoff;
        self
    }
}

/// A SQL string literal: single quotes doubled, NUL dropped.
fn sql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text matched literally inside a `LIKE` pattern with `ESCAPE '\'`.
fn like_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn sql_time(at: OffsetDateTime) -> TeamResult<String> {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .map_err(|e| TeamError::Internal(format!("cannot format a query time: {e}")))
}

/// The CloudTrail Lake query for a request's session: events in the request's
/// account between its start and one hour after its end, made by the requester
/// either as an identity-enhanced session (`onBehalfOf.userId` is the Identity
/// Store user id) or through the permission set's role
/// (`assumed-role/AWSReservedSSO_<permission set>_<suffix>/<user name>`).
/// Every value is quoted and escaped, validated or not. Pure.
pub fn activity_query(store: &EventDataStoreId, request: &AccessRequest) -> TeamResult<String> {
    let start = sql_time(request.start_time)?;
    let end = sql_time(request.end_time + time::Duration::HOUR)?;
    // Identity Center truncates long permission set names in the role name;
    // the prefix below still matches (the rest of the name is covered by '%').
    let permission_set: String = request.permission_set.name.chars().take(32).collect();
    let role_session = format!(
        "%:assumed-role/AWSReservedSSO\\_{}%/{}",
        like_literal(&permission_set),
        like_literal(&request.requester.username)
    );
    Ok(format!(
        "SELECT eventTime, eventName, eventSource, awsRegion, sourceIPAddress \
         FROM {store} \
         WHERE recipientAccountId = {account} \
         AND eventTime >= {start} AND eventTime <= {end} \
         AND (userIdentity.onBehalfOf.userId = {user} \
         OR userIdentity.arn LIKE {role_session} ESCAPE '\\') \
         ORDER BY eventTime",
        store = store.as_str(),
        account = sql_string(request.account.id.as_str()),
        start = sql_string(&start),
        end = sql_string(&end),
        user = sql_string(request.requester.user_id.as_str()),
        role_session = sql_string(&role_session),
    ))
}

/// CloudTrail Lake's `eventTime` (`2024-05-01 17:30:00.000`, UTC).
fn parse_event_time(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|| {
            OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()
        })
}

/// One result row (a list of one-column maps) as an event; `None` if it has no
/// usable time or name.
fn to_event(row: Vec<HashMap<String, String>>) -> Option<ActivityEvent> {
    let mut columns: HashMap<String, String> = row.into_iter().flatten().collect();
    let at = parse_event_time(columns.get("eventTime")?)?;
    let non_empty = |v: String| (!v.is_empty()).then_some(v);
    Some(ActivityEvent {
        at,
        event_name: columns.remove("eventName").and_then(non_empty)?,
        event_source: columns.remove("eventSource").unwrap_or_default(),
        region: columns.remove("awsRegion").and_then(non_empty),
        source_ip: columns.remove("sourceIPAddress").and_then(non_empty),
    })
}

#[async_trait]
impl SessionActivity for CloudTrailLakeActivity {
    async fn activity(&self, request: &AccessRequest) -> TeamResult<Vec<ActivityEvent>> {
        const START: &str = "StartQuery";
        const RESULTS: &str = "GetQueryResults";
        let sql = activity_query(&self.config.event_data_store, request)?;
        let query_id = retry(&self.backoff, START, || async {
            self.client
                .start_query()
                .query_statement(&sql)
                .send()
                .await
                .map_err(|e| Failure::of(&e).into_team_error(START))
        })
        .await?
        .query_id
        .ok_or_else(|| TeamError::Internal(format!("{START} answered no query id")))?;
        tracing::info!(request_id = %request.id, query_id = %query_id, "CloudTrail Lake query started");

        let mut events = Vec::new();
        let mut next: Option<String> = None;
        let mut polls = 0;
        loop {
            let page = retry(&self.backoff, RESULTS, || async {
                self.client
                    .get_query_results()
                    .query_id(&query_id)
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(|e| Failure::of(&e).into_team_error(RESULTS))
            })
            .await?;
            match page.query_status {
                Some(QueryStatus::Finished) => {
                    let rows = page.query_result_rows.unwrap_or_default();
                    let count = rows.len();
                    let parsed: Vec<ActivityEvent> =
                        rows.into_iter().filter_map(to_event).collect();
                    if parsed.len() < count {
                        tracing::warn!(query_id = %query_id, skipped = count - parsed.len(), "rows without a time or event name skipped");
                    }
                    events.extend(parsed);
                    next = page.next_token.filter(|t| !t.is_empty());
                    if next.is_none() {
                        break;
                    }
                }
                Some(QueryStatus::Queued | QueryStatus::Running) | None => {
                    polls += 1;
                    if polls >= self.config.max_polls {
                        return Err(TeamError::Transient(format!(
                            "CloudTrail Lake query {query_id} still running after {polls} polls"
                        )));
                    }
                    tokio::time::sleep(self.config.poll_interval).await;
                }
                Some(other) => {
                    return Err(TeamError::Internal(format!(
                        "CloudTrail Lake query {query_id} ended {}: {}",
                        other.as_str(),
                        page.error_message.as_deref().unwrap_or("no message")
                    )));
                }
            }
        }
        events.sort_by_key(|e| e.at);
        tracing::info!(request_id = %request.id, query_id = %query_id, events = events.len(), "session activity read");
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use team_core::ids::UserId;
    use time::macros::datetime;

    /// The fixture request, by `username` (with an Identity Center user id) for
    /// the permission set named `permission_set`.
    fn request(username: &str, permission_set: &str) -> AccessRequest {
        let mut request = fixtures::request();
        request.requester.user_id = UserId::parse("90676a1b-1234").unwrap();
        request.requester.username = username.into();
        request.permission_set.name = permission_set.into();
        request
    }

    #[test]
    fn the_query_covers_the_session_and_one_hour_after() {
        let store = EventDataStoreId::parse(
            "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/eds-1234",
        )
        .unwrap();
        let sql = activity_query(&store, &request("alice", "Admin")).unwrap();
        assert!(sql.contains("FROM eds-1234 WHERE"), "{sql}");
        assert!(sql.contains("recipientAccountId = '111122223333'"), "{sql}");
        assert!(
            sql.contains(
                "eventTime >= '2024-05-01 17:30:00' AND eventTime <= '2024-05-01 19:30:00'"
            ),
            "{sql}"
        );
        assert!(
            sql.contains("userIdentity.onBehalfOf.userId = '90676a1b-1234'"),
            "{sql}"
        );
        assert!(
            sql.contains(r"LIKE '%:assumed-role/AWSReservedSSO\_Admin%/alice' ESCAPE '\'"),
            "{sql}"
        );
    }

    #[test]
    fn quotes_and_wildcards_in_names_cannot_escape_the_literal() {
        let store = EventDataStoreId::parse("eds-1").unwrap();
        let sql = activity_query(&store, &request("o'brien%_x' OR '1'='1", "Read_Only")).unwrap();
        assert!(
            sql.contains(r"AWSReservedSSO\_Read\_Only%/o''brien\%\_x'' OR ''1''=''1' ESCAPE"),
            "{sql}"
        );
        // Every quote inside the value is doubled: the number of quotes stays even.
        assert_eq!(sql.matches('\'').count() % 2, 0);
    }

    #[test]
    fn event_data_store_ids_are_checked() {
        assert!(EventDataStoreId::parse("eds; DROP TABLE x").is_err());
        assert!(EventDataStoreId::parse("").is_err());
        assert_eq!(
            EventDataStoreId::parse("abc-123").unwrap().as_str(),
            "abc-123"
        );
    }

    #[test]
    fn rows_become_events() {
        let row = vec![
            HashMap::from([(
                "eventTime".to_string(),
                "2024-05-01 17:45:12.000".to_string(),
            )]),
            HashMap::from([("eventName".to_string(), "TerminateInstances".to_string())]),
            HashMap::from([("eventSource".to_string(), "ec2.amazonaws.com".to_string())]),
            HashMap::from([("awsRegion".to_string(), "eu-west-1".to_string())]),
            HashMap::from([("sourceIPAddress".to_string(), "".to_string())]),
        ];
        let event = to_event(row).unwrap();
        assert_eq!(event.at, datetime!(2024-05-01 17:45:12 UTC));
        assert_eq!(event.event_name, "TerminateInstances");
        assert_eq!(event.region.as_deref(), Some("eu-west-1"));
        assert_eq!(event.source_ip, None);
        assert!(to_event(vec![]).is_none());
    }
}
