//! What one SSH attempt ends with: the output, or the error and the stage it failed at.

use crate::base::sanitize::Removed;

/// The stage an SSH attempt failed at: the first thing an engineer asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Resolve,
    Connect,
    Handshake,
    HostKey,
    Auth,
    Channel,
    /// Logged in, but the device never showed a prompt its platform recognises.
    Prompt,
    /// `platform: autodetect` found no platform (or several) on the device.
    Detect,
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
            Stage::Prompt => "prompt",
            Stage::Detect => "detect",
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
