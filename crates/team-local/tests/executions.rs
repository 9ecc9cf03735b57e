//! Durable workflow executions for the team-asl engine.
#![allow(clippy::unwrap_used)]

mod common;

use common::{T0, TempDir};
use serde_json::json;
use team_asl::{ExecutionRecord, ExecutionStatus, ExecutionStore, Waiting};
use team_local::{Db, SqliteExecutionStore};

fn record(name: &str, status: ExecutionStatus) -> ExecutionRecord {
    ExecutionRecord {
        name: name.into(),
        state_machine: "access-request".into(),
        status,
        input: json!({"requestId": name}),
        start_time: T0,
        stop_time: None,
        timeout_at: None,
        current_state: Some("WaitForDecision".into()),
        state_entered_time: Some(T0),
        state_input: json!({}),
        waiting: Waiting::TaskToken {
            token: format!("token-{name}"),
            deadline: None,
            dispatched: true,
        },
        retry_attempts: vec![1],
        output: None,
        error: None,
        cause: None,
        history: Vec::new(),
    }
}

#[tokio::test]
async fn a_saved_execution_comes_back_and_saving_again_replaces_it() {
    let store = SqliteExecutionStore::new(Db::in_memory().unwrap());
    assert_eq!(store.get("r1").await.unwrap(), None);
    let running = record("r1", ExecutionStatus::Running);
    store.save(&running).await.unwrap();
    assert_eq!(store.get("r1").await.unwrap(), Some(running.clone()));
    let mut done = running;
    done.status = ExecutionStatus::Succeeded;
    done.output = Some(json!({"granted": true}));
    done.stop_time = Some(T0 + time::Duration::minutes(5));
    done.waiting = Waiting::Nothing;
    store.save(&done).await.unwrap();
    assert_eq!(store.get("r1").await.unwrap(), Some(done));
}

async fn unfinished_names(store: &SqliteExecutionStore) -> Vec<String> {
    store
        .unfinished()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[tokio::test]
async fn unfinished_lists_exactly_the_running_executions() {
    let store = SqliteExecutionStore::new(Db::in_memory().unwrap());
    for (name, status) in [
        ("a", ExecutionStatus::Running),
        ("b", ExecutionStatus::Failed),
        ("c", ExecutionStatus::Running),
        ("d", ExecutionStatus::TimedOut),
        ("e", ExecutionStatus::Succeeded),
    ] {
        store.save(&record(name, status)).await.unwrap();
    }
    assert_eq!(unfinished_names(&store).await, vec!["a", "c"]);
    // Finishing one takes it off the list.
    store
        .save(&record("a", ExecutionStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(unfinished_names(&store).await, vec!["c"]);
}

#[tokio::test]
async fn executions_survive_reopening_the_database() {
    let dir = TempDir::new("executions");
    {
        let store = SqliteExecutionStore::new(Db::open(dir.db()).unwrap());
        store
            .save(&record("waiting", ExecutionStatus::Running))
            .await
            .unwrap();
    }
    let store = SqliteExecutionStore::new(Db::open(dir.db()).unwrap());
    let unfinished = store.unfinished().await.unwrap();
    assert_eq!(
        unfinished,
        vec![record("waiting", ExecutionStatus::Running)]
    );
    assert_eq!(unfinished[0].pending_token(), Some("token-waiting"));
}
