//! One simulated device's shared state: identity, facts, configuration, the record of
//! every command it received, its live sessions and whether its listener is up.

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use super::config::{FlatConfig, SetConfig, TreeConfig};
use super::platform::{Family, Platform};
use super::scenario::{Faults, PlannedDevice};
use super::topology::Neighbor;
use crate::base::fnv::fnv1a;

/// The most command records kept per device (oldest dropped first) so a long demo stays
/// bounded; counts are kept exactly.
pub const MAX_RECORDS: usize = 20_000;

/// How a command reached the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An SSH `exec` request.
    Exec,
    /// A line typed into an interactive shell.
    Shell,
}

/// One command a device received.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRecord {
    /// The SSH connection it came on (unique per lab).
    pub session: u64,
    pub via: Via,
    /// CLI mode the line was entered in (`user`, `privileged`, `config`, `config-if`,
    /// `operational`, `configuration`, `shell`).
    pub mode: String,
    /// The line exactly as received (trimmed).
    pub text: String,
    pub at: SystemTime,
}

/// Stable per-device facts for outputs (serial, MAC, model…), derived from the name.
#[derive(Debug, Clone)]
pub struct Facts {
    pub hash: u64,
    pub serial: String,
    pub mac: [u8; 6],
    /// Uptime the device had when the lab started.
    pub uptime_at_start: std::time::Duration,
}

impl Facts {
    pub fn new(name: &str, platform: Platform) -> Facts {
        let hash = fnv1a(name.as_bytes());
        let vendor = platform.vendor();
        let oui: [u8; 3] = match platform.family() {
            Family::Ios => [0x00, 0x1e, 0x7a],
            Family::Eos => [0x00, 0x1c, 0x73],
            Family::Junos => [0x00, 0x05, 0x86],
            Family::Linux => [0x52, 0x54, 0x00],
            Family::Generic => vendor.map_or([2, 0, 0], |v| parse_oui(&v.v.oui)),
        };
        let b = hash.to_be_bytes();
        let serial = match platform.family() {
            Family::Ios => format!("FOC{:04}{}", hash % 10_000, alnum(hash >> 16, 4)),
            Family::Eos => format!("JPE{:08}", hash % 100_000_000),
            Family::Junos => format!("JN{}AFC", alnum(hash >> 8, 7)),
            Family::Linux => format!("VM-{:08x}", hash as u32),
            Family::Generic => format!(
                "{}{:04}{}",
                vendor.map_or("", |v| v.v.serial.as_str()),
                hash % 10_000,
                alnum(hash >> 16, 4)
            ),
        };
        Facts {
            hash,
            serial,
            mac: [oui[0], oui[1], oui[2], b[5], b[6], b[7]],
            uptime_at_start: std::time::Duration::from_secs(3_600 + hash % (200 * 86_400)),
        }
    }

