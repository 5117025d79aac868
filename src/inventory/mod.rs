//! Inventory: the YAML model, loading with validation, and host patterns.
//!
//! `load` → `schema` (per-node checks into `raw`) → `graph` (cross-node checks) →
//! `resolve` (defaults and group inheritance) → [`Inventory`]. Problems are gathered by
//! `report` and positioned by `locate`.

mod address;
mod error;
mod glob;
mod graph;
mod load;
mod locate;
mod model;
pub mod pattern;
mod raw;
mod report;
mod resolve;
mod schema;
mod suggest;
mod summary;
mod values;

pub use error::{InventoryError, Problem, ProblemKind};
pub use model::{Device, DeviceId, Group, Inventory, ProbeSpec};
pub use pattern::{HostPattern, PatternError};
pub use summary::summary;
