//! The one SQLite database of the local twin: connection, pragmas, schema
//! migrations and the conversions every store shares.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};
use team_core::{TeamError, TeamResult};
use time::OffsetDateTime;

/// How long a statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations; `PRAGMA user_version` is the number applied so far.
const MIGRATIONS: &[&str] = &[
    // 1: every table of the local twin.
    r#"
    CREATE TABLE requests (
        id            TEXT PRIMARY KEY,
        version       INTEGER NOT NULL,
        requester_id  TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        status        TEXT NOT NULL,
        start_ns      INTEGER NOT NULL,
        end_ns        INTEGER NOT NULL,
        created_ns    INTEGER NOT NULL,
        body          TEXT NOT NULL
    );
    CREATE INDEX requests_by_created ON requests (created_ns, id);
    CREATE INDEX requests_by_requester ON requests (requester_id, created_ns, id);
    CREATE INDEX requests_by_account ON requests (account_id, created_ns, id);
    CREATE INDEX requests_by_status ON requests (status, created_ns, id);

    CREATE TABLE request_approvers (
        user_id     TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        PRIMARY KEY (user_id, request_id)
    ) WITHOUT ROWID;
    CREATE INDEX request_approvers_by_request ON request_approvers (request_id);

    CREATE TABLE request_deciders (
        user_id     TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        PRIMARY KEY (user_id, request_id)
    ) WITHOUT ROWID;
    CREATE INDEX request_deciders_by_request ON request_deciders (request_id);

    CREATE TABLE request_events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id  TEXT NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE INDEX request_events_by_request ON request_events (request_id, seq);

    CREATE TABLE leases (
        assignment_key  TEXT PRIMARY KEY,
        version         INTEGER NOT NULL,
        body            TEXT NOT NULL
    );

    CREATE TABLE settings (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        body  TEXT NOT NULL
    );

    CREATE TABLE eligibility_policies (
        id              TEXT PRIMARY KEY,
        principal_type  TEXT NOT NULL,
        principal_id    TEXT NOT NULL,
        body            TEXT NOT NULL
    );
    CREATE INDEX eligibility_policies_by_principal
        ON eligibility_policies (principal_type, principal_id);

    CREATE TABLE approver_policies (
        id    TEXT PRIMARY KEY,
        body  TEXT NOT NULL
    );

    CREATE TABLE sim_assignments (
        user_id             TEXT NOT NULL,
        account_id          TEXT NOT NULL,
        permission_set_arn  TEXT NOT NULL,
        PRIMARY KEY (user_id, account_id, permission_set_arn)
    ) WITHOUT ROWID;

    CREATE TABLE sim_operations (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        id                  TEXT NOT NULL UNIQUE,
        deletion            INTEGER NOT NULL,
        user_id             TEXT NOT NULL,
        account_id          TEXT NOT NULL,
        permission_set_arn  TEXT NOT NULL,
        started_ns          INTEGER NOT NULL,
        settles_ns          INTEGER NOT NULL,
        failure             TEXT,
        state               TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'SUCCEEDED', 'FAILED'))
    );
    CREATE INDEX sim_operations_pending ON sim_operations (state, settles_ns);

    CREATE TABLE sim_activity (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ns               INTEGER NOT NULL,
        user_id             TEXT NOT NULL,
        account_id          TEXT NOT NULL,
        permission_set_arn  TEXT NOT NULL,
        event_name          TEXT NOT NULL,
        event_source        TEXT NOT NULL,
        region              TEXT
    );
    CREATE INDEX sim_activity_by_assignment
        ON sim_activity (user_id, account_id, permission_set_arn, at_ns);

    CREATE TABLE timers (
        request_id  TEXT PRIMARY KEY,
        due_ns      INTEGER NOT NULL
    );
    CREATE INDEX timers_by_due ON timers (due_ns);

    CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ns  INTEGER NOT NULL,
        body        TEXT NOT NULL
    );

    CREATE TABLE executions (
        name      TEXT PRIMARY KEY,
        finished  INTEGER NOT NULL,
        body      TEXT NOT NULL
    );
    CREATE INDEX executions_unfinished ON executions (finished);
    "#,
    // 2: owed removals are found by an index, not by reading every lease.
    r#"
    ALTER TABLE leases ADD COLUMN removing INTEGER NOT NULL DEFAULT 0;
    UPDATE leases SET removing = coalesce(json_extract(body, '$.removing'), 0);
    CREATE INDEX leases_owed ON leases (removing) WHERE removing = 1;
    "#,
    // 3: the reconciler's runs.
    r#"
    CREATE TABLE sweeps (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        started_ns  INTEGER NOT NULL,
        body        TEXT NOT NULL
    );
    "#,
];

