//! Command-line arguments, and the config structs they turn into: nothing below this file
//! sees a clap type.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::headless::exec::ExecJob;
use crate::headless::rollout::RolloutJob;
use crate::lab::LabOptions;
use crate::probe::{Rate, SweepConfig};
use crate::rollout::prepare::{DEFAULT_CONCURRENCY, RolloutConfig};
use crate::ssh::HostKeyPolicy;

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
    #[command(flatten)]
    pub ssh_config: SshConfigArgs,
    #[command(flatten)]
    pub look: LookArgs,
}

/// How the dashboard looks.
#[derive(Debug, Args)]
pub struct LookArgs {
    /// Colours, or none at all (state shown by symbols, bold, dim and reversed text).
    /// Default: mono when NO_COLOR is set, else colour.
    #[arg(long, global = true, value_enum, value_name = "THEME")]
    pub theme: Option<ThemeArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    Colour,
    Mono,
}

impl From<ThemeArg> for crate::ui::theme::Theme {
    fn from(t: ThemeArg) -> Self {
        match t {
            ThemeArg::Colour => crate::ui::theme::Theme::Colour,
            ThemeArg::Mono => crate::ui::theme::Theme::Mono,
        }
    }
}

/// Which OpenSSH client configuration sessions follow (see the README's ssh_config section).
#[derive(Debug, Args)]
pub struct SshConfigArgs {
    /// Read this ssh_config file instead of ~/.ssh/config and /etc/ssh/ssh_config.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "no_ssh_config"
    )]
    pub ssh_config: Option<PathBuf>,
    /// Read no ssh_config file.
    #[arg(long, global = true)]
    pub no_ssh_config: bool,
}

impl SshConfigArgs {
    /// The files to read: the flags, else `FLEETDASH_SSH_CONFIG` (`none` or a file; the
    /// integration tests set `none` on every fleetdash they run, so no test ever reads the
    /// user's files), else the user's.
    pub fn sources(&self) -> crate::ssh::ssh_config::Sources {
        use crate::ssh::ssh_config::Sources;
        match (&self.ssh_config, self.no_ssh_config) {
            (_, true) => Sources::None,
            (Some(file), _) => Sources::File(file.clone()),
            (None, false) => match std::env::var_os("FLEETDASH_SSH_CONFIG") {
                Some(v) if v == "none" => Sources::None,
                Some(v) if !v.is_empty() => Sources::File(v.into()),
                _ => Sources::User,
            },
        }
    }
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
    /// Validate an inventory and print a summary: the format and files read, the groups,
    /// and every device as resolved.
    Check {
        /// Inventory: fleetdash YAML, an Ansible inventory (INI, YAML or a directory), a
        /// Nornir hosts.yaml (or its directory), or a containerlab topology.
        inventory: PathBuf,
        /// Read the inventory in this format instead of recognising it
        /// (own, ansible, nornir, containerlab).
        #[arg(long, value_name = "FORMAT")]
        format: Option<crate::inventory::Format>,
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
    Exec(ExecArgs),
    /// Push a change across the fleet in waves (plan YAML), with checks, a failure
    /// threshold, pause/abort and a crash-safe journal.
    ///
    /// Exit status: 0 completed, 1 halted or aborted, 2 plan, inventory or usage errors.
    Rollout(RolloutArgs),
    /// List the platforms (built in and from $XDG_CONFIG_HOME/fleetdash/platforms/): name,
    /// description, transport and the file each comes from.
    Platforms {
        /// One JSON object per platform and line.
        #[arg(long)]
        json: bool,
    },
    /// Measure sweep speed and memory against fping, and frame render time.
    Bench(BenchArgs),
    /// Run simulated network devices over real SSH on loopback addresses, until Ctrl-C.
    Lab(LabArgs),
    /// Find the platform of each device (log in, run identification commands, score them
    /// against every platform file), remember it, and optionally write it into the inventory.
    ///
    /// Exit status: 0 when every device was identified, 1 when any was not, 2 on usage or
    /// inventory errors.
    Detect(DetectArgs),
    /// Back up each device's running configuration into a git repository: one file per
    /// device, volatile lines dropped, secrets masked, one commit per run when anything
    /// changed.
    ///
    /// Exit status: 0 when every device was backed up, 1 when any failed, 2 on usage or
    /// inventory errors.
    Backup(BackupArgs),
    /// Find the hosts of address ranges that answer on SSH ports, read their banners,
    /// optionally detect their platforms, and write or merge an inventory.
    ///
    /// Exit status: 0 when the scan ran, 2 on usage errors.
    Discover(DiscoverArgs),
    /// Probe the inventory continuously without a terminal and serve Prometheus metrics
    /// (like a blackbox exporter that already knows the fleet), until SIGINT or SIGTERM.
    ///
    /// Exit status: 0 when stopped by a signal, 2 on usage or inventory errors (a metrics
    /// port in use included).
    Serve(ServeArgs),
    /// Check the cabling: each device's LLDP/CDP neighbours against the planned links
    /// (YAML or CSV list, or a containerlab topology).
    ///
    /// Exit status: 0 when the cabling matches the plan, 1 when it does not, 2 on usage or
    /// inventory errors.
    Cabling(CablingArgs),
    /// Open the dashboard on a recording (`--record`): tiles, log, runs and rollout as
    /// they were, with play/pause, step and jumps in time. Sends no traffic.
    Replay(ReplayArgs),
    /// Summarize a recording: outages per device, flaps, runs, the rollout's result
    /// (Markdown, or JSON with --json).
    Report {
        /// The recording (JSON lines, as `--record` writes it).
        file: PathBuf,
        /// One JSON object instead of Markdown.
        #[arg(long)]
        json: bool,
    },
}

/// `--record FILE`: the flight recorder of sweep, exec and rollout.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Record every state change, run, command outcome, rollout event and notice to FILE
    /// (JSON lines; rotated at 16 MiB, 8 files kept; `fleetdash replay` / `report` read it).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The recording (JSON lines, as `--record` writes it).
    pub file: PathBuf,
    /// Show times in UTC (default: the local time zone).
    #[arg(long)]
    pub utc: bool,
}

