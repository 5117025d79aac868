//! The rollout executor against the device lab over real SSH on loopback (a block each):
//! a clean rollout, thresholds (canary halt, percentage across waves, rollback), pause and
//! resume, abort, manual approval, the journal's resume, and the headless binary (refusal
//! without --yes, `kill -9` mid-wave then `--resume` with no step run twice).

mod common;
#[path = "rollout/harness.rs"]
mod harness;
#[path = "rollout/kill.rs"]
mod kill;
#[path = "rollout/trust.rs"]
mod trust;

use fleetdash::rollout::event::{Control, Outcome, RolloutEvent};
use fleetdash::rollout::journal::{Edge, Record, Resume, RolloutJournal, Stage, plan_hash, replay};
use fleetdash::rollout::report::{DeviceState, RunState};
use harness::{LAB, SLOW_LAB, device, setup, start};

const NTP: &str = "ntp server 127.0.0.123";

fn ntp_plan(target: &str, strategy: &str, max_fail: &str) -> String {
    format!(
        r#"
name: ntp
target: "{target}"
strategy:
{strategy}
pre_checks:
  - name: no ntp yet
    command: show running-config
    not_contains: "{NTP}"
snapshot: show running-config
steps:
  - config: ["{NTP}"]
    save: true
post_checks:
  - name: ntp configured
    command: show running-config
    contains: "{NTP}"
  - name: interfaces readable
    command: show ip interface brief
    not_contains: "% Error"
rollback:
  - config: ["no {NTP}"]
{max_fail}
"#
    )
}

#[tokio::test]
async fn clean_rollout_lands_everywhere_once() {
    let s = setup(LAB).await;
    let yaml = ntp_plan(
        "r-ok*",
        "  canary: 1\n  batches: [2, \"50%\"]",
        "max_fail: 0",
    );
    let run = start(&s, &yaml, 4, None);
    let (journal, report) = (run.journal.clone(), run.report.clone());
    let (f, events) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Completed, "{:#?}", f.devices);
    let sizes: Vec<usize> = f.waves.iter().map(|w| w.devices.len()).collect();
    assert_eq!(sizes, [1, 2, 3]);
    assert!(f.waves.iter().all(|w| w.state == RunState::Completed));
    for i in 1..=6 {
        let name = format!("r-ok{i}");
        let d = device(&f, &name);
        assert_eq!(d.state, DeviceState::Done, "{name}: {:?}", d.reason);
        assert!(d.post_checks.iter().all(|c| c.passed));
        assert!(d.post_checks[0].output.contains(NTP));
        assert!(s.lab.config_text(&name).unwrap().contains(NTP));
        assert_eq!(s.lab.command_count(&name, NTP), 1, "{name}");
        assert_ne!(d.snapshot_pre, d.snapshot_post);
    }
    // The bad devices are outside the target: never touched.
    assert!(s.lab.commands("r-bad1").is_empty());
    // Each wave ends with a line in the log.
    let logged = |text: &str| {
        events
            .iter()
            .any(|e| matches!(e, RolloutEvent::Log { text: t, .. } if t == text))
    };
    assert!(logged("wave 1 completed: 1 done"), "{events:#?}");
    assert!(logged("wave 3 completed: 3 done"));
    // Events tell the whole story, ending with the report.
    assert!(matches!(
        events.last(),
        Some(RolloutEvent::Finished {
            outcome: Outcome::Completed,
            report: Some(_)
        })
    ));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("completed") && md.contains("r-ok6"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["devices"].as_array().unwrap().len(), 6);
    // The journal replays to "all done": a resume would touch nothing.
    let r = replay(&journal, "ntp", &plan_hash(&yaml)).unwrap();
    assert_eq!(r.resume("r-ok3"), Resume::Final(DeviceState::Done, None));
}

#[tokio::test]
async fn threshold_halts_after_the_canary() {
    let s = setup(LAB).await;
    // r-bad1 comes first in name order: it is the canary, and breaks once changed.
    let yaml = ntp_plan("all", "  canary: 1\n  serial: 3", "max_fail: 0");
    let (f, _) = start(&s, &yaml, 4, None).finish().await;
    assert_eq!(f.outcome, Outcome::Halted);
    assert!(
        f.reason.as_deref().unwrap().contains("max_fail"),
        "{:?}",
        f.reason
    );
    let canary = device(&f, "r-bad1");
    assert_eq!(canary.state, DeviceState::Failed);
    assert!(
        canary
            .reason
            .as_deref()
            .unwrap()
            .contains("interfaces readable"),
        "{:?}",
        canary.reason
    );
    assert_eq!(f.waves[0].state, RunState::Halted);
    for d in f.devices.iter().filter(|d| d.name != "r-bad1") {
        assert_eq!(d.state, DeviceState::Skipped, "{}", d.name);
        assert!(s.lab.commands(&d.name).is_empty(), "{} was touched", d.name);
    }
}

