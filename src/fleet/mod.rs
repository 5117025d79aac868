//! Fleet state: the typed events workers send and the pure reducer that folds them.

mod event;

pub use event::{Event, IcmpSocket, ProbeMode, ProbeOutcome, ProbeResult, SweepStats};
