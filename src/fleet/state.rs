//! The engine's whole state and its reducer, [`State::apply`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::device::{Damping, DeviceState, Reach, Transition};
use super::event::Event;
use super::jobs::Jobs;
use super::log::{self, LogEntry, LogKind};
use super::remote::{RemoteReport, RemoteStatus, VANTAGES_KEPT};
use super::runs::{Run, Runs};
use crate::base::time::WallClock;
use crate::exec::Command;
use crate::inventory::{DeviceId, Inventory};
use crate::probe::{ProbeMode, ProbeOutcome, SweepStats};
use crate::rollout::event::{RolloutEvent, RolloutState};

/// Knobs of the reducer.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfig {
    /// Consecutive losses before a device is declared down.
    pub down_after: u32,
    /// Consecutive replies before a device is declared up.
    pub up_after: u32,
    /// Probes kept per device (RTT sparkline, loss and jitter window)…
    pub history: usize,
    /// …and no older than this, so a long window stays bounded in time too.
    pub history_age: Duration,
    /// Log lines kept: the session's history in the full-screen log (a folded line of
    /// learned host keys counts once).
    pub log_lines: usize,
    /// A device with `flap_count` changes within `flap_window` is marked flapping.
    pub flap_window: Duration,
    pub flap_count: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            down_after: 2,
            up_after: 1,
            history: 60,
            history_age: Duration::from_secs(600),
            log_lines: 5000,
            flap_window: Duration::from_secs(300),
            flap_count: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub up: usize,
    pub down: usize,
    pub unknown: usize,
}

impl Counts {
    fn slot(&mut self, reach: Reach) -> &mut usize {
        match reach {
            Reach::Up => &mut self.up,
            Reach::Down => &mut self.down,
            Reach::Unknown => &mut self.unknown,
        }
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub inventory: Arc<Inventory>,
    pub config: FleetConfig,
    /// Parallel to `inventory.devices`.
    pub devices: Vec<DeviceState>,
    pub counts: Counts,
    pub log: VecDeque<LogEntry>,
    pub mode: Option<ProbeMode>,
    pub last_sweep: Option<SweepStats>,
    /// Commands run over SSH, and each device's link and facts.
    pub exec: Runs,
    /// The rollout, once one has started.
    pub rollout: Option<RolloutState>,
    /// Backups and what git holds, as the dashboard follows them.
    pub jobs: Jobs,
    /// The remote vantage points' source, once one reported (`--from-prometheus`).
    pub remote: Option<RemoteStatus>,
    /// A pair of clocks read together, to print `Instant`s as wall-clock times.
    pub origin: (Instant, SystemTime),
    /// The zone [`State::clock`] shows times in: UTC unless the front end chooses (the
    /// dashboard shows local time).
    pub wall_clock: WallClock,
    /// Bumped by every change; front ends compare it to know whether to redraw.
    pub version: u64,
    /// Bumped by every change a person should see at once: all but probe results that
    /// changed no device's state, and sweep totals (the dashboard draws those lazily).
    pub state_version: u64,
}

impl State {
    pub fn new(
        inventory: Arc<Inventory>,
        config: FleetConfig,
        origin: (Instant, SystemTime),
    ) -> Self {
        let n = inventory.devices.len();
        State {
            inventory,
            config,
            devices: vec![DeviceState::default(); n],
            counts: Counts {
                unknown: n,
                ..Counts::default()
            },
            log: VecDeque::new(),
            mode: None,
            last_sweep: None,
            exec: Runs::new(n),
            rollout: None,
            jobs: Jobs::new(n),
            remote: None,
            origin,
            wall_clock: WallClock::default(),
            version: 0,
            state_version: 0,
        }
    }

