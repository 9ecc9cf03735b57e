//! Running executions: data flow, Choice, Wait, Retry/Catch and task tokens.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, OnceLock, Weak};

use common::{FakeClock, FakeDispatcher, Harness, Reply, machine};
use serde_json::{Value, json};
use team_asl::{
    Engine, EngineError, EventKind, ExecutionStatus, MemoryExecutionStore, TaskDispatcher,
    TaskFailure, Waiting,
};
use time::Duration;

#[tokio::test]
async fn parameters_resolve_input_and_context_paths() {
    let h = Harness::new(json!({
        "StartAt": "Notify",
        "States": {"Notify": {
            "Type": "Task", "Resource": "notify.waitForTaskToken",
            "InputPath": "$.request",
            "Parameters": {
                "token.$": "$$.Task.Token", "id.$": "$.id", "first.$": "$.items[0]",
                "quoted.$": "$['odd key']", "exec.$": "$$.Execution.Name", "arn.$": "$$.Execution.Id",
                "start.$": "$$.Execution.StartTime", "state.$": "$$.State.Name",
                "entered.$": "$$.State.EnteredTime", "machine.$": "$$.StateMachine.Name",
                "literal": "$.id", "nested": {"all.$": "$"}
            },
            "End": true
        }}
    }));
    let input = json!({"request": {"id": "r-1", "items": ["a", "b"], "odd key": 7}, "other": 1});
    h.start("exec-1", input).await;
    h.drain().await;
    let calls = h.dispatcher.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].0, "notify",
        "the .waitForTaskToken suffix is removed"
    );
    let p = &calls[0].1;
    let token = p["token"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(token).unwrap().get_version_num(), 4);
    assert_eq!(p["id"], "r-1");
    assert_eq!(p["first"], "a");
    assert_eq!(p["quoted"], 7);
    assert_eq!(p["exec"], "exec-1");
    assert!(p["arn"].as_str().unwrap().ends_with(":execution:m:exec-1"));
    assert_eq!(p["start"], "2024-05-01T12:00:00.000Z");
    assert_eq!(p["entered"], "2024-05-01T12:00:00.000Z");
    assert_eq!(p["state"], "Notify");
    assert_eq!(p["machine"], "m");
    assert_eq!(p["literal"], "$.id");
    assert_eq!(p["nested"]["all"]["id"], "r-1");
    let rec = h.describe("exec-1").await;
    assert!(
        matches!(rec.waiting, Waiting::TaskToken { token: ref t, dispatched: true, .. } if t == token)
    );
}

#[tokio::test]
async fn result_selector_result_path_and_output_path_shape_the_output() {
    let h = Harness::new(json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": "lambda",
                "ResultSelector": {"value.$": "$.Payload.value", "fixed": 1},
                "ResultPath": "$.result.inner",
                "OutputPath": "$.result",
                "Next": "Keep"
            },
            "Keep": {"Type": "Pass", "ResultPath": null, "Result": "ignored", "Next": "Discard"},
            "Discard": {"Type": "Task", "Resource": "lambda", "ResultPath": null, "End": true}
        }
    }));
    h.dispatcher.script(
        "lambda",
        vec![
            Reply::Ok(json!({"Payload": {"value": 42}, "StatusCode": 200})),
            Reply::Ok(json!("dropped")),
        ],
    );
    h.start("e", json!({"keep": true})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(
        rec.output,
        Some(json!({"inner": {"value": 42, "fixed": 1}}))
    );
    assert_eq!(
        h.dispatcher.calls()[1].1,
        json!({"inner": {"value": 42, "fixed": 1}})
    );
}

#[tokio::test]
async fn pass_state_result_and_parameters() {
    let h = Harness::new(json!({
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Parameters": {"who.$": "$.user", "n": 1}, "ResultPath": "$.shaped", "Next": "Fixed"},
            "Fixed": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.a.b.c", "Next": "Out"},
            "Out": {"Type": "Succeed", "OutputPath": "$.a"}
        }
    }));
    h.start("e", json!({"user": "ann"})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.output, Some(json!({"b": {"c": {"ok": true}}})));
    let shaped = rec
        .history
        .iter()
        .find(|e| e.kind == EventKind::StateEntered && e.state.as_deref() == Some("Fixed"))
        .unwrap();
    assert_eq!(
        shaped.detail["input"],
        json!({"user": "ann", "shaped": {"who": "ann", "n": 1}})
    );
}

