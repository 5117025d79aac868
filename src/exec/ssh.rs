//! The production connector: the exec engine's seam implemented by the russh session layer
//! (`crate::ssh`). Thin on purpose: stages, timeouts and output handling live there.

use crate::inventory::Device;
use crate::ssh::{self, ExecError, Output, SshOptions};

use super::connector::{Connector, PollSpec, Session};

/// Opens [`ssh::Session`]s with one set of options for every device.
#[derive(Debug, Clone)]
pub struct SshConnector {
    pub opts: SshOptions,
}

impl SshConnector {
    pub fn new(opts: SshOptions) -> SshConnector {
        SshConnector { opts }
    }
}

impl Connector for SshConnector {
    type Session = ssh::Session;

    async fn connect(&self, device: &Device) -> Result<ssh::Session, ExecError> {
        ssh::Session::connect(device, &self.opts).await
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
