//! The real tools as oracles for the foreign inventory formats. For each Ansible fixture,
//! fleetdash's hosts, groups (with parents), the variables it maps (address, port, user,
//! platform, jump, tags) and the `--limit` selections equal what `ansible-inventory -i X
//! --list` and `ansible -i X PATTERN --list-hosts` say; for the Nornir fixture, what
//! `InitNornir` with SimpleInventory resolves.
//!
//! The tools live in a Python virtualenv: `$FLEETDASH_ORACLE_VENV`, else
//! `target/oracle-venv` (.ci/run makes it: `python3 -m venv` + `pip install ansible-core
//! nornir`). Without it the tests skip and say so — except in CI (`CI` set), where a
//! missing oracle is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use fleetdash::inventory::{HostPattern, Inventory};
use serde_json::Value;

fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("FLEETDASH_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oracle-venv"));
    if dir.join("bin/ansible-inventory").is_file() && dir.join("bin/python").is_file() {
        return Some(dir);
    }
    let why = format!(
        "no oracle virtualenv at {} (make one: python3 -m venv {0} && {0}/bin/pip install ansible-core nornir)",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// Runs a tool of the virtualenv away from any ansible.cfg, group_vars or cache of ours.
fn run(venv: &Path, program: &str, args: &[&str]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let cfg = scratch.path().join("ansible.cfg");
    std::fs::write(&cfg, "[defaults]\n").unwrap();
    let out = Command::new(venv.join("bin").join(program))
        .args(args)
        .current_dir(scratch.path())
        .env("ANSIBLE_CONFIG", &cfg)
        .env("ANSIBLE_HOME", scratch.path())
        .env("ANSIBLE_LOCAL_TEMP", scratch.path())
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The fleetdash platform of an Ansible `ansible_network_os` or Nornir platform used in
/// the fixtures (the table itself is tested in the library).
fn platform(os: Option<&str>) -> String {
    match os {
        None => "linux",
        Some("cisco.ios.ios" | "ios") => "cisco_ios",
        Some("arista.eos.eos" | "eos") => "arista_eos",
        Some("junos" | "junipernetworks.junos.junos") => "juniper_junos",
        Some("nxos") => "cisco_nxos",
        Some("asa") => "cisco_asa",
        Some("vyos") => "vyos",
        Some("iosxr") => "cisco_xr",
        Some(other) => panic!("no expected platform for {other} in the fixtures"),
    }
    .to_owned()
}

/// A scalar as fleetdash keeps it in a tag.
fn tag_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `-J x` or `-o ProxyJump=x` in ssh arguments.
fn proxy_jump(args: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = args.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let value = match *w {
            "-J" => words.get(i + 1).map(|s| s.to_string()),
            "-o" => words
                .get(i + 1)
                .and_then(|o| o.strip_prefix("ProxyJump="))
                .map(str::to_owned),
            _ => None,
        };
        if let Some(v) = value {
            return Some(v.split(',').map(str::to_owned).collect());
        }
    }
    None
}

#[derive(Debug, PartialEq)]
struct Resolved {
    host: String,
    port: u16,
    username: Option<String>,
    platform: String,
    jump: Vec<String>,
    groups: BTreeSet<String>,
    tags: BTreeMap<String, String>,
}

/// What `ansible-inventory --list` says, as fleetdash would resolve it.
fn ansible_says(
    list: &Value,
) -> (
    BTreeMap<String, Resolved>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let groups: BTreeMap<&str, &Value> = list
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "_meta")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let names = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|h| h.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (g, body) in &groups {
        for child in names(body, "children") {
            let set = parents.entry(child).or_default();
            if *g != "all" {
                set.insert((*g).to_owned());
            }
        }
    }
    // An empty `ungrouped` is listed under `all` but has no entry: fleetdash leaves it out.
    if !groups.contains_key("ungrouped") {
        parents.remove("ungrouped");
    }
    let hostvars = list["_meta"]["hostvars"].as_object().unwrap();
    let mut hosts = BTreeMap::new();
    for (name, vars) in hostvars {
        let s = |k: &str| vars.get(k).map(|v| tag_text(v).unwrap());
        let jump = ["ansible_ssh_common_args", "ansible_ssh_extra_args"]
            .iter()
            .find_map(|k| s(k).and_then(|a| proxy_jump(&a)))
            .unwrap_or_default();
        let tags = vars
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("ansible_") && !k.starts_with("fleetdash_"))
            .filter_map(|(k, v)| tag_text(v).map(|t| (k.clone(), t)))
            .collect();
        let member_of = groups
            .iter()
            .filter(|(g, body)| **g != "all" && names(body, "hosts").contains(name))
            .map(|(g, _)| (*g).to_owned())
            .collect();
        hosts.insert(
            name.clone(),
            Resolved {
                host: s("ansible_host").unwrap_or_else(|| name.clone()),
                port: s("ansible_port").map_or(22, |p| p.parse().unwrap()),
                username: s("ansible_user"),
                platform: platform(s("ansible_network_os").as_deref()),
                jump,
                groups: member_of,
                tags,
            },
        );
    }
    (hosts, parents)
}

