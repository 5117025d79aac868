//! The example inventory `inventory/lab.yaml` is exactly what `fleetdash lab --devices 12`
//! serves: the same text as its `--write-inventory`, and every device answers as itself.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use fleetdash::inventory::Inventory;
use fleetdash::lab::{Lab, LabConfig};
use fleetdash::ssh::{Secret, Session};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/lab.yaml");
const REGENERATE: &str = "fleetdash lab --devices 12 --write-inventory inventory/lab.yaml";

/// A lab of the demo scenario with `devices` devices on `base`:`port`.
fn config(devices: usize, base: std::net::Ipv4Addr, port: u16) -> LabConfig {
    LabConfig {
        devices,
        base,
        port,
        ..LabConfig::default()
    }
}

#[test]
fn the_example_inventory_is_what_lab_devices_12_writes() {
    // What the lab writes (the real binary, the user's command) on a block of our own…
    let base = common::block();
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("lab.yaml");
    let mut lab = common::fleetdash()
        .args(["lab", "--devices", "12", "--port", "2222", "--base"])
        .arg(base.to_string())
        .arg("--write-inventory")
        .arg(&written)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + common::HANG;
    while !std::fs::read_to_string(&written).is_ok_and(|t| t.ends_with('\n')) {
        assert!(
            std::time::Instant::now() < deadline,
            "the lab wrote no inventory"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(50));
    let _ = lab.kill();
    let _ = lab.wait();
    let written = std::fs::read_to_string(&written).unwrap();
    assert_eq!(written, config(12, base, 2222).planned_inventory_yaml());
    // …is what it writes on its default addresses, which is the example.
    let default = config(12, LabConfig::default().base, 2222);
    assert_eq!(
        std::fs::read_to_string(EXAMPLE).unwrap(),
        default.planned_inventory_yaml(),
        "inventory/lab.yaml is not what the lab serves: regenerate it with `{REGENERATE}`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_of_the_example_answers_as_itself_on_a_lab_of_12() {
    let lab = Lab::start(LabConfig {
        auth_rejection_time: Duration::from_millis(10),
        ..config(12, common::block(), 0)
    })
    .await
    .unwrap();
    let example = Inventory::load(Path::new(EXAMPLE)).unwrap();
    assert_eq!(example.devices.len(), lab.devices().len());
    let dir = tempfile::tempdir().unwrap();
    let mut opts = common::lab_options(&lab, dir.path().join("known_hosts"));
    opts.password = Some(Secret::new("admin".into()));
    for device in &example.devices {
        // Our lab runs on its own block with free ports: the Nth address of the example is
        // the Nth device of the lab.
        let nth: usize = device.host.rsplit('.').next().unwrap().parse().unwrap();
        let served = &lab.devices()[nth - 1];
        assert_eq!(device.port, 2222, "{}", device.name);
        assert_eq!(device.platform, served.platform.name(), "{}", device.name);
        let mut device = device.clone();
        device.host = served.addr.ip().to_string();
        device.port = served.addr.port();
        let mut session = Session::connect(&device, &opts)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", device.name));
        // The configuration names the device (`hostname …`, `set system host-name …`).
        let command = match device.platform.as_str() {
            "juniper_junos" => "show configuration | display set",
            _ => "show running-config",
        };
        let out = session
            .run(command)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", device.name));
        let hostname = out.text.lines().find_map(|l| {
            let l = l.trim();
            l.strip_prefix("hostname ")
                .or_else(|| l.strip_prefix("set system host-name "))
        });
        assert_eq!(hostname, Some(device.name.as_str()), "{}", out.text);
    }
}
