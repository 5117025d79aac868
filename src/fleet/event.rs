//! What workers tell the engine. Workers only ever send these; they never touch state.
//! Each worker has its own vocabulary (`probe::ProbeEvent`, `exec::ExecEvent`,
//! `rollout::event::RolloutEvent`, `base::notice::Notice`) and sends it into a channel of
//! [`Event`] through the conversions below, so no worker depends on the reducer.

use std::time::Instant;

use crate::base::notice::Notice;
use crate::exec::ExecEvent;
use crate::probe::{ProbeEvent, ProbeMode, ProbeResult, SweepStats};
use crate::rollout::event::RolloutEvent;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Probe(ProbeResult),
    /// Several results, as the sweeper sends them. The engine folds (and shows its taps)
    /// each one as a `Probe`.
    Probes(Vec<ProbeResult>),
    SweepDone(SweepStats),
    Mode(ProbeMode),
    /// Something worth a line in the log pane (a worker's warning, a demo schedule…).
    Notice {
        at: Instant,
        text: String,
    },
    /// From the SSH workers.
    Exec(ExecEvent),
    /// From the rollout executor.
    Rollout(RolloutEvent),
    /// From the job workers (backup, cabling).
    Job(super::JobEvent),
    /// Reachability from other vantage points (`--from-prometheus`).
    Remote(super::RemoteReport),
}

impl From<ProbeEvent> for Event {
    fn from(event: ProbeEvent) -> Event {
        match event {
            ProbeEvent::Probes(results) => Event::Probes(results),
            ProbeEvent::SweepDone(stats) => Event::SweepDone(stats),
            ProbeEvent::Mode(mode) => Event::Mode(mode),
            ProbeEvent::Notice(notice) => notice.into(),
        }
    }
}

impl From<Notice> for Event {
    fn from(Notice { at, text }: Notice) -> Event {
        Event::Notice { at, text }
    }
}

impl From<ExecEvent> for Event {
    fn from(event: ExecEvent) -> Event {
        Event::Exec(event)
    }
}

impl From<RolloutEvent> for Event {
    fn from(event: RolloutEvent) -> Event {
        Event::Rollout(event)
    }
}
