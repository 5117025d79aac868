//! The device lab: simulated routers, switches and Linux hosts that speak real SSH.
//!
//! Every device listens on its own loopback address (127.20.0.1, 127.20.0.2, …) so ping and
//! SSH reach the same "device". Behaviour is data: platforms (`platform`), outputs
//! (`outputs`), a per-device configuration that changes when config mode is used (`config`),
//! an LLDP topology and faults from a scenario file (`scenario`, `topology`).
//!
//! Start one in-process with [`Lab::start`]; `fleetdash lab` runs one until Ctrl-C ([`run`]).

mod cli;
mod command;
mod config;
mod device;
mod forward;
mod hostkey;
mod inventory;
mod listener;
mod outputs;
mod platform;
mod rlimit;
mod runtime;
mod scenario;
mod session;
mod shell;
mod topology;
mod vendor;

pub use command::{LabOptions, PlatformList, parse_platforms, run};
pub use device::{CommandRecord, Via};
pub use platform::Platform;
pub use runtime::{Lab, LabConfig, LabDevice, LabError, LabStats};
pub use scenario::{Faults, Flap, HugeOutput, Scenario, ScenarioError};
