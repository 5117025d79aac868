//! Values of the attributes any level may set (port, platform, credentials, probe, tags) and
//! of name lists (`groups`, `parents`), each checked with a message that names its level.

use crate::base::text::Untrusted;
use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use super::error::ProblemKind as K;
use super::level::{Level, key_str, unknown_key};
use super::locate::YamlPath;
use super::raw::{Attrs, NameRef};
use super::report::Report;
use super::values::{self, Bad};

/// Reads the attributes of one level and reports keys that belong nowhere at this level.
pub(crate) fn read_attrs(
    map: &Mapping,
    at: &YamlPath,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Attrs {
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
            "probe_interval" => match values::probe_interval(value) {
                Ok(every) => attrs.probe_interval = Some(every),
                Err(bad) => report.add(
                    K::InvalidValue,
                    vat,
                    format!("{} {level}", bad.reason),
                    bad.help,
                ),
            },
            "down_after" | "up_after" => match values::damping(value, key) {
                Ok(n) if key == "down_after" => attrs.down_after = Some(n),
                Ok(n) => attrs.up_after = Some(n),
                Err(bad) => report.add(
                    K::InvalidValue,
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
            "password_env" => attrs.password_env = env_name(value, &vat, key, level, report),
            "key_passphrase_env" => {
                attrs.key_passphrase_env = env_name(value, &vat, key, level, report)
            }
            "key_file" => attrs.key_file = text(value, &vat, key, level, report).map(Into::into),
            "agent" => {
                attrs.agent = flag(
                    value,
                    vat,
                    key,
                    level,
                    "to offer keys from ssh-agent",
                    report,
                )
            }
            "legacy_ssh" => {
                attrs.legacy_ssh = flag(
                    value,
                    vat,
                    key,
                    level,
                    "for old gear that needs SHA-1 or CBC",
                    report,
                )
            }
            "jump" => attrs.jump = read_jump(value, &vat, level, report),
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
) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
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
                    format!("tag `{}` {level} must be a single value", Untrusted(&key)),
                    Some("tags are flat `name: value` pairs, e.g. `tags: {site: ams}`".into()),
                ),
            },
        }
    }
    tags
}

/// `jump:` as one hop, a comma list (as ssh's `-J`), or a list of hops; `none` or `[]`
/// turns off a jump inherited from a group or `defaults`.
fn read_jump(
    value: &Value,
    at: &YamlPath,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<Vec<String>> {
    let help =
        || Some("write `jump: bastion-1`, `jump: admin@192.0.2.1:2222` or a list of hops".into());
    let items: Vec<(String, YamlPath)> = match value {
        Value::String(s) if s == "none" => return Some(Vec::new()),
        Value::String(s) => s
            .split(',')
            .map(|h| (h.trim().to_string(), at.clone()))
            .collect(),
        Value::Sequence(list) => {
            let mut items = Vec::new();
            for (i, item) in list.iter().enumerate() {
                match item {
                    Value::String(s) => items.push((s.trim().to_string(), at.index(i))),
                    _ => report.add(
                        K::InvalidValue,
                        at.index(i),
                        format!("hop #{} of `jump` {level} is not a host", i + 1),
                        help(),
                    ),
                }
            }
            items
        }
        _ => {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("`jump` {level} must be a host or a list of hosts"),
                help(),
            );
            return None;
        }
    };
    let mut hops = Vec::new();
    for (hop, hop_at) in items {
        match values::check_jump_hop(&hop) {
            Ok(()) => hops.push(hop),
            Err(bad) => report.add(
                K::InvalidValue,
                hop_at,
                format!("{} {level}", bad.reason),
                bad.help,
            ),
        }
    }
    Some(hops)
}

/// A `true`/`false` attribute; `purpose` says what `true` is for, in the help.
fn flag(
    value: &Value,
    at: YamlPath,
    key: &str,
    level: Level<'_>,
    purpose: &str,
    report: &mut Report<'_>,
) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => {
            report.add(
                K::InvalidValue,
                at,
                format!("`{key}` {level} must be true or false"),
                Some(format!("write `{key}: true` {purpose}")),
            );
            None
        }
    }
}

/// A `groups:`/`parents:` list of names.
pub(crate) fn read_names(
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
                Some(format!("write `{key}: [{}]`", Untrusted(one))),
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
pub(crate) fn text(
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

/// The name of an environment variable (`password_env`, `key_passphrase_env`). Messages
/// never quote the value: a user who mistakes the field for the secret itself must not see
/// the secret echoed.
fn env_name(
    value: &Value,
    at: &YamlPath,
    key: &str,
    level: Level<'_>,
    report: &mut Report<'_>,
) -> Option<String> {
    match values::scalar_text(value) {
        Some(v) if !matches!(value, Value::Bool(_)) => {
            checked(values::check_env_name(key, &v), v, at, level, report)
        }
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

pub(crate) fn mapping_or_null<'v>(
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
