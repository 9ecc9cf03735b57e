//! The execution engine: runs executions, persists every step, and resumes
//! after a restart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::definition::StateMachine;
use crate::error::{EngineError, StoreError};
use crate::interpreter::{self, Action, Invocation, InvocationKind, STATES_TIMEOUT};
use crate::record::{ExecutionRecord, ExecutionStatus, TokenOutcome, Waiting};
use crate::store::ExecutionStore;
use crate::{TaskDispatcher, TaskFailure};

/// The clock the engine reads "now" from.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Runs executions of registered state machines.
///
/// Every change of an execution is saved to the [`ExecutionStore`] before the
/// engine moves on; no internal lock is held while a task is being invoked,
/// so a [`TaskDispatcher`] may call back into the engine (`send_task_success`,
/// `start_execution`, ...). [`Engine::drain`] needs a Tokio runtime: it runs
/// runnable executions concurrently on spawned tasks.
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let machines: Vec<String> = read(&self.inner.machines).keys().cloned().collect();
        f.debug_struct("Engine")
            .field("machines", &machines)
            .field("executions_in_memory", &lock(&self.inner.executions).len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    dispatcher: Arc<dyn TaskDispatcher>,
    store: Arc<dyn ExecutionStore>,
    clock: Clock,
    machines: RwLock<HashMap<String, Arc<StateMachine>>>,
    /// Unfinished executions (finished ones live only in the store).
    executions: Mutex<HashMap<String, Arc<Slot>>>,
    /// Task token -> execution name, for executions waiting on a token.
    tokens: Mutex<HashMap<String, String>>,
    /// Serialises `start_execution` so names stay unique.
    start_lock: tokio::sync::Mutex<()>,
    notify: Arc<Notify>,
    history_limit: usize,
}

/// When an execution can next make progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    Now,
    At(OffsetDateTime),
    Never,
}

struct Slot {
    name: String,
    machine: String,
    /// The latest saved record. Held only while computing a step and saving
    /// it, never across a task invocation.
    record: tokio::sync::Mutex<ExecutionRecord>,
    wake: Mutex<Wake>,
    /// Set while one `drain` is running this execution.
    claimed: AtomicBool,
}

impl Slot {
    fn new(record: ExecutionRecord) -> Slot {
        Slot {
            name: record.name.clone(),
            machine: record.state_machine.clone(),
            wake: Mutex::new(wake_of(&record)),
            record: tokio::sync::Mutex::new(record),
            claimed: AtomicBool::new(false),
        }
    }

    fn wake(&self) -> Wake {
        *lock(&self.wake)
    }
}

/// Releases the claim on an execution when dropped (also when a drain is cancelled).
struct Claim(Arc<Slot>);

impl Claim {
    fn take(slot: &Arc<Slot>) -> Option<Claim> {
        slot.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Claim(Arc::clone(slot)))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.claimed.store(false, Ordering::Release);
    }
}

/// A cheap copy of a record taken before changing it in place: everything
/// but the (append-only) history, plus the history length.
struct Backup {
    record: ExecutionRecord,
    history_len: usize,
}

impl Backup {
    fn of(record: &ExecutionRecord) -> Backup {
        let copy = ExecutionRecord {
            name: record.name.clone(),
            state_machine: record.state_machine.clone(),
            status: record.status,
            input: record.input.clone(),
            start_time: record.start_time,
            stop_time: record.stop_time,
            timeout_at: record.timeout_at,
            current_state: record.current_state.clone(),
            state_entered_time: record.state_entered_time,
            state_input: record.state_input.clone(),
            waiting: record.waiting.clone(),
            retry_attempts: record.retry_attempts.clone(),
            output: record.output.clone(),
            error: record.error.clone(),
            cause: record.cause.clone(),
            history: Vec::new(),
        };
        Backup {
            record: copy,
            history_len: record.history.len(),
        }
    }

    fn restore(self, record: &mut ExecutionRecord) {
        let mut history = std::mem::take(&mut record.history);
        history.truncate(self.history_len);
        *record = self.record;
        record.history = history;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn wake_of(record: &ExecutionRecord) -> Wake {
    if record.status.is_finished() {
        return Wake::Never;
    }
    let wake = match &record.waiting {
        Waiting::Nothing | Waiting::TokenResult { .. } => Wake::Now,
        Waiting::TaskToken {
            dispatched: false, ..
        } => Wake::Now,
        Waiting::Until { at, .. } => Wake::At(*at),
        Waiting::TaskToken {
            deadline: Some(deadline),
            ..
        } => Wake::At(*deadline),
        Waiting::TaskToken { deadline: None, .. } => Wake::Never,
    };
    match (wake, record.timeout_at) {
        (Wake::Now, _) | (_, None) => wake,
        (Wake::At(at), Some(timeout)) => Wake::At(at.min(timeout)),
        (Wake::Never, Some(timeout)) => Wake::At(timeout),
    }
}

fn runnable(wake: Wake, now: OffsetDateTime) -> bool {
    match wake {
        Wake::Now => true,
        Wake::At(at) => at <= now,
        Wake::Never => false,
    }
}

/// AWS's rules for execution names.
fn valid_name(name: &str) -> bool {
    let length = name.chars().count();
    (1..=80).contains(&length)
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c))
}

