//! The exporter's follower of the reducer ([`fleet::Tap`]): it turns events and folded
//! states into metric updates. Runs in the reducer's loop, so it only stores atomics and
//! takes the metric crate's short per-metric locks; it never waits on a scrape.

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::device::Cell;
use crate::exec::{ExecEvent, Link, RunId};
use crate::fleet::{self, Command, DeviceRun, Event, ProbeOutcome, State};
use crate::rollout::report::DeviceState as RolloutDevice;
use crate::ssh::{ExecError, Output, Stage};

/// A label set of one label, the kind every fleet-wide family here uses.
type One = [(&'static str, &'static str); 1];

/// What a command ended with: `ok`, `rejected` (the device answered with an error marker or
/// a non-zero exit), or the stage an SSH error happened at.
pub const COMMAND_OUTCOMES: &[&str] = &[
    "ok",
    "rejected",
    "resolve",
    "connect",
    "handshake",
    "host_key",
    "auth",
    "channel",
    "prompt",
    "detect",
    "command",
    "circuit_open",
    "cancelled",
];
const BREAKER_STATES: &[&str] = &["closed", "open", "half_open"];
const ROLLOUT_STATES: &[RolloutDevice] = &[
    RolloutDevice::Pending,
    RolloutDevice::PreChecking,
    RolloutDevice::Applying,
    RolloutDevice::Verifying,
    RolloutDevice::Done,
    RolloutDevice::Failed,
    RolloutDevice::Skipped,
    RolloutDevice::RolledBack,
    RolloutDevice::Unknown,
];
const REACH: &[&str] = &["up", "down", "unknown"];

/// Seconds buckets for commands and runs: 10 ms to 10 minutes.
const SECONDS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0,
];

/// Every fleet-wide metric, registered once; the tap keeps these handles.
#[derive(Clone)]
pub struct Fleetwide {
    devices: Family<One, Gauge>,
    commands: Family<One, Counter>,
    command_seconds: Histogram,
    runs: Family<One, Counter>,
    run_seconds: Histogram,
    runs_active: Gauge,
    breakers: Family<One, Gauge>,
    rollout_devices: Family<One, Gauge>,
    sweep_seconds: Histogram,
}

impl Fleetwide {
    /// Registers the metrics of a fleet of `devices` devices, all unknown so far.
    pub fn register(registry: &mut Registry, devices: usize) -> Fleetwide {
        let seconds = || Histogram::new(SECONDS);
        let sweep = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
        let m = Fleetwide {
            devices: Family::default(),
            commands: Family::default(),
            command_seconds: seconds(),
            runs: Family::default(),
            run_seconds: seconds(),
            runs_active: Gauge::default(),
            breakers: Family::default(),
            rollout_devices: Family::default(),
            sweep_seconds: Histogram::new(sweep),
        };
        // Every label value exists from the start, at 0: a rate() over a series that
        // appears only at its first increment misses that increment.
        for &s in REACH {
            let _ = m.devices.get_or_create(&[("state", s)]);
        }
        m.devices
            .get_or_create(&[("state", "unknown")])
            .set(devices as i64);
        for &o in COMMAND_OUTCOMES {
            let _ = m.commands.get_or_create(&[("outcome", o)]);
        }
        for o in ["ok", "failed"] {
            let _ = m.runs.get_or_create(&[("outcome", o)]);
        }
        for &s in BREAKER_STATES {
            let _ = m.breakers.get_or_create(&[("state", s)]);
        }
        let r = registry;
        r.register(
            "fleetdash_devices",
            "Devices per damped state of this process's own probes",
            m.devices.clone(),
        );
        r.register(
            "fleetdash_commands",
            "Commands finished on a device, by outcome (ok, rejected, or the SSH stage that failed)",
            m.commands.clone(),
        );
        r.register(
            "fleetdash_command_duration_seconds",
            "Time from a command's start on a device to its answer",
            m.command_seconds.clone(),
        );
        r.register(
            "fleetdash_runs",
            "Runs (one command on a set of devices) finished: ok when every device answered without error",
            m.runs.clone(),
        );
        r.register(
            "fleetdash_run_duration_seconds",
            "Time from a run's start to its last device's answer",
            m.run_seconds.clone(),
        );
        r.register(
            "fleetdash_runs_active",
            "Runs started and not finished yet",
            m.runs_active.clone(),
        );
        r.register(
            "fleetdash_circuit_breakers",
            "Devices per SSH circuit breaker state",
            m.breakers.clone(),
        );
        r.register(
            "fleetdash_rollout_devices",
            "Devices of the rollout per state (absent before a rollout starts)",
            m.rollout_devices.clone(),
        );
        r.register(
            "fleetdash_sweep_duration_seconds",
            "Time one probe sweep over the fleet took",
            m.sweep_seconds.clone(),
        );
        m
    }
}

/// Follows the reducer for the exporter.
pub struct MetricsTap {
    cells: Arc<[Cell]>,
    fleet: Fleetwide,
    /// Devices whose probe landed in this batch, copied from the state once it is folded.
    dirty: Vec<usize>,
    marked: Vec<bool>,
    links_changed: bool,
    runs_changed: bool,
    rollout_changed: bool,
    open_runs: Vec<RunId>,
    /// Devices per local state, `[up, down, unknown]`.
    counts: [i64; 3],
}

