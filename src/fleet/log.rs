//! The session's log: every line with its time, a kind to filter by, bounded. Host keys
//! learned on first contact come one per device; they fold into one line per known_hosts
//! file ("learned 60 new host keys into …") with the list behind it.

use std::collections::VecDeque;
use std::time::Instant;

use super::device::Reach;
use crate::inventory::DeviceId;

/// How a notice about a host key learned under accept-new begins (`ssh::hostkeys`).
const HOST_KEY: &str = "learned new host key of ";
/// Entries folded behind one line, at most (the count goes on past it).
pub const FOLDED_KEPT: usize = 10_000;

/// What a log line is about: the full-screen log filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// A device went up or down.
    Reach,
    /// How devices are probed.
    Probe,
    /// A command was run from the dashboard.
    Run,
    /// A backup, a cabling check.
    Job,
    Rollout,
    /// Host keys learned under accept-new.
    HostKey,
    /// Anything else a worker wanted the operator to see.
    Notice,
}

impl LogKind {
    pub const ALL: [LogKind; 7] = [
        LogKind::Reach,
        LogKind::Probe,
        LogKind::Run,
        LogKind::Job,
        LogKind::Rollout,
        LogKind::HostKey,
        LogKind::Notice,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LogKind::Reach => "up/down",
            LogKind::Probe => "probe",
            LogKind::Run => "runs",
            LogKind::Job => "jobs",
            LogKind::Rollout => "rollout",
            LogKind::HostKey => "host keys",
            LogKind::Notice => "notices",
        }
    }

    /// A notice's kind, from its text.
    pub fn of_notice(text: &str) -> LogKind {
        if text.starts_with(HOST_KEY) {
            LogKind::HostKey
        } else {
            LogKind::Notice
        }
    }
}

/// A line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// When it happened; for a folded line, when the first of its lines did.
    pub at: Instant,
    pub device: Option<DeviceId>,
    pub reach: Option<Reach>,
    pub kind: LogKind,
    /// The run a [`LogKind::Run`] line is about (its devices are the run's).
    pub run: Option<crate::exec::RunId>,
    pub text: String,
    /// How many lines this one stands for (1 unless folded).
    pub folded: usize,
    /// A folded line's lines (the newest [`FOLDED_KEPT`]); empty when not folded.
    pub details: Vec<String>,
}

impl LogEntry {
    pub fn new(at: Instant, kind: LogKind, text: String) -> LogEntry {
        LogEntry {
            at,
            device: None,
            reach: None,
            kind,
            run: None,
            text,
            folded: 1,
            details: Vec::new(),
        }
    }
}

/// Appends `entry`, dropping the oldest past `cap`. A learned host key joins the line of
/// the keys learned into the same file.
pub fn push(log: &mut VecDeque<LogEntry>, entry: LogEntry, cap: usize) {
    if entry.kind == LogKind::HostKey
        && let Some((key, file)) = host_key(&entry.text)
        && let Some(line) = (log.iter_mut().rev())
            .find(|e| e.kind == LogKind::HostKey && key_file(&e.text) == Some(file))
    {
        if line.details.is_empty() {
            let first = host_key(&line.text).map_or(line.text.clone(), |(k, _)| k.to_string());
            line.details.push(first);
        }
        if line.details.len() >= FOLDED_KEPT {
            line.details.remove(0);
        }
        line.details.push(key.to_string());
        line.folded += 1;
        line.text = format!("learned {} new host keys into {file}", line.folded);
        return;
    }
    if log.len() >= cap.max(1) {
        log.pop_front();
    }
    log.push_back(entry);
}

/// `(the key, the file)` of a single learned-key notice.
fn host_key(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(HOST_KEY)?;
    rest.rsplit_once(" into ")
}

/// The file of a learned-key line, single or folded.
fn key_file(text: &str) -> Option<&str> {
    text.strip_prefix("learned ")?
        .rsplit_once(" into ")
        .map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_line(at: Instant, host: &str, file: &str) -> LogEntry {
        let text =
            format!("learned new host key of {host}:22 (ssh-ed25519 SHA256:x{host}) into {file}");
        LogEntry::new(at, LogKind::of_notice(&text), text)
    }

    #[test]
    fn learned_host_keys_fold_into_one_line_per_file_with_the_list_behind() {
        let t0 = Instant::now();
        let mut log = VecDeque::new();
        push(&mut log, key_line(t0, "r0", "/kh"), 100);
        assert_eq!(log.len(), 1);
        assert!(
            log[0].details.is_empty(),
            "one key: the line itself says it"
        );
        push(
            &mut log,
            LogEntry::new(t0, LogKind::Notice, "other".into()),
            100,
        );
        for i in 1..60 {
            push(&mut log, key_line(t0, &format!("r{i}"), "/kh"), 100);
        }
        push(&mut log, key_line(t0, "x", "/other_kh"), 100);
        assert_eq!(log.len(), 3, "{log:#?}");
        assert_eq!(log[0].text, "learned 60 new host keys into /kh");
        assert_eq!(log[0].folded, 60);
        assert_eq!(log[0].details.len(), 60);
        assert_eq!(log[0].details[0], "r0:22 (ssh-ed25519 SHA256:xr0)");
        assert_eq!(log[0].details[59], "r59:22 (ssh-ed25519 SHA256:xr59)");
        assert_eq!(log[2].kind, LogKind::HostKey);
        assert!(log[2].text.ends_with("into /other_kh"));
    }

    #[test]
    fn the_log_is_bounded_and_so_is_a_folded_list() {
        let t0 = Instant::now();
        let mut log = VecDeque::new();
        for i in 0..10 {
            push(
                &mut log,
                LogEntry::new(t0, LogKind::Notice, i.to_string()),
                4,
            );
        }
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].text, "6");
        let mut log = VecDeque::new();
        for i in 0..FOLDED_KEPT + 5 {
            push(&mut log, key_line(t0, &format!("r{i}"), "/kh"), 4);
        }
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].details.len(), FOLDED_KEPT);
        assert_eq!(log[0].folded, FOLDED_KEPT + 5, "the count goes on");
        assert!(
            log[0]
                .text
                .starts_with(&format!("learned {} ", FOLDED_KEPT + 5))
        );
    }
}
