//! The foreign inventory formats without their tools: which format a path is read as, what
//! each resolves to (containerlab in full; Ansible and Nornir resolution are checked against
//! the real tools in inventory_oracles.rs), and every kind of mistake reported as
//! `file:line:col: what` + `help: how`, secrets never echoed, inputs bounded.

mod common;

use std::path::{Path, PathBuf};

use fleetdash::inventory::{Endpoint, Format, Inventory, InventoryError, Link, ProblemKind};

/// Writes `files` (path → text) under a fresh directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(dir: &Path, path: &str) -> Result<Inventory, InventoryError> {
    Inventory::load(&dir.join(path))
}

/// The single located problem of loading `path` in a tree: (file, line, column, kind,
/// rendered message).
fn problem(files: &[(&str, &str)], path: &str) -> (String, usize, usize, ProblemKind, String) {
    let dir = tree(files);
    let err = match load(dir.path(), path) {
        Ok(inv) => panic!("{path} loaded: {:?}", inv.devices),
        Err(e) => e,
    };
    let text = err.to_string();
    let p = err
        .problems()
        .first()
        .unwrap_or_else(|| panic!("no located problem: {text}"))
        .clone();
    let prefix = format!("{}/", dir.path().display());
    let file = text
        .strip_prefix(&prefix)
        .unwrap_or(&text)
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    (file, p.line, p.column, p.kind, text.replace(&prefix, ""))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn the_format_is_recognised_from_names_and_content() {
    let dir = tree(&[
        ("own.yaml", "devices:\n  - {name: a, host: 127.0.0.1}\n"),
        ("own-typo.yaml", "devics:\n  - {name: a, host: 127.0.0.1}\n"),
        ("hosts.ini", "[r]\na ansible_host=127.0.0.1\n"),
        ("plain", "a ansible_host=127.0.0.1\n"),
        (
            "inv.yml",
            "all:\n  hosts:\n    a: {ansible_host: 127.0.0.1}\n",
        ),
        ("groups-only.yml", "routers:\n  hosts:\n    a:\n"),
        ("nr/hosts.yaml", "a: {hostname: 127.0.0.1}\n"),
        ("nr/defaults.yaml", "username: x\n"),
        (
            "lonely/hosts.yaml",
            "a: {hostname: 127.0.0.1, platform: ios}\n",
        ),
        (
            "t.clab.yml",
            "name: t\ntopology:\n  nodes:\n    a: {kind: linux, mgmt-ipv4: 127.0.0.1}\n",
        ),
        (
            "topo.yml",
            "name: t\ntopology:\n  nodes:\n    a: {kind: linux}\n",
        ),
        ("ansdir/hosts", "a ansible_host=127.0.0.1\n"),
        ("broken-yaml", "# no extension\ndevices:\n  - {name: a\n"),
        ("yaml-list", "- a\n- b\n"),
        ("ini-comment-first", "; hosts\n[r]\na\n"),
    ]);
    for (path, want) in [
        ("own.yaml", Format::Own),
        ("hosts.ini", Format::Ansible),
        ("plain", Format::Ansible),
        ("inv.yml", Format::Ansible),
        ("groups-only.yml", Format::Ansible),
        ("nr/hosts.yaml", Format::Nornir),
        ("nr", Format::Nornir),
        ("lonely/hosts.yaml", Format::Nornir),
        ("t.clab.yml", Format::Containerlab),
        ("topo.yml", Format::Containerlab),
        ("ansdir", Format::Ansible),
        ("ini-comment-first", Format::Ansible),
    ] {
        let inv = load(dir.path(), path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(inv.provenance.format, want, "{path}");
        assert!(!inv.provenance.files.is_empty(), "{path}");
    }
    // A file without extension that is broken YAML, or YAML but not a mapping, is read as
    // the own format, whose message says what is wrong.
    let err = load(dir.path(), "broken-yaml").unwrap_err().to_string();
    assert!(err.contains("broken-yaml:4:1: invalid YAML"), "{err}");
    let err = load(dir.path(), "yaml-list").unwrap_err().to_string();
    assert!(
        err.contains("must be a mapping with a `devices:` list"),
        "{err}"
    );
    // A misspelt own inventory keeps the own format's message.
    let err = load(dir.path(), "own-typo.yaml").unwrap_err().to_string();
    assert!(err.contains("did you mean `devices`?"), "{err}");
    // `--format` overrides the guess.
    let err = Inventory::load_as(&dir.path().join("inv.yml"), Some(Format::Own)).unwrap_err();
    assert!(err.to_string().contains("unknown field `all`"), "{err}");
    assert_eq!("nornir".parse::<Format>(), Ok(Format::Nornir));
    assert!(
        "puppet"
            .parse::<Format>()
            .unwrap_err()
            .contains("own, ansible, nornir, containerlab")
    );
}

#[test]
fn containerlab_nodes_kinds_addresses_groups_and_links() {
    let inv = Inventory::load(&fixture("containerlab/lab.clab.yml")).unwrap();
    let rows: Vec<(&str, &str, &str, Vec<&str>)> = inv
        .devices
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.host.as_str(),
                d.platform.as_str(),
                d.groups.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "spine1",
                "127.34.0.11",
                "generic",
                vec!["nokia_srlinux", "spines"]
            ),
            ("leaf1", "127.34.0.21", "arista_eos", vec!["ceos", "leaves"]),
            // No address written and no inspect report: the container's /etc/hosts name.
            (
                "leaf2",
                "clab-dc1-leaf2",
                "arista_eos",
                vec!["arista_ceos", "leaves"]
            ),
            ("pe1", "127.34.0.31", "nokia_sros", vec!["vr-sros"]),
            ("client", "clab-dc1-client", "linux", vec!["linux"]),
        ]
    );
    let spine = &inv.devices[0];
    assert_eq!(spine.tags.get("owner").map(String::as_str), Some("netops"));
    assert_eq!(spine.tags.get("vendor").map(String::as_str), Some("nokia"));
    let end = |d: &str, i: &str| Endpoint {
        device: d.into(),
        interface: i.into(),
    };
    assert_eq!(
        inv.links,
        [
            Link {
                a: end("spine1", "e1-1"),
                b: end("leaf1", "eth1")
            },
            Link {
                a: end("spine1", "e1-2"),
                b: end("leaf2", "eth1")
            },
            Link {
                a: end("leaf1", "eth2"),
                b: end("pe1", "eth1")
            },
        ]
    );
    // The inspect report gives the addresses the topology leaves out, and its labPath the
    // rest; an older report without labPath gives devices alone.
    let inspected = Inventory::load(&fixture("containerlab/inspect.json")).unwrap();
    assert_eq!(inspected.provenance.format, Format::Containerlab);
    let hosts: Vec<&str> = inspected.devices.iter().map(|d| d.host.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "127.34.0.11",
            "127.34.0.21",
            "127.34.0.22",
            "127.34.0.31",
            "127.34.0.41"
        ]
    );
    assert_eq!(inspected.links.len(), 3);
    let old = Inventory::load(&fixture("containerlab/old-inspect.json")).unwrap();
    let rows: Vec<(&str, &str)> = old
        .devices
        .iter()
        .map(|d| (d.name.as_str(), d.platform.as_str()))
        .collect();
    assert_eq!(
        rows,
        [("clab-dc1-spine1", "generic"), ("clab-dc1-r9", "cisco_xr")]
    );
}

