//! The production connector: the exec engine's seam implemented by the russh session layer
//! (`crate::ssh`). Thin on purpose: stages, timeouts and output handling live there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::inventory::Device;
use crate::ssh::{self, ConnectFailure, ExecError, Output, SshOptions};

use super::connector::{Connector, PollSpec, Session};

/// Opens [`ssh::Session`]s with one set of options for every device.
#[derive(Debug, Clone)]
pub struct SshConnector {
    pub opts: SshOptions,
    /// Host keys learned by connects that failed later, by device name, until taken.
    failure_notices: Arc<Mutex<HashMap<String, String>>>,
}

impl SshConnector {
    pub fn new(opts: SshOptions) -> SshConnector {
        SshConnector {
            opts,
            failure_notices: Arc::default(),
        }
    }
}

impl Connector for SshConnector {
    type Session = ssh::Session;

    async fn connect(&self, device: &Device) -> Result<ssh::Session, ExecError> {
        match ssh::Session::connect_noting(device, &self.opts).await {
            Ok(session) => Ok(session),
            Err(ConnectFailure { error, learned }) => {
                if let Some(text) = learned {
                    self.failure_notices
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(device.name.clone(), text);
                }
                Err(error)
            }
        }
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
