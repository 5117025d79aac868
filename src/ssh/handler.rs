//! The russh client `Handler`: checks the server's host key during the handshake and keeps
//! the reason when it refuses one (russh would otherwise report a bare "unknown key").

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::client::Handler;
use russh::keys::PublicKeyOrCertificate;

use super::hostkeys::{self, Accepted};
use super::options::HostKeyPolicy;

/// Errors out of the handshake, with ours kept apart from russh's.
#[derive(Debug)]
pub enum HandlerError {
    Ssh(russh::Error),
    /// The host key was refused; the text is for people.
    HostKey(String),
}

impl From<russh::Error> for HandlerError {
    fn from(e: russh::Error) -> HandlerError {
        HandlerError::Ssh(e)
    }
}

/// One connection's handler.
pub struct Client {
    /// The name the host key is filed under: `host`, `[host]:port`, or HostKeyAlias.
    pub known_as: String,
    pub policy: HostKeyPolicy,
    pub files: Vec<PathBuf>,
    pub learn_into: PathBuf,
    /// Set when accept-new learned the key (read by the session after the handshake).
    pub learned: Arc<Mutex<Option<String>>>,
}

impl Handler for Client {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            return Err(HandlerError::HostKey(
                "the device presented a host certificate; only plain host keys are supported"
                    .into(),
            ));
        };
        // Files parsed before and unchanged (a stat each) are checked here: a hop to the
        // blocking pool and back costs more than the check. Reading or learning is file I/O,
        // off the async threads so 1,000 handshakes don't stall.
        let verdict = match hostkeys::check_cached(&self.known_as, key, self.policy, &self.files) {
            Some(verdict) => verdict,
            None => {
                let (known_as, policy) = (self.known_as.clone(), self.policy);
                let (files, learn_into) = (self.files.clone(), self.learn_into.clone());
                let key = key.clone();
                tokio::task::spawn_blocking(move || {
                    hostkeys::check_as(&known_as, &key, policy, &files, &learn_into)
                })
                .await
                .map_err(|e| HandlerError::HostKey(format!("host key check failed: {e}")))?
            }
        };
        match verdict {
            Ok(Accepted::Known) => Ok(true),
            Ok(Accepted::Learned(text)) => {
                *self.learned.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
                Ok(true)
            }
            Err(reason) => Err(HandlerError::HostKey(reason)),
        }
    }
}
