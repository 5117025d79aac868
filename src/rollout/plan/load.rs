//! Entry points (read a file or a string) and the problem collector, which positions each
//! problem with the inventory's YAML locator.

use std::path::Path;

use serde_yaml::Value;

use super::error::{PlanError, PlanProblem, PlanProblemKind};
use super::{Plan, read};
use crate::inventory::locate::{YamlPath, locate};

impl Plan {
    /// Reads and validates the plan at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: origin.clone(),
            source,
        })?;
        Plan::from_yaml(&text, &origin)
    }

    /// Validates plan YAML. `origin` names the text in messages (and `source.origin`).
    /// Every problem found is reported, not just the first.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Plan, PlanError> {
        let mut doc: Value = serde_yaml::from_str(text).map_err(|e| syntax(origin, text, &e))?;
        doc.apply_merge().map_err(|e| syntax(origin, text, &e))?;
        let mut problems = Problems::new(text);
        let plan = read::plan(&doc, origin, &mut problems);
        match problems.is_empty() {
            true => Ok(plan),
            false => Err(problems.into_error(origin)),
        }
    }
}

/// A YAML syntax error, positioned and explained by the inventory's reader.
fn syntax(origin: &str, text: &str, err: &serde_yaml::Error) -> PlanError {
    let inv = crate::inventory::report::syntax_error(origin, text, err);
    let problems = inv
        .problems()
        .iter()
        .map(|p| PlanProblem {
            kind: PlanProblemKind::Syntax,
            line: p.line,
            column: p.column,
            message: p.message.clone(),
            // Its hints are worded for inventories; one names the file kind.
            help: p.help.as_ref().map(|h| h.replace("an inventory", "a plan")),
        })
        .collect();
    PlanError::Invalid {
        origin: origin.to_owned(),
        problems,
    }
}

struct Pending {
    kind: PlanProblemKind,
    at: YamlPath,
    message: String,
    help: Option<String>,
}

/// Problems found while reading, with the node each is about; located only at the end.
pub(super) struct Problems<'t> {
    text: &'t str,
    pending: Vec<Pending>,
}

impl<'t> Problems<'t> {
    fn new(text: &'t str) -> Self {
        Problems {
            text,
            pending: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        kind: PlanProblemKind,
        at: YamlPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.pending.push(Pending {
            kind,
            at,
            message: message.into(),
            help: Some(help.into()),
        });
    }

    /// The (line, column) of a node, kept in the plan for errors found later (waves).
    pub(super) fn position(&self, at: &YamlPath) -> (usize, usize) {
        locate(self.text, at)
    }

    /// How many problems so far (to tell whether a reader added one).
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn into_error(self, origin: &str) -> PlanError {
        let mut problems: Vec<PlanProblem> = self
            .pending
            .into_iter()
            .map(|p| {
                let (line, column) = locate(self.text, &p.at);
                PlanProblem {
                    kind: p.kind,
                    line,
                    column,
                    message: p.message,
                    help: p.help,
                }
            })
            .collect();
        // Stable: problems at one node keep the order they were found in.
        problems.sort_by_key(|p| (p.line, p.column));
        PlanError::Invalid {
            origin: origin.to_owned(),
            problems,
        }
    }
}
