//! The database file: WAL mode, schema versions, sharing one file.
#![allow(clippy::unwrap_used)]

mod common;

use common::TempDir;
use team_core::TeamError;
use team_local::Db;

#[test]
fn a_database_file_is_in_wal_mode_with_the_current_schema() {
    let dir = TempDir::new("db");
    let db = Db::open(dir.db()).unwrap();
    assert_eq!(db.path(), Some(dir.db().as_path()));
    let version = db.schema_version().unwrap();
    assert!(version >= 1);
    drop(db);
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let stored: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, version);
    // Reopening does not migrate again (it would fail on existing tables).
    drop(conn);
    assert_eq!(
        Db::open(dir.db()).unwrap().schema_version().unwrap(),
        version
    );
}

#[test]
fn a_database_from_a_newer_program_is_refused() {
    let dir = TempDir::new("db-newer");
    drop(Db::open(dir.db()).unwrap());
    let conn = rusqlite::Connection::open(dir.db()).unwrap();
    conn.execute_batch("PRAGMA user_version = 999").unwrap();
    drop(conn);
    match Db::open(dir.db()) {
        Err(TeamError::Internal(message)) => assert!(message.contains("999"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_path_that_cannot_be_a_database_is_an_error() {
    let dir = TempDir::new("db-bad");
    // A directory is not a database file.
    assert!(Db::open(&dir.0).is_err());
}

#[test]
fn an_in_memory_database_has_no_path() {
    let db = Db::in_memory().unwrap();
    assert_eq!(db.path(), None);
    assert!(db.schema_version().unwrap() >= 1);
}
