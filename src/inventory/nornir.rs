//! Nornir's SimpleInventory: `hosts.yaml`, and `groups.yaml` and `defaults.yaml` when they
//! exist, resolved as Nornir resolves them — the host's value, else its groups depth-first
//! in listed order (a group before its parents), else the defaults; a
//! `connection_options.netmiko` value at any level beats the plain one (Nornir's
//! `get_connection_parameters("netmiko")`). `data` becomes tags where scalar.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::address::{canonical, check_host};
use super::error::{InventoryError, ProblemKind as K};
use super::format::nornir_file;
use super::graph::ancestors;
use super::locate::YamlPath;
use super::platform_names::{fleetdash_platform, known_names};
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use super::sources::{FileId, Sources, Where};
use super::suggest::closest;
use super::values::{self, scalar_text};
use crate::base::text::Untrusted;

const KEYS: &[&str] = &[
    "hostname",
    "port",
    "username",
    "password",
    "platform",
    "groups",
    "data",
    "connection_options",
];
/// The connection whose options fleetdash reads: netmiko speaks SSH to the same devices.
const CONNECTION: &str = "netmiko";

/// Connection fields one level sets, each with where it was written.
#[derive(Default, Clone)]
struct Conn {
    hostname: Option<(String, Where)>,
    port: Option<u16>,
    username: Option<String>,
    platform: Option<String>,
}

/// One level (host, group, defaults) as read.
#[derive(Default)]
struct Level {
    base: Conn,
    netmiko: Conn,
    attrs: Attrs,
    groups: Vec<NameRef>,
}

