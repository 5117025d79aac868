//! `fleetdash exec INVENTORY --limit P -- COMMAND`: run one command on the selected devices
//! and print the answers folded (identical outputs once, under a compact device list, like
//! `dshbak -c`), or one JSON object per device per line with `--json`.
//!
//! Exit status: 0 when every device answered without error, 1 when any failed (unreachable,
//! refused, error marker or non-zero exit), 2 on usage or inventory errors.

mod print;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::base::exit::USAGE;
use crate::base::safety::{Family, Verdict, judge};
use crate::base::stdout;
use crate::base::text::{Untrusted, count, escape_line};
use crate::engine::{Engine, EngineConfig, ExecSetup, Starting};
use crate::exec::{Connector, ExecConfig, Secrets, SshConnector, journal};
use crate::fleet::{Command, DeviceRun, Event, ExecError, Output};
use crate::inventory::Inventory;
use crate::metrics::MetricsConfig;
use crate::ssh::SshOptions;

pub use print::{folded, json_lines, summary};

/// `fleetdash exec`: what to run where, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecJob {
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Devices to run on (host pattern).
    pub limit: String,
    /// One JSON object per device per line instead of folded text.
    pub json: bool,
    /// Audit journal; default: under the state directory.
    pub journal: Option<PathBuf>,
    pub login: super::Login,
    /// Refuse every command that is not read-only on the selected devices' platforms.
    pub read_only: bool,
    /// Run commands that reboot, erase or change configuration.
    pub allow_dangerous: bool,
    /// Record the runs and their outcomes to this file (`fleetdash report` reads it).
    pub record: Option<PathBuf>,
    /// Serve Prometheus metrics while it runs (`--metrics`).
    pub metrics: Option<MetricsConfig>,
    /// The command, as words.
    pub command: Vec<String>,
}

/// One device's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceResult {
    pub name: String,
    pub host: String,
    pub duration: Duration,
    pub result: Result<Output, ExecError>,
}

impl DeviceResult {
    pub fn ok(&self) -> bool {
        self.result.as_ref().is_ok_and(Output::ok)
    }
}

