//! The wave loop: starts devices (bounded), reacts to [`Control`], device results and
//! reachability, applies the thresholds, pauses between waves, and ends with rollbacks,
//! the final states and the report.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::{Id, JoinSet};

use super::decide::{self, Stop};
use super::device::{self, Done, Mode};
use super::gate::{Gate, GateControl, GateWait, gate};
use super::{ConfigMode, Ctx, Finished, RolloutSetup, replayed_pre};
use crate::exec::Connector;
use crate::inventory::DeviceId;
use crate::rollout::event::{Control, Outcome, RolloutEvent, WaveInfo};
use crate::rollout::journal::{Record, Resume};
use crate::rollout::plan::{OnFail, Pause};
use crate::rollout::report::{DeviceOutcome, DeviceState, RunState, WaveOutcome};
use crate::rollout::waves::{Wave, WaveKind};

pub async fn run<C, E>(
    setup: RolloutSetup<C>,
    control: mpsc::Receiver<Control>,
    events: mpsc::Sender<E>,
) -> Finished
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    let ctx = Arc::new(Ctx {
        plan: setup.plan.clone(),
        inventory: setup.inventory.clone(),
        connector: setup.connector.clone(),
        journal: setup.journal.clone(),
        events,
        reach: setup.reachability.clone(),
        secrets: setup.secrets,
        journal_error: Mutex::new(None),
    });
    let (gate_ctl, gate_wait) = gate();
    let mut outcomes = Vec::new();
    let mut index = HashMap::new();
    for w in &setup.waves {
        for &d in &w.devices {
            index.insert(d, outcomes.len());
            outcomes.push(DeviceOutcome::pending(d, ctx.name(d), w.index));
        }
    }
    let mut c = Coordinator {
        ctx,
        gate: gate_ctl,
        gate_wait,
        control,
        control_open: true,
        waves: setup.waves,
        outcomes,
        index,
        changed: HashSet::new(),
        wave_outcomes: Vec::new(),
        stop: None,
        rollback: false,
        warned: HashSet::new(),
        concurrency: setup.concurrency.max(1),
        resume: setup.resume,
        plan_hash: setup.plan_hash,
        started: std::time::SystemTime::now(),
    };
    c.start().await;
    if setup.approve_start {
        c.await_start().await;
    }
    for w in 0..c.waves.len() {
        c.wave(w).await;
    }
    if c.rollback {
        c.roll_back().await;
    }
    c.finish(setup.report_dir).await
}

struct Coordinator<C, E> {
    ctx: Arc<Ctx<C, E>>,
    gate: GateControl,
    gate_wait: GateWait,
    control: mpsc::Receiver<Control>,
    control_open: bool,
    waves: Vec<Wave>,
    /// One per device of the rollout, in wave order.
    outcomes: Vec<DeviceOutcome>,
    index: HashMap<DeviceId, usize>,
    /// Devices whose change began (in this run or an earlier one).
    changed: HashSet<DeviceId>,
    wave_outcomes: Vec<WaveOutcome>,
    stop: Option<Stop>,
    /// Rollback steps are due once in-flight devices are finished.
    rollback: bool,
    /// Thresholds already reported under `continue` (one log line each).
    warned: HashSet<String>,
    concurrency: usize,
    resume: Option<crate::rollout::journal::Replay>,
    plan_hash: String,
    /// Wall-clock start, for the report.
    started: std::time::SystemTime,
}

