//! Dispatch of the subcommands. Exit codes: 0 success (sweep: all up), 1 failure (sweep:
//! something is down), 2 usage or inventory errors.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::Result;

use crate::base::stdout;
use crate::cli::{Cli, Command, DashboardArgs, SweepArgs};
use crate::demo::Demo;
use crate::engine::{Engine, EngineConfig, ExecSetup, JobsSetup, Probes, limit};
use crate::exec::journal::{self, Journal};
use crate::exec::{ExecConfig, Secrets, SshConnector};
use crate::fleet::FleetConfig;
use crate::headless::rollout::{self, RolloutJob};
use crate::headless::sweep;
use crate::inventory::{self, Inventory};
use crate::probe::ViaBastion;
use crate::rollout::event::Outcome;
use crate::rollout::executor::RolloutSetup;
use crate::rollout::prepare;
use crate::ssh::ssh_config::SshConfig;
use crate::ssh::{BastionLimits, Bastions, HostKeyPolicy, SshOptions};
use crate::ui::Ended;

use crate::base::exit::USAGE;

/// The async runtime of a command (`None`: the dashboard); the benches use it too.
///
/// Most get a worker thread per core, the dashboard's loop on the main thread (`block_on`),
/// so it never waits behind the workers. Measured for the dashboard at rest, 10,000
/// devices, whole process: one worker 2.4 % of a core, two 2.2–2.7 % (within the noise); a
/// current-thread runtime no clearer, and it would put the sweeper's receive loop behind
/// every frame. Not worth halving SSH work.
///
/// `sweep` runs on the main thread alone: its work is one loop, and the kernel's (which on
/// loopback answers inside our send calls). An idle second worker was woken by nearly
/// every reply: 10,000 devices took 2,000 context switches and 67 ms end to end, 51 ms on
/// one thread (`benches/sweep_e2e.sh`).
pub fn runtime(command: Option<&Command>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Some(Command::Sweep(_)) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    // Beats fall on the runtime clock's own 64 ms boundaries: see `base::beat`.
    crate::base::beat::start();
    builder.enable_all().build()
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(theme) = cli.look.theme {
        crate::ui::theme::choose(theme.into());
    }
    // The user's platform files count for every command; a bad one is a user error.
    if let Err(err) = crate::platforms::install_user_platforms() {
        eprintln!("error: {err}");
        return Ok(ExitCode::from(USAGE));
    }
    // Commands that reach devices (and check, which shows what ssh_config gives) read the
    // OpenSSH client configuration once, before anything connects.
    let ssh_config = match &cli.command {
        Some(
            Command::Bench(_)
            | Command::Lab(_)
            | Command::Platforms { .. }
            | Command::Replay(_)
            | Command::Report { .. },
        ) => SshConfig::empty(),
        _ => match SshConfig::load(&cli.ssh_config.sources()) {
            Ok(config) => Arc::new(config),
            Err(err) => {
                eprintln!("error: {err}");
                return Ok(ExitCode::from(USAGE));
            }
        },
    };
    crate::ssh::install_ssh_config(ssh_config.clone());
    match cli.command {
        None => dashboard(cli.dashboard).await,
        Some(Command::Check { inventory, format }) => Ok(
            match crate::platforms::load_inventory_as(&inventory, format) {
                Ok(inv) => {
                    stdout::print(&inventory::check_report(&inv));
                    stdout::print(&crate::ssh::ssh_config::check_lines(&inv, &ssh_config));
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("error: {err}");
                    ExitCode::from(USAGE)
                }
            },
        ),
        Some(Command::Sweep(args)) => sweep_command(args).await,
        Some(Command::Serve(args)) => {
            let job = crate::headless::serve::ServeJob {
                sweep: args.probe.sweep_config(None),
                fleet: FleetConfig {
                    down_after: args.down_after,
                    up_after: args.up_after,
                    ..FleetConfig::default()
                },
                metrics: args.metrics.config(),
                record: args.record.record,
                inventory: args.inventory,
                limit: args.limit,
            };
            crate::headless::serve::run(job).await
        }
        Some(Command::Exec(args)) => crate::headless::exec::run(args.into()).await,
        Some(Command::Rollout(args)) => {
            let job = RolloutJob::from(args);
            match job.headless || job.dry_run {
                true => rollout::run(job).await,
                false => rollout_dashboard(job).await,
            }
        }
        Some(Command::Backup(args)) => crate::headless::backup::run(args.into()).await,
        Some(Command::Cabling(args)) => crate::headless::cabling::run(args.into()).await,
        Some(Command::Discover(args)) => crate::headless::discover::run(args.into()).await,
        Some(Command::Detect(args)) => crate::headless::detect::run(args.into()).await,
        Some(Command::Platforms { json }) => {
            let r = crate::platforms::registry();
            stdout::print(&match json {
                true => crate::headless::platforms::json_lines(r),
                false => crate::headless::platforms::table(r),
            });
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Bench(args)) => crate::bench::run(args.devices).await,
        Some(Command::Replay(args)) => crate::ui::replay::run(&args.file, args.utc).await,
        Some(Command::Report { file, json }) => Ok(crate::headless::report::run(&file, json)),
        Some(Command::Lab(args)) => crate::lab::run(args.into())
            .await
            .map(|()| ExitCode::SUCCESS),
    }
}

