//! Resolving one host against parsed files, as OpenSSH's first pass does: blocks apply
//! when their `Host` patterns (wildcards, `!` negation; the name as given) or `Match`
//! criteria match, the first value obtained for an option wins (IdentityFile collects,
//! in order, without repeats), values given on the "command line" (the inventory) come
//! first, and the `%` tokens expand where ssh_config(5) says they do. Pure: no I/O.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::keywords::Kw;
use super::parse::{At, CriterionKind, Item, Parsed, Strictness, Value};
use super::pattern::{self, Tokens};

/// What this machine's user is, for `Match localuser`, `%u`, `%d`, `~` and the default
/// remote user (taken once at load, so resolving stays pure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Local {
    pub user: String,
    pub home: Option<String>,
}

/// What the inventory says, like options on the ssh command line: they win over the files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    pub user: Option<&'a str>,
    pub port: Option<u16>,
}

/// Everything fleetdash takes from ssh_config for one host. `None`/empty: the files do not
/// say (the caller's own default applies). Paths and commands are expanded (`~`, tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The name resolved (what `%n` stands for).
    pub alias: String,
    /// Where to connect: `HostName` with `%h` expanded, lowercased, else the name itself.
    pub host_name: String,
    /// The login user (the inventory's if it gave one).
    pub user: Option<String>,
    /// The port (the inventory's if it gave one).
    pub port: Option<u16>,
    /// IdentityFile, every one that applies, in order.
    pub identity_files: Vec<PathBuf>,
    pub identities_only: Option<bool>,
    /// IdentityAgent: a socket path, `SSH_AUTH_SOCK`, or `none`.
    pub identity_agent: Option<String>,
    /// ProxyJump hops, first hop first (`[user@]host[:port]` as written, tokens expanded);
    /// empty for none. For the jump transport (not built here).
    pub proxy_jump: Vec<String>,
    /// ProxyCommand with `%h %p %r %n %%` expanded, to run through a shell; `None` when
    /// unset or `none`. For the jump transport (not built here).
    pub proxy_command: Option<String>,
    /// The same command as written, tokens unexpanded (the transport expands them itself,
    /// shell-quoted).
    pub proxy_command_template: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub strict_host_key_checking: Option<Strictness>,
    pub user_known_hosts: Option<Vec<PathBuf>>,
    pub global_known_hosts: Option<Vec<PathBuf>>,
    pub host_key_alias: Option<String>,
    /// KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs as written (`+`/`-`/`^`), applied
    /// to fleetdash's own defaults by `ssh::algorithms`.
    pub kex: Option<String>,
    pub host_key_algorithms: Option<String>,
    pub ciphers: Option<String>,
    pub macs: Option<String>,
    /// Seconds; 0 turns keepalives off.
    pub server_alive_interval: Option<u32>,
    pub server_alive_count_max: Option<u32>,
    /// Which line gave each option that came from the files, in the order obtained.
    pub from: Vec<(Kw, At)>,
    /// Values that cannot be used (a token that is not allowed, …): the session should
    /// not connect with a half-understood configuration.
    pub problems: Vec<String>,
}

impl Resolved {
    /// Whether the files said anything at all about this host.
    pub fn contributed(&self) -> bool {
        !self.from.is_empty()
    }
}

/// The raw first values, before tokens.
#[derive(Default)]
struct Raw {
    host_name: Option<String>,
    user: Option<String>,
    port: Option<u16>,
    identity_files: Vec<String>,
    identity_agent: Option<String>,
    /// `Some(None)`: `ProxyJump none`.
    jump: Option<Option<Vec<String>>>,
    /// `Some(None)`: `ProxyCommand none`.
    command: Option<Option<String>>,
    connect_timeout: Option<Option<Duration>>,
    user_known_hosts: Option<Vec<String>>,
    global_known_hosts: Option<Vec<String>>,
}

/// Where the work is, so that a config generated with one `Host name` block per device
/// (10,000 of them) costs each device a handful of items, not all of them: a `Host` block
/// whose patterns are all literal and whose body is only options can only apply to the
/// names it lists, and skipping it leaves the state exactly as visiting it would (the next
/// `Host`/`Match` sets it anew, an include's end restores it).
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Item ranges to visit for every host, in order.
    always: Vec<(usize, usize)>,
    /// Skippable blocks, as item ranges.
    blocks: Vec<(usize, usize)>,
    /// The blocks (indices into `blocks`, ascending) that name a host.
    by_name: HashMap<String, Vec<usize>>,
}