    /// The MAC as `aa:bb:cc:dd:ee:ff`.
    pub fn mac_colon(&self) -> String {
        self.mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The MAC as Cisco's `aabb.ccdd.eeff`.
    pub fn mac_dotted(&self) -> String {
        let m = self.mac;
        format!(
            "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// `00:1e:7a` → bytes (a description's OUI; malformed parts read as 0).
fn parse_oui(text: &str) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (slot, part) in out.iter_mut().zip(text.split(':')) {
        *slot = u8::from_str_radix(part, 16).unwrap_or(0);
    }
    out
}

fn alnum(mut v: u64, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| {
            let c = CHARS[(v % CHARS.len() as u64) as usize] as char;
            v /= CHARS.len() as u64;
            c
        })
        .collect()
}

/// A neighbour as the device's LLDP table shows it.
#[derive(Debug, Clone)]
pub struct LldpEntry {
    pub local_port: usize,
    pub remote_name: String,
    pub remote_platform: Platform,
    pub remote_port: usize,
    pub remote_mac: String,
}

/// A device's configuration, in its platform's shape.
#[derive(Debug, Clone)]
pub enum DeviceConfig {
    Tree(TreeConfig),
    Set(SetConfig),
    /// Independent command lines (RouterOS, EXOS).
    Flat(FlatConfig),
    /// Linux hosts: only a hostname.
    Host(String),
}

impl DeviceConfig {
    pub fn hostname(&self) -> Option<&str> {
        match self {
            DeviceConfig::Tree(t) => t.hostname(),
            DeviceConfig::Set(s) => s.hostname(),
            DeviceConfig::Flat(_) => None,
            DeviceConfig::Host(h) => Some(h),
        }
    }
}

/// Closes one live TCP connection from outside the SSH session (drop faults, flapping,
/// lab shutdown) by shutting down a duplicate of its socket.
#[derive(Debug)]
pub struct Killer {
    stream: TcpStream,
}

impl Killer {
    pub fn new(stream: TcpStream) -> Killer {
        Killer { stream }
    }

    /// Closes the connection politely (FIN), like a device that hangs up an idle line.
    pub fn hang_up(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    pub fn kill(&self) {
        // Linger 0 turns the close into a reset, like a device that crashed or rebooted.
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(std::time::Duration::ZERO));
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Shared, live state of one device.
#[derive(Debug)]
pub struct DeviceShared {
    pub name: String,
    pub platform: Platform,
    pub addr: SocketAddr,
    pub faults: Faults,
    pub facts: Facts,
    pub lldp: Vec<LldpEntry>,
    /// Number of data ports the device has (enough for its links, at least 8).
    pub ports: usize,
    pub started: Instant,
    /// Uptime and clock stand still (tests compare outputs exactly).
    pub frozen: bool,
    config: Mutex<DeviceConfig>,
    config_changed: AtomicBool,
    /// Changed since the last save (EXOS and SR OS show a `*` in the prompt).
    unsaved: AtomicBool,
    records: Mutex<Records>,
    logins: AtomicU64,
    sessions: Mutex<HashMap<u64, Arc<Killer>>>,
    up: AtomicBool,
}

#[derive(Debug, Default)]
struct Records {
    list: VecDeque<CommandRecord>,
    counts: HashMap<String, u64>,
}

impl DeviceShared {
    pub fn new(
        plan: &PlannedDevice,
        addr: SocketAddr,
        neighbors: &[Neighbor],
        all: &[PlannedDevice],
    ) -> DeviceShared {
        let lldp: Vec<LldpEntry> = neighbors
            .iter()
            .map(|n| {
                let remote = &all[n.remote];
                LldpEntry {
                    local_port: n.local_port,
                    remote_name: remote.name.clone(),
                    remote_platform: remote.platform,
                    remote_port: n.remote_port,
                    remote_mac: Facts::new(&remote.name, remote.platform).mac_colon(),
                }
            })
            .collect();
        let min_ports = plan.platform.vendor().map_or(8, |v| v.v.ports);
        let ports = lldp
            .iter()
            .map(|l| l.local_port)
            .max()
            .unwrap_or(0)
            .max(min_ports);
        let config = super::outputs::initial_config(&plan.name, plan.platform, addr, ports, &lldp);
        DeviceShared {
            name: plan.name.clone(),
            platform: plan.platform,
            addr,
            faults: plan.faults.clone(),
            facts: Facts::new(&plan.name, plan.platform),
            lldp,
            ports,
            started: Instant::now(),
            frozen: false,
            config: Mutex::new(config),
            config_changed: AtomicBool::new(false),
            unsaved: AtomicBool::new(false),
            records: Mutex::new(Records::default()),
            logins: AtomicU64::new(0),
            sessions: Mutex::new(HashMap::new()),
            up: AtomicBool::new(true),
        }
    }

    pub fn config(&self) -> MutexGuard<'_, DeviceConfig> {
        lock(&self.config)
    }

    /// Marks that configuration changed (enables the fail-after-config fault).
    pub fn mark_config_changed(&self) {
        self.config_changed.store(true, Ordering::Relaxed);
        self.unsaved.store(true, Ordering::Relaxed);
    }

    pub fn mark_saved(&self) {
        self.unsaved.store(false, Ordering::Relaxed);
    }

    pub fn unsaved(&self) -> bool {
        self.unsaved.load(Ordering::Relaxed)
    }

    pub fn config_changed(&self) -> bool {
        self.config_changed.load(Ordering::Relaxed)
    }

    /// The prompt name: the configured hostname, else the device name.
    pub fn hostname(&self) -> String {
        let config = self.config();
        let found = match self.platform.vendor() {
            Some(v) => {
                let prefix = v.v.store.hostname.as_str();
                match &*config {
                    DeviceConfig::Tree(t) => t.value_of(prefix),
                    DeviceConfig::Set(s) => s.value_of(prefix),
                    DeviceConfig::Flat(f) => f.value_of(prefix),
                    DeviceConfig::Host(h) => Some(h.as_str()),
                }
            }
            None => config.hostname(),
        };
        found
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.name.clone())
    }

    pub fn record(&self, rec: CommandRecord) {
        let mut r = lock(&self.records);
        *r.counts.entry(rec.text.clone()).or_insert(0) += 1;
        if r.list.len() == MAX_RECORDS {
            r.list.pop_front();
        }
        r.list.push_back(rec);
    }

    pub fn records(&self) -> Vec<CommandRecord> {
        lock(&self.records).list.iter().cloned().collect()
    }

    pub fn count(&self, text: &str) -> u64 {
        lock(&self.records).counts.get(text).copied().unwrap_or(0)
    }

    /// Counts a successful login; returns how many there were before this one.
    pub fn login(&self) -> u64 {
        self.logins.fetch_add(1, Ordering::Relaxed)
    }

    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// Registers a live connection unless `limit` are already open.
    pub fn open_session(&self, id: u64, killer: Arc<Killer>, limit: Option<usize>) -> bool {
        let mut s = lock(&self.sessions);
        if limit.is_some_and(|max| s.len() >= max) {
            return false;
        }
        s.insert(id, killer);
        true
    }

    pub fn close_session(&self, id: u64) {
        lock(&self.sessions).remove(&id);
    }

    pub fn kill_session(&self, id: u64) {
        if let Some(k) = lock(&self.sessions).get(&id) {
            k.kill();
        }
    }

    pub fn hang_up(&self, id: u64) {
        if let Some(k) = lock(&self.sessions).get(&id) {
            k.hang_up();
        }
    }

    pub fn kill_all_sessions(&self) {
        for k in lock(&self.sessions).values() {
            k.kill();
        }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Relaxed);
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }
}

/// Locks a mutex, recovering from poisoning: a panicked session must not wedge the lab.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
