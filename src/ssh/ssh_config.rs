//! OpenSSH client configuration: `~/.ssh/config`, then `/etc/ssh/ssh_config` (or the one
//! file `--ssh-config` names, or none with `--no-ssh-config`), read once with OpenSSH's
//! rules and resolved per device ([`SshConfig::resolve`], pure and cheap: 10,000 devices
//! resolve in well under 0.1 s, even with a `Host` block per device).
//!
//! Inventory values win, like options on the ssh command line. What fleetdash does with the
//! result ([`Resolved`]) is in `ssh::target` (host, port, user, keys, agent), `ssh::algorithms`
//! (KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs), `ssh::transport` (ConnectTimeout,
//! ServerAlive*) and the host key check (known_hosts files, HostKeyAlias,
//! StrictHostKeyChecking). ProxyJump and ProxyCommand are resolved here for the jump
//! transport ([`Resolved::proxy_jump`], [`Resolved::proxy_command`]).
//!
//! Every other OpenSSH option is named once in the log as not supported; `Match exec` is
//! never run (its block is skipped, and the log says so).
//!
//! # For the jump transport
//!
//! `Target::resolve(device, &opts.ssh_config)` fills `Target::jump` from
//! [`Resolved::proxy_jump`] (hops in order, `[user@]host[:port]` as written) and
//! `Target::proxy_command` from [`Resolved::proxy_command_template`] (the transport
//! expands the tokens, shell-quoted), unless the inventory's `jump:` is set, which wins
//! like `ssh -J`. ProxyJump and ProxyCommand exclude each other as in OpenSSH.

mod algos;
mod keywords;
mod parse;
mod pattern;
mod resolve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use algos::{Assembled, assemble};
pub use keywords::Kw;
pub use parse::{At, ConfigError, Strictness};
pub use resolve::{Given, Local, Resolved};

use parse::{CriterionKind, Item, Origin, Parsed, Value};

/// Which files to read (the global flags).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sources {
    /// `~/.ssh/config`, then `/etc/ssh/ssh_config`.
    #[default]
    User,
    /// Only this file (`--ssh-config FILE`), as `ssh -F FILE`.
    File(PathBuf),
    /// None (`--no-ssh-config`).
    None,
}

/// The parsed files, shared by every session of a run.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    parsed: Parsed,
    index: resolve::Index,
    local: Local,
}

/// Where OpenSSH's system-wide file lives.
pub const SYSTEM_FILE: &str = "/etc/ssh/ssh_config";

impl SshConfig {
    /// No files: every device resolves to its own name and nothing else (tests, the demo).
    pub fn empty() -> Arc<SshConfig> {
        Arc::new(SshConfig::default())
    }