/// One mistake per case, in INI, Ansible YAML, a vars file, Nornir or containerlab: the
/// file it is in, its line and column, its kind, and the message with its help.
#[test]
fn mistakes_are_located_in_the_file_they_are_in() {
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        &'a str,
        &'a str,
        usize,
        usize,
        ProblemKind,
        &'a str,
    );
    let cases: &[Case] = &[
        (
            &[("h.ini", "[g:hostz]\na\n")],
            "h.ini",
            "h.ini",
            1,
            4,
            ProblemKind::Syntax,
            "unknown type `hostz`",
        ),
        (
            &[("h.ini", "[g]\na  ansible_host\n")],
            "h.ini",
            "h.ini",
            2,
            4,
            ProblemKind::Syntax,
            "expected `key=value` after the host",
        ),
        (
            &[("h.ini", "[g]\n  a x=\"open\n")],
            "h.ini",
            "h.ini",
            2,
            7,
            ProblemKind::Syntax,
            "no closing quotation",
        ),
        (
            &[("h.ini", "[p:children]\nmissing\n[g]\na\n")],
            "h.ini",
            "h.ini",
            2,
            1,
            ProblemKind::UnknownGroup,
            "names group `missing`, which is never declared",
        ),
        (
            &[("h.ini", "[g]\na\n[nope:vars]\nx=1\n")],
            "h.ini",
            "h.ini",
            3,
            1,
            ProblemKind::UnknownGroup,
            "`[nope:vars]` is for a group that is never declared",
        ),
        (
            &[("h.ini", "[a:children]\nb\n[b:children]\na\n[b]\nh\n")],
            "h.ini",
            "h.ini",
            4,
            1,
            ProblemKind::GroupCycle,
            "makes a loop",
        ),
        (
            &[("h.ini", "[g]\nrtr[0000001:9999999]\n")],
            "h.ini",
            "h.ini",
            2,
            1,
            ProblemKind::InvalidValue,
            "expands to more than 100000 names",
        ),
        (
            &[("h.ini", "[g]\nrtr[01:100]\n")],
            "h.ini",
            "h.ini",
            2,
            1,
            ProblemKind::InvalidValue,
            "begin and end of equal length",
        ),
        (
            &[("h.ini", "[g]\na ansible_port=seventy\n")],
            "h.ini",
            "h.ini",
            2,
            16,
            ProblemKind::InvalidValue,
            "`ansible_port` `seventy` is not a TCP port",
        ),
        (
            &[("h.ini", "[g]\na ansible_network_os=ioss\n")],
            "h.ini",
            "h.ini",
            2,
            22,
            ProblemKind::InvalidValue,
            "did you mean `ios`?",
        ),
        (
            &[("h.ini", "[g]\na ansible_host=\"{{ lookup('x') }}\"\n")],
            "h.ini",
            "h.ini",
            2,
            16,
            ProblemKind::InvalidValue,
            "is a template",
        ),
        (
            &[("h.ini", "[g]\na ansible_host=not_a_host!\n")],
            "h.ini",
            "h.ini",
            2,
            16,
            ProblemKind::InvalidValue,
            "`ansible_host` `not_a_host!`",
        ),
        (
            &[("h.ini", "[g]\nbad/name\n")],
            "h.ini",
            "h.ini",
            2,
            1,
            ProblemKind::InvalidValue,
            "device name `bad/name` contains '/'",
        ),
        (
            &[
                ("h.ini", "[g]\na\n"),
                ("group_vars/g.yml", "x: 1\nansible_port: 0\n"),
            ],
            "h.ini",
            "group_vars/g.yml",
            2,
            15,
            ProblemKind::InvalidValue,
            "`ansible_port` `0` is not a TCP port",
        ),
        (
            &[("h.ini", "[g]\na\n"), ("host_vars/a.yml", "x: [1\n")],
            "h.ini",
            "host_vars/a.yml",
            2,
            1,
            ProblemKind::Syntax,
            "invalid YAML",
        ),
        (
            &[("h.ini", "[g]\na\n"), ("group_vars/all", "- a list\n")],
            "h.ini",
            "group_vars/all",
            1,
            1,
            ProblemKind::InvalidValue,
            "must be a mapping",
        ),
        (
            &[("i.yml", "plugin: aws_ec2\n")],
            "i.yml",
            "i.yml",
            1,
            1,
            ProblemKind::InvalidValue,
            "inventory plugin configuration",
        ),
        (
            &[("i.yml", "all:\n  hosts: [a, b]\n")],
            "i.yml",
            "i.yml",
            2,
            10,
            ProblemKind::InvalidValue,
            "`hosts` of group `all` must be a mapping",
        ),
        (
            &[("i.yml", "all:\n  hosts:\n    10:\n")],
            "i.yml",
            "i.yml",
            3,
            5,
            ProblemKind::InvalidValue,
            "host `10` must be a string",
        ),
        (
            &[(
                "i.yml",
                "all:\n  hosts:\n    a:\n      ansible_host: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
            )],
            "i.yml",
            "i.yml",
            4,
            21,
            ProblemKind::InvalidValue,
            "encrypted with ansible-vault",
        ),
        (
            &[(
                "i.yml",
                "all:\n  children:\n    g:\n      hosts:\n        r[1:3:0]:\n",
            )],
            "i.yml",
            "i.yml",
            5,
            9,
            ProblemKind::InvalidValue,
            "the step must be a whole number above 0",
        ),
        (
            &[
                ("hosts.yaml", "a:\n  hostname: 127.0.0.1\n  groups: [cor]\n"),
                ("groups.yaml", "core: {}\n"),
            ],
            "hosts.yaml",
            "hosts.yaml",
            3,
            12,
            ProblemKind::UnknownGroup,
            "did you mean `core`?",
        ),
        (
            &[
                (
                    "hosts.yaml",
                    "a:\n  hostname: 127.0.0.1\n  platform: toaster\n",
                ),
                ("defaults.yaml", "{}\n"),
            ],
            "hosts.yaml",
            "hosts.yaml",
            3,
            13,
            ProblemKind::InvalidValue,
            "platform `toaster` in host `a` is not one fleetdash knows",
        ),
        (
            &[
                ("hosts.yaml", "a:\n  hostname: 127.0.0.1\n  port: 70000\n"),
                ("defaults.yaml", "{}\n"),
            ],
            "hosts.yaml",
            "hosts.yaml",
            3,
            9,
            ProblemKind::BadPort,
            "70000 is out of range",
        ),
        (
            &[
                ("hosts.yaml", "a: {groups: [g]}\n"),
                ("groups.yaml", "g: {groups: [h]}\nh: {groups: [g]}\n"),
            ],
            "hosts.yaml",
            "groups.yaml",
            1,
            14,
            ProblemKind::GroupCycle,
            "its own ancestor",
        ),
        (
            &[(
                "t.clab.yml",
                "name: t\ntopology:\n  nodes:\n    a: {mgmt-ipv4: 300.1.1.1}\n",
            )],
            "t.clab.yml",
            "t.clab.yml",
            4,
            20,
            ProblemKind::BadAddress,
            "bad address in node `a`",
        ),
        (
            &[(
                "t.clab.yml",
                "name: t\ntopology:\n  nodes:\n    a: {}\n  links:\n    - endpoints: [\"a:e1\", \"b:e1\"]\n",
            )],
            "t.clab.yml",
            "t.clab.yml",
            6,
            18,
            ProblemKind::UnknownGroup,
            "names node `b`",
        ),
        (
            &[("t.clab.yml", "name: t\ntopology:\n  nodes: {}\n")],
            "t.clab.yml",
            "t.clab.yml",
            3,
            3,
            ProblemKind::Empty,
            "defines no nodes",
        ),
    ];
    for (files, path, want_file, line, column, kind, text) in cases {
        let (file, l, c, k, rendered) = problem(files, path);
        assert_eq!(
            (file.as_str(), l, c, k),
            (*want_file, *line, *column, *kind),
            "{files:?}: {rendered}"
        );
        assert!(rendered.contains(text), "{files:?}: {rendered}");
        assert!(rendered.contains("\n  help: "), "no help: {rendered}");
    }
}

