//! OpenSSH is the oracle: for a battery of ssh_config files, the options fleetdash resolves
//! for each host equal what `ssh -G -F FILE HOST` prints (no network, no DNS: `-G` only
//! evaluates the configuration, and no battery file turns on CanonicalizeHostname).
//! Skipped, and says so, where `ssh` is not installed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use fleetdash::ssh::ssh_config::{
    Given, Local, Resolved, Sources, SshConfig, Strictness, assemble,
};

/// `ssh -G` output: keyword → its values (IdentityFile has several lines).
type Printed = BTreeMap<String, Vec<String>>;

fn ssh_g(file: &Path, host: &str) -> Printed {
    let out = Command::new("ssh")
        .args(["-G", "-F"])
        .arg(file)
        .arg(host)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("ssh runs");
    assert!(
        out.status.success(),
        "ssh -G {host} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map = Printed::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        map.entry(k.to_string()).or_default().push(v.to_string());
    }
    map
}

fn ssh_q(what: &str) -> Vec<String> {
    let out = Command::new("ssh").args(["-Q", what]).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn have_ssh() -> bool {
    Command::new("ssh").arg("-V").output().is_ok()
}

/// What OpenSSH does with no configuration at all: its defaults, to tell "unset" apart.
struct Defaults {
    local: Local,
    printed: Printed,
    supported: BTreeMap<&'static str, Vec<String>>,
}

fn defaults() -> Defaults {
    let printed = ssh_g(Path::new("/dev/null"), "127.0.0.1");
    let user = printed["user"][0].clone();
    // The user's known_hosts default is HOME/.ssh/known_hosts: OpenSSH's idea of home.
    let kh = printed["userknownhostsfile"][0].clone();
    let first = kh.split(' ').next().unwrap();
    let home = first.strip_suffix("/.ssh/known_hosts").unwrap().to_string();
    let supported = [
        ("kexalgorithms", "kex"),
        ("ciphers", "cipher"),
        ("macs", "mac"),
        ("hostkeyalgorithms", "HostKeyAlgorithms"),
    ]
    .into_iter()
    .map(|(k, q)| (k, ssh_q(q)))
    .collect();
    Defaults {
        local: Local {
            user,
            home: Some(home),
        },
        printed,
        supported,
    }
}

/// Expands the tokens OpenSSH leaves unexpanded in `-G` output (IdentityFile,
/// ProxyCommand, ProxyJump), with the values `-G` itself printed.
fn expand(s: &str, p: &Printed, alias: &str, d: &Defaults) -> String {
    let home = d.local.home.as_deref().unwrap();
    let s = match s.strip_prefix("~/") {
        Some(rest) => format!("{home}/{rest}"),
        None => s.to_string(),
    };
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(&p["hostname"][0]),
            Some('p') => out.push_str(&p["port"][0]),
            Some('r') => out.push_str(&p["user"][0]),
            Some('n') => out.push_str(alias),
            Some('d') => out.push_str(home),
            Some('u') => out.push_str(&d.local.user),
            other => panic!("token %{other:?} in the battery"),
        }
    }
    out
}

