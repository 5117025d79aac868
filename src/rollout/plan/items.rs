//! Reading the plan's lists of things to run: checks (`pre_checks`, `post_checks`) and
//! steps (`steps`, `rollback`).

use serde_yaml::Value;

use super::error::PlanProblemKind as K;
use super::load::Problems;
use super::shape::{boolean, checked_line, command_line, list, mapping, string};
use super::values::show;
use super::{Check, Expect, Pattern, Step};
use crate::inventory::locate::YamlPath;

const CHECK_FIELDS: &[&str] = &[
    "name",
    "command",
    "contains",
    "not_contains",
    "regex",
    "same_as_pre",
];
const EXPECTATIONS: &[&str] = &["contains", "not_contains", "regex", "same_as_pre"];
const STEP_FIELDS: &[&str] = &["command", "config", "save"];

/// Which list a check is in: only post-checks may compare with the pre-check.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Pre,
    Post,
}

/// `pre_checks` or `post_checks`. For post-checks, `pre_commands` are the pre-checks'
/// commands (what `same_as_pre` can compare with).
pub(super) fn checks(
    value: &Value,
    at: &YamlPath,
    phase: Phase,
    pre_commands: &[String],
    p: &mut Problems<'_>,
) -> Vec<Check> {
    let key = match phase {
        Phase::Pre => "pre_checks",
        Phase::Post => "post_checks",
    };
    let Some(items) = list(value, at, &format!("`{key}`"), p) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let what = format!("{key} #{}", i + 1);
            check(item, &at.index(i), &what, phase, pre_commands, p)
        })
        .collect()
}

fn check(
    value: &Value,
    at: &YamlPath,
    what: &str,
    phase: Phase,
    pre_commands: &[String],
    p: &mut Problems<'_>,
) -> Option<Check> {
    let map = mapping(value, at, what, CHECK_FIELDS, p)?;
    let command = match map.get("command") {
        Some(v) => command_line(v, &at.key("command"), &format!("{what}: `command`"), p),
        None => {
            p.add(
                K::MissingField,
                at.clone(),
                format!("{what} has no `command`"),
                "add the command to run, e.g. `command: show running-config`",
            );
            None
        }
    };
    let given: Vec<&str> = EXPECTATIONS
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    let help = "give exactly one of `contains:`, `not_contains:`, `regex:` or `same_as_pre: true`";
    let expect = match given.as_slice() {
        [] => {
            p.add(
                K::BadExpectation,
                at.clone(),
                format!("{what} says nothing about the output it expects"),
                help,
            );
            None
        }
        [one] => expectation(one, &map[*one], &at.key(one), what, p),
        [_, second, ..] => {
            p.add(
                K::BadExpectation,
                at.key_node(second),
                format!(
                    "{what} has more than one expectation ({})",
                    given.join(", ")
                ),
                format!("{help}; write several checks to test several things"),
            );
            None
        }
    };
    if let (Some(Expect::SameAsPre), Some(command)) = (&expect, &command) {
        let at = at.key_node("same_as_pre");
        match phase {
            Phase::Pre => p.add(
                K::NoMatchingPreCheck,
                at,
                format!("{what} uses `same_as_pre`, which only post-checks can"),
                "move this check to `post_checks` (it compares with a pre-check's output)",
            ),
            Phase::Post if !pre_commands.contains(command) => p.add(
                K::NoMatchingPreCheck,
                at,
                format!("{what}: `same_as_pre`, but no pre-check runs `{command}`"),
                format!(
                    "add a pre-check with `command: {command}` (e.g. `contains: \"\"` to always \
                     pass), so there is an output to compare with"
                ),
            ),
            Phase::Post => {}
        }
    }
    let name = match map.get("name") {
        Some(v) => string(v, &at.key("name"), &format!("{what}: `name`"), p),
        None => command.clone(),
    };
    Some(Check {
        name: name?,
        command: command?,
        expect: expect?,
    })
}