impl<C, E> Coordinator<C, E>
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    async fn start(&mut self) {
        let names = |w: &Wave| -> Vec<String> {
            w.devices
                .iter()
                .map(|&d| self.ctx.name(d).to_string())
                .collect()
        };
        let header = Record::Header {
            plan: self.ctx.plan.name.clone(),
            plan_hash: self.plan_hash.clone(),
            waves: self.waves.iter().map(names).collect(),
            resumed: self.resume.is_some(),
        };
        if let Err(e) = self.ctx.write(&header) {
            self.stop_with(Outcome::Aborted, format!("cannot write the journal: {e}"));
        }
        let waves = self
            .waves
            .iter()
            .map(|w| WaveInfo {
                index: w.index,
                kind: match w.kind {
                    WaveKind::Canary => "canary".into(),
                    WaveKind::Batch => "batch".into(),
                },
                devices: w.devices.clone(),
            })
            .collect();
        self.ctx
            .emit(RolloutEvent::Started {
                plan: self.ctx.plan.name.clone(),
                waves,
                resumed: self.resume.is_some(),
            })
            .await;
        // Resuming: what the journal settled shows at once, not when its wave comes round.
        let settled: Vec<(DeviceId, DeviceState, Option<String>)> = (self.waves.iter())
            .flat_map(|w| w.devices.iter().copied())
            .filter_map(|d| match self.resume_of(d) {
                Resume::Final(state, reason) => Some((d, state, reason)),
                _ => None,
            })
            .collect();
        for (d, state, reason) in settled {
            self.settle(d, state, reason).await;
        }
        // Caught mid-apply by the crash: unknown (not pending) until its wave verifies it.
        let unknown: Vec<DeviceId> = (self.waves.iter())
            .flat_map(|w| w.devices.iter().copied())
            .filter(|&d| self.resume_of(d) == Resume::Unknown)
            .collect();
        for d in unknown {
            let why = "caught mid-apply by a crash: verified (never re-applied) when its wave runs";
            self.settle(d, DeviceState::Unknown, Some(why.into())).await;
        }
        // A wave the journal settled entirely is over: it shows so from the start.
        if self.resume.is_some() {
            let first = self.first_wave_with_work().unwrap_or(self.waves.len());
            for w in 0..first {
                self.wave_state(w, RunState::Completed, None).await;
            }
        }
        // Before anything runs: why some ordinary words will show as stars.
        for warning in self.ctx.secrets.warnings().to_vec() {
            self.ctx.log(None, warning).await;
        }
        self.overall(RunState::Running, None).await;
    }

    /// Waits for the operator's go (a front end that asked for it: the dashboard) before
    /// the first wave; an abort, or no front end left, ends the rollout before it began.
    async fn await_start(&mut self) {
        // Resuming, the wave that waits is the first with work left, never a finished one.
        let first = self.first_wave_with_work();
        let text = match (&self.resume, first) {
            (Some(_), Some(w)) => format!(
                "resumed: waiting for approval to carry on with wave {}: Enter starts it, a aborts",
                w + 1
            ),
            _ => "waiting for approval to start: Enter starts it, a aborts".into(),
        };
        self.ctx.log(None, text).await;
        // The wave first: whoever sees the overall state waiting sees which wave waits.
        if let Some(w) = first {
            self.wave_state(w, RunState::WaitingApproval, None).await;
        }
        self.overall(RunState::WaitingApproval, None).await;
        while self.stop.is_none() {
            let ctl = self.control.recv().await;
            if ctl.is_none() {
                self.stop_with(Outcome::Aborted, "no one left to approve the start".into());
            } else if self.on_control(ctl, None).await {
                self.ctx.log(None, "started".into()).await;
                break;
            }
        }
        let state = match self.gate.get() {
            Gate::Paused => RunState::Paused,
            _ => RunState::Running,
        };
        self.overall(state, None).await;
        if let Some(w) = first {
            self.wave_state(w, RunState::Pending, None).await;
        }
    }

    /// Runs wave `w` to its end (or skips it after a stop), then pauses before the next.
    async fn wave(&mut self, w: usize) {
        let started = Instant::now();
        let mut queue = VecDeque::new();
        for d in self.waves[w].devices.clone() {
            match self.resume_of(d) {
                Resume::Final(state, reason) => self.settle(d, state, reason).await,
                Resume::Fresh => queue.push_back((d, Mode::Full)),
                Resume::Unknown => queue.push_back((d, Mode::Verify { unknown: true })),
                Resume::Applied => queue.push_back((d, Mode::Verify { unknown: false })),
            }
        }
        for (d, mode) in &queue {
            if matches!(mode, Mode::Verify { .. }) {
                self.changed.insert(*d);
            }
        }
        // A wave settled entirely before a resume gets no pause after it.
        let did_work = !queue.is_empty();
        let state = if self.stop.is_none() && !queue.is_empty() {
            // Paused by the operator before it began: it shows as paused until resumed.
            let state = match self.gate.get() {
                Gate::Paused => RunState::Paused,
                _ => RunState::Running,
            };
            self.wave_state(w, state, None).await;
            self.run_wave(w, queue).await;
            self.stop
                .as_ref()
                .map_or(RunState::Completed, |s| s.run_state())
        } else if let Some(stop) = self.stop.clone() {
            self.skip(queue.into_iter().map(|(d, _)| d), &stop).await;
            stop.run_state()
        } else {
            // Everything in it finished before a resume.
            RunState::Completed
        };
        let reason = self.stop.as_ref().map(|s| s.reason.clone());
        if did_work {
            self.ctx.log(None, self.wave_summary(w, state)).await;
        }
        self.wave_state(w, state, reason).await;
        self.wave_outcomes.push(WaveOutcome {
            index: w,
            kind: self.waves[w].kind,
            state,
            devices: self.waves[w].devices.clone(),
            duration: started.elapsed(),
        });
        if self.stop.is_none() && did_work && self.has_work_after(w) {
            self.between_waves(w).await;
        }
    }

    async fn run_wave(&mut self, w: usize, mut queue: VecDeque<(DeviceId, Mode)>) {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        let mut running: HashMap<Id, DeviceId> = HashMap::new();
        let mut reach = self.ctx.reach.clone();
        loop {
            while self.stop.is_none()
                && self.gate.get() == Gate::Open
                && tasks.len() < self.concurrency
                && let Some((d, mode)) = queue.pop_front()
            {
                let pre = replayed_pre(self.resume.as_ref(), self.ctx.name(d));
                let outcome = self.outcomes[self.index[&d]].clone();
                let task =
                    device::run(self.ctx.clone(), self.gate_wait.clone(), outcome, mode, pre);
                running.insert(tasks.spawn(task).id(), d);
            }
            if tasks.is_empty() && (queue.is_empty() || self.stop.is_some()) {
                break;
            }
            tokio::select! {
                ctl = self.control.recv(), if self.control_open => {
                    self.on_control(ctl, Some(w)).await;
                }
                Some(joined) = tasks.join_next_with_id() => {
                    let done = match joined {
                        Ok((id, done)) => {
                            running.remove(&id);
                            done
                        }
                        Err(e) => {
                            let d = running.remove(&e.id()).expect("every task is tracked");
                            self.panicked(d, &e.to_string()).await
                        }
                    };
                    self.on_done(w, done).await;
                }
                Ok(()) = async { reach.as_mut().expect("guarded").changed().await },
                    if reach.is_some() => {
                    self.check_reach(w).await;
                }
            }
        }
        if let Some(stop) = self.stop.clone() {
            self.skip(queue.into_iter().map(|(d, _)| d), &stop).await;
        }
    }

    async fn on_done(&mut self, w: usize, done: Done) {
        let d = done.outcome.device;
        if done.changed {
            self.changed.insert(d);
        }
        let i = self.index[&d];
        self.outcomes[i] = done.outcome;
        if let Some(e) = self.ctx.journal_error() {
            self.stop_with(Outcome::Aborted, format!("cannot write the journal: {e}"));
            self.gate.set(Gate::Aborted);
        }
        if self.outcomes[i].state == DeviceState::Failed {
            self.thresholds(w).await;
        }
    }

    /// A device task panicked: it counts as failed, and as possibly changed.
    async fn panicked(&mut self, d: DeviceId, error: &str) -> Done {
        let mut outcome = self.outcomes[self.index[&d]].clone();
        outcome.state = DeviceState::Failed;
        outcome.reason = Some(format!("internal error: {error}"));
        let _ = self
            .ctx
            .transition(d, DeviceState::Failed, outcome.reason.clone())
            .await;
        Done {
            outcome,
            changed: true,
        }
    }

    /// Checks `max_fail` after a failure in wave `w`.
    async fn thresholds(&mut self, w: usize) {
        if self.stop.is_some() {
            return;
        }
        let max = self.ctx.plan.max_fail;
        let wave_len = self.waves[w].devices.len();
        let exceeded = decide::exceeded(max, w, wave_len, &self.outcomes);
        let Some(reason) = exceeded else { return };
        match max.action {
            OnFail::Continue => {
                if self.warned.insert(decide::warning_key(&reason)) {
                    self.ctx
                        .log(None, format!("{reason}; continuing (on_fail: continue)"))
                        .await;
                }
            }
            OnFail::Halt | OnFail::Rollback => {
                self.rollback = max.action == OnFail::Rollback;
                self.ctx.log(None, format!("halting: {reason}")).await;
                self.stop_with(Outcome::Halted, reason);
                // In-flight devices finish (the gate stays as it is); nothing new starts.
            }
        }
    }

    /// Devices of wave `w` that are done but no longer answer probes fail now.
    async fn check_reach(&mut self, w: usize) {
        if !self.ctx.plan.unreachable_is_failure {
            return;
        }
        let down = decide::unreachable_after_change(&self.outcomes, w, |d| self.ctx.is_down(d));
        for i in down {
            let reason = "stopped answering probes after its change".to_string();
            let d = self.outcomes[i].device;
            self.outcomes[i].state = DeviceState::Failed;
            self.outcomes[i].reason = Some(reason.clone());
            let _ = self
                .ctx
                .transition(d, DeviceState::Failed, Some(reason))
                .await;
            self.thresholds(w).await;
        }
    }

    async fn on_control(&mut self, ctl: Option<Control>, wave: Option<usize>) -> bool {
        let Some(ctl) = ctl else {
            // No front end can send any more: carry on without one.
            self.control_open = false;
            return false;
        };
        match ctl {
            Control::Pause if self.gate.get() == Gate::Open => {
                self.gate.set(Gate::Paused);
                self.ctx
                    .log(
                        None,
                        "paused: no new device starts; in-flight ones hold before their next step"
                            .into(),
                    )
                    .await;
                self.overall(RunState::Paused, None).await;
                if let Some(w) = wave {
                    self.wave_state(w, RunState::Paused, None).await;
                }
            }
            Control::Resume if self.gate.get() == Gate::Paused => {
                self.gate.set(Gate::Open);
                self.ctx.log(None, "resumed".into()).await;
                self.overall(RunState::Running, None).await;
                if let Some(w) = wave {
                    self.wave_state(w, RunState::Running, None).await;
                }
            }
            Control::Abort if self.gate.get() != Gate::Aborted => {
                self.gate.set(Gate::Aborted);
                self.ctx
                    .log(
                        None,
                        "aborting: in-flight steps finish, nothing else starts".into(),
                    )
                    .await;
                if self
                    .stop
                    .as_ref()
                    .is_none_or(|s| s.outcome != Outcome::Aborted)
                {
                    self.stop_with(Outcome::Aborted, "aborted by the operator".into());
                }
            }
            Control::Approve => return true,
            _ => {}
        }
        false
    }

    /// The plan's pause after wave `w`; returns when the next wave may start (or a stop).
    async fn between_waves(&mut self, w: usize) {
        let next = w + 1;
        let deadline = match self.ctx.plan.pause {
            Pause::None => return,
            Pause::Duration(d) => {
                self.ctx
                    .log(
                        None,
                        format!(
                            "wave {} starts in {}",
                            next + 1,
                            crate::base::duration::format(d)
                        ),
                    )
                    .await;
                Some(tokio::time::Instant::now() + d)
            }
            Pause::Manual => {
                self.ctx
                    .log(None, format!("wave {} waits for approval", next + 1))
                    .await;
                self.overall(RunState::WaitingApproval, None).await;
                self.wave_state(next, RunState::WaitingApproval, None).await;
                None
            }
        };
        let mut reach = self.ctx.reach.clone();
        loop {
            if !self.control_open && deadline.is_none() {
                // Nobody can approve any more: stop here rather than wait forever.
                self.stop_with(
                    Outcome::Aborted,
                    "no one left to approve the next wave".into(),
                );
                return;
            }
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ctl = self.control.recv(), if self.control_open => {
                    if self.on_control(ctl, None).await {
                        self.ctx.log(None, format!("wave {} approved", next + 1)).await;
                        break;
                    }
                }
                () = sleep => break,
                Ok(()) = async { reach.as_mut().expect("guarded").changed().await },
                    if reach.is_some() => {
                    self.check_reach(w).await;
                }
            }
            if self.stop.is_some() {
                return;
            }
        }
        let state = if self.gate.get() == Gate::Paused {
            RunState::Paused
        } else {
            RunState::Running
        };
        self.overall(state, None).await;
        if self.ctx.plan.pause == Pause::Manual {
            self.wave_state(next, RunState::Pending, None).await;
        }
    }

    /// Rollback steps on every failed device whose change began.
    async fn roll_back(&mut self) {
        let due: Vec<usize> = (0..self.outcomes.len())
            .filter(|&i| {
                let o = &self.outcomes[i];
                o.state == DeviceState::Failed && self.changed.contains(&o.device)
            })
            .collect();
        if due.is_empty() {
            return;
        }
        if self.ctx.plan.rollback.is_empty() {
            self.ctx
                .log(
                    None,
                    format!(
                        "{} device(s) to roll back, but the plan has no rollback steps",
                        due.len()
                    ),
                )
                .await;
            return;
        }
        self.ctx
            .log(None, format!("rolling back {} device(s)", due.len()))
            .await;
        let mut queue: VecDeque<usize> = due.into();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < self.concurrency
                && let Some(i) = queue.pop_front()
            {
                let outcome = self.outcomes[i].clone();
                let ctx = self.ctx.clone();
                tasks.spawn(async move { (i, device::rollback(ctx, outcome).await) });
            }
            match tasks.join_next().await {
                Some(Ok((i, outcome))) => self.outcomes[i] = outcome,
                Some(Err(e)) => {
                    self.ctx
                        .log(None, format!("rollback task failed: {e}"))
                        .await
                }
                None => break,
            }
        }
    }

    async fn finish(mut self, report_dir: Option<std::path::PathBuf>) -> Finished {
        let (outcome, reason) = match &self.stop {
            Some(s) => (s.outcome, Some(s.reason.clone())),
            None => (Outcome::Completed, None),
        };
        let state = match outcome {
            Outcome::Completed => RunState::Completed,
            Outcome::Halted => RunState::Halted,
            Outcome::Aborted => RunState::Aborted,
        };
        self.overall(state, reason.clone()).await;
        let mut finished = Finished {
            outcome,
            reason,
            waves: std::mem::take(&mut self.wave_outcomes),
            devices: std::mem::take(&mut self.outcomes),
            report: None,
        };
        if let Some(dir) = report_dir {
            let written = super::report_out::write(
                &dir,
                &self.ctx.plan,
                &finished,
                self.started,
                &self.ctx.secrets,
            );
            match written {
                Ok(path) => finished.report = Some(path),
                Err(e) => {
                    self.ctx
                        .log(
                            None,
                            format!("cannot write the report in {}: {e}", dir.display()),
                        )
                        .await
                }
            }
        }
        self.ctx
            .emit(RolloutEvent::Finished {
                outcome,
                report: finished.report.clone(),
            })
            .await;
        finished
    }

    fn resume_of(&self, d: DeviceId) -> Resume {
        self.resume
            .as_ref()
            .map_or(Resume::Fresh, |r| r.resume(self.ctx.name(d)))
    }

    /// A device finished in an earlier run: shown, never touched.
    async fn settle(&mut self, d: DeviceId, state: DeviceState, reason: Option<String>) {
        let i = self.index[&d];
        self.outcomes[i].state = state;
        self.outcomes[i].reason = reason.clone();
        self.ctx
            .emit(RolloutEvent::Device {
                device: d,
                state,
                reason,
            })
            .await;
    }

    async fn skip(&mut self, devices: impl Iterator<Item = DeviceId>, stop: &Stop) {
        let reason = match stop.outcome {
            Outcome::Aborted => format!("not started: {}", stop.reason),
            _ => format!("not started: rollout halted ({})", stop.reason),
        };
        for d in devices {
            let i = self.index[&d];
            self.outcomes[i].state = DeviceState::Skipped;
            self.outcomes[i].reason = Some(reason.clone());
            let _ = self
                .ctx
                .transition(d, DeviceState::Skipped, Some(reason.clone()))
                .await;
        }
    }

    /// `wave 2 completed: 3 done, 1 failed (r-sw4)`, for the log.
    fn wave_summary(&self, w: usize, state: RunState) -> String {
        let mut counts: Vec<(DeviceState, usize)> = Vec::new();
        let mut failed = Vec::new();
        for &d in &self.waves[w].devices {
            let outcome = &self.outcomes[self.index[&d]];
            match counts.iter_mut().find(|(s, _)| *s == outcome.state) {
                Some((_, n)) => *n += 1,
                None => counts.push((outcome.state, 1)),
            }
            if outcome.state == DeviceState::Failed {
                failed.push(self.ctx.name(d).to_string());
            }
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        let mut line = format!("wave {} {}: {}", w + 1, state.label(), counts.join(", "));
        if !failed.is_empty() {
            line.push_str(&format!(" ({})", crate::exec::fold::compact_names(&failed)));
        }
        line
    }

    /// The first wave with a device the journal did not settle (every wave when fresh).
    fn first_wave_with_work(&self) -> Option<usize> {
        self.waves.iter().position(|wave| {
            wave.devices
                .iter()
                .any(|&d| !matches!(self.resume_of(d), Resume::Final(..)))
        })
    }

    fn has_work_after(&self, w: usize) -> bool {
        self.waves[w + 1..].iter().any(|wave| {
            wave.devices
                .iter()
                .any(|&d| !matches!(self.resume_of(d), Resume::Final(..)))
        })
    }

    fn stop_with(&mut self, outcome: Outcome, reason: String) {
        decide::stop_with(&mut self.stop, outcome, reason);
    }

    async fn overall(&self, state: RunState, reason: Option<String>) {
        let _ = self.ctx.write(&Record::Overall {
            state,
            reason: reason.clone(),
        });
        self.ctx.emit(RolloutEvent::Overall { state, reason }).await;
    }

    async fn wave_state(&self, wave: usize, state: RunState, reason: Option<String>) {
        let _ = self.ctx.write(&Record::Wave {
            wave,
            state,
            reason: reason.clone(),
        });
        self.ctx
            .emit(RolloutEvent::Wave {
                wave,
                state,
                reason,
            })
            .await;
    }
}
