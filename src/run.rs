//! Dispatch of the subcommands. Exit codes: 0 success (sweep: all up), 1 failure (sweep:
//! something is down), 2 usage or inventory errors.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use color_eyre::Result;

use crate::cli::{Cli, Command, DashboardArgs, SweepArgs};
use crate::demo::Demo;
use crate::engine::{Engine, limit};
use crate::fleet::FleetConfig;
use crate::headless::sweep;
use crate::inventory::{self, Inventory};

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
        Some(Command::Bench(args)) => crate::bench::run(args).await,
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
    // The demo's listeners live as long as `_demo`.
    let (inventory, _demo) = match &args.inventory {
        Some(path) => match load(path, args.limit.as_deref()) {
            Ok(inventory) => (inventory, None),
            Err(code) => return Ok(code),
        },
        None => {
            let demo = Demo::start().await?;
            let inventory = limit(demo.inventory.clone(), args.limit.as_deref());
            match inventory {
                Ok(inventory) => (inventory, Some(demo)),
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(ExitCode::from(USAGE));
                }
            }
        }
    };
    let title = inventory.source.clone();
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
        title,
        interval: args.probe.interval,
        read_only: args.read_only,
    };
    let engine = Engine::start(Arc::new(inventory), args.probe.sweep_config(None), fleet);
    let Engine {
        state,
        events,
        commands,
        sweeper: _sweeper,
    } = engine;
    crate::ui::run(state, events, commands, options).await?;
    Ok(ExitCode::SUCCESS)
}
