//! Cutting a plan's target into waves: the canary first, then batches (the last size
//! repeats), each wave spread round-robin across the `group_by` values, and `never_together`
//! sets split across waves.

use serde::{Deserialize, Serialize};

use crate::inventory::DeviceId;

/// What a wave is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveKind {
    Canary,
    Batch,
}

/// One wave: devices changed together, before the next wave starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    /// 0-based position; the canary, when there is one, is wave 0.
    pub index: usize,
    pub kind: WaveKind,
    /// In the order they are started.
    pub devices: Vec<DeviceId>,
    /// Why the wave differs from its nominal shape (e.g. a device pushed to the next wave
    /// because of `never_together`), for the dry run and the UI.
    pub notes: Vec<String>,
}

use std::collections::{BTreeMap, VecDeque};

use super::plan::{GroupBy, Plan, PlanError, PlanProblem, PlanProblemKind as K};
use crate::inventory::{Device, HostPattern, Inventory, natural_cmp};

/// The waves of `plan` over `inv`. Every target device is in exactly one wave. Errors (a bad
/// or empty target, a canary bigger than the target, a `group_by` no device has, a
/// `never_together` name outside the target) point at the plan's file and line.
pub fn waves(plan: &Plan, inv: &Inventory) -> Result<Vec<Wave>, PlanError> {
    let mut problems = Vec::new();
    let src = &plan.source;
    let targets = match HostPattern::parse(&plan.target) {
        Ok(pattern) => target_devices(inv, &pattern),
        Err(e) => {
            problem(
                &mut problems,
                K::BadTarget,
                src.target,
                format!("bad target `{}`: {e}", plan.target),
                "see Host patterns in the README",
            );
            Vec::new()
        }
    };
    if targets.is_empty() && problems.is_empty() {
        problem(
            &mut problems,
            K::BadTarget,
            src.target,
            format!(
                "target `{}` selects no device of {}",
                plan.target, inv.source
            ),
            "name groups, devices or tags of this inventory (`fleetdash --list` shows them)",
        );
    }
    if !targets.is_empty() && plan.strategy.canary > targets.len() {
        problem(
            &mut problems,
            K::CanaryTooLarge,
            src.canary,
            format!(
                "canary of {} device(s), but the target has only {}",
                plan.strategy.canary,
                targets.len()
            ),
            "lower `canary` (1 is usual)",
        );
    }
    let keys: Vec<Option<String>> = match &plan.strategy.group_by {
        Some(by) => targets
            .iter()
            .map(|&id| group_key(by, &inv.devices[id]))
            .collect(),
        None => Vec::new(),
    };
    if let Some(by) = &plan.strategy.group_by
        && !targets.is_empty()
        && keys.iter().all(Option::is_none)
    {
        let (what, help) = match by {
            GroupBy::Tag(key) => (
                format!("no target device has the tag `{key}`"),
                "use a tag the target's devices carry (`tags:` in the inventory)",
            ),
            GroupBy::Group(Some(prefix)) => (
                format!("no target device is in a group starting with `{prefix}`"),
                "use a prefix of the target's group names, e.g. `group:site-`",
            ),
            GroupBy::Group(None) => (
                "no target device is in any group".to_owned(),
                "put the devices in groups, or group by a tag instead",
            ),
        };
        problem(
            &mut problems,
            K::UnknownGroupBy,
            src.group_by,
            format!("group_by: {what}"),
            help,
        );
    }
    let mut sets: Vec<Vec<DeviceId>> = Vec::new();
    for (i, set) in plan.strategy.never_together.iter().enumerate() {
        let mut ids = Vec::new();
        for name in set {
            match targets.iter().find(|&&id| inv.devices[id].name == *name) {
                Some(&id) => ids.push(id),
                None => problem(
                    &mut problems,
                    K::UnknownDevice,
                    src.never_together.get(i).copied(),
                    format!("never_together names `{name}`, which is not in the target"),
                    "name devices the target selects (check the spelling)",
                ),
            }
        }
        sets.push(ids);
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.line, p.column));
        return Err(PlanError::Invalid {
            origin: src.origin.clone(),
            problems,
        });
    }
    let order = match plan.strategy.group_by {
        Some(_) => round_robin(&targets, &keys),
        None => targets.clone(),
    };
    Ok(cut(plan, inv, order, &sets))
}

