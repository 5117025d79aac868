//! The recording's format: one JSON object per line, each with the schema version `v`, an
//! RFC 3339 UTC time `at` and a `kind`. The first line of every file is a `start` record
//! (the devices and the reducer's damping), so each file (also one begun by rotation) can
//! be replayed and reported on by itself.
//!
//! ```text
//! {"v":1,"at":"2026-12-02T03:10:00.000Z","kind":"start","front_end":"dashboard",…,"devices":[…]}
//! {"v":1,"at":"…","kind":"transition","device":"r2","from":"up","to":"down","why":"2 lost (no reply)",…}
//! {"v":1,"at":"…","kind":"run","run":1,"command":"show version","devices":["r1","r2"]}
//! {"v":1,"at":"…","kind":"outcome","run":1,"device":"r1","ok":true,"duration_ms":12.5,…}
//! {"v":1,"at":"…","kind":"rollout","event":"device","device":"r1","state":"done",…}
//! {"v":1,"at":"…","kind":"notice","text":"…"}
//! {"v":1,"at":"…","kind":"end","dropped":0}
//! ```
//!
//! No device output is recorded (a check's output neither), only outcomes; every string is
//! masked with the inventory's secrets before it is written.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::rollout::event::{CheckPhase, DeviceState, Outcome, RunState};

/// The version every line carries. A reader refuses lines of a newer version.
pub const SCHEMA: u32 = 1;

/// One line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub v: u32,
    /// RFC 3339, UTC.
    pub at: String,
    #[serde(flatten)]
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Start(Start),
    /// A damped state change of one device, as the reducer made it.
    Transition(TransitionRec),
    /// How devices are probed (ICMP, or the TCP fallback).
    Mode(ModeRec),
    /// A command run started.
    Run(RunRec),
    /// One device's result of a run.
    Outcome(OutcomeRec),
    Rollout(RolloutRec),
    /// A line of the log pane (a worker's warning, a job's result).
    Notice {
        text: String,
    },
    /// Records lost here because the writer fell behind (the timeline has a gap).
    Dropped {
        count: u64,
    },
    /// The recording ended normally.
    End {
        dropped: u64,
    },
}

