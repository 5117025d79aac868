//! The Junos interpreter: operational mode, configuration mode and its commands.

use super::*;

pub(super) const JUNOS_OP: &[Entry] = &[
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

impl Cli {
    pub(super) fn run_junos(
        &mut self,
        cmd: &str,
        pipes: &[&str],
        text: &str,
        width: usize,
    ) -> Reply {
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

    pub(super) fn junos_config_text(&self, pipes: &[&str]) -> String {
        match &*self.dev.config() {
            DeviceConfig::Set(c) if pipes.iter().any(|p| p.starts_with("display set")) => {
                c.render_set()
            }
            DeviceConfig::Set(c) => c.render_tree(),
            _ => String::new(),
        }
    }

    pub(super) fn run_junos_config(
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
}
