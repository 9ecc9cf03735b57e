//! Parsing and validation of state machine definitions.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::choice::{self, Rule};
use crate::error::AslError;
use crate::path::RefPath;
use crate::template::Template;

/// Suffix of a Task `Resource` selecting the callback (task token) pattern.
const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";

/// A parsed and validated state machine definition.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    comment: Option<String>,
    start_at: String,
    timeout_seconds: Option<u64>,
    states: BTreeMap<String, State>,
}

/// Where a state goes when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transition {
    Next(String),
    End,
}

/// One state of the machine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    /// `InputPath`; `None` is an explicit `null`.
    pub(crate) input_path: Option<RefPath>,
    /// `OutputPath`; `None` is an explicit `null`.
    pub(crate) output_path: Option<RefPath>,
    pub(crate) kind: StateKind,
}

/// The type-specific part of a state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StateKind {
    Task(Box<TaskState>),
    Pass(PassState),
    Wait(WaitState),
    Choice(ChoiceState),
    Succeed,
    Fail(FailState),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskState {
    pub(crate) resource: String,
    pub(crate) wait_for_task_token: bool,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    /// `ResultPath`; `None` is an explicit `null` (discard the result).
    pub(crate) result_path: Option<RefPath>,
    pub(crate) timeout: Option<TaskTimeout>,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
    pub(crate) transition: Transition,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TaskTimeout {
    Seconds(u64),
    Path(RefPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jitter {
    Full,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retrier {
    pub(crate) error_equals: Vec<String>,
    pub(crate) interval_seconds: u64,
    pub(crate) max_attempts: u64,
    pub(crate) backoff_rate: f64,
    pub(crate) max_delay_seconds: Option<u64>,
    pub(crate) jitter: Jitter,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catcher {
    pub(crate) error_equals: Vec<String>,
    pub(crate) result_path: Option<RefPath>,
    pub(crate) next: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PassState {
    pub(crate) result: Option<Value>,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_path: Option<RefPath>,
    pub(crate) transition: Transition,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WaitSpec {
    Seconds(u64),
    SecondsPath(RefPath),
    Timestamp(OffsetDateTime),
    TimestampPath(RefPath),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WaitState {
    pub(crate) spec: WaitSpec,
    pub(crate) transition: Transition,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChoiceState {
    pub(crate) choices: Vec<(Rule, String)>,
    pub(crate) default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TextSource {
    Absent,
    Literal(String),
    Path(RefPath),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FailState {
    pub(crate) error: TextSource,
    pub(crate) cause: TextSource,
}

/// Largest value AWS accepts for the various `*Seconds` fields.
const MAX_SECONDS: u64 = 99_999_999;

impl StateMachine {
    /// Parse a definition, first replacing `${Name}` placeholders (like SAM
    /// `DefinitionSubstitutions`) with the values in `substitutions`; an
    /// unknown placeholder is an error. Anything outside the supported subset
    /// is rejected with an error naming the state and field.
    ///
    /// # Errors
    /// [`AslError`] for invalid JSON, an unknown or malformed placeholder, or
    /// a definition outside the supported subset.
    pub fn parse(
        json: &str,
        substitutions: &HashMap<String, String>,
    ) -> Result<StateMachine, AslError> {
        let text = substitute(json, substitutions)?;
        let root: Value = serde_json::from_str(&text).map_err(AslError::Json)?;
        parse_definition(&root)
    }

    /// The name of the first state.
    pub fn start_at(&self) -> &str {
        &self.start_at
    }

    /// The names of all states (in lexicographic order).
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.states.keys().map(String::as_str)
    }

    /// The top-level `Comment`, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The execution timeout (`TimeoutSeconds` at the top level), if any.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }

    /// The `Type` of the named state (`"Task"`, `"Wait"`, ...), if it exists.
    pub fn state_type(&self, name: &str) -> Option<&'static str> {
        self.states.get(name).map(|state| match state.kind {
            StateKind::Task(_) => "Task",
            StateKind::Pass(_) => "Pass",
            StateKind::Wait(_) => "Wait",
            StateKind::Choice(_) => "Choice",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
        })
    }

    /// The `Resource` of each Task state (without `.waitForTaskToken`), by state name.
    pub fn task_resources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.states
            .iter()
            .filter_map(|(name, state)| match &state.kind {
                StateKind::Task(task) => Some((name.as_str(), task.resource.as_str())),
                _ => None,
            })
    }

    pub(crate) fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
}

/// Replace every `${Name}` in `text`.
pub(crate) fn substitute(
    text: &str,
    substitutions: &HashMap<String, String>,
) -> Result<String, AslError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':')))
            .filter(|end| after[*end..].starts_with('}'))
            .ok_or(AslError::UnterminatedPlaceholder {
                offset: consumed + start,
            })?;
        let name = &after[..end];
        let value = substitutions
            .get(name)
            .ok_or_else(|| AslError::UnknownPlaceholder {
                name: name.to_owned(),
            })?;
        out.push_str(value);
        let advance = start + 2 + end + 1;
        consumed += advance;
        rest = &rest[advance..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Collects `Next` targets to check once every state is known.
struct References {
    targets: Vec<(String, String, String)>,
}

fn definition_error(field: &str, reason: impl Into<String>) -> AslError {
    AslError::Definition {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn parse_definition(root: &Value) -> Result<StateMachine, AslError> {
    let Value::Object(map) = root else {
        return Err(definition_error(
            "(root)",
            "the definition must be a JSON object",
        ));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "Comment" | "StartAt" | "States" | "TimeoutSeconds" | "Version" | "QueryLanguage"
        ) {
            return Err(definition_error(
                key,
                "unknown field (not part of the ASL subset supported by team-asl)",
            ));
        }
    }
    check_query_language(map.get("QueryLanguage"))
        .map_err(|r| definition_error("QueryLanguage", r))?;
    let comment = match map.get("Comment") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(definition_error("Comment", "must be a string")),
    };
    if let Some(version) = map.get("Version")
        && !version.is_string()
    {
        return Err(definition_error("Version", "must be a string"));
    }
    let start_at = match map.get("StartAt") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(definition_error("StartAt", "must be a string")),
        None => return Err(definition_error("StartAt", "is required")),
    };
    let timeout_seconds = match map.get("TimeoutSeconds") {
        None => None,
        Some(v) => Some(
            positive_integer(v)
                .ok_or_else(|| definition_error("TimeoutSeconds", "must be a positive integer"))?,
        ),
    };
    let states_map = match map.get("States") {
        Some(Value::Object(states)) if !states.is_empty() => states,
        Some(_) => return Err(definition_error("States", "must be a non-empty object")),
        None => return Err(definition_error("States", "is required")),
    };
    let mut refs = References {
        targets: Vec::new(),
    };
    let mut states = BTreeMap::new();
    for (name, value) in states_map {
        let state = parse_state(name, value, &mut refs)?;
        states.insert(name.clone(), state);
    }
    if !states.contains_key(&start_at) {
        return Err(definition_error(
            "StartAt",
            format!("names `{start_at}`, which is not a state in `States`"),
        ));
    }
    for (state, field, target) in refs.targets {
        if !states.contains_key(&target) {
            return Err(AslError::State {
                state,
                field,
                reason: format!("names `{target}`, which is not a state in `States`"),
            });
        }
    }
    Ok(StateMachine {
        comment,
        start_at,
        timeout_seconds,
        states,
    })
}

fn check_query_language(value: Option<&Value>) -> Result<(), String> {
    match value {
        None => Ok(()),
        Some(Value::String(s)) if s == "JSONPath" => Ok(()),
        Some(Value::String(s)) if s == "JSONata" => {
            Err("JSONata is not supported by team-asl (only JSONPath)".to_owned())
        }
        Some(_) => Err("must be \"JSONPath\"".to_owned()),
    }
}

fn positive_integer(value: &Value) -> Option<u64> {
    value.as_u64().filter(|v| (1..=MAX_SECONDS).contains(v))
}

/// Field access on one state's JSON object, producing errors that name the state.
struct Fields<'a> {
    state: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn error(&self, field: &str, reason: impl Into<String>) -> AslError {
        AslError::State {
            state: self.state.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    fn allow(&self, type_name: &str, allowed: &[&str]) -> Result<(), AslError> {
        for key in self.map.keys() {
            if matches!(key.as_str(), "Type" | "Comment" | "QueryLanguage")
                || allowed.contains(&key.as_str())
            {
                continue;
            }
            let reason = match key.as_str() {
                "HeartbeatSeconds" | "HeartbeatSecondsPath" => {
                    "task heartbeats are not supported by team-asl".to_owned()
                }
                "Arguments" | "Output" | "Assign" => {
                    format!("`{key}` belongs to JSONata/variables, which team-asl does not support")
                }
                _ => format!("unknown or unsupported field for a {type_name} state"),
            };
            return Err(self.error(key, reason));
        }
        if let Some(comment) = self.map.get("Comment")
            && !comment.is_string()
        {
            return Err(self.error("Comment", "must be a string"));
        }
        check_query_language(self.map.get("QueryLanguage"))
            .map_err(|r| self.error("QueryLanguage", r))
    }

    fn string(&self, field: &str) -> Result<Option<&'a str>, AslError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.error(field, "must be a string")),
        }
    }

    fn required_string(&self, field: &str) -> Result<&'a str, AslError> {
        self.string(field)?
            .ok_or_else(|| self.error(field, "is required"))
    }

    /// A reference path rooted at `$` or `$$`.
    fn path(&self, field: &str) -> Result<Option<RefPath>, AslError> {
        self.string(field)?
            .map(|text| RefPath::parse(text).map_err(|e| self.error(field, e.to_string())))
            .transpose()
    }

    /// `InputPath` / `OutputPath` / `ResultPath`: absent means `$`, `null`
    /// means `None`, otherwise a path rooted at `$`.
    fn io_path(&self, field: &str) -> Result<Option<RefPath>, AslError> {
        match self.map.get(field) {
            None => Ok(Some(RefPath::root())),
            Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => RefPath::parse_input(text)
                .map(Some)
                .map_err(|e| self.error(field, e.to_string())),
            Some(_) => Err(self.error(field, "must be a path string or null")),
        }
    }

    fn template(&self, field: &str) -> Result<Option<Template>, AslError> {
        self.map
            .get(field)
            .map(|value| Template::compile(value).map_err(|e| self.error(field, e.to_string())))
            .transpose()
    }

    fn seconds(&self, field: &str, allow_zero: bool) -> Result<Option<u64>, AslError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(value) => {
                let min = u64::from(!allow_zero);
                value
                    .as_u64()
                    .filter(|v| (min..=MAX_SECONDS).contains(v))
                    .map(Some)
                    .ok_or_else(|| {
                        let what = if allow_zero {
                            "non-negative"
                        } else {
                            "positive"
                        };
                        self.error(
                            field,
                            format!("must be a {what} integer (at most {MAX_SECONDS})"),
                        )
                    })
            }
        }
    }

    fn transition(&self, refs: &mut References) -> Result<Transition, AslError> {
        match (self.map.get("Next"), self.map.get("End")) {
            (Some(_), Some(_)) => {
                Err(self.error("Next", "a state cannot have both `Next` and `End`"))
            }
            (Some(Value::String(next)), None) => {
                refs.targets
                    .push((self.state.to_owned(), "Next".to_owned(), next.clone()));
                Ok(Transition::Next(next.clone()))
            }
            (Some(_), None) => Err(self.error("Next", "must be a string")),
            (None, Some(Value::Bool(true))) => Ok(Transition::End),
            (None, Some(_)) => Err(self.error("End", "must be `true` (or use `Next`)")),
            (None, None) => {
                Err(self.error("Next", "missing: the state needs `Next` or `\"End\": true`"))
            }
        }
    }
}

fn parse_state(name: &str, value: &Value, refs: &mut References) -> Result<State, AslError> {
    let Value::Object(map) = value else {
        return Err(AslError::State {
            state: name.to_owned(),
            field: "(state)".to_owned(),
            reason: "a state must be a JSON object".to_owned(),
        });
    };
    let f = Fields { state: name, map };
    let type_name = f.required_string("Type")?;
    let kind = match type_name {
        "Task" => {
            f.allow(
                "Task",
                &[
                    "Resource",
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "InputPath",
                    "OutputPath",
                    "TimeoutSeconds",
                    "TimeoutSecondsPath",
                    "Retry",
                    "Catch",
                    "Next",
                    "End",
                ],
            )?;
            StateKind::Task(Box::new(parse_task(&f, refs)?))
        }
        "Pass" => {
            f.allow(
                "Pass",
                &[
                    "Result",
                    "ResultPath",
                    "Parameters",
                    "InputPath",
                    "OutputPath",
                    "Next",
                    "End",
                ],
            )?;
            StateKind::Pass(PassState {
                result: f.map.get("Result").cloned(),
                parameters: f.template("Parameters")?,
                result_path: f.io_path("ResultPath")?,
                transition: f.transition(refs)?,
            })
        }
        "Wait" => {
            f.allow(
                "Wait",
                &[
                    "Seconds",
                    "SecondsPath",
                    "Timestamp",
                    "TimestampPath",
                    "InputPath",
                    "OutputPath",
                    "Next",
                    "End",
                ],
            )?;
            StateKind::Wait(parse_wait(&f, refs)?)
        }
        "Choice" => {
            f.allow("Choice", &["Choices", "Default", "InputPath", "OutputPath"])?;
            StateKind::Choice(parse_choice(&f, refs)?)
        }
        "Succeed" => {
            f.allow("Succeed", &["InputPath", "OutputPath"])?;
            StateKind::Succeed
        }
        "Fail" => {
            f.allow("Fail", &["Error", "Cause", "ErrorPath", "CausePath"])?;
            StateKind::Fail(FailState {
                error: text_source(&f, "Error", "ErrorPath")?,
                cause: text_source(&f, "Cause", "CausePath")?,
            })
        }
        "Map" | "Parallel" => {
            return Err(f.error(
                "Type",
                format!("state type `{type_name}` is not supported by team-asl"),
            ));
        }
        other => return Err(f.error("Type", format!("unknown state type `{other}`"))),
    };
    Ok(State {
        input_path: f.io_path("InputPath")?,
        output_path: f.io_path("OutputPath")?,
        kind,
    })
}

fn text_source(f: &Fields<'_>, literal: &str, path: &str) -> Result<TextSource, AslError> {
    match (f.string(literal)?, f.path(path)?) {
        (Some(_), Some(_)) => {
            Err(f.error(path, format!("cannot be used together with `{literal}`")))
        }
        (Some(text), None) => Ok(TextSource::Literal(text.to_owned())),
        (None, Some(p)) => Ok(TextSource::Path(p)),
        (None, None) => Ok(TextSource::Absent),
    }
}

fn parse_task(f: &Fields<'_>, refs: &mut References) -> Result<TaskState, AslError> {
    let raw_resource = f.required_string("Resource")?;
    let (resource, wait_for_task_token) = match raw_resource.strip_suffix(WAIT_FOR_TASK_TOKEN) {
        Some(base) => (base, true),
        None => (raw_resource, false),
    };
    if resource.is_empty() {
        return Err(f.error("Resource", "must not be empty"));
    }
    if resource.ends_with(".sync") || resource.contains(".sync:") {
        return Err(f.error(
            "Resource",
            "the `.sync` (run a job) integration pattern is not supported by team-asl",
        ));
    }
    let timeout = match (
        f.seconds("TimeoutSeconds", false)?,
        f.map.get("TimeoutSecondsPath"),
    ) {
        (Some(_), Some(_)) => {
            return Err(f.error(
                "TimeoutSecondsPath",
                "cannot be used together with `TimeoutSeconds`",
            ));
        }
        (Some(seconds), None) => Some(TaskTimeout::Seconds(seconds)),
        (None, Some(_)) => f.path("TimeoutSecondsPath")?.map(TaskTimeout::Path),
        (None, None) => None,
    };
    let retry = match f.map.get("Retry") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut retriers = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                retriers.push(parse_retrier(f, i, item, items.len())?);
            }
            retriers
        }
        Some(_) => return Err(f.error("Retry", "must be an array of retriers")),
    };
    let catch = match f.map.get("Catch") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut catchers = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                catchers.push(parse_catcher(f, i, item, items.len(), refs)?);
            }
            catchers
        }
        Some(_) => return Err(f.error("Catch", "must be an array of catchers")),
    };
    Ok(TaskState {
        resource: resource.to_owned(),
        wait_for_task_token,
        parameters: f.template("Parameters")?,
        result_selector: f.template("ResultSelector")?,
        result_path: f.io_path("ResultPath")?,
        timeout,
        retry,
        catch,
        transition: f.transition(refs)?,
    })
}

