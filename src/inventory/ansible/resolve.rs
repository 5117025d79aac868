//! Ansible's variable precedence, then the variables fleetdash reads. For each host, as
//! `ansible-inventory --list` merges them (later wins): `all`'s inventory vars, the
//! inventory vars of the host's other groups sorted by (depth, `ansible_group_priority`,
//! name) — so a child group beats its parent —, `group_vars/all`, the other `group_vars/`
//! files in the same order, the host's inventory vars, `host_vars/`.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::model::{ALL, MAX_DEPTH, Model, UNGROUPED, Var};
use super::vars::{is_vault, untagged};
use crate::base::text::Untrusted;
use crate::inventory::address::{canonical, check_host};
use crate::inventory::error::ProblemKind as K;
use crate::inventory::locate::YamlPath;
use crate::inventory::platform_names::{fleetdash_platform, known_names};
use crate::inventory::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use crate::inventory::sources::{Sources, Where};
use crate::inventory::suggest::closest;
use crate::inventory::values::{self, scalar_text};

/// Variables that hold a password: refused in clear text, ignored when vault-encrypted.
const SECRETS: &[&str] = &[
    "ansible_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
    "ansible_become_password",
    "ansible_become_pass",
    "ansible_sudo_pass",
    "ansible_su_pass",
    "ansible_httpapi_pass",
    "ansible_httpapi_password",
    "ansible_enable_pass",
];

/// Each group's depth: `all` is 0, a child is one deeper than its deepest parent.
pub(crate) fn depths(model: &Model) -> Vec<usize> {
    let n = model.groups.len();
    let mut depth = vec![usize::MAX; n];
    depth[ALL] = 0;
    // Longest path from `all` in a DAG: relax in topological order (Kahn).
    let mut indegree: Vec<usize> = model.groups.iter().map(|g| g.parents.len()).collect();
    let mut ready: Vec<usize> = (0..n).filter(|&g| indegree[g] == 0).collect();
    for &g in &ready {
        depth[g] = 0;
    }
    while let Some(g) = ready.pop() {
        for &c in &model.groups[g].children {
            depth[c] = if depth[c] == usize::MAX {
                depth[g] + 1
            } else {
                depth[c].max(depth[g] + 1)
            };
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(c);
            }
        }
    }
    depth
        .iter()
        .map(|&d| if d == usize::MAX { 0 } else { d })
        .collect()
}

/// Every group's ancestors including itself and `all`, memoized.
fn ancestors(model: &Model) -> Vec<Vec<usize>> {
    let n = model.groups.len();
    let mut memo: Vec<Option<Vec<usize>>> = vec![None; n];
    for start in 0..n {
        let mut stack = vec![start];
        while let Some(&g) = stack.last() {
            if memo[g].is_some() {
                stack.pop();
                continue;
            }
            let missing: Vec<usize> = model.groups[g]
                .parents
                .iter()
                .copied()
                .filter(|&p| memo[p].is_none())
                .collect();
            if missing.is_empty() {
                let mut set = vec![g];
                for &p in &model.groups[g].parents {
                    for &a in memo[p].as_ref().into_iter().flatten() {
                        if !set.contains(&a) {
                            set.push(a);
                        }
                    }
                }
                memo[g] = Some(set);
                stack.pop();
            } else {
                stack.extend(missing);
            }
        }
    }
    memo.into_iter().map(Option::unwrap_or_default).collect()
}

/// Every host's variables merged in Ansible's order.
pub(crate) fn host_vars(model: &Model) -> Vec<BTreeMap<&str, &Var>> {
    let depth = depths(model);
    let anc = ancestors(model);
    model
        .hosts
        .iter()
        .map(|host| {
            let mut groups: Vec<usize> = Vec::new();
            for &g in &host.groups {
                for &a in &anc[g] {
                    if a != ALL && !groups.contains(&a) {
                        groups.push(a);
                    }
                }
            }
            let g = &model.groups;
            groups.sort_by(|&a, &b| {
                (depth[a], g[a].priority, &g[a].name).cmp(&(depth[b], g[b].priority, &g[b].name))
            });
            let mut merged: BTreeMap<&str, &Var> = BTreeMap::new();
            let levels = std::iter::once(&g[ALL].vars)
                .chain(groups.iter().map(|&x| &g[x].vars))
                .chain(std::iter::once(&g[ALL].file_vars))
                .chain(groups.iter().map(|&x| &g[x].file_vars))
                .chain([&host.vars, &host.file_vars]);
            for level in levels {
                for (k, v) in level {
                    merged.insert(k.as_str(), v);
                }
            }
            merged
        })
        .collect()
}

