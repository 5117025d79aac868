//! Which level of the file a mapping is (top, `defaults`, a group, a device), the keys each
//! level accepts, and the key-level problems: unknown keys ("did you mean"), missing keys,
//! inline secrets, keys that are not names.

use crate::base::text::Untrusted;
use std::fmt;

use serde_yaml::{Mapping, Value};

use super::error::ProblemKind as K;
use super::locate::YamlPath;
use super::report::Report;
use super::suggest::closest;
use super::values;

pub(crate) const TOP_FIELDS: &[&str] = &["defaults", "groups", "devices"];
pub(crate) const ATTR_FIELDS: &[&str] = &[
    "port",
    "platform",
    "username",
    "password_env",
    "key_file",
    "key_passphrase_env",
    "agent",
    "legacy_ssh",
    "probe",
    "probe_interval",
    "down_after",
    "up_after",
    "jump",
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
pub(crate) enum Level<'a> {
    Top,
    /// The `groups:` mapping itself (its keys are group names).
    Groups,
    Defaults,
    Group(&'a str),
    /// A device by name, or by 1-based position when it has no usable name.
    Device(&'a str),
    UnnamedDevice(usize),
}

impl Level<'_> {
    pub(crate) fn fields(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Level::Top => return TOP_FIELDS.to_vec(),
            Level::Groups => return Vec::new(),
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
            Level::Groups => f.write_str("in `groups`"),
            Level::Defaults => f.write_str("in `defaults`"),
            Level::Group(name) => write!(f, "in group `{}`", Untrusted(name)),
            Level::Device(name) => write!(f, "in device `{}`", Untrusted(name)),
            Level::UnnamedDevice(n) => write!(f, "in device #{n}"),
        }
    }
}

/// The key as a string; non-string keys are reported (at the enclosing mapping).
pub(crate) fn key_str<'v>(
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
                format!("key `{}` {level} is not a name", Untrusted(&shown)),
                Some(
                    "keys are names like `host` or `core`; quote it if it must be a number".into(),
                ),
            );
            None
        }
    }
}

pub(crate) fn unknown_key(key: &str, at: &YamlPath, level: Level<'_>, report: &mut Report<'_>) {
    if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
        report.add(
            K::InlineSecret,
            at.key_node(key),
            format!("inline secret `{}` {level} is not allowed", Untrusted(key)),
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
        format!("unknown field `{}` {level}", Untrusted(key)),
        Some(help),
    );
}

/// Reports a missing required key, unless a misspelling of it is present: that is
/// reported as an unknown field with "did you mean", which is the real fix.
pub(crate) fn missing(
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
