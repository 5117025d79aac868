//! One sweep: send every target's probe on the pacing schedule, report the results as they
//! settle (those settled in one wake-up in one message), expire unanswered ICMP probes, and
//! total it all up.
//!
//! ICMP probes to known addresses are sent straight from this loop in bursts (no future per
//! probe: that is what keeps 10,000 targets cheap; one `sendmmsg` per burst, see `pacing`);
//! their answers come back several per message. TCP probes and name lookups run as
//! futures, at most `TCP_CONCURRENCY` / `RESOLVE_CONCURRENCY` at a time.
//!
//! Wake-ups of a paced sweep: one per [`super::pacing::SEND_TICK`] to send, one per batch
//! of answers, and expiry of unanswered probes at most once per tick (answered ones are
//! dropped from the queue of deadlines without a timer). Sends and expiries fall on the process's beat
//! (`base::beat`), so they share wake-ups with each other and with the dashboard's.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use super::bastion::ViaBastion;
use super::icmp::IcmpProber;
use super::pacing::Pacer;
use super::reply_table::{Answer, Sink, Ticket};
use super::report::{ProbeEvent, ProbeOutcome, ProbeResult, SweepStats};
use super::resolve::{HostAddr, RESOLVE_TIMEOUT};
use super::target::{SweepConfig, Target};
use super::tcp::{TcpPolicy, tcp_probe};
use crate::base::beat;
use crate::inventory::ProbeSpec;

/// One target and what we know about its address.
pub struct Slot {
    pub target: Target,
    pub host: HostAddr,
}

/// What every probe of every sweep shares.
pub struct Probers {
    pub icmp: Option<IcmpProber>,
    pub tcp_limit: Semaphore,
    pub resolve_limit: Semaphore,
    pub timeout: Duration,
    /// Devices probed through their bastion.
    pub via: Option<ViaBastion>,
}

impl Probers {
    fn behind_bastion(&self, device: usize) -> bool {
        self.via.as_ref().is_some_and(|v| v.covers(device))
    }
}

/// The receiver is gone: nobody listens, so the task stops.
pub struct Closed;

/// What a lookup-or-TCP future came back with.
struct Settled {
    key: usize,
    /// The host after a lookup, to store back into the slot.
    host: Option<HostAddr>,
    next: Next,
}

enum Next {
    Done(ProbeOutcome),
    /// The name resolved and the device is probed by ICMP: send it now.
    SendIcmp(IpAddr),
}

/// Bookkeeping of one sweep.
struct Tally {
    done: Vec<bool>,
    remaining: usize,
    replies: usize,
    /// Results not reported yet.
    settled: Vec<ProbeResult>,
}

impl Tally {
    /// Record a result (the first one per target wins) in `settled`, to report.
    fn settle(&mut self, slots: &mut [Slot], key: usize, outcome: ProbeOutcome) {
        self.settle_at(slots, key, outcome, std::time::Instant::now())
    }

    /// As `settle`, with the time the result was known (a reply's receive time).
    fn settle_at(
        &mut self,
        slots: &mut [Slot],
        key: usize,
        outcome: ProbeOutcome,
        at: std::time::Instant,
    ) {
        if std::mem::replace(&mut self.done[key], true) {
            return;
        }
        self.remaining -= 1;
        if matches!(outcome, ProbeOutcome::Reply { .. }) {
            self.replies += 1;
        } else {
            // No answer: maybe the name points elsewhere now.
            slots[key].host.doubt();
        }
        self.settled.push(ProbeResult {
            device: slots[key].target.device,
            at,
            outcome,
        });
    }

    /// Everything settled since the last report, in one message: one channel send per
    /// wake-up, however many answers it brought.
    async fn report<E: From<ProbeEvent>>(
        &mut self,
        events: &mpsc::Sender<E>,
    ) -> Result<(), Closed> {
        if self.settled.is_empty() {
            return Ok(());
        }
        send(
            events,
            ProbeEvent::Probes(std::mem::take(&mut self.settled)),
        )
        .await
    }
}

