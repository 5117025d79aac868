//! The rollout report: final per-wave and per-device results, filled by the executor and
//! written as Markdown (for people) and JSON (for tools) at the end, or on halt/abort.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::plan::Plan;
use super::waves::WaveKind;
use crate::base::private_file;
use crate::base::secrets::Secrets;
use crate::base::time::rfc3339;
use crate::exec::fold::{diff_lines, render_diff};
use crate::inventory::DeviceId;

mod markdown;

/// Where a device is in its rollout. The first four are in flight; the rest are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Pending,
    PreChecking,
    Applying,
    Verifying,
    Done,
    Failed,
    /// Not changed: the rollout halted or was aborted first.
    Skipped,
    /// Failed, then the plan's `rollback` steps ran.
    RolledBack,
    /// Caught mid-apply by a crash: only verified after `--resume`, never re-applied.
    Unknown,
}

impl DeviceState {
    /// Whether the device will not move again in this rollout.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            DeviceState::Pending
                | DeviceState::PreChecking
                | DeviceState::Applying
                | DeviceState::Verifying
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::PreChecking => "pre-checking",
            DeviceState::Applying => "applying",
            DeviceState::Verifying => "verifying",
            DeviceState::Done => "done",
            DeviceState::Failed => "failed",
            DeviceState::Skipped => "skipped",
            DeviceState::RolledBack => "rolled back",
            DeviceState::Unknown => "unknown",
        }
    }
}

/// State of a wave, or of the whole rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Pending,
    Running,
    Paused,
    WaitingApproval,
    /// Stopped because a `max_fail` threshold was exceeded.
    Halted,
    /// Stopped by the operator.
    Aborted,
    Completed,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::WaitingApproval => "waiting for approval",
            RunState::Halted => "halted by threshold",
            RunState::Aborted => "aborted",
            RunState::Completed => "completed",
        }
    }
}

/// One check run on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub name: String,
    pub command: String,
    pub output: String,
    pub passed: bool,
    /// Why it failed (or an SSH error), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One change (or rollback) step run on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// The command, or the config lines joined by `; `.
    pub step: String,
    pub output: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Time spent in each phase on one device (zero when the phase did not run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durations {
    #[serde(with = "millis")]
    pub pre_check: Duration,
    #[serde(with = "millis")]
    pub apply: Duration,
    #[serde(with = "millis")]
    pub verify: Duration,
    #[serde(with = "millis")]
    pub rollback: Duration,
}

impl Durations {
    pub fn total(&self) -> Duration {
        self.pre_check + self.apply + self.verify + self.rollback
    }
}

/// The final result for one device, as the executor fills it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOutcome {
    pub device: DeviceId,
    pub name: String,
    /// Index of its wave.
    pub wave: usize,
    pub state: DeviceState,
    /// Why it failed, was skipped or is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub durations: Durations,
    pub pre_checks: Vec<CheckOutcome>,
    pub steps: Vec<StepOutcome>,
    pub post_checks: Vec<CheckOutcome>,
    #[serde(default)]
    pub rollback: Vec<StepOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_pre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_post: Option<String>,
}

impl DeviceOutcome {
    /// A device that has not started (all lists empty).
    pub fn pending(device: DeviceId, name: impl Into<String>, wave: usize) -> DeviceOutcome {
        DeviceOutcome {
            device,
            name: name.into(),
            wave,
            state: DeviceState::Pending,
            reason: None,
            durations: Durations::default(),
            pre_checks: Vec::new(),
            steps: Vec::new(),
            post_checks: Vec::new(),
            rollback: Vec::new(),
            snapshot_pre: None,
            snapshot_post: None,
        }
    }
}

/// The final result for one wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveOutcome {
    pub index: usize,
    pub kind: WaveKind,
    pub state: RunState,
    pub devices: Vec<DeviceId>,
    #[serde(with = "millis")]
    pub duration: Duration,
}

/// Devices per final state, for the headline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub rolled_back: usize,
    pub unknown: usize,
    /// Still pending or in flight (a report written on abort or halt mid-wave).
    pub unfinished: usize,
}

impl Summary {
    fn of(devices: &[DeviceOutcome]) -> Summary {
        let mut s = Summary {
            total: devices.len(),
            ..Summary::default()
        };
        for d in devices {
            match d.state {
                DeviceState::Done => s.done += 1,
                DeviceState::Failed => s.failed += 1,
                DeviceState::Skipped => s.skipped += 1,
                DeviceState::RolledBack => s.rolled_back += 1,
                DeviceState::Unknown => s.unknown += 1,
                _ => s.unfinished += 1,
            }
        }
        s
    }
}

