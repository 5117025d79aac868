//! ICMP socket tuning that surge-ping does not do: a big receive queue and a type filter.
//!
//! A sweep of 10,000 loopback targets answers faster than one receive task drains, and the
//! kernel drops silently once the queue (≈ 212 KB ≈ 256 packets by default) is full. On
//! loopback a RAW socket also queues a copy of every echo *request* it sends. So we raise the
//! queue (SO_RCVBUFFORCE as root, else SO_RCVBUF capped by `net.core.rmem_max`) and, on RAW
//! sockets, let the kernel discard every ICMP type except replies and errors.

use std::io;
use std::os::fd::RawFd;

/// Receive queue we ask for. The kernel doubles it for bookkeeping; 8 MiB holds well over
/// 10,000 queued replies. Memory is only used while packets actually wait in it.
pub const RCVBUF_BYTES: usize = 8 << 20;

// <linux/icmp.h> and <linux/in.h>; not all are in the libc crate.
const SOL_RAW: libc::c_int = 255;
const ICMP_FILTER: libc::c_int = 1;
const ICMP6_FILTER: libc::c_int = 1;

/// ICMPv4 types a RAW socket keeps: echo reply, destination unreachable, time exceeded.
const V4_PASS: [u8; 3] = [0, 3, 11];
/// ICMPv6 types kept: destination unreachable, packet too big, time exceeded, echo reply.
const V6_PASS: [u8; 4] = [1, 2, 3, 129];

/// Raise the receive buffer of `fd` to `bytes`, forcing past `rmem_max` when permitted.
pub fn raise_rcvbuf(fd: RawFd, bytes: usize) -> io::Result<(usize, bool)> {
    let want = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let forced = setsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        &want.to_ne_bytes(),
    );
    if forced.is_err() {
        setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &want.to_ne_bytes())?;
    }
    let got = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF)?;
    Ok((usize::try_from(got).unwrap_or(0), forced.is_ok()))
}

/// Have the kernel stamp every received packet with its arrival time (`SO_TIMESTAMPNS`),
/// so an RTT does not depend on when the receive task got round to reading it.
pub fn timestamp_arrivals(fd: RawFd) -> io::Result<()> {
    setsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_TIMESTAMPNS,
        &1i32.to_ne_bytes(),
    )
}

/// Send IPv4 probes with "don't fragment" set, ignoring the path MTU (a probe is 44
/// bytes). A datagram with DF needs no IP identifier, and picking one was 8 % of a
/// 10,000-device sweep's CPU (perf: `__ip_select_ident`, a hash and a shared counter).
pub fn dont_fragment_v4(fd: RawFd) -> io::Result<()> {
    let probe = libc::IP_PMTUDISC_PROBE.to_ne_bytes();
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, &probe)
}

/// Let a RAW socket queue only the echo replies that carry `ident` (and every ICMP
/// error): a RAW socket otherwise gets a copy of every reply on the host, so another
/// pinger's sweep (fping, smokeping, a second fleetdash) would wake the receive task for
/// each of its packets. Classic BPF; an IPv4 RAW socket's filter sees the IP header first,
/// an IPv6 one starts at the ICMPv6 header.
pub fn filter_ident(fd: RawFd, v6: bool, ident: u16) -> io::Result<()> {
    attach_filter(fd, &ident_program(v6, ident))
}

// <linux/filter.h> opcodes, spelled out: the program is six or seven instructions.
const BPF_LD_B_ABS: u16 = 0x30;
const BPF_LD_B_IND: u16 = 0x50;
const BPF_LD_H_ABS: u16 = 0x28;
const BPF_LD_H_IND: u16 = 0x48;
const BPF_LDX_B_MSH: u16 = 0xb1;
const BPF_JEQ_K: u16 = 0x15;
const BPF_RET_K: u16 = 0x06;

/// The filter: echo replies pass only with our identifier; other types (the errors the
/// ICMP type filter lets through) pass.
fn ident_program(v6: bool, ident: u16) -> Vec<libc::sock_filter> {
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let (reply, ld_type, ld_ident) = if v6 {
        (129, op(BPF_LD_B_ABS, 0, 0, 0), op(BPF_LD_H_ABS, 0, 0, 4))
    } else {
        (0, op(BPF_LD_B_IND, 0, 0, 0), op(BPF_LD_H_IND, 0, 0, 4))
    };
    let mut program = Vec::with_capacity(7);
    if !v6 {
        // X = the IP header's length (4 × its low nibble), where the ICMP header starts.
        program.push(op(BPF_LDX_B_MSH, 0, 0, 0));
    }
    program.extend([
        ld_type,
        // An echo reply: check the identifier; anything else: keep it.
        op(BPF_JEQ_K, 0, 2, reply),
        ld_ident,
        op(BPF_JEQ_K, 0, 1, u32::from(ident)),
        op(BPF_RET_K, 0, 0, u32::MAX),
        op(BPF_RET_K, 0, 0, 0),
    ]);
    program
}

