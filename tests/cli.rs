//! The real binary, headless: `check` and `sweep` against loopback inventories, exit codes,
//! and text from files that must not reach the terminal raw.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

fn fleetdash(args: &[&str]) -> Output {
    common::fleetdash()
        .args(args)
        .output()
        .expect("run fleetdash")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// `n` devices on 127.22.x.y (loopback only), half in group `even`.
fn loopback_inventory(n: usize, extra: &str) -> String {
    let mut yaml = String::from("groups:\n  even: {}\n  odd: {}\ndevices:\n");
    for i in 0..n {
        let group = if i % 2 == 0 { "even" } else { "odd" };
        let _ = writeln!(
            yaml,
            "  - {{name: dev{i:04}, host: 127.22.{}.{}, groups: [{group}]}}",
            i / 250,
            i % 250 + 1
        );
    }
    yaml + extra
}

#[test]
fn sweep_json_on_a_thousand_loopback_devices() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "inv.yaml", &loopback_inventory(1000, ""));
    let out = fleetdash(&["sweep", &inv, "--json", "--rate", "0"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1000);
    for row in &rows {
        assert_eq!(row["state"], "up", "{row}");
        assert_eq!(row["loss_pct"], 0.0);
        assert!(row["rtt_ms"].as_f64().unwrap() >= 0.0);
        assert!(row["host"].as_str().unwrap().starts_with("127.22."));
    }
    assert_eq!(rows[0]["name"], "dev0000");
}

