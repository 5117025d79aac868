//! Ansible-style host patterns (`--limit`): which devices a command or rollout targets.
//!
//! Grammar: terms separated by `:` or `,` (spaces around terms are ignored, empty terms are
//! skipped). A term is `all` or `*` (every device), a group name (its members, including
//! members of its child groups), a glob on device names (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`),
//! or `tag:KEY=VALUE` (VALUE may be a glob; it ends at the next `:` or `,`). Prefix `&` to
//! intersect, `!` to exclude. Result, independent of term order:
//! (union of plain terms, or every device if there are none) ∩ each `&` term − each `!` term.
//! A name that is both a group and a device selects the group, as in Ansible.

use crate::base::text::Untrusted;
use std::fmt;
use std::str::FromStr;

use super::glob::Glob;
use super::model::{Device, DeviceId, Inventory};

/// Why a host pattern could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty host pattern: name groups, devices or tags, or `all` for every device")]
    Empty,
    #[error("`{0}` must be followed by a group, device or tag term, e.g. `{0}core`")]
    DanglingOperator(char),
    #[error("term `{}` has more than one `!`/`&` prefix: use one per term", Untrusted(.0))]
    DoubleOperator(String),
    #[error("`{}` needs a value: write `tag:KEY=VALUE` (the value may be a glob)", Untrusted(.0))]
    TagWithoutValue(String),
    #[error("`{}` has no tag name: write `tag:KEY=VALUE`, e.g. `tag:site=ams`", Untrusted(.0))]
    EmptyTagKey(String),
    #[error("bad glob: {}", Untrusted(.0))]
    BadGlob(String),
    #[error("regular expressions (`{}`) are not supported: use globs (`*`, `?`, `[a-z]`)", Untrusted(.0))]
    Regex(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    All,
    /// A group name, or else a glob on device names (decided against the inventory).
    Name {
        text: String,
        glob: Glob,
    },
    Tag {
        key: String,
        value: Glob,
    },
}

/// A parsed host pattern; see the module documentation for the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    text: String,
    include: Vec<Term>,
    intersect: Vec<Term>,
    exclude: Vec<Term>,
}

impl HostPattern {
    /// Parses a pattern such as `site-ams:&core:!ams-core-2` or `tag:role=edge,lab-*`.
    pub fn parse(pattern: &str) -> Result<HostPattern, PatternError> {
        let mut parsed = HostPattern {
            text: pattern.trim().to_owned(),
            include: Vec::new(),
            intersect: Vec::new(),
            exclude: Vec::new(),
        };
        for raw in split_terms(pattern) {
            let raw = raw.trim();
            let (list, body) = match raw.chars().next() {
                None => continue,
                Some(op @ ('!' | '&')) => {
                    let body = raw[1..].trim_start();
                    if body.is_empty() {
                        return Err(PatternError::DanglingOperator(op));
                    }
                    if body.starts_with(['!', '&']) {
                        return Err(PatternError::DoubleOperator(raw.to_owned()));
                    }
                    let list = if op == '!' {
                        &mut parsed.exclude
                    } else {
                        &mut parsed.intersect
                    };
                    (list, body)
                }
                Some(_) => (&mut parsed.include, raw),
            };
            list.push(term(body)?);
        }
        if parsed.include.is_empty() && parsed.intersect.is_empty() && parsed.exclude.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(parsed)
    }

    /// Whether device `id` of `inv` is selected.
    pub fn matches(&self, inv: &Inventory, id: DeviceId) -> bool {
        inv.devices
            .get(id)
            .is_some_and(|d| self.bind(inv).matches(d))
    }

    /// Terms (as written, without prefix) that select no device of `inv`: likely typos,
    /// worth a warning before acting on the rest.
    pub fn unmatched_terms(&self, inv: &Inventory) -> Vec<String> {
        let bound = self.bind(inv);
        [&bound.include, &bound.intersect, &bound.exclude]
            .into_iter()
            .flatten()
            .filter(|t| !inv.devices.iter().any(|d| t.matches(d)))
            .map(|t| t.text())
            .collect()
    }

