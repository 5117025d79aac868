//! Feeding a recording back through the reducer ([`State::apply`] and [`State::record`],
//! the dashboard's own), so a replay shows what the dashboard showed.
//!
//! A recorded transition becomes the probes that make the reducer take it again: a change
//! to `down` becomes `down_after` failed probes with the recorded reason, a change to `up`
//! `up_after` replies with the recorded RTT. The reducer then logs the same line and counts
//! the same flaps. RTT history between changes is not recorded, so sparklines are thin.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::format::{ModeRec, OutcomeRec, ReachRec, Record, RolloutRec, TransitionRec};
use super::load::{Entry, Recording};
use crate::exec::{Command, ExecEvent};
use crate::fleet::{Event, FleetConfig, IcmpSocket, ProbeMode, ProbeOutcome, ProbeResult, State};
use crate::inventory::{Device, DeviceId, Inventory, ProbeSpec};
use crate::rollout::event::{RolloutEvent, WaveInfo};
use crate::ssh::{ExecError, Output, Stage};

/// What a replay needs to rebuild the state at any point of a recording.
pub struct Feed {
    pub inventory: Arc<Inventory>,
    pub config: FleetConfig,
    /// `Instant` `base` stands for the recording's start.
    pub origin: (Instant, SystemTime),
}

impl Feed {
    pub fn new(recording: &Recording, base: Instant) -> Feed {
        let start = &recording.start;
        let devices = start
            .devices
            .iter()
            .map(|d| Device {
                name: d.name.clone(),
                host: d.host.clone(),
                port: 22,
                port_set: false,
                platform: d.platform.clone(),
                username: None,
                password_env: None,
                key_file: None,
                key_passphrase_env: None,
                agent: false,
                legacy_ssh: false,
                groups: d.groups.clone().into(),
                all_groups: d.groups.clone().into(),
                tags: std::sync::Arc::new(d.tags.clone()),
                probe: ProbeSpec::Icmp,
                // A recording keeps the run's damping, not the inventory's per-group one.
                timing: Default::default(),
                jump: Vec::new(),
            })
            .collect();
        let inventory = Arc::new(Inventory {
            source: start.source.clone(),
            devices,
            ..Inventory::default()
        });
        let config = FleetConfig {
            // A zero from a hostile file would make every probe a change, a huge number
            // every change a million probes.
            down_after: start.down_after.clamp(1, 100),
            up_after: start.up_after.clamp(1, 100),
            flap_window: Duration::from_millis(start.flap_window_ms),
            flap_count: start.flap_count.max(1),
            ..FleetConfig::default()
        };
        Feed {
            inventory,
            config,
            origin: (base, recording.started),
        }
    }

    /// The state before the first record.
    pub fn fresh(&self) -> State {
        State::new(self.inventory.clone(), self.config.clone(), self.origin)
    }

    /// The `Instant` a recorded time stands for (times before the start count as the start).
    pub fn instant(&self, at: SystemTime) -> Instant {
        self.origin.0 + at.duration_since(self.origin.1).unwrap_or_default()
    }

    /// Folds one record into `state` through the reducer.
    pub fn apply(&self, state: &mut State, recording: &Recording, entry: &Entry) {
        let at = self.instant(entry.at);
        let id = |name: &str| recording.index.get(name).copied().unwrap_or(usize::MAX);
        match &entry.record {
            Record::Transition(t) => self.transition(state, id(&t.device), at, t),
            Record::Mode(mode) => state.apply(Event::Mode(probe_mode(mode))),
            Record::Run(run) => state.record(
                &Command::Run {
                    run: run.run,
                    devices: run.devices.iter().map(|d| id(d)).collect(),
                    command: run.command.clone(),
                },
                at,
            ),
            Record::Outcome(o) => state.apply(Event::Exec(ExecEvent::Finished {
                run: o.run,
                device: id(&o.device),
                at,
                duration: Duration::from_secs_f64((o.duration_ms / 1e3).clamp(0.0, 1e9)),
                result: result(o),
            })),
            Record::Rollout(r) => state.apply(Event::Rollout(rollout_event(r, at, id))),
            Record::Notice { text } => state.apply(Event::Notice {
                at,
                text: text.clone(),
            }),
            Record::Dropped { count } => state.apply(Event::Notice {
                at,
                text: format!("recording: {count} records lost here (the writer fell behind)"),
            }),
            Record::Start(_) | Record::End { .. } => {}
        }
    }

