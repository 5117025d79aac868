//! `fleetdash serve INVENTORY --metrics ADDR`: the probes of the dashboard without the
//! terminal, as a daemon whose only output is `/metrics` (a blackbox exporter that already
//! knows the inventory). SIGINT or SIGTERM stop it cleanly (exit 0).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::base::exit::USAGE;
use crate::engine::{Engine, EngineConfig, Probes};
use crate::fleet::FleetConfig;
use crate::metrics::{Exporter, MetricsConfig};
use crate::probe::SweepConfig;

/// What `serve` watches, and how.
#[derive(Debug, Clone)]
pub struct ServeJob {
    pub inventory: PathBuf,
    pub limit: Option<String>,
    pub sweep: SweepConfig,
    pub fleet: FleetConfig,
    /// `None`: the user forgot `--metrics` (a usage error: nothing else would show).
    pub metrics: Option<MetricsConfig>,
    /// Record the transitions and notices to this file (`--record`).
    pub record: Option<PathBuf>,
}

pub async fn run(job: ServeJob) -> color_eyre::Result<ExitCode> {
    let Some(metrics) = job.metrics else {
        eprintln!(
            "error: serve needs --metrics ADDR (e.g. --metrics 9723): it has no other output"
        );
        return Ok(ExitCode::from(USAGE));
    };
    let (inventory, _bastions) = match super::select(&job.inventory, job.limit.as_deref()) {
        Ok(selected) => selected,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let exporter = match Exporter::bind(&metrics, &inventory).await {
        Ok(exporter) => exporter,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let config = EngineConfig {
        fleet: job.fleet,
        probes: Some(Probes {
            sweep: job.sweep,
            only: None,
            via_bastion: super::sweep::via_bastion(&inventory),
        }),
        ..EngineConfig::default()
    };
    let tap = match crate::record::open_for(job.record.as_deref(), "serve", &inventory) {
        Ok(tap) => tap,
        Err(code) => return Ok(code),
    };
    let n = inventory.devices.len();
    let builder = Engine::builder(Arc::new(inventory), config);
    let mut engine = crate::record::attach(exporter.attach(builder), tap).start();
    eprintln!(
        "fleetdash serve: probing {}; metrics at http://{}/metrics",
        crate::base::text::count(n, "device"),
        exporter.addr()
    );
    let stop = super::stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            folded = engine.next_batch(|_| {}) => if folded.is_none() { break },
            name = &mut stop => {
                eprintln!("fleetdash serve: {name}, stopping");
                break;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
