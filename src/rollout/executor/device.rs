//! One device's change: connect, pre-checks (+ snapshot), apply steps, post-checks (+
//! snapshot), each step bracketed in the journal and passed through the gate first; and the
//! rollback of a failed device. Returns the device's [`DeviceOutcome`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::gate::GateWait;
use super::{ConfigMode, Ctx};
use crate::exec::{Connector, Session};
use crate::inventory::DeviceId;
use crate::rollout::event::{CheckPhase, RolloutEvent};
use crate::rollout::journal::{Edge, Stage};
use crate::rollout::plan::{Check, Expect, Step};
use crate::rollout::report::{CheckOutcome, DeviceOutcome, DeviceState, StepOutcome};
use crate::ssh::{ExecError, Output};

/// How much of the change a device still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pre-checks, apply, post-checks.
    Full,
    /// Only post-checks: the apply may (`unknown`) or did complete before a crash.
    Verify { unknown: bool },
}

/// Why a device stopped early.
enum Stop {
    /// The gate closed for good (abort) between two steps.
    Aborted,
    /// The journal cannot be written: nothing more may be sent.
    Journal(String),
}

/// Journal errors stop the device: nothing unrecorded is ever sent.
impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop::Journal(e)
    }
}

/// A finished device task: its outcome and whether its change may have reached it.
pub struct Done {
    pub outcome: DeviceOutcome,
    pub changed: bool,
}

/// Runs one device to a final state (or `unknown` when aborted between apply and verify).
pub async fn run<C, E>(
    ctx: Arc<Ctx<C, E>>,
    gate: GateWait,
    outcome: DeviceOutcome,
    mode: Mode,
    pre_outputs: HashMap<usize, String>,
) -> Done
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    let mut dev = Dev {
        ctx,
        gate,
        id: outcome.device,
        out: outcome,
        pre_outputs,
        changed: matches!(mode, Mode::Verify { .. }),
        applied: matches!(mode, Mode::Verify { .. }),
    };
    let result = dev.drive(mode).await;
    let (state, reason) = match result {
        Ok(()) => (dev.out.state, dev.out.reason.clone()),
        Err(Stop::Journal(e)) => (
            DeviceState::Failed,
            Some(format!("cannot write the journal: {e}")),
        ),
        Err(Stop::Aborted) => match (dev.changed, dev.applied) {
            (false, _) => (
                DeviceState::Skipped,
                Some("aborted before its change".into()),
            ),
            (true, false) => (
                DeviceState::Failed,
                Some(format!(
                    "aborted after {} of {} step(s): partly applied",
                    dev.out.steps.len(),
                    dev.ctx.plan.steps.len()
                )),
            ),
            (true, true) => (
                DeviceState::Unknown,
                Some("aborted before its post-checks finished".into()),
            ),
        },
    };
    dev.finish(state, reason).await;
    Done {
        outcome: dev.out,
        changed: dev.changed,
    }
}

/// Runs the plan's rollback steps on a failed device; ends `rolled_back` or `failed`.
pub async fn rollback<C, E>(ctx: Arc<Ctx<C, E>>, outcome: DeviceOutcome) -> DeviceOutcome
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    let (_ctl, gate) = super::gate::gate();
    let mut dev = Dev {
        ctx,
        gate,
        id: outcome.device,
        out: outcome,
        pre_outputs: HashMap::new(),
        changed: true,
        applied: true,
    };
    let started = Instant::now();
    let failed_because = dev.out.reason.clone().unwrap_or_default();
    let result = dev.roll_back().await;
    dev.out.durations.rollback = started.elapsed();
    let (state, reason) = match result {
        Ok(None) => (
            DeviceState::RolledBack,
            Some(format!("rolled back after: {failed_because}")),
        ),
        Ok(Some(why)) => (
            DeviceState::Failed,
            Some(format!("{failed_because}; rollback failed: {why}")),
        ),
        Err(Stop::Journal(e)) => (
            DeviceState::Failed,
            Some(format!(
                "{failed_because}; rollback stopped: cannot write the journal: {e}"
            )),
        ),
        // Rollback steps are not gated; kept for completeness of the match.
        Err(Stop::Aborted) => (
            DeviceState::Failed,
            Some(format!("{failed_because}; rollback stopped")),
        ),
    };
    dev.finish(state, reason).await;
    dev.out
}

