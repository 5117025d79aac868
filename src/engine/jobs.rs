//! The engine's job workers: a front end's [`JobRequest`] becomes runs on the SSH workers
//! (recorded like any `:` command, so the run view shows their progress) and blocking tasks
//! for git; every answer comes back as a [`JobEvent`]. Nothing here waits: the front end's
//! loop calls in, and the work happens in spawned tasks.
//!
//! ```text
//! request(Backup) ─► Command::Run per config command ─► exec workers ─► events
//! after a batch: all its runs ended? ─► spawn_blocking: jobs::backup::store_all ─► BackupDone
//! request(History | Diff) ─► spawn_blocking: git log / git diff ─► History | Diff
//! request(Cabling) ─► Command::Run per neighbour command, spawn_blocking: load_plan
//!     all its runs ended? ─► parse (jobs::cabling::add_answer), compare ─► CablingDone
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Engine;
use crate::exec::Command;
use crate::fleet::{BackupResult, CablingResult, DeviceRun, Event, JobEvent, JobRequest, RunId};
use crate::inventory::{DeviceId, Inventory, Link};
use crate::jobs::backup::{self, Layout, Repo};
use crate::jobs::cabling::{self, Tables, add_answer};
use crate::ssh::detect::Cache;
use crate::ssh::{ExecError, Output, Stage};

/// How the dashboard's jobs store their results.
#[derive(Debug, Clone, Default)]
pub struct JobsSetup {
    /// The backup repository; `None`: `backups` in the state directory.
    pub backup_dir: Option<PathBuf>,
    pub layout: Layout,
    pub keep_secrets: bool,
    /// Platforms `fleetdash detect` recorded, for `autodetect` devices.
    pub detected: Arc<Cache>,
}

impl JobsSetup {
    fn dir(&self) -> Result<PathBuf, String> {
        match &self.backup_dir {
            Some(dir) => Ok(dir.clone()),
            None => crate::base::paths::state_dir()
                .map(|d| d.join("backups"))
                .map_err(|e| e.to_string()),
        }
    }
}

/// A job waiting for its runs to end.
struct Pending {
    runs: Vec<RunId>,
    kind: Kind,
}

enum Kind {
    Backup {
        unfetchable: Vec<(DeviceId, ExecError)>,
        skipped: Vec<(DeviceId, String)>,
    },
    Cabling {
        /// The plan, read by a blocking task meanwhile.
        plan: JoinHandle<Result<Vec<Link>, String>>,
        /// The devices whose platform has no neighbour command, with why.
        tables: Tables,
    },
}

/// What the job workers are doing.
#[derive(Default)]
pub(super) struct JobWorkers {
    pub(super) setup: JobsSetup,
    pending: Vec<Pending>,
    /// A history read is in flight; the device asked for meanwhile waits here.
    history_busy: bool,
    history_next: Option<DeviceId>,
}

impl JobWorkers {
    pub(super) fn new(setup: JobsSetup) -> JobWorkers {
        JobWorkers {
            setup,
            ..JobWorkers::default()
        }
    }
}

impl Engine {
    /// Starts what `request` asks for; the ids of the runs it made (taken from `next_run`),
    /// so the front end can show them. Never waits.
    pub fn request(&mut self, request: JobRequest, next_run: &mut RunId) -> Vec<RunId> {
        match request {
            JobRequest::Backup { devices } => self.start_backup(devices, next_run),
            JobRequest::Cabling { devices, plan } => self.start_cabling(devices, plan, next_run),
            JobRequest::History { device } => {
                if self.jobs.history_busy {
                    self.jobs.history_next = Some(device);
                } else {
                    self.read_history(device);
                }
                Vec::new()
            }
            JobRequest::Diff { device } => {
                let Some((inventory, setup, tx)) = self.job_context() else {
                    return Vec::new();
                };
                tokio::task::spawn_blocking(move || {
                    let rel = setup.layout.path(&inventory.devices[device]);
                    let diff = setup
                        .dir()
                        .and_then(|dir| backup::diff(&dir, &rel).map_err(|e| e.to_string()));
                    let _ = tx.blocking_send(Event::Job(JobEvent::Diff { device, diff }));
                });
                Vec::new()
            }
        }
    }

