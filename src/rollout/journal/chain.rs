//! The journal's lines chained by a running hash, and reading them back.
//!
//! A line is a JSON object: the record, `ts`, `prev` (the running hash of the line before,
//! [`GENESIS`] for the first) and, last, `hash`: SHA-256 of the line's text up to it, with
//! `prev` inside, so each line's hash covers every line before it. An edited line fails its
//! own hash; a removed, inserted or reordered one fails its `prev`.
//!
//! Reading stops at the first line that is not valid (unreadable, a broken hash, or a
//! device or wave the journal's header does not have):
//! - the last line cut short (no newline: a crash mid-write) is ignored: [`Tail::Torn`];
//! - if a line fleetdash wrote (its own hash holds) comes at or after it, the journal was
//!   edited in the middle: refused with the line number ([`Broken`]);
//! - else only foreign text follows: [`Tail::Garbage`], which a resume drops only after the
//!   user agrees.

use std::collections::HashSet;
use std::io::{self, BufRead, Read};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Record;

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest line read: a step line holds at most 64 KiB of output, which masking and JSON
/// escaping can make a few times longer.
pub const MAX_LINE: usize = 4 << 20;

/// `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

/// The text of a line (without its newline) for `body`, a JSON object holding the record,
/// `ts` and `prev`; and the line's hash, the next line's `prev`.
pub fn seal(body: &str) -> (String, String) {
    let hash = hex(&Sha256::digest(body.as_bytes()));
    let open = body.strip_suffix('}').unwrap_or(body);
    (format!("{open},\"hash\":\"{hash}\"}}"), hash)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize)]
struct Body {
    prev: String,
    #[serde(flatten)]
    record: Record,
}

/// What followed the last valid line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// Nothing: the journal ends with a valid line.
    Clean,
    /// A last line without its newline: cut short by a crash, never acted on.
    Torn { line: usize },
    /// From `line` on, `lines` line(s) fleetdash did not write (the first one: `why`).
    Garbage {
        line: usize,
        lines: usize,
        why: String,
    },
}

/// A journal read up to its last valid line.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub records: Vec<Record>,
    /// Where the valid lines end (bytes), and the running hash there.
    pub end: u64,
    pub last_hash: String,
    pub tail: Tail,
}

/// The journal was changed before its last line fleetdash wrote: `line` is the first one
/// that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub why: String,
}

/// One line as read.
struct Raw {
    text: Vec<u8>,
    terminated: bool,
    /// Longer than [`MAX_LINE`]: the rest was skipped.
    too_long: bool,
}

/// Reads `reader` as a chain of journal lines.
pub fn read(reader: impl BufRead) -> io::Result<Result<Chain, Broken>> {
    let mut lines = Lines { reader };
    let mut chain = Chain {
        records: Vec::new(),
        end: 0,
        last_hash: GENESIS.to_string(),
        tail: Tail::Clean,
    };
    let mut plan = Devices::default();
    let mut number = 0;
    while let Some(raw) = lines.next()? {
        number += 1;
        let checked = check(&raw, &chain.last_hash, &mut plan);
        match checked {
            Ok((record, hash)) if raw.terminated => {
                chain.records.push(record);
                chain.end += raw.text.len() as u64 + 1;
                chain.last_hash = hash;
            }
            // A crash mid-write: nothing after it can exist.
            _ if !raw.terminated => {
                chain.tail = Tail::Torn { line: number };
                return Ok(Ok(chain));
            }
            Err(Invalid { why, genuine }) => {
                let tail = after_invalid(&mut lines, number, why, genuine)?;
                return Ok(tail.map(|tail| {
                    chain.tail = tail;
                    chain
                }));
            }
            Ok(_) => unreachable!("unterminated lines are handled above"),
        }
    }
    Ok(Ok(chain))
}

/// The first invalid line is `line`: refused if a line fleetdash wrote comes at or after
/// it (the journal goes on past the damage), else the rest is foreign text.
fn after_invalid<R: BufRead>(
    lines: &mut Lines<R>,
    line: usize,
    why: String,
    genuine: bool,
) -> io::Result<Result<Tail, Broken>> {
    let mut count = 1;
    let mut goes_on = genuine;
    while !goes_on && let Some(raw) = lines.next()? {
        count += 1;
        goes_on = own_hash(&raw).is_ok();
    }
    Ok(match goes_on {
        true => Err(Broken { line, why }),
        false => Ok(Tail::Garbage {
            line,
            lines: count,
            why,
        }),
    })
}

