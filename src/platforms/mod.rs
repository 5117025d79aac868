//! Platform facts: how to talk to each platform (exec channel or PTY shell), its prompt,
//! pager marker and paging-off command, privilege, config mode, save and error markers, and
//! what to poll. The SSH client reads them here, and the simulated devices of the lab are
//! built on the same profiles, so the client and the simulator cannot drift apart.

mod poll;

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

pub use poll::{PollSpec, poll_specs};

/// How commands reach the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// One exec channel per command (Linux, anything unknown): exit status, no prompt.
    Exec,
    /// One PTY shell per session, commands typed at the prompt (network gear).
    Shell,
}

/// Everything the client needs to know about one platform.
#[derive(Debug)]
pub struct Profile {
    /// netmiko-style name as in the inventory.
    pub name: &'static str,
    pub via: Via,
    /// Regular expression for the prompt at the end of output (PTY platforms).
    pub prompt: &'static str,
    /// Marker a paging device shows at a page break (answered with a space).
    pub pager: Option<&'static str>,
    /// Command that turns paging off, sent once per shell (empty: none).
    pub disable_paging: &'static str,
    /// Command that enters privileged mode from a `>` prompt (IOS family).
    pub enable: Option<&'static str>,
    pub config_enter: &'static str,
    pub config_exit: &'static str,
    /// Command that saves the configuration (`None`: leaving config mode saves it).
    pub config_save: Option<&'static str>,
    /// Output text that means the device rejected a command.
    pub error_markers: &'static [&'static str],
    pub polls: &'static [PollSpec],
}

const IOS_ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
    "% Unknown command",
    "% Bad secrets",
    "% Access denied",
    "% Error",
];
const JUNOS_ERRORS: &[&str] = &["syntax error", "unknown command", "error:"];

/// Cisco IOS and IOS-XE; Arista EOS starts from it.
const IOS: Profile = Profile {
    name: "cisco_ios",
    via: Via::Shell,
    prompt: r"[\w.\-]+(\(config[^)]*\))?[>#]\s*$",
    pager: Some(" --More-- "),
    disable_paging: "terminal length 0",
    enable: Some("enable"),
    config_enter: "configure terminal",
    config_exit: "end",
    config_save: Some("write memory"),
    error_markers: IOS_ERRORS,
    polls: poll::IOS,
};

pub static CISCO_IOS: Profile = IOS;

pub static CISCO_XE: Profile = Profile {
    name: "cisco_xe",
    ..IOS
};

pub static ARISTA_EOS: Profile = Profile {
    name: "arista_eos",
    config_enter: "configure",
    polls: poll::EOS,
    ..IOS
};

pub static JUNIPER_JUNOS: Profile = Profile {
    name: "juniper_junos",
    via: Via::Shell,
    prompt: r"[\w.\-]+@[\w.\-]+[>#] $",
    pager: Some("---(more)---"),
    disable_paging: "set cli screen-length 0",
    enable: None,
    config_enter: "configure",
    // `commit and-quit` applies and persists; see `Session::configure`.
    config_exit: "commit and-quit",
    config_save: None,
    error_markers: JUNOS_ERRORS,
    polls: poll::JUNOS,
};

pub static LINUX: Profile = Profile {
    name: "linux",
    via: Via::Exec,
    prompt: r"[\w.\-]+@[\w.\-]+:[^$#]*[$#] $",
    pager: None,
    disable_paging: "",
    enable: None,
    config_enter: "",
    config_exit: "",
    config_save: None,
    error_markers: &[],
    polls: poll::LINUX,
};

/// Every platform with its own profile.
pub static KNOWN: [&Profile; 5] = [&CISCO_IOS, &CISCO_XE, &ARISTA_EOS, &JUNIPER_JUNOS, &LINUX];

/// Any other platform: exec channels, no markers, no polls (works on any SSH server).
static GENERIC: Profile = Profile {
    name: "generic",
    via: Via::Exec,
    prompt: r"[>#$%]\s*$",
    pager: None,
    disable_paging: "",
    enable: None,
    config_enter: "",
    config_exit: "",
    config_save: None,
    error_markers: &[],
    polls: &[],
};

static PROMPTS: LazyLock<HashMap<&'static str, Regex>> = LazyLock::new(|| {
    KNOWN
        .into_iter()
        .chain(std::iter::once(&GENERIC))
        .map(|p| {
            let re = Regex::new(p.prompt).expect("platform prompt patterns are valid regexes");
            (p.name, re)
        })
        .collect()
});

/// The profile for an inventory platform name; unknown names get the generic exec profile.
pub fn profile(platform: &str) -> &'static Profile {
    KNOWN
        .into_iter()
        .find(|p| p.name == platform)
        .unwrap_or(&GENERIC)
}

impl Profile {
    /// The compiled prompt pattern.
    pub fn prompt_regex(&self) -> &'static Regex {
        &PROMPTS[self.name]
    }

    /// The first output line carrying an error marker, trimmed.
    pub fn find_error(&self, text: &str) -> Option<String> {
        if self.error_markers.is_empty() {
            return None;
        }
        text.lines()
            .find(|l| self.error_markers.iter().any(|m| l.contains(m)))
            .map(|l| l.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_platform_has_its_profile_and_unknown_is_exec() {
        for p in KNOWN {
            assert!(std::ptr::eq(profile(p.name), p));
        }
        assert_eq!(profile("linux").via, Via::Exec);
        assert_eq!(profile("cisco_ios").via, Via::Shell);
        assert_eq!(profile("vendor_x").name, "generic");
        assert_eq!(profile("vendor_x").via, Via::Exec);
    }

    #[test]
    fn prompts_match_the_last_line_only() {
        let ios = profile("cisco_ios").prompt_regex();
        assert!(ios.is_match("lab-access1#"));
        assert!(ios.is_match("lab-access1(config-if)#"));
        assert!(ios.is_match("lab-access1>"));
        assert!(!ios.is_match("Interface  Status"));
        let junos = profile("juniper_junos").prompt_regex();
        assert!(junos.is_match("admin@lab-edge1> "));
        assert!(junos.is_match("admin@lab-edge1# "));
    }

    #[test]
    fn error_markers_find_the_line() {
        let ios = profile("cisco_ios");
        let out = "show vers\n   ^\n% Invalid input detected at '^' marker.\n";
        assert_eq!(
            ios.find_error(out).as_deref(),
            Some("% Invalid input detected at '^' marker.")
        );
        assert_eq!(ios.find_error("Cisco IOS Software\n"), None);
        let junos = profile("juniper_junos");
        assert!(
            junos
                .find_error("  ^\nsyntax error, expecting <command>.\n")
                .is_some()
        );
    }
}
