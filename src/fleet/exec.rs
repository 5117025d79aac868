//! Commands run over SSH: what the front ends ask for ([`Command`]) and what the exec
//! workers report back ([`ExecEvent`]). Types only; the engine lives in `crate::exec`.

use std::time::{Duration, Instant};

use crate::base::sanitize::Removed;
use crate::inventory::DeviceId;

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
    /// Cancel what of this run has not started yet. A command already sent is never killed.
    Cancel { run: RunId },
}

/// The stage an SSH attempt failed at: the first thing an engineer asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Resolve,
    Connect,
    Handshake,
    HostKey,
    Auth,
    Channel,
    Command,
    /// The device's circuit breaker is open: not tried.
    CircuitOpen,
    /// Cancelled before it started.
    Cancelled,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Resolve => "resolve",
            Stage::Connect => "connect",
            Stage::Handshake => "handshake",
            Stage::HostKey => "host key",
            Stage::Auth => "auth",
            Stage::Channel => "channel",
            Stage::Command => "command",
            Stage::CircuitOpen => "circuit open",
            Stage::Cancelled => "cancelled",
        }
    }
}

/// Why a command did not produce output. `reason` is for people and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub stage: Stage,
    /// Whether the command may have reached the device (then it is never retried).
    pub maybe_ran: bool,
    pub reason: String,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.stage.as_str(), self.reason)
    }
}

impl std::error::Error for ExecError {}

/// A command's answer, already capped and stripped of control sequences.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    pub text: String,
    /// Exit status where the channel reports one (exec channels).
    pub exit_status: Option<u32>,
    /// The output hit the byte cap and was cut.
    pub truncated: bool,
    /// A platform error marker found in the output (`% Invalid input detected`…).
    pub error_marker: Option<String>,
    /// What the sanitizer took out of the device's text (escape sequences, controls,
    /// overwritten characters): shown beside the output, like `truncated`.
    pub removed: Removed,
}

impl Output {
    /// Whether the device accepted the command.
    pub fn ok(&self) -> bool {
        self.error_marker.is_none() && self.exit_status.is_none_or(|s| s == 0)
    }
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
