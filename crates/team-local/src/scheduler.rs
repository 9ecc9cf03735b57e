//! Durable one-time timers that end sessions (the local EventBridge Scheduler).
//!
//! `teamd` runs the loop: it asks [`LocalScheduler::due`] for timers whose time
//! has come, starts the revoke workflow for each, then removes them.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::params;
use team_core::TeamResult;
use team_core::ids::RequestId;
use team_core::ports::Scheduler;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::db::{Db, db_error, from_ns, to_ns};

/// [`Scheduler`] keeping one timer per request in SQLite.
#[derive(Debug, Clone)]
pub struct LocalScheduler {
    db: Arc<Db>,
    changed: Arc<Notify>,
}

impl LocalScheduler {
    /// Timers in `db`.
    pub fn new(db: Arc<Db>) -> LocalScheduler {
        LocalScheduler {
            db,
            changed: Arc::new(Notify::new()),
        }
    }

    /// Notified (`notify_one`, so a wake-up is kept until someone waits) whenever
    /// a timer is scheduled or cancelled, so the one loop sleeping until
    /// [`LocalScheduler::next_due`] can look again.
    pub fn changed(&self) -> Arc<Notify> {
        Arc::clone(&self.changed)
    }

    /// Timers due at `now` (their time is at or before it), earliest first.
    /// A database failure is logged and answers an empty list.
    pub async fn due(&self, now: OffsetDateTime) -> Vec<(RequestId, OffsetDateTime)> {
        let now_ns = to_ns(now);
        self.list(
            "SELECT request_id, due_ns FROM timers WHERE due_ns <= ?1 ORDER BY due_ns, request_id",
            Some(now_ns),
        )
        .await
    }

    /// Every timer, earliest first (a database failure answers an empty list).
    pub async fn timers(&self) -> Vec<(RequestId, OffsetDateTime)> {
        self.list(
            "SELECT request_id, due_ns FROM timers ORDER BY due_ns, request_id",
            None,
        )
        .await
    }

    /// When the earliest timer is due; `None` without timers (or on a database failure, logged).
    pub async fn next_due(&self) -> Option<OffsetDateTime> {
        let result = self
            .db
            .call(|conn| {
                conn.query_row("SELECT MIN(due_ns) FROM timers", [], |row| {
                    row.get::<_, Option<i64>>(0)
                })
                .map_err(db_error)
            })
            .await
            .and_then(|ns| ns.map(from_ns).transpose());
        match result {
            Ok(next) => next,
            Err(err) => {
                tracing::error!(error = %err, "cannot read the next timer");
                None
            }
        }
    }

    /// Drops a request's timer (after it fired); a missing timer is fine.
    /// A database failure is logged.
    pub async fn remove(&self, id: &RequestId) {
        if let Err(err) = self.delete(id, None).await {
            tracing::error!(request_id = %id, error = %err, "cannot remove a timer");
        }
    }

    /// Drops a request's timer only if it is still due at `at`: a timer
    /// rescheduled after [`LocalScheduler::due`] answered survives. Answers
    /// whether it dropped one; a database failure is logged and answers `false`.
    pub async fn remove_fired(&self, id: &RequestId, at: OffsetDateTime) -> bool {
        match self.delete(id, Some(to_ns(at))).await {
            Ok(deleted) => deleted,
            Err(err) => {
                tracing::error!(request_id = %id, error = %err, "cannot remove a timer");
                false
            }
        }
    }

    async fn delete(&self, id: &RequestId, at_ns: Option<i64>) -> TeamResult<bool> {
        let key = id.to_string();
        let changed = self
            .db
            .call(move |conn| {
                match at_ns {
                    None => conn.execute("DELETE FROM timers WHERE request_id = ?1", [&key]),
                    Some(at) => conn.execute(
                        "DELETE FROM timers WHERE request_id = ?1 AND due_ns = ?2",
                        params![key, at],
                    ),
                }
                .map_err(db_error)
            })
            .await?;
        Ok(changed > 0)
    }

    async fn list(
        &self,
        sql: &'static str,
        bound: Option<i64>,
    ) -> Vec<(RequestId, OffsetDateTime)> {
        let rows = self
            .db
            .call(move |conn| {
                let mut statement = conn.prepare_cached(sql).map_err(db_error)?;
                let args: Vec<i64> = bound.into_iter().collect();
                let rows = statement
                    .query_map(rusqlite::params_from_iter(args), |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<(String, i64)>, _>>()
                    .map_err(db_error)
            })
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) => {
                tracing::error!(error = %err, "cannot read timers");
                return Vec::new();
            }
        };
        rows.into_iter()
            .filter_map(|(id, ns)| match (RequestId::parse(&id), from_ns(ns)) {
                (Ok(id), Ok(at)) => Some((id, at)),
                _ => {
                    tracing::error!(request_id = %id, due_ns = ns, "skipping a corrupt timer");
                    None
                }
            })
            .collect()
    }
}

#[async_trait]
impl Scheduler for LocalScheduler {
    /// Sets the request's timer, replacing any earlier one.
    async fn schedule_end(&self, request: &RequestId, at: OffsetDateTime) -> TeamResult<()> {
        let key = request.to_string();
        let due_ns = to_ns(at);
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO timers (request_id, due_ns) VALUES (?1, ?2)
                     ON CONFLICT (request_id) DO UPDATE SET due_ns = excluded.due_ns",
                    params![key, due_ns],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await?;
        tracing::info!(request_id = %request, due = %at, "session end scheduled");
        self.changed.notify_one();
        Ok(())
    }

    async fn cancel_end(&self, request: &RequestId) -> TeamResult<()> {
        let deleted = self.delete(request, None).await?;
        tracing::info!(request_id = %request, existed = deleted, "session end timer cancelled");
        self.changed.notify_one();
        Ok(())
    }
}
