//! What the rollout executor tells front ends ([`RolloutEvent`]), what front ends tell it
//! ([`Control`]), and [`RolloutState`]: a pure fold of the events that the TUI renders and
//! the headless printer reads. No I/O here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::base::secrets::Secrets;
use crate::inventory::DeviceId;

/// Sent by the TUI (keys `p`, `r`, `a`, `Enter`) or the headless front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop starting new devices; in-flight devices finish their current step.
    Pause,
    Resume,
    /// Stop after the in-flight steps; every device not started is marked skipped.
    Abort,
    /// Start the next wave (manual pause), or cut a timed pause short.
    Approve,
}

pub use super::report::{DeviceState, RunState};

/// How a rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Halted,
    Aborted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Halted => "halted",
            Outcome::Aborted => "aborted",
        }
    }
}

/// Pre-checks, post-checks or the snapshot command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckPhase {
    Pre,
    Post,
}

/// One wave as announced at the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveInfo {
    pub index: usize,
    /// `canary` or `batch`.
    pub kind: String,
    pub devices: Vec<DeviceId>,
}

/// Executor → front ends. Sent as `Event::Rollout(..)` to the TUI.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutEvent {
    Started {
        plan: String,
        waves: Vec<WaveInfo>,
        resumed: bool,
    },
    /// A device changed state; `reason` says why it failed, was skipped or is unknown.
    Device {
        device: DeviceId,
        state: DeviceState,
        reason: Option<String>,
    },
    /// A device started the next step or check (its label), within its state.
    Step { device: DeviceId, step: String },
    /// A check ran: its output is kept for the device details view.
    Check {
        device: DeviceId,
        phase: CheckPhase,
        name: String,
        passed: bool,
        output: String,
    },
    Wave {
        wave: usize,
        state: RunState,
        reason: Option<String>,
    },
    Overall {
        state: RunState,
        reason: Option<String>,
    },
    Log {
        /// When it happened (the log shows a time on every line).
        at: std::time::Instant,
        device: Option<DeviceId>,
        text: String,
    },
    /// The last event: how it ended and where the report is (if it could be written).
    Finished {
        outcome: Outcome,
        report: Option<PathBuf>,
    },
}

impl RolloutEvent {
    /// The event with every secret masked in its texts: what every front end receives.
    pub fn masked(self, secrets: &Secrets) -> RolloutEvent {
        if secrets.is_empty() {
            return self;
        }
        let mask = |s: String| secrets.mask(&s);
        let mask_opt = |s: Option<String>| s.map(|s| secrets.mask(&s));
        match self {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => RolloutEvent::Started {
                plan: mask(plan),
                waves,
                resumed,
            },
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => RolloutEvent::Device {
                device,
                state,
                reason: mask_opt(reason),
            },
            RolloutEvent::Step { device, step } => RolloutEvent::Step {
                device,
                step: mask(step),
            },
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                output,
            } => RolloutEvent::Check {
                device,
                phase,
                name: mask(name),
                passed,
                output: mask(output),
            },
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => RolloutEvent::Wave {
                wave,
                state,
                reason: mask_opt(reason),
            },
            RolloutEvent::Overall { state, reason } => RolloutEvent::Overall {
                state,
                reason: mask_opt(reason),
            },
            RolloutEvent::Log { at, device, text } => RolloutEvent::Log {
                at,
                device,
                text: mask(text),
            },
            finished @ RolloutEvent::Finished { .. } => finished,
        }
    }
}

/// One device as a front end shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceView {
    pub wave: Option<usize>,
    pub state: DeviceState,
    pub reason: Option<String>,
    /// The step or check running now (cleared when the device reaches a final state).
    pub step: Option<String>,
    /// Check outputs, in the order they ran: (phase, name, passed, output).
    pub checks: Vec<(CheckPhase, String, bool, String)>,
}

/// One wave as a front end shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveView {
    pub info: WaveInfo,
    pub state: RunState,
    pub reason: Option<String>,
}

/// Counts of devices by state, for gauges and summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: usize,
    pub active: usize,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub rolled_back: usize,
    pub unknown: usize,
}

impl Counts {
    /// Devices that will not move again.
    pub fn finished(&self) -> usize {
        self.done + self.failed + self.skipped + self.rolled_back
    }
}

/// Lines of log kept; older ones are dropped.
pub const LOG_CAP: usize = 1000;

/// Everything a front end needs, folded from [`RolloutEvent`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutState {
    pub plan: String,
    pub resumed: bool,
    pub overall: RunState,
    /// Why it halted (which threshold), or what it waits for.
    pub overall_reason: Option<String>,
    pub waves: Vec<WaveView>,
    /// Indexed by `DeviceId` of the inventory; `None` for devices outside the rollout.
    pub devices: Vec<Option<DeviceView>>,
    pub log: std::collections::VecDeque<(Option<DeviceId>, String)>,
    pub outcome: Option<Outcome>,
    pub report: Option<PathBuf>,
}

impl RolloutState {
    /// An empty state for an inventory of `devices` devices.
    pub fn new(devices: usize) -> RolloutState {
        RolloutState {
            plan: String::new(),
            resumed: false,
            overall: RunState::Pending,
            overall_reason: None,
            waves: Vec::new(),
            devices: vec![None; devices],
            log: Default::default(),
            outcome: None,
            report: None,
        }
    }

