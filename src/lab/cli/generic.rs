//! The generic interpreter: runs every platform that has a description file
//! (`assets/lab/platforms/`, `vendor`). Exec commands and their outputs, privileged mode,
//! paging off, config mode line by line or with a candidate that `commit` applies and
//! `discard`/`abort` throws away, the save question, and the vendor's error texts.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::*;
use crate::lab::config::{CONFIG_KEYWORDS, section_in};
use crate::lab::vendor::{Compiled, StoreKind, YesMeans};

/// A question the device is waiting to have answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Confirm the save command.
    Save,
    /// Leaving config mode with uncommitted changes.
    Uncommitted,
}

/// The exec command table of each described platform, built once.
fn table(c: &'static Compiled) -> &'static [Entry] {
    static TABLES: OnceLock<HashMap<&'static str, &'static [Entry]>> = OnceLock::new();
    let all = TABLES.get_or_init(|| {
        Platform::DESCRIBED
            .iter()
            .map(|p| {
                let c = p.vendor().expect("described");
                let entries: Vec<Entry> =
                    c.v.commands
                        .iter()
                        .map(|cmd| Entry {
                            words: words_of(&cmd.command),
                            args: cmd.args,
                            privileged: cmd.privileged,
                        })
                        .collect();
                let entries: &'static [Entry] = Box::leak(entries.into_boxed_slice());
                (p.lab_name(), entries)
            })
            .collect()
    });
    all.get(c.v.name.as_str()).copied().unwrap_or(&[])
}

fn words_of(text: &str) -> &'static [&'static str] {
    let words: Vec<&'static str> = text
        .split_whitespace()
        .map(|w| &*Box::leak(w.to_string().into_boxed_str()))
        .collect();
    Box::leak(words.into_boxed_slice())
}

/// True if `words` spell `command` (each word may be abbreviated unless `exact`).
fn spells(words: &[&str], command: &str, exact: bool) -> bool {
    let want: Vec<&str> = command.split_whitespace().collect();
    want.len() == words.len()
        && want.iter().zip(words).all(|(w, typed)| {
            let typed = typed.to_ascii_lowercase();
            if exact {
                *w == typed
            } else {
                !typed.is_empty() && w.starts_with(&typed)
            }
        })
}

fn any_spells(words: &[&str], commands: &[String], exact: bool) -> bool {
    commands.iter().any(|c| spells(words, c, exact))
}

