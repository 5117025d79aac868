//! `fleetdash exec INVENTORY --limit P -- COMMAND`: run one command on the selected devices
//! and print the answers folded (identical outputs once, under a compact device list, like
//! `dshbak -c`), or one JSON object per device per line with `--json`.
//!
//! Exit status: 0 when every device answered without error, 1 when any failed (unreachable,
//! refused, error marker or non-zero exit), 2 on usage or inventory errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::base::exit::USAGE;
use crate::base::paths::NoHome;
use crate::base::safety::{Family, Verdict, judge};
use crate::base::sanitize::Removed;
use crate::base::stdout;
use crate::base::text::{Untrusted, count, escape_json, escape_line};
use crate::cli::parse_duration;
use crate::engine::limit;
use crate::exec::fold::{compact_names, fold};
use crate::exec::{Connector, ExecConfig, Secrets, SshConnector, journal, spawn_exec};
use crate::fleet::{Command, DeviceRun, Event, ExecError, Output, Run, Runs};
use crate::inventory::Inventory;
use crate::ssh::{HostKeyPolicy, SshOptions, Timeouts, check_known_hosts_file};

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

/// One device's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceResult {
    pub name: String,
    pub host: String,
    pub duration: Duration,
    pub result: Result<Output, ExecError>,
}

/// SSH options from the headless commands' flags: one timeout for every stage, the host key
/// policy, and (optionally) the only known_hosts file to check and learn into.
pub(crate) fn ssh_options(
    known_hosts: Option<&Path>,
    timeout: Duration,
    keys: HostKeys,
) -> Result<SshOptions, NoHome> {
    let opts = match known_hosts {
        Some(file) => SshOptions::with_known_hosts(file.to_path_buf()),
        None => SshOptions::for_user()?,
    };
    Ok(SshOptions {
        timeouts: Timeouts {
            connect: timeout,
            handshake: timeout,
            auth: timeout,
            command: timeout,
        },
        host_keys: match keys {
            HostKeys::Strict => HostKeyPolicy::Strict,
            HostKeys::AcceptNew => HostKeyPolicy::AcceptNew,
        },
        ..opts
    })
}

impl DeviceResult {
    pub fn ok(&self) -> bool {
        self.result.as_ref().is_ok_and(Output::ok)
    }
}

