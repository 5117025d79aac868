//! Reads the YAML tree into a [`RawInventory`], checking every node on its own: known keys
//! (with "did you mean"), value shapes, names, addresses, ports, probe specs, inline secrets.
//! Cross-node checks (duplicates, unknown groups, cycles) live in `graph`.

use std::fmt;

use serde_yaml::{Mapping, Value};

use super::address::check_host;
use super::error::ProblemKind as K;
use super::locate::YamlPath;
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use super::report::Report;
use super::suggest::closest;
use super::values::{self, Bad};

const TOP_FIELDS: &[&str] = &["defaults", "groups", "devices"];
const ATTR_FIELDS: &[&str] = &[
    "port",
    "platform",
    "username",
    "password_env",
    "key_file",
    "key_passphrase_env",
    "agent",
    "legacy_ssh",
    "probe",
    "tags",
];
/// Keys that would hold a secret in clear text: refused everywhere, value never echoed.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "enable_password",
    "enable_secret",
    "passphrase",
];

/// Which level of the file a mapping is, for field lists and messages.
#[derive(Clone, Copy)]
enum Level<'a> {
    Top,
    Defaults,
    Group(&'a str),
    /// A device by name, or by 1-based position when it has no usable name.
    Device(&'a str),
    UnnamedDevice(usize),
}

impl Level<'_> {
    fn fields(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Level::Top => return TOP_FIELDS.to_vec(),
            Level::Defaults => &[],
            Level::Group(_) => &["parents"],
            Level::Device(_) | Level::UnnamedDevice(_) => &["name", "host", "groups"],
        };
        own.iter().chain(ATTR_FIELDS).copied().collect()
    }

    /// Why a key that exists elsewhere does not belong here.
    fn misplaced(self, key: &str) -> Option<&'static str> {
        match (self, key) {
            (Level::Group(_), "groups") => {
                Some("a group names the groups it belongs to with `parents:`")
            }
            (Level::Device(_) | Level::UnnamedDevice(_), "parents") => {
                Some("a device names its groups with `groups:`")
            }
            (Level::Group(_) | Level::Defaults, "name" | "host") => {
                Some("`name` and `host` are set on each device")
            }
            (Level::Defaults, "groups") => Some("list a device's groups on the device itself"),
            (Level::Top, "device" | "hosts") => Some("devices are listed under `devices:`"),
            _ => None,
        }
    }
}

