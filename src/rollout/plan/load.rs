//! Entry points (read a file or a string) and the problem collector, which positions each
//! problem with the inventory's YAML locator.

use std::path::Path;

use serde_yaml::Value;

use super::error::{PlanError, PlanProblem, PlanProblemKind};
use super::{Plan, read};
use crate::base::files::{self, FileKind};
use crate::inventory::InventoryError;
use crate::inventory::locate::{YamlPath, locate};
use crate::inventory::yaml;

/// Problems beyond this many are dropped: each location re-reads the file, so thousands of
/// them would take minutes, and nobody reads the thousandth.
const MAX_LOCATED: usize = 20;

impl Plan {
    /// Reads and validates the plan at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        Plan::from_yaml(&Plan::read(path)?, &path.display().to_string())
    }

    /// The text of the plan file at `path` (bounded, UTF-8), for callers that keep it.
    pub fn read(path: &Path) -> Result<String, PlanError> {
        files::read_text(path, FileKind::Plan).map_err(|source| PlanError::Read {
            path: path.display().to_string(),
            source,
        })
    }

    /// Validates plan YAML. `origin` names the text in messages (and `source.origin`).
    /// Every problem found is reported, not just the first.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Plan, PlanError> {
        let doc: Value = yaml::parse(text, origin).map_err(|e| syntax(origin, &e))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut problems = Problems::new(text);
        let plan = read::plan(&doc, origin, &mut problems);
        match problems.is_empty() {
            true => Ok(plan),
            false => Err(problems.into_error(origin)),
        }
    }
}

/// A YAML problem, positioned and explained by the reader both loaders share.
fn syntax(origin: &str, inv: &InventoryError) -> PlanError {
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
            .take(MAX_LOCATED)
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