pub async fn run(args: ExecArgs) -> color_eyre::Result<ExitCode> {
    let inventory = match Inventory::load(&args.inventory)
        .map_err(|e| e.to_string())
        .and_then(|inv| limit(inv, Some(&args.limit)))
    {
        Ok(inventory) => Arc::new(inventory),
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let command = args.command.join(" ");
    if let Err(why) = vet(&command, &inventory, args.read_only, args.allow_dangerous) {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(USAGE));
    }
    let journal =
        match journal::open_audit(args.journal.as_deref(), Secrets::from_inventory(&inventory)) {
            Ok(journal) => journal,
            Err(why) => {
                eprintln!("error: {why}");
                return Ok(ExitCode::from(USAGE));
            }
        };
    let t = args.timeout;
    let cfg = ExecConfig {
        concurrency: args.concurrency.max(1),
        // The session layer times each stage with `t`; these only catch what slips through.
        connect_timeout: t * 4 + Duration::from_secs(1),
        command_timeout: t + Duration::from_secs(1),
        journal: Some(Arc::new(journal)),
        ..ExecConfig::default()
    };
    if let Some(Err(why)) = args.known_hosts.as_deref().map(check_known_hosts_file) {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(USAGE));
    }
    let opts = match ssh_options(args.known_hosts.as_deref(), t, args.host_keys) {
        Ok(opts) => opts,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let results = execute(inventory, cfg, SshConnector::new(opts), &command).await;
    stdout::print(&match args.json {
        true => json_lines(&results),
        false => folded(&results),
    });
    eprintln!("{}", summary(&results));
    Ok(if results.iter().all(DeviceResult::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The dashboard's rules, without the question: a command that is not one line, or not
/// read-only with `--read-only`, is refused; a dangerous one needs `--allow-dangerous`.
fn vet(
    command: &str,
    inventory: &Inventory,
    read_only: bool,
    allow_dangerous: bool,
) -> Result<(), String> {
    let families = inventory.devices.iter().map(|d| Family::of(&d.platform));
    match judge(command, families, read_only) {
        Verdict::Run => Ok(()),
        Verdict::Ask(_) if allow_dangerous => Ok(()),
        Verdict::Ask(why) => Err(format!(
            "`{}` {why}: pass --allow-dangerous to run it on {}",
            Untrusted(command),
            count(inventory.devices.len(), "device")
        )),
        Verdict::Refuse(why) => Err(format!("`{}` refused — {why}", Untrusted(command))),
    }
}

/// Runs `command` on every device of `inventory` and waits for all of them. Notices (host
/// keys learned) go to stderr.
pub async fn execute<C: Connector>(
    inventory: Arc<Inventory>,
    cfg: ExecConfig,
    connector: C,
    command: &str,
) -> Vec<DeviceResult> {
    const RUN: u64 = 1;
    let devices: Vec<usize> = (0..inventory.devices.len()).collect();
    let (commands, rx) = mpsc::channel(1);
    let (tx, mut events) = mpsc::channel(4096);
    let engine = spawn_exec(inventory.clone(), cfg, connector, rx, tx);
    let mut runs = Runs::new(devices.len());
    runs.start(Run::new(
        RUN,
        command.to_string(),
        devices.clone(),
        Instant::now(),
    ));
    let run = Command::Run {
        run: RUN,
        devices,
        command: command.to_string(),
    };
    if commands.send(run).await.is_ok() {
        // Closing the channel lets the engine finish the run and then end the event stream.
        drop(commands);
        while let Some(event) = events.recv().await {
            match event {
                Event::Exec(e) => runs.apply(e),
                Event::Notice { text, .. } => eprintln!("{}", escape_line(&text)),
                _ => {}
            }
        }
    }
    engine.finished().await;
    let run = runs.get(RUN).expect("run recorded above");
    run.devices
        .iter()
        .map(|&id| {
            let device = &inventory.devices[id];
            let (duration, result) = match run.per_device.get(&id) {
                Some(DeviceRun::Done { duration, result }) => (*duration, result.clone()),
                // The engine ended without an answer for it (it never does unless a worker
                // panicked); report it rather than hide it.
                _ => (Duration::ZERO, Err(lost())),
            };
            DeviceResult {
                name: device.name.clone(),
                host: device.host.clone(),
                duration,
                result,
            }
        })
        .collect()
}

fn lost() -> ExecError {
    ExecError {
        stage: crate::fleet::Stage::Command,
        maybe_ran: true,
        reason: "no result (the worker stopped)".into(),
    }
}

/// What a device's answer is folded by: its text and anything that makes it not plain ok.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Output { text: String, note: String },
    Error(String),
}

fn key(r: &DeviceResult) -> Key {
    match &r.result {
        Ok(out) => {
            let mut notes = Vec::new();
            if let Some(marker) = &out.error_marker {
                notes.push(format!("error: {marker}"));
            }
            if let Some(status) = out.exit_status.filter(|s| *s != 0) {
                notes.push(format!("exit status {status}"));
            }
            if out.truncated {
                notes.push("output truncated".into());
            }
            if out.removed.any() {
                notes.push(out.removed.to_string());
            }
            Key::Output {
                text: out.text.clone(),
                note: notes.join(", "),
            }
        }
        Err(e) => Key::Error(e.to_string()),
    }
}

/// Identical answers once under a header naming the devices; failures last, grouped by
/// reason. Outputs are sanitized already; names and reasons are escaped here.
pub fn folded(results: &[DeviceResult]) -> String {
    let groups = fold(results.iter().map(|r| (r.name.clone(), key(r))));
    let (answers, errors): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|g| matches!(g.key, Key::Output { .. }));
    let mut out = String::new();
    for group in answers {
        let Key::Output { text, note } = &group.key else {
            continue;
        };
        let mut header = format!(
            "{} ({})",
            escape_line(&compact_names(&group.devices)),
            group.devices.len()
        );
        if !note.is_empty() {
            let _ = write!(header, " — {}", escape_line(note));
        }
        let rule = "-".repeat(header.chars().count().clamp(15, 78));
        let _ = writeln!(out, "{rule}\n{header}\n{rule}");
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    if !errors.is_empty() {
        let _ = writeln!(out, "FAILED");
        for group in errors {
            if let Key::Error(reason) = &group.key {
                let names = escape_line(&compact_names(&group.devices));
                let (n, reason) = (group.devices.len(), escape_line(reason));
                let _ = writeln!(out, "  {names} ({n}): {reason}");
            }
        }
    }
    out
}

/// One device, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    name: &'a str,
    host: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe_ran: Option<bool>,
    exit_status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_marker: Option<&'a str>,
    truncated: bool,
    /// What the sanitizer took out of the device's text.
    removed: Removed,
    duration_ms: u64,
    output: &'a str,
}

pub fn json_lines(results: &[DeviceResult]) -> String {
    let mut out = String::new();
    for r in results {
        let (output, error) = (r.result.as_ref().ok(), r.result.as_ref().err());
        let row = Row {
            name: &r.name,
            host: &r.host,
            ok: r.ok(),
            stage: error.map(|e| e.stage.as_str()),
            error: error.map(|e| e.reason.as_str()),
            maybe_ran: error.map(|e| e.maybe_ran),
            exit_status: output.and_then(|o| o.exit_status),
            error_marker: output.and_then(|o| o.error_marker.as_deref()),
            truncated: output.is_some_and(|o| o.truncated),
            removed: output.map(|o| o.removed).unwrap_or_default(),
            duration_ms: r.duration.as_millis().min(u64::MAX as u128) as u64,
            output: output.map_or("", |o| o.text.as_str()),
        };
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    }
    out
}

/// `998 ok, 2 failed of 1000 devices`.
pub fn summary(results: &[DeviceResult]) -> String {
    let ok = results.iter().filter(|r| r.ok()).count();
    format!(
        "{ok} ok, {} failed of {} devices",
        results.len() - ok,
        results.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Stage;

    fn answer(name: &str, text: &str) -> DeviceResult {
        DeviceResult {
            name: name.into(),
            host: "127.20.0.1".into(),
            duration: Duration::from_millis(12),
            result: Ok(Output {
                text: text.into(),
                exit_status: Some(0),
                ..Output::default()
            }),
        }
    }

    fn failure(name: &str, stage: Stage, reason: &str) -> DeviceResult {
        DeviceResult {
            result: Err(ExecError {
                stage,
                maybe_ran: false,
                reason: reason.into(),
            }),
            ..answer(name, "")
        }
    }

    #[test]
    fn folds_identical_answers_and_groups_failures() {
        let mut marked = answer("sw1", "% Invalid input detected at '^' marker.\n");
        if let Ok(out) = &mut marked.result {
            out.error_marker = Some("% Invalid input".into());
        }
        let results = vec![
            answer("rtr1", "15.2(4)\n"),
            answer("rtr2", "15.2(4)\n"),
            failure("rtr3", Stage::Connect, "connection refused"),
            answer("rtr4", "15.1(1)"),
            answer("rtr5", "15.2(4)\n"),
            marked,
            failure("rtr6", Stage::Connect, "connection refused"),
            failure("rtr7", Stage::Auth, "password rejected"),
        ];
        let text = folded(&results);
        let expected = "\
---------------
rtr[1-2,5] (3)
---------------
15.2(4)
---------------
rtr4 (1)
---------------
15.1(1)
--------------------------------
sw1 (1) — error: % Invalid input
--------------------------------
% Invalid input detected at '^' marker.
FAILED
  rtr[3,6] (2): connect: connection refused
  rtr7 (1): auth: password rejected
";
        assert_eq!(text, expected);
        assert_eq!(summary(&results), "4 ok, 4 failed of 8 devices");
    }

    #[test]
    fn json_line_per_device() {
        let results = vec![
            answer("rtr1", "up\n"),
            failure("rtr2", Stage::HostKey, "changed"),
        ];
        let lines: Vec<serde_json::Value> = json_lines(&results)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["ok"], true);
        assert_eq!(lines[0]["output"], "up\n");
        assert_eq!(lines[0]["duration_ms"], 12);
        assert_eq!(lines[0]["exit_status"], 0);
        assert!(lines[0].get("stage").is_none());
        assert_eq!(lines[1]["ok"], false);
        assert_eq!(lines[1]["stage"], "host key");
        assert_eq!(lines[1]["error"], "changed");
        assert_eq!(lines[1]["maybe_ran"], false);
        assert_eq!(lines[0]["removed"]["controls"], 0);
    }

    /// Device names and failure reasons cannot drive the terminal, in text or in JSON, and
    /// cannot forge a line of their own.
    #[test]
    fn hostile_names_and_reasons_are_escaped() {
        use crate::base::text::hostile::{SAMPLES, assert_inert};
        for hostile in SAMPLES {
            let results = vec![
                answer(hostile, "up\n"),
                failure(&format!("{hostile}2"), Stage::Auth, hostile),
            ];
            let text = folded(&results);
            assert_inert("folded", &text);
            assert!(!text.contains("\nFORGED"), "{text}");
            let json = json_lines(&results);
            assert_inert("json", &json);
            let row: serde_json::Value =
                serde_json::from_str(json.lines().next().unwrap()).unwrap();
            assert_eq!(row["name"], *hostile);
        }
    }

    /// A device whose escape sequences were taken out says so, in text and in JSON.
    #[test]
    fn removed_control_sequences_are_reported() {
        let mut cut = answer("rtr1", "status: all good\n\n% Error: broken\n");
        if let Ok(out) = &mut cut.result {
            out.removed = Removed {
                controls: 1,
                unterminated: 1,
                overwritten: 0,
            };
        }
        let results = vec![cut, answer("rtr2", "status: all good\n\n% Error: broken\n")];
        let text = folded(&results);
        assert!(
            text.contains("rtr1 (1) — 1 control sequence removed (1 unterminated)\n"),
            "{text}"
        );
        assert!(text.contains("rtr2 (1)\n"), "{text}");
        let row: serde_json::Value =
            serde_json::from_str(json_lines(&results).lines().next().unwrap()).unwrap();
        assert_eq!(row["removed"]["controls"], 1, "{row}");
        assert_eq!(row["removed"]["unterminated"], 1, "{row}");
        assert_eq!(row["removed"]["overwritten"], 0, "{row}");
        assert_eq!(row["truncated"], false);
    }
}
