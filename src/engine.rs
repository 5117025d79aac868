//! The engine: one way to start the workers for every front end (the dashboard, `sweep`,
//! `exec`, `rollout`), and the one reducer that folds their events.
//!
//! ```text
//! Engine::builder(inventory, cfg) ─ .exec(..) ─ .rollout(..) ─ .start()
//!     sweeper ─┐
//!     exec ────┼─► events ─► next_batch: State::apply ─► reachability (for the rollout)
//!     rollout ─┘
//! ```
//!
//! The rollout executor watches reachability that the fleet `State` computed with its own
//! damping (`FleetConfig::down_after` / `up_after`): the tiles and the rollout agree.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::base::text::Untrusted;
use crate::exec::{self, Connector, ExecConfig, ExecHandle};
use crate::fleet::{Command, Event, FleetConfig, State, Tap};
use crate::inventory::{DeviceId, HostPattern, Inventory};
use crate::probe::{self, SweepConfig, Sweeper};
use crate::rollout::event::Control;
use crate::rollout::executor::{ConfigMode, Finished, RolloutSetup, spawn_rollout};

mod jobs;

pub use jobs::JobsSetup;

/// Events in flight between workers and the reducer. Bounded: a slow consumer slows the
/// sweeper instead of growing memory.
const EVENT_QUEUE: usize = 16_384;
/// Operator commands waiting for the workers; an operator does not type 64 runs ahead.
const COMMAND_QUEUE: usize = 64;
/// Pause / resume / abort / approve waiting for the rollout.
const CONTROL_QUEUE: usize = 16;
/// Events folded per batch before a front end looks at its other sources again.
const BATCH: usize = 20_000;

/// What the engine runs, besides SSH work and a rollout.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub fleet: FleetConfig,
    /// Probe the devices; `None`: no probe traffic at all (`exec`).
    pub probes: Option<Probes>,
    /// Where the dashboard's backups go.
    pub jobs: JobsSetup,
}

/// Which devices to probe, and how.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    pub sweep: SweepConfig,
    /// Only these devices; `None`: every device of the inventory.
    pub only: Option<Vec<DeviceId>>,
    /// Devices behind a bastion, probed through it (`None`: every device from here).
    pub via_bastion: Option<probe::ViaBastion>,
}

/// How to run commands over SSH, for front ends that do.
pub struct ExecSetup<C> {
    pub config: ExecConfig,
    pub connector: C,
}

/// An engine being put together: [`Engine::builder`], then the optional workers, then
/// [`Starting::start`].
pub struct Starting {
    inventory: Arc<Inventory>,
    config: EngineConfig,
    tx: mpsc::Sender<Event>,
    events: mpsc::Receiver<Event>,
    commands: mpsc::Sender<Command>,
    inbox: Option<mpsc::Receiver<Command>>,
    exec: Option<ExecHandle>,
    rollout: Option<(JoinHandle<Finished>, mpsc::Sender<Control>)>,
    reachability: Option<watch::Sender<Vec<Option<bool>>>>,
    taps: Vec<Box<dyn Tap>>,
}

/// A running engine: the reducer's state, the stream that feeds it, and the workers
/// (dropping the engine stops them).
pub struct Engine {
    pub state: State,
    events: mpsc::Receiver<Event>,
    /// Commands for the SSH workers (closed when none were started).
    pub commands: mpsc::Sender<Command>,
    /// Pause / resume / abort / approve for the rollout, when one runs.
    pub control: Option<mpsc::Sender<Control>>,
    /// What the rollout executor watches, published from `state` after every batch.
    reachability: Option<watch::Sender<Vec<Option<bool>>>>,
    pub workers: Workers,
    /// For the job tasks' events; weak, so the stream still ends with the workers.
    tx: mpsc::WeakSender<Event>,
    jobs: jobs::JobWorkers,
    /// Followers of the reducer (metrics, the flight recorder).
    taps: Vec<Box<dyn Tap>>,
}

/// The worker tasks; dropping this stops them.
pub struct Workers {
    pub sweeper: Option<Sweeper>,
    pub exec: Option<ExecHandle>,
    pub rollout: Option<JoinHandle<Finished>>,
}

