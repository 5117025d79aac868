//! `fleetdash exec`'s printers: the answers folded (identical outputs once, under a compact
//! device list), one JSON object per device per line, and the one-line summary.

use std::fmt::Write as _;

use serde::Serialize;

use super::DeviceResult;
use crate::base::sanitize::Removed;
use crate::base::text::{escape_json, escape_line};
use crate::exec::fold::{compact_names, fold};

/// What a device's answer is folded by: its text and anything that makes it not plain ok.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Output { text: String, note: String },
    Error(String),
}

fn key(r: &DeviceResult) -> Key {
    match &r.result {
        Ok(out) => {
            let mut notes = Vec::new();
            if let Some(marker) = &out.error_marker {
                notes.push(format!("error: {marker}"));
            }
            if let Some(status) = out.exit_status.filter(|s| *s != 0) {
                notes.push(format!("exit status {status}"));
            }
            if out.truncated {
                notes.push("output truncated".into());
            }
            if out.removed.any() {
                notes.push(out.removed.to_string());
            }
            Key::Output {
                text: out.text.clone(),
                note: notes.join(", "),
            }
        }
        Err(e) => Key::Error(e.to_string()),
    }
}

/// Identical answers once under a header naming the devices; failures last, grouped by
/// reason. Outputs are sanitized already; names and reasons are escaped here.
pub fn folded(results: &[DeviceResult]) -> String {
    let groups = fold(results.iter().map(|r| (r.name.clone(), key(r))));
    let (answers, errors): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|g| matches!(g.key, Key::Output { .. }));
    let mut out = String::new();
    for group in answers {
        let Key::Output { text, note } = &group.key else {
            continue;
        };
        let mut header = format!(
            "{} ({})",
            escape_line(&compact_names(&group.devices)),
            group.devices.len()
        );
        if !note.is_empty() {
            let _ = write!(header, " — {}", escape_line(note));
        }
        let rule = "-".repeat(header.chars().count().clamp(15, 78));
        let _ = writeln!(out, "{rule}\n{header}\n{rule}");
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(out, "FAILED");
        for group in errors {
            if let Key::Error(reason) = &group.key {
                let names = escape_line(&compact_names(&group.devices));
                let (n, reason) = (group.devices.len(), escape_line(reason));
                let _ = writeln!(out, "  {names} ({n}): {reason}");
            }
        }
    }
    out
}

/// One device, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    name: &'a str,
    host: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe_ran: Option<bool>,
    exit_status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_marker: Option<&'a str>,
    truncated: bool,
    /// What the sanitizer took out of the device's text.
    removed: Removed,
    duration_ms: u64,
    output: &'a str,
}

pub fn json_lines(results: &[DeviceResult]) -> String {
    let mut out = String::new();
    for r in results {
        let (output, error) = (r.result.as_ref().ok(), r.result.as_ref().err());
        let row = Row {
            name: &r.name,
            host: &r.host,
            ok: r.ok(),
            stage: error.map(|e| e.stage.as_str()),
            error: error.map(|e| e.reason.as_str()),
            maybe_ran: error.map(|e| e.maybe_ran),
            exit_status: output.and_then(|o| o.exit_status),
            error_marker: output.and_then(|o| o.error_marker.as_deref()),
            truncated: output.is_some_and(|o| o.truncated),
            removed: output.map(|o| o.removed).unwrap_or_default(),
            duration_ms: r.duration.as_millis().min(u64::MAX as u128) as u64,
            output: output.map_or("", |o| o.text.as_str()),
        };
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    }
    out
}

