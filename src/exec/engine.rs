//! The dispatcher: accepts `Command`s, reports `Queued`, and hands each device's jobs to that
//! device's worker (one task per device, started on first use, or at once when polling).
//! Closing the command channel lets queued work finish; then the event sender is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use super::config::ExecConfig;
use super::connector::Connector;
use super::event::{Command, ExecEvent, ExecSink, RunId};
use super::redact::Secrets;
use super::worker::{Job, Worker};
use crate::base::notice::Notice;
use crate::inventory::Inventory;
use crate::ssh::{ExecError, Stage};

/// The running engine. Dropping it stops every worker (a command in flight is abandoned,
/// its session closed).
pub struct ExecHandle {
    task: Option<JoinHandle<()>>,
}

impl ExecHandle {
    /// Waits until the command channel is closed and every queued job has finished.
    pub async fn finished(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ExecHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Starts the engine. Must run inside a tokio runtime.
pub fn spawn_exec<C: Connector, E: ExecSink>(
    inventory: Arc<Inventory>,
    cfg: ExecConfig,
    connector: C,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<E>,
) -> ExecHandle {
    let shared = Arc::new(Shared {
        secrets: (cfg.secrets.clone()).unwrap_or_else(|| Secrets::from_inventory(&inventory)),
        permits: Semaphore::new(cfg.concurrency.max(1)),
        inventory,
        cfg,
        connector,
        events,
    });
    ExecHandle {
        task: Some(tokio::spawn(dispatch(shared, commands))),
    }
}

/// What every worker reads.
pub(super) struct Shared<C, E> {
    pub inventory: Arc<Inventory>,
    pub cfg: ExecConfig,
    pub connector: C,
    /// The global concurrency limit: held while connecting and running, not while idle.
    pub permits: Semaphore,
    pub events: mpsc::Sender<E>,
    pub secrets: Secrets,
}

impl<C, E: ExecSink> Shared<C, E> {
    pub async fn emit(&self, event: ExecEvent) {
        // A closed receiver means the front end is gone; the work still ends normally.
        let _ = self.events.send(event.into()).await;
    }

    /// A line for the log pane.
    pub async fn notice(&self, at: std::time::Instant, text: String) {
        let _ = self.events.send(Notice { at, text }.into()).await;
    }
}

/// Cancellation of one run, shared by its jobs.
#[derive(Default)]
pub(super) struct RunCancel {
    cancelled: AtomicBool,
    notify: Notify,
}

impl RunCancel {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the run is cancelled.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

async fn dispatch<C: Connector, E: ExecSink>(
    shared: Arc<Shared<C, E>>,
    mut commands: mpsc::Receiver<Command>,
) {
    let count = shared.inventory.devices.len();
    let mut queues: Vec<Option<mpsc::UnboundedSender<Job>>> = vec![None; count];
    // Aborted with this task (dropping a JoinSet aborts its tasks).
    let mut workers = JoinSet::new();
    let mut runs: HashMap<RunId, Arc<RunCancel>> = HashMap::new();

    // A short password, or one equal to the user name, masks ordinary words: say so first,
    // so the user understands the stars (the log pane, or stderr for `exec`).
    for text in shared.secrets.warnings() {
        shared.notice(std::time::Instant::now(), text.clone()).await;
    }

    if shared.cfg.poll_interval.is_some() {
        for (device, queue) in queues.iter_mut().enumerate() {
            *queue = Some(start_worker(&shared, device, &mut workers));
        }
    }

    while let Some(command) = commands.recv().await {
        match command {
            Command::Run {
                run,
                devices,
                command,
            } => {
                // Forget runs whose jobs have all finished (only this map still holds them).
                runs.retain(|_, c| Arc::strong_count(c) > 1);
                let cancel = runs.entry(run).or_default().clone();
                let command: Arc<str> = command.into();
                for device in devices {
                    shared.emit(ExecEvent::Queued { run, device }).await;
                    let Some(queue) = queues.get_mut(device) else {
                        unknown_device(&shared, run, device).await;
                        continue;
                    };
                    let queue =
                        queue.get_or_insert_with(|| start_worker(&shared, device, &mut workers));
                    let job = Job {
                        run,
                        command: command.clone(),
                        cancel: cancel.clone(),
                    };
                    // The worker only stops when its queue closes, which happens below.
                    let _ = queue.send(job);
                }
            }
            Command::Cancel { run } => {
                if let Some(cancel) = runs.get(&run) {
                    cancel.cancel();
                }
            }
        }
    }
    drop(queues);
    while workers.join_next().await.is_some() {}
}

fn start_worker<C: Connector, E: ExecSink>(
    shared: &Arc<Shared<C, E>>,
    device: usize,
    workers: &mut JoinSet<()>,
) -> mpsc::UnboundedSender<Job> {
    let (tx, rx) = mpsc::unbounded_channel();
    workers.spawn(Worker::new(shared.clone(), device, rx).run());
    tx
}

async fn unknown_device<C, E: ExecSink>(shared: &Shared<C, E>, run: RunId, device: usize) {
    let at = tokio::time::Instant::now().into_std();
    shared
        .emit(ExecEvent::Finished {
            run,
            device,
            at,
            duration: std::time::Duration::ZERO,
            result: Err(ExecError {
                stage: Stage::Resolve,
                maybe_ran: false,
                reason: format!("no device #{device} in the inventory"),
            }),
        })
        .await;
}
