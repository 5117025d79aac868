//! The production connector: the exec engine's seam implemented by the russh session layer
//! (`crate::ssh`). Thin on purpose: stages, timeouts and output handling live there.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::inventory::Device;
use crate::platforms::detect::Detection;
use crate::ssh::detect::{self, Cache};
use crate::ssh::{self, ConnectFailure, ExecError, Output, SshOptions, Stage};

use super::connector::{Connector, PollSpec, Session};

use crate::platforms::AUTODETECT;

/// Opens [`ssh::Session`]s with one set of options for every device.
#[derive(Debug, Clone)]
pub struct SshConnector {
    pub opts: SshOptions,
    /// Platforms found for `platform: autodetect` devices, and the file that keeps them.
    detected: Arc<Mutex<Cache>>,
    cache_file: Option<PathBuf>,
    /// Host keys learned by connects that failed later, by device name, until taken.
    failure_notices: Arc<Mutex<HashMap<String, String>>>,
}

impl SshConnector {
    pub fn new(opts: SshOptions) -> SshConnector {
        let cache_file = crate::base::paths::detected_platforms().ok();
        let cache = cache_file.as_deref().map(Cache::load).unwrap_or_default();
        SshConnector {
            opts,
            detected: Arc::new(Mutex::new(cache)),
            cache_file,
            failure_notices: Arc::default(),
        }
    }

    /// The platform to connect `device` with: its own, or for `autodetect` the one found
    /// earlier (kept in the state directory) or found now.
    async fn platform_of(&self, device: &Device) -> Result<String, ExecError> {
        if device.platform != AUTODETECT {
            return Ok(device.platform.clone());
        }
        if let Some(p) = self.lock().platform(device) {
            return Ok(p.to_string());
        }
        let found = detect::detect(device, &self.opts).await?;
        match found.detection {
            Detection::Found(platform) => {
                let snapshot = {
                    let mut cache = self.lock();
                    cache.record(device, &platform);
                    cache.clone()
                };
                if let Some(path) = self.cache_file.clone() {
                    let saved = tokio::task::spawn_blocking(move || snapshot.save(&path)).await;
                    if let Ok(Err(e)) = saved {
                        tracing::warn!(error = %e, "cannot save detected platforms");
                    }
                }
                tracing::info!(device = %device.name, %platform, "platform detected");
                Ok(platform)
            }
            other => Err(ExecError {
                stage: Stage::Detect,
                maybe_ran: false,
                reason: match other {
                    Detection::Ambiguous(names) => format!(
                        "several platforms fit ({}): set `platform:` for this device",
                        names.join(", ")
                    ),
                    _ => "no known platform matched what the device printed: set `platform:`, \
                          or add a platform file (see `fleetdash platforms`)"
                        .into(),
                },
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.detected.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Connector for SshConnector {
    type Session = ssh::Session;

    async fn connect(&self, device: &Device) -> Result<ssh::Session, ExecError> {
        let platform = self.platform_of(device).await?;
        let connected = if platform == device.platform {
            ssh::Session::connect_noting(device, &self.opts).await
        } else {
            let mut device = device.clone();
            device.platform = platform;
            ssh::Session::connect_noting(&device, &self.opts).await
        };
        connected.map_err(|ConnectFailure { error, learned }| {
            if let Some(text) = learned {
                self.failure_notices
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(device.name.clone(), text);
            }
            error
        })
    }

    fn take_failure_notice(&self, device: &Device) -> Option<String> {
        self.failure_notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&device.name)
    }

    fn poll_specs(&self, platform: &str) -> Vec<PollSpec> {
        crate::platforms::poll_specs(platform)
            .iter()
            .map(|p| PollSpec {
                command: p.command.to_string(),
                parse: p.parse,
            })
            .collect()
    }
}

impl Session for ssh::Session {
    async fn run(&mut self, command: &str) -> Result<Output, ExecError> {
        ssh::Session::run(self, command).await
    }

    fn is_closed(&self) -> bool {
        ssh::Session::is_closed(self)
    }

    fn connect_notice(&self) -> Option<String> {
        self.learned_host_key().map(str::to_string)
    }
}
