//! Plan errors: every problem carries file, line, column, what is wrong and how to fix it,
//! rendered like the inventory's (a compiler-style message).

use crate::base::files::ReadError;
use crate::inventory::error::{LocatedProblem, Rendered};

/// What kind of mistake a [`PlanProblem`] reports; callers and tests match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanProblemKind {
    /// Not valid YAML.
    Syntax,
    /// A key this level does not know (usually a typo).
    UnknownField,
    /// A required key is absent (`name`, `target`, `steps`, a check's `command`…).
    MissingField,
    /// A value of the wrong shape or form.
    InvalidValue,
    /// A percentage outside 0–100 or not a number (`"120%"`, `"x%"`).
    BadPercent,
    /// A `max_fail` value that is neither a count nor a percentage.
    BadThreshold,
    /// A `pause` that is neither `none`, `manual` nor a duration.
    BadDuration,
    /// A check's `regex` does not compile.
    BadRegex,
    /// The target is not a valid host pattern, or selects no device.
    BadTarget,
    /// `steps` is missing or empty.
    NoSteps,
    /// A check has no expectation, or more than one.
    BadExpectation,
    /// `same_as_pre` on a post-check whose command no pre-check runs (or on a pre-check).
    NoMatchingPreCheck,
    /// The canary asks for more devices than the target has.
    CanaryTooLarge,
    /// `group_by` names a tag or group prefix that no target device has.
    UnknownGroupBy,
    /// `never_together` names a device that is not in the target.
    UnknownDevice,
}

/// One located mistake in a plan.
pub type PlanProblem = LocatedProblem<PlanProblemKind>;

/// Why a plan could not be loaded, or does not fit the inventory.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: cannot read the plan: {source}\n  help: {}", source.help())]
    Read {
        path: String,
        #[source]
        source: ReadError,
    },
    /// `problems` is sorted by position and never empty.
    #[error("{}", Rendered { origin, problems, omitted: 0 })]
    Invalid {
        origin: String,
        problems: Vec<PlanProblem>,
    },
}

impl PlanError {
    /// The located problems (empty for a read error).
    pub fn problems(&self) -> &[PlanProblem] {
        match self {
            PlanError::Read { .. } => &[],
            PlanError::Invalid { problems, .. } => problems,
        }
    }

    /// Whether any problem is of `kind`.
    pub fn has(&self, kind: PlanProblemKind) -> bool {
        self.problems().iter().any(|p| p.kind == kind)
    }
}
