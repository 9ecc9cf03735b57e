//! The pure part of the engine: given an execution record, the definition and
//! the time, work out the next step. Nothing here awaits or locks.

use serde_json::{Value, json};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::TaskFailure;
use crate::choice;
use crate::definition::{
    Catcher, Jitter, Retrier, State, StateKind, StateMachine, TaskState, TaskTimeout, TextSource,
    Transition, WaitSpec,
};
use crate::path::RefPath;
use crate::record::{
    EventKind, ExecutionRecord, ExecutionStatus, HistoryEvent, TimerReason, TokenOutcome, Waiting,
};

/// Error names used by the engine itself.
pub(crate) const STATES_RUNTIME: &str = "States.Runtime";
pub(crate) const STATES_TIMEOUT: &str = "States.Timeout";
const STATES_ALL: &str = "States.ALL";
const STATES_TASK_FAILED: &str = "States.TaskFailed";
const STATES_NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";

/// Step Functions' limit on the number of history events of one execution.
pub(crate) const MAX_HISTORY_EVENTS: usize = 25_000;

/// Upper bound for any computed delay (AWS's maximum `MaxDelaySeconds`).
const MAX_DELAY_SECONDS: f64 = 31_622_400.0;

/// A failure that ends the execution at once (not subject to Retry/Catch).
struct Fault {
    error: String,
    cause: String,
}

impl Fault {
    fn runtime(cause: impl Into<String>) -> Fault {
        Fault {
            error: STATES_RUNTIME.to_owned(),
            cause: cause.into(),
        }
    }
}

/// A task invocation the engine must perform without holding any lock.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub(crate) resource: String,
    pub(crate) parameters: Value,
    pub(crate) kind: InvocationKind,
}

#[derive(Debug, Clone)]
pub(crate) enum InvocationKind {
    /// Request/response: the result is the task result.
    Plain {
        state: String,
        timeout_seconds: Option<u64>,
    },
    /// Callback: the execution waits on `token` afterwards.
    Token { token: String },
}

/// What [`advance`] decided.
pub(crate) enum Action {
    /// Nothing can happen now.
    Blocked,
    /// The record was changed and must be saved.
    Updated,
    /// The record was changed and must be saved, then the task invoked.
    Invoke(Invocation),
}

const TIMESTAMP_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Format an instant like Step Functions does (`2024-01-02T03:04:05.678Z`).
pub(crate) fn format_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(TIMESTAMP_FORMAT)
        .unwrap_or_default()
}

/// `at + seconds`, saturating at the end of representable time.
fn add_seconds(at: OffsetDateTime, seconds: f64) -> OffsetDateTime {
    let seconds = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        MAX_DELAY_SECONDS
    };
    Duration::checked_seconds_f64(seconds).map_or(at, |d| at.saturating_add(d))
}

fn add_whole_seconds(at: OffsetDateTime, seconds: u64) -> OffsetDateTime {
    at.saturating_add(Duration::seconds(
        i64::try_from(seconds).unwrap_or(i64::MAX),
    ))
}

/// When an execution with this `TimeoutSeconds` started at `start` times out.
pub(crate) fn execution_deadline(
    start: OffsetDateTime,
    timeout: Option<u64>,
) -> Option<OffsetDateTime> {
    timeout.map(|seconds| add_whole_seconds(start, seconds))
}

/// ARN-like identifiers for the context object.
pub(crate) fn execution_arn(machine: &str, name: &str) -> String {
    format!("arn:aws:states:local:000000000000:execution:{machine}:{name}")
}

fn state_machine_arn(machine: &str) -> String {
    format!("arn:aws:states:local:000000000000:stateMachine:{machine}")
}

fn push_event(
    rec: &mut ExecutionRecord,
    at: OffsetDateTime,
    kind: EventKind,
    state: Option<&str>,
    detail: Value,
) {
    rec.history.push(HistoryEvent {
        timestamp: at,
        kind,
        state: state.map(str::to_owned),
        detail,
    });
}

