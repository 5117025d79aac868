//! Command runs as the front ends see them: per device queued → running → done, and each
//! device's SSH link and polled facts.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::exec::{ExecEvent, Link, RunId};
use crate::inventory::DeviceId;
use crate::ssh::{ExecError, Output};

/// Runs kept for the run view (oldest dropped first).
pub const RUNS_KEPT: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum DeviceRun {
    Queued,
    /// Its session is being opened for this run.
    Connecting,
    Running {
        since: Instant,
    },
    Done {
        duration: Duration,
        result: Result<Output, ExecError>,
    },
}

impl DeviceRun {
    pub fn failed(&self) -> bool {
        matches!(self, DeviceRun::Done { result, .. } if result.as_ref().map_or(true, |o| !o.ok()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: RunId,
    pub command: String,
    pub started: Instant,
    /// In the order they were asked for.
    pub devices: Vec<DeviceId>,
    pub per_device: HashMap<DeviceId, DeviceRun>,
    /// When the last device finished.
    pub ended: Option<Instant>,
    /// A cancel was asked for and the run has not settled yet (or has, cancelled).
    pub cancel_requested: bool,
}

/// How far a run is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub queued: usize,
    /// Opening a session: counted apart from the queue (cancel aborts these at once).
    pub connecting: usize,
    pub running: usize,
    pub ok: usize,
    pub failed: usize,
}

impl Progress {
    pub fn finished(&self) -> bool {
        self.queued == 0 && self.connecting == 0 && self.running == 0
    }
}

impl Run {
    pub fn new(id: RunId, command: String, devices: Vec<DeviceId>, started: Instant) -> Run {
        let per_device = devices.iter().map(|&d| (d, DeviceRun::Queued)).collect();
        Run {
            id,
            command,
            started,
            devices,
            per_device,
            ended: None,
            cancel_requested: false,
        }
    }

    /// "1 device", "12 devices": how many the run is on.
    pub fn on_devices(&self) -> String {
        match self.devices.len() {
            1 => "1 device".into(),
            n => format!("{n} devices"),
        }
    }

    /// Devices whose command a cancel stopped before it was sent.
    pub fn cancelled(&self) -> usize {
        (self.per_device.values())
            .filter(|s| {
                matches!(s, DeviceRun::Done { result: Err(e), .. } if e.stage == crate::ssh::Stage::Cancelled)
            })
            .count()
    }

    pub fn progress(&self) -> Progress {
        let mut p = Progress::default();
        for state in self.per_device.values() {
            match state {
                DeviceRun::Queued => p.queued += 1,
                DeviceRun::Connecting => p.connecting += 1,
                DeviceRun::Running { .. } => p.running += 1,
                done if done.failed() => p.failed += 1,
                DeviceRun::Done { .. } => p.ok += 1,
            }
        }
        p
    }
}

/// Everything SSH-related the reducer keeps.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    pub runs: VecDeque<Run>,
    /// Per device, parallel to the inventory; `Link::Idle` until first used.
    pub links: Vec<Link>,
    pub facts: Vec<Vec<(String, String)>>,
    /// Runs dropped (oldest first) to keep [`RUNS_KEPT`].
    pub dropped: usize,
    /// Bumped by every change to the runs or links (not by probes), so a view derived from
    /// them is computed once per change, not once per frame.
    pub version: u64,
}

impl Runs {
    pub fn new(devices: usize) -> Runs {
        Runs {
            runs: VecDeque::new(),
            links: vec![Link::Idle; devices],
            facts: vec![Vec::new(); devices],
            dropped: 0,
            version: 0,
        }
    }

    /// Records a run the front end just asked for.
    pub fn start(&mut self, run: Run) {
        self.version += 1;
        if self.runs.len() >= RUNS_KEPT {
            self.runs.pop_front();
            self.dropped += 1;
        }
        self.runs.push_back(run);
    }

    pub fn get(&self, id: RunId) -> Option<&Run> {
        self.runs.iter().rev().find(|r| r.id == id)
    }

    /// A front end asked to cancel `id`: its view says "cancelling…" until it settles.
    pub fn cancel_requested(&mut self, id: RunId) {
        self.version += 1;
        if let Some(run) = self.get_mut(id) {
            run.cancel_requested = true;
        }
    }

    fn get_mut(&mut self, id: RunId) -> Option<&mut Run> {
        self.runs.iter_mut().rev().find(|r| r.id == id)
    }

    pub fn apply(&mut self, event: ExecEvent) {
        self.version += 1;
        match event {
            ExecEvent::Queued { run, device } => self.set(run, device, DeviceRun::Queued),
            ExecEvent::Connecting { run, device } => self.set(run, device, DeviceRun::Connecting),
            ExecEvent::Started { run, device, at } => {
                self.set(run, device, DeviceRun::Running { since: at })
            }
            ExecEvent::Finished {
                run,
                device,
                at,
                duration,
                result,
            } => {
                self.set(run, device, DeviceRun::Done { duration, result });
                if let Some(run) = self.get_mut(run).filter(|r| r.progress().finished()) {
                    run.ended = Some(at);
                }
            }
            ExecEvent::Link { device, link } => {
                if let Some(slot) = self.links.get_mut(device) {
                    *slot = link;
                }
            }
            ExecEvent::Facts { device, facts, .. } => {
                if let Some(slot) = self.facts.get_mut(device) {
                    *slot = facts;
                }
            }
        }
    }

    fn set(&mut self, run: RunId, device: DeviceId, state: DeviceRun) {
        // Only devices the run was asked for: a stray event cannot grow a run.
        if let Some(slot) = self
            .get_mut(run)
            .and_then(|r| r.per_device.get_mut(&device))
        {
            *slot = state;
        }
    }
}
