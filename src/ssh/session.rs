//! One SSH session to one device: connect (resolve, TCP, handshake + host key, auth, PTY
//! shell for network platforms), each stage under its own timeout, then commands over the
//! exec channel (`exec`) or the PTY shell (here), and config mode (`config`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::Disconnect;
use russh::client::{self, Handle};
use tokio::time::timeout;

use super::auth;
use super::bastion::{Hops, Io, Lease};
use super::handler::{Client, HandlerError};
use super::options::{SshOptions, Timeouts};
use super::outcome::{ExecError, Output, Stage};
use super::proxy::ProxyChild;
use super::secret::Secret;
use super::shell::{Shell, ShellError, output_text};
use super::stage::{err, ran, timed_out};
use super::target::Target;
use super::transport::{config_for, handshake_error, resolve, tcp_connect};
use crate::base::safety::one_line;
use crate::base::sanitize::Clean;
use crate::inventory::Device;
use crate::platforms::{Profile, profile};

/// A logged-in session to one device.
pub struct Session {
    pub(super) handle: Handle<Client>,
    /// The device's name, for the log file.
    device: String,
    profile: &'static Profile,
    /// The PTY shell of network platforms; reopened lazily after it was abandoned.
    shell: Option<Shell>,
    /// For `enable` prompts: the login password, if the inventory names one.
    password: Option<Secret>,
    pub(super) timeouts: Timeouts,
    pub(super) cap: usize,
    pty_size: (u32, u32),
    learned: Option<String>,
    /// The connection died under a command.
    pub(super) lost: bool,
    /// A shell command was started and not finished (its future was dropped).
    in_flight: bool,
    route: Route,
}

impl Session {
    /// Connects to an inventory device. See [`Session::connect_target`].
    pub async fn connect(device: &Device, opts: &SshOptions) -> Result<Session, ExecError> {
        let mut target =
            Target::resolve(device, &opts.ssh_config).map_err(|why| err(Stage::Resolve, why))?;
        if let Some(password) = &opts.password {
            target.credentials.password = Some(password.clone());
        }
        Session::connect_target(&target, opts).await
    }

    /// TCP connect, handshake, host key check, auth chain, and (network platforms) PTY
    /// shell with paging disabled. Each stage under its own timeout; errors carry the Stage.
    pub async fn connect_target(t: &Target, opts: &SshOptions) -> Result<Session, ExecError> {
        let result = Session::open(t, opts).await;
        super::log::connected(t, &result);
        result
    }

    async fn open(t: &Target, opts: &SshOptions) -> Result<Session, ExecError> {
        let mut to = opts.timeouts;
        if let Some(limit) = t.ssh_config.as_deref().and_then(|r| r.connect_timeout) {
            to.connect = limit;
        }
        let (stream, route): (Box<dyn Io>, Route) = match &t.proxy_command {
            Some(command) => {
                let (stream, child) = super::proxy::spawn(command, t)?;
                (Box::new(stream), Route::Proxy(child))
            }
            None => {
                let chain = opts.bastions.chain(t)?;
                if chain.is_empty() {
                    let addrs = resolve(&t.host, t.port, to.connect).await?;
                    (
                        Box::new(tcp_connect(&addrs, to.connect).await?),
                        Route::Direct,
                    )
                } else {
                    let (tunnel, via) =
                        opts.bastions.connect(&chain, &t.host, t.port, opts).await?;
                    (Box::new(tunnel), Route::Bastion(via))
                }
            }
        };
        let (handle, learned) = login(stream, t, opts).await?;
        let note = learned.clone();
        let with_learned = |mut e: ExecError| {
            if let Some(l) = &note {
                e.reason = format!("{} ({l})", e.reason);
            }
            e
        };
        let password = t.credentials.password().and_then(Result::ok);
        let mut session = Session {
            handle,
            device: t.name.clone(),
            profile: profile(&t.platform),
            shell: None,
            password,
            timeouts: to,
            cap: opts.output_cap,
            pty_size: opts.pty_size,
            learned,
            lost: false,
            in_flight: false,
            route,
        };
        if session.profile.uses_shell()
            && let Err(e) = session.open_shell().await
        {
            return Err(with_learned(e));
        }
        Ok(session)
    }

    /// The notice to log when accept-new learned this device's host key at connect.
    pub fn learned_host_key(&self) -> Option<&str> {
        self.learned.as_deref()
    }

    /// Changes the command timeout for later commands (a run may allow a slow command
    /// more time than the session's default).
    pub fn set_command_timeout(&mut self, limit: Duration) {
        self.timeouts.command = limit;
    }

