//! Host addresses: literals parsed once, hostnames resolved with a bound and a timeout.
//!
//! Names are resolved once before the first sweep and again only after a probe of that
//! device did not get a reply (the device may have moved). A name that does not resolve
//! is not fatal: the device reports `Failed { reason }` every sweep until it resolves.

use std::net::IpAddr;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::Semaphore;

/// At most this many lookups at once (each one is a blocking getaddrinfo on tokio's pool).
pub const RESOLVE_CONCURRENCY: usize = 16;
/// A lookup that takes longer than this counts as failed for this sweep.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where one target lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAddr {
    Ip(IpAddr),
    Name {
        name: String,
        /// The last successful (and not yet doubted) answer.
        addr: Result<IpAddr, String>,
        /// A probe failed since the last lookup: look it up again before the next probe.
        stale: bool,
    },
}

impl HostAddr {
    /// Parse a literal (brackets around IPv6 allowed); anything else is a name to resolve.
    pub fn parse(host: &str) -> Self {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            // `::ffff:a.b.c.d` is reached as a.b.c.d: ICMPv6 never answers for it.
            Ok(ip) => HostAddr::Ip(ip.to_canonical()),
            Err(_) => HostAddr::Name {
                name: host.to_owned(),
                addr: Err(format!("{host}: not resolved yet")),
                stale: true,
            },
        }
    }

    /// The address to probe, or why there is none.
    pub fn addr(&self) -> Result<IpAddr, String> {
        match self {
            HostAddr::Ip(ip) => Ok(*ip),
            HostAddr::Name { addr, .. } => addr.clone(),
        }
    }

    pub fn needs_lookup(&self) -> bool {
        matches!(self, HostAddr::Name { stale: true, .. })
    }

    /// A probe of this host got no reply: look the name up again next time.
    pub fn doubt(&mut self) {
        if let HostAddr::Name { stale, .. } = self {
            *stale = true;
        }
    }

    /// Look the name up again if it is in doubt (bounded by `limit`).
    pub async fn refresh(&mut self, limit: &Semaphore, timeout: Duration) {
        if let HostAddr::Name { name, addr, stale } = self {
            if !*stale {
                return;
            }
            // The semaphore is never closed, so acquire only fails if it were; then go on.
            let _permit = limit.acquire().await.ok();
            *addr = lookup(name, timeout).await;
            *stale = false;
        }
    }
}

/// Resolve every name that needs it, at most [`RESOLVE_CONCURRENCY`] at a time.
pub async fn refresh_all(hosts: Vec<&mut HostAddr>, timeout: Duration) {
    let limit = Semaphore::new(RESOLVE_CONCURRENCY);
    // A plain loop, not iterator adapters: closures here make the sweeper future fail
    // tokio::spawn's higher-ranked `Send` check.
    let mut pending = FuturesUnordered::new();
    for host in hosts {
        if host.needs_lookup() {
            pending.push(host.refresh(&limit, timeout));
        }
    }
    while pending.next().await.is_some() {}
}

/// One lookup: the first address getaddrinfo returns.
pub async fn lookup(name: &str, timeout: Duration) -> Result<IpAddr, String> {
    match tokio::time::timeout(timeout, tokio::net::lookup_host((name, 0))).await {
        Err(_) => Err(format!("cannot resolve {name}: no answer in {timeout:?}")),
        Ok(Err(e)) => Err(format!("cannot resolve {name}: {e}")),
        Ok(Ok(mut addrs)) => addrs
            .next()
            .map(|sa| sa.ip())
            .ok_or_else(|| format!("cannot resolve {name}: no addresses")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        assert_eq!(
            HostAddr::parse("127.0.0.1"),
            HostAddr::Ip([127, 0, 0, 1].into())
        );
        assert_eq!(HostAddr::parse("[::1]").addr(), Ok("::1".parse().unwrap()));
        assert!(!HostAddr::parse("::1").needs_lookup());
        assert_eq!(
            HostAddr::parse("::ffff:127.0.0.3"),
            HostAddr::Ip([127, 0, 0, 3].into())
        );
    }

    #[test]
    fn names_start_unresolved_and_are_doubted_after_failures() {
        let mut h = HostAddr::parse("localhost");
        assert!(h.needs_lookup());
        assert!(h.addr().is_err());
        if let HostAddr::Name { stale, addr, .. } = &mut h {
            *stale = false;
            *addr = Ok([127, 0, 0, 1].into());
        }
        assert!(!h.needs_lookup());
        h.doubt();
        assert!(h.needs_lookup());
        // Doubting a literal changes nothing.
        let mut ip = HostAddr::parse("127.0.0.2");
        ip.doubt();
        assert!(!ip.needs_lookup());
    }

    // `localhost` is answered from /etc/hosts; invalid names are refused by the resolver
    // library before any DNS query is sent (checked with strace), so no traffic leaves.
    #[tokio::test]
    async fn localhost_resolves_to_loopback() {
        let mut hosts = [HostAddr::parse("localhost")];
        refresh_all(hosts.iter_mut().collect(), RESOLVE_TIMEOUT).await;
        let ip = hosts[0].addr().unwrap();
        assert!(ip.is_loopback(), "{ip}");
        assert!(!hosts[0].needs_lookup());
    }

    #[tokio::test]
    async fn an_invalid_name_fails_with_a_reason() {
        let err = lookup("bad_host!.invalid", RESOLVE_TIMEOUT)
            .await
            .unwrap_err();
        assert!(err.starts_with("cannot resolve bad_host!.invalid"), "{err}");
    }
}
