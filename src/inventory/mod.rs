//! Inventory: the YAML model, loading with validation, and host patterns.
//!
//! Formats: fleetdash's own YAML, Ansible (INI/YAML, group_vars, host_vars), Nornir's
//! SimpleInventory and containerlab topologies, recognised by `format`; each foreign format
//! is read with its own tool's rules into the same raw inventory, then resolved.
//!
//! Pipeline: `load` parses the YAML → `schema`, `fields`, `level` check each node and build
//! the `raw` inventory → `graph` checks across nodes → `resolve` applies groups and defaults
//! → [`Inventory`]. Problems are gathered by `report` and positioned by `locate`. A valid
//! own-format file in plain block YAML (what generators write) takes a shortcut: `direct`
//! reads it straight into the model, and gives up to the pipeline on anything else.

mod address;
mod ansible;
mod block_yaml;
mod containerlab;
mod direct;
pub mod edit;
pub(crate) mod error;
mod fields;
pub mod format;
pub(crate) mod glob;
mod graph;
mod level;
mod load;
pub(crate) mod locate;
mod model;
mod nornir;
mod order;
pub mod pattern;
mod platform_names;
mod raw;
pub(crate) mod report;
mod resolve;
mod schema;
mod sources;
pub(crate) mod suggest;
mod summary;
mod values;
pub(crate) mod yaml;

pub use error::{InventoryError, Problem, ProblemKind};
pub use format::{Format, Provenance};
pub use model::{Device, DeviceId, Endpoint, Group, Inventory, Link, ProbeSpec, ProbeTiming};
pub use order::natural_cmp;
pub use pattern::{HostPattern, PatternError};
pub use summary::{check_report, summary};