/// Probes the slots listed in `due` (indices into `slots`, the devices whose interval has
/// come round) once each.
pub async fn run_sweep<E: From<ProbeEvent>>(
    sweep: u64,
    slots: &mut [Slot],
    due: &[usize],
    probers: &Probers,
    cfg: &SweepConfig,
    events: &mpsc::Sender<E>,
) -> Result<SweepStats, Closed> {
    let start = Instant::now();
    let n = due.len();
    let pacer = Pacer::new(cfg.rate, n, cfg.interval, start);
    // Unbounded is bounded in practice: at most one answer per target of this sweep.
    let (sink, mut answers) = mpsc::unbounded_channel::<Vec<Answer>>();
    let mut others = FuturesUnordered::new();
    // ICMP probes in send order; their deadlines only grow, so the front expires first.
    let mut waiting: VecDeque<(Instant, usize, Ticket)> = VecDeque::new();
    let mut tally = Tally {
        done: vec![false; slots.len()],
        remaining: n,
        replies: 0,
        settled: Vec::new(),
    };
    let mut next = 0;
    // The earliest time of the next burst, and of the next expiry pass.
    let mut send_at = start;
    let mut expired_at = start;

    while tally.remaining > 0 {
        let now = Instant::now();
        if next < n && now >= send_at {
            // The probes whose slot has come, at most one burst of them, in one go.
            let count = pacer.due(next, n, now);
            let mut burst = Vec::with_capacity(count);
            for &key in &due[next..next + count] {
                let slot = &slots[key];
                match icmp_addr(slot, probers) {
                    Some(ip) => burst.push((ip, key)),
                    None => others.push(probe_other(key, slot, probers)),
                }
            }
            next += count;
            send_icmp(probers, &burst, &sink, &mut waiting, &mut tally, slots).await;
            send_at = pacer.next_burst(next, now);
        }

        // Answered probes leave the front of the deadlines here, not by a timer each.
        while waiting.front().is_some_and(|w| tally.done[w.1]) {
            waiting.pop_front();
        }
        let next_send = (next < n).then_some(send_at);
        // On the beat: a lost probe is reported up to one beat after its deadline.
        let next_expiry = waiting
            .front()
            .map(|w| beat::tokio_at_or_after(w.0).max(beat::tokio_after(expired_at)));
        // What the last wake-up settled, before waiting for the next.
        tally.report(events).await?;
        tokio::select! {
            Some(batch) = answers.recv() => {
                for a in batch {
                    tally.settle_at(slots, a.key, a.outcome, a.at);
                }
            }
            Some(s) = others.next(), if !others.is_empty() => {
                if let Some(host) = s.host {
                    slots[s.key].host = host;
                }
                match s.next {
                    Next::Done(outcome) => tally.settle(slots, s.key, outcome),
                    Next::SendIcmp(ip) => {
                        send_icmp(probers, &[(ip, s.key)], &sink, &mut waiting, &mut tally, slots)
                            .await;
                    }
                }
            }
            () = sleep_until(next_expiry), if next_expiry.is_some() => {
                // Answers already received win over a deadline that passed meanwhile.
                while let Ok(batch) = answers.try_recv() {
                    for a in batch {
                        tally.settle_at(slots, a.key, a.outcome, a.at);
                    }
                }
                let now = Instant::now();
                expired_at = now;
                while let Some(&(deadline, key, ticket)) = waiting.front() {
                    if deadline > now {
                        break;
                    }
                    waiting.pop_front();
                    if let Some(icmp) = &probers.icmp {
                        icmp.withdraw(ticket);
                    }
                    tally.settle(slots, key, ProbeOutcome::Lost);
                }
            }
            () = sleep_until(next_send), if next_send.is_some() => {}
        }
    }
    tally.report(events).await?;
    Ok(SweepStats {
        sweep,
        sent: n,
        replies: tally.replies,
        elapsed: start.elapsed(),
        pace: Pacer::gap_for(cfg.rate, n, cfg.interval)
            .map(|gap| (1.0 / gap.as_secs_f64()).round() as u32),
    })
}

/// The address to probe `slot` at by ICMP from here, if that is how it is probed now.
fn icmp_addr(slot: &Slot, probers: &Probers) -> Option<IpAddr> {
    match (slot.host.needs_lookup(), slot.host.addr(), slot.target.spec) {
        _ if probers.behind_bastion(slot.target.device) => None,
        (false, Ok(ip), ProbeSpec::Icmp) if probers.icmp.is_some() => Some(ip),
        _ => None,
    }
}

/// Send a burst of ICMP probes and queue their deadlines; the probes that could not be sent
/// settle at once.
async fn send_icmp(
    probers: &Probers,
    burst: &[(IpAddr, usize)],
    sink: &Sink,
    waiting: &mut VecDeque<(Instant, usize, Ticket)>,
    tally: &mut Tally,
    slots: &mut [Slot],
) {
    if burst.is_empty() {
        return;
    }
    let results = match &probers.icmp {
        Some(icmp) => icmp.send_batch(burst, sink).await,
        None => vec![Err("ICMP unavailable".to_owned()); burst.len()],
    };
    let deadline = Instant::now() + probers.timeout;
    for (&(_, key), result) in burst.iter().zip(results) {
        match result {
            Ok(ticket) => waiting.push_back((deadline, key, ticket)),
            Err(reason) => tally.settle(slots, key, ProbeOutcome::Failed { reason }),
        }
    }
}

/// A target that needs a lookup first, or a TCP connect.
fn probe_other<'a>(
    key: usize,
    slot: &Slot,
    probers: &'a Probers,
) -> impl Future<Output = Settled> + 'a {
    let mut host = slot.host.clone();
    let target = slot.target.clone();
    async move {
        if let Some(via) = probers.via.as_ref().filter(|v| v.covers(target.device)) {
            let _permit = probers.tcp_limit.acquire().await.ok();
            return Settled {
                key,
                host: None,
                next: Next::Done(via.probe(target.device, probers.timeout).await),
            };
        }
        let looked_up = host.needs_lookup();
        if looked_up {
            host.refresh(&probers.resolve_limit, RESOLVE_TIMEOUT).await;
        }
        let next = match host.addr() {
            Err(reason) => Next::Done(ProbeOutcome::Failed { reason }),
            Ok(ip) => match (target.spec, &probers.icmp) {
                (ProbeSpec::Icmp, Some(_)) => Next::SendIcmp(ip),
                (ProbeSpec::Icmp, None) => {
                    Next::Done(tcp(probers, ip, target.ssh_port, TcpPolicy::HostAlive).await)
                }
                (ProbeSpec::Tcp(port), _) => {
                    Next::Done(tcp(probers, ip, port, TcpPolicy::ServiceOpen).await)
                }
            },
        };
        Settled {
            key,
            host: looked_up.then_some(host),
            next,
        }
    }
}

async fn tcp(probers: &Probers, ip: IpAddr, port: u16, policy: TcpPolicy) -> ProbeOutcome {
    // Never closed, so acquire cannot fail; without a permit we would still probe.
    let _permit = probers.tcp_limit.acquire().await.ok();
    tcp_probe(SocketAddr::new(ip, port), probers.timeout, policy).await
}

/// Sleep until `at`; `None` never fires (its select branch is disabled anyway).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

pub async fn send<E: From<ProbeEvent>>(
    events: &mpsc::Sender<E>,
    event: ProbeEvent,
) -> Result<(), Closed> {
    events.send(event.into()).await.map_err(|_| Closed)
}
