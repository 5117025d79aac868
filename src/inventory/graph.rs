//! Checks across nodes: unique device names, groups that exist, parent chains without cycles.
//! Also the depth-first ancestor walk that resolution uses.

use crate::base::text::Untrusted;
use std::collections::{HashMap, HashSet};

use super::error::ProblemKind as K;
use super::raw::{NameRef, RawInventory};
use super::report::Report;
use super::suggest::closest;

/// Runs every cross-node check, reporting to `report`.
pub(crate) fn check(inv: &RawInventory, report: &mut Report<'_>) {
    duplicate_devices(inv, report);
    unknown_groups(inv, report);
    cycles(inv, report);
}

fn duplicate_devices(inv: &RawInventory, report: &mut Report<'_>) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, device) in inv.devices.iter().enumerate() {
        if let Some(&earlier) = first.get(device.name.as_str()) {
            let line = report.line_of(&inv.devices[earlier].name_at);
            report.add(
                K::DuplicateDevice,
                device.name_at.clone(),
                format!("duplicate device name `{}`", device.name),
                Some(format!(
                    "`{}` is already defined at line {line}; device names must be unique",
                    device.name
                )),
            );
        } else {
            first.insert(&device.name, i);
        }
    }
}

fn unknown_groups(inv: &RawInventory, report: &mut Report<'_>) {
    let known: Vec<&str> = inv.groups.iter().map(|g| g.name.as_str()).collect();
    let index: HashSet<&str> = known.iter().copied().collect();
    // The owner is named only in a message: most lists have nothing to report.
    let lists = inv
        .devices
        .iter()
        .map(|d| ("device", &d.name, &d.groups))
        .chain(
            inv.groups
                .iter()
                .map(|g| ("the parents of group", &g.name, &g.parents)),
        );
    for (owner, name, refs) in lists {
        for r in refs.iter().filter(|r| !index.contains(r.name.as_str())) {
            let help = match closest(&r.name, known.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("define it under `groups:` (`{}: {{}}`)", Untrusted(&r.name)),
            };
            report.add(
                K::UnknownGroup,
                r.at.clone(),
                format!("unknown group `{}` in {owner} `{name}`", Untrusted(&r.name)),
                Some(help),
            );
        }
    }
}

/// Reports each cycle once, at the `parents` entry that closes it.
fn cycles(inv: &RawInventory, report: &mut Report<'_>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let index: HashMap<&str, usize> = inv
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect();
    let mut mark = vec![Mark::New; inv.groups.len()];
    for start in 0..inv.groups.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (group, next parent to look at); `path` mirrors the stack.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnPath;
        while let Some(&mut (g, ref mut next)) = stack.last_mut() {
            let parents: &[NameRef] = &inv.groups[g].parents;
            let Some(parent) = parents.get(*next) else {
                mark[g] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let Some(&p) = index.get(parent.name.as_str()) else {
                continue; // unknown group: reported elsewhere
            };
            match mark[p] {
                Mark::New => {
                    mark[p] = Mark::OnPath;
                    stack.push((p, 0));
                }
                Mark::OnPath => {
                    let from = stack.iter().position(|&(s, _)| s == p).unwrap_or(0);
                    let mut names: Vec<&str> = stack[from..]
                        .iter()
                        .map(|&(s, _)| inv.groups[s].name.as_str())
                        .collect();
                    names.push(&inv.groups[p].name);
                    report.add(
                        K::GroupCycle,
                        parent.at.clone(),
                        format!("group cycle: {}", names.join(" → ")),
                        Some(format!(
                            "a group cannot be its own ancestor: remove `{}` from the parents of `{}`",
                            parent.name, inv.groups[g].name
                        )),
                    );
                }
                Mark::Done => {}
            }
        }
    }
}

/// `groups` and all their ancestors, depth-first in listed order (a group before its
/// parents), without repeats. Unknown names are skipped; a name already seen is not walked
/// again, so this ends even on a cyclic graph.
pub(crate) fn ancestors<'a>(
    groups: &'a [NameRef],
    parents_of: &HashMap<&'a str, &'a [NameRef]>,
) -> Vec<String> {
    ancestors_of(groups.iter().map(|g| g.name.as_str()), parents_of)
}

/// [`ancestors`] of groups given by name.
pub(crate) fn ancestors_of<'a>(
    groups: impl DoubleEndedIterator<Item = &'a str>,
    parents_of: &HashMap<&'a str, &'a [NameRef]>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Pushed in reverse so that the first listed group is popped (visited) first: the same
    // order as a recursive pre-order walk.
    let mut stack: Vec<&'a str> = groups.rev().collect();
    while let Some(name) = stack.pop() {
        if out.iter().any(|seen| seen == name) {
            continue;
        }
        out.push(name.to_owned());
        if let Some(parents) = parents_of.get(name) {
            stack.extend(parents.iter().rev().map(|p| p.name.as_str()));
        }
    }
    out
}
