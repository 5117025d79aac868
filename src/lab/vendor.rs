//! Lab-side descriptions of the platforms the generic interpreter simulates
//! (`assets/lab/platforms/*.yaml`): what a device of that platform prints — prompts per
//! mode, its pager, its error texts, command outputs, the words of its config mode and how
//! its configuration is stored and shown.
//!
//! Deliberately apart from the client's platform files (`crate::platforms`): the lab
//! describes what a device prints, the client file how to recognise it. Taking prompt
//! patterns or error markers from the client would make the two agree by construction.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::config::{Blocks, Layout, Rules};
use super::platform::{Family, PlatformSpec};

macro_rules! files {
    ($($name:literal),* $(,)?) => {
        /// `(name, text)` of every file in `assets/lab/platforms/`.
        const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../assets/lab/platforms/", $name, ".yaml")))),*
        ];
    };
}

files!(
    "aruba_aoscx",
    "cisco_asa",
    "cisco_nxos",
    "cisco_xr",
    "dell_os10",
    "extreme_exos",
    "fortinet",
    "hp_procurve",
    "huawei_vrp",
    "huawei_vrpv8",
    "mikrotik_routeros",
    "nokia_sros",
    "nokia_sros_md",
    "paloalto_panos",
    "vyos",
);

/// One description file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// The lab platform (`scenario` files name it); equals the file name.
    pub name: String,
    /// The client's platform file a device of this kind is driven with (the inventory's
    /// `platform:`).
    pub driver: String,
    /// SSH identification string.
    pub server_id: String,
    /// SSH userauth banner.
    #[serde(default)]
    pub login_banner: Option<String>,
    /// Printed when a shell starts, before the first prompt.
    #[serde(default)]
    pub motd: String,
    /// Printed after the MOTD; the device waits for one key before its prompt (ProCurve).
    #[serde(default)]
    pub press_any_key: Option<String>,
    #[serde(default)]
    pub keyboard_interactive: bool,
    pub mgmt_interface: String,
    pub port_prefix: String,
    #[serde(default)]
    pub port_short: Option<String>,
    #[serde(default)]
    pub port_base: usize,
    /// Data ports the device has at least (more when its links need them).
    #[serde(default = "eight")]
    pub ports: usize,
    /// First three bytes of every MAC, `00:1e:7a`.
    pub oui: String,
    /// Serial number: the prefix, then digits and letters derived from the device name.
    pub serial: String,
    pub prompts: Prompts,
    #[serde(default)]
    pub privilege: Option<Privilege>,
    /// What the pager prints at a page break (`{from}`/`{to}`: line numbers); empty: never
    /// pages.
    #[serde(default)]
    pub pager: String,
    /// Commands that switch paging off for the session (exact, after expansion).
    #[serde(default)]
    pub paging_off: Vec<String>,
    #[serde(default)]
    pub paging_off_output: String,
    /// The login name may carry `+flags` (RouterOS `admin+ct`); any flag turns paging off.
    #[serde(default)]
    pub user_flags: bool,
    pub errors: Errors,
    /// Exec-mode commands and their outputs (templates, see `generic::fill`).
    pub commands: Vec<Command>,
    #[serde(default)]
    pub config: Option<ConfigMode>,
    /// Exec-mode lines that change the configuration at once (RouterOS `/system identity
    /// set`, EXOS `configure snmp sysName`, SR OS classic `configure system name`).
    #[serde(default)]
    pub immediate: Vec<String>,
    #[serde(default)]
    pub save: Option<Save>,
    pub running_config: RunningConfig,
    pub store: Store,
    /// Words that end the session.
    #[serde(default = "logout_words")]
    pub logout: Vec<String>,
    /// Commands must be typed in full (no IOS-style abbreviations).
    #[serde(default)]
    pub exact: bool,
    /// IOS XR prints the time above every `show` output …
    #[serde(default)]
    pub timestamp: bool,
    /// … until one of these (`terminal exec prompt no-timestamp`).
    #[serde(default)]
    pub timestamp_off: Vec<String>,
    /// Commands that stop the device asking questions (EXOS `disable cli prompting`).
    #[serde(default)]
    pub prompting_off: Vec<String>,
    /// The pager key that shows all the rest at once (RouterOS `D`); space shows a page,
    /// Enter a line, anything else stops.
    #[serde(default)]
    pub pager_dump: Option<String>,
    /// Where the facts in this file come from.
    pub sources: Vec<String>,
}

fn eight() -> usize {
    8
}

