//! `fleetdash report FILE [--json]`: a summary of a recorded window: outages per device
//! (start, end, duration; one still open at the end of the recording says so), flaps, runs
//! (command, devices, ok/failed) and the rollout's result, as Markdown or one JSON object.
//!
//! Everything in it comes from the file: the loader already made its strings inert; the
//! Markdown table cells also have their `|` escaped.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::base::exit::USAGE;
use crate::base::stdout;
use crate::base::text::{count, escape_json};
use crate::record::format::{self, ReachRec, Record, RolloutRec};
use crate::record::{Limits, Recording};
use crate::rollout::event::DeviceState;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub source: String,
    pub front_end: String,
    pub start: String,
    pub end: String,
    pub duration_s: f64,
    pub devices: usize,
    pub outages: Vec<Outage>,
    /// Devices that changed state up↔down, with how often.
    pub flaps: Vec<Flaps>,
    pub runs: Vec<RunSummary>,
    pub rollout: Option<RolloutSummary>,
    /// Records lost while recording (the timeline has gaps).
    pub lost_records: u64,
    /// Lines of the file that were skipped.
    pub skipped_lines: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outage {
    pub device: String,
    pub start: String,
    /// `None`: still down when the recording ended.
    pub end: Option<String>,
    pub duration_s: f64,
    /// Why the probes failed when it went down.
    pub why: String,
    /// It was down already when this file began.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub before_start: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flaps {
    pub device: String,
    pub changes: u32,
    /// It was marked flapping at some point.
    pub flapping: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub run: u64,
    pub start: String,
    pub command: String,
    pub devices: usize,
    pub ok: usize,
    pub failed: Vec<String>,
    /// Devices without a recorded outcome.
    pub unfinished: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutSummary {
    pub plan: String,
    /// `completed`, `halted`, `aborted`, or `unfinished` when the recording ends first.
    pub outcome: String,
    pub reason: Option<String>,
    /// Devices by their last state (`done`, `failed`, …).
    pub devices: BTreeMap<String, usize>,
    pub failed: Vec<String>,
}

pub fn run(path: &Path, json: bool) -> ExitCode {
    let recording = match crate::record::load(path, Limits::default()) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(USAGE);
        }
    };
    for line in recording.issue_lines() {
        eprintln!("warning: {line}");
    }
    let report = summarize(&recording);
    stdout::print(&match json {
        true => escape_json(&serde_json::to_string(&report).unwrap_or_default()) + "\n",
        false => markdown(&report),
    });
    ExitCode::SUCCESS
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn between(a: SystemTime, b: SystemTime) -> Duration {
    b.duration_since(a).unwrap_or_default()
}

