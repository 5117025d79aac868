//! The built-in demo: the device lab's demo scenario (about 60 simulated devices over three
//! sites, some faulty or flapping) started in this process on loopback addresses, and an
//! inventory for it. No root, no network, nothing to configure.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::inventory::Inventory;
use crate::lab::{Lab, LabConfig};
use crate::ssh::{HostKeyPolicy, Secret, SshOptions};

/// The lab's default password, public by design.
const DEMO_PASSWORD: &str = "admin";

/// Demos this process started, so two in one process get two files as well.
static STARTED: AtomicU32 = AtomicU32::new(0);

/// A running demo: the lab lives as long as this does, and so does its known_hosts file.
pub struct Demo {
    pub inventory: Inventory,
    pub lab: Lab,
    /// This demo's own host keys: each demo has its own random ports, so a file shared by
    /// two demos of one user would hold only the last one's keys and refuse the other's.
    known_hosts: PathBuf,
}

impl Demo {
    /// Starts a demo whose host keys go into fleetdash's state directory.
    pub async fn start() -> Result<Demo> {
        Demo::start_in(&crate::base::paths::state_dir()?).await
    }

    /// Starts a demo whose known_hosts file is `demo_known_hosts.<pid>-<n>` in `state_dir`
    /// (removed again when the demo ends).
    pub async fn start_in(state_dir: &Path) -> Result<Demo> {
        let config = LabConfig {
            // A free port per device, so a `fleetdash lab` already running cannot collide.
            port: 0,
            ..LabConfig::default()
        };
        let lab = Lab::start(config).await.wrap_err("starting the demo lab")?;
        let inventory = Inventory::from_yaml(&lab.inventory_yaml(), "demo lab")
            .wrap_err("the demo lab wrote an inventory fleetdash cannot read")?;
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let known_hosts = state_dir.join(format!("demo_known_hosts.{}-{n}", std::process::id()));
        crate::base::private_file::write(&known_hosts, lab.known_hosts().as_bytes())
            .wrap_err_with(|| format!("writing {}", known_hosts.display()))?;
        Ok(Demo {
            inventory,
            lab,
            known_hosts,
        })
    }

    /// SSH options for the demo lab: its own host keys checked strictly, and its public
    /// password.
    pub fn ssh_options(&self) -> SshOptions {
        SshOptions {
            host_keys: HostKeyPolicy::Strict,
            password: Some(Secret::new(DEMO_PASSWORD.into())),
            // The demo's devices are its own: the user's ssh_config has no say.
            ssh_config: crate::ssh::ssh_config::SshConfig::empty(),
            ..SshOptions::with_known_hosts(self.known_hosts.clone())
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.known_hosts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::Session;

    /// Two demos of one user at once (the same state directory): each reaches its own
    /// devices with strict host keys, also after the other one started.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_demos_side_by_side_both_reach_their_devices() {
        let state = tempfile::tempdir().unwrap();
        let first = Demo::start_in(state.path()).await.unwrap();
        let second = Demo::start_in(state.path()).await.unwrap();
        for demo in [&first, &second] {
            let opts = demo.ssh_options();
            let device = demo
                .inventory
                .devices
                .iter()
                .find(|d| {
                    demo.lab
                        .device(&d.name)
                        .is_some_and(|l| l.faults == Default::default())
                })
                .expect("a demo device without faults");
            let mut session = Session::connect(device, &opts)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", device.name));
            let out = session.run("show version").await.unwrap();
            assert!(!out.text.is_empty());
        }
        let files = [first.known_hosts.clone(), second.known_hosts.clone()];
        drop((first, second));
        assert!(files.iter().all(|f| !f.exists()), "removed with the demo");
    }
}

/// The host patterns the README and the `?` help show work on the demo they open first.
#[cfg(test)]
mod examples {
    use crate::inventory::{HostPattern, Inventory};
    use crate::lab::LabConfig;

    /// The patterns of the README: every backticked item in the first column of the two
    /// tables under "Host patterns" (placeholders `TERM` aside), and every `--limit` value
    /// and rollout `target:` that is not a placeholder.
    fn readme_patterns() -> Vec<String> {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("### Host patterns").expect("the section")..];
        let section = &section[..section.find("Refused patterns:").expect("its end")];
        let mut out = Vec::new();
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let cell = row[1..].split(" | ").next().unwrap().replace("\\|", "|");
            out.extend(
                cell.split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|p| !p.contains("TERM"))
                    .map(String::from),
            );
        }
        for line in readme.lines() {
            for (i, _) in line.match_indices("--limit ") {
                let rest = &line[i + "--limit ".len()..];
                let value = match rest.strip_prefix('\'') {
                    Some(quoted) => quoted.split('\'').next().unwrap(),
                    None => rest.split([' ', ']', '`']).next().unwrap(),
                };
                // `P`, `PATTERN`: the synopsis' placeholders.
                if !value.chars().all(|c| c.is_ascii_uppercase()) {
                    out.push(value.to_string());
                }
            }
            if let Some(target) = line.strip_prefix("target: \"") {
                out.push(target.split('"').next().unwrap().to_string());
            }
        }
        out
    }

    #[test]
    fn every_pattern_of_the_readme_and_the_help_selects_demo_devices() {
        let config = LabConfig {
            port: 2222,
            ..LabConfig::default()
        };
        let demo = Inventory::from_yaml(&config.planned_inventory_yaml(), "demo").unwrap();
        let readme = readme_patterns();
        assert!(
            readme.len() >= 20,
            "the README's patterns were found: {readme:?}"
        );
        let help = crate::ui::help::PATTERNS
            .iter()
            .map(|line| line.split_whitespace().next().unwrap().to_string());
        for pattern in readme.iter().cloned().chain(help) {
            let parsed = HostPattern::parse(&pattern)
                .unwrap_or_else(|e| panic!("`{pattern}` does not parse: {e}"));
            assert_eq!(
                parsed.unmatched_terms(&demo),
                Vec::<String>::new(),
                "`{pattern}` has terms that match nothing in the demo"
            );
            assert!(
                !demo.select(&parsed).is_empty(),
                "`{pattern}` selects nothing in the demo"
            );
        }
    }
}
