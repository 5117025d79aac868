//! Fleet jobs as the front ends follow them: what a front end asks the engine for
//! ([`JobRequest`]), what the job workers answer ([`JobEvent`]), and what the reducer keeps
//! of it ([`Jobs`]): each device's last backup this session, the focused device's versions
//! in git, the diff asked for, and one line per finished job for its runs.

use std::collections::VecDeque;
use std::time::Instant;

use crate::exec::RunId;
use crate::inventory::DeviceId;
pub use crate::jobs::backup::{Outcome as BackupOutcome, Version};

/// Job lines kept for the run view (as many as runs are kept).
const NOTES_KEPT: usize = super::runs::RUNS_KEPT;

/// What a front end asks the engine's job workers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRequest {
    /// Fetch these devices' running configurations and commit them to the backup repository.
    Backup { devices: Vec<DeviceId> },
    /// Read the device's last versions from the backup repository.
    History { device: DeviceId },
    /// The device's diff against its previous backup.
    Diff { device: DeviceId },
    /// Read these devices' LLDP/CDP neighbours and compare them with the plan in `plan`.
    Cabling {
        devices: Vec<DeviceId>,
        plan: std::path::PathBuf,
    },
}

/// What the job workers tell the reducer.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A backup's files are stored (and committed when anything changed), or it failed as a
    /// whole (the repository could not be opened or committed to).
    BackupDone {
        at: Instant,
        runs: Vec<RunId>,
        result: Result<BackupResult, String>,
    },
    /// A device's last versions in git, newest first.
    History {
        device: DeviceId,
        versions: Result<Vec<Version>, String>,
    },
    /// A device's diff against its previous backup; `None`: fewer than two versions.
    Diff {
        device: DeviceId,
        diff: Result<Option<String>, String>,
    },
    /// A cabling check is compared, or failed as a whole (the plan could not be read).
    CablingDone {
        at: Instant,
        runs: Vec<RunId>,
        result: Result<CablingResult, String>,
    },
}

/// A cabling check as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CablingResult {
    /// `cabling does not match the plan: 5/7 links ok, 2 wrong`.
    pub summary: String,
    /// Per device checked: planned links checked, and one line per wrong link (escaped).
    pub devices: Vec<(DeviceId, usize, Vec<String>)>,
}

/// One device's part of the last cabling check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceCabling {
    pub checked: usize,
    pub wrong: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupResult {
    pub devices: Vec<(DeviceId, BackupOutcome)>,
    /// The commit id, when anything changed.
    pub commit: Option<String>,
}

impl BackupResult {
    /// `backup of 3 devices: 1 changed, 0 new, 1 unchanged, 1 failed · commit 0a1b2c3d4e5f`.
    pub fn summary(&self) -> String {
        let n = |f: fn(&BackupOutcome) -> bool| self.devices.iter().filter(|(_, o)| f(o)).count();
        let mut s = format!(
            "backup of {}: {} changed, {} new, {} unchanged, {} failed",
            crate::base::text::count(self.devices.len(), "device"),
            n(|o| *o == BackupOutcome::Changed),
            n(|o| *o == BackupOutcome::New),
            n(|o| *o == BackupOutcome::Unchanged),
            n(|o| matches!(o, BackupOutcome::Failed { .. })),
        );
        let skipped = n(|o| matches!(o, BackupOutcome::Skipped { .. }));
        if skipped > 0 {
            s.push_str(&format!(", {skipped} skipped"));
        }
        match &self.commit {
            Some(id) => s.push_str(&format!(" · commit {}", &id[..id.len().min(12)])),
            None => s.push_str(" · nothing changed, no commit"),
        }
        s
    }
}

/// A device's last backup this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastBackup {
    pub at: Instant,
    pub outcome: BackupOutcome,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Jobs {
    /// Per device, parallel to the inventory.
    pub backups: Vec<Option<LastBackup>>,
    /// The last versions read for a device (the focused one).
    pub history: Option<(DeviceId, Result<Vec<Version>, String>)>,
    /// The last diff read.
    pub diff: Option<(DeviceId, Result<Option<String>, String>)>,
    /// A finished job's line, for the runs it made.
    pub notes: VecDeque<(Vec<RunId>, String)>,
    /// Bumped when a backup ends: what was read from git before may be old.
    pub generation: u64,
    /// Per device, from the last cabling check (`None`: not in it).
    pub cabling: Vec<Option<DeviceCabling>>,
}

impl Jobs {
    pub fn new(devices: usize) -> Jobs {
        Jobs {
            backups: vec![None; devices],
            cabling: vec![None; devices],
            ..Jobs::default()
        }
    }

    /// The line of the job that made `run`, once it finished.
    pub fn note(&self, run: RunId) -> Option<&str> {
        self.notes
            .iter()
            .rev()
            .find(|(runs, _)| runs.contains(&run))
            .map(|(_, note)| note.as_str())
    }

    fn add_note(&mut self, runs: Vec<RunId>, line: &str) {
        if self.notes.len() >= NOTES_KEPT {
            self.notes.pop_front();
        }
        self.notes.push_back((runs, line.to_string()));
    }

    /// Folds one event; returns a line for the log.
    pub(super) fn apply(&mut self, event: JobEvent) -> Option<(Instant, String)> {
        match event {
            JobEvent::BackupDone { at, runs, result } => {
                self.generation += 1;
                let line = match result {
                    Ok(result) => {
                        for (id, outcome) in &result.devices {
                            if let Some(slot) = self.backups.get_mut(*id) {
                                *slot = Some(LastBackup {
                                    at,
                                    outcome: outcome.clone(),
                                    commit: result.commit.clone(),
                                });
                            }
                        }
                        result.summary()
                    }
                    Err(why) => format!("backup failed: {why}"),
                };
                self.add_note(runs, &line);
                Some((at, line))
            }
            JobEvent::CablingDone { at, runs, result } => {
                let line = match result {
                    Ok(result) => {
                        self.cabling.iter_mut().for_each(|c| *c = None);
                        for (id, checked, wrong) in result.devices {
                            if let Some(slot) = self.cabling.get_mut(id) {
                                *slot = Some(DeviceCabling { checked, wrong });
                            }
                        }
                        result.summary
                    }
                    Err(why) => format!("cabling check failed: {why}"),
                };
                self.add_note(runs, &line);
                Some((at, line))
            }
            JobEvent::History { device, versions } => {
                self.history = Some((device, versions));
                None
            }
            JobEvent::Diff { device, diff } => {
                self.diff = Some((device, diff));
                None
            }
        }
    }
}