#[tokio::test]
async fn percentage_threshold_counts_across_waves() {
    let s = setup(LAB).await;
    // 20% of 8 devices: one failure is tolerated, the second is not. r-bad1 (the canary)
    // fails in wave 1, r-bad2 in wave 2 (with r-ok1 beside it), and the rest never start.
    let yaml = ntp_plan(
        "all",
        "  canary: 1\n  serial: 2",
        "max_fail:\n  overall: \"20%\"",
    );
    let (f, events) = start(&s, &yaml, 4, None).finish().await;
    assert_eq!(f.outcome, Outcome::Halted);
    assert_eq!(f.waves[0].state, RunState::Completed);
    assert_eq!(f.waves[1].state, RunState::Halted);
    assert_eq!(device(&f, "r-bad1").state, DeviceState::Failed);
    assert_eq!(device(&f, "r-bad2").state, DeviceState::Failed);
    // In flight when the threshold tripped: it finishes.
    assert_eq!(device(&f, "r-ok1").state, DeviceState::Done);
    for i in 2..=6 {
        let name = format!("r-ok{i}");
        assert_eq!(device(&f, &name).state, DeviceState::Skipped);
        assert_eq!(s.lab.command_count(&name, NTP), 0);
    }
    let halted = events.iter().any(|e| {
        matches!(e, RolloutEvent::Overall { state: RunState::Halted, reason: Some(r) }
            if r.contains("2 of 8") && r.contains("20%"))
    });
    assert!(halted, "{events:#?}");
}

#[tokio::test]
async fn rollback_undoes_the_failed_devices() {
    let s = setup(LAB).await;
    let yaml = ntp_plan(
        "all",
        "  canary: 1\n  serial: 3",
        "max_fail:\n  overall: 0\n  action: rollback",
    );
    let (f, _) = start(&s, &yaml, 4, None).finish().await;
    assert_eq!(f.outcome, Outcome::Halted);
    let canary = device(&f, "r-bad1");
    assert_eq!(canary.state, DeviceState::RolledBack, "{:?}", canary.reason);
    assert_eq!(canary.rollback.len(), 1);
    assert!(!s.lab.config_text("r-bad1").unwrap().contains(NTP));
    assert_eq!(s.lab.command_count("r-bad1", &format!("no {NTP}")), 1);
}

/// Three devices in one wave, one at a time, on the slow lab.
fn one_wave_of_three() -> String {
    ntp_plan("s-sw[1-3]", "  serial: 3", "max_fail: 0")
        .replace("show ip interface brief", "show version")
}

#[tokio::test]
async fn pause_holds_devices_until_resume() {
    let s = setup(SLOW_LAB).await;
    let mut run = start(&s, &one_wave_of_three(), 1, None);
    run.until("s-sw1 applying", |e| {
        matches!(
            e,
            RolloutEvent::Device {
                device: 0,
                state: DeviceState::Applying,
                ..
            }
        )
    })
    .await;
    run.control.send(Control::Pause).await.unwrap();
    run.until("paused", |e| {
        matches!(
            e,
            RolloutEvent::Overall {
                state: RunState::Paused,
                ..
            }
        )
    })
    .await;
    // The in-flight step finishes; then nothing moves until resumed.
    common::eventually("s-sw1 wrote its memory", || {
        s.lab.command_count("s-sw1", "write memory") > 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(
        s.lab.commands("s-sw2").is_empty(),
        "a new device started while paused"
    );
    // Pre-check and snapshot only: s-sw1 holds before its post-checks.
    assert_eq!(s.lab.command_count("s-sw1", "show running-config"), 2);
    run.control.send(Control::Resume).await.unwrap();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Completed);
    assert!(f.devices.iter().all(|d| d.state == DeviceState::Done));
}

#[tokio::test]
async fn abort_finishes_the_step_in_flight_and_skips_the_rest() {
    let s = setup(SLOW_LAB).await;
    let mut run = start(&s, &one_wave_of_three(), 1, None);
    run.until("s-sw1 applying", |e| {
        matches!(
            e,
            RolloutEvent::Device {
                device: 0,
                state: DeviceState::Applying,
                ..
            }
        )
    })
    .await;
    run.control.send(Control::Abort).await.unwrap();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Aborted);
    assert_eq!(f.waves[0].state, RunState::Aborted);
    let first = device(&f, "s-sw1");
    // Its only step completed (never cut off), then it stopped before verifying.
    assert_eq!(first.state, DeviceState::Unknown, "{:?}", first.reason);
    assert_eq!(s.lab.command_count("s-sw1", NTP), 1);
    assert!(s.lab.config_text("s-sw1").unwrap().contains(NTP));
    for name in ["s-sw2", "s-sw3"] {
        assert_eq!(device(&f, name).state, DeviceState::Skipped);
        assert!(s.lab.commands(name).is_empty());
    }
}

