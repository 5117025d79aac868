//! Inventory loading: every validation error's message, line and column (one fixture per
//! kind), resolution of a complete inventory, the lab example, and the summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fleetdash::inventory::{
    HostPattern, Inventory, InventoryError, ProbeSpec, ProblemKind, summary,
};

const FIXTURES: &str = "tests/fixtures/inventory";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn load_err(name: &str) -> InventoryError {
    match Inventory::load(&fixture(name)) {
        Ok(_) => panic!("{name} loaded, expected an error"),
        Err(err) => err,
    }
}

/// Asserts the single problem of a fixture: kind, position, and the whole rendered message.
fn assert_problem(name: &str, kind: ProblemKind, line: usize, column: usize, rendered: &str) {
    let err = load_err(name);
    let problems = err.problems();
    assert_eq!(problems.len(), 1, "{name}: {err}");
    assert_eq!(problems[0].kind, kind, "{name}");
    assert_eq!(
        (problems[0].line, problems[0].column),
        (line, column),
        "{name}"
    );
    assert_eq!(
        err.to_string(),
        format!("{FIXTURES}/{name}:{line}:{column}: {rendered}")
    );
}

#[test]
fn syntax_error() {
    assert_problem(
        "syntax.yaml",
        ProblemKind::Syntax,
        5,
        9,
        "invalid YAML: did not find expected ',' or '}', while parsing a flow mapping at line 4 column 11\n  \
         help: a `{` is not closed: check its `}` and the commas between entries",
    );
}

#[test]
fn unknown_field_suggests_the_right_one() {
    // The misspelt `host` is reported once, as a typo, not also as "missing host".
    assert_problem(
        "unknown_field.yaml",
        ProblemKind::UnknownField,
        14,
        5,
        "unknown field `hots` in device `ams-core-1`\n  help: did you mean `host`?",
    );
}

#[test]
fn duplicate_device_points_at_the_second_and_names_the_first() {
    assert_problem(
        "duplicate_device.yaml",
        ProblemKind::DuplicateDevice,
        6,
        11,
        "duplicate device name `ams-core-1`\n  \
         help: `ams-core-1` is already defined at line 2; device names must be unique",
    );
}

#[test]
fn unknown_group_in_a_device() {
    assert_problem(
        "unknown_group.yaml",
        ProblemKind::UnknownGroup,
        7,
        20,
        "unknown group `cor` in device `ams-core-1`\n  help: did you mean `core`?",
    );
}

#[test]
fn unknown_group_in_parents() {
    assert_problem(
        "unknown_parent.yaml",
        ProblemKind::UnknownGroup,
        4,
        15,
        "unknown group `site-amsterdam` in the parents of group `core`\n  \
         help: define it under `groups:` (`site-amsterdam: {}`)",
    );
}

#[test]
fn group_cycle_is_named() {
    assert_problem(
        "group_cycle.yaml",
        ProblemKind::GroupCycle,
        7,
        15,
        "group cycle: a → b → c → a\n  \
         help: a group cannot be its own ancestor: remove `a` from the parents of `c`",
    );
}

#[test]
fn bad_address() {
    assert_problem(
        "bad_address.yaml",
        ProblemKind::BadAddress,
        3,
        11,
        "bad address in device `ams-core-1`: `127.20.0.300` is not a valid IPv4 address\n  \
         help: each of the four numbers of an IPv4 address is between 0 and 255",
    );
}

#[test]
fn bad_port() {
    assert_problem(
        "bad_port.yaml",
        ProblemKind::BadPort,
        4,
        11,
        "bad port: 70000 is out of range in device `ams-core-1`\n  \
         help: use a TCP port between 1 and 65535 (SSH listens on 22 by default)",
    );
}

#[test]
fn bad_probe() {
    assert_problem(
        "bad_probe.yaml",
        ProblemKind::BadProbe,
        2,
        10,
        "bad probe `ping` in `defaults`\n  help: write `probe: icmp`",
    );
}

#[test]
fn empty_inventory() {
    assert_problem(
        "empty.yaml",
        ProblemKind::Empty,
        4,
        1,
        "`devices` is empty: the inventory defines no devices\n  \
         help: add at least one entry: `- name: core-1` with `host: …`",
    );
}

