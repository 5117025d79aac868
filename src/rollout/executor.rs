//! The rollout executor: one task that runs a plan's waves against the fleet through the
//! exec [`Connector`] seam, and the state machine around it.
//!
//! Per device (`device`): pending → pre-checking → applying → verifying → done | failed |
//! skipped | rolled back (`unknown` after a crash mid-apply: verified only). Per wave and
//! overall (`coordinator`): running, paused, waiting for approval, halted by threshold,
//! aborted, completed. [`Control`] works exactly between steps (`gate`): pause stops starting
//! new devices and holds in-flight ones before their next step; abort stops them there and
//! marks every device not changed skipped. Nothing is ever cut off halfway.
//!
//! Thresholds (`max_fail`) are checked after every device. On `halt`, devices in flight
//! finish and the rest are skipped; `rollback` halts the same way, then runs the plan's
//! rollback steps on every failed device whose change began (in any wave); `continue` logs
//! and goes on. With `unreachable_is_failure`, a device of the current wave that stops
//! answering probes (the `reachability` watch) after its change counts as failed.

mod coordinator;
mod decide;
mod device;
mod gate;
mod report_out;
mod resume;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use device::step_label;
pub use resume::resume_waves;

use super::event::{Control, Outcome, RolloutEvent};
use super::journal::{Edge, Record, Replay, RolloutJournal, Stage};
use super::plan::Plan;
use super::report::{DeviceOutcome, DeviceState, WaveOutcome};
use super::waves::Wave;
use crate::base::sanitize::Removed;
use crate::base::secrets::Secrets;
use crate::base::text::cap;
use crate::exec::{Connector, Session};
use crate::inventory::{DeviceId, Inventory};
use crate::ssh::{ExecError, Output};

/// Per-device reachability by `DeviceId`: `Some(false)` is down, `None` not known yet.
pub type Reachability = watch::Receiver<Vec<Option<bool>>>;

/// A session that can also apply lines in the platform's configuration mode.
pub trait ConfigMode: Session {
    /// Enters config mode, applies `lines`, leaves it and saves when `save`.
    fn configure(
        &mut self,
        lines: &[String],
        save: bool,
    ) -> impl Future<Output = Result<Output, ExecError>> + Send;
}

impl ConfigMode for crate::ssh::Session {
    async fn configure(&mut self, lines: &[String], save: bool) -> Result<Output, ExecError> {
        crate::ssh::Session::configure(self, lines, save).await
    }
}

/// Everything a rollout needs.
pub struct RolloutSetup<C> {
    pub plan: Arc<Plan>,
    /// [`super::journal::plan_hash`] of the plan text, recorded in the journal header.
    pub plan_hash: String,
    /// From [`super::waves::waves`], or [`resume_waves`] when resuming.
    pub waves: Vec<Wave>,
    pub inventory: Arc<Inventory>,
    pub connector: Arc<C>,
    pub journal: Arc<RolloutJournal>,
    /// Masked in every output, event and report (the journal masks with its own copy).
    pub secrets: Secrets,
    /// The replayed journal when resuming (`--resume`).
    pub resume: Option<Replay>,
    /// Devices worked on at once within a wave.
    pub concurrency: usize,
    pub reachability: Option<Reachability>,
    /// Where the Markdown and JSON reports go (none: not written).
    pub report_dir: Option<PathBuf>,
    /// Wait for `Control::Approve` before the first wave (the dashboard: the operator sees
    /// the waves first). Headless runs have `--yes` instead.
    pub approve_start: bool,
}

/// How the rollout ended, with every wave's and device's result.
#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: Outcome,
    /// Which threshold halted it, or why it was aborted.
    pub reason: Option<String>,
    pub waves: Vec<WaveOutcome>,
    pub devices: Vec<DeviceOutcome>,
    /// The Markdown report, when written.
    pub report: Option<PathBuf>,
}

impl Finished {
    /// `6 of 8 device(s) done: 2 failed` when fewer devices than planned ended done (in
    /// this run or an earlier one), whatever the outcome; `None` when every one did.
    pub fn shortfall(&self) -> Option<String> {
        let done = self
            .devices
            .iter()
            .filter(|d| d.state == DeviceState::Done)
            .count();
        if done == self.devices.len() {
            return None;
        }
        let mut counts: Vec<(DeviceState, usize)> = Vec::new();
        for d in self.devices.iter().filter(|d| d.state != DeviceState::Done) {
            match counts.iter_mut().find(|(s, _)| *s == d.state) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.state, 1)),
            }
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        Some(format!(
            "{done} of {} device(s) done: {}",
            self.devices.len(),
            counts.join(", ")
        ))
    }
}