    /// The reducer: folds one event into the state. Pure: no I/O, time comes from events.
    pub fn apply(&mut self, event: Event) {
        self.version += 1;
        if !matches!(
            event,
            Event::Probe(_) | Event::Probes(_) | Event::SweepDone(_)
        ) {
            self.state_version += 1;
        }
        match event {
            Event::Probes(results) => {
                for result in results {
                    self.apply(Event::Probe(result));
                }
            }
            Event::Probe(result) => {
                let Some(device) = self.devices.get_mut(result.device) else {
                    return;
                };
                let (rtt, error) = match result.outcome {
                    ProbeOutcome::Reply { rtt } => (Some(rtt), None),
                    ProbeOutcome::Lost => (None, None),
                    ProbeOutcome::Failed { reason } => (None, Some(reason)),
                };
                // The inventory's per-group damping wins over the command line's.
                let timing = &self.inventory.devices[result.device].timing;
                let damping = Damping {
                    down_after: timing.down_after.unwrap_or(self.config.down_after),
                    up_after: timing.up_after.unwrap_or(self.config.up_after),
                };
                if let Some(t) = device.observe(result.at, rtt, error, damping, &self.config) {
                    self.transition(result.device, t);
                }
            }
            Event::Remote(report) => self.see_remote(report),
            Event::SweepDone(stats) => self.last_sweep = Some(stats),
            Event::Mode(mode) => {
                let text = match &mode {
                    // What the devices use, as the summary bar says it: with `probe:
                    // tcp:PORT` everywhere, ICMP being available is beside the point.
                    ProbeMode::Icmp(_) => super::probe_line(Some(&mode), &self.inventory),
                    ProbeMode::TcpFallback { reason, enable } => {
                        format!(
                            "ICMP unavailable ({reason}); probing by TCP connect. Enable ICMP: {enable}"
                        )
                    }
                };
                self.log_line(LogEntry::new(self.origin.0, LogKind::Probe, text));
                self.mode = Some(mode);
            }
            Event::Notice { at, text } => {
                self.log_line(LogEntry::new(at, LogKind::of_notice(&text), text))
            }
            Event::Exec(event) => self.exec.apply(event),
            Event::Job(event) => {
                if let Some((at, line)) = self.jobs.apply(event) {
                    self.log_line(LogEntry::new(at, LogKind::Job, line));
                }
            }
            Event::Rollout(event) => {
                // The rollout's lines join the session's log, with their time and device.
                if let RolloutEvent::Log { at, device, text } = &event {
                    let name = device.and_then(|d| self.inventory.devices.get(d));
                    let text = match name {
                        Some(d) => format!("{}: {text}", d.name),
                        None => text.clone(),
                    };
                    let mut entry = LogEntry::new(*at, LogKind::Rollout, text);
                    entry.device = *device;
                    self.log_line(entry);
                }
                let devices = self.devices.len();
                self.rollout
                    .get_or_insert_with(|| RolloutState::new(devices))
                    .apply(&event);
            }
        }
    }

    /// Counts and logs one device's transition.
    fn transition(&mut self, device: DeviceId, t: Transition) {
        // A state change is drawn at once, unlike an RTT.
        self.state_version += 1;
        *self.counts.slot(t.from) -= 1;
        *self.counts.slot(t.to) += 1;
        // A device found up at start is not news; the summary bar counts it.
        if (t.from, t.to) == (Reach::Unknown, Reach::Up) {
            return;
        }
        let name = &self.inventory.devices[device].name;
        let text = format!("{name} {} → {}: {}", t.from.as_str(), t.to.as_str(), t.why);
        let mut entry = LogEntry::new(t.at, LogKind::Reach, text);
        (entry.device, entry.reach) = (Some(device), Some(t.to));
        self.log_line(entry);
    }

    /// Folds one poll of the remote vantage points: every device takes its views (kept
    /// from the last good poll when this one failed); the source's health goes to the
    /// header, and into the log when it changes.
    fn see_remote(&mut self, report: RemoteReport) {
        let status = self.remote.get_or_insert_with(RemoteStatus::default);
        match report {
            RemoteReport::Failed { at, reason } => {
                let news = status.error.is_none();
                status.error = Some(reason.clone());
                if news {
                    let text = format!("remote vantage points unreadable: {reason}");
                    self.log_line(LogEntry::new(at, LogKind::Probe, text));
                }
            }
            RemoteReport::Seen { at, views, .. } => {
                let recovered = status.error.take().is_some();
                status.last_ok = Some(at);
                if recovered {
                    let text = "remote vantage points readable again".to_string();
                    self.log_line(LogEntry::new(at, LogKind::Probe, text));
                }
                let mut views = views.into_iter();
                for id in 0..self.devices.len() {
                    let mut seen = views.next().unwrap_or_default();
                    seen.truncate(VANTAGES_KEPT);
                    if let Some(t) = self.devices[id].see_remote(at, seen) {
                        self.transition(id, t);
                    }
                }
            }
        }
    }

    /// Records a command a front end sends to the workers (a run is tracked from here on).
    pub fn record(&mut self, command: &Command, at: Instant) {
        self.version += 1;
        self.state_version += 1;
        if let Command::Cancel { run } = command {
            self.exec.cancel_requested(*run);
        }
        if let Command::Run {
            run,
            devices,
            command,
        } = command
        {
            let text = format!(
                "run #{run}: `{command}` on {}",
                crate::base::text::count(devices.len(), "device")
            );
            self.exec
                .start(Run::new(*run, command.clone(), devices.clone(), at));
            let mut entry = LogEntry::new(at, LogKind::Run, text);
            entry.run = Some(*run);
            self.log_line(entry);
        }
    }

    fn log_line(&mut self, entry: LogEntry) {
        log::push(&mut self.log, entry, self.config.log_lines);
    }

    /// Per device: `Some(true)` up, `Some(false)` down, `None` not known yet (what the
    /// rollout executor watches).
    pub fn reachability(&self) -> Vec<Option<bool>> {
        self.devices
            .iter()
            .map(|d| match d.reach {
                Reach::Up => Some(true),
                Reach::Down => Some(false),
                Reach::Unknown => None,
            })
            .collect()
    }

    /// Wall-clock time of an `Instant`, as `HH:MM:SS` in [`State::wall_clock`]'s zone.
    pub fn clock(&self, at: Instant) -> String {
        let wall = if at >= self.origin.0 {
            self.origin.1 + (at - self.origin.0)
        } else {
            self.origin.1 - (self.origin.0 - at)
        };
        self.wall_clock.hms(wall)
    }
}
