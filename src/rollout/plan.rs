//! The rollout plan: what to change (`steps`), where (`target`), in which waves
//! (`strategy`), how to tell it worked (`pre_checks`, `post_checks`, `snapshot`), and when
//! to stop (`max_fail`, `pause`). Loaded from YAML by [`Plan::load`] / [`Plan::from_yaml`];
//! the YAML format is documented in the README (Rollouts).

mod check;
mod error;
mod items;
mod load;
mod read;
mod shape;
mod values;

use std::time::Duration;

pub use check::{Pattern, Verdict};
pub use error::{PlanError, PlanProblem, PlanProblemKind};

/// A validated rollout plan. Built by [`Plan::from_yaml`]; every field is already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Shown in the UI, the journal and the report.
    pub name: String,
    /// Host pattern (see `inventory::pattern`) selecting the devices to change.
    pub target: String,
    pub strategy: Strategy,
    /// Run on every device before it is changed; a device failing one is not changed.
    pub pre_checks: Vec<Check>,
    /// Run on every device after its steps; a failing one fails the device.
    pub post_checks: Vec<Check>,
    /// A command whose output is captured before and after the change and diffed in the report.
    pub snapshot: Option<String>,
    /// What changes the device, in order. Never empty.
    pub steps: Vec<Step>,
    /// Undo steps, run on failed devices when `max_fail.action` is `rollback`.
    pub rollback: Vec<Step>,
    pub max_fail: MaxFail,
    /// What happens between waves.
    pub pause: Pause,
    /// Whether a device that stops answering probes after its change counts as failed.
    pub unreachable_is_failure: bool,
    /// Where the plan came from (a path, or what the caller named it) and where its
    /// inventory-dependent settings sit in the file, so wave errors can point at them.
    pub source: PlanSource,
}

/// Positions (1-based line, column) of the settings that can only be checked against an
/// inventory. `None` for plans built in code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSource {
    pub origin: String,
    pub target: Option<(usize, usize)>,
    pub canary: Option<(usize, usize)>,
    pub group_by: Option<(usize, usize)>,
    /// One per `never_together` entry, in order.
    pub never_together: Vec<(usize, usize)>,
}

/// How the target is cut into waves. The default: no canary, everything in one wave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Strategy {
    /// Devices in the first wave, alone (0: no canary wave).
    pub canary: usize,
    /// Sizes of the following waves; the last one repeats until every device is placed
    /// (as Ansible's `serial`). Empty: everything after the canary in one wave.
    pub batches: Vec<Batch>,
    /// Spread each wave across the values of a group or tag (e.g. one device per site).
    pub group_by: Option<GroupBy>,
    /// Sets of devices (by name) that must never be changed in the same wave.
    pub never_together: Vec<Vec<String>>,
}

/// One wave size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Batch {
    Count(usize),
    /// Percent of the whole target (0 < p ≤ 100), rounded up, at least one device.
    Percent(f64),
}

impl Batch {
    /// The number of devices this batch takes from a target of `total` devices (≥ 1).
    pub fn size(self, total: usize) -> usize {
        match self {
            Batch::Count(n) => n.max(1),
            Batch::Percent(p) => ((total as f64 * p / 100.0).ceil() as usize).max(1),
        }
    }
}

/// What a wave is spread across.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// The device's first group (in resolution order, `all_groups`) whose name starts with
    /// the prefix; with no prefix, its first listed group.
    Group(Option<String>),
    /// The value of this tag.
    Tag(String),
}

/// A command run on each device, and what its output must show.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Label for the UI and report; defaults to the command.
    pub name: String,
    pub command: String,
    pub expect: Expect,
}

/// What a check's output must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Contains(String),
    NotContains(String),
    /// Matches somewhere in the output (multi-line mode: `^`/`$` match at line ends).
    Regex(Pattern),
    /// Equal to the output of the pre-check with the same command (post-checks only).
    SameAsPre,
}

/// One change step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A command run as is (exec mode).
    Command(String),
    /// Lines applied in the platform's configuration mode, then saved when `save`.
    Config { lines: Vec<String>, save: bool },
}

/// When a rollout stops because too many devices failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxFail {
    /// Failures allowed within one wave (of that wave's devices); `None`: no wave limit.
    pub per_wave: Option<Threshold>,
    /// Failures allowed across the whole rollout (of all target devices); `None`: no limit.
    pub overall: Option<Threshold>,
    pub action: OnFail,
}

impl Default for MaxFail {
    /// Any failure stops the rollout: the safe choice when a plan says nothing.
    fn default() -> Self {
        MaxFail {
            per_wave: None,
            overall: Some(Threshold::Count(0)),
            action: OnFail::Halt,
        }
    }
}

/// How many failures are tolerated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// At most this many failed devices.
    Count(usize),
    /// At most this percent (0 ≤ p ≤ 100) of the devices failed.
    Percent(f64),
}

impl Threshold {
    /// Whether `failed` devices out of `total` go beyond this threshold.
    pub fn exceeded(self, failed: usize, total: usize) -> bool {
        match self {
            Threshold::Count(n) => failed > n,
            Threshold::Percent(p) => total > 0 && failed as f64 * 100.0 > p * total as f64,
        }
    }

    /// The most failed devices out of `total` that stay within this threshold.
    pub fn allowed(self, total: usize) -> usize {
        match self {
            Threshold::Count(n) => n,
            Threshold::Percent(p) => (p * total as f64 / 100.0).floor() as usize,
        }
    }
}

/// What to do when a threshold is exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFail {
    /// Stop starting devices; in-flight steps finish; the rest are skipped.
    #[default]
    Halt,
    /// Halt, then run the `rollback` steps on the devices that failed.
    Rollback,
    /// Note it and carry on.
    Continue,
}

/// What happens between waves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pause {
    /// The next wave starts as soon as the previous one is done.
    #[default]
    None,
    /// Wait this long before the next wave.
    Duration(Duration),
    /// Wait for the operator to approve each next wave.
    Manual,
}
