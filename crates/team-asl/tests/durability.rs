//! Persistence, restart, name uniqueness and concurrency.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use common::{FakeClock, FakeDispatcher, Harness, Reply, machine};
use serde_json::{Value, json};
use team_asl::{
    Engine, EngineError, ExecutionRecord, ExecutionStatus, ExecutionStore, MemoryExecutionStore,
    StoreError, Waiting,
};

fn wait_machine() -> Value {
    json!({
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 60, "Next": "Revoke"},
            "Revoke": {"Type": "Task", "Resource": "revoke", "End": true}
        }
    })
}

fn token_machine() -> Value {
    json!({
        "StartAt": "Approval",
        "States": {
            "Approval": {
                "Type": "Task", "Resource": "notify.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token"},
                "ResultPath": "$.decision",
                "End": true
            }
        }
    })
}

fn engine_over(
    store: Arc<MemoryExecutionStore>,
    clock: &FakeClock,
    dispatcher: Arc<FakeDispatcher>,
) -> Engine {
    let mut engine = Engine::new(dispatcher, store, clock.as_fn());
    engine.register("waiting", machine(wait_machine()));
    engine.register("approval", machine(token_machine()));
    engine
}

#[tokio::test]
async fn restart_resumes_a_pending_wait_and_a_pending_token() {
    let store = Arc::new(MemoryExecutionStore::new());
    let clock = FakeClock::new();
    let first_dispatcher = FakeDispatcher::new();
    let token = {
        let engine = engine_over(store.clone(), &clock, first_dispatcher.clone());
        engine
            .start_execution("waiting", "w", json!({"a": 1}))
            .await
            .unwrap();
        engine
            .start_execution("approval", "t", json!({"b": 2}))
            .await
            .unwrap();
        engine.drain().await.unwrap();
        first_dispatcher.last_token()
        // The engine is dropped here: the process "dies".
    };

    let dispatcher = FakeDispatcher::new();
    let engine = engine_over(store.clone(), &clock, dispatcher.clone());
    assert!(
        matches!(
            engine.send_task_success(&token, json!({})).await,
            Err(EngineError::InvalidToken)
        ),
        "tokens are only known after recover()"
    );
    assert_eq!(engine.recover().await.unwrap(), 2);
    assert_eq!(engine.recover().await.unwrap(), 0, "recover is idempotent");
    assert_eq!(engine.drain().await.unwrap(), 0, "nothing is due yet");

    engine
        .send_task_success(&token, json!("yes"))
        .await
        .unwrap();
    clock.advance(60);
    engine.drain().await.unwrap();

    let t = engine.describe("t").await.unwrap().unwrap();
    assert_eq!(t.status, ExecutionStatus::Succeeded);
    assert_eq!(t.output, Some(json!({"b": 2, "decision": "yes"})));
    let w = engine.describe("w").await.unwrap().unwrap();
    assert_eq!(w.status, ExecutionStatus::Succeeded);
    assert_eq!(
        dispatcher.calls(),
        vec![("revoke".to_owned(), json!({"a": 1}))]
    );
    assert!(store.unfinished().await.unwrap().is_empty());
}