    /// What a job task needs; `None` once the event stream has ended (nobody would hear).
    fn job_context(&self) -> Option<(Arc<Inventory>, JobsSetup, mpsc::Sender<Event>)> {
        let tx = self.tx.upgrade()?;
        Some((self.state.inventory.clone(), self.jobs.setup.clone(), tx))
    }

    fn read_history(&mut self, device: DeviceId) {
        if device >= self.state.inventory.devices.len() {
            return;
        }
        let Some((inventory, setup, tx)) = self.job_context() else {
            return;
        };
        self.jobs.history_busy = true;
        tokio::task::spawn_blocking(move || {
            let rel = setup.layout.path(&inventory.devices[device]);
            let versions = setup
                .dir()
                .and_then(|dir| backup::history(&dir, &rel).map_err(|e| e.to_string()));
            let _ = tx.blocking_send(Event::Job(JobEvent::History { device, versions }));
        });
    }

    /// Records and sends one run per command; `None` (and a log line) when the SSH workers
    /// cannot take them (the runs already sent finish on their own, unused).
    fn send_runs(
        &mut self,
        what: &str,
        runs: Vec<(String, Vec<DeviceId>)>,
        next_run: &mut RunId,
    ) -> Option<Vec<RunId>> {
        let now = Instant::now();
        let mut ids = Vec::new();
        for (command, devices) in runs {
            let run = *next_run;
            *next_run += 1;
            let command = Command::Run {
                run,
                devices,
                command,
            };
            self.record(&command, now);
            if let Err(err) = self.commands.try_send(command) {
                let why = match err {
                    mpsc::error::TrySendError::Full(_) => "the SSH workers are busy; try again",
                    mpsc::error::TrySendError::Closed(_) => "the SSH workers are not running",
                };
                self.apply(Event::Notice {
                    at: now,
                    text: format!("{what} not started: {why}"),
                });
                return None;
            }
            ids.push(run);
        }
        Some(ids)
    }

    fn start_backup(&mut self, devices: Vec<DeviceId>, next_run: &mut RunId) -> Vec<RunId> {
        let detected = self.jobs.setup.detected.clone();
        let platform_of = |d: &crate::inventory::Device| backup::resolve_platform(&detected, d);
        let plan = backup::plan_fetch(&self.state.inventory, &devices, &platform_of);
        let Some(runs) = self.send_runs("backup", plan.runs, next_run) else {
            return Vec::new();
        };
        let kind = Kind::Backup {
            unfetchable: plan.unfetchable,
            skipped: plan.skipped,
        };
        self.wait_for(runs, kind)
    }

    fn start_cabling(
        &mut self,
        devices: Vec<DeviceId>,
        plan: PathBuf,
        next_run: &mut RunId,
    ) -> Vec<RunId> {
        let (commands, tables) = cabling::neighbor_runs(&self.state.inventory, &devices);
        let Some(runs) = self.send_runs("cabling check", commands, next_run) else {
            return Vec::new();
        };
        let plan = tokio::task::spawn_blocking(move || cabling::load_plan(&plan));
        self.wait_for(runs, Kind::Cabling { plan, tables })
    }

    fn wait_for(&mut self, runs: Vec<RunId>, kind: Kind) -> Vec<RunId> {
        self.jobs.pending.push(Pending {
            runs: runs.clone(),
            kind,
        });
        // Nothing to fetch (no device has the command): it is done at once.
        self.step_jobs();
        runs
    }

    /// After a batch: a finished history read lets the next one start; a backup whose runs
    /// all ended goes to a blocking task that stores and commits.
    pub(super) fn saw_job_event(&mut self, event: &Event) {
        if let Event::Job(JobEvent::History { .. }) = event {
            self.jobs.history_busy = false;
            if let Some(next) = self.jobs.history_next.take() {
                self.read_history(next);
            }
        }
    }

