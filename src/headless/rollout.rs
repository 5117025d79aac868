//! `fleetdash rollout PLAN --inventory INV --headless --yes`: run a rollout without the
//! dashboard and print its progress as lines (or JSON lines with `--json`); `--dry-run`
//! prints the waves without connecting; `--resume JOURNAL` continues an interrupted rollout.
//!
//! While it runs, lines on stdin steer it: `p` pause, `r` resume, `a` abort, Enter (or `y`)
//! approves the next wave. Ctrl-C aborts (in-flight steps finish first). With stdin closed,
//! a `pause: manual` plan aborts at its first approval (nobody can give it).
//!
//! Exit status: 0 completed with every device done, 1 halted, aborted or fewer devices done
//! than planned (with the counts on stderr), 2 plan, inventory or usage errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde_json::json;
use tokio::sync::mpsc;

use super::exec::{HostKeys, ssh_options};
use crate::base::stdout;
use crate::base::text::{escape_json, escape_line};
use crate::cli::parse_duration;
use crate::exec::{Secrets, SshConnector};
use crate::inventory::Inventory;
use crate::probe::SweepConfig;
use crate::rollout::event::{CheckPhase, Control, Outcome, RolloutEvent, RunState, WaveInfo};
use crate::rollout::executor::{
    Finished, RolloutSetup, resume_waves, spawn_reachability, spawn_rollout,
};
use crate::rollout::journal::{self, OpenError, ReplayError, RolloutJournal, Tail};
use crate::rollout::plan::{Plan, dry_run};
use crate::rollout::waves::waves;

use crate::base::exit::USAGE;
use crate::base::paths::NoHome;
const DEFAULT_CONCURRENCY: usize = 20;
/// Must match the `--timeout` default below.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// Rollout plan (YAML).
    pub plan: PathBuf,
    /// Inventory file (YAML).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub inventory: PathBuf,
    /// Run without the dashboard, printing progress lines.
    #[arg(long)]
    pub headless: bool,
    /// Start without asking (required with --headless: nobody is there to confirm).
    #[arg(long)]
    pub yes: bool,
    /// Progress as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Print the waves and which devices fall into each, without connecting.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue the rollout this journal records (after a crash, halt or abort).
    #[arg(long, value_name = "JOURNAL")]
    pub resume: Option<PathBuf>,
    /// Where report.md and report.json go. Default: next to the journal.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Rollout journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/rollouts/.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub journal: Option<PathBuf>,
    /// With --resume: when lines fleetdash did not write follow the journal's last valid
    /// line, resume up to it and set them aside (JOURNAL.dropped) without asking.
    #[arg(long, requires = "resume")]
    pub truncate_journal: bool,
    /// Devices worked on at once within a wave.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_name = "N")]
    pub concurrency: usize,
    /// Timeout of each SSH stage (connect, handshake, auth, command).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// What to do with host keys no known_hosts file lists yet.
    #[arg(long, value_enum, default_value_t = HostKeys::AcceptNew)]
    pub host_keys: HostKeys,
    /// Check and learn host keys only in this known_hosts file.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
}

/// A rollout ready to start: everything checked, the journal open.
pub struct Prepared {
    pub setup: RolloutSetup<SshConnector>,
    pub journal_path: PathBuf,
}

