//! One SSH session to one device: connect (resolve, TCP, handshake + host key, auth, PTY
//! shell with a learned prompt for network platforms), each stage under its own timeout,
//! then commands over the exec channel (`exec`) or the PTY shell (here), and config mode
//! (`config`). A platform with `exec_or_shell` moves to the shell, for the rest of the
//! session, when the device refuses exec requests.

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
use super::shell::{Greeting, OpenError, Shell, ShellError, Typed, output_text};
use super::stage::{err, ran, timed_out};
use super::target::Target;
use super::transport::{config_for, handshake_error, resolve, tcp_connect};
use crate::base::safety::one_line;
use crate::base::sanitize::Clean;
use crate::inventory::Device;
use crate::platforms::{Profile, Transport, profile};

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
    /// The login name, for an `enable` that asks for one (HP ProCurve).
    user: String,
    pub(super) timeouts: Timeouts,
    pub(super) cap: usize,
    pty_size: (u32, u32),
    learned: Option<String>,
    /// The connection died under a command.
    pub(super) lost: bool,
    /// A shell command was started and not finished (its future was dropped).
    in_flight: bool,
    route: Route,
    /// The device refused an exec request: commands go through the shell from then on.
    pub(super) exec_refused: bool,
    /// The first shell's greeting (MOTD and prompt).
    greeting: Option<String>,
}

/// A connect that failed, and the host key notice it leaves for the operator either way
/// (the key was learned before a later stage failed).
#[derive(Debug)]
pub struct ConnectFailure {
    pub error: ExecError,
    pub learned: Option<String>,
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
    /// A host key learned before a later stage failed is named in the error's reason.
    pub async fn connect_target(t: &Target, opts: &SshOptions) -> Result<Session, ExecError> {
        Session::connect_target_noting(t, opts).await.map_err(
            |ConnectFailure { mut error, learned }| {
                if let Some(l) = learned {
                    error.reason = format!("{} ({l})", error.reason);
                }
                error
            },
        )
    }

    /// [`Session::connect`], with a host key learned on a failed attempt kept apart from
    /// the error, so a caller that retries can still tell the operator once.
    pub async fn connect_noting(
        device: &Device,
        opts: &SshOptions,
    ) -> Result<Session, ConnectFailure> {
        let mut target =
            Target::resolve(device, &opts.ssh_config).map_err(|why| ConnectFailure {
                error: err(Stage::Resolve, why),
                learned: None,
            })?;
        if let Some(password) = &opts.password {
            target.credentials.password = Some(password.clone());
        }
        Session::connect_target_noting(&target, opts).await
    }

    async fn connect_target_noting(
        t: &Target,
        opts: &SshOptions,
    ) -> Result<Session, ConnectFailure> {
        let mut learned = None;
        let result = Session::open(t, opts, &mut learned).await;
        super::log::connected(t, &result);
        result.map_err(|error| ConnectFailure { error, learned })
    }

