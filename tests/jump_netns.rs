//! Jump hosts with real components, as root: an OpenSSH `sshd` as the bastion, in front of
//! lab devices that this machine cannot reach.
//!
//! The test makes two network namespaces joined by a veth pair (10.213.0.1/30 in `A`,
//! 10.213.0.2/30 in `B`; no address outside them). In `B`: a `fleetdash lab` on B's own
//! loopback (127.20.0.x) and sshd listening on 10.213.0.2. The test then runs itself again
//! inside `A`, where the only way to a device is the bastion: a direct connect fails; exec,
//! probes, two hops (sshd, then a lab device), `ProxyCommand` with `ssh -W %h:%p`, a rollout
//! (the real CLI), the dashboard through the app loop, and the bastion killed mid-command
//! then started again all work through it. Without root it prints SKIPPED (and fails under
//! CI, which runs as root).

mod common;

use common::screen::{Harness, harness, wait_for};

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use fleetdash::engine::{Engine, EngineConfig, ExecSetup, Probes};
use fleetdash::exec::{ExecConfig, SshConnector};
use fleetdash::fleet::Stage;
use fleetdash::headless::exec::execute;
use fleetdash::inventory::Inventory;
use fleetdash::probe::{ProbeEvent, ProbeMode, ProbeOutcome, SweepConfig, ViaBastion};
use fleetdash::ssh::{BastionLimits, HostKeyPolicy, Secret, Session, SshOptions, Target};
use fleetdash::ui::{self, Ended};
use tokio::sync::mpsc;

const SSHD: &str = "/usr/sbin/sshd";
const CHILD_DIR: &str = "FLEETDASH_NETNS_TEST_DIR";
const PASSWORD: &str = "netns-Pw-2291";
const BASTION_IP: &str = "10.213.0.2";
const SCENARIO: &str = "name: n\nsites: [n]\nroles:\n  - {role: r, platform: cisco_ios, count: 3}\n  \
                        - {role: s, platform: linux, count: 1}\n\
                        faults:\n  - devices: [n-s1]\n    latency: 3s\n";
const PLAN: &str = "name: ntp behind the bastion\ntarget: \"n-r1:n-r2\"\n\
                    strategy:\n  canary: 1\n  batches: [1]\n\
                    steps:\n  - config:\n      - ntp server 127.0.0.123\n    save: true\n\
                    post_checks:\n  - name: configured\n    command: show running-config\n    \
                    contains: \"ntp server 127.0.0.123\"\n\
                    max_fail:\n  overall: 0\n";

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the netns bastion test cannot run in CI: {why}");
    }
    println!("SKIPPED: {why}");
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Processes this test started, killed by their id when it ends.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The two namespaces; deleted (with the veth pair) when the test ends.
struct Namespaces {
    a: String,
    b: String,
}

