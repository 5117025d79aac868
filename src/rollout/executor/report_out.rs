//! Writing the end-of-rollout report files: `report.json` (everything, for tools) and
//! `report.md` (for people) in the report directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Finished;
use crate::exec::fold::{DiffLine, diff_lines};
use crate::rollout::event::Outcome;
use crate::rollout::plan::Plan;
use crate::rollout::report::{DeviceOutcome, WaveOutcome};

#[derive(Serialize)]
struct Json<'a> {
    plan: &'a str,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    waves: &'a [WaveOutcome],
    devices: &'a [DeviceOutcome],
}

/// Writes both files; returns the Markdown one's path.
pub fn write(dir: &Path, plan: &Plan, finished: &Finished) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let json = Json {
        plan: &plan.name,
        outcome: finished.outcome,
        reason: finished.reason.as_deref(),
        waves: &finished.waves,
        devices: &finished.devices,
    };
    let text = serde_json::to_string_pretty(&json).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("report.json"), text + "\n")?;
    let md = dir.join("report.md");
    std::fs::write(&md, markdown(plan, finished))?;
    Ok(md)
}

/// The Markdown report: outcome, waves, devices, then failures with their outputs and the
/// snapshot diffs.
pub fn markdown(plan: &Plan, f: &Finished) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Rollout `{}`: {}\n", plan.name, f.outcome.as_str());
    if let Some(reason) = &f.reason {
        let _ = writeln!(s, "{reason}\n");
    }
    let _ = writeln!(
        s,
        "## Waves\n\n| wave | kind | state | devices | duration |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for w in &f.waves {
        let names: Vec<String> = f
            .devices
            .iter()
            .filter(|d| d.wave == w.index)
            .map(|d| d.name.clone())
            .collect();
        let _ = writeln!(
            s,
            "| {} | {:?} | {} | {} | {:.1} s |",
            w.index + 1,
            w.kind,
            w.state.label(),
            crate::exec::fold::compact_names(&names),
            w.duration.as_secs_f64()
        );
    }
    let _ = writeln!(
        s,
        "\n## Devices\n\n| device | wave | state | reason | time |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for d in &f.devices {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} s |",
            d.name,
            d.wave + 1,
            d.state.label(),
            d.reason.as_deref().unwrap_or("").replace('|', "\\|"),
            d.durations.total().as_secs_f64()
        );
    }
    for d in &f.devices {
        let failed_checks = d
            .pre_checks
            .iter()
            .chain(&d.post_checks)
            .filter(|c| !c.passed);
        let failed_steps = d.steps.iter().chain(&d.rollback).filter(|st| !st.ok);
        let diff = match (&d.snapshot_pre, &d.snapshot_post) {
            (Some(a), Some(b)) if a != b => Some(diff_lines(a, b)),
            _ => None,
        };
        let mut body = String::new();
        for c in failed_checks {
            let _ = writeln!(
                body,
                "check `{}` (`{}`): {}\n```\n{}\n```",
                c.name,
                c.command,
                c.detail.as_deref().unwrap_or("failed"),
                c.output.trim_end()
            );
        }
        for st in failed_steps {
            let _ = writeln!(
                body,
                "step `{}`: {}\n```\n{}\n```",
                st.step,
                st.detail.as_deref().unwrap_or("failed"),
                st.output.trim_end()
            );
        }
        if let Some(diff) = diff {
            let _ = writeln!(body, "snapshot diff:\n```diff");
            for line in diff {
                let _ = match line {
                    DiffLine::Same(_) => Ok(()),
                    DiffLine::Removed(l) => writeln!(body, "-{l}"),
                    DiffLine::Added(l) => writeln!(body, "+{l}"),
                };
            }
            let _ = writeln!(body, "```");
        }
        if !body.is_empty() {
            let _ = writeln!(s, "\n### {}\n\n{body}", d.name);
        }
    }
    s
}
