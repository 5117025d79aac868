//! The built-in demo: the device lab's demo scenario (about 60 simulated devices over three
//! sites, some faulty or flapping) started in this process on loopback addresses, and an
//! inventory for it. No root, no network, nothing to configure.

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::inventory::Inventory;
use crate::lab::{Lab, LabConfig};
use crate::ssh::{HostKeyPolicy, Secret, SshOptions};

/// The lab's default password, public by design.
const DEMO_PASSWORD: &str = "admin";

/// A running demo: the lab lives as long as this does.
pub struct Demo {
    pub inventory: Inventory,
    pub lab: Lab,
}

impl Demo {
    pub async fn start() -> Result<Demo> {
        let config = LabConfig {
            // A free port per device, so a `fleetdash lab` already running cannot collide.
            port: 0,
            ..LabConfig::default()
        };
        let lab = Lab::start(config).await.wrap_err("starting the demo lab")?;
        let inventory = Inventory::from_yaml(&lab.inventory_yaml(), "demo lab")
            .wrap_err("the demo lab wrote an inventory fleetdash cannot read")?;
        Ok(Demo { inventory, lab })
    }

    /// SSH options for the demo lab: its host keys (written to fleetdash's state dir, where a
    /// new demo overwrites them) checked strictly, and its public password.
    pub fn ssh_options(&self) -> Result<SshOptions> {
        let file = crate::base::paths::demo_known_hosts()?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&file, self.lab.known_hosts())
            .wrap_err_with(|| format!("writing {}", file.display()))?;
        Ok(SshOptions {
            host_keys: HostKeyPolicy::Strict,
            password: Some(Secret::new(DEMO_PASSWORD.into())),
            // The demo's devices are its own: the user's ssh_config has no say.
            ssh_config: crate::ssh::ssh_config::SshConfig::empty(),
            ..SshOptions::with_known_hosts(file)
        })
    }
}