impl fmt::Display for Level<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Top => f.write_str("at the top level"),
            Level::Defaults => f.write_str("in `defaults`"),
            Level::Group(name) => write!(f, "in group `{name}`"),
            Level::Device(name) => write!(f, "in device `{name}`"),
            Level::UnnamedDevice(n) => write!(f, "in device #{n}"),
        }
    }
}

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
                Some("see docs/inventory.md for a complete example".into()),
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
        let Some(name) = key_str(key, at, Level::Top, report) else {
            continue;
        };
        if let Err(bad) = values::check_name(name, "group") {
            report.add(K::InvalidValue, at.key_node(name), bad.reason, bad.help);
            continue;
        }
        let group_at = at.key(name);
        let level = Level::Group(name);
        let Some(body) = mapping_or_null(body, &group_at, &format!("group `{name}`"), report)
        else {
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
                    Ok(()) => Some(host),
                    Err(bad) => {
                        let msg = format!("bad address {level}: `{host}` {}", bad.reason);
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

/// Reads the attributes of one level and reports keys that belong nowhere at this level.
fn read_attrs(map: &Mapping, at: &YamlPath, level: Level<'_>, report: &mut Report<'_>) -> Attrs {
    let mut attrs = Attrs::default();
    let own = level.fields();
    for (key, value) in map {
        let Some(key) = key_str(key, at, level, report) else {
            continue;
        };
        if !own.contains(&key) {
            unknown_key(key, at, level, report);
            continue;
        }
        let vat = at.key(key);
        match key {
            "port" => match values::port(value) {
                Ok(port) => attrs.port = Some(port),
                Err(bad) => {
                    report.add(K::BadPort, vat, format!("{} {level}", bad.reason), bad.help)
                }
            },
            "probe" => match values::probe(value) {
                Ok(probe) => attrs.probe = Some(probe),
                Err(bad) => report.add(
                    K::BadProbe,
                    vat,
                    format!("{} {level}", bad.reason),
                    bad.help,
                ),
            },
            "platform" => {
                attrs.platform = text(value, &vat, key, level, report)
                    .and_then(|p| checked(values::check_platform(&p), p, &vat, level, report));
            }
            "username" => attrs.username = text(value, &vat, key, level, report),
            "password_env" => {
                attrs.password_env = secret_free_text(value, &vat, key, level, report)
                    .and_then(|v| checked(values::check_env_name(key, &v), v, &vat, level, report));
            }
            "key_passphrase_env" => {
                attrs.key_passphrase_env = secret_free_text(value, &vat, key, level, report)
                    .and_then(|v| checked(values::check_env_name(key, &v), v, &vat, level, report));
            }
            "key_file" => attrs.key_file = text(value, &vat, key, level, report).map(Into::into),
            "agent" => match value {
                Value::Bool(b) => attrs.agent = Some(*b),
                _ => report.add(
                    K::InvalidValue,
                    vat,
                    format!("`agent` {level} must be true or false"),
                    Some("write `agent: true` to offer keys from ssh-agent".into()),
                ),
            },
            "legacy_ssh" => match value {
                Value::Bool(b) => attrs.legacy_ssh = Some(*b),
                _ => report.add(
                    K::InvalidValue,
                    vat,
                    format!("`legacy_ssh` {level} must be true or false"),
                    Some("write `legacy_ssh: true` for old gear that needs SHA-1 or CBC".into()),
                ),
            },
            "tags" => attrs.tags = read_tags(value, &vat, level, report),
            // Level-specific keys (name, host, groups, parents) are read by the caller.
            _ => {}
        }
    }
    attrs
}

fn read_tags(
    value: &Value,
    at: &YamlPath,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> std::collections::BTreeMap<String, String> {
    let mut tags = std::collections::BTreeMap::new();
    let Some(map) = mapping_or_null(value, at, &format!("`tags` {level}"), report) else {
        return tags;
    };
    for (key, value) in map {
        let Some(key) = values::scalar_text(key) else {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("a tag name {level} is not a plain value"),
                Some("tags are flat `name: value` pairs".into()),
            );
            continue;
        };
        if let Err(bad) = values::check_tag_key(&key) {
            report.add(K::InvalidValue, at.key_node(&key), bad.reason, bad.help);
            continue;
        }
        match value {
            Value::Null => {
                tags.insert(key, String::new());
            }
            other => match values::scalar_text(other) {
                Some(text) => {
                    tags.insert(key, text);
                }
                None => report.add(
                    K::InvalidValue,
                    at.key(&key),
                    format!("tag `{key}` {level} must be a single value"),
                    Some("tags are flat `name: value` pairs, e.g. `tags: {site: ams}`".into()),
                ),
            },
        }
    }
    tags
}

/// A `groups:`/`parents:` list of names.
fn read_names(
    value: &Value,
    at: &YamlPath,
    key: &str,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Vec<NameRef> {
    let list = match value {
        Value::Sequence(list) => list,
        Value::Null => return Vec::new(),
        Value::String(one) => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} must be a list"),
                Some(format!("write `{key}: [{one}]`")),
            );
            return Vec::new();
        }
        _ => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} must be a list of group names"),
                Some(format!("write `{key}: [core, site-ams]`")),
            );
            return Vec::new();
        }
    };
    let mut names = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let item_at = at.index(i);
        match values::scalar_text(item) {
            Some(name) if !matches!(item, Value::Bool(_)) => {
                names.push(NameRef { name, at: item_at })
            }
            _ => report.add(
                K::InvalidValue,
                item_at,
                format!("entry #{} of `{key}` {level} is not a group name", i + 1),
                Some(format!("write `{key}: [core, site-ams]`")),
            ),
        }
    }
    names
}

