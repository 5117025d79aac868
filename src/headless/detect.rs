//! `fleetdash detect INVENTORY [--limit P] [--write FILE]`: which platform each device runs,
//! as a table (or JSON lines), remembered in the state directory and, with `--write`,
//! recorded into the inventory file with its comments and layout kept.
//!
//! Exit status: 0 when every device was identified, 1 when any was not, 2 on usage or
//! inventory errors.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::base::exit::USAGE;
use crate::base::files::{self, FileKind};
use crate::base::stdout;
use crate::base::text::{count, escape_json, escape_line};
use crate::inventory::edit;
use crate::jobs::detect::{DeviceDetection, detect_all, remember};
use crate::platforms::detect::Detection;
use crate::ssh::SshOptions;

/// `fleetdash detect`: where and how.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectJob {
    pub inventory: PathBuf,
    pub limit: Option<String>,
    pub json: bool,
    pub login: super::Login,
    /// Write the inventory with the detected platforms set to this file.
    pub write: Option<PathBuf>,
}

pub async fn run(job: DetectJob) -> color_eyre::Result<ExitCode> {
    let usage = |why: &dyn std::fmt::Display| {
        eprintln!("error: {why}");
        Ok(ExitCode::from(USAGE))
    };
    let (inventory, bastions) = match super::select(&job.inventory, job.limit.as_deref()) {
        Ok(selected) => selected,
        Err(err) => return usage(&err),
    };
    let opts = match job.login.ssh_options() {
        Ok(opts) => SshOptions { bastions, ..opts },
        Err(why) => return usage(&why),
    };
    let total = inventory.devices.len();
    let mut finished = 0;
    let results = detect_all(&inventory, &opts, job.login.concurrency, |_| {
        finished += 1;
        if !job.json {
            eprint!("\rdetecting: {finished}/{total}");
        }
    })
    .await;
    if !job.json && total > 0 {
        eprintln!();
    }
    stdout::print(&match job.json {
        true => json_lines(&results),
        false => table(&results),
    });
    if let Ok(path) = crate::base::paths::detected_platforms()
        && let Err(e) = remember(&inventory, &results, &path)
    {
        eprintln!(
            "warning: cannot remember the detected platforms in {}: {e}",
            path.display()
        );
    }
    if let Some(out) = &job.write
        && let Err(why) = write_back(&job.inventory, out, &results)
    {
        return usage(&why);
    }
    let found = results.iter().filter(|r| r.found().is_some()).count();
    eprintln!("identified {found} of {}", count(results.len(), "device"));
    Ok(match found == results.len() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// Sets `platform:` of every identified device whose listed platform differs, in a copy of
/// the inventory's text written to `out` (which may be the inventory itself).
fn write_back(
    inventory: &std::path::Path,
    out: &std::path::Path,
    results: &[DeviceDetection],
) -> Result<(), String> {
    let origin = inventory.display().to_string();
    let text =
        files::read_text(inventory, FileKind::Inventory).map_err(|e| format!("{origin}: {e}"))?;
    let changes: Vec<(String, String)> = results
        .iter()
        .filter_map(|r| {
            r.found()
                .filter(|p| *p != r.listed)
                .map(|p| (r.name.clone(), p.to_string()))
        })
        .collect();
    if changes.is_empty() {
        eprintln!("{}: nothing to record", out.display());
        return Ok(());
    }
    let edited = edit::set_platforms(&text, &origin, &changes).map_err(|e| e.to_string())?;
    // Replace the file in one step, so a crash leaves the old or the new text, never half.
    let tmp = out.with_extension("detect.tmp");
    std::fs::write(&tmp, edited).map_err(|e| format!("{}: {e}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(inventory) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "{}: recorded the platform of {}",
        out.display(),
        count(changes.len(), "device")
    );
    Ok(())
}

/// What one device's row says.
fn verdict(r: &DeviceDetection) -> String {
    match &r.result {
        Ok(d) => match &d.detection {
            Detection::Found(p) => p.clone(),
            Detection::Ambiguous(names) => format!("ambiguous: {}", names.join(", ")),
            Detection::Unknown => "unknown".into(),
        },
        Err(e) => format!("failed: {e}"),
    }
}

pub fn table(results: &[DeviceDetection]) -> String {
    let rows: Vec<[String; 4]> = results
        .iter()
        .map(|r| {
            [
                escape_line(&r.name),
                escape_line(&r.host),
                escape_line(&r.listed),
                escape_line(&verdict(r)),
            ]
        })
        .collect();
    let head = ["DEVICE", "HOST", "LISTED", "DETECTED"].map(String::from);
    let mut widths = [0; 4];
    for row in std::iter::once(&head).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&rows) {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    host: &'a str,
    listed: &'a str,
    /// found, ambiguous, unknown or failed.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    duration_ms: u64,
}

pub fn json_lines(results: &[DeviceDetection]) -> String {
    let mut out = String::new();
    for r in results {
        let (result, candidates, error) = match &r.result {
            Ok(d) => match &d.detection {
                Detection::Found(_) => ("found", Vec::new(), None),
                Detection::Ambiguous(names) => (
                    "ambiguous",
                    names.iter().map(String::as_str).collect(),
                    None,
                ),
                Detection::Unknown => ("unknown", Vec::new(), None),
            },
            Err(e) => ("failed", Vec::new(), Some(e)),
        };
        let row = Row {
            name: &r.name,
            host: &r.host,
            listed: &r.listed,
            result,
            platform: r.found(),
            candidates,
            stage: error.map(|e| e.stage.as_str()),
            error: error.map(|e| e.reason.as_str()),
            duration_ms: r.duration.as_millis().min(u64::MAX as u128) as u64,
        };
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    }
    out
}
