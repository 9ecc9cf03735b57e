//! Loading definitions: the supported subset is accepted, everything else is
//! refused with an error naming the state and the field.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use serde_json::{Value, json};
use team_asl::{AslError, StateMachine};

fn parse(definition: Value) -> Result<StateMachine, AslError> {
    StateMachine::parse(&definition.to_string(), &HashMap::new())
}

fn with_state(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}})
}

/// The error must name the state and the field.
fn assert_state_error(definition: Value, state: &str, field: &str) -> String {
    let err = parse(definition).unwrap_err();
    let message = err.to_string();
    match &err {
        AslError::State {
            state: s, field: f, ..
        } => {
            assert_eq!(s, state, "{message}");
            assert_eq!(f, field, "{message}");
        }
        other => panic!("expected a state error, got {other:?}"),
    }
    assert!(
        message.contains(state) && message.contains(field),
        "{message}"
    );
    message
}

#[test]
fn rejects_map_state_naming_it() {
    let msg = assert_state_error(
        with_state(json!({"Type": "Map", "ItemProcessor": {}, "Next": "Done"})),
        "S",
        "Type",
    );
    assert!(msg.contains("Map"), "{msg}");
}

#[test]
fn rejects_parallel_state_naming_it() {
    let msg = assert_state_error(
        with_state(json!({"Type": "Parallel", "Branches": [], "End": true})),
        "S",
        "Type",
    );
    assert!(msg.contains("Parallel"), "{msg}");
}

#[test]
fn rejects_unknown_state_type() {
    assert_state_error(
        with_state(json!({"Type": "Sleep", "End": true})),
        "S",
        "Type",
    );
}

#[test]
fn rejects_unknown_field_on_a_state() {
    assert_state_error(
        with_state(json!({"Type": "Pass", "Nxt": "Done", "End": true})),
        "S",
        "Nxt",
    );
    assert_state_error(
        with_state(json!({"Type": "Task", "Resource": "r", "HeartbeatSeconds": 5, "End": true})),
        "S",
        "HeartbeatSeconds",
    );
}

#[test]
fn rejects_next_naming_an_unknown_state() {
    let msg = assert_state_error(
        with_state(json!({"Type": "Pass", "Next": "Nowhere"})),
        "S",
        "Next",
    );
    assert!(msg.contains("Nowhere"), "{msg}");
    assert_state_error(
        with_state(json!({
            "Type": "Task", "Resource": "r", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}]
        })),
        "S",
        "Catch[0].Next",
    );
    assert_state_error(
        with_state(json!({
            "Type": "Choice",
            "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}],
            "Default": "Ghost"
        })),
        "S",
        "Default",
    );
}

#[test]
fn rejects_unknown_start_at() {
    let err = parse(json!({"StartAt": "X", "States": {"S": {"Type": "Succeed"}}})).unwrap_err();
    assert!(
        matches!(err, AslError::Definition { ref field, .. } if field == "StartAt"),
        "{err}"
    );
}

#[test]
fn rejects_missing_next_and_end() {
    assert_state_error(with_state(json!({"Type": "Pass"})), "S", "Next");
    assert_state_error(
        with_state(json!({"Type": "Pass", "Next": "Done", "End": true})),
        "S",
        "Next",
    );
}

#[test]
fn rejects_intrinsic_functions_in_parameters() {
    let msg = assert_state_error(
        with_state(json!({
            "Type": "Task", "Resource": "r", "End": true,
            "Parameters": {"msg.$": "States.Format('hi {}', $.name)"}
        })),
        "S",
        "Parameters",
    );
    assert!(msg.contains("States.Format"), "{msg}");
}

#[test]
fn rejects_jsonata() {
    let err = parse(json!({
        "QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}
    }))
    .unwrap_err();
    assert!(err.to_string().contains("JSONata"), "{err}");
    assert_state_error(
        with_state(json!({"Type": "Pass", "QueryLanguage": "JSONata", "End": true})),
        "S",
        "QueryLanguage",
    );
    assert_state_error(
        with_state(json!({"Type": "Pass", "Output": "{% $states.input %}", "End": true})),
        "S",
        "Output",
    );
}

#[test]
fn rejects_bad_retry_and_catch() {
    assert_state_error(
        with_state(json!({
            "Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]
        })),
        "S",
        "Retry[0].ErrorEquals",
    );
    assert_state_error(
        with_state(json!({
            "Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]
        })),
        "S",
        "Retry[0].BackoffRate",
    );
    assert_state_error(
        with_state(json!({
            "Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]
        })),
        "S",
        "Retry[0].JitterStrategy",
    );
}

