//! Reads the YAML tree into a [`RawInventory`]: the document's shape (top level, `groups`,
//! `devices`) and each device's required `name` and `host`. Attribute values are checked in
//! `fields`, key-level problems in `level`, cross-node checks (duplicates, unknown groups,
//! cycles) in `graph`.

use crate::base::text::Untrusted;
use serde_yaml::Value;

use super::address::{canonical, check_host};
use super::error::ProblemKind as K;
use super::fields::{mapping_or_null, read_attrs, read_names, text};
use super::level::{Level, TOP_FIELDS, key_str, missing, unknown_key};
use super::locate::YamlPath;
use super::raw::{RawDevice, RawGroup, RawInventory};
use super::report::Report;
use super::suggest::closest;
use super::values;

/// Reads and checks the whole document. Problems go to `report`; what is usable is returned.
pub(crate) fn read(doc: &Value, report: &mut Report<'_>) -> RawInventory {
    let root = YamlPath::root();
    let mut inv = RawInventory::default();
    let map = match doc {
        Value::Null => {
            report.add(
                K::Empty,
                root,
                "the inventory is empty",
                Some("list devices under `devices:`, each with `name:` and `host:`".into()),
            );
            return inv;
        }
        Value::Mapping(map) => map,
        _ => {
            report.add(
                K::InvalidValue,
                root,
                "the inventory must be a mapping with a `devices:` list",
                Some("see the Inventory section of the README for a complete example".into()),
            );
            return inv;
        }
    };
    let mut saw_devices = false;
    for (key, value) in map {
        let Some(key) = key_str(key, &root, Level::Top, report) else {
            continue;
        };
        match key {
            "defaults" => {
                let at = root.key("defaults");
                if let Some(map) = mapping_or_null(value, &at, "`defaults`", report) {
                    inv.defaults = read_attrs(map, &at, Level::Defaults, report);
                }
            }
            "groups" => inv.groups = read_groups(value, &root.key("groups"), report),
            "devices" => {
                saw_devices = true;
                inv.devices = read_devices(value, &root, report);
            }
            _ => unknown_key(key, &root, Level::Top, report),
        }
    }
    let misspelt = map
        .keys()
        .filter_map(Value::as_str)
        .any(|k| k != "devices" && closest(k, TOP_FIELDS.iter().copied()) == Some("devices"));
    if !saw_devices && !misspelt {
        report.add(
            K::Empty,
            root,
            "the inventory defines no devices",
            Some("add a `devices:` list, each entry with `name:` and `host:`".into()),
        );
    }
    inv
}

fn read_groups(value: &Value, at: &YamlPath, report: &mut Report<'_>) -> Vec<RawGroup> {
    let Some(map) = mapping_or_null(value, at, "`groups`", report) else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    for (key, body) in map {
        // Group names may look like numbers (`2024:`); devices can list them either way.
        let number;
        let name = match key {
            Value::Number(n) => {
                number = n.to_string();
                number.as_str()
            }
            _ => match key_str(key, at, Level::Groups, report) {
                Some(name) => name,
                None => continue,
            },
        };
        if let Err(bad) = values::check_name(name, "group") {
            report.add(K::InvalidValue, at.key_node(name), bad.reason, bad.help);
            continue;
        }
        let group_at = at.key(name);
        let level = Level::Group(name);
        let what = format!("group `{}`", Untrusted(name));
        let Some(body) = mapping_or_null(body, &group_at, &what, report) else {
            continue;
        };
        let parents = match body.get("parents") {
            Some(list) => read_names(list, &group_at.key("parents"), "parents", level, report),
            None => Vec::new(),
        };
        groups.push(RawGroup {
            name: name.to_owned(),
            parents,
            attrs: read_attrs(body, &group_at, level, report),
        });
    }
    groups
}

fn read_devices(value: &Value, root: &YamlPath, report: &mut Report<'_>) -> Vec<RawDevice> {
    let at = root.key("devices");
    let list = match value {
        Value::Sequence(list) if !list.is_empty() => list,
        Value::Null | Value::Sequence(_) => {
            report.add(
                K::Empty,
                root.key_node("devices"),
                "`devices` is empty: the inventory defines no devices",
                Some("add at least one entry: `- name: core-1` with `host: …`".into()),
            );
            return Vec::new();
        }
        _ => {
            report.add(
                K::InvalidValue,
                at,
                "`devices` must be a list",
                Some("write each device as a list entry starting with `- name: …`".into()),
            );
            return Vec::new();
        }
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, entry)| read_device(entry, &at.index(i), i + 1, report))
        .collect()
}

/// One device entry; `None` if it is unusable (the reason has been reported).
fn read_device(
    entry: &Value,
    at: &YamlPath,
    number: usize,
    report: &mut Report<'_>,
) -> Option<RawDevice> {
    let Value::Mapping(map) = entry else {
        report.add(
            K::InvalidValue,
            at.clone(),
            format!("device #{number} must be a mapping"),
            Some("write it as `- name: core-1` followed by `host: …` on the next line".into()),
        );
        return None;
    };
    let provisional = Level::UnnamedDevice(number);
    let name = match map.get("name") {
        Some(v) => text(v, &at.key("name"), "name", provisional, report).and_then(|name| {
            match values::check_name(&name, "device") {
                Ok(()) => Some(name),
                Err(bad) => {
                    report.add(K::InvalidValue, at.key("name"), bad.reason, bad.help);
                    None
                }
            }
        }),
        None => {
            missing(
                map,
                at,
                "name",
                provisional,
                "a unique name, e.g. `name: ams-core-1`",
                report,
            );
            None
        }
    };
    let level = match &name {
        Some(name) => Level::Device(name),
        None => provisional,
    };
    let host =
        match map.get("host") {
            Some(v) => text(v, &at.key("host"), "host", level, report).and_then(|host| {
                match check_host(&host) {
                    Ok(()) => Some(canonical(host)),
                    Err(bad) => {
                        let msg =
                            format!("bad address {level}: `{}` {}", Untrusted(&host), bad.reason);
                        report.add(K::BadAddress, at.key("host"), msg, Some(bad.help));
                        None
                    }
                }
            }),
            None => {
                missing(
                    map,
                    at,
                    "host",
                    level,
                    "an IP address or hostname, e.g. `host: 127.20.0.1`",
                    report,
                );
                None
            }
        };
    let groups = match map.get("groups") {
        Some(list) => read_names(list, &at.key("groups"), "groups", level, report),
        None => Vec::new(),
    };
    let attrs = read_attrs(map, at, level, report);
    Some(RawDevice {
        name: name?,
        name_at: at.key("name"),
        host: host?,
        groups,
        attrs,
    })
}
