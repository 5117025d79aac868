//! Inventory: the YAML model, loading with validation, and host patterns.
//!
//! Pipeline: `load` parses the YAML → `schema`, `fields`, `level` check each node and build
//! the `raw` inventory → `graph` checks across nodes → `resolve` applies groups and defaults
//! → [`Inventory`]. Problems are gathered by `report` and positioned by `locate`.

mod address;
pub mod edit;
pub(crate) mod error;
mod fields;
pub(crate) mod glob;
mod graph;
mod level;
mod load;
pub(crate) mod locate;
mod model;
mod order;
pub mod pattern;
mod raw;
pub(crate) mod report;
mod resolve;
mod schema;
pub(crate) mod suggest;
mod summary;
mod values;
pub(crate) mod yaml;

pub use error::{InventoryError, Problem, ProblemKind};
pub use model::{Device, DeviceId, Group, Inventory, ProbeSpec};
pub use order::natural_cmp;
pub use pattern::{HostPattern, PatternError};
pub use summary::summary;
