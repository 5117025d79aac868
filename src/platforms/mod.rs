//! Platform drivers as data: how to talk to each platform (exec channel or PTY shell), its
//! prompts and modes, privilege, session setup, pagers, config mode and commit, save, error
//! markers, the running-config command, detection and polls. The built-ins are
//! `assets/platforms/*.yaml`, embedded in the binary; the user's own files in
//! `$XDG_CONFIG_HOME/fleetdash/platforms/` add platforms or override built-ins. The SSH client
//! reads them here, and the lab's simulated devices are built on the same files.

mod builtin;
mod check;
pub mod detect;
pub mod error;
mod load;
pub mod neighbors;
mod poll;
mod registry;
pub mod spec;

use regex::Regex;

pub use check::{check_platforms, load_inventory, load_inventory_as};
pub use error::{PlatformError, PlatformProblemKind};
pub use poll::{PARSERS, PollSpec, poll_specs};
pub use registry::{Registry, install, install_user_platforms, profile, registry, user_dir};
pub use spec::{ConfigMode, Transport};

/// The `platform:` value that asks fleetdash to find the platform itself.
pub const AUTODETECT: &str = "autodetect";

/// One platform's driver: a platform file, checked and compiled.
#[derive(Debug)]
pub struct Profile {
    /// netmiko-style name as in the inventory.
    pub name: String,
    pub description: String,
    /// The file it came from (`built-in assets/platforms/cisco_ios.yaml`, or a path).
    pub source: String,
    pub transport: Transport,
    /// Matches every prompt of the platform, in any mode.
    pub prompt: Regex,
    pub modes: Modes,
    pub privilege: Option<Privilege>,
    /// Sent once per shell after the prompt is found (paging off, terminal width).
    pub setup: Vec<String>,
    pub pagers: Vec<Answer>,
    /// Answered before the first prompt ("Press any key to continue").
    pub login_prompts: Vec<Answer>,
    /// Appended to the login name when authenticating (MikroTik `+ct511w4098h`).
    pub username_suffix: Option<String>,
    pub config: Option<ConfigMode>,
    pub save: Option<Save>,
    /// An output line matching one of these means the device rejected the command.
    pub errors: Vec<Regex>,
    /// Output lines removed from every answer (`{master:0}`).
    pub strip: Vec<Regex>,
    pub running_config: Option<String>,
    /// How a fetched configuration is cleaned before it is stored.
    pub backup: Scrub,
    pub logout: Option<String>,
    pub detect: Option<Detect>,
    pub polls: Vec<PollSpec>,
    /// LLDP/CDP neighbour commands and their parsers (the cabling check).
    pub neighbors: Vec<NeighborSpec>,
}

/// A neighbour-table command and the parser of its answer.
#[derive(Debug)]
pub struct NeighborSpec {
    pub command: String,
    pub parse: neighbors::NeighborParser,
}

/// Patterns that tell the prompt's modes apart.
#[derive(Debug, Default)]
pub struct Modes {
    pub user: Option<Regex>,
    pub privileged: Option<Regex>,
    pub config: Option<Regex>,
    /// The line printed above every prompt (Nokia MD-CLI `[/]`), part of the prompt.
    pub above: Option<Regex>,
}

/// The CLI mode a prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    User,
    Privileged,
    Config,
}

#[derive(Debug)]
pub struct Privilege {
    pub command: String,
    /// Answered with the login name (HP ProCurve asks before the password).
    pub username_prompt: Option<Regex>,
    pub password_prompt: Option<Regex>,
}

/// A prompt the client answers by itself, and what it sends.
#[derive(Debug)]
pub struct Answer {
    pub pattern: Regex,
    pub answer: String,
}

#[derive(Debug)]
pub struct Save {
    pub command: String,
    pub confirm: Option<Answer>,
    /// Typed in config mode after the commit (VyOS), not after leaving.
    pub in_config: bool,
}

/// Volatile lines to drop and secrets to mask in a configuration backup.
#[derive(Debug, Default)]
pub struct Scrub {
    pub volatile: Vec<Regex>,
    pub secrets: Vec<Regex>,
}

/// What replaces a secret in a stored configuration.
pub const SECRET_REMOVED: &str = "<secret removed>";