impl Engine {
    /// An engine with no registered state machine.
    pub fn new(
        dispatcher: Arc<dyn TaskDispatcher>,
        store: Arc<dyn ExecutionStore>,
        clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                dispatcher,
                store,
                clock,
                machines: RwLock::new(HashMap::new()),
                executions: Mutex::new(HashMap::new()),
                tokens: Mutex::new(HashMap::new()),
                start_lock: tokio::sync::Mutex::new(()),
                notify: Arc::new(Notify::new()),
                history_limit: interpreter::MAX_HISTORY_EVENTS,
            }),
        }
    }

    /// Change the number of history events after which an execution fails
    /// with `States.Runtime` (default: 25,000, the Step Functions limit), a
    /// guard against endless loops. Call before the engine is shared.
    pub fn set_history_limit(&mut self, events: usize) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.history_limit = events;
        }
    }

    /// Register (or replace) a state machine under `name` (e.g. `"access-request"`).
    pub fn register(&mut self, name: &str, machine: StateMachine) {
        self.inner
            .machines
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), Arc::new(machine));
    }

    /// Start a named execution. Names are unique like AWS: starting the same
    /// name again (same state machine, same input) is a no-op, whatever the
    /// status of the existing execution; with a different input or state
    /// machine it is [`EngineError::ExecutionAlreadyExists`].
    ///
    /// # Errors
    /// [`EngineError::StateMachineDoesNotExist`], [`EngineError::InvalidName`],
    /// [`EngineError::ExecutionAlreadyExists`] or a store failure.
    pub async fn start_execution(
        &self,
        machine: &str,
        name: &str,
        input: Value,
    ) -> Result<(), EngineError> {
        let definition =
            self.inner
                .machine(machine)
                .ok_or_else(|| EngineError::StateMachineDoesNotExist {
                    name: machine.to_owned(),
                })?;
        if !valid_name(name) {
            return Err(EngineError::InvalidName {
                name: name.to_owned(),
            });
        }
        let _serialised = self.inner.start_lock.lock().await;
        let existing = lock(&self.inner.executions).get(name).cloned();
        let existing = match existing {
            Some(slot) => Some(slot.record.lock().await.clone()),
            None => self.inner.store.get(name).await?,
        };
        if let Some(existing) = existing {
            return if existing.state_machine == machine && existing.input == input {
                Ok(())
            } else {
                Err(EngineError::ExecutionAlreadyExists {
                    name: name.to_owned(),
                })
            };
        }
        let now = (self.inner.clock)();
        let record = interpreter::new_record(machine, &definition, name, input, now);
        self.inner.store.save(&record).await?;
        tracing::debug!(
            execution = name,
            state_machine = machine,
            "execution started"
        );
        lock(&self.inner.executions).insert(name.to_owned(), Arc::new(Slot::new(record)));
        self.inner.notify.notify_one();
        Ok(())
    }

    /// Deliver the output of a `.waitForTaskToken` task (`SendTaskSuccess`).
    /// An unknown or already used token is [`EngineError::InvalidToken`]; a
    /// token whose deadline has passed is [`EngineError::TaskTimedOut`].
    ///
    /// # Errors
    /// [`EngineError::InvalidToken`], [`EngineError::TaskTimedOut`] or a store failure.
    pub async fn send_task_success(&self, token: &str, output: Value) -> Result<(), EngineError> {
        self.send_task_result(token, TokenOutcome::Success { output })
            .await
    }

    /// Fail a `.waitForTaskToken` task (`SendTaskFailure`); errors as for
    /// [`Engine::send_task_success`].
    ///
    /// # Errors
    /// [`EngineError::InvalidToken`], [`EngineError::TaskTimedOut`] or a store failure.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), EngineError> {
        self.send_task_result(
            token,
            TokenOutcome::Failure {
                error: error.to_owned(),
                cause: cause.to_owned(),
            },
        )
        .await
    }

    async fn send_task_result(
        &self,
        token: &str,
        outcome: TokenOutcome,
    ) -> Result<(), EngineError> {
        let name = lock(&self.inner.tokens)
            .get(token)
            .cloned()
            .ok_or(EngineError::InvalidToken)?;
        let slot = lock(&self.inner.executions)
            .get(&name)
            .cloned()
            .ok_or(EngineError::InvalidToken)?;
        let mut guard = slot.record.lock().await;
        let now = (self.inner.clock)();
        let Waiting::TaskToken {
            token: waiting_for,
            deadline,
            ..
        } = &guard.waiting
        else {
            return Err(EngineError::InvalidToken);
        };
        if waiting_for != token || guard.status != ExecutionStatus::Running {
            return Err(EngineError::InvalidToken);
        }
        if deadline.is_some_and(|d| d <= now) || guard.timeout_at.is_some_and(|t| t <= now) {
            return Err(EngineError::TaskTimedOut);
        }
        let backup = Backup::of(&guard);
        guard.waiting = Waiting::TokenResult {
            token: token.to_owned(),
            outcome,
        };
        self.inner.commit(&slot, &mut guard, backup).await?;
        drop(guard);
        self.inner.notify.notify_one();
        Ok(())
    }

    /// Advance every execution that can advance at `clock()` (new executions,
    /// arrived token results, due Wait timers and retries, expired deadlines)
    /// until each is blocked or finished. Returns the number of steps run
    /// (each step is one saved change of an execution: a state run, a task
    /// scheduled or completed, a timer fired, ...).
    ///
    /// Executions already being run by another concurrent `drain` are skipped.
    ///
    /// # Errors
    /// A store failure (the execution concerned stays at its last saved step
    /// and is retried by the next `drain`), or [`EngineError::Worker`] if a
    /// worker task panicked.
    pub async fn drain(&self) -> Result<usize, EngineError> {
        let mut total = 0;
        loop {
            let now = (self.inner.clock)();
            let machines = read(&self.inner.machines).clone();
            let candidates: Vec<Arc<Slot>> = lock(&self.inner.executions)
                .values()
                .filter(|slot| machines.contains_key(&slot.machine))
                .filter(|slot| runnable(slot.wake(), now))
                .cloned()
                .collect();
            let mut workers = JoinSet::new();
            for slot in candidates {
                if let Some(claim) = Claim::take(&slot) {
                    workers.spawn(Arc::clone(&self.inner).run(claim));
                }
            }
            if workers.is_empty() {
                break;
            }
            let mut round = 0;
            let mut first_error = None;
            while let Some(joined) = workers.join_next().await {
                match joined {
                    Ok(Ok(steps)) => round += steps,
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e);
                    }
                    Err(e) => {
                        first_error.get_or_insert(EngineError::Worker {
                            message: e.to_string(),
                        });
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            total += round;
            if round == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// The earliest instant at which some execution becomes runnable; `clock()`
    /// itself (or an earlier instant) when something is runnable already, `None`
    /// when every execution waits for a callback without deadline (or none exists).
    ///
    /// Executions currently being run by a `drain` and executions of state
    /// machines that are not registered are not considered; when a `drain`
    /// stops running an execution that will need to run again, it signals
    /// [`Engine::work_available`].
    pub async fn next_wakeup(&self) -> Option<OffsetDateTime> {
        let now = (self.inner.clock)();
        let machines = read(&self.inner.machines);
        lock(&self.inner.executions)
            .values()
            .filter(|slot| !slot.claimed.load(Ordering::Acquire))
            .filter(|slot| machines.contains_key(&slot.machine))
            .filter_map(|slot| match slot.wake() {
                Wake::Now => Some(now),
                Wake::At(at) => Some(at),
                Wake::Never => None,
            })
            .min()
    }

    /// Load every unfinished execution from the store that this engine does
    /// not hold yet (call once at startup). Pending Wait timers, retries and
    /// task tokens resume; a task that was being invoked is invoked again.
    /// Returns how many executions were loaded.
    ///
    /// # Errors
    /// A store failure.
    pub async fn recover(&self) -> Result<usize, EngineError> {
        let records = self.inner.store.unfinished().await?;
        let mut loaded = 0;
        {
            let mut executions = lock(&self.inner.executions);
            let mut tokens = lock(&self.inner.tokens);
            for record in records {
                if record.status.is_finished() || executions.contains_key(&record.name) {
                    continue;
                }
                if let Waiting::TaskToken { token, .. } = &record.waiting {
                    tokens.insert(token.clone(), record.name.clone());
                }
                executions.insert(record.name.clone(), Arc::new(Slot::new(record)));
                loaded += 1;
            }
        }
        if loaded > 0 {
            tracing::info!(executions = loaded, "recovered unfinished executions");
            self.inner.notify.notify_one();
        }
        Ok(loaded)
    }

    /// The current record of an execution (running or finished), if it exists.
    ///
    /// # Errors
    /// A store failure.
    pub async fn describe(&self, name: &str) -> Result<Option<ExecutionRecord>, EngineError> {
        let slot = lock(&self.inner.executions).get(name).cloned();
        if let Some(slot) = slot {
            return Ok(Some(slot.record.lock().await.clone()));
        }
        Ok(self.inner.store.get(name).await?)
    }

    /// Signalled (with [`Notify::notify_one`], so a signal sent while nobody
    /// waits is kept) when `start_execution`, `send_task_*` or `recover` made
    /// work runnable; a driver loop awaits it next to a sleep until
    /// [`Engine::next_wakeup`], then calls [`Engine::drain`].
    pub fn work_available(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.notify)
    }
}

impl Inner {
    fn machine(&self, name: &str) -> Option<Arc<StateMachine>> {
        read(&self.machines).get(name).cloned()
    }

    /// Save `current` (already changed in place). On failure, roll it back to
    /// `backup` so memory never runs ahead of the store.
    async fn commit(
        &self,
        slot: &Slot,
        current: &mut ExecutionRecord,
        backup: Backup,
    ) -> Result<(), StoreError> {
        if let Err(e) = self.store.save(current).await {
            backup.restore(current);
            return Err(e);
        }
        let old_token = backup.record.pending_token().map(str::to_owned);
        let new_token = current.pending_token().map(str::to_owned);
        if old_token != new_token {
            let mut tokens = lock(&self.tokens);
            if let Some(old) = old_token {
                tokens.remove(&old);
            }
            if let Some(new) = new_token {
                tokens.insert(new, current.name.clone());
            }
        }
        *lock(&slot.wake) = wake_of(current);
        Ok(())
    }

    /// Run one claimed execution until it is blocked or finished.
    async fn run(self: Arc<Self>, claim: Claim) -> Result<usize, EngineError> {
        let slot = Arc::clone(&claim.0);
        let Some(machine) = self.machine(&slot.machine) else {
            return Ok(0);
        };
        let mut steps = 0;
        loop {
            let mut guard = slot.record.lock().await;
            let now = (self.clock)();
            let backup = Backup::of(&guard);
            let limit = self.history_limit;
            let invocation = match interpreter::advance(&mut guard, &machine, now, limit) {
                Action::Blocked => break,
                Action::Updated => {
                    self.commit(&slot, &mut guard, backup).await?;
                    steps += 1;
                    continue;
                }
                Action::Invoke(invocation) => {
                    self.commit(&slot, &mut guard, backup).await?;
                    steps += 1;
                    invocation
                }
            };
            // Never hold the record while the task runs: it may call back.
            drop(guard);
            tracing::debug!(
                execution = %slot.name,
                resource = %invocation.resource,
                "invoking task"
            );
            let outcome = self.invoke(&invocation).await;
            let mut guard = slot.record.lock().await;
            let now = (self.clock)();
            let backup = Backup::of(&guard);
            if interpreter::complete_invocation(&mut guard, &machine, &invocation, outcome, now) {
                self.commit(&slot, &mut guard, backup).await?;
                steps += 1;
            }
        }
        let wake_again = slot.wake() != Wake::Never;
        if !wake_again {
            let finished = slot.record.lock().await.status.is_finished();
            if finished {
                let mut executions = lock(&self.executions);
                if executions
                    .get(&slot.name)
                    .is_some_and(|s| Arc::ptr_eq(s, &slot))
                {
                    executions.remove(&slot.name);
                }
            }
        }
        drop(claim);
        if wake_again {
            // A driver computing `next_wakeup` skipped this execution while it
            // was claimed: let it look again.
            self.notify.notify_one();
        }
        Ok(steps)
    }

    async fn invoke(&self, invocation: &Invocation) -> Result<Value, TaskFailure> {
        let call = self
            .dispatcher
            .invoke(&invocation.resource, invocation.parameters.clone());
        match &invocation.kind {
            InvocationKind::Plain {
                timeout_seconds: Some(seconds),
                ..
            } => match tokio::time::timeout(std::time::Duration::from_secs(*seconds), call).await {
                Ok(result) => result,
                Err(_) => Err(TaskFailure {
                    error: STATES_TIMEOUT.to_owned(),
                    cause: format!("The task did not finish within {seconds} seconds"),
                }),
            },
            _ => call.await,
        }
    }
}
