//! Jump hosts: turning a device's `jump:` hops into the targets to log in to, first hop
//! first, and the words a bastion's failure is reported in.
//!
//! A hop is another inventory device's name (its address, port and credentials, and its own
//! `jump:` hops before it, as OpenSSH follows a jump host's own ProxyJump), or
//! `[user@]host[:port]` (the device's credentials, with `user` if given).

use std::collections::HashMap;

use super::outcome::{ExecError, Stage};
use super::stage::err;
use super::target::Target;
use crate::base::text::Untrusted;
use crate::inventory::Inventory;

/// More hops than any real path has: a longer chain is a loop in the inventory.
pub const MAX_HOPS: usize = 8;

/// The inventory's devices by name, for hops that name one.
#[derive(Debug, Clone, Default)]
pub struct JumpBook {
    devices: HashMap<String, Target>,
}

impl JumpBook {
    pub fn from_inventory(inventory: &Inventory) -> JumpBook {
        let devices = inventory
            .devices
            .iter()
            .map(|d| (d.name.clone(), Target::from_device(d)))
            .collect();
        JumpBook { devices }
    }

    /// The hops to `t`, first to last; empty for a direct connection. `Err` for a loop
    /// or a chain longer than [`MAX_HOPS`].
    pub fn chain(&self, t: &Target) -> Result<Vec<Target>, ExecError> {
        let mut out = Vec::new();
        let mut seen = vec![t.name.clone()];
        self.expand(&t.jump, t, &mut seen, &mut out)?;
        Ok(out)
    }

    fn expand(
        &self,
        hops: &[String],
        device: &Target,
        seen: &mut Vec<String>,
        out: &mut Vec<Target>,
    ) -> Result<(), ExecError> {
        for hop in hops {
            if out.len() >= MAX_HOPS {
                return Err(err(
                    Stage::Connect,
                    format!("more than {MAX_HOPS} jump hosts on the way (a loop of `jump:`?)"),
                ));
            }
            match self.devices.get(hop) {
                Some(named) => {
                    if seen.contains(hop) {
                        return Err(err(
                            Stage::Connect,
                            format!(
                                "`jump:` loops: {} is reached through itself; \
                                 give {} a `jump:` that does not come back to it",
                                Untrusted(hop),
                                Untrusted(hop)
                            ),
                        ));
                    }
                    seen.push(hop.clone());
                    // The bastion's own hops first, as OpenSSH follows the jump host's own
                    // ProxyJump.
                    self.expand(&named.jump, named, seen, out)?;
                    seen.pop();
                    let mut hop_target = named.clone();
                    hop_target.jump.clear();
                    hop_target.proxy_command = None;
                    out.push(hop_target);
                }
                None => out.push(address_hop(hop, device)),
            }
        }
        Ok(())
    }
}

/// A `[user@]host[:port]` hop: logged in to with the device's credentials.
fn address_hop(hop: &str, device: &Target) -> Target {
    let (user, rest) = match hop.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u), r),
        _ => (None, hop),
    };
    let (host, port) = split_host_port(rest);
    let mut credentials = device.credentials.clone();
    if let Some(u) = user {
        credentials.user = u.to_string();
    }
    Target {
        name: hop.to_string(),
        host: host.to_string(),
        port: port.unwrap_or(22),
        platform: "linux".into(),
        credentials,
        legacy: device.legacy,
        jump: Vec::new(),
        proxy_command: None,
        ssh_config: None,
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 address has no port.
pub(super) fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(inner) = s.strip_prefix('[')
        && let Some((host, tail)) = inner.split_once(']')
    {
        return (host, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host, Some(p)),
            Err(_) => (s, None),
        },
        _ => (s, None),
    }
}

/// A bastion's own failure, as every device behind it reports it: `via NAME: STAGE failed:
/// REASON`. The device's stage is `connect` (the device itself was never reached).
pub(super) fn bastion_failed(hop: &str, e: ExecError) -> ExecError {
    if failed_bastion(&e).is_some() {
        // Already worded by an earlier hop of the chain.
        return e;
    }
    ExecError {
        stage: Stage::Connect,
        maybe_ran: false,
        reason: format!(
            "via {}: {} failed: {}",
            Untrusted(hop),
            e.stage.as_str(),
            e.reason
        ),
    }
}

