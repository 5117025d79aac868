//! The per-session command interpreter: modes, prompts, abbreviations, `% Invalid input`,
//! config mode that changes the device's configuration, pipes, and the command-level
//! faults. Pure with respect to I/O: the shell/exec layer does timing, paging and bytes.

use std::sync::Arc;
use std::time::SystemTime;

use super::config::{CONFIG_KEYWORDS, section_mode};
use super::device::{CommandRecord, DeviceConfig, DeviceShared, Via};
use super::outputs;
use super::platform::Family;
use crate::inventory::glob;

/// Where the session is in the device's CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// IOS/EOS `>`.
    User,
    /// IOS/EOS `#`.
    Privileged,
    /// IOS/EOS config mode; `section` is the open section's header line.
    Config {
        section: Option<String>,
        sub: Option<&'static str>,
    },
    /// Junos `>`.
    Operational,
    /// Junos `#` (`[edit]`).
    Configuration,
    /// A Linux shell.
    Shell,
}

impl Mode {
    pub fn label(&self) -> &'static str {
        match self {
            Mode::User => "user",
            Mode::Privileged => "privileged",
            Mode::Config { sub: None, .. } => "config",
            Mode::Config { sub: Some(s), .. } => s,
            Mode::Operational => "operational",
            Mode::Configuration => "configuration",
            Mode::Shell => "shell",
        }
    }
}

/// What a command produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Text(String),
    /// `n` bytes generated on the fly (the huge-output fault).
    Huge(u64),
}

/// The result of one input line.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub output: Output,
    /// Exit status for exec channels (0 ok, 1 CLI error, 127 unknown Linux command).
    pub status: u32,
    /// The session ends after this output (`exit`, `logout`).
    pub close: bool,
    /// The drop-mid-command fault: the connection dies part way through the output.
    pub drop: bool,
    /// `| no-more`: never page this output.
    pub no_more: bool,
}

impl Reply {
    fn text(s: impl Into<String>) -> Reply {
        Reply {
            output: Output::Text(s.into()),
            status: 0,
            close: false,
            drop: false,
            no_more: false,
        }
    }

    fn error(s: impl Into<String>) -> Reply {
        Reply {
            status: 1,
            ..Reply::text(s)
        }
    }

    fn empty() -> Reply {
        Reply::text("")
    }
}

/// One exec command of a platform: its words, whether it takes arguments, and the least
/// privileged mode that has it.
struct Entry {
    words: &'static [&'static str],
    args: bool,
    privileged: bool,
}

const fn e(words: &'static [&'static str], args: bool, privileged: bool) -> Entry {
    Entry {
        words,
        args,
        privileged,
    }
}

const IOS_EXEC: &[Entry] = &[
    e(&["show", "version"], false, false),
    e(&["show", "ip", "interface", "brief"], false, false),
    e(&["show", "running-config"], true, true),
    e(&["show", "lldp", "neighbors"], true, false),
    e(&["show", "clock"], false, false),
    e(&["show", "tech-support"], false, true),
    e(&["terminal", "length"], true, false),
    e(&["terminal", "width"], true, false),
    e(&["write", "memory"], false, true),
    e(&["copy", "running-config", "startup-config"], false, true),
    e(&["enable"], false, false),
    e(&["disable"], false, true),
    e(&["configure", "terminal"], false, true),
    e(&["ping"], true, false),
    e(&["exit"], false, false),
    e(&["logout"], false, false),
    e(&["quit"], false, false),
];

const JUNOS_OP: &[Entry] = &[
    e(&["show", "version"], false, false),
    e(&["show", "interfaces", "terse"], false, false),
    e(&["show", "lldp", "neighbors"], false, false),
    e(&["show", "system", "uptime"], false, false),
    e(&["show", "configuration"], true, false),
    e(&["show", "tech-support"], false, false),
    e(&["set", "cli", "screen-length"], true, false),
    e(&["configure"], true, false),
    e(&["exit"], false, false),
    e(&["quit"], false, false),
];