    pub(super) fn step_jobs(&mut self) {
        if self.jobs.pending.is_empty() {
            return;
        }
        let runs = &self.state.exec;
        let ended = |p: &Pending| {
            p.runs
                .iter()
                .all(|&r| runs.get(r).is_none_or(|run| run.ended.is_some()))
        };
        let (done, waiting): (Vec<Pending>, Vec<Pending>) =
            self.jobs.pending.drain(..).partition(ended);
        self.jobs.pending = waiting;
        for job in done {
            // Each device's answer, with the command it answered.
            let mut results: Vec<(String, DeviceId, Result<Output, ExecError>)> = Vec::new();
            for &id in &job.runs {
                let Some(run) = runs.get(id) else { continue };
                for &device in &run.devices {
                    let result = match run.per_device.get(&device) {
                        Some(DeviceRun::Done { result, .. }) => result.clone(),
                        _ => Err(ExecError {
                            stage: Stage::Command,
                            maybe_ran: false,
                            reason: "no answer was kept for it".into(),
                        }),
                    };
                    results.push((run.command.clone(), device, result));
                }
            }
            let Some((inventory, setup, tx)) = self.job_context() else {
                continue;
            };
            let runs = job.runs;
            match job.kind {
                Kind::Backup {
                    unfetchable,
                    skipped,
                } => {
                    let mut results: Vec<(DeviceId, Result<Output, ExecError>)> =
                        results.into_iter().map(|(_, id, r)| (id, r)).collect();
                    results.extend(unfetchable.into_iter().map(|(id, e)| (id, Err(e))));
                    tokio::task::spawn_blocking(move || {
                        let result = store(&inventory, &setup, results, &skipped);
                        let event = JobEvent::BackupDone {
                            at: Instant::now(),
                            runs,
                            result,
                        };
                        let _ = tx.blocking_send(Event::Job(event));
                    });
                }
                Kind::Cabling { plan, mut tables } => {
                    for (command, id, result) in &results {
                        add_answer(&mut tables, &inventory.devices[*id], command, result);
                    }
                    tokio::spawn(async move {
                        let result = match plan.await {
                            Ok(Ok(plan)) => {
                                let compared = tokio::task::spawn_blocking(move || {
                                    check(&inventory, &plan, &tables)
                                });
                                compared.await.map_err(|e| e.to_string())
                            }
                            Ok(Err(why)) => Err(why),
                            Err(e) => Err(e.to_string()),
                        };
                        let event = JobEvent::CablingDone {
                            at: Instant::now(),
                            runs,
                            result,
                        };
                        let _ = tx.send(Event::Job(event)).await;
                    });
                }
            }
        }
    }
}

/// The cabling verdict, per device by id (a device the plan names but the inventory does
/// not have is left out of the tiles, and stays in the summary).
fn check(inventory: &Inventory, plan: &[Link], tables: &Tables) -> CablingResult {
    let verdict = cabling::compare(plan, tables);
    let ids: HashMap<&str, DeviceId> = inventory
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let devices = cabling::per_device_lines(&verdict)
        .into_iter()
        .filter_map(|(name, (checked, wrong))| Some((*ids.get(name.as_str())?, checked, wrong)))
        .collect();
    CablingResult {
        summary: verdict.summary(),
        devices,
    }
}

/// The shared pipeline after the fetch: open (or create) the repository, store, commit.
fn store(
    inventory: &Inventory,
    setup: &JobsSetup,
    results: Vec<(DeviceId, Result<Output, ExecError>)>,
    skipped: &[(DeviceId, String)],
) -> Result<BackupResult, String> {
    let dir = setup.dir()?;
    let repo = Repo::open(&dir).map_err(|e| e.to_string())?;
    let platform_of = |d: &crate::inventory::Device| backup::resolve_platform(&setup.detected, d);
    let report = backup::store_all(
        &repo,
        &setup.layout,
        inventory,
        results,
        skipped,
        &platform_of,
        setup.keep_secrets,
    )
    .map_err(|e| e.to_string())?;
    Ok(BackupResult {
        devices: report
            .devices
            .into_iter()
            .zip(report.backups.into_iter().map(|b| b.outcome))
            .collect(),
        commit: report.commit.map(|c| c.id),
    })
}
