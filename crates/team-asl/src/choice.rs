//! Choice rules: parsing and evaluation.

use std::cmp::Ordering;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::path::RefPath;

/// A Choice rule (top-level or nested).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare { variable: RefPath, test: Test },
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Literal(Value),
    Path(RefPath),
}

/// Which ordering a comparison accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Relation {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Relation::Eq => ordering == Ordering::Equal,
            Relation::Lt => ordering == Ordering::Less,
            Relation::Gt => ordering == Ordering::Greater,
            Relation::Le => ordering != Ordering::Greater,
            Relation::Ge => ordering != Ordering::Less,
        }
    }
}

/// One element of a `StringMatches` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatternToken {
    Literal(char),
    Star,
}

/// The comparison a rule performs on its variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    String(Relation, Operand),
    Numeric(Relation, Operand),
    Boolean(Operand),
    Timestamp(Relation, Operand),
    Matches(Vec<PatternToken>),
    IsPresent(bool),
    IsNull(bool),
    IsString(bool),
    IsNumeric(bool),
    IsBoolean(bool),
    IsTimestamp(bool),
}

/// Why a rule could not be parsed: the field (relative to the rule) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleError {
    pub(crate) field: String,
    pub(crate) reason: String,
}

/// A path used by a rule did not resolve at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path `{path}`: the choice state's condition path references an invalid value")]
pub(crate) struct RuleMiss {
    pub(crate) path: String,
}

