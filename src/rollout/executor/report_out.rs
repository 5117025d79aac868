//! Writing the end-of-rollout report (`report.md` and `report.json`) with the plan side's
//! [`Report`].

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Finished;
use crate::base::secrets::Secrets;
use crate::rollout::event::Outcome;
use crate::rollout::plan::Plan;
use crate::rollout::report::{Report, RunState};

/// Writes both files into `dir`; returns the Markdown one's path.
pub fn write(
    dir: &Path,
    plan: &Plan,
    finished: &Finished,
    started: SystemTime,
    secrets: &Secrets,
) -> std::io::Result<PathBuf> {
    let state = match finished.outcome {
        Outcome::Completed => RunState::Completed,
        Outcome::Halted => RunState::Halted,
        Outcome::Aborted => RunState::Aborted,
    };
    let report = Report::new(
        plan,
        state,
        finished.reason.clone(),
        started,
        SystemTime::now(),
        finished.waves.clone(),
        finished.devices.clone(),
    );
    report.write(dir, "report", secrets).map(|(md, _json)| md)
}