/// What `run` does before it starts anything: read and check the plan and the inventory,
/// compute (or, resuming, replay) the waves, open the journal. `Ok(None)`: a dry run was
/// printed. `Err`: the message for a usage, plan or inventory error (exit status 2).
pub fn prepare(args: &RolloutArgs) -> Result<Option<Prepared>, String> {
    let text = Plan::read(&args.plan).map_err(|e| e.to_string())?;
    let plan = Arc::new(
        Plan::from_yaml(&text, &args.plan.display().to_string()).map_err(|e| e.to_string())?,
    );
    let inventory = Arc::new(Inventory::load(&args.inventory).map_err(|e| e.to_string())?);
    if let Some(file) = &args.known_hosts {
        crate::ssh::check_known_hosts_file(file)?;
    }
    if args.dry_run {
        stdout::print(&dry_run(&plan, &inventory).map_err(|e| e.to_string())?);
        return Ok(None);
    }
    let hash = journal::plan_hash(&text);
    let secrets = Secrets::from_inventory(&inventory);
    let (journal, resume, plan_waves, journal_path) = match &args.resume {
        Some(path) => {
            let confirm = |e: &ReplayError| confirm_dropping(e, path, args.truncate_journal);
            let (journal, replay) =
                RolloutJournal::resume(path, secrets.clone(), &plan.name, &hash, confirm).map_err(
                    |e| match e {
                        OpenError::Replay(e @ ReplayError::Garbage { .. }) => {
                            format!("{e}\n{}", drop_instruction(&e, path))
                        }
                        e => e.to_string(),
                    },
                )?;
            tell_what_was_cut(&replay, path);
            let w = resume_waves(&replay, &plan, &inventory)?;
            (journal, Some(replay), w, path.clone())
        }
        None => {
            let w = waves(&plan, &inventory).map_err(|e| e.to_string())?;
            let path = args
                .journal
                .clone()
                .map_or_else(|| default_journal(&plan.name), Ok)
                .map_err(|e| format!("no place for the journal: {e}, or use --journal FILE"))?;
            let journal =
                RolloutJournal::create(&path, secrets.clone()).map_err(|e| e.to_string())?;
            (journal, None, w, path)
        }
    };
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| report_beside(&journal_path));
    let setup = RolloutSetup {
        plan,
        plan_hash: hash,
        waves: plan_waves,
        inventory,
        connector: Arc::new(SshConnector::new(
            ssh_options(args.known_hosts.as_deref(), args.timeout, args.host_keys)
                .map_err(|e| e.to_string())?,
        )),
        journal: Arc::new(journal),
        secrets,
        resume,
        concurrency: args.concurrency,
        // The front end that runs it feeds reachability: the dashboard from its own probes,
        // the headless command from a sweeper of its own.
        reachability: None,
        report_dir: Some(report_dir),
        // Headless: `--yes` was the go. The dashboard asks on screen instead.
        approve_start: false,
    };
    Ok(Some(Prepared {
        setup,
        journal_path,
    }))
}

