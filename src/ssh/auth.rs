//! The authentication chain, in order: ssh-agent, key file (passphrase from an env var),
//! password from the env var the inventory names, keyboard-interactive answering password
//! prompts. Failure reasons name methods, files and variables, never a secret.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg};
use russh::{MethodKind, MethodSet};

use super::handler::Client;
use super::secret::Secret;
use super::signer::Ed25519Signer;
use crate::base::files::{self, FileKind, ReadError};

/// Who to log in as and with what (names of secrets, never values).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: String,
    pub agent: bool,
    pub key_file: Option<PathBuf>,
    /// More key files, tried after `key_file` in order (ssh_config's IdentityFile).
    pub identity_files: Vec<PathBuf>,
    /// The agent's socket when not `SSH_AUTH_SOCK` (ssh_config's IdentityAgent).
    pub agent_socket: Option<PathBuf>,
    pub key_passphrase_env: Option<String>,
    pub password_env: Option<String>,
    /// A password handed over directly (a prompt, tests); wins over `password_env`.
    pub password: Option<Secret>,
}

impl Credentials {
    /// The password to use, if any: given directly, or read from `password_env`.
    /// `Err` names an unset variable.
    pub fn password(&self) -> Option<Result<Secret, String>> {
        if let Some(p) = &self.password {
            return Some(Ok(p.clone()));
        }
        self.password_env.as_deref().map(Secret::from_env)
    }
}

/// A decrypted key, and for Ed25519 the signer made from it.
#[derive(Clone)]
struct Loaded {
    key: Arc<PrivateKey>,
    ed25519: Option<Ed25519Signer>,
}

/// Decrypted keys by path: decrypting costs milliseconds of CPU, paid once per process.
static KEYS: Mutex<Option<HashMap<PathBuf, Loaded>>> = Mutex::new(None);

/// The RSA signature hash each device accepts, by `host:port`.
static RSA_HASH: Mutex<Option<HashMap<String, Option<HashAlg>>>> = Mutex::new(None);

/// Tries each method the server still allows until one succeeds.
/// `device` (`host:port`) keys the per-device cache of the RSA signature hash.
pub async fn authenticate(
    handle: &mut Handle<Client>,
    creds: &Credentials,
    device: &str,
) -> Result<(), String> {
    let mut chain = Chain {
        handle,
        device,
        user: &creds.user,
        allowed: None,
        notes: Vec::new(),
    };
    if creds.agent
        && chain.allows(MethodKind::PublicKey)
        && chain.agent(creds.agent_socket.as_deref()).await
    {
        return Ok(());
    }
    for path in creds.key_file.iter().chain(&creds.identity_files) {
        if chain.allows(MethodKind::PublicKey)
            && chain
                .key_file(path, creds.key_passphrase_env.as_deref())
                .await
        {
            return Ok(());
        }
    }
    if let Some(password) = creds.password() {
        match password {
            Err(why) => chain.notes.push(format!("password: {why}")),
            Ok(password) => {
                if chain.allows(MethodKind::Password) && chain.password(&password).await {
                    return Ok(());
                }
                if chain.allows(MethodKind::KeyboardInteractive)
                    && chain.keyboard_interactive(&password).await
                {
                    return Ok(());
                }
            }
        }
    }
    if chain.notes.is_empty() {
        chain
            .notes
            .push("no credentials to offer (set password_env, key_file or agent)".into());
    }
    Err(format!(
        "authentication failed for user {}: {}",
        creds.user,
        chain.notes.join("; ")
    ))
}

struct Chain<'a> {
    handle: &'a mut Handle<Client>,
    device: &'a str,
    user: &'a str,
    /// What the server said it still accepts (`None` before the first failure).
    allowed: Option<MethodSet>,
    notes: Vec<String>,
}