fn fleetdash_says(
    inv: &Inventory,
) -> (
    BTreeMap<String, Resolved>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let hosts = inv
        .devices
        .iter()
        .map(|d| {
            let resolved = Resolved {
                host: d.host.clone(),
                port: d.port,
                username: d.username.clone(),
                platform: d.platform.clone(),
                jump: d.jump.clone(),
                groups: d.groups.iter().cloned().collect(),
                tags: (*d.tags).clone(),
            };
            (d.name.clone(), resolved)
        })
        .collect();
    let parents = inv
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.parents.iter().cloned().collect()))
        .collect();
    (hosts, parents)
}

/// Each pattern's hosts through Ansible's own InventoryManager (what `--list-hosts`
/// prints), in one Python process for the whole battery.
const PATTERNS_PY: &str = r#"
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
im = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
print(json.dumps({p: [h.name for h in im.list_hosts(p)] for p in sys.argv[2:]}))
"#;

fn check_ansible(venv: &Path, name: &str, patterns: &[&str]) {
    let path = fixture(name);
    let inv = Inventory::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.provenance.format.name(), "ansible");
    let list: Value =
        serde_json::from_str(&run(venv, "ansible-inventory", &["-i", &path, "--list"])).unwrap();
    let (want_hosts, want_parents) = ansible_says(&list);
    let (got_hosts, got_parents) = fleetdash_says(&inv);
    assert_eq!(
        got_hosts.keys().collect::<Vec<_>>(),
        want_hosts.keys().collect::<Vec<_>>(),
        "{name}: hosts"
    );
    for (host, want) in &want_hosts {
        assert_eq!(&got_hosts[host], want, "{name}: host {host}");
    }
    assert_eq!(
        got_parents, want_parents,
        "{name}: groups and their parents"
    );

    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), PATTERNS_PY).unwrap();
    let mut args = vec![script.path().to_str().unwrap(), path.as_str()];
    args.extend(patterns);
    let answers: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&run(venv, "python", &args)).unwrap();
    for pattern in patterns {
        let parsed = HostPattern::parse(pattern).unwrap();
        let got: BTreeSet<&str> = inv
            .select(&parsed)
            .into_iter()
            .map(|id| inv.devices[id].name.as_str())
            .collect();
        let want: BTreeSet<&str> = answers[*pattern].iter().map(String::as_str).collect();
        assert_eq!(got, want, "{name}: pattern {pattern:?}");
    }
    // And the command line itself, for the first pattern.
    let printed = run(venv, "ansible", &["-i", &path, patterns[0], "--list-hosts"]);
    let listed: BTreeSet<&str> = printed
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let want: BTreeSet<&str> = answers[patterns[0]].iter().map(String::as_str).collect();
    assert_eq!(listed, want, "{name}: ansible --list-hosts {}", patterns[0]);
}