#[derive(Clone, Copy)]
enum Family {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

const COMPARISONS: &[(&str, Family, Relation)] = &[
    ("StringEquals", Family::String, Relation::Eq),
    ("StringLessThan", Family::String, Relation::Lt),
    ("StringGreaterThan", Family::String, Relation::Gt),
    ("StringLessThanEquals", Family::String, Relation::Le),
    ("StringGreaterThanEquals", Family::String, Relation::Ge),
    ("NumericEquals", Family::Numeric, Relation::Eq),
    ("NumericLessThan", Family::Numeric, Relation::Lt),
    ("NumericGreaterThan", Family::Numeric, Relation::Gt),
    ("NumericLessThanEquals", Family::Numeric, Relation::Le),
    ("NumericGreaterThanEquals", Family::Numeric, Relation::Ge),
    ("BooleanEquals", Family::Boolean, Relation::Eq),
    ("TimestampEquals", Family::Timestamp, Relation::Eq),
    ("TimestampLessThan", Family::Timestamp, Relation::Lt),
    ("TimestampGreaterThan", Family::Timestamp, Relation::Gt),
    ("TimestampLessThanEquals", Family::Timestamp, Relation::Le),
    (
        "TimestampGreaterThanEquals",
        Family::Timestamp,
        Relation::Ge,
    ),
];

const TYPE_TESTS: &[&str] = &[
    "IsPresent",
    "IsNull",
    "IsString",
    "IsNumeric",
    "IsBoolean",
    "IsTimestamp",
];

fn is_operator(key: &str) -> bool {
    key == "StringMatches"
        || TYPE_TESTS.contains(&key)
        || COMPARISONS.iter().any(|(name, _, _)| {
            key == *name || key.strip_suffix("Path").is_some_and(|base| base == *name)
        })
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> RuleError {
    RuleError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parse a rule object. `top_level` rules carry `Next` (handled by the caller,
/// which passes `allow_next`); nested ones must not.
pub(crate) fn parse_rule(map: &Map<String, Value>, allow_next: bool) -> Result<Rule, RuleError> {
    for key in map.keys() {
        let known = matches!(key.as_str(), "Variable" | "Comment" | "And" | "Or" | "Not")
            || (allow_next && key == "Next")
            || is_operator(key);
        if !known {
            let reason = if key == "Next" {
                "`Next` is only allowed on top-level Choice rules".to_owned()
            } else if key == "Condition" {
                "JSONata `Condition` is not supported by team-asl".to_owned()
            } else {
                format!("unknown field `{key}` in a Choice rule")
            };
            return Err(err(key.clone(), reason));
        }
    }
    if let Some(Value::String(_)) | None = map.get("Comment") {
    } else {
        return Err(err("Comment", "must be a string"));
    }
    let logical: Vec<&str> = ["And", "Or", "Not"]
        .into_iter()
        .filter(|k| map.contains_key(*k))
        .collect();
    let operators: Vec<&String> = map.keys().filter(|k| is_operator(k)).collect();
    if logical.len() + operators.len() != 1 {
        return Err(err(
            "(rule)",
            "a Choice rule must hold exactly one of `And`, `Or`, `Not` or one comparison operator",
        ));
    }
    if let Some(&op) = logical.first() {
        if map.contains_key("Variable") {
            return Err(err("Variable", format!("not allowed together with `{op}`")));
        }
        let value = map.get(op).unwrap_or(&Value::Null);
        return match op {
            "Not" => {
                let Value::Object(inner) = value else {
                    return Err(err("Not", "must be a rule object"));
                };
                let rule = parse_rule(inner, false).map_err(|e| nest("Not", e))?;
                Ok(Rule::Not(Box::new(rule)))
            }
            _ => {
                let Value::Array(items) = value else {
                    return Err(err(op, "must be a non-empty array of rules"));
                };
                if items.is_empty() {
                    return Err(err(op, "must be a non-empty array of rules"));
                }
                let mut rules = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{op}[{i}]");
                    let Value::Object(inner) = item else {
                        return Err(err(here, "must be a rule object"));
                    };
                    rules.push(parse_rule(inner, false).map_err(|e| nest(&here, e))?);
                }
                Ok(if op == "And" {
                    Rule::And(rules)
                } else {
                    Rule::Or(rules)
                })
            }
        };
    }
    let Some(Value::String(variable)) = map.get("Variable") else {
        return Err(err(
            "Variable",
            "a comparison needs a `Variable` string path",
        ));
    };
    let variable = RefPath::parse(variable).map_err(|e| err("Variable", e.to_string()))?;
    let Some(op) = operators.first() else {
        return Err(err("(rule)", "missing comparison operator"));
    };
    let value = map.get(op.as_str()).unwrap_or(&Value::Null);
    let test = parse_test(op, value)?;
    Ok(Rule::Compare { variable, test })
}

fn nest(prefix: &str, e: RuleError) -> RuleError {
    RuleError {
        field: format!("{prefix}.{}", e.field),
        reason: e.reason,
    }
}

fn parse_test(op: &str, value: &Value) -> Result<Test, RuleError> {
    if TYPE_TESTS.contains(&op) {
        let Value::Bool(expected) = value else {
            return Err(err(op, "must be a boolean"));
        };
        let expected = *expected;
        return Ok(match op {
            "IsPresent" => Test::IsPresent(expected),
            "IsNull" => Test::IsNull(expected),
            "IsString" => Test::IsString(expected),
            "IsNumeric" => Test::IsNumeric(expected),
            "IsBoolean" => Test::IsBoolean(expected),
            _ => Test::IsTimestamp(expected),
        });
    }
    if op == "StringMatches" {
        let Value::String(pattern) = value else {
            return Err(err(op, "must be a string"));
        };
        return Ok(Test::Matches(compile_pattern(pattern)));
    }
    let (base, is_path) = match op.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let Some(&(_, family, relation)) = COMPARISONS.iter().find(|(name, _, _)| *name == base) else {
        return Err(err(op, "unknown comparison operator"));
    };
    let operand = if is_path {
        let Value::String(text) = value else {
            return Err(err(op, "must be a string path"));
        };
        Operand::Path(RefPath::parse(text).map_err(|e| err(op, e.to_string()))?)
    } else {
        let ok = match family {
            Family::String => value.is_string(),
            Family::Numeric => value.is_number(),
            Family::Boolean => value.is_boolean(),
            Family::Timestamp => value.as_str().is_some_and(|s| parse_timestamp(s).is_some()),
        };
        if !ok {
            let expected = match family {
                Family::String => "a string",
                Family::Numeric => "a number",
                Family::Boolean => "a boolean",
                Family::Timestamp => "an RFC 3339 timestamp string",
            };
            return Err(err(op, format!("must be {expected}")));
        }
        Operand::Literal(value.clone())
    };
    Ok(match family {
        Family::String => Test::String(relation, operand),
        Family::Numeric => Test::Numeric(relation, operand),
        Family::Boolean => Test::Boolean(operand),
        Family::Timestamp => Test::Timestamp(relation, operand),
    })
}

/// Compile a `StringMatches` pattern: `*` matches any run of characters,
/// `\*` a literal star and `\\` a literal backslash.
fn compile_pattern(pattern: &str) -> Vec<PatternToken> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => tokens.push(PatternToken::Literal(escaped)),
                None => tokens.push(PatternToken::Literal('\\')),
            },
            '*' => tokens.push(PatternToken::Star),
            other => tokens.push(PatternToken::Literal(other)),
        }
    }
    tokens
}