    /// Reads the files `sources` names, with this process's user and `$HOME`.
    pub fn load(sources: &Sources) -> Result<SshConfig, ConfigError> {
        // The unit tests' own guard (the integration tests set FLEETDASH_SSH_CONFIG=none on
        // the binary): the developer's ~/.ssh/config must never change what a test sees.
        #[cfg(test)]
        assert!(
            !matches!(sources, Sources::User),
            "a unit test must not read the user's ssh_config: use Sources::None or a file"
        );
        let local = Local {
            user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "root".into()),
            home: crate::base::paths::home().map(|h| h.display().to_string()),
        };
        SshConfig::load_as(sources, local)
    }

    /// [`SshConfig::load`] for a given local user and home (tests, the oracle).
    pub fn load_as(sources: &Sources, local: Local) -> Result<SshConfig, ConfigError> {
        let mut parsed = Parsed::default();
        let home = local.home.as_deref();
        match sources {
            Sources::None => {}
            Sources::File(path) => {
                if !parse::read_file(path, Origin::User, home, &mut parsed)? {
                    return Err(ConfigError {
                        file: path.clone(),
                        line: 0,
                        message: "no such file (check the --ssh-config path)".into(),
                    });
                }
            }
            Sources::User => {
                if let Some(h) = home {
                    parse::read_file(
                        &Path::new(h).join(".ssh/config"),
                        Origin::User,
                        home,
                        &mut parsed,
                    )?;
                }
                parse::read_file(Path::new(SYSTEM_FILE), Origin::System, home, &mut parsed)?;
            }
        }
        let index = resolve::Index::new(&parsed);
        let config = SshConfig {
            parsed,
            index,
            local,
        };
        config.log_unsupported();
        Ok(config)
    }

    /// The options for `alias` (the inventory's `host`), with what the inventory gave.
    pub fn resolve(&self, alias: &str, given: &Given<'_>) -> Resolved {
        resolve::resolve(alias, given, &self.parsed, &self.index, &self.local)
    }

    /// The files read (includes too), in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.parsed.files
    }

    /// `file:line` of a location.
    pub fn place(&self, at: At) -> String {
        let file = self
            .parsed
            .files
            .get(at.file as usize)
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        format!("{file}:{}", at.line)
    }

    /// One short line on where a device's SSH options came from, when the files gave any:
    /// `ssh_config: HostName, Port, User from ~/.ssh/config:4-6`.
    pub fn describe(&self, r: &Resolved) -> Option<String> {
        if !r.contributed() {
            return None;
        }
        let mut names: Vec<&str> = Vec::new();
        for (kw, _) in &r.from {
            if !names.contains(&kw.name()) {
                names.push(kw.name());
            }
        }
        let mut by_file: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
        for (_, at) in &r.from {
            let e = by_file.entry(at.file).or_insert((at.line, at.line));
            e.0 = e.0.min(at.line);
            e.1 = e.1.max(at.line);
        }
        let places: Vec<String> = by_file
            .iter()
            .map(|(file, (a, b))| {
                let f = self
                    .parsed
                    .files
                    .get(*file as usize)
                    .map(|f| f.display().to_string())
                    .unwrap_or_default();
                match a == b {
                    true => format!("{f}:{a}"),
                    false => format!("{f}:{a}-{b}"),
                }
            })
            .collect();
        Some(format!("{} from {}", names.join(", "), places.join(", ")))
    }

    /// Every option fleetdash does not act on, once each (where it first appears), and
    /// every `Match` criterion it never evaluates: `(file:line, what)`.
    pub fn unsupported(&self) -> Vec<(String, String)> {
        let ignore: Vec<&str> = self
            .parsed
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Opt(_, Value::IgnoreUnknown(p)) => Some(p.as_str()),
                _ => None,
            })
            .collect();
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for item in &self.parsed.items {
            let (at, key, what) = match item {
                Item::Opt(at, Value::Ignored(kw)) => {
                    if ignore.iter().any(|p| pattern::list(kw.name(), p, true)) {
                        continue;
                    }
                    (
                        *at,
                        kw.name().to_string(),
                        format!("{} is not supported by fleetdash; ignored", kw.name()),
                    )
                }
                Item::Opt(at, Value::Unknown(word)) => {
                    if ignore.iter().any(|p| pattern::list(word, p, true)) {
                        continue;
                    }
                    (
                        *at,
                        word.clone(),
                        format!("{word} is not an ssh_config keyword fleetdash knows; ignored"),
                    )
                }
                Item::Match(at, criteria) => {
                    let Some(name) = criteria.iter().find_map(|c| match &c.kind {
                        CriterionKind::Unsupported(n) => Some(n.clone()),
                        _ => None,
                    }) else {
                        continue;
                    };
                    let what = match name.as_str() {
                        "exec" => {
                            "Match exec is never run by fleetdash; its block is skipped".to_string()
                        }
                        n => {
                            format!("Match {n} is not supported by fleetdash; its block is skipped")
                        }
                    };
                    (*at, format!("match {name}"), what)
                }
                _ => continue,
            };
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            out.push((self.place(at), what));
        }
        out
    }

    fn log_unsupported(&self) {
        for (place, what) in self.unsupported() {
            tracing::warn!(
                "ssh_config {}: {}",
                crate::base::text::Untrusted(&place),
                crate::base::text::Untrusted(&what)
            );
        }
    }
}

/// Most devices `fleetdash check` lists with their ssh_config origin.
const CHECK_LINES: usize = 20;

/// `fleetdash check`'s lines on ssh_config: the files read, and for each device the files
/// contributed to, where it connects and where that came from (the first
/// [`CHECK_LINES`], then a count). Empty when no file was read.
pub fn check_lines(inv: &crate::inventory::Inventory, config: &SshConfig) -> String {
    use crate::base::text::Untrusted;
    use std::fmt::Write;
    if config.files().is_empty() {
        return String::new();
    }
    let files: Vec<String> = config
        .files()
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let mut out = format!("ssh_config: {}\n", Untrusted(&files.join(", ")));
    let mut shown = 0;
    let mut more = 0;
    for d in &inv.devices {
        let t = match super::Target::resolve(d, config) {
            Ok(t) => t,
            Err(why) => {
                let _ = writeln!(out, "  {}: {}", Untrusted(&d.name), Untrusted(&why));
                continue;
            }
        };
        let Some(r) = t.ssh_config.as_deref() else {
            continue;
        };
        if shown == CHECK_LINES {
            more += 1;
            continue;
        }
        shown += 1;
        let mut line = format!(
            "  {}: {}@{}:{}",
            Untrusted(&d.name),
            Untrusted(&t.credentials.user),
            Untrusted(&t.host),
            t.port
        );
        if !r.proxy_jump.is_empty() {
            let _ = write!(line, " via {}", Untrusted(&r.proxy_jump.join(",")));
        }
        if let Some(from) = config.describe(r) {
            // Bounded already (names of options, and paths of files that were read).
            let _ = write!(line, " ({})", crate::base::text::escape_line(&from));
        }
        let _ = writeln!(out, "{line}");
    }
    if more > 0 {
        let _ = writeln!(out, "  … and {more} more devices with ssh_config options");
    }
    out
}

#[cfg(test)]
mod tests;