#[test]
fn ansible_ini_with_group_and_host_vars() {
    let Some(venv) = venv() else { return };
    check_ansible(
        &venv,
        "ansible/ini/hosts",
        &[
            "core:!edge",
            "all",
            "routers",
            "core",
            "core:&routers",
            "rtr0*",
            "rtr01",
            "rtr-x",
            "rtr0[12]",
            "~rtr0[13]",
            "~sw",
            "ungrouped",
            "routers[0]",
            "routers[1:2]",
            "switches[-1]",
            "switches[1:]",
            "!routers",
            "&core",
            "a*",
            "s*:!sw-b",
            "core:!rtr*",
            "edge,jumpbox",
            "nonexistent",
            "routers:switches:&~.*-[ab]",
            "*:!core",
            "jumpbox",
            "all:&jumpbox",
            "all:!jumpbox",
        ],
    );
}

#[test]
fn ansible_yaml_with_nesting_priority_and_vars_files() {
    let Some(venv) = venv() else { return };
    check_ansible(
        &venv,
        "ansible/yaml/inventory.yml",
        &[
            "dc_ams:&staging",
            "dc_ams",
            "staging:!ams-leaf2",
            "blue:staging",
            "ams_*",
            "~ams-(leaf|spine)1",
            "dc_*:!ams_spine",
            "ams_leaf[1:2]",
            "all:!ungrouped",
            "ungrouped",
            "lon-fw1",
            "blue:&dc_lon",
        ],
    );
}

#[test]
fn ansible_directory_of_inventories() {
    let Some(venv) = venv() else { return };
    check_ansible(
        &venv,
        "ansible/dir",
        &["routers:&webservers", "webservers", "routers", "r*:!web*"],
    );
}

const NORNIR_PY: &str = r#"
import json, sys
from nornir import InitNornir
d = sys.argv[1]
nr = InitNornir(
    runner={"plugin": "serial"},
    logging={"enabled": False},
    inventory={"plugin": "SimpleInventory", "options": {
        "host_file": d + "/hosts.yaml", "group_file": d + "/groups.yaml",
        "defaults_file": d + "/defaults.yaml"}},
)
out = {}
for name, h in nr.inventory.hosts.items():
    c = h.get_connection_parameters("netmiko")
    out[name] = {"hostname": c.hostname, "port": c.port, "username": c.username,
                 "platform": c.platform, "groups": [g.name for g in h.groups],
                 "data": dict(h.items())}
print(json.dumps(out))
"#;

#[test]
fn nornir_simple_inventory() {
    let Some(venv) = venv() else { return };
    let dir = fixture("nornir");
    let inv = Inventory::load(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.provenance.format.name(), "nornir");
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), NORNIR_PY).unwrap();
    let said: BTreeMap<String, Value> = serde_json::from_str(&run(
        &venv,
        "python",
        &[script.path().to_str().unwrap(), &dir],
    ))
    .unwrap();
    let mut want = BTreeMap::new();
    for (name, h) in &said {
        let s = |k: &str| h[k].as_str().map(str::to_owned);
        let tags = h["data"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("fleetdash_"))
            .filter_map(|(k, v)| tag_text(v).map(|t| (k.clone(), t)))
            .collect();
        want.insert(
            name.clone(),
            Resolved {
                host: s("hostname").unwrap_or_else(|| name.clone()),
                port: h["port"].as_u64().map_or(22, |p| p as u16),
                username: s("username"),
                platform: platform(s("platform").as_deref()),
                jump: Vec::new(),
                groups: h["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g.as_str().unwrap().to_owned())
                    .collect(),
                tags,
            },
        );
    }
    let (got, _) = fleetdash_says(&inv);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (host, w) in &want {
        assert_eq!(&got[host], w, "nornir host {host}");
    }
}
