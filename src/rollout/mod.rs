//! Rollouts: a plan pushed across the fleet in waves, with checks, thresholds and a journal.

pub mod event;
pub mod journal;