impl Cli {
    fn vendor(&self) -> &'static Compiled {
        self.dev
            .platform
            .vendor()
            .expect("generic platforms have a description")
    }

    /// The prompt of the current mode, filled in.
    pub(super) fn generic_prompt(&self) -> String {
        let c = self.vendor();
        if let Some(q) = self.question {
            return match q {
                Question::Save => c.v.save.as_ref().and_then(|s| s.confirm.clone()),
                Question::Uncommitted => {
                    c.v.config
                        .as_ref()
                        .and_then(|m| m.uncommitted.as_ref())
                        .and_then(|u| u.ask.clone())
                }
            }
            .unwrap_or_default();
        }
        let p = &c.v.prompts;
        let (template, sub) = match &self.mode {
            Mode::User => (p.user.as_deref().unwrap_or(&p.privileged), ""),
            Mode::Config { sub: None, .. } => (p.config.as_deref().unwrap_or(&p.privileged), ""),
            Mode::Config {
                sub: Some(s),
                section,
            } => (
                p.section
                    .as_deref()
                    .or(p.config.as_deref())
                    .unwrap_or(&p.privileged),
                // Huawei names the section after what it configures: `[r1-GigabitEthernet0/0/1]`.
                if *s == "{section}" {
                    section
                        .as_deref()
                        .and_then(|h| h.split_once(' '))
                        .map_or("", |(_, rest)| rest)
                } else {
                    *s
                },
            ),
            _ => (p.privileged.as_str(), ""),
        };
        let conditional = |text: &str, on: bool, key: &str| -> String {
            // `{key:TEXT}` → TEXT when on.
            let mut out = text.to_string();
            let open = format!("{{{key}:");
            while let Some(start) = out.find(&open) {
                let Some(len) = out[start..].find('}') else {
                    break;
                };
                let inner = out[start + open.len()..start + len].to_string();
                out.replace_range(start..start + len + 1, if on { &inner } else { "" });
            }
            out
        };
        let t = conditional(template, self.dev.unsaved(), "unsaved");
        let t = conditional(&t, !self.ops.is_empty(), "uncommitted");
        let t = conditional(&t, self.ops.is_empty(), "committed");
        outputs::fill(
            &t,
            &self.dev,
            &self.user,
            // EXOS numbers the command about to be typed, from 1.
            &[
                ("sub", sub.to_string()),
                ("n", (self.typed + 1).to_string()),
            ],
        )
    }

    /// The vendor's error for a line it does not know, `bad` the index of the bad word.
    fn generic_error(&self, template: &str, text: &str, width: usize, bad: usize) -> Reply {
        let word_at = text.split_whitespace().nth(bad);
        let offset = word_at
            .map(|w| w.as_ptr() as usize - text.as_ptr() as usize)
            .unwrap_or(text.len());
        let word = word_at.unwrap_or("");
        let pad = " ".repeat(width + offset);
        let extra = [
            ("caret", format!("{pad}^\n")),
            (
                "carets",
                format!("{pad}{}\n", "^".repeat(word.len().max(1))),
            ),
            ("word", word.to_string()),
            ("line", text.to_string()),
            ("col", (offset + 1).to_string()),
        ];
        Reply::error(outputs::fill(template, &self.dev, &self.user, &extra))
    }

    pub(super) fn generic_failed(&self, cmd: &str) -> Reply {
        match &self.vendor().v.errors.failed {
            Some(t) => self.generic_error(t, cmd, 0, 0),
            None => Reply::error(format!(
                "% Error: {cmd}: process not responding after configuration change\n"
            )),
        }
    }

    fn fill(&self, template: &str) -> String {
        outputs::fill(template, &self.dev, &self.user, &[])
    }

    pub(super) fn generic_answer(&mut self, q: Question, line: &str) -> Reply {
        self.question = None;
        let yes = matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
        let no = matches!(line.trim().to_ascii_lowercase().as_str(), "n" | "no");
        match q {
            Question::Save if yes => self.save_now(),
            Question::Save => Reply::empty(),
            Question::Uncommitted => {
                let means = self
                    .vendor()
                    .v
                    .config
                    .as_ref()
                    .and_then(|m| m.uncommitted.as_ref())
                    .map_or(YesMeans::Commit, |u| u.yes_means);
                if yes && means == YesMeans::Commit {
                    let r = self.commit();
                    self.mode = Mode::Privileged;
                    r
                } else if yes || no {
                    self.ops.clear();
                    self.mode = Mode::Privileged;
                    Reply::empty()
                } else {
                    Reply::empty()
                }
            }
        }
    }

    fn save_now(&mut self) -> Reply {
        self.dev.mark_saved();
        let out = self.vendor().v.save.as_ref().map(|s| s.output.clone());
        Reply::text(self.fill(&out.unwrap_or_default()))
    }

    fn save(&mut self) -> Reply {
        let c = self.vendor();
        let s = c.v.save.as_ref().expect("checked by the caller");
        if s.confirm.is_some() && self.via == Via::Shell && !self.no_questions {
            self.question = Some(Question::Save);
            return Reply::empty();
        }
        self.save_now()
    }

    fn running_config(&self) -> Reply {
        let c = self.vendor();
        let r = &c.v.running_config;
        let body = outputs::described_body(&self.dev);
        Reply::text(format!(
            "{}{body}{}",
            self.fill(&r.header),
            self.fill(&r.footer)
        ))
    }

    pub(super) fn run_generic(&mut self, cmd: &str, text: &str, width: usize) -> Reply {
        self.typed += 1;
        if matches!(self.mode, Mode::Config { .. }) {
            return self.run_generic_config(cmd, text, width);
        }
        let c = self.vendor();
        let v = &c.v;
        let exact = v.exact;
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        let privileged = self.mode != Mode::User;
        if any_spells(&words, &v.logout, true) {
            return Reply {
                close: true,
                ..Reply::empty()
            };
        }
        if let Some(p) = &v.privilege {
            if !privileged && spells(&words, &p.command, exact) {
                if p.password {
                    self.awaiting_password = true;
                } else {
                    self.mode = Mode::Privileged;
                }
                return Reply::empty();
            }
            if privileged && p.exit.as_deref().is_some_and(|e| spells(&words, e, exact)) {
                self.mode = Mode::User;
                return Reply::empty();
            }
        }
        if any_spells(&words, &v.timestamp_off, exact) {
            self.no_timestamp = true;
            return Reply::empty();
        }
        if any_spells(&words, &v.prompting_off, exact) {
            self.no_questions = true;
            return Reply::empty();
        }
        if any_spells(&words, &v.paging_off, exact) {
            self.page = None;
            return Reply::text(self.fill(&v.paging_off_output));
        }
        if let Some(m) = &v.config
            && privileged
        {
            if any_spells(&words, &m.enter, exact) {
                self.mode = Mode::Config {
                    section: None,
                    sub: None,
                };
                self.ops.clear();
                return Reply::text(if self.via == Via::Exec {
                    String::new()
                } else {
                    self.fill(&m.enter_output)
                });
            }
            if let Some(prefix) = &m.enter_section
                && cmd.starts_with(prefix.as_str())
            {
                self.mode = Mode::Config {
                    section: None,
                    sub: None,
                };
                self.ops.clear();
                return self.run_generic_config(cmd, text, width);
            }
        }
        if privileged && let Some(prefix) = v.immediate.iter().find(|p| cmd.starts_with(p.as_str()))
        {
            if cmd.len() == prefix.trim_end().len() {
                return self.generic_incomplete(text, width, words.len());
            }
            self.apply_line(None, cmd);
            self.dev.mark_config_changed();
            return Reply::empty();
        }
        if let Some(s) = &v.save
            && privileged
            && any_spells(&words, &s.commands, exact)
        {
            return self.save();
        }
        if privileged && any_spells(&words, &v.running_config.commands, exact) {
            return self.running_config();
        }
        let found = match lookup(table(c), &words, privileged) {
            Lookup::Found(en, args)
                if !exact || en.words.iter().zip(&words).all(|(a, b)| a == b) =>
            {
                (en, args)
            }
            Lookup::Found(..) => return self.generic_error(&v.errors.unknown, text, width, 0),
            Lookup::Invalid(i) => return self.generic_error(&v.errors.unknown, text, width, i),
            Lookup::Incomplete => return self.generic_incomplete(text, width, words.len()),
            Lookup::Ambiguous => return self.generic_error(&v.errors.unknown, text, width, 0),
        };
        let (entry, _args) = found;
        let output = v
            .commands
            .iter()
            .find(|cm| words_of_eq(&cm.command, entry.words))
            .map(|cm| cm.output.as_str())
            .unwrap_or("");
        let mut out = self.fill(output);
        if v.timestamp && !self.no_timestamp && entry.words.first() == Some(&"show") {
            out = format!("Wed Dec  2 {}\n{out}", outputs::clock_now(&self.dev));
        }
        Reply::text(out)
    }

    fn generic_incomplete(&self, text: &str, width: usize, at: usize) -> Reply {
        let v = &self.vendor().v;
        let t = v.errors.incomplete.as_deref().unwrap_or(&v.errors.unknown);
        self.generic_error(t, text, width, at)
    }

    /// Commit platforms keep the lines until `commit`; the others apply them now.
    fn commits(&self) -> bool {
        self.vendor()
            .v
            .config
            .as_ref()
            .is_some_and(|m| !m.commit.is_empty() || !m.commit_exit.is_empty())
    }

    /// Applies one configuration line to the device; returns the section it opened.
    fn apply_line(&self, section: Option<&str>, line: &str) -> Option<String> {
        let c = self.vendor();
        let store = &c.v.store;
        let mut guard = self.dev.config();
        match &mut *guard {
            DeviceConfig::Tree(t) => t.apply_with(&c.rules, section, line),
            DeviceConfig::Set(s) => {
                // Deletes first: SR OS `configure no …` also starts like a set.
                if let Some(rest) = store
                    .delete
                    .iter()
                    .find_map(|p| line.strip_prefix(p.as_str()))
                {
                    s.delete(&format!("{}{}", store.root, rest.trim()));
                } else if let Some(rest) =
                    store.set.iter().find_map(|p| line.strip_prefix(p.as_str()))
                {
                    s.set_with(&format!("{}{}", store.root, rest.trim()), c.single);
                }
                s.commit();
                None
            }
            DeviceConfig::Flat(f) => {
                f.apply(&c.rules, line);
                None
            }
            DeviceConfig::Host(_) => None,
        }
    }

    fn commit(&mut self) -> Reply {
        let ops = std::mem::take(&mut self.ops);
        let changed = !ops.is_empty();
        for (section, line) in &ops {
            self.apply_line(section.as_deref(), line);
        }
        if changed {
            self.dev.mark_config_changed();
        }
        let out = self
            .vendor()
            .v
            .config
            .as_ref()
            .map(|m| m.commit_output.clone())
            .unwrap_or_default();
        Reply::text(self.fill(&out))
    }

    /// Leaves config mode, asking, refusing or warning first when changes are uncommitted.
    fn leave_config(&mut self) -> Reply {
        let c = self.vendor();
        if self.commits() && !self.ops.is_empty() {
            let u = c.v.config.as_ref().and_then(|m| m.uncommitted.as_ref());
            if let Some(u) = u {
                if u.ask.is_some() && self.via == Via::Shell && !self.no_questions {
                    self.question = Some(Question::Uncommitted);
                    return Reply::empty();
                }
                if let Some(refuse) = &u.refuse {
                    return Reply::text(self.fill(refuse));
                }
                if let Some(warn) = &u.warn {
                    self.ops.clear();
                    self.mode = Mode::Privileged;
                    return Reply::text(self.fill(warn));
                }
            }
            self.ops.clear();
        }
        self.mode = Mode::Privileged;
        Reply::empty()
    }

    fn run_generic_config(&mut self, cmd: &str, text: &str, width: usize) -> Reply {
        let c = self.vendor();
        let v = &c.v;
        let m = v
            .config
            .as_ref()
            .expect("in config mode only with a config section");
        let exact = v.exact;
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        let Mode::Config { section, .. } = self.mode.clone() else {
            return Reply::empty();
        };
        if let Some(run) = &m.run
            && let Some(rest) = cmd.strip_prefix(run.as_str())
            && !rest.trim().is_empty()
        {
            let saved = std::mem::replace(&mut self.mode, Mode::Privileged);
            self.typed -= 1;
            let r = self.run_generic(rest.trim(), text, width);
            if self.mode == Mode::Privileged {
                self.mode = saved;
            }
            return r;
        }
        if any_spells(&words, &m.commit_exit, exact) {
            let r = self.commit();
            self.mode = Mode::Privileged;
            return r;
        }
        if any_spells(&words, &m.commit, exact) {
            return self.commit();
        }
        if any_spells(&words, &m.discard_exit, exact) {
            self.ops.clear();
            self.mode = Mode::Privileged;
            return Reply::text(self.fill(&m.discard_output));
        }
        if any_spells(&words, &m.discard, exact) {
            self.ops.clear();
            return Reply::text(self.fill(&m.discard_output));
        }
        if any_spells(&words, &m.end, exact) {
            return self.leave_config();
        }
        if any_spells(&words, &m.up, exact) {
            if section.is_some() {
                self.mode = Mode::Config {
                    section: None,
                    sub: None,
                };
                return Reply::empty();
            }
            return self.leave_config();
        }
        if let Some(s) = &v.save
            && any_spells(&words, &s.commands, exact)
        {
            return self.save();
        }
        if any_spells(&words, &v.running_config.commands, exact) {
            return self.running_config();
        }
        // A configuration line: is it one this platform takes?
        let store = &v.store;
        let config_error = m.config_error(v);
        match store.kind {
            StoreKind::Set => {
                let rest = store
                    .delete
                    .iter()
                    .chain(&store.set)
                    .find_map(|p| cmd.strip_prefix(p.as_str()))
                    .filter(|r| !r.trim().is_empty());
                let Some(rest) = rest else {
                    return self.generic_error(config_error, text, width, 0);
                };
                let first = rest.split_whitespace().next().unwrap_or("");
                if !m.keywords.is_empty() && !m.keywords.iter().any(|k| k == first) {
                    let bad = words.iter().position(|w| *w == first).unwrap_or(0);
                    return self.generic_error(config_error, text, width, bad);
                }
            }
            StoreKind::Tree | StoreKind::Flat => {
                let negated = c.rules.negate.iter().any(|n| cmd.starts_with(n));
                let first = if negated { words.get(1) } else { words.first() };
                let Some(first) = first else {
                    return self.generic_incomplete(text, width, words.len());
                };
                let known = if m.keywords.is_empty() {
                    CONFIG_KEYWORDS.contains(first)
                } else {
                    m.keywords.iter().any(|k| k == first)
                };
                if !known {
                    return self.generic_error(config_error, text, width, usize::from(negated));
                }
            }
        }
        let section_now = if store.kind == StoreKind::Tree {
            match section_in(&c.rules, cmd) {
                Some(_) => Some(cmd.to_string()),
                None => section.clone(),
            }
        } else {
            None
        };
        if self.commits() {
            self.ops.push((section.clone(), cmd.to_string()));
        } else {
            self.apply_line(section.as_deref(), cmd);
            self.dev.mark_config_changed();
        }
        let sub = section_now.as_deref().and_then(|s| section_in(&c.rules, s));
        self.mode = Mode::Config {
            section: section_now,
            sub,
        };
        Reply::empty()
    }
}

fn words_of_eq(command: &str, words: &[&str]) -> bool {
    command.split_whitespace().eq(words.iter().copied())
}

impl crate::lab::vendor::ConfigMode {
    fn config_error<'a>(&self, v: &'a crate::lab::vendor::Vendor) -> &'a str {
        v.errors.config.as_deref().unwrap_or(&v.errors.unknown)
    }
}
