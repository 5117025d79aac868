//! One SSH session to one device: connect (resolve, TCP, handshake + host key, auth, PTY
//! shell for network platforms), each stage under its own timeout, then commands over the
//! exec channel (Linux) or the shell (network gear), and config mode.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::{ChannelMsg, Disconnect};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::algorithms;
use super::auth::{self, Credentials};
use super::handler::{Client, HandlerError};
use super::options::{SshOptions, Timeouts};
use super::platform::{Profile, Via, profile};
use super::sanitize::{Capped, sanitize};
use super::secret::Secret;
use super::shell::{Shell, ShellError, output_text};
use crate::fleet::{ExecError, Output, Stage};
use crate::inventory::Device;

/// Where and how to log in: what a session needs from an inventory device.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub platform: String,
    pub credentials: Credentials,
    /// Offer legacy algorithms (ssh-rsa, SHA-1 kex, CBC, hmac-sha1).
    pub legacy: bool,
}

impl Target {
    pub fn from_device(d: &Device) -> Target {
        let user = d
            .username
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".into());
        Target {
            name: d.name.clone(),
            host: d.host.clone(),
            port: d.port,
            platform: d.platform.clone(),
            credentials: Credentials {
                user,
                agent: d.agent,
                key_file: d.key_file.clone(),
                key_passphrase_env: d.key_passphrase_env.clone(),
                password_env: d.password_env.clone(),
                password: None,
            },
            legacy: d.legacy_ssh,
        }
    }
}

pub(super) fn err(stage: Stage, reason: impl Into<String>) -> ExecError {
    ExecError {
        stage,
        maybe_ran: false,
        reason: reason.into(),
    }
}

fn ran(reason: impl Into<String>) -> ExecError {
    ExecError {
        stage: Stage::Command,
        maybe_ran: true,
        reason: reason.into(),
    }
}

fn timed_out(what: &str, after: Duration) -> String {
    format!("{what} timed out after {}", fmt_duration(after))
}