/// The bastion a device's error blames, and what happened to it, when the error is a
/// bastion's own failure (not the device being unreachable behind it). The bastion's own
/// tile shows the second part.
pub fn failed_bastion(e: &ExecError) -> Option<(&str, &str)> {
    let rest = e.reason.strip_prefix("via ")?;
    // A hop never holds a space (the inventory refuses one), so the first `: ` ends it.
    let (hop, what) = rest.split_once(": ")?;
    (!hop.contains(' ')).then_some((hop, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> JumpBook {
        let inv = Inventory::from_yaml(
            "devices:\n  - {name: b1, host: 127.0.0.5, port: 2200, username: jumper}\n\
             \x20 - {name: b2, host: 127.0.0.6, jump: b1}\n\
             \x20 - {name: d, host: 10.0.0.1, username: ops, jump: [b2, 'root@127.0.0.7:2201', '[::1]:2202', '127.0.0.8']}\n\
             \x20 - {name: loop1, host: 127.0.0.9, jump: loop2}\n\
             \x20 - {name: loop2, host: 127.0.0.10, jump: loop1}\n",
            "t",
        )
        .unwrap();
        JumpBook::from_inventory(&inv)
    }

    fn device(book: &JumpBook, name: &str) -> Target {
        book.devices[name].clone()
    }

    #[test]
    fn named_hops_bring_their_own_hops_and_credentials_addresses_take_the_devices() {
        let b = book();
        let chain = b.chain(&device(&b, "d")).unwrap();
        let seen: Vec<(String, String, u16, String)> = chain
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.host.clone(),
                    t.port,
                    t.credentials.user.clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("b1".into(), "127.0.0.5".into(), 2200, "jumper".into()),
                (
                    "b2".into(),
                    "127.0.0.6".into(),
                    22,
                    device(&b, "b2").credentials.user
                ),
                (
                    "root@127.0.0.7:2201".into(),
                    "127.0.0.7".into(),
                    2201,
                    "root".into()
                ),
                ("[::1]:2202".into(), "::1".into(), 2202, "ops".into()),
                ("127.0.0.8".into(), "127.0.0.8".into(), 22, "ops".into()),
            ]
        );
        assert!(chain.iter().all(|t| t.jump.is_empty()));
        assert!(b.chain(&device(&b, "b1")).unwrap().is_empty());
    }

    #[test]
    fn a_loop_of_jumps_is_an_error_not_a_hang() {
        let b = book();
        let e = b.chain(&device(&b, "loop1")).unwrap_err();
        assert!(e.reason.contains("loops: loop1"), "{e}");
        let long = Target {
            jump: vec!["127.0.0.1".into(); MAX_HOPS + 1],
            ..device(&b, "b1")
        };
        assert!(b.chain(&long).unwrap_err().reason.contains("more than"));
    }

    #[test]
    fn host_port_forms() {
        for (text, want) in [
            ("h", ("h", None)),
            ("h:22", ("h", Some(22))),
            ("10.0.0.1:2222", ("10.0.0.1", Some(2222))),
            ("[fe80::1]:23", ("fe80::1", Some(23))),
            ("[fe80::1]", ("fe80::1", None)),
            ("fe80::1", ("fe80::1", None)),
            ("h:notaport", ("h:notaport", None)),
        ] {
            assert_eq!(split_host_port(text), want, "{text}");
        }
    }

    #[test]
    fn a_bastion_failure_names_the_bastion_and_its_stage_once() {
        let auth = err(
            Stage::Auth,
            "authentication failed for user x: password: rejected",
        );
        let e = bastion_failed("bastion-1", auth);
        assert_eq!(e.stage, Stage::Connect);
        assert_eq!(
            e.to_string(),
            "connect: via bastion-1: auth failed: authentication failed for user x: password: rejected"
        );
        assert_eq!(
            failed_bastion(&e),
            Some((
                "bastion-1",
                "auth failed: authentication failed for user x: password: rejected"
            ))
        );
        // An outer hop does not wrap an inner hop's failure again.
        assert_eq!(bastion_failed("b0", e.clone()), e);
        // The device unreachable behind a bastion is not the bastion's failure.
        let behind = err(
            Stage::Connect,
            "bastion-1 cannot reach 10.0.0.1:22: connect failed",
        );
        assert_eq!(failed_bastion(&behind), None);
    }
}