/// Passwords in clear text are refused in every place a foreign inventory can hold one, and
/// the value never appears in the message.
#[test]
fn clear_text_passwords_are_refused_without_echoing_them() {
    const SECRET: &str = "hunter2-s3cret";
    let ini = |line: String| vec![("h.ini".to_owned(), line)];
    let mut cases: Vec<(Vec<(String, String)>, &str)> = Vec::new();
    for key in [
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_become_password",
        "ansible_become_pass",
    ] {
        cases.push((ini(format!("[g]\na {key}={SECRET}\n")), "h.ini"));
        cases.push((ini(format!("[g]\na\n[g:vars]\n{key}={SECRET}\n")), "h.ini"));
        cases.push((
            vec![(
                "i.yml".into(),
                format!("all:\n  hosts:\n    a:\n      {key}: {SECRET}\n"),
            )],
            "i.yml",
        ));
        cases.push((
            vec![
                ("h.ini".into(), "[g]\na\n".into()),
                (
                    "group_vars/all/secrets.yml".into(),
                    format!("{key}: {SECRET}\n"),
                ),
            ],
            "h.ini",
        ));
    }
    cases.push((
        vec![
            (
                "hosts.yaml".into(),
                format!("a: {{hostname: 127.0.0.1, password: {SECRET}}}\n"),
            ),
            ("defaults.yaml".into(), "{}\n".into()),
        ],
        "hosts.yaml",
    ));
    cases.push((
        vec![
            ("hosts.yaml".into(), "a: {hostname: 127.0.0.1}\n".into()),
            ("defaults.yaml".into(), format!("password: {SECRET}\n")),
        ],
        "hosts.yaml",
    ));
    cases.push((
        vec![
            (
                "hosts.yaml".into(),
                format!("a:\n  connection_options:\n    netmiko: {{password: {SECRET}}}\n"),
            ),
            ("groups.yaml".into(), "{}\n".into()),
        ],
        "hosts.yaml",
    ));
    for (files, path) in &cases {
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_, _, _, kind, rendered) = problem(&refs, path);
        assert_eq!(kind, ProblemKind::InlineSecret, "{rendered}");
        assert!(!rendered.contains(SECRET), "{rendered}");
        assert!(rendered.contains("password_env"), "{rendered}");
    }
}