fn problem(
    list: &mut Vec<PlanProblem>,
    kind: K,
    at: Option<(usize, usize)>,
    message: String,
    help: &str,
) {
    let (line, column) = at.unwrap_or((1, 1));
    list.push(PlanProblem {
        kind,
        line,
        column,
        message,
        help: Some(help.to_owned()),
    });
}

/// Selected devices in natural name order.
fn target_devices(inv: &Inventory, pattern: &HostPattern) -> Vec<DeviceId> {
    let mut ids = inv.select(pattern);
    ids.sort_by(|&a, &b| natural_cmp(&inv.devices[a].name, &inv.devices[b].name));
    ids
}

/// The value a device is spread by; `None` when it has none.
fn group_key(by: &GroupBy, device: &Device) -> Option<String> {
    match by {
        GroupBy::Tag(key) => device.tags.get(key).cloned(),
        GroupBy::Group(Some(prefix)) => device
            .all_groups
            .iter()
            .find(|g| g.starts_with(prefix.as_str()))
            .cloned(),
        GroupBy::Group(None) => device.groups.first().cloned(),
    }
}

/// Interleaves devices across their keys (keys in natural order, devices without a key as one
/// more bucket at the end), so any run of consecutive devices is spread evenly.
fn round_robin(targets: &[DeviceId], keys: &[Option<String>]) -> Vec<DeviceId> {
    let mut buckets: BTreeMap<(bool, SortKey), VecDeque<DeviceId>> = BTreeMap::new();
    for (&id, key) in targets.iter().zip(keys) {
        let sort = SortKey(key.clone().unwrap_or_default());
        buckets
            .entry((key.is_none(), sort))
            .or_default()
            .push_back(id);
    }
    let mut order = Vec::with_capacity(targets.len());
    while order.len() < targets.len() {
        for bucket in buckets.values_mut() {
            if let Some(id) = bucket.pop_front() {
                order.push(id);
            }
        }
    }
    order
}

/// A string ordered naturally (`site2` before `site10`).
#[derive(PartialEq, Eq)]
struct SortKey(String);

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        natural_cmp(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Fills waves in `order`: canary, then batch sizes (the last repeats). A device that shares
/// a `never_together` set with one already in the wave waits, in order, for the next wave.
fn cut(plan: &Plan, inv: &Inventory, order: Vec<DeviceId>, sets: &[Vec<DeviceId>]) -> Vec<Wave> {
    let total = order.len();
    let batches = &plan.strategy.batches;
    let size_of = |batch: usize| match batches.get(batch).or(batches.last()) {
        Some(b) => b.size(total),
        None => total,
    };
    let conflicts = |a: DeviceId, b: DeviceId| {
        sets.iter()
            .any(|s| s.contains(&a) && s.contains(&b) && a != b)
    };
    let mut queue: VecDeque<DeviceId> = order.into();
    let mut waves: Vec<Wave> = Vec::new();
    let mut batch = 0;
    while !queue.is_empty() {
        let (kind, size) = match (waves.is_empty(), plan.strategy.canary) {
            (true, n) if n > 0 => (WaveKind::Canary, n),
            _ => {
                batch += 1;
                (WaveKind::Batch, size_of(batch - 1))
            }
        };
        let mut wave = Wave {
            index: waves.len(),
            kind,
            devices: Vec::with_capacity(size),
            notes: Vec::new(),
        };
        let mut deferred = Vec::new();
        while wave.devices.len() < size {
            let Some(id) = queue.pop_front() else { break };
            match wave.devices.iter().find(|&&other| conflicts(id, other)) {
                Some(&other) => {
                    wave.notes.push(format!(
                        "{} moved to a later wave: never together with {}",
                        inv.devices[id].name, inv.devices[other].name
                    ));
                    deferred.push(id);
                }
                None => wave.devices.push(id),
            }
        }
        // Deferred devices go first in the next wave, in their original order.
        for id in deferred.into_iter().rev() {
            queue.push_front(id);
        }
        waves.push(wave);
    }
    waves
}