/// The model as fleetdash's raw inventory: each device's attributes already merged, groups
/// with their parents (without `all`).
pub(crate) fn raw(model: &Model, sources: &mut Sources) -> RawInventory {
    let mut inv = RawInventory::default();
    let root = YamlPath::root();
    for (g, group) in model.groups.iter().enumerate() {
        if g == ALL || (g == UNGROUPED && group.hosts.is_empty()) {
            continue;
        }
        if let Err(bad) = values::check_name(&group.name, "group") {
            let at = group.at.clone().unwrap_or_else(|| Where::line(0, 1, 1));
            sources.add(K::InvalidValue, at, bad.reason, bad.help);
            continue;
        }
        inv.groups.push(RawGroup {
            name: group.name.clone(),
            parents: group
                .parents
                .iter()
                .filter(|&&p| p != ALL)
                .map(|&p| NameRef {
                    name: model.groups[p].name.clone(),
                    at: root.clone(),
                })
                .collect(),
            attrs: Attrs::default(),
        });
    }
    let depth = depths(model);
    if let Some(g) = (0..model.groups.len()).find(|&g| depth[g] > MAX_DEPTH) {
        let at = model.groups[g]
            .at
            .clone()
            .unwrap_or_else(|| Where::line(0, 1, 1));
        sources.add(
            K::InvalidValue,
            at,
            format!(
                "group `{}` is nested more than {MAX_DEPTH} levels deep",
                Untrusted(&model.groups[g].name)
            ),
            Some("real inventories nest a few levels; is this the right file?".into()),
        );
        return inv;
    }
    let merged = host_vars(model);
    for (host, vars) in model.hosts.iter().zip(&merged) {
        if let Err(bad) = values::check_name(&host.name, "device") {
            sources.add(K::InvalidValue, host.at.clone(), bad.reason, bad.help);
            continue;
        }
        let mut mapper = Mapper {
            sources,
            host: &host.name,
        };
        let (address, attrs) = mapper.map(vars);
        let Some(address) = address else {
            continue;
        };
        inv.devices.push(RawDevice {
            name: host.name.clone(),
            name_at: root.clone(),
            host: address,
            groups: host
                .groups
                .iter()
                .map(|&g| NameRef {
                    name: model.groups[g].name.clone(),
                    at: root.clone(),
                })
                .collect(),
            attrs,
        });
    }
    inv
}

struct Mapper<'s> {
    sources: &'s mut Sources,
    host: &'s str,
}

