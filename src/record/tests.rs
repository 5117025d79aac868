//! The recorder end to end in one process: what the tap writes, read back and fed through
//! the reducer, gives the same log, counts and runs; rotation; hostile recordings.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::feed::Feed;
use super::format::Record;
use super::writer::rotated;
use super::*;
use crate::base::secrets::Secrets;
use crate::exec::{Command, ExecEvent};
use crate::fleet::{Event, FleetConfig, State, Tap};
use crate::rollout::event::{DeviceState, Outcome, RolloutEvent, WaveInfo};
use crate::ssh::{ExecError, Output, Stage};
use crate::testkit;

/// Folds events as the engine does: each one shown to the tap first, the batch after.
fn fold(state: &mut State, tap: &mut RecordTap, events: Vec<Event>) {
    for event in events {
        tap.event(&event, state);
        state.apply(event);
    }
    tap.folded(state);
}

/// A small window: sw01 goes down and comes back, a run on two devices (one fails), a
/// notice, a rollout of one device.
fn window(state: &mut State, tap: &mut RecordTap) {
    let t0 = state.origin.0;
    let s = |n: u64| t0 + Duration::from_secs(n);
    for sec in 0..6 {
        let events = (0..3)
            .map(|d| {
                let rtt = (d != 1 || !(2..4).contains(&sec)).then_some(200 + sec);
                testkit::probe(d, s(sec), rtt)
            })
            .collect();
        fold(state, tap, events);
    }
    let run = Command::Run {
        run: 1,
        devices: vec![0, 2],
        command: "show version secret-pw".into(),
    };
    state.record(&run, s(6));
    tap.command(&run, s(6), state);
    let ok = Output {
        text: "Cisco IOS secret-pw".into(),
        exit_status: Some(0),
        ..Output::default()
    };
    let failed = ExecError {
        stage: Stage::Auth,
        maybe_ran: false,
        reason: "permission denied".into(),
    };
    let finished = |device, result| {
        Event::Exec(ExecEvent::Finished {
            run: 1,
            device,
            at: s(7),
            duration: Duration::from_millis(120),
            result,
        })
    };
    fold(
        state,
        tap,
        vec![
            finished(0, Ok(ok)),
            finished(2, Err(failed)),
            Event::Notice {
                at: s(8),
                text: "host key learned for fra-sw01".into(),
            },
            Event::Rollout(RolloutEvent::Started {
                plan: "ntp".into(),
                waves: vec![WaveInfo {
                    index: 0,
                    kind: "canary".into(),
                    devices: vec![2],
                }],
                resumed: false,
            }),
            Event::Rollout(RolloutEvent::Device {
                device: 2,
                state: DeviceState::Done,
                reason: None,
            }),
            Event::Rollout(RolloutEvent::Finished {
                outcome: Outcome::Completed,
                report: None,
            }),
        ],
    );
}

fn open(dir: &std::path::Path, max_bytes: u64) -> (RecordConfig, RecordTap) {
    let config = RecordConfig {
        max_bytes,
        keep: 3,
        ..RecordConfig::new(dir.join("w.jsonl"))
    };
    let secrets = Secrets::new(["secret-pw".to_string()]);
    let tap = RecordTap::open(&config, "dashboard", secrets).unwrap();
    (config, tap)
}

fn replayed(recording: &Recording) -> State {
    let feed = Feed::new(recording, Instant::now());
    let mut state = feed.fresh();
    for entry in &recording.entries {
        feed.apply(&mut state, recording, entry);
    }
    state
}

fn log(state: &State) -> Vec<String> {
    state.log.iter().map(|l| l.text.clone()).collect()
}

