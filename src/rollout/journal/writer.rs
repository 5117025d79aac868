//! Writing the journal: locked for the whole run (a second run of the same journal is
//! refused and told who holds it), every line masked and chained to the one before.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use super::chain::{GENESIS, seal};
use super::{Record, Replay, ReplayError, read_replay};
use crate::base::files::{self, FileKind, ReadError};
use crate::base::lock::{LockError, StateLock};
use crate::base::private_file;
use crate::base::secrets::Secrets;
use crate::base::time::rfc3339;

/// An open journal, shared by the device tasks of a rollout. Dropping it unlocks it.
pub struct RolloutJournal {
    path: PathBuf,
    inner: Mutex<Inner>,
    /// Every string of every record is masked: device outputs can hold a password.
    secrets: Secrets,
    _lock: StateLock,
}

struct Inner {
    file: File,
    /// The running hash of the last line written: the next line's `prev`.
    last_hash: String,
}

impl std::fmt::Debug for RolloutJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolloutJournal")
            .field("path", &self.path)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(
        "journal {path} already holds a rollout: carry it on with --resume {path}, or start \
         this one with another --journal FILE"
    )]
    Exists { path: String },
    #[error("cannot open the journal {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("cannot use {path} as a journal: {source}")]
    NotAFile { path: String, source: ReadError },
}

/// A journal is a regular file (or, for a new one, nothing yet): checked before the lock
/// beside it is made and before it is opened, so a FIFO or a device never blocks an open
/// and never gets a lock file next to it.
fn regular_or_absent(path: &Path, must_exist: bool) -> Result<(), OpenError> {
    match files::open_regular(path, FileKind::Journal) {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() && !must_exist => Ok(()),
        Err(source) => Err(OpenError::NotAFile {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// `<journal>.dropped`: where lines cut from a journal by a resume are kept.
pub fn dropped_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".dropped");
    PathBuf::from(name)
}

#[derive(Serialize)]
struct Body<'a> {
    ts: String,
    #[serde(flatten)]
    record: &'a Record,
}

impl RolloutJournal {
    /// A new journal at `path` (absent or empty; created mode 0600 with its directory),
    /// locked until dropped.
    pub fn create(path: &Path, secrets: Secrets) -> Result<RolloutJournal, OpenError> {
        regular_or_absent(path, false)?;
        let lock = StateLock::beside(path)?;
        let io_error = io_error(path);
        let file = private_file::append(path).map_err(&io_error)?;
        if file.metadata().map_err(&io_error)?.len() > 0 {
            return Err(OpenError::Exists {
                path: path.display().to_string(),
            });
        }
        Ok(RolloutJournal::new(
            path,
            file,
            GENESIS.into(),
            secrets,
            lock,
        ))
    }

    /// Locks the journal at `path`, replays it for `plan` (hash `plan_hash`) and reopens
    /// it to carry on after its last valid line. A torn last line is cut off; foreign
    /// lines after the last valid one only when `drop_garbage` agrees (asked while the
    /// lock is held, with the error that names them). What is cut is kept in
    /// [`dropped_path`].
    pub fn resume(
        path: &Path,
        secrets: Secrets,
        plan: &str,
        plan_hash: &str,
        drop_garbage: impl FnOnce(&ReplayError) -> bool,
    ) -> Result<(RolloutJournal, Replay), OpenError> {
        regular_or_absent(path, true)?;
        let lock = StateLock::beside(path)?;
        let replay = match read_replay(path, plan, plan_hash, false) {
            Err(e @ ReplayError::Garbage { .. }) => match drop_garbage(&e) {
                true => read_replay(path, plan, plan_hash, true)?,
                false => return Err(e.into()),
            },
            other => other?,
        };
        let io_error = io_error(path);
        let file = private_file::append(path).map_err(&io_error)?;
        cut_after(path, &file, replay.end).map_err(&io_error)?;
        let journal = RolloutJournal::new(path, file, replay.last_hash.clone(), secrets, lock);
        Ok((journal, replay))
    }

    fn new(
        path: &Path,
        file: File,
        last_hash: String,
        secrets: Secrets,
        lock: StateLock,
    ) -> RolloutJournal {
        RolloutJournal {
            path: path.to_path_buf(),
            inner: Mutex::new(Inner { file, last_hash }),
            secrets,
            _lock: lock,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line; device transitions are also fsynced before this returns.
    pub fn write(&self, record: &Record) -> io::Result<()> {
        let body = Body {
            ts: rfc3339(SystemTime::now()),
            record,
        };
        let mut body = self
            .secrets
            .to_masked_json(&body)
            .map_err(io::Error::other)?;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // The hash is not masked: it is no secret, and masking it would break the chain.
        if let serde_json::Value::Object(map) = &mut body {
            map.insert("prev".into(), inner.last_hash.clone().into());
        }
        let (mut text, hash) = seal(&body.to_string());
        text.push('\n');
        (&inner.file).write_all(text.as_bytes())?;
        if record.durable() {
            inner.file.sync_data()?;
        }
        inner.last_hash = hash;
        Ok(())
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> OpenError {
    let path = path.display().to_string();
    move |source| OpenError::Io {
        path: path.clone(),
        source,
    }
}

/// Cuts `file` (at `path`) after `end`, keeping what is cut in [`dropped_path`], so the
/// next line starts on a line of its own.
fn cut_after(path: &Path, file: &File, end: u64) -> io::Result<()> {
    if file.metadata()?.len() <= end {
        return Ok(());
    }
    let mut cut = Vec::new();
    let mut reader = File::open(path)?;
    reader.seek(SeekFrom::Start(end))?;
    reader.read_to_end(&mut cut)?;
    if !cut.ends_with(b"\n") {
        cut.push(b'\n');
    }
    private_file::append(&dropped_path(path))?.write_all(&cut)?;
    file.set_len(end)?;
    file.sync_data()
}
