//! The plain-text overview printed by `fleetdash check INVENTORY`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{Inventory, ProbeSpec};
use crate::base::text::Untrusted;

/// Devices, groups with member counts (members of child groups included), platforms and
/// probe kinds with counts. Stable order: groups as in the file, the rest sorted.
pub fn summary(inv: &Inventory) -> String {
    let mut out = String::new();
    let plural = crate::base::text::count;
    let _ = writeln!(
        out,
        "{}: {}",
        Untrusted(&inv.source),
        plural(inv.devices.len(), "device")
    );

    // Names come from the file: escaped before they are measured and printed.
    let mut rows: Vec<(String, String, String)> = inv
        .groups
        .iter()
        .map(|g| {
            let members = inv
                .devices
                .iter()
                .filter(|d| d.all_groups.contains(&g.name))
                .count();
            let parents = match g.parents.is_empty() {
                true => String::new(),
                false => format!("  (in {})", Untrusted(&g.parents.join(", "))),
            };
            let name = Untrusted(&g.name).to_string();
            (name, plural(members, "device"), parents)
        })
        .collect();
    let ungrouped = inv.devices.iter().filter(|d| d.groups.is_empty()).count();
    if ungrouped > 0 {
        rows.push((
            "(no group)".into(),
            plural(ungrouped, "device"),
            String::new(),
        ));
    }
    let name_w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let count_w = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let _ = writeln!(out, "groups ({}):", inv.groups.len());
    for (name, count, parents) in rows {
        let line = format!("  {name:name_w$}  {count:count_w$}{parents}");
        let _ = writeln!(out, "{}", line.trim_end());
    }

    let mut platforms: BTreeMap<&str, usize> = BTreeMap::new();
    // Keyed so that icmp sorts first, then TCP ports in order.
    let mut probes: BTreeMap<(u8, u16), usize> = BTreeMap::new();
    for d in &inv.devices {
        *platforms.entry(&d.platform).or_default() += 1;
        let key = match d.probe {
            ProbeSpec::Icmp => (0, 0),
            ProbeSpec::Tcp(port) => (1, port),
        };
        *probes.entry(key).or_default() += 1;
    }
    counts(&mut out, "platforms", platforms.into_iter());
    let probes = probes.into_iter().map(|((kind, port), n)| {
        let name = if kind == 0 {
            "icmp".to_owned()
        } else {
            format!("tcp:{port}")
        };
        (name, n)
    });
    counts(&mut out, "probes", probes);
    out
}

fn counts<K: AsRef<str>>(out: &mut String, title: &str, rows: impl Iterator<Item = (K, usize)>) {
    let rows: Vec<(String, usize)> = rows
        .map(|(k, n)| (Untrusted(k.as_ref()).to_string(), n))
        .collect();
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{title}:");
    for (name, n) in rows {
        let _ = writeln!(out, "  {name:width$}  {n}");
    }
}

/// What `fleetdash check` prints: the format and files read, notes, the [`summary`], then
/// every device as resolved (name, address, port, platform, user, groups, jump).
pub fn check_report(inv: &Inventory) -> String {
    let mut out = String::new();
    let p = &inv.provenance;
    let _ = writeln!(out, "format: {}", p.format);
    let _ = writeln!(out, "read from:");
    for file in &p.files {
        let _ = writeln!(out, "  {}", Untrusted(&file.display().to_string()));
    }
    for note in &p.notes {
        let _ = writeln!(out, "note: {}", crate::base::text::escape_line(note));
    }
    out.push_str(&summary(inv));
    if !inv.links.is_empty() {
        let _ = writeln!(out, "links: {}", inv.links.len());
    }
    let rows: Vec<[String; 7]> = inv
        .devices
        .iter()
        .map(|d| {
            [
                Untrusted(&d.name).to_string(),
                Untrusted(&d.host).to_string(),
                d.port.to_string(),
                Untrusted(&d.platform).to_string(),
                Untrusted(d.username.as_deref().unwrap_or("-")).to_string(),
                Untrusted(&d.groups.join(",")).to_string(),
                Untrusted(&d.jump.join(",")).to_string(),
            ]
        })
        .collect();
    let head = ["name", "host", "port", "platform", "user", "groups", "jump"].map(String::from);
    let mut widths = head.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let _ = writeln!(out, "devices:");
    for row in std::iter::once(&head).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    out
}
