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
    /// Testing aid: a background task panics after this long, to prove the terminal is
    /// restored and the process ends.
    #[arg(long, hide = true, value_parser = parse_duration, value_name = "DURATION")]
    pub panic_in_task_after: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Time between sweeps (e.g. 1s, 500ms, 2.5).
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

/// `1s`, `250ms`, `2m`, or a plain number of seconds (`0.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 1s, 500ms, 2m)"))?;
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use ms, s or m)"
            ));
        }
    };
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("`{text}` must be greater than zero"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn cli_shape_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
