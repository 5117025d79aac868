//! What the sweeper is asked to probe, and how often.

use std::time::Duration;

use super::pacing::Rate;
use crate::inventory::{DeviceId, Inventory, ProbeSpec};

/// One device to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub device: DeviceId,
    /// IPv4 or IPv6 literal, or a hostname (resolved once at start, again after a failure).
    pub host: String,
    pub spec: ProbeSpec,
    /// Where an ICMP device is probed when ICMP is not permitted (`ProbeMode::TcpFallback`).
    pub ssh_port: u16,
    /// How often this device is probed, when not every sweep interval (the inventory's
    /// `probe_interval`).
    pub interval: Option<Duration>,
}

/// How often and how fast to sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    /// Time between sweep starts. A sweep that overruns makes the next tick be skipped.
    pub interval: Duration,
    /// How long one probe waits for its answer.
    pub timeout: Duration,
    pub rate: Rate,
    /// Stop after this many sweeps (`None` = forever).
    pub count: Option<u64>,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            rate: Rate::Spread,
            count: None,
        }
    }
}

/// One target per inventory device, in inventory order (so `device` is the index). The
/// address and SSH port are the ones sessions use: ssh_config's HostName and Port for a
/// device the inventory names by an alias.
pub fn targets_from_inventory(inventory: &Inventory) -> Vec<Target> {
    let config = crate::ssh::installed_ssh_config();
    inventory
        .devices
        .iter()
        .enumerate()
        .map(|(device, d)| {
            let (host, ssh_port) = crate::ssh::Target::address(d, &config)
                .unwrap_or_else(|_| (d.host.clone(), d.port));
            Target {
                device,
                host,
                spec: d.probe,
                ssh_port,
                interval: d.timing.interval,
            }
        })
        .collect()
}