    /// The platform profile in use.
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// True once the connection is gone: the caller reconnects.
    pub fn is_closed(&self) -> bool {
        let reclaimed = matches!(&self.route, Route::Bastion(via) if via.lease.reclaimed());
        self.lost || reclaimed || self.handle.is_closed()
    }

    /// The bastion this session rides, if any.
    pub fn bastion(&self) -> Option<&str> {
        match &self.route {
            Route::Bastion(via) => Some(via.link.name()),
            _ => None,
        }
    }

    async fn open_shell(&mut self) -> Result<(), ExecError> {
        let limit = self.timeouts.command;
        let open = async {
            let channel = self
                .handle
                .channel_open_session()
                .await
                .map_err(|e| format!("cannot open a session channel: {e}"))?;
            Shell::open(
                channel,
                self.profile,
                self.pty_size,
                self.password.as_ref(),
                self.cap,
            )
            .await
        };
        match timeout(limit, open).await {
            Err(_) => Err(err(
                Stage::Channel,
                timed_out("opening the shell (no prompt seen)", limit),
            )),
            Ok(Err(reason)) => Err(err(Stage::Channel, reason)),
            Ok(Ok(shell)) => {
                self.shell = Some(shell);
                Ok(())
            }
        }
    }

    /// Runs one command: exec channel for `linux`, the PTY shell for network platforms.
    /// Output is capped, sanitized and checked for the platform's error markers.
    /// `maybe_ran` is true on every error after the command was sent.
    pub async fn run(&mut self, command: &str) -> Result<Output, ExecError> {
        let result = match self.busy() {
            Ok(_busy) => self.run_once(command).await,
            Err(e) => Err(e),
        };
        let result = result.map_err(|e| self.blame_bastion(e));
        super::log::ran(&self.device, self.password.as_ref(), &result);
        result
    }

    /// Keeps the bastion channel from being taken back while a command runs.
    pub(super) fn busy(&self) -> Result<Option<Busy>, ExecError> {
        let Route::Bastion(via) = &self.route else {
            return Ok(None);
        };
        if !via.lease.begin() {
            return Err(err(
                Stage::Channel,
                format!(
                    "the channel through {} went to another device; reconnecting",
                    crate::base::text::Untrusted(via.link.name())
                ),
            ));
        }
        Ok(Some(Busy(via.lease.clone())))
    }

    /// An error on a session whose bastion connection is gone blames the bastion.
    pub(super) fn blame_bastion(&self, e: ExecError) -> ExecError {
        match &self.route {
            Route::Bastion(via) if via.link.is_closed() => ExecError {
                reason: format!(
                    "via {}: connection dropped ({})",
                    crate::base::text::Untrusted(via.link.name()),
                    e.reason
                ),
                ..e
            },
            _ => e,
        }
    }

    async fn run_once(&mut self, command: &str) -> Result<Output, ExecError> {
        // The last line of defence: every front end checks too, but nothing reaches a
        // device that is not exactly one line.
        one_line(command).map_err(|why| err(Stage::Command, format!("not sent: {why}")))?;
        if self.is_closed() {
            return Err(err(Stage::Channel, "the session is closed"));
        }
        match self.profile.uses_shell() {
            false => self.run_exec(command).await,
            true => self.run_shell(command).await,
        }
    }

    /// Opens the shell again if an earlier command abandoned it.
    pub(super) async fn ensure_shell(&mut self) -> Result<(), ExecError> {
        if std::mem::take(&mut self.in_flight) {
            // A caller dropped a command half way (cancel): its output may still arrive on
            // that shell, so it is not reused.
            if let Some(s) = self.shell.take() {
                s.close().await;
            }
        }
        if self.shell.is_none() {
            self.open_shell().await?;
        }
        Ok(())
    }

    async fn run_shell(&mut self, command: &str) -> Result<Output, ExecError> {
        self.ensure_shell().await?;
        let (raw, truncated) = self.type_command(command).await?;
        let Clean { text, removed } = output_text(&raw, command, !truncated);
        let text = self.profile.strip_noise(&text);
        Ok(Output {
            error_marker: self.profile.find_error(&text),
            text,
            exit_status: None,
            truncated,
            removed,
        })
    }

