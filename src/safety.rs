//! Which commands are dangerous: they reboot, erase, or change configuration. The dashboard
//! asks before running them, and `--read-only` refuses them.

/// Word sequences (lower case) that make a command dangerous when the command starts with
/// them, abbreviations included (`conf t`, `wr er`), as network CLIs accept.
const DANGEROUS: &[(&[&str], &str)] = &[
    (&["reload"], "reboots the device"),
    (&["reboot"], "reboots the device"),
    (&["shutdown"], "shuts the device down"),
    (&["halt"], "halts the device"),
    (&["poweroff"], "powers the device off"),
    (&["request", "system", "reboot"], "reboots the device"),
    (&["request", "system", "halt"], "halts the device"),
    (&["request", "system", "zeroize"], "erases the device"),
    (&["request", "system", "power-off"], "powers the device off"),
    (
        &["request", "system", "software"],
        "changes the device's software",
    ),
    (&["systemctl", "reboot"], "reboots the device"),
    (&["systemctl", "poweroff"], "powers the device off"),
    (&["systemctl", "halt"], "halts the device"),
    (
        &["init"],
        "changes the runlevel (init 0 halts, init 6 reboots)",
    ),
    (&["load"], "loads configuration"),
    (&["install"], "installs software"),
    (&["write", "erase"], "erases the startup configuration"),
    (&["erase"], "erases storage"),
    (&["format"], "formats storage"),
    (&["delete"], "deletes files"),
    (&["rm"], "deletes files"),
    (&["configure"], "enters configuration mode"),
    (&["copy"], "overwrites files or configuration"),
    (&["clear"], "clears state (sessions, counters, neighbours)"),
    (&["commit"], "commits configuration"),
    (&["rollback"], "rolls configuration back"),
    (&["set"], "changes configuration"),
    (&["no"], "removes configuration"),
    (&["write"], "writes configuration"),
    (&["debug"], "can overload the control plane"),
    (&["sudo"], "runs as root"),
];

/// Why `command` is dangerous, or `None`. Each `;`-separated part is checked, and IOS's
/// `do` prefix (an exec command from config mode) is looked through.
pub fn danger(command: &str) -> Option<&'static str> {
    command.split(['\n', ';']).find_map(|part| {
        let mut words: Vec<String> = part.split_whitespace().map(str::to_lowercase).collect();
        if words.first().is_some_and(|w| w == "do") {
            words.remove(0);
        }
        DANGEROUS
            .iter()
            .find(|(pattern, _)| starts_with_abbreviated(&words, pattern))
            .map(|(_, why)| *why)
    })
}

/// `words` starts with `pattern`, each word possibly abbreviated to two letters or more, as
/// network CLIs accept (`wr er`, `conf t`, `rel`). A first word that abbreviates `show` never
/// matches: `sh` is how everyone types `show`.
fn starts_with_abbreviated(words: &[String], pattern: &[&str]) -> bool {
    if words
        .first()
        .is_some_and(|w| w.len() >= 2 && "show".starts_with(w.as_str()))
    {
        return false;
    }
    words.len() >= pattern.len()
        && pattern
            .iter()
            .zip(words)
            .all(|(full, word)| word.len() >= 2.min(full.len()) && full.starts_with(word.as_str()))
}

#[cfg(test)]
mod tests {
    use super::danger;

    #[test]
    fn dangerous_commands_are_recognised_with_abbreviations() {
        for cmd in [
            "reload",
            "reload in 5",
            "conf t",
            "configure terminal",
            "wr er",
            "write erase",
            "write memory",
            "request system reboot",
            "delete flash:vlan.dat",
            "show version; reload",
            "no ip route 0.0.0.0 0.0.0.0 10.0.0.1",
            "CLEAR ip bgp *",
            "sudo reboot",
            "wr",
            "rel",
            "do reload",
            "do wr erase",
            "request system power-off",
            "systemctl reboot",
            "init 6",
            "load override terminal",
        ] {
            assert!(danger(cmd).is_some(), "{cmd} should be dangerous");
        }
    }

    #[test]
    fn read_only_commands_are_not() {
        for cmd in [
            "show version",
            "sh ip int br",
            "show running-config",
            "show configuration | display set",
            "uname -a",
            "uptime",
            "hostname",
            "ping 127.0.0.1",
            "terminal length 0",
            "show reload",
            "do show version",
            "systemctl status sshd",
            "",
        ] {
            assert_eq!(danger(cmd), None, "{cmd} should be allowed");
        }
    }
}
