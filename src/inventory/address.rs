//! Checks a device's `host`: an IPv4 or IPv6 literal, or a hostname per RFC 1123.

use crate::base::text::Untrusted;
use std::net::{IpAddr, Ipv6Addr};

/// Why a `host` value was refused, with a hint for the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadHost {
    pub(crate) reason: String,
    pub(crate) help: String,
}

/// Accepts IP literals and RFC 1123 hostnames (labels of 1–63 letters, digits and inner
/// hyphens, at most 253 characters, one optional trailing dot, last label not all digits).
pub(crate) fn check_host(host: &str) -> Result<(), BadHost> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let bad = |reason: String, help: &str| {
        Err(BadHost {
            reason,
            help: help.to_owned(),
        })
    };
    if host.is_empty() {
        return bad("is empty".into(), "give an IP address or a hostname");
    }
    if let Some(inner) = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .filter(|inner| inner.parse::<IpAddr>().is_ok())
    {
        return bad(
            "has brackets around an IPv6 address".into(),
            &format!("write `host: \"{inner}\"` and the SSH port in `port:`"),
        );
    }
    if let Some((_, port)) = host.split_once(':').filter(|(_, p)| is_digits(p)) {
        return bad(
            format!("includes a port (`:{}`)", Untrusted(port)),
            &format!(
                "write the address alone and the port separately: `port: {}`",
                Untrusted(port)
            ),
        );
    }
    if host.contains(':') {
        return bad(
            "is not a valid IPv6 address".into(),
            "an IPv6 address looks like `fd00::1`; put the port in `port:`, not in `host:`",
        );
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > 253 {
        return bad(
            format!("is {} characters long", name.len()),
            "a hostname has at most 253 characters",
        );
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() == 4 && labels.iter().all(|l| is_digits(l)) {
        return bad(
            "is not a valid IPv4 address".into(),
            "each of the four numbers of an IPv4 address is between 0 and 255",
        );
    }
    for label in &labels {
        if label.is_empty() {
            return bad(
                "has an empty label (two dots in a row, or a leading dot)".into(),
                "a hostname looks like `core-1.ams.example.net`",
            );
        }
        if label.len() > 63 {
            return bad(
                format!("has a label of {} characters", label.len()),
                "each dot-separated part of a hostname has at most 63 characters",
            );
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return bad(
                format!("contains {c:?}"),
                "a hostname may only contain letters, digits, `-` and `.`",
            );
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad(
                format!(
                    "has a label `{}` that starts or ends with `-`",
                    Untrusted(label)
                ),
                "hostname labels start and end with a letter or digit",
            );
        }
    }
    if labels.last().is_some_and(|l| is_digits(l)) {
        return bad(
            "is neither an IP address nor a hostname".into(),
            "an IPv4 address has four numbers (`127.20.0.1`); a hostname's last part is not all digits",
        );
    }
    Ok(())
}

/// The address a host names, as probes and SSH must use it: an IPv4-mapped IPv6 address
/// (`::ffff:127.0.0.1`) is its IPv4 address, since ICMPv6 and IPv6 sockets never reach it.
pub(crate) fn canonical(host: String) -> String {
    match host
        .parse::<Ipv6Addr>()
        .ok()
        .and_then(|ip| ip.to_ipv4_mapped())
    {
        Some(v4) => v4.to_string(),
        None => host,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ips_and_rfc1123_hostnames() {
        for ok in [
            "127.20.0.1",
            "::1",
            "fd00::20:1",
            "localhost",
            "ams-core-1",
            "3com-switch",
            "core1.ams.example.net.",
            &"a".repeat(63),
        ] {
            assert_eq!(check_host(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_become_ipv4() {
        for (host, expected) in [
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::FFFF:7f00:2", "127.0.0.2"),
            ("0:0:0:0:0:ffff:127.20.0.1", "127.20.0.1"),
            ("::1", "::1"),
            ("::127.0.0.1", "::127.0.0.1"),
            ("fd00::1", "fd00::1"),
            ("core-1", "core-1"),
        ] {
            assert_eq!(check_host(host), Ok(()), "{host}");
            assert_eq!(canonical(host.to_owned()), expected, "{host}");
        }
    }

    #[test]
    fn refuses_bad_hosts_with_a_reason() {
        let cases = [
            ("", "is empty"),
            ("127.20.0.300", "is not a valid IPv4 address"),
            ("[::1]", "has brackets around an IPv6 address"),
            ("fd00::zz", "is not a valid IPv6 address"),
            ("127.0.0.1:2222", "includes a port (`:2222`)"),
            (
                "core..ams",
                "has an empty label (two dots in a row, or a leading dot)",
            ),
            ("core_1", "contains '_'"),
            ("core 1", "contains ' '"),
            ("-core", "has a label `-core` that starts or ends with `-`"),
            ("10.1", "is neither an IP address nor a hostname"),
            ("42", "is neither an IP address nor a hostname"),
        ];
        for (host, reason) in cases {
            assert_eq!(check_host(host).unwrap_err().reason, reason, "{host:?}");
        }
        assert!(check_host(&"a".repeat(64)).is_err());
        let long = ["abcdefghij"; 26].join(".");
        assert_eq!(
            check_host(&long).unwrap_err().reason,
            "is 285 characters long"
        );
    }
}
