//! Reachability probing: the sweeper task, ICMP (surge-ping) and TCP-connect probes, and
//! probes through a bastion (`bastion`) for devices behind one.
//!
//! The engine half of "which devices are up": it owns sockets, pacing, name resolution and
//! the sweep loop, and reports only through [`ProbeEvent`]s. It knows nothing of
//! the terminal, of damping, or of history; the reducer does that.
//!
//! ```no_run
//! # async fn demo(targets: Vec<fleetdash::probe::Target>) {
//! use fleetdash::probe::{detect_mode, spawn_sweeper, ProbeEvent, SweepConfig};
//! // Any event type that converts from `ProbeEvent` will do (the dashboard uses `fleet::Event`).
//! let (tx, mut rx) = tokio::sync::mpsc::channel::<ProbeEvent>(1024);
//! let _sweeper = spawn_sweeper(targets, SweepConfig::default(), detect_mode(), tx);
//! while let Some(event) = rx.recv().await { /* fold into State */ }
//! # }
//! ```

mod bastion;
mod bench;
mod icmp;
mod mmsg;
mod mode;
mod pacing;
mod packet;
mod reply_table;
mod report;
mod resolve;
pub mod scan;
mod sockopt;
mod sweep;
mod sweeper;
mod target;
mod tcp;

pub use bastion::ViaBastion;
pub use bench::{FpingRun, SweepBench, bench_addresses, bench_sweep, sweep_once};
pub use mode::{detect_mode, enable_command};
pub use pacing::{Pacer, Rate};
pub use report::{IcmpSocket, ProbeEvent, ProbeMode, ProbeOutcome, ProbeResult, SweepStats};
pub use sweeper::{Sweeper, spawn_sweeper, spawn_sweeper_via};
pub use target::{SweepConfig, Target, targets_from_inventory};
pub use tcp::{TcpPolicy, tcp_probe};
