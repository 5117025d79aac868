//! `--dry-run`: the waves a plan makes over an inventory and its safety settings, as text,
//! without connecting to anything.

use std::fmt::Write;

use crate::base::text::{Untrusted, escape_line};
use crate::exec::fold::compact_names;
use crate::inventory::Inventory;
use crate::rollout::plan::{Batch, GroupBy, OnFail, Pause, Plan, PlanError, Step, Threshold};
use crate::rollout::waves::{WaveKind, waves};

/// The dry-run text: plan summary, one line per wave (devices written compactly, e.g.
/// `fra-access[1-4]`), notes on moved devices, checks, steps, thresholds and pause policy.
pub fn dry_run(plan: &Plan, inv: &Inventory) -> Result<String, PlanError> {
    let waves = waves(plan, inv)?;
    let total: usize = waves.iter().map(|w| w.devices.len()).sum();
    let mut out = String::new();
    let w = &mut out;
    // Writing to a String cannot fail. Names, commands and paths come from files: every
    // one is escaped, so none can drive the terminal.
    let _ = writeln!(
        w,
        "Plan:    {} ({})",
        Untrusted(&plan.name),
        Untrusted(&plan.source.origin)
    );
    let _ = writeln!(
        w,
        "Target:  {} → {total} device(s) of {}",
        Untrusted(&plan.target),
        Untrusted(&inv.source)
    );
    let _ = writeln!(w, "Waves:   {} ({})", waves.len(), shape(plan));
    let width = waves.len().to_string().len().max(4);
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  {:>width$}  {:<6}  {:>7}  devices",
        "wave", "kind", "count"
    );
    for wave in &waves {
        let names: Vec<&str> = wave
            .devices
            .iter()
            .map(|&id| inv.devices[id].name.as_str())
            .collect();
        let kind = match wave.kind {
            WaveKind::Canary => "canary",
            WaveKind::Batch => "batch",
        };
        let _ = writeln!(
            w,
            "  {:>width$}  {kind:<6}  {:>7}  {}",
            wave.index + 1,
            names.len(),
            escape_line(&compact_names(&names))
        );
        for note in &wave.notes {
            let _ = writeln!(w, "  {:>width$}  note: {}", "", escape_line(note));
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Checks:  {} pre-check(s), {} post-check(s){}",
        plan.pre_checks.len(),
        plan.post_checks.len(),
        match &plan.snapshot {
            Some(cmd) => format!("; snapshot `{}` diffed in the report", Untrusted(cmd)),
            None => String::new(),
        }
    );
    let _ = writeln!(w, "Steps:   {}", steps(&plan.steps));
    if !plan.rollback.is_empty() {
        let _ = writeln!(w, "Undo:    {}", steps(&plan.rollback));
    }
    let _ = writeln!(w, "Stop:    {}", stop_policy(plan, total));
    let _ = writeln!(w, "Pause:   {}", pause(plan.pause));
    let _ = writeln!(
        w,
        "Probes:  a device that stops answering after its change {}",
        match plan.unreachable_is_failure {
            true => "counts as failed",
            false => "is shown, not counted as failed",
        }
    );
    let _ = writeln!(w, "Dry run: nothing was connected to.");
    Ok(out)
}

/// `canary 1, then 3, 25%, 50% (the last repeats), spread by tag `role``.
fn shape(plan: &Plan) -> String {
    let s = &plan.strategy;
    let mut parts = Vec::new();
    if s.canary > 0 {
        parts.push(format!("canary {}", s.canary));
    }
    let sizes: Vec<String> = s
        .batches
        .iter()
        .map(|b| match b {
            Batch::Count(n) => n.to_string(),
            Batch::Percent(p) => format!("{p}%"),
        })
        .collect();
    parts.push(match sizes.len() {
        0 => "then the rest at once".to_owned(),
        1 => format!("then {} at a time", sizes[0]),
        _ => format!("then {}, the last repeating", sizes.join(", ")),
    });
    match &s.group_by {
        Some(GroupBy::Tag(key)) => parts.push(format!("spread by tag `{}`", Untrusted(key))),
        Some(GroupBy::Group(Some(prefix))) => {
            parts.push(format!("spread by group `{}*`", Untrusted(prefix)))
        }
        Some(GroupBy::Group(None)) => parts.push("spread by first group".to_owned()),
        None => {}
    }
    if !s.never_together.is_empty() {
        parts.push(format!("{} never-together set(s)", s.never_together.len()));
    }
    parts.join(", ")
}

fn steps(steps: &[Step]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Command(cmd) => format!("`{}`", Untrusted(cmd)),
            Step::Config { lines, save } => format!(
                "config ({} line(s){})",
                lines.len(),
                if *save { ", saved" } else { "" }
            ),
        })
        .collect();
    parts.join(", then ")
}

fn stop_policy(plan: &Plan, total: usize) -> String {
    let m = &plan.max_fail;
    let limit = |t: Threshold, of: &str| match t {
        Threshold::Count(n) => format!("more than {n} failed {of}"),
        Threshold::Percent(p) => format!("more than {p}% failed {of}"),
    };
    let mut limits = Vec::new();
    if let Some(t) = m.per_wave {
        limits.push(limit(t, "in a wave"));
    }
    if let Some(t) = m.overall {
        let mut text = limit(t, "overall");
        if let Threshold::Percent(_) = t {
            text.push_str(&format!(" ({} of {total} tolerated)", t.allowed(total)));
        }
        limits.push(text);
    }
    if limits.is_empty() {
        return "never (no failure threshold)".to_owned();
    }
    let action = match m.action {
        OnFail::Halt => "halt",
        OnFail::Rollback => "halt and roll back the failed devices",
        OnFail::Continue => "note it and continue",
    };
    format!("{} → {action}", limits.join(", or "))
}

fn pause(pause: Pause) -> String {
    match pause {
        Pause::None => "none: each wave starts when the previous one is done".to_owned(),
        Pause::Duration(d) => format!("{} between waves", crate::base::duration::format(d)),
        Pause::Manual => "manual: each next wave waits for approval".to_owned(),
    }
}