const LINUX: &[Entry] = &[
    e(&["uname"], true, false),
    e(&["uptime"], false, false),
    e(&["hostname"], false, false),
    e(&["whoami"], false, false),
    e(&["cat", "/etc/os-release"], false, false),
    e(&["exit"], false, false),
    e(&["logout"], false, false),
];

enum Lookup {
    Found(&'static Entry, Vec<String>),
    /// Index of the first word that matches nothing.
    Invalid(usize),
    Incomplete,
    Ambiguous,
}

/// Matches (possibly abbreviated) words against a command table.
fn lookup(table: &'static [Entry], words: &[&str], privileged: bool) -> Lookup {
    let usable = || table.iter().filter(|en| privileged || !en.privileged);
    let first = words[0].to_ascii_lowercase();
    let firsts: std::collections::BTreeSet<&str> = usable()
        .filter(|en| en.words[0].starts_with(&first))
        .map(|en| en.words[0])
        .collect();
    if firsts.len() > 1 && !firsts.contains(first.as_str()) {
        return Lookup::Ambiguous;
    }
    let mut best_bad = 0;
    let mut incomplete = false;
    for en in usable() {
        let mut ok = 0;
        while ok < words.len()
            && ok < en.words.len()
            && en.words[ok].starts_with(&words[ok].to_ascii_lowercase())
        {
            ok += 1;
        }
        if ok == en.words.len() && (en.args || ok == words.len()) {
            return Lookup::Found(en, words[ok..].iter().map(|w| w.to_string()).collect());
        }
        if ok == words.len() {
            incomplete = true;
        }
        best_bad = best_bad.max(ok);
    }
    if incomplete {
        Lookup::Incomplete
    } else {
        Lookup::Invalid(best_bad)
    }
}

/// A command line split from its output pipes (`| include X`, `| no-more`…).
fn split_pipes(line: &str) -> (&str, Vec<&str>) {
    let mut parts = line.split('|');
    let cmd = parts.next().unwrap_or("").trim_end();
    (cmd, parts.map(str::trim).collect())
}

/// One interactive or exec session's CLI state.
pub struct Cli {
    dev: Arc<DeviceShared>,
    session: u64,
    via: Via,
    user: String,
    enable_password: String,
    pub mode: Mode,
    /// Lines per page; `None` when paging is off.
    pub page: Option<usize>,
    awaiting_password: bool,
    bad_passwords: u32,
}

impl Cli {
    /// `rows` is the terminal height (PTY sessions page by default; exec never pages).
    pub fn new(
        dev: Arc<DeviceShared>,
        session: u64,
        via: Via,
        user: &str,
        enable_password: &str,
        rows: Option<usize>,
    ) -> Cli {
        let family = dev.platform.family();
        let mode = match (family, via) {
            (Family::Ios, Via::Shell) | (Family::Eos, Via::Shell) => Mode::User,
            (Family::Ios, Via::Exec) | (Family::Eos, Via::Exec) => Mode::Privileged,
            (Family::Junos, _) => Mode::Operational,
            (Family::Linux, _) => Mode::Shell,
        };
        let pages = dev.platform.spec().pager.is_some() && via == Via::Shell;
        Cli {
            dev,
            session,
            via,
            user: user.to_string(),
            enable_password: enable_password.to_string(),
            mode,
            page: if pages {
                Some(rows.unwrap_or(24).max(2))
            } else {
                None
            },
            awaiting_password: false,
            bad_passwords: 0,
        }
    }

    /// Whether typed characters should be echoed (not while a password is asked).
    pub fn echo(&self) -> bool {
        !self.awaiting_password
    }

    pub fn prompt(&self) -> String {
        if self.awaiting_password {
            return "Password: ".into();
        }
        let h = self.dev.hostname();
        let u = &self.user;
        match &self.mode {
            Mode::User => format!("{h}>"),
            Mode::Privileged => format!("{h}#"),
            Mode::Config { sub: None, .. } => format!("{h}(config)#"),
            Mode::Config { sub: Some(s), .. } => format!("{h}({s})#"),
            Mode::Operational => format!("{u}@{h}> "),
            Mode::Configuration => format!("\n[edit]\n{u}@{h}# "),
            Mode::Shell => format!("{u}@{h}:~$ "),
        }
    }

