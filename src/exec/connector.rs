//! The seam between the exec engine and SSH: something that opens a session to a device
//! ([`Connector`]) and a session that runs one command at a time ([`Session`]).
//!
//! The engine is generic over these so it runs against the russh client in production and
//! against a deterministic in-process fake in tests.

use std::future::Future;

use crate::inventory::Device;
use crate::ssh::{ExecError, Output};

/// A command polled periodically on a platform, and how to turn its output into facts.
#[derive(Debug, Clone)]
pub struct PollSpec {
    pub command: String,
    /// Output → (label, value) pairs shown in the detail pane.
    pub parse: fn(&str) -> Vec<(String, String)>,
}

/// Opens sessions. Shared by every device worker, so it must be cheap to call concurrently.
pub trait Connector: Send + Sync + 'static {
    type Session: Session;

    /// Connects, checks the host key and authenticates. Each stage is timed by the
    /// implementation; errors say which stage failed and never contain a secret.
    fn connect(
        &self,
        device: &Device,
    ) -> impl Future<Output = Result<Self::Session, ExecError>> + Send;

    /// A notice the last failed connect to `device` left for the operator (a host key
    /// learned before a later stage failed), taken once: a retry that succeeds does not
    /// learn the key again, so this is the only place it is told.
    fn take_failure_notice(&self, device: &Device) -> Option<String> {
        let _ = device;
        None
    }

    /// The commands to poll on `platform` (none by default).
    fn poll_specs(&self, platform: &str) -> Vec<PollSpec> {
        let _ = platform;
        Vec::new()
    }
}

/// One authenticated session to one device. The engine never calls `run` twice at once.
pub trait Session: Send + 'static {
    /// Sends `command` and reads its answer (capped, stripped of control sequences).
    /// `maybe_ran` in the error says whether the command may have reached the device.
    fn run(&mut self, command: &str) -> impl Future<Output = Result<Output, ExecError>> + Send;

    /// Whether the transport is gone (the next `run` would fail before sending).
    fn is_closed(&self) -> bool;

    /// Something the operator should know about this connect (a host key learned under
    /// accept-new); read once, right after connecting, and logged.
    fn connect_notice(&self) -> Option<String> {
        None
    }
}
