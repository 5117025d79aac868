//! The recording's writer: a thread that owns the file, fed over a bounded channel that the
//! dashboard's loop never waits on (a full channel drops the record and counts it). It
//! flushes at least every second and when it ends, and rotates: a file that reached its
//! size cap becomes `FILE.1` (`FILE.1` becomes `FILE.2`, …, the oldest beyond the count
//! kept is deleted) and a new `FILE` begins. The recording is locked (`FILE.lock`) for as
//! long as the writer lives, across rotations: a second writer is refused.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::base::lock::StateLock;
use crate::base::private_file;

/// Default size cap of one file of a recording.
pub const MAX_BYTES: u64 = 16 << 20;
/// Default number of files kept: the one being written and 7 before it (≤ 128 MiB).
pub const KEEP: usize = 8;
/// Batches waiting for the writer before new ones are dropped (a batch holds at most
/// 64 KiB of lines: at most 16 MiB wait in memory).
const QUEUE: usize = 256;
/// The longest a written record waits in memory.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Where a recording goes and how big it may grow.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordConfig {
    pub path: PathBuf,
    /// Size cap per file: the file is rotated once it is reached.
    pub max_bytes: u64,
    /// Files kept, the current one included (at least 1).
    pub keep: usize,
}

impl RecordConfig {
    pub fn new(path: PathBuf) -> RecordConfig {
        RecordConfig {
            path,
            max_bytes: MAX_BYTES,
            keep: KEEP,
        }
    }
}

pub(super) enum Message {
    /// Lines to append (each ends with a newline).
    Lines(String),
    /// Rotate, then begin the new file with these lines.
    Rotate(String),
}

/// What went wrong in the writer thread, for the report at the end.
#[derive(Debug, Default)]
pub(super) struct Trouble {
    pub error: Option<String>,
}

pub(super) struct Writer {
    tx: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
    pub trouble: Arc<Mutex<Trouble>>,
    pub path: PathBuf,
}

impl Writer {
    /// Locks the recording, sets an earlier recording at `path` aside (rotation) and starts
    /// the writer thread.
    pub fn open(config: &RecordConfig) -> Result<Writer, String> {
        Writer::open_gated(config, None)
    }

    /// [`Writer::open`] whose thread first waits for `gate` (a test's slow disk).
    pub fn open_gated(
        config: &RecordConfig,
        gate: Option<Arc<Mutex<()>>>,
    ) -> Result<Writer, String> {
        let path = config.path.clone();
        let lock = StateLock::beside(&path).map_err(|e| e.to_string())?;
        let keep = config.keep.max(1);
        let nonempty = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        if nonempty {
            rotate(&path, keep).map_err(|e| cannot(&path, &e))?;
        }
        let file = private_file::append(&path).map_err(|e| cannot(&path, &e))?;
        let (tx, rx) = mpsc::sync_channel::<Message>(QUEUE);
        let trouble = Arc::new(Mutex::new(Trouble::default()));
        let shared = trouble.clone();
        let thread_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("fleetdash-record".into())
            .spawn(move || {
                let _lock = lock;
                if let Some(gate) = gate {
                    drop(gate.lock());
                }
                if let Err(e) = write_loop(&thread_path, keep, file, rx) {
                    let mut t = shared.lock().unwrap_or_else(|p| p.into_inner());
                    t.error = Some(cannot(&thread_path, &e));
                }
            })
            .map_err(|e| format!("cannot start the recording's writer: {e}"))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            trouble,
            path,
        })
    }

    /// Hands a message to the writer without waiting; false when it was dropped (the
    /// writer is behind, or it stopped after an error).
    pub fn try_send(&self, message: Message) -> bool {
        match &self.tx {
            Some(tx) => match tx.try_send(message) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        }
    }

    /// Hands the last message over, waiting for room (only at the end), and waits for the
    /// writer to flush and unlock.
    pub fn finish(&mut self, last: Message) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(last);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn cannot(path: &Path, e: &io::Error) -> String {
    format!("cannot write the recording {}: {e}", path.display())
}

fn write_loop(path: &Path, keep: usize, file: File, rx: mpsc::Receiver<Message>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 << 10, file);
    let mut flushed = Instant::now();
    loop {
        match rx.recv_timeout(FLUSH_EVERY) {
            Ok(Message::Lines(lines)) => out.write_all(lines.as_bytes())?,
            Ok(Message::Rotate(head)) => {
                out.flush()?;
                rotate(path, keep)?;
                out = BufWriter::with_capacity(64 << 10, private_file::append(path)?);
                out.write_all(head.as_bytes())?;
            }
            Err(RecvTimeoutError::Timeout) => {
                out.flush()?;
                flushed = Instant::now();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                out.flush()?;
                return out.get_ref().sync_data();
            }
        }
        if flushed.elapsed() >= FLUSH_EVERY {
            out.flush()?;
            flushed = Instant::now();
        }
    }
}

/// `FILE.N` of a recording: `FILE.1` is the newest file before `FILE`.
pub fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// `FILE` → `FILE.1` → … → `FILE.{keep-1}`; what would become `FILE.{keep}` is deleted.
fn rotate(path: &Path, keep: usize) -> io::Result<()> {
    let gone = |r: io::Result<()>| match r {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    if keep <= 1 {
        return gone(std::fs::remove_file(path));
    }
    gone(std::fs::remove_file(rotated(path, keep - 1)))?;
    for n in (1..keep - 1).rev() {
        gone(std::fs::rename(rotated(path, n), rotated(path, n + 1)))?;
    }
    gone(std::fs::rename(path, rotated(path, 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_files_and_deletes_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.jsonl");
        for i in 0..5 {
            std::fs::write(&path, format!("{i}\n")).unwrap();
            rotate(&path, 3).unwrap();
        }
        assert!(!path.exists());
        let read = |n| std::fs::read_to_string(rotated(&path, n)).unwrap();
        assert_eq!((read(1), read(2)), ("4\n".to_string(), "3\n".to_string()));
        assert!(!rotated(&path, 3).exists(), "only keep-1 old files");
        // Keep 1: nothing old is kept.
        std::fs::write(&path, "x\n").unwrap();
        rotate(&path, 1).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_second_writer_of_the_same_recording_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let config = RecordConfig::new(dir.path().join("w.jsonl"));
        let mut first = Writer::open(&config).unwrap();
        let err = Writer::open(&config).err().unwrap();
        assert!(
            err.contains("w.jsonl is in use by another fleetdash process"),
            "{err}"
        );
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        // The refused writer set nothing aside and wrote nothing.
        assert!(!rotated(&config.path, 1).exists());
        assert!(first.try_send(Message::Lines("a\n".into())));
        first.finish(Message::Lines("b\n".into()));
        assert_eq!(std::fs::read_to_string(&config.path).unwrap(), "a\nb\n");
        let _second = Writer::open(&config).unwrap();
        assert_eq!(
            std::fs::read_to_string(rotated(&config.path, 1)).unwrap(),
            "a\nb\n",
            "the earlier recording is set aside, not overwritten"
        );
    }
}
