//! The `/` filter: a host pattern when the text is one that selects devices, otherwise a
//! case-insensitive substring over name, host, platform, groups and tags.

use std::collections::HashSet;

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
    /// Lower-cased text to look for.
    Text(String),
}

impl Filter {
    pub fn compile(text: &str, inv: &Inventory) -> Filter {
        let text = text.trim();
        if text.is_empty() {
            return Filter::None;
        }
        if let Ok(pattern) = HostPattern::parse(text) {
            let ids: HashSet<DeviceId> = inv.select(&pattern).into_iter().collect();
            if !ids.is_empty() {
                return Filter::Pattern {
                    text: text.to_string(),
                    ids,
                };
            }
        }
        Filter::Text(text.to_lowercase())
    }

    pub fn matches(&self, inv: &Inventory, id: DeviceId) -> bool {
        match self {
            Filter::None => true,
            Filter::Pattern { ids, .. } => ids.contains(&id),
            Filter::Text(needle) => {
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
            Filter::Pattern { text, ids } => {
                Some(format!("pattern {text} ({} devices)", ids.len()))
            }
            Filter::Text(text) => Some(format!("text \"{text}\"")),
        }
    }
}