#[tokio::test]
async fn manual_pause_waits_for_approval() {
    let s = setup(LAB).await;
    let yaml = format!(
        "{}pause: manual\n",
        ntp_plan("r-ok[1-3]", "  canary: 1\n  serial: 2", "max_fail: 0")
    );
    let mut run = start(&s, &yaml, 4, None);
    run.until("waiting for approval", |e| {
        matches!(
            e,
            RolloutEvent::Overall {
                state: RunState::WaitingApproval,
                ..
            }
        )
    })
    .await;
    assert_eq!(s.lab.command_count("r-ok1", NTP), 1);
    assert!(s.lab.commands("r-ok2").is_empty() && s.lab.commands("r-ok3").is_empty());
    run.control.send(Control::Approve).await.unwrap();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Completed);
    assert_eq!(s.lab.command_count("r-ok3", NTP), 1);
}

#[tokio::test]
async fn a_device_that_stops_answering_after_its_change_fails() {
    let s = setup(LAB).await;
    let yaml = format!(
        "{}pause: manual\nunreachable_is_failure: true\n",
        ntp_plan("r-ok[1-2]", "  canary: 1\n  serial: 1", "max_fail: 0")
    );
    let n = s.inventory.devices.len();
    let (reach, reach_rx) = tokio::sync::watch::channel(vec![Some(true); n]);
    let mut run = harness::start_with(&s, &yaml, 2, None, Some(reach_rx), false);
    run.until("waiting for approval", |e| {
        matches!(
            e,
            RolloutEvent::Overall {
                state: RunState::WaitingApproval,
                ..
            }
        )
    })
    .await;
    let canary = s
        .inventory
        .devices
        .iter()
        .position(|d| d.name == "r-ok1")
        .unwrap();
    reach.send_modify(|r| r[canary] = Some(false));
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Halted);
    let d = device(&f, "r-ok1");
    assert_eq!(d.state, DeviceState::Failed);
    assert_eq!(
        d.reason.as_deref(),
        Some("stopped answering probes after its change")
    );
    assert_eq!(device(&f, "r-ok2").state, DeviceState::Skipped);
    assert!(s.lab.commands("r-ok2").is_empty());
}

#[tokio::test]
async fn resume_verifies_unknown_devices_and_skips_done_ones() {
    let s = setup(LAB).await;
    let yaml = ntp_plan("r-ok[1-3]", "  serial: 3", "max_fail: 0");
    // A first run aborted right at the start: nothing changed.
    let run = start(&s, &yaml, 1, None);
    run.control.send(Control::Abort).await.unwrap();
    let (first, _) = run.finish().await;
    assert_eq!(first.outcome, Outcome::Aborted);
    // Pretend the crash left r-ok1 done and r-ok2 mid-apply (its change did land): lines
    // written through the journal, so that they chain (lines added by hand are refused).
    let journal = s.dir.path().join("rollout.jsonl");
    let (j, _) = RolloutJournal::resume(
        &journal,
        Default::default(),
        "ntp",
        &plan_hash(&yaml),
        |_| false,
    )
    .unwrap();
    j.write(&Record::Device {
        device: "r-ok1".into(),
        state: DeviceState::Done,
        reason: None,
    })
    .unwrap();
    j.write(&Record::Stage {
        device: "r-ok2".into(),
        stage: Stage::Apply,
        edge: Edge::Begin,
        ok: None,
    })
    .unwrap();
    drop(j);
    kill::configure_by_hand(&s, "r-ok2", NTP).await;
    let r = replay(&journal, "ntp", &plan_hash(&yaml)).unwrap();
    assert_eq!(r.resume("r-ok2"), Resume::Unknown);
    let ok1_before = s.lab.commands("r-ok1").len();
    let (f, _) = start(&s, &yaml, 3, Some(r)).finish().await;
    assert_eq!(f.outcome, Outcome::Completed, "{:#?}", f.devices);
    // r-ok1: done before, never touched. r-ok2: verified, not re-applied. r-ok3: applied.
    assert_eq!(s.lab.commands("r-ok1").len(), ok1_before);
    assert_eq!(s.lab.command_count("r-ok1", NTP), 0);
    assert_eq!(device(&f, "r-ok2").state, DeviceState::Done);
    assert_eq!(s.lab.command_count("r-ok2", NTP), 1);
    assert!(device(&f, "r-ok2").steps.is_empty());
    assert_eq!(s.lab.command_count("r-ok3", NTP), 1);
}

