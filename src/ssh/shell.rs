//! A PTY shell on a network device: open it, find the prompt, enter privileged mode, turn
//! paging off, then type commands and read until the prompt comes back (answering pager
//! markers if paging is still on). Callers bound every call with a timeout.

use std::sync::LazyLock;

use regex::Regex;
use russh::client::Msg;
use russh::{Channel, ChannelMsg};

use super::secret::Secret;
use crate::base::sanitize::{Capped, Clean, clean, sanitize};
use crate::platforms::Profile;

/// Why reading stopped early.
#[derive(Debug)]
pub enum ShellError {
    /// The channel or the connection closed; what had arrived is kept.
    Closed(Capped),
    /// The output reached the cap (the shell is then closed: its state is unknown).
    Capped(Capped),
    /// Sending failed: nothing reached the device.
    Send(String),
}

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Prompt,
    /// The extra pattern matched (a `Password:` prompt).
    Other,
}

pub struct Shell {
    channel: Channel<Msg>,
    profile: &'static Profile,
    /// The prompt's stable part (`lab-access1`, `admin@lab-edge1`), learned at open: a
    /// prompt-like output line from another host is not taken for our prompt.
    base: String,
}

/// Output of one typed command.
pub struct Reading {
    pub raw: Capped,
    pub end: End,
}

impl Shell {
    /// Opens a PTY shell on `channel`, waits for the first prompt, enters privileged mode
    /// when the platform has one, and turns paging off.
    pub async fn open(
        channel: Channel<Msg>,
        profile: &'static Profile,
        size: (u32, u32),
        password: Option<&Secret>,
        cap: usize,
    ) -> Result<Shell, String> {
        let fail = |what: &str, e: ShellError| match e {
            ShellError::Closed(_) => format!("the shell closed while {what}"),
            ShellError::Capped(_) => format!("endless output while {what}"),
            ShellError::Send(e) => format!("cannot send while {what}: {e}"),
        };
        channel
            .request_pty(false, "vt100", size.0, size.1, 0, 0, &[])
            .await
            .map_err(|e| format!("PTY request failed: {e}"))?;
        channel
            .request_shell(false)
            .await
            .map_err(|e| format!("shell request failed: {e}"))?;
        let mut shell = Shell {
            channel,
            profile,
            base: String::new(),
        };
        let first = shell
            .read(cap, None)
            .await
            .map_err(|e| fail("waiting for the first prompt", e))?;
        let prompt = last_line(&first.raw.bytes);
        shell.base = prompt_base(&prompt);
        let user_mode = profile
            .modes
            .user
            .as_ref()
            .is_some_and(|re| re.is_match(&prompt));
        if user_mode && let Some(privilege) = &profile.privilege {
            shell
                .enable(
                    &privilege.command,
                    privilege.password_prompt.as_ref(),
                    password,
                    cap,
                )
                .await
                .map_err(|e| fail("entering privileged mode", e))?;
        }
        for line in &profile.setup {
            shell
                .send_line(line)
                .await
                .map_err(|e| fail("setting up the session", e))?;
            shell
                .read(cap, None)
                .await
                .map_err(|e| fail("setting up the session", e))?;
        }
        Ok(shell)
    }

