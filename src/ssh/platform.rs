//! Platforms as data, client side: how to talk to each platform (exec channel or PTY shell),
//! its prompt, paging, privilege, config mode and error markers. Prompt patterns, pager
//! markers and paging-off commands are the lab's facts (`crate::lab::Platform`), read from
//! there rather than copied, so the simulator and the client cannot drift apart.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::poll::{self, PollSpec};
use crate::lab::Platform;

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

fn lab_profile(p: Platform) -> Profile {
    let spec = p.spec();
    let base = Profile {
        name: spec.name,
        via: Via::Shell,
        prompt: spec.prompt_pattern,
        pager: spec.pager,
        disable_paging: spec.disable_paging,
        enable: Some("enable"),
        config_enter: "configure terminal",
        config_exit: "end",
        config_save: Some("write memory"),
        error_markers: IOS_ERRORS,
        polls: poll::IOS,
    };
    match p {
        Platform::CiscoIos | Platform::CiscoXe => base,
        Platform::AristaEos => Profile {
            config_enter: "configure",
            polls: poll::EOS,
            ..base
        },
        Platform::JuniperJunos => Profile {
            enable: None,
            config_enter: "configure",
            // `commit and-quit` applies and persists; see `Session::configure`.
            config_exit: "commit and-quit",
            config_save: None,
            error_markers: JUNOS_ERRORS,
            polls: poll::JUNOS,
            ..base
        },
        Platform::Linux => Profile {
            via: Via::Exec,
            enable: None,
            config_enter: "",
            config_exit: "",
            config_save: None,
            error_markers: &[],
            polls: poll::LINUX,
            ..base
        },
    }
}

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

static PROFILES: LazyLock<Vec<Profile>> =
    LazyLock::new(|| Platform::ALL.into_iter().map(lab_profile).collect());

static PROMPTS: LazyLock<HashMap<&'static str, Regex>> = LazyLock::new(|| {
    PROFILES
        .iter()
        .chain(std::iter::once(&GENERIC))
        .map(|p| {
            let re = Regex::new(p.prompt).expect("platform prompt patterns are valid regexes");
            (p.name, re)
        })
        .collect()
});

/// The profile for an inventory platform name; unknown names get the generic exec profile.
pub fn profile(platform: &str) -> &'static Profile {
    PROFILES
        .iter()
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
    fn every_lab_platform_has_a_profile_and_unknown_is_exec() {
        for p in Platform::ALL {
            assert_eq!(profile(p.name()).name, p.name());
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
        assert!(junos.find_error("  ^\nsyntax error, expecting <command>.\n").is_some());
    }
}