impl Scrub {
    /// `config` without its volatile lines and, unless `keep_secrets`, with every secret
    /// replaced by [`SECRET_REMOVED`] (the first capture group, the part before it, stays).
    pub fn clean(&self, config: &str, keep_secrets: bool) -> String {
        let mut out = String::with_capacity(config.len());
        for line in config.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\r', '\n']);
            if self.volatile.iter().any(|re| re.is_match(bare)) {
                continue;
            }
            if keep_secrets {
                out.push_str(line);
                continue;
            }
            let mut masked = std::borrow::Cow::Borrowed(bare);
            for re in &self.secrets {
                if re.is_match(&masked) {
                    let replaced = re
                        .replace_all(&masked, |caps: &regex::Captures<'_>| {
                            let keep = caps.get(1).map_or("", |m| m.as_str());
                            format!("{keep}{SECRET_REMOVED}")
                        })
                        .into_owned();
                    masked = std::borrow::Cow::Owned(replaced);
                }
            }
            out.push_str(&masked);
            out.push_str(&line[bare.len()..]);
        }
        out
    }
}

#[derive(Debug)]
pub struct Detect {
    pub banner: Vec<Regex>,
    pub command: Option<String>,
    pub output: Vec<Regex>,
    pub unless: Vec<Regex>,
}

impl Profile {
    /// The compiled prompt pattern.
    pub fn prompt_regex(&self) -> &Regex {
        &self.prompt
    }

    /// Whether commands go through a PTY shell from the start.
    pub fn uses_shell(&self) -> bool {
        self.transport == Transport::Shell
    }

    /// The first output line that matches an error marker, trimmed.
    pub fn find_error(&self, text: &str) -> Option<String> {
        if self.errors.is_empty() {
            return None;
        }
        text.lines()
            .find(|l| self.errors.iter().any(|m| m.is_match(l)))
            .map(|l| l.trim().to_string())
    }

    /// `text` without the lines the platform prints around answers (`{master:0}`).
    pub fn strip_noise(&self, text: &str) -> String {
        if self.strip.is_empty() {
            return text.to_string();
        }
        text.split_inclusive('\n')
            .filter(|l| {
                !self
                    .strip
                    .iter()
                    .any(|re| re.is_match(l.trim_end_matches(['\r', '\n'])))
            })
            .collect()
    }

    /// The pager answer for a last line that is a pager prompt.
    pub fn pager_answer(&self, line: &str) -> Option<&str> {
        self.pagers
            .iter()
            .find(|p| p.pattern.is_match(line))
            .map(|p| p.answer.as_str())
    }

