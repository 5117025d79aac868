//! The maintenance window's flight recorder: every damped transition, run, command outcome,
//! rollout event and notice, as JSON lines with RFC 3339 UTC times ([`format`]), written by
//! a follower of the reducer ([`RecordTap`], plugged in with `Starting::tap`) through a
//! writer thread that never makes the dashboard wait ([`writer`]), and read back as hostile
//! input ([`load`]) for `fleetdash replay` (through the same reducer, [`feed`]) and
//! `fleetdash report`.

pub mod feed;
pub mod format;
pub mod load;
mod tap;
pub mod writer;

pub use load::{Limits, LoadError, Recording, load};
pub use tap::RecordTap;
pub use writer::{KEEP, MAX_BYTES, RecordConfig};

/// The recorder for `--record FILE` (`front_end`: who records), masking the inventory's
/// secrets; the error is a message for the user.
pub fn recorder(
    path: &std::path::Path,
    front_end: &'static str,
    inventory: &crate::inventory::Inventory,
) -> Result<Box<dyn crate::fleet::Tap>, String> {
    let config = RecordConfig::new(path.to_path_buf());
    let secrets = crate::exec::Secrets::from_inventory(inventory);
    let tap = RecordTap::open(&config, front_end, secrets)?;
    Ok(Box::new(tap))
}

/// `builder` with the recorder, when there is one.
pub fn attach(
    builder: crate::engine::Starting,
    tap: Option<Box<dyn crate::fleet::Tap>>,
) -> crate::engine::Starting {
    match tap {
        Some(tap) => builder.tap(tap),
        None => builder,
    }
}

/// The recorder for an optional `--record FILE`; the error (a file in use, a directory
/// that cannot be made) is printed and becomes the usage exit status.
pub fn open_for(
    path: Option<&std::path::Path>,
    front_end: &'static str,
    inventory: &crate::inventory::Inventory,
) -> Result<Option<Box<dyn crate::fleet::Tap>>, std::process::ExitCode> {
    let Some(path) = path else { return Ok(None) };
    recorder(path, front_end, inventory)
        .map(Some)
        .map_err(|why| {
            eprintln!("error: {why}");
            std::process::ExitCode::from(crate::base::exit::USAGE)
        })
}

#[cfg(test)]
mod tests;
