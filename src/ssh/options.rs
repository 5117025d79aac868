//! What a caller tunes about SSH sessions: per-stage timeouts, the output cap, the host key
//! policy and files, agent use and legacy algorithms. Plain data with sensible defaults.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::bastion::{BastionLimits, Bastions};
use super::secret::Secret;
use super::ssh_config::{Resolved, SshConfig, Strictness};
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
    /// The OpenSSH client configuration read for this run (empty unless the command line
    /// installed one: tests and the demo never read the user's files).
    pub ssh_config: Arc<SshConfig>,
    /// Whether ssh_config's UserKnownHostsFile / GlobalKnownHostsFile choose the files to
    /// check (the user's own setup), or `known_hosts` is all there is (`--known-hosts`).
    pub known_hosts_from_ssh_config: bool,
    /// The bastion pool: one connection per bastion for every session of the run (clones
    /// share it). Empty by default: named `jump:` hops need [`SshOptions::with_bastions`].
    pub bastions: Bastions,
}

/// The configuration the command line loaded, for every [`SshOptions`] made after.
static INSTALLED: OnceLock<Arc<SshConfig>> = OnceLock::new();

/// Makes `config` the one every later [`SshOptions`] carries (called once, by `run`).
pub fn install_ssh_config(config: Arc<SshConfig>) {
    let _ = INSTALLED.set(config);
}

/// The configuration the command line installed (empty if none was).
pub fn installed_ssh_config() -> Arc<SshConfig> {
    INSTALLED.get().cloned().unwrap_or_else(SshConfig::empty)
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
        Ok(SshOptions {
            known_hosts_from_ssh_config: true,
            ..SshOptions::with_files(known_hosts, own)
        })
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
            ssh_config: installed_ssh_config(),
            known_hosts_from_ssh_config: false,
            bastions: Bastions::default(),
        }
    }

    /// The known_hosts files to check for a device: with the user's setup, ssh_config's
    /// UserKnownHostsFile in place of `~/.ssh/known_hosts` and its GlobalKnownHostsFile
    /// after, then fleetdash's own file (the only one keys are learned into).
    pub fn known_hosts_for(&self, r: Option<&Resolved>) -> Vec<PathBuf> {
        let Some(r) = r.filter(|_| self.known_hosts_from_ssh_config) else {
            return self.known_hosts.clone();
        };
        let mut files: Vec<PathBuf> = match &r.user_known_hosts {
            Some(user) => user.clone(),
            None => self
                .known_hosts
                .iter()
                .filter(|f| **f != self.learn_into)
                .cloned()
                .collect(),
        };
        files.extend(r.global_known_hosts.iter().flatten().cloned());
        if !files.contains(&self.learn_into) {
            files.push(self.learn_into.clone());
        }
        files
    }

    /// The stricter of the run's policy and the device's StrictHostKeyChecking (`yes` and
    /// `ask` are strict; `no` still refuses a changed key, as every policy does).
    pub fn host_keys_for(&self, r: Option<&Resolved>) -> HostKeyPolicy {
        match r.and_then(|r| r.strict_host_key_checking) {
            Some(Strictness::Yes) => HostKeyPolicy::Strict,
            _ => self.host_keys,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user_opts() -> SshOptions {
        SshOptions {
            known_hosts_from_ssh_config: true,
            ..SshOptions::with_files(
                vec![
                    PathBuf::from("/h/.ssh/known_hosts"),
                    PathBuf::from("/s/own"),
                ],
                PathBuf::from("/s/own"),
            )
        }
    }

    #[test]
    fn ssh_config_chooses_known_hosts_files_unless_one_was_named() {
        let r = Resolved {
            user_known_hosts: Some(vec![PathBuf::from("/a"), PathBuf::from("/b")]),
            global_known_hosts: Some(vec![PathBuf::from("/g")]),
            ..Resolved::default()
        };
        let files = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
        assert_eq!(
            user_opts().known_hosts_for(Some(&r)),
            files(&["/a", "/b", "/g", "/s/own"])
        );
        let global_only = Resolved {
            global_known_hosts: Some(vec![PathBuf::from("/g")]),
            ..Resolved::default()
        };
        assert_eq!(
            user_opts().known_hosts_for(Some(&global_only)),
            files(&["/h/.ssh/known_hosts", "/g", "/s/own"])
        );
        assert_eq!(
            user_opts().known_hosts_for(None),
            files(&["/h/.ssh/known_hosts", "/s/own"])
        );
        // --known-hosts FILE: that file only, whatever ssh_config says.
        let named = SshOptions::with_known_hosts(PathBuf::from("/only"));
        assert_eq!(named.known_hosts_for(Some(&r)), files(&["/only"]));
    }

    #[test]
    fn the_stricter_host_key_policy_wins() {
        let with = |s| Resolved {
            strict_host_key_checking: Some(s),
            ..Resolved::default()
        };
        let mut o = user_opts();
        o.host_keys = HostKeyPolicy::AcceptNew;
        assert_eq!(
            o.host_keys_for(Some(&with(Strictness::Yes))),
            HostKeyPolicy::Strict
        );
        assert_eq!(
            o.host_keys_for(Some(&with(Strictness::No))),
            HostKeyPolicy::AcceptNew
        );
        assert_eq!(o.host_keys_for(None), HostKeyPolicy::AcceptNew);
        o.host_keys = HostKeyPolicy::Strict;
        assert_eq!(
            o.host_keys_for(Some(&with(Strictness::AcceptNew))),
            HostKeyPolicy::Strict
        );
        assert_eq!(
            o.host_keys_for(Some(&with(Strictness::No))),
            HostKeyPolicy::Strict
        );
    }
}
