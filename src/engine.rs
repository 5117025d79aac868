//! Starting the engine: inventory → probe targets → sweeper → events. Both front ends (the
//! dashboard and the headless commands) start it the same way.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cli::ProbeArgs;
use crate::exec::{self, ExecConfig, ExecHandle, SshConnector};
use crate::fleet::{Command, Event, FleetConfig, State};
use crate::inventory::{HostPattern, Inventory};
use crate::probe::{self, Rate, SweepConfig, Sweeper};
use crate::rollout::event::Control;
use crate::rollout::executor::{Finished, RolloutSetup, spawn_rollout};
use crate::ssh::SshOptions;

/// Events in flight between workers and the reducer. Bounded: a slow consumer slows the
/// sweeper instead of growing memory.
const EVENT_QUEUE: usize = 16_384;
/// Operator commands waiting for the workers; an operator does not type 64 runs ahead.
const COMMAND_QUEUE: usize = 64;

/// A running engine: the reducer's initial state, its event stream, and the workers
/// (dropping the engine stops them).
pub struct Engine {
    pub state: State,
    pub events: mpsc::Receiver<Event>,
    /// Commands for the SSH workers (closed when none were started).
    pub commands: mpsc::Sender<Command>,
    /// Where the front end publishes reachability for the rollout to watch.
    pub reachability: Option<watch::Sender<Vec<Option<bool>>>>,
    pub workers: Workers,
}

/// The worker tasks; dropping this stops them.
pub struct Workers {
    pub sweeper: Sweeper,
    pub exec: Option<ExecHandle>,
    pub rollout: Option<JoinHandle<Finished>>,
}

/// A rollout for the engine to run beside the probes, steered through `control`.
pub struct RolloutStart {
    pub setup: RolloutSetup<SshConnector>,
    pub control: mpsc::Receiver<Control>,
}

/// How to run commands over SSH, for front ends that do.
pub struct ExecSetup {
    pub config: ExecConfig,
    pub ssh: SshOptions,
}

impl Engine {
    /// Starts probing every device of `inventory`, the SSH workers when `exec` is given and
    /// the rollout when `rollout` is. Must run inside a tokio runtime.
    pub fn start(
        inventory: Arc<Inventory>,
        sweep: SweepConfig,
        fleet: FleetConfig,
        exec: Option<ExecSetup>,
        rollout: Option<RolloutStart>,
    ) -> Engine {
        let (tx, events) = mpsc::channel(EVENT_QUEUE);
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        let exec = exec.map(|setup| {
            let connector = SshConnector::new(setup.ssh);
            exec::spawn_exec(
                inventory.clone(),
                setup.config,
                connector,
                inbox,
                tx.clone(),
            )
        });
        let (reachability, rollout) = match rollout {
            Some(RolloutStart { mut setup, control }) => {
                let (publish, watch) = watch::channel(Vec::new());
                setup.reachability = Some(watch);
                let task = spawn_rollout(setup, control, tx.clone());
                (Some(publish), Some(task))
            }
            None => (None, None),
        };
        let targets = probe::targets_from_inventory(&inventory);
        let sweeper = probe::spawn_sweeper(targets, sweep, probe::detect_mode(), tx);
        let state = State::new(inventory, fleet, (Instant::now(), SystemTime::now()));
        Engine {
            state,
            events,
            commands,
            reachability,
            workers: Workers {
                sweeper,
                exec,
                rollout,
            },
        }
    }
}

impl ProbeArgs {
    pub fn sweep_config(&self, count: Option<u64>) -> SweepConfig {
        SweepConfig {
            interval: self.interval,
            timeout: self.timeout,
            rate: match self.rate {
                None => Rate::Spread,
                Some(0) => Rate::Unlimited,
                Some(pps) => Rate::PerSecond(pps),
            },
            count,
        }
    }
}

/// The inventory narrowed to the devices a `--limit` pattern selects (in inventory order).
pub fn limit(inventory: Inventory, pattern: Option<&str>) -> Result<Inventory, String> {
    let Some(text) = pattern else {
        return Ok(inventory);
    };
    let pattern = HostPattern::parse(text).map_err(|e| format!("--limit {text}: {e}"))?;
    for term in pattern.unmatched_terms(&inventory) {
        eprintln!(
            "warning: --limit term `{term}` matches nothing in {}",
            inventory.source
        );
    }
    let keep = inventory.select(&pattern);
    if keep.is_empty() {
        return Err(format!(
            "--limit {text} matches no device in {}",
            inventory.source
        ));
    }
    let devices = keep
        .into_iter()
        .map(|id| inventory.devices[id].clone())
        .collect();
    Ok(Inventory {
        devices,
        ..inventory
    })
}