async fn wait_for_calls(dispatcher: &FakeDispatcher, count: usize) {
    for _ in 0..200 {
        if dispatcher.call_count() >= count {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!("dispatcher was not called {count} time(s)");
}

#[tokio::test]
async fn a_task_interrupted_by_a_crash_is_invoked_again_after_recovery() {
    let store = Arc::new(MemoryExecutionStore::new());
    let clock = FakeClock::new();
    let first = FakeDispatcher::new();
    first.script("revoke", vec![Reply::Hang]);
    first.script("notify", vec![Reply::Hang]);
    let engine = Arc::new(engine_over(store.clone(), &clock, first.clone()));
    engine
        .start_execution("waiting", "w", json!({}))
        .await
        .unwrap();
    engine.drain().await.unwrap();
    engine
        .start_execution("approval", "t", json!({}))
        .await
        .unwrap();
    clock.advance(60);
    let running = tokio::spawn({
        let engine = Arc::clone(&engine);
        async move { engine.drain().await }
    });
    wait_for_calls(&first, 2).await;
    running.abort();
    let _ = running.await;
    drop(engine);
    let token = first
        .calls()
        .into_iter()
        .find(|(r, _)| r == "notify")
        .unwrap()
        .1["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let second = FakeDispatcher::new();
    let engine = engine_over(store.clone(), &clock, second.clone());
    assert_eq!(engine.recover().await.unwrap(), 2);
    engine.drain().await.unwrap();
    let mut resources: Vec<String> = second.calls().into_iter().map(|(r, _)| r).collect();
    resources.sort();
    assert_eq!(resources, vec!["notify", "revoke"]);
    let again = second
        .calls()
        .into_iter()
        .find(|(r, _)| r == "notify")
        .unwrap()
        .1;
    assert_eq!(again["token"], token, "the same token is handed out again");
    assert_eq!(
        engine.describe("w").await.unwrap().unwrap().status,
        ExecutionStatus::Succeeded
    );
    engine.send_task_success(&token, json!(true)).await.unwrap();
    engine.drain().await.unwrap();
    assert_eq!(
        engine.describe("t").await.unwrap().unwrap().status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn duplicate_start_with_same_name_is_idempotent() {
    let h = Harness::new(wait_machine());
    h.start("same", json!({"x": 1})).await;
    h.engine
        .start_execution("m", "same", json!({"x": 1}))
        .await
        .unwrap();
    assert!(matches!(
        h.engine.start_execution("m", "same", json!({"x": 2})).await,
        Err(EngineError::ExecutionAlreadyExists { .. })
    ));
    h.drain().await;
    h.clock.advance(60);
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 1);
    // Still a no-op once finished (the record now lives only in the store).
    h.engine
        .start_execution("m", "same", json!({"x": 1}))
        .await
        .unwrap();
    assert_eq!(h.drain().await, 0);
    assert_eq!(h.dispatcher.call_count(), 1);
    assert_eq!(h.describe("same").await.status, ExecutionStatus::Succeeded);
    assert_eq!(h.store.all().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_drains_do_not_invoke_a_task_twice() {
    let h = Harness::new(json!({
        "StartAt": "Slow",
        "States": {"Slow": {"Type": "Task", "Resource": "slow", "End": true}}
    }));
    for i in 0..4 {
        h.dispatcher.script("slow", vec![Reply::Sleep(150)]);
        h.start(&format!("e{i}"), json!({"i": i})).await;
    }
    let (a, b) = tokio::join!(h.engine.drain(), h.engine.drain());
    let (a, b) = (a.unwrap(), b.unwrap());
    // Each execution: task scheduled + task completed.
    assert_eq!(a + b, 8);
    assert_eq!(h.dispatcher.call_count(), 4);
    let mut inputs: Vec<i64> = h
        .dispatcher
        .calls()
        .iter()
        .map(|(_, p)| p["i"].as_i64().unwrap())
        .collect();
    inputs.sort_unstable();
    assert_eq!(inputs, vec![0, 1, 2, 3]);
    for i in 0..4 {
        assert_eq!(
            h.describe(&format!("e{i}")).await.status,
            ExecutionStatus::Succeeded
        );
    }
}

/// A store that records every saved version and can be made to fail.
#[derive(Default)]
struct RecordingStore {
    inner: MemoryExecutionStore,
    saves: std::sync::Mutex<Vec<ExecutionRecord>>,
    broken: AtomicBool,
}

#[async_trait::async_trait]
impl ExecutionStore for RecordingStore {
    async fn save(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::backend("disk full"));
        }
        self.saves.lock().unwrap().push(record.clone());
        self.inner.save(record).await
    }
    async fn get(&self, name: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        self.inner.get(name).await
    }
    async fn unfinished(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        self.inner.unfinished().await
    }
}

#[tokio::test]
async fn token_wait_is_persisted_before_the_task_is_invoked() {
    let store = Arc::new(RecordingStore::default());
    let clock = FakeClock::new();
    let dispatcher = FakeDispatcher::new();
    let mut engine = Engine::new(dispatcher.clone(), store.clone(), clock.as_fn());
    engine.register("approval", machine(token_machine()));
    engine
        .start_execution("approval", "t", json!({}))
        .await
        .unwrap();
    engine.drain().await.unwrap();
    let token = dispatcher.last_token();
    let saves = store.saves.lock().unwrap().clone();
    let first_with_token = saves
        .iter()
        .position(|r| matches!(&r.waiting, Waiting::TaskToken { token: t, dispatched: false, .. } if *t == token))
        .expect("the token wait was saved before dispatch");
    assert!(saves[first_with_token + 1..].iter().any(|r| matches!(
        r.waiting,
        Waiting::TaskToken {
            dispatched: true,
            ..
        }
    )));
}

#[tokio::test]
async fn a_failing_store_stops_the_engine_without_losing_the_step() {
    let store = Arc::new(RecordingStore::default());
    let clock = FakeClock::new();
    let dispatcher = FakeDispatcher::new();
    let mut engine = Engine::new(dispatcher.clone(), store.clone(), clock.as_fn());
    engine.register("waiting", machine(wait_machine()));
    engine
        .start_execution("waiting", "w", json!({}))
        .await
        .unwrap();
    store.broken.store(true, Ordering::SeqCst);
    assert!(matches!(engine.drain().await, Err(EngineError::Store(_))));
    // Nothing advanced: the in-memory record still matches the store.
    let rec = engine.describe("w").await.unwrap().unwrap();
    assert_eq!(rec.waiting, Waiting::Nothing);
    assert_eq!(Some(rec), store.inner.get("w").await.unwrap());
    store.broken.store(false, Ordering::SeqCst);
    engine.drain().await.unwrap();
    assert!(matches!(
        engine.describe("w").await.unwrap().unwrap().waiting,
        Waiting::Until { .. }
    ));
}

#[tokio::test]
async fn records_round_trip_through_json() {
    let h = Harness::new(token_machine());
    h.start("e", json!({"k": [1, 2]})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    let text = serde_json::to_string(&rec).unwrap();
    let back: ExecutionRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, rec);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["status"], "RUNNING");
    assert_eq!(value["waiting"]["kind"], "task_token");
    assert_eq!(value["history"][0]["type"], "ExecutionStarted");
}