fn choice_machine(with_default: bool) -> Value {
    let mut choice = json!({
        "Type": "Choice",
        "Choices": [
            {"And": [
                {"Variable": "$.status", "StringEquals": "approved"},
                {"Variable": "$.duration", "NumericLessThanEquals": 8}
            ], "Next": "Approved"},
            {"Not": {"Variable": "$.approver", "IsPresent": true}, "Next": "NoApprover"},
            {"Variable": "$.approver", "StringMatches": "*@example.com", "Next": "Internal"}
        ]
    });
    if with_default {
        choice["Default"] = json!("Other");
    }
    json!({
        "StartAt": "Decide",
        "States": {
            "Decide": choice,
            "Approved": {"Type": "Pass", "Result": "approved", "End": true},
            "NoApprover": {"Type": "Pass", "Result": "no-approver", "End": true},
            "Internal": {"Type": "Pass", "Result": "internal", "End": true},
            "Other": {"Type": "Pass", "Result": "other", "End": true}
        }
    })
}

#[tokio::test]
async fn choice_picks_first_matching_rule_with_and_not_and_default() {
    let h = Harness::new(choice_machine(true));
    let cases = [
        (
            "a",
            json!({"status": "approved", "duration": 8, "approver": "x"}),
            "approved",
        ),
        (
            "b",
            json!({"status": "approved", "duration": 9}),
            "no-approver",
        ),
        (
            "c",
            json!({"status": "pending", "approver": "bob@example.com"}),
            "internal",
        ),
        (
            "d",
            json!({"status": "pending", "approver": "bob@other.org"}),
            "other",
        ),
    ];
    for (name, input, _) in &cases {
        h.start(name, input.clone()).await;
    }
    h.drain().await;
    for (name, _, expected) in cases {
        let rec = h.describe(name).await;
        assert_eq!(rec.output, Some(json!(expected)), "execution {name}");
    }
}

#[tokio::test]
async fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let h = Harness::new(choice_machine(false));
    h.start(
        "e",
        json!({"status": "pending", "approver": "bob@other.org"}),
    )
    .await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[tokio::test]
async fn choice_on_missing_variable_is_a_runtime_error() {
    let h = Harness::new(choice_machine(true));
    h.start("e", json!({"duration": 1})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("States.Runtime"));
}

#[tokio::test]
async fn wait_with_future_timestamp_path_continues_only_after_the_clock_passes_it() {
    let h = Harness::new(json!({
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "TimestampPath": "$.end", "Next": "After"},
            "After": {"Type": "Task", "Resource": "revoke", "End": true}
        }
    }));
    let end = h.clock.now() + Duration::seconds(3600);
    let end_text = end
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    h.start("e", json!({"end": end_text})).await;
    h.drain().await;
    assert_eq!(h.engine.next_wakeup().await, Some(end));
    assert!(matches!(h.describe("e").await.waiting, Waiting::Until { at, .. } if at == end));

    h.clock.advance(3599);
    assert_eq!(h.drain().await, 0);
    assert_eq!(h.dispatcher.call_count(), 0);
    assert_eq!(h.describe("e").await.status, ExecutionStatus::Running);

    h.clock.advance(1);
    assert!(h.drain().await > 0);
    assert_eq!(h.dispatcher.call_count(), 1);
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert!(rec.history.iter().any(|e| e.kind == EventKind::WaitEnded));
    assert_eq!(h.engine.next_wakeup().await, None);
}

#[tokio::test]
async fn wait_in_the_past_or_zero_seconds_continues_immediately() {
    let h = Harness::new(json!({
        "StartAt": "Past",
        "States": {
            "Past": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "Next": "Zero"},
            "Zero": {"Type": "Wait", "SecondsPath": "$.s", "OutputPath": "$.s", "End": true}
        }
    }));
    h.start("e", json!({"s": 0})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(rec.output, Some(json!(0)));
}

