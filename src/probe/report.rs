//! What the sweeper reports: one result per probe (those settled together in one message),
//! a total per sweep, the probe mode, and setup notices. The sweeper sends these into any
//! channel whose event type converts from [`ProbeEvent`] (the fleet's `Event` does), so it
//! never names the reducer's types.

use std::time::{Duration, Instant};

use crate::base::notice::Notice;
use crate::inventory::DeviceId;

/// Everything the sweeper sends, in the order `sweeper` documents.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeEvent {
    /// Results that settled in one wake-up of the sweep, in the order they settled.
    Probes(Vec<ProbeResult>),
    SweepDone(SweepStats),
    Mode(ProbeMode),
    Notice(Notice),
}

/// The result of one probe of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub device: DeviceId,
    /// When the result was known (reply received, or timeout expired).
    pub at: Instant,
    pub outcome: ProbeOutcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProbeOutcome {
    /// An echo reply (ICMP) or a completed/refused connect (TCP), with the round trip.
    Reply { rtt: Duration },
    /// No answer before the timeout.
    Lost,
    /// The probe could not be sent or was answered with an error (no route, unresolvable
    /// host, ICMP unreachable…). Counts as a loss; the reason is shown.
    Failed { reason: String },
}

/// Which ICMP socket kind the sweeper uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpSocket {
    Raw,
    Datagram,
}

impl IcmpSocket {
    pub fn as_str(self) -> &'static str {
        match self {
            IcmpSocket::Raw => "raw",
            IcmpSocket::Datagram => "datagram",
        }
    }
}

/// How devices declared `probe: icmp` are probed in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeMode {
    Icmp(IcmpSocket),
    /// ICMP sockets could not be opened; ICMP devices are probed by TCP connect to their
    /// SSH port instead. `enable` is the exact command that would enable ICMP.
    TcpFallback {
        reason: String,
        enable: String,
    },
}

/// Totals for one completed sweep over all targets.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepStats {
    pub sweep: u64,
    pub sent: usize,
    pub replies: usize,
    pub elapsed: Duration,
    /// Probes a second the sends were paced at (`None`: not paced), so a front end can say
    /// why a sweep takes longer than its interval.
    pub pace: Option<u32>,
}
