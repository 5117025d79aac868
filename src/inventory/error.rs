//! Inventory errors: every problem carries file, line, column, what is wrong and how to fix it,
//! rendered like a compiler message.

use std::fmt;

use crate::base::files::ReadError;
use crate::base::text::is_unsafe;

/// What kind of mistake a [`Problem`] reports; callers and tests match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The text is not valid YAML (or uses YAML features we cannot read).
    Syntax,
    /// A key that this level does not know (usually a typo).
    UnknownField,
    /// A required key (`name`, `host`) is absent.
    MissingField,
    /// A value of the wrong shape or form (e.g. a list where a string belongs).
    InvalidValue,
    /// Two devices with the same `name`.
    DuplicateDevice,
    /// A device's `groups` or a group's `parents` names a group that is not defined.
    UnknownGroup,
    /// Groups whose `parents` lead back to themselves.
    GroupCycle,
    /// `host` is neither an IP address nor an RFC 1123 hostname.
    BadAddress,
    /// `port` is not a number in 1..=65535.
    BadPort,
    /// `probe` is neither `icmp` nor `tcp:PORT`.
    BadProbe,
    /// The inventory defines no devices.
    Empty,
    /// A secret written inline (`password:`) instead of a reference to it.
    InlineSecret,
    /// A `platform:` no platform file defines (checked by the platforms layer above).
    UnknownPlatform,
}

/// One located mistake in a YAML file (an inventory, a rollout plan), of some kind `K`
/// callers and tests match on. `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedProblem<K> {
    pub kind: K,
    pub line: usize,
    pub column: usize,
    /// What is wrong, one line, no trailing period.
    pub message: String,
    /// How to fix it, when we know.
    pub help: Option<String>,
}

/// One located mistake in an inventory file.
pub type Problem = LocatedProblem<ProblemKind>;

/// Why an inventory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read at all.
    #[error("{path}: cannot read the inventory: {source}\n  help: {}", source.help())]
    Read {
        path: String,
        #[source]
        source: ReadError,
    },
    /// The file was read but is not a valid inventory. `problems` is sorted by position and
    /// never empty; `omitted` counts further problems that were not located (to stay fast).
    #[error("{}", Rendered { origin, problems, omitted: *omitted })]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
        omitted: usize,
    },
}

impl InventoryError {
    /// The located problems (empty for a read error).
    pub fn problems(&self) -> &[Problem] {
        match self {
            InventoryError::Read { .. } => &[],
            InventoryError::Invalid { problems, .. } => problems,
        }
    }
}

/// Renders problems as `origin:line:col: message` + `  help: …` blocks.
pub(crate) struct Rendered<'a, K> {
    pub origin: &'a str,
    pub problems: &'a [LocatedProblem<K>],
    /// Further problems that were not located, counted at the end.
    pub omitted: usize,
}

impl<K> fmt::Display for Rendered<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{}:{}: {}",
                self.origin,
                p.line,
                p.column,
                Visible(&p.message)
            )?;
            if let Some(help) = &p.help {
                write!(f, "\n  help: {}", Visible(help))?;
            }
        }
        if self.omitted > 0 {
            write!(f, "\n… and {} more problem(s) not shown", self.omitted)?;
        }
        Ok(())
    }
}

/// The last line of defence for text quoted from a file: any control or bidi character
/// that reached a message without going through `Untrusted` is shown as an escape.
struct Visible<'a>(&'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match is_unsafe(c) {
                true => write!(f, "\\u{{{:04x}}}", c as u32)?,
                false => fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
    }
}