/// Why a line is not valid, and whether fleetdash wrote it all the same (its own hash
/// holds: the journal goes on past the damage).
struct Invalid {
    why: String,
    genuine: bool,
}

/// The header's device names, and how many waves it has.
#[derive(Default)]
struct Devices {
    header: Option<Record>,
    names: HashSet<String>,
    waves: usize,
}

/// Checks one line against the running hash before it and the header.
fn check(raw: &Raw, prev: &str, plan: &mut Devices) -> Result<(Record, String), Invalid> {
    let foreign = |why: &str| Invalid {
        why: why.to_string(),
        genuine: false,
    };
    let (body, hash) = own_hash(raw).map_err(foreign)?;
    let genuine = |why: String| Invalid { why, genuine: true };
    let parsed: Body =
        serde_json::from_str(&body).map_err(|e| genuine(format!("unreadable: {e}")))?;
    if parsed.prev != prev {
        return Err(genuine(
            "does not follow the line before it: lines were removed, inserted or reordered".into(),
        ));
    }
    plan.admit(&parsed.record).map_err(genuine)?;
    Ok((parsed.record, hash))
}

/// (the text the line's hash covers, the hash) when the hash holds: fleetdash wrote it.
fn own_hash(raw: &Raw) -> Result<(String, String), &'static str> {
    if raw.too_long {
        return Err("longer than 4 MiB");
    }
    let text = std::str::from_utf8(&raw.text).map_err(|_| "not UTF-8 text")?;
    let (body, hash) = split_hash(text).ok_or("no hash at its end")?;
    let (_, computed) = seal(&body);
    match computed == hash {
        true => Ok((body, computed)),
        false => Err("its hash does not match its text: it was edited"),
    }
}

/// (the text the hash covers, the hash) of a line that ends with its hash.
fn split_hash(text: &str) -> Option<(String, &str)> {
    if text.len() < HASH_SUFFIX_LEN || !text.is_char_boundary(text.len() - HASH_SUFFIX_LEN) {
        return None;
    }
    let (open, suffix) = text.split_at(text.len() - HASH_SUFFIX_LEN);
    let hash = suffix.strip_prefix(",\"hash\":\"")?.strip_suffix("\"}")?;
    let hex = hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| (format!("{open}}}"), hash))
}

impl Devices {
    /// Whether `record` belongs to the rollout the first header describes.
    fn admit(&mut self, record: &Record) -> Result<(), String> {
        let device = match record {
            Record::Header {
                plan,
                plan_hash,
                waves,
                ..
            } => {
                return match &self.header {
                    None => {
                        self.names = waves.iter().flatten().cloned().collect();
                        self.waves = waves.len();
                        self.header = Some(record.clone());
                        Ok(())
                    }
                    Some(Record::Header {
                        plan: p,
                        plan_hash: h,
                        waves: w,
                        ..
                    }) if p == plan && h == plan_hash && w == waves => Ok(()),
                    Some(_) => Err("a header for another plan or other waves".into()),
                };
            }
            _ if self.header.is_none() => {
                return Err("comes before any header: is it a rollout journal?".into());
            }
            Record::Device { device, .. }
            | Record::Stage { device, .. }
            | Record::Step { device, .. } => device,
            Record::Wave { wave, .. } if *wave >= self.waves => {
                return Err(format!(
                    "wave {} is not one of the header's {} wave(s)",
                    wave + 1,
                    self.waves
                ));
            }
            Record::Wave { .. } | Record::Overall { .. } => return Ok(()),
        };
        match self.names.contains(device) {
            true => Ok(()),
            false => Err(format!(
                "device `{}` is not in the rollout's waves",
                crate::base::text::Untrusted(device)
            )),
        }
    }
}

/// Lines of at most [`MAX_LINE`] bytes.
struct Lines<R> {
    reader: R,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> io::Result<Option<Raw>> {
        let mut text = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut text)?;
        if n == 0 {
            return Ok(None);
        }
        let mut terminated = text.last() == Some(&b'\n');
        if terminated {
            text.pop();
        }
        let too_long = text.len() > MAX_LINE;
        if too_long && !terminated {
            // Skip the rest of it, without keeping it.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let n = (&mut self.reader)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut rest)?;
                if n == 0 {
                    break;
                }
                if rest.last() == Some(&b'\n') {
                    terminated = true;
                    break;
                }
            }
            text.truncate(MAX_LINE);
        }
        Ok(Some(Raw {
            text,
            terminated,
            too_long,
        }))
    }
}

#[cfg(test)]
mod tests;
