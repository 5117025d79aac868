//! Resolution, as Nornir's SimpleInventory: for each attribute the device's own value, else
//! its groups depth-first in listed order (a group before its parents), else `defaults`,
//! else the built-in default. Tags merge across all levels, the nearer level winning per key.
//!
//! What a device inherits depends only on the groups it lists, and devices share a few such
//! lists: the inherited values are worked out once per list, and equal tag sets are shared.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::graph::ancestors_of;
use super::model::{Device, Group, Inventory, ProbeSpec, ProbeTiming};
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};

const DEFAULT_PORT: u16 = 22;
const DEFAULT_PLATFORM: &str = "linux";

type Tags = Arc<BTreeMap<String, String>>;

/// Builds the final inventory. Expects a raw inventory that passed every check.
pub(crate) fn resolve(raw: RawInventory, source: &str) -> Inventory {
    let RawInventory {
        defaults,
        groups,
        devices,
    } = raw;
    let mut resolver = Resolver::new(&defaults, &groups);
    let devices = devices.into_iter().map(|d| resolver.device(d)).collect();
    Inventory {
        source: source.to_owned(),
        devices,
        groups: self::groups(&groups),
        ..Inventory::default()
    }
}

/// The groups, as the inventory lists them.
pub(crate) fn groups(groups: &[RawGroup]) -> Vec<Group> {
    groups
        .iter()
        .map(|g| Group {
            name: g.name.clone(),
            parents: g.parents.iter().map(|p| p.name.clone()).collect(),
        })
        .collect()
}

/// Resolves devices one at a time against the groups and defaults.
pub(crate) struct Resolver<'r> {
    defaults: &'r Attrs,
    parents_of: HashMap<&'r str, &'r [NameRef]>,
    attrs_of: HashMap<&'r str, &'r Attrs>,
    /// What each list of (known) groups gives a device that lists them.
    inherited: HashMap<Vec<&'r str>, Inherited>,
    /// Tag sets already given out, to share.
    tag_sets: HashSet<Tags>,
    /// The key being looked up (kept to reuse its buffer).
    key: Vec<&'r str>,
}

/// What a device inherits from its listed groups, their ancestors and `defaults`.
struct Inherited {
    /// The listed groups themselves.
    groups: Arc<[String]>,
    all_groups: Arc<[String]>,
    /// Each attribute from the nearest level that sets it; tags merged.
    attrs: Attrs,
    tags: Tags,
}

impl<'r> Resolver<'r> {
    pub(crate) fn new(defaults: &'r Attrs, groups: &'r [RawGroup]) -> Self {
        Resolver {
            defaults,
            parents_of: groups
                .iter()
                .map(|g| (g.name.as_str(), g.parents.as_slice()))
                .collect(),
            attrs_of: groups.iter().map(|g| (g.name.as_str(), &g.attrs)).collect(),
            inherited: HashMap::new(),
            tag_sets: HashSet::new(),
            key: Vec::new(),
        }
    }

    /// Whether a group of this name is defined.
    pub(crate) fn knows(&self, group: &str) -> bool {
        self.attrs_of.contains_key(group)
    }

    pub(crate) fn device(&mut self, raw: RawDevice) -> Device {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        let mut all_known = true;
        for g in &raw.groups {
            match self.attrs_of.get_key_value(g.name.as_str()) {
                Some((&name, _)) => key.push(name),
                None => all_known = false,
            }
        }
        let device = if all_known {
            let inherited = match self.inherited.get(key.as_slice()) {
                Some(inherited) => inherited,
                None => {
                    let inherited = self.inherit(key.iter().copied());
                    self.inherited.entry(key.clone()).or_insert(inherited)
                }
            };
            device(raw, inherited, &mut self.tag_sets)
        } else {
            // Only in an inventory that failed its checks: not worth keeping.
            let inherited = self.inherit(raw.groups.iter().map(|g| g.name.as_str()));
            device(raw, &inherited, &mut self.tag_sets)
        };
        self.key = key;
        device
    }

