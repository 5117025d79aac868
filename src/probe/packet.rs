//! ICMP echo packets: building requests, decoding answers (surge-ping's decoder), and
//! naming ICMP errors.

use std::net::{IpAddr, Ipv4Addr};

use socket2::Type;
use surge_ping::{IcmpPacket, Icmpv4Packet, Icmpv6Packet};

/// Decode one received packet (RAW v4 packets start with the IP header, the others not).
pub fn decode(buf: &[u8], from: IpAddr, kind: Type, local: Option<IpAddr>) -> Option<IcmpPacket> {
    match from {
        IpAddr::V4(src) => {
            let dst = match local {
                Some(IpAddr::V4(l)) => l,
                _ => Ipv4Addr::UNSPECIFIED,
            };
            Icmpv4Packet::decode(buf, kind, src, dst)
                .ok()
                .map(IcmpPacket::V4)
        }
        IpAddr::V6(src) => Icmpv6Packet::decode(buf, src).ok().map(IcmpPacket::V6),
    }
}

/// An ICMP echo request. RAW v4 sockets need our identifier and checksum; DGRAM sockets
/// and ICMPv6 get both from the kernel (RFC 3542 §3.1), so they are left zero there.
pub fn echo_request(v6: bool, raw: bool, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + payload.len());
    p.extend_from_slice(&[if v6 { 128 } else { 8 }, 0, 0, 0]);
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    if raw && !v6 {
        let sum = internet_checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// RFC 1071 ones' complement sum.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `None` for an echo reply, else the ICMP error as a `Failed` reason.
pub fn answer_error(packet: &IcmpPacket) -> Option<String> {
    let (v6, ty, code, from) = match packet {
        IcmpPacket::V4(p) => (
            false,
            p.get_icmp_type().0,
            p.get_icmp_code().0,
            IpAddr::V4(p.get_source()),
        ),
        IcmpPacket::V6(p) => (
            true,
            p.get_icmpv6_type().0,
            p.get_icmpv6_code().0,
            IpAddr::V6(p.get_source()),
        ),
    };
    icmp_error_text(v6, ty, code).map(|text| format!("{text} (from {from})"))
}

/// `None` for an echo reply, else a short description of the ICMP error.
fn icmp_error_text(v6: bool, ty: u8, code: u8) -> Option<String> {
    let text = match (v6, ty, code) {
        (false, 0, _) | (true, 129, _) => return None,
        (false, 3, 0) | (true, 1, 0) => "network unreachable",
        (false, 3, 1) | (true, 1, 3) => "host unreachable",
        (false, 3, 13) | (true, 1, 1) => "administratively prohibited",
        (false, 3, _) | (true, 1, _) => "destination unreachable",
        (false, 11, _) | (true, 3, _) => "TTL exceeded in transit",
        (true, 2, _) => "packet too big",
        _ => "unexpected ICMP message",
    };
    Some(format!("{text} (type {ty} code {code})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_replies_are_not_errors() {
        assert_eq!(icmp_error_text(false, 0, 0), None);
        assert_eq!(icmp_error_text(true, 129, 0), None);
    }

    #[test]
    fn errors_are_named_in_both_families() {
        let v4 = icmp_error_text(false, 3, 1).unwrap();
        let v6 = icmp_error_text(true, 1, 3).unwrap();
        assert!(v4.starts_with("host unreachable"), "{v4}");
        assert!(v6.starts_with("host unreachable"), "{v6}");
        assert!(
            icmp_error_text(false, 11, 0)
                .unwrap()
                .starts_with("TTL exceeded")
        );
        assert!(
            icmp_error_text(false, 5, 0)
                .unwrap()
                .contains("type 5 code 0")
        );
    }

    #[test]
    fn raw_v4_requests_carry_ident_and_a_valid_checksum() {
        let p = echo_request(false, true, 0x1234, 7, b"abc");
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
        assert_eq!(&p[8..], b"abc");
        // A correct checksum makes the whole packet sum to zero.
        assert_eq!(internet_checksum(&p), 0);
    }

    #[test]
    fn kernel_checksummed_requests_leave_the_checksum_zero() {
        assert_eq!(&echo_request(true, true, 1, 2, b"")[..4], &[128, 0, 0, 0]);
        assert_eq!(&echo_request(false, false, 1, 2, b"")[..4], &[8, 0, 0, 0]);
    }

    #[test]
    fn checksum_matches_the_rfc_1071_example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is !ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&data), !0xddf2);
    }
}