    pub fn apply(&mut self, event: &RolloutEvent) {
        match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => {
                self.plan = plan.clone();
                self.resumed = *resumed;
                self.overall = RunState::Running;
                self.waves = waves
                    .iter()
                    .map(|w| WaveView {
                        info: w.clone(),
                        state: RunState::Pending,
                        reason: None,
                    })
                    .collect();
                for w in waves {
                    for &d in &w.devices {
                        if d >= self.devices.len() {
                            self.devices.resize(d + 1, None);
                        }
                        self.devices[d] = Some(DeviceView {
                            wave: Some(w.index),
                            state: DeviceState::Pending,
                            reason: None,
                            step: None,
                            checks: Vec::new(),
                        });
                    }
                }
            }
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => {
                if let Some(view) = self.device_mut(*device) {
                    view.state = *state;
                    view.reason = reason.clone();
                    if state.is_final() {
                        view.step = None;
                    }
                }
            }
            RolloutEvent::Step { device, step } => {
                if let Some(view) = self.device_mut(*device) {
                    view.step = Some(step.clone());
                }
            }
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                output,
            } => {
                if let Some(view) = self.device_mut(*device) {
                    view.checks
                        .push((*phase, name.clone(), *passed, output.clone()));
                }
            }
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => {
                if let Some(w) = self.waves.get_mut(*wave) {
                    w.state = *state;
                    w.reason = reason.clone();
                }
            }
            RolloutEvent::Overall { state, reason } => {
                self.overall = *state;
                self.overall_reason = reason.clone();
            }
            RolloutEvent::Log { device, text, .. } => {
                if self.log.len() == LOG_CAP {
                    self.log.pop_front();
                }
                self.log.push_back((*device, text.clone()));
            }
            RolloutEvent::Finished { outcome, report } => {
                self.outcome = Some(*outcome);
                self.report = report.clone();
            }
        }
    }

    fn device_mut(&mut self, device: DeviceId) -> Option<&mut DeviceView> {
        self.devices.get_mut(device).and_then(Option::as_mut)
    }

    pub fn device(&self, device: DeviceId) -> Option<&DeviceView> {
        self.devices.get(device).and_then(Option::as_ref)
    }

    /// Counts over the whole rollout, or over one wave.
    pub fn counts(&self, wave: Option<usize>) -> Counts {
        let mut c = Counts::default();
        let views = self.devices.iter().flatten();
        for v in views.filter(|v| wave.is_none() || v.wave == wave) {
            match v.state {
                DeviceState::Pending => c.pending += 1,
                DeviceState::Done => c.done += 1,
                DeviceState::Failed => c.failed += 1,
                DeviceState::Skipped => c.skipped += 1,
                DeviceState::RolledBack => c.rolled_back += 1,
                DeviceState::Unknown => c.unknown += 1,
                _ => c.active += 1,
            }
        }
        c
    }

    /// The wave that is running, paused or waiting (the last one not pending).
    pub fn current_wave(&self) -> Option<usize> {
        self.waves
            .iter()
            .rposition(|w| w.state != RunState::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> RolloutEvent {
        RolloutEvent::Started {
            plan: "ntp".into(),
            waves: vec![
                WaveInfo {
                    index: 0,
                    kind: "canary".into(),
                    devices: vec![2],
                },
                WaveInfo {
                    index: 1,
                    kind: "batch".into(),
                    devices: vec![0, 3],
                },
            ],
            resumed: false,
        }
    }

    #[test]
    fn folds_devices_waves_and_counts() {
        let mut s = RolloutState::new(4);
        s.apply(&started());
        assert_eq!(s.counts(None).pending, 3);
        assert!(s.device(1).is_none());
        s.apply(&RolloutEvent::Wave {
            wave: 0,
            state: RunState::Running,
            reason: None,
        });
        s.apply(&RolloutEvent::Device {
            device: 2,
            state: DeviceState::Applying,
            reason: None,
        });
        s.apply(&RolloutEvent::Step {
            device: 2,
            step: "ntp server 127.0.0.1".into(),
        });
        assert_eq!(s.counts(Some(0)).active, 1);
        assert_eq!(s.current_wave(), Some(0));
        s.apply(&RolloutEvent::Check {
            device: 2,
            phase: CheckPhase::Post,
            name: "ntp".into(),
            passed: false,
            output: "nothing".into(),
        });
        s.apply(&RolloutEvent::Device {
            device: 2,
            state: DeviceState::Failed,
            reason: Some("post-check ntp".into()),
        });
        assert_eq!(s.device(2).unwrap().step, None);
        let c = s.counts(None);
        assert_eq!((c.failed, c.pending, c.finished()), (1, 2, 1));
        assert_eq!(s.device(2).unwrap().checks.len(), 1);
        s.apply(&RolloutEvent::Finished {
            outcome: Outcome::Halted,
            report: None,
        });
        assert_eq!(s.outcome, Some(Outcome::Halted));
    }

    #[test]
    fn log_is_bounded() {
        let mut s = RolloutState::new(0);
        for i in 0..LOG_CAP + 5 {
            s.apply(&RolloutEvent::Log {
                at: std::time::Instant::now(),
                device: None,
                text: i.to_string(),
            });
        }
        assert_eq!(s.log.len(), LOG_CAP);
        assert_eq!(s.log.front().unwrap().1, "5");
    }
}
