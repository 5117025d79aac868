//! The audit journal: one JSON object per line, appended and written through before a
//! command is sent (`"phase":"start"`) and after it ends (`"phase":"end"`), so a crash
//! mid-run still leaves a record of what may have reached a device. Never holds a secret.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::event::RunId;
use super::redact::Secrets;
use crate::base::sanitize::Removed;
use crate::base::text::cap;
use crate::base::time::rfc3339;
use crate::ssh::{ExecError, Output};

/// Output kept per journal line; the rest is cut (and `output_capped` set).
pub const OUTPUT_CAP: usize = 64 * 1024;

/// Opens the audit journal at `path`, else at `base::paths::audit_journal`. The error is
/// the whole message for the user (exit 2): no journal, no commands, since an unrecorded
/// command is worse than none.
pub fn open_audit(path: Option<&Path>, secrets: Secrets) -> Result<Journal, String> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => crate::base::paths::audit_journal()
            .map_err(|e| format!("no place for the audit journal: {e}, or use --journal FILE"))?,
    };
    Journal::open(&path, secrets)
        .map_err(|err| format!("cannot open the audit journal {}: {err}", path.display()))
}

/// Who and what a journal line is about.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub run: RunId,
    pub device: &'a str,
    pub host: &'a str,
    pub command: &'a str,
}

#[derive(Serialize)]
struct Line<'a> {
    ts: String,
    phase: &'static str,
    run: RunId,
    device: &'a str,
    host: &'a str,
    command: &'a str,
    #[serde(flatten)]
    end: Option<End>,
}

#[derive(Serialize)]
struct End {
    /// `ok`, `failed` (the device answered with an error) or `error` (no answer).
    outcome: &'static str,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_marker: Option<String>,
    truncated: bool,
    /// What the sanitizer took out of the device's text, when it took anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<Removed>,
    output: String,
    output_capped: bool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    secrets: Secrets,
}

impl Journal {
    /// Opens `path` for appending, creating it and its directory (mode 0600: outputs can be
    /// sensitive even without passwords).
    pub fn open(path: &Path, secrets: Secrets) -> io::Result<Journal> {
        let file = open_private(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            secrets,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Written just before the command is sent.
    pub fn start(&self, entry: Entry<'_>) -> io::Result<()> {
        self.write(entry, None)
    }

    /// Written once the command ended, whatever the outcome.
    pub fn end(
        &self,
        entry: Entry<'_>,
        duration: Duration,
        result: &Result<Output, ExecError>,
    ) -> io::Result<()> {
        let duration_ms = duration.as_millis().min(u64::MAX as u128) as u64;
        let end = match result {
            Ok(out) => {
                let masked = self.secrets.mask(&out.text);
                let output = cap(&masked, OUTPUT_CAP).to_owned();
                let output_capped = output.len() < masked.len();
                End {
                    outcome: if out.ok() { "ok" } else { "failed" },
                    duration_ms,
                    stage: None,
                    error: None,
                    exit_status: out.exit_status,
                    error_marker: out.error_marker.as_deref().map(|m| self.secrets.mask(m)),
                    truncated: out.truncated,
                    removed: out.removed.any().then_some(out.removed),
                    output,
                    output_capped,
                }
            }
            Err(err) => End {
                outcome: "error",
                duration_ms,
                stage: Some(err.stage.as_str()),
                error: Some(self.secrets.mask(&err.reason)),
                exit_status: None,
                error_marker: None,
                truncated: false,
                removed: None,
                output: String::new(),
                output_capped: false,
            },
        };
        self.write(entry, Some(end))
    }

    fn write(&self, entry: Entry<'_>, end: Option<End>) -> io::Result<()> {
        let command = self.secrets.mask(entry.command);
        let line = Line {
            ts: rfc3339(SystemTime::now()),
            phase: if end.is_some() { "end" } else { "start" },
            run: entry.run,
            device: entry.device,
            host: entry.host,
            command: &command,
            end,
        };
        let mut text = serde_json::to_string(&line).map_err(io::Error::other)?;
        text.push('\n');
        // One write of the whole line on an unbuffered append-mode file: the line is in the
        // kernel when this returns, and concurrent writers never interleave within a line.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
    }
}

/// Opens a journal file for appending, creating it (mode 0600: outputs can be sensitive even
/// without passwords) and its directory.
pub(crate) fn open_private(path: &Path) -> io::Result<File> {
    crate::base::private_file::append(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit line says what the sanitizer took out of an answer, and is silent when it
    /// took nothing.
    #[test]
    fn end_lines_record_removed_control_sequences() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let journal = Journal::open(&path, Secrets::default()).unwrap();
        let entry = Entry {
            run: 1,
            device: "rtr1",
            host: "127.20.0.1",
            command: "show status",
        };
        let removed = Removed {
            controls: 2,
            unterminated: 1,
            overwritten: 3,
        };
        let out = |removed| {
            Ok(Output {
                text: "status: all good\n% Error: broken\n".into(),
                removed,
                ..Output::default()
            })
        };
        journal.end(entry, Duration::ZERO, &out(removed)).unwrap();
        journal
            .end(entry, Duration::ZERO, &out(Removed::default()))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["removed"]["controls"], 2, "{text}");
        assert_eq!(lines[0]["removed"]["unterminated"], 1, "{text}");
        assert_eq!(lines[0]["removed"]["overwritten"], 3, "{text}");
        assert!(lines[1].get("removed").is_none(), "{text}");
    }
}