#[test]
fn inline_secret_is_refused_without_echoing_it() {
    assert_problem(
        "inline_secret.yaml",
        ProblemKind::InlineSecret,
        5,
        5,
        "inline secret `password` in device `ams-core-1` is not allowed\n  \
         help: keep secrets out of the inventory: export it in an environment variable and \
         name that variable with `password_env: FLEETDASH_PASSWORD`",
    );
    let err = load_err("inline_secret.yaml");
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn missing_host_and_name() {
    assert_problem(
        "missing_host.yaml",
        ProblemKind::MissingField,
        2,
        5,
        "missing field `host` in device `ams-core-1`\n  \
         help: add an IP address or hostname, e.g. `host: 127.20.0.1`",
    );
    assert_problem(
        "missing_name.yaml",
        ProblemKind::MissingField,
        2,
        5,
        "missing field `name` in device #1\n  help: add a unique name, e.g. `name: ams-core-1`",
    );
}

#[test]
fn wrong_value_type() {
    assert_problem(
        "invalid_value.yaml",
        ProblemKind::InvalidValue,
        4,
        12,
        "`agent` in device `ams-core-1` must be true or false\n  \
         help: write `agent: true` to offer keys from ssh-agent",
    );
}

#[test]
fn several_problems_are_reported_together_in_file_order() {
    let err = load_err("many_problems.yaml");
    let got: Vec<(ProblemKind, usize, usize)> = err
        .problems()
        .iter()
        .map(|p| (p.kind, p.line, p.column))
        .collect();
    use ProblemKind::*;
    assert_eq!(
        got,
        [
            (UnknownField, 2, 3),
            (GroupCycle, 4, 20),
            (BadPort, 6, 41),
            (BadAddress, 7, 23),
            (BadProbe, 7, 39),
            (DuplicateDevice, 8, 12),
            (UnknownGroup, 8, 44),
        ]
    );
    assert!(err.to_string().contains(
        "many_problems.yaml:4:20: group cycle: core → core\n  \
         help: a group cannot be its own ancestor: remove `core` from the parents of `core`"
    ));
}

#[test]
fn problems_in_inline_text_use_the_given_origin() {
    let err = Inventory::from_yaml(
        "devices:\n  - {name: a, host: 127.0.0.1, prot: 22}\n",
        "<inline>",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "<inline>:2:32: unknown field `prot` in device `a`\n  help: did you mean `port`?"
    );
}

#[test]
fn edge_cases_of_the_document_shape() {
    let first = |text: &str| {
        let err = Inventory::from_yaml(text, "t").unwrap_err();
        let p = &err.problems()[0];
        (p.kind, p.line, p.column, p.message.clone())
    };
    use ProblemKind::*;
    assert_eq!(first("").0, Empty);
    assert_eq!(first("# only a comment\n").0, Empty);
    assert_eq!(
        first("groups: {}\n"),
        (Empty, 1, 1, "the inventory defines no devices".into())
    );
    assert_eq!(first("- a\n- b\n").0, InvalidValue);
    assert_eq!(
        first("devices:\n  a: {host: x}\n"),
        (InvalidValue, 2, 3, "`devices` must be a list".into())
    );
    assert_eq!(
        first("devices:\n  - just-a-name\n"),
        (InvalidValue, 2, 5, "device #1 must be a mapping".into())
    );
    // A misspelt `devices` is one problem (the typo), not two.
    let err = Inventory::from_yaml("device:\n  - {name: a, host: 127.0.0.1}\n", "t").unwrap_err();
    assert_eq!(
        err.to_string(),
        "t:1:1: unknown field `device` at the top level\n  help: did you mean `devices`?"
    );
    assert_eq!(first("a: 1\n---\nb: 2\n").0, Syntax);
    // Duplicate keys are a YAML error, positioned at the mapping that holds them.
    let (kind, line, column, message) =
        first("devices:\n  - name: a\n    host: 127.0.0.1\n    name: b\n");
    assert_eq!((kind, line, column), (Syntax, 2, 5));
    assert!(
        message.contains("duplicate entry with key \"name\""),
        "{message}"
    );
    // Group-level keys that belong elsewhere get a pointed hint.
    let err = Inventory::from_yaml(
        "groups:\n  core:\n    groups: [x]\ndevices:\n  - {name: a, host: 127.0.0.1}\n",
        "t",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "t:3:5: unknown field `groups` in group `core`\n  \
         help: a group names the groups it belongs to with `parents:`"
    );
}

#[test]
fn password_env_errors_never_quote_the_value() {
    let err = Inventory::from_yaml(
        "devices:\n  - {name: a, host: 127.0.0.1, password_env: 'S3cret pass!'}\n",
        "t",
    )
    .unwrap_err();
    assert_eq!(err.problems()[0].kind, ProblemKind::InvalidValue);
    assert_eq!((err.problems()[0].line, err.problems()[0].column), (2, 46));
    assert!(!err.to_string().contains("S3cret"), "{err}");
}

#[test]
fn unreadable_file_is_a_read_error() {
    let err =
        Inventory::load(Path::new("tests/fixtures/inventory/does-not-exist.yaml")).unwrap_err();
    assert!(matches!(err, InventoryError::Read { .. }));
    assert!(err.problems().is_empty());
    assert!(
        err.to_string()
            .starts_with("tests/fixtures/inventory/does-not-exist.yaml: cannot read")
    );
}

fn tags(pairs: &[(&str, &str)]) -> std::sync::Arc<BTreeMap<String, String>> {
    std::sync::Arc::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn complete_inventory_resolves_like_nornir() {
    let inv = Inventory::load(&fixture("good.yaml")).unwrap();
    assert_eq!(inv.source, "tests/fixtures/inventory/good.yaml");
    let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ams-core-1",
            "ams-spine-1",
            "ams-edge-1",
            "lab-v6",
            "lab-local"
        ]
    );
    let groups: Vec<&str> = inv.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        groups,
        ["site-ams", "network", "core", "spine", "linux-hosts"]
    );
    assert_eq!(inv.groups[2].parents, ["site-ams", "network"]);

    let core = &inv.devices[0];
    assert_eq!(core.port, 2222, "device value wins");
    assert_eq!(
        core.platform, "arista_eos",
        "core is searched before its parent network"
    );
    assert_eq!(core.username.as_deref(), Some("netops"), "from defaults");
    assert_eq!(core.password_env.as_deref(), Some("FLEETDASH_PASSWORD"));
    assert_eq!(*core.groups, ["core"]);
    assert_eq!(*core.all_groups, ["core", "site-ams", "network"]);
    assert_eq!(
        core.tags,
        tags(&[
            ("env", "lab"),
            ("owner", "netops"),
            ("rack", "12"),
            ("role", "core-primary"),
            ("site", "ams")
        ])
    );
    assert_eq!(core.probe, ProbeSpec::Icmp);

    let spine = &inv.devices[1];
    assert_eq!(spine.port, 22);
    assert_eq!(spine.username.as_deref(), Some("spine-admin"));
    assert_eq!(spine.platform, "arista_eos", "inherited through core");
    assert_eq!(*spine.all_groups, ["spine", "core", "site-ams", "network"]);
    assert_eq!(
        spine.tags,
        tags(&[
            ("env", "lab"),
            ("owner", "netops"),
            ("role", "core"),
            ("site", "ams")
        ])
    );

    let edge = &inv.devices[2];
    assert_eq!(edge.platform, "juniper_junos");
    assert_eq!(*edge.all_groups, ["site-ams", "network"]);
    assert_eq!(edge.probe, ProbeSpec::Tcp(830));

    let v6 = &inv.devices[3];
    assert_eq!(v6.host, "::1");
    assert_eq!(v6.platform, "linux");
    assert_eq!(v6.probe, ProbeSpec::Tcp(22));
    assert_eq!(
        v6.key_file.as_deref(),
        Some(Path::new("~/.ssh/lab_ed25519"))
    );
    assert!(
        !v6.agent,
        "the device's `agent: false` beats the group's `true`"
    );
    assert_eq!(v6.username.as_deref(), Some("root"));
    assert_eq!(
        v6.tags,
        tags(&[("env", "lab"), ("owner", "sysops"), ("site", "ams")])
    );

    let local = &inv.devices[4];
    assert_eq!(
        (local.port, local.platform.as_str(), local.agent),
        (22, "linux", false)
    );
    assert!(local.all_groups.is_empty());
    assert_eq!(local.tags, tags(&[("env", "lab"), ("owner", "netops")]));
}