#[tokio::test]
async fn retry_backs_off_on_the_clock_and_succeeds_on_third_attempt() {
    let h = Harness::new(json!({
        "StartAt": "Grant",
        "States": {"Grant": {
            "Type": "Task", "Resource": "grant",
            "Retry": [
                {"ErrorEquals": ["Other"], "MaxAttempts": 5},
                {"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 3}
            ],
            "End": true
        }}
    }));
    h.dispatcher.script(
        "grant",
        vec![
            Reply::Fail("Throttled", "slow down"),
            Reply::Fail("Throttled", "slow down"),
            Reply::Ok(json!({"granted": true})),
        ],
    );
    let t0 = h.clock.now();
    h.start("e", json!({})).await;
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 1);
    assert_eq!(
        h.engine.next_wakeup().await,
        Some(t0 + Duration::seconds(2))
    );

    h.clock.advance(1);
    h.drain().await;
    assert_eq!(
        h.dispatcher.call_count(),
        1,
        "no retry before IntervalSeconds"
    );
    h.clock.advance(1);
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 2);
    // Second back-off: 2 * 3^1 = 6 seconds after the second failure.
    assert_eq!(
        h.engine.next_wakeup().await,
        Some(t0 + Duration::seconds(8))
    );
    h.clock.advance(5);
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 2);
    h.clock.advance(1);
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 3);

    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(rec.output, Some(json!({"granted": true})));
    let retries = rec
        .history
        .iter()
        .filter(|e| e.kind == EventKind::TaskRetryScheduled)
        .count();
    assert_eq!(retries, 2);
}

#[tokio::test]
async fn exhausted_retries_go_to_catch_with_result_path() {
    let h = Harness::new(json!({
        "StartAt": "Grant",
        "States": {
            "Grant": {
                "Type": "Task", "Resource": "grant",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                "Catch": [
                    {"ErrorEquals": ["Unrelated"], "Next": "Wrong"},
                    {"ErrorEquals": ["Grant.Failed"], "ResultPath": "$.error", "Next": "Handle"}
                ],
                "End": true
            },
            "Wrong": {"Type": "Fail", "Error": "Wrong"},
            "Handle": {"Type": "Pass", "End": true}
        }
    }));
    h.dispatcher.script(
        "grant",
        vec![
            Reply::Fail("Grant.Failed", "boom"),
            Reply::Fail("Grant.Failed", "boom again"),
        ],
    );
    h.start("e", json!({"request": 1})).await;
    h.drain().await;
    h.clock.advance(1);
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 2);
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(
        rec.output,
        Some(json!({"request": 1, "error": {"Error": "Grant.Failed", "Cause": "boom again"}}))
    );
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let h = Harness::new(json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "r",
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
            "End": true
        }}
    }));
    h.dispatcher.script("r", vec![Reply::Fail("E", "c")]);
    h.start("e", json!({})).await;
    h.drain().await;
    assert_eq!(h.dispatcher.call_count(), 1);
    assert_eq!(h.describe("e").await.status, ExecutionStatus::Failed);
}

#[tokio::test]
async fn uncaught_error_fails_the_execution_with_error_and_cause() {
    let h = Harness::new(json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "r",
            "Catch": [{"ErrorEquals": ["Something.Else"], "Next": "T"}],
            "End": true
        }}
    }));
    h.dispatcher
        .script("r", vec![Reply::Fail("Access.Denied", "no permission")]);
    h.start("e", json!({})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("Access.Denied"));
    assert_eq!(rec.cause.as_deref(), Some("no permission"));
    assert_eq!(rec.history.last().unwrap().kind, EventKind::ExecutionFailed);
}

#[tokio::test]
async fn fail_state_reports_error_and_cause() {
    let h = Harness::new(json!({
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "ErrorPath": "$.code", "Cause": "denied by policy"}}
    }));
    h.start("e", json!({"code": "Policy.Denied"})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("Policy.Denied"));
    assert_eq!(rec.cause.as_deref(), Some("denied by policy"));
}

#[tokio::test]
async fn unresolvable_path_is_a_runtime_error_that_catch_all_does_not_catch() {
    let h = Harness::new(json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": "r", "Parameters": {"x.$": "$.missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": true
            },
            "Caught": {"Type": "Succeed"}
        }
    }));
    h.start("e", json!({})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("States.Runtime"));
    assert_eq!(h.dispatcher.call_count(), 0);
}

fn approval_machine() -> Value {
    json!({
        "StartAt": "Approval",
        "States": {
            "Approval": {
                "Type": "Task", "Resource": "notify.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token", "request.$": "$.id"},
                "ResultPath": "$.decision",
                "TimeoutSeconds": 600,
                "Catch": [
                    {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "Expired"},
                    {"ErrorEquals": ["Rejected"], "ResultPath": "$.rejection", "Next": "Rejected"}
                ],
                "Next": "Approved"
            },
            "Approved": {"Type": "Succeed"},
            "Rejected": {"Type": "Succeed"},
            "Expired": {"Type": "Succeed"}
        }
    })
}

