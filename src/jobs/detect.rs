//! `fleetdash detect`: find the platform of each selected device (log in, identify, score),
//! a bounded number at a time, and remember what was found in the state directory so
//! `platform: autodetect` devices connect with the right driver from then on.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::inventory::{Device, Inventory};
use crate::platforms::detect::Detection;
use crate::ssh::detect::{Cache, Detected, detect};
use crate::ssh::{ExecError, SshOptions};

/// One device's result.
#[derive(Debug, Clone)]
pub struct DeviceDetection {
    pub name: String,
    pub host: String,
    /// The platform the inventory gives it now.
    pub listed: String,
    pub duration: Duration,
    pub result: Result<Detected, ExecError>,
}

impl DeviceDetection {
    /// The platform found, if exactly one fits.
    pub fn found(&self) -> Option<&str> {
        match &self.result {
            Ok(Detected {
                detection: Detection::Found(p),
                ..
            }) => Some(p),
            _ => None,
        }
    }
}

/// Detects every device of `inventory`, `concurrency` at a time; `done` is called as each
/// finishes (for a progress line). Results are in inventory order.
pub async fn detect_all(
    inventory: &Inventory,
    opts: &SshOptions,
    concurrency: usize,
    mut done: impl FnMut(&DeviceDetection),
) -> Vec<DeviceDetection> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let opts = Arc::new(opts.clone());
    let mut tasks = JoinSet::new();
    for (i, device) in inventory.devices.iter().cloned().enumerate() {
        let (gate, opts) = (gate.clone(), opts.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, one(device, &opts).await)
        });
    }
    let mut results: Vec<Option<DeviceDetection>> = vec![None; inventory.devices.len()];
    while let Some(joined) = tasks.join_next().await {
        // A panic in one device's task is a bug; the others' results still count.
        if let Ok((i, r)) = joined {
            done(&r);
            results[i] = Some(r);
        }
    }
    results.into_iter().flatten().collect()
}

async fn one(device: Device, opts: &SshOptions) -> DeviceDetection {
    let started = Instant::now();
    let result = detect(&device, opts).await;
    DeviceDetection {
        name: device.name,
        host: device.host,
        listed: device.platform,
        duration: started.elapsed(),
        result,
    }
}

/// Records every platform found into the cache at `path`.
pub fn remember(
    inventory: &Inventory,
    results: &[DeviceDetection],
    path: &Path,
) -> std::io::Result<()> {
    let mut cache = Cache::load(path);
    for r in results {
        if let (Some(p), Some(d)) = (
            r.found(),
            inventory.devices.iter().find(|d| d.name == r.name),
        ) {
            cache.record(d, p);
        }
    }
    cache.save(path)
}