impl Mapper<'_> {
    fn bad(
        &mut self,
        var: &Var,
        key: &str,
        reason: impl std::fmt::Display,
        help: impl Into<String>,
    ) {
        self.sources.add(
            K::InvalidValue,
            var.at.clone(),
            format!("`{key}` {reason}"),
            Some(help.into()),
        );
    }

    /// A value fleetdash needs as text; templates and vaults are refused.
    /// `fleetdash_probe_interval`, `fleetdash_down_after`, `fleetdash_up_after`: the
    /// inventory's per-group probe settings under Ansible's `fleetdash_` prefix.
    fn timing(&mut self, vars: &BTreeMap<&str, &Var>, attrs: &mut Attrs) {
        if let Some((text, var)) = self.text(vars, &["fleetdash_probe_interval"]) {
            match values::probe_interval(&Value::String(text)) {
                Ok(every) => attrs.probe_interval = Some(every),
                Err(bad) => self.bad(
                    &var,
                    "fleetdash_probe_interval",
                    bad.reason,
                    bad.help.unwrap_or_default(),
                ),
            }
        }
        for key in ["down_after", "up_after"] {
            let var_name = format!("fleetdash_{key}");
            let Some((text, var)) = self.text(vars, &[var_name.as_str()]) else {
                continue;
            };
            // INI values are text: a number is read as one.
            let value = text.parse::<u64>().map_or(Value::String(text), Value::from);
            match values::damping(&value, key) {
                Ok(n) if key == "down_after" => attrs.down_after = Some(n),
                Ok(n) => attrs.up_after = Some(n),
                Err(bad) => self.bad(&var, &var_name, bad.reason, bad.help.unwrap_or_default()),
            }
        }
    }

    fn text(&mut self, vars: &BTreeMap<&str, &Var>, keys: &[&str]) -> Option<(String, Var)> {
        let (key, var) = keys.iter().find_map(|k| vars.get(k).map(|v| (*k, *v)))?;
        if is_vault(&var.value) {
            self.bad(
                var,
                key,
                "is encrypted with ansible-vault, which fleetdash does not read",
                "this value is not a secret: write it in clear text",
            );
            return None;
        }
        match scalar_text(untagged(&var.value)) {
            Some(text) if text.contains("{{") => {
                self.bad(var, key, format!("is a template (`{}`), which fleetdash does not evaluate", Untrusted(&text)),
                    "write the value itself here, or generate a static inventory with `ansible-inventory --list --yaml`");
                None
            }
            Some(text) if !text.trim().is_empty() => Some((text.trim().to_owned(), var.clone())),
            _ => {
                self.bad(
                    var,
                    key,
                    "must be a single value",
                    "write a plain value such as `127.0.0.1`",
                );
                None
            }
        }
    }

    /// The address and attributes of one host from its merged variables.
    fn map(&mut self, vars: &BTreeMap<&str, &Var>) -> (Option<String>, Attrs) {
        let mut attrs = Attrs::default();
        let address = match self.text(vars, &["ansible_host", "ansible_ssh_host"]) {
            Some((host, var)) => match check_host(&host) {
                Ok(()) => Some(canonical(host)),
                Err(bad) => {
                    self.bad(
                        &var,
                        "ansible_host",
                        format!("`{}` {}", Untrusted(&host), bad.reason),
                        bad.help,
                    );
                    None
                }
            },
            None if vars.contains_key("ansible_host") || vars.contains_key("ansible_ssh_host") => {
                None
            }
            None => match check_host(self.host) {
                Ok(()) => Some(canonical(self.host.to_owned())),
                Err(_) => Some(self.host.to_owned()),
            },
        };
        if let Some((port, var)) = self.text(vars, &["ansible_port", "ansible_ssh_port"]) {
            match port.parse::<u16>() {
                Ok(p) if p > 0 => attrs.port = Some(p),
                _ => self.bad(
                    &var,
                    "ansible_port",
                    format!("`{}` is not a TCP port", Untrusted(&port)),
                    "use a port between 1 and 65535",
                ),
            }
        }
        attrs.username = self
            .text(vars, &["ansible_user", "ansible_ssh_user"])
            .map(|(u, _)| u);
        attrs.key_file = self
            .text(
                vars,
                &["ansible_ssh_private_key_file", "ansible_private_key_file"],
            )
            .map(|(k, _)| k.into());
        attrs.platform = self.platform(vars);
        attrs.password_env = self.env(vars, "fleetdash_password_env");
        attrs.key_passphrase_env = self.env(vars, "fleetdash_key_passphrase_env");
        if let Some((probe, var)) = self.text(vars, &["fleetdash_probe"]) {
            match values::probe(&Value::String(probe)) {
                Ok(p) => attrs.probe = Some(p),
                Err(bad) => self.bad(
                    &var,
                    "fleetdash_probe",
                    bad.reason,
                    bad.help.unwrap_or_default(),
                ),
            }
        }
        self.timing(vars, &mut attrs);
        attrs.jump = self.jump(vars);
        self.secrets(vars, attrs.password_env.is_some());
        for (key, var) in vars {
            if key.starts_with("ansible_")
                || key.starts_with("fleetdash_")
                || values::check_tag_key(key).is_err()
            {
                continue;
            }
            let value = untagged(&var.value);
            let text = match value {
                Value::Null => Some(String::new()),
                Value::Tagged(_) => None,
                other => scalar_text(other),
            };
            if let Some(text) = text {
                attrs.tags.insert((*key).to_owned(), text);
            }
        }
        (address, attrs)
    }

    fn platform(&mut self, vars: &BTreeMap<&str, &Var>) -> Option<String> {
        if let Some((p, var)) = self.text(vars, &["fleetdash_platform"]) {
            return match values::check_platform(&p) {
                Ok(()) => Some(p),
                Err(bad) => {
                    self.bad(
                        &var,
                        "fleetdash_platform",
                        bad.reason,
                        bad.help.unwrap_or_default(),
                    );
                    None
                }
            };
        }
        let (os, var) = self.text(vars, &["ansible_network_os"])?;
        match fleetdash_platform(&os) {
            Some(p) => Some(p.to_owned()),
            None => {
                let near = closest(&os, known_names())
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                self.bad(&var, "ansible_network_os", format!("`{}` is not a platform fleetdash knows", Untrusted(&os)),
                    format!("{near}or name fleetdash's platform with `fleetdash_platform: cisco_ios` (see the README's platform table)"));
                None
            }
        }
    }

    fn env(&mut self, vars: &BTreeMap<&str, &Var>, key: &str) -> Option<String> {
        let (name, var) = self.text(vars, &[key])?;
        match values::check_env_name(key, &name) {
            Ok(()) => Some(name),
            Err(bad) => {
                self.sources
                    .add(K::InvalidValue, var.at.clone(), bad.reason, bad.help);
                None
            }
        }
    }

    /// `-o ProxyJump=…` / `-J …` in `ansible_ssh_common_args`, then `ansible_ssh_extra_args`
    /// (ssh keeps the first value it is given).
    fn jump(&mut self, vars: &BTreeMap<&str, &Var>) -> Option<Vec<String>> {
        for key in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
            let Some((args, var)) = self.text(vars, &[key]) else {
                continue;
            };
            let Some(spec) = proxy_jump(&args) else {
                continue;
            };
            if spec.eq_ignore_ascii_case("none") {
                return Some(Vec::new());
            }
            let mut hops = Vec::new();
            for hop in spec.split(',').map(str::trim) {
                match values::check_jump_hop(hop) {
                    Ok(()) => hops.push(hop.to_owned()),
                    Err(bad) => {
                        self.bad(&var, key, bad.reason, bad.help.unwrap_or_default());
                        return None;
                    }
                }
            }
            return Some(hops);
        }
        None
    }

    /// Passwords in clear text are refused (never quoted); vaulted or templated ones are
    /// not read, with a note when nothing else gives the password.
    fn secrets(&mut self, vars: &BTreeMap<&str, &Var>, has_env: bool) {
        for key in SECRETS {
            let Some(var) = vars.get(key) else {
                continue;
            };
            if is_vault(&var.value) {
                if !has_env {
                    let note = format!(
                        "`{key}` is encrypted with ansible-vault: not read (fleetdash never decrypts); \
                         export the password and name the variable with `fleetdash_password_env`"
                    );
                    if !self.sources.notes.contains(&note) {
                        self.sources.notes.push(note);
                    }
                }
                continue;
            }
            let templated = scalar_text(untagged(&var.value)).is_some_and(|t| t.contains("{{"));
            if templated || var.value.is_null() {
                continue;
            }
            self.sources.add(
                K::InlineSecret,
                var.at.clone(),
                format!("`{key}` holds a password in clear text, which fleetdash refuses"),
                Some(
                    "keep secrets out of the inventory: export it in an environment variable and \
                     name that variable with `fleetdash_password_env: FLEETDASH_PASSWORD` \
                     (a value encrypted with ansible-vault is ignored)"
                        .into(),
                ),
            );
        }
    }
}