fn error_equals(
    f: &Fields<'_>,
    location: &str,
    map: &Map<String, Value>,
    index: usize,
    count: usize,
) -> Result<Vec<String>, AslError> {
    let field = format!("{location}.ErrorEquals");
    let Some(Value::Array(items)) = map.get("ErrorEquals") else {
        return Err(f.error(
            &field,
            "is required and must be a non-empty array of error names",
        ));
    };
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(name) = item else {
            return Err(f.error(&field, "must contain only strings"));
        };
        names.push(name.clone());
    }
    if names.is_empty() {
        return Err(f.error(&field, "must not be empty"));
    }
    if names.iter().any(|n| n == "States.ALL") {
        if names.len() != 1 {
            return Err(f.error(&field, "`States.ALL` must appear alone"));
        }
        if index + 1 != count {
            return Err(f.error(&field, "a `States.ALL` entry must be the last one"));
        }
    }
    Ok(names)
}

fn parse_retrier(
    f: &Fields<'_>,
    index: usize,
    value: &Value,
    count: usize,
) -> Result<Retrier, AslError> {
    let location = format!("Retry[{index}]");
    let Value::Object(map) = value else {
        return Err(f.error(&location, "must be an object"));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "ErrorEquals"
                | "IntervalSeconds"
                | "MaxAttempts"
                | "BackoffRate"
                | "MaxDelaySeconds"
                | "JitterStrategy"
                | "Comment"
        ) {
            return Err(f.error(&format!("{location}.{key}"), "unknown field in a retrier"));
        }
    }
    let error_equals = error_equals(f, &location, map, index, count)?;
    let interval_seconds = match map.get("IntervalSeconds") {
        None => 1,
        Some(v) => positive_integer(v).ok_or_else(|| {
            f.error(
                &format!("{location}.IntervalSeconds"),
                "must be a positive integer",
            )
        })?,
    };
    let max_attempts = match map.get("MaxAttempts") {
        None => 3,
        Some(v) => v.as_u64().filter(|n| *n <= MAX_SECONDS).ok_or_else(|| {
            f.error(
                &format!("{location}.MaxAttempts"),
                "must be a non-negative integer",
            )
        })?,
    };
    let backoff_rate = match map.get("BackoffRate") {
        None => 2.0,
        Some(v) => v
            .as_f64()
            .filter(|r| r.is_finite() && *r >= 1.0)
            .ok_or_else(|| {
                f.error(
                    &format!("{location}.BackoffRate"),
                    "must be a number >= 1.0",
                )
            })?,
    };
    let max_delay_seconds = match map.get("MaxDelaySeconds") {
        None => None,
        Some(v) => Some(positive_integer(v).ok_or_else(|| {
            f.error(
                &format!("{location}.MaxDelaySeconds"),
                "must be a positive integer",
            )
        })?),
    };
    let jitter = match map.get("JitterStrategy") {
        None => Jitter::None,
        Some(Value::String(s)) if s == "FULL" => Jitter::Full,
        Some(Value::String(s)) if s == "NONE" => Jitter::None,
        Some(_) => {
            return Err(f.error(
                &format!("{location}.JitterStrategy"),
                "must be \"FULL\" or \"NONE\"",
            ));
        }
    };
    Ok(Retrier {
        error_equals,
        interval_seconds,
        max_attempts,
        backoff_rate,
        max_delay_seconds,
        jitter,
    })
}