    async fn open(
        t: &Target,
        opts: &SshOptions,
        noted: &mut Option<String>,
    ) -> Result<Session, ExecError> {
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
        let (handle, learned) = login(stream, t, opts, noted).await?;
        let password = t.credentials.password().and_then(Result::ok);
        let mut session = Session {
            handle,
            device: t.name.clone(),
            profile: profile(&t.platform),
            shell: None,
            password,
            user: t.credentials.user.clone(),
            timeouts: to,
            cap: opts.output_cap,
            pty_size: opts.pty_size,
            learned,
            lost: false,
            in_flight: false,
            route,
            exec_refused: false,
            greeting: None,
        };
        if session.profile.uses_shell() {
            session.open_shell().await?;
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

    /// Opens the PTY shell and learns the prompt, each bounded by the command timeout. A device
    /// that never shows a prompt fails at stage `prompt` with what it sent quoted: that is
    /// not worth a retry, since it logged us in and will greet the same way again.
    async fn open_shell(&mut self) -> Result<(), ExecError> {
        let limit = self.timeouts.command;
        let start = async {
            let channel =
                self.handle.channel_open_session().await.map_err(|e| {
                    OpenError::Channel(format!("cannot open a session channel: {e}"))
                })?;
            Shell::start(channel, self.profile, self.pty_size).await
        };
        let mut shell = match timeout(limit, start).await {
            Err(_) => return Err(err(Stage::Channel, timed_out("opening the shell", limit))),
            Ok(Err(OpenError::Channel(r) | OpenError::Prompt(r))) => {
                return Err(err(Stage::Channel, r));
            }
            Ok(Ok(shell)) => shell,
        };
        let mut greeting = Greeting::default();
        let learned = timeout(limit, shell.learn_prompt(&mut greeting)).await;
        let failed = match learned {
            Err(_) => {
                let what = timed_out("looking for the prompt", limit);
                Some(err(Stage::Prompt, format!("{what}; {}", greeting.quoted())))
            }
            Ok(Err(OpenError::Prompt(reason))) => Some(err(Stage::Prompt, reason)),
            Ok(Err(OpenError::Channel(reason))) => Some(err(Stage::Channel, reason)),
            Ok(Ok(())) => None,
        };
        let failed = match failed {
            Some(e) => Some(e),
            None => match timeout(
                limit,
                shell.setup(&self.user, self.password.as_ref(), self.cap),
            )
            .await
            {
                Err(_) => Some(err(
                    Stage::Channel,
                    timed_out("setting up the shell", limit),
                )),
                Ok(Err(reason)) => Some(err(Stage::Channel, reason)),
                Ok(Ok(())) => None,
            },
        };
        if let Some(e) = failed {
            shell.close().await;
            return Err(e);
        }
        self.shell = Some(shell);
        if self.greeting.is_none() {
            self.greeting = Some(greeting.text());
        }
        Ok(())
    }

    /// What the device printed before its first prompt, prompt included (sanitised; shell
    /// sessions only).
    pub fn greeting(&self) -> Option<&str> {
        self.greeting.as_deref()
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
        let fallback = self.profile.transport == Transport::ExecOrShell;
        if self.profile.uses_shell() || (fallback && self.exec_refused) {
            return self.run_shell(command).await;
        }
        match self.run_exec(command).await {
            Err(e) if fallback && self.exec_refused => {
                // Nothing ran; this device only gives a shell. Said once per session.
                tracing::warn!(
                    device = %crate::base::text::escape_line(&self.device),
                    "the device refused an exec request ({}); using a shell for this session",
                    e.reason
                );
                self.run_shell(command).await
            }
            result => result,
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
        let typed = self.type_command(command, None).await?;
        let Clean { text, removed } = output_text(&typed, command);
        let text = self.profile.strip_noise(&drop_above(self.profile, text));
        Ok(Output {
            error_marker: self.profile.find_error(&text),
            text,
            exit_status: None,
            truncated: typed.cut,
            removed,
        })
    }

    /// Types one line into the shell and reads up to the prompt, answering `question`
    /// (a save command's `[Y/N]`) if the device asks it. The shell is abandoned (a fresh
    /// one opens next time) after a cap or any failure, since its state is then unknown.
    pub(super) async fn type_command(
        &mut self,
        line: &str,
        question: Option<&'static crate::platforms::Answer>,
    ) -> Result<Typed, ExecError> {
        let (limit, cap) = (self.timeouts.command, self.cap);
        if self.shell.as_mut().is_some_and(Shell::hung_up) {
            // The device closed the idle shell (exec-timeout) before this line was sent:
            // nothing reached it, so it is sent on a fresh shell, once.
            if let Some(s) = self.shell.take() {
                s.close().await;
            }
            if self.handle.is_closed() {
                self.lost = true;
                return Err(err(Stage::Channel, "the device closed the idle session"));
            }
            self.open_shell().await?;
        }
        let Some(shell) = self.shell.as_mut() else {
            return Err(err(Stage::Channel, "no shell"));
        };
        self.in_flight = true;
        let typed = type_on(shell, line, question, limit, cap).await;
        self.in_flight = false;
        if let Ok(t) = &typed
            && !t.cut
        {
            return typed.map_err(|(e, _)| e);
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
/// Handshake, host key check and authentication over `stream`. A key learned under
/// accept-new is put in `noted` as soon as it is learned, so it reaches the operator even
/// when authentication then fails.
pub(super) async fn login(
    stream: Box<dyn Io>,
    t: &Target,
    opts: &SshOptions,
    noted: &mut Option<String>,
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
    // MikroTik: `admin+ct511w4098h` turns off colours and terminal probing at login.
    if let Some(suffix) = &profile(&t.platform).username_suffix {
        creds.user.push_str(suffix);
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
    // A key learned before a later stage failed must still reach the operator.
    noted.clone_from(&learned);
    match timeout(
        to.auth,
        auth::authenticate(&mut handle, &creds, &device_key),
    )
    .await
    {
        Err(_) => Err(err(Stage::Auth, timed_out("authentication", to.auth))),
        Ok(Err(reason)) => Err(err(Stage::Auth, reason)),
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
    question: Option<&crate::platforms::Answer>,
    limit: Duration,
    cap: usize,
) -> Result<Typed, (ExecError, bool)> {
    let learned = shell.learned().line.clone();
    if let Err(e) = shell.send_line(line).await {
        let reason = match e {
            ShellError::Send(e) => e,
            _ => "send failed".into(),
        };
        let e = err(Stage::Channel, format!("cannot send the command: {reason}"));
        return Err((e, false));
    }
    let read = async {
        let r = shell.read_answer(cap, question.map(|q| &q.pattern)).await?;
        match (&r.end, question) {
            (super::shell::End::Other, Some(q)) => {
                // The question is part of the answer; so is what follows the reply.
                shell.send_raw(q.answer.as_bytes()).await?;
                let mut more = shell.read(cap, None).await?;
                let mut raw = r.raw;
                if !raw.push(&more.raw.bytes) {
                    more.raw = raw;
                    return Err(ShellError::Capped(more.raw));
                }
                more.raw = raw;
                Ok(more)
            }
            _ => Ok(r),
        }
    };
    match timeout(limit, read).await {
        Err(_) => Err((
            ran(format!(
                "{} (the prompt did not come back)",
                timed_out("command", limit)
            )),
            false,
        )),
        Ok(Ok(r)) => Ok(Typed {
            raw: r.raw.bytes,
            cut: false,
            prompt: Some(r.prompt),
            learned,
        }),
        Ok(Err(ShellError::Capped(raw))) => Ok(Typed {
            raw: raw.bytes,
            cut: true,
            prompt: None,
            learned,
        }),
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

/// Output without the line a platform prints above its prompt (Nokia MD-CLI's `[/]`):
/// it belongs to the prompt that ended the answer.
pub(super) fn drop_above(profile: &Profile, text: String) -> String {
    let Some(above) = &profile.modes.above else {
        return text;
    };
    let Some(body) = text.strip_suffix('\n') else {
        return text;
    };
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    match above.is_match(&body[start..]) {
        true => body[..start].to_string(),
        false => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_above_the_prompt_goes_with_it() {
        // Nokia MD-CLI: `[/]` (or `*(pr)[/configure]`) above `A:admin@node-2#`.
        let md = profile("nokia_sros_md");
        let cases = [
            ("Router Name: Base\n[/]\n", "Router Name: Base\n"),
            ("x\n*(pr)[/configure router \"Base\"]\n", "x\n"),
            ("[/]\n", ""),
            ("Router Name: Base\n", "Router Name: Base\n"),
            // Only the line right above the prompt, and only at the end.
            ("[/]\nlast line\n", "[/]\nlast line\n"),
        ];
        for (text, want) in cases {
            assert_eq!(drop_above(md, text.to_string()), want, "{text:?}");
        }
        // Platforms without the line keep everything.
        assert_eq!(drop_above(profile("cisco_ios"), "[/]\n".into()), "[/]\n");
    }
}