/// The first events of a new execution.
pub(crate) fn new_record(
    machine_name: &str,
    machine: &StateMachine,
    name: &str,
    input: Value,
    now: OffsetDateTime,
) -> ExecutionRecord {
    let mut rec = ExecutionRecord {
        name: name.to_owned(),
        state_machine: machine_name.to_owned(),
        status: ExecutionStatus::Running,
        input: input.clone(),
        start_time: now,
        stop_time: None,
        timeout_at: execution_deadline(now, machine.timeout_seconds()),
        current_state: Some(machine.start_at().to_owned()),
        state_entered_time: Some(now),
        state_input: input.clone(),
        waiting: Waiting::Nothing,
        retry_attempts: Vec::new(),
        output: None,
        error: None,
        cause: None,
        history: Vec::new(),
    };
    push_event(
        &mut rec,
        now,
        EventKind::ExecutionStarted,
        None,
        json!({ "input": input }),
    );
    let detail = json!({ "input": rec.state_input });
    push_event(
        &mut rec,
        now,
        EventKind::StateEntered,
        Some(machine.start_at()),
        detail,
    );
    rec
}

/// The context object (`$$`) for the current state.
fn context(rec: &ExecutionRecord, state: &str, token: Option<&str>) -> Value {
    let entered = rec.state_entered_time.unwrap_or(rec.start_time);
    let mut ctx = json!({
        "Execution": {
            "Id": execution_arn(&rec.state_machine, &rec.name),
            "Name": rec.name,
            "StartTime": format_timestamp(rec.start_time),
            "Input": rec.input,
        },
        "State": {
            "Name": state,
            "EnteredTime": format_timestamp(entered),
            "RetryCount": rec.retry_attempts.iter().sum::<u64>(),
        },
        "StateMachine": {
            "Id": state_machine_arn(&rec.state_machine),
            "Name": rec.state_machine,
        },
    });
    if let (Some(token), Value::Object(map)) = (token, &mut ctx) {
        map.insert("Task".to_owned(), json!({ "Token": token }));
    }
    ctx
}

fn apply_input_path(state: &State, raw: &Value) -> Result<Value, Fault> {
    select(state.input_path.as_ref(), raw, "InputPath")
}

fn apply_output_path(state: &State, value: Value) -> Result<Value, Fault> {
    match &state.output_path {
        Some(path) if path.is_root() => Ok(value),
        other => select(other.as_ref(), &value, "OutputPath"),
    }
}

fn select(path: Option<&RefPath>, value: &Value, field: &str) -> Result<Value, Fault> {
    match path {
        None => Ok(json!({})),
        Some(path) => path.resolve(value, &Value::Null).cloned().ok_or_else(|| {
            Fault::runtime(format!(
                "Invalid path '{path}' : the {field} could not be found in the input"
            ))
        }),
    }
}

fn apply_result_path(path: Option<&RefPath>, raw: &Value, result: Value) -> Result<Value, Fault> {
    match path {
        None => Ok(raw.clone()),
        Some(path) => path
            .set(raw.clone(), result)
            .map_err(|e| Fault::runtime(format!("ResultPath: {e}"))),
    }
}

fn finish_success(rec: &mut ExecutionRecord, output: Value, now: OffsetDateTime) {
    rec.status = ExecutionStatus::Succeeded;
    rec.waiting = Waiting::Nothing;
    rec.stop_time = Some(now);
    push_event(
        rec,
        now,
        EventKind::ExecutionSucceeded,
        None,
        json!({ "output": output }),
    );
    rec.output = Some(output);
}

fn finish_failure(
    rec: &mut ExecutionRecord,
    error: Option<String>,
    cause: Option<String>,
    now: OffsetDateTime,
) {
    rec.status = ExecutionStatus::Failed;
    rec.waiting = Waiting::Nothing;
    rec.stop_time = Some(now);
    push_event(
        rec,
        now,
        EventKind::ExecutionFailed,
        None,
        json!({ "error": error, "cause": cause }),
    );
    rec.error = error;
    rec.cause = cause;
}

