//! Inventory: the YAML model, loading with validation, and host patterns.

mod model;

pub use model::{Device, DeviceId, Group, Inventory, ProbeSpec};