#[test]
fn diamond_ancestry_is_walked_depth_first_without_repeats() {
    let text = "
groups:
  top: {platform: linux}
  left: {parents: [top]}
  right: {parents: [top], platform: cisco_ios}
  leaf: {parents: [left, right]}
devices:
  - {name: d, host: 127.0.0.1, groups: [leaf]}
";
    let inv = Inventory::from_yaml(text, "t").unwrap();
    // leaf → left → top, then right (top already seen): Nornir's order, so `top`'s linux
    // wins over `right`'s cisco_ios.
    assert_eq!(*inv.devices[0].all_groups, ["leaf", "left", "top", "right"]);
    assert_eq!(inv.devices[0].platform, "linux");
}

#[test]
fn yaml_merge_keys_are_applied() {
    let text = "
devices:
  - &base {name: a, host: 127.0.0.1, port: 2222}
  - {<<: *base, name: b, host: 127.0.0.2}
";
    let inv = Inventory::from_yaml(text, "t").unwrap();
    assert_eq!(inv.devices[1].port, 2222);
    assert_eq!(inv.devices[1].host, "127.0.0.2");
}

#[test]
fn lab_inventory_is_valid_and_loopback_only() {
    let inv = Inventory::load(Path::new("inventory/lab.yaml")).unwrap();
    assert_eq!(inv.devices.len(), 12);
    for (i, d) in inv.devices.iter().enumerate() {
        assert_eq!(d.host, format!("127.20.0.{}", i + 1));
        assert_eq!(d.port, 2222);
        assert_eq!(d.username.as_deref(), Some("admin"));
        assert_eq!(d.password_env.as_deref(), Some("FLEETDASH_PASSWORD"));
    }
    // What `fleetdash lab --devices 12` serves (tests/example_inventory.rs checks it is).
    let select = |p: &str| inv.select(&HostPattern::parse(p).unwrap()).len();
    assert_eq!(select("site-ams"), 12);
    assert_eq!(select("role-core"), 2);
    assert_eq!(select("role-core:&site-ams"), 2);
    assert_eq!(select("role-core:role-edge"), 3);
    assert_eq!(select("site-ams:!tag:role=access"), 5);
    assert_eq!(select("tag:role=dist"), 2);
}

