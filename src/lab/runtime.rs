//! The lab as a whole: configuration, start (bind every device), queries (devices,
//! inventory, known_hosts, command records, stats) and a clean stop.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use russh::SshId;
use russh::keys::PublicKey;
use russh::server::Config;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::device::{CommandRecord, DeviceConfig, DeviceShared};
use super::listener::{self, Configs};
use super::platform::Platform;
use super::scenario::{Faults, PlannedDevice, Scenario};
use super::session;
use super::{cli, hostkey, inventory, outputs, rlimit, topology};

/// Everything needed to start a lab.
#[derive(Debug, Clone)]
pub struct LabConfig {
    pub devices: usize,
    /// First device address; must be in 127.0.0.0/8 (as must the last).
    pub base: Ipv4Addr,
    /// SSH port on every device; 0 gives each device its own free port (tests).
    pub port: u16,
    pub scenario: Scenario,
    pub username: String,
    pub password: String,
    pub authorized_keys: Vec<PublicKey>,
    /// Host keys derive from this and the device name.
    pub seed: u64,
    /// How long a rejected authentication takes (russh's constant-time rejection).
    pub auth_rejection_time: Duration,
    /// Uptimes and clocks stand still, so outputs can be compared exactly (tests).
    pub frozen_clock: bool,
}

impl LabConfig {
    /// A lab of `scenario` with its own device count and the defaults: 127.20.0.1:2222,
    /// `admin`/`admin`, seed 0.
    pub fn new(scenario: Scenario) -> LabConfig {
        LabConfig {
            devices: scenario.devices,
            base: Ipv4Addr::new(127, 20, 0, 1),
            port: 2222,
            scenario,
            username: "admin".into(),
            password: "admin".into(),
            authorized_keys: Vec::new(),
            seed: 0,
            auth_rejection_time: Duration::from_millis(300),
            frozen_clock: false,
        }
    }
}

impl LabConfig {
    /// The inventory a lab of this configuration serves, without starting it: what
    /// `fleetdash lab --write-inventory` writes. Needs a fixed `port` (0 picks ports at start).
    pub fn planned_inventory_yaml(&self) -> String {
        let first = u32::from(self.base);
        let devices: Vec<LabDevice> = self
            .scenario
            .plan(self.devices)
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(first + i as u32)), self.port);
                let key = hostkey::derive(self.seed, &p.name, 0);
                lab_device(p, addr, key.public_key().clone())
            })
            .collect();
        inventory::inventory_yaml(&self.scenario.name, &self.username, &devices)
    }
}

/// What a lab tells about device `p` listening on `addr`.
fn lab_device(p: &PlannedDevice, addr: SocketAddr, host_key: PublicKey) -> LabDevice {
    LabDevice {
        name: p.name.clone(),
        addr,
        platform: p.platform,
        site: p.site.clone(),
        role: p.role.clone(),
        host_key,
        faults: p.faults.clone(),
    }
}

impl Default for LabConfig {
    fn default() -> LabConfig {
        LabConfig::new(Scenario::demo())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("a lab needs at least one device")]
    NoDevices,
    #[error(
        "lab addresses must stay inside 127.0.0.0/8: {base} + {devices} devices leaves it; \
         choose a lower --base or fewer --devices"
    )]
    NotLoopback { base: Ipv4Addr, devices: usize },
    #[error(
        "cannot listen on {addr}: {source} (is another lab running there? \
         pick another --base or --port)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// One device of a running lab.
#[derive(Debug, Clone)]
pub struct LabDevice {
    pub name: String,
    /// Where its SSH listener is (its own loopback address).
    pub addr: SocketAddr,
    pub platform: Platform,
    pub site: String,
    pub role: String,
    /// The host key it normally presents (what known_hosts should hold).
    pub host_key: PublicKey,
    pub faults: Faults,
}

/// Totals since the lab started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LabStats {
    pub devices: usize,
    /// Devices whose listener is up (flapping ones may be down).
    pub devices_up: usize,
    /// TCP connections accepted.
    pub connections: u64,
    /// Successful SSH logins.
    pub sessions: u64,
    /// Connections open now.
    pub active_sessions: u64,
    /// Command lines received (exec and shell).
    pub commands: u64,
    pub auth_failures: u64,
    /// Connections refused by the max-sessions fault.
    pub refused: u64,
    /// `direct-tcpip` channels opened (the device acting as a bastion).
    pub forwards: u64,
}