/// `998 ok, 2 failed of 1000 devices`.
pub fn summary(results: &[DeviceResult]) -> String {
    let ok = results.iter().filter(|r| r.ok()).count();
    format!(
        "{ok} ok, {} failed of {}",
        results.len() - ok,
        crate::base::text::count(results.len(), "device")
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fleet::{ExecError, Output, Stage};

    fn answer(name: &str, text: &str) -> DeviceResult {
        DeviceResult {
            name: name.into(),
            host: "127.20.0.1".into(),
            duration: Duration::from_millis(12),
            result: Ok(Output {
                text: text.into(),
                exit_status: Some(0),
                ..Output::default()
            }),
        }
    }

    fn failure(name: &str, stage: Stage, reason: &str) -> DeviceResult {
        DeviceResult {
            result: Err(ExecError {
                stage,
                maybe_ran: false,
                reason: reason.into(),
            }),
            ..answer(name, "")
        }
    }

    #[test]
    fn folds_identical_answers_and_groups_failures() {
        let mut marked = answer("sw1", "% Invalid input detected at '^' marker.\n");
        if let Ok(out) = &mut marked.result {
            out.error_marker = Some("% Invalid input".into());
        }
        let results = vec![
            answer("rtr1", "15.2(4)\n"),
            answer("rtr2", "15.2(4)\n"),
            failure("rtr3", Stage::Connect, "connection refused"),
            answer("rtr4", "15.1(1)"),
            answer("rtr5", "15.2(4)\n"),
            marked,
            failure("rtr6", Stage::Connect, "connection refused"),
            failure("rtr7", Stage::Auth, "password rejected"),
        ];
        let text = folded(&results);
        let expected = "\
---------------
rtr[1-2,5] (3)
---------------
15.2(4)
---------------
rtr4 (1)
---------------
15.1(1)
--------------------------------
sw1 (1) — error: % Invalid input
--------------------------------
% Invalid input detected at '^' marker.
FAILED
  rtr[3,6] (2): connect: connection refused
  rtr7 (1): auth: password rejected
";
        assert_eq!(text, expected);
        assert_eq!(summary(&results), "4 ok, 4 failed of 8 devices");
    }

    #[test]
    fn json_line_per_device() {
        let results = vec![
            answer("rtr1", "up\n"),
            failure("rtr2", Stage::HostKey, "changed"),
        ];
        let lines: Vec<serde_json::Value> = json_lines(&results)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["ok"], true);
        assert_eq!(lines[0]["output"], "up\n");
        assert_eq!(lines[0]["duration_ms"], 12);
        assert_eq!(lines[0]["exit_status"], 0);
        assert!(lines[0].get("stage").is_none());
        assert_eq!(lines[1]["ok"], false);
        assert_eq!(lines[1]["stage"], "host key");
        assert_eq!(lines[1]["error"], "changed");
        assert_eq!(lines[1]["maybe_ran"], false);
        assert_eq!(lines[0]["removed"]["controls"], 0);
    }

    /// Device names and failure reasons cannot drive the terminal, in text or in JSON, and
    /// cannot forge a line of their own.
    #[test]
    fn hostile_names_and_reasons_are_escaped() {
        use crate::base::text::hostile::{SAMPLES, assert_inert};
        for hostile in SAMPLES {
            let results = vec![
                answer(hostile, "up\n"),
                failure(&format!("{hostile}2"), Stage::Auth, hostile),
            ];
            let text = folded(&results);
            assert_inert("folded", &text);
            assert!(!text.contains("\nFORGED"), "{text}");
            let json = json_lines(&results);
            assert_inert("json", &json);
            let row: serde_json::Value =
                serde_json::from_str(json.lines().next().unwrap()).unwrap();
            assert_eq!(row["name"], *hostile);
        }
    }

    /// A device whose escape sequences were taken out says so, in text and in JSON.
    #[test]
    fn removed_control_sequences_are_reported() {
        let mut cut = answer("rtr1", "status: all good\n\n% Error: broken\n");
        if let Ok(out) = &mut cut.result {
            out.removed = Removed {
                controls: 1,
                unterminated: 1,
                overwritten: 0,
            };
        }
        let results = vec![cut, answer("rtr2", "status: all good\n\n% Error: broken\n")];
        let text = folded(&results);
        assert!(
            text.contains("rtr1 (1) — 1 control sequence removed (1 unterminated)\n"),
            "{text}"
        );
        assert!(text.contains("rtr2 (1)\n"), "{text}");
        let row: serde_json::Value =
            serde_json::from_str(json_lines(&results).lines().next().unwrap()).unwrap();
        assert_eq!(row["removed"]["controls"], 1, "{row}");
        assert_eq!(row["removed"]["unterminated"], 1, "{row}");
        assert_eq!(row["removed"]["overwritten"], 0, "{row}");
        assert_eq!(row["truncated"], false);
    }
}
