//! Jump hosts on loopback: a lab device as the bastion (its own lab, so its connections can
//! be counted) in front of a lab of devices on another loopback block. Sessions, `exec`,
//! probes, two hops, a failing bastion, a bastion dropped mid-command, the channel budget,
//! and `ProxyCommand` with OpenSSH's `ssh -W`.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleetdash::engine::{Engine, EngineConfig, ExecSetup};
use fleetdash::exec::{ExecConfig, Link, SshConnector};
use fleetdash::fleet::{Command as FleetCommand, DeviceRun};
use fleetdash::headless::exec::execute;
use fleetdash::inventory::Inventory;
use fleetdash::lab::{Lab, LabConfig};
use fleetdash::probe::{ProbeEvent, ProbeMode, ProbeOutcome, SweepConfig, ViaBastion};
use fleetdash::ssh::{BastionLimits, Secret, Session, SshOptions, Target};

const BASTION: &str = "name: b\nsites: [b]\nroles:\n  - {role: jump, platform: linux, count: 1}\n";
const DEVICES: &str = "name: x\nsites: [x]\nroles:\n  - {role: r, platform: linux, count: 1}\n";
const SLOW: &str = "name: x\nsites: [x]\nroles:\n  - {role: r, platform: linux, count: 1}\n\
                    faults:\n  - devices: [x-r1]\n    latency: 1500ms\n";

/// Two labs: `bastion` (one or two linux devices) and `devices`, and options that trust
/// both and log in with `admin`.
struct Jumped {
    bastion: Lab,
    bastion_cfg: LabConfig,
    devices: Lab,
    /// bastion-1 (and bastion-2) first, then every device with `jump:`.
    inventory: Arc<Inventory>,
    opts: SshOptions,
    _dir: tempfile::TempDir,
}

impl Jumped {
    /// The inventory without the bastions: what a run behind them works on.
    fn behind(&self) -> Arc<Inventory> {
        let devices = (self.inventory.devices.iter())
            .filter(|d| !d.jump.is_empty())
            .cloned()
            .collect();
        Arc::new(Inventory {
            devices,
            ..(*self.inventory).clone()
        })
    }

    fn target(&self, name: &str) -> Target {
        let d = self.inventory.devices.iter().find(|d| d.name == name);
        Target::from_device(d.unwrap())
    }
}

struct Plan<'a> {
    devices: usize,
    scenario: &'a str,
    bastion_password: &'a str,
    /// `jump:` of every device.
    jump: &'a str,
    limits: BastionLimits,
}

impl Default for Plan<'_> {
    fn default() -> Self {
        Plan {
            devices: 4,
            scenario: DEVICES,
            bastion_password: "admin",
            jump: "bastion-1",
            limits: BastionLimits::default(),
        }
    }
}

async fn jumped(plan: Plan<'_>) -> Jumped {
    let bastion_cfg = common::lab(BASTION)
        .devices(2)
        .seed(3)
        .password(plan.bastion_password)
        .config();
    let bastion = Lab::start(bastion_cfg.clone()).await.unwrap();
    let devices = common::lab(plan.scenario)
        .devices(plan.devices)
        .seed(4)
        .start()
        .await;
    let (b1, b2) = (&bastion.devices()[0], &bastion.devices()[1]);
    let mut yaml = format!(
        "defaults:\n  username: admin\n  platform: linux\ndevices:\n\
         \x20 - {{name: bastion-1, host: {}, port: {}}}\n\
         \x20 - {{name: bastion-2, host: {}, port: {}}}\n",
        b1.addr.ip(),
        b1.addr.port(),
        b2.addr.ip(),
        b2.addr.port()
    );
    for d in devices.devices() {
        yaml += &format!(
            "  - {{name: {}, host: {}, port: {}, probe: 'tcp:{}', jump: '{}'}}\n",
            d.name,
            d.addr.ip(),
            d.addr.port(),
            d.addr.port(),
            plan.jump
        );
    }
    let inventory = Arc::new(Inventory::from_yaml(&yaml, "<jump>").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, bastion.known_hosts() + &devices.known_hosts()).unwrap();
    let mut opts = SshOptions::with_known_hosts(known_hosts);
    opts.use_agent = false;
    opts.host_keys = fleetdash::ssh::HostKeyPolicy::Strict;
    opts.timeouts = common::timeouts(Duration::from_secs(5), Duration::from_secs(5));
    opts.password = Some(Secret::new("admin".into()));
    let opts = opts.with_bastions(&inventory, plan.limits);
    Jumped {
        bastion,
        bastion_cfg,
        devices,
        inventory,
        opts,
        _dir: dir,
    }
}