/// The options both sides know, in one normal form: `ssh -G`'s from its output, and
/// fleetdash's from what it resolved (unset options take OpenSSH's defaults).
fn ours(r: &Resolved, d: &Defaults) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    m.insert("hostname", r.host_name.clone());
    m.insert("user", r.user.clone().unwrap_or(d.local.user.clone()));
    m.insert("port", r.port.unwrap_or(22).to_string());
    let files: Vec<String> = r
        .identity_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    m.insert("identityfile", files.join(" | "));
    m.insert(
        "identitiesonly",
        if r.identities_only == Some(true) {
            "yes"
        } else {
            "no"
        }
        .into(),
    );
    m.insert(
        "identityagent",
        r.identity_agent.clone().unwrap_or_default(),
    );
    m.insert("proxyjump", r.proxy_jump.join(","));
    m.insert("proxycommand", r.proxy_command.clone().unwrap_or_default());
    m.insert(
        "connecttimeout",
        r.connect_timeout
            .map_or("none".into(), |t| t.as_secs().to_string()),
    );
    m.insert(
        "stricthostkeychecking",
        match r.strict_host_key_checking {
            None | Some(Strictness::Yes) => "yes",
            Some(Strictness::AcceptNew) => "accept-new",
            Some(Strictness::No) => "no",
        }
        .into(),
    );
    let join = |files: &Option<Vec<std::path::PathBuf>>| {
        files.as_ref().map(|f| {
            f.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    m.insert(
        "userknownhostsfile",
        join(&r.user_known_hosts).unwrap_or(d.printed["userknownhostsfile"][0].clone()),
    );
    m.insert(
        "globalknownhostsfile",
        join(&r.global_known_hosts).unwrap_or(d.printed["globalknownhostsfile"][0].clone()),
    );
    m.insert("hostkeyalias", r.host_key_alias.clone().unwrap_or_default());
    for (key, spec) in [
        ("kexalgorithms", &r.kex),
        ("ciphers", &r.ciphers),
        ("macs", &r.macs),
        ("hostkeyalgorithms", &r.host_key_algorithms),
    ] {
        let def = &d.printed[key][0];
        let value = match spec {
            None => def.clone(),
            Some(spec) => {
                let def: Vec<&str> = def.split(',').collect();
                let all: Vec<&str> = d.supported[key].iter().map(String::as_str).collect();
                assemble(spec, &def, &all).names.join(",")
            }
        };
        m.insert(key, value);
    }
    m.insert(
        "serveraliveinterval",
        r.server_alive_interval.unwrap_or(0).to_string(),
    );
    m.insert(
        "serveralivecountmax",
        r.server_alive_count_max.unwrap_or(3).to_string(),
    );
    m
}

fn theirs(p: &Printed, alias: &str, d: &Defaults) -> BTreeMap<&'static str, String> {
    let one = |k: &str| p.get(k).map(|v| v[0].clone()).unwrap_or_default();
    let mut m = BTreeMap::new();
    for k in [
        "hostname",
        "user",
        "port",
        "identitiesonly",
        "identityagent",
        "connecttimeout",
        "userknownhostsfile",
        "globalknownhostsfile",
        "hostkeyalias",
        "kexalgorithms",
        "ciphers",
        "macs",
        "hostkeyalgorithms",
        "serveraliveinterval",
        "serveralivecountmax",
    ] {
        m.insert(k, one(k));
    }
    // Without IdentityFile, OpenSSH prints its default list; fleetdash has none.
    let files = p.get("identityfile").cloned().unwrap_or_default();
    let files: Vec<String> = if files == d.printed["identityfile"] {
        Vec::new()
    } else {
        files
            .iter()
            .filter(|f| *f != "none")
            .map(|f| expand(f, p, alias, d))
            .collect()
    };
    m.insert("identityfile", files.join(" | "));
    let jump = one("proxyjump");
    let jump = expand(&jump.replace(['[', ']'], ""), p, alias, d);
    m.insert("proxyjump", jump);
    m.insert("proxycommand", expand(&one("proxycommand"), p, alias, d));
    let strict = match one("stricthostkeychecking").as_str() {
        "ask" | "true" | "yes" => "yes",
        "false" | "no" => "no",
        other => other,
    }
    .to_string();
    m.insert("stricthostkeychecking", strict);
    m
}

struct Case {
    name: &'static str,
    /// The main file; `{dir}` stands for the directory the files are in.
    config: &'static str,
    /// Other files (for Include), by name.
    others: &'static [(&'static str, &'static str)],
    /// Hosts to resolve; `user@host` gives the user as the inventory would.
    hosts: &'static [&'static str],
}

