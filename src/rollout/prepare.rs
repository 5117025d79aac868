//! Everything a rollout needs before it starts, for every front end: read and check the
//! plan and the inventory, compute (or, resuming, replay) the waves, open the journal.
//! Prints nothing: what a person should know comes back as notes, and the question about
//! foreign journal lines is the caller's to ask.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::executor::{RolloutSetup, resume_waves};
use super::journal::{self, OpenError, ReplayError, RolloutJournal, Tail};
use super::plan::Plan;
use super::waves::waves;
use crate::base::paths::NoHome;
use crate::exec::{Secrets, SshConnector};
use crate::inventory::Inventory;
use crate::ssh::BastionLimits;
use crate::ssh::{HostKeyPolicy, SshOptions};

/// Devices worked on at once within a wave, unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 20;
/// Timeout of each SSH stage, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which rollout to run and how to connect (from `fleetdash rollout`'s flags).
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutConfig {
    /// Rollout plan (YAML).
    pub plan: PathBuf,
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Continue the rollout this journal records.
    pub resume: Option<PathBuf>,
    /// Where report.md and report.json go; default: next to the journal.
    pub report: Option<PathBuf>,
    /// The journal of a new rollout; default: under the state directory.
    pub journal: Option<PathBuf>,
    /// Resuming: set foreign lines after the last valid one aside without asking.
    pub truncate_journal: bool,
    pub concurrency: usize,
    pub timeout: Duration,
    pub host_keys: HostKeyPolicy,
    /// Check and learn host keys only in this known_hosts file.
    pub known_hosts: Option<PathBuf>,
}

/// The plan and the inventory, read and checked.
pub struct Loaded {
    pub plan: Arc<Plan>,
    /// The plan's text, hashed into the journal.
    pub text: String,
    pub inventory: Arc<Inventory>,
}

/// A rollout ready to start: everything checked, the journal open.
pub struct Prepared {
    pub setup: RolloutSetup<SshConnector>,
    pub journal_path: PathBuf,
}

/// Reads and checks the plan, the inventory and the known_hosts file. `Err`: the message
/// for a usage, plan or inventory error (exit status 2).
pub fn load(config: &RolloutConfig) -> Result<Loaded, String> {
    let text = Plan::read(&config.plan).map_err(|e| e.to_string())?;
    let plan = Arc::new(
        Plan::from_yaml(&text, &config.plan.display().to_string()).map_err(|e| e.to_string())?,
    );
    let inventory =
        Arc::new(crate::platforms::load_inventory(&config.inventory).map_err(|e| e.to_string())?);
    if let Some(file) = &config.known_hosts {
        crate::ssh::check_known_hosts_file(file)?;
    }
    Ok(Loaded {
        plan,
        text,
        inventory,
    })
}

/// Computes (or, resuming, replays) the waves and opens the journal. `confirm` decides
/// whether to resume up to the last valid line when foreign lines follow it (only asked
/// without `truncate_journal`). Lines for the person running it (what a resume cut off)
/// are pushed to `notes`, also when it then fails. `Err`: as for [`load`].
pub fn prepare(
    config: &RolloutConfig,
    loaded: Loaded,
    confirm: impl FnOnce(&ReplayError) -> bool,
    notes: &mut Vec<String>,
) -> Result<Prepared, String> {
    let Loaded {
        plan,
        text,
        inventory,
    } = loaded;
    let hash = journal::plan_hash(&text);
    let secrets = Secrets::from_inventory(&inventory);
    let (journal, resume, plan_waves, journal_path) = match &config.resume {
        Some(path) => {
            let confirm = |e: &ReplayError| config.truncate_journal || confirm(e);
            let (journal, replay) =
                RolloutJournal::resume(path, secrets.clone(), &plan.name, &hash, confirm).map_err(
                    |e| match e {
                        OpenError::Replay(e @ ReplayError::Garbage { .. }) => {
                            format!("{e}\n{}", drop_instruction(&e, path))
                        }
                        e => e.to_string(),
                    },
                )?;
            notes.extend(what_was_cut(&replay, path));
            let w = resume_waves(&replay, &plan, &inventory)?;
            (journal, Some(replay), w, path.clone())
        }
        None => {
            let w = waves(&plan, &inventory).map_err(|e| e.to_string())?;
            let path = config
                .journal
                .clone()
                .map_or_else(|| default_journal(&plan.name), Ok)
                .map_err(|e| format!("no place for the journal: {e}, or use --journal FILE"))?;
            let journal =
                RolloutJournal::create(&path, secrets.clone()).map_err(|e| e.to_string())?;
            (journal, None, w, path)
        }
    };
    let report_dir = config
        .report
        .clone()
        .unwrap_or_else(|| report_beside(&journal_path));
    let ssh = SshOptions::headless(
        config.known_hosts.as_deref(),
        config.timeout,
        config.host_keys,
    )
    .map_err(|e| e.to_string())?
    .with_bastions(&inventory, BastionLimits::default());
    let setup = RolloutSetup {
        plan,
        plan_hash: hash,
        waves: plan_waves,
        inventory,
        connector: Arc::new(SshConnector::new(ssh)),
        journal: Arc::new(journal),
        secrets,
        resume,
        concurrency: config.concurrency,
        // The engine feeds it from its reducer.
        reachability: None,
        report_dir: Some(report_dir),
        // Headless: `--yes` was the go. The dashboard asks on screen instead.
        approve_start: false,
    };
    Ok(Prepared {
        setup,
        journal_path,
    })
}

