//! containerlab topologies (`*.clab.yml`): each node is a device; its kind (from the node,
//! its topology group, or `topology.defaults`) maps to a platform; its address is
//! `mgmt-ipv4` (or `mgmt-ipv6`), else what `containerlab inspect --format json` reported,
//! else the container's name (`clab-LAB-NODE`, which containerlab puts in /etc/hosts).
//! Groups: the kind, the node's `group`, and the `ansible-group` label; labels become
//! tags. `links` are kept as the desired cabling.
//!
//! The inventory path may also be the inspect JSON itself: its `labPath` names the
//! topology; without one, the devices come from the JSON alone.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::address::{canonical, check_host};
use super::error::{InventoryError, ProblemKind as K};
use super::locate::YamlPath;
use super::model::{Endpoint, Link};
use super::platform_names::fleetdash_platform;
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use super::sources::{FileId, Sources, Where};
use super::values::{self, scalar_text};
use crate::base::text::Untrusted;

/// Reads the topology (or inspect JSON) at `path`.
pub(crate) fn load(path: &Path) -> Result<(RawInventory, Sources, Vec<Link>), InventoryError> {
    let mut sources = Sources::default();
    let path = if path.is_dir() {
        topology_in(path).unwrap_or_else(|| path.join("topology.clab.yml"))
    } else {
        path.to_owned()
    };
    let file = sources.read(&path)?;
    let doc = super::yaml::parse(sources.text(file), &sources.origin(file))?;
    let (topo, inspect) = if doc.get("topology").is_some() {
        ((file, doc), None)
    } else {
        let addresses = inspect_addresses(&doc);
        match lab_path(&doc, &path) {
            Some(topo_path) => {
                let tf = sources.read(&topo_path)?;
                let tdoc = super::yaml::parse(sources.text(tf), &sources.origin(tf))?;
                ((tf, tdoc), Some(addresses))
            }
            None => return from_inspect(sources, file, addresses),
        }
    };
    let (raw, links) = read_topology(&mut sources, topo.0, &topo.1, inspect.as_ref());
    if sources.has_problems() {
        return Err(sources.into_error());
    }
    Ok((raw, sources, links))
}

