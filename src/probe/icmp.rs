//! ICMP echo over surge-ping's socket and decoder, with our own send path and reply table.
//!
//! Why not `surge_ping::Pinger`: one future, oneshot, timer and map entry per probe made a
//! 10,000-target sweep spend most of its time in future bookkeeping (measured: 1.1–2.6× as
//! slow as fping). Here a sweep hands over its probes in bursts, each burst leaves in one
//! `sendmmsg` per 64 probes ([`super::mmsg`]), a single receive task per socket reads every
//! waiting reply per wake-up (`recvmmsg`), matches them by sequence number in a table and
//! forwards them as one message per read, and the sweep expires the unanswered ones itself.
//! surge-ping still opens the socket (RAW or DGRAM) and decodes replies and ICMP errors.
//!
//! Matching: the identifier is random per prober (a RAW socket sees every ICMP packet on
//! the host, other pingers' too; the kernel sets it on DGRAM sockets); the sequence is a
//! wrapping counter shared by all probes, and the replying address must be the one probed.
//! A late reply to an expired probe finds no entry and is dropped.
//!
//! RTT: from just before the burst's first `sendmmsg` to the kernel's arrival stamp of
//! the reply (`SO_TIMESTAMPNS`), so a reply that waited in the queue while the receive task
//! let a burst's replies gather still counts its true time; it includes the burst's earlier
//! sends (on loopback about 3 µs each). The first reply of a wake-up is read at once and
//! timed in user space, as are all replies when the socket refuses stamps.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use socket2::Type;
use surge_ping::{AsyncSocket, Config, ICMP};
use tokio::task::JoinHandle;

use super::mmsg::{self, RecvBufs};
use super::packet::{answer_error, decode, echo_request};
use super::reply_table::{Answer, Sink, Table, Ticket};
use super::report::{IcmpSocket, ProbeOutcome};
use super::sockopt::{self, RCVBUF_BYTES};

/// Echo payload: small on purpose (more replies fit the receive queue), still recognisable.
const PAYLOAD: &[u8; 16] = b"fleetdash-probe!";

/// Both address families; each opened only when needed.
pub struct IcmpProber {
    v4: Result<EchoSocket, String>,
    v6: Result<EchoSocket, String>,
}

impl IcmpProber {
    /// Open and tune a socket per needed family (needs a tokio runtime: it spawns the
    /// receive tasks). Also returns the notices worth showing (sockets not opened or tuned).
    pub fn new(kind: IcmpSocket, need_v4: bool, need_v6: bool) -> (Self, Vec<String>) {
        let ident = random_u16();
        let mut notices = Vec::new();
        let mut open = |needed: bool, family: ICMP| {
            if !needed {
                return Err("no targets of this family".to_owned());
            }
            let opened = EchoSocket::open(kind, family, ident);
            match &opened {
                Ok((_, problems)) => notices.extend(problems.iter().cloned()),
                Err(e) => notices.push(e.clone()),
            }
            opened.map(|(socket, _)| socket)
        };
        let v4 = open(need_v4, ICMP::V4);
        let v6 = open(need_v6, ICMP::V6);
        (Self { v4, v6 }, notices)
    }

    /// Send a burst of echo requests, `(address, key)` each; every answer (reply or ICMP
    /// error) arrives on `sink` with its key, several per message. One result per probe, in
    /// order: an `Err` is a probe that could not be sent (the reason is the `Failed` text).
    pub async fn send_batch(
        &self,
        probes: &[(IpAddr, usize)],
        sink: &Sink,
    ) -> Vec<Result<Ticket, String>> {
        let mut results: Vec<Result<Ticket, String>> = Vec::with_capacity(probes.len());
        results.resize_with(probes.len(), || Err(String::new()));
        for v6 in [false, true] {
            let (at, of_family): (Vec<usize>, Vec<(IpAddr, usize)>) = probes
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0.is_ipv6() == v6)
                .map(|(i, p)| (i, *p))
                .unzip();
            if at.is_empty() {
                continue;
            }
            let sent = match self.family(v6) {
                Ok(socket) => socket.send_batch(&of_family, sink).await,
                Err(e) => vec![Err(e.clone()); at.len()],
            };
            for (i, r) in at.into_iter().zip(sent) {
                results[i] = r;
            }
        }
        results
    }

    /// The probe timed out: forget it, so a late reply is ignored.
    pub fn withdraw(&self, ticket: Ticket) {
        if let Ok(socket) = self.family(ticket.v6) {
            socket.table.withdraw(ticket);
        }
    }

    fn family(&self, v6: bool) -> &Result<EchoSocket, String> {
        if v6 { &self.v6 } else { &self.v4 }
    }
}

