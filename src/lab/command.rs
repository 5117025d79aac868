//! `fleetdash lab`: start a lab from the command line, write its inventory and
//! known_hosts, print a one-line summary per second until Ctrl-C.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use color_eyre::eyre::{Context, eyre};
use russh::keys::PublicKey;

use super::inventory::PASSWORD_ENV;
use super::platform::Platform;
use super::runtime::{Lab, LabConfig, LabStats};
use super::scenario::Scenario;
use crate::base::stdout;

/// What `fleetdash lab` starts (from its flags).
#[derive(Debug, Clone, PartialEq)]
pub struct LabOptions {
    /// Number of devices; default: the scenario's count.
    pub devices: Option<usize>,
    /// Scenario file (YAML); default: the built-in demo.
    pub scenario: Option<PathBuf>,
    /// Address of the first device; the others follow (must stay in 127.0.0.0/8).
    pub base: Ipv4Addr,
    /// SSH port of every device (0: a free port per device).
    pub port: u16,
    /// Write a fleetdash inventory for the lab to this file.
    pub write_inventory: Option<PathBuf>,
    /// Write known_hosts lines for every device to this file.
    pub write_known_hosts: Option<PathBuf>,
    /// Write the lab's cabling as a `fleetdash cabling` plan to this file.
    pub write_cabling: Option<PathBuf>,
    /// Login user name.
    pub username: String,
    /// Login password (also the enable secret).
    pub password: String,
    /// OpenSSH authorized_keys file whose keys may log in.
    pub authorized_keys: Option<PathBuf>,
    /// Seed for host keys: the same seed gives every device the same key across restarts.
    pub seed: u64,
    /// Network devices take these platforms in turn (`--platforms`); empty: the
    /// scenario's own.
    pub platforms: Vec<Platform>,
}

/// The value of `--platforms` (one flag value, several platforms).
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformList(pub Vec<Platform>);

/// Reads `--platforms`: `all` (every network platform the lab simulates) or a comma list
/// of lab platform names.
pub fn parse_platforms(text: &str) -> Result<PlatformList, String> {
    platform_list(text).map(PlatformList)
}

fn platform_list(text: &str) -> Result<Vec<Platform>, String> {
    let network = || Platform::all().filter(|p| *p != Platform::Linux);
    if text.trim() == "all" {
        return Ok(network().collect());
    }
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match Platform::from_lab_name(name) {
            Some(p) => out.push(p),
            None => {
                let known: Vec<&str> = Platform::all().map(Platform::lab_name).collect();
                return Err(format!(
                    "unknown platform {:?}; use `all` or a comma list of: {}",
                    crate::base::text::Untrusted(name).to_string(),
                    known.join(", ")
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("name at least one platform, or `all`".into());
    }
    Ok(out)
}

/// Runs a lab until Ctrl-C.
pub async fn run(args: LabOptions) -> color_eyre::Result<()> {
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::demo(),
    };
    let mut scenario = scenario;
    if !args.platforms.is_empty() {
        scenario.platform_mix = args.platforms.clone();
    }
    let mut cfg = LabConfig::new(scenario);
    if let Some(n) = args.devices {
        cfg.devices = n;
    }
    cfg.base = args.base;
    cfg.port = args.port;
    cfg.username = args.username.clone();
    cfg.password = args.password.clone();
    cfg.seed = args.seed;
    if let Some(path) = &args.authorized_keys {
        cfg.authorized_keys = read_authorized_keys(path)?;
    }
    let started = std::time::Instant::now();
    let lab = Lab::start(cfg).await?;
    let devices = lab.devices();
    stdout::println(&format!(
        "lab: {} on {}..{} started in {:.0?}; user {:?}; Ctrl-C stops",
        crate::base::text::count(devices.len(), "device"),
        devices[0].addr,
        devices[devices.len() - 1].addr,
        started.elapsed(),
        args.username
    ));
    if let Some(path) = &args.write_inventory {
        std::fs::write(path, lab.inventory_yaml())
            .wrap_err_with(|| format!("cannot write the inventory to {}", path.display()))?;
        stdout::println(&format!(
            "lab: inventory written to {} (export {PASSWORD_ENV}=<password>)",
            path.display()
        ));
    }
    if let Some(path) = &args.write_known_hosts {
        std::fs::write(path, lab.known_hosts())
            .wrap_err_with(|| format!("cannot write known_hosts to {}", path.display()))?;
        stdout::println(&format!("lab: known_hosts written to {}", path.display()));
    }
    if let Some(path) = &args.write_cabling {
        let mut plan =
            String::from("# The cabling of this lab, for `fleetdash cabling --expect`.\nlinks:\n");
        for [a, ap, b, bp] in lab.cabling() {
            plan.push_str(&format!("  - {a}:{ap} -- {b}:{bp}\n"));
        }
        std::fs::write(path, plan)
            .wrap_err_with(|| format!("cannot write the cabling to {}", path.display()))?;
        stdout::println(&format!("lab: cabling written to {}", path.display()));
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = lab.stats();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                let now = lab.stats();
                stdout::println(&summary(&now, &last));
                last = now;
            }
        }
    }
    stdout::println("lab: stopping");
    lab.stop().await;
    Ok(())
}

/// The one-line status printed every second.
fn summary(now: &LabStats, last: &LabStats) -> String {
    format!(
        "lab: {}/{} up | sessions {} (+{}/s) active {} | commands {} (+{}/s) | auth failures {} | refused {} | forwards {}",
        now.devices_up,
        now.devices,
        now.sessions,
        now.sessions - last.sessions,
        now.active_sessions,
        now.commands,
        now.commands - last.commands,
        now.auth_failures,
        now.refused,
        now.forwards
    )
}

/// Reads an OpenSSH authorized_keys file (options before the key type are not supported).
fn read_authorized_keys(path: &Path) -> color_eyre::Result<Vec<PublicKey>> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read authorized keys {}", path.display()))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh(line).map_err(|e| {
            eyre!(
                "{}:{}: not an OpenSSH public key ({e}); options before the key type are not supported",
                path.display(),
                n + 1
            )
        })?;
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_flag_takes_all_or_a_list_and_names_the_choices_when_wrong() {
        let all = parse_platforms("all").unwrap().0;
        assert_eq!(all.len(), Platform::all().count() - 1);
        assert!(!all.contains(&Platform::Linux));
        assert_eq!(
            parse_platforms("cisco_xr, vyos").unwrap().0,
            [Platform::CiscoXr, Platform::Vyos]
        );
        let e = parse_platforms("cisco_xr,junos").unwrap_err();
        assert!(
            e.contains("\"junos\"") && e.contains("juniper_junos"),
            "{e}"
        );
        assert!(parse_platforms(" , ").is_err());
        let e = parse_platforms("x\u{1b}[2J").unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }
}