fn topology_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .take(10_000)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".clab.yml") || n.ends_with(".clab.yaml"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// One container of an inspect report.
struct Inspected {
    name: String,
    kind: String,
    address: Option<String>,
}

/// Containers of `containerlab inspect --format json`: `{"containers": […]}` (older
/// versions) or `{"LAB": […]}`.
fn inspect_entries(doc: &Value) -> Vec<&Mapping> {
    let lists: Vec<&Value> = match doc.get("containers") {
        Some(list) => vec![list],
        None => doc
            .as_mapping()
            .map(|m| m.values().collect())
            .unwrap_or_default(),
    };
    lists
        .into_iter()
        .filter_map(Value::as_sequence)
        .flatten()
        .filter_map(Value::as_mapping)
        .collect()
}

fn inspect_addresses(doc: &Value) -> Vec<Inspected> {
    inspect_entries(doc)
        .into_iter()
        .map(|c| {
            let text = |k: &str| c.get(k).and_then(scalar_text).unwrap_or_default();
            let address = ["ipv4_address", "ipv6_address"].iter().find_map(|k| {
                let a = text(k);
                let a = a.split('/').next().unwrap_or("").trim().to_owned();
                (!a.is_empty() && a != "N/A").then_some(a)
            });
            Inspected {
                name: text("name"),
                kind: text("kind"),
                address,
            }
        })
        .collect()
}

/// The topology an inspect report names (`labPath`, relative to the report's directory).
fn lab_path(doc: &Value, report: &Path) -> Option<PathBuf> {
    let first = inspect_entries(doc).into_iter().next()?;
    let lab = first
        .get("labPath")
        .or_else(|| first.get("lab_path"))
        .and_then(scalar_text)?;
    let lab = PathBuf::from(lab);
    let lab = if lab.is_absolute() {
        lab
    } else {
        report.parent().unwrap_or(Path::new(".")).join(lab)
    };
    lab.is_file().then_some(lab)
}

/// Devices from an inspect report alone: names, kinds, addresses.
fn from_inspect(
    mut sources: Sources,
    file: FileId,
    found: Vec<Inspected>,
) -> Result<(RawInventory, Sources, Vec<Link>), InventoryError> {
    let mut raw = RawInventory::default();
    let mut kinds: Vec<String> = Vec::new();
    for (i, c) in found.into_iter().enumerate() {
        let at = YamlPath::root();
        let Some(address) = c.address.filter(|a| check_host(a).is_ok()) else {
            sources.add(
                K::BadAddress,
                Where::yaml(file, at),
                format!(
                    "container `{}` has no management address",
                    Untrusted(&c.name)
                ),
                Some("run `containerlab inspect --format json` while the lab is running".into()),
            );
            continue;
        };
        if values::check_name(&c.name, "device").is_err() {
            continue;
        }
        let platform = fleetdash_platform(&c.kind).unwrap_or("generic").to_owned();
        let group = kind_group(&c.kind);
        if !kinds.contains(&group) {
            kinds.push(group.clone());
        }
        raw.devices.push(RawDevice {
            name: c.name,
            name_at: YamlPath::root().index(i),
            host: canonical(address),
            groups: vec![NameRef {
                name: group,
                at: YamlPath::root(),
            }],
            attrs: Attrs {
                platform: Some(platform),
                ..Attrs::default()
            },
        });
    }
    raw.groups = kinds
        .into_iter()
        .map(|name| RawGroup {
            name,
            parents: Vec::new(),
            attrs: Attrs::default(),
        })
        .collect();
    if raw.devices.is_empty() && !sources.has_problems() {
        sources.add(
            K::Empty,
            Where::yaml(file, YamlPath::root()),
            "the containerlab report lists no containers",
            Some("deploy the lab first, or give the topology file".into()),
        );
    }
    if sources.has_problems() {
        return Err(sources.into_error());
    }
    Ok((raw, sources, Vec::new()))
}

/// A kind as a group name (`vr-sros` stays, other characters become `_`).
fn kind_group(kind: &str) -> String {
    kind.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn read_topology(
    sources: &mut Sources,
    file: FileId,
    doc: &Value,
    inspect: Option<&Vec<Inspected>>,
) -> (RawInventory, Vec<Link>) {
    let root = YamlPath::root();
    let mut raw = RawInventory::default();
    let lab = doc.get("name").and_then(scalar_text).unwrap_or_default();
    let prefix = match doc.get("prefix").and_then(scalar_text) {
        None => "clab".to_owned(),
        Some(p) if p == "__lab-name" => lab.clone(),
        Some(p) => p,
    };
    let container = |node: &str| match prefix.as_str() {
        "" => node.to_owned(),
        p if p == lab => format!("{lab}-{node}"),
        p => format!("{p}-{lab}-{node}"),
    };
    let topo_at = root.key("topology");
    let topology = doc.get("topology");
    let section = |k: &str| topology.and_then(|t| t.get(k)).and_then(Value::as_mapping);
    let defaults = section("defaults");
    let kinds = section("kinds");
    let topo_groups = section("groups");
    let Some(nodes) = section("nodes").filter(|n| !n.is_empty()) else {
        sources.add(
            K::Empty,
            Where::yaml(file, topo_at.clone()),
            "the topology defines no nodes",
            Some("list nodes under `topology: nodes:`".into()),
        );
        return (raw, Vec::new());
    };
    let mut group_names: Vec<String> = Vec::new();
    for (key, node) in nodes {
        let name = scalar_text(key).unwrap_or_default();
        let at = topo_at.key("nodes").key(&name);
        let empty = Mapping::new();
        let node = node.as_mapping().unwrap_or(&empty);
        let topo_group = node.get("group").and_then(scalar_text);
        let group_def = topo_group
            .as_deref()
            .and_then(|g| topo_groups.and_then(|gs| gs.get(g)))
            .and_then(Value::as_mapping);
        // The node's value, else its group's, else the kind's, else the defaults'.
        let kind = [Some(node), group_def, defaults]
            .into_iter()
            .flatten()
            .find_map(|m| m.get("kind").and_then(scalar_text))
            .unwrap_or_else(|| "linux".to_owned());
        let kind_def = kinds
            .and_then(|k| k.get(kind.as_str()))
            .and_then(Value::as_mapping);
        let get = |k: &str| -> Option<&Value> {
            [Some(node), group_def, kind_def, defaults]
                .into_iter()
                .flatten()
                .find_map(|m| m.get(k))
        };
        if let Err(bad) = values::check_name(&name, "device") {
            sources.add(
                K::InvalidValue,
                Where::yaml(file, at.as_key_node()),
                bad.reason,
                bad.help,
            );
            continue;
        }
        let platform = match fleetdash_platform(&kind) {
            Some(p) => p.to_owned(),
            None => {
                let note = format!(
                    "containerlab kind `{}` has no fleetdash platform: its nodes use `generic`",
                    Untrusted(&kind)
                );
                if !sources.notes.contains(&note) {
                    sources.notes.push(note);
                }
                "generic".to_owned()
            }
        };
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        for m in [defaults, kind_def, group_def, Some(node)]
            .into_iter()
            .flatten()
        {
            if let Some(Value::Mapping(l)) = m.get("labels") {
                for (k, v) in l {
                    if let (Some(k), Some(v)) = (scalar_text(k), scalar_text(v)) {
                        labels.insert(k, v);
                    }
                }
            }
        }
        let container_name = container(&name);
        let written = ["mgmt-ipv4", "mgmt-ipv6"]
            .iter()
            .find_map(|k| get(k).and_then(scalar_text).map(|a| (a, *k)));
        let host = match written {
            Some((addr, key)) => match check_host(&addr) {
                Ok(()) => Some(canonical(addr)),
                Err(bad) => {
                    sources.add(
                        K::BadAddress,
                        Where::yaml(file, at.key(key)),
                        format!(
                            "bad address in node `{}`: `{}` {}",
                            Untrusted(&name),
                            Untrusted(&addr),
                            bad.reason
                        ),
                        Some(bad.help),
                    );
                    None
                }
            },
            None => inspect
                .and_then(|found| {
                    found
                        .iter()
                        .find(|c| c.name == container_name || c.name == name)
                })
                .and_then(|c| c.address.clone())
                .filter(|a| check_host(a).is_ok())
                .map(canonical)
                .or_else(|| Some(container_name.clone())),
        };
        let mut groups = vec![kind_group(&kind)];
        groups.extend(topo_group.clone());
        groups.extend(labels.get("ansible-group").cloned());
        groups.dedup();
        let mut refs = Vec::new();
        for g in groups {
            if values::check_name(&g, "group").is_err() {
                continue;
            }
            if !group_names.contains(&g) {
                group_names.push(g.clone());
            }
            if !refs.iter().any(|r: &NameRef| r.name == g) {
                refs.push(NameRef {
                    name: g,
                    at: at.clone(),
                });
            }
        }
        let tags = labels
            .into_iter()
            .filter(|(k, _)| values::check_tag_key(k).is_ok())
            .collect();
        if let Some(host) = host {
            raw.devices.push(RawDevice {
                name,
                name_at: at,
                host,
                groups: refs,
                attrs: Attrs {
                    platform: Some(platform),
                    tags,
                    ..Attrs::default()
                },
            });
        }
    }
    raw.groups = group_names
        .into_iter()
        .map(|name| RawGroup {
            name,
            parents: Vec::new(),
            attrs: Attrs::default(),
        })
        .collect();
    let links = read_links(
        sources,
        file,
        topology.and_then(|t| t.get("links")),
        &topo_at.key("links"),
        &raw,
    );
    (raw, links)
}

/// `links`: `endpoints: ["a:e1", "b:e1"]` or `[{node: a, interface: e1}, …]`. Links to
/// containerlab's special ends (`host`, `mgmt-net`, `macvlan`) are not cabling.
fn read_links(
    sources: &mut Sources,
    file: FileId,
    links: Option<&Value>,
    at: &YamlPath,
    raw: &RawInventory,
) -> Vec<Link> {
    const SPECIAL: [&str; 4] = ["host", "mgmt-net", "macvlan", "bridge"];
    let nodes: HashMap<&str, ()> = raw.devices.iter().map(|d| (d.name.as_str(), ())).collect();
    let mut out = Vec::new();
    for (i, link) in links
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let lat = at.index(i).key("endpoints");
        let ends: Vec<Option<Endpoint>> = link
            .get("endpoints")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|e| match e {
                Value::String(s) => s.split_once(':').map(|(n, i)| Endpoint {
                    device: n.to_owned(),
                    interface: i.to_owned(),
                }),
                Value::Mapping(m) => Some(Endpoint {
                    device: m.get("node").and_then(scalar_text)?,
                    interface: m.get("interface").and_then(scalar_text).unwrap_or_default(),
                }),
                _ => None,
            })
            .collect();
        let [Some(a), Some(b)] = &ends[..] else {
            if link.get("type").is_none() {
                sources.add(
                    K::InvalidValue,
                    Where::yaml(file, lat),
                    format!("link #{} needs two endpoints `node:interface`", i + 1),
                    Some("write `endpoints: [\"r1:eth1\", \"r2:eth1\"]`".into()),
                );
            }
            continue;
        };
        if SPECIAL.contains(&a.device.as_str()) || SPECIAL.contains(&b.device.as_str()) {
            continue;
        }
        for end in [a, b] {
            if !nodes.contains_key(end.device.as_str()) {
                sources.add(
                    K::UnknownGroup,
                    Where::yaml(file, lat.clone()),
                    format!(
                        "link #{} names node `{}`, which the topology does not define",
                        i + 1,
                        Untrusted(&end.device)
                    ),
                    Some("check the node name before the `:`".into()),
                );
            }
        }
        out.push(Link {
            a: a.clone(),
            b: b.clone(),
        });
    }
    out
}