fn expectation(
    key: &str,
    value: &Value,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<Expect> {
    if key == "same_as_pre" {
        return match boolean(value, at, &format!("{what}: `same_as_pre`"), p) {
            true => Some(Expect::SameAsPre),
            false => {
                p.add(
                    K::BadExpectation,
                    at.clone(),
                    format!("{what}: `same_as_pre: false` expects nothing"),
                    "write `same_as_pre: true`, or another expectation",
                );
                None
            }
        };
    }
    // `contains: ""` is allowed: a check that only proves the command runs.
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!("{what}: `{key}` must be text, not {}", show(value)),
                "quote the text to look for",
            );
            return None;
        }
    };
    match key {
        "contains" => Some(Expect::Contains(text)),
        "not_contains" => Some(Expect::NotContains(text)),
        _ => match Pattern::new(&text) {
            Ok(pattern) => Some(Expect::Regex(pattern)),
            Err(e) => {
                // The regex crate's message spans several lines (with a caret): keep the last.
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or("invalid").trim().to_owned();
                p.add(
                    K::BadRegex,
                    at.clone(),
                    format!("{what}: bad regex `{text}`: {reason}"),
                    "regex syntax: https://docs.rs/regex/#syntax; in YAML, single-quote it so \
                     backslashes stay as written",
                );
                None
            }
        },
    }
}

/// `steps` or `rollback`: a list of `command:` or `config:` (+ `save:`) items; a bare string
/// is a command.
pub(super) fn steps(value: &Value, at: &YamlPath, key: &str, p: &mut Problems<'_>) -> Vec<Step> {
    let Some(items) = list(value, at, &format!("`{key}`"), p) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| step(item, &at.index(i), &format!("{key} #{}", i + 1), p))
        .collect()
}

fn step(value: &Value, at: &YamlPath, what: &str, p: &mut Problems<'_>) -> Option<Step> {
    if let Value::String(_) = value {
        return command_line(value, at, what, p).map(Step::Command);
    }
    let map = mapping(value, at, what, STEP_FIELDS, p)?;
    let save = map
        .get("save")
        .map(|v| boolean(v, &at.key("save"), &format!("{what}: `save`"), p));
    match (map.get("command"), map.get("config")) {
        (Some(cmd), None) => {
            if save.is_some() {
                p.add(
                    K::InvalidValue,
                    at.key_node("save"),
                    format!("{what}: `save` only applies to `config` steps"),
                    "remove `save`, or make this a `config:` step",
                );
            }
            command_line(cmd, &at.key("command"), &format!("{what}: `command`"), p)
                .map(Step::Command)
        }
        (None, Some(config)) => {
            config_lines(config, &at.key("config"), what, p).map(|lines| Step::Config {
                lines,
                save: save.unwrap_or(false),
            })
        }
        (Some(_), Some(_)) => {
            p.add(
                K::InvalidValue,
                at.key_node("config"),
                format!("{what} has both `command` and `config`"),
                "make them two steps",
            );
            None
        }
        (None, None) => {
            p.add(
                K::MissingField,
                at.clone(),
                format!("{what} has neither `command` nor `config`"),
                "write `command: …` to run a command, or `config: [lines]` to apply \
                 configuration",
            );
            None
        }
    }
}

/// Config lines as a list, or as one block string (`config: |`), blank lines dropped.
fn config_lines(
    value: &Value,
    at: &YamlPath,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<Vec<String>> {
    let lines: Vec<String> = match value {
        Value::String(block) => block.lines().map(str::to_owned).collect(),
        Value::Sequence(items) => {
            let mut lines = Vec::new();
            for (i, item) in items.iter().enumerate() {
                lines.push(command_line(
                    item,
                    &at.index(i),
                    &format!("{what}: config line"),
                    p,
                )?);
            }
            lines
        }
        _ => {
            p.add(
                K::InvalidValue,
                at.clone(),
                format!(
                    "{what}: `config` must be a list of lines, not {}",
                    show(value)
                ),
                "write `config: [\"ntp server 127.0.0.1\"]` or a `|` block",
            );
            return None;
        }
    };
    let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
    // Every line is checked (and every bad one reported) before any is accepted.
    let checked: Vec<Option<String>> = lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| checked_line(line, at, &format!("{what}: config line {}", i + 1), p))
        .collect();
    let lines: Vec<String> = checked.into_iter().collect::<Option<_>>()?;
    if lines.is_empty() {
        p.add(
            K::InvalidValue,
            at.clone(),
            format!("{what}: `config` has no lines"),
            "list the configuration lines to apply",
        );
        return None;
    }
    Some(lines)
}