pub async fn run(args: ExecJob) -> color_eyre::Result<ExitCode> {
    // Named jump hosts resolve in the whole inventory, also when `--limit` leaves them out.
    let (inventory, bastions) = match super::select(&args.inventory, Some(&args.limit)) {
        Ok((inventory, bastions)) => (Arc::new(inventory), bastions),
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let command = args.command.join(" ");
    if let Err(why) = vet(&command, &inventory, args.read_only, args.allow_dangerous) {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(USAGE));
    }
    let journal =
        match journal::open_audit(args.journal.as_deref(), Secrets::from_inventory(&inventory)) {
            Ok(journal) => journal,
            Err(why) => {
                eprintln!("error: {why}");
                return Ok(ExitCode::from(USAGE));
            }
        };
    let t = args.login.timeout;
    let cfg = ExecConfig {
        concurrency: args.login.concurrency.max(1),
        // The session layer times each stage with `t`; these only catch what slips through.
        connect_timeout: t * 4 + Duration::from_secs(1),
        command_timeout: t + Duration::from_secs(1),
        journal: Some(Arc::new(journal)),
        ..ExecConfig::default()
    };
    let opts = match args.login.ssh_options() {
        Ok(opts) => SshOptions { bastions, ..opts },
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let tap = match crate::record::open_for(args.record.as_deref(), "exec", &inventory) {
        Ok(tap) => tap,
        Err(code) => return Ok(code),
    };
    let exporter = match super::bind_metrics(args.metrics.as_ref(), &inventory).await {
        Ok(exporter) => exporter,
        Err(code) => return Ok(code),
    };
    // mimalloc asks for transparent huge pages on its heap; when the kernel has no free
    // 2 MiB page (memory full of page cache) each fault stalls on compaction: measured 35
    // stalls in one run of 1,000 sessions, half again as much client CPU. A run's heap is
    // small; it gains nothing from them.
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::debug!(error = %e, "cannot turn transparent huge pages off");
    }
    let devices: Vec<usize> = (0..inventory.devices.len()).collect();
    let work = async move {
        let results = execute_runs_with(
            inventory,
            cfg,
            SshConnector::new(opts),
            vec![(devices, command)],
            |_| {},
            |builder| crate::record::attach(super::with_metrics(builder, exporter.as_ref()), tap),
        )
        .await;
        (results, exporter)
    };
    // The engine's loop runs on a runtime worker, not on the main thread (which `block_on`
    // parks): an event from a device's worker then wakes a task in the pool rather than a
    // sleeping thread (a futex call and a context switch each, several per device).
    let (results, exporter) = match tokio::spawn(work).await {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    stdout::print(&match args.json {
        true => json_lines(&results),
        false => folded(&results),
    });
    eprintln!("{}", summary(&results));
    if let Some(exporter) = &exporter {
        exporter.linger().await;
    }
    Ok(if results.iter().all(DeviceResult::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The dashboard's rules, without the question: a command that is not one line, or not
/// read-only with `--read-only`, is refused; a dangerous one needs `--allow-dangerous`.
fn vet(
    command: &str,
    inventory: &Inventory,
    read_only: bool,
    allow_dangerous: bool,
) -> Result<(), String> {
    let families = inventory.devices.iter().map(|d| Family::of(&d.platform));
    match judge(command, families, read_only) {
        Verdict::Run => Ok(()),
        Verdict::Ask(_) if allow_dangerous => Ok(()),
        Verdict::Ask(why) => Err(format!(
            "`{}` {why}: pass --allow-dangerous to run it on {}",
            Untrusted(command),
            count(inventory.devices.len(), "device")
        )),
        Verdict::Refuse(why) => Err(format!("`{}` refused — {why}", Untrusted(command))),
    }
}

/// Runs `command` on every device of `inventory` and waits for all of them. Notices (host
/// keys learned) go to stderr.
pub async fn execute<C: Connector>(
    inventory: Arc<Inventory>,
    cfg: ExecConfig,
    connector: C,
    command: &str,
) -> Vec<DeviceResult> {
    let devices: Vec<usize> = (0..inventory.devices.len()).collect();
    execute_runs(
        inventory,
        cfg,
        connector,
        vec![(devices, command.to_string())],
        |_| {},
    )
    .await
}

/// Runs each `(devices, command)` as one run of the engine (a job whose command differs by
/// platform, such as a backup, is one run per command) and waits for all of them. Results
/// are in inventory order; `seen` sees every event (for a progress line), notices go to
/// stderr.
pub async fn execute_runs<C: Connector>(
    inventory: Arc<Inventory>,
    cfg: ExecConfig,
    connector: C,
    runs: Vec<(Vec<usize>, String)>,
    seen: impl FnMut(&Event),
) -> Vec<DeviceResult> {
    execute_runs_with(inventory, cfg, connector, runs, seen, |b| b).await
}

/// [`execute_runs`], with `extend` adding to the engine before it starts (a metrics tap,
/// the flight recorder).
pub async fn execute_runs_with<C: Connector>(
    inventory: Arc<Inventory>,
    cfg: ExecConfig,
    connector: C,
    runs: Vec<(Vec<usize>, String)>,
    mut seen: impl FnMut(&Event),
    extend: impl FnOnce(Starting) -> Starting,
) -> Vec<DeviceResult> {
    // No probes: nothing is sent but the commands.
    let builder = Engine::builder(inventory.clone(), EngineConfig::default()).exec(ExecSetup {
        config: cfg,
        connector,
    });
    let mut engine = extend(builder).start();
    let mut ids = Vec::new();
    for (i, (devices, command)) in runs.into_iter().enumerate() {
        let id = i as u64 + 1;
        let run = Command::Run {
            run: id,
            devices,
            command,
        };
        engine.record(&run, Instant::now());
        if engine.commands.send(run).await.is_err() {
            break;
        }
        ids.push(id);
    }
    // Closing the queue lets the workers finish the runs and then end the event stream.
    engine.close_commands();
    let mut each = |event: &Event| {
        if let Event::Notice { text, .. } = event {
            eprintln!("{}", escape_line(text));
        }
        seen(event);
    };
    while engine.next_batch(&mut each).await.is_some() {}
    if let Some(exec) = engine.workers.exec.take() {
        exec.finished().await;
    }
    let runs = &engine.state.exec;
    let mut results: Vec<(usize, DeviceResult)> = Vec::new();
    for id in ids {
        let run = runs.get(id).expect("run recorded above");
        for &device_id in &run.devices {
            let device = &inventory.devices[device_id];
            let (duration, result) = match run.per_device.get(&device_id) {
                Some(DeviceRun::Done { duration, result }) => (*duration, result.clone()),
                // The engine ended without an answer for it (it never does unless a worker
                // panicked); report it rather than hide it.
                _ => (Duration::ZERO, Err(lost())),
            };
            let r = DeviceResult {
                name: device.name.clone(),
                host: device.host.clone(),
                duration,
                result,
            };
            results.push((device_id, r));
        }
    }
    results.sort_by_key(|(id, _)| *id);
    results.into_iter().map(|(_, r)| r).collect()
}

fn lost() -> ExecError {
    ExecError {
        stage: crate::fleet::Stage::Command,
        maybe_ran: true,
        reason: "no result (the worker stopped)".into(),
    }
}
