//! Where fleetdash keeps its state, the one resolver for every file it owns.
//!
//! `$XDG_STATE_HOME/fleetdash` when that is an absolute path (the XDG spec says to ignore
//! a relative one), else `$HOME/.local/state/fleetdash`. With neither there is no place to
//! keep journals and learned host keys: [`NoHome`], never the current directory (which
//! would learn host keys into wherever the command was started).
//!
//! Small on purpose: the crates for this (etcetera, directories) fall back to the password
//! database when `HOME` is unset, or use macOS's own folders; fleetdash wants exactly the
//! two variables above, the same on every system.

use std::ffi::OsString;
use std::path::PathBuf;

/// No usable home: the message says what to set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no place for fleetdash's state (journals, learned host keys): HOME is not set to an \
     absolute path and neither is XDG_STATE_HOME; set one of them"
)]
pub struct NoHome;

/// `$HOME`, when it is set to an absolute path.
pub fn home() -> Option<PathBuf> {
    absolute(std::env::var_os("HOME"))
}

/// fleetdash's state directory (see the module comment).
pub fn state_dir() -> Result<PathBuf, NoHome> {
    from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// The audit journal of commands sent from the dashboard and `exec`.
pub fn audit_journal() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("audit.jsonl"))
}

/// The dashboard's recording of the window (`--record` chooses another).
pub fn recording() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("recordings").join("dashboard.jsonl"))
}

/// The log file (`--log-file` chooses another).
pub fn log_file() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("fleetdash.log"))
}

/// The directory of rollout journals and reports.
pub fn rollouts_dir() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("rollouts"))
}

/// fleetdash's own known_hosts, where new host keys are learned.
pub fn known_hosts() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("known_hosts"))
}

/// The platforms `detect` found, per device.
pub fn detected_platforms() -> Result<PathBuf, NoHome> {
    Ok(state_dir()?.join("detected-platforms.json"))
}

/// The user's platform driver files: `$XDG_CONFIG_HOME/fleetdash/platforms`, else
/// `$HOME/.config/fleetdash/platforms` (`None` without either).
pub fn platforms_dir() -> Option<PathBuf> {
    absolute(std::env::var_os("XDG_CONFIG_HOME"))
        .or_else(|| home().map(|h| h.join(".config")))
        .map(|base| base.join("fleetdash").join("platforms"))
}

fn from(xdg_state: Option<OsString>, home: Option<OsString>) -> Result<PathBuf, NoHome> {
    absolute(xdg_state)
        .or_else(|| absolute(home).map(|h| h.join(".local/state")))
        .map(|base| base.join("fleetdash"))
        .ok_or(NoHome)
}

fn absolute(value: Option<OsString>) -> Option<PathBuf> {
    value.map(PathBuf::from).filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(s.into())
    }

    #[test]
    fn state_dir_follows_xdg_then_home_and_never_the_current_directory() {
        let cases: [(Option<OsString>, Option<OsString>, Option<&str>); 9] = [
            (os("/x/state"), os("/home/a"), Some("/x/state/fleetdash")),
            (None, os("/home/a"), Some("/home/a/.local/state/fleetdash")),
            (
                os(""),
                os("/home/a"),
                Some("/home/a/.local/state/fleetdash"),
            ),
            // A relative XDG_STATE_HOME is ignored (XDG base directory spec).
            (
                os("state"),
                os("/home/a"),
                Some("/home/a/.local/state/fleetdash"),
            ),
            (os("/x/state"), None, Some("/x/state/fleetdash")),
            (None, None, None),
            (os(""), os(""), None),
            (None, os("."), None),
            (os("./s"), os("relative/home"), None),
        ];
        for (xdg, home, want) in cases {
            let got = from(xdg.clone(), home.clone());
            assert_eq!(
                got,
                want.map(PathBuf::from).ok_or(NoHome),
                "{xdg:?} {home:?}"
            );
        }
        assert!(NoHome.to_string().contains("set one of them"));
    }
}
