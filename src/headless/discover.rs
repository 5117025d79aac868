//! `fleetdash discover CIDR… [--ports 22,830] [--detect] [--write-inventory FILE]`: find the
//! hosts of address ranges that answer on the given TCP ports, read their SSH banners,
//! optionally log in and detect their platforms, and write (or merge into) an inventory.
//!
//! Exit status: 0 when the scan ran (finding nothing is not an error), 2 on usage errors.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use crate::base::exit::USAGE;
use crate::base::files::{self, FileKind};
use crate::base::stdout;
use crate::base::text::{count, escape_json, escape_line};
use crate::inventory::edit::{NewDevice, add_devices};
use crate::inventory::{Device, Inventory, ProbeSpec};
use crate::jobs::detect::detect_all;
use crate::probe::Rate;
use crate::probe::scan::{Answer, LARGE_SCAN, ScanConfig, expand, scan};
use crate::ssh::HostKeyPolicy;

#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverJob {
    pub ranges: Vec<String>,
    pub ports: Vec<u16>,
    pub rate: u32,
    pub timeout: Duration,
    pub concurrency: usize,
    /// Scans larger than a /16 were confirmed.
    pub yes: bool,
    pub detect: bool,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub host_keys: HostKeyPolicy,
    pub known_hosts: Option<PathBuf>,
    pub write_inventory: Option<PathBuf>,
    pub json: bool,
}

/// One host found, with what detection said.
struct Found {
    answer: Answer,
    platform: Option<String>,
    detect_error: Option<String>,
}

pub async fn run(job: DiscoverJob) -> color_eyre::Result<ExitCode> {
    let usage = |why: &dyn std::fmt::Display| {
        eprintln!("error: {why}");
        Ok(ExitCode::from(USAGE))
    };
    let addrs = match expand(&job.ranges) {
        Ok(addrs) => addrs,
        Err(why) => return usage(&why),
    };
    if addrs.len() as u64 > LARGE_SCAN && !job.yes {
        return usage(&format!(
            "that is {} addresses, more than a /16: pass --yes to scan them all",
            addrs.len()
        ));
    }
    if job.ports.is_empty() {
        return usage(&"--ports needs at least one port");
    }
    let cfg = ScanConfig {
        ports: job.ports.clone(),
        rate: Rate::PerSecond(job.rate),
        timeout: job.timeout,
        concurrency: job.concurrency,
    };
    let total = addrs.len();
    let answers = scan(&addrs, &cfg, |done| {
        if !job.json && (done % 256 == 0 || done == total) {
            eprint!("\rscanning: {done}/{total}");
        }
    })
    .await;
    if !job.json && total > 0 {
        eprintln!();
    }
    let mut found: Vec<Found> = answers
        .into_iter()
        .filter(|a| !a.open.is_empty())
        .map(|answer| Found {
            answer,
            platform: None,
            detect_error: None,
        })
        .collect();
    let quiet = found.len();
    if job.detect
        && let Err(code) = detect(&job, &mut found).await
    {
        return Ok(code);
    }
    stdout::print(&match job.json {
        true => json_lines(&found),
        false => table(&found),
    });
    eprintln!(
        "found {} with an open port of {} scanned",
        count(quiet, "host"),
        count(total, "address")
    );
    if let Some(path) = &job.write_inventory
        && let Err(why) = write(path, &found)
    {
        return usage(&why);
    }
    Ok(ExitCode::SUCCESS)
}

/// The device a found host becomes: named after its address (nothing is resolved).
fn new_device(f: &Found) -> NewDevice {
    let ssh_port = f.answer.open[0];
    NewDevice {
        name: format!("ip-{}", name_part(f.answer.addr)),
        host: f.answer.addr.to_string(),
        port: (ssh_port != 22).then_some(ssh_port),
        platform: f.platform.clone(),
    }
}

fn name_part(addr: IpAddr) -> String {
    addr.to_string().replace(['.', ':'], "-")
}

async fn detect(job: &DiscoverJob, found: &mut [Found]) -> Result<(), ExitCode> {
    let usage = |why: &dyn std::fmt::Display| {
        eprintln!("error: {why}");
        ExitCode::from(USAGE)
    };
    let opts = super::ssh_options(job.known_hosts.as_deref(), job.timeout * 5, job.host_keys)
        .map_err(|why| usage(&why))?;
    let devices: Vec<Device> = found
        .iter()
        .map(|f| {
            let d = new_device(f);
            Device {
                name: d.name,
                host: d.host,
                port: d.port.unwrap_or(22),
                // The port it was found on: ssh_config's Port has no say.
                port_set: true,
                platform: "generic".into(),
                username: job.username.clone(),
                password_env: job.password_env.clone(),
                key_file: None,
                key_passphrase_env: None,
                agent: false,
                legacy_ssh: false,
                timing: Default::default(),
                groups: Default::default(),
                all_groups: Default::default(),
                tags: Default::default(),
                probe: ProbeSpec::Icmp,
                jump: Vec::new(),
            }
        })
        .collect();
    let inventory = Inventory {
        source: "<discovered>".into(),
        devices,
        ..Inventory::default()
    };
    let results = detect_all(&inventory, &opts, 100, |_| {}).await;
    for (f, r) in found.iter_mut().zip(&results) {
        f.platform = r.found().map(str::to_string);
        if let Err(e) = &r.result {
            f.detect_error = Some(e.to_string());
        }
    }
    Ok(())
}

fn write(path: &std::path::Path, found: &[Found]) -> Result<(), String> {
    let origin = path.display().to_string();
    let text = match files::read_text(path, FileKind::Inventory) {
        Ok(text) => Some(text),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(format!("{origin}: {e}")),
    };
    let devices: Vec<NewDevice> = found.iter().map(new_device).collect();
    let (out, known) =
        add_devices(text.as_deref(), &origin, &devices).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("discover.tmp");
    std::fs::write(&tmp, out).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{origin}: {e}"))?;
    eprintln!(
        "{origin}: added {} ({} already listed)",
        count(devices.len() - known.len(), "device"),
        known.len()
    );
    Ok(())
}

fn table(found: &[Found]) -> String {
    let mut out = String::from("ADDRESS          PORTS      PLATFORM        BANNER\n");
    for f in found {
        let ports: Vec<String> = f.answer.open.iter().map(u16::to_string).collect();
        let platform = match (&f.platform, &f.detect_error) {
            (Some(p), _) => p.clone(),
            (None, Some(_)) => "failed".into(),
            (None, None) => "-".into(),
        };
        let line = format!(
            "{:<16} {:<10} {:<15} {}",
            f.answer.addr,
            ports.join(","),
            platform,
            f.answer.banner.as_deref().unwrap_or("-")
        );
        out.push_str(line.trim_end());
        out.push('\n');
        if let Some(e) = &f.detect_error {
            out.push_str(&format!("  detect: {}\n", escape_line(e)));
        }
    }
    out
}

#[derive(Serialize)]
struct Row<'a> {
    address: String,
    open: &'a [u16],
    refused: &'a [u16],
    #[serde(skip_serializing_if = "Option::is_none")]
    banner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detect_error: Option<&'a str>,
}

fn json_lines(found: &[Found]) -> String {
    let mut out = String::new();
    for f in found {
        let row = Row {
            address: f.answer.addr.to_string(),
            open: &f.answer.open,
            refused: &f.answer.refused,
            banner: f.answer.banner.as_deref(),
            platform: f.platform.as_deref(),
            detect_error: f.detect_error.as_deref(),
        };
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    }
    out
}
