//! `fleetdash detect` and `platform: autodetect` through the real binary against the lab:
//! every lab platform identified from what it prints, remembered in the state directory,
//! written back into the inventory with its comments kept, and used by `exec`.

mod common;

use std::path::Path;
use std::process::Output;

use fleetdash::inventory::Inventory;

const SCENARIO: &str = r#"
name: detect-test
sites: [s]
roles:
  - {role: ios, platform: cisco_ios, count: 1}
  - {role: xe, platform: cisco_xe, count: 1}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: linux, platform: linux, count: 1}
"#;

const PASSWORD_ENV: &str = "FLEETDASH_TEST_DETECT_PW";

fn fleetdash(state: &Path, args: &[&str]) -> Output {
    common::fleetdash()
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env(PASSWORD_ENV, "admin")
        .output()
        .unwrap()
}

/// The lab's devices, every one `platform: autodetect`, with a comment to keep.
fn autodetect_inventory(lab_yaml: &str) -> String {
    let lab = Inventory::from_yaml(lab_yaml, "<lab>").unwrap();
    let mut out = String::from("# detect me\ndevices:\n");
    for d in &lab.devices {
        out.push_str(&format!(
            "  - {{name: {}, host: {}, port: {}, username: admin, password_env: {PASSWORD_ENV}, platform: autodetect}}  # {}\n",
            d.name, d.host, d.port, d.platform
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_identifies_every_lab_platform_and_exec_uses_it() {
    let lab = common::lab(SCENARIO).devices(5).seed(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, lab.known_hosts()).unwrap();
    let kh = known_hosts.to_str().unwrap();
    let state = dir.path().join("state");
    let inv = dir.path().join("inv.yaml");
    let text = autodetect_inventory(&lab.inventory_yaml());
    std::fs::write(&inv, &text).unwrap();
    let written = dir.path().join("out.yaml");

    let args = [
        "detect",
        inv.to_str().unwrap(),
        "--known-hosts",
        kh,
        "--timeout",
        "5s",
    ];
    let out = fleetdash(
        &state,
        &[&args[..], &["--json", "--write", written.to_str().unwrap()]].concat(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let name = row["name"].as_str().unwrap();
        let truth = lab.device(name).unwrap().platform.name();
        assert_eq!(row["platform"].as_str(), Some(truth), "{row}");
    }

    // Written back: comments and layout kept, each device resolving to what it runs.
    let edited = std::fs::read_to_string(&written).unwrap();
    assert!(edited.starts_with("# detect me\n"), "{edited}");
    let inv_after = Inventory::from_yaml(&edited, "out.yaml").unwrap();
    for d in &inv_after.devices {
        assert_eq!(d.platform, lab.device(&d.name).unwrap().platform.name());
        assert!(
            edited.contains(&format!("platform: {}}}  # {}", d.platform, d.platform)),
            "{edited}"
        );
    }

    // Remembered: `exec` on the autodetect inventory connects with the right drivers.
    assert!(state.join("fleetdash/detected-platforms.json").exists());
    let exec = [
        "exec",
        inv.to_str().unwrap(),
        "--known-hosts",
        kh,
        "-l",
        "all",
        "--json",
        "--",
        "show version",
    ];
    let out = fleetdash(&state, &exec);
    assert_eq!(
        out.status.code(),
        Some(1),
        "linux answers `show version` with an error"
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for row in rows
        .iter()
        .filter(|r| !r["name"].as_str().unwrap().contains("linux"))
    {
        assert_eq!(row["ok"], true, "{row}");
        assert!(row["error_marker"].is_null(), "{row}");
    }

    // Without the cache, autodetect finds the platform at connect time.
    let fresh = dir.path().join("fresh-state");
    let out = fleetdash(
        &fresh,
        &[
            "exec",
            inv.to_str().unwrap(),
            "--known-hosts",
            kh,
            "-l",
            "s-eos1",
            "--",
            "show version",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Arista"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_that_matches_no_platform_fails_at_the_detect_stage() {
    let lab = common::lab(SCENARIO).devices(5).seed(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, lab.known_hosts()).unwrap();
    // A user platform file that claims nothing; the lab Linux host answers `uname -a`, so
    // hide the built-in Linux rules with a user file of the same name.
    let config = dir.path().join("config/fleetdash/platforms");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("linux.yaml"),
        "name: linux\ndescription: Linux without detection\ntransport: exec\nprompt:\n  pattern: '[$#] *$'\n",
    )
    .unwrap();
    let inv = dir.path().join("inv.yaml");
    std::fs::write(&inv, autodetect_inventory(&lab.inventory_yaml())).unwrap();
    let out = common::fleetdash()
        .args([
            "exec",
            inv.to_str().unwrap(),
            "--known-hosts",
            known_hosts.to_str().unwrap(),
        ])
        .args(["-l", "s-linux1", "--json", "--", "uname -a"])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env(PASSWORD_ENV, "admin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let row: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(row["stage"], "detect", "{row}");
    assert!(
        row["error"].as_str().unwrap().contains("set `platform:`"),
        "{row}"
    );
}
