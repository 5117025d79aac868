//! The built-in demo: a small fleet on loopback addresses (127.20.x.y) whose TCP listeners
//! this process opens and closes on a schedule, so tiles really go red and green. No root,
//! no network, nothing to configure.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use color_eyre::Result;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::inventory::{Device, Group, Inventory, ProbeSpec};

const SITES: [&str; 3] = ["ams", "fra", "lon"];
/// (role, platform, how many per site)
const ROLES: [(&str, &str, usize); 4] = [
    ("core", "arista_eos", 2),
    ("dist", "cisco_xe", 4),
    ("access", "cisco_ios", 12),
    ("server", "linux", 2),
];

/// How a demo device's listener behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Behaviour {
    Steady,
    /// Never listens (a device that is simply gone).
    Dead,
    /// Listens for `up`, then is gone for `down`, forever.
    Flapping {
        up: Duration,
        down: Duration,
    },
}

fn behaviour(name: &str) -> Behaviour {
    let secs = Duration::from_secs;
    match name {
        "fra-access-07" => Behaviour::Dead,
        "ams-access-03" => Behaviour::Flapping {
            up: secs(6),
            down: secs(4),
        },
        "lon-dist-02" => Behaviour::Flapping {
            up: secs(25),
            down: secs(10),
        },
        "fra-core-02" => Behaviour::Flapping {
            up: secs(45),
            down: secs(15),
        },
        _ => Behaviour::Steady,
    }
}

/// A running demo: dropping it closes every listener.
pub struct Demo {
    pub inventory: Inventory,
    _listeners: JoinSet<()>,
}

impl Demo {
    pub async fn start() -> Result<Demo> {
        // One port for all devices, picked by the kernel so a second demo cannot collide.
        let probe_port = TcpListener::bind("127.20.0.1:0")
            .await?
            .local_addr()?
            .port();
        let inventory = inventory(probe_port);
        let mut listeners = JoinSet::new();
        for device in &inventory.devices {
            let addr = SocketAddr::new(device.host.parse()?, probe_port);
            let behaviour = behaviour(&device.name);
            listeners.spawn(serve(addr, behaviour));
        }
        Ok(Demo {
            inventory,
            _listeners: listeners,
        })
    }
}

async fn serve(addr: SocketAddr, behaviour: Behaviour) {
    match behaviour {
        Behaviour::Dead => {}
        Behaviour::Steady => listen_for(addr, None).await,
        Behaviour::Flapping { up, down } => loop {
            listen_for(addr, Some(up)).await;
            tokio::time::sleep(down).await;
        },
    }
}

/// Accepts (and drops) connections on `addr`, forever or for `period`; the listener is
/// closed afterwards, so connects are refused, which a `tcp:` probe reports as down.
async fn listen_for(addr: SocketAddr, period: Option<Duration>) {
    let Ok(listener) = TcpListener::bind(addr).await else {
        return;
    };
    let accept = async {
        loop {
            let _ = listener.accept().await;
        }
    };
    match period {
        Some(period) => {
            let _ = tokio::time::timeout(period, accept).await;
        }
        None => accept.await,
    }
}

fn inventory(probe_port: u16) -> Inventory {
    let mut devices = Vec::new();
    for (s, site) in SITES.iter().enumerate() {
        let mut host = 1u8;
        for (role, platform, count) in ROLES {
            for n in 1..=count {
                let name = format!("{site}-{role}-{n:02}");
                let ip = Ipv4Addr::new(127, 20, s as u8, host);
                host += 1;
                let tags = BTreeMap::from([
                    ("site".to_string(), site.to_string()),
                    ("role".to_string(), role.to_string()),
                ]);
                devices.push(Device {
                    name,
                    host: ip.to_string(),
                    port: 22,
                    platform: platform.to_string(),
                    username: Some("admin".into()),
                    password_env: None,
                    key_file: None,
                    agent: false,
                    key_passphrase_env: None,
                    legacy_ssh: false,
                    groups: vec![site.to_string(), role.to_string()],
                    all_groups: vec![site.to_string(), role.to_string()],
                    tags,
                    probe: ProbeSpec::Tcp(probe_port),
                });
            }
        }
    }
    let groups = SITES
        .iter()
        .chain(ROLES.iter().map(|r| &r.0))
        .map(|name| Group {
            name: name.to_string(),
            parents: vec![],
        })
        .collect();
    Inventory {
        source: "built-in demo".into(),
        devices,
        groups,
    }
}