    /// Types one line into the shell and reads up to the prompt. Returns the raw output
    /// and whether it hit the cap. The shell is abandoned (a fresh one opens next time)
    /// after a cap or any failure, since its state is then unknown.
    pub(super) async fn type_command(&mut self, line: &str) -> Result<(Vec<u8>, bool), ExecError> {
        let (limit, cap) = (self.timeouts.command, self.cap);
        let Some(shell) = self.shell.as_mut() else {
            return Err(err(Stage::Channel, "no shell"));
        };
        self.in_flight = true;
        let typed = type_on(shell, line, limit, cap).await;
        self.in_flight = false;
        if let Ok((raw, false)) = typed {
            return Ok((raw, false));
        }
        if let Some(s) = self.shell.take() {
            s.close().await;
        }
        typed.map_err(|(e, gone)| {
            // The channel closed under the command: treat the connection as gone (russh
            // may notice a moment later than we do); the caller reconnects.
            self.lost |= gone || self.handle.is_closed();
            e
        })
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// Handshake with the host key check, then the auth chain, over `stream`, each under its
/// timeout. Also returns the notice when accept-new learned the host key.
pub(super) async fn login(
    stream: Box<dyn Io>,
    t: &Target,
    opts: &SshOptions,
) -> Result<(Handle<Client>, Option<String>), ExecError> {
    let to = opts.timeouts;
    let cfg = t.ssh_config.as_deref();
    let legacy = t.legacy || opts.legacy_algorithms;
    // A list that leaves nothing to negotiate is the configuration's fault, not the device's.
    let client_config = config_for(legacy, cfg).map_err(|why| err(Stage::Handshake, why))?;
    let learned = Arc::new(Mutex::new(None));
    let handler = Client {
        known_as: match cfg.and_then(|r| r.host_key_alias.clone()) {
            Some(alias) => alias,
            None => super::hostkeys::host_port(&t.host, t.port),
        },
        policy: opts.host_keys_for(cfg),
        files: opts.known_hosts_for(cfg),
        learn_into: opts.learn_into.clone(),
        learned: learned.clone(),
    };
    let device_key = format!("{}:{}", t.host, t.port);
    let mut creds = t.credentials.clone();
    creds.agent &= opts.use_agent;
    if let (Some(password), None) = (&opts.password, &creds.password) {
        creds.password = Some(password.clone());
    }
    let mut handle = match timeout(
        to.handshake,
        client::connect_stream(client_config, stream, handler),
    )
    .await
    {
        Err(_) => {
            return Err(err(
                Stage::Handshake,
                timed_out("SSH handshake", to.handshake),
            ));
        }
        Ok(Err(HandlerError::HostKey(reason))) => return Err(err(Stage::HostKey, reason)),
        Ok(Err(HandlerError::Ssh(e))) => {
            return Err(err(Stage::Handshake, handshake_error(&e)));
        }
        Ok(Ok(h)) => h,
    };
    let learned = learned.lock().unwrap_or_else(|e| e.into_inner()).take();
    // A key learned before a later stage failed must still reach the log.
    let with_learned = |mut e: ExecError| {
        if let Some(l) = &learned {
            e.reason = format!("{} ({l})", e.reason);
        }
        e
    };
    match timeout(
        to.auth,
        auth::authenticate(&mut handle, &creds, &device_key),
    )
    .await
    {
        Err(_) => Err(with_learned(err(
            Stage::Auth,
            timed_out("authentication", to.auth),
        ))),
        Ok(Err(reason)) => Err(with_learned(err(Stage::Auth, reason))),
        Ok(Ok(())) => Ok((handle, learned)),
    }
}

/// A command in progress on a bastion channel (see [`Session::busy`]).
pub(super) struct Busy(Arc<Lease>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// How a session reaches its device; kept for as long as the session lives.
enum Route {
    Direct,
    /// Through a bastion's connection, on one of its channels.
    Bastion(Hops),
    /// Over a proxy command's pipes; the command is killed with the session.
    Proxy(#[allow(dead_code)] ProxyChild),
}

/// Sends `line` and reads the answer. An error says whether the connection went away.
async fn type_on(
    shell: &mut Shell,
    line: &str,
    limit: Duration,
    cap: usize,
) -> Result<(Vec<u8>, bool), (ExecError, bool)> {
    if let Err(e) = shell.send_line(line).await {
        let reason = match e {
            ShellError::Send(e) => e,
            _ => "send failed".into(),
        };
        let e = err(Stage::Channel, format!("cannot send the command: {reason}"));
        return Err((e, false));
    }
    match timeout(limit, shell.read(cap, None)).await {
        Err(_) => Err((
            ran(format!(
                "{} (the prompt did not come back)",
                timed_out("command", limit)
            )),
            false,
        )),
        Ok(Ok(r)) => Ok((r.raw.bytes, false)),
        Ok(Err(ShellError::Capped(raw))) => Ok((raw.bytes, true)),
        Ok(Err(ShellError::Closed(raw))) => Err((
            ran(format!(
                "connection lost during the command ({} bytes of output received)",
                raw.bytes.len()
            )),
            true,
        )),
        Ok(Err(ShellError::Send(e))) => Err((ran(format!("shell write failed: {e}")), false)),
    }
}