#[test]
fn summary_of_the_lab() {
    let inv = Inventory::load(Path::new("inventory/lab.yaml")).unwrap();
    assert_eq!(
        summary(&inv),
        "\
inventory/lab.yaml: 12 devices
groups (5):
  role-access  7 devices
  role-core    2 devices
  role-dist    2 devices
  role-edge    1 device
  site-ams     12 devices
platforms:
  arista_eos     2
  cisco_ios      7
  cisco_xe       2
  juniper_junos  1
probes:
  tcp:2222  12
"
    );
}

#[test]
fn summary_counts_ungrouped_devices() {
    let inv = Inventory::load(&fixture("good.yaml")).unwrap();
    let text = summary(&inv);
    assert!(text.contains("\n  (no group)   1 device\n"), "{text}");
    assert!(
        text.contains("\n  spine        1 device   (in core)\n"),
        "{text}"
    );
    assert!(
        text.ends_with("probes:\n  icmp     3\n  tcp:22   1\n  tcp:830  1\n"),
        "{text}"
    );
}

#[test]
fn numeric_group_names_work_both_ways() {
    let text = "groups:\n  2024: {tags: {batch: y2024}}\ndevices:\n  - {name: a, host: 127.0.0.1, groups: [2024]}\n";
    let inv = Inventory::from_yaml(text, "t").unwrap();
    assert_eq!(*inv.devices[0].all_groups, ["2024"]);
    assert_eq!(inv.devices[0].tags["batch"], "y2024");
    let err = Inventory::from_yaml(&text.replace("[2024]", "[2025]"), "t").unwrap_err();
    assert_eq!(
        err.to_string(),
        "t:4:41: unknown group `2025` in device `a`\n  help: did you mean `2024`?"
    );
}

