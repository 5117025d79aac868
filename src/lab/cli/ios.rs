//! The IOS-family interpreter (Cisco IOS/IOS-XE, Arista EOS): user and privileged exec,
//! `enable` with its password, config mode and its sections.

use super::*;

pub(super) const IOS_EXEC: &[Entry] = &[
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

impl Cli {
    pub(super) fn enable_password_entered(&mut self, line: &str) -> Reply {
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

    pub(super) fn run_ios(&mut self, cmd: &str, text: &str, width: usize) -> Reply {
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

    pub(super) fn enter_config(&mut self) -> Reply {
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

    pub(super) fn run_ios_config(
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
