//! Reading many answers at once (pure): devices with identical output folded together, like
//! `dshbak -c`; the majority answer; a line diff of an outlier against it; and device lists
//! written compactly (`rtr[1-3,7]`, as ClusterShell does).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag};

/// Devices that gave the same answer (`key`: the output, or an error reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded<K> {
    pub key: K,
    /// In the order they were given.
    pub devices: Vec<String>,
}

/// Groups `(device, key)` pairs by key: biggest group first, equal sizes in order of first
/// appearance.
pub fn fold<K: Eq + Hash + Clone>(items: impl IntoIterator<Item = (String, K)>) -> Vec<Folded<K>> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut groups: Vec<Folded<K>> = Vec::new();
    for (device, key) in items {
        match index.get(&key) {
            Some(&i) => groups[i].devices.push(device),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(Folded {
                    key,
                    devices: vec![device],
                });
            }
        }
    }
    // Stable: ties keep first-appearance order.
    groups.sort_by_key(|g| std::cmp::Reverse(g.devices.len()));
    groups
}

/// One line of a diff of an outlier against the majority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    /// In the majority only.
    Removed(String),
    /// In the outlier only.
    Added(String),
}

/// A diff that takes longer than this is finished coarsely (still correct, less minimal):
/// outputs of that size are not read line by line anyway.
const DIFF_TIME: Duration = Duration::from_millis(300);

/// A line diff (Myers, from `similar`) turning `majority` into `outlier`.
pub fn diff_lines(majority: &str, outlier: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = majority.lines().collect();
    let b: Vec<&str> = outlier.lines().collect();
    let deadline = Instant::now() + DIFF_TIME;
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline));
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        let same = || a[old.clone()].iter().map(|l| DiffLine::Same(l.to_string()));
        let removed = || {
            a[old.clone()]
                .iter()
                .map(|l| DiffLine::Removed(l.to_string()))
        };
        let added = || {
            b[new.clone()]
                .iter()
                .map(|l| DiffLine::Added(l.to_string()))
        };
        match tag {
            DiffTag::Equal => out.extend(same()),
            DiffTag::Delete => out.extend(removed()),
            DiffTag::Insert => out.extend(added()),
            DiffTag::Replace => {
                out.extend(removed());
                out.extend(added());
            }
        }
    }
    // Show removals before additions within a changed block, as unified diffs do.
    reorder_blocks(out)
}

fn reorder_blocks(lines: Vec<DiffLine>) -> Vec<DiffLine> {
    let mut out = Vec::with_capacity(lines.len());
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in lines {
        match line {
            DiffLine::Removed(_) => removed.push(line),
            DiffLine::Added(_) => added.push(line),
            DiffLine::Same(_) => {
                out.append(&mut removed);
                out.append(&mut added);
                out.push(line);
            }
        }
    }
    out.append(&mut removed);
    out.append(&mut added);
    out
}

/// Unified-like text: `-` majority only, `+` outlier only, ` ` both. Runs of unchanged lines
/// longer than `2 * context` are shortened to `context` lines each side of a change.
pub fn render_diff(lines: &[DiffLine], context: usize) -> String {
    let changed: Vec<bool> = lines
        .iter()
        .map(|l| !matches!(l, DiffLine::Same(_)))
        .collect();
    let near_change = |i: usize| {
        let lo = i.saturating_sub(context);
        let hi = (i + context + 1).min(lines.len());
        changed[lo..hi].iter().any(|&c| c)
    };
    let mut out = String::new();
    let mut skipped = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let (mark, text) = match line {
            DiffLine::Same(t) => (' ', t),
            DiffLine::Removed(t) => ('-', t),
            DiffLine::Added(t) => ('+', t),
        };
        if mark == ' ' && !near_change(i) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push_str(&format!("@@ {skipped} unchanged lines @@\n"));
            skipped = 0;
        }
        out.push(mark);
        out.push(' ');
        out.push_str(text);
        out.push('\n');
    }
    if skipped > 0 {
        out.push_str(&format!("@@ {skipped} unchanged lines @@\n"));
    }
    out
}

/// `rtr1, rtr2, rtr3, rtr7, fw` → `fw,rtr[1-3,7]`. Names are split at their last run of
/// digits; zero-padded numbers keep their width (`sw[01-03]`).
pub fn compact_names<S: AsRef<str>>(names: &[S]) -> String {
    // (prefix, suffix, pad width or 0) → numbers
    let mut ranged: BTreeMap<(String, String, usize), Vec<u64>> = BTreeMap::new();
    let mut plain: Vec<String> = Vec::new();
    let mut unpadded: Vec<(String, String, usize, u64)> = Vec::new();
    for name in names {
        let name = name.as_ref();
        match split_number(name) {
            Some((prefix, digits, suffix)) if digits.len() > 1 && digits.starts_with('0') => {
                let n = digits.parse().expect("digits");
                ranged
                    .entry((prefix.into(), suffix.into(), digits.len()))
                    .or_default()
                    .push(n);
            }
            Some((prefix, digits, suffix)) => {
                let n = digits.parse().expect("digits");
                unpadded.push((prefix.into(), suffix.into(), digits.len(), n));
            }
            None => plain.push(name.to_string()),
        }
    }
    for (prefix, suffix, width, n) in unpadded {
        // `sw10` belongs with `sw09`: same width as an existing padded series.
        let padded = (prefix.clone(), suffix.clone(), width);
        let key = if ranged.contains_key(&padded) {
            padded
        } else {
            (prefix, suffix, 0)
        };
        ranged.entry(key).or_default().push(n);
    }
    let mut parts: Vec<(String, String)> = plain.into_iter().map(|p| (p.clone(), p)).collect();
    for ((prefix, suffix, width), mut numbers) in ranged {
        numbers.sort_unstable();
        numbers.dedup();
        let text = if numbers.len() == 1 {
            format!("{prefix}{:0width$}{suffix}", numbers[0])
        } else {
            format!("{prefix}[{}]{suffix}", ranges(&numbers, width))
        };
        parts.push((prefix + &suffix, text));
    }
    parts.sort();
    parts
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `[1,2,3,7]` → `1-3,7`.
fn ranges(sorted: &[u64], width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            format!("{:0width$}", sorted[i])
        } else {
            format!("{:0width$}-{:0width$}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// `ams-core-12b` → (`ams-core-`, `12`, `b`), at the last run of digits (at most 18, so it
/// fits a u64).
fn split_number(name: &str) -> Option<(&str, &str, &str)> {
    let end = name.rfind(|c: char| c.is_ascii_digit())? + 1;
    // Digits are one byte each: counting bytes back stays on a char boundary even when a
    // wide character comes before them.
    let start = end
        - name[..end]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
    (end - start <= 18).then(|| (&name[..start], &name[start..end], &name[end..]))
}

#[cfg(test)]
mod tests;