struct Dev<C: Connector, E> {
    ctx: Arc<Ctx<C, E>>,
    gate: GateWait,
    id: DeviceId,
    out: DeviceOutcome,
    /// Pre-check (and snapshot, at index `pre_checks.len()`) outputs, for `same_as_pre`.
    pre_outputs: HashMap<usize, String>,
    /// The apply stage began (or began in an earlier run).
    changed: bool,
    /// Every step ran to its end (or the device is only being verified).
    applied: bool,
}

impl<C, E> Dev<C, E>
where
    C: Connector,
    C::Session: ConfigMode,
    E: From<RolloutEvent> + Send + 'static,
{
    async fn drive(&mut self, mode: Mode) -> Result<(), Stop> {
        self.gate.pass().await.map_err(|_| Stop::Aborted)?;
        if mode == (Mode::Verify { unknown: true }) {
            self.transition(
                DeviceState::Unknown,
                Some("caught mid-apply by a crash: verifying only".into()),
            )
            .await?;
        }
        let mut session = match self.connect().await {
            Ok(s) => s,
            Err(e) => {
                let reason = match mode {
                    Mode::Full => format!("not changed: {e}"),
                    Mode::Verify { .. } => format!("could not verify: {e}"),
                };
                self.out.state = DeviceState::Failed;
                self.out.reason = Some(reason);
                return Ok(());
            }
        };
        if mode == Mode::Full {
            if let Some(reason) = self.pre_checks(&mut session).await? {
                self.out.state = DeviceState::Failed;
                self.out.reason = Some(format!("not changed: {reason}"));
                return Ok(());
            }
            if let Some(reason) = self.apply(&mut session).await? {
                self.out.state = DeviceState::Failed;
                self.out.reason = Some(reason);
                return Ok(());
            }
        }
        match self.post_checks(&mut session).await? {
            Some(reason) => {
                self.out.state = DeviceState::Failed;
                self.out.reason = Some(reason);
            }
            None if self.unreachable() => {
                self.out.state = DeviceState::Failed;
                self.out.reason = Some("stopped answering probes after its change".into());
            }
            None => {
                self.out.state = DeviceState::Done;
                // The report must say this one was verified, not changed, in this run.
                self.out.reason = match mode {
                    Mode::Verify { unknown: true } => {
                        Some("caught mid-apply by a crash; verified after --resume".into())
                    }
                    Mode::Verify { unknown: false } => {
                        Some("applied before a crash; verified after --resume".into())
                    }
                    Mode::Full => None,
                };
            }
        }
        Ok(())
    }

    async fn connect(&mut self) -> Result<C::Session, ExecError> {
        let device = &self.ctx.inventory.devices[self.id];
        let session = match self.ctx.connector.connect(device).await {
            Ok(session) => session,
            Err(mut e) => {
                if let Some(notice) = self.ctx.connector.take_failure_notice(device) {
                    self.ctx.log(Some(self.id), notice).await;
                }
                e.reason = self.ctx.secrets.mask(&e.reason);
                return Err(e);
            }
        };
        if let Some(notice) = session.connect_notice() {
            self.ctx.log(Some(self.id), notice).await;
        }
        Ok(session)
    }

    /// `Some(reason)` when a pre-check failed.
    async fn pre_checks(&mut self, session: &mut C::Session) -> Result<Option<String>, Stop> {
        let started = Instant::now();
        self.transition(DeviceState::PreChecking, None).await?;
        self.stage(Stage::Pre, Edge::Begin, None)?;
        let plan = self.ctx.plan.clone();
        let mut failed = None;
        for (i, check) in plan.pre_checks.iter().enumerate() {
            let result = self.check(session, Stage::Pre, i, check, None).await?;
            let passed = result.passed;
            let detail = result.detail.clone().unwrap_or_default();
            self.out.pre_checks.push(result);
            if !passed {
                failed = Some(format!("pre-check {}: {detail}", check.name));
                break;
            }
        }
        if failed.is_none()
            && let Some(cmd) = &plan.snapshot
        {
            let index = plan.pre_checks.len();
            let (text, _) = self.command(session, Stage::Pre, index, cmd).await?;
            self.out.snapshot_pre = Some(text);
        }
        self.stage(Stage::Pre, Edge::End, Some(failed.is_none()))?;
        self.out.durations.pre_check = started.elapsed();
        Ok(failed)
    }

    /// `Some(reason)` when a step failed.
    async fn apply(&mut self, session: &mut C::Session) -> Result<Option<String>, Stop> {
        let started = Instant::now();
        self.gate.pass().await.map_err(|_| Stop::Aborted)?;
        self.transition(DeviceState::Applying, None).await?;
        // From here on the device may be changed: a crash leaves it `unknown`.
        self.stage(Stage::Apply, Edge::Begin, None)?;
        self.changed = true;
        let plan = self.ctx.plan.clone();
        let result = self.steps(session, Stage::Apply, &plan.steps).await;
        let failed = match &result {
            Ok(failed) => failed.clone(),
            // Stopped between steps (abort): the apply stage ended, unfinished.
            Err(_) => Some("stopped".into()),
        };
        self.stage(Stage::Apply, Edge::End, Some(failed.is_none()))?;
        self.applied = matches!(result, Ok(None));
        self.out.durations.apply = started.elapsed();
        result
    }

    /// Runs `steps`, each behind the gate; `Some(reason)` at the first failing one.
    async fn steps(
        &mut self,
        session: &mut C::Session,
        stage: Stage,
        steps: &[Step],
    ) -> Result<Option<String>, Stop> {
        for (i, step) in steps.iter().enumerate() {
            if stage != Stage::Rollback {
                self.gate.pass().await.map_err(|_| Stop::Aborted)?;
            }
            let label = step_label(step);
            self.ctx.step(self.id, &label).await;
            self.ctx
                .journal_step(self.id, stage, i, &label, Edge::Begin, None, None, None)?;
            let result = match step {
                Step::Command(cmd) => session.run(cmd).await,
                Step::Config { lines, save } => session.configure(lines, *save).await,
            };
            // Masked at the source: checks, journal, events and report all see the same text.
            let result = self.ctx.secrets.mask_result(result);
            let (ok, output, detail) = judge(&result);
            self.ctx.journal_step(
                self.id,
                stage,
                i,
                &label,
                Edge::End,
                Some(ok),
                Some(&result),
                Some(&output),
            )?;
            let outcome = StepOutcome {
                step: label.clone(),
                output,
                ok,
                detail: detail.clone(),
            };
            if stage == Stage::Rollback {
                self.out.rollback.push(outcome);
            } else {
                self.out.steps.push(outcome);
            }
            if !ok {
                let why = detail.unwrap_or_else(|| "failed".into());
                return Ok(Some(format!("step {} ({label}): {why}", i + 1)));
            }
        }
        Ok(None)
    }

    /// `Some(reason)` when a post-check failed.
    async fn post_checks(&mut self, session: &mut C::Session) -> Result<Option<String>, Stop> {
        let started = Instant::now();
        self.gate.pass().await.map_err(|_| Stop::Aborted)?;
        self.transition(DeviceState::Verifying, None).await?;
        self.stage(Stage::Post, Edge::Begin, None)?;
        let plan = self.ctx.plan.clone();
        let mut failed = None;
        for (i, check) in plan.post_checks.iter().enumerate() {
            self.gate.pass().await.map_err(|_| Stop::Aborted)?;
            let pre = match check.expect {
                Expect::SameAsPre => plan
                    .pre_checks
                    .iter()
                    .position(|p| p.command == check.command)
                    .and_then(|p| self.pre_outputs.get(&p).cloned()),
                _ => None,
            };
            let result = self
                .check(session, Stage::Post, i, check, pre.as_deref())
                .await?;
            let passed = result.passed;
            let detail = result.detail.clone().unwrap_or_default();
            self.out.post_checks.push(result);
            if !passed && failed.is_none() {
                // Keep running the others: the report shows every post-check.
                failed = Some(format!("post-check {}: {detail}", check.name));
            }
        }
        if let Some(cmd) = &plan.snapshot {
            let index = plan.post_checks.len();
            let (text, _) = self.command(session, Stage::Post, index, cmd).await?;
            self.out.snapshot_post = Some(text);
        }
        self.stage(Stage::Post, Edge::End, Some(failed.is_none()))?;
        self.out.durations.verify = started.elapsed();
        Ok(failed)
    }

    /// `Some(reason)` when a rollback step failed.
    async fn roll_back(&mut self) -> Result<Option<String>, Stop> {
        let mut session = match self.connect().await {
            Ok(s) => s,
            Err(e) => return Ok(Some(e.to_string())),
        };
        self.ctx
            .log(Some(self.id), "rolling back".to_string())
            .await;
        self.stage(Stage::Rollback, Edge::Begin, None)?;
        let plan = self.ctx.plan.clone();
        let result = self
            .steps(&mut session, Stage::Rollback, &plan.rollback)
            .await;
        let ok = matches!(result, Ok(None));
        self.stage(Stage::Rollback, Edge::End, Some(ok))?;
        result
    }

    /// Runs one check and judges its output.
    async fn check(
        &mut self,
        session: &mut C::Session,
        stage: Stage,
        index: usize,
        check: &Check,
        pre: Option<&str>,
    ) -> Result<CheckOutcome, Stop> {
        self.ctx.step(self.id, &check.name).await;
        let (output, error) = self.command(session, stage, index, &check.command).await?;
        let (passed, detail) = match error {
            Some(e) => (false, Some(e)),
            None => match check.evaluate(&output, pre) {
                crate::rollout::plan::Verdict::Pass => (true, None),
                crate::rollout::plan::Verdict::Fail(why) => (false, Some(why)),
            },
        };
        if stage == Stage::Pre {
            self.pre_outputs.insert(index, output.clone());
        }
        let phase = match stage {
            Stage::Pre => CheckPhase::Pre,
            _ => CheckPhase::Post,
        };
        self.ctx
            .emit(RolloutEvent::Check {
                device: self.id,
                phase,
                name: check.name.clone(),
                passed,
                output: crate::base::text::cap(&output, EVENT_OUTPUT_CAP).to_owned(),
            })
            .await;
        Ok(CheckOutcome {
            name: check.name.clone(),
            command: check.command.clone(),
            output,
            passed,
            detail,
        })
    }

    /// Runs a read-only command, journalled; (output, error text when it did not answer).
    async fn command(
        &mut self,
        session: &mut C::Session,
        stage: Stage,
        index: usize,
        command: &str,
    ) -> Result<(String, Option<String>), Stop> {
        self.ctx.journal_step(
            self.id,
            stage,
            index,
            command,
            Edge::Begin,
            None,
            None,
            None,
        )?;
        let result = self.ctx.secrets.mask_result(session.run(command).await);
        let (ok, output, detail) = judge(&result);
        self.ctx.journal_step(
            self.id,
            stage,
            index,
            command,
            Edge::End,
            Some(ok),
            Some(&result),
            Some(&output),
        )?;
        Ok((output, if ok { None } else { detail }))
    }

    fn unreachable(&self) -> bool {
        self.ctx.plan.unreachable_is_failure && self.ctx.is_down(self.id)
    }

    async fn transition(&mut self, state: DeviceState, reason: Option<String>) -> Result<(), Stop> {
        self.out.state = state;
        self.ctx
            .transition(self.id, state, reason)
            .await
            .map_err(Stop::Journal)
    }

    fn stage(&self, stage: Stage, edge: Edge, ok: Option<bool>) -> Result<(), Stop> {
        self.ctx
            .journal_stage(self.id, stage, edge, ok)
            .map_err(Stop::Journal)
    }

    /// Records the final state (journal + event); a journal error here is only logged, the
    /// state is already decided.
    async fn finish(&mut self, state: DeviceState, reason: Option<String>) {
        self.out.state = state;
        self.out.reason = reason.clone();
        if let Err(e) = self.ctx.transition(self.id, state, reason).await {
            self.ctx
                .log(Some(self.id), format!("cannot write the journal: {e}"))
                .await;
        }
    }
}

/// Check output carried by events (the report keeps it whole).
const EVENT_OUTPUT_CAP: usize = 16 * 1024;

/// (ok, output text, why it failed).
fn judge(result: &Result<Output, ExecError>) -> (bool, String, Option<String>) {
    match result {
        Ok(out) if out.ok() => (true, out.text.clone(), None),
        Ok(out) => {
            let why = match (&out.error_marker, out.exit_status) {
                (Some(marker), _) => format!("device error: {marker}"),
                (None, Some(status)) => format!("exit status {status}"),
                (None, None) => "failed".into(),
            };
            (false, out.text.clone(), Some(why))
        }
        Err(e) => (false, String::new(), Some(e.to_string())),
    }
}

/// How a step is named in the UI, the journal and the report.
pub fn step_label(step: &Step) -> String {
    match step {
        Step::Command(cmd) => cmd.clone(),
        Step::Config { lines, save } => {
            let mut s = format!("config: {}", lines.join("; "));
            if *save {
                s.push_str(" (save)");
            }
            s
        }
    }
}