/// Waits (polling) until `cond` holds; fails after [`common::HANG`].
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + common::HANG;
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn exec_behind_a_bastion_rides_one_connection_to_it() {
    let j = jumped(Plan {
        devices: 30,
        ..Plan::default()
    })
    .await;
    let cfg = ExecConfig {
        retries: 0,
        ..ExecConfig::default()
    };
    let results = execute(
        j.behind(),
        cfg,
        SshConnector::new(j.opts.clone()),
        "hostname",
    )
    .await;
    assert_eq!(results.len(), 30);
    for r in &results {
        let out = r
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
        assert_eq!(out.text, format!("{}\n", r.name));
    }
    // Thirty sessions, one connection to the bastion carrying a channel for each.
    assert_eq!(j.bastion.stats().connections, 1);
    assert_eq!(j.bastion.stats().forwards, 30);
    assert_eq!(j.opts.bastions.connections(), 1);
    assert_eq!(j.devices.stats().sessions, 30);
}

#[tokio::test]
async fn two_hops_chain_through_both_bastions() {
    let j = jumped(Plan {
        devices: 2,
        jump: "bastion-1, bastion-2",
        ..Plan::default()
    })
    .await;
    for d in j.devices.devices() {
        let mut s = Session::connect_target(&j.target(&d.name), &j.opts)
            .await
            .unwrap();
        assert_eq!(s.bastion(), Some("bastion-2"));
        assert_eq!(
            s.run("hostname").await.unwrap().text,
            format!("{}\n", d.name)
        );
    }
    // bastion-1 was dialled once and carries the connection to bastion-2, which carries
    // both device sessions.
    assert_eq!(j.bastion.stats().connections, 2);
    assert_eq!(j.bastion.stats().forwards, 1 + 2);
    assert_eq!(j.opts.bastions.connections(), 2);
}

#[tokio::test]
async fn a_failing_bastion_is_one_cause_and_its_own_tile_shows_it() {
    let j = jumped(Plan {
        devices: 10,
        bastion_password: "not-the-one-we-send",
        ..Plan::default()
    })
    .await;
    let inventory = j.inventory.clone();
    let mut engine = Engine::builder(inventory.clone(), EngineConfig::default())
        .exec(ExecSetup {
            config: ExecConfig::default(),
            connector: SshConnector::new(j.opts.clone()),
        })
        .start();
    let behind: Vec<usize> = (2..inventory.devices.len()).collect();
    let run = FleetCommand::Run {
        run: 1,
        devices: behind.clone(),
        command: "hostname".into(),
    };
    engine.state.record(&run, std::time::Instant::now());
    engine.commands.send(run).await.unwrap();
    engine.close_commands();
    while engine.next_batch(|_| {}).await.is_some() {}
    let run = engine.state.exec.get(1).unwrap();
    let mut reasons = std::collections::BTreeSet::new();
    for id in &behind {
        let Some(DeviceRun::Done { result: Err(e), .. }) = run.per_device.get(id) else {
            panic!("{id}: {:?}", run.per_device.get(id));
        };
        reasons.insert(e.to_string());
    }
    // Ten devices, one reason, naming the bastion and the stage that failed there.
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    let reason = reasons.pop_first().unwrap();
    assert!(
        reason.starts_with(
            "connect: via bastion-1: auth failed: authentication failed for user admin"
        ),
        "{reason}"
    );
    // Ten devices with retries made one attempt on the bastion (the failure is shared).
    assert_eq!(j.bastion.stats().connections, 1);
    assert_eq!(j.devices.stats().connections, 0);
    // The bastion's own tile says it failed, as a bastion.
    match &engine.state.exec.links[0] {
        Link::Failed { reason } => {
            assert!(reason.starts_with("as a bastion: auth failed"), "{reason}")
        }
        other => panic!("bastion-1's link: {other:?}"),
    }
}