    /// Resolves group-or-glob terms against `inv` once, for matching many devices.
    fn bind<'a>(&'a self, inv: &'a Inventory) -> Bound<'a> {
        let bind = |terms: &'a [Term]| -> Vec<BoundTerm<'a>> {
            terms
                .iter()
                .map(|t| match t {
                    Term::All => BoundTerm::All,
                    Term::Name { text, glob } => {
                        if inv.groups.iter().any(|g| g.name == *text) {
                            BoundTerm::Group(text)
                        } else {
                            BoundTerm::Name(text, glob)
                        }
                    }
                    Term::Tag { key, value } => BoundTerm::Tag(key, value),
                })
                .collect()
        };
        Bound {
            include: bind(&self.include),
            intersect: bind(&self.intersect),
            exclude: bind(&self.exclude),
        }
    }
}

impl Inventory {
    /// The devices `pattern` selects, in inventory order.
    pub fn select(&self, pattern: &HostPattern) -> Vec<DeviceId> {
        let bound = pattern.bind(self);
        (0..self.devices.len())
            .filter(|&id| bound.matches(&self.devices[id]))
            .collect()
    }
}

impl FromStr for HostPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HostPattern::parse(s)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits on `:` and `,`, except the colon right after a term's `tag` keyword.
fn split_terms(pattern: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut rest = pattern;
    loop {
        let body = rest
            .trim_start()
            .trim_start_matches(['!', '&'])
            .trim_start();
        let skip = if body.starts_with("tag:") {
            rest.len() - body.len() + "tag:".len()
        } else {
            0
        };
        match rest[skip..].find([':', ',']) {
            Some(at) => {
                terms.push(&rest[..skip + at]);
                rest = &rest[skip + at + 1..];
            }
            None => {
                terms.push(rest);
                return terms;
            }
        }
    }
}

/// One term without its prefix.
fn term(body: &str) -> Result<Term, PatternError> {
    if body == "all" || body == "*" {
        return Ok(Term::All);
    }
    if body.starts_with('~') {
        return Err(PatternError::Regex(body.to_owned()));
    }
    if let Some(spec) = body.strip_prefix("tag:") {
        let Some((key, value)) = spec.split_once('=') else {
            return Err(PatternError::TagWithoutValue(body.to_owned()));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(PatternError::EmptyTagKey(body.to_owned()));
        }
        let value = Glob::parse(value.trim()).map_err(PatternError::BadGlob)?;
        return Ok(Term::Tag {
            key: key.to_owned(),
            value,
        });
    }
    let glob = Glob::parse(body).map_err(PatternError::BadGlob)?;
    Ok(Term::Name {
        text: body.to_owned(),
        glob,
    })
}

enum BoundTerm<'a> {
    All,
    Group(&'a str),
    Name(&'a str, &'a Glob),
    Tag(&'a str, &'a Glob),
}

impl BoundTerm<'_> {
    fn matches(&self, d: &Device) -> bool {
        match self {
            BoundTerm::All => true,
            BoundTerm::Group(g) => d.all_groups.iter().any(|x| x == g),
            BoundTerm::Name(_, glob) => glob.matches(&d.name),
            BoundTerm::Tag(key, value) => d.tags.get(*key).is_some_and(|v| value.matches(v)),
        }
    }

    fn text(&self) -> String {
        match self {
            BoundTerm::All => "all".to_owned(),
            BoundTerm::Group(text) | BoundTerm::Name(text, _) => (*text).to_owned(),
            BoundTerm::Tag(key, value) => format!("tag:{key}={}", value.source()),
        }
    }
}

struct Bound<'a> {
    include: Vec<BoundTerm<'a>>,
    intersect: Vec<BoundTerm<'a>>,
    exclude: Vec<BoundTerm<'a>>,
}

impl Bound<'_> {
    fn matches(&self, d: &Device) -> bool {
        (self.include.is_empty() || self.include.iter().any(|t| t.matches(d)))
            && self.intersect.iter().all(|t| t.matches(d))
            && !self.exclude.iter().any(|t| t.matches(d))
    }
}

#[cfg(test)]
mod tests;
