//! The `/` filter: a host pattern when the text is one that selects devices, otherwise a
//! case-insensitive substring over name, host, platform, groups and tags. Which one it is,
//! and why the text is not a pattern, is always said: a typo in a pattern must not pass
//! for a text search.

use std::collections::HashSet;

use crate::base::text::{Untrusted, count};
use crate::inventory::{DeviceId, HostPattern, Inventory};

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Filter {
    #[default]
    None,
    /// Devices selected by a host pattern.
    Pattern {
        text: String,
        ids: HashSet<DeviceId>,
    },
    /// A text search: `needle` (lower-cased) to look for, and why the text is not a
    /// pattern (the pattern's error, or the terms that select nothing).
    Text {
        needle: String,
        not_a_pattern: String,
    },
}

impl Filter {
    pub fn compile(text: &str, inv: &Inventory) -> Filter {
        let text = text.trim();
        if text.is_empty() {
            return Filter::None;
        }
        let not_a_pattern = match HostPattern::parse(text) {
            Err(e) => e.to_string(),
            Ok(pattern) => {
                let ids: HashSet<DeviceId> = inv.select(&pattern).into_iter().collect();
                if !ids.is_empty() {
                    return Filter::Pattern {
                        text: text.to_string(),
                        ids,
                    };
                }
                match pattern.unmatched_terms(inv).as_slice() {
                    [] => "the pattern selects no device".to_string(),
                    terms => format!(
                        "no group, device or tag matches {}",
                        terms
                            .iter()
                            .map(|t| format!("`{}`", Untrusted(t)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        };
        Filter::Text {
            needle: text.to_lowercase(),
            not_a_pattern,
        }
    }

    /// What was typed (lower-cased for a text search).
    pub fn text(&self) -> &str {
        match self {
            Filter::None => "",
            Filter::Pattern { text, .. } => text,
            Filter::Text { needle, .. } => needle,
        }
    }

    pub fn matches(&self, inv: &Inventory, id: DeviceId) -> bool {
        match self {
            Filter::None => true,
            Filter::Pattern { ids, .. } => ids.contains(&id),
            Filter::Text { needle, .. } => {
                let d = &inv.devices[id];
                let hit = |s: &str| s.to_lowercase().contains(needle.as_str());
                hit(&d.name)
                    || hit(&d.host)
                    || hit(&d.platform)
                    || d.all_groups.iter().any(|g| hit(g))
                    || d.tags.iter().any(|(k, v)| hit(&format!("{k}={v}")))
            }
        }
    }

    /// How the footer describes it.
    pub fn describe(&self) -> Option<String> {
        match self {
            Filter::None => None,
            Filter::Pattern { text, ids } => Some(format!(
                "pattern {} ({})",
                Untrusted(text),
                count(ids.len(), "device")
            )),
            Filter::Text {
                needle,
                not_a_pattern,
            } => Some(format!(
                "text search \"{}\" (not a pattern: {not_a_pattern})",
                Untrusted(needle)
            )),
        }
    }
}
