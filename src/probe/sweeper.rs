//! The sweep loop: every interval, probe every target once and report each result.
//!
//! Event order: `Mode` once, then any setup `Notice`s, then per sweep one `Probe` per target
//! (in the order results arrive) followed by `SweepDone`. A sweep never overlaps the
//! previous one: a sweep that overruns the interval makes the missed ticks be skipped.
//! After `count` sweeps, or as soon as the receiver is gone, the task ends and drops its
//! sender.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};

use super::icmp::IcmpProber;
use super::pacing::Pacer;
use super::resolve::{HostAddr, RESOLVE_CONCURRENCY, RESOLVE_TIMEOUT, refresh_all};
use super::target::{SweepConfig, Target};
use super::tcp::{TCP_CONCURRENCY, TcpPolicy, tcp_probe};
use crate::fleet::{Event, ProbeMode, ProbeOutcome, ProbeResult, SweepStats};
use crate::inventory::ProbeSpec;

/// Handle to a running sweeper task. Dropping it stops the task.
#[derive(Debug)]
pub struct Sweeper {
    task: Option<JoinHandle<()>>,
}

impl Sweeper {
    /// Whether the task has ended (count reached, receiver gone, or aborted).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Wait until the task ends by itself (after `count` sweeps or when the receiver is
    /// dropped). With `count: None` and a live receiver this never returns.
    pub async fn wait(mut self) -> Result<(), JoinError> {
        match self.task.take() {
            Some(task) => task.await,
            None => Ok(()),
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Start sweeping `targets` in a tokio task (must be called inside a runtime).
///
/// `mode` is normally [`super::detect_mode`]'s answer; passing `TcpFallback` forces ICMP
/// devices onto the TCP path (tests do that).
pub fn spawn_sweeper(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    events: mpsc::Sender<Event>,
) -> Sweeper {
    let task = tokio::spawn(run(targets, cfg, mode, events));
    Sweeper { task: Some(task) }
}

/// One target and what we know about its address.
struct Slot {
    target: Target,
    host: HostAddr,
}

/// What every probe of a sweep shares.
struct Probers {
    icmp: Option<IcmpProber>,
    tcp_limit: Semaphore,
    resolve_limit: Semaphore,
    timeout: Duration,
}

/// The receiver is gone: nobody listens, so the task stops.
struct Closed;

async fn run(targets: Vec<Target>, cfg: SweepConfig, mode: ProbeMode, events: mpsc::Sender<Event>) {
    // `Err(Closed)` only means the receiver went away; there is nothing left to do then.
    let _ = sweep_loop(targets, cfg, mode, &events).await;
}

async fn sweep_loop(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    events: &mpsc::Sender<Event>,
) -> Result<(), Closed> {
    send(events, Event::Mode(mode.clone())).await?;
    let mut slots: Vec<Slot> = targets
        .into_iter()
        .map(|target| Slot {
            host: HostAddr::parse(&target.host),
            target,
        })
        .collect();
    let hosts: Vec<&mut HostAddr> = slots.iter_mut().map(host_of).collect();
    refresh_all(hosts, RESOLVE_TIMEOUT).await;

    let (icmp, notices) = open_icmp(&mode, &slots);
    for text in notices {
        let at = std::time::Instant::now();
        send(events, Event::Notice { at, text }).await?;
    }
    let probers = Probers {
        icmp,
        tcp_limit: Semaphore::new(TCP_CONCURRENCY),
        resolve_limit: Semaphore::new(RESOLVE_CONCURRENCY),
        timeout: cfg.timeout,
    };

    // tokio's interval panics on a zero period.
    let mut ticker = tokio::time::interval(cfg.interval.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut sweep = 0u64;
    while cfg.count.is_none_or(|count| sweep < count) {
        ticker.tick().await;
        sweep += 1;
        let stats = run_sweep(sweep, &mut slots, &probers, &cfg, events).await?;
        send(events, Event::SweepDone(stats)).await?;
    }
    Ok(())
}

// A named fn, not a closure: keeps the spawned future's `Send` check happy.
fn host_of(slot: &mut Slot) -> &mut HostAddr {
    &mut slot.host
}

/// Open ICMP sockets only when ICMP is allowed and some target needs them.
fn open_icmp(mode: &ProbeMode, slots: &[Slot]) -> (Option<IcmpProber>, Vec<String>) {
    let ProbeMode::Icmp(kind) = mode else {
        return (None, Vec::new());
    };
    let icmp = slots.iter().filter(|s| s.target.spec == ProbeSpec::Icmp);
    // A name may resolve to either family later, so it asks for both.
    let (mut v4, mut v6) = (false, false);
    for s in icmp {
        match s.host {
            HostAddr::Ip(IpAddr::V4(_)) => v4 = true,
            HostAddr::Ip(IpAddr::V6(_)) => v6 = true,
            HostAddr::Name { .. } => (v4, v6) = (true, true),
        }
    }
    if !v4 && !v6 {
        return (None, Vec::new());
    }
    let (prober, notices) = IcmpProber::new(*kind, v4, v6);
    (Some(prober), notices)
}

async fn run_sweep(
    sweep: u64,
    slots: &mut [Slot],
    probers: &Probers,
    cfg: &SweepConfig,
    events: &mpsc::Sender<Event>,
) -> Result<SweepStats, Closed> {
    let start = Instant::now();
    let sent = slots.len();
    let pacer = Pacer::new(cfg.rate, sent, cfg.interval, start);
    let mut pending: FuturesUnordered<_> = slots
        .iter_mut()
        .enumerate()
        .map(|(i, slot)| probe_slot(i, slot, &pacer, probers))
        .collect();
    let mut replies = 0;
    while let Some(result) = pending.next().await {
        replies += usize::from(matches!(result.outcome, ProbeOutcome::Reply { .. }));
        send(events, Event::Probe(result)).await?;
    }
    Ok(SweepStats {
        sweep,
        sent,
        replies,
        elapsed: start.elapsed(),
    })
}

/// Wait for the slot's turn, (re)resolve if needed, probe, and doubt the name on failure.
async fn probe_slot(i: usize, slot: &mut Slot, pacer: &Pacer, probers: &Probers) -> ProbeResult {
    pacer.wait(i).await;
    if slot.host.needs_lookup() {
        slot.host
            .refresh(&probers.resolve_limit, RESOLVE_TIMEOUT)
            .await;
    }
    let outcome = match slot.host.addr() {
        Err(reason) => ProbeOutcome::Failed { reason },
        Ok(ip) => probe_ip(ip, &slot.target, probers).await,
    };
    if !matches!(outcome, ProbeOutcome::Reply { .. }) {
        slot.host.doubt();
    }
    ProbeResult {
        device: slot.target.device,
        at: std::time::Instant::now(),
        outcome,
    }
}

async fn probe_ip(ip: IpAddr, target: &Target, probers: &Probers) -> ProbeOutcome {
    let (port, policy) = match (target.spec, &probers.icmp) {
        (ProbeSpec::Icmp, Some(icmp)) => return icmp.probe(ip, probers.timeout).await,
        (ProbeSpec::Icmp, None) => (target.ssh_port, TcpPolicy::HostAlive),
        (ProbeSpec::Tcp(port), _) => (port, TcpPolicy::ServiceOpen),
    };
    // Never closed, so acquire cannot fail; without a permit we would still probe.
    let _permit = probers.tcp_limit.acquire().await.ok();
    tcp_probe(SocketAddr::new(ip, port), probers.timeout, policy).await
}

async fn send(events: &mpsc::Sender<Event>, event: Event) -> Result<(), Closed> {
    events.send(event).await.map_err(|_| Closed)
}
