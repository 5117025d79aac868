//! The sweep loop: every interval, probe every target once and report each result.
//!
//! Event order: `Mode` once, then any setup `Notice`s, then per sweep one result per target
//! (in the order results arrive, several per `Probes`) followed by `SweepDone`. A sweep
//! never overlaps the previous one: a sweep that overruns the interval makes the missed
//! ticks be skipped.
//! After `count` sweeps, or as soon as the receiver is gone, the task ends and drops its
//! sender.

use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;

use super::bastion::ViaBastion;
use super::icmp::IcmpProber;
use super::report::{ProbeEvent, ProbeMode};
use super::resolve::{HostAddr, RESOLVE_CONCURRENCY, RESOLVE_TIMEOUT, refresh_all};
use super::sweep::{Closed, Probers, Slot, run_sweep, send};
use super::target::{SweepConfig, Target};
use super::tcp::TCP_CONCURRENCY;
use crate::base::beat;
use crate::base::notice::Notice;
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
pub fn spawn_sweeper<E>(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    events: mpsc::Sender<E>,
) -> Sweeper
where
    E: From<ProbeEvent> + Send + 'static,
{
    spawn_sweeper_via(targets, cfg, mode, None, events)
}

/// As [`spawn_sweeper`], with the devices `via` covers probed through their bastion
/// (never by ICMP or TCP from here, and their names never looked up here).
pub fn spawn_sweeper_via<E>(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    via: Option<ViaBastion>,
    events: mpsc::Sender<E>,
) -> Sweeper
where
    E: From<ProbeEvent> + Send + 'static,
{
    let task = tokio::spawn(run(targets, cfg, mode, via, events));
    Sweeper { task: Some(task) }
}

async fn run<E: From<ProbeEvent>>(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    via: Option<ViaBastion>,
    events: mpsc::Sender<E>,
) {
    // `Err(Closed)` only means the receiver went away; there is nothing left to do then.
    let _ = sweep_loop(targets, cfg, mode, via, &events).await;
}

async fn sweep_loop<E: From<ProbeEvent>>(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
    via: Option<ViaBastion>,
    events: &mpsc::Sender<E>,
) -> Result<(), Closed> {
    send(events, ProbeEvent::Mode(mode.clone())).await?;
    let mut slots: Vec<Slot> = targets
        .into_iter()
        .map(|target| Slot {
            host: HostAddr::parse(&target.host),
            target,
        })
        .collect();
    let behind = |s: &Slot| via.as_ref().is_some_and(|v| v.covers(s.target.device));
    // A name behind a bastion means something only there: never looked up here.
    let hosts: Vec<&mut HostAddr> = slots
        .iter_mut()
        .filter(|s| !behind(s))
        .map(host_of)
        .collect();
    refresh_all(hosts, RESOLVE_TIMEOUT).await;

    let direct: Vec<&Slot> = slots.iter().filter(|s| !behind(s)).collect();
    let (icmp, notices) = open_icmp(&mode, &direct);
    for text in notices {
        let at = std::time::Instant::now();
        send(events, ProbeEvent::Notice(Notice { at, text })).await?;
    }
    let probers = Probers {
        icmp,
        tcp_limit: Semaphore::new(TCP_CONCURRENCY),
        resolve_limit: Semaphore::new(RESOLVE_CONCURRENCY),
        timeout: cfg.timeout,
        via,
    };

    let (tick, every) = schedule(&slots, cfg.interval);
    let tick_cfg = SweepConfig {
        interval: tick,
        ..cfg.clone()
    };
    let first = Instant::now();
    let mut sweep = 0u64;
    while cfg.count.is_none_or(|count| sweep < count) {
        if sweep > 0 {
            tokio::time::sleep_until(start_of(first, tick, sweep, Instant::now())).await;
        }
        sweep += 1;
        let due = due_in(sweep, &every);
        let stats = run_sweep(sweep, &mut slots, &due, &probers, &tick_cfg, events).await?;
        tracing::debug!(
            sweep,
            sent = stats.sent,
            replies = stats.replies,
            elapsed_ms = stats.elapsed.as_millis() as u64,
            "sweep done"
        );
        send(events, ProbeEvent::SweepDone(stats)).await?;
    }
    Ok(())
}

