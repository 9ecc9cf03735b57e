//! The reconciler's runs in SQLite.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::params;
use team_core::TeamResult;
use team_core::ports::SweepLog;
use team_core::sweep::SweepRun;

use crate::db::{Db, db_error, from_json, to_json, to_ns};

/// Runs kept; older ones are dropped as new ones come (a sweep a minute keeps a week).
pub const KEPT_SWEEPS: i64 = 10_000;

/// [`SweepLog`] on the shared SQLite [`Db`].
#[derive(Debug, Clone)]
pub struct SqliteSweepLog {
    db: Arc<Db>,
}

impl SqliteSweepLog {
    /// Runs in `db`.
    pub fn new(db: Arc<Db>) -> SqliteSweepLog {
        SqliteSweepLog { db }
    }
}

#[async_trait]
impl SweepLog for SqliteSweepLog {
    async fn record(&self, run: &SweepRun) -> TeamResult<()> {
        let body = to_json(run)?;
        let started = to_ns(run.started_at);
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO sweeps (started_ns, body) VALUES (?1, ?2)",
                    params![started, body],
                )
                .map_err(db_error)?;
                conn.execute(
                    "DELETE FROM sweeps WHERE seq <= (SELECT MAX(seq) FROM sweeps) - ?1",
                    [KEPT_SWEEPS],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await
    }

    async fn recent(&self, limit: usize) -> TeamResult<Vec<SweepRun>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let bodies: Vec<String> = self
            .db
            .call(move |conn| {
                let mut statement = conn
                    .prepare_cached("SELECT body FROM sweeps ORDER BY seq DESC LIMIT ?1")
                    .map_err(db_error)?;
                let rows = statement
                    .query_map([limit], |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        bodies.iter().map(|b| from_json("sweep", b)).collect()
    }
}
