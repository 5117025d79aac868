//! known_hosts files as OpenSSH reads them (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): an
//! optional marker (`@revoked`, `@cert-authority`), host patterns (comma-separated, `*` and
//! `?` wildcards, `!` negation, `[host]:port`, hashed `|1|salt|hash`), the key type and the
//! key. russh's helpers skip marker lines, so a revoked key would be learned and trusted.

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use sha1::Sha1;

/// What a line says about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// A host key.
    Plain,
    /// This key must never be accepted.
    Revoked,
    /// A CA that signs host certificates.
    CertAuthority,
}

/// One line with a key (comments, blank lines and lines that are not entries are skipped).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// 1-based, as an editor shows it.
    pub(crate) line: usize,
    pub(crate) marker: Marker,
    patterns: String,
    /// `None` when the key does not parse (such lines are skipped, as OpenSSH does).
    pub(crate) key: Option<PublicKey>,
}

/// The entries of a known_hosts file, in file order.
pub(crate) fn parse(text: &str) -> Vec<Entry> {
    parse_all(text)
        .into_iter()
        .filter(|e| e.key.is_some())
        .collect()
}

/// A parsed file, indexed for many look-ups: a run checks one host per session against the
/// same file, and a lab's known_hosts has a line per device (a scan per session made 1,000
/// sessions parse a million lines). Lines whose patterns are all plain names are found by
/// name; the others (wildcards, negations, hashed names) are matched one by one.
#[derive(Debug, Default)]
pub(crate) struct Indexed {
    entries: Vec<Entry>,
    by_name: std::collections::HashMap<String, Vec<usize>>,
    others: Vec<usize>,
}

impl Indexed {
    pub(crate) fn new(text: &str) -> Self {
        let mut out = Indexed {
            entries: parse(text),
            ..Indexed::default()
        };
        for (i, e) in out.entries.iter().enumerate() {
            let plain = |p: &str| !p.starts_with(['|', '!']) && !p.contains(['*', '?']);
            if e.patterns.split(',').all(plain) {
                for name in e.patterns.split(',') {
                    let list = out.by_name.entry(name.to_ascii_lowercase()).or_default();
                    // `a,a`: one entry, once.
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            } else {
                out.others.push(i);
            }
        }
        out
    }

    /// The lines that apply to `host`, in file order (as [`Entry::matches`] decides).
    pub(crate) fn matching(&self, host: &str) -> Vec<Entry> {
        let mut found: Vec<usize> = self
            .by_name
            .get(&host.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        found.extend(
            self.others
                .iter()
                .copied()
                .filter(|&i| self.entries[i].matches(host)),
        );
        found.sort_unstable();
        found.into_iter().map(|i| self.entries[i].clone()).collect()
    }
}

fn parse_all(text: &str) -> Vec<Entry> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| entry(i + 1, line))
        .collect()
}

fn entry(number: usize, line: &str) -> Option<Entry> {
    let mut fields = line.split_ascii_whitespace().peekable();
    let first = *fields.peek()?;
    if first.starts_with('#') {
        return None;
    }
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        // An unknown marker: OpenSSH ignores the line, and so do we.
        m if m.starts_with('@') => return None,
        _ => Marker::Plain,
    };
    if marker != Marker::Plain {
        fields.next();
    }
    let patterns = fields.next()?.to_owned();
    let _key_type = fields.next()?;
    let key = fields
        .next()
        .and_then(|b64| russh::keys::parse_public_key_base64(b64).ok());
    Some(Entry {
        line: number,
        marker,
        patterns,
        key,
    })
}

impl Entry {
    /// Whether the line applies to `host` (`name` or `[name]:port`, as in [`super::hostkeys::host_port`]).
    pub(crate) fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let mut positive = false;
        for pattern in self.patterns.split(',') {
            if let Some(hashed) = pattern.strip_prefix("|1|") {
                positive |= hashed_matches(hashed, &host);
            } else if let Some(negated) = pattern.strip_prefix('!') {
                if wildcard(&negated.to_ascii_lowercase(), &host) {
                    return false;
                }
            } else {
                positive |= wildcard(&pattern.to_ascii_lowercase(), &host);
            }
        }
        positive
    }
}

