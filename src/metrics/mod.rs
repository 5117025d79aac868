//! Prometheus metrics: the `/metrics` endpoint of the dashboard, `sweep`, `exec`, `rollout`
//! and `serve`. A front end binds an [`Exporter`] before it starts the engine (a port in use
//! is a user error, before any probe goes out), then [`Exporter::attach`]es it: a
//! [`fleet::Tap`](crate::fleet::Tap) follows the reducer and a scrape reads what it wrote.
//!
//! ```text
//! reducer loop ─ MetricsTap ─► atomics (per device) + metric handles (fleet-wide)
//!                                          ▲
//! GET /metrics ─ http::serve ─ encode ─────┘   (a blocking thread; no lock the loop holds)
//! ```

mod device;
pub mod http;
pub mod labels;
pub mod remote;
mod tap;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::Starting;
use crate::fleet::Event;
use crate::inventory::Inventory;

pub use device::RTT_BUCKETS;
pub use tap::{COMMAND_OUTCOMES, command_outcome};

/// The port `--metrics` binds when given none (on 127.0.0.1).
pub const DEFAULT_PORT: u16 = 9723;

/// How a front end exports metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    pub addr: SocketAddr,
    /// Inventory tags that become labels (checked by [`labels::parse_tag_labels`]).
    pub tags: Vec<String>,
    /// A `vantage` label on every device series (`--vantage`), so one Prometheus can tell
    /// several fleetdash instances apart.
    pub vantage: Option<String>,
    /// How long a command that ends (`exec`, `rollout --headless`, `sweep --count N`)
    /// waits for one last scrape, so its final numbers reach Prometheus.
    pub linger: Duration,
}

/// `--metrics` values: a port alone binds 127.0.0.1; an address (`127.0.0.1:9723`,
/// `[::1]:9723`, `0.0.0.0:9723`) binds that address. No host names: nothing here looks a
/// name up.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| {
        format!(
            "`{}` is not a port or an IP address with a port (e.g. 9723, 127.0.0.1:9723, \
             [::1]:9723; host names are not looked up)",
            crate::base::text::Untrusted(text)
        )
    })
}

/// A bound `/metrics` endpoint and the metrics it serves.
pub struct Exporter {
    addr: SocketAddr,
    endpoint: Arc<http::Endpoint>,
    cells: Arc<[device::Cell]>,
    fleet: tap::Fleetwide,
    queue: Arc<QueueDepth>,
    server: JoinHandle<()>,
    linger: Duration,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Exporter {
    /// Binds `config.addr` and starts answering scrapes. Must run inside a tokio runtime.
    /// The error is one line for the user (exit 2).
    pub async fn bind(config: &MetricsConfig, inventory: &Inventory) -> Result<Exporter, String> {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| {
                let why = match e.kind() {
                    std::io::ErrorKind::AddrInUse => {
                        "the address is in use (another fleetdash or exporter?): pick another \
                         port"
                            .to_string()
                    }
                    std::io::ErrorKind::AddrNotAvailable => {
                        "no interface of this machine has that address".to_string()
                    }
                    _ => e.to_string(),
                };
                format!("--metrics {}: cannot listen: {why}", config.addr)
            })?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let labels = labels::device_labels(inventory, &config.tags, config.vantage.as_deref());
        let cells: Arc<[device::Cell]> = (0..labels.len()).map(|_| Default::default()).collect();
        let mut registry = Registry::default();
        let fleet = tap::Fleetwide::register(&mut registry, inventory.devices.len());
        registry.register_collector(Box::new(device::DeviceCollector {
            cells: cells.clone(),
            labels: labels.into(),
        }));
        let queue = Arc::new(QueueDepth::default());
        registry.register_collector(Box::new(queue.clone()));
        let endpoint = Arc::new(http::Endpoint::new(registry));
        let server = tokio::spawn(http::serve(listener, endpoint.clone()));
        Ok(Exporter {
            addr,
            endpoint,
            cells,
            fleet,
            queue,
            server,
            linger: config.linger,
        })
    }

    /// The address it listens on (the port the kernel chose, for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Plugs the exporter into an engine being built: a tap follows the reducer, and the
    /// event queue's depth is read at each scrape.
    pub fn attach(&self, starting: Starting) -> Starting {
        let _ = self.queue.events.set(starting.sender().downgrade());
        starting.tap(self.tap())
    }

    /// The follower of the reducer that feeds this exporter ([`Exporter::attach`] plugs it
    /// in; tests drive it by hand).
    pub fn tap(&self) -> Box<dyn crate::fleet::Tap> {
        Box::new(tap::MetricsTap::new(self.cells.clone(), self.fleet.clone()))
    }

    /// The body a scrape gets now.
    pub fn encode(&self) -> String {
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &self.endpoint.registry)
            .expect("writing to a String does not fail");
        body
    }

    /// Scrapes answered so far.
    pub fn scrapes(&self) -> u64 {
        self.endpoint.scrapes.load(Ordering::Relaxed)
    }

    /// For a command that ends: waits until a scrape that began after this call has been
    /// answered (so it holds the final numbers), at most the configured linger. Says so on
    /// stderr.
    pub async fn linger(&self) {
        if self.linger.is_zero() {
            return;
        }
        eprintln!(
            "metrics: waiting up to {} for a last scrape of http://{}/metrics",
            crate::base::duration::format(self.linger),
            self.addr
        );
        let endpoint = &self.endpoint;
        let mark = endpoint.begun.load(Ordering::SeqCst);
        let wait = async {
            loop {
                // Registered before the check, so an answer in between still wakes it.
                let next = endpoint.scraped.notified();
                if endpoint.answered.load(Ordering::SeqCst) > mark {
                    return;
                }
                next.await;
            }
        };
        let _ = tokio::time::timeout(self.linger, wait).await;
    }
}

/// At each scrape, how many events wait for the reducer. Holds the queue only weakly, so
/// the event stream still ends when the workers do.
#[derive(Debug, Default)]
struct QueueDepth {
    events: OnceLock<mpsc::WeakSender<Event>>,
}

impl Collector for QueueDepth {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let depth = self
            .events
            .get()
            .and_then(mpsc::WeakSender::upgrade)
            .map_or(0, |tx| tx.max_capacity() - tx.capacity());
        let mut m = encoder.encode_descriptor(
            "fleetdash_event_queue_depth",
            "Events from the workers waiting for the reducer (bounded; full means the probes slow down)",
            None,
            MetricType::Gauge,
        )?;
        m.encode_gauge(&(depth as i64))
    }
}

#[cfg(test)]
mod tests;
