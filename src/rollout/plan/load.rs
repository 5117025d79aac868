//! Entry points (read a file or a string) and the problem collector, which positions each
//! problem with the inventory's YAML locator.

use std::path::Path;

use serde_yaml::Value;

use super::error::{PlanError, PlanProblem, PlanProblemKind};
use super::{Plan, read};
use crate::base::files::{self, FileKind};
use crate::inventory::InventoryError;
use crate::inventory::locate::YamlPath;
use crate::inventory::report::Report;
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

/// Problems found while reading, with the node each is about; located only at the end.
pub(super) struct Problems<'t>(Report<'t, PlanProblemKind>);

impl<'t> Problems<'t> {
    fn new(text: &'t str) -> Self {
        Problems(Report::new(text))
    }

    /// Every plan problem says how to fix it.
    pub(super) fn add(
        &mut self,
        kind: PlanProblemKind,
        at: YamlPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.0.add(kind, at, message, Some(help.into()));
    }

    /// The (line, column) of a node, kept in the plan for errors found later (waves).
    pub(super) fn position(&self, at: &YamlPath) -> (usize, usize) {
        self.0.position(at)
    }

    /// How many problems so far (to tell whether a reader added one).
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_error(self, origin: &str) -> PlanError {
        // A plan has few problems; those past the located ones are not counted (as before).
        let (problems, _) = self.0.into_problems(MAX_LOCATED);
        PlanError::Invalid {
            origin: origin.to_owned(),
            problems,
        }
    }
}