#[test]
fn vaults_are_not_read_and_say_what_to_do() {
    let vault = "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n";
    let dir = tree(&[
        ("h.ini", "[g]\na ansible_host=127.0.0.1\n"),
        ("group_vars/all/vars.yml", "ansible_user: ops\n"),
        ("group_vars/all/vault.yml", vault),
        (
            "host_vars/a.yml",
            "ansible_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n",
        ),
    ]);
    let inv = load(dir.path(), "h.ini").unwrap();
    assert_eq!(inv.devices[0].username.as_deref(), Some("ops"));
    let notes = inv.provenance.notes.join("\n");
    assert!(
        notes.contains("vault.yml is encrypted with ansible-vault: not read"),
        "{notes}"
    );
    assert!(
        notes.contains("`ansible_password` is encrypted with ansible-vault"),
        "{notes}"
    );
    assert!(notes.contains("fleetdash_password_env"), "{notes}");
    // With the password named, the vaulted one needs no note.
    std::fs::write(
        dir.path().join("group_vars/all/vars.yml"),
        "fleetdash_password_env: OPS_PW\n",
    )
    .unwrap();
    let inv = load(dir.path(), "h.ini").unwrap();
    assert_eq!(inv.devices[0].password_env.as_deref(), Some("OPS_PW"));
    assert!(
        !inv.provenance
            .notes
            .iter()
            .any(|n| n.contains("`ansible_password`"))
    );
    // A vault-encrypted inventory cannot be read at all.
    std::fs::write(dir.path().join("h.ini"), vault).unwrap();
    let err = load(dir.path(), "h.ini").unwrap_err().to_string();
    assert!(
        err.contains("h.ini:1:1: the inventory is encrypted with ansible-vault"),
        "{err}"
    );
}