/// The SQLite database of the local twin: one connection behind a mutex,
/// shared (as `Arc<Db>`) by every store and simulator.
#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl Db {
    /// Opens (creating if needed) the database file at `path`, in WAL mode,
    /// and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> TeamResult<Arc<Db>> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            TeamError::Internal(format!("cannot open the database {}: {e}", path.display()))
        })?;
        let journal: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(db_error)?;
        tracing::debug!(path = %path.display(), journal_mode = %journal, "database opened");
        Db::finish(conn, Some(path.to_path_buf()))
    }

    /// A private database in memory (gone when the last `Arc` is dropped).
    pub fn in_memory() -> TeamResult<Arc<Db>> {
        let conn = Connection::open_in_memory().map_err(db_error)?;
        Db::finish(conn, None)
    }

    fn finish(mut conn: Connection, path: Option<PathBuf>) -> TeamResult<Arc<Db>> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_error)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(db_error)?;
        migrate(&mut conn)?;
        Ok(Arc::new(Db {
            conn: Mutex::new(conn),
            path,
        }))
    }

    /// The database file; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> TeamResult<u32> {
        self.with(|conn| conn.query_row("PRAGMA user_version", [], |row| row.get(0)))
    }

    /// Runs `work` on the connection, on this thread, holding the lock only for it.
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> TeamResult<T> {
        let mut conn = self.lock();
        work(&mut conn).map_err(db_error)
    }

    /// Runs `work` on the connection on Tokio's blocking pool, so an async
    /// caller's thread is not blocked by SQLite; no lock is held across `.await`.
    pub(crate) async fn call<T, F>(self: &Arc<Self>, work: F) -> TeamResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> TeamResult<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = db.lock();
            work(&mut conn)
        })
        .await
        .map_err(|e| TeamError::Internal(format!("database task failed: {e}")))?
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves a usable connection behind (any
        // open transaction was rolled back when it was dropped).
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> TeamResult<()> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(db_error)?;
    let known = MIGRATIONS.len();
    if current as usize > known {
        return Err(TeamError::Internal(format!(
            "the database has schema version {current}, newer than this program knows ({known}); use a newer teamd or another data directory"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index + 1;
        let tx = conn.transaction().map_err(db_error)?;
        tx.execute_batch(sql).map_err(db_error)?;
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))
            .map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        tracing::info!(schema_version = version, "database schema migrated");
    }
    Ok(())
}

/// Maps a SQLite error: a busy or locked database is worth retrying, anything else is internal.
pub(crate) fn db_error(err: rusqlite::Error) -> TeamError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            TeamError::Transient(format!("database busy: {err}"))
        }
        _ => TeamError::Internal(format!("database: {err}")),
    }
}

/// An instant as nanoseconds since the Unix epoch, saturating outside 1677..2262.
pub(crate) fn to_ns(at: OffsetDateTime) -> i64 {
    let ns = at.unix_timestamp_nanos();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

/// The instant stored by [`to_ns`], in UTC.
pub(crate) fn from_ns(ns: i64) -> TeamResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .map_err(|e| TeamError::Internal(format!("stored time {ns} is out of range: {e}")))
}

/// A version as stored (a bijective reinterpretation of the bits, so equality is kept).
pub(crate) fn version_to_sql(version: u64) -> i64 {
    i64::from_ne_bytes(version.to_ne_bytes())
}

/// JSON text of a value.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> TeamResult<String> {
    serde_json::to_string(value).map_err(|e| TeamError::Internal(format!("cannot encode: {e}")))
}

/// A value from its stored JSON text.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> TeamResult<T> {
    serde_json::from_str(text)
        .map_err(|e| TeamError::Internal(format!("stored {what} is corrupt: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_database_gets_the_latest_schema() {
        let db = Db::in_memory().unwrap();
        assert_eq!(db.schema_version().unwrap() as usize, MIGRATIONS.len());
    }

    #[test]
    fn nanoseconds_round_trip() {
        let at = time::macros::datetime!(2026-03-02 09:00:00.123456789 UTC);
        assert_eq!(from_ns(to_ns(at)).unwrap(), at);
    }

    #[test]
    fn versions_keep_equality_beyond_i64() {
        assert_ne!(version_to_sql(u64::MAX), version_to_sql(u64::MAX - 1));
        assert_eq!(version_to_sql(7), 7);
    }
}