    fn transition(&self, state: &mut State, device: DeviceId, at: Instant, t: &TransitionRec) {
        let (outcome, times) = match t.to {
            ReachRec::Up => {
                let rtt = Duration::from_micros(t.rtt_us.unwrap_or(0));
                (ProbeOutcome::Reply { rtt }, self.config.up_after)
            }
            ReachRec::Down => {
                let outcome = match &t.reason {
                    Some(reason) => ProbeOutcome::Failed {
                        reason: reason.clone(),
                    },
                    None => ProbeOutcome::Lost,
                };
                (outcome, self.config.down_after)
            }
            ReachRec::Unknown => return,
        };
        for _ in 0..times {
            state.apply(Event::Probe(ProbeResult {
                device,
                at,
                outcome: outcome.clone(),
            }));
        }
    }
}

fn probe_mode(mode: &ModeRec) -> ProbeMode {
    match (&mode.icmp, &mode.tcp_fallback) {
        (Some(kind), _) if kind == "datagram" => ProbeMode::Icmp(IcmpSocket::Datagram),
        (_, Some(reason)) => ProbeMode::TcpFallback {
            reason: reason.clone(),
            enable: mode.enable.clone().unwrap_or_default(),
        },
        _ => ProbeMode::Icmp(IcmpSocket::Raw),
    }
}

const STAGES: [Stage; 11] = [
    Stage::Resolve,
    Stage::Connect,
    Stage::Handshake,
    Stage::HostKey,
    Stage::Auth,
    Stage::Channel,
    Stage::Prompt,
    Stage::Detect,
    Stage::Command,
    Stage::CircuitOpen,
    Stage::Cancelled,
];

/// The outcome as the run view shows it; the output itself was never recorded.
fn result(o: &OutcomeRec) -> Result<Output, ExecError> {
    let stage = o
        .stage
        .as_deref()
        .and_then(|s| STAGES.into_iter().find(|st| st.as_str() == s));
    match (o.ok, stage, &o.reason) {
        (false, Some(stage), Some(reason)) => Err(ExecError {
            stage,
            maybe_ran: false,
            reason: reason.clone(),
        }),
        (ok, _, _) => Ok(Output {
            text: "(output not recorded)".into(),
            exit_status: o.exit_status.or((!ok).then_some(1)),
            error_marker: o.error_marker.then(|| "(error marker)".to_string()),
            ..Output::default()
        }),
    }
}

fn rollout_event(r: &RolloutRec, at: Instant, id: impl Fn(&str) -> DeviceId) -> RolloutEvent {
    match r.clone() {
        RolloutRec::Started {
            plan,
            waves,
            resumed,
        } => RolloutEvent::Started {
            plan,
            resumed,
            waves: waves
                .into_iter()
                .map(|w| WaveInfo {
                    index: w.index,
                    kind: w.kind,
                    devices: w.devices.iter().map(|d| id(d)).collect(),
                })
                .collect(),
        },
        RolloutRec::Device {
            device,
            state,
            reason,
        } => RolloutEvent::Device {
            device: id(&device),
            state,
            reason,
        },
        RolloutRec::Step { device, step } => RolloutEvent::Step {
            device: id(&device),
            step,
        },
        RolloutRec::Check {
            device,
            phase,
            name,
            passed,
        } => RolloutEvent::Check {
            device: id(&device),
            phase,
            name,
            passed,
            output: "(output not recorded)".into(),
        },
        RolloutRec::Wave {
            wave,
            state,
            reason,
        } => RolloutEvent::Wave {
            wave,
            state,
            reason,
        },
        RolloutRec::Overall { state, reason } => RolloutEvent::Overall { state, reason },
        RolloutRec::Log { device, text } => RolloutEvent::Log {
            at,
            device: device.map(|d| id(&d)),
            text,
        },
        RolloutRec::Finished { outcome, report } => RolloutEvent::Finished {
            outcome,
            report: report.map(Into::into),
        },
    }
}