impl Chain<'_> {
    fn allows(&self, m: MethodKind) -> bool {
        self.allowed.as_ref().is_none_or(|s| s.contains(&m))
    }

    /// Records the outcome; true on success.
    fn outcome(&mut self, what: &str, r: AuthResult) -> bool {
        match r {
            AuthResult::Success => true,
            AuthResult::Failure {
                remaining_methods, ..
            } => {
                self.notes.push(format!("{what}: rejected"));
                self.allowed = Some(remaining_methods);
                false
            }
        }
    }

    /// The hash for RSA signatures the server accepts. Asking costs ~1 s on old devices
    /// that never send ext-info, so the answer is kept per device.
    async fn rsa_hash(&self, key_is_rsa: bool) -> Option<HashAlg> {
        if !key_is_rsa {
            return None;
        }
        if let Some(known) = RSA_HASH
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .get(self.device)
        {
            return *known;
        }
        let hash = self.handle.best_supported_rsa_hash().await.ok()?.flatten();
        RSA_HASH
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .insert(self.device.to_string(), hash);
        hash
    }

    async fn agent(&mut self, socket: Option<&Path>) -> bool {
        let connected = match socket {
            Some(path) => AgentClient::connect_uds(path).await,
            None => AgentClient::connect_env().await,
        };
        let mut agent = match connected {
            Ok(a) => a,
            Err(e) => {
                self.notes.push(format!("agent: {e}"));
                return false;
            }
        };
        let ids = match agent.request_identities().await {
            Ok(ids) => ids,
            Err(e) => {
                self.notes.push(format!("agent: {e}"));
                return false;
            }
        };
        if ids.is_empty() {
            self.notes.push("agent: holds no keys".into());
        }
        for id in ids {
            if !self.allows(MethodKind::PublicKey) {
                break;
            }
            let key = id.public_key().into_owned();
            let hash = self.rsa_hash(key.algorithm().is_rsa()).await;
            let what = format!("agent key {}", id.comment());
            match self
                .handle
                .authenticate_publickey_with(self.user, key, hash, &mut agent)
                .await
            {
                Ok(r) => {
                    if self.outcome(&what, r) {
                        return true;
                    }
                }
                Err(e) => self.notes.push(format!("{what}: {e}")),
            }
        }
        false
    }

    async fn key_file(&mut self, path: &Path, passphrase_env: Option<&str>) -> bool {
        let key = match load_key(path, passphrase_env).await {
            Ok(k) => k,
            Err(why) => {
                self.notes.push(why);
                return false;
            }
        };
        let Loaded { key, ed25519 } = key;
        let what = format!("key {}", path.display());
        let result = match ed25519 {
            Some(mut signer) => {
                let public = key.public_key().clone();
                self.handle
                    .authenticate_publickey_with(self.user, public, None, &mut signer)
                    .await
                    .map_err(|e| e.to_string())
            }
            None => {
                let hash = self.rsa_hash(key.algorithm().is_rsa()).await;
                self.handle
                    .authenticate_publickey(self.user, PrivateKeyWithHashAlg::new(key, hash))
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        match result {
            Ok(r) => self.outcome(&what, r),
            Err(e) => {
                self.notes.push(format!("{what}: {e}"));
                false
            }
        }
    }

    async fn password(&mut self, password: &Secret) -> bool {
        match self
            .handle
            .authenticate_password(self.user, password.expose())
            .await
        {
            Ok(r) => self.outcome("password", r),
            Err(e) => {
                self.notes.push(format!("password: {e}"));
                false
            }
        }
    }

    /// Answers prompts that ask for a password with it, others with an empty line.
    async fn keyboard_interactive(&mut self, password: &Secret) -> bool {
        let mut reply = self
            .handle
            .authenticate_keyboard_interactive_start(self.user, None)
            .await;
        // A server may ask several rounds (and empty ones); a few are plenty.
        for _ in 0..5 {
            match reply {
                Ok(KeyboardInteractiveAuthResponse::Success) => return true,
                Ok(KeyboardInteractiveAuthResponse::Failure {
                    remaining_methods, ..
                }) => {
                    self.notes.push("keyboard-interactive: rejected".into());
                    self.allowed = Some(remaining_methods);
                    return false;
                }
                Ok(KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. }) => {
                    let answers = prompts
                        .iter()
                        .map(|p| {
                            if p.prompt.to_ascii_lowercase().contains("password") {
                                password.expose().to_string()
                            } else {
                                String::new()
                            }
                        })
                        .collect();
                    reply = self
                        .handle
                        .authenticate_keyboard_interactive_respond(answers)
                        .await;
                }
                Err(e) => {
                    self.notes.push(format!("keyboard-interactive: {e}"));
                    return false;
                }
            }
        }
        self.notes
            .push("keyboard-interactive: too many prompt rounds".into());
        false
    }
}

/// Why a key file gave no key.
enum KeyError {
    Read(ReadError),
    Decode(russh::keys::Error),
}

/// Loads (once per process) and decrypts a private key.
async fn load_key(path: &Path, passphrase_env: Option<&str>) -> Result<Loaded, String> {
    if let Some(k) = KEYS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(path)
    {
        return Ok(k.clone());
    }
    let passphrase = match passphrase_env {
        Some(var) => Some(Secret::from_env(var).map_err(|why| format!("key passphrase: {why}"))?),
        None => None,
    };
    let owned = path.to_path_buf();
    // Bounded and regular files only: russh's own loader would block on a FIFO forever
    // and read /dev/zero until memory runs out.
    let key = tokio::task::spawn_blocking(move || {
        let text = files::read_text(&owned, FileKind::PrivateKey).map_err(KeyError::Read)?;
        russh::keys::decode_secret_key(&text, passphrase.as_ref().map(Secret::expose))
            .map_err(KeyError::Decode)
    })
    .await
    .map_err(|e| format!("key {}: {e}", path.display()))?
    .map_err(|e| {
        let e = match e {
            KeyError::Read(e) => {
                return format!("key {}: {e} ({})", path.display(), e.help());
            }
            KeyError::Decode(e) => e,
        };
        let hint = match e {
            russh::keys::Error::KeyIsEncrypted => {
                " (it is encrypted: name the passphrase variable with key_passphrase_env)"
            }
            _ => "",
        };
        format!("key {}: {e}{hint}", path.display())
    })?;
    let key = Loaded {
        ed25519: Ed25519Signer::of(&key),
        key: Arc::new(key),
    };
    KEYS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(path.to_path_buf(), key.clone());
    Ok(key)
}
