//! Dispatch of the subcommands. Exit codes: 0 success (sweep: all up), 1 failure (sweep:
//! something is down), 2 usage or inventory errors.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use color_eyre::Result;

use crate::cli::{Cli, Command, DashboardArgs, SweepArgs};
use crate::demo::Demo;
use crate::engine::{Engine, ExecSetup, limit};
use crate::exec::journal::{self, Journal};
use crate::exec::{ExecConfig, Secrets};
use crate::fleet::FleetConfig;
use crate::headless::sweep;
use crate::inventory::{self, Inventory};
use crate::ssh::{HostKeyPolicy, SshOptions};

/// Exit code for usage and inventory errors (clap uses 2 too).
const USAGE: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => dashboard(cli.dashboard).await,
        Some(Command::Check { inventory }) => Ok(match load(&inventory, None) {
            Ok(inv) => {
                print!("{}", inventory::summary(&inv));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Some(Command::Sweep(args)) => sweep_command(args).await,
        Some(Command::Exec(args)) => crate::headless::exec::run(args).await,
        Some(Command::Rollout(args)) => crate::headless::rollout::run(args).await,
        Some(Command::Bench(args)) => crate::bench::run(args).await,
        Some(Command::Lab(args)) => crate::lab::run(args).await.map(|()| ExitCode::SUCCESS),
    }
}

/// Loads and narrows an inventory; on error prints it and returns the exit code.
fn load(path: &Path, pattern: Option<&str>) -> Result<Inventory, ExitCode> {
    let inventory = Inventory::load(path).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(USAGE)
    })?;
    limit(inventory, pattern).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(USAGE)
    })
}

async fn sweep_command(args: SweepArgs) -> Result<ExitCode> {
    let inventory = match load(&args.inventory, args.limit.as_deref()) {
        Ok(inventory) => inventory,
        Err(code) => return Ok(code),
    };
    let state = sweep::run(inventory, args.probe.sweep_config(Some(args.count))).await;
    let rows = sweep::rows(&state);
    if args.json {
        print!("{}", sweep::json_lines(&rows));
    } else {
        print!("{}", sweep::table(&rows));
    }
    let all_up = rows.iter().all(|row| row.state == "up");
    Ok(if all_up {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn dashboard(args: DashboardArgs) -> Result<ExitCode> {
    let mut ssh = SshOptions::default();
    // The demo lab lives as long as `_demo`.
    let (inventory, _demo) = match &args.inventory {
        Some(path) => match load(path, args.limit.as_deref()) {
            Ok(inventory) => (inventory, None),
            Err(code) => return Ok(code),
        },
        None => {
            let demo = Demo::start().await?;
            ssh = demo.ssh_options()?;
            match limit(demo.inventory.clone(), args.limit.as_deref()) {
                Ok(inventory) => (inventory, Some(demo)),
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(ExitCode::from(USAGE));
                }
            }
        }
    };
    if args.strict_host_keys {
        ssh.host_keys = HostKeyPolicy::Strict;
    }
    let journal = match open_journal(args.journal.as_deref(), &inventory) {
        Ok(journal) => journal,
        Err(code) => return Ok(code),
    };
    let exec = ExecSetup {
        config: ExecConfig {
            concurrency: args.concurrency.max(1),
            poll_interval: args.poll,
            journal: Some(Arc::new(journal)),
            ..ExecConfig::default()
        },
        ssh,
    };
    let fleet = FleetConfig {
        down_after: args.down_after,
        up_after: args.up_after,
        ..FleetConfig::default()
    };
    if let Some(after) = args.panic_in_task_after {
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            panic!("deliberate panic in a background task (--panic-in-task-after)");
        });
    }
    let options = crate::ui::Options {
        title: inventory.source.clone(),
        interval: args.probe.interval,
        read_only: args.read_only,
    };
    let sweep = args.probe.sweep_config(None);
    let engine = Engine::start(Arc::new(inventory), sweep, fleet, Some(exec));
    let Engine {
        state,
        events,
        commands,
        workers: _workers,
    } = engine;
    let wires = crate::ui::Wires {
        commands,
        rollout: None,
        reachability: None,
    };
    crate::ui::run(state, events, wires, options).await?;
    Ok(ExitCode::SUCCESS)
}

/// The audit journal at `path` or the default place; on error prints it and returns the
/// exit code (no journal, no commands: an unrecorded command is worse than none).
fn open_journal(path: Option<&Path>, inventory: &Inventory) -> Result<Journal, ExitCode> {
    let Some(path) = path.map(Path::to_path_buf).or_else(journal::default_path) else {
        eprintln!("error: no place for the audit journal (set HOME or use --journal FILE)");
        return Err(ExitCode::from(USAGE));
    };
    Journal::open(&path, Secrets::from_inventory(inventory)).map_err(|err| {
        eprintln!(
            "error: cannot open the audit journal {}: {err}",
            path.display()
        );
        ExitCode::from(USAGE)
    })
}
