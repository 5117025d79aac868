//! A line typed at the `:` prompt: quit, or a command judged by the safety rules and then
//! run on the targets (or held for a `y`).

use super::{Action, App, PendingRun, Question};
use crate::base::safety::{Family, Verdict, judge};
use crate::base::text::Untrusted;
use crate::fleet::{Command, JobRequest, State};
use crate::inventory::DeviceId;
use crate::ui::run_view::RunView;

impl App {
    /// A line from the `:` prompt: `:q`, `:quit`, `:q!` quit as in vim; `:!q` sends a
    /// command that starts with `q` literally; anything else runs on the targets.
    pub(super) fn submit(&mut self, line: String, fleet: &State) -> Action {
        if matches!(line.as_str(), "q" | "q!" | "quit" | "quit!" | "qa" | "qa!") {
            return self.request_quit(fleet);
        }
        if line == "backup" {
            return self.backup(fleet);
        }
        if let Some(plan) = line
            .strip_prefix("cabling")
            .filter(|r| r.is_empty() || r.starts_with(' '))
        {
            return self.cabling(plan.trim(), fleet);
        }
        let command = match line.strip_prefix('!') {
            Some(literal) => literal.trim_start().to_string(),
            None => line,
        };
        let devices = self.targets(fleet);
        if devices.is_empty() {
            self.status = Some("no device to run on: focus or mark some".into());
            return Action::Redraw;
        }
        let families = devices
            .iter()
            .map(|&id| Family::of(&fleet.inventory.devices[id].platform));
        match judge(&command, families, self.read_only) {
            Verdict::Refuse(why) => {
                self.status = Some(format!("`{}` refused — {why}", Untrusted(&command)));
                Action::Redraw
            }
            Verdict::Ask(why) => {
                self.confirm = Some(PendingRun {
                    command,
                    devices,
                    why,
                });
                Action::Redraw
            }
            Verdict::Run => self.start_run(command, devices),
        }
    }

    /// `:backup` and `B`: back up the targets' running configurations (read-only on the
    /// devices, so allowed in `--read-only` too).
    pub(super) fn backup(&mut self, fleet: &State) -> Action {
        let devices = self.targets(fleet);
        if devices.is_empty() {
            self.status = Some("no device to back up: focus or mark some".into());
            return Action::Redraw;
        }
        Action::Job(JobRequest::Backup { devices })
    }

    /// `:cabling FILE`: check the targets' LLDP/CDP neighbours against the plan in FILE.
    fn cabling(&mut self, plan: &str, fleet: &State) -> Action {
        if plan.is_empty() {
            self.status =
                Some("cabling: which plan? `:cabling FILE` (YAML, CSV or .clab.yml)".into());
            return Action::Redraw;
        }
        let devices = self.targets(fleet);
        if devices.is_empty() {
            self.status = Some("no device to check: focus or mark some".into());
            return Action::Redraw;
        }
        Action::Job(JobRequest::Cabling {
            devices,
            plan: plan.into(),
        })
    }

    /// Quit, or during a rollout ask first (quitting ends the process mid-step).
    pub(super) fn request_quit(&mut self, fleet: &State) -> Action {
        if fleet.rollout.as_ref().is_some_and(|r| r.outcome.is_none()) {
            self.asking = Some(Question::Quit);
            return Action::Redraw;
        }
        Action::Quit
    }

    pub(super) fn start_run(&mut self, command: String, devices: Vec<DeviceId>) -> Action {
        let run = self.next_run;
        self.next_run += 1;
        self.last_run = Some(run);
        self.run_view = Some(RunView::new(run));
        Action::Send(Command::Run {
            run,
            devices,
            command,
        })
    }
}
