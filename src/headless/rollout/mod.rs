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

mod print;
mod resume;
mod steer;

use std::process::ExitCode;
use std::sync::Arc;

use crate::base::stdout;
use crate::engine::{Engine, EngineConfig, Probes};
use crate::fleet::Event;
use crate::rollout::event::{Control, Outcome, RolloutEvent, RunState};
use crate::rollout::executor::Finished;
use crate::rollout::prepare::{self, Loaded, Prepared, RolloutConfig};

pub use print::Printer;
pub use resume::resume_command;
use steer::{Approvals, abort_on_ctrl_c, confirm_dropping, steer_from_stdin};

use crate::base::exit::USAGE;

/// `fleetdash rollout`: which rollout, and how this front end runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutJob {
    pub config: RolloutConfig,
    /// Without the dashboard, printing progress lines.
    pub headless: bool,
    /// Start without asking (required headless: nobody is there to confirm).
    pub yes: bool,
    /// Progress as JSON lines.
    pub json: bool,
    /// Print the waves without connecting.
    pub dry_run: bool,
    /// Record the rollout (and probes, runs, notices) to this file.
    pub record: Option<std::path::PathBuf>,
    /// Serve Prometheus metrics while it runs (`--metrics`).
    pub metrics: Option<crate::metrics::MetricsConfig>,
}

/// The headless front end (and `--dry-run`); without `--headless` the dashboard runs the
/// rollout instead (`crate::run`).
pub async fn run(job: RolloutJob) -> color_eyre::Result<ExitCode> {
    if !job.yes && !job.dry_run {
        eprintln!(
            "error: refusing to start a rollout unattended: add --yes to confirm (or --dry-run first)"
        );
        return Ok(ExitCode::from(USAGE));
    }
    let config = &job.config;
    let loaded = match prepare::load(config) {
        Ok(loaded) => loaded,
        Err(e) => return Ok(usage(&e)),
    };
    if job.dry_run {
        let text = match super::dry_run::dry_run(&loaded.plan, &loaded.inventory) {
            Ok(text) => text,
            Err(e) => return Ok(usage(&e.to_string())),
        };
        stdout::print(&text);
        return Ok(ExitCode::SUCCESS);
    }
    let prepared = match prepare_here(config, loaded) {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let setup = prepared.setup;
    let inventory = setup.inventory.clone();
    let exporter = match super::bind_metrics(job.metrics.as_ref(), &inventory).await {
        Ok(exporter) => exporter,
        Err(code) => return Ok(code),
    };
    eprintln!("journal: {}", prepared.journal_path.display());
    // "Stops answering after its change" needs probes, of the rollout's devices only.
    let probes = setup.plan.unreachable_is_failure.then(|| Probes {
        only: Some(setup.waves.iter().flat_map(|w| w.devices.clone()).collect()),
        via_bastion: Some(crate::probe::ViaBastion::new(
            &inventory,
            setup.connector.opts.clone(),
        )),
        ..Probes::default()
    });
    let config = EngineConfig {
        probes,
        ..EngineConfig::default()
    };
    let tap = match crate::record::open_for(job.record.as_deref(), "rollout", &inventory) {
        Ok(tap) => tap,
        Err(code) => return Ok(code),
    };
    let builder = Engine::builder(inventory.clone(), config).rollout(setup);
    let builder = super::with_metrics(builder, exporter.as_ref());
    let mut engine = crate::record::attach(builder, tap).start();
    let control = engine.control.clone().expect("the rollout was started");
    let mut task = engine
        .workers
        .rollout
        .take()
        .expect("the rollout was started");
    let approvals = Arc::new(Approvals::default());
    let (stdin_control, stdin_approvals) = (control.clone(), approvals.clone());
    std::thread::spawn(move || steer_from_stdin(stdin_control, &stdin_approvals));
    tokio::spawn(abort_on_ctrl_c(control.clone()));
    let printer = Printer {
        inventory,
        json: job.json,
    };
    let finished = loop {
        let mut hopeless = false;
        let mut see = |event: &Event| hopeless |= show(&printer, &approvals, event);
        tokio::select! {
            folded = engine.next_batch(&mut see) => if folded.is_none() {
                break (&mut task).await;
            },
            finished = &mut task => {
                // Its last events are queued already.
                while engine.drain(&mut see) > 0 {}
                break finished;
            }
        }
        if hopeless {
            let _ = control.send(Control::Abort).await;
        }
    };
    let finished = finished?;
    if let Some(shortfall) = finished.shortfall() {
        eprintln!("rollout {}: {shortfall}", finished.outcome.as_str());
    }
    if finished.outcome != Outcome::Completed {
        let resume = resume_command(&job, &prepared.journal_path);
        eprintln!("to carry on: {resume}");
    }
    if let Some(exporter) = &exporter {
        exporter.linger().await;
    }
    Ok(exit_code(&finished))
}

/// [`prepare::prepare`] for a front end run by a person: asks at a terminal whether to set
/// foreign journal lines aside, prints the notes, and on error prints it and gives the exit
/// status (2).
pub fn prepare_here(config: &RolloutConfig, loaded: Loaded) -> Result<Prepared, ExitCode> {
    let resume = config.resume.clone().unwrap_or_default();
    let confirm = |e: &_| confirm_dropping(e, &resume);
    let mut notes = Vec::new();
    let prepared = prepare::prepare(config, loaded, confirm, &mut notes);
    for note in notes {
        eprintln!("{note}");
    }
    prepared.map_err(|e| usage(&e))
}

/// Prints a rollout event's line; true when it waits for an approval nobody can give.
fn show(printer: &Printer, approvals: &Approvals, event: &Event) -> bool {
    let Event::Rollout(event) = event else {
        return false;
    };
    // Nobody reading stdout any more is no reason to leave devices half changed: the
    // rollout carries on (journal and report record it) and ends as usual.
    if let Some(line) = printer.line(event) {
        stdout::println(&line);
    }
    matches!(event, RolloutEvent::Overall { state, .. }
        if approvals.waiting(*state == RunState::WaitingApproval))
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE)
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
