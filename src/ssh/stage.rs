//! Building [`ExecError`]s: the stage, whether the command may have run, and timeout
//! wording that names the limit.

use std::time::Duration;

use super::outcome::{ExecError, Stage};

/// A failure before the command reached the device.
pub(super) fn err(stage: Stage, reason: impl Into<String>) -> ExecError {
    ExecError {
        stage,
        maybe_ran: false,
        reason: reason.into(),
    }
}

/// A command failure after the command was sent: it may have run, never retry it.
pub(super) fn ran(reason: impl Into<String>) -> ExecError {
    ExecError {
        stage: Stage::Command,
        maybe_ran: true,
        reason: reason.into(),
    }
}

pub(super) fn timed_out(what: &str, after: Duration) -> String {
    format!(
        "{what} timed out after {}",
        crate::base::duration::format(after)
    )
}