#[tokio::test]
async fn headless_refuses_to_start_unattended_and_rejects_another_plan() {
    let s = setup(LAB).await;
    let k = kill::Files::new(&s, &ntp_plan("r-ok1", "  serial: 1", "max_fail: 0"));
    let out = kill::output(k.command(&["--headless"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(s.lab.commands("r-ok1").is_empty());
    // A journal of another plan is refused for --resume.
    let other = s.dir.path().join("other.jsonl");
    RolloutJournal::create(&other, Default::default())
        .unwrap()
        .write(&Record::Header {
            plan: "ntp".into(),
            plan_hash: "0".into(),
            waves: Vec::new(),
            resumed: false,
        })
        .unwrap();
    let resume = ["--headless", "--yes", "--resume", other.to_str().unwrap()];
    let out = kill::output(k.command(&resume)).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resume with the plan"));
}

#[tokio::test]
async fn kill_9_mid_wave_then_resume_runs_no_step_twice() {
    kill::kill_and_resume().await;
}

#[tokio::test]
async fn resumed_the_screen_shows_the_journal_not_a_fresh_start() {
    kill::resume_shows_the_journal().await;
}

#[tokio::test]
async fn waves_run_in_order_with_group_by_and_never_together() {
    let s = setup(LAB).await;
    let yaml = ntp_plan(
        "all",
        "  canary: 1\n  serial: 3\n  group_by: tag:role\n  never_together:\n    - [r-ok1, r-ok2]",
        "max_fail:\n  overall: \"100%\"",
    );
    let (f, events) = start(&s, &yaml, 4, None).finish().await;
    assert_eq!(f.outcome, Outcome::Completed);
    let Some(RolloutEvent::Started { waves, .. }) = events.first() else {
        panic!("no start: {events:#?}");
    };
    let wave_of = |d: usize| waves.iter().position(|w| w.devices.contains(&d)).unwrap();
    let name = |d: usize| s.inventory.devices[d].name.as_str();
    // The executor runs exactly the waves the plan cuts (spread by role, the pair apart).
    let plan = harness::plan(&yaml);
    let expected = fleetdash::rollout::waves::waves(&plan, &s.inventory).unwrap();
    let got: Vec<&Vec<usize>> = waves.iter().map(|w| &w.devices).collect();
    let want: Vec<&Vec<usize>> = expected.iter().map(|w| &w.devices).collect();
    assert_eq!(got, want);
    for w in waves {
        let names: Vec<&str> = w.devices.iter().map(|&d| name(d)).collect();
        assert!(!(names.contains(&"r-ok1") && names.contains(&"r-ok2")));
    }
    // No device starts before every device of the previous wave finished.
    let mut finished_by_wave = vec![0; waves.len()];
    for e in &events {
        if let RolloutEvent::Device { device, state, .. } = e {
            let w = wave_of(*device);
            if *state == DeviceState::PreChecking && w > 0 {
                assert_eq!(finished_by_wave[w - 1], waves[w - 1].devices.len(), "{e:?}");
            }
            if state.is_final() {
                finished_by_wave[w] += 1;
            }
        }
    }
    // The bad devices failed their post-check, the others landed; nothing ran twice.
    for d in &f.devices {
        let expected = match d.name.starts_with("r-bad") {
            true => DeviceState::Failed,
            false => DeviceState::Done,
        };
        assert_eq!(d.state, expected, "{}: {:?}", d.name, d.reason);
        assert_eq!(s.lab.command_count(&d.name, NTP), 1);
    }
}

#[tokio::test]
async fn headless_dry_run_and_halt_exit_codes() {
    let s = setup(LAB).await;
    let k = kill::Files::new(
        &s,
        &ntp_plan("all", "  canary: 1\n  serial: 3", "max_fail: 0"),
    );
    let out = kill::output(k.command(&["--dry-run"])).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("r-bad1"), "{text}");
    assert_eq!(
        s.lab.stats().connections,
        0,
        "a dry run connects to nothing"
    );
    let journal = s.dir.path().join("halt.jsonl");
    let recording = s.dir.path().join("halt-window.jsonl");
    let out = kill::output(k.command(&[
        "--headless",
        "--yes",
        "--journal",
        journal.to_str().unwrap(),
        "--record",
        recording.to_str().unwrap(),
    ]))
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("r-bad1: failed"), "{text}");
    assert!(text.contains("rollout: halted by threshold"), "{text}");
    assert!(k.report.join("report.md").exists());
    // The recording of the window says the same, without the password.
    let recorded = std::fs::read_to_string(&recording).unwrap();
    assert!(!recorded.contains(&s.password), "{recorded}");
    let out = common::fleetdash()
        .args(["report", "--json"])
        .arg(&recording)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["front_end"], "rollout");
    assert_eq!(report["rollout"]["outcome"], "halted", "{report:#}");
    assert_eq!(
        report["rollout"]["failed"],
        serde_json::json!(["r-bad1"]),
        "{report:#}"
    );
}