impl Index {
    pub fn new(parsed: &Parsed) -> Index {
        let items = &parsed.items;
        let mut index = Index::default();
        let mut start = 0;
        let mut i = 0;
        while i < items.len() {
            let Item::Host(patterns) = &items[i] else {
                i += 1;
                continue;
            };
            let literal = patterns.iter().all(|(_, p)| !p.contains(['*', '?']));
            let mut end = i + 1;
            while end < items.len() && matches!(items[end], Item::Opt(..)) {
                end += 1;
            }
            let ends_well = !matches!(items.get(end), Some(Item::Enter));
            if !(literal && ends_well) {
                i = end;
                continue;
            }
            if start < i {
                index.always.push((start, i));
            }
            let block = index.blocks.len();
            index.blocks.push((i, end));
            for (negated, p) in patterns {
                let names = index.by_name.entry(p.clone()).or_default();
                if !negated && names.last() != Some(&block) {
                    names.push(block);
                }
            }
            start = end;
            i = end;
        }
        if start < items.len() {
            index.always.push((start, items.len()));
        }
        index
    }

    /// No shortcuts: every item for every host (what [`Index::new`] must equal).
    #[cfg(test)]
    pub fn everything(parsed: &Parsed) -> Index {
        Index {
            always: vec![(0, parsed.items.len())],
            ..Index::default()
        }
    }

    /// The item ranges to visit for `alias`, in file order.
    fn ranges(&self, alias: &str) -> Vec<(usize, usize)> {
        let mut out = self.always.clone();
        if let Some(blocks) = self.by_name.get(alias) {
            out.extend(blocks.iter().map(|b| self.blocks[*b]));
            out.sort_unstable();
        }
        out
    }
}

/// Resolves `alias` against `parsed` (`index` built from it).
pub fn resolve(
    alias: &str,
    given: &Given<'_>,
    parsed: &Parsed,
    index: &Index,
    local: &Local,
) -> Resolved {
    let mut out = Resolved {
        alias: alias.to_string(),
        ..Resolved::default()
    };
    let mut raw = Raw {
        user: given.user.map(str::to_string),
        port: given.port,
        ..Raw::default()
    };
    let mut active = true;
    // An included file starts in its Include line's state, and never matches inside if
    // that line was inactive; the state before comes back after it.
    let mut never = false;
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let ranges = index.ranges(alias);
    for item in ranges.iter().flat_map(|(a, b)| &parsed.items[*a..*b]) {
        match item {
            Item::Host(patterns) => active = !never && host_matches(alias, patterns),
            Item::Match(_, criteria) => {
                active = !never
                    && criteria.iter().all(|c| {
                        let hit = match &c.kind {
                            CriterionKind::All => true,
                            CriterionKind::Host(p) => {
                                let host = match &raw.host_name {
                                    Some(h) => expand_host_name(h, alias).unwrap_or_default(),
                                    None => alias.to_string(),
                                };
                                pattern::list(&host, p, true)
                            }
                            CriterionKind::OriginalHost(p) => pattern::list(alias, p, true),
                            CriterionKind::User(p) => {
                                pattern::list(raw.user.as_deref().unwrap_or(&local.user), p, false)
                            }
                            CriterionKind::LocalUser(p) => pattern::list(&local.user, p, false),
                            // Never evaluated: the whole block is skipped, negated or not.
                            CriterionKind::Unsupported(_) => return false,
                        };
                        hit != c.negate
                    });
            }
            Item::Enter => {
                stack.push((active, never));
                never |= !active;
            }
            Item::Leave => (active, never) = stack.pop().unwrap_or((active, never)),
            Item::Opt(at, value) if active => take(&mut out, &mut raw, *at, value),
            Item::Opt(..) => {}
        }
    }
    finish(out, raw, local)
}

fn host_matches(alias: &str, patterns: &[(bool, String)]) -> bool {
    let mut hit = false;
    for (negated, p) in patterns {
        if pattern::wildcard(alias, p) {
            if *negated {
                return false;
            }
            hit = true;
        }
    }
    hit
}

