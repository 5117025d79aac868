//! Collects problems while a YAML file (an inventory, a rollout plan) is checked, then
//! locates them; the inventory's own YAML syntax errors.

use super::error::{InventoryError, LocatedProblem, Problem, ProblemKind};
use super::locate::{YamlPath, locate};
use crate::base::text::Untrusted;

/// Problems beyond this many are counted but not located: each location re-reads the file
/// (about 15 ms per 1,000 devices in a release build), and nobody reads the 10,000th error.
const MAX_LOCATED: usize = 10;

struct Pending<K> {
    kind: K,
    at: YamlPath,
    message: String,
    help: Option<String>,
}

/// Gathers problems found by the checks, with the node each one is about.
pub(crate) struct Report<'t, K = ProblemKind> {
    text: &'t str,
    pending: Vec<Pending<K>>,
}

impl<'t, K> Report<'t, K> {
    pub(crate) fn new(text: &'t str) -> Self {
        Report {
            text,
            pending: Vec::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        kind: K,
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
        self.position(at).0
    }

    /// The 1-based (line, column) of a node.
    pub(crate) fn position(&self, at: &YamlPath) -> (usize, usize) {
        locate(self.text, at)
    }

    /// How many problems so far (to tell whether a check added one).
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The first `max` problems found, located and sorted by position (problems at one node
    /// keep the order they were found in), and how many more were not located.
    pub(crate) fn into_problems(self, max: usize) -> (Vec<LocatedProblem<K>>, usize) {
        let omitted = self.pending.len().saturating_sub(max);
        let mut problems: Vec<LocatedProblem<K>> = self
            .pending
            .into_iter()
            .take(max)
            .map(|p| {
                let (line, column) = locate(self.text, &p.at);
                LocatedProblem {
                    kind: p.kind,
                    line,
                    column,
                    message: p.message,
                    help: p.help,
                }
            })
            .collect();
        problems.sort_by_key(|p| (p.line, p.column));
        (problems, omitted)
    }
}

impl Report<'_> {
    /// All problems as one error, sorted by position (first `MAX_LOCATED` found).
    pub(crate) fn into_error(self, origin: &str) -> InventoryError {
        let (problems, omitted) = self.into_problems(MAX_LOCATED);
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

    /// Any kind of problem (inventory, plan, …) goes through the same locating pipeline.
    #[test]
    fn problems_of_any_kind_are_located_sorted_and_capped() {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Kind {
            A,
            B,
        }
        let text = "a: 1\nb:\n  - x\n  - y\n";
        let mut r: Report<'_, Kind> = Report::new(text);
        let root = YamlPath::root();
        r.add(Kind::A, root.key("b").index(1), "second item", None);
        r.add(Kind::B, root.key("a"), "a is wrong", Some("fix a".into()));
        r.add(Kind::A, root.key("b").index(0), "first item", None);
        assert_eq!(r.len(), 3);
        let (problems, omitted) = r.into_problems(2);
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.kind, p.line, p.column, p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Kind::B, 1, 4, "a is wrong"),
                (Kind::A, 4, 5, "second item")
            ]
        );
        assert_eq!(omitted, 1);
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
