//! The SSH server side of one connection (russh `Handler`): authentication by password,
//! public key and keyboard-interactive, the auth faults, and session channels handed to
//! `shell`.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Response, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, MethodKind, MethodSet};

use super::device::DeviceShared;
use super::forward::forward;
use super::runtime::LabShared;
use super::shell::{SessionCtx, run_channel};

/// Per-connection handler.
pub struct Conn {
    pub dev: Arc<DeviceShared>,
    pub lab: Arc<LabShared>,
    pub id: u64,
    pub user: String,
    /// Logged in with RouterOS-style `+flags` after the name.
    pub flagged: bool,
}

/// Authentication methods a platform offers.
pub fn methods(keyboard_interactive: bool) -> MethodSet {
    let mut m = MethodSet::empty();
    m.push(MethodKind::PublicKey);
    m.push(MethodKind::Password);
    if keyboard_interactive {
        m.push(MethodKind::KeyboardInteractive);
    }
    m
}

impl Conn {
    /// Decides an authentication attempt; `ok` says whether the credential itself matched.
    async fn decide(&mut self, user: &str, ok: bool) -> Auth {
        // RouterOS reads `admin+ct` as user admin with terminal flags.
        let flags = self.dev.platform.vendor().is_some_and(|v| v.v.user_flags);
        let name = match user.split_once('+') {
            Some((name, _)) if flags => name,
            _ => user,
        };
        if self.dev.faults.auth_failure || !ok || name != self.lab.username {
            self.lab
                .counters
                .auth_failures
                .fetch_add(1, Ordering::Relaxed);
            return Auth::reject();
        }
        if let Some(delay) = self.dev.faults.slow_login {
            tokio::time::sleep(delay).await;
        }
        self.user = name.to_string();
        self.flagged = name != user;
        Auth::Accept
    }

    fn key_allowed(&self, key: &russh::keys::PublicKey) -> bool {
        self.lab
            .authorized_keys
            .iter()
            .any(|k| k.key_data() == key.key_data())
    }
}

impl Handler for Conn {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = password == self.lab.password;
        Ok(self.decide(user, ok).await)
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Only a probe: say whether a signature with this key would be worth checking.
        let name = user.split_once('+').map_or(user, |(n, _)| n);
        if self.key_allowed(offer.public_key) && name == self.lab.username {
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let ok = self.key_allowed(key.public_key);
        Ok(self.decide(user, ok).await)
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        if !self.dev.platform.spec().keyboard_interactive {
            return Ok(Auth::reject());
        }
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
            });
        };
        let answer = response.next();
        let ok = answer.is_some_and(|a| a.as_ref() == self.lab.password.as_bytes());
        Ok(self.decide(user, ok).await)
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.dev.login();
        self.lab.counters.sessions.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        Ok(self
            .dev
            .platform
            .spec()
            .login_banner
            .map(|b| b.replace("\r\n", "\n")))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        let ctx = SessionCtx {
            dev: self.dev.clone(),
            lab: self.lab.clone(),
            conn: self.id,
            user: self.user.clone(),
            flagged: self.flagged,
        };
        tokio::spawn(run_channel(channel, ctx));
        Ok(())
    }

    /// The device as a bastion: forwards to loopback addresses only (the lab never sends
    /// traffic off the machine).
    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let host = host_to_connect.to_string();
        tokio::spawn(forward(
            channel,
            host,
            port_to_connect,
            reply,
            self.lab.clone(),
        ));
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The refuse-exec fault: SSH_MSG_CHANNEL_FAILURE, like appliances that only give a
        // shell; the channel itself stays open (`run_channel` ignores the command).
        if self.dev.faults.refuse_exec {
            session.channel_failure(channel)?;
        } else {
            session.channel_success(channel)?;
        }
        Ok(())
    }
}
