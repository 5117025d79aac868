//! The resolved, validated inventory: what every other module reads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a device in `Inventory::devices`; stable for the life of the process.
pub type DeviceId = usize;

/// How a device's reachability is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeSpec {
    /// ICMP echo. Without ICMP privilege: a TCP connect to the SSH port, where a completed
    /// connect or a refusal (RST) both prove the host is up.
    Icmp,
    /// A service check: only a completed TCP connect to this port is "up"; a refusal is down.
    Tcp(u16),
}

/// Per-device probe settings; `None`: the command line's (`--interval`, `--down-after`,
/// `--up-after`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ProbeTiming {
    pub interval: Option<std::time::Duration>,
    pub down_after: Option<u32>,
    pub up_after: Option<u32>,
}

/// One device, with every value resolved (device → groups depth-first → defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub name: String,
    /// IPv4, IPv6 literal or hostname.
    pub host: String,
    /// SSH port (default 22).
    pub port: u16,
    /// Whether the inventory gave `port:` (at any level). When it did not, 22 is only a
    /// default, and ssh_config's `Port` wins over it.
    pub port_set: bool,
    /// netmiko-style platform name (`cisco_ios`, `arista_eos`, `linux`, …).
    pub platform: String,
    pub username: Option<String>,
    /// Name of the environment variable that holds the password (never the password).
    pub password_env: Option<String>,
    pub key_file: Option<PathBuf>,
    /// Name of the environment variable that holds `key_file`'s passphrase.
    pub key_passphrase_env: Option<String>,
    /// Whether to offer keys from ssh-agent.
    pub agent: bool,
    /// Also offer legacy SSH algorithms (ssh-rsa, SHA-1 key exchange, CBC, hmac-sha1).
    pub legacy_ssh: bool,
    /// Groups as listed on the device. Devices that list the same groups share the list.
    pub groups: Arc<[String]>,
    /// Listed groups plus all their ancestors, in resolution order, without repeats; shared
    /// like `groups`.
    pub all_groups: Arc<[String]>,
    /// Every level's tags, the nearer level winning per key. Devices with the same tags
    /// share one map (10,000 devices have a few dozen tag sets): `Arc::make_mut` to edit.
    pub tags: Arc<BTreeMap<String, String>>,
    pub probe: ProbeSpec,
    /// How often and how damped this device is probed, when its inventory says
    /// (`probe_interval`, `down_after`, `up_after` on the device, a group or `defaults`).
    pub timing: ProbeTiming,
    /// Jump hosts (bastions) to go through, first hop first: another device's name or
    /// `[user@]host[:port]`. Empty: connect directly.
    pub jump: Vec<String>,
}

/// A named group; `parents` as listed in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub parents: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inventory {
    /// Where it came from (a path, or "<demo>").
    pub source: String,
    pub devices: Vec<Device>,
    pub groups: Vec<Group>,
    /// Which format was read, from which files; notes worth showing.
    pub provenance: super::format::Provenance,
    /// Desired cabling (a containerlab topology's `links`), for a cabling check.
    pub links: Vec<Link>,
}

/// One end of a cable: a device and its interface, as the topology names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub device: String,
    pub interface: String,
}

/// A cable the topology wants between two interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub a: Endpoint,
    pub b: Endpoint,
}