#[test]
fn inputs_are_bounded() {
    // Ranges: the count is known before expanding; several ranges multiply.
    let (_, _, _, _, rendered) = problem(&[("h.ini", "[g]\nr[1:1000][1:1000]\n")], "h.ini");
    assert!(
        rendered.contains("expands to more than 100000 names"),
        "{rendered}"
    );
    // Deep `children:` nesting in YAML stops with a message.
    let mut yaml = String::from("all:\n");
    for depth in 0..60 {
        let pad = "  ".repeat(2 * depth + 1);
        yaml.push_str(&format!("{pad}children:\n{pad}  g{depth}:\n"));
    }
    let (_, _, _, _, rendered) = problem(&[("i.yml", &yaml)], "i.yml");
    assert!(
        rendered.contains("groups nest more than 50 levels deep"),
        "{rendered}"
    );
    // Hosts and groups in total, and the nesting of `[…:children]` chains.
    let many: String = (0..11)
        .map(|i| format!("[g{i}]\nh{i}-[1:10000]\n"))
        .collect();
    let (_, line, _, _, rendered) = problem(&[("h.ini", &many)], "h.ini");
    assert!(rendered.contains("more than 100000 hosts"), "{rendered}");
    assert_eq!(line, 22);
    let groups: String = (0..10_001).map(|i| format!("[g{i}]\n")).collect::<String>() + "h\n";
    let (_, _, _, _, rendered) = problem(&[("h.ini", &groups)], "h.ini");
    assert!(rendered.contains("more than 10000 groups"), "{rendered}");
    let chain: String = (0..150)
        .map(|i| format!("[g{i}:children]\ng{}\n", i + 1))
        .collect::<String>()
        + "[g150]\nh\n";
    let (_, _, _, _, rendered) = problem(&[("h.ini", &chain)], "h.ini");
    assert!(
        rendered.contains("nested more than 100 levels deep"),
        "{rendered}"
    );
    // Hostile names from files are escaped in messages.
    let (_, _, _, _, rendered) = problem(&[("h.ini", "[g]\nx\u{1b}[2J\n")], "h.ini");
    assert!(!rendered.contains('\u{1b}'), "{rendered:?}");
}