fn pattern_matches(tokens: &[PatternToken], text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    // matched[j]: the tokens seen so far can match the first j characters.
    let mut matched = vec![false; chars.len() + 1];
    matched[0] = true;
    for token in tokens {
        let mut next = vec![false; chars.len() + 1];
        match token {
            PatternToken::Star => {
                let mut reachable = false;
                for j in 0..=chars.len() {
                    reachable |= matched[j];
                    next[j] = reachable;
                }
            }
            PatternToken::Literal(c) => {
                for j in 0..chars.len() {
                    if matched[j] && chars[j] == *c {
                        next[j + 1] = true;
                    }
                }
            }
        }
        matched = next;
    }
    matched[chars.len()]
}

/// Parse an RFC 3339 timestamp as Step Functions accepts them.
pub(crate) fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

impl Rule {
    /// Evaluate against the effective input (`$`) and context (`$$`).
    pub(crate) fn evaluate(&self, input: &Value, context: &Value) -> Result<bool, RuleMiss> {
        match self {
            Rule::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(input, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(input, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(rule) => Ok(!rule.evaluate(input, context)?),
            Rule::Compare { variable, test } => {
                let value = variable.resolve(input, context);
                if let Test::IsPresent(expected) = test {
                    return Ok(value.is_some() == *expected);
                }
                let Some(value) = value else {
                    return Err(RuleMiss {
                        path: variable.as_str().to_owned(),
                    });
                };
                test.evaluate(value, input, context)
            }
        }
    }
}

impl Test {
    fn evaluate(&self, value: &Value, input: &Value, context: &Value) -> Result<bool, RuleMiss> {
        let operand = |operand: &Operand| -> Result<Value, RuleMiss> {
            match operand {
                Operand::Literal(v) => Ok(v.clone()),
                Operand::Path(path) => {
                    path.resolve(input, context)
                        .cloned()
                        .ok_or_else(|| RuleMiss {
                            path: path.as_str().to_owned(),
                        })
                }
            }
        };
        Ok(match self {
            Test::String(relation, rhs) => {
                let rhs = operand(rhs)?;
                match (value.as_str(), rhs.as_str()) {
                    (Some(a), Some(b)) => relation.holds(a.cmp(b)),
                    _ => false,
                }
            }
            Test::Numeric(relation, rhs) => {
                let rhs = operand(rhs)?;
                compare_numbers(value, &rhs).is_some_and(|ordering| relation.holds(ordering))
            }
            Test::Boolean(rhs) => {
                let rhs = operand(rhs)?;
                match (value.as_bool(), rhs.as_bool()) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                }
            }
            Test::Timestamp(relation, rhs) => {
                let rhs = operand(rhs)?;
                let a = value.as_str().and_then(parse_timestamp);
                let b = rhs.as_str().and_then(parse_timestamp);
                match (a, b) {
                    (Some(a), Some(b)) => relation.holds(a.cmp(&b)),
                    _ => false,
                }
            }
            Test::Matches(tokens) => value.as_str().is_some_and(|s| pattern_matches(tokens, s)),
            Test::IsPresent(expected) => *expected,
            Test::IsNull(expected) => value.is_null() == *expected,
            Test::IsString(expected) => value.is_string() == *expected,
            Test::IsNumeric(expected) => value.is_number() == *expected,
            Test::IsBoolean(expected) => value.is_boolean() == *expected,
            Test::IsTimestamp(expected) => {
                value.as_str().and_then(parse_timestamp).is_some() == *expected
            }
        })
    }
}

fn compare_numbers(a: &Value, b: &Value) -> Option<Ordering> {
    let (Value::Number(a), Value::Number(b)) = (a, b) else {
        return None;
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> Rule {
        parse_rule(v.as_object().unwrap(), false).unwrap()
    }

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let t = compile_pattern("log-*.txt");
        assert!(pattern_matches(&t, "log-.txt"));
        assert!(pattern_matches(&t, "log-2024-01.txt"));
        assert!(!pattern_matches(&t, "log-1.txtx"));
        let t = compile_pattern(r"a\*b*");
        assert!(pattern_matches(&t, "a*bcd"));
        assert!(!pattern_matches(&t, "axbcd"));
        assert!(pattern_matches(&compile_pattern("*"), ""));
    }

    #[test]
    fn comparisons_follow_types_and_paths() {
        let input = json!({"n": 5, "m": 5.0, "s": "b", "t": "2024-01-01T00:00:00Z", "b": true});
        let ctx = json!({});
        let eval = |v: Value| rule(v).evaluate(&input, &ctx).unwrap();
        assert!(eval(json!({"Variable": "$.n", "NumericEquals": 5})));
        assert!(eval(json!({"Variable": "$.n", "NumericEqualsPath": "$.m"})));
        assert!(eval(
            json!({"Variable": "$.n", "NumericLessThanEquals": 5.5})
        ));
        assert!(!eval(json!({"Variable": "$.s", "NumericEquals": 5})));
        assert!(eval(json!({"Variable": "$.s", "StringGreaterThan": "a"})));
        assert!(eval(json!({"Variable": "$.b", "BooleanEquals": true})));
        assert!(eval(
            json!({"Variable": "$.t", "TimestampLessThan": "2024-01-01T00:00:01+00:00"})
        ));
        assert!(eval(json!({"Variable": "$.t", "IsTimestamp": true})));
        assert!(eval(json!({"Variable": "$.nope", "IsPresent": false})));
        assert!(eval(json!({"Not": {"Variable": "$.s", "IsNumeric": true}})));
        assert!(eval(json!({"Or": [
            {"Variable": "$.s", "IsNull": true},
            {"Variable": "$.s", "IsString": true}
        ]})));
        let miss = rule(json!({"Variable": "$.nope", "StringEquals": "x"})).evaluate(&input, &ctx);
        assert!(miss.is_err());
    }

    #[test]
    fn rejects_malformed_rules() {
        let bad = [
            json!({"Variable": "$.a"}),
            json!({"Variable": "$.a", "StringEquals": 1}),
            json!({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}),
            json!({"Variable": "$.a", "Bogus": 1}),
            json!({"And": []}),
            json!({"Variable": "$.a", "TimestampEquals": "yesterday"}),
            json!({"Next": "x", "Variable": "$.a", "IsNull": true}),
        ];
        for b in bad {
            assert!(parse_rule(b.as_object().unwrap(), false).is_err(), "{b}");
        }
    }
}
