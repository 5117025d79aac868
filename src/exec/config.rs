//! Tunables of the exec engine, with the defaults the issue asks for.

use std::sync::Arc;
use std::time::Duration;

use super::journal::Journal;
use super::redact::Secrets;

#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// Devices worked on at once (connecting or running), across all runs.
    pub concurrency: usize,
    /// Upper bound for a whole connect (TCP, handshake, host key, auth), on top of the
    /// session layer's own per-stage timeouts.
    pub connect_timeout: Duration,
    /// Upper bound for one command once sent.
    pub command_timeout: Duration,
    /// Extra attempts for failures before the command was sent (never after).
    pub retries: u32,
    /// First retry delay; doubled each time, capped at `backoff_max`, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Consecutive failed jobs that open a device's circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses work before one trial.
    pub breaker_cooldown: Duration,
    /// Poll each device's platform commands this often (`None`: no polling).
    pub poll_interval: Option<Duration>,
    /// Where each sent command is recorded (`None`: not recorded, for tests and benches).
    pub journal: Option<Arc<Journal>>,
    /// What to mask in events (and warn about at the start). `None`, as every front end
    /// leaves it: the values of the variables the inventory names, read when the engine
    /// starts. Tests hand theirs over instead of setting process-wide variables.
    pub secrets: Option<Secrets>,
}

impl Default for ExecConfig {
    fn default() -> ExecConfig {
        ExecConfig {
            concurrency: 100,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(30),
            retries: 2,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            breaker_failures: 3,
            breaker_cooldown: Duration::from_secs(30),
            poll_interval: None,
            journal: None,
            secrets: None,
        }
    }
}
