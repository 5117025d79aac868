//! Rollouts: push a change across the fleet in waves and watch it land.
//!
//! `plan` (the YAML model, loading and validation), `waves` (which devices go in which wave),
//! `report` (final per-wave / per-device results, Markdown and JSON) are the plan side;
//! `executor`, `journal` and `event` run a plan against the SSH engine.

pub mod event;
pub mod executor;
pub mod journal;
pub mod plan;
pub mod report;
pub mod waves;
