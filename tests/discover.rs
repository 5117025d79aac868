//! `fleetdash discover` through the real binary on a loopback block that only this test uses:
//! the lab's devices are found on their SSH port with their banners, detected, written into
//! an inventory that loads, and merged again without repeats.

mod common;

use fleetdash::inventory::Inventory;

const SCENARIO: &str = r#"
name: discover-test
sites: [s]
roles:
  - {role: ios, platform: cisco_ios, count: 2}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
"#;

const PASSWORD_ENV: &str = "FLEETDASH_TEST_DISCOVER_PW";

#[tokio::test(flavor = "multi_thread")]
async fn discover_finds_detects_and_writes_an_inventory() {
    let lab = common::lab(SCENARIO)
        .devices(4)
        .seed(9)
        .with(|c| c.port = 2222)
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, lab.known_hosts()).unwrap();
    let first = lab.devices()[0].addr.ip().to_string();
    let block = format!("{}/24", first);
    let inv = dir.path().join("found.yaml");
    let run = || {
        common::fleetdash()
            .args([
                "discover",
                &block,
                "--ports",
                "2222,2223",
                "--rate",
                "0",
                "--json",
            ])
            .args([
                "--detect",
                "--username",
                "admin",
                "--password-env",
                PASSWORD_ENV,
            ])
            .arg("--known-hosts")
            .arg(&kh)
            .arg("--write-inventory")
            .arg(&inv)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env(PASSWORD_ENV, "admin")
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}\n{stderr}");
    for d in lab.devices() {
        let row = rows
            .iter()
            .find(|r| r["address"] == d.addr.ip().to_string())
            .unwrap_or_else(|| panic!("{} not found", d.addr));
        assert_eq!(row["open"], serde_json::json!([2222]), "{row}");
        assert_eq!(row["refused"], serde_json::json!([2223]), "{row}");
        assert!(
            row["banner"].as_str().unwrap().starts_with("SSH-2.0-"),
            "{row}"
        );
        assert_eq!(row["platform"], d.platform.name(), "{row}");
    }
    assert!(
        stderr.contains("found 4 hosts with an open port of 256 addresses scanned"),
        "{stderr}"
    );

    let text = std::fs::read_to_string(&inv).unwrap();
    let found = Inventory::from_yaml(&text, "found.yaml").unwrap();
    assert_eq!(found.devices.len(), 4);
    assert!(found.devices.iter().all(|d| d.port == 2222));

    // Again: nothing new, the file stays as it was.
    let out = run();
    assert!(String::from_utf8_lossy(&out.stderr).contains("added 0 devices (4 already listed)"));
    assert_eq!(std::fs::read_to_string(&inv).unwrap(), text);
}

#[test]
fn scans_larger_than_a_slash_16_need_yes_and_names_are_refused() {
    let out = common::fleetdash()
        .args(["discover", "127.0.0.0/15"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    let out = common::fleetdash()
        .args(["discover", "router.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names are not resolved"));
}