    /// Runs one input line. `prompt_width` places the `^` under the bad word.
    pub fn run(&mut self, line: &str, prompt_width: usize) -> Reply {
        if self.awaiting_password {
            return self.enable_password_entered(line);
        }
        let text = line.trim();
        if text.is_empty() {
            return Reply::empty();
        }
        self.dev.record(CommandRecord {
            session: self.session,
            via: self.via,
            mode: self.mode.label().to_string(),
            text: text.to_string(),
            at: SystemTime::now(),
        });
        let (cmd, pipes) = split_pipes(text);
        let mut reply = match self.dev.platform.family() {
            Family::Ios | Family::Eos => self.run_ios(cmd, text, prompt_width),
            Family::Junos => self.run_junos(cmd, &pipes, text, prompt_width),
            Family::Linux => self.run_linux(text),
        };
        self.apply_faults(text, &mut reply);
        if let Output::Text(t) = &mut reply.output {
            apply_pipes(t, &pipes);
        }
        reply.no_more |= pipes.iter().any(|p| p.starts_with("no-more"));
        reply
    }

    /// The command as the device understood it (abbreviations expanded), for fault patterns.
    fn expanded(&self, text: &str) -> String {
        let table = match self.dev.platform.family() {
            Family::Ios | Family::Eos => IOS_EXEC,
            Family::Junos => JUNOS_OP,
            Family::Linux => LINUX,
        };
        let (cmd, _) = split_pipes(text);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return String::new();
        }
        match lookup(table, &words, true) {
            Lookup::Found(en, args) => {
                let mut w: Vec<String> = en.words.iter().map(|s| s.to_string()).collect();
                w.extend(args);
                w.join(" ")
            }
            _ => words.join(" "),
        }
    }

    fn apply_faults(&self, text: &str, reply: &mut Reply) {
        let f = &self.dev.faults;
        let cmd = self.expanded(text);
        if let Some(h) = &f.huge_output
            && h.command == cmd
        {
            reply.output = Output::Huge(h.bytes);
        }
        if f.drop_mid_command.iter().any(|p| glob::matches(p, &cmd)) {
            reply.drop = true;
        }
        if self.dev.config_changed() && f.fail_after_config.iter().any(|p| glob::matches(p, &cmd)) {
            let msg = match self.dev.platform.family() {
                Family::Junos => format!("error: {cmd}: subsystem not responding\n"),
                Family::Linux => format!("-bash: {cmd}: Input/output error\n"),
                _ => format!("% Error: {cmd}: process not responding after configuration change\n"),
            };
            *reply = Reply::error(msg);
        }
    }

    fn enable_password_entered(&mut self, line: &str) -> Reply {
        self.awaiting_password = false;
        if line.trim_end_matches(['\r', '\n']) == self.enable_password {
            self.mode = Mode::Privileged;
            return Reply::empty();
        }
        self.bad_passwords += 1;
        if self.bad_passwords >= 3 {
            self.bad_passwords = 0;
            return Reply::error("% Bad secrets\n\n");
        }
        self.awaiting_password = true;
        Reply::error("% Access denied\n\n")
    }

    fn caret(&self, width: usize, text: &str, bad_word: usize) -> String {
        let offset = text
            .split_whitespace()
            .nth(bad_word)
            .map(|w| w.as_ptr() as usize - text.as_ptr() as usize)
            .unwrap_or(text.len());
        format!("{}^\n", " ".repeat(width + offset))
    }

    fn invalid(&self, text: &str, width: usize, bad_word: usize) -> Reply {
        match self.dev.platform.family() {
            Family::Eos => Reply::error("% Invalid input\n"),
            Family::Junos => Reply::error(format!(
                "{}syntax error, expecting <command>.\n",
                self.caret(width, text, bad_word)
            )),
            _ => Reply::error(format!(
                "{}% Invalid input detected at '^' marker.\n\n",
                self.caret(width, text, bad_word)
            )),
        }
    }

