//! Reference paths (the JSONPath subset ASL calls "reference paths").
//!
//! Supported syntax: `$`, `$.a.b`, `$.a[0]`, `$['a']`, `$["a"]` and the same
//! rooted at `$$` for the context object.

use std::fmt;

use serde_json::{Map, Value};

/// What a path is rooted at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `$`: the (effective) state input or task result.
    Input,
    /// `$$`: the context object.
    Context,
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// An object member.
    Field(String),
    /// An array element.
    Index(usize),
}

/// A parsed reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefPath {
    root: Root,
    segments: Vec<Segment>,
    text: String,
}

/// Why a path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathSyntaxError {
    #[error("a path must start with `$`")]
    NoRoot,
    #[error("empty member name after `.` at offset {0}")]
    EmptyField(usize),
    #[error(
        "character `{0}` at offset {1} is not allowed: only reference paths (`$.a.b`, `$.a[0]`, `$['a']`) are supported"
    )]
    Unsupported(char, usize),
    #[error("unclosed `[` at offset {0}")]
    UnclosedBracket(usize),
    #[error("`[...]` at offset {0} must hold an array index or a quoted member name")]
    BadBracket(usize),
    #[error("a context path (`$$`) is not allowed here")]
    ContextNotAllowed,
}

/// Why a value could not be written at a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathSetError {
    #[error("cannot set `{path}`: the value at `{at}` is not an object")]
    NotAnObject { path: String, at: String },
    #[error(
        "cannot set `{path}`: the value at `{at}` is not an array or the index is out of range"
    )]
    BadIndex { path: String, at: String },
}

impl RefPath {
    /// `$`.
    pub(crate) fn root() -> RefPath {
        RefPath {
            root: Root::Input,
            segments: Vec::new(),
            text: "$".to_owned(),
        }
    }

