//! Followers of the reducer that live beside it: the metrics exporter and the flight
//! recorder read what the dashboard reads, from the same loop, without a second reducer.

use std::time::Instant;

use super::{Command, Event, State};

/// Sees every event just before [`State::apply`] folds it, every command a front end
/// records, and the state after each batch. Called from the loop that also draws the
/// dashboard, so it must never block: no network or disk await, only quick updates
/// (atomics, a bounded channel to a writer task).
pub trait Tap: Send {
    /// An event, with the state as it was before the event is folded.
    fn event(&mut self, event: &Event, before: &State);
    /// A command the front end records (a run starts), with the state after recording it.
    fn command(&mut self, _command: &Command, _at: Instant, _state: &State) {}
    /// The state after a batch of events has been folded.
    fn folded(&mut self, _state: &State) {}
}