#[tokio::test]
async fn a_bastion_that_drops_fails_the_command_in_flight_and_the_next_session_reconnects() {
    let j = jumped(Plan {
        devices: 1,
        scenario: SLOW,
        limits: BastionLimits {
            retry_after: Duration::ZERO,
            ..BastionLimits::default()
        },
        ..Plan::default()
    })
    .await;
    let Jumped {
        bastion,
        bastion_cfg,
        devices,
        opts,
        inventory,
        ..
    } = j;
    let t = Target::from_device(&inventory.devices[2]);
    let mut s = Session::connect_target(&t, &opts).await.unwrap();
    let port = bastion.devices()[0].addr.port();
    let running = tokio::spawn(async move { s.run("hostname").await });
    // The command waits 1.5 s for its answer; the bastion goes away meanwhile.
    eventually("the command reached the device", || {
        devices.command_count("x-r1", "hostname") == 1
    })
    .await;
    bastion.stop().await;
    let e = running.await.unwrap().unwrap_err();
    assert!(
        e.reason.starts_with("via bastion-1: connection dropped ("),
        "{e}"
    );
    assert!(e.maybe_ran, "{e:?}");
    // The bastion comes back on the same address: the next session reconnects to it.
    let again = Lab::start(LabConfig {
        port,
        ..bastion_cfg
    })
    .await
    .unwrap();
    let mut s = Session::connect_target(&t, &opts).await.unwrap();
    assert_eq!(s.run("hostname").await.unwrap().text, "x-r1\n");
    assert_eq!(opts.bastions.connections(), 2);
    assert_eq!(again.stats().connections, 1);
}

#[tokio::test]
async fn the_channel_budget_holds_and_idle_sessions_give_their_channel_back() {
    let j = jumped(Plan {
        devices: 8,
        limits: BastionLimits {
            channels: 3,
            ..BastionLimits::default()
        },
        ..Plan::default()
    })
    .await;
    let mut sessions = Vec::new();
    for d in j.devices.devices() {
        let mut s = Session::connect_target(&j.target(&d.name), &j.opts)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", d.name));
        assert_eq!(
            s.run("hostname").await.unwrap().text,
            format!("{}\n", d.name)
        );
        sessions.push(s);
    }
    // Eight sessions were served, never more than three open through the bastion.
    eventually("the devices see at most 3 sessions", || {
        j.devices.stats().active_sessions <= 3
    })
    .await;
    let open: Vec<bool> = sessions.iter().map(|s| !s.is_closed()).collect();
    assert_eq!(open.iter().filter(|o| **o).count(), 3, "{open:?}");
    // The oldest gave theirs up first; it says so, and a new session takes it back.
    assert!(sessions[0].is_closed() && !sessions[7].is_closed());
    let e = sessions[0].run("hostname").await.unwrap_err();
    assert!(
        e.reason.contains("went to another device") || e.reason.contains("closed"),
        "{e}"
    );
    assert_eq!(j.bastion.stats().connections, 1);
}

#[tokio::test]
async fn devices_behind_a_bastion_are_probed_through_it() {
    let mut j = jumped(Plan {
        devices: 3,
        ..Plan::default()
    })
    .await;
    // Only the devices behind (the bastions' own probes would be TCP connects to them),
    // and one whose port nobody listens on.
    let mut inventory = (*j.behind()).clone();
    let mut gone = inventory.devices[0].clone();
    gone.name = "gone".into();
    gone.port = 1;
    gone.probe = fleetdash::inventory::ProbeSpec::Tcp(1);
    inventory.devices.push(gone);
    j.inventory = Arc::new(inventory);
    let via = ViaBastion::new(&j.inventory, j.opts.clone());
    assert_eq!(via.len(), 4);
    let targets = fleetdash::probe::targets_from_inventory(&j.inventory);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ProbeEvent>(64);
    let cfg = SweepConfig {
        count: Some(1),
        timeout: Duration::from_secs(2),
        ..SweepConfig::default()
    };
    let mode = ProbeMode::TcpFallback {
        reason: "test".into(),
        enable: String::new(),
    };
    let _sweeper = fleetdash::probe::spawn_sweeper_via(targets, cfg, mode, Some(via), tx);
    let mut outcomes = std::collections::BTreeMap::new();
    while let Some(e) = rx.recv().await {
        if let ProbeEvent::Probes(results) = e {
            for r in results {
                outcomes.insert(j.inventory.devices[r.device].name.clone(), r.outcome);
            }
        }
    }
    for d in j.devices.devices() {
        assert!(
            matches!(outcomes[&d.name], ProbeOutcome::Reply { .. }),
            "{}: {:?}",
            d.name,
            outcomes[&d.name]
        );
    }
    match &outcomes["gone"] {
        ProbeOutcome::Failed { reason } => {
            assert!(reason.starts_with("bastion-1 cannot reach "), "{reason}")
        }
        other => panic!("gone: {other:?}"),
    }
    // The four behind share one connection to the bastion.
    assert_eq!(j.bastion.stats().connections, 1);
    assert_eq!(j.bastion.stats().forwards, 4 - 1);
}

