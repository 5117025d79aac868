//! Front ends without a terminal UI: they run the same engine and reducer as the dashboard
//! and print what the reducer produced.

pub mod backup;
pub mod cabling;
pub mod detect;
pub mod discover;
pub mod dry_run;
pub mod exec;
pub mod platforms;
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