fn fault(rec: &mut ExecutionRecord, fault: Fault, now: OffsetDateTime) {
    finish_failure(rec, Some(fault.error), Some(fault.cause), now);
}

fn time_out(rec: &mut ExecutionRecord, now: OffsetDateTime) {
    rec.status = ExecutionStatus::TimedOut;
    rec.waiting = Waiting::Nothing;
    rec.stop_time = Some(now);
    rec.error = Some(STATES_TIMEOUT.to_owned());
    rec.cause = Some("The execution exceeded the state machine's TimeoutSeconds".to_owned());
    push_event(rec, now, EventKind::ExecutionTimedOut, None, Value::Null);
}

/// Leave `from` with `output` along `transition`.
fn transition(
    rec: &mut ExecutionRecord,
    from: &str,
    transition: &Transition,
    output: Value,
    now: OffsetDateTime,
) {
    push_event(
        rec,
        now,
        EventKind::StateExited,
        Some(from),
        json!({ "output": output }),
    );
    match transition {
        Transition::End => finish_success(rec, output, now),
        Transition::Next(next) => enter(rec, next, output, now),
    }
}

fn enter(rec: &mut ExecutionRecord, next: &str, input: Value, now: OffsetDateTime) {
    push_event(
        rec,
        now,
        EventKind::StateEntered,
        Some(next),
        json!({ "input": input }),
    );
    rec.current_state = Some(next.to_owned());
    rec.state_input = input;
    rec.state_entered_time = Some(now);
    rec.waiting = Waiting::Nothing;
    rec.retry_attempts.clear();
}

fn execution_timed_out(rec: &ExecutionRecord, now: OffsetDateTime) -> bool {
    rec.timeout_at.is_some_and(|at| at <= now)
}

/// Work out and apply the next step of a running execution.
pub(crate) fn advance(
    rec: &mut ExecutionRecord,
    machine: &StateMachine,
    now: OffsetDateTime,
    history_limit: usize,
) -> Action {
    if rec.status != ExecutionStatus::Running {
        return Action::Blocked;
    }
    if execution_timed_out(rec, now) {
        time_out(rec, now);
        return Action::Updated;
    }
    if rec.history.len() >= history_limit {
        let cause = format!("the execution history reached the limit of {history_limit} events");
        fault(rec, Fault::runtime(cause), now);
        return Action::Updated;
    }
    let Some(name) = rec.current_state.clone() else {
        fault(
            rec,
            Fault::runtime("the execution has no current state"),
            now,
        );
        return Action::Updated;
    };
    let Some(state) = machine.state(&name) else {
        let cause = format!(
            "state `{name}` is not part of state machine `{}`",
            rec.state_machine
        );
        fault(rec, Fault::runtime(cause), now);
        return Action::Updated;
    };
    let result = match rec.waiting.clone() {
        Waiting::Nothing => run_state(rec, &name, state, now),
        Waiting::Until { at, .. } if at > now => return Action::Blocked,
        Waiting::Until {
            reason: TimerReason::Wait,
            ..
        } => finish_wait(rec, &name, state, now).map(|()| Action::Updated),
        Waiting::Until {
            reason: TimerReason::Retry,
            ..
        } => {
            rec.waiting = Waiting::Nothing;
            run_state(rec, &name, state, now)
        }
        Waiting::TaskToken {
            token,
            deadline,
            dispatched,
        } => {
            if deadline.is_some_and(|d| d <= now) {
                let failure = TaskFailure {
                    error: STATES_TIMEOUT.to_owned(),
                    cause: "The task did not receive a callback before its TimeoutSeconds"
                        .to_owned(),
                };
                task_failed(rec, &name, state, failure, now);
                return Action::Updated;
            }
            if dispatched {
                return Action::Blocked;
            }
            // Dispatch again (the process stopped while invoking).
            redispatch(rec, &name, state, token)
        }
        Waiting::TokenResult { outcome, .. } => match outcome {
            TokenOutcome::Success { output } => {
                task_succeeded(rec, &name, state, output, now).map(|()| Action::Updated)
            }
            TokenOutcome::Failure { error, cause } => {
                task_failed(rec, &name, state, TaskFailure { error, cause }, now);
                Ok(Action::Updated)
            }
        },
    };
    match result {
        Ok(action) => action,
        Err(f) => {
            fault(rec, f, now);
            Action::Updated
        }
    }
}