/// Whether to resume up to the last valid line when foreign lines follow it (`garbage`):
/// `--truncate-journal` says yes; else a person at a terminal is asked; nobody there: no.
fn confirm_dropping(garbage: &ReplayError, journal: &Path, flag: bool) -> bool {
    use std::io::IsTerminal;
    let asked = || {
        eprint!(
            "{garbage}\nResume up to the line before, and keep the rest in {}? [y/N] ",
            journal::dropped_path(journal).display()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok().map(|_| answer)
    };
    decide_dropping(flag, std::io::stdin().is_terminal(), asked)
}

/// [`confirm_dropping`]'s decision: the flag, else a `y` from a terminal.
fn decide_dropping(flag: bool, terminal: bool, ask: impl FnOnce() -> Option<String>) -> bool {
    if flag {
        return true;
    }
    terminal && ask().is_some_and(|a| matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
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

/// One line on stderr when a resume cut something off the journal.
fn tell_what_was_cut(replay: &journal::Replay, path: &Path) {
    let kept = journal::dropped_path(path);
    match &replay.tail {
        Tail::Clean => {}
        Tail::Torn { line } => eprintln!(
            "journal: line {line} was cut short by a crash and is ignored (kept in {})",
            kept.display()
        ),
        Tail::Garbage { line, lines, .. } => eprintln!(
            "journal: resuming up to line {}; {lines} line(s) from line {line} on are kept in {}",
            line - 1,
            kept.display()
        ),
    }
}

/// The headless front end (and `--dry-run`); without `--headless` the dashboard runs the
/// rollout instead (`crate::run`).
pub async fn run(args: RolloutArgs) -> color_eyre::Result<ExitCode> {
    if !args.yes && !args.dry_run {
        eprintln!(
            "error: refusing to start a rollout unattended: add --yes to confirm (or --dry-run first)"
        );
        return Ok(ExitCode::from(USAGE));
    }
    let prepared = match prepare(&args) {
        Ok(Some(prepared)) => prepared,
        Ok(None) => return Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    eprintln!("journal: {}", prepared.journal_path.display());
    let prepared_journal = prepared.journal_path.clone();
    let inventory = prepared.setup.inventory.clone();
    let (control, control_rx) = mpsc::channel(16);
    let (events, mut events_rx) = mpsc::channel::<RolloutEvent>(1024);
    let mut setup = prepared.setup;
    // "Stops answering after its change" needs probes; the dashboard has its own.
    let _sweeper;
    if setup.plan.unreachable_is_failure {
        let devices: Vec<usize> = setup.waves.iter().flat_map(|w| w.devices.clone()).collect();
        let (reach, sweeper) =
            spawn_reachability(&setup.inventory, &devices, SweepConfig::default());
        _sweeper = sweeper;
        setup.reachability = Some(reach);
    }
    let handle = spawn_rollout(setup, control_rx, events);
    let approvals = Arc::new(Approvals::default());
    let (stdin_control, stdin_approvals) = (control.clone(), approvals.clone());
    std::thread::spawn(move || steer_from_stdin(stdin_control, &stdin_approvals));
    tokio::spawn(abort_on_ctrl_c(control.clone()));
    let printer = Printer {
        inventory,
        json: args.json,
    };
    while let Some(event) = events_rx.recv().await {
        // Nobody reading stdout any more is no reason to leave devices half changed:
        // the rollout carries on (journal and report record it) and ends as usual.
        if let Some(line) = printer.line(&event) {
            stdout::println(&line);
        }
        if let RolloutEvent::Overall { state, .. } = &event
            && approvals.waiting(*state == RunState::WaitingApproval)
        {
            let _ = control.send(Control::Abort).await;
        }
    }
    let finished = handle.await?;
    if let Some(shortfall) = finished.shortfall() {
        eprintln!("rollout {}: {shortfall}", finished.outcome.as_str());
    }
    if finished.outcome != Outcome::Completed {
        let resume = resume_command(&args, &prepared_journal);
        eprintln!("to carry on: {resume}");
    }
    Ok(exit_code(&finished))
}

/// The command that carries this rollout on from `journal`, with the flags that shape how
/// it connects and reports (so host keys are checked the same way the second time).
pub fn resume_command(args: &RolloutArgs, journal: &Path) -> String {
    let mut words = vec![
        "fleetdash rollout".to_string(),
        shell_word(&args.plan.display().to_string()),
        format!(
            "--inventory {}",
            shell_word(&args.inventory.display().to_string())
        ),
    ];
    if let Some(file) = &args.known_hosts {
        words.push(format!(
            "--known-hosts {}",
            shell_word(&file.display().to_string())
        ));
    }
    if args.host_keys == HostKeys::Strict {
        words.push("--host-keys strict".into());
    }
    if let Some(dir) = &args.report {
        words.push(format!(
            "--report {}",
            shell_word(&dir.display().to_string())
        ));
    }
    if args.concurrency != DEFAULT_CONCURRENCY {
        words.push(format!("--concurrency {}", args.concurrency));
    }
    if args.timeout != DEFAULT_TIMEOUT {
        words.push(format!(
            "--timeout {}",
            crate::base::duration::format(args.timeout)
        ));
    }
    if args.headless {
        words.push("--headless --yes".into());
    }
    words.push(format!(
        "--resume {}",
        shell_word(&journal.display().to_string())
    ));
    words.join(" ")
}

/// `text` as one shell word: as is when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-:@%+=,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// 0 when it completed with every device done; 1 when it halted or was aborted, or changed
/// fewer devices than planned (`on_fail: continue` carries on past failures, but a script
/// must still learn of them).
pub fn exit_code(finished: &Finished) -> ExitCode {
    match finished.outcome {
        Outcome::Completed if finished.shortfall().is_none() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
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

/// Whether the rollout waits for an approval and whether stdin can still give one. When
/// both hold, nobody can approve: the rollout is aborted rather than left waiting forever.
#[derive(Default)]
struct Approvals(std::sync::Mutex<(bool, bool)>);

impl Approvals {
    /// Records whether an approval is awaited; true when it can never come.
    fn waiting(&self, waiting: bool) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = waiting;
        let hopeless = s.0 && s.1;
        if hopeless {
            eprintln!("stdin is closed: nobody can approve the next wave, aborting");
        }
        hopeless
    }

    /// Records that stdin is closed; true when an approval is awaited.
    fn closed(&self) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.1 = true;
        s.0
    }
}

/// Lines on stdin as controls. A plain thread: blocking reads of stdin must not hold a
/// runtime worker, and it dies with the process.
fn steer_from_stdin(control: mpsc::Sender<Control>, approvals: &Approvals) {
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let ctl = match line.trim() {
            "" | "y" | "yes" | "approve" => Control::Approve,
            "p" | "pause" => Control::Pause,
            "r" | "resume" => Control::Resume,
            "a" | "abort" => Control::Abort,
            other => {
                eprintln!(
                    "unknown input `{}`: p pause, r resume, a abort, Enter approve",
                    crate::base::text::Untrusted(other)
                );
                continue;
            }
        };
        if control.blocking_send(ctl).is_err() {
            return;
        }
    }
    if approvals.closed() {
        eprintln!("stdin is closed: nobody can approve the next wave, aborting");
        let _ = control.blocking_send(Control::Abort);
    }
}

async fn abort_on_ctrl_c(control: mpsc::Sender<Control>) {
    while tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("aborting: in-flight steps finish first (the journal records everything)");
        if control.send(Control::Abort).await.is_err() {
            return;
        }
    }
}

/// Turns events into progress lines.
struct Printer {
    inventory: Arc<Inventory>,
    json: bool,
}

impl Printer {
    fn name(&self, id: usize) -> &str {
        self.inventory
            .devices
            .get(id)
            .map_or("?", |d| d.name.as_str())
    }

    /// One printed line. Names, commands and reasons come from files and devices: the whole
    /// line is escaped, so none of them can drive the terminal or start a line of its own.
    fn line(&self, event: &RolloutEvent) -> Option<String> {
        if self.json {
            Some(escape_json(&self.json_line(event).to_string()))
        } else {
            self.text_line(event).map(|line| escape_line(&line))
        }
    }

    fn names(&self, w: &WaveInfo) -> Vec<&str> {
        w.devices.iter().map(|&d| self.name(d)).collect()
    }

    fn text_line(&self, event: &RolloutEvent) -> Option<String> {
        Some(match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => {
                let verb = if *resumed { "resuming" } else { "starting" };
                let shape: Vec<String> =
                    waves.iter().map(|w| w.devices.len().to_string()).collect();
                format!(
                    "{verb} rollout `{plan}`: {} wave(s) [{}]",
                    waves.len(),
                    shape.join(", ")
                )
            }
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => match reason {
                Some(r) => format!("{}: {} ({r})", self.name(*device), state.label()),
                None => format!("{}: {}", self.name(*device), state.label()),
            },
            RolloutEvent::Step { .. } => return None,
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                ..
            } => {
                let phase = match phase {
                    CheckPhase::Pre => "pre-check",
                    CheckPhase::Post => "post-check",
                };
                let verdict = if *passed { "passed" } else { "FAILED" };
                format!("{}: {phase} `{name}` {verdict}", self.name(*device))
            }
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => match reason {
                Some(r) => format!("wave {}: {} ({r})", wave + 1, state.label()),
                None => format!("wave {}: {}", wave + 1, state.label()),
            },
            RolloutEvent::Overall { state, reason } => match reason {
                Some(r) => format!("rollout: {} ({r})", state.label()),
                None => format!("rollout: {}", state.label()),
            },
            RolloutEvent::Log { device, text } => match device {
                Some(d) => format!("{}: {text}", self.name(*d)),
                None => text.clone(),
            },
            RolloutEvent::Finished { outcome, report } => match report {
                Some(p) => format!("finished: {} — report {}", outcome.as_str(), p.display()),
                None => format!("finished: {}", outcome.as_str()),
            },
        })
    }

    fn json_line(&self, event: &RolloutEvent) -> serde_json::Value {
        match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => json!({
                "event": "started", "plan": plan, "resumed": resumed,
                "waves": waves.iter().map(|w| json!({
                    "index": w.index, "kind": w.kind, "devices": self.names(w),
                })).collect::<Vec<_>>(),
            }),
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => json!({
                "event": "device", "device": self.name(*device), "state": state, "reason": reason,
            }),
            RolloutEvent::Step { device, step } => json!({
                "event": "step", "device": self.name(*device), "step": step,
            }),
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                output,
            } => json!({
                "event": "check", "device": self.name(*device), "phase": phase, "name": name,
                "passed": passed, "output": output,
            }),
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => json!({"event": "wave", "wave": wave, "state": state, "reason": reason}),
            RolloutEvent::Overall { state, reason } => {
                json!({"event": "rollout", "state": state, "reason": reason})
            }
            RolloutEvent::Log { device, text } => json!({
                "event": "log", "device": device.map(|d| self.name(d)), "text": text,
            }),
            RolloutEvent::Finished { outcome, report } => json!({
                "event": "finished", "outcome": outcome, "report": report,
            }),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_resume_command_keeps_the_flags_that_matter() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: RolloutArgs,
        }
        let parse =
            |line: &[&str]| Cli::parse_from(std::iter::once("x").chain(line.iter().copied())).args;
        let args = parse(&[
            "my plan.yaml",
            "-i",
            "inv.yaml",
            "--known-hosts",
            "/k/kh",
            "--host-keys",
            "strict",
            "--concurrency",
            "5",
        ]);
        assert_eq!(
            resume_command(&args, Path::new("/s/j.jsonl")),
            "fleetdash rollout 'my plan.yaml' --inventory inv.yaml --known-hosts /k/kh \
             --host-keys strict --concurrency 5 --resume /s/j.jsonl"
        );
        let args = parse(&[
            "p.yaml",
            "-i",
            "inv.yaml",
            "--headless",
            "--yes",
            "--timeout",
            "5s",
        ]);
        assert_eq!(
            resume_command(&args, Path::new("j")),
            "fleetdash rollout p.yaml --inventory inv.yaml --timeout 5s --headless --yes --resume j"
        );
    }

    use super::*;

    /// Plan names, check names, reasons and log text come from files and devices: no
    /// printed line, text or JSON, can drive the terminal or forge another line.
    #[test]
    fn hostile_event_text_is_escaped() {
        use crate::base::text::hostile::{SAMPLES, assert_inert};
        use crate::rollout::event::DeviceState;
        let inventory =
            Inventory::from_yaml("devices:\n  - {name: r1, host: 127.0.0.1}\n", "t").unwrap();
        for json in [false, true] {
            let printer = Printer {
                inventory: Arc::new(inventory.clone()),
                json,
            };
            for hostile in SAMPLES {
                let s = hostile.to_string();
                let events = [
                    RolloutEvent::Started {
                        plan: s.clone(),
                        waves: vec![],
                        resumed: false,
                    },
                    RolloutEvent::Device {
                        device: 0,
                        state: DeviceState::Failed,
                        reason: Some(s.clone()),
                    },
                    RolloutEvent::Check {
                        device: 0,
                        phase: CheckPhase::Post,
                        name: s.clone(),
                        passed: false,
                        output: s.clone(),
                    },
                    RolloutEvent::Overall {
                        state: RunState::Halted,
                        reason: Some(s.clone()),
                    },
                    RolloutEvent::Log {
                        device: Some(0),
                        text: s.clone(),
                    },
                ];
                for event in &events {
                    let line = printer.line(event).unwrap();
                    assert_inert(&format!("{event:?}"), &line);
                    assert!(!line.contains('\n'), "one line: {line}");
                }
            }
        }
    }

    #[test]
    fn foreign_lines_are_dropped_only_with_the_flag_or_a_yes_at_a_terminal() {
        for (flag, terminal, answer, dropped) in [
            (true, false, None, true),
            (true, true, Some("\n"), true),
            (false, true, Some("y\n"), true),
            (false, true, Some(" YES \n"), true),
            (false, true, Some("\n"), false),
            (false, true, Some("n\n"), false),
            // A terminal that closed before answering.
            (false, true, None, false),
            // Nobody there: never asked, never dropped.
            (false, false, Some("y\n"), false),
        ] {
            let asked = std::cell::Cell::new(false);
            let ask = || {
                asked.set(true);
                answer.map(str::to_string)
            };
            assert_eq!(decide_dropping(flag, terminal, ask), dropped);
            assert_eq!(asked.get(), !flag && terminal);
        }
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
