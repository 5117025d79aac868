//! Rollouts: push a change across the fleet in waves and watch it land.
//!
//! `plan` (the YAML model, loading and validation), `waves` (which devices go in which wave),
//! `report` (final per-wave / per-device results, Markdown and JSON) are the plan side;
//! `prepare` readies a plan for a front end; `executor`, `journal` and `event` run it
//! against the SSH engine.

pub mod event;
pub mod executor;
pub mod journal;
pub mod plan;
pub mod prepare;
pub mod report;
pub mod waves;
