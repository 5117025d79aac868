//! ICMP echo probes over surge-ping: one tuned client per address family.
//!
//! Replies are matched by (address, identifier, sequence). The identifier is random per
//! prober (RAW sockets see every ICMP packet on the host, other pingers' too); the sequence
//! is a wrapping counter shared by all probes, so two devices with the same address, or a
//! late reply from an earlier sweep, can never be taken for the current probe (a sequence
//! is reused only after 65,536 probes).
//!
//! RTT precision: surge-ping reads the send time after `send_to` returns and the receive
//! time when its task reads the reply, so loopback RTTs are a few µs short or long and can
//! read 0. Good enough for a dashboard; kernel timestamps would be needed for better.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use socket2::Type;
use surge_ping::{Client, Config, ICMP, IcmpPacket, PingIdentifier, PingSequence, SurgeError};

use super::sockopt::{self, RCVBUF_BYTES};
use crate::fleet::{IcmpSocket, ProbeOutcome};

/// Echo payload: small on purpose (more replies fit the receive queue), still recognisable.
const PAYLOAD: &[u8; 16] = b"fleetdash-probe!";

/// Sends echo requests and waits for their replies.
pub struct IcmpProber {
    v4: Result<Client, String>,
    v6: Result<Client, String>,
    ident: PingIdentifier,
    seq: AtomicU16,
}

impl IcmpProber {
    /// Open and tune a client for each family that is needed. Returns the prober and the
    /// notices worth showing (a socket that could not be opened or tuned).
    pub fn new(kind: IcmpSocket, need_v4: bool, need_v6: bool) -> (Self, Vec<String>) {
        let mut notices = Vec::new();
        let mut open = |needed: bool, family: ICMP| {
            if !needed {
                return Err("no targets of this family".to_owned());
            }
            let (client, mut problems) = open_client(kind, family)?;
            notices.append(&mut problems);
            Ok(client)
        };
        let v4 = open(need_v4, ICMP::V4);
        let v6 = open(need_v6, ICMP::V6);
        for err in [&v4, &v6].into_iter().filter_map(|c| c.as_ref().err()) {
            if !err.starts_with("no targets") {
                notices.push(err.clone());
            }
        }
        let prober = Self {
            v4,
            v6,
            ident: PingIdentifier(random_u16()),
            seq: AtomicU16::new(random_u16()),
        };
        (prober, notices)
    }

    /// One echo request to `ip`, waiting at most `timeout` for the answer.
    pub async fn probe(&self, ip: IpAddr, timeout: Duration) -> ProbeOutcome {
        let client = match (ip, &self.v4, &self.v6) {
            (IpAddr::V4(_), Ok(c), _) | (IpAddr::V6(_), _, Ok(c)) => c,
            (IpAddr::V4(_), Err(e), _) | (IpAddr::V6(_), _, Err(e)) => {
                return ProbeOutcome::Failed { reason: e.clone() };
            }
        };
        let seq = PingSequence(self.seq.fetch_add(1, Ordering::Relaxed));
        let mut pinger = client.pinger(ip, self.ident).await;
        pinger.timeout(timeout);
        match pinger.ping(seq, PAYLOAD).await {
            Ok((packet, rtt)) => classify_packet(&packet, rtt),
            Err(SurgeError::Timeout { .. }) => ProbeOutcome::Lost,
            Err(e) => ProbeOutcome::Failed {
                reason: format!("ICMP: {e}"),
            },
        }
    }
}

fn open_client(kind: IcmpSocket, family: ICMP) -> Result<(Client, Vec<String>), String> {
    let name = match family {
        ICMP::V4 => "ICMPv4",
        ICMP::V6 => "ICMPv6",
    };
    let hint = match kind {
        IcmpSocket::Raw => Type::RAW,
        IcmpSocket::Datagram => Type::DGRAM,
    };
    let config = Config::builder().kind(family).sock_type_hint(hint).build();
    let client = Client::new(&config).map_err(|e| format!("{name} socket: {e}"))?;
    let socket = client.get_socket();
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
    if socket.get_type() == Type::RAW {
        let filtered = match family {
            ICMP::V4 => sockopt::filter_v4(fd),
            ICMP::V6 => sockopt::filter_v6(fd),
        };
        if let Err(e) = filtered {
            problems.push(format!("{name}: cannot install ICMP type filter: {e}"));
        }
    }
    Ok((client, problems))
}

/// An echo reply is up; anything else routed to us for this probe is an ICMP error.
fn classify_packet(packet: &IcmpPacket, rtt: Duration) -> ProbeOutcome {
    let (ty, code, from) = match packet {
        IcmpPacket::V4(p) => (
            p.get_icmp_type().0,
            p.get_icmp_code().0,
            IpAddr::V4(p.get_source()),
        ),
        IcmpPacket::V6(p) => (
            p.get_icmpv6_type().0,
            p.get_icmpv6_code().0,
            IpAddr::V6(p.get_source()),
        ),
    };
    let v6 = matches!(packet, IcmpPacket::V6(_));
    match icmp_error_text(v6, ty, code) {
        None => ProbeOutcome::Reply { rtt },
        Some(text) => ProbeOutcome::Failed {
            reason: format!("{text} (from {from})"),
        },
    }
}

/// `None` for an echo reply, else a short description of the ICMP error.
fn icmp_error_text(v6: bool, ty: u8, code: u8) -> Option<String> {
    let text = match (v6, ty, code) {
        (false, 0, _) | (true, 129, _) => return None,
        (false, 3, 0) | (true, 1, 0) => "network unreachable",
        (false, 3, 1) | (true, 1, 3) => "host unreachable",
        (false, 3, 13) | (true, 1, 1) => "administratively prohibited",
        (false, 3, _) | (true, 1, _) => "destination unreachable",
        (false, 11, _) | (true, 3, _) => "TTL exceeded in transit",
        (true, 2, _) => "packet too big",
        _ => "unexpected ICMP message",
    };
    Some(format!("{text} (type {ty} code {code})"))
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
    fn echo_replies_are_not_errors() {
        assert_eq!(icmp_error_text(false, 0, 0), None);
        assert_eq!(icmp_error_text(true, 129, 0), None);
    }

    #[test]
    fn errors_are_named_in_both_families() {
        let v4 = icmp_error_text(false, 3, 1).unwrap();
        let v6 = icmp_error_text(true, 1, 3).unwrap();
        assert!(v4.starts_with("host unreachable"), "{v4}");
        assert!(v6.starts_with("host unreachable"), "{v6}");
        assert!(
            icmp_error_text(false, 11, 0)
                .unwrap()
                .starts_with("TTL exceeded")
        );
        assert!(
            icmp_error_text(false, 5, 0)
                .unwrap()
                .contains("type 5 code 0")
        );
    }

    #[test]
    fn identifiers_differ_between_probers() {
        // Random per call; 8 draws all equal would mean it is not random at all.
        let draws: std::collections::HashSet<u16> = (0..8).map(|_| random_u16()).collect();
        assert!(draws.len() > 1);
    }
}