    /// Parse a path rooted at `$` or `$$`.
    pub(crate) fn parse(text: &str) -> Result<RefPath, PathSyntaxError> {
        let (root, rest, base) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest, 2)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Root::Input, rest, 1)
        } else {
            return Err(PathSyntaxError::NoRoot);
        };
        let chars: Vec<char> = rest.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    let start = i;
                    let mut name = String::new();
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        let c = chars[i];
                        if matches!(c, '*' | ']' | '(' | ')' | '?' | '@' | '\'' | '"' | ',') {
                            return Err(PathSyntaxError::Unsupported(c, base + i));
                        }
                        name.push(c);
                        i += 1;
                    }
                    if name.is_empty() {
                        return Err(PathSyntaxError::EmptyField(base + start));
                    }
                    segments.push(Segment::Field(name));
                }
                '[' => {
                    let open = i;
                    i += 1;
                    match chars.get(i) {
                        Some(&q) if q == '\'' || q == '"' => {
                            i += 1;
                            let mut name = String::new();
                            loop {
                                match chars.get(i) {
                                    None => {
                                        return Err(PathSyntaxError::UnclosedBracket(base + open));
                                    }
                                    Some('\\') => {
                                        match chars.get(i + 1) {
                                            Some(&c) => name.push(c),
                                            None => {
                                                return Err(PathSyntaxError::UnclosedBracket(
                                                    base + open,
                                                ));
                                            }
                                        }
                                        i += 2;
                                    }
                                    Some(&c) if c == q => {
                                        i += 1;
                                        break;
                                    }
                                    Some(&c) => {
                                        name.push(c);
                                        i += 1;
                                    }
                                }
                            }
                            if chars.get(i) != Some(&']') {
                                return Err(PathSyntaxError::BadBracket(base + open));
                            }
                            i += 1;
                            segments.push(Segment::Field(name));
                        }
                        Some(c) if c.is_ascii_digit() => {
                            let mut digits = String::new();
                            while let Some(&c) = chars.get(i) {
                                if c.is_ascii_digit() {
                                    digits.push(c);
                                    i += 1;
                                } else {
                                    break;
                                }
                            }
                            if chars.get(i) != Some(&']') {
                                return Err(PathSyntaxError::BadBracket(base + open));
                            }
                            i += 1;
                            let index = digits
                                .parse::<usize>()
                                .map_err(|_| PathSyntaxError::BadBracket(base + open))?;
                            segments.push(Segment::Index(index));
                        }
                        Some(_) => return Err(PathSyntaxError::BadBracket(base + open)),
                        None => return Err(PathSyntaxError::UnclosedBracket(base + open)),
                    }
                }
                c => return Err(PathSyntaxError::Unsupported(c, base + i)),
            }
        }
        Ok(RefPath {
            root,
            segments,
            text: text.to_owned(),
        })
    }

    /// Parse a path that must be rooted at `$` (not the context object).
    pub(crate) fn parse_input(text: &str) -> Result<RefPath, PathSyntaxError> {
        let path = RefPath::parse(text)?;
        if path.root == Root::Context {
            return Err(PathSyntaxError::ContextNotAllowed);
        }
        Ok(path)
    }

    /// The path as written in the definition.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Is this exactly `$`?
    pub(crate) fn is_root(&self) -> bool {
        self.root == Root::Input && self.segments.is_empty()
    }

    /// Look the path up; `None` when it does not resolve.
    pub(crate) fn resolve<'a>(&self, input: &'a Value, context: &'a Value) -> Option<&'a Value> {
        let mut current = match self.root {
            Root::Input => input,
            Root::Context => context,
        };
        for segment in &self.segments {
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => map.get(name)?,
                (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Write `value` at this path inside `target` (ResultPath semantics):
    /// `$` replaces the whole target, missing intermediate objects are created.
    pub(crate) fn set(&self, target: Value, value: Value) -> Result<Value, PathSetError> {
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut target = target;
        let mut current = &mut target;
        let mut at = String::from("$");
        let last = self.segments.len() - 1;
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Field(name) => {
                    let Value::Object(map) = current else {
                        return Err(PathSetError::NotAnObject {
                            path: self.text.clone(),
                            at,
                        });
                    };
                    if i == last {
                        map.insert(name.clone(), value);
                        return Ok(target);
                    }
                    let entry = map
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    at.push('.');
                    at.push_str(name);
                    current = entry;
                }
                Segment::Index(index) => {
                    let slot = match current {
                        Value::Array(items) => items.get_mut(*index),
                        _ => None,
                    };
                    let Some(slot) = slot else {
                        return Err(PathSetError::BadIndex {
                            path: self.text.clone(),
                            at,
                        });
                    };
                    if i == last {
                        *slot = value;
                        return Ok(target);
                    }
                    at.push_str(&format!("[{index}]"));
                    current = slot;
                }
            }
        }
        Ok(target)
    }
}

impl fmt::Display for RefPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_resolves_reference_paths() {
        let input = json!({"a": {"b": [10, {"c d": true}]}});
        let ctx = json!({"Task": {"Token": "t"}});
        let get = |p: &str| RefPath::parse(p).unwrap().resolve(&input, &ctx).cloned();
        assert_eq!(get("$"), Some(input.clone()));
        assert_eq!(get("$.a.b[0]"), Some(json!(10)));
        assert_eq!(get("$['a'][\"b\"][1]['c d']"), Some(json!(true)));
        assert_eq!(get("$.a.x"), None);
        assert_eq!(get("$.a.b[5]"), None);
        assert_eq!(get("$$.Task.Token"), Some(json!("t")));
    }

    #[test]
    fn rejects_non_reference_paths() {
        for bad in [
            "a.b",
            "$.a[*]",
            "$..a",
            "$.a[?(@.x)]",
            "$.",
            "$.a[",
            "$.a[1:2]",
            "$x",
        ] {
            assert!(RefPath::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            RefPath::parse_input("$$.Task"),
            Err(PathSyntaxError::ContextNotAllowed)
        );
    }

    #[test]
    fn set_creates_intermediate_objects_and_replaces_root() {
        let p = RefPath::parse("$.x.y").unwrap();
        assert_eq!(
            p.set(json!({"a": 1}), json!(2)).unwrap(),
            json!({"a": 1, "x": {"y": 2}})
        );
        assert_eq!(
            RefPath::root().set(json!({"a": 1}), json!(2)).unwrap(),
            json!(2)
        );
        assert!(p.set(json!({"x": 3}), json!(1)).is_err());
        assert!(p.set(json!([1]), json!(1)).is_err());
    }
}
