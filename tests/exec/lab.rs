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

const PROMPT_FAULTS: &str = r#"
name: p
sites: [p]
roles:
  - {role: hung, platform: cisco_ios, count: 1}
  - {role: idle, platform: cisco_ios, count: 1}
  - {role: shellonly, platform: linux, count: 1}
faults:
  - devices: [p-hung1]
    no_prompt: true
    motd: "Welcome to the \e[31mhung\e[0m box\nr9#\n"
  - devices: [p-idle1]
    idle_timeout: 1s
  - devices: [p-shellonly1]
    refuse_exec: true
"#;

async fn prompt_faults() -> Setup {
    let mut s = crate::common::lab(PROMPT_FAULTS)
        .devices(3)
        .seed(5)
        .password(PASSWORD)
        .setup()
        .await;
    s.opts.timeouts = crate::common::timeouts(Duration::from_secs(5), Duration::from_secs(5));
    s
}

/// A device that logs us in and never shows a prompt fails once, at stage `prompt`, with
/// what it sent quoted and made inert — not three times at `connect` or `channel` after the
/// full timeout. The stage is the same in the folded text and the JSON lines.
#[tokio::test]
async fn a_device_without_a_prompt_fails_once_at_the_prompt_stage() {
    use fleetdash::headless::exec::json_lines;

    let s = prompt_faults().await;
    let before = s.lab.stats().sessions;
    let results = execute(
        s.inventory.clone(),
        ExecConfig::default(),
        SshConnector::new(s.opts.clone()),
        "show version",
    )
    .await;
    let hung = by_name(&results, "p-hung1");
    let e = hung.result.clone().unwrap_err();
    assert_eq!(e.stage, Stage::Prompt, "{e}");
    assert!(!e.maybe_ran, "{e}");
    assert!(
        e.reason.contains("hung"),
        "the device's bytes are quoted: {e}"
    );
    assert!(e.reason.contains("r9#"), "{e}");
    assert!(
        !e.reason.contains('\x1b'),
        "quoted bytes are sanitized: {e:?}"
    );
    // One login per device: the hung one was not tried again.
    assert_eq!(s.lab.stats().sessions - before, 3, "not retried: {e}");
    assert_eq!(s.lab.command_count("p-hung1", "show version"), 0);
    let text = folded(&results);
    assert!(text.contains("p-hung1 (1): prompt: "), "{text}");
    let json = json_lines(&results);
    let line = json.lines().find(|l| l.contains("p-hung1")).unwrap();
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["stage"], "prompt", "{line}");
}

/// Accept-new learns the key, then the prompt stage fails: the operator still hears of the
/// key, once, as a notice.
#[tokio::test]
async fn a_key_learned_before_the_prompt_failed_is_told_once() {
    use fleetdash::exec::spawn_exec;
    use fleetdash::fleet::{Command, Event, ExecEvent};
    use fleetdash::ssh::HostKeyPolicy;

    let mut s = prompt_faults().await;
    std::fs::write(&s.known_hosts, "").unwrap();
    s.opts.host_keys = HostKeyPolicy::AcceptNew;
    let hung = s
        .inventory
        .devices
        .iter()
        .position(|d| d.name == "p-hung1")
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
    commands
        .send(Command::Run {
            run: 1,
            devices: vec![hung],
            command: "show version".into(),
        })
        .await
        .unwrap();
    let mut notices = Vec::new();
    let result = loop {
        match events.recv().await.expect("events") {
            Event::Notice { text, .. } => notices.push(text),
            Event::Exec(ExecEvent::Finished { result, .. }) => break result,
            _ => {}
        }
    };
    let e = result.unwrap_err();
    assert_eq!(e.stage, Stage::Prompt, "{e}");
    let learned: Vec<_> = notices
        .iter()
        .filter(|n| n.contains("p-hung1") || n.contains("learned"))
        .collect();
    assert_eq!(learned.len(), 1, "{notices:?}");
    assert!(
        std::fs::read_to_string(&s.known_hosts)
            .unwrap()
            .contains("ssh-"),
        "the key was learned"
    );
}

