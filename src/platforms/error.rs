//! Platform file errors: file, line, column, what is wrong and how to fix it, rendered like
//! the inventory's.

use crate::base::files::ReadError;
use crate::inventory::error::{LocatedProblem, Rendered};

/// What kind of mistake a [`PlatformProblem`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformProblemKind {
    Syntax,
    UnknownField,
    MissingField,
    InvalidValue,
    /// A pattern is not a valid regular expression.
    BadRegex,
    /// `name:` differs from the file name.
    NameMismatch,
    /// A poll names a parser fleetdash does not have.
    UnknownParser,
}

pub type PlatformProblem = LocatedProblem<PlatformProblemKind>;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("{path}: cannot read the platform file: {source}\n  help: {}", source.help())]
    Read {
        path: String,
        #[source]
        source: ReadError,
    },
    /// `problems` is sorted by position and never empty.
    #[error("{}", Rendered { origin, problems, omitted: 0 })]
    Invalid {
        origin: String,
        problems: Vec<PlatformProblem>,
    },
}

impl PlatformError {
    pub fn problems(&self) -> &[PlatformProblem] {
        match self {
            PlatformError::Read { .. } => &[],
            PlatformError::Invalid { problems, .. } => problems,
        }
    }

    pub fn has(&self, kind: PlatformProblemKind) -> bool {
        self.problems().iter().any(|p| p.kind == kind)
    }
}