#[test]
fn rejects_bad_paths_and_choice_rules() {
    assert_state_error(
        with_state(json!({"Type": "Pass", "InputPath": "$.items[*]", "Next": "Done"})),
        "S",
        "InputPath",
    );
    assert_state_error(
        with_state(json!({
            "Type": "Choice",
            "Choices": [{"Variable": "$.a", "StringEquals": 3, "Next": "Done"}]
        })),
        "S",
        "Choices[0].StringEquals",
    );
    assert_state_error(
        with_state(json!({
            "Type": "Choice",
            "Choices": [{"Not": {"Variable": "$.a", "IsNull": true, "Next": "Done"}, "Next": "Done"}]
        })),
        "S",
        "Choices[0].Not.Next",
    );
    assert_state_error(
        with_state(
            json!({"Type": "Wait", "Seconds": 1, "Timestamp": "2024-01-01T00:00:00Z", "Next": "Done"}),
        ),
        "S",
        "Timestamp",
    );
}

#[test]
fn rejects_unknown_placeholder() {
    let text = r#"{"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "${Known}", "Next": "T"},
        "T": {"Type": "Task", "Resource": "${Missing}", "End": true}}}"#;
    let subs = HashMap::from([("Known".to_owned(), "arn:x".to_owned())]);
    let err = StateMachine::parse(text, &subs).unwrap_err();
    assert!(
        matches!(err, AslError::UnknownPlaceholder { ref name } if name == "Missing"),
        "{err}"
    );
    assert!(err.to_string().contains("${Missing}"), "{err}");
}

#[test]
fn applies_substitutions() {
    let text = r#"{"Comment": "c", "StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Parameters": {"FunctionName": "${NotifyFn}"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": "${GrantFn}", "End": true}}}"#;
    let subs = HashMap::from([
        ("NotifyFn".to_owned(), "notify".to_owned()),
        (
            "GrantFn".to_owned(),
            "arn:aws:lambda:eu-west-1:1:function:grant".to_owned(),
        ),
    ]);
    let machine = StateMachine::parse(text, &subs).unwrap();
    let resources: Vec<(&str, &str)> = machine.task_resources().collect();
    assert_eq!(
        resources,
        vec![
            ("S", "arn:aws:states:::lambda:invoke"),
            ("T", "arn:aws:lambda:eu-west-1:1:function:grant"),
        ]
    );
    assert_eq!(machine.start_at(), "S");
    assert_eq!(machine.comment(), Some("c"));
}

#[test]
fn accepts_the_full_subset_and_unreachable_states() {
    let machine = parse(json!({
        "Comment": "everything supported",
        "Version": "1.0",
        "TimeoutSeconds": 3600,
        "QueryLanguage": "JSONPath",
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task", "Resource": "r.waitForTaskToken", "Comment": "c",
                "InputPath": "$.in", "Parameters": {"t.$": "$$.Task.Token", "x.$": "$['a'][0]", "n": {"y.$": "$"}},
                "ResultSelector": {"v.$": "$.v"}, "ResultPath": "$.out", "OutputPath": "$",
                "TimeoutSecondsPath": "$.timeout",
                "Retry": [{"ErrorEquals": ["A", "B"], "IntervalSeconds": 2, "MaxAttempts": 0,
                           "BackoffRate": 1.5, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"},
                          {"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": null, "Next": "Choose"}],
                "Next": "Choose"
            },
            "Choose": {
                "Type": "Choice", "InputPath": "$", "OutputPath": null,
                "Choices": [
                    {"And": [{"Variable": "$.a", "StringMatches": "x*"},
                             {"Or": [{"Variable": "$.b", "NumericGreaterThanEqualsPath": "$.c"},
                                     {"Not": {"Variable": "$.d", "TimestampLessThan": "2024-01-01T00:00:00Z"}}]}],
                     "Next": "Wait"}
                ],
                "Default": "Fail"
            },
            "Wait": {"Type": "Wait", "TimestampPath": "$.when", "Next": "Pass"},
            "Pass": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.r", "End": true},
            "Fail": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "bad"},
            "Orphan": {"Type": "Succeed", "OutputPath": "$.x"}
        }
    }))
    .unwrap();
    let names: Vec<&str> = machine.state_names().collect();
    assert_eq!(
        names,
        vec!["Choose", "Fail", "Orphan", "Pass", "Task", "Wait"]
    );
    assert_eq!(machine.timeout_seconds(), Some(3600));
    assert_eq!(machine.state_type("Wait"), Some("Wait"));
}

#[test]
fn rejects_invalid_json_and_unterminated_placeholder() {
    assert!(matches!(
        StateMachine::parse("{", &HashMap::new()),
        Err(AslError::Json(_))
    ));
    assert!(matches!(
        StateMachine::parse(r#"{"StartAt": "${Oops"}"#, &HashMap::new()),
        Err(AslError::UnterminatedPlaceholder { .. })
    ));
}
