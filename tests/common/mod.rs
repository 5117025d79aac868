//! What the integration test binaries share (`mod common;`): loopback address blocks, a
//! device lab on one with an inventory and SSH options for it, and waits for events.
//!
//! # Address blocks
//!
//! Every lab gets its own /24 of loopback from [`block`], so tests running at the same time
//! never share an address: threads of one binary, and binaries or processes side by side
//! (two `cargo test`s, `cargo nextest`, which runs each test in its own process).
//!
//! - The blocks are 127.40.0.0/24 … 127.47.255.0/24 (127.40.0.0/13, 2,048 blocks); literal
//!   addresses elsewhere in the tests (127.20/16 in fixtures) stay outside it.
//! - A binary starts its search at a base derived from its name (a hash of
//!   `CARGO_CRATE_NAME`), so binaries usually start far apart; within a process an atomic
//!   counter walks on from there.
//! - A block is taken only once this process holds a TCP listener on `127.S.T.255` at
//!   [`CLAIM_PORT`]. The kernel gives that to one process at a time and frees it when the
//!   process ends, however it ends; a block another process holds is skipped. So uniqueness
//!   never rests on the hash or on anyone picking numbers by hand.

#![allow(dead_code)] // each binary uses the part it needs

use std::fmt::Debug;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fleetdash::inventory::Inventory;
use fleetdash::lab::{Lab, LabConfig, Scenario};
use fleetdash::ssh::{Credentials, Secret, SshOptions, Target, Timeouts};
use tokio::sync::mpsc;

pub mod screen;

/// The fleetdash binary under test. Run it through [`fleetdash`] (or, in a shell command
/// line, [`fleetdash_shell`]): a test reaching for this path must set [`NO_SSH_CONFIG`].
pub const BIN: &str = env!("CARGO_BIN_EXE_fleetdash");

/// The environment that makes fleetdash read no ssh_config: the developer's
/// `~/.ssh/config` must never change what a test sees (a test that wants a config passes
/// `--ssh-config FILE`, which wins).
pub const NO_SSH_CONFIG: (&str, &str) = ("FLEETDASH_SSH_CONFIG", "none");

/// The fleetdash binary, as every test runs it (see [`NO_SSH_CONFIG`]).
pub fn fleetdash() -> std::process::Command {
    let mut command = std::process::Command::new(BIN);
    command.env(NO_SSH_CONFIG.0, NO_SSH_CONFIG.1);
    command
}

/// [`fleetdash`] as the start of a shell command line (`… --interval 1s`), for tmux.
pub fn fleetdash_shell() -> String {
    format!("{}={} {BIN}", NO_SSH_CONFIG.0, NO_SSH_CONFIG.1)
}

/// The port whose listener on a block's `.255` marks the block as taken.
pub const CLAIM_PORT: u16 = 47_219;
const FIRST: u32 = (127 << 24) | (40 << 16);
const BLOCKS: u32 = 2048;

/// How long a wait may take before the test fails: generous, only a hang gets there.
pub const HANG: Duration = Duration::from_secs(60);

/// The claims this process holds; kept until it exits.
static CLAIMS: Mutex<Vec<TcpListener>> = Mutex::new(Vec::new());
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The first address (`.1`) of a fresh /24 block, for this process only.
pub fn block() -> Ipv4Addr {
    blocks(1)
}

/// The first address (`.1`) of `n` consecutive fresh /24 blocks (a lab of more than 254
/// devices runs on into the next block).
pub fn blocks(n: u32) -> Ipv4Addr {
    let start = base(env!("CARGO_CRATE_NAME"));
    for _ in 0..BLOCKS {
        let first = (start + NEXT.fetch_add(n, Ordering::Relaxed)) % BLOCKS;
        if first + n > BLOCKS {
            continue;
        }
        let claims: Option<Vec<TcpListener>> = (first..first + n).map(claim).collect();
        if let Some(claims) = claims {
            CLAIMS.lock().unwrap().extend(claims);
            return Ipv4Addr::from(FIRST + first * 256 + 1);
        }
    }
    panic!("no free loopback block of {n} in 127.40.0.0/13");
}

/// Where a binary starts looking: FNV-1a of its name.
fn base(name: &str) -> u32 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % BLOCKS
}

fn claim(index: u32) -> Option<TcpListener> {
    let addr = Ipv4Addr::from(FIRST + index * 256 + 255);
    TcpListener::bind(SocketAddrV4::new(addr, CLAIM_PORT)).ok()
}

/// A lab to start: `scenario` with the test defaults (a fresh block, a free port per
/// device, quick auth rejections), changed with the builder methods.
pub struct LabBuilder {
    cfg: LabConfig,
    blocks: u32,
}

/// [`LabBuilder`] for the scenario `yaml`.
pub fn lab(yaml: &str) -> LabBuilder {
    let scenario = Scenario::from_yaml(yaml, "test scenario").unwrap_or_else(|e| panic!("{e}"));
    let mut cfg = LabConfig::new(scenario);
    cfg.port = 0;
    cfg.auth_rejection_time = Duration::from_millis(10);
    LabBuilder { cfg, blocks: 1 }
}