/// Loads and narrows an inventory; on error prints it and returns the exit code.
fn load(path: &Path, pattern: Option<&str>) -> Result<Inventory, ExitCode> {
    let inventory = crate::platforms::load_inventory(path).map_err(|err| {
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
    let tap = match crate::record::open_for(args.record.record.as_deref(), "sweep", &inventory) {
        Ok(tap) => tap,
        Err(code) => return Ok(code),
    };
    let exporter =
        match crate::headless::bind_metrics(args.metrics.config().as_ref(), &inventory).await {
            Ok(exporter) => exporter,
            Err(code) => return Ok(code),
        };
    // `--count 0`: until SIGINT or SIGTERM.
    let count = (args.count > 0).then_some(args.count);
    let sweep_config = args.probe.sweep_config(count);
    let state = sweep::run_with(inventory, sweep_config, |b| {
        crate::record::attach(crate::headless::with_metrics(b, exporter.as_ref()), tap)
    })
    .await;
    let rows = sweep::rows(&state);
    // A closed stdout (`| head -1`) ends the output quietly; the status stays the same.
    stdout::print(&match args.json {
        true => sweep::json_lines(&rows),
        false => sweep::table(&rows),
    });
    let all_up = rows.iter().all(|row| row.state == "up");
    drop(rows);
    // The process ends next: freeing every device's state one by one would only delay it.
    std::mem::forget(state);
    if let (Some(exporter), Some(_)) = (&exporter, count) {
        exporter.linger().await;
    }
    Ok(if all_up {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn dashboard(args: DashboardArgs) -> Result<ExitCode> {
    let mut ssh = match SshOptions::for_user() {
        Ok(ssh) => ssh,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    // The demo lab lives as long as `_demo`.
    let (inventory, _demo) = match &args.inventory {
        Some(path) => match load(path, None) {
            Ok(full) => {
                // Named jump hosts resolve in the whole inventory, also outside `--limit`.
                ssh.bastions = Bastions::new(&full, BastionLimits::default());
                match limit(full, args.limit.as_deref()) {
                    Ok(inventory) => (inventory, None),
                    Err(err) => {
                        eprintln!("error: {err}");
                        return Ok(ExitCode::from(USAGE));
                    }
                }
            }
            Err(code) => return Ok(code),
        },
        None => {
            let demo = Demo::start().await?;
            ssh = demo.ssh_options();
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
    let metrics = args.metrics.config();
    let exporter = match crate::headless::bind_metrics(metrics.as_ref(), &inventory).await {
        Ok(exporter) => exporter,
        Err(code) => return Ok(code),
    };
    let via_bastion = ViaBastion::new(&inventory, ssh.clone());
    let exec = ExecSetup {
        config: ExecConfig {
            concurrency: args.concurrency.max(1),
            poll_interval: args.poll,
            journal: Some(Arc::new(journal)),
            ..ExecConfig::default()
        },
        connector: SshConnector::new(ssh),
    };
    let config = EngineConfig {
        fleet: FleetConfig {
            down_after: args.down_after,
            up_after: args.up_after,
            ..FleetConfig::default()
        },
        probes: Some(Probes {
            sweep: args.probe.sweep_config(None),
            only: None,
            via_bastion: Some(via_bastion),
        }),
        jobs: JobsSetup {
            backup_dir: args.backup_dir.clone(),
            detected: Arc::new(
                crate::base::paths::detected_platforms()
                    .map(|p| crate::ssh::detect::Cache::load(&p))
                    .unwrap_or_default(),
            ),
            ..JobsSetup::default()
        },
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
        utc: args.utc,
    };
    let recording = match dashboard_recorder(&args, &inventory) {
        Ok(recording) => recording,
        Err(code) => return Ok(code),
    };
    let inventory = Arc::new(inventory);
    let builder = Engine::builder(inventory.clone(), config).exec(exec);
    // Reachability from other vantage points, polled beside the local probes.
    let _remote = args.from_prometheus.map(|url| {
        let config = crate::metrics::remote::RemoteConfig {
            url,
            query: args.query.clone(),
            interval: args.prometheus_interval,
            timeout: args.prometheus_interval.max(Duration::from_secs(5)),
        };
        crate::metrics::remote::spawn(config, inventory.clone(), builder.sender())
    });
    let builder = crate::headless::with_metrics(builder, exporter.as_ref());
    let mut engine = crate::record::attach(builder, recording).start();
    Ok(match crate::ui::run(&mut engine, options).await? {
        Ended::Quit => ExitCode::SUCCESS,
        Ended::Signal(signo) => ExitCode::from(crate::base::exit::signal(signo)),
    })
}

/// The dashboard's recorder: `--record FILE` (a file in use is an error), else the
/// default recording in the state directory (in use by another dashboard, or no state
/// directory: a warning, and no recording), or none with `--no-record`.
fn dashboard_recorder(
    args: &DashboardArgs,
    inventory: &Inventory,
) -> Result<Option<Box<dyn crate::fleet::Tap>>, ExitCode> {
    if args.no_record {
        return Ok(None);
    }
    if args.record.is_some() {
        return crate::record::open_for(args.record.as_deref(), "dashboard", inventory);
    }
    let opened = crate::base::paths::recording()
        .map_err(|e| e.to_string())
        .and_then(|path| crate::record::recorder(&path, "dashboard", inventory));
    match opened {
        Ok(tap) => Ok(Some(tap)),
        Err(why) => {
            eprintln!("warning: not recording this window: {why} (or pass --record FILE)");
            Ok(None)
        }
    }
}

/// `fleetdash rollout PLAN --inventory INV` without `--headless`: the rollout runs inside
/// the dashboard, beside the probes (whose reachability it watches) and the `:` commands.
async fn rollout_dashboard(job: RolloutJob) -> Result<ExitCode> {
    let config = &job.config;
    let loaded = match prepare::load(config) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let prepared = match rollout::prepare_here(config, loaded) {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let inventory = prepared.setup.inventory.clone();
    let journal = match open_journal(None, &inventory) {
        Ok(journal) => journal,
        Err(code) => return Ok(code),
    };
    let exporter = match crate::headless::bind_metrics(job.metrics.as_ref(), &inventory).await {
        Ok(exporter) => exporter,
        Err(code) => return Ok(code),
    };
    let exec = ExecSetup {
        config: ExecConfig {
            journal: Some(Arc::new(journal)),
            ..ExecConfig::default()
        },
        connector: SshConnector::new(prepared.setup.connector.opts.clone()),
    };
    let options = crate::ui::Options {
        title: format!("{} · {}", config.plan.display(), inventory.source),
        interval: Duration::from_secs(1),
        read_only: false,
        utc: false,
    };
    let setup = RolloutSetup {
        approve_start: true,
        ..prepared.setup
    };
    // The rollout watches the same probes the tiles show.
    let config = EngineConfig {
        probes: Some(Probes {
            via_bastion: Some(ViaBastion::new(&inventory, setup.connector.opts.clone())),
            ..Probes::default()
        }),
        ..EngineConfig::default()
    };
    let tap = match crate::record::open_for(job.record.as_deref(), "rollout", &inventory) {
        Ok(tap) => tap,
        Err(code) => return Ok(code),
    };
    let builder = Engine::builder(inventory, config).exec(exec).rollout(setup);
    let builder = crate::headless::with_metrics(builder, exporter.as_ref());
    let mut engine = crate::record::attach(builder, tap).start();
    let ended = crate::ui::run(&mut engine, options).await?;
    let workers = engine.workers;
    let resume = rollout::resume_command(&job, &prepared.journal_path);
    if let Ended::Signal(signo) = ended {
        // After SIGHUP the terminal may be gone: a failed write must not panic.
        let mut err = std::io::stderr();
        let journal = prepared.journal_path.display();
        let _ = writeln!(err, "rollout interrupted by a signal; journal: {journal}");
        let _ = writeln!(err, "to carry on: {resume}");
        return Ok(ExitCode::from(crate::base::exit::signal(signo)));
    }
    match workers.rollout {
        Some(task) if task.is_finished() => {
            let finished = task.await?;
            if let Some(report) = &finished.report {
                eprintln!(
                    "rollout {}; report: {}",
                    finished.outcome.as_str(),
                    report.display()
                );
            }
            if let Some(shortfall) = finished.shortfall() {
                eprintln!("rollout {}: {shortfall}", finished.outcome.as_str());
            }
            if finished.outcome != Outcome::Completed {
                eprintln!("to carry on: {resume}");
            }
            Ok(rollout::exit_code(&finished))
        }
        _ => {
            eprintln!(
                "rollout interrupted; journal: {}",
                prepared.journal_path.display()
            );
            eprintln!("to carry on: {resume}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The audit journal at `path` or the default place; on error prints it and returns the
/// exit code (no journal, no commands: an unrecorded command is worse than none).
fn open_journal(path: Option<&Path>, inventory: &Inventory) -> Result<Journal, ExitCode> {
    journal::open_audit(path, Secrets::from_inventory(inventory)).map_err(|why| {
        eprintln!("error: {why}");
        ExitCode::from(USAGE)
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tokio::runtime::RuntimeFlavor;

    use super::*;

    #[test]
    fn sweep_runs_on_one_thread_and_the_rest_on_workers() {
        let flavor = |args: &[&str]| {
            let cli = Cli::parse_from(args);
            let runtime = runtime(cli.command.as_ref()).expect("a runtime");
            runtime.handle().runtime_flavor()
        };
        let sweep = flavor(&["fleetdash", "sweep", "inv.yaml"]);
        assert_eq!(sweep, RuntimeFlavor::CurrentThread);
        let exec = flavor(&["fleetdash", "exec", "inv.yaml", "-l", "all", "--", "uname"]);
        assert_eq!(exec, RuntimeFlavor::MultiThread);
        assert_eq!(flavor(&["fleetdash"]), RuntimeFlavor::MultiThread);
    }
}