#[allow(unsafe_code)]
fn attach_filter(fd: RawFd, program: &[libc::sock_filter]) -> io::Result<()> {
    let fprog = libc::sock_fprog {
        len: u16::try_from(program.len()).map_err(|_| io::ErrorKind::InvalidInput)?,
        filter: program.as_ptr().cast_mut(),
    };
    let len = libc::socklen_t::try_from(size_of::<libc::sock_fprog>()).unwrap_or(16);
    // SAFETY: `fprog` points at `program`, which outlives the call; the kernel copies the
    // instructions and checks them (a bad program is EINVAL). A bad `fd` yields EBADF.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&raw const fprog).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Bitmask for ICMP_FILTER: a set bit *blocks* that type.
pub fn v4_filter_mask() -> u32 {
    V4_PASS.iter().fold(u32::MAX, |m, &t| m & !(1 << t))
}

/// `struct icmp6_filter` (8 × u32): a set bit blocks that type (Linux semantics).
pub fn v6_filter_words() -> [u32; 8] {
    let mut words = [u32::MAX; 8];
    for t in V6_PASS {
        words[usize::from(t >> 5)] &= !(1 << (t & 31));
    }
    words
}

/// Let a RAW ICMPv4 socket queue only replies and errors (not our own echo requests).
pub fn filter_v4(fd: RawFd) -> io::Result<()> {
    setsockopt(fd, SOL_RAW, ICMP_FILTER, &v4_filter_mask().to_ne_bytes())
}

/// The same for a RAW ICMPv6 socket.
pub fn filter_v6(fd: RawFd) -> io::Result<()> {
    let bytes: Vec<u8> = v6_filter_words()
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect();
    setsockopt(fd, libc::IPPROTO_ICMPV6, ICMP6_FILTER, &bytes)
}

#[allow(unsafe_code)]
fn setsockopt(fd: RawFd, level: libc::c_int, name: libc::c_int, value: &[u8]) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `value` is a live, initialised buffer of exactly `len` bytes; the kernel only
    // reads it. A bad `fd` yields EBADF, not undefined behaviour.
    let rc = unsafe { libc::setsockopt(fd, level, name, value.as_ptr().cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[allow(unsafe_code)]
fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = libc::socklen_t::try_from(size_of::<libc::c_int>()).unwrap_or(4);
    // SAFETY: `value` and `len` are valid for writes and `len` is the size of `value`.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&raw mut value).cast(), &raw mut len) };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Protocol, Socket, Type};
    use std::os::fd::AsRawFd;

    /// A RAW ICMPv4 socket, or `None` (with a note) where this process may not open one.
    fn raw_v4() -> Option<Socket> {
        match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
            Ok(s) => Some(s),
            Err(e) => {
                assert!(std::env::var_os("CI").is_none(), "CI runs as root: {e}");
                eprintln!("SKIPPED: no RAW ICMP socket here: {e}");
                None
            }
        }
    }

    #[test]
    fn the_ident_filter_keeps_only_our_replies() {
        let (Some(ours), Some(sender)) = (raw_v4(), raw_v4()) else {
            return;
        };
        filter_v4(ours.as_raw_fd()).unwrap();
        filter_ident(ours.as_raw_fd(), false, 0x5eed).unwrap();
        ours.set_read_timeout(Some(std::time::Duration::from_millis(300)))
            .unwrap();
        // Another pinger's echo first, then ours: the kernel answers both on loopback.
        let to: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        for (ident, seq) in [(0x0bad, 1), (0x5eed, 2), (0x0bad, 3)] {
            let packet = crate::probe::packet::echo_request(false, true, ident, seq, b"x");
            sender.send_to(&packet, &to.into()).unwrap();
        }
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        // Bounded: unfiltered, other pingers on this host would keep the loop going.
        while let (true, Ok(n)) = (got.len() < 8, std::io::Read::read(&mut &ours, &mut buf)) {
            let icmp = &buf[usize::from(buf[0] & 0x0f) * 4..n];
            got.push((icmp[0], u16::from_be_bytes([icmp[4], icmp[5]]), icmp[7]));
        }
        assert_eq!(got, [(0, 0x5eed, 2)], "only our echo reply is queued");
    }

    #[test]
    fn v4_mask_passes_only_replies_and_errors() {
        let m = v4_filter_mask();
        for t in 0..32u32 {
            let blocked = m & (1 << t) != 0;
            assert_eq!(blocked, ![0, 3, 11].contains(&t), "type {t}");
        }
    }

    #[test]
    fn v6_words_pass_only_replies_and_errors() {
        let w = v6_filter_words();
        for t in 0..=255u16 {
            let blocked = w[usize::from(t >> 5)] & (1 << (t & 31)) != 0;
            assert_eq!(blocked, ![1, 2, 3, 129].contains(&t), "type {t}");
        }
    }

    #[test]
    fn rcvbuf_grows_on_a_udp_socket() {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        let before = s.recv_buffer_size().unwrap();
        let (after, _forced) = raise_rcvbuf(s.as_raw_fd(), RCVBUF_BYTES).unwrap();
        assert_eq!(after, s.recv_buffer_size().unwrap());
        // Capped by rmem_max when not forced, but never smaller than what we had.
        assert!(after >= before, "{after} < {before}");
    }

    #[test]
    fn ipv4_probes_can_be_sent_without_fragmentation() {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        dont_fragment_v4(s.as_raw_fd()).unwrap();
        let mode = getsockopt_int(s.as_raw_fd(), libc::IPPROTO_IP, libc::IP_MTU_DISCOVER);
        assert_eq!(mode.unwrap(), libc::IP_PMTUDISC_PROBE);
    }

    #[test]
    fn bad_fd_is_an_error_not_a_crash() {
        assert!(raise_rcvbuf(-1, 1 << 20).is_err());
        assert!(filter_v4(-1).is_err());
    }
}
