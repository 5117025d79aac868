//! Address-range scanning for discovery: expand CIDRs, connect to a few TCP ports on each
//! address (paced like a sweep, a bounded number in flight), and read the SSH identification
//! line an SSH server sends first. Nothing is sent to a port but the TCP handshake.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout};

use super::pacing::{Pacer, Rate};
use crate::base::text::escape_line;

/// Addresses beyond this many need `--yes` (a /16).
pub const LARGE_SCAN: u64 = 1 << 16;
/// No scan expands beyond this many addresses (a /12): a typo must not take hours.
pub const MAX_SCAN: u64 = 1 << 20;
/// Longest identification line kept (RFC 4253 §4.2 allows 255 bytes).
const MAX_BANNER: usize = 255;

/// The addresses of `ranges` (`192.0.2.0/24`, `2001:db8::/120` or a single address), in
/// order, without repeats; an error names the range that is wrong or too large. The size is
/// checked before anything is expanded.
pub fn expand(ranges: &[String]) -> Result<Vec<IpAddr>, String> {
    let mut parsed = Vec::new();
    let mut total: u64 = 0;
    for range in ranges {
        let (addr, prefix) = parse(range)?;
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let size = 1u128 << (bits - prefix);
        total = total.saturating_add(u64::try_from(size).unwrap_or(u64::MAX));
        if total > MAX_SCAN {
            return Err(format!(
                "`{}` makes the scan larger than {MAX_SCAN} addresses (a /12): split it or narrow it",
                escape_line(range)
            ));
        }
        parsed.push((addr, size));
    }
    let mut out = Vec::with_capacity(total as usize);
    let mut seen = std::collections::HashSet::new();
    for (addr, size) in parsed {
        let base = match addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        } & !(size - 1);
        for i in 0..size {
            let ip = match addr {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from((base + i) as u32)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(base + i)),
            };
            // One range has no repeats; only overlaps between ranges need the set.
            if ranges.len() == 1 || seen.insert(ip) {
                out.push(ip);
            }
        }
    }
    Ok(out)
}

fn parse(range: &str) -> Result<(IpAddr, u32), String> {
    let bad = |why: &str| {
        format!(
            "`{}` is not an address range: {why} (write e.g. 192.0.2.0/24 or 192.0.2.7)",
            escape_line(range)
        )
    };
    let (addr, prefix) = match range.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (range, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| bad("not an IP address (names are not resolved)"))?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => bits,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| bad(&format!("the prefix length must be 0–{bits}")))?,
    };
    if bits - prefix > 20 {
        return Err(bad("larger than a /12 (or an IPv6 /108)"));
    }
    Ok((addr, prefix))
}

/// What one address answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub addr: IpAddr,
    /// Ports that accepted a connection.
    pub open: Vec<u16>,
    /// Ports that refused (the host is there, the service is not).
    pub refused: Vec<u16>,
    /// The SSH identification line of the first open port that sent one, escaped.
    pub banner: Option<String>,
}

impl Answer {
    pub fn is_up(&self) -> bool {
        !self.open.is_empty() || !self.refused.is_empty()
    }
}

/// How a scan goes: which ports, how fast, how long to wait.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub ports: Vec<u16>,
    pub rate: Rate,
    /// For the connect, and again for the banner.
    pub timeout: Duration,
    /// Connects in flight at once.
    pub concurrency: usize,
}

/// Connects to every port of every address and returns the addresses that answered, in
/// address order. `done` is called after each address (for a progress line).
pub async fn scan(addrs: &[IpAddr], cfg: &ScanConfig, mut done: impl FnMut(usize)) -> Vec<Answer> {
    let pacer = Pacer::new(
        cfg.rate,
        addrs.len() * cfg.ports.len().max(1),
        Duration::from_secs(1),
        Instant::now(),
    );
    let gate = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut slot = 0;
    let mut finished = 0;
    let mut answers = Vec::new();
    for (i, &addr) in addrs.iter().enumerate() {
        sleep_until(pacer.slot(slot)).await;
        slot += cfg.ports.len().max(1);
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .expect("the gate is never closed");
        let (ports, wait) = (cfg.ports.clone(), cfg.timeout);
        tasks.spawn(async move {
            let _permit = permit;
            (i, probe(addr, &ports, wait).await)
        });
        // Collect what is done as we go, so memory stays bounded by what is in flight.
        while let Some(Ok((i, a))) = tasks.try_join_next() {
            finished += 1;
            done(finished);
            if a.is_up() {
                answers.push((i, a));
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, a)) = joined {
            finished += 1;
            done(finished);
            if a.is_up() {
                answers.push((i, a));
            }
        }
    }
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

async fn probe(addr: IpAddr, ports: &[u16], wait: Duration) -> Answer {
    let mut answer = Answer {
        addr,
        open: Vec::new(),
        refused: Vec::new(),
        banner: None,
    };
    for &port in ports {
        match timeout(wait, TcpStream::connect(SocketAddr::new(addr, port))).await {
            Ok(Ok(mut stream)) => {
                answer.open.push(port);
                if answer.banner.is_none() {
                    answer.banner = banner(&mut stream, wait).await;
                }
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                answer.refused.push(port)
            }
            _ => {}
        }
    }
    answer
}

/// The first line the server sends, if it is an SSH identification (`SSH-2.0-…`).
async fn banner(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut buf = [0u8; MAX_BANNER];
    let mut len = 0;
    let deadline = Instant::now() + wait;
    while len < buf.len() && !buf[..len].contains(&b'\n') {
        let n = timeout(deadline - Instant::now(), stream.read(&mut buf[len..]))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        len += n;
    }
    let line = buf[..len].split(|&b| b == b'\n').next()?;
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches('\r');
    text.starts_with("SSH-").then(|| escape_line(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_without_repeats_and_refuse_what_is_too_large() {
        let a = expand(&["127.0.0.0/30".into(), "127.0.0.2".into()]).unwrap();
        let want: Vec<IpAddr> = (0..4)
            .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i)))
            .collect();
        assert_eq!(a, want);
        // Host bits are ignored, as ip(8) does for a route.
        let host_bits = expand(&["127.0.0.5/30".into()]).unwrap();
        assert_eq!(host_bits[0], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4)));
        assert_eq!(expand(&["::1/127".into()]).unwrap().len(), 2);
        assert_eq!(expand(&["127.0.0.0/16".into()]).unwrap().len(), 65_536);
        for bad in [
            "10.0.0.0/8",
            "host.example",
            "127.0.0.0/33",
            "::/64",
            "1.2.3.4/x",
        ] {
            assert!(expand(&[bad.into()]).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..=1).map(|i| format!("10.{}.0.0/12", i * 16)).collect();
        assert!(expand(&many).unwrap_err().contains("larger than"));
    }

    #[tokio::test]
    async fn scan_finds_open_ports_and_reads_ssh_banners() {
        let ssh = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = ssh.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = ssh.accept().await.unwrap();
                use tokio::io::AsyncWriteExt;
                let _ = s.write_all(b"SSH-2.0-Cisco-1.25\x1b[2J\r\n").await;
            }
        });
        let cfg = ScanConfig {
            ports: vec![port],
            rate: Rate::Unlimited,
            timeout: Duration::from_secs(2),
            concurrency: 16,
        };
        let addrs = expand(&["127.0.0.1".into()]).unwrap();
        let found = scan(&addrs, &cfg, |_| {}).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].open, vec![port]);
        let banner = found[0].banner.as_deref().unwrap();
        assert!(
            banner.starts_with("SSH-2.0-Cisco-1.25") && !banner.contains('\x1b'),
            "{banner}"
        );
    }
}