fn fmt_duration(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// One russh client config per algorithm set, shared by every session.
fn config(legacy: bool) -> Arc<client::Config> {
    static MODERN: LazyLock<Arc<client::Config>> = LazyLock::new(|| build(false));
    static LEGACY: LazyLock<Arc<client::Config>> = LazyLock::new(|| build(true));
    fn build(legacy: bool) -> Arc<client::Config> {
        Arc::new(client::Config {
            preferred: algorithms::preferred(legacy),
            // A reused session idles between commands: notice a dead peer.
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        })
    }
    if legacy {
        LEGACY.clone()
    } else {
        MODERN.clone()
    }
}

/// How reading an exec channel ended.
enum Read {
    Done,
    /// The server answered the exec request with a failure: nothing ran.
    Refused,
    /// The connection went away without closing the channel.
    Lost,
}

/// A logged-in session to one device.
pub struct Session {
    handle: Handle<Client>,
    profile: &'static Profile,
    /// The PTY shell of network platforms; reopened lazily after it was abandoned.
    shell: Option<Shell>,
    /// For `enable` prompts: the login password, if the inventory names one.
    password: Option<Secret>,
    timeouts: Timeouts,
    cap: usize,
    pty_size: (u32, u32),
    learned: Option<String>,
    /// The connection died under a command.
    lost: bool,
    /// A shell command was started and not finished (its future was dropped).
    in_flight: bool,
}

impl Session {
    /// Connects to an inventory device. See [`Session::connect_target`].
    pub async fn connect(device: &Device, opts: &SshOptions) -> Result<Session, ExecError> {
        Session::connect_target(&Target::from_device(device), opts).await
    }

    /// TCP connect, handshake, host key check, auth chain, and (network platforms) PTY
    /// shell with paging disabled. Each stage under its own timeout; errors carry the Stage.
    pub async fn connect_target(t: &Target, opts: &SshOptions) -> Result<Session, ExecError> {
        let to = opts.timeouts;
        let addrs = resolve(&t.host, t.port, to.connect).await?;
        let stream = tcp_connect(&addrs, to.connect).await?;
        let learned = Arc::new(Mutex::new(None));
        let handler = Client {
            host: t.host.clone(),
            port: t.port,
            policy: opts.host_keys,
            files: opts.known_hosts.clone(),
            learn_into: opts.learn_into.clone(),
            learned: learned.clone(),
        };
        let legacy = t.legacy || opts.legacy_algorithms;
        let device_key = format!("{}:{}", t.host, t.port);
        let mut handle = match timeout(
            to.handshake,
            client::connect_stream(config(legacy), stream, handler),
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
        let note = learned.clone();
        let with_learned = |mut e: ExecError| {
            if let Some(l) = &note {
                e.reason = format!("{} ({l})", e.reason);
            }
            e
        };
        match timeout(
            to.auth,
            auth::authenticate(&mut handle, &t.credentials, &device_key),
        )
        .await
        {
            Err(_) => {
                let e = err(Stage::Auth, timed_out("authentication", to.auth));
                return Err(with_learned(e));
            }
            Ok(Err(reason)) => return Err(with_learned(err(Stage::Auth, reason))),
            Ok(Ok(())) => {}
        }
        let password = t.credentials.password().and_then(Result::ok);
        let mut session = Session {
            handle,
            profile: profile(&t.platform),
            shell: None,
            password,
            timeouts: to,
            cap: opts.output_cap,
            pty_size: opts.pty_size,
            learned,
            lost: false,
            in_flight: false,
        };
        if session.profile.via == Via::Shell
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
        self.lost || self.handle.is_closed()
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
        if self.is_closed() {
            return Err(err(Stage::Channel, "the session is closed"));
        }
        match self.profile.via {
            Via::Exec => self.run_exec(command).await,
            Via::Shell => self.run_shell(command).await,
        }
    }

    async fn run_exec(&mut self, command: &str) -> Result<Output, ExecError> {
        let limit = self.timeouts.command;
        let mut channel = match timeout(limit, self.handle.channel_open_session()).await {
            Err(_) => return Err(err(Stage::Channel, timed_out("opening a channel", limit))),
            Ok(Err(e)) => {
                self.lost |= self.handle.is_closed();
                return Err(err(Stage::Channel, format!("cannot open a channel: {e}")));
            }
            Ok(Ok(c)) => c,
        };
        if let Err(e) = channel.exec(true, command).await {
            return Err(err(Stage::Channel, format!("exec request failed: {e}")));
        }
        let mut out = Capped::new(self.cap);
        let mut status = None;
        // Stderr is merged into the output, as a person at a terminal would see it.
        let read = async {
            loop {
                match channel.wait().await {
                    Some(ChannelMsg::Data { data })
                    | Some(ChannelMsg::ExtendedData { data, .. }) => {
                        if !out.push(&data) {
                            return Read::Done;
                        }
                    }
                    Some(ChannelMsg::ExitStatus { exit_status }) => status = Some(exit_status),
                    Some(ChannelMsg::Failure) => return Read::Refused,
                    Some(ChannelMsg::Close) => return Read::Done,
                    // No Close: the connection itself went away.
                    None => return Read::Lost,
                    Some(_) => {}
                }
            }
        };
        let finished = timeout(limit, read).await;
        let _ = channel.close().await;
        match finished {
            Err(_) => Err(ran(format!(
                "{} ({} bytes of output so far)",
                timed_out("command", limit),
                out.bytes.len()
            ))),
            Ok(Read::Refused) => Err(err(Stage::Channel, "the device refused the exec request")),
            Ok(Read::Lost) => {
                self.lost = true;
                Err(ran(format!(
                    "connection lost during the command ({} bytes of output received)",
                    out.bytes.len()
                )))
            }
            Ok(Read::Done) => {
                let text = sanitize(&out.bytes);
                Ok(Output {
                    error_marker: self.profile.find_error(&text),
                    text,
                    exit_status: status,
                    truncated: out.truncated(),
                })
            }
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
        let text = output_text(&raw, command, !truncated);
        Ok(Output {
            error_marker: self.profile.find_error(&text),
            text,
            exit_status: None,
            truncated,
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

async fn resolve(host: &str, port: u16, limit: Duration) -> Result<Vec<SocketAddr>, ExecError> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match timeout(limit, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(err(
            Stage::Resolve,
            timed_out(&format!("resolving {host}"), limit),
        )),
        Ok(Err(e)) => Err(err(Stage::Resolve, format!("cannot resolve {host}: {e}"))),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(err(Stage::Resolve, format!("{host} has no address")))
            } else {
                Ok(addrs)
            }
        }
    }
}

async fn tcp_connect(addrs: &[SocketAddr], limit: Duration) -> Result<TcpStream, ExecError> {
    let attempt = async {
        let mut last = None;
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some((a, e)),
            }
        }
        let (a, e) = last.expect("resolve returns at least one address");
        Err(match e.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("{a} refused the connection"),
            _ => format!("cannot connect to {a}: {e}"),
        })
    };
    match timeout(limit, attempt).await {
        Err(_) => Err(err(Stage::Connect, timed_out("TCP connect", limit))),
        Ok(Err(reason)) => Err(err(Stage::Connect, reason)),
        Ok(Ok(s)) => Ok(s),
    }
}

/// A handshake failure in words an operator can act on.
fn handshake_error(e: &russh::Error) -> String {
    match e {
        russh::Error::Disconnect | russh::Error::HUP => {
            "the device closed the connection during the handshake (all sessions busy?)".into()
        }
        russh::Error::IO(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            format!(
                "the device closed the connection during the handshake ({io}; all sessions busy?)"
            )
        }
        russh::Error::NoCommonAlgo { kind, theirs, .. } => format!(
            "no common {kind:?} algorithm (the device offers {}); if it is old gear, enable \
             legacy algorithms for it",
            theirs.join(", ")
        ),
        other => format!("SSH handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Inventory;

    #[test]
    fn target_takes_credentials_and_legacy_from_the_inventory() {
        let inv = Inventory::from_yaml(
            "defaults:\n  username: netops\n  password_env: FLEET_PW\n\
             groups:\n  old:\n    legacy_ssh: true\n    key_file: /k/id\n    key_passphrase_env: FLEET_KEY_PP\n\
             devices:\n  - {name: a, host: 127.0.0.1, platform: cisco_ios, groups: [old]}\n\
             \x20 - {name: b, host: 127.0.0.2, port: 2222}\n",
            "test",
        )
        .unwrap();
        let a = Target::from_device(&inv.devices[0]);
        assert!(a.legacy);
        assert_eq!(a.credentials.user, "netops");
        assert_eq!(
            a.credentials.key_passphrase_env.as_deref(),
            Some("FLEET_KEY_PP")
        );
        assert_eq!(a.credentials.password_env.as_deref(), Some("FLEET_PW"));
        let b = Target::from_device(&inv.devices[1]);
        assert!(!b.legacy);
        assert_eq!((b.port, b.platform.as_str()), (2222, "linux"));
        assert_eq!(b.credentials.key_file, None);
    }
}
