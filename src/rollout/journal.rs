//! The rollout journal: one JSON object per line, written through (one `write` per line on
//! an unbuffered append-mode file) and `fsync`ed at every device transition, so a crash or
//! `kill -9` leaves a record of exactly what may have reached each device. One process at a
//! time works on it (a lock beside it, `writer`); every line carries the running hash of
//! the lines before it (`chain`), so an edited, inserted or forged line is refused, and
//! every line is checked against the header's devices and waves.
//!
//! Line kinds (`"kind"`): `header` (plan name and hash, the waves by device name), `device`
//! (a device entered a state), `stage` (`begin` before a stage — pre, apply, post, rollback —
//! runs and `end` after it), `step` (`begin`/`end` around every command, with its output),
//! `wave` and `overall` (phase changes). [`replay`] folds a journal back into what `--resume`
//! needs: which devices are finished, which were caught mid-apply (→ `unknown`, only
//! verified), and the pre-check outputs that `same_as_pre` post-checks compare against.

mod chain;
mod writer;

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use chain::{MAX_LINE, Tail};
pub use writer::{OpenError, RolloutJournal, dropped_path};

use super::report::{DeviceState, RunState};
use crate::base::files::{self, FileKind, ReadError};
use crate::base::sanitize::Removed;

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
        /// What the sanitizer took out of the output (escape sequences, controls), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        removed: Option<Removed>,
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

/// FNV-1a 64 of the plan text, as hex: a resume with a different plan is refused.
pub fn plan_hash(text: &str) -> String {
    format!("{:016x}", crate::base::fnv::fnv1a(text.as_bytes()))
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
    /// Where the valid lines end (bytes) and the running hash there: a resumed run cuts
    /// what follows and chains on from there.
    pub end: u64,
    pub last_hash: String,
    /// What followed the last valid line (a torn line, or foreign lines the user agreed
    /// to drop).
    pub tail: Tail,
}

impl Replay {
    pub fn resume(&self, device: &str) -> Resume {
        self.devices.get(device).cloned().unwrap_or(Resume::Fresh)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read journal {path}: {source}")]
    Read { path: String, source: ReadError },
    #[error(
        "journal {path} line {line}: {why}. The journal was changed after fleetdash wrote \
         it and cannot be trusted: refusing to resume from it"
    )]
    Broken {
        path: String,
        line: usize,
        why: String,
    },
    #[error(
        "journal {path} line {line}: {why}. It and what follows ({lines} line(s)) are not \
         lines fleetdash wrote: added by hand or by another program?"
    )]
    Garbage {
        path: String,
        line: usize,
        lines: usize,
        why: String,
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

/// Reads `path` and checks it belongs to `plan` with `hash`. A torn last line is
/// ignored; foreign lines after the last valid one are an error ([`ReplayError::Garbage`]).
pub fn replay(path: &Path, plan: &str, hash: &str) -> Result<Replay, ReplayError> {
    read_replay(path, plan, hash, false)
}

/// [`replay`], up to the last valid line also when foreign lines follow it
/// (`drop_garbage`).
fn read_replay(
    path: &Path,
    plan: &str,
    hash: &str,
    drop_garbage: bool,
) -> Result<Replay, ReplayError> {
    let name = path.display().to_string();
    let read_error = |source| ReplayError::Read {
        path: name.clone(),
        source,
    };
    // Only a regular file, and never more of it than the limit: `--resume /dev/zero` or a
    // FIFO must not hang or fill memory.
    let (file, _) = files::open_regular(path, FileKind::Journal).map_err(read_error)?;
    let limited = file.take(FileKind::Journal.limit());
    let chain = chain::read(io::BufReader::new(limited))
        .map_err(|e| read_error(ReadError::Io(e)))?
        .map_err(|b| ReplayError::Broken {
            path: name.clone(),
            line: b.line,
            why: b.why,
        })?;
    if let Tail::Garbage { line, lines, why } = &chain.tail
        && !drop_garbage
    {
        return Err(ReplayError::Garbage {
            path: name,
            line: *line,
            lines: *lines,
            why: why.clone(),
        });
    }
    let mut replay = fold(&chain.records).ok_or(ReplayError::NoHeader { path: name.clone() })?;
    if replay.plan_hash != hash || replay.plan != plan {
        return Err(ReplayError::OtherPlan {
            path: name,
            journal_plan: replay.plan,
            journal_hash: replay.plan_hash,
            plan: plan.to_string(),
            hash: hash.to_string(),
        });
    }
    replay.end = chain.end;
    replay.last_hash = chain.last_hash;
    replay.tail = chain.tail;
    Ok(replay)
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
                    end: 0,
                    last_hash: chain::GENESIS.to_string(),
                    tail: Tail::Clean,
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