/// `--metrics` and its companions, on the dashboard, `sweep`, `exec`, `rollout` and `serve`.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at http://ADDR/metrics: a port alone binds 127.0.0.1
    /// (e.g. 9723); any other address must be given whole (0.0.0.0:9723, [::1]:9723).
    #[arg(long, value_name = "ADDR", value_parser = crate::metrics::parse_addr)]
    pub metrics: Option<std::net::SocketAddr>,
    /// Inventory tags that become labels of each device's series (comma list, at most 8).
    #[arg(long, value_name = "TAGS", requires = "metrics", value_parser = parse_tag_labels)]
    pub metrics_labels: Option<TagLabels>,
    /// A `vantage` label on each device's series: where this fleetdash probes from.
    #[arg(long, value_name = "NAME", requires = "metrics")]
    pub vantage: Option<String>,
    /// A command that ends waits at most this long for one last scrape (0: not at all).
    #[arg(long, default_value = "30s", value_name = "DURATION",
          value_parser = crate::base::duration::parse)]
    pub metrics_linger: Duration,
}

/// The checked tag keys of `--metrics-labels`.
#[derive(Debug, Clone, PartialEq)]
pub struct TagLabels(pub Vec<String>);

fn parse_tag_labels(text: &str) -> Result<TagLabels, String> {
    crate::metrics::labels::parse_tag_labels(text).map(TagLabels)
}

