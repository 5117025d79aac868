//! Many datagrams per system call (`sendmmsg`, `recvmmsg`, through nix's safe wrappers) on
//! a non-blocking socket: a burst of probes leaves in one call, and a wake-up of the
//! receive task reads every waiting reply in one or two.
//!
//! Neither function waits: both report `WouldBlock` when the socket has no room or no
//! packet, and the caller waits for readiness the usual tokio way.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::time::{Duration, SystemTime};

use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg,
    sendmmsg,
};
use nix::sys::time::TimeSpec;

/// Most datagrams per call: 64 keeps the headers small and still divides the per-call
/// cost of a 1,000-probe burst by 64.
pub const BATCH: usize = 64;

/// Largest datagram we read: an ICMP error quotes at most 576 bytes (IPv4) or 1,280
/// (IPv6) of what provoked it; anything longer is cut, which decoding tolerates.
pub const DATAGRAM: usize = 1_536;

/// Send `packets[i]` to `to[i]` (up to [`BATCH`] of them) in one call. Returns how many
/// left, always a prefix; `Err` means the first one failed (`WouldBlock`: no room now).
pub fn send_many(fd: RawFd, packets: &[&[u8]], to: &[SocketAddr]) -> io::Result<usize> {
    let n = packets.len().min(to.len()).min(BATCH);
    if n == 0 {
        return Ok(0);
    }
    let slices: Vec<[IoSlice<'_>; 1]> = packets[..n].iter().map(|p| [IoSlice::new(p)]).collect();
    let addrs: Vec<Option<SockaddrStorage>> = to[..n]
        .iter()
        .map(|a| Some(SockaddrStorage::from(*a)))
        .collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(n, None);
    let none: [ControlMessage<'_>; 0] = [];
    let sent = sendmmsg(
        fd,
        &mut headers,
        &slices,
        &addrs,
        none,
        MsgFlags::MSG_DONTWAIT,
    )?;
    Ok(sent.count())
}

/// Buffers for [`recv_many`], reused across calls (one allocation per receive task).
pub struct RecvBufs {
    bufs: Vec<[u8; DATAGRAM]>,
}

impl Default for RecvBufs {
    fn default() -> Self {
        Self {
            bufs: vec![[0; DATAGRAM]; BATCH],
        }
    }
}

impl RecvBufs {
    /// Read up to [`BATCH`] waiting datagrams in one call; `each(bytes, from, arrived)`
    /// sees every one, with the kernel's arrival time when the socket has
    /// `SO_TIMESTAMPNS` on. Returns how many were read; `Err(WouldBlock)` when none was
    /// waiting.
    pub fn recv_many(
        &mut self,
        fd: RawFd,
        mut each: impl FnMut(&[u8], SocketAddr, Option<SystemTime>),
    ) -> io::Result<usize> {
        // Length, sender and arrival of each datagram, taken before the buffers are read.
        type Got = (usize, Option<SocketAddr>, Option<SystemTime>);
        let mut got: Vec<Got> = Vec::with_capacity(BATCH);
        {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = self
                .bufs
                .iter_mut()
                .map(|b| [IoSliceMut::new(&mut b[..])])
                .collect();
            let stamp = nix::cmsg_space!(TimeSpec);
            let mut headers =
                MultiHeaders::<SockaddrStorage>::preallocate(slices.len(), Some(stamp));
            let read = recvmmsg(fd, &mut headers, &mut slices, MsgFlags::MSG_DONTWAIT, None)?;
            for msg in read {
                let arrived = msg.cmsgs().ok().and_then(|mut c| {
                    c.find_map(|m| match m {
                        ControlMessageOwned::ScmTimestampns(t) => Some(wall_time(t)),
                        _ => None,
                    })
                });
                let from = msg.address.as_ref().and_then(socket_addr);
                got.push((msg.bytes, from, arrived));
            }
        }
        for (buf, &(len, from, arrived)) in self.bufs.iter().zip(&got) {
            if let Some(from) = from {
                each(&buf[..len.min(DATAGRAM)], from, arrived);
            }
        }
        Ok(got.len())
    }
}

fn wall_time(t: TimeSpec) -> SystemTime {
    let since = Duration::new(
        u64::try_from(t.tv_sec()).unwrap_or(0),
        u32::try_from(t.tv_nsec()).unwrap_or(0),
    );
    SystemTime::UNIX_EPOCH + since
}

fn socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    /// A burst over UDP on loopback: every datagram arrives, in order, from its sender,
    /// and an empty queue is `WouldBlock`, not a wait.
    #[test]
    fn a_burst_leaves_in_one_call_and_is_read_back_in_one() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = vec![rx.local_addr().unwrap(); 10];
        let payloads: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; usize::from(i) + 1]).collect();
        let packets: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        assert_eq!(send_many(tx.as_raw_fd(), &packets, &to).unwrap(), 10);

        let mut bufs = RecvBufs::default();
        let mut seen = Vec::new();
        let n = bufs
            .recv_many(rx.as_raw_fd(), |bytes, from, arrived| {
                assert_eq!(arrived, None, "no SO_TIMESTAMPNS asked for");
                seen.push((bytes.to_vec(), from))
            })
            .unwrap();
        assert_eq!(n, 10);
        assert_eq!(
            seen.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
            payloads
        );
        assert!(seen.iter().all(|s| s.1 == tx.local_addr().unwrap()));
        let empty = bufs.recv_many(rx.as_raw_fd(), |_, _, _| panic!("nothing was sent"));
        assert_eq!(empty.unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    /// More than a batch: the first call takes `BATCH`, the caller sends the rest.
    #[test]
    fn a_call_takes_at_most_one_batch() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = vec![rx.local_addr().unwrap(); BATCH + 5];
        let packets = vec![&b"x"[..]; BATCH + 5];
        assert_eq!(send_many(tx.as_raw_fd(), &packets, &to).unwrap(), BATCH);
        assert_eq!(
            send_many(tx.as_raw_fd(), &packets[BATCH..], &to).unwrap(),
            5
        );
        assert_eq!(send_many(tx.as_raw_fd(), &[], &[]).unwrap(), 0);
        let mut bufs = RecvBufs::default();
        assert_eq!(bufs.recv_many(rx.as_raw_fd(), |_, _, _| {}).unwrap(), BATCH);
        assert_eq!(bufs.recv_many(rx.as_raw_fd(), |_, _, _| {}).unwrap(), 5);
    }

    /// With SO_TIMESTAMPNS on, each datagram comes with the kernel's arrival time: after
    /// it was sent, and before it was read.
    #[test]
    fn arrival_times_come_from_the_kernel() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        super::super::sockopt::timestamp_arrivals(rx.as_raw_fd()).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        // Linux turns arrival stamps on for the whole system from a work queue when the
        // first socket asks (a static key): until then datagrams are stamped when read. So
        // a few tries, each of which must still be stamped between its send and its read.
        let mut on_arrival = false;
        for _ in 0..50 {
            let before = SystemTime::now();
            tx.send_to(b"stamp me", rx.local_addr().unwrap()).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            let mut arrivals = Vec::new();
            let n = RecvBufs::default()
                .recv_many(rx.as_raw_fd(), |_, _, arrived| arrivals.push(arrived))
                .unwrap();
            let read = SystemTime::now();
            assert_eq!(n, 1);
            let arrived = arrivals[0].expect("a kernel timestamp");
            assert!(arrived >= before, "{arrived:?} < {before:?}");
            assert!(arrived <= read, "{arrived:?} > {read:?}");
            // Stamped on arrival, not when read 20 ms later.
            if read.duration_since(arrived).unwrap() >= Duration::from_millis(15) {
                on_arrival = true;
                break;
            }
        }
        assert!(
            on_arrival,
            "every datagram was stamped when read, not on arrival"
        );
    }
}