#[test]
fn ansible_ssh_args_give_the_jump_hosts() {
    let dir = tree(&[(
        "h.ini",
        "[g]\n\
         a ansible_ssh_common_args='-o ProxyJump=ops@127.0.0.9:2222,127.0.0.8'\n\
         b ansible_ssh_extra_args='-J bastion'\n\
         c ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n\
         bastion ansible_host=127.0.0.7\n",
    )]);
    let inv = load(dir.path(), "h.ini").unwrap();
    let jumps: Vec<Vec<String>> = inv.devices.iter().map(|d| d.jump.clone()).collect();
    assert_eq!(
        jumps,
        [
            vec!["ops@127.0.0.9:2222".to_owned(), "127.0.0.8".to_owned()],
            vec!["bastion".to_owned()],
            vec![],
            vec![]
        ]
    );
}

/// `fleetdash check` names the format and the files; other commands take the same path.
#[test]
fn commands_take_foreign_inventories_unchanged() {
    let ini = fixture("ansible/ini/hosts");
    let out = common::fleetdash().arg("check").arg(&ini).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("format: ansible\nread from:\n"), "{text}");
    assert!(
        text.contains("ansible/ini/group_vars/core/20-tier.yaml"),
        "{text}"
    );
    assert!(text.contains("edge1    127.30.2.1  22    juniper_junos  admin      edge              ops@127.30.0.1:22"), "{text}");
    // `--format` overrides what the path looks like.
    let out = common::fleetdash()
        .args(["check", "--format", "own"])
        .arg(&ini)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("ansible/ini/hosts:") && err.contains("help:"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        "name: ntp\ntarget: \"core:!edge\"\nstrategy: {canary: 1}\nsteps:\n  - show clock\n",
    )
    .unwrap();
    let out = common::fleetdash()
        .arg("rollout")
        .arg(&plan)
        .arg("--inventory")
        .arg(&ini)
        .arg("--dry-run")
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text.contains("core:!edge → 4 device(s)"), "{text}");
    assert!(
        text.contains("rtr[01-03]") && text.contains("rtr-x"),
        "{text}"
    );
    assert!(!text.contains("edge1"), "{text}");
}

/// Per-group probe settings under the `fleetdash_` prefix: Ansible group vars and Nornir
/// `data`, bad values located in the file that holds them.
#[test]
fn per_group_probe_timing_in_ansible_and_nornir() {
    use std::time::Duration;
    let dir = tree(&[
        (
            "a/hosts.ini",
            "[core]\nc1 ansible_host=127.0.0.1\n[access]\na1 ansible_host=127.0.0.2\n\
             [core:vars]\nfleetdash_probe_interval=1s\nfleetdash_down_after=1\n\
             [access:vars]\nfleetdash_probe_interval=10s\nfleetdash_up_after=3\n",
        ),
        (
            "nr/hosts.yaml",
            "c1: {hostname: 127.0.0.1, groups: [core]}\n",
        ),
        (
            "nr/groups.yaml",
            "core:\n  data: {fleetdash_probe_interval: 2s, fleetdash_down_after: 4}\n",
        ),
    ]);
    let timing = |inv: &Inventory| -> Vec<_> {
        (inv.devices.iter())
            .map(|d| (d.timing.interval, d.timing.down_after, d.timing.up_after))
            .collect()
    };
    let s = Duration::from_secs;
    let ansible = load(dir.path(), "a/hosts.ini").unwrap();
    assert_eq!(
        timing(&ansible),
        [(Some(s(1)), Some(1), None), (Some(s(10)), None, Some(3))]
    );
    assert!(
        ansible.devices.iter().all(|d| d.tags.is_empty()),
        "not tags"
    );
    let nornir = load(dir.path(), "nr/hosts.yaml").unwrap();
    assert_eq!(timing(&nornir), [(Some(s(2)), Some(4), None)]);

    let (file, line, _, kind, text) = problem(
        &[(
            "hosts.ini",
            "[core]\nc1 ansible_host=127.0.0.1\n[core:vars]\nfleetdash_down_after=0\n",
        )],
        "hosts.ini",
    );
    assert_eq!(
        (file.as_str(), line, kind),
        ("hosts.ini", 4, ProblemKind::InvalidValue)
    );
    assert!(text.contains("bad down_after `0`"), "{text}");
    let (file, line, _, _, text) = problem(
        &[
            ("hosts.yaml", "c1: {hostname: 127.0.0.1, groups: [core]}\n"),
            (
                "groups.yaml",
                "core:\n  data: {fleetdash_probe_interval: fast}\n",
            ),
        ],
        "hosts.yaml",
    );
    assert_eq!((file.as_str(), line), ("groups.yaml", 2), "{text}");
    assert!(text.contains("bad probe_interval `fast`"), "{text}");
}