pub fn summarize(recording: &Recording) -> Report {
    let end = recording.ended();
    let mut open: BTreeMap<usize, (SystemTime, String, bool)> = BTreeMap::new();
    let mut outages = Vec::new();
    let mut flaps: BTreeMap<usize, Flaps> = BTreeMap::new();
    let mut runs: Vec<(RunSummary, BTreeMap<String, bool>, Vec<String>)> = Vec::new();
    let mut rollout: Option<(RolloutSummary, BTreeMap<String, DeviceState>)> = None;
    let mut lost = 0;
    let name = |id: usize| recording.start.devices[id].name.clone();
    let close = |id: usize,
                 (start, why, before): (SystemTime, String, bool),
                 until: Option<SystemTime>| Outage {
        device: name(id),
        start: format::time(start),
        end: until.map(format::time),
        duration_s: secs(between(start, until.unwrap_or(end))),
        why,
        before_start: before,
    };
    for entry in &recording.entries {
        match &entry.record {
            Record::Transition(t) => {
                let id = recording.index[&t.device];
                if t.from != ReachRec::Unknown {
                    let f = flaps.entry(id).or_insert(Flaps {
                        device: t.device.clone(),
                        changes: 0,
                        flapping: false,
                    });
                    f.changes += 1;
                    f.flapping |= t.flapping;
                }
                match t.to {
                    ReachRec::Down if !open.contains_key(&id) => {
                        let why = t.reason.clone().unwrap_or_else(|| "no reply".into());
                        open.insert(id, (entry.at, why, t.carried));
                    }
                    ReachRec::Up => {
                        if let Some(o) = open.remove(&id) {
                            outages.push(close(id, o, Some(entry.at)));
                        }
                    }
                    _ => {}
                }
            }
            Record::Run(r) => runs.push((
                RunSummary {
                    run: r.run,
                    start: format::time(entry.at),
                    command: r.command.clone(),
                    devices: r.devices.len(),
                    ok: 0,
                    failed: Vec::new(),
                    unfinished: r.devices.len(),
                },
                BTreeMap::new(),
                r.devices.clone(),
            )),
            Record::Outcome(o) => {
                if let Some((_, outcomes, devices)) =
                    runs.iter_mut().rev().find(|(r, ..)| r.run == o.run)
                    && devices.contains(&o.device)
                {
                    outcomes.insert(o.device.clone(), o.ok);
                }
            }
            Record::Rollout(r) => match r {
                RolloutRec::Started { plan, waves, .. } => {
                    let devices = waves
                        .iter()
                        .flat_map(|w| w.devices.iter().map(|d| (d.clone(), DeviceState::Pending)))
                        .collect();
                    let summary = RolloutSummary {
                        plan: plan.clone(),
                        outcome: "unfinished".into(),
                        reason: None,
                        devices: BTreeMap::new(),
                        failed: Vec::new(),
                    };
                    rollout = Some((summary, devices));
                }
                RolloutRec::Device { device, state, .. } => {
                    if let Some((_, devices)) = &mut rollout
                        && let Some(slot) = devices.get_mut(device)
                    {
                        *slot = *state;
                    }
                }
                RolloutRec::Overall { reason, .. } => {
                    if let Some((summary, _)) = &mut rollout {
                        summary.reason = reason.clone().or(summary.reason.take());
                    }
                }
                RolloutRec::Finished { outcome, .. } => {
                    if let Some((summary, _)) = &mut rollout {
                        summary.outcome = outcome.as_str().into();
                    }
                }
                _ => {}
            },
            Record::Dropped { count } => lost += count,
            _ => {}
        }
    }
    for (id, o) in std::mem::take(&mut open) {
        outages.push(close(id, o, None));
    }
    outages.sort_by(|a, b| (&a.start, &a.device).cmp(&(&b.start, &b.device)));
    let runs = runs
        .into_iter()
        .map(|(mut r, outcomes, devices)| {
            r.ok = outcomes.values().filter(|ok| **ok).count();
            r.failed = devices
                .iter()
                .filter(|d| outcomes.get(*d) == Some(&false))
                .cloned()
                .collect();
            r.unfinished = r.devices - outcomes.len();
            r
        })
        .collect();
    let rollout = rollout.map(|(mut summary, devices)| {
        for (device, state) in &devices {
            *summary
                .devices
                .entry(state.label().to_string())
                .or_default() += 1;
            if matches!(state, DeviceState::Failed | DeviceState::RolledBack) {
                summary.failed.push(device.clone());
            }
        }
        summary
    });
    Report {
        source: recording.start.source.clone(),
        front_end: recording.start.front_end.clone(),
        start: format::time(recording.started),
        end: format::time(end),
        duration_s: secs(between(recording.started, end)),
        devices: recording.start.devices.len(),
        outages,
        flaps: flaps.into_values().collect(),
        runs,
        rollout,
        lost_records: lost,
        skipped_lines: recording.issues.len() + recording.more_issues,
    }
}