#[test]
fn a_replayed_recording_gives_the_reducers_log_counts_and_runs_back() {
    let dir = tempfile::tempdir().unwrap();
    let (config, mut tap) = open(dir.path(), MAX_BYTES);
    let mut live = testkit::state(3, FleetConfig::default());
    window(&mut live, &mut tap);
    drop(tap);
    let text = std::fs::read_to_string(&config.path).unwrap();
    assert!(
        !text.contains("secret-pw"),
        "a secret reached the file:\n{text}"
    );
    assert!(
        !text.contains("Cisco IOS"),
        "output reached the file:\n{text}"
    );
    for line in text.lines() {
        assert!(line.starts_with("{\"v\":1,\"at\":\"20"), "{line}");
    }
    let recording = load(&config.path, Limits::default()).unwrap();
    assert!(recording.issues.is_empty(), "{:?}", recording.issues);
    let kinds: Vec<&str> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].clone())
        .map(|k| match k.as_str().unwrap() {
            "start" => "start",
            "transition" => "transition",
            "run" => "run",
            "outcome" => "outcome",
            "notice" => "notice",
            "rollout" => "rollout",
            "end" => "end",
            other => panic!("{other}"),
        })
        .collect();
    // Three devices up, sw01 down then up: five transitions, not one line per probe.
    assert_eq!(
        kinds,
        [
            "start",
            "transition",
            "transition",
            "transition",
            "transition",
            "transition",
            "run",
            "outcome",
            "outcome",
            "notice",
            "rollout",
            "rollout",
            "rollout",
            "end"
        ]
    );
    let replay = replayed(&recording);
    let secrets = Secrets::new(["secret-pw".to_string()]);
    let masked: Vec<String> = log(&live).iter().map(|l| secrets.mask(l)).collect();
    assert_eq!(log(&replay), masked);
    assert_eq!(replay.counts, live.counts);
    for (r, l) in replay.devices.iter().zip(&live.devices) {
        assert_eq!((r.reach, r.flaps), (l.reach, l.flaps));
    }
    let (r, l) = (replay.exec.get(1).unwrap(), live.exec.get(1).unwrap());
    assert_eq!(r.progress(), l.progress());
    assert_eq!(r.command, "show version ***");
    let rollout = replay.rollout.as_ref().unwrap();
    assert_eq!(rollout.outcome, Some(Outcome::Completed));
    assert_eq!(rollout.device(2).unwrap().state, DeviceState::Done);
}

#[test]
fn a_full_file_rotates_and_each_file_replays_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    // Small enough that the window fills a few files.
    let (config, mut tap) = open(dir.path(), 700);
    let mut live = testkit::state(3, FleetConfig::default());
    window(&mut live, &mut tap);
    drop(tap);
    let newest = load(&config.path, Limits::default()).unwrap();
    let older = load(&rotated(&config.path, 1), Limits::default()).unwrap();
    assert!(rotated(&config.path, 2).exists());
    assert!(
        !rotated(&config.path, 3).exists(),
        "keep 3: the oldest was deleted"
    );
    for r in [&newest, &older] {
        assert!(r.start.continues, "{}", r.path.display());
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.start.devices.len(), 3);
    }
    // The newest file alone knows every device's state and the rollout.
    let state = replayed(&newest);
    assert_eq!(state.counts, live.counts);
    let carried = newest
        .entries
        .iter()
        .filter(|e| matches!(&e.record, Record::Transition(t) if t.carried))
        .count();
    assert_eq!(carried, 3);
    assert_eq!(
        state.rollout.as_ref().unwrap().outcome,
        Some(Outcome::Completed)
    );
}

#[test]
fn a_writer_that_falls_behind_loses_records_counted_and_marked_and_the_loop_never_waits() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecordConfig::new(dir.path().join("w.jsonl"));
    // The disk "hangs" until the gate opens: the queue fills, nothing may wait for it.
    let gate = std::sync::Arc::new(std::sync::Mutex::new(()));
    let closed = gate.lock().unwrap();
    let writer = super::writer::Writer::open_gated(&config, Some(gate.clone())).unwrap();
    let mut tap = RecordTap::with_writer(writer, &config, "dashboard", Secrets::default());
    let mut live = testkit::state(1, FleetConfig::default());
    let t0 = live.origin.0;
    // One change per batch of the reducer: a batch each, far more than the queue holds.
    let n = 1000u64;
    for i in 0..n {
        let at = t0 + Duration::from_millis(i);
        let rtt = (i % 2 == 0).then_some(100);
        let events = match rtt {
            Some(_) => vec![testkit::probe(0, at, rtt)],
            None => vec![testkit::probe(0, at, None), testkit::probe(0, at, None)],
        };
        fold(&mut live, &mut tap, events);
    }
    drop(closed);
    drop(tap);
    let recording = load(&config.path, Limits::default()).unwrap();
    let transitions = (recording.entries.iter())
        .filter(|e| matches!(e.record, Record::Transition(_)))
        .count() as u64;
    let marked: u64 = (recording.entries.iter())
        .filter_map(|e| match e.record {
            Record::Dropped { count } => Some(count),
            _ => None,
        })
        .sum();
    let Some(Record::End { dropped }) = recording.entries.last().map(|e| e.record.clone()) else {
        panic!("no end record");
    };
    assert!(dropped > 0, "the queue never filled");
    assert!(transitions > 0);
    // Every change is written or counted; every loss is marked where it happened.
    assert_eq!(
        transitions + dropped,
        n,
        "{transitions} written, {dropped} lost"
    );
    assert_eq!(marked, dropped);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the file holds, the loader ends with a recording or an error, never a
    /// panic; the replay takes whatever it kept, and nothing of it can drive a terminal.
    #[test]
    fn the_loader_survives_any_file(lines in prop::collection::vec(line(), 0..30)) {
        let text = lines.join("\n");
        if let Ok(r) = load::parse(text.as_bytes(), Limits::default(), "p.jsonl") {
            let state = replayed(&r);
            for entry in &state.log {
                crate::base::text::hostile::assert_inert("log", &entry.text);
            }
            for d in &state.inventory.devices {
                crate::base::text::hostile::assert_inert("name", &d.name);
            }
            crate::base::text::hostile::assert_inert("issues", &r.issue_lines().join("\n"));
        }
    }
}

