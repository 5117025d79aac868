//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "fleetdash",
    version,
    about = "A live terminal dashboard for a fleet of network devices",
    long_about = "A live terminal dashboard for a fleet of network devices.\n\n\
        Run with no arguments to open the built-in demo lab (no root, no network needed).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// Where diagnostics go: a file, never the terminal.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log file. Default: $XDG_STATE_HOME/fleetdash/fleetdash.log.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Log more: -v info, -vv debug (sessions, sweeps), -vvv trace. RUST_LOG wins.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log less: -q errors only, -qq nothing.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
}

impl LogArgs {
    pub fn config(&self) -> crate::logging::LogConfig {
        let verbosity = i16::from(self.verbose) - i16::from(self.quiet);
        crate::logging::LogConfig {
            file: self.log_file.clone(),
            verbosity: verbosity.clamp(-8, 8) as i8,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate an inventory and print a summary.
    Check {
        /// Inventory file (YAML).
        inventory: PathBuf,
    },
    /// Probe devices without a terminal UI and print a table or JSON lines.
    ///
    /// Exit status: 0 when every selected device is up, 1 when any is down, 2 on usage or
    /// inventory errors.
    Sweep(SweepArgs),
    /// Run a command over SSH on the selected devices and print the answers folded.
    ///
    /// Exit status: 0 when every device answered without error, 1 when any failed, 2 on
    /// usage or inventory errors.
    Exec(crate::headless::exec::ExecArgs),
    /// Push a change across the fleet in waves (plan YAML), with checks, a failure
    /// threshold, pause/abort and a crash-safe journal.
    ///
    /// Exit status: 0 completed, 1 halted or aborted, 2 plan, inventory or usage errors.
    Rollout(crate::headless::rollout::RolloutArgs),
    /// Measure sweep speed and memory against fping, and frame render time.
    Bench(BenchArgs),
    /// Run simulated network devices over real SSH on loopback addresses, until Ctrl-C.
    Lab(crate::lab::LabArgs),
}

/// Opens the dashboard.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Inventory file (YAML). Without one, the built-in demo lab opens.
    pub inventory: Option<PathBuf>,
    /// Only these devices (host pattern: group, name glob, tag:key=value, `:` `&` `!`).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Consecutive losses before a device shows as down.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub down_after: u32,
    /// Consecutive replies before a device shows as up.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub up_after: u32,
    /// Refuse dangerous commands (reload, erase, configuration changes…).
    #[arg(long)]
    pub read_only: bool,
    /// Devices worked on at once over SSH.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub concurrency: usize,
    /// Poll each device's version and uptime over SSH this often (off by default).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub poll: Option<Duration>,
    /// Audit journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/audit.jsonl.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Only accept host keys already in a known_hosts file (default: learn new ones; a
    /// changed key is always refused).
    #[arg(long)]
    pub strict_host_keys: bool,
    /// Show times in UTC (default: the local time zone).
    #[arg(long)]
    pub utc: bool,
    /// Testing aid: a background task panics after this long, to prove the terminal is
    /// restored and the process ends.
    #[arg(long, hide = true, value_parser = parse_duration, value_name = "DURATION")]
    pub panic_in_task_after: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Time between sweeps (e.g. 1s, 500ms, 2.5, 1m30s).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
    /// How long to wait for each reply.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Probes per second; 0 sends as fast as replies can be received. Default: spread each
    /// sweep over the interval, gently (routers rate-limit ICMP).
    #[arg(long, value_name = "PPS")]
    pub rate: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Only these devices (host pattern).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Number of sweeps.
    #[arg(long, short = 'c', default_value_t = 1, value_name = "N")]
    pub count: u64,
    /// One JSON object per device per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Loopback addresses to sweep (127.21.0.0/16 and up).
    #[arg(long, default_value_t = 10_000)]
    pub devices: usize,
}

/// Every duration flag takes the one grammar (`500ms`, `30s`, `1h30m`, a bare number of
/// seconds) and refuses zero.
pub use crate::base::duration::parse_positive as parse_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_shape_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