/// Reads the SimpleInventory at `path`: its `hosts.yaml` or the directory holding it.
pub(crate) fn load(path: &Path) -> Result<(RawInventory, Sources), InventoryError> {
    let (hosts_path, dir): (PathBuf, PathBuf) = if path.is_dir() {
        let hosts = nornir_file(path, "hosts").unwrap_or_else(|| path.join("hosts.yaml"));
        (hosts, path.to_owned())
    } else {
        (
            path.to_owned(),
            path.parent().unwrap_or(Path::new(".")).to_owned(),
        )
    };
    let mut sources = Sources::default();
    let hosts = read(&mut sources, &hosts_path)?;
    let groups = match nornir_file(&dir, "groups") {
        Some(p) => Some(read(&mut sources, &p)?),
        None => None,
    };
    let defaults = match nornir_file(&dir, "defaults") {
        Some(p) => Some(read(&mut sources, &p)?),
        None => None,
    };
    let root = YamlPath::root();
    let defaults = match &defaults {
        Some((file, Value::Mapping(map))) => {
            level(&mut sources, *file, map, &root, "in `defaults`")
        }
        _ => Level::default(),
    };
    let mut raw = RawInventory {
        defaults: defaults.attrs.clone(),
        ..RawInventory::default()
    };
    let mut group_levels: Vec<(String, Level)> = Vec::new();
    if let Some((file, doc)) = &groups {
        for (name, map, at) in entries(&mut sources, *file, doc, "group") {
            let what = format!("in group `{}`", Untrusted(&name));
            let lvl = level(&mut sources, *file, map, &at, &what);
            group_levels.push((name, lvl));
        }
    }
    let known: HashMap<&str, usize> = group_levels
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    // Unknown group names, and cycles, are errors in Nornir too (a KeyError, a recursion).
    let mut bad_refs = Vec::new();
    for (owner, refs) in group_levels
        .iter()
        .map(|(n, l)| (format!("group `{}`", Untrusted(n)), &l.groups))
    {
        for r in refs.iter().filter(|r| !known.contains_key(r.name.as_str())) {
            bad_refs.push((owner.clone(), r.clone()));
        }
    }
    let parents_of: HashMap<&str, &[NameRef]> = group_levels
        .iter()
        .map(|(n, l)| (n.as_str(), l.groups.as_slice()))
        .collect();
    let (hosts_file, hosts_doc) = &hosts;
    let host_entries = entries(&mut sources, *hosts_file, hosts_doc, "host");
    if host_entries.is_empty() && !sources.has_problems() {
        sources.add(
            K::Empty,
            Where::yaml(*hosts_file, root.clone()),
            "the Nornir inventory defines no hosts",
            Some("add hosts to hosts.yaml: `r1: {hostname: 127.0.0.1, platform: ios}`".into()),
        );
    }
    for (name, map, at) in host_entries {
        let what = format!("in host `{}`", Untrusted(&name));
        let mut lvl = level(&mut sources, *hosts_file, map, &at, &what);
        for r in lvl
            .groups
            .iter()
            .filter(|r| !known.contains_key(r.name.as_str()))
        {
            bad_refs.push((format!("host `{}`", Untrusted(&name)), r.clone()));
        }
        // The chain of levels, nearest first, as Nornir walks it.
        let chain_groups = ancestors(&lvl.groups, &parents_of);
        let chain: Vec<&Level> = std::iter::once(&lvl)
            .chain(
                chain_groups
                    .iter()
                    .filter_map(|g| known.get(g.as_str()).map(|&i| &group_levels[i].1)),
            )
            .chain(std::iter::once(&defaults))
            .collect();
        let pick = |f: &dyn Fn(&Conn) -> bool| -> Option<&Conn> {
            chain
                .iter()
                .map(|l| &l.netmiko)
                .find(|c| f(c))
                .or_else(|| chain.iter().map(|l| &l.base).find(|c| f(c)))
        };
        let hostname = pick(&|c| c.hostname.is_some()).and_then(|c| c.hostname.clone());
        let port = pick(&|c| c.port.is_some()).and_then(|c| c.port);
        let username = pick(&|c| c.username.is_some()).and_then(|c| c.username.clone());
        let platform = pick(&|c| c.platform.is_some()).and_then(|c| c.platform.clone());
        let host = match hostname {
            Some((h, at)) => match check_host(&h) {
                Ok(()) => Some(canonical(h)),
                Err(bad) => {
                    sources.add(
                        K::BadAddress,
                        at,
                        format!("bad address {what}: `{}` {}", Untrusted(&h), bad.reason),
                        Some(bad.help),
                    );
                    None
                }
            },
            None => Some(name.clone()),
        };
        lvl.attrs.port = port;
        lvl.attrs.username = username;
        lvl.attrs.platform = platform;
        if let (Some(host), Ok(())) = (host, values::check_name(&name, "device")) {
            raw.devices.push(RawDevice {
                name,
                name_at: at,
                host,
                groups: lvl.groups,
                attrs: lvl.attrs,
            });
        } else if let Err(bad) = values::check_name(&name, "device") {
            sources.add(
                K::InvalidValue,
                Where::yaml(*hosts_file, at.as_key_node()),
                bad.reason,
                bad.help,
            );
        }
    }
    let groups_file = groups.as_ref().map_or(0, |(f, _)| *f);
    for (owner, r) in bad_refs {
        let file = if owner.starts_with("host") {
            *hosts_file
        } else {
            groups_file
        };
        let help = match closest(&r.name, known.keys().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("define it in groups.yaml (`{}: {{}}`)", Untrusted(&r.name)),
        };
        sources.add(
            K::UnknownGroup,
            Where::yaml(file, r.at.clone()),
            format!("unknown group `{}` in {owner}", Untrusted(&r.name)),
            Some(help),
        );
    }
    cycles(&mut sources, groups_file, &group_levels, &known);
    for (name, lvl) in group_levels {
        if let Err(bad) = values::check_name(&name, "group") {
            sources.add(
                K::InvalidValue,
                Where::yaml(groups_file, root.key_node(&name)),
                bad.reason,
                bad.help,
            );
            continue;
        }
        raw.groups.push(RawGroup {
            name,
            parents: lvl.groups,
            attrs: lvl.attrs,
        });
    }
    if sources.has_problems() {
        return Err(sources.into_error());
    }
    Ok((raw, sources))
}

fn read(sources: &mut Sources, path: &Path) -> Result<(FileId, Value), InventoryError> {
    let file = sources.read(path)?;
    let doc = super::yaml::parse(sources.text(file), &sources.origin(file))?;
    Ok((file, doc))
}