#[tokio::test]
async fn task_token_success_resumes_with_output_at_result_path() {
    let h = Harness::new(approval_machine());
    h.start("e", json!({"id": "req-1"})).await;
    h.drain().await;
    assert_eq!(h.describe("e").await.status, ExecutionStatus::Running);
    assert_eq!(h.drain().await, 0, "blocked on the token");
    let token = h.dispatcher.last_token();
    h.engine
        .send_task_success(&token, json!({"status": "approved"}))
        .await
        .unwrap();
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(rec.current_state.as_deref(), Some("Approved"));
    assert_eq!(
        rec.output,
        Some(json!({"id": "req-1", "decision": {"status": "approved"}}))
    );
}

#[tokio::test]
async fn task_token_failure_routes_to_catch() {
    let h = Harness::new(approval_machine());
    h.start("e", json!({"id": "req-1"})).await;
    h.drain().await;
    let token = h.dispatcher.last_token();
    h.engine
        .send_task_failure(&token, "Rejected", "approver said no")
        .await
        .unwrap();
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.current_state.as_deref(), Some("Rejected"));
    assert_eq!(
        rec.output,
        Some(
            json!({"id": "req-1", "rejection": {"Error": "Rejected", "Cause": "approver said no"}})
        )
    );
}

#[tokio::test]
async fn task_token_deadline_times_out_and_is_caught() {
    let h = Harness::new(approval_machine());
    h.start("e", json!({"id": "req-1"})).await;
    h.drain().await;
    let token = h.dispatcher.last_token();
    assert_eq!(
        h.engine.next_wakeup().await,
        Some(h.clock.now() + Duration::seconds(600))
    );
    h.clock.advance(599);
    assert_eq!(h.drain().await, 0);
    h.clock.advance(1);
    assert!(matches!(
        h.engine.send_task_success(&token, json!({})).await,
        Err(EngineError::TaskTimedOut)
    ));
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.current_state.as_deref(), Some("Expired"));
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(rec.output.unwrap()["timeout"]["Error"], "States.Timeout");
    assert!(matches!(
        h.engine.send_task_success(&token, json!({})).await,
        Err(EngineError::InvalidToken)
    ));
}

#[tokio::test]
async fn used_or_unknown_token_is_invalid() {
    let h = Harness::new(approval_machine());
    h.start("e", json!({"id": "req-1"})).await;
    h.drain().await;
    let token = h.dispatcher.last_token();
    h.engine.send_task_success(&token, json!(1)).await.unwrap();
    assert!(matches!(
        h.engine.send_task_success(&token, json!(2)).await,
        Err(EngineError::InvalidToken)
    ));
    h.drain().await;
    assert!(matches!(
        h.engine.send_task_failure(&token, "E", "c").await,
        Err(EngineError::InvalidToken)
    ));
    assert!(matches!(
        h.engine.send_task_success("not-a-token", json!(1)).await,
        Err(EngineError::InvalidToken)
    ));
    assert_eq!(h.describe("e").await.output.unwrap()["decision"], 1);
}

#[tokio::test]
async fn dispatcher_failure_of_a_token_task_fails_the_task() {
    let h = Harness::new(approval_machine());
    h.dispatcher
        .script("notify", vec![Reply::Fail("Rejected", "could not notify")]);
    h.start("e", json!({"id": "req-1"})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.current_state.as_deref(), Some("Rejected"));
    let token = h.dispatcher.last_token();
    assert!(matches!(
        h.engine.send_task_success(&token, json!({})).await,
        Err(EngineError::InvalidToken)
    ));
}

/// A handler that answers its own token from inside `invoke`, like a
/// waitForTaskToken handler that finds the decision already made.
struct ReentrantDispatcher {
    engine: OnceLock<Weak<Engine>>,
}

#[async_trait::async_trait]
impl TaskDispatcher for ReentrantDispatcher {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        let engine = self.engine.get().and_then(Weak::upgrade).unwrap();
        match resource {
            "notify" => {
                let token = parameters["token"].as_str().unwrap();
                engine
                    .send_task_success(token, json!({"status": "already-approved"}))
                    .await
                    .map_err(|e| TaskFailure::new("Reentrant", e.to_string()))?;
                // Also start another execution from inside a task.
                engine
                    .start_execution("m", "child", json!({"id": "child"}))
                    .await
                    .map_err(|e| TaskFailure::new("Reentrant", e.to_string()))?;
                Ok(json!({}))
            }
            _ => Ok(json!({})),
        }
    }
}

