//! The notification outbox: what e-mail, SNS and Slack would have carried.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use team_core::TeamResult;
use team_core::ports::{Clock, Notification, Notifier};
use time::OffsetDateTime;

use crate::db::{Db, db_error, from_json, from_ns, to_json, to_ns};

/// A notification as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredNotification {
    /// Position in the outbox (grows with every notification).
    pub id: i64,
    /// When it was sent.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The notification, its request without the workflow's task token.
    pub notification: Notification,
}

/// [`Notifier`] that stores every notification in SQLite and logs it.
pub struct Outbox {
    db: Arc<Db>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox in `db`, stamping notifications with `clock`.
    pub fn new(db: Arc<Db>, clock: Arc<dyn Clock>) -> Outbox {
        Outbox { db, clock }
    }

    /// The latest `limit` notifications, newest first. A database failure is
    /// logged and answers an empty list.
    pub async fn list(&self, limit: usize) -> Vec<StoredNotification> {
        match self.try_list(limit).await {
            Ok(list) => list,
            Err(err) => {
                tracing::error!(error = %err, "cannot read the outbox");
                Vec::new()
            }
        }
    }

    async fn try_list(&self, limit: usize) -> TeamResult<Vec<StoredNotification>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(i64, i64, String)> = self
            .db
            .call(move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT seq, created_ns, body FROM outbox ORDER BY seq DESC LIMIT ?1",
                    )
                    .map_err(db_error)?;
                let rows = statement
                    .query_map([limit], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        rows.into_iter()
            .map(|(id, created, body)| {
                Ok(StoredNotification {
                    id,
                    created_at: from_ns(created)?,
                    notification: from_json("notification", &body)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Notifier for Outbox {
    async fn notify(&self, notification: &Notification) -> TeamResult<()> {
        let mut kept = notification.clone();
        kept.request = kept.request.redacted();
        let body = to_json(&kept)?;
        let created_ns = to_ns(self.clock.now());
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO outbox (created_ns, body) VALUES (?1, ?2)",
                    rusqlite::params![created_ns, body],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await?;
        let recipients: Vec<&str> = notification
            .recipients
            .iter()
            .map(|r| r.username.as_str())
            .collect();
        tracing::info!(
            request_id = %notification.request.id,
            event = ?notification.event,
            subject = %notification.subject,
            recipients = ?recipients,
            channels = ?notification.channels,
            "notification sent to the outbox"
        );
        Ok(())
    }
}