/// Starts the rollout. Events go to `events` (the TUI wraps them as `Event::Rollout`);
/// `control` carries pause / resume / abort / approve. The task ends after the last wave,
/// a halt or an abort, once the report is written.
pub fn spawn_rollout<C, E>(
    setup: RolloutSetup<C>,
    control: mpsc::Receiver<Control>,
    events: mpsc::Sender<E>,
) -> JoinHandle<Finished>
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    tokio::spawn(coordinator::run(setup, control, events))
}

/// What the coordinator and the device tasks share.
pub(crate) struct Ctx<C, E> {
    plan: Arc<Plan>,
    inventory: Arc<Inventory>,
    connector: Arc<C>,
    journal: Arc<RolloutJournal>,
    events: mpsc::Sender<E>,
    reach: Option<Reachability>,
    secrets: Secrets,
    /// The first journal write error: the coordinator aborts on it.
    journal_error: Mutex<Option<String>>,
}

impl<C, E> Ctx<C, E>
where
    E: From<RolloutEvent> + Send + 'static,
{
    fn name(&self, id: DeviceId) -> &str {
        &self.inventory.devices[id].name
    }

    async fn emit(&self, event: RolloutEvent) {
        let event = event.masked(&self.secrets);
        // A front end that went away must not stop the rollout: the journal is the record.
        let _ = self.events.send(E::from(event)).await;
    }

    async fn log(&self, device: Option<DeviceId>, text: String) {
        let at = tokio::time::Instant::now().into_std();
        self.emit(RolloutEvent::Log { at, device, text }).await;
    }

    async fn step(&self, device: DeviceId, step: &str) {
        self.emit(RolloutEvent::Step {
            device,
            step: step.to_string(),
        })
        .await;
    }

    fn write(&self, record: &Record) -> Result<(), String> {
        self.journal.write(record).map_err(|e| {
            let text = format!("{}: {e}", self.journal.path().display());
            let mut slot = self.journal_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| text.clone());
            text
        })
    }

    fn journal_error(&self) -> Option<String> {
        self.journal_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Journals (fsync) then announces a device's new state.
    async fn transition(
        &self,
        device: DeviceId,
        state: DeviceState,
        reason: Option<String>,
    ) -> Result<(), String> {
        let written = self.write(&Record::Device {
            device: self.name(device).to_string(),
            state,
            reason: reason.clone(),
        });
        self.emit(RolloutEvent::Device {
            device,
            state,
            reason,
        })
        .await;
        written
    }

    fn journal_stage(
        &self,
        device: DeviceId,
        stage: Stage,
        edge: Edge,
        ok: Option<bool>,
    ) -> Result<(), String> {
        self.write(&Record::Stage {
            device: self.name(device).to_string(),
            stage,
            edge,
            ok,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn journal_step(
        &self,
        device: DeviceId,
        stage: Stage,
        index: usize,
        label: &str,
        edge: Edge,
        ok: Option<bool>,
        result: Option<&Result<Output, ExecError>>,
        output: Option<&str>,
    ) -> Result<(), String> {
        let removed = result
            .and_then(|r| r.as_ref().ok())
            .map(|o| o.removed)
            .filter(Removed::any);
        self.write(&Record::Step {
            device: self.name(device).to_string(),
            stage,
            index,
            label: label.to_string(),
            edge,
            ok,
            output: output.map(|o| cap(o, super::journal::OUTPUT_CAP).to_owned()),
            removed,
        })
    }

    fn is_down(&self, device: DeviceId) -> bool {
        self.reach
            .as_ref()
            .is_some_and(|r| r.borrow().get(device).copied().flatten() == Some(false))
    }
}

/// Pre-check outputs of one device from a replayed journal, by check index.
fn replayed_pre(replay: Option<&Replay>, name: &str) -> HashMap<usize, String> {
    replay
        .map(|r| {
            r.pre_outputs
                .iter()
                .filter(|((d, _), _)| d == name)
                .map(|((_, i), out)| (*i, out.clone()))
                .collect()
        })
        .unwrap_or_default()
}