/// What the rest of the file is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Start {
    /// `dashboard`, `sweep`, `exec`, `rollout`.
    pub front_end: String,
    /// The inventory's source.
    pub source: String,
    pub down_after: u32,
    pub up_after: u32,
    pub flap_window_ms: u64,
    pub flap_count: usize,
    /// This file continues a recording whose size cap was reached (the devices' states
    /// then follow as `carried` transitions).
    #[serde(default, skip_serializing_if = "is_false")]
    pub continues: bool,
    pub devices: Vec<DeviceRec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRec {
    pub name: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachRec {
    Up,
    Down,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionRec {
    pub device: String,
    pub from: ReachRec,
    pub to: ReachRec,
    /// The reducer's words: `reply in 0.21ms`, `2 lost (no reply)`.
    pub why: String,
    /// The reply that brought it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_us: Option<u64>,
    /// Why the probe that took it down failed (`None`: no reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Up↔down changes of the device so far.
    pub flaps: u32,
    /// Flapping after this change (the dashboard's `~`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub flapping: bool,
    /// Not a change: the state the device was in when this file began (`at` is when it
    /// entered it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub carried: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeRec {
    /// `raw` or `datagram` when ICMP works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<String>,
    /// Why ICMP does not work, and the command that would enable it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_fallback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRec {
    pub run: u64,
    pub command: String,
    pub devices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRec {
    pub run: u64,
    pub device: String,
    pub ok: bool,
    /// Where it failed: `connect`, `auth`, … or `command` (the device refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<u32>,
    /// The output held the platform's error marker.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error_marker: bool,
    pub duration_ms: f64,
}

/// A rollout event, devices by name, check outputs left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RolloutRec {
    Started {
        plan: String,
        waves: Vec<WaveRec>,
        resumed: bool,
    },
    Device {
        device: String,
        state: DeviceState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Step {
        device: String,
        step: String,
    },
    Check {
        device: String,
        phase: CheckPhase,
        name: String,
        passed: bool,
    },
    Wave {
        wave: usize,
        state: RunState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Overall {
        state: RunState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Log {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        text: String,
    },
    Finished {
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveRec {
    pub index: usize,
    pub kind: String,
    pub devices: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Record {
    /// The devices a record names (each must be one of the start record's).
    pub fn devices(&self) -> Vec<&str> {
        match self {
            Record::Transition(t) => vec![&t.device],
            Record::Run(r) => r.devices.iter().map(String::as_str).collect(),
            Record::Outcome(o) => vec![&o.device],
            Record::Rollout(r) => match r {
                RolloutRec::Started { waves, .. } => waves
                    .iter()
                    .flat_map(|w| w.devices.iter().map(String::as_str))
                    .collect(),
                RolloutRec::Device { device, .. }
                | RolloutRec::Step { device, .. }
                | RolloutRec::Check { device, .. } => vec![device],
                RolloutRec::Log { device, .. } => device.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Every string of the record that came from a device, a file or a worker, for the
    /// loader to make inert.
    pub(crate) fn texts_mut(&mut self) -> Vec<&mut String> {
        let mut out: Vec<&mut String> = Vec::new();
        match self {
            Record::Start(s) => {
                out.push(&mut s.front_end);
                out.push(&mut s.source);
                for d in &mut s.devices {
                    out.push(&mut d.name);
                    out.push(&mut d.host);
                    out.push(&mut d.platform);
                    out.extend(d.groups.iter_mut());
                    // Tag keys are kept as they are only when already inert (see load).
                    out.extend(d.tags.values_mut());
                }
            }
            Record::Transition(t) => {
                out.push(&mut t.device);
                out.push(&mut t.why);
                out.extend(t.reason.as_mut());
            }
            Record::Mode(m) => {
                out.extend(m.icmp.as_mut());
                out.extend(m.tcp_fallback.as_mut());
                out.extend(m.enable.as_mut());
            }
            Record::Run(r) => {
                out.push(&mut r.command);
                out.extend(r.devices.iter_mut());
            }
            Record::Outcome(o) => {
                out.push(&mut o.device);
                out.extend(o.stage.as_mut());
                out.extend(o.reason.as_mut());
            }
            Record::Rollout(r) => match r {
                RolloutRec::Started { plan, waves, .. } => {
                    out.push(plan);
                    for w in waves {
                        out.push(&mut w.kind);
                        out.extend(w.devices.iter_mut());
                    }
                }
                RolloutRec::Device { device, reason, .. } => {
                    out.push(device);
                    out.extend(reason.as_mut());
                }
                RolloutRec::Step { device, step } => {
                    out.push(device);
                    out.push(step);
                }
                RolloutRec::Check { device, name, .. } => {
                    out.push(device);
                    out.push(name);
                }
                RolloutRec::Wave { reason, .. } | RolloutRec::Overall { reason, .. } => {
                    out.extend(reason.as_mut());
                }
                RolloutRec::Log { device, text } => {
                    out.extend(device.as_mut());
                    out.push(text);
                }
                RolloutRec::Finished { report, .. } => out.extend(report.as_mut()),
            },
            Record::Notice { text } => out.push(text),
            Record::Dropped { .. } | Record::End { .. } => {}
        }
        out
    }
}

impl From<crate::fleet::Reach> for ReachRec {
    fn from(reach: crate::fleet::Reach) -> ReachRec {
        match reach {
            crate::fleet::Reach::Up => ReachRec::Up,
            crate::fleet::Reach::Down => ReachRec::Down,
            crate::fleet::Reach::Unknown => ReachRec::Unknown,
        }
    }
}

impl ReachRec {
    pub fn as_str(self) -> &'static str {
        match self {
            ReachRec::Up => "up",
            ReachRec::Down => "down",
            ReachRec::Unknown => "unknown",
        }
    }
}

/// `at` of a line: RFC 3339 in UTC to the millisecond.
pub fn time(t: SystemTime) -> String {
    crate::base::time::rfc3339(t)
}

/// Reads an RFC 3339 time (any offset).
pub fn parse_time(text: &str) -> Option<SystemTime> {
    let ts: jiff::Timestamp = text.parse().ok()?;
    SystemTime::try_from(ts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_with_their_kind_and_version() {
        let lines = [
            Record::Notice { text: "hi".into() },
            Record::Rollout(RolloutRec::Device {
                device: "r1".into(),
                state: DeviceState::Done,
                reason: None,
            }),
            Record::Transition(TransitionRec {
                device: "r1".into(),
                from: ReachRec::Up,
                to: ReachRec::Down,
                why: "2 lost (no reply)".into(),
                rtt_us: None,
                reason: None,
                flaps: 1,
                flapping: false,
                carried: false,
            }),
            Record::End { dropped: 0 },
        ];
        for record in lines {
            let line = Line {
                v: SCHEMA,
                at: "2026-12-02T03:10:00.000Z".into(),
                record,
            };
            let text = serde_json::to_string(&line).unwrap();
            assert!(text.starts_with("{\"v\":1,\"at\":\"2026-12-02T03:10:00.000Z\",\"kind\":"));
            let back: Line = serde_json::from_str(&text).unwrap();
            assert_eq!(back, line, "{text}");
        }
    }

    #[test]
    fn times_are_rfc3339_utc_and_read_back() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_764_645_000_123);
        let text = time(t);
        assert_eq!(text, "2025-12-02T03:10:00.123Z");
        assert_eq!(parse_time(&text), Some(t));
        assert_eq!(parse_time("2025-12-02T04:10:00.123+01:00"), Some(t));
        assert_eq!(parse_time("yesterday"), None);
    }
}
