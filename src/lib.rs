//! fleetdash: a terminal dashboard for a live fleet of network devices.
//!
//! The engine (inventory, probe workers, the `fleet` reducer) knows nothing about the
//! terminal; `ui` and `headless` are two front ends over the same `Event` stream.

pub mod base;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod exec;
pub mod fleet;
pub mod headless;
pub mod inventory;
pub mod jobs;
pub mod lab;
pub mod logging;
pub mod metrics;
pub mod platforms;
pub mod probe;
pub mod record;
pub mod rollout;
mod run;

pub mod ssh;
pub mod ui;

pub use run::{run, runtime};
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
