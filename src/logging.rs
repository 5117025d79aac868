//! The log file: `tracing` events, and the `log` records of russh and surge-ping bridged into
//! them, go to one file in the state directory (or `--log-file`), never to the terminal, so
//! they cannot scribble over the dashboard and a user can read later why a session failed.
//!
//! Levels: `warn` by default (failed sessions with their stage), `-v` info, `-vv` debug
//! (session stages that worked, sweep summaries), `-vvv` trace (the SSH library's own
//! detail); `-q` errors only, `-qq` nothing. `RUST_LOG`, when set, wins (the usual
//! `tracing` filter syntax, e.g. `RUST_LOG=fleetdash=debug,russh=info`).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::base::paths::NoHome;

/// A log file that has grown past this is moved to `<file>.1` (one old copy) at start.
pub const ROTATE_AT: u64 = 10 << 20;

/// Plain settings from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogConfig {
    /// `--log-file`; `None`: `fleetdash.log` in the state directory.
    pub file: Option<PathBuf>,
    /// `-v` count minus `-q` count.
    pub verbosity: i8,
}

impl LogConfig {
    /// The filter for `verbosity` (when `RUST_LOG` is not set).
    pub fn level(&self) -> &'static str {
        match self.verbosity {
            i8::MIN..=-2 => "off",
            -1 => "error",
            0 => "warn",
            1 => "info",
            2 => "debug",
            3.. => "trace",
        }
    }
}

/// Why the log could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open the log file {path}: {source} (choose another with --log-file)")]
    Open { path: String, source: io::Error },
    #[error("no place for the log file: {0}, or use --log-file")]
    NoStateDir(#[from] NoHome),
}

/// Opens the log file and sends every event (and `log` record) there from now on.
/// Returns the file's path. Call once, before anything logs.
pub fn init(config: &LogConfig) -> Result<PathBuf, LogError> {
    let path = match &config.file {
        Some(path) => path.clone(),
        None => crate::base::paths::log_file()?,
    };
    let file = open(&path).map_err(|source| LogError::Open {
        path: crate::base::text::escape_line(&path.display().to_string()),
        source,
    })?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(config.level()));
    // With the tracing-log feature, this also installs the bridge for `log` records.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Ok(path)
}

/// Opens `path` for appending (0600: it names devices and hosts), creating its directory;
/// a file past [`ROTATE_AT`] is moved aside first.
fn open(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > ROTATE_AT) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        std::fs::rename(path, old)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: a FIFO given as the log file is refused instead of hanging the open.
        options.mode(0o600).custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_maps_to_levels() {
        let level = |verbosity| {
            LogConfig {
                file: None,
                verbosity,
            }
            .level()
        };
        assert_eq!(
            [-3, -2, -1, 0, 1, 2, 3, 4].map(level),
            [
                "off", "off", "error", "warn", "info", "debug", "trace", "trace"
            ]
        );
    }

    #[test]
    fn a_big_log_is_moved_aside_and_the_new_one_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/fleetdash.log");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![b'x'; ROTATE_AT as usize + 1]).unwrap();
        let file = open(&path).unwrap();
        assert_eq!(file.metadata().unwrap().len(), 0);
        let old = dir.path().join("state/fleetdash.log.1");
        assert_eq!(std::fs::metadata(old).unwrap().len(), ROTATE_AT + 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_directory_is_not_a_log_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open(dir.path()).is_err());
    }
}
