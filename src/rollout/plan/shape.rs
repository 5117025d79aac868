//! Shape helpers for reading the plan tree: mappings with known keys (unknown ones get a
//! "did you mean"), strings, lists and booleans, each reporting what it expected.

use serde_yaml::{Mapping, Value};

use super::error::PlanProblemKind as K;
use super::load::Problems;
use super::values::show;
use crate::base::safety::one_line;
use crate::inventory::locate::YamlPath;
use crate::inventory::suggest::closest;

/// `value` as a mapping whose keys are all in `known`; unknown keys are reported (and
/// skipped by the callers, which only `get` known keys).
pub(super) fn mapping<'v>(
    value: &'v Value,
    at: &YamlPath,
    what: &str,
    known: &[&str],
    p: &mut Problems<'_>,
) -> Option<&'v Mapping> {
    let Value::Mapping(map) = value else {
        p.add(
            K::InvalidValue,
            at.clone(),
            format!("{what} must be a mapping, not {}", show(value)),
            format!(
                "write it as `key: value` lines; known keys: {}",
                known.join(", ")
            ),
        );
        return None;
    };
    for key in map.keys() {
        let Some(key) = key.as_str() else {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what} has a key that is not a name: {}", show(key)),
                format!("known keys: {}", known.join(", ")),
            );
            continue;
        };
        if known.contains(&key) {
            continue;
        }
        let help = match closest(key, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("known keys here: {}", known.join(", ")),
        };
        p.add(
            K::UnknownField,
            at.key_node(key),
            format!("unknown field `{key}` in {what}"),
            help,
        );
    }
    Some(map)
}

/// A non-empty string (numbers are taken as their text: `name: 2024`).
pub(super) fn string(
    value: &Value,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what} must be text, not {}", show(value)),
                "quote it if it contains `: ` or starts with a special character",
            );
            return None;
        }
    };
    if text.is_empty() {
        p.add(
            K::InvalidValue,
            at.clone(),
            format!("{what} is empty"),
            "give it a value, or remove the key",
        );
        return None;
    }
    Some(text)
}

/// A command or a config line: a non-empty string that is exactly one line.
pub(super) fn command_line(
    value: &Value,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<String> {
    let text = string(value, at, what, p)?;
    checked_line(text, at, what, p)
}

/// `text` if it is one line, else a problem at `at`.
pub(super) fn checked_line(
    text: String,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<String> {
    match one_line(&text) {
        Ok(()) => Some(text),
        Err(why) => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what}: {why}"),
                "split it into several steps, or apply configuration as `config:` with one \
                 line per item",
            );
            None
        }
    }
}

/// A list; an empty value (`key:` with nothing after it) is an empty list.
pub(super) fn list<'v>(
    value: &'v Value,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<&'v [Value]> {
    match value {
        Value::Sequence(items) => Some(items),
        Value::Null => Some(&[]),
        _ => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what} must be a list, not {}", show(value)),
                "write one item per line, each starting with `- `",
            );
            None
        }
    }
}

/// `true` or `false`.
pub(super) fn boolean(value: &Value, at: &YamlPath, what: &str, p: &mut Problems<'_>) -> bool {
    match value {
        Value::Bool(b) => *b,
        _ => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what} must be `true` or `false`, not {}", show(value)),
                "write `true` or `false` (unquoted)",
            );
            false
        }
    }
}
