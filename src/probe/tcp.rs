//! TCP-connect probes: for `probe: tcp:PORT` devices, and for ICMP devices when ICMP is not
//! permitted (`ProbeMode::TcpFallback`).
//!
//! The two uses ask different questions, so a refusal (RST) means different things:
//!
//! * **Host check** (ICMP fallback, connect to the SSH port): a RST proves the *host* is up
//!   just like an echo reply would, so a completed connect *and* a refusal are `Reply`.
//! * **Service check** (`tcp:PORT`): the operator asked whether that port answers, so only a
//!   completed connect is `Reply`; a refusal is `Failed { reason: "…refused" }`. This is also
//!   what makes a lab device whose listener is closed show as down.
//!
//! In both, no answer before the timeout is `Lost`, and unreachable/other errors `Failed`.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::report::ProbeOutcome;

/// At most this many TCP connects in flight at once (file descriptors, SYN bursts).
pub const TCP_CONCURRENCY: usize = 256;

/// What a refused connect means (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpPolicy {
    /// ICMP fallback: a refusal proves the host is alive.
    HostAlive,
    /// `tcp:PORT`: only an accepted connection counts.
    ServiceOpen,
}

/// Connect to `addr` once and classify the result. The connection is closed at once.
pub async fn tcp_probe(addr: SocketAddr, timeout: Duration, policy: TcpPolicy) -> ProbeOutcome {
    let sent = Instant::now();
    let result = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
    let rtt = sent.elapsed();
    match result {
        Err(_) => ProbeOutcome::Lost,
        Ok(Ok(stream)) => {
            drop(stream);
            ProbeOutcome::Reply { rtt }
        }
        Ok(Err(e)) => classify_error(&e, addr, rtt, policy),
    }
}

fn classify_error(
    e: &io::Error,
    addr: SocketAddr,
    rtt: Duration,
    policy: TcpPolicy,
) -> ProbeOutcome {
    match (e.kind(), policy) {
        (io::ErrorKind::ConnectionRefused, TcpPolicy::HostAlive) => ProbeOutcome::Reply { rtt },
        (io::ErrorKind::ConnectionRefused, TcpPolicy::ServiceOpen) => ProbeOutcome::Failed {
            reason: format!("tcp:{} refused", addr.port()),
        },
        // A connect that the kernel gave up on (SYN retries exhausted) is a silent host.
        (io::ErrorKind::TimedOut, _) => ProbeOutcome::Lost,
        _ => ProbeOutcome::Failed {
            reason: format!("tcp:{}: {e}", addr.port()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "127.0.0.1:22".parse().unwrap()
    }

    #[test]
    fn refusal_means_up_for_a_host_check_and_down_for_a_service_check() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let rtt = Duration::from_micros(50);
        assert_eq!(
            classify_error(&refused, addr(), rtt, TcpPolicy::HostAlive),
            ProbeOutcome::Reply { rtt }
        );
        assert_eq!(
            classify_error(&refused, addr(), rtt, TcpPolicy::ServiceOpen),
            ProbeOutcome::Failed {
                reason: "tcp:22 refused".into()
            }
        );
    }

    #[test]
    fn unreachable_is_failed_with_the_os_reason() {
        let e = io::Error::from_raw_os_error(libc::EHOSTUNREACH);
        let out = classify_error(&e, addr(), Duration::ZERO, TcpPolicy::HostAlive);
        let ProbeOutcome::Failed { reason } = out else {
            panic!("{out:?}")
        };
        assert!(reason.starts_with("tcp:22: "), "{reason}");
    }
}
