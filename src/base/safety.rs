//! What a command may do before it is sent to a device.
//!
//! Three rules, applied by every front end (dashboard, `exec`, rollout plans) and again by
//! the SSH session itself:
//!
//! - **A command is one line**: no line break or other control character, so what reaches
//!   the device is exactly the one command the user saw ([`one_line`]).
//! - **Read-only is an allow-list** per CLI family: the command families that only read
//!   (`show`, `display`, `ping`, …; on a shell, a named set of programs with plain
//!   arguments). Everything else is refused ([`read_only`]).
//! - **Dangerous commands ask first**: reboots, erases and configuration changes are named
//!   by a list, abbreviations and shell wrappers included ([`danger`]).
//!
//! [`judge`] combines them for a command and the devices it would run on.

use std::collections::BTreeSet;

use cli::{cli_danger, cli_read_only};
use routeros::{routeros_danger, routeros_read_only};
use shell::{shell_danger, shell_read_only};

/// Characters a command may have: enough for any CLI line; a longer one is a paste gone wrong.
pub const MAX_COMMAND_CHARS: usize = 4096;

/// How a platform's CLI reads a command: which read-only allow-list and which dangerous
/// words apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IOS-like CLIs: Cisco IOS/XE/NX-OS/XR/ASA, Arista EOS, and CLIs modelled on them.
    Cisco,
    JuniperJunos,
    HuaweiVrp,
    NokiaSros,
    MikrotikRouteros,
    /// A POSIX shell (Linux, and any platform fleetdash does not know: those are reached
    /// through an exec channel, which the remote user's shell interprets).
    Shell,
}

impl Family {
    /// The family of a netmiko-style platform name.
    pub fn of(platform: &str) -> Family {
        let p = platform.to_ascii_lowercase();
        const CISCO_LIKE: &[&str] = &[
            "cisco_",
            "arista_",
            "dell_",
            "hp_",
            "aruba",
            "extreme",
            "brocade",
            "ruckus",
            "ubiquiti_edgeswitch",
            "allied_telesis",
            "mellanox",
            "ciena_saos",
            // Appliance CLIs read with `show` and act with verbs the IOS-style list knows
            // (`execute`, `request`, `config`, `set`, `delete`, `commit`, `reboot`).
            "fortinet",
            "paloalto",
            "vyos",
        ];
        if CISCO_LIKE.iter().any(|prefix| p.starts_with(prefix)) {
            Family::Cisco
        } else if p.starts_with("juniper") {
            Family::JuniperJunos
        } else if p.starts_with("huawei") {
            Family::HuaweiVrp
        } else if p.starts_with("nokia_sros") || p.starts_with("alcatel_sros") {
            Family::NokiaSros
        } else if p.starts_with("mikrotik") {
            Family::MikrotikRouteros
        } else {
            Family::Shell
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Cisco => "IOS-style",
            Family::JuniperJunos => "Junos",
            Family::HuaweiVrp => "Huawei VRP",
            Family::NokiaSros => "Nokia SR OS",
            Family::MikrotikRouteros => "RouterOS",
            Family::Shell => "shell (Linux and unknown platforms)",
        }
    }
}

/// Refuses anything but one line of printable text: a line break would run a second
/// command the user never saw, and other control characters edit the line on the device
/// (Tab completes, Ctrl-U erases, ESC starts a sequence).
pub fn one_line(command: &str) -> Result<(), String> {
    let chars = command.chars().count();
    if chars > MAX_COMMAND_CHARS {
        return Err(format!(
            "the command is {chars} characters long; the limit is {MAX_COMMAND_CHARS}"
        ));
    }
    match command
        .chars()
        .enumerate()
        .find(|(_, c)| crate::base::text::is_unsafe(*c))
    {
        None => Ok(()),
        Some((at, c)) => {
            let what = match c {
                '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break",
                '\t' => "a tab",
                '\u{1b}' => "an escape character",
                c if crate::base::text::is_bidi_control(c) => "a bidirectional-text control",
                _ => "a control character",
            };
            Err(format!(
                "the command contains {what} ({} at character {}): a command is one line; \
                 run several commands one by one, or as a `config:` step of a rollout plan",
                crate::base::text::escape_line(&c.to_string()),
                at + 1
            ))
        }
    }
}

/// Whether running a command needs a question first, or is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Run,
    /// Dangerous: ask first (dashboard) or require `--allow-dangerous` (headless).
    Ask(&'static str),
    Refuse(String),
}

/// The verdict for `command` on devices of `families`: refused when it is not one line, or
/// (with `read_only`) when it is not read-only on every family; else dangerous when it is
/// dangerous on any of them.
pub fn judge(
    command: &str,
    families: impl IntoIterator<Item = Family>,
    read_only_mode: bool,
) -> Verdict {
    if let Err(why) = one_line(command) {
        return Verdict::Refuse(why);
    }
    let families: BTreeSet<Family> = families.into_iter().collect();
    if read_only_mode {
        // The allow-list is the authority: what it lets through only reads.
        for &family in &families {
            if let Err(why) = read_only(command, family) {
                return Verdict::Refuse(format!("read-only: {why} ({} devices)", family.name()));
            }
        }
        return Verdict::Run;
    }
    match families.iter().find_map(|&f| danger(command, f)) {
        Some(why) => Verdict::Ask(why),
        None => Verdict::Run,
    }
}

/// `Ok` when `command` only reads on `family`; else why not, and what would be allowed.
pub fn read_only(command: &str, family: Family) -> Result<(), String> {
    one_line(command)?;
    if command.trim().is_empty() {
        return Err("an empty command".into());
    }
    match family {
        Family::Shell => shell_read_only(command),
        Family::MikrotikRouteros => routeros_read_only(command),
        cli => cli_read_only(command, cli),
    }
}

/// Why `command` is dangerous on `family`, or `None`.
pub fn danger(command: &str, family: Family) -> Option<&'static str> {
    match family {
        Family::Shell => shell_danger(command),
        Family::MikrotikRouteros => routeros_danger(command),
        cli => cli_danger(command, cli),
    }
}

mod cli;
mod routeros;
mod shell;
#[cfg(test)]
mod tests;
