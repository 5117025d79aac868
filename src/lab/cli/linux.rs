//! The Linux host interpreter: a plain shell with a few commands.

use super::*;

pub(super) const LINUX: &[Entry] = &[
    e(&["uname"], true, false),
    e(&["uptime"], false, false),
    e(&["hostname"], false, false),
    e(&["whoami"], false, false),
    e(&["cat", "/etc/os-release"], false, false),
    e(&["exit"], false, false),
    e(&["logout"], false, false),
];

impl Cli {
    pub(super) fn run_linux(&mut self, text: &str) -> Reply {
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
