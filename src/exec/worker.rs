//! One device's worker: its job queue (so two commands never run at once on a device), its
//! session (opened on demand, reused, reopened when it drops), its circuit breaker, retries
//! before send, journal lines around each send, and polling between jobs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::backoff;
use super::breaker::{Admit, Breaker};
use super::connector::{Connector, Session};
use super::engine::{RunCancel, Shared};
use super::event::{ExecEvent, ExecSink, Link, RunId};
use super::journal::Entry;
use crate::inventory::DeviceId;
use crate::ssh::{ExecError, Output, Stage};

/// Poll backoff: the interval doubles per consecutive failure up to this factor.
const POLL_BACKOFF_MAX: u32 = 16;

pub(super) struct Job {
    pub run: RunId,
    pub command: Arc<str>,
    pub cancel: Arc<RunCancel>,
}

/// Who a send is recorded for in the journal (polls are not journaled: they are fixed,
/// read-only commands and would drown the operator's own).
struct Audit<'a> {
    run: RunId,
    command: &'a str,
    /// The run's cancellation: it also aborts a connect in progress for the run.
    cancel: &'a RunCancel,
}

pub(super) struct Worker<C: Connector, E> {
    shared: Arc<Shared<C, E>>,
    device: DeviceId,
    jobs: mpsc::UnboundedReceiver<Job>,
    session: Option<C::Session>,
    breaker: Breaker,
    /// Consecutive failed polls (for the poll backoff).
    poll_failures: u32,
}

/// Tokio's clock as a std `Instant` (events carry std instants; tests pause tokio's clock).
fn now_std() -> std::time::Instant {
    Instant::now().into_std()
}

impl<C: Connector, E: ExecSink> Worker<C, E> {
    pub fn new(
        shared: Arc<Shared<C, E>>,
        device: DeviceId,
        jobs: mpsc::UnboundedReceiver<Job>,
    ) -> Self {
        let breaker = Breaker::new(shared.cfg.breaker_failures, shared.cfg.breaker_cooldown);
        Worker {
            shared,
            device,
            jobs,
            session: None,
            breaker,
            poll_failures: 0,
        }
    }

    pub async fn run(mut self) {
        let interval = self.shared.cfg.poll_interval;
        // First poll soon after start, spread over the interval so 1,000 devices do not all
        // connect in the same millisecond.
        let mut next_poll = interval.map(|i| {
            let spread = i.mul_f64(backoff::jitter_unit(self.device as u64));
            Instant::now() + spread.min(Duration::from_secs(5))
        });
        loop {
            let poll_at = next_poll.unwrap_or_else(Instant::now);
            tokio::select! {
                // Operator commands first; polls fill the gaps.
                biased;
                job = self.jobs.recv() => match job {
                    Some(job) => self.job(job).await,
                    None => break,
                },
                _ = tokio::time::sleep_until(poll_at), if next_poll.is_some() => {
                    let wait = self.poll().await;
                    next_poll = Some(Instant::now() + wait);
                }
            }
        }
    }

    async fn job(&mut self, job: Job) {
        let began = Instant::now();
        let result = self.job_result(&job).await;
        let counts =
            matches!(&result, Err(e) if !matches!(e.stage, Stage::Cancelled | Stage::CircuitOpen));
        if counts || result.is_ok() {
            self.record(result.is_ok()).await;
        }
        self.shared
            .emit(ExecEvent::Finished {
                run: job.run,
                device: self.device,
                at: now_std(),
                duration: began.elapsed(),
                result,
            })
            .await;
    }

