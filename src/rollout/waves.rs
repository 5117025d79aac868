//! Cutting a plan's target into waves: the canary first, then batches (the last size
//! repeats), each wave spread round-robin across the `group_by` values, and `never_together`
//! sets split across waves.

use crate::base::text::Untrusted;
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
                format!("bad target `{}`: {e}", Untrusted(&plan.target)),
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
                Untrusted(&plan.target),
                Untrusted(&inv.source)
            ),
            &format!(
                "name groups, devices or tags of this inventory (`fleetdash check {}` lists them)",
                Untrusted(&inv.source)
            ),
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
                format!("no target device has the tag `{}`", Untrusted(key)),
                "use a tag the target's devices carry (`tags:` in the inventory)",
            ),
            GroupBy::Group(Some(prefix)) => (
                format!(
                    "no target device is in a group starting with `{}`",
                    Untrusted(prefix)
                ),
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
                    format!(
                        "never_together names `{}`, which is not in the target",
                        Untrusted(name)
                    ),
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write;

    use super::*;
    use crate::rollout::plan::{Batch, MaxFail, Pause, PlanSource, Step, Strategy};

    /// `n` devices `dev1..devN` in `sites` blocks of consecutive names (so name order is not
    /// already spread), in groups `site-…` under `all-lab`; listed in reverse so natural
    /// ordering is exercised.
    fn inventory(n: usize, sites: usize) -> Inventory {
        let mut yaml = String::from("groups:\n  all-lab: {}\n");
        for s in 0..sites {
            let _ = writeln!(
                yaml,
                "  site-s{s}: {{parents: [all-lab], tags: {{site: s{s}}}}}"
            );
        }
        yaml.push_str("devices:\n");
        for i in (1..=n).rev() {
            let _ = writeln!(
                yaml,
                "  - {{name: dev{i}, host: 127.30.0.{i}, groups: [site-s{}]}}",
                (i - 1) * sites / n
            );
        }
        Inventory::from_yaml(&yaml, "test").unwrap()
    }

    fn plan(strategy: Strategy) -> Plan {
        Plan {
            name: "t".into(),
            target: "all".into(),
            strategy,
            pre_checks: Vec::new(),
            post_checks: Vec::new(),
            snapshot: None,
            steps: vec![Step::Command("write memory".into())],
            rollback: Vec::new(),
            max_fail: MaxFail::default(),
            pause: Pause::None,
            unreachable_is_failure: false,
            source: PlanSource::default(),
        }
    }

    fn names(inv: &Inventory, waves: &[Wave]) -> Vec<Vec<String>> {
        waves
            .iter()
            .map(|w| {
                w.devices
                    .iter()
                    .map(|&id| inv.devices[id].name.clone())
                    .collect()
            })
            .collect()
    }

    /// The sizes the strategy asks for over `total` devices, before `never_together`.
    fn nominal(s: &Strategy, total: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut left = total;
        if s.canary > 0 {
            sizes.push(s.canary.min(left));
            left -= s.canary.min(left);
        }
        let mut i = 0;
        while left > 0 {
            let size = match s.batches.get(i).or(s.batches.last()) {
                Some(b) => b.size(total),
                None => total,
            };
            sizes.push(size.min(left));
            left -= size.min(left);
            i += 1;
        }
        sizes
    }

    /// A strategy over `n` devices in `sites` sites: canary, batches, grouping and
    /// never-together sets as a plan could hold them.
    fn arb_case() -> impl proptest::strategy::Strategy<Value = (usize, usize, Strategy)> {
        use proptest::prelude::{Just, prop_oneof};
        use proptest::strategy::Strategy as _;
        (1..=40usize, 1..=5usize).prop_flat_map(|(n, sites)| {
            let batch = prop_oneof![
                (1..=6usize).prop_map(Batch::Count),
                (5..65u32).prop_map(|p| Batch::Percent(f64::from(p))),
            ];
            let group_by = prop_oneof![
                Just(None),
                Just(Some(GroupBy::Tag("site".into()))),
                Just(Some(GroupBy::Group(Some("site-".into())))),
            ];
            // Sets of device numbers; a set of one keeps nothing apart, so it is dropped.
            let set = proptest::collection::vec(1..=n, 2..=3);
            let never_together = proptest::collection::vec(set, 0..=3).prop_map(|sets| {
                sets.into_iter()
                    .map(BTreeSet::from_iter)
                    .filter(|s| s.len() >= 2)
                    .map(|s| s.iter().map(|i| format!("dev{i}")).collect())
                    .collect()
            });
            (
                0..4usize,
                proptest::collection::vec(batch, 0..4),
                group_by,
                never_together,
            )
                .prop_map(move |(canary, batches, group_by, never_together)| {
                    let strategy = Strategy {
                        canary: canary.min(n),
                        batches,
                        group_by,
                        never_together,
                    };
                    (n, sites, strategy)
                })
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Every device exactly once, in waves of the sizes asked for, never-together sets
        /// apart; a failure shrinks to the smallest strategy that breaks it.
        #[test]
        fn random_strategies_keep_every_invariant((n, sites, strategy) in arb_case()) {
            let inv = inventory(n, sites);
            let p = plan(strategy.clone());
            let waves = waves(&p, &inv).unwrap_or_else(|e| panic!("{e}"));
            let ctx = format!("{strategy:?} over {n} devices, {sites} sites");

            // Every device exactly once.
            let mut seen: Vec<DeviceId> = waves.iter().flat_map(|w| w.devices.clone()).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "{ctx}");
            // Indices, kinds, no empty wave.
            for (i, w) in waves.iter().enumerate() {
                assert_eq!(w.index, i, "{ctx}");
                assert!(!w.devices.is_empty(), "{ctx}");
                let canary = i == 0 && strategy.canary > 0;
                assert_eq!(w.kind == WaveKind::Canary, canary, "{ctx}");
            }
            // No never-together set shares a wave.
            for w in &waves {
                let here: BTreeSet<&str> = w
                    .devices
                    .iter()
                    .map(|&id| inv.devices[id].name.as_str())
                    .collect();
                for set in &strategy.never_together {
                    let together = set.iter().filter(|d| here.contains(d.as_str())).count();
                    assert!(together <= 1, "{ctx}: {set:?} in wave {}", w.index);
                }
            }
            // Sizes as specified, unless a device had to wait for a later wave.
            let moved = waves.iter().any(|w| !w.notes.is_empty());
            if !moved {
                let sizes: Vec<usize> = waves.iter().map(|w| w.devices.len()).collect();
                assert_eq!(sizes, nominal(&strategy, n), "{ctx}");
            } else {
                let limit = nominal(&strategy, n).into_iter().max().unwrap_or(0);
                assert!(waves.iter().all(|w| w.devices.len() <= limit), "{ctx}");
            }
        }
    }

    #[test]
    fn group_by_spreads_every_wave_evenly() {
        // 4 sites × 6 devices: each wave's per-site counts differ by at most one, and a
        // canary of 4 takes one device per site.
        let inv = inventory(24, 4);
        for by in [
            GroupBy::Tag("site".into()),
            GroupBy::Group(Some("site-".into())),
        ] {
            let p = plan(Strategy {
                canary: 4,
                batches: vec![Batch::Count(3), Batch::Count(6)],
                group_by: Some(by.clone()),
                never_together: Vec::new(),
            });
            let waves = waves(&p, &inv).unwrap();
            for w in &waves {
                let mut per_site: BTreeMap<String, usize> = BTreeMap::new();
                for &id in &w.devices {
                    *per_site
                        .entry(group_key(&by, &inv.devices[id]).unwrap())
                        .or_default() += 1;
                }
                let counts: Vec<usize> = per_site.values().copied().collect();
                let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                assert!(
                    hi - lo <= 1 && per_site.len() == w.devices.len().min(4),
                    "{per_site:?}"
                );
            }
        }
    }

    #[test]
    fn natural_order_percent_rounding_and_the_last_size_repeating() {
        let inv = inventory(11, 1);
        let p = plan(Strategy {
            canary: 1,
            batches: vec![Batch::Count(2), Batch::Percent(25.0)],
            group_by: None,
            never_together: Vec::new(),
        });
        // 25% of 11 is 2.75: 3 devices.
        assert_eq!(
            names(&inv, &waves(&p, &inv).unwrap()),
            [
                vec!["dev1"],
                vec!["dev2", "dev3"],
                vec!["dev4", "dev5", "dev6"],
                vec!["dev7", "dev8", "dev9"],
                vec!["dev10", "dev11"],
            ]
        );
        // A tiny percentage still takes one device; no batches: the rest at once.
        assert_eq!(Batch::Percent(1.0).size(11), 1);
        let rest = plan(Strategy {
            canary: 2,
            ..Strategy::default()
        });
        let sizes: Vec<usize> = waves(&rest, &inv)
            .unwrap()
            .iter()
            .map(|w| w.devices.len())
            .collect();
        assert_eq!(sizes, [2, 9]);
    }

    #[test]
    fn never_together_pushes_the_second_device_and_says_so() {
        let inv = inventory(4, 1);
        let p = plan(Strategy {
            canary: 0,
            batches: vec![Batch::Count(2)],
            group_by: None,
            never_together: vec![vec!["dev1".into(), "dev2".into()]],
        });
        let waves = waves(&p, &inv).unwrap();
        assert_eq!(
            names(&inv, &waves),
            [vec!["dev1", "dev3"], vec!["dev2", "dev4"]]
        );
        assert_eq!(
            waves[0].notes,
            ["dev2 moved to a later wave: never together with dev1"]
        );
        assert!(waves[1].notes.is_empty());
    }

    #[test]
    fn inventory_dependent_errors_point_at_the_plan() {
        let inv = inventory(3, 1);
        let mut p = plan(Strategy {
            canary: 5,
            ..Strategy::default()
        });
        p.source = PlanSource {
            origin: "p.yaml".into(),
            canary: Some((4, 11)),
            ..PlanSource::default()
        };
        let err = waves(&p, &inv).unwrap_err();
        assert!(err.has(K::CanaryTooLarge));
        assert!(
            err.to_string()
                .starts_with("p.yaml:4:11: canary of 5 device(s)"),
            "{err}"
        );
        p.strategy.canary = 1;
        p.target = "nothing-*".into();
        assert!(waves(&p, &inv).unwrap_err().has(K::BadTarget));
    }
}