/// A string-like value (numbers are accepted and kept as written).
fn text(
    value: &Value,
    at: &YamlPath,
    key: &str,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<String> {
    match value {
        Value::String(s) if s.trim().is_empty() => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} is empty"),
                Some("give it a value or remove the line".into()),
            );
            None
        }
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} has no value"),
                Some("give it a value or remove the line".into()),
            );
            None
        }
        _ => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} must be a single value, not a list or mapping"),
                None,
            );
            None
        }
    }
}

/// Like [`text`], for `password_env`, whose messages never quote the value: a user who
/// mistakes it for the password field must not see the password echoed.
fn secret_free_text(
    value: &Value,
    at: &YamlPath,
    key: &str,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<String> {
    match values::scalar_text(value) {
        Some(v) if !matches!(value, Value::Bool(_)) => Some(v),
        _ => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`{key}` {level} must name an environment variable"),
                Some(format!("e.g. `{key}: FLEETDASH_SECRET`")),
            );
            None
        }
    }
}

/// Keeps `value` if its check passed; otherwise reports why.
fn checked(
    result: Result<(), Bad>,
    value: String,
    at: &YamlPath,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<String> {
    match result {
        Ok(()) => Some(value),
        Err(bad) => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("{} {level}", bad.reason),
                bad.help,
            );
            None
        }
    }
}

fn mapping_or_null<'v>(
    value: &'v Value,
    at: &YamlPath,
    what: &str,
    report: &mut Report<'_>,
) -> Option<&'v Mapping> {
    static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
    match value {
        Value::Mapping(map) => Some(map),
        Value::Null => Some(EMPTY.get_or_init(Mapping::new)),
        _ => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("{what} must be a mapping of `key: value` lines"),
                None,
            );
            None
        }
    }
}

/// The key as a string; non-string keys are reported (at the enclosing mapping).
fn key_str<'v>(
    key: &'v Value,
    at: &YamlPath,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<&'v str> {
    match key {
        Value::String(s) => Some(s),
        _ => {
            let shown = values::scalar_text(key).unwrap_or_else(|| "a list or mapping".into());
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("key `{shown}` {level} is not a name"),
                Some(
                    "keys are names like `host` or `core`; quote it if it must be a number".into(),
                ),
            );
            None
        }
    }
}

fn unknown_key(key: &str, at: &YamlPath, level: Level<'_>, report: &mut Report<'_>) {
    if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
        report.add(
            K::InlineSecret,
            at.key_node(key),
            format!("inline secret `{key}` {level} is not allowed"),
            Some(
                "keep secrets out of the inventory: export it in an environment variable and \
                 name that variable with `password_env: FLEETDASH_PASSWORD`"
                    .into(),
            ),
        );
        return;
    }
    let fields = level.fields();
    let help = match closest(key, fields.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => match level.misplaced(key) {
            Some(why) => why.to_owned(),
            None => format!("known fields here: {}", fields.join(", ")),
        },
    };
    report.add(
        K::UnknownField,
        at.key_node(key),
        format!("unknown field `{key}` {level}"),
        Some(help),
    );
}

/// Reports a missing required key, unless a misspelling of it is present: that is
/// reported as an unknown field with "did you mean", which is the real fix.
fn missing(
    map: &Mapping,
    at: &YamlPath,
    key: &str,
    level: Level<'_>,
    example: &str,
    report: &mut Report<'_>,
) {
    let fields = level.fields();
    let misspelt = map
        .keys()
        .filter_map(Value::as_str)
        .any(|k| !fields.contains(&k) && closest(k, fields.iter().copied()) == Some(key));
    if misspelt {
        return;
    }
    report.add(
        K::MissingField,
        at.clone(),
        format!("missing field `{key}` {level}"),
        Some(format!("add {example}")),
    );
}
