//! Ansible host patterns (`--limit`): which devices a command or rollout targets, with
//! Ansible's semantics (checked against `ansible --list-hosts` in tests/inventory_oracles.rs).
//!
//! Grammar: terms separated by `:` or `,` (spaces around terms are ignored, empty terms are
//! skipped; colons inside `[…]` do not separate). A term is `all` or `*` (every device), a
//! name, a glob (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`), a regular expression after `~`
//! (matched at the start of names), or fleetdash's `tag:KEY=VALUE` (VALUE may be a glob; it
//! ends at the next `:` or `,`). A name or glob selects the members (child groups included)
//! of every group it matches — `all` is such a group — and, when it matches no group or
//! has a wildcard, the devices it matches. A plain term that is exactly a device's name
//! selects that device only (Ansible looks at host names first). A trailing subscript
//! narrows a term to the matched devices in inventory order: `[0]`, `[-1]`, `[1:3]`
//! (inclusive), `[2:]`. Prefix `&` to intersect, `!` to exclude. Result, independent of
//! term order: (union of plain terms, or every device if there are none) ∩ each `&` term −
//! each `!` term.

use crate::base::text::Untrusted;
use std::fmt;
use std::str::FromStr;

use super::glob::Glob;
use super::model::{DeviceId, Inventory};

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
    /// The term as written, and why its regular expression does not compile.
    #[error("bad regular expression `{}`: {}", Untrusted(.0), Untrusted(.1))]
    Regex(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    All,
    /// A device name, group names and device names matching a glob or regex, optionally
    /// narrowed by a subscript (decided against the inventory).
    Name {
        text: String,
        matcher: Matcher,
        subscript: Option<Subscript>,
    },
    Tag {
        key: String,
        value: Glob,
    },
}

/// How a name term matches names: a shell glob, or (`~`) a regular expression that must
/// match at the start of the name, as Python's `re.match` does in Ansible.
#[derive(Debug, Clone)]
enum Matcher {
    Glob(Glob),
    Regex(regex::Regex),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Matcher::Glob(a), Matcher::Glob(b)) => a == b,
            (Matcher::Regex(a), Matcher::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Eq for Matcher {}

impl Matcher {
    fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Glob(glob) => glob.matches(name),
            Matcher::Regex(re) => re.is_match(name),
        }
    }
}

/// `[i]` (negative counts from the end) or `[start:end]` (inclusive; no end: to the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscript {
    One(i64),
    Range(usize, Option<usize>),
}

/// A parsed host pattern; see the module documentation for the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    text: String,
    include: Vec<Term>,
    intersect: Vec<Term>,
    exclude: Vec<Term>,
}

/// Longest regular expression accepted in a `~` term, and the compiled size allowed.
const MAX_REGEX: usize = 1_000;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

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
        id < inv.devices.len() && self.bind(inv).selected[id]
    }

    /// Terms (as written, without prefix) that select no device of `inv`: likely typos,
    /// worth a warning before acting on the rest.
    pub fn unmatched_terms(&self, inv: &Inventory) -> Vec<String> {
        let bound = self.bind(inv);
        bound
            .terms
            .into_iter()
            .filter(|(_, set)| !set.iter().any(|&x| x))
            .map(|(text, _)| text)
            .collect()
    }

    /// Evaluates every term against `inv` as Ansible does (plain terms first, then `&`,
    /// then `!`; no plain term means `all`).
    fn bind(&self, inv: &Inventory) -> Bound {
        let n = inv.devices.len();
        let mut terms = Vec::new();
        let mut eval = |t: &Term, plain: bool| -> Vec<bool> {
            let set = t.select(inv, plain);
            terms.push((t.text(), set.clone()));
            set
        };
        let mut selected = vec![self.include.is_empty(); n];
        for t in &self.include {
            for (s, x) in selected.iter_mut().zip(eval(t, true)) {
                *s |= x;
            }
        }
        for t in &self.intersect {
            for (s, x) in selected.iter_mut().zip(eval(t, false)) {
                *s &= x;
            }
        }
        for t in &self.exclude {
            for (s, x) in selected.iter_mut().zip(eval(t, false)) {
                *s &= !x;
            }
        }
        Bound { selected, terms }
    }
}

