//! The report as Markdown: a headline, a waves table, a devices table, then per-device
//! details (checks with their outputs, step outputs, snapshot diff).

use std::fmt::Write;
use std::time::Duration;

use super::{CheckOutcome, DeviceReport, DeviceState, Report, StepOutcome};
use crate::rollout::waves::WaveKind;

/// Outputs longer than this many lines are cut in the Markdown (the JSON has them whole).
const MAX_OUTPUT_LINES: usize = 40;

pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    let w = &mut out;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "# Rollout report: {}\n", r.plan);
    let _ = writeln!(w, "- Plan: `{}`, target `{}`", r.origin, r.target);
    let _ = write!(w, "- Result: **{}**", r.state.label());
    if let Some(reason) = &r.reason {
        let _ = write!(w, ": {reason}");
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "- Started {}, finished {} ({})",
        r.started_at,
        r.finished_at,
        human(r.duration)
    );
    let s = &r.summary;
    let mut counts = vec![format!("{} done", s.done), format!("{} failed", s.failed)];
    for (n, what) in [
        (s.rolled_back, "rolled back"),
        (s.skipped, "skipped"),
        (s.unknown, "unknown"),
        (s.unfinished, "unfinished"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {what}"));
        }
    }
    let _ = writeln!(w, "- Devices: {} — {}\n", s.total, counts.join(", "));

    let _ = writeln!(w, "## Waves\n");
    let _ = writeln!(
        w,
        "| Wave | Kind | State | Devices | Done | Failed | Duration |"
    );
    let _ = writeln!(w, "|---:|---|---|---:|---:|---:|---:|");
    for wave in &r.waves {
        let of_wave = r.devices.iter().filter(|d| d.outcome.wave == wave.index);
        let (mut done, mut failed) = (0, 0);
        for d in of_wave {
            match d.outcome.state {
                DeviceState::Done => done += 1,
                DeviceState::Failed | DeviceState::RolledBack => failed += 1,
                _ => {}
            }
        }
        let kind = match wave.kind {
            WaveKind::Canary => "canary",
            WaveKind::Batch => "batch",
        };
        let _ = writeln!(
            w,
            "| {} | {kind} | {} | {} | {done} | {failed} | {} |",
            wave.index + 1,
            wave.state.label(),
            wave.devices.len(),
            human(wave.duration)
        );
    }

    let _ = writeln!(w, "\n## Devices\n");
    let _ = writeln!(
        w,
        "| Device | Wave | State | Reason | Pre-checks | Apply | Verify | Total |"
    );
    let _ = writeln!(w, "|---|---:|---|---|---:|---:|---:|---:|");
    for d in &r.devices {
        let o = &d.outcome;
        let t = &o.durations;
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&o.name),
            o.wave + 1,
            o.state.label(),
            cell(o.reason.as_deref().unwrap_or("")),
            human(t.pre_check),
            human(t.apply),
            human(t.verify),
            human(t.total())
        );
    }

    let ran: Vec<&DeviceReport> = r.devices.iter().filter(|d| has_details(d)).collect();
    if !ran.is_empty() {
        let _ = writeln!(w, "\n## Details\n");
    }
    for d in ran {
        device_details(w, d);
    }
    out
}

fn has_details(d: &DeviceReport) -> bool {
    let o = &d.outcome;
    !(o.pre_checks.is_empty()
        && o.steps.is_empty()
        && o.post_checks.is_empty()
        && o.rollback.is_empty()
        && d.snapshot_diff.is_none())
}

fn device_details(w: &mut String, d: &DeviceReport) {
    let o = &d.outcome;
    let _ = writeln!(w, "### {} — {}\n", o.name, o.state.label());
    if let Some(reason) = &o.reason {
        let _ = writeln!(w, "{reason}\n");
    }
    checks(w, "Pre-checks", &o.pre_checks);
    steps(w, "Steps", &o.steps);
    checks(w, "Post-checks", &o.post_checks);
    steps(w, "Rollback", &o.rollback);
    match d.snapshot_diff.as_deref() {
        Some("") => {
            let _ = writeln!(w, "Snapshot: unchanged.\n");
        }
        Some(diff) => {
            let _ = writeln!(w, "Snapshot diff (before → after):\n");
            fenced(w, "diff", diff);
        }
        None => {}
    }
}

fn checks(w: &mut String, title: &str, list: &[CheckOutcome]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(w, "{title}:\n");
    for c in list {
        let mark = if c.passed { "pass" } else { "FAIL" };
        let _ = write!(w, "- {mark} {} (`{}`)", c.name, c.command);
        if let Some(detail) = &c.detail {
            let _ = write!(w, ": {detail}");
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w);
    for c in list.iter().filter(|c| !c.output.is_empty()) {
        let _ = writeln!(w, "`{}`:\n", c.command);
        fenced(w, "", &c.output);
    }
}

fn steps(w: &mut String, title: &str, list: &[StepOutcome]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(w, "{title}:\n");
    for s in list {
        let mark = if s.ok { "ok" } else { "FAIL" };
        let _ = write!(w, "- {mark} `{}`", s.step);
        if let Some(detail) = &s.detail {
            let _ = write!(w, ": {detail}");
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w);
    for s in list.iter().filter(|s| !s.output.trim().is_empty()) {
        let _ = writeln!(w, "`{}`:\n", s.step);
        fenced(w, "", &s.output);
    }
}

/// A fenced block whose fence is longer than any backtick run inside (so device output
/// cannot close it), cut to `MAX_OUTPUT_LINES`.
fn fenced(w: &mut String, lang: &str, text: &str) {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let lines: Vec<&str> = text.lines().collect();
    let _ = writeln!(w, "{fence}{lang}");
    for line in lines.iter().take(MAX_OUTPUT_LINES) {
        let _ = writeln!(w, "{line}");
    }
    if lines.len() > MAX_OUTPUT_LINES {
        let _ = writeln!(
            w,
            "… {} more line(s) in the JSON report",
            lines.len() - MAX_OUTPUT_LINES
        );
    }
    let _ = writeln!(w, "{fence}\n");
}

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `850ms`, `12.3s`, `4m05s`; `—` for a phase that did not run.
fn human(d: Duration) -> String {
    if d.is_zero() {
        return "—".to_owned();
    }
    crate::base::duration::short(d)
}