/// How to resume anyway from a journal with foreign lines at its end.
fn drop_instruction(garbage: &ReplayError, journal: &Path) -> String {
    let line = match garbage {
        ReplayError::Garbage { line, .. } => *line,
        _ => 0,
    };
    format!(
        "to resume up to line {} and keep the rest in {}, add --truncate-journal",
        line.saturating_sub(1),
        journal::dropped_path(journal).display()
    )
}

/// One line when a resume cut something off the journal.
fn what_was_cut(replay: &journal::Replay, path: &Path) -> Option<String> {
    let kept = journal::dropped_path(path);
    match &replay.tail {
        Tail::Clean => None,
        Tail::Torn { line } => Some(format!(
            "journal: line {line} was cut short by a crash and is ignored (kept in {})",
            kept.display()
        )),
        Tail::Garbage { line, lines, .. } => Some(format!(
            "journal: resuming up to line {}; {lines} line(s) from line {line} on are kept in {}",
            line - 1,
            kept.display()
        )),
    }
}

/// `$XDG_STATE_HOME/fleetdash/rollouts/<plan>-<unix seconds>.jsonl` (or under
/// `~/.local/state`).
fn default_journal(plan: &str) -> Result<PathBuf, NoHome> {
    let dir = crate::base::paths::rollouts_dir()?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Ok(dir.join(format!("{}-{secs}.jsonl", slug(plan))))
}

/// `<journal without extension>.report/`.
fn report_beside(journal: &Path) -> PathBuf {
    journal.with_extension("report")
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "rollout".into() } else { s }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::rollout::journal::Record;

    const PLAN: &str = "name: t\ntarget: all\nsteps:\n  - show clock\n";

    fn config(dir: &Path) -> RolloutConfig {
        std::fs::write(dir.join("plan.yaml"), PLAN).unwrap();
        let inventory = "devices:\n  - {name: r1, host: 127.0.0.1}\n";
        std::fs::write(dir.join("inv.yaml"), inventory).unwrap();
        RolloutConfig {
            plan: dir.join("plan.yaml"),
            inventory: dir.join("inv.yaml"),
            resume: None,
            report: None,
            journal: Some(dir.join("j.jsonl")),
            truncate_journal: false,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            host_keys: HostKeyPolicy::Strict,
            known_hosts: None,
        }
    }

    /// What a resume cut off comes back as a note for the front end to print, never
    /// printed here; and the journal, report and connection follow the config.
    #[test]
    fn a_torn_journal_is_a_note_not_a_print() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        let journal = dir.path().join("j.jsonl");
        let first = prepare(&config, load(&config).unwrap(), |_| false, &mut Vec::new());
        let header = Record::Header {
            plan: "t".into(),
            plan_hash: journal::plan_hash(PLAN),
            waves: vec![vec!["r1".into()]],
            resumed: false,
        };
        first.unwrap().setup.journal.write(&header).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap();
        file.write_all(b"{\"ts\":\"half a li").unwrap();
        config.journal = None;
        config.resume = Some(journal.clone());
        let mut notes = Vec::new();
        let asked = |_: &ReplayError| panic!("a torn line is not foreign: nobody is asked");
        let prepared = prepare(&config, load(&config).unwrap(), asked, &mut notes).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("line 2 was cut short by a crash"),
            "{notes:?}"
        );
        assert_eq!(prepared.journal_path, journal);
        assert_eq!(
            prepared.setup.report_dir.as_deref(),
            Some(dir.path().join("j.report").as_path())
        );
        let ssh = &prepared.setup.connector.opts;
        assert_eq!(ssh.host_keys, HostKeyPolicy::Strict);
        assert_eq!(ssh.timeouts.auth, DEFAULT_TIMEOUT);
    }

    #[test]
    fn slugs_and_report_paths() {
        assert_eq!(slug("NTP servers (fra)"), "ntp-servers--fra");
        assert_eq!(slug("***"), "rollout");
        assert_eq!(
            report_beside(Path::new("/x/ntp-1.jsonl")),
            PathBuf::from("/x/ntp-1.report")
        );
    }
}
