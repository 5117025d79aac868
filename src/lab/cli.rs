//! The per-session command interpreter: modes, prompts, abbreviations, `% Invalid input`,
//! config mode that changes the device's configuration, pipes, and the command-level
//! faults. Pure with respect to I/O: the shell/exec layer does timing, paging and bytes.
//! One interpreter per platform family (`ios` for IOS and EOS, `junos`, `linux`); this
//! module holds the session state they share and what every family does alike.

mod generic;
mod ios;
mod junos;
mod linux;

use std::sync::Arc;
use std::time::SystemTime;

use super::config::{CONFIG_KEYWORDS, section_mode};
use super::device::{CommandRecord, DeviceConfig, DeviceShared, Via};
use super::outputs;
use super::platform::{Family, Platform};
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
    /// Generic commit platforms: the candidate, as (section, line) in typing order.
    ops: Vec<(Option<String>, String)>,
    /// A question the device asked (save confirmation, uncommitted changes).
    question: Option<generic::Question>,
    /// Lines typed in this session (the EXOS prompt counts them).
    typed: u64,
    /// Commands are recorded on the device (not for a preview).
    records: bool,
    /// IOS XR `terminal exec prompt no-timestamp` was given.
    no_timestamp: bool,
    /// EXOS `disable cli prompting`: no confirmation questions.
    no_questions: bool,
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
            (Family::Generic, Via::Shell)
                if dev
                    .platform
                    .vendor()
                    .is_some_and(|v| v.v.prompts.user.is_some()) =>
            {
                Mode::User
            }
            (Family::Generic, _) => Mode::Privileged,
        };
        let pages = !dev.platform.spec().pager.is_empty() && via == Via::Shell;
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
            ops: Vec::new(),
            question: None,
            typed: 0,
            records: true,
            no_timestamp: false,
            no_questions: false,
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
        let prompt = if self.dev.platform.family() == Family::Generic {
            self.generic_prompt()
        } else {
            self.mode_prompt()
        };
        if self.dev.faults.bare_prompt {
            // `junos0>`: no `user@`, no trailing space.
            let at = format!("{}@", self.user);
            return prompt.replace(&at, "").trim_end_matches(' ').to_string();
        }
        prompt
    }

    fn mode_prompt(&self) -> String {
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
        if let Some(q) = self.question {
            return self.generic_answer(q, line);
        }
        let text = line.trim();
        if text.is_empty() {
            return Reply::empty();
        }
        if self.records {
            self.dev.record(CommandRecord {
                session: self.session,
                via: self.via,
                mode: self.mode.label().to_string(),
                text: text.to_string(),
                at: SystemTime::now(),
            });
        }
        let (cmd, pipes) = split_pipes(text);
        let mut reply = match self.dev.platform.family() {
            Family::Ios | Family::Eos => self.run_ios(cmd, text, prompt_width),
            Family::Junos => self.run_junos(cmd, &pipes, text, prompt_width),
            Family::Linux => self.run_linux(text),
            Family::Generic => self.run_generic(cmd, text, prompt_width),
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
            Family::Ios | Family::Eos => ios::IOS_EXEC,
            Family::Junos => junos::JUNOS_OP,
            Family::Linux => linux::LINUX,
            Family::Generic => return split_pipes(text).0.to_string(),
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
            *reply = match self.dev.platform.family() {
                Family::Junos => Reply::error(format!("error: {cmd}: subsystem not responding\n")),
                Family::Linux => Reply::error(format!("-bash: {cmd}: Input/output error\n")),
                Family::Generic => self.generic_failed(&cmd),
                _ => Reply::error(format!(
                    "% Error: {cmd}: process not responding after configuration change\n"
                )),
            };
        }
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
}

/// What `command` prints in a fresh privileged session on `dev` after `setup`, without
/// recording anything.
pub fn preview(dev: Arc<DeviceShared>, user: &str, setup: &[String], command: &str) -> String {
    let mut cli = Cli::new(dev, 0, Via::Exec, user, "", None);
    cli.records = false;
    for line in setup {
        cli.run(line, 0);
    }
    match cli.run(command, 0).output {
        Output::Text(t) => t,
        Output::Huge(n) => format!("<{n} bytes>"),
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

fn clock() -> String {
    let now = crate::base::time::WallClock::utc().hms(SystemTime::now());
    format!("{now}.000 UTC")
}