fn parse_catcher(
    f: &Fields<'_>,
    index: usize,
    value: &Value,
    count: usize,
    refs: &mut References,
) -> Result<Catcher, AslError> {
    let location = format!("Catch[{index}]");
    let Value::Object(map) = value else {
        return Err(f.error(&location, "must be an object"));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "ErrorEquals" | "Next" | "ResultPath" | "Comment"
        ) {
            return Err(f.error(&format!("{location}.{key}"), "unknown field in a catcher"));
        }
    }
    let error_equals = error_equals(f, &location, map, index, count)?;
    let next_field = format!("{location}.Next");
    let Some(Value::String(next)) = map.get("Next") else {
        return Err(f.error(&next_field, "is required and must be a string"));
    };
    refs.targets
        .push((f.state.to_owned(), next_field, next.clone()));
    let result_path = match map.get("ResultPath") {
        None => Some(RefPath::root()),
        Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            RefPath::parse_input(text)
                .map_err(|e| f.error(&format!("{location}.ResultPath"), e.to_string()))?,
        ),
        Some(_) => {
            return Err(f.error(
                &format!("{location}.ResultPath"),
                "must be a path string or null",
            ));
        }
    };
    Ok(Catcher {
        error_equals,
        result_path,
        next: next.clone(),
    })
}

