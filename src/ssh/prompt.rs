//! The device's prompt, learned after login the way netmiko's `find_prompt` does: press
//! Enter, take the last line, and accept it once the device answers Enter with exactly that
//! line again. From then on a line is our prompt when it carries the learned host part; the
//! platform's patterns only tell modes apart. A banner line full of `#` and `>`, a prompt
//! that arrives in pieces or another host's prompt in an output cannot end a read.
//!
//! The host part is the platform pattern's `host` capture group when it has one (a later
//! prompt's group must start with the learned text: EXOS counts commands, RouterOS shows the
//! menu after it), else the first run of host characters.

use regex::Regex;

/// What the learned prompt identifies us by: `r1`, `admin@lab-edge1`, `RP/0/RP0/CPU0:r1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// The whole prompt line as learned (`admin@h:~$ `).
    pub line: String,
    host: String,
    /// The host part came from the pattern's `host` group.
    grouped: bool,
}

/// Characters of a host part: names with dots, dashes and underscores, `user@`, XR's
/// `RP/0/RP0/CPU0:` location and a Linux `host:` before the directory.
fn is_host_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | '/' | ':')
}

/// The host part of a prompt line: the first run of host characters after any mode
/// decoration in front (`<`, `[~`, `[*`, `*`, spaces).
fn host_part(line: &str) -> &str {
    let start = line.find(is_host_char).unwrap_or(line.len());
    let rest = &line[start..];
    let end = rest.find(|c| !is_host_char(c)).unwrap_or(rest.len());
    &rest[..end]
}

/// The platform pattern's `host` group in `line`, if the pattern has one and matches.
fn host_group<'l>(pattern: &Regex, line: &'l str) -> Option<&'l str> {
    pattern.captures(line)?.name("host").map(|m| m.as_str())
}

impl Learned {
    /// The prompt `line`, learned on a platform whose prompts match `pattern`.
    pub fn new(line: &str, pattern: &Regex) -> Learned {
        let group = host_group(pattern, line).filter(|h| !h.is_empty());
        Learned {
            line: line.to_string(),
            host: group.unwrap_or_else(|| host_part(line)).to_string(),
            grouped: group.is_some(),
        }
    }

    /// Whether `line`, a line the platform's pattern matches, is this device's prompt.
    pub fn matches(&self, pattern: &Regex, line: &str) -> bool {
        match self.grouped {
            true => host_group(pattern, line).is_some_and(|h| h.starts_with(&self.host)),
            false => self.same_host(line),
        }
    }

    /// Whether `line` (already matched by the platform's prompt pattern) is this device's
    /// prompt in some mode: the same host part, or the host part followed by what a mode
    /// adds to it (Huawei's `[r1-GigabitEthernet0/0/1]` views, a Linux directory after
    /// `host:`). `r10#` is not `r1#`'s prompt.
    pub fn same_host(&self, line: &str) -> bool {
        let other = host_part(line);
        let Some(extra) = other.strip_prefix(self.host.as_str()) else {
            return false;
        };
        if self.host.is_empty() || extra.is_empty() {
            return !self.host.is_empty() || other.is_empty();
        }
        let bracketed = line.trim_start().starts_with('[');
        (bracketed && extra.starts_with('-')) || self.host.ends_with(':')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_parts_of_every_vendor_shape() {
        let cases = [
            ("r1#", "r1"),
            ("r1(config-if)#", "r1"),
            ("junos0>", "junos0"),
            ("admin@lab-edge1> ", "admin@lab-edge1"),
            ("RP/0/RP0/CPU0:r1#", "RP/0/RP0/CPU0:r1"),
            ("RP/0/RP0/CPU0:r1(config)#", "RP/0/RP0/CPU0:r1"),
            ("<r1>", "r1"),
            ("[~r1]", "r1"),
            ("[*r1]", "r1"),
            ("A:admin@sr1#", "A:admin@sr1"),
            ("[admin@MikroTik] > ", "admin@MikroTik"),
            ("core_sw-01.dc1.example.net#", "core_sw-01.dc1.example.net"),
            ("admin@h:~$ ", "admin@h:"),
            ("FGT60 (global) # ", "FGT60"),
            ("$ ", ""),
        ];
        for (line, host) in cases {
            assert_eq!(host_part(line), host, "{line:?}");
        }
    }

    fn plain() -> Regex {
        Regex::new(r"[>#$\]]\s*$").unwrap()
    }

    #[test]
    fn a_host_group_in_the_pattern_is_the_stable_part() {
        // EXOS: `* sw1.7 # ` counts commands; `*` marks unsaved changes.
        let exos = Regex::new(r"^(\* )?(?P<host>[\w.\-]+?)\.\d+ [#>] ?$").unwrap();
        let learned = Learned::new("sw1.1 # ", &exos);
        assert!(learned.matches(&exos, "* sw1.12 # "));
        assert!(!learned.matches(&exos, "sw2.3 # "));
        // RouterOS: the menu follows the host part.
        let ros = Regex::new(r"^\[(?P<host>[\w.\-]+@[\w.\-]+)\][^>]*> ?$").unwrap();
        let learned = Learned::new("[admin@r1] > ", &ros);
        assert!(learned.matches(&ros, "[admin@r1] /ip address> "));
        assert!(!learned.matches(&ros, "[admin@r2] > "));
        // Without the group: the first run of host characters.
        let learned = Learned::new("r1#", &plain());
        assert!(learned.matches(&plain(), "r1(config)#"));
        assert!(!learned.matches(&plain(), "r10#"));
    }

    #[test]
    fn a_prompt_in_another_mode_is_ours_another_host_is_not() {
        let ours = [
            ("r1>", "r1#"),
            ("r1#", "r1(config-if)#"),
            ("admin@r1> ", "admin@r1# "),
            ("RP/0/RP0/CPU0:r1#", "RP/0/RP0/CPU0:r1(config-if)#"),
            ("<r1>", "[r1]"),
            ("<r1>", "[~r1]"),
            ("<r1>", "[~r1-GigabitEthernet0/0/1]"),
            ("admin@h:~$ ", "admin@h:/tmp$ "),
            ("admin@h:~$ ", "admin@h:~# "),
            ("$ ", "$ "),
        ];
        for (learned, line) in ours {
            assert!(
                Learned::new(learned, &plain()).same_host(line),
                "{learned:?} {line:?}"
            );
        }
        let others = [
            ("r1#", "r10#"),
            ("r1#", "r2#"),
            ("r1#", "r1.example.com#"),
            ("r1#", "r1-core#"),
            ("admin@r1> ", "admin@r2> "),
            ("admin@r1> ", "root@r1> "),
            ("RP/0/RP0/CPU0:r1#", "RP/0/RP0/CPU0:r2#"),
            ("<r1>", "<r2>"),
            ("$ ", "r1#"),
        ];
        for (learned, line) in others {
            assert!(
                !Learned::new(learned, &plain()).same_host(line),
                "{learned:?} {line:?}"
            );
        }
    }
}