fn task_of<'a>(name: &str, state: &'a State) -> Result<&'a TaskState, Fault> {
    match &state.kind {
        StateKind::Task(task) => Ok(task),
        _ => Err(Fault::runtime(format!(
            "state `{name}` is not a Task state"
        ))),
    }
}

fn run_state(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    now: OffsetDateTime,
) -> Result<Action, Fault> {
    match &state.kind {
        StateKind::Pass(pass) => {
            let effective = apply_input_path(state, &rec.state_input)?;
            let result = if let Some(result) = &pass.result {
                result.clone()
            } else if let Some(template) = &pass.parameters {
                let ctx = context(rec, name, None);
                template
                    .apply(&effective, &ctx)
                    .map_err(|e| Fault::runtime(e.to_string()))?
            } else {
                effective
            };
            let combined = apply_result_path(pass.result_path.as_ref(), &rec.state_input, result)?;
            let output = apply_output_path(state, combined)?;
            transition(rec, name, &pass.transition, output, now);
            Ok(Action::Updated)
        }
        StateKind::Succeed => {
            let effective = apply_input_path(state, &rec.state_input)?;
            let output = apply_output_path(state, effective)?;
            push_event(
                rec,
                now,
                EventKind::StateExited,
                Some(name),
                json!({ "output": output }),
            );
            finish_success(rec, output, now);
            Ok(Action::Updated)
        }
        StateKind::Fail(fail) => {
            let text = |source: &TextSource, field: &str| -> Result<Option<String>, Fault> {
                match source {
                    TextSource::Absent => Ok(None),
                    TextSource::Literal(text) => Ok(Some(text.clone())),
                    TextSource::Path(path) => {
                        let ctx = context(rec, name, None);
                        match path.resolve(&rec.state_input, &ctx) {
                            Some(Value::String(text)) => Ok(Some(text.clone())),
                            _ => Err(Fault::runtime(format!(
                                "{field} `{path}` does not select a string in the input"
                            ))),
                        }
                    }
                }
            };
            let error = text(&fail.error, "ErrorPath")?;
            let cause = text(&fail.cause, "CausePath")?;
            finish_failure(rec, error, cause, now);
            Ok(Action::Updated)
        }
        StateKind::Choice(choice) => {
            let effective = apply_input_path(state, &rec.state_input)?;
            let ctx = context(rec, name, None);
            let mut target = None;
            for (rule, next) in &choice.choices {
                if rule
                    .evaluate(&effective, &ctx)
                    .map_err(|e| Fault::runtime(e.to_string()))?
                {
                    target = Some(next.clone());
                    break;
                }
            }
            let Some(target) = target.or_else(|| choice.default.clone()) else {
                return Err(Fault {
                    error: STATES_NO_CHOICE_MATCHED.to_owned(),
                    cause: format!(
                        "no Choice rule of state `{name}` matched and there is no Default"
                    ),
                });
            };
            let output = apply_output_path(state, effective)?;
            transition(rec, name, &Transition::Next(target), output, now);
            Ok(Action::Updated)
        }
        StateKind::Wait(wait) => {
            let effective = apply_input_path(state, &rec.state_input)?;
            let ctx = context(rec, name, None);
            let until = match &wait.spec {
                WaitSpec::Seconds(seconds) => add_whole_seconds(now, *seconds),
                WaitSpec::SecondsPath(path) => {
                    let seconds = path
                        .resolve(&effective, &ctx)
                        .and_then(Value::as_u64)
                        .ok_or_else(|| {
                            Fault::runtime(format!(
                                "SecondsPath `{path}` does not select a non-negative integer"
                            ))
                        })?;
                    add_whole_seconds(now, seconds)
                }
                WaitSpec::Timestamp(at) => *at,
                WaitSpec::TimestampPath(path) => path
                    .resolve(&effective, &ctx)
                    .and_then(Value::as_str)
                    .and_then(choice::parse_timestamp)
                    .ok_or_else(|| {
                        Fault::runtime(format!(
                            "TimestampPath `{path}` does not select an RFC 3339 timestamp"
                        ))
                    })?,
            };
            if until <= now {
                let output = apply_output_path(state, effective)?;
                transition(rec, name, &wait.transition, output, now);
            } else {
                push_event(
                    rec,
                    now,
                    EventKind::WaitStarted,
                    Some(name),
                    json!({ "until": format_timestamp(until) }),
                );
                rec.waiting = Waiting::Until {
                    at: until,
                    reason: TimerReason::Wait,
                };
            }
            Ok(Action::Updated)
        }
        StateKind::Task(task) => start_task(rec, name, state, task, now),
    }
}