/// One ICMP socket of one family and its receive task (aborted on drop).
struct EchoSocket {
    socket: AsyncSocket,
    raw: bool,
    v6: bool,
    ident: u16,
    table: Arc<Table>,
    recv: JoinHandle<()>,
}

impl Drop for EchoSocket {
    fn drop(&mut self) {
        self.recv.abort();
    }
}

impl EchoSocket {
    fn open(kind: IcmpSocket, family: ICMP, ident: u16) -> Result<(Self, Vec<String>), String> {
        let v6 = family == ICMP::V6;
        let name = if v6 { "ICMPv6" } else { "ICMPv4" };
        let hint = match kind {
            IcmpSocket::Raw => Type::RAW,
            IcmpSocket::Datagram => Type::DGRAM,
        };
        let config = Config::builder().kind(family).sock_type_hint(hint).build();
        let socket = AsyncSocket::new(&config).map_err(|e| format!("{name} socket: {e}"))?;
        let raw = socket.get_type() == Type::RAW;
        let problems = tune(&socket, name, raw, v6, ident);
        // Without arrival stamps the receive task reads at once (see GATHER); no notice.
        let stamped = sockopt::timestamp_arrivals(socket.get_native_sock()).is_ok();
        let table = Arc::new(Table::default());
        let recv = tokio::spawn(receive(
            socket.clone(),
            Arc::clone(&table),
            raw,
            ident,
            stamped,
        ));
        let echo = Self {
            socket,
            raw,
            v6,
            ident,
            table,
            recv,
        };
        Ok((echo, problems))
    }

    /// Register and send `probes` (all of this socket's family), [`mmsg::BATCH`] per call.
    async fn send_batch(
        &self,
        probes: &[(IpAddr, usize)],
        sink: &Sink,
    ) -> Vec<Result<Ticket, String>> {
        let mut results = Vec::with_capacity(probes.len());
        let mut packets = Vec::with_capacity(probes.len());
        let mut to = Vec::with_capacity(probes.len());
        let sent = (Instant::now(), SystemTime::now());
        for (i, &(ip, key)) in probes.iter().enumerate() {
            let Some((seq, id)) = self.table.register(ip, key, sink, sent) else {
                results.push(Err("ICMP: 65,536 probes already in flight".to_owned()));
                continue;
            };
            results.push(Ok(Ticket {
                v6: self.v6,
                seq,
                id,
            }));
            packets.push((i, echo_request(self.v6, self.raw, self.ident, seq, PAYLOAD)));
            to.push(SocketAddr::new(ip, 0));
        }
        let fd = self.socket.get_native_sock();
        let mut next = 0;
        while next < packets.len() {
            let chunk: Vec<&[u8]> = packets[next..]
                .iter()
                .take(mmsg::BATCH)
                .map(|p| p.1.as_slice())
                .collect();
            match mmsg::send_many(fd, &chunk, &to[next..]) {
                Ok(sent) if sent > 0 => next += sent,
                // sendmmsg reports an error only for the first datagram of the call.
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                    let i = packets[next].0;
                    self.fail(&mut results[i], &e);
                    next += 1;
                }
                // No room in the send queue: wait for it the tokio way with this one.
                _ => {
                    let (i, packet) = &mut packets[next];
                    if let Err(e) = self.socket.send_to(packet, &to[next]).await {
                        self.fail(&mut results[*i], &e);
                    }
                    next += 1;
                }
            }
        }
        results
    }

    /// A probe that could not be sent: forget it and say why.
    fn fail(&self, result: &mut Result<Ticket, String>, e: &io::Error) {
        if let Ok(ticket) = result {
            self.table.withdraw(*ticket);
        }
        *result = Err(format!("ICMP send: {e}"));
    }
}