#[tokio::test]
async fn headless_manual_pause_without_stdin_aborts_instead_of_hanging() {
    let s = setup(LAB).await;
    let yaml = format!(
        "{}pause: manual\n",
        ntp_plan("r-ok[1-2]", "  canary: 1\n  serial: 1", "max_fail: 0")
    );
    let k = kill::Files::new(&s, &yaml);
    let journal = s.dir.path().join("manual.jsonl");
    let out = kill::output(k.command(&[
        "--headless",
        "--yes",
        "--journal",
        journal.to_str().unwrap(),
    ]))
    .await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("nobody can approve"), "{stderr}");
    assert!(stdout.contains("rollout: aborted"), "{stdout}");
    assert_eq!(s.lab.command_count("r-ok1", NTP), 1);
    assert!(s.lab.commands("r-ok2").is_empty());
}

#[tokio::test]
async fn a_rollout_that_asks_first_changes_nothing_before_approval() {
    let s = setup(LAB).await;
    let yaml = ntp_plan("r-ok[1-2]", "  canary: 1", "max_fail: 0");
    let mut run = harness::start_with(&s, &yaml, 2, None, None, true);
    run.until_waiting_to_start().await;
    // However long it waits, nothing is sent to any device before the go.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(s.lab.commands("r-ok1").is_empty() && s.lab.commands("r-ok2").is_empty());
    run.control.send(Control::Approve).await.unwrap();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Completed);
    assert_eq!(s.lab.command_count("r-ok1", NTP), 1);
}

#[tokio::test]
async fn aborting_before_the_start_touches_nothing() {
    let s = setup(LAB).await;
    let yaml = ntp_plan("r-ok[1-2]", "  canary: 1", "max_fail: 0");
    let mut run = harness::start_with(&s, &yaml, 2, None, None, true);
    run.until_waiting_to_start().await;
    run.control.send(Control::Abort).await.unwrap();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Aborted);
    assert!(f.devices.iter().all(|d| d.state == DeviceState::Skipped));
    assert!(s.lab.commands("r-ok1").is_empty() && s.lab.commands("r-ok2").is_empty());
}

/// A device that prints escape sequences: the journal says what the sanitizer took out.
#[tokio::test]
async fn what_the_sanitizer_removed_is_journaled() {
    let lab = r#"
name: ctrl
sites: [c]
roles:
  - {role: ctrl, platform: cisco_ios, count: 1}
faults:
  - devices: [c-ctrl1]
    control_bytes: true
"#;
    let s = setup(lab).await;
    let run = start(
        &s,
        "name: look\ntarget: all\nsteps:\n  - command: show version\n",
        1,
        None,
    );
    let journal = run.journal.clone();
    let (f, _) = run.finish().await;
    assert_eq!(f.outcome, Outcome::Completed, "{:#?}", f.devices);
    let text = std::fs::read_to_string(&journal).unwrap();
    let end = text
        .lines()
        .find(|l| l.contains(r#""kind":"step""#) && l.contains(r#""edge":"end""#))
        .expect("a step end line");
    assert!(end.contains(r#""removed":{"controls":"#), "{end}");
    assert!(!end.contains('\u{1b}') && !end.contains("\\u001b"), "{end}");
}
