//! The inventory as written, after per-node checks and before resolution: each level's own
//! attributes, and where every name came from (for cross-checks that report positions).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::locate::YamlPath;
use super::model::ProbeSpec;

/// Attributes that a device, a group or `defaults` may set. `None` = not set at this level.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Attrs {
    pub(crate) port: Option<u16>,
    pub(crate) platform: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) password_env: Option<String>,
    pub(crate) key_file: Option<PathBuf>,
    pub(crate) key_passphrase_env: Option<String>,
    pub(crate) agent: Option<bool>,
    pub(crate) legacy_ssh: Option<bool>,
    pub(crate) probe: Option<ProbeSpec>,
    pub(crate) probe_interval: Option<std::time::Duration>,
    pub(crate) down_after: Option<u32>,
    pub(crate) up_after: Option<u32>,
    /// Jump hosts, nearest first: device names or `[user@]host[:port]`.
    pub(crate) jump: Option<Vec<String>>,
    pub(crate) tags: BTreeMap<String, String>,
}

/// A name as written in a list (`groups:` or `parents:`), with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameRef {
    pub(crate) name: String,
    pub(crate) at: YamlPath,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawDevice {
    pub(crate) name: String,
    /// The `name:` value node.
    pub(crate) name_at: YamlPath,
    pub(crate) host: String,
    pub(crate) groups: Vec<NameRef>,
    pub(crate) attrs: Attrs,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawGroup {
    pub(crate) name: String,
    pub(crate) parents: Vec<NameRef>,
    pub(crate) attrs: Attrs,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RawInventory {
    pub(crate) defaults: Attrs,
    /// In file order.
    pub(crate) groups: Vec<RawGroup>,
    /// Devices that passed their own checks (others are dropped after being reported).
    pub(crate) devices: Vec<RawDevice>,
}