impl Inventory {
    /// The devices `pattern` selects, in inventory order.
    pub fn select(&self, pattern: &HostPattern) -> Vec<DeviceId> {
        let bound = pattern.bind(self);
        (0..self.devices.len())
            .filter(|&id| bound.selected[id])
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

/// Splits on `:` and `,`, except the colon right after a term's `tag` keyword and colons
/// inside brackets (a subscript `[1:3]` or a range).
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
        let mut depth = 0usize;
        let at = rest[skip..].char_indices().find_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                ':' | ',' if depth == 0 => return Some(i),
                _ => {}
            }
            None
        });
        match at {
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
    if let Some(re) = body.strip_prefix('~') {
        if re.len() > MAX_REGEX {
            let head: String = re.chars().take(40).collect();
            return Err(PatternError::Regex(
                format!("~{head}"),
                format!("longer than {MAX_REGEX} characters"),
            ));
        }
        let compiled = regex::RegexBuilder::new(&format!("^(?:{re})"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                // regex's message draws the pattern over several lines; its last says why.
                let why = e.to_string();
                let last = why.lines().last().unwrap_or("invalid").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                PatternError::Regex(body.to_owned(), last)
            })?;
        return Ok(Term::Name {
            text: body.to_owned(),
            matcher: Matcher::Regex(compiled),
            subscript: None,
        });
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
    let (name, subscript) = split_subscript(body);
    let glob = Glob::parse(name).map_err(PatternError::BadGlob)?;
    Ok(Term::Name {
        text: body.to_owned(),
        matcher: Matcher::Glob(glob),
        subscript,
    })
}

/// Ansible's subscript: a trailing `[N]`, `[-N]`, `[N:M]` or `[N:]`. (`[N-M]`, which
/// Ansible removed, stays a glob character class here.)
fn split_subscript(body: &str) -> (&str, Option<Subscript>) {
    let Some(inner) = body.strip_suffix(']') else {
        return (body, None);
    };
    let Some(open) = inner.rfind('[').filter(|&i| i > 0) else {
        return (body, None);
    };
    let (name, spec) = (&inner[..open], &inner[open + 1..]);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((a, b)) = spec.split_once(':') {
        if digits(a) && (b.is_empty() || digits(b)) {
            let start = a.parse().unwrap_or(usize::MAX);
            let end = b.parse().ok();
            return (name, Some(Subscript::Range(start, end)));
        }
    } else if digits(spec.strip_prefix('-').unwrap_or(spec))
        && let Ok(i) = spec.parse::<i64>()
    {
        return (name, Some(Subscript::One(i)));
    }
    (body, None)
}

/// Which groups' members a term's matcher selects: `all` is a group that every device is
/// in, as in Ansible (so `a*` selects everything).
fn group_members(
    inv: &Inventory,
    matcher: &Matcher,
    out: &mut [bool],
    order: &mut Vec<DeviceId>,
) -> bool {
    let groups: Vec<&str> = std::iter::once("all")
        .chain(inv.groups.iter().map(|g| g.name.as_str()))
        .filter(|g| matcher.matches(g))
        .collect();
    for (id, d) in inv.devices.iter().enumerate() {
        if groups
            .iter()
            .any(|&g| g == "all" || d.all_groups.iter().any(|x| x == g))
            && !out[id]
        {
            out[id] = true;
            order.push(id);
        }
    }
    !groups.is_empty()
}

impl Term {
    /// The devices this term selects. `plain`: a term without `&`/`!`, which selects a
    /// device of exactly its name before anything else (Ansible checks host names first).
    fn select(&self, inv: &Inventory, plain: bool) -> Vec<bool> {
        let n = inv.devices.len();
        let mut out = vec![false; n];
        match self {
            Term::All => out.iter_mut().for_each(|x| *x = true),
            Term::Tag { key, value } => {
                for (x, d) in out.iter_mut().zip(&inv.devices) {
                    *x = d.tags.get(key).is_some_and(|v| value.matches(v));
                }
            }
            Term::Name {
                text,
                matcher,
                subscript,
            } => {
                if plain && let Some(id) = inv.devices.iter().position(|d| d.name == *text) {
                    out[id] = true;
                    return out;
                }
                let mut order = Vec::new();
                let matched_groups = group_members(inv, matcher, &mut out, &mut order);
                let special =
                    matches!(matcher, Matcher::Regex(_)) || text.contains(['.', '?', '*', '[']);
                if !matched_groups || special {
                    for (id, d) in inv.devices.iter().enumerate() {
                        if !out[id] && matcher.matches(&d.name) {
                            out[id] = true;
                            order.push(id);
                        }
                    }
                }
                if let Some(sub) = subscript {
                    let keep: Vec<DeviceId> = match *sub {
                        Subscript::One(i) => {
                            let len = order.len() as i64;
                            let i = if i < 0 { len + i } else { i };
                            (0..len)
                                .contains(&i)
                                .then(|| order[i as usize])
                                .into_iter()
                                .collect()
                        }
                        Subscript::Range(start, end) => {
                            let last = end.unwrap_or(usize::MAX).min(order.len().saturating_sub(1));
                            order
                                .get(start..=last)
                                .map(<[_]>::to_vec)
                                .unwrap_or_default()
                        }
                    };
                    out = vec![false; n];
                    for id in keep {
                        out[id] = true;
                    }
                }
            }
        }
        out
    }

    fn text(&self) -> String {
        match self {
            Term::All => "all".to_owned(),
            Term::Name { text, .. } => text.clone(),
            Term::Tag { key, value } => format!("tag:{key}={}", value.source()),
        }
    }
}

struct Bound {
    selected: Vec<bool>,
    /// Each term's text and selection, for [`HostPattern::unmatched_terms`].
    terms: Vec<(String, Vec<bool>)>,
}

#[cfg(test)]
mod tests;
