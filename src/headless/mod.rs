//! Front ends without a terminal UI: they run the same engine and reducer as the dashboard
//! and print what the reducer produced.

pub mod backup;
pub mod cabling;
pub mod detect;
pub mod discover;
pub mod dry_run;
pub mod exec;
pub mod platforms;
pub mod report;
pub mod rollout;
pub mod sweep;

use crate::inventory::Inventory;
use crate::ssh::{BastionLimits, Bastions};

/// The inventory at `path` (any format, platforms checked) narrowed to `pattern`, and the
/// bastion pool for it: named jump hosts resolve in the whole inventory, also when the
/// pattern leaves them out.
pub fn select(
    path: &std::path::Path,
    pattern: Option<&str>,
) -> Result<(Inventory, Bastions), String> {
    let inv = crate::platforms::load_inventory(path).map_err(|e| e.to_string())?;
    let bastions = Bastions::new(&inv, BastionLimits::default());
    let inv = crate::engine::limit(inv, pattern).map_err(|e| e.to_string())?;
    Ok((inv, bastions))
}

/// The SSH options of a headless command: `known_hosts` (when given) checked first, so a
/// bad file is one clear usage error before anything connects.
pub fn ssh_options(
    known_hosts: Option<&std::path::Path>,
    timeout: std::time::Duration,
    host_keys: crate::ssh::HostKeyPolicy,
) -> Result<crate::ssh::SshOptions, String> {
    if let Some(Err(why)) = known_hosts.map(crate::ssh::check_known_hosts_file) {
        return Err(why.to_string());
    }
    crate::ssh::SshOptions::headless(known_hosts, timeout, host_keys).map_err(|e| e.to_string())
}