    fn inherit<'n>(&mut self, listed: impl DoubleEndedIterator<Item = &'n str> + Clone) -> Inherited
    where
        'r: 'n,
    {
        let all_groups = ancestors_of(listed.clone(), &self.parents_of);
        // Nearest first: the groups in resolution order, then defaults.
        let chain: Vec<&Attrs> = all_groups
            .iter()
            .filter_map(|g| self.attrs_of.get(g.as_str()).copied())
            .chain(std::iter::once(self.defaults))
            .collect();
        let attrs = flatten(&chain);
        let tags = share(&mut self.tag_sets, attrs.tags.clone());
        Inherited {
            groups: listed.map(str::to_owned).collect(),
            all_groups: all_groups.into(),
            attrs,
            tags,
        }
    }
}

/// One `Attrs` from a chain of levels, nearest first: each attribute from the first level
/// that sets it, tags merged with the nearer level winning.
fn flatten(chain: &[&Attrs]) -> Attrs {
    fn first<T: Clone>(chain: &[&Attrs], get: impl Fn(&Attrs) -> Option<&T>) -> Option<T> {
        chain.iter().find_map(|a| get(a)).cloned()
    }
    let mut tags = BTreeMap::new();
    for level in chain.iter().rev() {
        tags.extend(level.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Attrs {
        port: first(chain, |a| a.port.as_ref()),
        platform: first(chain, |a| a.platform.as_ref()),
        username: first(chain, |a| a.username.as_ref()),
        password_env: first(chain, |a| a.password_env.as_ref()),
        key_file: first(chain, |a| a.key_file.as_ref()),
        key_passphrase_env: first(chain, |a| a.key_passphrase_env.as_ref()),
        agent: first(chain, |a| a.agent.as_ref()),
        legacy_ssh: first(chain, |a| a.legacy_ssh.as_ref()),
        probe: first(chain, |a| a.probe.as_ref()),
        probe_interval: first(chain, |a| a.probe_interval.as_ref()),
        down_after: first(chain, |a| a.down_after.as_ref()),
        up_after: first(chain, |a| a.up_after.as_ref()),
        jump: first(chain, |a| a.jump.as_ref()),
        tags,
    }
}

/// The shared copy of `tags`.
fn share(sets: &mut HashSet<Tags>, tags: BTreeMap<String, String>) -> Tags {
    if let Some(shared) = sets.get(&tags) {
        return shared.clone();
    }
    let shared = Arc::new(tags);
    sets.insert(shared.clone());
    shared
}

fn device(raw: RawDevice, inherited: &Inherited, tag_sets: &mut HashSet<Tags>) -> Device {
    let own = raw.attrs;
    let from = &inherited.attrs;
    // The device's own value, else the inherited one.
    macro_rules! pick {
        ($field:ident) => {
            own.$field.or_else(|| from.$field.clone())
        };
    }
    // Most devices repeat tags their groups already give them.
    let tags = if own
        .tags
        .iter()
        .all(|(k, v)| inherited.tags.get(k) == Some(v))
    {
        inherited.tags.clone()
    } else {
        let mut tags = (*inherited.tags).clone();
        tags.extend(own.tags);
        share(tag_sets, tags)
    };
    let port = pick!(port);
    Device {
        name: raw.name,
        host: raw.host,
        port: port.unwrap_or(DEFAULT_PORT),
        port_set: port.is_some(),
        platform: pick!(platform).unwrap_or_else(|| DEFAULT_PLATFORM.to_owned()),
        username: pick!(username),
        password_env: pick!(password_env),
        key_file: pick!(key_file),
        key_passphrase_env: pick!(key_passphrase_env),
        agent: pick!(agent).unwrap_or(false),
        legacy_ssh: pick!(legacy_ssh).unwrap_or(false),
        groups: inherited.groups.clone(),
        all_groups: inherited.all_groups.clone(),
        tags,
        probe: pick!(probe).unwrap_or(ProbeSpec::Icmp),
        timing: ProbeTiming {
            interval: pick!(probe_interval),
            down_after: pick!(down_after),
            up_after: pick!(up_after),
        },
        jump: pick!(jump).unwrap_or_default(),
    }
}
