//! Privilege detection: can this process open ICMP sockets, and if not, how to fix that.

use std::io;

use socket2::{Domain, Protocol, Socket, Type};

use super::report::{IcmpSocket, ProbeMode};

/// Which way ICMP can be sent here: a RAW socket (root or `CAP_NET_RAW`), else a DGRAM
/// "ping socket" (allowed by `net.ipv4.ping_group_range`), else `TcpFallback`, in which ICMP
/// devices are probed by a TCP connect to their SSH port.
///
/// Only IPv4 is tried: it decides the mode for the whole process (an IPv6 socket that
/// cannot be opened later makes only the IPv6 devices fail, with the reason).
pub fn detect_mode() -> ProbeMode {
    let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4));
    if raw.is_ok() {
        return ProbeMode::Icmp(IcmpSocket::Raw);
    }
    let dgram = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4));
    if dgram.is_ok() {
        return ProbeMode::Icmp(IcmpSocket::Datagram);
    }
    let (raw_err, dgram_err) = (raw.err(), dgram.err());
    ProbeMode::TcpFallback {
        reason: fallback_reason(raw_err.as_ref(), dgram_err.as_ref()),
        enable: enable_command(),
    }
}

fn fallback_reason(raw: Option<&io::Error>, dgram: Option<&io::Error>) -> String {
    let show = |e: Option<&io::Error>| e.map_or_else(|| "?".to_owned(), ToString::to_string);
    format!(
        "ICMP not permitted (raw socket: {}; ping socket: {}); probing ICMP devices by TCP \
         connect to their SSH port",
        show(raw),
        show(dgram)
    )
}

/// The exact command that would let this process send ICMP.
///
/// On Linux that is opening ping sockets to every group (no privilege for the binary at
/// all, survives rebuilds); elsewhere, giving the current executable `CAP_NET_RAW`.
pub fn enable_command() -> String {
    if cfg!(target_os = "linux") {
        r#"sudo sysctl -w net.ipv4.ping_group_range="0 2147483647""#.to_owned()
    } else {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<path to fleetdash>".to_owned());
        format!("sudo setcap cap_net_raw+ep {exe}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_reason_names_both_errors() {
        let raw = io::Error::from(io::ErrorKind::PermissionDenied);
        let dgram = io::Error::from_raw_os_error(libc::EACCES);
        let text = fallback_reason(Some(&raw), Some(&dgram));
        assert!(text.contains("raw socket: permission denied"), "{text}");
        assert!(text.contains("ping socket: Permission denied"), "{text}");
    }

    #[test]
    fn enable_command_is_a_real_command() {
        let cmd = enable_command();
        assert!(cmd.starts_with("sudo "), "{cmd}");
        #[cfg(target_os = "linux")]
        assert_eq!(
            cmd,
            r#"sudo sysctl -w net.ipv4.ping_group_range="0 2147483647""#
        );
    }

    #[test]
    fn detect_mode_agrees_with_the_kernel() {
        // Whatever this machine allows, the answer must match what a socket open says.
        let raw_ok = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).is_ok();
        let dgram_ok = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)).is_ok();
        let mode = detect_mode();
        match mode {
            ProbeMode::Icmp(IcmpSocket::Raw) => assert!(raw_ok),
            ProbeMode::Icmp(IcmpSocket::Datagram) => assert!(!raw_ok && dgram_ok),
            ProbeMode::TcpFallback { .. } => assert!(!raw_ok && !dgram_ok),
        }
    }
}