impl Engine {
    /// An engine for `inventory`; nothing runs until [`Starting::start`]. Must run inside a
    /// tokio runtime.
    pub fn builder(inventory: Arc<Inventory>, config: EngineConfig) -> Starting {
        let (tx, events) = mpsc::channel(EVENT_QUEUE);
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        Starting {
            inventory,
            config,
            tx,
            events,
            commands,
            inbox: Some(inbox),
            exec: None,
            rollout: None,
            reachability: None,
            taps: Vec::new(),
        }
    }
}

impl Starting {
    /// The SSH workers, taking the engine's [`Command`]s.
    pub fn exec<C: Connector>(mut self, setup: ExecSetup<C>) -> Starting {
        if let Some(inbox) = self.inbox.take() {
            let handle = exec::spawn_exec(
                self.inventory.clone(),
                setup.config,
                setup.connector,
                inbox,
                self.tx.clone(),
            );
            self.exec = Some(handle);
        }
        self
    }

    /// The rollout, steered through [`Engine::control`], watching the reducer's
    /// reachability.
    pub fn rollout<C>(mut self, mut setup: RolloutSetup<C>) -> Starting
    where
        C: Connector,
        C::Session: ConfigMode,
    {
        let (publish, watch) = watch::channel(vec![None; self.inventory.devices.len()]);
        setup.reachability = Some(watch);
        let (control, control_rx) = mpsc::channel(CONTROL_QUEUE);
        let task = spawn_rollout(setup, control_rx, self.tx.clone());
        self.rollout = Some((task, control));
        self.reachability = Some(publish);
        self
    }

    /// A follower of the reducer: it sees every event, recorded command and folded batch.
    pub fn tap(mut self, tap: Box<dyn Tap>) -> Starting {
        self.taps.push(tap);
        self
    }

    /// A sender into the event stream, for events of the front end's own (a replay, a
    /// test's probe results). The stream ends only once every such sender is dropped too.
    pub fn sender(&self) -> mpsc::Sender<Event> {
        self.tx.clone()
    }

    /// Starts the probes (when configured) and hands over the running engine. The event
    /// stream ends once every started worker has ended.
    pub fn start(self) -> Engine {
        let Starting {
            inventory,
            config,
            tx,
            events,
            commands,
            inbox: _,
            exec,
            rollout,
            reachability,
            taps,
        } = self;
        let weak = tx.downgrade();
        let sweeper = config.probes.map(|probes| {
            let mut targets = probe::targets_from_inventory(&inventory);
            if let Some(only) = &probes.only {
                let mut keep = vec![false; inventory.devices.len()];
                for &id in only {
                    if let Some(k) = keep.get_mut(id) {
                        *k = true;
                    }
                }
                targets.retain(|t| keep[t.device]);
            }
            let mode = probe::detect_mode();
            probe::spawn_sweeper_via(targets, probes.sweep, mode, probes.via_bastion, tx)
        });
        let state = State::new(inventory, config.fleet, (Instant::now(), SystemTime::now()));
        let (rollout, control) = rollout.unzip();
        let jobs = jobs::JobWorkers::new(config.jobs);
        Engine {
            tx: weak,
            jobs,
            state,
            events,
            commands,
            control,
            reachability,
            taps,
            workers: Workers {
                sweeper,
                exec,
                rollout,
            },
        }
    }
}

impl Engine {
    /// Waits for the next events and folds them into `state` (up to a batch, without
    /// waiting for more), showing each one to `see` first; then publishes reachability for
    /// the rollout. The number folded, or `None` once every worker has ended. Cancel safe:
    /// the only wait is for the first event.
    pub async fn next_batch(&mut self, mut see: impl FnMut(&Event)) -> Option<usize> {
        let first = self.events.recv().await?;
        self.fold(first, &mut see);
        Some(1 + self.drain(see))
    }

    /// Folds the events already queued (up to a batch) without waiting, showing each one to
    /// `see` first, and publishes reachability for the rollout. The number folded.
    pub fn drain(&mut self, mut see: impl FnMut(&Event)) -> usize {
        let mut folded = 0;
        while folded < BATCH {
            let Ok(event) = self.events.try_recv() else {
                break;
            };
            self.fold(event, &mut see);
            folded += 1;
        }
        self.step_jobs();
        for tap in &mut self.taps {
            tap.folded(&self.state);
        }
        if let Some(reachability) = &self.reachability {
            publish(reachability, &self.state);
        }
        folded
    }