const BATTERY: &[Case] = &[
    Case {
        name: "wildcards, negation, first value wins",
        config: "Host rtr? !rtr9\n  Port 2201\n  User ops\nHost rtr*\n  Port 2202\n  \
                 HostName 127.0.1.1\nHost *.lab !bad.lab\n  User lab\n  Port 2203\n\
                 Host *\n  HostName 127.0.0.250\n  User fallback\n",
        others: &[],
        hosts: &["rtr1", "rtr9", "rtr10", "sw1.lab", "bad.lab", "other"],
    },
    Case {
        name: "Match host (after HostName), originalhost, user, all, negated",
        config: "Match host 127.0.2.1 user bob\n  Port 2000\nHost edge*\n  HostName 127.0.2.1\n\
                 Match host 127.0.2.1 user bob\n  Port 2001\nMatch originalhost EDGE2\n  \
                 User orig\nMatch !host 127.0.2.*\n  ConnectTimeout 7\nMatch user ops\n  \
                 IdentitiesOnly yes\nMatch all\n  HostName 127.0.0.251\n  ServerAliveInterval 15\n",
        others: &[],
        hosts: &["edge1", "bob@edge1", "edge2", "ops@core", "core"],
    },
    Case {
        name: "Include with globs, in and out of blocks, first wins across files",
        config: "Include {dir}/conf.d/*.conf\nHost inc*\n  Include {dir}/inc-*.conf\n  \
                 Port 2300\nHost *\n  User top\n  HostName 127.0.0.252\n",
        others: &[
            (
                "conf.d/10-a.conf",
                "Host a1\n  HostName 127.0.3.1\n  User from-a\n",
            ),
            (
                "conf.d/20-b.conf",
                "Host a1 b1\n  User from-b\n  Port 2301\n",
            ),
            ("conf.d/skip.txt", "Host *\n  User never\n"),
            ("inc-1.conf", "Port 2302\nHost inc2\n  User inc2user\n"),
        ],
        hosts: &["a1", "b1", "inc1", "inc2", "zzz"],
    },
    Case {
        name: "tokens in HostName, IdentityFile, UserKnownHostsFile, IdentityAgent, ProxyCommand",
        config: "Host t*\n  HostName 127.0.4.%h\n  IdentityFile ~/.ssh/id_%n_%r\n  \
                 IdentityFile /keys/%h-%p-%u-%%\n  IdentityFile /keys/%d/x\n  \
                 UserKnownHostsFile ~/kh/%n /kh/%h:%p\n  IdentityAgent /run/agent-%r.sock\n  \
                 ProxyCommand nc -X connect %h %p # %n %r\n  User net\n  Port 2400\n",
        others: &[],
        hosts: &["t1", "t12", "admin@t3"],
    },
    Case {
        name: "several IdentityFiles in order, without repeats; none",
        config: "Host k1\n  IdentityFile /k/one\n  IdentityFile /k/two\nHost k*\n  \
                 IdentityFile /k/one\n  IdentityFile /k/three\n  HostName 127.0.5.1\n",
        others: &[],
        hosts: &["k1", "k2"],
    },
    Case {
        name: "ProxyJump chains, none, and ProxyCommand against it",
        config: "Host j1\n  ProxyJump admin@127.0.6.1:2222,127.0.6.2,ops@127.0.6.3\n\
                 Host j2\n  ProxyJump none\nHost j3\n  ProxyCommand none\nHost j*\n  \
                 ProxyCommand ssh -W %h:%p 127.0.6.9\n  ProxyJump 127.0.6.8\n  \
                 HostName 127.0.6.100\n",
        others: &[],
        hosts: &["j1", "j2", "j3", "j4"],
    },
    Case {
        name: "algorithm lists: replace, +, -, ^, wildcards",
        config: "Host a1\n  KexAlgorithms +diffie-hellman-group14-sha1\n  \
                 Ciphers -aes128*,chacha20-poly1305@openssh.com\n  MACs ^hmac-sha1\n  \
                 HostKeyAlgorithms ssh-ed25519,rsa-sha2-*\nHost a2\n  \
                 KexAlgorithms curve25519-sha256\n  Ciphers aes256-gcm@openssh.com,aes128-ctr\n\
                 Host *\n  MACs -*-sha1*\n  HostName 127.0.7.1\n",
        others: &[],
        hosts: &["a1", "a2", "a3"],
    },
    Case {
        name: "keyword case, = syntax, quotes, comments, host keys",
        config: "HOST=q1\n  hOsTnAmE=127.0.8.1\n  port = 2500\n  USER \"spaced\"   # comment\n  \
                 StrictHostKeyChecking accept-new\n  HostKeyAlias q1-key\n  \
                 UserKnownHostsFile /kh/one \"/kh/t w o\"\n  GlobalKnownHostsFile /gkh\n\
                 Host q2\n  StrictHostKeyChecking no\n  ConnectTimeout 1m30s\n  \
                 ServerAliveCountMax 9\nHost q3\n  StrictHostKeyChecking ask\n\
                 Host *\n  HostName 127.0.8.250\n  StrictHostKeyChecking yes\n",
        others: &[],
        hosts: &["q1", "q2", "q3", "q4"],
    },
];

