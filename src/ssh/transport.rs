//! Getting to the device: russh client configs (modern or with legacy algorithms), name
//! resolution and TCP connect under the connect timeout, and handshake errors in words.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use russh::client;
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::algorithms;
use super::outcome::{ExecError, Stage};
use super::ssh_config::Resolved;
use super::stage::{err, timed_out};

/// The config for a device with ssh_config settings: its algorithm lists and keepalive
/// (ServerAliveInterval, 0 = off; ServerAliveCountMax). One config per distinct set,
/// shared by every session that has it (10,000 devices usually share one or two).
pub(super) fn config_for(
    legacy: bool,
    r: Option<&Resolved>,
) -> Result<Arc<client::Config>, String> {
    type Key = (bool, [Option<String>; 4], Option<u32>, Option<u32>);
    static BUILT: Mutex<Option<HashMap<Key, Arc<client::Config>>>> = Mutex::new(None);
    let Some(r) = r.filter(|r| {
        r.kex.is_some()
            || r.ciphers.is_some()
            || r.macs.is_some()
            || r.host_key_algorithms.is_some()
            || r.server_alive_interval.is_some()
            || r.server_alive_count_max.is_some()
    }) else {
        return Ok(config(legacy));
    };
    let key: Key = (
        legacy,
        [
            r.kex.clone(),
            r.host_key_algorithms.clone(),
            r.ciphers.clone(),
            r.macs.clone(),
        ],
        r.server_alive_interval,
        r.server_alive_count_max,
    );
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(c) = built.get(&key) {
        return Ok(c.clone());
    }
    let base = fresh(legacy);
    let c = Arc::new(client::Config {
        preferred: algorithms::configured(legacy, r)?,
        keepalive_interval: match r.server_alive_interval {
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(u64::from(s))),
            None => base.keepalive_interval,
        },
        keepalive_max: r
            .server_alive_count_max
            .map_or(base.keepalive_max, |n| n as usize),
        ..base
    });
    built.insert(key, c.clone());
    Ok(c)
}

fn fresh(legacy: bool) -> client::Config {
    client::Config {
        preferred: algorithms::preferred(legacy),
        // A reused session idles between commands: notice a dead peer.
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    }
}

/// One russh client config per algorithm set, shared by every session.
pub(super) fn config(legacy: bool) -> Arc<client::Config> {
    static MODERN: LazyLock<Arc<client::Config>> = LazyLock::new(|| build(false));
    static LEGACY: LazyLock<Arc<client::Config>> = LazyLock::new(|| build(true));
    fn build(legacy: bool) -> Arc<client::Config> {
        Arc::new(fresh(legacy))
    }
    if legacy {
        LEGACY.clone()
    } else {
        MODERN.clone()
    }
}

pub(super) async fn resolve(
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<Vec<SocketAddr>, ExecError> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match timeout(limit, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(err(
            Stage::Resolve,
            timed_out(&format!("resolving {host}"), limit),
        )),
        Ok(Err(e)) => Err(err(Stage::Resolve, format!("cannot resolve {host}: {e}"))),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(err(Stage::Resolve, format!("{host} has no address")))
            } else {
                Ok(addrs)
            }
        }
    }
}

/// The TCP connection to a device or a bastion, with `TCP_NODELAY` set: SSH's handshake is
/// a ping-pong of small packets, and Nagle holds the key-exchange init back ~40 ms behind
/// the unacknowledged KEXINIT. (russh's `Config::nodelay` only applies to sockets russh
/// opens itself; every socket here is ours.)
pub(super) async fn tcp_connect(
    addrs: &[SocketAddr],
    limit: Duration,
) -> Result<TcpStream, ExecError> {
    let attempt = async {
        let mut last = None;
        for a in addrs {
            match TcpStream::connect(a).await.and_then(|s| {
                s.set_nodelay(true)?;
                Ok(s)
            }) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some((a, e)),
            }
        }
        let (a, e) = last.expect("resolve returns at least one address");
        Err(match e.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("{a} refused the connection"),
            _ => format!("cannot connect to {a}: {e}"),
        })
    };
    match timeout(limit, attempt).await {
        Err(_) => Err(err(Stage::Connect, timed_out("TCP connect", limit))),
        Ok(Err(reason)) => Err(err(Stage::Connect, reason)),
        Ok(Ok(s)) => Ok(s),
    }
}

/// A handshake failure in words an operator can act on.
pub(super) fn handshake_error(e: &russh::Error) -> String {
    match e {
        russh::Error::Disconnect | russh::Error::HUP => {
            "the device closed the connection during the handshake (all sessions busy?)".into()
        }
        russh::Error::IO(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            format!(
                "the device closed the connection during the handshake ({io}; all sessions busy?)"
            )
        }
        russh::Error::NoCommonAlgo { kind, theirs, .. } => format!(
            "no common {kind:?} algorithm (the device offers {}); if it is old gear, enable \
             legacy algorithms for it",
            theirs.join(", ")
        ),
        other => format!("SSH handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_connection_has_nagle_off() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = tcp_connect(&[addr], Duration::from_secs(5)).await.unwrap();
        assert!(s.nodelay().unwrap(), "TCP_NODELAY is not set");
        // Also when the first address refuses and a later one answers.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let s = tcp_connect(&[refused, addr], Duration::from_secs(5))
            .await
            .unwrap();
        assert!(s.nodelay().unwrap(), "TCP_NODELAY is not set");
    }
}
