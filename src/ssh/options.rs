//! What a caller tunes about SSH sessions: per-stage timeouts, the output cap, the host key
//! policy and files, agent use and legacy algorithms. Plain data with sensible defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bastion::{BastionLimits, Bastions};
use super::secret::Secret;
use crate::base::paths::{self, NoHome};
use crate::inventory::Inventory;

/// One timeout per stage: russh has none of its own, so every await is bounded by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Name resolution and TCP connect.
    pub connect: Duration,
    /// SSH banner, key exchange and host key check.
    pub handshake: Duration,
    /// The whole authentication chain.
    pub auth: Duration,
    /// One command (and opening the shell it runs in).
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(10),
            auth: Duration::from_secs(15),
            command: Duration::from_secs(60),
        }
    }
}

/// What to do with a host key that no known_hosts file lists yet. A *changed* key is
/// refused under every policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Only keys already in a known_hosts file are accepted.
    Strict,
    /// Unknown hosts are learned into fleetdash's own known_hosts file (and reported).
    #[default]
    AcceptNew,
}

/// Options shared by every session of a run.
#[derive(Debug, Clone)]
pub struct SshOptions {
    pub timeouts: Timeouts,
    /// Output beyond this many bytes is dropped and the result marked truncated.
    pub output_cap: usize,
    pub host_keys: HostKeyPolicy,
    /// known_hosts files to check, in order (the user's, then fleetdash's own).
    pub known_hosts: Vec<PathBuf>,
    /// Where accept-new records keys it learns (fleetdash's own file).
    pub learn_into: PathBuf,
    /// Offer ssh-agent keys (`SSH_AUTH_SOCK`) to devices with `agent: true`.
    pub use_agent: bool,
    /// Enable legacy algorithms for every device (devices can also ask one by one).
    pub legacy_algorithms: bool,
    /// Terminal size requested for PTY shells.
    pub pty_size: (u32, u32),
    /// A password for every device, used instead of the variable `password_env` names
    /// (the built-in demo lab, whose password is public).
    pub password: Option<Secret>,
    /// The bastion pool: one connection per bastion for every session of the run (clones
    /// share it). Empty by default: named `jump:` hops need [`SshOptions::with_bastions`].
    pub bastions: Bastions,
}

impl SshOptions {
    /// The user's files: `~/.ssh/known_hosts` (when `HOME` is set) and fleetdash's own,
    /// which new keys are learned into. Without a state directory there is nowhere safe to
    /// learn keys: [`NoHome`], never the current directory.
    pub fn for_user() -> Result<SshOptions, NoHome> {
        let own = paths::known_hosts()?;
        let mut known_hosts = Vec::new();
        if let Some(home) = paths::home() {
            known_hosts.push(home.join(".ssh/known_hosts"));
        }
        known_hosts.push(own.clone());
        Ok(SshOptions::with_files(known_hosts, own))
    }

    /// Options that check and learn host keys only in `file` (tests, sandboxes).
    pub fn with_known_hosts(file: PathBuf) -> SshOptions {
        SshOptions::with_files(vec![file.clone()], file)
    }

    fn with_files(known_hosts: Vec<PathBuf>, learn_into: PathBuf) -> SshOptions {
        SshOptions {
            timeouts: Timeouts::default(),
            output_cap: 1 << 20,
            host_keys: HostKeyPolicy::default(),
            known_hosts,
            learn_into,
            use_agent: true,
            legacy_algorithms: false,
            pty_size: (200, 24),
            password: None,
            bastions: Bastions::default(),
        }
    }
}

impl SshOptions {
    /// These options with a bastion pool whose named hops are `inventory`'s devices. Give
    /// it the whole inventory (before `--limit`), so a bastion left out still resolves.
    pub fn with_bastions(self, inventory: &Inventory, limits: BastionLimits) -> SshOptions {
        SshOptions {
            bastions: Bastions::new(inventory, limits),
            ..self
        }
    }

    /// The headless commands' options: one timeout for every stage, the host key policy,
    /// and (optionally) the only known_hosts file to check and learn into.
    pub fn headless(
        known_hosts: Option<&Path>,
        timeout: Duration,
        host_keys: HostKeyPolicy,
    ) -> Result<SshOptions, NoHome> {
        let opts = match known_hosts {
            Some(file) => SshOptions::with_known_hosts(file.to_path_buf()),
            None => SshOptions::for_user()?,
        };
        Ok(SshOptions {
            timeouts: Timeouts {
                connect: timeout,
                handshake: timeout,
                auth: timeout,
                command: timeout,
            },
            host_keys,
            ..opts
        })
    }
}