#[test]
fn fleetdash_resolves_what_ssh_dash_g_prints() {
    if !have_ssh() {
        eprintln!("SKIPPED: the OpenSSH client (ssh) is not installed; install openssh-client");
        return;
    }
    let d = defaults();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for case in BATTERY {
        let dir = tempfile::tempdir().unwrap();
        let fill = |s: &str| s.replace("{dir}", &dir.path().display().to_string());
        for (name, text) in case.others {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, fill(text)).unwrap();
        }
        let main = dir.path().join("config");
        std::fs::write(&main, fill(case.config)).unwrap();
        let config = SshConfig::load_as(&Sources::File(main.clone()), d.local.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for host in case.hosts {
            let (user, alias) = match host.split_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, *host),
            };
            let r = config.resolve(alias, &Given { user, port: None });
            assert!(
                r.problems.is_empty(),
                "{}: {host}: {:?}",
                case.name,
                r.problems
            );
            let want = theirs(&ssh_g(&main, host), alias, &d);
            let got = ours(&r, &d);
            for (k, w) in &want {
                if got.get(k) != Some(w) {
                    mismatches.push(format!(
                        "[{}] {host}: {k}: ssh -G says {w:?}, fleetdash {:?}",
                        case.name,
                        got.get(k)
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 30, "only {checked} hosts checked");
}

// ---------------------------------------------------------------------------------------
// The binary: which files it reads, and what `check` says.

fn fleetdash(args: &[&str], home: &Path) -> std::process::Output {
    common::fleetdash()
        .args(args)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run fleetdash")
}

/// A home whose `~/.ssh/config` is broken: reading it is an error, so any command that
/// reads it shows.
fn home_with_broken_config() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/config"), "Port not-a-port\n").unwrap();
    std::fs::write(
        home.path().join("inv.yaml"),
        "devices:\n  - {name: core1, host: core1-alias}\n  - {name: plain, host: 127.0.0.9}\n",
    )
    .unwrap();
    home
}

#[test]
fn the_test_suite_never_reads_the_users_ssh_config_and_the_binary_does_by_default() {
    let home = home_with_broken_config();
    let inv = home.path().join("inv.yaml");
    let inv = inv.to_str().unwrap();
    // Every test runs the binary through `common::fleetdash()`, which reads no ssh_config.
    let out = fleetdash(&["check", inv], home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ssh_config"));
    // Without it, the user's file is read (and this one is refused with where and how).
    let out = common::fleetdash()
        .args(["check", inv])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env_remove("FLEETDASH_SSH_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "{}:1: Port: not a port number",
        home.path().join(".ssh/config").display()
    );
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("--no-ssh-config"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
}

#[test]
fn check_says_where_a_devices_ssh_options_came_from() {
    let home = home_with_broken_config();
    let cfg = home.path().join("cfg");
    std::fs::write(
        &cfg,
        "Host core1-alias\n  HostName 127.0.0.7\n  Port 2222\n\nHost *\n  User ops\n  \
         ProxyJump 127.0.0.5\n",
    )
    .unwrap();
    let inv = home.path().join("inv.yaml");
    let out = fleetdash(
        &[
            "check",
            inv.to_str().unwrap(),
            "--ssh-config",
            cfg.to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let c = cfg.display();
    assert!(text.contains(&format!("ssh_config: {c}\n")), "{text}");
    assert!(
        text.contains(&format!(
            "  core1: ops@127.0.0.7:2222 via 127.0.0.5 (hostname, port, user, proxyjump from {c}:2-7)\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  plain: ops@127.0.0.9:22 via 127.0.0.5 (user, proxyjump from {c}:6-7)\n"
        )),
        "{text}"
    );
    // The file named must exist; --no-ssh-config reads nothing, whatever the rest says.
    let out = fleetdash(
        &[
            "check",
            inv.to_str().unwrap(),
            "--ssh-config",
            "/nonexistent/cfg",
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/cfg"));
    let out = fleetdash(
        &["check", inv.to_str().unwrap(), "--no-ssh-config"],
        home.path(),
    );
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ssh_config"));
}

// ---------------------------------------------------------------------------------------
// End to end: a device the inventory names only by an alias is reached with what
// ssh_config says (address, port, user, key, host key alias), the inventory winning
// where it sets a value.

mod common;

use std::sync::Arc;

use fleetdash::inventory::Inventory;
use fleetdash::ssh::{HostKeyPolicy, Session, Stage};
use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};

// Linux devices: network gear would ask for an enable password this test does not give.
const LAB: &str =
    "name: sshcfg\nsites: [s]\nroles:\n  - {role: linux, platform: linux, count: 2}\n";

#[tokio::test]
async fn a_device_named_by_an_alias_is_reached_through_ssh_config_alone() {
    let key = PrivateKey::new(
        KeypairData::Ed25519(Ed25519Keypair::from_seed(&[7; 32])),
        "",
    )
    .unwrap();
    let lab = common::lab(LAB)
        .password("not-offered")
        .with(|c| c.authorized_keys = vec![key.public_key().clone()])
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("id_ed25519");
    std::fs::write(
        &key_file,
        key.to_openssh(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    // A missing key first: several IdentityFiles are tried in order.
    let mut cfg = String::new();
    let mut aliases = String::new();
    for d in lab.devices() {
        let alias = format!("{}.mgmt", d.name);
        cfg += &format!(
            "Host {alias}\n  HostName {}\n  Port {}\n  HostKeyAlias key-{}\n",
            d.addr.ip(),
            d.addr.port(),
            d.name
        );
        aliases += &format!(
            "  - {{name: {}, host: {alias}, platform: {}}}\n",
            d.name,
            d.platform.name()
        );
    }
    cfg += &format!(
        "Host *.mgmt\n  User admin\n  IdentityFile {}/missing\n  IdentityFile {}\n  \
         StrictHostKeyChecking yes\n",
        dir.path().display(),
        key_file.display()
    );
    let cfg_path = dir.path().join("ssh_config");
    std::fs::write(&cfg_path, &cfg).unwrap();
    // Host keys filed under the HostKeyAlias only: the strict check passes only if the
    // alias is used.
    let known_hosts = dir.path().join("known_hosts");
    let lines: String = lab
        .devices()
        .iter()
        .map(|d| format!("key-{} {}\n", d.name, d.host_key.to_openssh().unwrap()))
        .collect();
    let mut opts = common::lab_options(&lab, known_hosts.clone());
    std::fs::write(&known_hosts, &lines).unwrap();
    opts.host_keys = HostKeyPolicy::AcceptNew;
    let local = Local {
        user: "nobody-local".into(),
        home: Some(dir.path().display().to_string()),
    };
    opts.ssh_config = Arc::new(SshConfig::load_as(&Sources::File(cfg_path), local).unwrap());

    let inv = Inventory::from_yaml(&format!("devices:\n{aliases}"), "<test>").unwrap();
    for d in &inv.devices {
        assert!(!d.port_set && d.username.is_none() && d.key_file.is_none());
        let mut s = Session::connect(d, &opts)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", d.name));
        let out = s.run("uname -a").await.unwrap();
        assert!(!out.text.is_empty(), "{}", d.name);
        s.close().await;
    }
    assert_eq!(
        std::fs::read_to_string(&known_hosts).unwrap(),
        lines,
        "nothing learned"
    );

    // The inventory wins where it sets a value: its port (nothing listens there) …
    let d = &inv.devices[0];
    let closed = std::net::TcpListener::bind((lab.devices()[0].addr.ip(), 0)).unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let yaml = format!(
        "devices:\n  - {{name: x, host: {}, port: {port}}}\n",
        d.host
    );
    let inv2 = Inventory::from_yaml(&yaml, "<test>").unwrap();
    let e = Session::connect(&inv2.devices[0], &opts)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::Connect, "{e}");
    // … and its user (the key is not authorised for that one).
    let yaml = format!(
        "devices:\n  - {{name: x, host: {}, username: intruder, platform: {}}}\n",
        d.host, d.platform
    );
    let inv3 = Inventory::from_yaml(&yaml, "<test>").unwrap();
    let e = Session::connect(&inv3.devices[0], &opts)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::Auth, "{e}");
    assert!(e.reason.contains("intruder"), "{e}");
}

/// A measurement, not a check of time: `cargo test --release --test ssh_config --
/// --ignored --nocapture resolving_ten_thousand` prints how long resolving 10,000 devices
/// takes against a hand-written config and against one generated per device.
#[test]
#[ignore = "a measurement; run it by name with --release"]
fn resolving_ten_thousand_devices() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..10_000)
        .map(|i| format!("site{:02}-sw{i:04}", i / 200))
        .collect();
    // Hand-written: a block per site with wildcards, a few Matches, defaults, an Include.
    let mut hand = String::from("Include ");
    hand += &format!("{}/conf.d/*.conf\n", dir.path().display());
    for site in 0..50 {
        hand += &format!(
            "Host site{site:02}-*\n  ProxyJump bastion{site:02}\n  User site{site:02}\n  \
             IdentityFile ~/.ssh/site{site:02}\n"
        );
    }
    hand += "Match originalhost *-sw00* user admin\n  Port 2222\nHost bastion*\n  User jump\n\
             Host *\n  HostName 127.0.0.1\n  ServerAliveInterval 30\n  KexAlgorithms +diffie-hellman-group14-sha1\n  \
             SendEnv LANG LC_*\n  HashKnownHosts yes\n  StrictHostKeyChecking accept-new\n";
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/a.conf"),
        "Host legacy-*\n  Ciphers +aes128-cbc\n",
    )
    .unwrap();
    // Generated: one Host block per device (an export from a CMDB), then the same defaults.
    let mut generated = String::new();
    for (i, n) in names.iter().enumerate() {
        generated += &format!(
            "Host {n}\n  HostName 127.1.{}.{}\n  Port 22\n\n",
            i / 250,
            i % 250 + 1
        );
    }
    generated += "Host *\n  User admin\n  ServerAliveInterval 30\n";
    for (label, text) in [
        ("hand-written (65 lines)", hand),
        ("generated (40,003 lines)", generated),
    ] {
        let path = dir.path().join("cfg");
        std::fs::write(&path, &text).unwrap();
        let local = Local {
            user: "me".into(),
            home: Some("/home/me".into()),
        };
        let start = std::time::Instant::now();
        let config = SshConfig::load_as(&Sources::File(path), local).unwrap();
        let loaded = start.elapsed();
        let start = std::time::Instant::now();
        let resolved: Vec<Resolved> = names
            .iter()
            .map(|n| config.resolve(n, &Given::default()))
            .collect();
        let took = start.elapsed();
        assert!(
            resolved
                .iter()
                .all(|r| r.problems.is_empty() && r.host_name.starts_with("127."))
        );
        println!("{label}: parse {loaded:?}, resolve 10,000 devices {took:?}");
    }
}

/// The probes go where sessions go: an alias's HostName (never a DNS lookup of the alias).
#[test]
fn sweep_probes_the_host_name_ssh_config_gives_an_alias() {
    let home = home_with_broken_config();
    let cfg = home.path().join("cfg");
    std::fs::write(&cfg, "Host core1-alias\n  HostName 127.0.0.1\n").unwrap();
    let inv = home.path().join("inv.yaml");
    let out = fleetdash(
        &[
            "sweep",
            inv.to_str().unwrap(),
            "--json",
            "--ssh-config",
            cfg.to_str().unwrap(),
        ],
        home.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let core1 = text
        .lines()
        .find(|l| l.contains("\"core1\""))
        .unwrap_or_default();
    assert!(
        core1.contains("\"up\""),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
