//! Resolution, as Nornir's SimpleInventory: for each attribute the device's own value, else
//! its groups depth-first in listed order (a group before its parents), else `defaults`,
//! else the built-in default. Tags merge across all levels, the nearer level winning per key.

use std::collections::HashMap;

use super::graph::ancestors;
use super::model::{Device, Group, Inventory, ProbeSpec, ProbeTiming};
use super::raw::{Attrs, NameRef, RawDevice, RawInventory};

const DEFAULT_PORT: u16 = 22;
const DEFAULT_PLATFORM: &str = "linux";

/// Builds the final inventory. Expects a raw inventory that passed every check.
pub(crate) fn resolve(raw: RawInventory, source: &str) -> Inventory {
    let parents_of: HashMap<&str, &[NameRef]> = raw
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.parents.as_slice()))
        .collect();
    let attrs_of: HashMap<&str, &Attrs> = raw
        .groups
        .iter()
        .map(|g| (g.name.as_str(), &g.attrs))
        .collect();
    let devices = raw
        .devices
        .iter()
        .map(|d| {
            let all_groups = ancestors(&d.groups, &parents_of);
            // Nearest first: the device, its groups in resolution order, then defaults.
            let chain: Vec<&Attrs> = std::iter::once(&d.attrs)
                .chain(
                    all_groups
                        .iter()
                        .filter_map(|g| attrs_of.get(g.as_str()).copied()),
                )
                .chain(std::iter::once(&raw.defaults))
                .collect();
            device(d, all_groups, &chain)
        })
        .collect();
    let groups = raw
        .groups
        .iter()
        .map(|g| Group {
            name: g.name.clone(),
            parents: g.parents.iter().map(|p| p.name.clone()).collect(),
        })
        .collect();
    Inventory {
        source: source.to_owned(),
        devices,
        groups,
        ..Inventory::default()
    }
}

fn device(raw: &RawDevice, all_groups: Vec<String>, chain: &[&Attrs]) -> Device {
    // The first level that sets the attribute wins.
    fn first<T: Clone>(chain: &[&Attrs], get: impl Fn(&Attrs) -> Option<&T>) -> Option<T> {
        chain.iter().find_map(|a| get(a)).cloned()
    }
    let mut tags = std::collections::BTreeMap::new();
    for level in chain.iter().rev() {
        tags.extend(level.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Device {
        name: raw.name.clone(),
        host: raw.host.clone(),
        port: first(chain, |a| a.port.as_ref()).unwrap_or(DEFAULT_PORT),
        port_set: first(chain, |a| a.port.as_ref()).is_some(),
        platform: first(chain, |a| a.platform.as_ref())
            .unwrap_or_else(|| DEFAULT_PLATFORM.to_owned()),
        username: first(chain, |a| a.username.as_ref()),
        password_env: first(chain, |a| a.password_env.as_ref()),
        key_file: first(chain, |a| a.key_file.as_ref()),
        key_passphrase_env: first(chain, |a| a.key_passphrase_env.as_ref()),
        agent: first(chain, |a| a.agent.as_ref()).unwrap_or(false),
        legacy_ssh: first(chain, |a| a.legacy_ssh.as_ref()).unwrap_or(false),
        groups: raw.groups.iter().map(|g| g.name.clone()).collect(),
        all_groups,
        tags,
        probe: first(chain, |a| a.probe.as_ref()).unwrap_or(ProbeSpec::Icmp),
        timing: ProbeTiming {
            interval: first(chain, |a| a.probe_interval.as_ref()),
            down_after: first(chain, |a| a.down_after.as_ref()),
            up_after: first(chain, |a| a.up_after.as_ref()),
        },
        jump: first(chain, |a| a.jump.as_ref()).unwrap_or_default(),
    }
}
