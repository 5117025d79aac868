//! The platform file format (`assets/platforms/*.yaml`, the user's own in
//! `$XDG_CONFIG_HOME/fleetdash/platforms/`): what a driver says about one platform. Patterns
//! are regular expressions (`(?i)` for case-insensitive), matched per line.
//!
//! A capture group named `host` in `prompt.pattern` marks the prompt's stable part, for
//! prompts that change around it (an EXOS `* sw1.7 #` counts commands, a MikroTik
//! `[admin@r1] /ip address>` shows the menu, a Huawei `[~r1-GigabitEthernet0/0/1]` the view):
//! learned from the first prompt, a later line is the prompt only if its `host` starts with
//! the learned text. Without the group the text before the mode markers is the stable part.

use serde::Deserialize;

/// One platform file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// netmiko-style name (`cisco_ios`); must equal the file name without `.yaml`.
    pub name: String,
    /// What `fleetdash platforms` shows (`Cisco IOS`).
    pub description: String,
    pub transport: Transport,
    pub prompt: Prompts,
    /// How to get from user mode to privileged mode.
    #[serde(default)]
    pub privilege: Option<Privilege>,
    /// Sent once after the prompt is found (paging off, terminal width).
    #[serde(default)]
    pub setup: Vec<String>,
    /// Pager prompts and the key that answers them.
    #[serde(default)]
    pub pagers: Vec<Answer>,
    /// Prompts shown before the first CLI prompt ("Press any key to continue").
    #[serde(default)]
    pub login_prompts: Vec<Answer>,
    /// Appended to the login name when authenticating (MikroTik's `+ct511w4098h`: no
    /// colours, no terminal probing, 511 columns, 4098 lines so nothing pages). Not shown.
    #[serde(default)]
    pub username_suffix: Option<String>,
    #[serde(default)]
    pub config: Option<ConfigMode>,
    /// Saves the running configuration (`None`: nothing to save, e.g. a commit persists).
    #[serde(default)]
    pub save: Option<Save>,
    /// An output line matching one of these means the device rejected the command.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Output lines that are not the command's answer (`{master:0}`), removed.
    #[serde(default)]
    pub strip: Vec<String>,
    /// The command that prints the running configuration (backups).
    #[serde(default)]
    pub running_config: Option<String>,
    /// How a backup of `running_config` is cleaned before it is stored.
    #[serde(default)]
    pub backup: Option<Backup>,
    /// Ends the session politely.
    #[serde(default)]
    pub logout: Option<String>,
    #[serde(default)]
    pub detect: Option<Detect>,
    #[serde(default)]
    pub polls: Vec<Poll>,
    /// Commands that print the LLDP/CDP neighbour table, with the parser that reads it.
    #[serde(default)]
    pub neighbors: Vec<Poll>,
}

/// How commands reach the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// One PTY shell per session, commands typed at the prompt (network gear).
    Shell,
    /// One exec channel per command: exit status, no prompt.
    Exec,
    /// Exec channels; a device that refuses them gets a shell instead.
    ExecOrShell,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// Every prompt of the platform, in any mode, matches this (before the prompt is
    /// learned, and to check what was learned).
    pub pattern: String,
    /// Tell the modes apart once the prompt is known.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub privileged: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
    /// A line the device prints right above every prompt (Nokia MD-CLI's context line
    /// `[/]`, `*(pr)[/configure]`): it belongs to the prompt, so it is removed from the
    /// output with it, and the mode patterns match the two lines joined by `\n`.
    #[serde(default)]
    pub above: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privilege {
    pub command: String,
    /// The device asks for a user name first (HP ProCurve; answered with the login name).
    #[serde(default)]
    pub username_prompt: Option<String>,
    /// The device asks for a password (answered with the login password).
    #[serde(default)]
    pub password_prompt: Option<String>,
}

/// A prompt the client answers by itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub pattern: String,
    /// What to send: `" "` for a pager, `"\n"` for Enter (sent as is, no newline added).
    pub answer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMode {
    pub enter: String,
    /// Leaves config mode (after a commit, when the commit does not leave by itself).
    pub exit: String,
    /// Applies the candidate configuration (`None`: lines apply as they are typed).
    #[serde(default)]
    pub commit: Option<String>,
    /// The commit command also leaves config mode (`commit and-quit`).
    #[serde(default)]
    pub commit_exits: bool,
    /// Throws the candidate away after a failed line (commit platforms); `[]`: just exit.
    #[serde(default)]
    pub discard: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Save {
    pub command: String,
    /// A confirmation the save command asks for (`[Y/N]`), and its answer.
    #[serde(default)]
    pub confirm: Option<Answer>,
    /// The save command is a config-mode command (VyOS `save`): typed after the commit,
    /// before config mode is left. Otherwise it is typed after leaving.
    #[serde(default)]
    pub in_config: bool,
}

/// Cleaning a fetched configuration so that a stored change is a real change, and secrets
/// stay on the device.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Lines that differ on every fetch (timestamps, counters): dropped.
    #[serde(default)]
    pub volatile: Vec<String>,
    /// Secrets: the whole match is replaced by its first capture group (the part to keep,
    /// e.g. `enable secret 5 `) followed by `<secret removed>`.
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// How `detect` recognises the platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Matched against the SSH server id, the login banner and the text before the prompt.
    #[serde(default)]
    pub banner: Vec<String>,
    /// A safe identification command (`show version`).
    #[serde(default)]
    pub command: Option<String>,
    /// The command's output matches one of these …
    #[serde(default)]
    pub output: Vec<String>,
    /// … and none of these.
    #[serde(default)]
    pub unless: Vec<String>,
}

/// A command polled for the detail pane, and the parser that reads its answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    pub command: String,
    pub parser: String,
}
