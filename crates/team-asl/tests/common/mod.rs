//! Test helpers: a fake clock and a scripted, recording dispatcher.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde_json::{Value, json};
use team_asl::{
    Engine, ExecutionRecord, MemoryExecutionStore, StateMachine, TaskDispatcher, TaskFailure,
};
use time::{Duration, OffsetDateTime};

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct FakeClock(Arc<Mutex<OffsetDateTime>>);

impl FakeClock {
    pub fn new() -> FakeClock {
        FakeClock(Arc::new(Mutex::new(
            time::macros::datetime!(2024-05-01 12:00:00 UTC),
        )))
    }
    pub fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    pub fn advance(&self, seconds: i64) {
        *self.0.lock().unwrap() += Duration::seconds(seconds);
    }
    pub fn as_fn(&self) -> Arc<dyn Fn() -> OffsetDateTime + Send + Sync> {
        let inner = Arc::clone(&self.0);
        Arc::new(move || *inner.lock().unwrap())
    }
}

/// One scripted reply.
pub enum Reply {
    Ok(Value),
    Fail(&'static str, &'static str),
    /// Sleep (real time) then answer `{}`.
    Sleep(u64),
    /// Never answer.
    Hang,
}

/// Records every call; answers from a per-resource script, `{}` by default.
#[derive(Default)]
pub struct FakeDispatcher {
    calls: Mutex<Vec<(String, Value)>>,
    script: Mutex<HashMap<String, VecDeque<Reply>>>,
}

impl FakeDispatcher {
    pub fn new() -> Arc<FakeDispatcher> {
        Arc::new(FakeDispatcher::default())
    }
    pub fn script(&self, resource: &str, replies: Vec<Reply>) {
        self.script
            .lock()
            .unwrap()
            .entry(resource.to_owned())
            .or_default()
            .extend(replies);
    }
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().unwrap().clone()
    }
    pub fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
    pub fn last_params(&self) -> Value {
        self.calls.lock().unwrap().last().unwrap().1.clone()
    }
    /// The `token` parameter of the last call.
    pub fn last_token(&self) -> String {
        self.last_params()["token"].as_str().unwrap().to_owned()
    }
}

#[async_trait::async_trait]
impl TaskDispatcher for FakeDispatcher {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        self.calls
            .lock()
            .unwrap()
            .push((resource.to_owned(), parameters));
        let reply = self
            .script
            .lock()
            .unwrap()
            .get_mut(resource)
            .and_then(VecDeque::pop_front);
        match reply {
            None => Ok(json!({})),
            Some(Reply::Ok(v)) => Ok(v),
            Some(Reply::Fail(e, c)) => Err(TaskFailure::new(e, c)),
            Some(Reply::Sleep(ms)) => {
                tokio::time::sleep(StdDuration::from_millis(ms)).await;
                Ok(json!({}))
            }
            Some(Reply::Hang) => std::future::pending().await,
        }
    }
}

pub struct Harness {
    pub engine: Arc<Engine>,
    pub clock: FakeClock,
    pub dispatcher: Arc<FakeDispatcher>,
    pub store: Arc<MemoryExecutionStore>,
}

pub fn machine(definition: Value) -> StateMachine {
    StateMachine::parse(&definition.to_string(), &HashMap::new()).unwrap()
}

impl Harness {
    /// An engine with `definition` registered as `"m"`.
    pub fn new(definition: Value) -> Harness {
        let clock = FakeClock::new();
        let dispatcher = FakeDispatcher::new();
        let store = Arc::new(MemoryExecutionStore::new());
        let mut engine = Engine::new(dispatcher.clone(), store.clone(), clock.as_fn());
        engine.register("m", machine(definition));
        Harness {
            engine: Arc::new(engine),
            clock,
            dispatcher,
            store,
        }
    }

    pub async fn start(&self, name: &str, input: Value) {
        self.engine.start_execution("m", name, input).await.unwrap();
    }

    pub async fn drain(&self) -> usize {
        tokio::time::timeout(StdDuration::from_secs(10), self.engine.drain())
            .await
            .expect("drain deadlocked")
            .unwrap()
    }

    pub async fn describe(&self, name: &str) -> ExecutionRecord {
        self.engine.describe(name).await.unwrap().unwrap()
    }
}