impl MetricsArgs {
    pub fn config(&self) -> Option<crate::metrics::MetricsConfig> {
        Some(crate::metrics::MetricsConfig {
            addr: self.metrics?,
            tags: self.metrics_labels.clone().map(|t| t.0).unwrap_or_default(),
            vantage: self.vantage.clone(),
            linger: self.metrics_linger,
        })
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Inventory file.
    pub inventory: PathBuf,
    /// Only these devices (host pattern).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Consecutive losses before a device counts as down.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub down_after: u32,
    /// Consecutive replies before a device counts as up.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub up_after: u32,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CablingArgs {
    /// Inventory file.
    pub inventory: PathBuf,
    /// The planned links: YAML (`- sw1:Gi0/1 -- sw2:Gi0/1`), CSV
    /// (`a_device,a_port,b_device,b_port`) or a containerlab topology (`*.clab.yml`).
    #[arg(long, value_name = "FILE")]
    pub expect: PathBuf,
    /// Only these devices (host pattern).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// One JSON object per link per line.
    #[arg(long)]
    pub json: bool,
    /// Audit journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/audit.jsonl.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub ssh: JobSshArgs,
}

impl From<CablingArgs> for crate::headless::cabling::CablingJob {
    fn from(a: CablingArgs) -> Self {
        crate::headless::cabling::CablingJob {
            inventory: a.inventory,
            expect: a.expect,
            limit: a.limit,
            json: a.json,
            journal: a.journal,
            login: a.ssh.into(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// Address ranges: 192.0.2.0/24, 2001:db8::/120 or single addresses (no names).
    #[arg(required = true, value_name = "CIDR")]
    pub ranges: Vec<String>,
    /// TCP ports to try on each address.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "22",
        value_name = "PORTS"
    )]
    pub ports: Vec<u16>,
    /// Connection attempts per second (0: as fast as they go; only for labs).
    #[arg(long, default_value_t = 2000, value_name = "PPS")]
    pub rate: u32,
    /// How long to wait for a connect and for a banner.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Connection attempts in flight at once.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub concurrency: usize,
    /// Allow a scan of more than a /16 (65,536 addresses).
    #[arg(long)]
    pub yes: bool,
    /// Log in to each SSH host found and detect its platform.
    #[arg(long)]
    pub detect: bool,
    /// Login user for --detect.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Name of the environment variable holding the password for --detect.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// What to do with host keys no known_hosts file lists yet.
    #[arg(long, value_enum, default_value_t = HostKeys::AcceptNew)]
    pub host_keys: HostKeys,
    /// Check and learn host keys only in this known_hosts file.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Write the hosts found into this inventory (created, or merged without repeating
    /// hosts it already lists).
    #[arg(long, value_name = "FILE")]
    pub write_inventory: Option<PathBuf>,
    /// One JSON object per host per line.
    #[arg(long)]
    pub json: bool,
}

impl From<DiscoverArgs> for crate::headless::discover::DiscoverJob {
    fn from(a: DiscoverArgs) -> Self {
        crate::headless::discover::DiscoverJob {
            ranges: a.ranges,
            ports: a.ports,
            rate: a.rate,
            timeout: a.timeout,
            concurrency: a.concurrency,
            yes: a.yes,
            detect: a.detect,
            username: a.username,
            password_env: a.password_env,
            host_keys: a.host_keys.into(),
            known_hosts: a.known_hosts,
            write_inventory: a.write_inventory,
            json: a.json,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Only these devices (host pattern).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// The git repository (created if missing, 0700). Default:
    /// $XDG_STATE_HOME/fleetdash/backups.
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Path of each device's file in the repository: {name}, {platform}, {group},
    /// {tag:KEY}, `/` for folders.
    #[arg(long, default_value = "{name}", value_name = "LAYOUT")]
    pub layout: String,
    /// Store secrets (enable secrets, SNMP communities, keys) instead of masking them.
    #[arg(long)]
    pub keep_secrets: bool,
    /// One JSON object per device per line.
    #[arg(long)]
    pub json: bool,
    /// Audit journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/audit.jsonl.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub ssh: JobSshArgs,
}

impl From<BackupArgs> for crate::headless::backup::BackupJob {
    fn from(a: BackupArgs) -> Self {
        crate::headless::backup::BackupJob {
            inventory: a.inventory,
            limit: a.limit,
            to: a.to,
            layout: a.layout,
            keep_secrets: a.keep_secrets,
            json: a.json,
            journal: a.journal,
            login: a.ssh.into(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Only these devices (host pattern).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// One JSON object per device per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the inventory, with `platform:` set on each identified device, to FILE (may
    /// be the inventory itself; comments and layout are kept).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub ssh: JobSshArgs,
}

/// How a fleet job logs in: the options `detect`, `backup` and `cabling` share.
#[derive(Debug, Clone, Args)]
pub struct JobSshArgs {
    /// Devices worked on at once.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub concurrency: usize,
    /// Timeout of each login stage (connect, handshake, auth) and of a command (a backup's
    /// fetch may take six times this).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// What to do with host keys no known_hosts file lists yet.
    #[arg(long, value_enum, default_value_t = HostKeys::AcceptNew)]
    pub host_keys: HostKeys,
    /// Check and learn host keys only in this known_hosts file.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
}

impl From<JobSshArgs> for crate::headless::Login {
    fn from(a: JobSshArgs) -> Self {
        crate::headless::Login {
            concurrency: a.concurrency,
            timeout: a.timeout,
            host_keys: a.host_keys.into(),
            known_hosts: a.known_hosts,
        }
    }
}

impl From<DetectArgs> for crate::headless::detect::DetectJob {
    fn from(a: DetectArgs) -> Self {
        crate::headless::detect::DetectJob {
            inventory: a.inventory,
            limit: a.limit,
            json: a.json,
            login: a.ssh.into(),
            write: a.write,
        }
    }
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
    /// Record the window to FILE (default: $XDG_STATE_HOME/fleetdash/recordings/
    /// dashboard.jsonl; rotated at 16 MiB, 8 files kept).
    #[arg(long, value_name = "FILE", conflicts_with = "no_record")]
    pub record: Option<PathBuf>,
    /// Do not record the window.
    #[arg(long)]
    pub no_record: bool,
    /// Where `:backup` commits configurations (a git repository, created 0700).
    /// Default: $XDG_STATE_HOME/fleetdash/backups.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// Also show reachability measured elsewhere, read from this Prometheus server
    /// (http://HOST:PORT[/PREFIX]): other `fleetdash serve` instances or blackbox_exporter.
    #[arg(long, value_name = "URL", value_parser = crate::metrics::remote::parse_url)]
    pub from_prometheus: Option<crate::metrics::remote::PrometheusUrl>,
    /// The PromQL query read from --from-prometheus (1 up, 0 down per series), e.g.
    /// `probe_success{job="blackbox"}`.
    #[arg(long, value_name = "PROMQL", requires = "from_prometheus",
          default_value = crate::metrics::remote::DEFAULT_QUERY)]
    pub query: String,
    /// How often --from-prometheus is read.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub prometheus_interval: Duration,
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
    /// Number of sweeps; 0 sweeps until SIGINT or SIGTERM, then prints the table.
    #[arg(long, short = 'c', default_value_t = 1, value_name = "N")]
    pub count: u64,
    /// One JSON object per device per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Loopback addresses to sweep (127.21.0.0/16 and up).
    #[arg(long, default_value_t = 10_000)]
    pub devices: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Inventory file (YAML).
    pub inventory: PathBuf,
    /// Devices to run on (host pattern: group, name glob, tag:key=value, `all`).
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: String,
    /// One JSON object per device per line instead of folded text.
    #[arg(long)]
    pub json: bool,
    /// Devices worked on at once.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub concurrency: usize,
    /// Timeout of each stage (connect, handshake, auth, command), e.g. 10s, 500ms.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Audit journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/audit.jsonl.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// What to do with host keys no known_hosts file lists yet.
    #[arg(long, value_enum, default_value_t = HostKeys::AcceptNew)]
    pub host_keys: HostKeys,
    /// Check and learn host keys only in this known_hosts file.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Refuse every command that is not read-only on the selected devices' platforms.
    #[arg(long)]
    pub read_only: bool,
    /// Run commands that reboot, erase or change configuration (refused without it).
    #[arg(long)]
    pub allow_dangerous: bool,
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// The command, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKeys {
    /// Only keys already in a known_hosts file.
    Strict,
    /// Learn unknown keys (reported on stderr); a changed key is always refused.
    AcceptNew,
}

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// Rollout plan (YAML).
    pub plan: PathBuf,
    /// Inventory file (YAML).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub inventory: PathBuf,
    /// Run without the dashboard, printing progress lines.
    #[arg(long)]
    pub headless: bool,
    /// Start without asking (required with --headless: nobody is there to confirm).
    #[arg(long)]
    pub yes: bool,
    /// Progress as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Print the waves and which devices fall into each, without connecting.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue the rollout this journal records (after a crash, halt or abort).
    #[arg(long, value_name = "JOURNAL")]
    pub resume: Option<PathBuf>,
    /// Where report.md and report.json go. Default: next to the journal.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Rollout journal (JSON lines). Default: $XDG_STATE_HOME/fleetdash/rollouts/.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub journal: Option<PathBuf>,
    /// With --resume: when lines fleetdash did not write follow the journal's last valid
    /// line, resume up to it and set them aside (JOURNAL.dropped) without asking.
    #[arg(long, requires = "resume")]
    pub truncate_journal: bool,
    /// Devices worked on at once within a wave.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_name = "N")]
    pub concurrency: usize,
    /// Timeout of each SSH stage (connect, handshake, auth, command).
    // The default is `rollout::prepare::DEFAULT_TIMEOUT` (a test below checks they agree).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// What to do with host keys no known_hosts file lists yet.
    #[arg(long, value_enum, default_value_t = HostKeys::AcceptNew)]
    pub host_keys: HostKeys,
    /// Check and learn host keys only in this known_hosts file.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

impl From<HostKeys> for HostKeyPolicy {
    fn from(keys: HostKeys) -> HostKeyPolicy {
        match keys {
            HostKeys::Strict => HostKeyPolicy::Strict,
            HostKeys::AcceptNew => HostKeyPolicy::AcceptNew,
        }
    }
}

impl ProbeArgs {
    pub fn sweep_config(&self, count: Option<u64>) -> SweepConfig {
        SweepConfig {
            interval: self.interval,
            timeout: self.timeout,
            rate: match self.rate {
                None => Rate::Spread,
                Some(0) => Rate::Unlimited,
                Some(pps) => Rate::PerSecond(pps),
            },
            count,
        }
    }
}

impl From<ExecArgs> for ExecJob {
    fn from(a: ExecArgs) -> ExecJob {
        ExecJob {
            inventory: a.inventory,
            limit: a.limit,
            json: a.json,
            journal: a.journal,
            login: crate::headless::Login {
                concurrency: a.concurrency,
                timeout: a.timeout,
                host_keys: a.host_keys.into(),
                known_hosts: a.known_hosts,
            },
            read_only: a.read_only,
            allow_dangerous: a.allow_dangerous,
            record: a.record.record,
            metrics: a.metrics.config(),
            command: a.command,
        }
    }
}

impl From<RolloutArgs> for RolloutJob {
    fn from(a: RolloutArgs) -> RolloutJob {
        RolloutJob {
            config: RolloutConfig {
                plan: a.plan,
                inventory: a.inventory,
                resume: a.resume,
                report: a.report,
                journal: a.journal,
                truncate_journal: a.truncate_journal,
                concurrency: a.concurrency,
                timeout: a.timeout,
                host_keys: a.host_keys.into(),
                known_hosts: a.known_hosts,
            },
            headless: a.headless,
            yes: a.yes,
            json: a.json,
            dry_run: a.dry_run,
            record: a.record.record,
            metrics: a.metrics.config(),
        }
    }
}

/// Arguments of `fleetdash lab`.
#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// Number of devices (default: the scenario's count).
    #[arg(long, short = 'n')]
    pub devices: Option<usize>,
    /// Scenario file (YAML); default: the built-in demo.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Address of the first device; the others follow (must stay in 127.0.0.0/8).
    #[arg(long, default_value = "127.20.0.1")]
    pub base: Ipv4Addr,
    /// SSH port of every device (0: a free port per device).
    #[arg(long, default_value_t = 2222)]
    pub port: u16,
    /// Write a fleetdash inventory for the lab to this file.
    #[arg(long)]
    pub write_inventory: Option<PathBuf>,
    /// Write known_hosts lines for every device to this file.
    #[arg(long)]
    pub write_known_hosts: Option<PathBuf>,
    /// Write the lab's cabling as a plan for `fleetdash cabling --expect` (YAML).
    #[arg(long, value_name = "FILE")]
    pub write_cabling: Option<PathBuf>,
    /// Login user name.
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Login password (also the enable secret).
    #[arg(long, default_value = "admin")]
    pub password: String,
    /// OpenSSH authorized_keys file whose keys may log in.
    #[arg(long)]
    pub authorized_keys: Option<PathBuf>,
    /// Seed for host keys: the same seed gives every device the same key across restarts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Network devices take these platforms in turn: `all`, or a comma list
    /// (`cisco_xr,huawei_vrp,vyos`); default: the scenario's mix.
    #[arg(long, value_parser = crate::lab::parse_platforms)]
    pub platforms: Option<crate::lab::PlatformList>,
}

impl From<LabArgs> for LabOptions {
    fn from(a: LabArgs) -> LabOptions {
        LabOptions {
            devices: a.devices,
            scenario: a.scenario,
            base: a.base,
            port: a.port,
            write_inventory: a.write_inventory,
            write_known_hosts: a.write_known_hosts,
            write_cabling: a.write_cabling,
            username: a.username,
            password: a.password,
            authorized_keys: a.authorized_keys,
            seed: a.seed,
            platforms: a.platforms.map(|l| l.0).unwrap_or_default(),
        }
    }
}

/// Every duration flag takes the one grammar (`500ms`, `30s`, `1h30m`, a bare number of
/// seconds) and refuses zero.
pub use crate::base::duration::parse_positive as parse_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_keeps_the_flags_that_matter() {
        use std::path::Path;

        use crate::headless::rollout::resume_command;
        let parse = |line: &[&str]| -> RolloutJob {
            let words = ["fleetdash", "rollout"]
                .into_iter()
                .chain(line.iter().copied());
            match Cli::parse_from(words).command {
                Some(Command::Rollout(args)) => args.into(),
                other => panic!("not a rollout: {other:?}"),
            }
        };
        let args = parse(&[
            "my plan.yaml",
            "-i",
            "inv.yaml",
            "--known-hosts",
            "/k/kh",
            "--host-keys",
            "strict",
            "--concurrency",
            "5",
        ]);
        assert_eq!(
            resume_command(&args, Path::new("/s/j.jsonl")),
            "fleetdash rollout 'my plan.yaml' --inventory inv.yaml --known-hosts /k/kh \
             --host-keys strict --concurrency 5 --resume /s/j.jsonl"
        );
        let args = parse(&[
            "p.yaml",
            "-i",
            "inv.yaml",
            "--headless",
            "--yes",
            "--timeout",
            "5s",
        ]);
        assert_eq!(
            resume_command(&args, Path::new("j")),
            "fleetdash rollout p.yaml --inventory inv.yaml --timeout 5s --headless --yes --resume j"
        );
    }

    /// Every `fleetdash …` command a message, hint or the README names uses flags that
    /// exist (a hint once sent users to a `--list` flag fleetdash never had).
    #[test]
    fn commands_named_in_messages_and_the_readme_use_real_flags() {
        use clap::CommandFactory;
        fn flags(cmd: &clap::Command, into: &mut std::collections::BTreeSet<String>) {
            into.extend(
                cmd.get_arguments()
                    .filter_map(|a| a.get_long())
                    .map(String::from),
            );
            into.extend(["help".to_string(), "version".to_string()]);
            for sub in cmd.get_subcommands() {
                flags(sub, into);
            }
        }
        let mut known = std::collections::BTreeSet::new();
        flags(&Cli::command(), &mut known);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![root.join("README.md")];
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                match path.extension().and_then(|e| e.to_str()) {
                    _ if path.is_dir() => dirs.push(path),
                    Some("rs") => files.push(path),
                    _ => {}
                }
            }
        }
        let mut checked = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for (at, _) in text.match_indices("`fleetdash ") {
                let rest = &text[at + 1..];
                let command = &rest[..rest.find('`').unwrap_or(rest.len()).min(300)];
                for word in command.split_whitespace() {
                    let Some(flag) = word.strip_prefix("--") else {
                        continue;
                    };
                    let flag = flag.split(['=', ']', ')', ',']).next().unwrap();
                    if flag.is_empty() || !flag.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    {
                        continue;
                    }
                    checked += 1;
                    assert!(
                        known.contains(flag),
                        "{}: `{command}` names --{flag}, which fleetdash does not have",
                        file.display()
                    );
                }
            }
        }
        assert!(checked > 20, "found the commands ({checked} flags)");
    }

    #[test]
    fn cli_shape_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