/// `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt (both base64).
fn hashed_matches(hashed: &str, host: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (
        BASE64.decode(salt.as_bytes()),
        BASE64.decode(hash.as_bytes()),
    ) else {
        return false;
    };
    let Ok(mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(host.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// OpenSSH's `match_pattern`: `*` any run of characters, `?` one character.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative with one backtrack point: linear-ish, no recursion on hostile patterns.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_for(patterns: &str) -> Entry {
        Entry {
            line: 1,
            marker: Marker::Plain,
            patterns: patterns.into(),
            key: None,
        }
    }

    #[test]
    fn host_patterns_follow_openssh() {
        let cases = [
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "[127.0.0.1]:2222", false),
            ("[127.0.0.1]:2222", "[127.0.0.1]:2222", true),
            ("a,b,c", "b", true),
            ("*", "[127.0.0.1]:2222", true),
            ("127.0.0.*", "127.0.0.9", true),
            ("127.0.0.?", "127.0.0.10", false),
            ("*.example.net,!bad.example.net", "ok.example.net", true),
            ("*.example.net,!bad.example.net", "bad.example.net", false),
            ("!bad", "good", false),
            ("CORE-1", "core-1", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ];
        for (patterns, host, expected) in cases {
            assert_eq!(
                entry_for(patterns).matches(host),
                expected,
                "{patterns} vs {host}"
            );
        }
        let hostile = format!("{}b", "*a".repeat(5000));
        assert!(!entry_for(&hostile).matches(&"a".repeat(5000)));
    }

    #[test]
    fn markers_comments_and_broken_lines() {
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
        let text = format!(
            "# comment\n\n   # indented comment\n@revoked * ssh-ed25519 {key}\n\
             @cert-authority *.lab ssh-ed25519 {key}\n@future x ssh-ed25519 {key}\n\
             host1\tssh-ed25519 {key} comment here\nhost2 ssh-ed25519 not-base64\nlonely\n"
        );
        let entries = parse_all(&text);
        let summary: Vec<(usize, Marker, bool)> = entries
            .iter()
            .map(|e| (e.line, e.marker, e.key.is_some()))
            .collect();
        assert_eq!(
            summary,
            [
                (4, Marker::Revoked, true),
                (5, Marker::CertAuthority, true),
                (7, Marker::Plain, true),
                (8, Marker::Plain, false),
            ]
        );
    }

    /// The index finds exactly the lines a scan with `matches` finds, in file order, for
    /// plain names, several names on a line, case, ports, wildcards, negations and hashed
    /// names.
    #[test]
    fn the_index_agrees_with_a_scan() {
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
        // `|1|…` is HMAC-SHA1 of "core-1" with salt "salt" (ssh-keygen -H's form).
        let mac = Hmac::<Sha1>::new_from_slice(b"salt")
            .unwrap()
            .chain_update(b"core-1")
            .finalize()
            .into_bytes();
        let hashed = format!("|1|{}|{}", BASE64.encode(b"salt"), BASE64.encode(&mac));
        let lines = [
            "core-1".to_string(),
            "[127.0.0.1]:2222".into(),
            "CORE-1,edge-1".into(),
            "edge-*".into(),
            "*,!core-1".into(),
            "edge-1,edge-1".into(),
            hashed,
            "@revoked core-1".into(),
            "127.0.0.?".into(),
        ];
        let text: String = lines
            .iter()
            .map(|l| match l.strip_prefix("@revoked ") {
                Some(p) => format!("@revoked {p} ssh-ed25519 {key}\n"),
                None => format!("{l} ssh-ed25519 {key}\n"),
            })
            .collect();
        let index = Indexed::new(&text);
        let entries = parse(&text);
        for host in [
            "core-1",
            "Core-1",
            "edge-1",
            "edge-2",
            "[127.0.0.1]:2222",
            "127.0.0.1",
            "127.0.0.5",
            "other",
            "",
        ] {
            let scan: Vec<usize> = entries
                .iter()
                .filter(|e| e.matches(host))
                .map(|e| e.line)
                .collect();
            let indexed: Vec<usize> = index.matching(host).iter().map(|e| e.line).collect();
            assert_eq!(indexed, scan, "{host}");
        }
        assert_eq!(
            index
                .matching("core-1")
                .iter()
                .map(|e| e.line)
                .collect::<Vec<_>>(),
            [1, 3, 7, 8]
        );
    }
}
