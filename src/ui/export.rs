//! Getting a run out of the dashboard: `w` writes it to a file (folded, per device, or
//! JSON), `y` copies one answer to the clipboard through the terminal (OSC 52). What leaves
//! is sanitized again and every secret masked, whatever the worker already did.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::base::private_file;
use crate::base::sanitize::sanitize;
use crate::exec::Secrets;
use crate::exec::fold;
use crate::fleet::{DeviceRun, Run, RunId, State};
use crate::inventory::natural_cmp;

/// Largest text `y` copies: terminals and tmux cap OSC 52 (xterm and tmux near 100 kB).
pub const CLIPBOARD_MAX: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Identical answers once, with their devices (like `dshbak -c`).
    Folded,
    PerDevice,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            _ => "txt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Folded => "folded",
            Format::PerDevice => "per device",
            Format::Json => "JSON",
        }
    }
}

/// A file the run view asks the loop to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    pub run: RunId,
    pub format: Format,
    pub path: PathBuf,
    /// The user said yes to replacing the file.
    pub overwrite: bool,
}

/// How a write went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Done {
        path: PathBuf,
        bytes: usize,
    },
    /// The file exists and `overwrite` was not given: ask, then send it again.
    Exists(WriteRequest),
    Failed(String),
}

/// Writes the run as asked (mode 0600: outputs are sensitive even masked).
pub fn write(fleet: &State, request: WriteRequest, secrets: &Secrets) -> Written {
    let Some(run) = fleet.exec.get(request.run) else {
        return Written::Failed(format!("run #{} is no longer kept", request.run));
    };
    let text = contents(fleet, run, request.format, secrets);
    // `~/…` as a shell would read it (the prompt is not a shell).
    let home = (request.path.strip_prefix("~").ok()).zip(crate::base::paths::home());
    let expanded = home.map(|(rest, home)| home.join(rest));
    let path: &Path = expanded.as_deref().unwrap_or(&request.path);
    let written = match request.overwrite {
        true => private_file::write(path, text.as_bytes()),
        false => private_file::create_new(path, text.as_bytes()),
    };
    match written {
        Ok(()) => Written::Done {
            path: path.to_path_buf(),
            bytes: text.len(),
        },
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Written::Exists(request),
        Err(e) => Written::Failed(format!("cannot write {}: {e}", path.display())),
    }
}

/// One device's answer as text, and its state in a word.
fn answer(state: &DeviceRun) -> (&'static str, String) {
    match state {
        DeviceRun::Queued => ("queued", String::new()),
        DeviceRun::Connecting => ("connecting", String::new()),
        DeviceRun::Running { .. } => ("running", String::new()),
        DeviceRun::Done {
            result: Ok(out), ..
        } => (if out.ok() { "ok" } else { "rejected" }, out.text.clone()),
        DeviceRun::Done { result: Err(e), .. } => ("failed", e.to_string()),
    }
}

/// The file's text: sanitized (device text is hostile) and masked.
pub fn contents(fleet: &State, run: &Run, format: Format, secrets: &Secrets) -> String {
    let clean = |text: &str| secrets.mask(&sanitize(text.as_bytes()));
    let name = |d: usize| fleet.inventory.devices[d].name.as_str();
    let mut devices = run.devices.clone();
    devices.sort_by(|a, b| natural_cmp(name(*a), name(*b)));
    let p = run.progress();
    let head = format!(
        "run #{} `{}` on {} at {}: {} ok, {} failed{}\n",
        run.id,
        clean(&run.command),
        run.on_devices(),
        fleet.clock(run.started),
        p.ok,
        p.failed,
        if p.finished() { "" } else { " (not finished)" },
    );
    match format {
        Format::Json => {
            let per_device: Vec<_> = (devices.iter())
                .map(|&d| {
                    let (state, text) = answer(&run.per_device[&d]);
                    let duration = match &run.per_device[&d] {
                        DeviceRun::Done { duration, .. } => Some(duration.as_millis() as u64),
                        _ => None,
                    };
                    json!({"device": name(d), "state": state, "duration_ms": duration,
                           "output": clean(&text)})
                })
                .collect();
            let doc = json!({
                "run": run.id, "command": clean(&run.command), "started": fleet.clock(run.started),
                "ok": p.ok, "failed": p.failed, "finished": p.finished(), "devices": per_device,
            });
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::PerDevice => {
            let mut out = head;
            for &d in &devices {
                let (state, text) = answer(&run.per_device[&d]);
                out.push_str(&format!("\n== {} — {state}\n", name(d)));
                push_body(&mut out, &clean(&text));
            }
            out
        }
        Format::Folded => {
            let mut out = head;
            let answers = (devices.iter()).map(|&d| {
                let (state, text) = answer(&run.per_device[&d]);
                (name(d).to_string(), (state, clean(&text)))
            });
            for group in fold::fold(answers) {
                let (state, text) = &group.key;
                let n = group.devices.len();
                // The count first; the names in full, never cut.
                out.push_str(&format!(
                    "\n== {n} device{} — {state}: {}\n",
                    if n == 1 { "" } else { "s" },
                    fold::compact_names(&group.devices)
                ));
                push_body(&mut out, text);
            }
            out
        }
    }
}

fn push_body(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard (sanitized and masked first), or
/// why not: too large for terminals to take.
pub fn osc52(text: &str, secrets: &Secrets) -> Result<String, String> {
    let clean = secrets.mask(&sanitize(text.as_bytes()));
    if clean.len() > CLIPBOARD_MAX {
        return Err(format!(
            "not copied: {} kB is more than terminals take ({} kB); w writes it to a file",
            clean.len() / 1024,
            CLIPBOARD_MAX / 1024
        ));
    }
    let encoded = data_encoding::BASE64.encode(clean.as_bytes());
    Ok(format!("\x1b]52;c;{encoded}\x07"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_of_the_masked_sanitized_text_and_refuses_big_ones() {
        let secrets = Secrets::new(["hunter2-Secret".to_string()]);
        let seq = osc52("pw hunter2-Secret\x1b]0;title\x07 ok\n", &secrets).unwrap();
        let body = seq
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        let decoded =
            String::from_utf8(data_encoding::BASE64.decode(body.as_bytes()).unwrap()).unwrap();
        assert!(!decoded.contains("hunter2-Secret"), "{decoded:?}");
        assert!(!decoded.contains('\x1b'), "{decoded:?}");
        assert!(
            decoded.starts_with("pw ") && decoded.ends_with(" ok\n"),
            "{decoded:?}"
        );
        let big = "x".repeat(CLIPBOARD_MAX + 1);
        assert!(
            osc52(&big, &secrets)
                .unwrap_err()
                .contains("w writes it to a file")
        );
    }
}
