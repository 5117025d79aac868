//! Reading a recording back, as hostile input: the file has a size limit and each line a
//! length limit; a line that is not a record of this schema (garbled, unknown kind, a
//! newer version, a device the start record does not list, a bad time) is skipped and
//! reported as `FILE:LINE: what`; a file without a start record is refused. Every string
//! read is made inert (control characters, escapes, bidi controls shown escaped) and cut,
//! so nothing from the file can drive the terminal of whoever replays or reports it.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::format::{self, Line, Record, SCHEMA, Start};
use crate::base::text::{Untrusted, cap, escape_line, is_unsafe};

/// How much of a recording is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bigger files are refused (a rotated file is at most 16 MiB by default).
    pub max_bytes: u64,
    /// Longer lines are skipped (the start record lists every device: ~60 bytes each).
    pub max_line: usize,
    /// Issues kept to report (the rest are counted).
    pub max_issues: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 64 << 20,
            max_line: 8 << 20,
            max_issues: 100,
        }
    }
}

/// Characters kept of one string read from a recording.
const MAX_TEXT: usize = 4096;

/// One usable record.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based line in the file.
    pub line: usize,
    pub at: SystemTime,
    pub record: Record,
}

/// A line that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: usize,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub path: PathBuf,
    pub started: SystemTime,
    pub start: Start,
    /// After the start record, in file order.
    pub entries: Vec<Entry>,
    pub issues: Vec<Issue>,
    /// Issues beyond [`Limits::max_issues`], not kept.
    pub more_issues: usize,
    /// Device name → index in `start.devices`.
    pub index: HashMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the recording {path}: {why}")]
    Io { path: String, why: String },
    #[error(
        "{path} is {size} bytes, more than the {max} a recording may be: it is not one \
         fleetdash wrote (a file is rotated at 16 MiB); split it or pass the right file"
    )]
    TooBig { path: String, size: u64, max: u64 },
    #[error(
        "{path}:{line}: the recording's schema version is {version}, newer than the {SCHEMA} \
         this fleetdash reads: replay it with the fleetdash that recorded it"
    )]
    Newer {
        path: String,
        line: usize,
        version: u32,
    },
    #[error(
        "{path}: no start record: this is not a fleetdash recording (its first record must be \
         {{\"kind\":\"start\",…}}){issues}"
    )]
    NoStart { path: String, issues: String },
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl Recording {
    /// The skipped lines as `FILE:LINE: what`, one per line.
    pub fn issue_lines(&self) -> Vec<String> {
        let path = escape_line(&self.path.display().to_string());
        let mut lines: Vec<String> = (self.issues.iter())
            .map(|i| format!("{path}:{}: {} (skipped)", i.line, i.what))
            .collect();
        if self.more_issues > 0 {
            lines.push(format!("{path}: {} more lines skipped", self.more_issues));
        }
        lines
    }

    /// When the last record was written (the start when there is none).
    pub fn ended(&self) -> SystemTime {
        self.entries
            .iter()
            .map(|e| e.at)
            .max()
            .unwrap_or(self.started)
            .max(self.started)
    }
}