impl Namespaces {
    fn create() -> io::Result<Namespaces> {
        let pid = std::process::id();
        let ns = Namespaces {
            a: format!("fdj-a-{pid}"),
            b: format!("fdj-b-{pid}"),
        };
        let (va, vb) = (format!("fdja{pid}"), format!("fdjb{pid}"));
        let ip = |args: &[&str]| -> io::Result<()> {
            let out = Command::new("ip").args(args).output()?;
            if out.status.success() {
                Ok(())
            } else {
                Err(io::Error::other(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        };
        ip(&["netns", "add", &ns.a])?;
        ip(&["netns", "add", &ns.b])?;
        ip(&[
            "link", "add", &va, "netns", &ns.a, "type", "veth", "peer", "name", &vb, "netns", &ns.b,
        ])?;
        for (n, dev, addr) in [(&ns.a, &va, "10.213.0.1/30"), (&ns.b, &vb, "10.213.0.2/30")] {
            ip(&["-n", n, "addr", "add", addr, "dev", dev])?;
            ip(&["-n", n, "link", "set", dev, "up"])?;
            ip(&["-n", n, "link", "set", "lo", "up"])?;
        }
        Ok(ns)
    }

    fn exec(&self, ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).arg(program);
        c
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
    }
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path));
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + common::HANG;
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// sshd as the bastion, in namespace `ns`, listening on [`BASTION_IP`]:22.
fn start_sshd(ns: &str, dir: &Path) -> Kill {
    let pid_file = dir.join("sshd.pid");
    let _ = std::fs::remove_file(&pid_file);
    std::fs::create_dir_all("/run/sshd").ok();
    let child = Command::new("ip")
        .args(["netns", "exec", ns, SSHD])
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stdin(Stdio::null())
        .spawn()
        .expect("start sshd");
    wait_until("sshd listens", || pid_file.exists());
    Kill(child)
}

#[test]
fn behind_a_real_sshd_in_a_network_namespace() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child(PathBuf::from(dir));
    }
    let uid = Command::new("id").arg("-u").output().expect("run id");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return skip_or_fail("needs root (ip netns, a veth pair, sshd as root)");
    }
    if !Path::new(SSHD).exists() {
        return skip_or_fail("openssh-server is not installed (apt-get install openssh-server)");
    }
    let ns = match Namespaces::create() {
        Ok(ns) => ns,
        Err(e) => return skip_or_fail(&format!("cannot make network namespaces: {e}")),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(&d.join("host_key"));
    keygen(&d.join("user_key"));
    std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port 22\nListenAddress {BASTION_IP}\nHostKey {0}/host_key\nPidFile {0}/sshd.pid\n\
             AuthorizedKeysFile {0}/authorized_keys\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nAllowUsers root\nAllowTcpForwarding yes\n\
             MaxSessions 10\nLogLevel ERROR\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::write(d.join("scenario.yaml"), SCENARIO).unwrap();
    let lab_log = d.join("lab.log");
    let _lab = Kill(
        ns.exec(&ns.b, common::BIN)
            .env(common::NO_SSH_CONFIG.0, common::NO_SSH_CONFIG.1)
            .args([
                "lab",
                "--devices",
                "4",
                "--base",
                "127.20.0.1",
                "--port",
                "2222",
            ])
            .arg("--scenario")
            .arg(d.join("scenario.yaml"))
            .args(["--password", PASSWORD, "--write-inventory"])
            .arg(d.join("lab.yaml"))
            .arg("--write-known-hosts")
            .arg(d.join("lab.known_hosts"))
            .stdout(std::fs::File::create(&lab_log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the lab"),
    );
    wait_until("the lab is up", || {
        std::fs::read_to_string(&lab_log).is_ok_and(|l| l.contains("known_hosts written"))
    });
    let _sshd = start_sshd(&ns.b, d);
    let host_key = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
    let mut known = std::fs::read_to_string(d.join("lab.known_hosts")).unwrap();
    known += &format!(
        "{BASTION_IP} {}\n",
        host_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );
    std::fs::write(d.join("known_hosts"), known).unwrap();
    // The lab's inventory, each device behind the bastion; n-r3 one hop further, behind
    // n-r1 (whose own `jump:` comes first).
    let lab = std::fs::read_to_string(d.join("lab.yaml")).unwrap();
    let mut inventory = lab.replacen("defaults:\n", "defaults:\n  jump: bastion-1\n", 1);
    inventory += &format!(
        "- {{name: bastion-1, host: {BASTION_IP}, platform: linux, username: root, \
         key_file: {}, jump: none}}\n",
        d.join("user_key").display()
    );
    let inventory = inventory.replace("- name: n-r3\n", "- name: n-r3\n  jump: n-r1\n");
    std::fs::write(d.join("inventory.yaml"), inventory).unwrap();
    std::fs::write(
        d.join("ssh_config"),
        format!(
            "Host jumpbox\n  HostName {BASTION_IP}\n  User root\n  IdentityFile {0}/user_key\n  \
             IdentitiesOnly yes\n  BatchMode yes\n  UserKnownHostsFile {0}/known_hosts\n  \
             GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::write(d.join("plan.yaml"), PLAN).unwrap();
    std::fs::write(d.join("netns-b"), &ns.b).unwrap();

    let out = ns
        .exec(&ns.a, std::env::current_exe().unwrap())
        .args([
            "behind_a_real_sshd_in_a_network_namespace",
            "--exact",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(CHILD_DIR, d)
        .env("FLEETDASH_PASSWORD", PASSWORD)
        .output()
        .expect("run the test again inside the namespace");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the run inside the namespace failed");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

/// Inside namespace A: every way through the bastion.
fn child(dir: PathBuf) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(inside(&dir));
}

async fn inside(d: &Path) {
    let inventory = Arc::new(Inventory::load(&d.join("inventory.yaml")).unwrap());
    let mut opts = SshOptions::with_known_hosts(d.join("known_hosts"));
    opts.use_agent = false;
    opts.host_keys = HostKeyPolicy::Strict;
    opts.timeouts = common::timeouts(Duration::from_secs(5), Duration::from_secs(10));
    opts.password = Some(Secret::new(PASSWORD.into()));
    let opts = opts.with_bastions(&inventory, BastionLimits::default());
    let target = |name: &str| {
        let dev = inventory.devices.iter().find(|x| x.name == name).unwrap();
        Target::from_device(dev)
    };

    // No way to a device but the bastion: a direct connect is refused here.
    let mut direct = target("n-r1");
    direct.jump.clear();
    let e = Session::connect_target(&direct, &opts).await.err().unwrap();
    assert_eq!(e.stage, Stage::Connect, "{e}");

    // exec on the four devices, over one connection to sshd.
    let behind = Arc::new(Inventory {
        devices: (inventory.devices.iter())
            .filter(|x| x.name != "bastion-1")
            .cloned()
            .collect(),
        ..(*inventory).clone()
    });
    let cfg = ExecConfig {
        retries: 0,
        ..ExecConfig::default()
    };
    let connector = SshConnector::new(opts.clone());
    let results = execute(behind.clone(), cfg, connector, "show version").await;
    assert_eq!(results.len(), 4);
    for r in &results {
        let out = r
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
        // The Linux host answers too (it has no `show`).
        let want = if r.name == "n-s1" {
            "command not found"
        } else {
            &r.name
        };
        assert!(out.text.contains(want), "{}: {}", r.name, out.text);
    }
    // Two hops: sshd, then n-r1 (a lab device forwarding on B's loopback), then n-r3.
    let s = Session::connect_target(&target("n-r3"), &opts)
        .await
        .unwrap();
    assert_eq!(s.bastion(), Some("n-r1"));
    // One connection to sshd, one to n-r1 as a bastion.
    assert_eq!(opts.bastions.connections(), 2);
    drop(s);

    // Probes: through the bastion, never ICMP from here.
    let via = ViaBastion::new(&behind, opts.clone());
    let (tx, mut rx) = mpsc::channel::<ProbeEvent>(64);
    let sweep = SweepConfig {
        count: Some(1),
        timeout: Duration::from_secs(3),
        ..SweepConfig::default()
    };
    let targets = fleetdash::probe::targets_from_inventory(&behind);
    let mode = ProbeMode::TcpFallback {
        reason: "test".into(),
        enable: String::new(),
    };
    let _sweeper = fleetdash::probe::spawn_sweeper_via(targets, sweep, mode, Some(via), tx);
    let mut replies = 0;
    while let Some(e) = rx.recv().await {
        if let ProbeEvent::Probes(results) = e {
            for r in results {
                assert!(matches!(r.outcome, ProbeOutcome::Reply { .. }), "{r:?}");
                replies += 1;
            }
        }
    }
    assert_eq!(replies, 4);

    // ProxyCommand: OpenSSH's client carries the session (its own config and known_hosts).
    let mut t = target("n-r2");
    t.jump.clear();
    t.proxy_command = Some(format!(
        "exec ssh -F {}/ssh_config -W %h:%p jumpbox",
        d.display()
    ));
    let mut s = Session::connect_target(&t, &opts).await.unwrap();
    assert!(s.run("show version").await.unwrap().text.contains("n-r2"));
    drop(s);

    // A rollout with the real CLI (probes through the bastion watch the devices).
    let out = tokio::process::Command::new(common::BIN)
        .env(common::NO_SSH_CONFIG.0, common::NO_SSH_CONFIG.1)
        .arg("rollout")
        .arg(d.join("plan.yaml"))
        .arg("--inventory")
        .arg(d.join("inventory.yaml"))
        .args([
            "--headless",
            "--yes",
            "--host-keys",
            "strict",
            "--timeout",
            "10s",
        ])
        .arg("--known-hosts")
        .arg(d.join("known_hosts"))
        .arg("--journal")
        .arg(d.join("rollout.jsonl"))
        .output()
        .await
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "rollout: {text}");
    let after = execute(
        behind.clone(),
        ExecConfig::default(),
        SshConnector::new(opts.clone()),
        "show running-config",
    )
    .await;
    for r in &after {
        let changed = r
            .result
            .as_ref()
            .unwrap()
            .text
            .contains("ntp server 127.0.0.123");
        assert_eq!(changed, r.name == "n-r1" || r.name == "n-r2", "{}", r.name);
    }

    dashboard(&inventory, &opts).await;
    killed_mid_command(d, &target("n-s1"), &opts).await;
}

/// The dashboard, scripted through the real app loop: the status bar says how the devices
/// behind the bastion are probed, they come up through it, and `:show version` on them
/// answers through it.
async fn dashboard(inventory: &Arc<Inventory>, opts: &SshOptions) {
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(opts.clone()),
    };
    let config = EngineConfig {
        probes: Some(Probes {
            via_bastion: Some(ViaBastion::new(inventory, opts.clone())),
            ..Probes::default()
        }),
        ..EngineConfig::default()
    };
    let mut engine = Engine::builder(inventory.clone(), config)
        .exec(exec)
        .start();
    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(160, 40, "behind the bastion");
    let script = async {
        wait_for(&mut frames, "the probe mode and four devices up", |f| {
            f.contains("via bastion ×4") && f.contains("▲ 5")
        })
        .await;
        keys.type_text("/n-r");
        keys.press(KeyCode::Enter);
        keys.type_text("a");
        wait_for(&mut frames, "three marks", |f| f.contains("● 3 marked")).await;
        keys.type_text(":show version");
        keys.press(KeyCode::Enter);
        wait_for(&mut frames, "three answers", |f| f.contains("✓ 3 ok")).await;
        keys.type_text("q");
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);
}

/// sshd killed while a command runs behind it: the command fails saying so; with sshd
/// back, the next session reconnects.
async fn killed_mid_command(d: &Path, t: &Target, opts: &SshOptions) {
    let mut s = Session::connect_target(t, opts).await.unwrap();
    let before = opts.bastions.connections();
    // n-s1 waits 3 s before it answers.
    let running = tokio::spawn(async move { s.run("hostname").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The listener and the process serving our connection, by their ids.
    let pid: String = std::fs::read_to_string(d.join("sshd.pid"))
        .unwrap()
        .trim()
        .into();
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    let pids: Vec<&str> = std::iter::once(pid.as_str())
        .chain(children.split_whitespace())
        .collect();
    // sh's own `kill`, by id (no procps needed).
    run(Command::new("sh").args(["-c", &format!("kill -9 {}", pids.join(" "))]));
    let e = running.await.unwrap().unwrap_err();
    assert!(
        e.reason.starts_with("via bastion-1: connection dropped"),
        "{e}"
    );
    assert!(e.maybe_ran);
    let ns_b = std::fs::read_to_string(d.join("netns-b")).unwrap();
    let sshd = start_sshd(&ns_b, d);
    // The failure is remembered for a moment; then the next session reconnects.
    let deadline = Instant::now() + common::HANG;
    let mut s = loop {
        match Session::connect_target(t, opts).await {
            Ok(s) => break s,
            Err(e) => {
                assert!(Instant::now() < deadline, "no reconnect: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(s.run("hostname").await.unwrap().text, "n-s1\n");
    assert_eq!(opts.bastions.connections(), before + 1);
    drop(sshd);
}