#[test]
fn sweep_exits_1_when_a_device_is_down_and_limit_selects() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connect is refused → the tcp:1 service is down.
    let extra = "  - {name: closed, host: 127.22.9.1, probe: \"tcp:1\"}\n";
    let inv = write(dir.path(), "inv.yaml", &loopback_inventory(4, extra));

    let recording = dir.path().join("sweep.jsonl");
    let recording = recording.to_str().unwrap();
    let out = fleetdash(&[
        "sweep",
        &inv,
        "--count",
        "2",
        "--interval",
        "100ms",
        "--record",
        recording,
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{table}");
    // The recording of the sweep: the closed service down from its first probe to the end.
    let report = fleetdash(&["report", recording, "--json"]);
    assert_eq!(report.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["front_end"], "sweep");
    assert_eq!(report["devices"], 5);
    let outages = report["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 1, "{report:#}");
    assert_eq!(outages[0]["device"], "closed");
    assert_eq!(outages[0]["end"], serde_json::Value::Null);
    assert_eq!(outages[0]["why"], "tcp:1 refused");
    let closed = table.lines().find(|l| l.starts_with("closed")).unwrap();
    assert!(
        closed.contains("down") && closed.contains("100%") && closed.contains("refused"),
        "{closed}"
    );
    assert!(table.contains("4/5 up"));

    let out = fleetdash(&["sweep", &inv, "--limit", "even:!dev0002", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["dev0000"]);
}

#[test]
fn inventory_and_usage_errors_exit_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.yaml",
        "devices:\n  - name: a\n    hots: 127.0.0.1\n",
    );
    let out = fleetdash(&["sweep", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.yaml:3:5"), "{err}");
    assert!(err.contains("did you mean `host`"), "{err}");

    let good = write(dir.path(), "good.yaml", &loopback_inventory(2, ""));
    let out = fleetdash(&["sweep", &good, "--limit", "nosuch*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches no device"));

    let out = fleetdash(&["sweep", &good, "--count", "many"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

#[test]
fn check_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "inv.yaml", &loopback_inventory(6, ""));
    let out = fleetdash(&["check", &inv]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("6 devices"), "{text}");
    assert!(text.contains("even") && text.contains("odd"), "{text}");
}

#[test]
fn the_dashboard_refuses_to_start_without_a_terminal() {
    let out = fleetdash(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}

/// What a hostile file carries: clear the screen, set the window title, switch to the
/// alternate screen, then a right-to-left override. As YAML escapes, and as it ends up in a
/// file name.
const HOSTILE_YAML: &str = r"\e[2J\e]2;OWNED\a\e[?1049h\u202e";
const HOSTILE: &str = "\x1b[2J\x1b]2;OWNED\x07\x1b[?1049h\u{202e}";

/// No ESC, no other control character but newline and tab, no bidi control.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bidi = |c: char| matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || bidi(c))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {bad:?} reached the terminal:\n{text}"
    );
}

#[test]
fn text_from_files_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        &format!("inv{HOSTILE}.yaml"),
        &loopback_inventory(3, ""),
    );
    let out = fleetdash(&["check", &inv]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_inert("check stdout", &out.stdout);
    assert_inert("check stderr", &out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(r"inv\e[2J\e]2;OWNED\x07\e[?1049h\u{202e}.yaml: 3 devices"),
        "{text}"
    );

    let plan = write(
        dir.path(),
        &format!("plan{HOSTILE}.yaml"),
        // Commands with control characters are refused when the plan is read (an error,
        // not this printer); the name and the file's own name reach the dry run.
        &format!(
            "name: \"ntp{HOSTILE_YAML}\"\ntarget: all\nstrategy: {{canary: 1}}\n\
             steps:\n  - show clock\n  - config: [ntp server 127.0.0.1]\nsnapshot: show run\n"
        ),
    );
    let state = dir.path().join("state");
    let out = common::fleetdash()
        .args(["rollout", &plan, "--inventory", &inv, "--dry-run"])
        .env("XDG_STATE_HOME", &state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_inert("dry-run stdout", &out.stdout);
    assert_inert("dry-run stderr", &out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    for shown in [
        r"Plan:    ntp\e[2J\e]2;OWNED\x07\e[?1049h\u{202e} (",
        r"plan\e[2J\e]2;OWNED\x07\e[?1049h\u{202e}.yaml)",
        r"device(s) of /",
    ] {
        assert!(text.contains(shown), "{shown} in:\n{text}");
    }
}

/// `exec` refuses before it connects: a listener on loopback proves no connection was made.
#[test]
fn exec_applies_the_dashboards_rules_before_connecting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.yaml",
        &format!(
            "devices:\n  - {{name: rtr1, host: 127.0.0.1, port: {port}, platform: cisco_ios}}\n  \
             - {{name: srv1, host: 127.0.0.1, port: {port}, platform: linux}}\n"
        ),
    );
    let journal = dir.path().join("audit.jsonl");
    let journal = journal.to_str().unwrap();
    let exec = |limit: &str, flags: &[&str], command: &str| {
        let mut args = vec!["exec", &inv, "--limit", limit, "--journal", journal];
        args.extend_from_slice(flags);
        args.extend(["--", command]);
        fleetdash(&args)
    };
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("rtr1", &[], "reload", "pass --allow-dangerous"),
        ("rtr1", &[], "conf t", "pass --allow-dangerous"),
        (
            "srv1",
            &[],
            "sudo -u root /sbin/reboot",
            "pass --allow-dangerous",
        ),
        (
            "all",
            &[],
            "show clock\nconfigure terminal\nhostname PWNED\nend",
            "a command is one line",
        ),
        (
            "rtr1",
            &["--allow-dangerous"],
            "show clock\rreload",
            "a command is one line",
        ),
        ("srv1", &["--read-only"], "uptime && reboot", "read-only"),
        ("srv1", &["--read-only"], "echo $(reboot)", "read-only"),
        (
            "srv1",
            &["--read-only", "--allow-dangerous"],
            "/sbin/reboot",
            "read-only",
        ),
        (
            "rtr1",
            &["--read-only"],
            "show run | redirect flash:x",
            "read-only",
        ),
        ("all", &["--read-only"], "show version", "shell"),
    ];
    for (limit, flags, command, says) in cases {
        let out = exec(limit, flags, command);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        assert!(err.contains(says), "{command:?}: {err}");
        assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
        assert_eq!(err.lines().count(), 1, "one message: {err}");
    }
    assert!(
        listener.accept().is_err(),
        "nothing may connect to a device for a refused command"
    );
    assert!(
        !Path::new(journal).exists() || std::fs::read_to_string(journal).unwrap().is_empty(),
        "a refused command is not journaled as sent"
    );
    // With the flag the dangerous command does go out (here to a listener that never
    // speaks SSH, so it fails at the handshake).
    let out = exec(
        "rtr1",
        &["--allow-dangerous", "--timeout", "300ms"],
        "reload",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listener.accept().is_ok(), "--allow-dangerous connects");
}
