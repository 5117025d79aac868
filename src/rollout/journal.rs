//! The rollout journal: one JSON object per line, written through (one `write` per line on
//! an unbuffered append-mode file) and `fsync`ed at every device transition, so a crash or
//! `kill -9` leaves a record of exactly what may have reached each device.
//!
//! Line kinds (`"kind"`): `header` (plan name and hash, the waves by device name), `device`
//! (a device entered a state), `stage` (`begin` before a stage — pre, apply, post, rollback —
//! runs and `end` after it), `step` (`begin`/`end` around every command, with its output),
//! `wave` and `overall` (phase changes). [`replay`] folds a journal back into what `--resume`
//! needs: which devices are finished, which were caught mid-apply (→ `unknown`, only
//! verified), and the pre-check outputs that `same_as_pre` post-checks compare against.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::report::{DeviceState, RunState};
use crate::base::secrets::Secrets;
use crate::exec::journal::{open_private, rfc3339};

/// Output kept per step line.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// The phases of one device's change that the journal brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Pre,
    Apply,
    Post,
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edge {
    Begin,
    End,
}

/// One journal line (without its timestamp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Header {
        plan: String,
        plan_hash: String,
        /// Device names per wave, so a resume runs the same waves whatever the inventory
        /// order is now.
        waves: Vec<Vec<String>>,
        resumed: bool,
    },
    Device {
        device: String,
        state: DeviceState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Stage {
        device: String,
        stage: Stage,
        edge: Edge,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<bool>,
    },
    Step {
        device: String,
        stage: Stage,
        index: usize,
        label: String,
        edge: Edge,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
    },
    Wave {
        wave: usize,
        state: RunState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Overall {
        state: RunState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Record {
    /// Device transitions (and stage edges, which are transitions too) are fsynced.
    fn durable(&self) -> bool {
        matches!(
            self,
            Record::Header { .. } | Record::Device { .. } | Record::Stage { .. }
        )
    }
}

#[derive(Serialize)]
struct Line<'a> {
    ts: String,
    #[serde(flatten)]
    record: &'a Record,
}

#[derive(Deserialize)]
struct ReadLine {
    #[serde(flatten)]
    record: Record,
}

/// An open journal, shared by the device tasks of a rollout.
pub struct RolloutJournal {
    path: PathBuf,
    file: Mutex<File>,
    /// Every string of every line is masked: device outputs can hold a password.
    secrets: Secrets,
}

impl std::fmt::Debug for RolloutJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolloutJournal")
            .field("path", &self.path)
            .finish()
    }
}