/// The `name: {…}` entries of hosts.yaml or groups.yaml.
fn entries<'v>(
    sources: &mut Sources,
    file: FileId,
    doc: &'v Value,
    what: &str,
) -> Vec<(String, &'v Mapping, YamlPath)> {
    static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
    let root = YamlPath::root();
    let map = match doc {
        Value::Mapping(map) => map,
        Value::Null => return Vec::new(),
        _ => {
            sources.add(
                K::InvalidValue,
                Where::yaml(file, root),
                format!("a Nornir {what}s file must be a mapping of {what} names"),
                Some(format!("write `NAME: {{hostname: …}}` for each {what}")),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let name = scalar_text(k).unwrap_or_default();
        let at = root.key(&name);
        match v {
            Value::Mapping(m) => out.push((name, m, at)),
            Value::Null => out.push((name, EMPTY.get_or_init(Mapping::new), at)),
            _ => sources.add(
                K::InvalidValue,
                Where::yaml(file, at),
                format!("{what} `{}` must be a mapping", Untrusted(&name)),
                Some("write its fields indented under the name".into()),
            ),
        }
    }
    out
}

fn level(sources: &mut Sources, file: FileId, map: &Mapping, at: &YamlPath, what: &str) -> Level {
    let mut lvl = Level::default();
    for (k, v) in map {
        let key = scalar_text(k).unwrap_or_default();
        let vat = at.key(&key);
        let here = Where::yaml(file, vat.clone());
        match key.as_str() {
            "groups" if what != "in `defaults`" => match v {
                Value::Sequence(list) => {
                    for (i, item) in list.iter().enumerate() {
                        match scalar_text(item) {
                            Some(name) => lvl.groups.push(NameRef {
                                name,
                                at: vat.index(i),
                            }),
                            None => sources.add(
                                K::InvalidValue,
                                Where::yaml(file, vat.index(i)),
                                format!("entry #{} of `groups` {what} is not a group name", i + 1),
                                None,
                            ),
                        }
                    }
                }
                Value::Null => {}
                _ => sources.add(
                    K::InvalidValue,
                    here,
                    format!("`groups` {what} must be a list"),
                    Some("write `groups: [core, site_ams]`".into()),
                ),
            },
            "data" => read_data(sources, file, v, &vat, what, &mut lvl.attrs),
            "connection_options" => {
                if let Some(Value::Mapping(opts)) = v.get(CONNECTION) {
                    lvl.netmiko = conn(sources, file, opts, &vat.key(CONNECTION), what);
                }
                if let Value::Mapping(all) = v {
                    for (name, opts) in all {
                        if opts.get("password").is_some_and(|p| !p.is_null()) {
                            let name = scalar_text(name).unwrap_or_default();
                            secret(
                                sources,
                                Where::yaml(file, vat.key(&name).key_node("password")),
                                what,
                            );
                        }
                    }
                }
            }
            _ if KEYS.contains(&key.as_str()) => {}
            _ => sources.notes.push(format!(
                "{}: key `{}` {what} is not a Nornir inventory field: ignored, as Nornir does",
                sources.origin(file),
                Untrusted(&key)
            )),
        }
    }
    lvl.base = conn(sources, file, map, at, what);
    lvl
}

/// hostname, port, username, platform of one mapping (a level or its connection options).
fn conn(sources: &mut Sources, file: FileId, map: &Mapping, at: &YamlPath, what: &str) -> Conn {
    let mut c = Conn::default();
    let text = |sources: &mut Sources, key: &str| -> Option<String> {
        let v = map.get(key).filter(|v| !v.is_null())?;
        match scalar_text(v) {
            Some(t) if !t.trim().is_empty() => Some(t),
            _ => {
                sources.add(
                    K::InvalidValue,
                    Where::yaml(file, at.key(key)),
                    format!("`{key}` {what} must be a single value"),
                    None,
                );
                None
            }
        }
    };
    c.hostname = text(sources, "hostname").map(|h| (h, Where::yaml(file, at.key("hostname"))));
    if let Some(v) = map.get("port").filter(|v| !v.is_null()) {
        match values::port(v) {
            Ok(p) => c.port = Some(p),
            Err(bad) => sources.add(
                K::BadPort,
                Where::yaml(file, at.key("port")),
                format!("{} {what}", bad.reason),
                bad.help,
            ),
        }
    }
    c.username = text(sources, "username");
    if let Some(p) = text(sources, "platform") {
        match fleetdash_platform(&p) {
            Some(ours) => c.platform = Some(ours.to_owned()),
            None => {
                let near = closest(&p, known_names())
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                sources.add(
                    K::InvalidValue,
                    Where::yaml(file, at.key("platform")),
                    format!(
                        "platform `{}` {what} is not one fleetdash knows",
                        Untrusted(&p)
                    ),
                    Some(format!("{near}see the README's platform table")),
                );
            }
        }
    }
    if map.get("password").is_some_and(|p| !p.is_null()) && !at_is_connection(at) {
        secret(sources, Where::yaml(file, at.key_node("password")), what);
    }
    c
}

fn at_is_connection(at: &YamlPath) -> bool {
    at.ends_with_key(CONNECTION)
}

fn secret(sources: &mut Sources, at: Where, what: &str) {
    sources.add(
        K::InlineSecret,
        at,
        format!("inline secret `password` {what} is not allowed"),
        Some(
            "keep secrets out of the inventory: export it in an environment variable and name \
             that variable with `data: {fleetdash_password_env: FLEETDASH_PASSWORD}`"
                .into(),
        ),
    );
}

/// `data`: scalars become tags; `fleetdash_password_env` and `fleetdash_probe` are read.
fn read_data(
    sources: &mut Sources,
    file: FileId,
    v: &Value,
    at: &YamlPath,
    what: &str,
    attrs: &mut Attrs,
) {
    let Value::Mapping(map) = v else {
        if !v.is_null() {
            sources.add(
                K::InvalidValue,
                Where::yaml(file, at.clone()),
                format!("`data` {what} must be a mapping"),
                None,
            );
        }
        return;
    };
    for (k, v) in map {
        let Some(key) = scalar_text(k) else { continue };
        let here = Where::yaml(file, at.key(&key));
        match key.as_str() {
            "fleetdash_password_env" | "fleetdash_key_passphrase_env" => match scalar_text(v) {
                Some(name) if values::check_env_name(&key, &name).is_ok() => {
                    if key == "fleetdash_password_env" {
                        attrs.password_env = Some(name);
                    } else {
                        attrs.key_passphrase_env = Some(name);
                    }
                }
                _ => {
                    let bad = values::check_env_name(&key, "-").unwrap_err();
                    sources.add(K::InvalidValue, here, bad.reason, bad.help);
                }
            },
            "fleetdash_probe_interval" => match values::probe_interval(v) {
                Ok(every) => attrs.probe_interval = Some(every),
                Err(bad) => sources.add(
                    K::InvalidValue,
                    here,
                    format!("{} {what}", bad.reason),
                    bad.help,
                ),
            },
            "fleetdash_down_after" | "fleetdash_up_after" => {
                let name = &key["fleetdash_".len()..];
                match values::damping(v, name) {
                    Ok(n) if name == "down_after" => attrs.down_after = Some(n),
                    Ok(n) => attrs.up_after = Some(n),
                    Err(bad) => sources.add(
                        K::InvalidValue,
                        here,
                        format!("{} {what}", bad.reason),
                        bad.help,
                    ),
                }
            }
            "fleetdash_probe" => match values::probe(v) {
                Ok(p) => attrs.probe = Some(p),
                Err(bad) => sources.add(
                    K::BadProbe,
                    here,
                    format!("{} {what}", bad.reason),
                    bad.help,
                ),
            },
            _ if values::check_tag_key(&key).is_err() => {}
            _ => {
                let text = match v {
                    Value::Null => Some(String::new()),
                    other => scalar_text(other),
                };
                if let Some(text) = text {
                    attrs.tags.insert(key, text);
                }
            }
        }
    }
}

fn cycles(
    sources: &mut Sources,
    file: FileId,
    groups: &[(String, Level)],
    known: &HashMap<&str, usize>,
) {
    // A group that reaches itself through its parents.
    for (i, (name, lvl)) in groups.iter().enumerate() {
        let mut stack: Vec<usize> = lvl
            .groups
            .iter()
            .filter_map(|r| known.get(r.name.as_str()).copied())
            .collect();
        let mut seen = vec![false; groups.len()];
        while let Some(g) = stack.pop() {
            if g == i {
                let at = lvl
                    .groups
                    .first()
                    .map_or_else(YamlPath::root, |r| r.at.clone());
                sources.add(
                    K::GroupCycle,
                    Where::yaml(file, at),
                    format!("group `{}` is its own ancestor", Untrusted(name)),
                    Some("remove one of the `groups` entries that lead back to it".into()),
                );
                break;
            }
            if !std::mem::replace(&mut seen[g], true) {
                stack.extend(
                    groups[g]
                        .1
                        .groups
                        .iter()
                        .filter_map(|r| known.get(r.name.as_str()).copied()),
                );
            }
        }
    }
}