/// Keeps the first value of each option (first obtained wins).
fn take(out: &mut Resolved, raw: &mut Raw, at: At, value: &Value) {
    fn first<T: Clone>(slot: &mut Option<T>, v: &T, from: &mut Vec<(Kw, At)>, kw: Kw, at: At) {
        if slot.is_none() {
            *slot = Some(v.clone());
            from.push((kw, at));
        }
    }
    let from = &mut out.from;
    match value {
        Value::HostName(v) => first(&mut raw.host_name, v, from, Kw::HostName, at),
        Value::User(v) => first(&mut raw.user, v, from, Kw::User, at),
        Value::Port(v) => first(&mut raw.port, v, from, Kw::Port, at),
        Value::IdentityFile(v) => {
            if !raw.identity_files.contains(v) {
                raw.identity_files.push(v.clone());
                from.push((Kw::IdentityFile, at));
            }
        }
        Value::IdentitiesOnly(v) => {
            first(&mut out.identities_only, v, from, Kw::IdentitiesOnly, at)
        }
        Value::IdentityAgent(v) => first(&mut raw.identity_agent, v, from, Kw::IdentityAgent, at),
        Value::ProxyJump(v) => {
            if raw.command.is_none() {
                first(&mut raw.jump, v, from, Kw::ProxyJump, at);
            }
        }
        Value::ProxyCommand(v) => {
            // ProxyJump, once it names hops, rules ProxyCommand out (and the other way).
            if !matches!(raw.jump, Some(Some(_))) {
                first(&mut raw.command, v, from, Kw::ProxyCommand, at);
            }
        }
        Value::ConnectTimeout(v) => {
            first(&mut raw.connect_timeout, v, from, Kw::ConnectTimeout, at)
        }
        Value::StrictHostKeyChecking(v) => first(
            &mut out.strict_host_key_checking,
            v,
            from,
            Kw::StrictHostKeyChecking,
            at,
        ),
        Value::UserKnownHostsFile(v) => first(
            &mut raw.user_known_hosts,
            v,
            from,
            Kw::UserKnownHostsFile,
            at,
        ),
        Value::GlobalKnownHostsFile(v) => first(
            &mut raw.global_known_hosts,
            v,
            from,
            Kw::GlobalKnownHostsFile,
            at,
        ),
        Value::HostKeyAlias(v) => first(&mut out.host_key_alias, v, from, Kw::HostKeyAlias, at),
        Value::Algorithms(kw, v) => {
            let slot = match kw {
                Kw::KexAlgorithms => &mut out.kex,
                Kw::HostKeyAlgorithms => &mut out.host_key_algorithms,
                Kw::Ciphers => &mut out.ciphers,
                _ => &mut out.macs,
            };
            first(slot, v, from, *kw, at);
        }
        Value::ServerAliveInterval(v) => first(
            &mut out.server_alive_interval,
            v,
            from,
            Kw::ServerAliveInterval,
            at,
        ),
        Value::ServerAliveCountMax(v) => first(
            &mut out.server_alive_count_max,
            v,
            from,
            Kw::ServerAliveCountMax,
            at,
        ),
        Value::IgnoreUnknown(_) | Value::Ignored(_) | Value::Unknown(_) => {}
    }
}

/// HostName takes `%h` (the name given) and `%%` only.
fn expand_host_name(h: &str, alias: &str) -> Result<String, String> {
    let t = Tokens {
        h: Some(alias),
        ..Tokens::default()
    };
    pattern::expand(h, &t).map(|s| s.to_ascii_lowercase())
}

/// Tokens, `~`, and the final values.
fn finish(mut out: Resolved, raw: Raw, local: &Local) -> Resolved {
    let mut problems = Vec::new();
    out.host_name = match &raw.host_name {
        Some(h) => expand_host_name(h, &out.alias).unwrap_or_else(|e| {
            problems.push(format!("HostName: {e}"));
            out.alias.to_ascii_lowercase()
        }),
        None => out.alias.to_ascii_lowercase(),
    };
    out.user = raw.user;
    out.port = raw.port;
    let port = out.port.unwrap_or(22).to_string();
    let ruser = out.user.clone().unwrap_or_else(|| local.user.clone());
    let jump = match &raw.jump {
        Some(Some(hops)) => hops.join(","),
        _ => String::new(),
    };
    let key_alias = out
        .host_key_alias
        .clone()
        .unwrap_or_else(|| out.host_name.clone());
    let full = Tokens {
        h: Some(&out.host_name),
        p: Some(&port),
        r: Some(&ruser),
        n: Some(&out.alias),
        d: local.home.as_deref(),
        u: Some(&local.user),
        k: Some(&key_alias),
        j: Some(&jump),
    };
    let proxy = Tokens {
        d: None,
        u: None,
        k: None,
        j: None,
        ..full.clone()
    };
    let home = local.home.as_deref();
    let mut path = |what: &str, p: &str, t: &Tokens<'_>| -> Option<String> {
        match pattern::expand(&pattern::tilde(p, home), t) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(format!("{what} {p}: {e}"));
                None
            }
        }
    };
    out.identity_files = raw
        .identity_files
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case("none"))
        .filter_map(|f| path("IdentityFile", f, &full))
        .map(PathBuf::from)
        .collect();
    out.identity_agent = raw.identity_agent.as_deref().and_then(|a| match a {
        "none" | "SSH_AUTH_SOCK" => Some(a.to_string()),
        a => path("IdentityAgent", a, &full),
    });
    out.user_known_hosts = raw.user_known_hosts.as_ref().map(|files| {
        files
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .filter_map(|f| path("UserKnownHostsFile", f, &full))
            .map(PathBuf::from)
            .collect()
    });
    out.global_known_hosts = raw.global_known_hosts.as_ref().map(|files| {
        files
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .map(|f| PathBuf::from(pattern::tilde(f, home)))
            .collect()
    });
    if let Some(Some(hops)) = &raw.jump {
        out.proxy_jump = hops
            .iter()
            .filter_map(|h| path("ProxyJump", h, &proxy))
            .collect();
    }
    if let Some(Some(cmd)) = &raw.command {
        out.proxy_command_template = Some(cmd.clone());
        // A shell command: tokens only, no `~` (the shell does that).
        match pattern::expand(cmd, &proxy) {
            Ok(c) => out.proxy_command = Some(c),
            Err(e) => problems.push(format!("ProxyCommand: {e}")),
        }
    }
    out.connect_timeout = raw.connect_timeout.flatten();
    out.problems = problems;
    out
}
