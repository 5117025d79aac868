//! The log file, through the binary: a session's failure reaches it with its stage and
//! reason, the SSH library's own records are bridged into it, device text is escaped, and
//! nothing of it reaches the terminal.

mod common;

use std::path::Path;
use std::process::Output;

const SCENARIO: &str = "name: log\nsites: [g]\nroles:\n  - {role: ios, platform: cisco_ios, count: 2}\n\
faults:\n  - devices: [g-ios2]\n    auth_failure: true\n";

/// `fleetdash exec` against `lab`, logging into `log` with `flags`.
async fn exec(dir: &Path, lab: &fleetdash::lab::Lab, log: &Path, flags: &[&str]) -> Output {
    let inv = dir.join("inv.yaml");
    let kh = dir.join("known_hosts");
    std::fs::write(&inv, lab.inventory_yaml()).unwrap();
    std::fs::write(&kh, lab.known_hosts()).unwrap();
    let mut cmd = common::fleetdash();
    cmd.arg("exec")
        .arg(&inv)
        .args(["--limit", "all", "--timeout", "3s", "--known-hosts"])
        .arg(&kh)
        .arg("--journal")
        .arg(dir.join("audit.jsonl"))
        .arg("--log-file")
        .arg(log)
        .args(flags)
        .args(["--", "show", "clock"])
        .env("FLEETDASH_PASSWORD", "admin")
        .env("XDG_STATE_HOME", dir.join("state"))
        .env_remove("RUST_LOG");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_session_is_logged_with_its_stage_and_reason_and_never_on_the_terminal() {
    let lab = common::lab(SCENARIO).seed(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/fleetdash.log");
    let out = exec(dir.path(), &lab, &log, &["-vv"]).await;
    assert_eq!(out.status.code(), Some(1), "one device failed");

    let text = std::fs::read_to_string(&log).unwrap();
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("session failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains("g-ios2") && failed[0].contains(r#"stage="auth""#),
        "{text}"
    );
    assert!(failed[0].contains("reason="), "{text}");
    // -vv: the sessions that worked and their commands, at debug.
    assert!(
        text.contains("session open") && text.contains("command answered"),
        "{text}"
    );
    // russh logs through `log`: bridged into the same file.
    assert!(text.contains("russh"), "no russh record: {text}");
    assert!(
        !text.contains("admin\n") && !text.contains("\u{1b}"),
        "{text}"
    );

    // Nothing of the log on the terminal.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for shown in [&stderr, &stdout] {
        assert!(
            !shown.contains("session failed")
                && !shown.contains("DEBUG")
                && !shown.contains("WARN"),
            "{shown}"
        );
    }
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_logs_nothing_and_the_default_logs_failures() {
    let lab = common::lab(SCENARIO).seed(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("quiet.log");
    exec(dir.path(), &lab, &quiet, &["-qq"]).await;
    assert_eq!(std::fs::read_to_string(&quiet).unwrap(), "");

    let default = dir.path().join("default.log");
    exec(dir.path(), &lab, &default, &[]).await;
    let text = std::fs::read_to_string(&default).unwrap();
    assert!(text.contains("session failed"), "{text}");
    assert!(
        !text.contains("session open"),
        "debug lines only with -vv: {text}"
    );
    lab.stop().await;
}

#[test]
fn a_log_file_that_cannot_be_opened_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::fleetdash()
        .args(["check", "no-such-inventory.yaml", "--log-file"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot open the log file"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