    fn run_ios(&mut self, cmd: &str, text: &str, width: usize) -> Reply {
        if let Mode::Config { section, .. } = &self.mode {
            let section = section.clone();
            return self.run_ios_config(cmd, section, text, width);
        }
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let privileged = self.mode == Mode::Privileged;
        let eos = self.dev.platform.family() == Family::Eos;
        // EOS accepts a bare `configure`.
        if eos && privileged && words == ["configure"] {
            return self.enter_config();
        }
        let (entry, args) = match lookup(IOS_EXEC, &words, privileged) {
            Lookup::Found(en, args) => (en, args),
            Lookup::Invalid(i) => return self.invalid(text, width, i),
            Lookup::Incomplete => return Reply::error("% Incomplete command.\n\n"),
            Lookup::Ambiguous => {
                return Reply::error(format!("% Ambiguous command:  \"{cmd}\"\n"));
            }
        };
        match entry.words {
            ["show", "version"] => Reply::text(outputs::show_version(&self.dev)),
            ["show", "ip", "interface", "brief"] => {
                Reply::text(outputs::interface_brief(&self.dev))
            }
            ["show", "running-config"] => {
                let body = match &*self.dev.config() {
                    DeviceConfig::Tree(t) => t.render(),
                    _ => String::new(),
                };
                Reply::text(outputs::running_config(&self.dev, &body))
            }
            ["show", "lldp", "neighbors"] => Reply::text(outputs::lldp_neighbors(&self.dev)),
            ["show", "clock"] => Reply::text(format!("*{}\n", clock())),
            ["show", "tech-support"] => Reply::text(format!(
                "------------------ show version ------------------\n\n{}",
                outputs::show_version(&self.dev)
            )),
            ["terminal", "length"] => match args.first().and_then(|a| a.parse::<usize>().ok()) {
                Some(0) => {
                    self.page = None;
                    Reply::empty()
                }
                Some(n) if n <= 512 => {
                    self.page = Some(n.max(2));
                    Reply::empty()
                }
                _ => self.invalid(text, width, 2),
            },
            ["terminal", "width"] => Reply::empty(),
            ["write", "memory"] | ["copy", "running-config", "startup-config"] => {
                if eos {
                    Reply::text("Copy completed successfully.\n")
                } else {
                    Reply::text("Building configuration...\n[OK]\n")
                }
            }
            ["enable"] => {
                if privileged || eos {
                    self.mode = Mode::Privileged;
                } else {
                    self.awaiting_password = true;
                }
                Reply::empty()
            }
            ["disable"] => {
                self.mode = Mode::User;
                Reply::empty()
            }
            ["configure", "terminal"] => self.enter_config(),
            ["ping"] => Reply::text(format!(
                "Type escape sequence to abort.\nSending 5, 100-byte ICMP Echos to {}, timeout is 2 seconds:\n!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms\n",
                args.first().map(String::as_str).unwrap_or("")
            )),
            _ => Reply {
                close: true,
                ..Reply::empty()
            },
        }
    }

