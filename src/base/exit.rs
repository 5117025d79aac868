//! The process's exit statuses, one table for every command.

use std::process::ExitCode;

/// What a fleetdash process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success = 0,
    /// It ran, and something failed (a device down, a command failed, a rollout halted).
    Failure = 1,
    /// The user's input was refused: usage, inventory, plan or journal errors.
    Usage = 2,
}

/// [`ExitStatus::Usage`] as a number, for `ExitCode::from(USAGE)`.
pub const USAGE: u8 = ExitStatus::Usage as u8;

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// 128 + the signal's number, as shells report a process a signal ended.
pub fn signal(signo: i32) -> u8 {
    u8::try_from(128 + signo).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_scripts_rely_on() {
        assert_eq!(
            [ExitStatus::Success, ExitStatus::Failure, ExitStatus::Usage].map(|s| s as u8),
            [0, 1, 2]
        );
        assert_eq!(USAGE, 2);
        assert_eq!(signal(15), 143);
        assert_eq!(signal(300), u8::MAX);
    }
}
