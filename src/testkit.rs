//! Test helpers for unit tests and (with the `testkit` feature, on for `cargo test`)
//! integration tests: small inventories without YAML, fleet states and probe events.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::fleet::{Event, FleetConfig, ProbeOutcome, ProbeResult, State};
use crate::inventory::{Device, Group, Inventory, ProbeSpec};

/// A device with `groups` (also its `all_groups`) and a `site` tag taken from its name prefix.
pub fn device(name: &str, host: &str, groups: &[&str]) -> Device {
    let site = name.split('-').next().unwrap_or_default();
    Device {
        name: name.into(),
        host: host.into(),
        port: 22,
        port_set: false,
        platform: "cisco_ios".into(),
        username: Some("netops".into()),
        password_env: None,
        key_file: None,
        agent: false,
        key_passphrase_env: None,
        legacy_ssh: false,
        timing: Default::default(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        all_groups: groups.iter().map(|g| g.to_string()).collect(),
        tags: BTreeMap::from([("site".to_string(), site.to_string())]).into(),
        probe: ProbeSpec::Icmp,
        jump: Vec::new(),
    }
}

/// `n` devices named `{site}-sw{i}` across the sites ams and fra, on 127.20.0.x.
pub fn inventory(n: usize) -> Arc<Inventory> {
    let devices = (0..n)
        .map(|i| {
            let site = if i % 2 == 0 { "ams" } else { "fra" };
            device(
                &format!("{site}-sw{i:02}"),
                &format!("127.20.0.{}", i + 1),
                &[site],
            )
        })
        .collect();
    let groups = ["ams", "fra"]
        .iter()
        .map(|g| Group {
            name: g.to_string(),
            parents: vec![],
        })
        .collect();
    Arc::new(Inventory {
        source: "test.yaml".into(),
        devices,
        groups,
        ..Inventory::default()
    })
}

/// A fixed pair of clocks: `t0` is 2026-11-21 12:00:00 UTC.
pub fn origin() -> (Instant, SystemTime) {
    let t0 = Instant::now();
    (
        t0,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_262_400),
    )
}

pub fn state(n: usize, config: FleetConfig) -> State {
    State::new(inventory(n), config, origin())
}

pub fn probe(device: usize, at: Instant, rtt_us: Option<u64>) -> Event {
    let outcome = match rtt_us {
        Some(us) => ProbeOutcome::Reply {
            rtt: Duration::from_micros(us),
        },
        None => ProbeOutcome::Lost,
    };
    Event::Probe(ProbeResult {
        device,
        at,
        outcome,
    })
}
