//! The SQLite stores pass the store contract suite, in memory and in a file
//! that is reopened.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::TempDir;
use team_contract::fixtures::{Ns, T0, request};
use team_core::TeamError;
use team_core::ports::{PolicyStore, RequestQuery, RequestStore};
use team_local::{Db, SqlitePolicyStore, SqliteRequestStore};

#[tokio::test]
async fn the_sqlite_stores_in_memory_pass_the_whole_contract() {
    let db = Db::in_memory().unwrap();
    let requests = SqliteRequestStore::new(db.clone());
    let policies = SqlitePolicyStore::new(db);
    team_contract::run_all(&requests, &policies).await;
    // And again on the data the first run left behind.
    team_contract::run_request_checks(&requests).await;
    team_contract::run_policy_checks(&policies).await;
}

#[tokio::test]
async fn the_sqlite_stores_in_a_file_pass_the_contract_and_keep_their_data_when_reopened() {
    let dir = TempDir::new("contract");
    let ns = Ns::new("reopen");
    let id = ns.request_id("kept");
    let kept = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    let settings = {
        let db = Db::open(dir.db()).unwrap();
        let requests = SqliteRequestStore::new(db.clone());
        let policies = SqlitePolicyStore::new(db);
        team_contract::run_all(&requests, &policies).await;
        requests.put(&kept, None).await.unwrap();
        policies.settings().await.unwrap()
    };
    let db = Db::open(dir.db()).unwrap();
    let requests = SqliteRequestStore::new(db.clone());
    let policies = SqlitePolicyStore::new(db);
    assert_eq!(requests.get(&id).await.unwrap(), Some(kept.clone()));
    let mine = requests
        .query(&RequestQuery {
            requester: Some(ns.user_id("alice")),
            limit: 10,
            ..RequestQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.items, vec![kept.clone()], "indexes survive too");
    assert_eq!(policies.settings().await.unwrap(), settings);
    assert!(policies.has_settings().await.unwrap());
    // Conditional writes still see the stored version.
    let err = requests.put(&kept, None).await.unwrap_err();
    assert!(matches!(err, TeamError::Conflict(_)), "{err:?}");
    team_contract::run_request_checks(&requests).await;
}

#[tokio::test]
async fn concurrent_updates_with_the_same_version_let_exactly_one_win() {
    let db = Db::in_memory().unwrap();
    let store = Arc::new(SqliteRequestStore::new(db));
    let ns = Ns::new("race");
    let id = ns.request_id("r");
    let original = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    store.put(&original, None).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8u32 {
        let store = store.clone();
        let mut update = original.clone();
        update.version = 2;
        update.duration_minutes = 100 + i;
        tasks.push(tokio::spawn(
            async move { store.put(&update, Some(1)).await },
        ));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(TeamError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one conditional update wins");
    assert_eq!(store.get(&id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn a_fresh_policy_store_has_no_saved_settings() {
    let store = SqlitePolicyStore::new(Db::in_memory().unwrap());
    assert!(!store.has_settings().await.unwrap());
    store
        .put_settings(&team_core::policy::Settings::default())
        .await
        .unwrap();
    assert!(store.has_settings().await.unwrap());
}