/// A table cell: one line, no `|` that would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn age(s: f64) -> String {
    crate::base::duration::short(Duration::from_secs_f64(s.max(0.0).round()))
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("# Maintenance window: {}", cell(&r.source)));
    line(String::new());
    line(format!(
        "- recorded by `{}` from {} to {} ({})",
        cell(&r.front_end),
        r.start,
        r.end,
        age(r.duration_s)
    ));
    line(format!(
        "- {}, {}, {} changed state up↔down, {}",
        count(r.devices, "device"),
        count(r.outages.len(), "outage"),
        count(r.flaps.len(), "device"),
        count(r.runs.len(), "run")
    ));
    if r.lost_records > 0 {
        line(format!(
            "- **{} records were lost while recording: the timeline has gaps**",
            r.lost_records
        ));
    }
    if r.skipped_lines > 0 {
        line(format!(
            "- {} lines of the file were skipped (see the warnings)",
            r.skipped_lines
        ));
    }
    line(String::new());
    line("## Outages".into());
    line(String::new());
    if r.outages.is_empty() {
        line("No device went down.".into());
    } else {
        line("| device | down at | up at | duration | why |".into());
        line("|---|---|---|---|---|".into());
        for o in &r.outages {
            let start = match o.before_start {
                true => format!("{} (before this file)", o.start),
                false => o.start.clone(),
            };
            let end = match &o.end {
                Some(end) => end.clone(),
                None => "still down at the end of the recording".into(),
            };
            line(format!(
                "| {} | {start} | {end} | {} | {} |",
                cell(&o.device),
                age(o.duration_s),
                cell(&o.why)
            ));
        }
    }
    if !r.flaps.is_empty() {
        line(String::new());
        line("## Flaps".into());
        line(String::new());
        line("| device | up↔down changes | flapping |".into());
        line("|---|---|---|".into());
        for f in &r.flaps {
            let flapping = if f.flapping { "yes" } else { "no" };
            line(format!(
                "| {} | {} | {flapping} |",
                cell(&f.device),
                f.changes
            ));
        }
    }
    line(String::new());
    line("## Runs".into());
    line(String::new());
    if r.runs.is_empty() {
        line("No command was run.".into());
    } else {
        line("| run | at | command | devices | ok | failed | unfinished |".into());
        line("|---|---|---|---|---|---|---|".into());
        for run in &r.runs {
            let failed = match run.failed.is_empty() {
                true => "0".to_string(),
                false => format!("{} ({})", run.failed.len(), run.failed.join(", ")),
            };
            line(format!(
                "| #{} | {} | `{}` | {} | {} | {} | {} |",
                run.run,
                run.start,
                cell(&run.command).replace('`', "'"),
                run.devices,
                run.ok,
                cell(&failed),
                run.unfinished
            ));
        }
    }
    line(String::new());
    line("## Rollout".into());
    line(String::new());
    match &r.rollout {
        None => line("No rollout ran.".into()),
        Some(ro) => {
            let mut text = format!("Plan {}: **{}**", cell(&ro.plan), ro.outcome);
            if let Some(reason) = &ro.reason {
                text.push_str(&format!(" ({})", cell(reason)));
            }
            line(text);
            let states: Vec<String> = ro.devices.iter().map(|(s, n)| format!("{n} {s}")).collect();
            line(format!("- devices: {}", states.join(", ")));
            if !ro.failed.is_empty() {
                line(format!("- failed: {}", cell(&ro.failed.join(", "))));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(lines: &[&str]) -> Recording {
        let start = r#"{"v":1,"at":"2026-12-02T03:00:00.000Z","kind":"start","front_end":"dashboard","source":"lab.yaml","down_after":2,"up_after":1,"flap_window_ms":300000,"flap_count":3,"devices":[{"name":"r1","host":"127.0.0.1"},{"name":"r|2","host":"127.0.0.2"}]}"#;
        let text = std::iter::once(start)
            .chain(lines.iter().copied())
            .collect::<Vec<_>>()
            .join("\n");
        crate::record::load::parse(text.as_bytes(), Limits::default(), "w").unwrap()
    }

    fn transition(at: &str, device: &str, from: &str, to: &str) -> String {
        format!(
            r#"{{"v":1,"at":"2026-12-02T03:{at}Z","kind":"transition","device":"{device}","from":"{from}","to":"{to}","why":"x","flaps":0}}"#
        )
    }

    #[test]
    fn outages_are_paired_in_order_and_one_still_open_says_so() {
        let lines = [
            transition("00:01", "r1", "unknown", "up"),
            transition("00:01", "r|2", "unknown", "up"),
            transition("01:00", "r1", "up", "down"),
            transition("01:30", "r1", "down", "up"),
            transition("02:00", "r|2", "up", "down"),
            transition("03:00", "r1", "up", "down"),
            transition("04:00", "r1", "down", "up"),
            r#"{"v":1,"at":"2026-12-02T03:05:00Z","kind":"end","dropped":0}"#.to_string(),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let r = summarize(&recording(&refs));
        let got: Vec<(&str, &str, Option<&str>, f64)> = r
            .outages
            .iter()
            .map(|o| {
                (
                    o.device.as_str(),
                    o.start.as_str(),
                    o.end.as_deref(),
                    o.duration_s,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "r1",
                    "2026-12-02T03:01:00.000Z",
                    Some("2026-12-02T03:01:30.000Z"),
                    30.0
                ),
                ("r|2", "2026-12-02T03:02:00.000Z", None, 180.0),
                (
                    "r1",
                    "2026-12-02T03:03:00.000Z",
                    Some("2026-12-02T03:04:00.000Z"),
                    60.0
                ),
            ]
        );
        let md = markdown(&r);
        assert!(md.contains("| r\\|2 | 2026-12-02T03:02:00.000Z | still down at the end of the recording | 3m00s |"), "{md}");
        assert_eq!(
            r.flaps.iter().map(|f| f.changes).collect::<Vec<_>>(),
            [4, 1]
        );
    }

    #[test]
    fn runs_count_ok_failed_and_unfinished_devices() {
        let r = summarize(&recording(&[
            r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"run","run":1,"command":"show version","devices":["r1","r|2"]}"#,
            r#"{"v":1,"at":"2026-12-02T03:00:02Z","kind":"outcome","run":1,"device":"r|2","ok":false,"stage":"auth","reason":"denied","duration_ms":3}"#,
            r#"{"v":1,"at":"2026-12-02T03:00:03Z","kind":"run","run":2,"command":"show clock","devices":["r1"]}"#,
            r#"{"v":1,"at":"2026-12-02T03:00:04Z","kind":"outcome","run":2,"device":"r1","ok":true,"duration_ms":3}"#,
        ]));
        let got: Vec<(u64, usize, Vec<String>, usize)> = (r.runs.iter())
            .map(|r| (r.run, r.ok, r.failed.clone(), r.unfinished))
            .collect();
        assert_eq!(got, [(1, 0, vec!["r|2".to_string()], 1), (2, 1, vec![], 0)]);
        assert!(r.rollout.is_none());
    }

    #[test]
    fn hostile_names_and_reasons_reach_neither_the_markdown_nor_the_json_raw() {
        for sample in crate::base::text::hostile::SAMPLES {
            let name = serde_json::to_string(sample).unwrap();
            let down = format!(
                r#"{{"v":1,"at":"2026-12-02T03:01:00Z","kind":"transition","device":{name},"from":"up","to":"down","why":{name},"reason":{name},"flaps":1}}"#
            );
            let run = format!(
                r#"{{"v":1,"at":"2026-12-02T03:01:00Z","kind":"run","run":1,"command":{name},"devices":[{name}]}}"#
            );
            let text = [down.as_str(), run.as_str()];
            let start_text = recording(&[]).start.devices[1].name.clone();
            assert_eq!(start_text, "r|2");
            let r = {
                let start = r#"{"v":1,"at":"2026-12-02T03:00:00.000Z","kind":"start","front_end":"dashboard","source":"lab.yaml","down_after":2,"up_after":1,"flap_window_ms":300000,"flap_count":3,"devices":[{"name":NAME,"host":"127.0.0.1"}]}"#
                    .replace("NAME", &name);
                let all = std::iter::once(start.as_str())
                    .chain(text)
                    .collect::<Vec<_>>()
                    .join("\n");
                crate::record::load::parse(all.as_bytes(), Limits::default(), "w").unwrap()
            };
            assert!(r.issues.is_empty(), "{:?}", r.issues);
            let report = summarize(&r);
            assert_eq!((report.outages.len(), report.runs.len()), (1, 1));
            crate::base::text::hostile::assert_inert(sample, &markdown(&report));
            let json = escape_json(&serde_json::to_string(&report).unwrap());
            crate::base::text::hostile::assert_inert(sample, &json);
        }
    }
}