fn logout_words() -> Vec<String> {
    vec!["exit".into(), "logout".into(), "quit".into()]
}

/// Prompt templates: `{host}`, `{user}`, `{sub}` (section label), `{n}` (commands typed in
/// this session, from 1), `{unsaved:TEXT}` (TEXT while the configuration is not saved),
/// `{uncommitted:TEXT}` (TEXT while the candidate has changes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// Where a shell starts when the platform has a separate user mode.
    #[serde(default)]
    pub user: Option<String>,
    pub privileged: String,
    #[serde(default)]
    pub config: Option<String>,
    /// Inside a configuration section; default: `config`.
    #[serde(default)]
    pub section: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privilege {
    pub command: String,
    /// The device asks `Password: ` (the enable secret is the login password).
    #[serde(default)]
    pub password: bool,
    #[serde(default)]
    pub exit: Option<String>,
}

/// Error templates: `{caret}` (a line with `^` under the bad word), `{carets}` (`^` under
/// every character of it), `{word}`, `{line}`, `{col}` (1-based column of the bad word).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    pub unknown: String,
    #[serde(default)]
    pub incomplete: Option<String>,
    /// A line config mode does not accept; default: `unknown`.
    #[serde(default)]
    pub config: Option<String>,
    /// The fail-after-config fault; default: `% Error: {line}: …`.
    #[serde(default)]
    pub failed: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub command: String,
    pub output: String,
    /// Takes arguments after its words.
    #[serde(default)]
    pub args: bool,
    /// Only in privileged mode.
    #[serde(default)]
    pub privileged: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMode {
    /// Commands that enter config mode.
    #[serde(default)]
    pub enter: Vec<String>,
    /// A line starting with this enters config mode inside the section it names (FortiOS
    /// `config system global`).
    #[serde(default)]
    pub enter_section: Option<String>,
    #[serde(default)]
    pub enter_output: String,
    /// Leave config mode (IOS `end`, Huawei `return`).
    #[serde(default)]
    pub end: Vec<String>,
    /// One level up: out of a section, or out of config mode at the top.
    #[serde(default)]
    pub up: Vec<String>,
    /// Apply the candidate (none: lines apply as they are typed).
    #[serde(default)]
    pub commit: Vec<String>,
    /// Apply the candidate and leave.
    #[serde(default)]
    pub commit_exit: Vec<String>,
    #[serde(default)]
    pub commit_output: String,
    /// Throw the candidate away and stay.
    #[serde(default)]
    pub discard: Vec<String>,
    /// Throw the candidate away and leave (XR `abort`, VyOS `exit discard`).
    #[serde(default)]
    pub discard_exit: Vec<String>,
    #[serde(default)]
    pub discard_output: String,
    /// What leaving with uncommitted changes does.
    #[serde(default)]
    pub uncommitted: Option<Uncommitted>,
    /// First words config mode accepts (others are errors); `set` stores use `set`/`delete`.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Runs an exec command from config mode (`do `, `run `).
    #[serde(default)]
    pub run: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncommitted {
    /// Ask this; `yes`/`y` then does `yes_means`, `no`/`n` discards, anything else stays.
    #[serde(default)]
    pub ask: Option<String>,
    #[serde(default)]
    pub yes_means: YesMeans,
    /// Refuse to leave with this message (VyOS).
    #[serde(default)]
    pub refuse: Option<String>,
    /// Leave, discarding, after printing this.
    #[serde(default)]
    pub warn: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YesMeans {
    #[default]
    Commit,
    Discard,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Save {
    pub commands: Vec<String>,
    /// A question answered with `y`/`yes` before saving.
    #[serde(default)]
    pub confirm: Option<String>,
    pub output: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunningConfig {
    pub commands: Vec<String>,
    #[serde(default)]
    pub header: String,
    #[serde(default)]
    pub footer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// IOS-like lines with sections.
    Tree,
    /// Statements (`set a b c`) shown nested.
    Set,
    /// Independent command lines.
    Flat,
}

/// How the configuration is kept and shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    pub kind: StoreKind,
    /// `[prefix, label]`: lines that open a section, and the label its prompt shows.
    #[serde(default)]
    pub sections: Vec<[String; 2]>,
    /// Settings (line prefixes; `set` stores: leaf names) that hold one value.
    #[serde(default)]
    pub single: Vec<String>,
    #[serde(default = "negate_default")]
    pub negate: Vec<String>,
    #[serde(default = "one_space")]
    pub indent: String,
    #[serde(default)]
    pub close: String,
    #[serde(default)]
    pub top_indent: String,
    /// `set` stores: prefixes that add a statement, and that delete one.
    #[serde(default)]
    pub set: Vec<String>,
    #[serde(default)]
    pub delete: Vec<String>,
    /// `set` stores: prepended to every statement (MD-CLI keeps `configure`).
    #[serde(default)]
    pub root: String,
    /// `set` stores: how the nested form is punctuated.
    #[serde(default)]
    pub blocks: Option<BlocksFile>,
    /// Show the `set` form (`show configuration commands`) instead of the nested one.
    #[serde(default)]
    pub show_set: bool,
    /// The prefix of the line (or statement) that holds the hostname.
    pub hostname: String,
    /// Lines the device boots with (templates); an indented line goes into the section
    /// opened last.
    pub initial: Vec<String>,
    /// Per data port with a neighbour (`{port}`, `{peer}`, `{peer_port}`).
    #[serde(default)]
    pub linked_port: Vec<String>,
    /// Per data port without one.
    #[serde(default)]
    pub free_port: Vec<String>,
}

fn negate_default() -> Vec<String> {
    vec!["no ".into()]
}

fn one_space() -> String {
    " ".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocksFile {
    pub open: String,
    pub close: String,
    #[serde(default)]
    pub leaf_end: String,
    #[serde(default)]
    pub depth: usize,
}

/// A description with its tables in the shapes the config code takes.
#[derive(Debug)]
pub struct Compiled {
    pub v: Vendor,
    pub spec: PlatformSpec,
    pub rules: Rules,
    pub layout: Layout,
    pub blocks: Blocks,
    pub single: &'static [&'static str],
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn leak_all(v: &[String]) -> &'static [&'static str] {
    Box::leak(
        v.iter()
            .map(|s| leak(s))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn compile(v: Vendor) -> Compiled {
    let sections: &'static [(&'static str, &'static str)] = Box::leak(
        v.store
            .sections
            .iter()
            .map(|[p, l]| (leak(p), leak(l)))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let single = leak_all(&v.store.single);
    let rules = Rules {
        sections,
        single,
        negate: leak_all(&v.store.negate),
    };
    let layout = Layout {
        indent: leak(&v.store.indent),
        close: leak(&v.store.close),
        top_indent: leak(&v.store.top_indent),
    };
    let blocks = match &v.store.blocks {
        Some(b) => Blocks {
            open: leak(&b.open),
            close: leak(&b.close),
            leaf_end: leak(&b.leaf_end),
            depth: b.depth,
        },
        None => super::config::JUNOS_BLOCKS,
    };
    let spec = PlatformSpec {
        name: leak(&v.driver),
        pager: leak(&v.pager),
        family: Family::Generic,
        server_id: leak(&v.server_id),
        login_banner: v.login_banner.as_deref().map(leak),
        motd: leak(&v.motd),
        keyboard_interactive: v.keyboard_interactive,
        mgmt_interface: leak(&v.mgmt_interface),
        port_prefix: leak(&v.port_prefix),
        port_short: leak(v.port_short.as_deref().unwrap_or(&v.port_prefix)),
        port_base: v.port_base,
        press_any_key: v.press_any_key.as_deref().map(leak),
        pager_dump: v.pager_dump.as_deref().and_then(|k| k.bytes().next()),
    };
    Compiled {
        spec,
        v,
        rules,
        layout,
        blocks,
        single,
    }
}

/// Every description, parsed once (they are compiled in: a broken one is a bug, caught by
/// the tests below).
fn all() -> &'static HashMap<&'static str, Compiled> {
    static ALL: OnceLock<HashMap<&'static str, Compiled>> = OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, text)| {
                let v: Vendor = serde_yaml::from_str(text)
                    .unwrap_or_else(|e| panic!("assets/lab/platforms/{name}.yaml: {e}"));
                (*name, compile(v))
            })
            .collect()
    })
}

/// The description of lab platform `name`.
pub fn get(name: &str) -> &'static Compiled {
    all()
        .get(name)
        .unwrap_or_else(|| panic!("no lab description for {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_description_loads_names_itself_and_says_where_it_comes_from() {
        for (name, _) in FILES {
            let c = get(name);
            assert_eq!(c.v.name, *name);
            assert!(!c.v.sources.is_empty(), "{name}: no sources");
            assert!(!c.v.commands.is_empty(), "{name}");
            assert!(!c.v.errors.unknown.is_empty(), "{name}");
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/lab/platforms");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".yaml").map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed, "list every description in files!()");
    }
}
