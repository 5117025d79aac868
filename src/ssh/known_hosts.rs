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
        let entries = parse(&text);
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
}