fn finish_wait(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    now: OffsetDateTime,
) -> Result<(), Fault> {
    let StateKind::Wait(wait) = &state.kind else {
        return Err(Fault::runtime(format!(
            "state `{name}` is not a Wait state"
        )));
    };
    let effective = apply_input_path(state, &rec.state_input)?;
    let output = apply_output_path(state, effective)?;
    push_event(rec, now, EventKind::WaitEnded, Some(name), Value::Null);
    transition(rec, name, &wait.transition, output, now);
    Ok(())
}

/// The effective parameters of a task.
fn task_parameters(
    rec: &ExecutionRecord,
    name: &str,
    state: &State,
    task: &TaskState,
    token: Option<&str>,
) -> Result<(Value, Value), Fault> {
    let effective = apply_input_path(state, &rec.state_input)?;
    let parameters = match &task.parameters {
        Some(template) => {
            let ctx = context(rec, name, token);
            template
                .apply(&effective, &ctx)
                .map_err(|e| Fault::runtime(e.to_string()))?
        }
        None => effective.clone(),
    };
    Ok((effective, parameters))
}

fn start_task(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    task: &TaskState,
    now: OffsetDateTime,
) -> Result<Action, Fault> {
    let effective = apply_input_path(state, &rec.state_input)?;
    let timeout_seconds = match &task.timeout {
        None => None,
        Some(TaskTimeout::Seconds(seconds)) => Some(*seconds),
        Some(TaskTimeout::Path(path)) => {
            let ctx = context(rec, name, None);
            let seconds = path
                .resolve(&effective, &ctx)
                .and_then(Value::as_u64)
                .filter(|s| *s > 0)
                .ok_or_else(|| {
                    Fault::runtime(format!(
                        "TimeoutSecondsPath `{path}` does not select a positive integer"
                    ))
                })?;
            Some(seconds)
        }
    };
    if task.wait_for_task_token {
        let token = uuid::Uuid::new_v4().to_string();
        let (_, parameters) = task_parameters(rec, name, state, task, Some(&token))?;
        push_event(
            rec,
            now,
            EventKind::TaskScheduled,
            Some(name),
            json!({ "resource": task.resource, "waitForTaskToken": true }),
        );
        rec.waiting = Waiting::TaskToken {
            token: token.clone(),
            deadline: timeout_seconds.map(|s| add_whole_seconds(now, s)),
            dispatched: false,
        };
        Ok(Action::Invoke(Invocation {
            resource: task.resource.clone(),
            parameters,
            kind: InvocationKind::Token { token },
        }))
    } else {
        let (_, parameters) = task_parameters(rec, name, state, task, None)?;
        push_event(
            rec,
            now,
            EventKind::TaskScheduled,
            Some(name),
            json!({ "resource": task.resource }),
        );
        Ok(Action::Invoke(Invocation {
            resource: task.resource.clone(),
            parameters,
            kind: InvocationKind::Plain {
                state: name.to_owned(),
                timeout_seconds,
            },
        }))
    }
}

