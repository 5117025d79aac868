//! Which inventory format a path holds: fleetdash's own YAML, Ansible (INI, YAML, or a
//! directory with `group_vars/`), Nornir's SimpleInventory (`hosts.yaml` beside
//! `groups.yaml`/`defaults.yaml`, or their directory) or a containerlab topology
//! (`*.clab.yml`, or `containerlab inspect --format json` output). Recognised from names
//! and content, never from a guess that could hide the own format's error messages: a YAML
//! file that is none of the others is read as the own format.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_yaml::Value;

use crate::base::files::{self, FileKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// fleetdash's own YAML (`defaults`, `groups`, `devices`).
    #[default]
    Own,
    Ansible,
    Nornir,
    Containerlab,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Own,
        Format::Ansible,
        Format::Nornir,
        Format::Containerlab,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Own => "own",
            Format::Ansible => "ansible",
            Format::Nornir => "nornir",
            Format::Containerlab => "containerlab",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                "the inventory format is one of: own, ansible, nornir, containerlab".to_owned()
            })
    }
}

/// Which format was read, from which files, and what is worth knowing that is not an error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    pub format: Format,
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// Nornir's three file names, each `.yaml` or `.yml`.
pub(crate) fn nornir_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["yaml", "yml"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

fn is_clab_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".clab.yml") || name.ends_with(".clab.yaml")
}

/// What was read of a single file while recognising its format.
pub(crate) enum Read {
    /// The own format, valid, read by the fast path (`direct`); `source` is the path.
    Own(super::model::Inventory),
    /// The text and its parsed YAML (merges applied).
    Parsed(String, Value),
}

/// The format of the inventory at `path`, and, for a single YAML file that parsed, what was
/// read: the loader uses it rather than reading and parsing the file again (a parse of
/// 10,000 devices costs more than everything else the load does).
pub(crate) fn detect_read(path: &Path) -> (Format, Option<Read>) {
    let format = |f: Format| (f, None);
    if path.is_dir() {
        if nornir_file(path, "hosts").is_some()
            && (nornir_file(path, "groups").is_some() || nornir_file(path, "defaults").is_some())
        {
            return format(Format::Nornir);
        }
        let has_clab = std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .take(10_000)
                    .any(|e| is_clab_name(&e.path()))
            })
            .unwrap_or(false);
        return format(if has_clab {
            Format::Containerlab
        } else {
            Format::Ansible
        });
    }
    if is_clab_name(path) {
        return format(Format::Containerlab);
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let dir = path.parent().unwrap_or(Path::new("."));
    if stem == "hosts"
        && matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        )
        && (nornir_file(dir, "groups").is_some() || nornir_file(dir, "defaults").is_some())
    {
        return format(Format::Nornir);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let Ok(text) = files::read_text(path, FileKind::Inventory) else {
        // The loader reports why the file cannot be read.
        return format(if matches!(ext, "yml" | "yaml" | "json") {
            Format::Own
        } else {
            Format::Ansible
        });
    };
    // A valid own-format inventory in plain block YAML (the fast path has a `devices:` key,
    // which makes a file the own format).
    if let Some(inv) = super::direct::load(&text, &path.display().to_string()) {
        return (Format::Own, Some(Read::Own(inv)));
    }
    // The parse with the loader's limits (control characters, nesting, alias expansion).
    match super::yaml::parse(&text, "") {
        Ok(Value::Mapping(map)) => {
            let found = from_content(&map);
            (found, Some(Read::Parsed(text, Value::Mapping(map))))
        }
        // YAML by name: its own syntax error is the right message.
        _ if matches!(ext, "yml" | "yaml" | "json") => format(Format::Own),
        // An INI file (or a plain list of host names), by its first line.
        _ if looks_like_ini(&text) => format(Format::Ansible),
        // Broken YAML: the own format's message says where.
        _ => format(Format::Own),
    }
}

/// Whether the first line that is not blank or a comment is an INI section header
/// (`[name]`, `[name:kind]`) or a host line (`name key=value…`), not YAML.
fn looks_like_ini(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with(['#', ';']))
    else {
        return false;
    };
    if let Some(inner) = line.strip_prefix('[') {
        let Some((name, after)) = inner.split_once(']') else {
            return false;
        };
        let after = after.trim_start();
        return !name.is_empty()
            && !name.contains(['[', ' ', '\t'])
            && (after.is_empty() || after.starts_with('#'));
    }
    let first = line.split_whitespace().next().unwrap_or("");
    !first.ends_with(':')
        && !line.contains(": ")
        && !first.starts_with([
            '-', '{', '"', '\'', '&', '*', '!', '%', '?', '|', '>', '@', '`',
        ])
        && !line.chars().any(|c| c.is_control() && c != '\t')
}

/// The format a YAML mapping's shape says.
fn from_content(map: &serde_yaml::Mapping) -> Format {
    let keys: Vec<&str> = map.keys().filter_map(Value::as_str).collect();
    if keys.contains(&"devices") {
        return Format::Own;
    }
    if keys.contains(&"topology") || keys.contains(&"containers") {
        return Format::Containerlab;
    }
    // A containerlab inspect of recent versions: `{lab: [{name, kind, ipv4_address…}]}`.
    let inspect = map.values().all(|v| {
        matches!(v, Value::Sequence(items) if items.iter().all(|i| i.get("ipv4_address").is_some()))
    });
    if !map.is_empty() && inspect {
        return Format::Containerlab;
    }
    let sections = ["hosts", "children", "vars"];
    // `plugin:` is an Ansible inventory plugin's configuration (refused with a message).
    let ansible = keys.contains(&"all")
        || keys.contains(&"plugin")
        || map.values().any(|v| match v {
            Value::Mapping(m) => m
                .keys()
                .filter_map(Value::as_str)
                .any(|k| sections.contains(&k)),
            _ => false,
        });
    if ansible {
        return Format::Ansible;
    }
    let nornir_keys = [
        "hostname",
        "platform",
        "data",
        "connection_options",
        "groups",
        "port",
        "username",
    ];
    let nornir = !map.is_empty()
        && map.values().all(|v| match v {
            Value::Mapping(m) => m
                .keys()
                .filter_map(Value::as_str)
                .all(|k| nornir_keys.contains(&k) || k == "password"),
            Value::Null => true,
            _ => false,
        })
        && map
            .values()
            .any(|v| v.get("hostname").is_some() || v.get("data").is_some());
    if nornir {
        return Format::Nornir;
    }
    Format::Own
}