    fn enter_config(&mut self) -> Reply {
        self.mode = Mode::Config {
            section: None,
            sub: None,
        };
        if self.dev.platform.family() == Family::Eos || self.via == Via::Exec {
            Reply::empty()
        } else {
            Reply::text("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        }
    }

    fn run_ios_config(
        &mut self,
        cmd: &str,
        section: Option<String>,
        text: &str,
        width: usize,
    ) -> Reply {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["end"] => {
                self.mode = Mode::Privileged;
                return Reply::empty();
            }
            ["exit"] => {
                self.mode = match section {
                    Some(_) => Mode::Config {
                        section: None,
                        sub: None,
                    },
                    None => Mode::Privileged,
                };
                return Reply::empty();
            }
            ["do", rest @ ..] if !rest.is_empty() => {
                let saved = std::mem::replace(&mut self.mode, Mode::Privileged);
                let reply = self.run_ios(&rest.join(" "), text, width);
                if self.mode == Mode::Privileged {
                    self.mode = saved;
                }
                return reply;
            }
            _ => {}
        }
        let keyword = match words.as_slice() {
            ["no" | "default", k, ..] => *k,
            [k, ..] => *k,
            [] => return Reply::empty(),
        };
        if !CONFIG_KEYWORDS.contains(&keyword) {
            let bad = usize::from(matches!(words[0], "no" | "default"));
            return self.invalid(text, width, bad);
        }
        let line = normalize_interface(cmd);
        let now_in = match &mut *self.dev.config() {
            DeviceConfig::Tree(t) => t.apply(section.as_deref(), &line),
            _ => None,
        };
        self.dev.mark_config_changed();
        let sub = now_in.as_deref().and_then(section_mode);
        self.mode = Mode::Config {
            section: now_in,
            sub,
        };
        Reply::empty()
    }

    fn run_junos(&mut self, cmd: &str, pipes: &[&str], text: &str, width: usize) -> Reply {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if self.mode == Mode::Configuration {
            return self.run_junos_config(cmd, &words, pipes, text, width);
        }
        let (entry, args) = match lookup(JUNOS_OP, &words, true) {
            Lookup::Found(en, args) => (en, args),
            Lookup::Invalid(i) => return self.invalid(text, width, i),
            Lookup::Incomplete | Lookup::Ambiguous => {
                return Reply::error(format!(
                    "{}syntax error, expecting <command>.\n",
                    self.caret(width, text, words.len())
                ));
            }
        };
        match entry.words {
            ["show", "version"] => Reply::text(outputs::show_version(&self.dev)),
            ["show", "interfaces", "terse"] => Reply::text(outputs::interface_brief(&self.dev)),
            ["show", "lldp", "neighbors"] => Reply::text(outputs::lldp_neighbors(&self.dev)),
            ["show", "system", "uptime"] => {
                let up = outputs::uptime(&self.dev).as_secs();
                Reply::text(format!(
                    "Current time: {}\nSystem booted: {} days ago\n",
                    clock(),
                    up / 86_400
                ))
            }
            ["show", "configuration"] => Reply::text(self.junos_config_text(pipes)),
            ["show", "tech-support"] => Reply::text(outputs::show_version(&self.dev)),
            ["set", "cli", "screen-length"] => {
                match args.first().and_then(|a| a.parse::<usize>().ok()) {
                    Some(0) => self.page = None,
                    Some(n) => self.page = Some(n.max(2)),
                    None => return self.invalid(text, width, 3),
                }
                Reply::text(format!("Screen length set to {}\n", args[0]))
            }
            ["configure"] => {
                self.mode = Mode::Configuration;
                Reply::text("Entering configuration mode\n")
            }
            _ => Reply {
                close: true,
                ..Reply::empty()
            },
        }
    }

    fn junos_config_text(&self, pipes: &[&str]) -> String {
        match &*self.dev.config() {
            DeviceConfig::Set(c) if pipes.iter().any(|p| p.starts_with("display set")) => {
                c.render_set()
            }
            DeviceConfig::Set(c) => c.render_tree(),
            _ => String::new(),
        }
    }

    fn run_junos_config(
        &mut self,
        cmd: &str,
        words: &[&str],
        pipes: &[&str],
        text: &str,
        width: usize,
    ) -> Reply {
        let mut guard = self.dev.config();
        let DeviceConfig::Set(c) = &mut *guard else {
            return Reply::error("error: no configuration\n");
        };
        match words {
            ["set", rest @ ..] if !rest.is_empty() => {
                c.set(&cmd[4..]);
                Reply::empty()
            }
            ["delete", rest @ ..] if !rest.is_empty() => {
                c.delete(&cmd[7..]);
                Reply::empty()
            }
            ["commit", ..] => {
                let changed = c.commit();
                drop(guard);
                if changed {
                    self.dev.mark_config_changed();
                }
                if words.get(1) == Some(&"and-quit") {
                    self.mode = Mode::Operational;
                    return Reply::text("commit complete\nExiting configuration mode\n");
                }
                Reply::text("commit complete\n")
            }
            ["rollback", ..] => {
                c.rollback();
                Reply::text("load complete\n")
            }
            ["show"] if pipes.iter().any(|p| p.starts_with("compare")) => Reply::text(c.compare()),
            ["show"] => {
                let mut shown = c.clone();
                shown.commit();
                Reply::text(shown.render_tree())
            }
            ["exit"] | ["quit"] | ["exit", "configuration-mode"] => {
                let warn = if c.uncommitted() {
                    "The configuration has been changed but not committed\n"
                } else {
                    ""
                };
                drop(guard);
                self.mode = Mode::Operational;
                Reply::text(format!("{warn}Exiting configuration mode\n"))
            }
            ["run", rest @ ..] if !rest.is_empty() => {
                drop(guard);
                self.mode = Mode::Operational;
                let r = self.run_junos(&rest.join(" "), pipes, text, width);
                if self.mode == Mode::Operational {
                    self.mode = Mode::Configuration;
                }
                r
            }
            _ => Reply::error(format!("{}unknown command.\n", self.caret(width, text, 0))),
        }
    }

    fn run_linux(&mut self, text: &str) -> Reply {
        let words: Vec<&str> = text.split_whitespace().collect();
        let entry = match lookup(LINUX, &words, true) {
            // Linux has no abbreviations: only exact words count.
            Lookup::Found(en, _) if en.words.iter().zip(&words).all(|(a, b)| a == b) => en,
            _ => {
                return Reply {
                    status: 127,
                    ..Reply::text(format!("-bash: {}: command not found\n", words[0]))
                };
            }
        };
        match entry.words {
            ["uname"] => Reply::text(if words.len() > 1 {
                outputs::uname(&self.dev)
            } else {
                "Linux\n".into()
            }),
            ["uptime"] => Reply::text(outputs::linux_uptime(&self.dev)),
            ["hostname"] => Reply::text(format!("{}\n", self.dev.hostname())),
            ["whoami"] => Reply::text(format!("{}\n", self.user)),
            ["cat", "/etc/os-release"] => Reply::text(
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
            ),
            _ => Reply {
                close: true,
                ..Reply::empty()
            },
        }
    }
}

/// Output filters: IOS `include/exclude/begin`, Junos `match/except`.
fn apply_pipes(text: &mut String, pipes: &[&str]) {
    for pipe in pipes {
        let (verb, arg) = pipe.split_once(' ').unwrap_or((pipe, ""));
        let arg = arg.trim();
        let keep: Box<dyn Fn(&str) -> bool> = match verb {
            "include" | "i" | "inc" | "match" => Box::new(move |l: &str| l.contains(arg)),
            "exclude" | "e" | "exc" | "except" => Box::new(move |l: &str| !l.contains(arg)),
            "begin" | "b" | "beg" => {
                if let Some(pos) = text.find(arg) {
                    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
                    *text = text[start..].to_string();
                }
                continue;
            }
            _ => continue,
        };
        *text = text
            .lines()
            .filter(|l| keep(l))
            .map(|l| format!("{l}\n"))
            .collect();
    }
}

/// Expands abbreviated interface names like real gear does (`gi0/1` → `GigabitEthernet0/1`).
fn normalize_interface(line: &str) -> String {
    const FULL: &[&str] = &[
        "GigabitEthernet",
        "TenGigabitEthernet",
        "Ethernet",
        "Loopback",
        "Vlan",
        "Management",
        "Port-channel",
    ];
    let Some(rest) = line.strip_prefix("interface ") else {
        return line.to_string();
    };
    let rest = rest.trim();
    let split = rest
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (kind, num) = rest.split_at(split);
    let lower = kind.to_ascii_lowercase();
    match FULL
        .iter()
        .find(|f| lower.len() >= 2 && f.to_ascii_lowercase().starts_with(&lower))
    {
        Some(full) => format!("interface {full}{num}"),
        None => line.to_string(),
    }
}

fn clock() -> String {
    let now = crate::base::time::WallClock::utc().hms(SystemTime::now());
    format!("{now}.000 UTC")
}