    /// The stable part of a prompt line: its `host` group when the pattern has one (see
    /// [`spec`]), `None` when the line is no prompt of this platform or has no such group.
    pub fn prompt_host<'l>(&self, line: &'l str) -> Option<&'l str> {
        self.prompt.captures(line)?.name("host").map(|m| m.as_str())
    }

    /// The mode a prompt shows. `prompt` is the prompt line, preceded by the line above it
    /// and `\n` on platforms with `prompt.above`. Config wins over privileged over user.
    pub fn mode(&self, prompt: &str) -> Option<Mode> {
        let is = |re: &Option<Regex>| re.as_ref().is_some_and(|re| re.is_match(prompt));
        if is(&self.modes.config) {
            Some(Mode::Config)
        } else if is(&self.modes.privileged) {
            Some(Mode::Privileged)
        } else if is(&self.modes.user) {
            Some(Mode::User)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::safety;

    #[test]
    fn every_builtin_loads_and_unknown_names_get_the_generic_shell() {
        let r = Registry::builtin();
        assert!(r.names().count() >= 6);
        for p in r.all() {
            assert!(std::ptr::eq(r.get(&p.name).unwrap(), p));
            assert!(
                p.source.ends_with(&format!("{}.yaml", p.name)),
                "{}",
                p.source
            );
        }
        assert_eq!(profile("linux").transport, Transport::ExecOrShell);
        assert_eq!(profile("cisco_ios").transport, Transport::Shell);
        assert_eq!(profile("vendor_x").name, "generic");
        assert_eq!(profile("vendor_x").transport, Transport::Shell);
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
        assert!(junos.is_match("junos0>"));
    }

    #[test]
    fn error_markers_find_the_line_and_junos_ignores_case() {
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
        assert!(junos.find_error("  ^\nUnknown command.\n").is_some());
    }

    #[test]
    fn junos_noise_lines_are_stripped() {
        let junos = profile("juniper_junos");
        assert_eq!(
            junos.strip_noise("Hostname: r1\n\n{master:0}\n"),
            "Hostname: r1\n\n"
        );
        assert_eq!(
            profile("cisco_ios").strip_noise("{master:0}\n"),
            "{master:0}\n"
        );
    }

    #[test]
    fn backups_drop_volatile_lines_and_mask_secrets() {
        let ios = &profile("cisco_ios").backup;
        let config = "Building configuration...\n\nCurrent configuration : 1234 bytes\n\
                      ! Last configuration change at 12:00:01 UTC Mon Dec 1 2026 by admin\n\
                      hostname r1\n\
                      enable secret 5 $1$abcd$XYZ\n\
                      username admin privilege 15 secret 9 $9$Ab$cd\n\
                      snmp-server community s3cret RO\n\
                      line vty 0 4\n password 7 0822455D0A16\n\
                      ntp clock-period 36028797\n";
        assert_eq!(
            ios.clean(config, false),
            "\nhostname r1\n\
             enable secret 5 <secret removed>\n\
             username admin privilege 15 secret 9 <secret removed>\n\
             snmp-server community <secret removed> RO\n\
             line vty 0 4\n password 7 <secret removed>\n"
        );
        assert!(ios.clean(config, true).contains("s3cret"));
        let junos = &profile("juniper_junos").backup;
        let set = "set system root-authentication encrypted-password \"$6$x.y$zz\"\n\
                   set snmp community public authorization read-only\n\
                   set protocols ospf area 0 interface ge-0/0/0 authentication md5 1 key \"$9$abc\"\n";
        let clean = junos.clean(set, false);
        assert!(
            !clean.contains("$6$") && !clean.contains("$9$") && !clean.contains("public"),
            "{clean}"
        );
        assert_eq!(clean.matches(SECRET_REMOVED).count(), 3, "{clean}");
    }

    #[test]
    fn every_vendor_masks_its_secret_forms() {
        // (platform, a configuration line as the vendor prints it, the secret in it)
        let cases = [
            (
                "cisco_nxos",
                "username admin password 5 $5$abc$def  role network-admin",
                "$5$abc$def",
            ),
            (
                "cisco_nxos",
                "snmp-server community pr1vate group network-operator",
                "pr1vate",
            ),
            ("cisco_xr", " secret 10 $6$salt$hash", "$6$salt$hash"),
            (
                "cisco_asa",
                "enable password 8Ry2YjIyt7RRXU24 encrypted",
                "8Ry2YjIyt7RRXU24",
            ),
            ("cisco_asa", " ikev1 pre-shared-key s3cr3tpsk", "s3cr3tpsk"),
            (
                "aruba_aoscx",
                "user admin group administrators password ciphertext AQBapX",
                "AQBapX",
            ),
            (
                "dell_os10",
                "username admin password $6$q9QBeYjZ$jfxzVqGhkxX3 role sysadmin",
                "$6$q9QBeYjZ$jfxzVqGhkxX3",
            ),
            (
                "extreme_exos",
                "configure account admin encrypted \"$5$Ab$Cd\"",
                "$5$Ab$Cd",
            ),
            (
                "fortinet",
                "        set password ENC SH2nlGiWy4q",
                "SH2nlGiWy4q",
            ),
            (
                "hp_procurve",
                "password manager user-name admin sha1 5baa61e4c9b9",
                "5baa61e4c9b9",
            ),
            (
                "huawei_vrp",
                " local-user admin password irreversible-cipher $1a$X$Y",
                "$1a$X$Y",
            ),
            (
                "huawei_vrp",
                " snmp-agent community read cipher %^%#abc%^%#",
                "%^%#abc%^%#",
            ),
            (
                "huawei_vrpv8",
                " local-user admin password irreversible-cipher $1c$Q$R",
                "$1c$Q$R",
            ),
            (
                "nokia_sros",
                "            password \"hashed\" hash2",
                "hashed",
            ),
            (
                "nokia_sros_md",
                "            password \"$2y$10$abc\"",
                "$2y$10$abc",
            ),
            (
                "mikrotik_routeros",
                "add name=admin password=hunter2 group=full",
                "hunter2",
            ),
            ("paloalto_panos", "<phash>$1$xyz$abc</phash>", "$1$xyz$abc"),
            (
                "vyos",
                "set system login user vyos authentication encrypted-password '$6$x$y'",
                "$6$x$y",
            ),
            (
                "vyos",
                "set service snmp community public authorization ro",
                "public",
            ),
        ];
        for (platform, line, secret) in cases {
            let p = profile(platform);
            assert_eq!(p.name, platform);
            let clean = p.backup.clean(&format!("{line}\n"), false);
            assert!(!clean.contains(secret), "{platform}: {clean}");
            assert!(clean.contains(SECRET_REMOVED), "{platform}: {clean}");
        }
    }

    /// Every built-in platform has a family whose rules fit its CLI: an appliance is never
    /// judged as a POSIX shell, where its destructive verbs mean nothing.
    #[test]
    fn every_builtin_platform_has_a_fitting_family_and_its_destructive_verbs_ask() {
        for p in Registry::builtin().all() {
            let family = safety::Family::of(&p.name);
            let shell_like = matches!(p.name.as_str(), "linux" | "generic");
            assert_eq!(
                family == safety::Family::Shell,
                shell_like,
                "{}: {family:?}",
                p.name
            );
        }
        let cases = [
            ("fortinet", "execute factoryreset"),
            ("fortinet", "exec reboot"),
            ("fortinet", "config system interface"),
            ("fortinet", "diagnose sys kill 11 1"),
            ("paloalto_panos", "request restart system"),
            ("paloalto_panos", "request system private-data-reset"),
            ("paloalto_panos", "configure"),
            ("vyos", "reboot now"),
            ("vyos", "configure"),
            ("extreme_exos", "unconfigure switch all"),
        ];
        for (platform, command) in cases {
            let family = safety::Family::of(platform);
            assert!(
                safety::danger(command, family).is_some(),
                "{platform}: {command}"
            );
            assert!(
                safety::read_only(command, family).is_err(),
                "{platform}: {command}"
            );
        }
        assert!(
            safety::read_only("show system info", safety::Family::of("paloalto_panos")).is_ok()
        );
    }

    #[test]
    fn the_generic_driver_answers_every_builtin_pager() {
        // `detect` logs in as generic: a paged identification answer must still end.
        let generic = profile("generic");
        for line in [
            " --More-- ",
            "--more--",
            "---(more)---",
            "---(more 42%)---",
            "lines 1-20 ",
            "Press <SPACE> to continue or <Q> to quit:",
        ] {
            assert_eq!(generic.pager_answer(line), Some(" "), "{line:?}");
        }
        assert_eq!(generic.pager_answer("interface Gi0/1 -- uplink more"), None);
    }

    fn load_err(text: &str) -> PlatformError {
        load::profile(text, "x_os", "x_os.yaml").unwrap_err()
    }

    #[test]
    fn bad_files_are_located_with_a_fix() {
        let base = "name: x_os\ndescription: X\ntransport: shell\nprompt:\n  pattern: '#$'\n";
        assert!(load::profile(base, "x_os", "x_os.yaml").is_ok());
        let e = load_err(&format!("{base}promt: 1\n"));
        assert_eq!(e.problems()[0].kind, PlatformProblemKind::UnknownField);
        assert!(
            e.to_string()
                .starts_with("x_os.yaml:6:1: unknown field `promt`"),
            "{e}"
        );
        assert!(e.to_string().contains("did you mean `prompt`?"), "{e}");
        let e = load_err(&base.replace("'#$'", "'(#'"));
        assert!(e.has(PlatformProblemKind::BadRegex), "{e}");
        assert!(e.to_string().starts_with("x_os.yaml:5:12:"), "{e}");
        let e = load_err(&format!(
            "{base}polls:\n  - {{command: show ver, parser: ios_versoin}}\n"
        ));
        assert!(e.to_string().contains("did you mean `ios_version`?"), "{e}");
        let e = load::profile(base, "y_os", "y_os.yaml").unwrap_err();
        assert!(e.has(PlatformProblemKind::NameMismatch), "{e}");
        let e = load_err("name: x_os\n");
        assert!(e.has(PlatformProblemKind::MissingField), "{e}");
        let e = load_err(&base.replace("shell", "shel"));
        assert!(e.to_string().contains("shel"), "{e}");
    }

    #[test]
    fn new_format_fields_are_checked() {
        let base = "name: x_os\ndescription: X\ntransport: shell\nprompt:\n  pattern: '#$'\n";
        for bad in [
            "'+c t'",
            "'a@b'",
            "''",
            "'+ct\\u0007'",
            &format!("'{}'", "+".repeat(33)),
        ] {
            let e = load_err(&format!("{base}username_suffix: {bad}\n"));
            assert!(e.has(PlatformProblemKind::InvalidValue), "{bad}: {e}");
            assert!(e.to_string().starts_with("x_os.yaml:6:"), "{e}");
        }
        let ok = format!("{base}username_suffix: '+ct511w4098h'\n");
        assert!(load::profile(&ok, "x_os", "x_os.yaml").is_ok());
        let e = load_err(&format!("{base}  above: '[/'\n"));
        assert!(e.has(PlatformProblemKind::BadRegex), "{e}");
        let e = load_err(&format!("{base}save:\n  command: save\n  in_confg: true\n"));
        assert!(e.to_string().contains("did you mean `in_config`?"), "{e}");
    }

    #[test]
    fn modes_hosts_and_two_line_prompts() {
        let md = profile("nokia_sros_md");
        assert_eq!(md.mode("[/]\nA:admin@r1#"), Some(Mode::Privileged));
        assert_eq!(
            md.mode("*(pr)[/configure]\nA:admin@r1#"),
            Some(Mode::Config)
        );
        assert_eq!(md.mode("[pr:/configure]\nA:admin@r1#"), Some(Mode::Config));
        assert!(!profile("nokia_sros").prompt_regex().is_match("A:admin@r1#"));
        let exos = profile("extreme_exos");
        assert_eq!(exos.prompt_host("* sw1.lab.12 # "), Some("sw1.lab"));
        assert_eq!(exos.prompt_host("X440G2-48p.1 # "), Some("X440G2-48p"));
        let ros = profile("mikrotik_routeros");
        assert_eq!(
            ros.prompt_host("[admin@r 1] /ip address> "),
            Some("admin@r 1")
        );
        assert_eq!(ros.username_suffix.as_deref(), Some("+ct511w4098h"));
        let vrp = profile("huawei_vrp");
        assert_eq!(vrp.mode("<r1>"), Some(Mode::Privileged));
        assert_eq!(vrp.mode("[r1-GigabitEthernet0/0/1]"), Some(Mode::Config));
        // A V8 candidate prompt is not V5's config mode: never left uncommitted.
        assert_eq!(vrp.mode("[~r1]"), None);
        assert_eq!(profile("huawei_vrpv8").mode("[*r1]"), Some(Mode::Config));
        assert!(profile("vyos").save.as_ref().unwrap().in_config);
        // The two SR OS CLIs print the same `show version`; MD-CLI's context line follows.
        use detect::{Detection, Evidence, choose};
        let seen = |out: &str| Evidence {
            outputs: vec![("show version".into(), Some(out.into()))],
            ..Evidence::default()
        };
        let r = Registry::builtin();
        let v = "TiMOS-B-20.10.R1 both/x86_64 Nokia 7750 SR Copyright (c) 2000-2020 Nokia.\n";
        assert_eq!(choose(&r, &seen(v)), Detection::Found("nokia_sros".into()));
        let md = format!("{v}\n[/]\n");
        assert_eq!(
            choose(&r, &seen(&md)),
            Detection::Found("nokia_sros_md".into())
        );
        assert!(
            profile("hp_procurve")
                .privilege
                .as_ref()
                .unwrap()
                .username_prompt
                .is_some()
        );
    }

    #[test]
    fn user_files_add_and_override() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cisco_ios.yaml"),
            "name: cisco_ios\ndescription: Mine\ntransport: shell\nprompt:\n  pattern: '#$'\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("acme_os.yaml"),
            "name: acme_os\ndescription: Acme\ntransport: exec\nprompt:\n  pattern: '>$'\n",
        )
        .unwrap();
        let r = Registry::with_user_dir(dir.path()).unwrap();
        assert_eq!(r.get("cisco_ios").unwrap().description, "Mine");
        assert_eq!(r.get("acme_os").unwrap().transport, Transport::Exec);
        assert!(r.get("arista_eos").is_some());
        std::fs::write(dir.path().join("bad.yaml"), "name: bad\n").unwrap();
        let e = Registry::with_user_dir(dir.path()).unwrap_err();
        assert!(e.to_string().contains("bad.yaml:"), "{e}");
        assert!(Registry::with_user_dir(&dir.path().join("none")).is_ok());
    }
}