    /// Shows `event` to `see` and the taps, then folds it; a sweeper's `Probes` one result
    /// at a time, so nothing downstream of the channel sees them together.
    fn fold(&mut self, event: Event, see: &mut impl FnMut(&Event)) {
        if let Event::Probes(results) = event {
            for result in results {
                self.fold(Event::Probe(result), see);
            }
            return;
        }
        see(&event);
        for tap in &mut self.taps {
            tap.event(&event, &self.state);
        }
        self.saw_job_event(&event);
        self.state.apply(event);
    }

    /// Folds an event of the front end's own (a command that could not be sent), shown to
    /// the taps like a worker's.
    pub fn apply(&mut self, event: Event) {
        self.fold(event, &mut |_| {});
    }

    /// Records a command a front end sends to the workers (a run is tracked from here on),
    /// and shows it to the taps.
    pub fn record(&mut self, command: &Command, at: Instant) {
        self.state.record(command, at);
        for tap in &mut self.taps {
            tap.command(command, at, &self.state);
        }
    }

    /// Closes the command queue: the SSH workers finish what they have, then end.
    pub fn close_commands(&mut self) {
        let (closed, _) = mpsc::channel(1);
        self.commands = closed;
    }
}

/// Hands the reducer's reachability to the rollout, only when it changed.
fn publish(reachability: &watch::Sender<Vec<Option<bool>>>, fleet: &State) {
    let now = fleet.reachability();
    reachability.send_if_modified(|seen| {
        let changed = *seen != now;
        if changed {
            *seen = now;
        }
        changed
    });
}

/// The inventory narrowed to the devices a `--limit` pattern selects (in inventory order).
pub fn limit(inventory: Inventory, pattern: Option<&str>) -> Result<Inventory, String> {
    let Some(text) = pattern else {
        return Ok(inventory);
    };
    let shown = Untrusted(text);
    let pattern = HostPattern::parse(text).map_err(|e| format!("--limit {shown}: {e}"))?;
    let unmatched = pattern.unmatched_terms(&inventory);
    let named = |terms: &[String]| {
        terms
            .iter()
            .map(|t| format!("`{}`", Untrusted(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let keep = inventory.select(&pattern);
    if keep.is_empty() {
        let why = match unmatched.as_slice() {
            [] => String::new(),
            terms => format!(": no group, device or tag matches {}", named(terms)),
        };
        return Err(format!(
            "--limit {shown} matches no device in {}{why}",
            Untrusted(&inventory.source)
        ));
    }
    if !unmatched.is_empty() {
        eprintln!(
            "warning: --limit {shown}: no group, device or tag matches {} in {}",
            named(&unmatched),
            Untrusted(&inventory.source)
        );
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fleet::{ProbeOutcome, ProbeResult};

    fn probe(device: usize, outcome: ProbeOutcome) -> Event {
        Event::Probe(ProbeResult {
            device,
            at: Instant::now(),
            outcome,
        })
    }

    /// The rollout sees what the tiles see: the reducer's damping (down after two losses in
    /// a row, up at the first reply), published only when it changed.
    #[test]
    fn the_rollout_watches_the_reducers_damping() {
        let inventory = Inventory::from_yaml(
            "devices:\n  - {name: a, host: 127.0.0.1}\n  - {name: b, host: 127.0.0.2}\n",
            "t",
        )
        .unwrap();
        let mut state = State::new(
            Arc::new(inventory),
            FleetConfig::default(),
            (Instant::now(), SystemTime::now()),
        );
        let (tx, mut watch) = watch::channel(vec![None; 2]);
        let mut fold = |event: Event| {
            state.apply(event);
            publish(&tx, &state);
        };
        let reply = ProbeOutcome::Reply {
            rtt: Duration::from_millis(1),
        };
        fold(probe(1, reply.clone()));
        assert!(watch.has_changed().unwrap());
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(true)]);
        fold(probe(1, ProbeOutcome::Lost));
        fold(probe(0, ProbeOutcome::Lost));
        // One loss is not enough for either.
        assert!(!watch.has_changed().unwrap());
        let failed = ProbeOutcome::Failed {
            reason: "unreachable".into(),
        };
        fold(probe(1, failed));
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(false)]);
        fold(probe(1, reply));
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(true)]);
    }
}
