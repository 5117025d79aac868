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
pub mod serve;
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

/// How a fleet job logs in and how hard it works: what `exec`, `detect`, `backup` and
/// `cabling` share.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    /// Devices worked on at once.
    pub concurrency: usize,
    /// Timeout of each stage (connect, handshake, auth) and of a command.
    pub timeout: std::time::Duration,
    pub host_keys: crate::ssh::HostKeyPolicy,
    /// Check and learn host keys only in this known_hosts file.
    pub known_hosts: Option<std::path::PathBuf>,
}

impl Login {
    /// The job's SSH options (see [`ssh_options`]).
    pub fn ssh_options(&self) -> Result<crate::ssh::SshOptions, String> {
        ssh_options(self.known_hosts.as_deref(), self.timeout, self.host_keys)
    }
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

/// Waits for SIGINT or SIGTERM and names it: how `serve` and `sweep --count 0` are told to
/// stop. Should the handlers not install, it never returns (the default action then ends
/// the process anyway).
pub async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Binds the `--metrics` endpoint when asked for; a bind error (a port in use) is printed
/// and becomes the usage exit status.
pub async fn bind_metrics(
    config: Option<&crate::metrics::MetricsConfig>,
    inventory: &Inventory,
) -> Result<Option<crate::metrics::Exporter>, std::process::ExitCode> {
    let Some(config) = config else {
        return Ok(None);
    };
    crate::metrics::Exporter::bind(config, inventory)
        .await
        .map(Some)
        .map_err(|why| {
            eprintln!("error: {why}");
            std::process::ExitCode::from(crate::base::exit::USAGE)
        })
}

/// `builder` with the exporter's tap, when there is an exporter.
pub fn with_metrics(
    builder: crate::engine::Starting,
    exporter: Option<&crate::metrics::Exporter>,
) -> crate::engine::Starting {
    match exporter {
        Some(exporter) => exporter.attach(builder),
        None => builder,
    }
}
