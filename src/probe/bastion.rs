//! Probes through a bastion, for devices ICMP from this machine cannot reach (`jump:`).
//!
//! The probe asks the device's last hop to open a `direct-tcpip` channel to the device's
//! SSH port (or its `tcp:PORT`), over the bastion connection the SSH sessions share
//! (`crate::ssh::Bastions`): an opened channel is `Reply` (the round trip of the open);
//! no answer within the probe timeout is `Lost`; a refused open is `Failed` with the
//! reason. Unlike the direct host check (where a TCP refusal proves the host is up), a
//! refused open counts as down: SSH's open failure ("connect failed") does not say whether
//! the port refused or the host is unreachable behind the bastion. A bastion that cannot be
//! logged in to makes its devices `Failed` with `via NAME: STAGE failed: …`.

use std::collections::HashMap;
use std::time::Duration;

use super::report::ProbeOutcome;
use crate::inventory::{DeviceId, Inventory, ProbeSpec};
use crate::ssh::{ExecError, SshOptions, Target};

/// The devices to probe through their bastion, and the SSH options (with the bastion
/// pool) to reach it.
#[derive(Debug, Clone)]
pub struct ViaBastion {
    opts: SshOptions,
    routes: HashMap<DeviceId, Route>,
}

#[derive(Debug, Clone)]
struct Route {
    /// The hops, first to last, or why there are none (a `jump:` loop).
    chain: Result<Vec<Target>, ExecError>,
    host: String,
    port: u16,
}

impl ViaBastion {
    /// Every device of `inventory` with `jump:` hops; `opts.bastions` resolves named hops.
    pub fn new(inventory: &Inventory, opts: SshOptions) -> ViaBastion {
        let routes = inventory
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.jump.is_empty())
            .map(|(id, d)| {
                let target = Target::from_device(d);
                let port = match d.probe {
                    ProbeSpec::Tcp(port) => port,
                    ProbeSpec::Icmp => d.port,
                };
                let route = Route {
                    chain: opts.bastions.chain(&target),
                    host: d.host.clone(),
                    port,
                };
                (id, route)
            })
            .collect();
        ViaBastion { opts, routes }
    }

    /// Whether `device` is probed through its bastion.
    pub fn covers(&self, device: DeviceId) -> bool {
        self.routes.contains_key(&device)
    }

    /// How many devices are probed through a bastion.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// One probe of `device` (see the module docs); `limit` bounds the channel open.
    pub async fn probe(&self, device: DeviceId, limit: Duration) -> ProbeOutcome {
        let Some(route) = self.routes.get(&device) else {
            return ProbeOutcome::Failed {
                reason: "not behind a bastion".into(),
            };
        };
        let chain = match &route.chain {
            Ok(chain) => chain,
            Err(e) => {
                return ProbeOutcome::Failed {
                    reason: e.reason.clone(),
                };
            }
        };
        // Logging in to a bastion has the run's own timeouts; the probe is the open.
        let t = self.opts.timeouts;
        let login = t.connect + t.handshake + t.auth;
        let reach = self
            .opts
            .bastions
            .reach(chain, &route.host, route.port, &self.opts, limit);
        match tokio::time::timeout(login + limit, reach).await {
            Err(_) | Ok(Ok(None)) => ProbeOutcome::Lost,
            Ok(Ok(Some(rtt))) => ProbeOutcome::Reply { rtt },
            Ok(Err(e)) => ProbeOutcome::Failed { reason: e.reason },
        }
    }
}
