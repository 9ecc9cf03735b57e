//! Payload templates (`Parameters`, `ResultSelector`): `"key.$": "$.path"`
//! entries are replaced by the value the path selects.

use serde_json::{Map, Value};

use crate::path::{PathSyntaxError, RefPath};

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    /// A JSON value copied as is.
    Literal(Value),
    /// An object whose members may be paths or nested templates.
    Object(Vec<(String, Member)>),
    /// An array of templates.
    Array(Vec<Template>),
}

/// One member of an object template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member {
    /// `"key.$": "$.path"`.
    Path(RefPath),
    /// A plain member, possibly holding nested path members.
    Nested(Template),
}

/// Why a template could not be compiled; `location` is a dotted key path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    #[error("`{location}`: the value of a key ending in `.$` must be a string path")]
    NotAString { location: String },
    #[error("`{location}`: intrinsic functions (`{function}`) are not supported by team-asl")]
    Intrinsic { location: String, function: String },
    #[error("`{location}`: {source}")]
    Path {
        location: String,
        source: PathSyntaxError,
    },
}

/// A path in a template did not resolve at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the JSONPath `{path}` specified for the field `{key}` could not be found in the input")]
pub(crate) struct TemplateMiss {
    pub(crate) key: String,
    pub(crate) path: String,
}

impl Template {
    /// Compile a template from its JSON definition.
    pub(crate) fn compile(value: &Value) -> Result<Template, TemplateError> {
        compile_at(value, "")
    }

    /// Build the payload: resolve every path member against `input` (`$`) and `context` (`$$`).
    pub(crate) fn apply(&self, input: &Value, context: &Value) -> Result<Value, TemplateMiss> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Array(items) => items
                .iter()
                .map(|item| item.apply(input, context))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Object(members) => {
                let mut out = Map::new();
                for (key, member) in members {
                    let value = match member {
                        Member::Path(path) => {
                            path.resolve(input, context)
                                .cloned()
                                .ok_or_else(|| TemplateMiss {
                                    key: format!("{key}.$"),
                                    path: path.as_str().to_owned(),
                                })?
                        }
                        Member::Nested(template) => template.apply(input, context)?,
                    };
                    out.insert(key.clone(), value);
                }
                Ok(Value::Object(out))
            }
        }
    }
}

fn compile_at(value: &Value, location: &str) -> Result<Template, TemplateError> {
    match value {
        Value::Object(map) => {
            let mut members = Vec::with_capacity(map.len());
            for (key, value) in map {
                let here = if location.is_empty() {
                    key.clone()
                } else {
                    format!("{location}.{key}")
                };
                if let Some(name) = key.strip_suffix(".$") {
                    let Value::String(text) = value else {
                        return Err(TemplateError::NotAString { location: here });
                    };
                    if let Some(function) = intrinsic_name(text) {
                        return Err(TemplateError::Intrinsic {
                            location: here,
                            function,
                        });
                    }
                    let path = RefPath::parse(text).map_err(|source| TemplateError::Path {
                        location: here.clone(),
                        source,
                    })?;
                    members.push((name.to_owned(), Member::Path(path)));
                } else {
                    members.push((key.clone(), Member::Nested(compile_at(value, &here)?)));
                }
            }
            Ok(Template::Object(members))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| compile_at(item, &format!("{location}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Template::Array),
        other => Ok(Template::Literal(other.clone())),
    }
}

/// `Some("States.Format")` when `text` looks like an intrinsic function call.
fn intrinsic_name(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with("States.") {
        let name: String = trimmed.chars().take_while(|c| *c != '(').collect();
        return Some(name.trim().to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_paths_in_nested_objects_and_arrays() {
        let t = Template::compile(&json!({
            "a.$": "$.x",
            "lit": "$.x",
            "nested": {"b.$": "$$.Name", "arr": [{"c.$": "$.y[1]"}, 3]}
        }))
        .unwrap();
        let out = t
            .apply(&json!({"x": 1, "y": [0, "two"]}), &json!({"Name": "n"}))
            .unwrap();
        assert_eq!(
            out,
            json!({"a": 1, "lit": "$.x", "nested": {"b": "n", "arr": [{"c": "two"}, 3]}})
        );
    }

    #[test]
    fn rejects_intrinsics_and_bad_paths() {
        let err =
            Template::compile(&json!({"o": {"m.$": "States.Format('{}', $.a)"}})).unwrap_err();
        assert!(err.to_string().contains("o.m.$"), "{err}");
        assert!(err.to_string().contains("States.Format"), "{err}");
        assert!(Template::compile(&json!({"m.$": 3})).is_err());
        assert!(Template::compile(&json!({"m.$": "$.a[*]"})).is_err());
    }

    #[test]
    fn missing_path_is_reported() {
        let t = Template::compile(&json!({"m.$": "$.nope"})).unwrap();
        let miss = t.apply(&json!({}), &json!({})).unwrap_err();
        assert_eq!(miss.key, "m.$");
    }
}
