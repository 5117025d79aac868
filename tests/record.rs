//! The flight recorder on a real lab session: devices on loopback probed by the engine's
//! sweeper (TCP service checks on their SSH ports), one of them stopped and started again,
//! a command run over SSH on the others; then `fleetdash report` (the binary) finds the
//! outage of the right device, in the right order, and the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fleetdash::engine::{Engine, EngineConfig, ExecSetup, Probes};
use fleetdash::exec::{Command, ExecConfig, SshConnector};
use fleetdash::fleet::{FleetConfig, Reach, State};
use fleetdash::inventory::{Inventory, ProbeSpec};
use fleetdash::lab::Lab;
use fleetdash::probe::{Rate, SweepConfig};
use fleetdash::record::format::{ReachRec, Record};
use fleetdash::record::{Limits, load};

mod common;

const PASSWORD: &str = "rec-Pw-5581";

/// Folds events until `done` holds for the state (a hang fails the test).
async fn until(engine: &mut Engine, what: &str, done: impl Fn(&State) -> bool) {
    let wait = async {
        while !done(&engine.state) {
            engine.next_batch(|_| {}).await.expect("the engine ended");
        }
    };
    tokio::time::timeout(common::HANG, wait)
        .await
        .unwrap_or_else(|_| panic!("waited too long for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_lab_session_reports_the_outage_and_the_run() {
    let a =
        common::lab("name: a\nsites: [a]\nroles:\n  - {role: sw, platform: cisco_ios, count: 2}\n")
            .devices(2)
            .password(PASSWORD)
            .setup()
            .await;
    // The device that goes away: its own lab, on a fixed port so it comes back where it was.
    let b_config =
        common::lab("name: b\nsites: [b]\nroles:\n  - {role: sw, platform: cisco_ios, count: 1}\n")
            .devices(1)
            .with(|c| c.port = 2222)
            .config();
    let b = Lab::start(b_config.clone()).await.unwrap();
    let b_inventory = Inventory::from_yaml(&b.inventory_yaml(), "<lab b>").unwrap();
    let mut devices = a.inventory.devices.clone();
    devices.extend(b_inventory.devices);
    // A service check on the SSH port: a refused connect is down.
    for d in &mut devices {
        d.probe = ProbeSpec::Tcp(d.port);
    }
    let gone = devices[2].name.clone();
    let inventory = Arc::new(Inventory {
        source: "lab a + b".into(),
        devices,
        ..Inventory::default()
    });
    let path = a.dir.path().join("window.jsonl");
    let tap = fleetdash::record::recorder(&path, "dashboard", &inventory).unwrap();
    let config = EngineConfig {
        fleet: FleetConfig::default(),
        probes: Some(Probes {
            sweep: SweepConfig {
                interval: Duration::from_millis(200),
                timeout: Duration::from_millis(500),
                rate: Rate::Unlimited,
                count: None,
            },
            only: None,
            via_bastion: None,
        }),
        ..EngineConfig::default()
    };
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(a.opts.clone()),
    };
    let mut engine = Engine::builder(inventory.clone(), config)
        .exec(exec)
        .tap(tap)
        .start();
    let all = |want: Reach| move |s: &State| s.devices.iter().all(|d| d.reach == want);
    until(&mut engine, "every device up", all(Reach::Up)).await;
    b.stop().await;
    until(&mut engine, "the stopped device down", |s| {
        s.devices[2].reach == Reach::Down
    })
    .await;
    let b = Lab::start(b_config).await.unwrap();
    until(&mut engine, "the device back", all(Reach::Up)).await;
    let run = Command::Run {
        run: 1,
        devices: vec![0, 1],
        command: "show version".into(),
    };
    engine.record(&run, Instant::now());
    engine.commands.send(run).await.unwrap();
    until(&mut engine, "the run", |s| {
        s.exec.get(1).is_some_and(|r| r.progress().finished())
    })
    .await;
    drop(engine);
    b.stop().await;
    a.lab.stop().await;

    // The file: the outage in order, then the run; the password never.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(PASSWORD));
    let recording = load(&path, Limits::default()).unwrap();
    assert!(recording.issues.is_empty(), "{:?}", recording.issues);
    let order: Vec<String> = (recording.entries.iter())
        .filter_map(|e| match &e.record {
            Record::Transition(t) if t.device == gone && t.from != ReachRec::Unknown => {
                Some(format!("{} {}", t.device, t.to.as_str()))
            }
            Record::Run(r) => Some(format!("run {}", r.command)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            format!("{gone} down"),
            format!("{gone} up"),
            "run show version".to_string()
        ]
    );
    let Some(Record::End { dropped: 0 }) = recording.entries.last().map(|e| &e.record) else {
        panic!("no clean end: {:?}", recording.entries.last());
    };

    // The report, from the binary: Markdown and JSON.
    let report = |json: bool| {
        let mut cmd = common::fleetdash();
        cmd.arg("report").arg(&path);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&report(true)).unwrap();
    let outages = json["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 1, "{json:#}");
    assert_eq!(outages[0]["device"], gone.as_str());
    assert!(outages[0]["end"].as_str().unwrap() > outages[0]["start"].as_str().unwrap());
    assert_eq!(json["runs"][0]["command"], "show version");
    assert_eq!(json["runs"][0]["ok"], 2);
    assert_eq!(json["runs"][0]["failed"].as_array().unwrap().len(), 0);
    let markdown = report(false);
    assert!(markdown.contains(&format!("| {gone} | ")), "{markdown}");
    assert!(markdown.contains("| #1 | "), "{markdown}");
}

#[test]
fn report_and_replay_refuse_a_file_that_is_not_a_recording_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(&path, "\u{1b}[2Jhello\n{\"v\":1}\n").unwrap();
    for sub in ["report", "replay"] {
        let out = common::fleetdash().arg(sub).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{sub}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("no start record"), "{sub}: {err}");
        assert!(err.contains("x.jsonl:1: not JSON"), "{sub}: {err}");
        assert!(!err.contains('\u{1b}'), "{sub}: {err:?}");
    }
}

#[test]
fn a_second_recorder_of_the_same_file_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.jsonl");
    let inventory = fleetdash::testkit::inventory(1);
    let _first = fleetdash::record::recorder(&path, "dashboard", &inventory).unwrap();
    let err = fleetdash::record::recorder(&path, "sweep", &inventory)
        .err()
        .unwrap();
    assert!(
        err.contains("w.jsonl is in use by another fleetdash process"),
        "{err}"
    );
    // And the binary says so with exit 2.
    std::fs::write(
        dir.path().join("inv.yaml"),
        "devices:\n  - {name: a, host: 127.0.0.1}\n",
    )
    .unwrap();
    let out = common::fleetdash()
        .args(["sweep", "--record"])
        .arg(&path)
        .arg(dir.path().join("inv.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("is in use by another fleetdash process"),
        "{err}"
    );
}

/// `exec --record`: each device's outcome, a failed login with its stage, never the output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_records_each_devices_outcome_without_its_output() {
    let s = common::lab(
        "name: x\nsites: [x]\nroles:\n  - {role: ios, platform: cisco_ios, count: 1}\n  \
         - {role: bad, platform: cisco_ios, count: 1}\nfaults:\n  - devices: [x-bad1]\n    \
         auth_failure: true\n",
    )
    .devices(2)
    .password(PASSWORD)
    .setup()
    .await;
    let path = s.dir.path().join("exec.jsonl");
    let tap = fleetdash::record::recorder(&path, "exec", &s.inventory).unwrap();
    let runs = vec![(vec![0, 1], "show version".to_string())];
    let cfg = ExecConfig {
        retries: 0,
        ..ExecConfig::default()
    };
    let connector = SshConnector::new(s.opts.clone());
    let results = fleetdash::headless::exec::execute_runs_with(
        s.inventory.clone(),
        cfg,
        connector,
        runs,
        |_| {},
        |builder| fleetdash::record::attach(builder, Some(tap)),
    )
    .await;
    assert!(results[0].ok() && !results[1].ok(), "{results:?}");
    s.lab.stop().await;
    let text = std::fs::read_to_string(&path).unwrap();
    let output = results[0]
        .result
        .as_ref()
        .unwrap()
        .text
        .lines()
        .next()
        .unwrap();
    assert!(
        !text.contains(output),
        "the output reached the recording:\n{text}"
    );
    let recording = load(&path, Limits::default()).unwrap();
    let outcomes: Vec<(String, bool, Option<String>)> = (recording.entries.iter())
        .filter_map(|e| match &e.record {
            Record::Outcome(o) => Some((o.device.clone(), o.ok, o.stage.clone())),
            _ => None,
        })
        .collect();
    let mut outcomes = outcomes;
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("x-bad1".to_string(), false, Some("auth".to_string())),
            ("x-ios1".to_string(), true, None),
        ]
    );
    assert_eq!(recording.start.front_end, "exec");
}