/// A device that hangs up idle sessions (IOS `exec-timeout`): the next command logs in
/// again by itself and runs once; a linux host that refuses exec requests answers through
/// a shell, for the whole session.
#[tokio::test]
async fn idle_hang_ups_reconnect_and_exec_refusals_use_a_shell() {
    use fleetdash::exec::spawn_exec;
    use fleetdash::fleet::{Command, Event, ExecEvent};
    use fleetdash::lab::Via;

    let s = prompt_faults().await;
    let pos = |name: &str| {
        s.inventory
            .devices
            .iter()
            .position(|d| d.name == name)
            .unwrap()
    };
    let (idle, shell_only) = (pos("p-idle1"), pos("p-shellonly1"));
    let (commands, rx) = tokio::sync::mpsc::channel(8);
    let (tx, mut events) = tokio::sync::mpsc::channel(256);
    let _engine = spawn_exec(
        s.inventory.clone(),
        ExecConfig::default(),
        SshConnector::new(s.opts.clone()),
        rx,
        tx,
    );
    let mut answers = Vec::new();
    for (run, command) in [(1, "show clock"), (2, "show clock")] {
        if run == 2 {
            // Longer than the device's idle timeout: it hangs up in between.
            tokio::time::sleep(Duration::from_millis(1600)).await;
        }
        commands
            .send(Command::Run {
                run,
                devices: vec![idle],
                command: command.into(),
            })
            .await
            .unwrap();
        let result = loop {
            if let Some(Event::Exec(ExecEvent::Finished { result, .. })) = events.recv().await {
                break result;
            }
        };
        answers.push(result);
    }
    for a in &answers {
        let out = a.as_ref().expect("both answered");
        assert!(out.text.contains("UTC"), "{out:?}");
    }
    assert_eq!(
        s.lab.command_count("p-idle1", "show clock"),
        2,
        "each sent once"
    );
    let sessions: std::collections::BTreeSet<u64> = s
        .lab
        .commands("p-idle1")
        .iter()
        .map(|c| c.session)
        .collect();
    assert_eq!(sessions.len(), 2, "a second login after the hang-up");

    for run in [3, 4] {
        commands
            .send(Command::Run {
                run,
                devices: vec![shell_only],
                command: "uname -a".into(),
            })
            .await
            .unwrap();
        let result = loop {
            if let Some(Event::Exec(ExecEvent::Finished { result, .. })) = events.recv().await {
                break result;
            }
        };
        let out = result.expect("answered through the shell");
        assert!(out.text.starts_with("Linux p-shellonly1 "), "{out:?}");
        assert!(!out.text.contains("$ "), "no prompt in the answer: {out:?}");
    }
    let seen = s.lab.commands("p-shellonly1");
    let unames: Vec<_> = seen.iter().filter(|c| c.text == "uname -a").collect();
    assert_eq!(unames.len(), 2, "{seen:?}");
    assert!(unames.iter().all(|c| c.via == Via::Shell), "{seen:?}");
}

/// Cancel aborts a connect in progress at once: a device that accepts TCP and never sends
/// its banner (tarpit) is counted as connecting (not queued) and, cancelled, ends as
/// cancelled, not as a handshake timeout long after.
#[tokio::test]
async fn cancel_aborts_a_connect_in_progress() {
    use fleetdash::exec::spawn_exec;
    use fleetdash::fleet::{Command, DeviceRun, Event, ExecEvent, FleetConfig, State};

    let mut s = setup().await;
    // Longer than the test waits for anything: only the cancel can end this connect.
    s.opts.timeouts = crate::common::timeouts(Duration::from_secs(120), Duration::from_secs(5));
    let tarpit = (s.inventory.devices.iter())
        .position(|d| d.name == "x-bad2")
        .unwrap();
    let (commands, rx) = tokio::sync::mpsc::channel(8);
    let (tx, mut events) = tokio::sync::mpsc::channel(256);
    let cfg = ExecConfig {
        retries: 0,
        connect_timeout: Duration::from_secs(300),
        ..ExecConfig::default()
    };
    let _engine = spawn_exec(
        s.inventory.clone(),
        cfg,
        SshConnector::new(s.opts.clone()),
        rx,
        tx,
    );
    let origin = (std::time::Instant::now(), std::time::SystemTime::now());
    let mut fleet = State::new(s.inventory.clone(), FleetConfig::default(), origin);
    let run = Command::Run {
        run: 1,
        devices: vec![tarpit],
        command: "show version".into(),
    };
    fleet.record(&run, origin.0);
    commands.send(run).await.unwrap();

    let mut seen: Vec<Event> = Vec::new();
    crate::common::until(
        &mut events,
        &mut seen,
        "connecting",
        |e| matches!(e, Event::Exec(ExecEvent::Connecting { device, .. }) if *device == tarpit),
    )
    .await;
    seen.drain(..).for_each(|e| fleet.apply(e));
    let p = fleet.exec.get(1).unwrap().progress();
    assert_eq!((p.connecting, p.queued), (1, 0), "connecting is not queued");

    let cancel = Command::Cancel { run: 1 };
    fleet.record(&cancel, origin.0);
    commands.send(cancel).await.unwrap();
    crate::common::until(
        &mut events,
        &mut seen,
        "finished",
        |e| matches!(e, Event::Exec(ExecEvent::Finished { device, .. }) if *device == tarpit),
    )
    .await;
    seen.drain(..).for_each(|e| fleet.apply(e));
    let run = fleet.exec.get(1).unwrap();
    assert!(run.progress().finished() && run.cancel_requested);
    match &run.per_device[&tarpit] {
        DeviceRun::Done { result: Err(e), .. } => assert_eq!(e.stage, Stage::Cancelled, "{e}"),
        other => panic!("not cancelled: {other:?}"),
    }
}
