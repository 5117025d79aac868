//! Commands run over SSH: what the front ends ask for ([`Command`]) and what the exec
//! workers report back ([`ExecEvent`]).

use std::time::{Duration, Instant};

use crate::base::notice::Notice;
use crate::inventory::DeviceId;
use crate::ssh::{ExecError, Output};

/// Where the engine's reports go: a channel of any event type that takes exec events and
/// notices (the fleet's `Event` does), so the engine never names the reducer's types.
pub trait ExecSink: From<ExecEvent> + From<Notice> + Send + 'static {}

impl<E: From<ExecEvent> + From<Notice> + Send + 'static> ExecSink for E {}

/// Identifies one operator action ("run `show version` on these 40 devices").
pub type RunId = u64;

/// What a front end asks the workers to do. Workers never touch UI state; the UI never
/// awaits the network: it sends these.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run `command` on each device (in order of the list, within the concurrency limits).
    Run {
        run: RunId,
        devices: Vec<DeviceId>,
        command: String,
    },
    /// Cancel what of this run has not been sent yet, connects in progress included. A
    /// command already sent is never killed.
    Cancel { run: RunId },
}

/// The device's SSH link as its tile shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Idle,
    Connecting,
    Connected,
    Failed {
        reason: String,
    },
    /// Too many consecutive failures: not tried again before `until`.
    CircuitOpen {
        until: Instant,
    },
    /// Cool-down over: the next command is the one trial.
    HalfOpen,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    Queued {
        run: RunId,
        device: DeviceId,
    },
    /// The device's turn came and its session is being opened (connect, handshake, auth)
    /// for this run: no longer waiting in the queue, not yet sent.
    Connecting {
        run: RunId,
        device: DeviceId,
    },
    Started {
        run: RunId,
        device: DeviceId,
        at: Instant,
    },
    Finished {
        run: RunId,
        device: DeviceId,
        at: Instant,
        duration: Duration,
        result: Result<Output, ExecError>,
    },
    Link {
        device: DeviceId,
        link: Link,
    },
    /// Facts parsed from poll commands (version, uptime…), as label → value.
    Facts {
        device: DeviceId,
        at: Instant,
        facts: Vec<(String, String)>,
    },
}
