//! `fleetdash backup INVENTORY [--limit P] [--to DIR]`: fetch each device's running
//! configuration with its platform's command (on the exec engine: concurrency, retries,
//! breaker, audit journal), store it into a git repository, and commit once if anything
//! changed. Prints a progress line, then a summary with `git show --stat`.
//!
//! Exit status: 0 when every device was backed up, 1 when any failed, 2 on usage errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::base::exit::USAGE;
use crate::base::stdout;
use crate::base::text::{count, escape_json, escape_line};
use crate::exec::{ExecConfig, Secrets, SshConnector, journal};
use crate::fleet::{Event, ExecEvent};
use crate::inventory::Device;
use crate::jobs::backup::{self, DeviceBackup, Layout, Outcome, Repo, Report};
use crate::ssh::ExecError;
use crate::ssh::detect::Cache;

/// Largest configuration kept (bigger ones fail rather than store a cut file).
const CONFIG_CAP: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct BackupJob {
    pub inventory: PathBuf,
    pub limit: Option<String>,
    /// The repository; default: `backups` in the state directory.
    pub to: Option<PathBuf>,
    pub layout: String,
    pub keep_secrets: bool,
    pub json: bool,
    pub journal: Option<PathBuf>,
    pub login: super::Login,
}

pub async fn run(job: BackupJob) -> color_eyre::Result<ExitCode> {
    let usage = |why: &dyn std::fmt::Display| {
        eprintln!("error: {why}");
        Ok(ExitCode::from(USAGE))
    };
    let layout = match Layout::parse(&job.layout) {
        Ok(layout) => layout,
        Err(why) => return usage(&why),
    };
    let (inventory, bastions) = match super::select(&job.inventory, job.limit.as_deref()) {
        Ok((inventory, bastions)) => (Arc::new(inventory), bastions),
        Err(err) => return usage(&err),
    };
    let dir = match job.to.clone().map_or_else(
        || crate::base::paths::state_dir().map(|d| d.join("backups")),
        Ok,
    ) {
        Ok(dir) => dir,
        Err(why) => return usage(&why),
    };
    let repo = match Repo::open(&dir) {
        Ok(repo) => repo,
        Err(why) => return usage(&why),
    };
    let mut opts = match job.login.ssh_options() {
        Ok(opts) => opts,
        Err(why) => return usage(&why),
    };
    opts.output_cap = CONFIG_CAP;
    opts.bastions = bastions;
    let journal =
        match journal::open_audit(job.journal.as_deref(), Secrets::from_inventory(&inventory)) {
            Ok(journal) => journal,
            Err(why) => return usage(&why),
        };
    let t = job.login.timeout;
    let cfg = ExecConfig {
        concurrency: job.login.concurrency.max(1),
        connect_timeout: t * 4 + Duration::from_secs(1),
        command_timeout: t * 6 + Duration::from_secs(1),
        journal: Some(Arc::new(journal)),
        ..ExecConfig::default()
    };
    opts.timeouts.command = t * 6;

    // One run per command: platforms print their configuration with different commands.
    let detected = crate::base::paths::detected_platforms()
        .map(|p| Cache::load(&p))
        .unwrap_or_default();
    let platform_of = |d: &Device| backup::resolve_platform(&detected, d);
    let ids: Vec<usize> = (0..inventory.devices.len()).collect();
    let plan = backup::plan_fetch(&inventory, &ids, &platform_of);
    let total = inventory.devices.len();
    let mut done = plan.unfetchable.len() + plan.skipped.len();
    let progress = |event: &Event| {
        if let Event::Exec(ExecEvent::Finished { .. }) = event {
            done += 1;
            if !job.json {
                eprint!("\rbacking up: {done}/{total}");
            }
        }
    };
    let runs: Vec<(Vec<usize>, String)> =
        plan.runs.into_iter().map(|(cmd, ids)| (ids, cmd)).collect();
    let fetched = super::exec::execute_runs(
        inventory.clone(),
        cfg,
        SshConnector::new(opts),
        runs,
        progress,
    )
    .await;
    if !job.json && total > 0 {
        eprintln!();
    }
    let mut results: Vec<(usize, Result<crate::ssh::Output, ExecError>)> = fetched
        .into_iter()
        .filter_map(|r| {
            let id = inventory.devices.iter().position(|d| d.name == r.name)?;
            Some((id, r.result))
        })
        .collect();
    results.extend(plan.unfetchable.into_iter().map(|(id, e)| (id, Err(e))));
    let report = backup::store_all(
        &repo,
        &layout,
        &inventory,
        results,
        &plan.skipped,
        &platform_of,
        job.keep_secrets,
    );
    let Report {
        backups, commit, ..
    } = match report {
        Ok(report) => report,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::FAILURE);
        }
    };
    stdout::print(&match job.json {
        true => json_lines(&backups),
        false => table(&backups),
    });
    eprint!("{}", summary(&backups, repo.dir(), commit.as_ref()));
    Ok(
        match backups
            .iter()
            .any(|b| matches!(b.outcome, Outcome::Failed { .. }))
        {
            true => ExitCode::FAILURE,
            false => ExitCode::SUCCESS,
        },
    )
}

