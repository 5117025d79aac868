//! Fleet state: the typed events workers send and the pure reducer that folds them.
//!
//! Workers (probe sweeper, later SSH and rollout) send [`Event`]s; [`State::apply`] is the
//! only place state changes. It does no I/O and takes time from the event, so tests drive it
//! with an injected clock.

mod device;
mod event;
mod jobs;
mod log;
mod probes;
mod remote;
mod runs;
mod state;
mod tap;

pub use device::fmt_rtt;
pub use device::{DeviceState, Reach, Transition};
pub use event::Event;
// The workers' vocabulary, where the reducer's users have always found it.
pub use crate::exec::{Command, ExecEvent, Link, RunId};
pub use crate::probe::{IcmpSocket, ProbeMode, ProbeOutcome, ProbeResult, SweepStats};
pub use crate::ssh::{ExecError, Output, Stage};
pub use jobs::{
    BackupOutcome, BackupResult, CablingResult, DeviceCabling, JobEvent, JobRequest, Jobs,
    LastBackup, Version,
};
pub use log::{LogEntry, LogKind};
pub use probes::{probe_line, probe_lines};
pub use remote::{RemoteReport, RemoteStatus, RemoteView, VANTAGES_KEPT};
pub use runs::{DeviceRun, Progress, RUNS_KEPT, Run, Runs};
pub use state::{Counts, FleetConfig, State};
pub use tap::Tap;

#[cfg(test)]
mod tests;