/// OpenSSH's client as the transport (`ssh -W %h:%p`), into the lab bastion with a key, in
/// batch mode, with the test's own config and known_hosts; the proxy is killed with the
/// session.
#[tokio::test]
async fn proxy_command_with_openssh_ssh_w() {
    if Command::new("ssh").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("openssh-client is not installed");
        }
        return println!("SKIPPED: openssh-client is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(dir.path().join("id.pub")).unwrap();
    let public = russh::keys::PublicKey::from_openssh(public.trim()).unwrap();
    let mut cfg = common::lab(BASTION).devices(1).seed(5).config();
    cfg.authorized_keys = vec![public];
    let bastion = Lab::start(cfg).await.unwrap();
    let devices = common::lab(DEVICES).devices(1).seed(6).start().await;
    let b = &bastion.devices()[0];
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, bastion.known_hosts() + &devices.known_hosts()).unwrap();
    let config = dir.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host jumpbox\n  HostName {}\n  Port {}\n  User admin\n  IdentityFile {}\n  \
             IdentitiesOnly yes\n  BatchMode yes\n  UserKnownHostsFile {}\n  \
             GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n",
            b.addr.ip(),
            b.addr.port(),
            key.display(),
            known.display()
        ),
    )
    .unwrap();
    let d = &devices.devices()[0];
    let inventory = Inventory::from_yaml(
        &format!(
            "devices:\n  - {{name: {}, host: {}, port: {}, platform: linux, username: admin}}\n",
            d.name,
            d.addr.ip(),
            d.addr.port()
        ),
        "<proxy>",
    )
    .unwrap();
    let mut t = Target::from_device(&inventory.devices[0]);
    t.proxy_command = Some(format!("exec ssh -F {} -W %h:%p jumpbox", config.display()));
    let mut opts = SshOptions::with_known_hosts(known);
    opts.use_agent = false;
    opts.password = Some(Secret::new("admin".into()));
    let mut s = Session::connect_target(&t, &opts).await.unwrap();
    assert_eq!(
        s.run("hostname").await.unwrap().text,
        format!("{}\n", d.name)
    );
    assert_eq!(bastion.stats().connections, 1);
    assert_eq!(bastion.stats().forwards, 1);
    drop(s);
    // The `ssh` process goes with the session: the bastion sees its connection end.
    eventually("the proxy command ended", || {
        bastion.stats().active_sessions == 0
    })
    .await;
    // A proxy command that cannot connect says what it printed nowhere but the log, and the
    // session fails at the handshake, not hangs.
    t.proxy_command = Some("exit 3".into());
    let e = Session::connect_target(&t, &opts).await.err().unwrap();
    assert_eq!(e.stage, fleetdash::fleet::Stage::Handshake, "{e}");
}

#[tokio::test]
async fn with_every_channel_busy_a_new_session_waits_then_says_why() {
    let j = jumped(Plan {
        devices: 2,
        scenario: "name: x\nsites: [x]\nroles:\n  - {role: r, platform: linux, count: 1}\n\
                   faults:\n  - devices: [x-r1]\n    latency: 3s\n",
        limits: BastionLimits {
            channels: 1,
            ..BastionLimits::default()
        },
        ..Plan::default()
    })
    .await;
    let mut slow = Session::connect_target(&j.target("x-r1"), &j.opts)
        .await
        .unwrap();
    let running = tokio::spawn(async move { slow.run("hostname").await });
    eventually("the slow command runs", || {
        j.devices.command_count("x-r1", "hostname") == 1
    })
    .await;
    // The one channel is busy with a command: it is not taken back, and the wait ends.
    let mut opts = j.opts.clone();
    opts.timeouts.connect = Duration::from_millis(300);
    let e = Session::connect_target(&j.target("x-r2"), &opts)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, fleetdash::fleet::Stage::Channel, "{e}");
    assert!(
        e.reason
            .starts_with("all 1 channels through bastion bastion-1 stayed busy"),
        "{e}"
    );
    assert_eq!(running.await.unwrap().unwrap().text, "x-r1\n");
    // Once it is idle again, the next session takes it.
    let mut s = Session::connect_target(&j.target("x-r2"), &j.opts)
        .await
        .unwrap();
    assert_eq!(s.run("hostname").await.unwrap().text, "x-r2\n");
}
