//! Exclusive locks on state that one process at a time may work on: a rollout journal now,
//! the lab's state and the backup repository next. The lock is a file beside the state
//! (`<state>.lock`, or one the caller names), `flock`ed with std's `File::try_lock` for as
//! long as the holder lives, and holding the holder's pid so a second process is refused
//! with its name.
//!
//! The kernel drops the lock when the holder ends, even by `kill -9`: a lock file left
//! behind is never stale. It is never removed either: removing it while another process
//! opens it would let the two lock two different files.

use std::fs::{File, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::private_file;

/// Held while it lives; dropping it unlocks.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{state} is in use by another fleetdash process ({holder}, lock {lock}): wait for it \
         to end, or stop it first"
    )]
    Held {
        state: String,
        /// `pid 1234`, or `pid unknown` when it had not written it yet.
        holder: String,
        lock: String,
    },
    #[error("cannot lock {state} (lock {lock}): {source}")]
    Io {
        state: String,
        lock: String,
        source: io::Error,
    },
}

/// `<state>.lock`: `j.jsonl` → `j.jsonl.lock`.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StateLock {
    /// Locks `state` (a file or a directory) through `<state>.lock` beside it.
    pub fn beside(state: &Path) -> Result<StateLock, LockError> {
        StateLock::at(&lock_path(state), state)
    }

    /// Locks `state` through the lock file `lock` (for state that has a place of its own
    /// for it, such as a repository).
    pub fn at(lock: &Path, state: &Path) -> Result<StateLock, LockError> {
        let io_error = |source| LockError::Io {
            state: state.display().to_string(),
            lock: lock.display().to_string(),
            source,
        };
        let file = private_file::read_write(lock).map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    state: state.display().to_string(),
                    holder: holder(lock),
                    lock: lock.display().to_string(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
        file.set_len(0).map_err(io_error)?;
        (&file)
            .write_all(format!("{}\n", std::process::id()).as_bytes())
            .map_err(io_error)?;
        Ok(StateLock {
            _file: file,
            path: lock.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `pid N` from the lock file (a number only: the file's text is never shown).
fn holder(lock: &Path) -> String {
    let pid = std::fs::read_to_string(lock)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok());
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("j.jsonl");
        let first = StateLock::beside(&state).unwrap();
        assert_eq!(first.path(), dir.path().join("j.jsonl.lock"));
        // flock locks belong to the open file: a second open in this process conflicts too.
        let err = StateLock::beside(&state).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("j.jsonl is in use"), "{text}");
        drop(first);
        // The file stays; it is free again.
        assert!(dir.path().join("j.jsonl.lock").exists());
        let _again = StateLock::beside(&state).unwrap();
    }

    #[test]
    fn a_lock_file_with_text_in_it_is_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("x.lock");
        std::fs::write(&lock, "\x1b[31mnot a pid").unwrap();
        assert_eq!(holder(&lock), "pid unknown");
    }
}