/// Reads the recording at `path`.
pub fn load(path: &Path, limits: Limits) -> Result<Recording, LoadError> {
    let shown = escape_line(&path.display().to_string());
    let io = |e: std::io::Error| LoadError::Io {
        path: shown.clone(),
        why: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limits.max_bytes {
        return Err(LoadError::TooBig {
            path: shown,
            size,
            max: limits.max_bytes,
        });
    }
    // The size may grow while it is read (a recording being written): read no more.
    let reader = BufReader::new(file.take(limits.max_bytes));
    let mut recording = parse(reader, limits, &shown)?;
    recording.path = path.to_path_buf();
    Ok(recording)
}

/// Reads a recording from any reader (`shown`: its name in messages).
pub fn parse(
    mut reader: impl BufRead,
    limits: Limits,
    shown: &str,
) -> Result<Recording, LoadError> {
    let mut issues = Issues {
        kept: Vec::new(),
        more: 0,
        max: limits.max_issues,
    };
    let mut start: Option<(SystemTime, Start, HashMap<String, usize>)> = None;
    let mut entries = Vec::new();
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        buf.clear();
        let (read, whole) = match read_line(&mut reader, &mut buf, limits.max_line) {
            Ok(r) => r,
            Err(e) => {
                issues.add(number, format!("cannot read: {e}"));
                break;
            }
        };
        if read == 0 {
            break;
        }
        if !whole {
            issues.add(number, format!("longer than {} bytes", limits.max_line));
            continue;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            issues.add(number, "not UTF-8".into());
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => {
                let what = match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(_) => format!("not a record: {}", Untrusted(&e.to_string())),
                    Err(_) => "not JSON".to_string(),
                };
                issues.add(number, what);
                continue;
            }
        };
        if line.v > SCHEMA {
            if start.is_none() && matches!(line.record, Record::Start(_)) {
                return Err(LoadError::Newer {
                    path: shown.to_string(),
                    line: number,
                    version: line.v,
                });
            }
            issues.add(
                number,
                format!("schema version {} is newer than {SCHEMA}", line.v),
            );
            continue;
        }
        let Some(at) = format::parse_time(&line.at) else {
            issues.add(
                number,
                format!("`at` is not an RFC 3339 time: {}", Untrusted(&line.at)),
            );
            continue;
        };
        let mut record = line.record;
        for text in record.texts_mut() {
            *text = inert(text);
        }
        match (&mut start, record) {
            (None, Record::Start(mut s)) => {
                let mut index = HashMap::new();
                s.devices.retain(|d| {
                    let fresh = !index.contains_key(&d.name);
                    if fresh {
                        index.insert(d.name.clone(), index.len());
                    }
                    fresh
                });
                for d in &mut s.devices {
                    d.tags = std::mem::take(&mut d.tags)
                        .into_iter()
                        .map(|(k, v)| (inert(&k), v))
                        .collect();
                }
                start = Some((at, s, index));
            }
            (None, _) => issues.add(number, "before the start record".into()),
            (Some(_), Record::Start(_)) => {
                issues.add(
                    number,
                    "a second recording begins here; only the first is read".into(),
                );
                break;
            }
            (Some((_, _, index)), record) => {
                if let Some(unknown) = record
                    .devices()
                    .into_iter()
                    .find(|d| !index.contains_key(*d))
                {
                    issues.add(
                        number,
                        format!("device `{}` is not in the start record", Untrusted(unknown)),
                    );
                    continue;
                }
                entries.push(Entry {
                    line: number,
                    at,
                    record,
                });
            }
        }
    }
    let Some((started, start, index)) = start else {
        let issues = issues
            .kept
            .iter()
            .take(3)
            .map(|i| format!("\n  {shown}:{}: {}", i.line, i.what))
            .collect();
        return Err(LoadError::NoStart {
            path: shown.to_string(),
            issues,
        });
    };
    Ok(Recording {
        path: PathBuf::from(shown),
        started,
        start,
        entries,
        issues: issues.kept,
        more_issues: issues.more,
        index,
    })
}

struct Issues {
    kept: Vec<Issue>,
    more: usize,
    max: usize,
}

impl Issues {
    fn add(&mut self, line: usize, what: String) {
        if self.kept.len() < self.max {
            self.kept.push(Issue { line, what });
        } else {
            self.more += 1;
        }
    }
}

/// One line into `buf` (without the newline), at most `max` bytes of it: `(bytes read,
/// whole)`; a longer line is read to its end and dropped (`whole` false).
fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut read = 0;
    let mut whole = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((read, whole));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if whole && buf.len() + chunk.len() <= max {
            buf.extend_from_slice(chunk);
        } else {
            whole = false;
            buf.clear();
        }
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        read += used;
        if done.is_some() {
            return Ok((read, whole));
        }
    }
}