#[derive(Debug, Default)]
pub struct Counters {
    pub connections: AtomicU64,
    pub sessions: AtomicU64,
    pub active: AtomicU64,
    pub commands: AtomicU64,
    pub auth_failures: AtomicU64,
    pub refused: AtomicU64,
    pub forwards: AtomicU64,
}

/// What every connection handler needs from the lab.
#[derive(Debug)]
pub struct LabShared {
    pub username: String,
    pub password: String,
    pub authorized_keys: Vec<PublicKey>,
    pub counters: Counters,
    pub next_conn: AtomicU64,
}

/// A running lab. Dropping it stops the listeners; `stop` also waits for sessions to end.
pub struct Lab {
    scenario: String,
    username: String,
    devices: Vec<LabDevice>,
    shared: Vec<Arc<DeviceShared>>,
    lab: Arc<LabShared>,
    stop_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Lab {
    /// Binds every device's listener and starts serving. Must run inside a tokio runtime.
    pub async fn start(cfg: LabConfig) -> Result<Lab, LabError> {
        if cfg.devices == 0 {
            return Err(LabError::NoDevices);
        }
        let first = u32::from(cfg.base);
        let last = first.checked_add(cfg.devices as u32 - 1);
        let loopback = |a: u32| Ipv4Addr::from(a).octets()[0] == 127;
        if !loopback(first) || !last.is_some_and(loopback) {
            return Err(LabError::NotLoopback {
                base: cfg.base,
                devices: cfg.devices,
            });
        }
        rlimit::raise_nofile();
        let plan = cfg.scenario.plan(cfg.devices);
        let links = topology::neighbors(&plan, &cfg.scenario.topology);
        let lab = Arc::new(LabShared {
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            authorized_keys: cfg.authorized_keys.clone(),
            counters: Counters::default(),
            next_conn: AtomicU64::new(1),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut out = Lab {
            scenario: cfg.scenario.name.clone(),
            username: cfg.username.clone(),
            devices: Vec::with_capacity(plan.len()),
            shared: Vec::with_capacity(plan.len()),
            lab: lab.clone(),
            stop_tx,
            tasks: Vec::with_capacity(plan.len()),
        };
        for (i, p) in plan.iter().enumerate() {
            let want = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(first + i as u32)), cfg.port);
            let listener =
                listener::bind(want).map_err(|source| LabError::Bind { addr: want, source })?;
            let addr = listener
                .local_addr()
                .map_err(|source| LabError::Bind { addr: want, source })?;
            let mut dev = DeviceShared::new(p, addr, &links[i], &plan);
            dev.frozen = cfg.frozen_clock;
            let dev = Arc::new(dev);
            let key = hostkey::derive(cfg.seed, &p.name, 0);
            let host_key = key.public_key().clone();
            let normal = Arc::new(server_config(&cfg, p, key));
            let rotated = if p.faults.host_key_change_after.is_some() {
                Arc::new(server_config(
                    &cfg,
                    p,
                    hostkey::derive(cfg.seed, &p.name, 1),
                ))
            } else {
                normal.clone()
            };
            out.devices.push(lab_device(p, addr, host_key));
            out.tasks.push(tokio::spawn(listener::serve(
                dev.clone(),
                lab.clone(),
                Configs { normal, rotated },
                listener,
                stop_rx.clone(),
            )));
            out.shared.push(dev);
        }
        Ok(out)
    }

    pub fn devices(&self) -> &[LabDevice] {
        &self.devices
    }

    pub fn device(&self, name: &str) -> Option<&LabDevice> {
        self.devices.iter().find(|d| d.name == name)
    }

    fn shared(&self, name: &str) -> Option<&Arc<DeviceShared>> {
        self.shared.iter().find(|d| d.name == name)
    }

    /// The lab's cabling as its devices report it over LLDP: each link once, as
    /// `[device, port, device, port]` with full port names.
    pub fn cabling(&self) -> Vec<[String; 4]> {
        let mut links = Vec::new();
        for d in &self.shared {
            for l in &d.lldp {
                let far = self.shared(&l.remote_name);
                let a = [d.name.clone(), d.platform.port_name(l.local_port)];
                let b = [
                    l.remote_name.clone(),
                    l.remote_platform.port_name(l.remote_port),
                ];
                // Once per cable: from the end whose name sorts first.
                if far.is_some() && a[0] < b[0] {
                    links.push([a[0].clone(), a[1].clone(), b[0].clone(), b[1].clone()]);
                }
            }
        }
        links
    }

    /// The fleetdash inventory for this lab (`probe: tcp:<port>`, password from
    /// `$FLEETDASH_PASSWORD`, groups `site-*` and `role-*`).
    pub fn inventory_yaml(&self) -> String {
        inventory::inventory_yaml(&self.scenario, &self.username, &self.devices)
    }

    /// known_hosts lines (`[ip]:port ssh-ed25519 …`) for every device.
    pub fn known_hosts(&self) -> String {
        inventory::known_hosts(&self.devices)
    }

    /// Every command `device` received, in order (empty for an unknown device).
    pub fn commands(&self, device: &str) -> Vec<CommandRecord> {
        self.shared(device).map(|d| d.records()).unwrap_or_default()
    }

    /// How many times `device` received exactly `text`.
    pub fn command_count(&self, device: &str, text: &str) -> u64 {
        self.shared(device).map_or(0, |d| d.count(text))
    }

    /// The device's current configuration as `show running-config` / Junos
    /// `show configuration | display set` would print it.
    pub fn config_text(&self, device: &str) -> Option<String> {
        let d = self.shared(device)?;
        if d.platform.vendor().is_some() {
            return Some(outputs::described_body(d));
        }
        let text = match &*d.config() {
            DeviceConfig::Tree(t) => t.render(),
            DeviceConfig::Set(s) => s.render_set(),
            DeviceConfig::Flat(f) => f.render(),
            DeviceConfig::Host(h) => format!("hostname {h}\n"),
        };
        Some(text)
    }

    /// What `device` prints for `command` in a fresh privileged session after `setup`
    /// (never paged, nothing recorded): what a client should hand back for it.
    pub fn expected_output(&self, device: &str, setup: &[String], command: &str) -> Option<String> {
        let d = self.shared(device)?;
        Some(cli::preview(d.clone(), &self.username, setup, command))
    }

    /// Whether the device's listener is up now (false while a flapping device is down).
    pub fn is_up(&self, device: &str) -> Option<bool> {
        self.shared(device).map(|d| d.is_up())
    }

    pub fn stats(&self) -> LabStats {
        let c = &self.lab.counters;
        LabStats {
            devices: self.devices.len(),
            devices_up: self.shared.iter().filter(|d| d.is_up()).count(),
            connections: c.connections.load(Ordering::Relaxed),
            sessions: c.sessions.load(Ordering::Relaxed),
            active_sessions: c.active.load(Ordering::Relaxed),
            commands: c.commands.load(Ordering::Relaxed),
            auth_failures: c.auth_failures.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            forwards: c.forwards.load(Ordering::Relaxed),
        }
    }

    /// Closes every listener and session and waits (up to 5 s) for them to finish.
    pub async fn stop(mut self) {
        let _ = self.stop_tx.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.lab.counters.active.load(Ordering::Relaxed) > 0
            && tokio::time::Instant::now() < deadline
        {
            for d in &self.shared {
                d.kill_all_sessions();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Without `stop`, at least close the listeners and cut the sessions.
        let _ = self.stop_tx.send(true);
    }
}

/// The russh server configuration of one device with `key` as its host key.
fn server_config(cfg: &LabConfig, plan: &PlannedDevice, key: russh::keys::PrivateKey) -> Config {
    let spec = plan.platform.spec();
    Config {
        server_id: SshId::Standard(spec.server_id.into()),
        methods: session::methods(spec.keyboard_interactive),
        auth_rejection_time: cfg.auth_rejection_time,
        // OpenSSH probes with "none" first; answering it at once costs nothing.
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        // The idle-timeout fault also hangs up connections that only run exec channels.
        inactivity_timeout: Some(
            plan.faults
                .idle_timeout
                .unwrap_or(Duration::from_secs(3600)),
        ),
        nodelay: true,
        ..Default::default()
    }
}