impl RolloutJournal {
    /// Opens `path` for appending (mode 0600), creating it and its directory.
    pub fn open(path: &Path, secrets: Secrets) -> io::Result<RolloutJournal> {
        Ok(RolloutJournal {
            path: path.to_path_buf(),
            file: Mutex::new(open_private(path)?),
            secrets,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line; device transitions are also fsynced before this returns.
    pub fn write(&self, record: &Record) -> io::Result<()> {
        let line = Line {
            ts: rfc3339(SystemTime::now()),
            record,
        };
        let mut text = (self.secrets.to_masked_json(&line))
            .map_err(io::Error::other)?
            .to_string();
        text.push('\n');
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        (&*file).write_all(text.as_bytes())?;
        if record.durable() {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// FNV-1a 64 of the plan text, as hex: a resume with a different plan is refused.
pub fn plan_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The first `max` bytes of `text`, cut on a character boundary.
pub fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// What a resumed rollout does with one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Not changed yet (never started, only pre-checked, or skipped): run it from the start.
    Fresh,
    /// Finished before the crash: never touched again (state and reason).
    Final(DeviceState, Option<String>),
    /// Its change may or may not have landed (caught mid-apply): post-checks only.
    Unknown,
    /// Applied completely, not verified yet: post-checks only.
    Applied,
}

/// A journal folded back for `--resume`.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub plan: String,
    pub plan_hash: String,
    pub waves: Vec<Vec<String>>,
    /// Devices the journal mentions beyond the header; absent ones are [`Resume::Fresh`].
    pub devices: HashMap<String, Resume>,
    /// Pre-check outputs by (device, check index), for `same_as_pre` and the report.
    pub pre_outputs: HashMap<(String, usize), String>,
}

impl Replay {
    pub fn resume(&self, device: &str) -> Resume {
        self.devices.get(device).cloned().unwrap_or(Resume::Fresh)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read journal {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("journal {path} line {line}: {message}")]
    Bad {
        path: String,
        line: usize,
        message: String,
    },
    #[error("journal {path} has no header line: is it a rollout journal?")]
    NoHeader { path: String },
    #[error(
        "journal {path} was written for plan `{journal_plan}` (hash {journal_hash}), not \
         `{plan}` (hash {hash}): resume with the plan it was started with"
    )]
    OtherPlan {
        path: String,
        journal_plan: String,
        journal_hash: String,
        plan: String,
        hash: String,
    },
}

/// Per-device facts gathered while reading.
#[derive(Default)]
struct Seen {
    state: Option<DeviceState>,
    reason: Option<String>,
    apply_open: bool,
    applied: bool,
    rollback_open: bool,
}

/// Reads `path` and checks it belongs to `plan` with `hash`.
pub fn replay(path: &Path, plan: &str, hash: &str) -> Result<Replay, ReplayError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| ReplayError::Read {
        path: name.clone(),
        source,
    })?;
    let mut lines = Vec::new();
    for (i, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| ReplayError::Read {
            path: name.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ReadLine>(&line) {
            Ok(l) => lines.push(l.record),
            // A crash can cut the last line short; anything earlier is corruption.
            Err(_) if is_last_line(path, i) => break,
            Err(e) => {
                return Err(ReplayError::Bad {
                    path: name,
                    line: i + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    let replay = fold(&lines).ok_or(ReplayError::NoHeader { path: name.clone() })?;
    if replay.plan_hash != hash || replay.plan != plan {
        return Err(ReplayError::OtherPlan {
            path: name,
            journal_plan: replay.plan,
            journal_hash: replay.plan_hash,
            plan: plan.to_string(),
            hash: hash.to_string(),
        });
    }
    Ok(replay)
}

fn is_last_line(path: &Path, index: usize) -> bool {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count() == index + 1)
        .unwrap_or(false)
}

/// Folds records into a [`Replay`]; `None` without a header.
pub fn fold(records: &[Record]) -> Option<Replay> {
    let mut replay: Option<Replay> = None;
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for record in records {
        match record {
            // A resumed run writes the header again; the first one defines the waves.
            Record::Header {
                plan,
                plan_hash,
                waves,
                ..
            } if replay.is_none() => {
                replay = Some(Replay {
                    plan: plan.clone(),
                    plan_hash: plan_hash.clone(),
                    waves: waves.clone(),
                    devices: HashMap::new(),
                    pre_outputs: HashMap::new(),
                });
            }
            Record::Device {
                device,
                state,
                reason,
            } => {
                let s = seen.entry(device.clone()).or_default();
                // A later run settled what an open stage left uncertain.
                if state.is_final() {
                    s.apply_open = false;
                    s.rollback_open = false;
                }
                s.state = Some(*state);
                s.reason = reason.clone();
            }
            Record::Stage {
                device,
                stage,
                edge,
                ok,
            } => {
                let s = seen.entry(device.clone()).or_default();
                match (stage, edge) {
                    (Stage::Apply, Edge::Begin) => s.apply_open = true,
                    (Stage::Apply, Edge::End) => {
                        s.apply_open = false;
                        s.applied = ok == &Some(true);
                    }
                    (Stage::Rollback, Edge::Begin) => s.rollback_open = true,
                    (Stage::Rollback, Edge::End) => s.rollback_open = false,
                    _ => {}
                }
            }
            Record::Step {
                device,
                stage: Stage::Pre,
                index,
                edge: Edge::End,
                output: Some(output),
                ..
            } => {
                if let Some(r) = replay.as_mut() {
                    r.pre_outputs
                        .insert((device.clone(), *index), output.clone());
                }
            }
            _ => {}
        }
    }
    let mut replay = replay?;
    for (device, s) in seen {
        let resume = if s.rollback_open {
            interrupted_rollback()
        } else if s.apply_open {
            Resume::Unknown
        } else {
            match s.state {
                None | Some(DeviceState::Pending | DeviceState::PreChecking) => Resume::Fresh,
                Some(DeviceState::Skipped) => Resume::Fresh,
                Some(DeviceState::Applying | DeviceState::Verifying | DeviceState::Unknown)
                    if s.applied =>
                {
                    Resume::Applied
                }
                // Entered applying but the apply stage never began: nothing was sent.
                Some(DeviceState::Applying) => Resume::Fresh,
                Some(DeviceState::Verifying | DeviceState::Unknown) => Resume::Unknown,
                Some(state) => Resume::Final(state, s.reason),
            }
        };
        replay.devices.insert(device, resume);
    }
    Some(replay)
}

/// Rollback steps are never repeated blindly either.
fn interrupted_rollback() -> Resume {
    Resume::Final(
        DeviceState::Failed,
        Some("interrupted during rollback: check it by hand".into()),
    )
}

#[cfg(test)]
mod tests;