/// `text` safe to show and bounded: escaped only when it holds something unsafe.
fn inert(text: &str) -> String {
    let text = cap(text, MAX_TEXT);
    match text.chars().any(is_unsafe) {
        true => escape_line(text),
        false => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = r#"{"v":1,"at":"2026-12-02T03:00:00.000Z","kind":"start","front_end":"dashboard","source":"lab.yaml","down_after":2,"up_after":1,"flap_window_ms":300000,"flap_count":3,"devices":[{"name":"r1","host":"127.0.0.1"},{"name":"r2","host":"127.0.0.2"}]}"#;

    fn read(text: &str, limits: Limits) -> Result<Recording, LoadError> {
        parse(text.as_bytes(), limits, "w.jsonl")
    }

    /// Every kind of bad line is skipped with its line number and a reason; the good ones
    /// around it are kept.
    #[test]
    fn bad_lines_are_reported_with_their_number_and_skipped() {
        let good = r#"{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"notice","text":"ok"}"#;
        let cases: &[(&str, &str)] = &[
            ("{not json", "not JSON"),
            (
                r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"wormhole"}"#,
                "not a record",
            ),
            (
                r#"{"v":9,"at":"2026-12-02T03:00:01Z","kind":"notice","text":"x"}"#,
                "newer",
            ),
            (
                r#"{"v":1,"at":"tomorrow","kind":"notice","text":"x"}"#,
                "not an RFC 3339 time",
            ),
            (
                r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"outcome","run":1,"device":"r9","ok":true,"duration_ms":1}"#,
                "device `r9` is not in the start record",
            ),
            ("\u{1b}[2J\u{1b}]2;OWNED\u{7}", "not JSON"),
            (
                r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"notice"}"#,
                "not a record",
            ),
            (r#"[1,2,3]"#, "not a record"),
        ];
        for (bad, why) in cases {
            let text = format!("{START}\n{good}\n{bad}\n{good}\n");
            let r = read(&text, Limits::default()).unwrap();
            assert_eq!(r.entries.len(), 2, "{bad}");
            assert_eq!(r.issues.len(), 1, "{bad}");
            assert_eq!(r.issues[0].line, 3, "{bad}");
            assert!(
                r.issues[0].what.contains(why),
                "{bad}: {}",
                r.issues[0].what
            );
            crate::base::text::hostile::assert_inert(bad, &r.issue_lines().join("\n"));
        }
    }

    #[test]
    fn a_file_without_a_start_record_is_refused_with_what_was_wrong() {
        let err = read("garbage\n{\"v\":1}\n", Limits::default()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LoadError::NoStart { .. }), "{text}");
        assert!(text.contains("w.jsonl:1: not JSON"), "{text}");
        let newer = START.replace("\"v\":1", "\"v\":2");
        let err = read(&newer, Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::Newer { version: 2, .. }), "{err}");
        assert!(matches!(
            read("", Limits::default()),
            Err(LoadError::NoStart { .. })
        ));
    }

    #[test]
    fn long_lines_are_skipped_and_the_next_line_is_read() {
        let limits = Limits {
            max_line: START.len() + 10,
            ..Limits::default()
        };
        let long = format!(
            r#"{{"v":1,"at":"2026-12-02T03:00:01Z","kind":"notice","text":"{}"}}"#,
            "x".repeat(400)
        );
        let good = r#"{"v":1,"at":"2026-12-02T03:00:02Z","kind":"notice","text":"after"}"#;
        let r = read(&format!("{START}\n{long}\n{good}"), limits).unwrap();
        assert_eq!(
            r.issues,
            vec![Issue {
                line: 2,
                what: format!("longer than {} bytes", limits.max_line)
            }]
        );
        assert_eq!(r.entries.len(), 1);
        assert_eq!(r.entries[0].line, 3);
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        std::fs::write(&path, format!("{START}\n{}", "x".repeat(2000))).unwrap();
        let limits = Limits {
            max_bytes: 1000,
            ..Limits::default()
        };
        let err = load(&path, limits).unwrap_err();
        assert!(matches!(err, LoadError::TooBig { max: 1000, .. }), "{err}");
    }

    #[test]
    fn strings_from_the_file_are_made_inert() {
        for sample in crate::base::text::hostile::SAMPLES {
            let json = serde_json::to_string(sample).unwrap();
            let text = format!(
                "{}\n{{\"v\":1,\"at\":\"2026-12-02T03:00:01Z\",\"kind\":\"notice\",\"text\":{json}}}\n",
                START.replace("\"r1\"", &json)
            );
            let r = read(&text, Limits::default()).unwrap();
            assert!(r.issues.is_empty(), "{:?}", r.issues);
            let Record::Notice { text } = &r.entries[0].record else {
                panic!()
            };
            crate::base::text::hostile::assert_inert("notice", text);
            crate::base::text::hostile::assert_inert("name", &r.start.devices[0].name);
        }
    }

    #[test]
    fn issues_are_bounded() {
        let bad = "x\n".repeat(500);
        let limits = Limits {
            max_issues: 10,
            ..Limits::default()
        };
        let r = read(&format!("{START}\n{bad}"), limits).unwrap();
        assert_eq!((r.issues.len(), r.more_issues), (10, 490));
    }
}
