//! A rollout lab (from the shared lab builder), and a rollout started through the library
//! with channels the test drives.

use std::path::PathBuf;
use std::sync::Arc;

use fleetdash::base::secrets::Secrets;
use fleetdash::exec::SshConnector;
use fleetdash::rollout::event::{Control, RolloutEvent};
use fleetdash::rollout::executor::{Finished, Reachability, RolloutSetup, spawn_rollout};
use fleetdash::rollout::journal::{Replay, RolloutJournal, plan_hash};
use fleetdash::rollout::plan::Plan;
use fleetdash::rollout::report::RunState;
use fleetdash::rollout::waves::waves;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub const LAB: &str = include_str!("../../assets/lab/rollout.yaml");
pub const SLOW_LAB: &str = include_str!("../../assets/lab/rollout-slow.yaml");

/// The lab password (unique, so it cannot match ordinary output).
pub const PASSWORD: &str = "rollout-Pw-5531";

pub use crate::common::Setup;

/// A lab of `scenario` on a fresh loopback block, logging in with [`PASSWORD`].
pub async fn setup(scenario: &str) -> Setup {
    setup_with_password(scenario, PASSWORD).await
}

/// [`setup`] with another login password.
pub async fn setup_with_password(scenario: &str, password: &str) -> Setup {
    crate::common::lab(scenario)
        .seed(26)
        .password(password)
        .setup()
        .await
}

/// A running rollout and the test's ends of its channels.
pub struct Running {
    pub handle: JoinHandle<Finished>,
    pub control: mpsc::Sender<Control>,
    pub events: mpsc::Receiver<RolloutEvent>,
    pub journal: PathBuf,
    pub report: PathBuf,
    /// Every event received so far, in order.
    pub seen: Vec<RolloutEvent>,
}

pub fn plan(yaml: &str) -> Arc<Plan> {
    Arc::new(Plan::from_yaml(yaml, "test plan").unwrap_or_else(|e| panic!("{e}")))
}

/// Starts `yaml` on `s` (journal and report in the test's temp dir).
pub fn start(s: &Setup, yaml: &str, concurrency: usize, resume: Option<Replay>) -> Running {
    start_with(s, yaml, concurrency, resume, None, false)
}

/// [`start`] (one device at a time) masking `secrets`.
pub fn start_with_secrets(s: &Setup, yaml: &str, secrets: Secrets) -> Running {
    start_full(s, yaml, 1, None, None, false, secrets)
}

/// [`start`], with a reachability feed the test controls.
pub fn start_with(
    s: &Setup,
    yaml: &str,
    concurrency: usize,
    resume: Option<Replay>,
    reachability: Option<Reachability>,
    approve_start: bool,
) -> Running {
    let secrets = Secrets::new([s.password.clone()]);
    start_full(
        s,
        yaml,
        concurrency,
        resume,
        reachability,
        approve_start,
        secrets,
    )
}

fn start_full(
    s: &Setup,
    yaml: &str,
    concurrency: usize,
    resume: Option<Replay>,
    reachability: Option<Reachability>,
    approve_start: bool,
    secrets: Secrets,
) -> Running {
    let plan = plan(yaml);
    let waves = waves(&plan, &s.inventory).unwrap_or_else(|e| panic!("{e}"));
    let journal = s.dir.path().join("rollout.jsonl");
    let report = s.dir.path().join("report");
    let (control, control_rx) = mpsc::channel(8);
    let (tx, events) = mpsc::channel(4096);
    // Resuming: the journal replayed again, as the headless command does (same records).
    let (opened, resume) = match resume {
        Some(_) => {
            let (j, r) = RolloutJournal::resume(
                &journal,
                secrets.clone(),
                &plan.name,
                &plan_hash(yaml),
                |_| false,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            (j, Some(r))
        }
        None => (
            RolloutJournal::create(&journal, secrets.clone()).unwrap_or_else(|e| panic!("{e}")),
            None,
        ),
    };
    let setup = RolloutSetup {
        plan,
        plan_hash: plan_hash(yaml),
        waves,
        inventory: s.inventory.clone(),
        connector: Arc::new(SshConnector::new(s.opts.clone())),
        journal: Arc::new(opened),
        secrets,
        resume,
        concurrency,
        reachability,
        report_dir: Some(report.clone()),
        approve_start,
    };
    Running {
        handle: spawn_rollout(setup, control_rx, tx),
        control,
        events,
        journal,
        report,
        seen: Vec::new(),
    }
}

impl Running {
    /// Receives events until the rollout waits for the go to start (`approve_start`).
    pub async fn until_waiting_to_start(&mut self) {
        self.until("waiting to start", |e| {
            matches!(
                e,
                RolloutEvent::Overall {
                    state: RunState::WaitingApproval,
                    ..
                }
            )
        })
        .await;
    }

    /// Receives events until one matches (or the stream ends: a test failure).
    pub async fn until(&mut self, what: &str, pred: impl Fn(&RolloutEvent) -> bool) {
        crate::common::until(&mut self.events, &mut self.seen, what, pred).await;
    }

    /// Drains the remaining events and returns the result.
    pub async fn finish(mut self) -> (Finished, Vec<RolloutEvent>) {
        crate::common::drain(&mut self.events, &mut self.seen).await;
        (self.handle.await.unwrap(), self.seen)
    }
}

/// The device of `finished` named `name`.
pub fn device<'a>(
    finished: &'a Finished,
    name: &str,
) -> &'a fleetdash::rollout::report::DeviceOutcome {
    finished
        .devices
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the rollout"))
}
