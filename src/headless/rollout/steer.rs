//! A person steering a headless rollout: lines on stdin (pause, resume, abort, approve),
//! Ctrl-C (abort), and the question whether to set foreign journal lines aside.

use std::path::Path;

use tokio::sync::mpsc;

use crate::rollout::event::Control;
use crate::rollout::journal::{self, ReplayError};

/// Whether to resume up to the last valid line when foreign lines follow it (`garbage`):
/// a person at a terminal is asked; nobody there: no.
pub fn confirm_dropping(garbage: &ReplayError, journal: &Path) -> bool {
    use std::io::IsTerminal;
    let asked = || {
        eprint!(
            "{garbage}\nResume up to the line before, and keep the rest in {}? [y/N] ",
            journal::dropped_path(journal).display()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok().map(|_| answer)
    };
    decide_dropping(std::io::stdin().is_terminal(), asked)
}

/// [`confirm_dropping`]'s decision: a `y` from a terminal (`--truncate-journal` is yes
/// before anyone is asked: `rollout::prepare`).
fn decide_dropping(terminal: bool, ask: impl FnOnce() -> Option<String>) -> bool {
    terminal && ask().is_some_and(|a| matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Whether the rollout waits for an approval and whether stdin can still give one. When
/// both hold, nobody can approve: the rollout is aborted rather than left waiting forever.
#[derive(Default)]
pub struct Approvals(std::sync::Mutex<(bool, bool)>);

impl Approvals {
    /// Records whether an approval is awaited; true when it can never come.
    pub fn waiting(&self, waiting: bool) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = waiting;
        let hopeless = s.0 && s.1;
        if hopeless {
            eprintln!("stdin is closed: nobody can approve the next wave, aborting");
        }
        hopeless
    }

    /// Records that stdin is closed; true when an approval is awaited.
    fn closed(&self) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.1 = true;
        s.0
    }
}

/// Lines on stdin as controls. A plain thread: blocking reads of stdin must not hold a
/// runtime worker, and it dies with the process.
pub fn steer_from_stdin(control: mpsc::Sender<Control>, approvals: &Approvals) {
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let ctl = match line.trim() {
            "" | "y" | "yes" | "approve" => Control::Approve,
            "p" | "pause" => Control::Pause,
            "r" | "resume" => Control::Resume,
            "a" | "abort" => Control::Abort,
            other => {
                eprintln!(
                    "unknown input `{}`: p pause, r resume, a abort, Enter approve",
                    crate::base::text::Untrusted(other)
                );
                continue;
            }
        };
        if control.blocking_send(ctl).is_err() {
            return;
        }
    }
    if approvals.closed() {
        eprintln!("stdin is closed: nobody can approve the next wave, aborting");
        let _ = control.blocking_send(Control::Abort);
    }
}

pub async fn abort_on_ctrl_c(control: mpsc::Sender<Control>) {
    while tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("aborting: in-flight steps finish first (the journal records everything)");
        if control.send(Control::Abort).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_lines_are_dropped_only_after_a_yes_at_a_terminal() {
        for (terminal, answer, dropped) in [
            (true, Some("y\n"), true),
            (true, Some(" YES \n"), true),
            (true, Some("\n"), false),
            (true, Some("n\n"), false),
            // A terminal that closed before answering.
            (true, None, false),
            // Nobody there: never asked, never dropped.
            (false, Some("y\n"), false),
        ] {
            let asked = std::cell::Cell::new(false);
            let ask = || {
                asked.set(true);
                answer.map(str::to_string)
            };
            assert_eq!(decide_dropping(terminal, ask), dropped);
            assert_eq!(asked.get(), terminal);
        }
    }
}