/// When the sweep after `done` sweeps starts, the first having started at `first`: on the
/// first beat (`base::beat`) at or after its turn `first + done × tick`, so the interval
/// holds on average and never drifts, and the sweep's wake-up is one the dashboard has
/// anyway. A sweep that overran its interval makes the turns it missed be skipped: the
/// next one starts at the next turn still to come.
fn start_of(first: Instant, tick: Duration, done: u64, now: Instant) -> Instant {
    // A zero interval still waits a millisecond between sweeps.
    let tick = tick.max(Duration::from_millis(1));
    let turn = |k: u64| first + tick * u32::try_from(k).unwrap_or(u32::MAX);
    let mut k = done;
    if turn(k) < now {
        let behind = (now - turn(k)).as_nanos();
        k += u64::try_from(behind.div_ceil(tick.as_nanos())).unwrap_or(u64::MAX / 2);
    }
    beat::tokio_at_or_after(turn(k))
}

/// The sweep tick (the shortest interval of any device) and, per slot, every how many
/// ticks it is probed (its interval rounded to a whole number of ticks).
fn schedule(slots: &[Slot], default: Duration) -> (Duration, Vec<u64>) {
    let interval = |s: &Slot| s.target.interval.unwrap_or(default);
    let tick = slots.iter().map(interval).min().unwrap_or(default);
    let every = slots
        .iter()
        .map(|s| {
            let ratio = interval(s).as_secs_f64() / tick.as_secs_f64().max(1e-9);
            (ratio.round() as u64).max(1)
        })
        .collect();
    (tick, every)
}

/// The slots due in sweep number `sweep` (1-based): all of them in the first sweep.
fn due_in(sweep: u64, every: &[u64]) -> Vec<usize> {
    (0..every.len())
        .filter(|&i| (sweep - 1).is_multiple_of(every[i]))
        .collect()
}

// A named fn, not a closure: keeps the spawned future's `Send` check happy.
fn host_of(slot: &mut Slot) -> &mut HostAddr {
    &mut slot.host
}

/// Open ICMP sockets only when ICMP is allowed and some target needs them.
fn open_icmp(mode: &ProbeMode, slots: &[&Slot]) -> (Option<IcmpProber>, Vec<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(device: usize, interval: Option<u64>) -> Slot {
        let target = Target {
            device,
            host: "127.0.0.1".into(),
            spec: ProbeSpec::Icmp,
            ssh_port: 22,
            interval: interval.map(Duration::from_millis),
        };
        Slot {
            host: HostAddr::parse(&target.host),
            target,
        }
    }

    /// Sweeps start on beats, at most a beat after their turn, so a thousand of them take
    /// a thousand intervals, not a thousand and a bit; one that overran skips the turns it
    /// missed.
    #[test]
    fn sweeps_start_on_the_beat_without_drifting() {
        let first = Instant::now();
        let tick = Duration::from_secs(1);
        let on_beat = |t: Instant| beat::tokio_at_or_after(t) == t;
        for done in [1, 2, 3, 1_000] {
            let turn = first + tick * done;
            let at = start_of(first, tick, u64::from(done), first);
            assert!(on_beat(at), "sweep {done} off the beat");
            assert!(
                at >= turn && at - turn < beat::BEAT,
                "sweep {done} at {:?}",
                at - first
            );
        }
        // The second sweep's turn came and went while the first ran 2.5 s: the next starts
        // at the third turn (3 s), not at once and not at 3.5 s.
        let late = first + Duration::from_millis(2_500);
        let at = start_of(first, tick, 1, late);
        assert!(at >= first + 3 * tick && at - (first + 3 * tick) < beat::BEAT);
    }

    /// Core every second, access every 10 s, the rest at the command line's 2 s: the tick is
    /// the fastest, and each device is due every whole number of ticks.
    #[test]
    fn per_device_intervals_make_a_schedule_of_ticks() {
        let slots = [slot(0, Some(1_000)), slot(1, Some(10_000)), slot(2, None)];
        let (tick, every) = schedule(&slots, Duration::from_secs(2));
        assert_eq!(tick, Duration::from_secs(1));
        assert_eq!(every, [1, 10, 2]);
        let probed: Vec<usize> = (0..3)
            .map(|i| (1..=20).filter(|&s| due_in(s, &every).contains(&i)).count())
            .collect();
        assert_eq!(probed, [20, 2, 10], "20 ticks of a second");
        assert_eq!(due_in(1, &every), [0, 1, 2], "everyone in the first sweep");
        // Without per-device intervals: one tick, everyone every time.
        let (tick, every) = schedule(&[slot(0, None), slot(1, None)], Duration::from_secs(5));
        assert_eq!((tick, every), (Duration::from_secs(5), vec![1, 1]));
        // Not a multiple of the tick: rounded to the nearest one, never below one tick.
        let (_, every) = schedule(
            &[slot(0, Some(400)), slot(1, Some(1_000))],
            Duration::from_secs(1),
        );
        assert_eq!(every, [1, 3]);
    }
}