/// One device in the report: its outcome plus the snapshot diff, when both snapshots exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    #[serde(flatten)]
    pub outcome: DeviceOutcome,
    /// `-` before only, `+` after only, with 3 lines of context; `None` without both
    /// snapshots, empty when they are identical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_diff: Option<String>,
}

/// The whole rollout, as written at the end (or on halt/abort).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub plan: String,
    /// The plan file.
    pub origin: String,
    pub target: String,
    pub state: RunState,
    /// Why it stopped, when it did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    #[serde(with = "millis")]
    pub duration: Duration,
    pub summary: Summary,
    pub waves: Vec<WaveOutcome>,
    /// In wave order, then in the order each wave started them.
    pub devices: Vec<DeviceReport>,
}

/// Lines of unchanged context around each change in snapshot diffs.
const DIFF_CONTEXT: usize = 3;

impl Report {
    /// Builds the report from the executor's final results; computes the summary and the
    /// snapshot diffs.
    pub fn new(
        plan: &Plan,
        state: RunState,
        reason: Option<String>,
        started: SystemTime,
        finished: SystemTime,
        waves: Vec<WaveOutcome>,
        mut devices: Vec<DeviceOutcome>,
    ) -> Report {
        // Wave order, then the wave's own order (devices not in a listed wave go last).
        let position = |d: &DeviceOutcome| {
            waves
                .iter()
                .find(|w| w.index == d.wave)
                .and_then(|w| w.devices.iter().position(|&id| id == d.device))
                .unwrap_or(usize::MAX)
        };
        devices.sort_by_cached_key(|d| (d.wave, position(d)));
        let summary = Summary::of(&devices);
        let devices = devices
            .into_iter()
            .map(|outcome| {
                let snapshot_diff = match (&outcome.snapshot_pre, &outcome.snapshot_post) {
                    (Some(pre), Some(post)) => {
                        let lines = diff_lines(pre, post);
                        let changed = lines
                            .iter()
                            .any(|l| !matches!(l, crate::exec::fold::DiffLine::Same(_)));
                        Some(match changed {
                            true => render_diff(&lines, DIFF_CONTEXT),
                            false => String::new(),
                        })
                    }
                    _ => None,
                };
                DeviceReport {
                    outcome,
                    snapshot_diff,
                }
            })
            .collect();
        Report {
            plan: plan.name.clone(),
            origin: plan.source.origin.clone(),
            target: plan.target.clone(),
            state,
            reason,
            started_at: rfc3339(started),
            finished_at: rfc3339(finished),
            duration: finished.duration_since(started).unwrap_or_default(),
            summary,
            waves,
            devices,
        }
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Markdown for people: headline, waves table, devices table, then details (checks,
    /// step outputs, snapshot diffs) for every device that ran something.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// The report with every string masked: outputs and snapshots can hold a password.
    pub fn masked(&self, secrets: &Secrets) -> serde_json::Result<Report> {
        if secrets.is_empty() {
            return Ok(self.clone());
        }
        secrets
            .to_masked_json(self)
            .and_then(serde_json::from_value)
    }

    /// Writes `<stem>.md` and `<stem>.json` into `dir` (created if needed, both mode
    /// 0600), every secret masked; returns both paths.
    pub fn write(
        &self,
        dir: &Path,
        stem: &str,
        secrets: &Secrets,
    ) -> std::io::Result<(PathBuf, PathBuf)> {
        // Nothing is written unmasked, not even when masking fails.
        let report = self.masked(secrets).map_err(std::io::Error::other)?;
        let md = dir.join(format!("{stem}.md"));
        let json = dir.join(format!("{stem}.json"));
        // The Markdown is masked again: its escaping must not bring a secret back.
        let markdown = secrets.mask(&report.to_markdown());
        private_file::write(&md, markdown.as_bytes())?;
        private_file::write(&json, (report.to_json() + "\n").as_bytes())?;
        Ok((md, json))
    }
}

/// Number of lines that differ between two texts (added + removed).
pub(crate) fn changed_lines(before: &str, after: &str) -> usize {
    crate::exec::fold::diff_lines(before, after)
        .iter()
        .filter(|l| !matches!(l, crate::exec::fold::DiffLine::Same(_)))
        .count()
}

/// `Duration` as whole milliseconds in JSON.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