#[test]
fn jump_hosts_resolve_like_any_attribute_and_none_turns_them_off() {
    let inv = Inventory::from_yaml(
        "defaults:\n  jump: admin@127.0.0.9:2222\n\
         groups:\n  far:\n    jump: [bastion-1, 127.0.0.8]\n  near:\n    jump: none\n\
         devices:\n  - {name: a, host: 127.0.0.1, groups: [far]}\n\
         \x20 - {name: b, host: 127.0.0.2, groups: [near]}\n\
         \x20 - {name: c, host: 127.0.0.3}\n\
         \x20 - {name: d, host: 127.0.0.4, jump: 'j1, j2'}\n",
        "t",
    )
    .unwrap();
    let jumps: Vec<Vec<String>> = inv.devices.iter().map(|d| d.jump.clone()).collect();
    assert_eq!(
        jumps,
        vec![
            vec!["bastion-1".to_string(), "127.0.0.8".into()],
            vec![],
            vec!["admin@127.0.0.9:2222".into()],
            vec!["j1".into(), "j2".into()],
        ]
    );
    for bad in ["'a b'", "'x,,y'", "'-oProxyCommand=sh'", "{a: 1}"] {
        let text = format!("devices:\n  - {{name: a, host: 127.0.0.1, jump: {bad}}}\n");
        let err = Inventory::from_yaml(&text, "t").unwrap_err();
        assert!(err.to_string().contains("t:2:"), "{bad}: {err}");
    }
}

/// `probe_interval`, `down_after`, `up_after` on `defaults`, a group or a device: the
/// nearest level wins, like every other attribute; bad values are located.
#[test]
fn probe_timing_per_group_resolves_and_bad_values_are_located() {
    use std::time::Duration;
    let yaml = "defaults:\n  probe_interval: 10s\n  down_after: 3\n\
                groups:\n  core:\n    probe_interval: 1s\n    down_after: 2\n    up_after: 2\n  \
                access: {}\n\
                devices:\n  - {name: c1, host: 127.0.0.1, groups: [core]}\n  \
                - {name: a1, host: 127.0.0.2, groups: [access]}\n  \
                - {name: a2, host: 127.0.0.3, groups: [access], down_after: 5}\n";
    let inv = Inventory::from_yaml(yaml, "t").unwrap();
    let timing: Vec<_> = inv
        .devices
        .iter()
        .map(|d| (d.timing.interval, d.timing.down_after, d.timing.up_after))
        .collect();
    let s = Duration::from_secs;
    assert_eq!(
        timing,
        [
            (Some(s(1)), Some(2), Some(2)),
            (Some(s(10)), Some(3), None),
            (Some(s(10)), Some(5), None),
        ]
    );
    for (bad, line_col, message) in [
        (
            "groups:\n  core:\n    probe_interval: 10\n",
            "3:21",
            "bad probe_interval `10`: no unit in group `core`\n  \
             help: write a duration such as `probe_interval: 10s` (100ms to 1h)",
        ),
        (
            "groups:\n  core:\n    probe_interval: 5ms\n",
            "3:21",
            "bad probe_interval `5ms`: out of range in group `core`\n  \
             help: write a duration such as `probe_interval: 10s` (100ms to 1h)",
        ),
        (
            "defaults:\n  down_after: 0\n",
            "2:15",
            "bad down_after `0` in `defaults`\n  \
             help: a whole number of probes from 1 to 100, e.g. `down_after: 3`",
        ),
        (
            "groups:\n  core:\n    up_after: many\n",
            "3:15",
            "bad up_after `many` in group `core`\n  \
             help: a whole number of probes from 1 to 100, e.g. `up_after: 3`",
        ),
    ] {
        let text = format!("{bad}devices:\n  - {{name: c1, host: 127.0.0.1}}\n");
        let err = Inventory::from_yaml(&text, "inv.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("inv.yaml:{line_col}: {message}"),
            "{bad}"
        );
    }
}
