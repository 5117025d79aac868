//! `fleetdash backup` through the real binary against the lab, checked with the real `git`:
//! one commit per run with only what changed, volatile lines dropped, secrets masked, a
//! failing device keeping its last good file, and a second run with no change committing
//! nothing.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use fleetdash::inventory::Inventory;
use fleetdash::ssh::Session;

const SCENARIO: &str = r#"
name: backup-test
sites: [s]
roles:
  - {role: ios, platform: cisco_ios, count: 2}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: authfail, platform: cisco_ios, count: 1}
  - {role: linux, platform: linux, count: 1}
faults:
  - devices: [s-authfail1]
    auth_failure: true
"#;

const PASSWORD_ENV: &str = "FLEETDASH_TEST_BACKUP_PW";

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn backup(dir: &Path, inv: &Path, kh: &Path, repo: &Path, extra: &[&str]) -> Output {
    common::fleetdash()
        .arg("backup")
        .arg(inv)
        .arg("--known-hosts")
        .arg(kh)
        .arg("--to")
        .arg(repo)
        .args(["--timeout", "5s", "--layout", "{tag:site}/{name}"])
        .args(extra)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env(PASSWORD_ENV, "admin")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_commit_only_real_changes_and_never_secrets() {
    if Command::new("git").arg("--version").output().is_err() {
        panic!("git is needed for the backup tests (apt-get install git)");
    }
    let lab = common::lab(SCENARIO).devices(6).seed(5).start().await;
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, lab.known_hosts()).unwrap();
    let inv = dir.path().join("inv.yaml");
    let text = lab.inventory_yaml().replace(
        "password_env: FLEETDASH_PASSWORD",
        &format!("password_env: {PASSWORD_ENV}"),
    );
    assert!(text.contains(PASSWORD_ENV), "{text}");
    std::fs::write(&inv, &text).unwrap();
    let repo = dir.path().join("configs");

    let out = backup(dir.path(), &inv, &kh, &repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "one device fails auth\n{stderr}"
    );
    assert!(
        stderr.contains("4 new, 0 unchanged, 1 failed, 1 skipped"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("failed    s-authfail1  auth:"), "{stdout}");

    // The real git: one commit, one file per good device, in the layout's folders.
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "1");
    let files = git(&repo, &["ls-files"]);
    for name in ["s-ios1", "s-ios2", "s-eos1", "s-junos1"] {
        assert!(files.contains(&format!("s/{name}\n")), "{files}");
    }
    assert!(
        !files.contains("authfail"),
        "a failed device writes nothing: {files}"
    );
    let ios = git(&repo, &["show", "HEAD:s/s-ios1"]);
    assert!(ios.contains("hostname"), "{ios}");
    assert!(
        !ios.contains("Last configuration change"),
        "volatile line kept: {ios}"
    );
    assert!(!ios.contains("$1$lab$"), "secret stored: {ios}");
    assert!(ios.contains("secret 5 <secret removed>"), "{ios}");
    let mode = std::fs::metadata(&repo).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o700
    );
    let msg = git(&repo, &["log", "-1", "--format=%B"]);
    assert!(
        msg.starts_with("fleetdash backup: 0 changed, 4 new, 0 unchanged, 1 failed"),
        "{msg}"
    );

    // Nothing changed on the devices: nothing to commit, although IOS stamps every fetch.
    let out = backup(dir.path(), &inv, &kh, &repo, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing changed: no commit"));
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "1");

    // A real change on one device: one commit holding that device's file only.
    let inventory = Inventory::from_yaml(&lab.inventory_yaml(), "<lab>").unwrap();
    let ios2 = inventory
        .devices
        .iter()
        .find(|d| d.name == "s-ios2")
        .unwrap();
    let mut opts = common::lab_options(&lab, kh.clone());
    opts.password = Some(fleetdash::ssh::Secret::new("admin".into()));
    let mut s = Session::connect(ios2, &opts).await.unwrap();
    let out = s
        .configure(&["ntp server 192.0.2.123".into()], false)
        .await
        .unwrap();
    assert!(out.error_marker.is_none(), "{}", out.text);
    s.close().await;
    let out = backup(dir.path(), &inv, &kh, &repo, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 changed, 0 new, 3 unchanged, 1 failed")
    );
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "2");
    let changed = git(&repo, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(changed, "s/s-ios2\n");
    let diff = git(&repo, &["diff", "HEAD~1", "HEAD"]);
    assert!(diff.contains("+ntp server 192.0.2.123"), "{diff}");

    // A server has no configuration to back up: skipped, not a failure.
    let out = backup(
        dir.path(),
        &inv,
        &kh,
        &repo,
        &["--limit", "s-ios1:s-linux1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 skipped (no configuration command)"),
        "{stderr}"
    );

    // --keep-secrets stores them (and commits the difference).
    let out = backup(
        dir.path(),
        &inv,
        &kh,
        &repo,
        &["--keep-secrets", "--limit", "s-ios1"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(git(&repo, &["show", "HEAD:s/s-ios1"]).contains("$1$lab$"));
}

#[test]
fn bad_layouts_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.yaml");
    std::fs::write(&inv, "devices:\n  - {name: a, host: 127.0.0.1}\n").unwrap();
    let out = common::fleetdash()
        .arg("backup")
        .arg(&inv)
        .args(["--layout", "{site}/{name}", "--to"])
        .arg(dir.path().join("r"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown `{site}`") && stderr.contains("{tag:KEY}"),
        "{stderr}"
    );
}
