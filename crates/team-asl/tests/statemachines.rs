//! Every definition shipped in `statemachines/` loads with the subset.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;

use team_asl::StateMachine;

/// Placeholder names in `text`, each with whether it sits inside a JSON string.
fn placeholders(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string && escaped {
            escaped = false;
        } else if in_string && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_string = !in_string;
        } else if b == b'$'
            && bytes.get(i + 1) == Some(&b'{')
            && let Some(end) = text[i + 2..].find('}')
        {
            found.push((text[i + 2..i + 2 + end].to_owned(), in_string));
            i += 2 + end;
        }
        i += 1;
    }
    found
}

#[test]
fn every_shipped_definition_parses_with_substitutions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../statemachines");
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut parsed = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let substitutions: HashMap<String, String> = placeholders(&text)
            .into_iter()
            .map(|(name, in_string)| {
                let value = if in_string {
                    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
                } else {
                    "1".to_owned()
                };
                (name, value)
            })
            .collect();
        let machine = StateMachine::parse(&text, &substitutions)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(machine.state_names().any(|s| s == machine.start_at()));
        parsed += 1;
    }
    assert_eq!(parsed, files.len());
    eprintln!(
        "parsed {parsed} state machine definition(s) from {}",
        dir.display()
    );
}

#[test]
fn placeholder_scan_knows_strings_from_bare_values() {
    let found = placeholders(r#"{"a": "${Fn}", "b": ${Num}, "c": "\"${Esc}"}"#);
    assert_eq!(
        found,
        vec![
            ("Fn".to_owned(), true),
            ("Num".to_owned(), false),
            ("Esc".to_owned(), true)
        ]
    );
}
