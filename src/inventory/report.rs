//! Collects problems while an inventory is checked, then locates and renders them.

use super::error::{InventoryError, Problem, ProblemKind};
use super::locate::{YamlPath, locate};
use crate::base::text::Untrusted;

/// Problems beyond this many are counted but not located: each location re-reads the file
/// (about 15 ms per 1,000 devices in a release build), and nobody reads the 10,000th error.
const MAX_LOCATED: usize = 10;

struct Pending {
    kind: ProblemKind,
    at: YamlPath,
    message: String,
    help: Option<String>,
}

/// Gathers problems found by the checks, with the node each one is about.
pub(crate) struct Report<'t> {
    text: &'t str,
    pending: Vec<Pending>,
}

impl<'t> Report<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Report {
            text,
            pending: Vec::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        kind: ProblemKind,
        at: YamlPath,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.pending.push(Pending {
            kind,
            at,
            message: message.into(),
            help,
        });
    }

    /// The 1-based line of a node, for messages that point at a second place.
    pub(crate) fn line_of(&self, at: &YamlPath) -> usize {
        locate(self.text, at).0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// All problems as one error, sorted by position (first `MAX_LOCATED` found).
    pub(crate) fn into_error(self, origin: &str) -> InventoryError {
        let omitted = self.pending.len().saturating_sub(MAX_LOCATED);
        let mut problems: Vec<Problem> = self
            .pending
            .into_iter()
            .take(MAX_LOCATED)
            .map(|p| {
                let (line, column) = locate(self.text, &p.at);
                Problem {
                    kind: p.kind,
                    line,
                    column,
                    message: p.message,
                    help: p.help,
                }
            })
            .collect();
        problems.sort_by_key(|p| (p.line, p.column));
        InventoryError::Invalid {
            origin: origin.to_owned(),
            problems,
            omitted,
        }
    }
}

/// The error for text that is not valid YAML, positioned where the parser stopped.
pub(crate) fn syntax_error(origin: &str, text: &str, err: &serde_yaml::Error) -> InventoryError {
    let (line, column) = err
        .location()
        .map_or((1, 1), |loc| (loc.line(), loc.column()));
    // The position is reported in front; drop serde's own copy of it (a context position,
    // e.g. where an unclosed `{` started, stays).
    let raw = err
        .to_string()
        .replacen(&format!(" at line {line} column {column}"), "", 1);
    if let Some(problem) = number_too_big(&raw, line, column) {
        return InventoryError::Invalid {
            origin: origin.to_owned(),
            problems: vec![problem],
            omitted: 0,
        };
    }
    let message = match raw.as_str() {
        "recursion limit exceeded" => "the document is nested more than 128 levels deep".to_owned(),
        // serde's messages quote keys and values from the file.
        _ => Untrusted(&raw).to_string(),
    };
    // libyaml reports a tab as "a character that cannot start any token": look at the line.
    let tab_indent = text
        .lines()
        .nth(line.saturating_sub(1))
        .is_some_and(|l| l[..l.len() - l.trim_start().len()].contains('\t'));
    let help = match tab_indent {
        true => "YAML indentation must use spaces, not tabs",
        false => syntax_help(&message),
    };
    InventoryError::Invalid {
        origin: origin.to_owned(),
        problems: vec![Problem {
            kind: ProblemKind::Syntax,
            line,
            column,
            message: format!("invalid YAML: {message}"),
            help: Some(help.to_owned()),
        }],
        omitted: 0,
    }
}

/// serde_norway reads integers beyond 64 bits as 128-bit ones, which a YAML tree cannot
/// hold: its message (`devices[0].port: invalid type: integer `…` as u128, expected any
/// YAML value`) becomes one that names the field and the range.
fn number_too_big(message: &str, line: usize, column: usize) -> Option<Problem> {
    let (field, rest) = message.split_once(": invalid type: integer `")?;
    let (number, _) = rest
        .strip_suffix(" as u128, expected any YAML value")
        .or_else(|| rest.strip_suffix(" as i128, expected any YAML value"))?
        .split_once('`')?;
    let last = field.rsplit(['.', '[']).next().unwrap_or(field);
    let help = match last {
        "port" => "a port is a whole number between 1 and 65535".to_owned(),
        _ => format!(
            "whole numbers here are between {} and {}",
            i64::MIN,
            u64::MAX
        ),
    };
    Some(Problem {
        kind: ProblemKind::Syntax,
        line,
        column,
        message: format!(
            "`{}`: the number {} is too large",
            Untrusted(field),
            Untrusted(number)
        ),
        help: Some(help),
    })
}

/// A hint for the YAML mistakes people actually make.
fn syntax_help(message: &str) -> &'static str {
    if message.contains("duplicate entry") {
        "each key may appear only once in a mapping: remove or rename one of them"
    } else if message.contains("mapping values are not allowed") {
        "check the indentation, and quote values that contain `: `"
    } else if message.contains("flow mapping") {
        "a `{` is not closed: check its `}` and the commas between entries"
    } else if message.contains("flow sequence") {
        "a `[` is not closed: check its `]` and the commas between items"
    } else if message.contains("nested more than") {
        "real inventories and plans nest a few levels; is this the right file?"
    } else if message.contains("more than one document") {
        "an inventory is one YAML document: remove the extra `---`"
    } else {
        "check the indentation and quoting at this position"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(text: &str) -> Problem {
        let err = serde_yaml::from_str::<serde_yaml::Value>(text).unwrap_err();
        syntax_error("f.yaml", text, &err).problems()[0].clone()
    }

    #[test]
    fn syntax_errors_get_a_position_and_a_hint() {
        let p = syntax("devices:\n\t- name: a\n");
        assert_eq!((p.kind, p.line, p.column), (ProblemKind::Syntax, 2, 1));
        assert_eq!(
            p.help.as_deref(),
            Some("YAML indentation must use spaces, not tabs")
        );
        assert!(!p.message.contains("at line 2 column 1"), "{}", p.message);

        let p = syntax("a: 1\n---\nb: 2\n");
        assert_eq!(
            p.help.as_deref(),
            Some("an inventory is one YAML document: remove the extra `---`")
        );

        let p = syntax("devices: [a, b\n");
        assert_eq!(
            p.help.as_deref(),
            Some("a `[` is not closed: check its `]` and the commas between items")
        );

        let p = syntax("a: b: c\n");
        assert_eq!((p.line, p.column), (1, 5));
        assert_eq!(
            p.help.as_deref(),
            Some("check the indentation, and quote values that contain `: `")
        );
    }
}