impl MetricsTap {
    pub fn new(cells: Arc<[Cell]>, fleet: Fleetwide) -> MetricsTap {
        let n = cells.len();
        MetricsTap {
            cells,
            fleet,
            dirty: Vec::new(),
            marked: vec![false; n],
            links_changed: false,
            runs_changed: false,
            rollout_changed: false,
            open_runs: Vec::new(),
            counts: [0, 0, n as i64],
        }
    }

    fn mark(&mut self, device: usize) {
        if let Some(m) = self.marked.get_mut(device)
            && !*m
        {
            *m = true;
            self.dirty.push(device);
        }
    }

    fn follow_runs(&mut self, state: &State) {
        let fleet = &self.fleet;
        self.open_runs.retain(|&id| {
            let Some(run) = state.exec.get(id) else {
                return false; // dropped from the kept runs before it ended
            };
            let Some(ended) = run.ended else {
                return true;
            };
            let failed = run.per_device.values().any(DeviceRun::failed);
            let outcome = if failed { "failed" } else { "ok" };
            fleet.runs.get_or_create(&[("outcome", outcome)]).inc();
            let took = ended.saturating_duration_since(run.started);
            fleet.run_seconds.observe(took.as_secs_f64());
            false
        });
        fleet.runs_active.set(self.open_runs.len() as i64);
    }

    fn follow_links(&self, state: &State) {
        let mut counts = [0i64; 3];
        for (cell, link) in self.cells.iter().zip(&state.exec.links) {
            let slot = match link {
                Link::CircuitOpen { .. } => 1,
                Link::HalfOpen => 2,
                _ => 0,
            };
            counts[slot] += 1;
            cell.set_circuit_open(slot != 0);
        }
        for (&name, n) in BREAKER_STATES.iter().zip(counts) {
            self.fleet.breakers.get_or_create(&[("state", name)]).set(n);
        }
    }

    fn follow_rollout(&self, state: &State) {
        let Some(rollout) = &state.rollout else {
            return;
        };
        let mut counts = [0i64; ROLLOUT_STATES.len()];
        for view in rollout.devices.iter().flatten() {
            if let Some(i) = ROLLOUT_STATES.iter().position(|&s| s == view.state) {
                counts[i] += 1;
            }
        }
        for (s, n) in ROLLOUT_STATES.iter().zip(counts) {
            let label = [("state", s.label())];
            self.fleet.rollout_devices.get_or_create(&label).set(n);
        }
    }
}

/// The `outcome` label of a finished command.
pub fn command_outcome(result: &Result<Output, ExecError>) -> &'static str {
    match result {
        Ok(output) if output.ok() => "ok",
        Ok(_) => "rejected",
        Err(e) => match e.stage {
            Stage::Resolve => "resolve",
            Stage::Connect => "connect",
            Stage::Handshake => "handshake",
            Stage::HostKey => "host_key",
            Stage::Auth => "auth",
            Stage::Channel => "channel",
            Stage::Prompt => "prompt",
            Stage::Detect => "detect",
            Stage::Command => "command",
            Stage::CircuitOpen => "circuit_open",
            Stage::Cancelled => "cancelled",
        },
    }
}

impl fleet::Tap for MetricsTap {
    fn event(&mut self, event: &Event, _before: &State) {
        match event {
            Event::Probe(result) => {
                if let (ProbeOutcome::Reply { rtt }, Some(cell)) =
                    (&result.outcome, self.cells.get(result.device))
                {
                    cell.observe_rtt(*rtt);
                }
                self.mark(result.device);
            }
            Event::SweepDone(stats) => self
                .fleet
                .sweep_seconds
                .observe(stats.elapsed.as_secs_f64()),
            Event::Exec(ExecEvent::Finished {
                duration, result, ..
            }) => {
                let label = [("outcome", command_outcome(result))];
                self.fleet.commands.get_or_create(&label).inc();
                self.fleet.command_seconds.observe(duration.as_secs_f64());
                self.runs_changed = true;
            }
            Event::Exec(ExecEvent::Link { .. }) => self.links_changed = true,
            Event::Rollout(_) => self.rollout_changed = true,
            _ => {}
        }
    }

    fn command(&mut self, command: &Command, _at: Instant, _state: &State) {
        if let Command::Run { run, .. } = command {
            self.open_runs.push(*run);
            self.fleet.runs_active.set(self.open_runs.len() as i64);
        }
    }

    fn folded(&mut self, state: &State) {
        let counted = self.counts;
        for device in self.dirty.drain(..) {
            self.marked[device] = false;
            if let (Some(cell), Some(st)) = (self.cells.get(device), state.devices.get(device)) {
                let (before, after) = cell.follow(st);
                self.counts[before] -= 1;
                self.counts[after] += 1;
            }
        }
        if self.counts != counted {
            for (s, n) in REACH.iter().zip(self.counts) {
                self.fleet.devices.get_or_create(&[("state", s)]).set(n);
            }
        }
        if std::mem::take(&mut self.runs_changed) {
            self.follow_runs(state);
        }
        if std::mem::take(&mut self.links_changed) {
            self.follow_links(state);
        }
        if std::mem::take(&mut self.rollout_changed) {
            self.follow_rollout(state);
        }
    }
}