impl LabBuilder {
    pub fn devices(mut self, n: usize) -> LabBuilder {
        self.cfg.devices = n;
        self.blocks = (n as u32 + 1).div_ceil(256);
        self
    }

    pub fn seed(mut self, seed: u64) -> LabBuilder {
        self.cfg.seed = seed;
        self
    }

    /// The login password (the lab's default is `admin`).
    pub fn password(mut self, password: &str) -> LabBuilder {
        self.cfg.password = password.into();
        self
    }

    /// Any other setting.
    pub fn with(mut self, change: impl FnOnce(&mut LabConfig)) -> LabBuilder {
        change(&mut self.cfg);
        self
    }

    /// The configuration [`LabBuilder::start`] would start, on a fresh block.
    pub fn config(mut self) -> LabConfig {
        self.cfg.base = blocks(self.blocks);
        self.cfg
    }

    pub async fn start(self) -> Lab {
        Lab::start(self.config()).await.unwrap()
    }

    /// Starts the lab and returns it with its inventory and SSH options that trust its keys
    /// and log in with its password (handed over, never through the environment).
    pub async fn setup(self) -> Setup {
        let password = self.cfg.password.clone();
        let lab = self.start().await;
        let inventory = Arc::new(Inventory::from_yaml(&lab.inventory_yaml(), "<lab>").unwrap());
        let dir = tempfile::tempdir().unwrap();
        let known_hosts = dir.path().join("known_hosts");
        let mut opts = lab_options(&lab, known_hosts.clone());
        opts.password = Some(Secret::new(password.clone()));
        Setup {
            lab,
            password,
            inventory,
            opts,
            dir,
            known_hosts,
        }
    }
}

/// A running lab, its inventory, and options to reach it.
pub struct Setup {
    pub lab: Lab,
    /// The lab's login password (what `opts` logs in with).
    pub password: String,
    pub inventory: Arc<Inventory>,
    pub opts: SshOptions,
    /// The test's temporary directory (journals, reports, known_hosts).
    pub dir: tempfile::TempDir,
    pub known_hosts: PathBuf,
}

/// SSH options for `lab`: its host keys written to `known_hosts` (the only file checked and
/// learned into), no agent, and [`timeouts`] of 5 s.
pub fn lab_options(lab: &Lab, known_hosts: PathBuf) -> SshOptions {
    std::fs::write(&known_hosts, lab.known_hosts()).unwrap();
    let mut opts = SshOptions::with_known_hosts(known_hosts);
    opts.use_agent = false;
    opts.timeouts = timeouts(Duration::from_secs(5), Duration::from_secs(5));
    opts
}

/// A target for lab device `name`, logging in as the lab's default `admin`/`admin`.
pub fn lab_target(lab: &Lab, name: &str) -> Target {
    let d = lab
        .device(name)
        .unwrap_or_else(|| panic!("no device {name}"));
    Target {
        name: name.into(),
        host: d.addr.ip().to_string(),
        port: d.addr.port(),
        platform: d.platform.name().into(),
        credentials: Credentials {
            user: "admin".into(),
            agent: false,
            key_file: None,
            identity_files: Vec::new(),
            agent_socket: None,
            key_passphrase_env: None,
            password_env: None,
            password: Some(Secret::new("admin".into())),
        },
        legacy: false,
        ssh_config: None,
        jump: Vec::new(),
        proxy_command: None,
    }
}

/// `login` for connect, handshake and auth each; `command` for a command.
pub fn timeouts(login: Duration, command: Duration) -> Timeouts {
    Timeouts {
        connect: login,
        handshake: login,
        auth: login,
        command,
    }
}

/// Receives from `events`, keeping each in `seen`, until one matches `pred`. Fails the test
/// if the stream ends first or nothing matches within [`HANG`].
pub async fn until<E: Debug>(
    events: &mut mpsc::Receiver<E>,
    seen: &mut Vec<E>,
    what: &str,
    pred: impl Fn(&E) -> bool,
) {
    let wait = async {
        while let Some(e) = events.recv().await {
            let hit = pred(&e);
            seen.push(e);
            if hit {
                return true;
            }
        }
        false
    };
    let found = tokio::time::timeout(HANG, wait).await;
    assert!(
        matches!(found, Ok(true)),
        "no event: {what}; seen: {seen:#?}"
    );
}

/// Receives the rest of `events` into `seen`, until the senders are gone.
pub async fn drain<E>(events: &mut mpsc::Receiver<E>, seen: &mut Vec<E>) {
    let drain = async {
        while let Some(e) = events.recv().await {
            seen.push(e);
        }
    };
    tokio::time::timeout(HANG, drain)
        .await
        .expect("the event stream ends");
}

/// Waits until `cond` holds, checking every few milliseconds, for what no event announces
/// (lines in a journal, commands a lab device received). Fails the test after [`HANG`].
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let wait = async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    assert!(
        tokio::time::timeout(HANG, wait).await.is_ok(),
        "never happened: {what}"
    );
}
