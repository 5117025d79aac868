//! `fleetdash exec` end to end: the library's `execute` with the russh connector against an
//! in-process device lab on loopback (a block each, from `common`).

use std::sync::Arc;
use std::time::Duration;

use crate::common::Setup;
use fleetdash::exec::{ExecConfig, Journal, Secrets, SshConnector};
use fleetdash::fleet::Stage;
use fleetdash::headless::exec::{DeviceResult, execute, folded};

const SCENARIO: &str = r#"
name: x
sites: [x]
roles:
  - {role: ios, platform: cisco_ios, count: 2}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: linux, platform: linux, count: 1}
  - {role: bad, platform: cisco_ios, count: 3}
faults:
  - devices: [x-bad1]
    auth_failure: true
  - devices: [x-bad2]
    tarpit: true
  - devices: [x-bad3]
    max_sessions: 1
"#;

/// The lab password; unique so masking it cannot hide ordinary output.
const PASSWORD: &str = "lab-Pw-93127";

/// The lab of [`SCENARIO`] with 8 devices, login timeouts of 1.5 s.
pub async fn setup() -> Setup {
    let mut s = crate::common::lab(SCENARIO)
        .devices(8)
        .seed(11)
        .password(PASSWORD)
        .setup()
        .await;
    s.opts.timeouts = crate::common::timeouts(Duration::from_millis(1500), Duration::from_secs(5));
    s
}

fn by_name<'a>(results: &'a [DeviceResult], name: &str) -> &'a DeviceResult {
    results.iter().find(|r| r.name == name).unwrap()
}

#[tokio::test]
async fn exec_against_the_lab() {
    let s = setup().await;
    let path = s.dir.path().join("audit.jsonl");
    let journal = Journal::open(&path, Secrets::new([PASSWORD.to_string()])).unwrap();
    let cfg = ExecConfig {
        journal: Some(Arc::new(journal)),
        retries: 0,
        ..ExecConfig::default()
    };
    let connector = SshConnector::new(s.opts.clone());
    let results = execute(s.inventory.clone(), cfg, connector, "show version").await;

    for name in ["x-ios1", "x-ios2", "x-bad3"] {
        let r = by_name(&results, name);
        assert!(r.ok(), "{name}: {:?}", r.result);
        let text = &r.result.as_ref().unwrap().text;
        assert!(
            text.contains("Cisco IOS Software") && text.contains(name),
            "{text}"
        );
        // The prompt and the echoed command are not part of the answer.
        assert!(!text.contains(&format!("{name}#")), "{text}");
    }
    assert!(
        by_name(&results, "x-eos1")
            .result
            .as_ref()
            .unwrap()
            .text
            .contains("Arista")
    );
    assert!(
        by_name(&results, "x-junos1")
            .result
            .as_ref()
            .unwrap()
            .text
            .contains("Junos:")
    );
    let linux = by_name(&results, "x-linux1");
    assert_eq!(linux.result.as_ref().unwrap().exit_status, Some(127));
    assert!(!linux.ok());
    assert_eq!(
        by_name(&results, "x-bad1")
            .result
            .as_ref()
            .unwrap_err()
            .stage,
        Stage::Auth
    );
    let tarpit = by_name(&results, "x-bad2").result.clone().unwrap_err();
    assert_eq!(tarpit.stage, Stage::Handshake, "{tarpit}");

    let text = folded(&results);
    assert!(text.contains("x-linux1 (1) — exit status 127"), "{text}");
    assert!(text.contains("FAILED\n  x-bad1 (1): auth: "), "{text}");

    // Journal: a start and an end line for each of the six devices the command reached.
    let journal = std::fs::read_to_string(&path).unwrap();
    assert!(!journal.contains(PASSWORD));
    let lines: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    for phase in ["start", "end"] {
        assert_eq!(lines.iter().filter(|l| l["phase"] == phase).count(), 6);
    }
    assert!(
        lines
            .iter()
            .all(|l| l["device"] != "x-bad1" && l["device"] != "x-bad2")
    );
}

#[tokio::test]
async fn queued_commands_share_one_session_per_device() {
    use fleetdash::exec::spawn_exec;
    use fleetdash::fleet::{Command, Event, ExecEvent};

    let s = setup().await;
    let ios1 = s
        .inventory
        .devices
        .iter()
        .position(|d| d.name == "x-ios1")
        .unwrap();
    let bad3 = s
        .inventory
        .devices
        .iter()
        .position(|d| d.name == "x-bad3")
        .unwrap();
    let (commands, rx) = tokio::sync::mpsc::channel(8);
    let (tx, mut events) = tokio::sync::mpsc::channel(256);
    let _engine = spawn_exec(
        s.inventory.clone(),
        ExecConfig::default(),
        SshConnector::new(s.opts.clone()),
        rx,
        tx,
    );
    let asked = [
        "show clock",
        "show version",
        "show bogus",
        "show ip interface brief",
    ];
    for (run, command) in asked.iter().enumerate() {
        let command = command.to_string();
        let devices = vec![ios1, bad3];
        commands
            .send(Command::Run {
                run: run as u64,
                devices,
                command,
            })
            .await
            .unwrap();
    }
    let mut results = Vec::new();
    while results.len() < 8 {
        if let Some(Event::Exec(ExecEvent::Finished {
            run,
            device,
            result,
            ..
        })) = events.recv().await
        {
            results.push((run, device, result));
        }
    }
    for (run, device, result) in &results {
        let out = result.as_ref().expect("every command answered");
        // `show bogus` is refused by the device: an error marker, not a transport error.
        assert_eq!(
            out.error_marker.is_some(),
            *run == 2,
            "run {run} on {device}: {out:?}"
        );
    }
    // x-bad3 accepts one session at a time: all four arrived, on the same session.
    for name in ["x-ios1", "x-bad3"] {
        let seen = s.lab.commands(name);
        let texts: Vec<&str> = seen.iter().map(|c| c.text.as_str()).collect();
        for command in asked {
            assert!(texts.contains(&command), "{name}: {texts:?}");
        }
        let sessions: std::collections::BTreeSet<u64> = seen.iter().map(|c| c.session).collect();
        assert_eq!(sessions.len(), 1, "{name}: {seen:?}");
    }
}