#[tokio::test]
async fn handler_can_send_task_success_reentrantly_without_deadlock() {
    let clock = FakeClock::new();
    let dispatcher = Arc::new(ReentrantDispatcher {
        engine: OnceLock::new(),
    });
    let mut engine = Engine::new(
        dispatcher.clone(),
        Arc::new(MemoryExecutionStore::new()),
        clock.as_fn(),
    );
    engine.register("m", machine(approval_machine()));
    let engine = Arc::new(engine);
    dispatcher.engine.set(Arc::downgrade(&engine)).unwrap();

    engine
        .start_execution("m", "parent", json!({"id": "p"}))
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), engine.drain())
        .await
        .expect("deadlock")
        .unwrap();
    for name in ["parent", "child"] {
        let rec = engine.describe(name).await.unwrap().unwrap();
        assert_eq!(rec.status, ExecutionStatus::Succeeded, "{name}");
        assert_eq!(
            rec.output.unwrap()["decision"]["status"],
            "already-approved"
        );
    }
}

#[tokio::test]
async fn plain_task_timeout_is_enforced_in_real_time() {
    let h = Harness::new(json!({
        "StartAt": "Slow",
        "States": {
            "Slow": {
                "Type": "Task", "Resource": "slow", "TimeoutSeconds": 1,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],
                "End": true
            },
            "TimedOut": {"Type": "Pass", "End": true}
        }
    }));
    h.dispatcher.script("slow", vec![Reply::Sleep(5_000)]);
    h.start("e", json!({})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.current_state.as_deref(), Some("TimedOut"));
    assert_eq!(rec.output.unwrap()["Error"], "States.Timeout");
}

#[tokio::test]
async fn execution_timeout_stops_a_waiting_execution() {
    let h = Harness::new(json!({
        "TimeoutSeconds": 10,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}
    }));
    h.start("e", json!({})).await;
    h.drain().await;
    assert_eq!(
        h.engine.next_wakeup().await,
        Some(h.clock.now() + Duration::seconds(10))
    );
    h.clock.advance(10);
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::TimedOut);
    assert_eq!(rec.error.as_deref(), Some("States.Timeout"));
}

#[tokio::test]
async fn starting_an_execution_signals_work_available() {
    let h = Harness::new(json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}));
    let notify = h.engine.work_available();
    h.start("e", json!({})).await;
    tokio::time::timeout(std::time::Duration::from_secs(1), notify.notified())
        .await
        .expect("work_available was not signalled");
    assert_eq!(h.engine.next_wakeup().await, Some(h.clock.now()));
    assert!(h.drain().await > 0);
    assert!(matches!(
        h.engine.start_execution("nope", "x", json!({})).await,
        Err(EngineError::StateMachineDoesNotExist { .. })
    ));
    assert!(matches!(
        h.engine.start_execution("m", "bad name", json!({})).await,
        Err(EngineError::InvalidName { .. })
    ));
}

#[tokio::test]
async fn dispatcher_is_fake_dispatcher_sanity() {
    // The fake dispatcher answers `{}` when nothing is scripted.
    let d = FakeDispatcher::new();
    assert_eq!(d.invoke("x", json!(1)).await, Ok(json!({})));
    assert_eq!(d.calls(), vec![("x".to_owned(), json!(1))]);
}

#[tokio::test]
async fn an_endless_loop_fails_at_the_history_limit() {
    let clock = FakeClock::new();
    let dispatcher = FakeDispatcher::new();
    let store = Arc::new(MemoryExecutionStore::new());
    let mut engine = Engine::new(dispatcher.clone(), store.clone(), clock.as_fn());
    engine.set_history_limit(500);
    engine.register("m", machine(json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "A"}]}
        }
    })));
    let h = Harness {
        engine: Arc::new(engine),
        clock,
        dispatcher,
        store,
    };
    h.start("e", json!({"go": true})).await;
    h.drain().await;
    let rec = h.describe("e").await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.error.as_deref(), Some("States.Runtime"));
    assert!(rec.cause.unwrap().contains("500"));
    assert!(rec.history.len() <= 502);
}
