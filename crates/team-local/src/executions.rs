//! Durable workflow executions for `team-asl`'s engine.

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};
use team_asl::{ExecutionRecord, ExecutionStore, StoreError};

use crate::db::{Db, db_error};

/// [`ExecutionStore`] in SQLite: one row per execution name.
#[derive(Debug, Clone)]
pub struct SqliteExecutionStore {
    db: Arc<Db>,
}

impl SqliteExecutionStore {
    /// Executions in `db`.
    pub fn new(db: Arc<Db>) -> SqliteExecutionStore {
        SqliteExecutionStore { db }
    }
}

fn corrupt(err: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        message: err.to_string(),
    }
}

fn decode(body: &str) -> Result<ExecutionRecord, StoreError> {
    serde_json::from_str(body).map_err(corrupt)
}

#[async_trait::async_trait]
impl ExecutionStore for SqliteExecutionStore {
    async fn save(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        let body = serde_json::to_string(record).map_err(corrupt)?;
        let name = record.name.clone();
        let finished = record.status.is_finished();
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO executions (name, finished, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET finished = excluded.finished, body = excluded.body",
                    params![name, finished, body],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await
            .map_err(StoreError::backend)
    }

    async fn get(&self, name: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let name = name.to_string();
        let body: Option<String> = self
            .db
            .call(move |conn| {
                conn.query_row(
                    "SELECT body FROM executions WHERE name = ?1",
                    [&name],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db_error)
            })
            .await
            .map_err(StoreError::backend)?;
        body.as_deref().map(decode).transpose()
    }

    async fn unfinished(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        let bodies: Vec<String> = self
            .db
            .call(|conn| {
                let mut statement = conn
                    .prepare_cached("SELECT body FROM executions WHERE finished = 0 ORDER BY name")
                    .map_err(db_error)?;
                let rows = statement
                    .query_map([], |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await
            .map_err(StoreError::backend)?;
        bodies.iter().map(|b| decode(b)).collect()
    }
}