fn label(o: &Outcome) -> &'static str {
    match o {
        Outcome::New => "new",
        Outcome::Changed => "changed",
        Outcome::Unchanged => "unchanged",
        Outcome::Failed { .. } => "failed",
        Outcome::Skipped { .. } => "skipped",
    }
}

/// Changed, new and failed devices, one line each (unchanged ones are only counted).
pub fn table(backups: &[DeviceBackup]) -> String {
    let mut out = String::new();
    for b in backups {
        let line = match &b.outcome {
            Outcome::Unchanged | Outcome::Skipped { .. } => continue,
            Outcome::Failed { stage, reason } => {
                format!(
                    "{:<9} {}  {stage}: {}",
                    "failed",
                    escape_line(&b.name),
                    escape_line(reason)
                )
            }
            o => format!(
                "{:<9} {}  {}",
                label(o),
                escape_line(&b.name),
                escape_line(&b.file.display().to_string())
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn summary(
    backups: &[DeviceBackup],
    dir: &std::path::Path,
    commit: Option<&backup::Commit>,
) -> String {
    let n = |l: &str| backups.iter().filter(|b| label(&b.outcome) == l).count();
    let mut s = format!(
        "backup of {}: {} changed, {} new, {} unchanged, {} failed",
        count(backups.len(), "device"),
        n("changed"),
        n("new"),
        n("unchanged"),
        n("failed")
    );
    if n("skipped") > 0 {
        s.push_str(&format!(
            ", {} skipped (no configuration command)",
            n("skipped")
        ));
    }
    s.push('\n');
    match commit {
        Some(c) => {
            s.push_str(&format!(
                "committed {} in {}\n",
                &c.id[..c.id.len().min(12)],
                dir.display()
            ));
            s.push_str(&escape_line_block(&c.stat));
        }
        None => s.push_str(&format!(
            "nothing changed: no commit in {}\n",
            dir.display()
        )),
    }
    s
}

/// git's `--stat` lines, each escaped (file names come from device names).
fn escape_line_block(text: &str) -> String {
    text.lines()
        .map(|l| format!("{}\n", escape_line(l)))
        .collect()
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    file: String,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    bytes: usize,
}

pub fn json_lines(backups: &[DeviceBackup]) -> String {
    let mut out = String::new();
    for b in backups {
        let (stage, error) = match &b.outcome {
            Outcome::Skipped { reason } => (None, Some(reason.as_str())),
            Outcome::Failed { stage, reason } => (Some(stage.as_str()), Some(reason.as_str())),
            _ => (None, None),
        };
        let row = Row {
            name: &b.name,
            file: b.file.display().to_string(),
            result: label(&b.outcome),
            stage,
            error,
            bytes: b.bytes,
        };
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    }
    out
}