    async fn job_result(&mut self, job: &Job) -> Result<Output, ExecError> {
        if job.cancel.is_cancelled() {
            return Err(cancelled());
        }
        self.admit().await?;
        let shared = self.shared.clone();
        let _permit = tokio::select! {
            permit = shared.permits.acquire() => permit.expect("semaphore never closed"),
            _ = job.cancel.wait() => return Err(cancelled()),
        };
        let audit = Audit {
            run: job.run,
            command: &job.command,
            cancel: &job.cancel,
        };
        let mut retry = 0;
        let mut started = false;
        loop {
            if job.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let reused = self.session.is_some();
            match self.send(&job.command, Some(&audit), &mut started).await {
                Err(e) if retryable(&e) && retry < self.shared.cfg.retries => {
                    retry += 1;
                    // A reused session that turned out dead: reconnect at once.
                    if !reused {
                        let cfg = &self.shared.cfg;
                        let unit =
                            backoff::jitter_unit(self.device as u64 ^ u64::from(retry) << 32);
                        let wait = backoff::delay(cfg.backoff_base, cfg.backoff_max, retry, unit);
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = job.cancel.wait() => return Err(cancelled()),
                        }
                    }
                }
                result => return self.shared.secrets.mask_result(result),
            }
        }
    }

    /// Asks the breaker; refused jobs end at once.
    async fn admit(&mut self) -> Result<(), ExecError> {
        let (admit, change) = self.breaker.admit(now_std());
        if let Some(link) = change {
            report_link(&self.shared, self.device, link).await;
        }
        match admit {
            Admit::Go => Ok(()),
            Admit::Refuse { until } => Err(ExecError {
                stage: Stage::CircuitOpen,
                maybe_ran: false,
                reason: format!(
                    "circuit open after {} consecutive failures; next try in {}s",
                    self.shared.cfg.breaker_failures,
                    until.saturating_duration_since(now_std()).as_secs().max(1)
                ),
            }),
        }
    }

    async fn record(&mut self, ok: bool) {
        if let Some(link) = self.breaker.record(ok, now_std()) {
            self.session = None;
            report_link(&self.shared, self.device, link).await;
        }
    }

    /// One attempt: a session (reused or new), a journal line, the command, a journal line.
    async fn send(
        &mut self,
        command: &str,
        audit: Option<&Audit<'_>>,
        started: &mut bool,
    ) -> Result<Output, ExecError> {
        self.ensure_session(audit).await?;
        let device = &self.shared.inventory.devices[self.device];
        let entry = audit.map(|a| Entry {
            run: a.run,
            device: &device.name,
            host: &device.host,
            command: a.command,
        });
        if let (Some(journal), Some(entry)) = (&self.shared.cfg.journal, entry) {
            // No record, no send: an unaudited command must not reach a device.
            journal.start(entry).map_err(|e| ExecError {
                stage: Stage::Command,
                maybe_ran: false,
                reason: format!("not sent: audit journal {}: {e}", journal.path().display()),
            })?;
        }
        if let (Some(audit), false) = (audit, *started) {
            *started = true;
            self.shared
                .emit(ExecEvent::Started {
                    run: audit.run,
                    device: self.device,
                    at: now_std(),
                })
                .await;
        }
        let sent_at = Instant::now();
        let session = self.session.as_mut().expect("session ensured above");
        let timeout = self.shared.cfg.command_timeout;
        let result = match tokio::time::timeout(timeout, Box::pin(session.run(command))).await {
            Ok(result) => result,
            Err(_) => Err(ExecError {
                stage: Stage::Command,
                maybe_ran: true,
                reason: format!("no complete answer within {}", secs(timeout)),
            }),
        };
        if let Err(e) = &result {
            // The session's state is unknown after a failure: never reuse it.
            self.session = None;
            report_failure(&self.shared, self.device, e).await;
        }
        if let (Some(journal), Some(entry)) = (&self.shared.cfg.journal, entry) {
            let masked = self.shared.secrets.mask_result(result.clone());
            // The command was sent: a failed end line must not turn its answer into an error.
            let _ = journal.end(entry, sent_at.elapsed(), &masked);
        }
        result
    }

    /// Opens the session if there is none. For a run's job (`audit`), the run hears that
    /// the device is connecting, and cancelling the run aborts the connect at once (nothing
    /// was sent yet, so nothing is lost).
    async fn ensure_session(&mut self, audit: Option<&Audit<'_>>) -> Result<(), ExecError> {
        if self.session.as_ref().is_some_and(|s| s.is_closed()) {
            self.session = None;
            report_link(&self.shared, self.device, Link::Idle).await;
        }
        if self.session.is_some() {
            return Ok(());
        }
        report_link(&self.shared, self.device, Link::Connecting).await;
        if let Some(audit) = audit {
            self.shared
                .emit(ExecEvent::Connecting {
                    run: audit.run,
                    device: self.device,
                })
                .await;
        }
        let device = &self.shared.inventory.devices[self.device];
        let timeout = self.shared.cfg.connect_timeout;
        // Boxed (so is the command's future): its state is large and lives only while
        // connecting; a worker waiting for its turn (1,000 of them at once) is small.
        let connect =
            tokio::time::timeout(timeout, Box::pin(self.shared.connector.connect(device)));
        let connected = match audit {
            Some(audit) => tokio::select! {
                connected = connect => connected,
                _ = audit.cancel.wait() => {
                    report_link(&self.shared, self.device, Link::Idle).await;
                    return Err(ExecError {
                        reason: "cancelled while connecting (nothing was sent)".into(),
                        ..cancelled()
                    });
                }
            },
            None => connect.await,
        };
        let result = match connected {
            Ok(result) => result,
            Err(_) => Err(ExecError {
                stage: Stage::Connect,
                maybe_ran: false,
                reason: format!(
                    "no session within {} (connect, handshake and auth)",
                    secs(timeout)
                ),
            }),
        };
        match result {
            Ok(session) => {
                if let Some(text) = session.connect_notice() {
                    let at = now_std();
                    self.shared.notice(at, text).await;
                }
                self.session = Some(session);
                report_link(&self.shared, self.device, Link::Connected).await;
                Ok(())
            }
            Err(e) => {
                if let Some(text) = self.shared.connector.take_failure_notice(device) {
                    self.shared.notice(now_std(), text).await;
                }
                let e = ExecError {
                    maybe_ran: false,
                    ..e
                };
                report_failure(&self.shared, self.device, &e).await;
                report_bastion(&self.shared, self.device, &e).await;
                Err(e)
            }
        }
    }

    /// Runs the platform's poll commands once; returns the wait before the next poll.
    async fn poll(&mut self) -> Duration {
        let interval = self
            .shared
            .cfg
            .poll_interval
            .unwrap_or(Duration::from_secs(60));
        let (admit, change) = self.breaker.admit(now_std());
        if let Some(link) = change {
            report_link(&self.shared, self.device, link).await;
        }
        if let Admit::Refuse { until } = admit {
            return until.saturating_duration_since(now_std()).max(interval);
        }
        let platform = &self.shared.inventory.devices[self.device].platform;
        let specs = self.shared.connector.poll_specs(platform);
        if specs.is_empty() {
            return interval;
        }
        let shared = self.shared.clone();
        let permit = shared
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        let mut facts = Vec::new();
        let mut failed = false;
        for spec in &specs {
            match self.send(&spec.command, None, &mut true).await {
                Ok(out) => facts.extend((spec.parse)(&self.shared.secrets.mask(&out.text))),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        drop(permit);
        self.record(!failed).await;
        if !facts.is_empty() {
            self.shared
                .emit(ExecEvent::Facts {
                    device: self.device,
                    at: now_std(),
                    facts,
                })
                .await;
        }
        if failed {
            self.poll_failures = self.poll_failures.saturating_add(1);
            let factor = 1u32 << self.poll_failures.min(POLL_BACKOFF_MAX.trailing_zeros());
            interval.saturating_mul(factor)
        } else {
            self.poll_failures = 0;
            interval
        }
    }
}

/// Reports a change of the device's link (a free function: `&Worker` is not `Sync`).
async fn report_link<C, E: ExecSink>(shared: &Shared<C, E>, device: DeviceId, link: Link) {
    shared.emit(ExecEvent::Link { device, link }).await;
}

/// The link failed: its tile shows why, with any secret masked.
async fn report_failure<C, E: ExecSink>(shared: &Shared<C, E>, device: DeviceId, e: &ExecError) {
    let reason = shared.secrets.mask(&e.to_string());
    report_link(shared, device, Link::Failed { reason }).await;
}

/// A bastion's own failure shows on the bastion's tile too, when it is a device here.
async fn report_bastion<C, E: ExecSink>(shared: &Shared<C, E>, device: DeviceId, e: &ExecError) {
    let Some((hop, what)) = crate::ssh::failed_bastion(e) else {
        return;
    };
    let devices = &shared.inventory.devices;
    if let Some(id) = devices.iter().position(|d| d.name == hop)
        && id != device
    {
        let reason = shared.secrets.mask(&format!("as a bastion: {what}"));
        report_link(shared, id, Link::Failed { reason }).await;
    }
}

/// Only failures that certainly happened before the command was sent, at a stage where
/// trying again can help (a wrong password or a changed host key will not fix itself).
fn retryable(e: &ExecError) -> bool {
    !e.maybe_ran
        && matches!(
            e.stage,
            Stage::Resolve | Stage::Connect | Stage::Handshake | Stage::Channel
        )
}

fn cancelled() -> ExecError {
    ExecError {
        stage: Stage::Cancelled,
        maybe_ran: false,
        reason: "cancelled before it was sent".into(),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