/// The ProxyJump value in ssh arguments: `-J x`, `-Jx`, `-o ProxyJump=x`, `-oProxyJump x`.
pub(crate) fn proxy_jump(args: &str) -> Option<String> {
    let words = super::ini::shell_split(args)?;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let option = if w == "-J" {
            return it.next().cloned();
        } else if let Some(rest) = w.strip_prefix("-J") {
            return Some(rest.to_owned());
        } else if w == "-o" {
            it.next().cloned()
        } else {
            w.strip_prefix("-o").map(str::to_owned)
        };
        let Some(option) = option else {
            continue;
        };
        let (name, value) = match option.split_once(['=', ' ']) {
            Some((n, v)) => (n.trim(), v.trim().trim_start_matches('=').trim()),
            None => continue,
        };
        if name.eq_ignore_ascii_case("proxyjump") {
            return Some(value.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_jump_in_every_spelling() {
        for (args, want) in [
            ("-J bastion", Some("bastion")),
            ("-Jadmin@b:2222", Some("admin@b:2222")),
            ("-o ProxyJump=a,b", Some("a,b")),
            ("-oProxyJump=a", Some("a")),
            ("-o 'ProxyJump b1'", Some("b1")),
            ("-o StrictHostKeyChecking=no -o proxyjump=x", Some("x")),
            ("-o StrictHostKeyChecking=no", None),
            ("", None),
        ] {
            assert_eq!(proxy_jump(args).as_deref(), want, "{args}");
        }
    }
}
