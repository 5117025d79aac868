//! The built-in demo: the device lab's demo scenario (about 60 simulated devices over three
//! sites, some faulty or flapping) started in this process on loopback addresses, and an
//! inventory for it. No root, no network, nothing to configure.

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::inventory::Inventory;
use crate::lab::{Lab, LabConfig};

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
}