fn parse_wait(f: &Fields<'_>, refs: &mut References) -> Result<WaitState, AslError> {
    let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        .into_iter()
        .filter(|k| f.map.contains_key(*k))
        .collect();
    if present.len() != 1 {
        return Err(f.error(
            present.get(1).copied().unwrap_or("Seconds"),
            "a Wait state needs exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`",
        ));
    }
    let spec = if let Some(seconds) = f.seconds("Seconds", true)? {
        WaitSpec::Seconds(seconds)
    } else if let Some(path) = f.path("SecondsPath")? {
        WaitSpec::SecondsPath(path)
    } else if let Some(text) = f.string("Timestamp")? {
        let at = choice::parse_timestamp(text)
            .ok_or_else(|| f.error("Timestamp", "must be an RFC 3339 timestamp"))?;
        WaitSpec::Timestamp(at)
    } else {
        let path = f
            .path("TimestampPath")?
            .ok_or_else(|| f.error("TimestampPath", "is required"))?;
        WaitSpec::TimestampPath(path)
    };
    Ok(WaitState {
        spec,
        transition: f.transition(refs)?,
    })
}

fn parse_choice(f: &Fields<'_>, refs: &mut References) -> Result<ChoiceState, AslError> {
    let Some(Value::Array(items)) = f.map.get("Choices") else {
        return Err(f.error("Choices", "is required and must be a non-empty array"));
    };
    if items.is_empty() {
        return Err(f.error("Choices", "must not be empty"));
    }
    let mut choices = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let location = format!("Choices[{i}]");
        let Value::Object(map) = item else {
            return Err(f.error(&location, "must be a rule object"));
        };
        let rule = choice::parse_rule(map, true)
            .map_err(|e| f.error(&format!("{location}.{}", e.field), e.reason))?;
        let next_field = format!("{location}.Next");
        let Some(Value::String(next)) = map.get("Next") else {
            return Err(f.error(&next_field, "is required and must be a string"));
        };
        refs.targets
            .push((f.state.to_owned(), next_field, next.clone()));
        choices.push((rule, next.clone()));
    }
    let default = match f.string("Default")? {
        Some(target) => {
            refs.targets
                .push((f.state.to_owned(), "Default".to_owned(), target.to_owned()));
            Some(target.to_owned())
        }
        None => None,
    };
    Ok(ChoiceState { choices, default })
}