/// Lines of a recording, mutated: real records with hostile strings and odd numbers, cut
/// short, or noise.
fn line() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        Just("r1".to_string()),
        Just("r2".to_string()),
        Just("\u{1b}[2J\u{202e}x".to_string()),
        "[a-z\u{1b}\u{9b}\u{202e}\n ]{0,8}",
    ];
    let json = |s: &str| serde_json::to_string(s).unwrap();
    let at = prop_oneof![
        Just("2026-12-02T03:00:01Z"),
        Just("2026-12-02T02:00:01Z"),
        Just("9999-12-31T23:59:59Z"),
        Just("0001-01-01T00:00:00Z"),
        Just("2026-12-02T03:00:01+14:00"),
    ];
    let record = (text.clone(), text, 0u32..4, 0u64..5, any::<bool>(), at).prop_map(
        move |(a, b, v, n, flag, at)| {
            match n {
                0 => format!(
                    r#"{{"v":{v},"at":"{at}","kind":"start","front_end":"x","source":{},"down_after":{n},"up_after":0,"flap_window_ms":1,"flap_count":0,"devices":[{{"name":{},"host":"h"}},{{"name":"r1","host":"h"}}]}}"#,
                    json(&b),
                    json(&a)
                ),
                1 => format!(
                    r#"{{"v":1,"at":"{at}","kind":"transition","device":{},"from":"up","to":"{}","why":{},"flaps":{v},"reason":{}}}"#,
                    json(&a),
                    if flag { "down" } else { "up" },
                    json(&b),
                    json(&b)
                ),
                2 => format!(
                    r#"{{"v":1,"at":"{at}","kind":"run","run":{v},"command":{},"devices":[{}]}}"#,
                    json(&b),
                    json(&a)
                ),
                3 => format!(
                    r#"{{"v":1,"at":"{at}","kind":"outcome","run":{v},"device":{},"ok":{flag},"stage":{},"reason":{},"duration_ms":-5}}"#,
                    json(&a),
                    json(&b),
                    json(&b)
                ),
                _ => format!(
                    r#"{{"v":1,"at":"{at}","kind":"rollout","event":"started","plan":{},"resumed":false,"waves":[{{"index":{v},"kind":"canary","devices":[{}]}}]}}"#,
                    json(&b),
                    json(&a)
                ),
            }
        },
    );
    prop_oneof![
        4 => record.clone(),
        1 => (record, 0usize..80).prop_map(|(r, cut)| r.chars().take(cut).collect()),
        1 => "\\PC{0,40}",
    ]
}

#[test]
fn a_jobs_line_in_the_log_is_recorded_as_the_reducer_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let (config, mut tap) = open(dir.path(), MAX_BYTES);
    let mut live = testkit::state(1, FleetConfig::default());
    let at = live.origin.0 + Duration::from_secs(3);
    let done = Event::Job(crate::fleet::JobEvent::BackupDone {
        at,
        runs: vec![],
        result: Err("the repository is locked".into()),
    });
    fold(&mut live, &mut tap, vec![done]);
    drop(tap);
    let recording = load(&config.path, Limits::default()).unwrap();
    let notices: Vec<&str> = (recording.entries.iter())
        .filter_map(|e| match &e.record {
            Record::Notice { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notices, ["backup failed: the repository is locked"]);
    assert_eq!(log(&replayed(&recording)), log(&live));
}