fn redispatch(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    token: String,
) -> Result<Action, Fault> {
    let task = task_of(name, state)?;
    let (_, parameters) = task_parameters(rec, name, state, task, Some(&token))?;
    Ok(Action::Invoke(Invocation {
        resource: task.resource.clone(),
        parameters,
        kind: InvocationKind::Token { token },
    }))
}

/// Apply the outcome of an invocation. Returns `false` when the record did
/// not change (the execution moved on meanwhile, e.g. a callback arrived
/// while the dispatcher was still running).
pub(crate) fn complete_invocation(
    rec: &mut ExecutionRecord,
    machine: &StateMachine,
    invocation: &Invocation,
    outcome: Result<Value, TaskFailure>,
    now: OffsetDateTime,
) -> bool {
    if rec.status != ExecutionStatus::Running {
        return false;
    }
    let Some(name) = rec.current_state.clone() else {
        return false;
    };
    let Some(state) = machine.state(&name) else {
        return false;
    };
    match &invocation.kind {
        InvocationKind::Plain { state: invoked, .. } => {
            if *invoked != name || rec.waiting != Waiting::Nothing {
                return false;
            }
            if execution_timed_out(rec, now) {
                time_out(rec, now);
                return true;
            }
            match outcome {
                Ok(result) => {
                    if let Err(f) = task_succeeded(rec, &name, state, result, now) {
                        fault(rec, f, now);
                    }
                }
                Err(failure) => task_failed(rec, &name, state, failure, now),
            }
            true
        }
        InvocationKind::Token { token } => {
            let Waiting::TaskToken {
                token: current,
                deadline,
                dispatched: false,
            } = &rec.waiting
            else {
                return false;
            };
            if current != token {
                return false;
            }
            match outcome {
                Ok(_) => {
                    rec.waiting = Waiting::TaskToken {
                        token: token.clone(),
                        deadline: *deadline,
                        dispatched: true,
                    };
                    push_event(rec, now, EventKind::TaskSubmitted, Some(&name), Value::Null);
                }
                Err(failure) => task_failed(rec, &name, state, failure, now),
            }
            true
        }
    }
}

/// ResultSelector -> ResultPath -> OutputPath, then the transition.
fn task_succeeded(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    result: Value,
    now: OffsetDateTime,
) -> Result<(), Fault> {
    let task = task_of(name, state)?;
    push_event(rec, now, EventKind::TaskSucceeded, Some(name), Value::Null);
    let selected = match &task.result_selector {
        Some(template) => {
            let ctx = context(rec, name, None);
            template
                .apply(&result, &ctx)
                .map_err(|e| Fault::runtime(format!("ResultSelector: {e}")))?
        }
        None => result,
    };
    let combined = apply_result_path(task.result_path.as_ref(), &rec.state_input, selected)?;
    let output = apply_output_path(state, combined)?;
    transition(rec, name, &task.transition, output, now);
    Ok(())
}

fn error_matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|candidate| {
        candidate == STATES_ALL
            || candidate == error
            || (candidate == STATES_TASK_FAILED && error != STATES_TIMEOUT)
    })
}

/// The back-off before retry number `attempt + 1`, in seconds.
fn retry_delay(retrier: &Retrier, attempt: u64) -> f64 {
    let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
    #[allow(clippy::cast_precision_loss)]
    let interval = retrier.interval_seconds as f64;
    let mut delay = interval * retrier.backoff_rate.powi(exponent);
    if !delay.is_finite() {
        delay = MAX_DELAY_SECONDS;
    }
    if let Some(max) = retrier.max_delay_seconds {
        #[allow(clippy::cast_precision_loss)]
        let max = max as f64;
        delay = delay.min(max);
    }
    delay = delay.min(MAX_DELAY_SECONDS);
    if retrier.jitter == Jitter::Full {
        let (bits, _) = uuid::Uuid::new_v4().as_u64_pair();
        #[allow(clippy::cast_precision_loss)]
        let fraction = (bits >> 11) as f64 / (1_u64 << 53) as f64;
        delay *= fraction;
    }
    delay
}