/// Raise the receive queue and, on RAW sockets, filter out everything but answers to us.
fn tune(socket: &AsyncSocket, name: &str, raw: bool, v6: bool, ident: u16) -> Vec<String> {
    let fd = socket.get_native_sock();
    let mut problems = Vec::new();
    match sockopt::raise_rcvbuf(fd, RCVBUF_BYTES) {
        // The kernel reports double what it was given; less than asked means rmem_max.
        Ok((got, _)) if got < RCVBUF_BYTES => problems.push(format!(
            "{name}: receive buffer only {} KiB (raise net.core.rmem_max): large sweeps may \
             lose replies",
            got / 1024
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("{name}: cannot raise receive buffer: {e}")),
    }
    if !v6 {
        // Only a saving (no IP identifier to pick); without it probes go out as before.
        let _ = sockopt::dont_fragment_v4(fd);
    }
    if raw {
        let filtered = if v6 {
            sockopt::filter_v6(fd)
        } else {
            sockopt::filter_v4(fd)
        };
        if let Err(e) = filtered {
            problems.push(format!("{name}: cannot install ICMP type filter: {e}"));
        }
        // Only a saving (other pingers' replies are dropped by the kernel, not by us).
        let _ = sockopt::filter_ident(fd, v6, ident);
    }
    problems
}

/// When a wake-up has read the queue empty and probes are still waiting, the receive task
/// lets more replies gather this long before it reads again, so the replies to one burst
/// take one wake-up and one message to the sweep, not one each (on loopback they arrive
/// while the burst is still being sent). Kernel arrival stamps keep the RTTs exact
/// meanwhile; without them there is no pause.
const GATHER: Duration = Duration::from_millis(4);

/// Read every waiting packet per wake-up, match each to a waiting probe, and pass the
/// answers on: one message per sweep channel per read, not one per reply.
async fn receive(socket: AsyncSocket, table: Arc<Table>, raw: bool, ident: u16, stamped: bool) {
    let kind = if raw { Type::RAW } else { Type::DGRAM };
    // Only filled into decoded DGRAM packets; the value does not matter for matching.
    let local = socket.local_addr().map(|a| a.ip()).ok();
    let fd = socket.get_native_sock();
    let mut bufs = RecvBufs::default();
    let mut first = [0u8; mmsg::DATAGRAM];
    let mut out = Outbox::default();
    let answer = |bytes: &[u8], from: SocketAddr, arrived: Option<SystemTime>, out: &mut Outbox| {
        let Some(packet) = decode(bytes, from.ip(), kind, local) else {
            return;
        };
        // DGRAM sockets only ever see their own replies; the kernel rewrites the ident.
        if raw && packet.get_identifier().0 != ident {
            return;
        }
        let Some(w) = table.take(packet.get_sequence().0, packet.real_destination()) else {
            return;
        };
        let now = Instant::now();
        // The kernel's stamp when there is one: the packet may have waited in the queue.
        let (at, rtt) = match arrived {
            Some(t) => {
                let waited = SystemTime::now().duration_since(t).unwrap_or_default();
                let rtt = t.duration_since(w.sent_wall).unwrap_or_default();
                (now.checked_sub(waited).unwrap_or(now), rtt)
            }
            None => (now, now.saturating_duration_since(w.sent)),
        };
        let outcome = match answer_error(&packet) {
            None => ProbeOutcome::Reply { rtt },
            Some(reason) => ProbeOutcome::Failed { reason },
        };
        out.push(
            w.sink,
            Answer {
                key: w.key,
                at,
                outcome,
            },
        );
    };
    // Read until a short read says the queue is empty.
    let mut drain = |out: &mut Outbox| {
        while matches!(
            bufs.recv_many(fd, |bytes, from, arrived| answer(bytes, from, arrived, out)),
            Ok(n) if n == mmsg::BATCH
        ) {}
    };
    loop {
        // Waits (tokio readiness) for the first packet; read at once, its own time is exact.
        let Ok((len, from)) = socket.recv_from(&mut first).await else {
            continue;
        };
        answer(&first[..len], from, None, &mut out);
        drain(&mut out);
        // Probes still waiting: the rest of their burst's replies gather, and leave with
        // these in one message. None: nothing more is coming, so these leave now (the last
        // replies of a sweep are not held back).
        if stamped && !table.is_empty() {
            tokio::time::sleep(GATHER).await;
            drain(&mut out);
        }
        out.flush();
    }
}

/// Answers read in one go, grouped by the sweep channel they go to (one, normally).
#[derive(Default)]
struct Outbox {
    groups: Vec<(Sink, Vec<Answer>)>,
}

impl Outbox {
    fn push(&mut self, sink: Sink, answer: Answer) {
        match self.groups.iter_mut().find(|g| g.0.same_channel(&sink)) {
            Some(g) => g.1.push(answer),
            None => self.groups.push((sink, vec![answer])),
        }
    }

    fn flush(&mut self) {
        for (sink, answers) in self.groups.drain(..) {
            // The sweep may have ended (receiver dropped): then nobody needs the answers.
            let _ = sink.send(answers);
        }
    }
}

/// A random u16 from the std hasher's per-process random keys (no `rand` dependency).
fn random_u16() -> u16 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    (h.finish() & 0xffff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_differ_between_probers() {
        // Random per call; 8 draws all equal would mean it is not random at all.
        let draws: std::collections::HashSet<u16> = (0..8).map(|_| random_u16()).collect();
        assert!(draws.len() > 1);
    }
}