    /// `enable`, answering a password prompt with the login password (a device without an
    /// enable password, or a wrong one, leaves us in user mode: commands then say so).
    async fn enable(
        &mut self,
        enable: &str,
        asks: Option<&Regex>,
        password: Option<&Secret>,
        cap: usize,
    ) -> Result<(), ShellError> {
        static ASKS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)password:\s*$").expect("valid regex"));
        let asks = asks.unwrap_or(&ASKS);
        self.send_line(enable).await?;
        let r = self.read(cap, Some(asks)).await?;
        if r.end == End::Other {
            self.send_line(password.map_or("", Secret::expose)).await?;
            let r = self.read(cap, Some(asks)).await?;
            if r.end == End::Other {
                // Wrong password: cancel the prompt rather than guess.
                self.send_raw(b"\x03").await?;
                self.read(cap, None).await?;
            }
        }
        Ok(())
    }

    /// Types `line` and Enter.
    pub async fn send_line(&mut self, line: &str) -> Result<(), ShellError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.send_raw(&bytes).await
    }

    async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ShellError> {
        self.channel
            .data_bytes(bytes.to_vec())
            .await
            .map_err(|e| ShellError::Send(e.to_string()))
    }

    /// Reads until the prompt (or `other`) ends the output, the cap is hit or the channel
    /// closes. Pager markers are answered with a space and removed.
    pub async fn read(&mut self, cap: usize, other: Option<&Regex>) -> Result<Reading, ShellError> {
        let mut raw = Capped::new(cap);
        let mut erase_pending = false;
        loop {
            let data = match self.channel.wait().await {
                Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                    data
                }
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                    return Err(ShellError::Closed(raw));
                }
                Some(_) => continue,
            };
            let mut chunk: &[u8] = &data;
            if erase_pending {
                // The pager erases its marker with `\r<spaces>\r`: drop that, not the text.
                chunk = strip_erase(chunk);
                erase_pending = false;
            }
            if !raw.push(chunk) {
                return Err(ShellError::Capped(raw));
            }
            let tail = last_line(&raw.bytes);
            if let Some(answer) = self.profile.pager_answer(&tail) {
                cut_last_line(&mut raw.bytes);
                self.send_raw(answer.as_bytes()).await?;
                erase_pending = true;
                continue;
            }
            if other.is_some_and(|re| re.is_match(&tail)) {
                return Ok(Reading {
                    raw,
                    end: End::Other,
                });
            }
            if self.is_prompt(&tail) {
                return Ok(Reading {
                    raw,
                    end: End::Prompt,
                });
            }
        }
    }

    fn is_prompt(&self, line: &str) -> bool {
        self.profile.prompt_regex().is_match(line) && line.trim_start().starts_with(&self.base)
    }

    pub async fn close(self) {
        let _ = self.channel.close().await;
    }
}

/// The sanitized text after the last newline (the prompt, when there is one).
fn last_line(bytes: &[u8]) -> String {
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    sanitize(&bytes[start..])
}

fn cut_last_line(bytes: &mut Vec<u8>) {
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(start);
}

fn strip_erase(chunk: &[u8]) -> &[u8] {
    let Some(rest) = chunk.strip_prefix(b"\r") else {
        return chunk;
    };
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    rest[spaces..].strip_prefix(b"\r").unwrap_or(chunk)
}

/// The prompt up to its mode markers: `lab-access1>` → `lab-access1`.
fn prompt_base(prompt: &str) -> String {
    let p = prompt.trim();
    let end = p
        .find(['(', '>', '#', '$', '%', ':', ' '])
        .unwrap_or(p.len());
    p[..end].to_string()
}

/// Turns a prompt-ended reading into the command's output: the echoed command line and the
/// final prompt removed, and what the sanitizer took out of the whole reading.
pub fn output_text(raw: &[u8], command: &str, ended_at_prompt: bool) -> Clean {
    let Clean { text, removed } = clean(raw);
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    if ended_at_prompt && lines.last().is_some_and(|l| !l.ends_with('\n')) {
        lines.pop();
    }
    let cmd = command.trim();
    if !cmd.is_empty() && lines.first().is_some_and(|l| l.trim_end().ends_with(cmd)) {
        lines.remove(0);
    }
    Clean {
        text: lines.concat(),
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_drops_echo_and_prompt() {
        let raw = b"show clock\r\n*12:00:00.000 UTC\r\nsw1#";
        assert_eq!(
            output_text(raw, "show clock", true).text,
            "*12:00:00.000 UTC\n"
        );
        let raw = b"uname\r\nLinux\r\nadmin@h:~$ ";
        assert_eq!(output_text(raw, "uname", true).text, "Linux\n");
    }

    #[test]
    fn prompt_base_stops_at_mode_markers() {
        assert_eq!(prompt_base("lab-access1>"), "lab-access1");
        assert_eq!(prompt_base("lab-access1(config)#"), "lab-access1");
        assert_eq!(prompt_base("admin@lab-edge1> "), "admin@lab-edge1");
        assert_eq!(prompt_base("admin@h:~$ "), "admin@h");
    }

    #[test]
    fn pager_erase_is_stripped() {
        assert_eq!(strip_erase(b"\r          \rnext"), b"next");
        assert_eq!(strip_erase(b"next"), b"next");
    }
}