/// Retry, catch, or fail the execution.
fn task_failed(
    rec: &mut ExecutionRecord,
    name: &str,
    state: &State,
    failure: TaskFailure,
    now: OffsetDateTime,
) {
    let TaskFailure { error, cause } = failure;
    push_event(
        rec,
        now,
        EventKind::TaskFailed,
        Some(name),
        json!({ "error": error, "cause": cause }),
    );
    if error == STATES_RUNTIME {
        finish_failure(rec, Some(error), Some(cause), now);
        return;
    }
    let StateKind::Task(task) = &state.kind else {
        finish_failure(rec, Some(error), Some(cause), now);
        return;
    };
    if let Some((index, retrier)) = task
        .retry
        .iter()
        .enumerate()
        .find(|(_, r)| error_matches(&r.error_equals, &error))
    {
        if rec.retry_attempts.len() < task.retry.len() {
            rec.retry_attempts.resize(task.retry.len(), 0);
        }
        let attempts = rec.retry_attempts[index];
        if attempts < retrier.max_attempts {
            let delay = retry_delay(retrier, attempts);
            let at = add_seconds(now, delay);
            rec.retry_attempts[index] = attempts + 1;
            rec.waiting = Waiting::Until {
                at,
                reason: TimerReason::Retry,
            };
            push_event(
                rec,
                now,
                EventKind::TaskRetryScheduled,
                Some(name),
                json!({ "attempt": attempts + 1, "at": format_timestamp(at), "error": error }),
            );
            return;
        }
    }
    let catcher: Option<&Catcher> = task
        .catch
        .iter()
        .find(|c| error_matches(&c.error_equals, &error));
    if let Some(catcher) = catcher {
        let error_output = json!({ "Error": error, "Cause": cause });
        match apply_result_path(catcher.result_path.as_ref(), &rec.state_input, error_output) {
            Ok(output) => {
                push_event(
                    rec,
                    now,
                    EventKind::ErrorCaught,
                    Some(name),
                    json!({ "error": error, "next": catcher.next }),
                );
                transition(
                    rec,
                    name,
                    &Transition::Next(catcher.next.clone()),
                    output,
                    now,
                );
            }
            Err(f) => fault(rec, f, now),
        }
        return;
    }
    finish_failure(rec, Some(error), Some(cause), now);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn retrier(interval: u64, rate: f64, max_delay: Option<u64>) -> Retrier {
        Retrier {
            error_equals: vec![STATES_ALL.to_owned()],
            interval_seconds: interval,
            max_attempts: 5,
            backoff_rate: rate,
            max_delay_seconds: max_delay,
            jitter: Jitter::None,
        }
    }

    #[test]
    fn retry_delay_grows_by_backoff_and_is_capped() {
        let r = retrier(2, 3.0, Some(10));
        assert!((retry_delay(&r, 0) - 2.0).abs() < 1e-9);
        assert!((retry_delay(&r, 1) - 6.0).abs() < 1e-9);
        assert!((retry_delay(&r, 2) - 10.0).abs() < 1e-9);
        let mut full = retrier(4, 1.0, None);
        full.jitter = Jitter::Full;
        for _ in 0..20 {
            let d = retry_delay(&full, 0);
            assert!((0.0..=4.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn task_failed_matches_everything_but_timeout() {
        let list = vec![STATES_TASK_FAILED.to_owned()];
        assert!(error_matches(&list, "Lambda.Unknown"));
        assert!(!error_matches(&list, STATES_TIMEOUT));
        assert!(error_matches(&[STATES_ALL.to_owned()], STATES_TIMEOUT));
        assert!(error_matches(&["X".to_owned()], "X"));
        assert!(!error_matches(&["X".to_owned()], "Y"));
    }

    #[test]
    fn timestamps_use_milliseconds_and_z() {
        let at = time::macros::datetime!(2024-01-02 03:04:05.678901 +02:00);
        assert_eq!(format_timestamp(at), "2024-01-02T01:04:05.678Z");
    }
}
