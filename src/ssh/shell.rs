//! A PTY shell on a network device: open it, answer login prompts, learn the prompt
//! (`prompt`), enter privileged mode, turn paging off, then type commands and read until the
//! learned prompt comes back (answering pager markers if paging is still on). Callers bound
//! every call with a timeout.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use russh::client::Msg;
use russh::{Channel, ChannelMsg};

use super::prompt::Learned;
use super::secret::Secret;
use crate::base::sanitize::{Capped, Clean, clean, sanitize};
use crate::base::text::escape_line;
use crate::platforms::{Privilege, Profile};

/// Silence after which a device that has shown no prompt yet is sent an Enter.
const NUDGE_AFTER: Duration = Duration::from_millis(500);
/// Enters sent to a device that stays silent without a prompt before giving up.
const NUDGES: usize = 3;
/// Silence after an Enter, without a prompt, that ends the wait.
const GIVE_UP: Duration = Duration::from_secs(3);
/// Silence after which what arrived is taken as complete, when the device's answer to an
/// Enter was not just a fresh prompt (a banner still arriving, a prompt sent in pieces).
const SETTLE: Duration = Duration::from_millis(200);
/// Enters sent to confirm a prompt before giving up.
const CONFIRMS: usize = 6;
/// Bytes of what the device sent quoted in a prompt failure.
const QUOTED: usize = 200;

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

/// Why a shell could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The channel, the PTY or the shell request failed, or the shell closed.
    Channel(String),
    /// The device never showed a prompt the platform recognises.
    Prompt(String),
}

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Prompt,
    /// The extra pattern matched (a `Password:` prompt, a `[Y/N]` question).
    Other,
}

pub struct Shell {
    channel: Channel<Msg>,
    profile: &'static Profile,
    /// The prompt learned at open: only a line with its host part ends a read.
    learned: Learned,
    /// Enters pressed while learning the prompt.
    enters: usize,
    /// Prompts still owed for those Enters (a slow device answers them after the prompt
    /// was learned): a reading that is nothing but such a prompt is not an answer.
    owed: usize,
}

/// Output of one typed command.
pub struct Reading {
    pub raw: Capped,
    pub end: End,
    /// The prompt line that ended the reading (the learned one, or the same host in
    /// another mode).
    pub prompt: String,
}

/// What arrived while looking for the first prompt, kept for the error message.
#[derive(Default)]
pub struct Greeting {
    bytes: Vec<u8>,
    /// Bytes dropped from the front (only the tail is kept of an endless greeting).
    dropped: usize,
    /// Login prompts already answered (bit per entry of the platform's list).
    answered: u64,
}

impl Greeting {
    fn push(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        // Only the tail matters (the last line, and the bytes quoted on failure).
        if self.bytes.len() > 64 * 1024 {
            let cut = self.bytes.len() - 16 * 1024;
            self.bytes.drain(..cut);
            self.dropped += cut;
        }
    }

    /// How many bytes arrived in all: a mark for [`Greeting::since`].
    fn mark(&self) -> usize {
        self.dropped + self.bytes.len()
    }

    /// What arrived after `mark` (what is still kept of it).
    fn since(&self, mark: usize) -> &[u8] {
        &self.bytes[mark.saturating_sub(self.dropped).min(self.bytes.len())..]
    }

    fn tail(&self) -> String {
        last_line(&self.bytes)
    }

    /// The last bytes the device sent, sanitized and escaped onto one line.
    /// What the device printed before (and as) its first prompt, sanitised: the MOTD and
    /// the prompt, which `detect` reads as evidence.
    pub fn text(&self) -> String {
        crate::base::sanitize::sanitize(&self.bytes)
    }

    pub fn quoted(&self) -> String {
        if self.bytes.is_empty() {
            return "the device sent nothing".into();
        }
        let start = self.bytes.len().saturating_sub(QUOTED);
        let mut start = start;
        // Do not start inside a UTF-8 character.
        while start > 0 && start < self.bytes.len() && (self.bytes[start] & 0xC0) == 0x80 {
            start -= 1;
        }
        format!(
            "the device's last {} bytes: \"{}\"",
            self.bytes.len() - start,
            escape_line(&sanitize(&self.bytes[start..]))
        )
    }
}

/// A chunk of output, or silence for the given time.
enum Next {
    Data(Vec<u8>),
    Quiet,
}

impl Shell {
    /// Opens a PTY shell on `channel` (PTY and shell requests), ready to learn the prompt.
    pub async fn start(
        channel: Channel<Msg>,
        profile: &'static Profile,
        size: (u32, u32),
    ) -> Result<Shell, OpenError> {
        channel
            .request_pty(false, "vt100", size.0, size.1, 0, 0, &[])
            .await
            .map_err(|e| OpenError::Channel(format!("PTY request failed: {e}")))?;
        channel
            .request_shell(false)
            .await
            .map_err(|e| OpenError::Channel(format!("shell request failed: {e}")))?;
        Ok(Shell {
            channel,
            profile,
            learned: Learned::new("", &profile.prompt),
            enters: 0,
            owed: 0,
        })
    }

    /// Answers login prompts and learns the prompt. What arrived before it stays in
    /// `greeting` for the caller's error.
    pub async fn learn_prompt(&mut self, greeting: &mut Greeting) -> Result<(), OpenError> {
        let learned = self.learn(greeting).await?;
        self.learned = Learned::new(&learned, &self.profile.prompt);
        // Each Enter is answered with a prompt, and so is the login (when the device shows
        // a prompt by itself): what has not arrived yet is still on its way.
        let seen = sanitize(&greeting.bytes)
            .split('\n')
            .filter(|l| self.is_prompt(l))
            .count();
        self.owed = (self.enters + 1).saturating_sub(seen);
        Ok(())
    }

    /// Enters privileged mode when the platform has one and the learned prompt is in user
    /// mode, and runs the session setup (paging off).
    pub async fn setup(
        &mut self,
        user: &str,
        password: Option<&Secret>,
        cap: usize,
    ) -> Result<(), String> {
        let fail = |what: &str, e: ShellError| match e {
            ShellError::Closed(_) => format!("the shell closed while {what}"),
            ShellError::Capped(_) => format!("endless output while {what}"),
            ShellError::Send(e) => format!("cannot send while {what}: {e}"),
        };
        let user_mode = self
            .profile
            .modes
            .user
            .as_ref()
            .is_some_and(|re| re.is_match(&self.learned.line));
        if user_mode && let Some(privilege) = &self.profile.privilege {
            self.enable(privilege, user, password, cap)
                .await
                .map_err(|e| fail("entering privileged mode", e))?;
        }
        for line in &self.profile.setup {
            self.send_line(line)
                .await
                .map_err(|e| fail("setting up the session", e))?;
            self.read_answer(cap, None)
                .await
                .map_err(|e| fail("setting up the session", e))?;
        }
        Ok(())
    }

    /// Whether the device closed this shell while it sat idle (`exec-timeout`). Output
    /// that arrived in between (a log line, a goodbye) is dropped: it answers nothing.
    pub fn hung_up(&mut self) -> bool {
        use futures::FutureExt;
        loop {
            match self.channel.wait().now_or_never() {
                None => return false,
                Some(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => return true,
                Some(Some(_)) => {}
            }
        }
    }

    /// The prompt learned at open.
    pub fn learned(&self) -> &Learned {
        &self.learned
    }

    async fn next(&mut self, wait: Duration) -> Result<Next, OpenError> {
        match tokio::time::timeout(wait, self.channel.wait()).await {
            Err(_) => Ok(Next::Quiet),
            Ok(Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. })) => {
                Ok(Next::Data(data.to_vec()))
            }
            Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => Err(OpenError::Channel(
                "the shell closed before a prompt was seen".into(),
            )),
            Ok(Some(_)) => Ok(Next::Data(Vec::new())),
        }
    }

    async fn send_or_fail(&mut self, bytes: &[u8]) -> Result<(), OpenError> {
        if bytes == b"\n" {
            self.enters += 1;
        }
        self.send_raw(bytes)
            .await
            .map_err(|_| OpenError::Channel("cannot send to the shell".into()))
    }

    /// Reads until the last line looks like a prompt of the platform (and, with `since`,
    /// a line break arrived after that offset), answering login prompts on the way and
    /// pressing Enter when the device falls silent without one.
    async fn prompt_like(
        &mut self,
        greeting: &mut Greeting,
        since: Option<usize>,
    ) -> Result<String, OpenError> {
        let mut nudges = 0;
        // Silence since the last data, and whether an Enter was pressed in it.
        let mut silent = Duration::ZERO;
        let mut nudged = false;
        loop {
            match self.next(NUDGE_AFTER).await? {
                Next::Data(data) => {
                    (silent, nudged) = (Duration::ZERO, false);
                    greeting.push(&data);
                    let tail = greeting.tail();
                    let asked = self
                        .profile
                        .login_prompts
                        .iter()
                        .enumerate()
                        .find(|(i, p)| {
                            *i < 64
                                && greeting.answered & (1 << i) == 0
                                && p.pattern.is_match(&tail)
                        });
                    if let Some((i, question)) = asked {
                        // Each question once: its text may stay on the last line a while.
                        greeting.answered |= 1 << i;
                        // A key, not an Enter: it owes no prompt.
                        self.send_raw(question.answer.as_bytes())
                            .await
                            .map_err(|_| OpenError::Channel("cannot send to the shell".into()))?;
                        continue;
                    }
                    let fresh = since.is_none_or(|at| greeting.since(at).contains(&b'\n'));
                    if fresh && self.profile.prompt.is_match(&tail) {
                        return Ok(tail);
                    }
                }
                // One Enter per silence: a slow device still answering the last one is
                // not sent more (each would owe a prompt).
                Next::Quiet if !nudged && nudges < NUDGES => {
                    (nudges, nudged) = (nudges + 1, true);
                    silent += NUDGE_AFTER;
                    self.send_or_fail(b"\n").await?;
                }
                Next::Quiet if nudges < NUDGES && silent < GIVE_UP => silent += NUDGE_AFTER,
                Next::Quiet => {
                    return Err(OpenError::Prompt(format!(
                        "no prompt that platform {} recognises after {NUDGES} Enters; {}",
                        self.profile.name,
                        greeting.quoted()
                    )));
                }
            }
        }
    }

    /// Reads until the device has been silent for [`SETTLE`].
    async fn settle(&mut self, greeting: &mut Greeting) -> Result<(), OpenError> {
        while let Next::Data(data) = self.next(SETTLE).await? {
            greeting.push(&data);
        }
        Ok(())
    }

    /// netmiko's `find_prompt`: the last line that looks like a prompt, confirmed by
    /// pressing Enter and getting exactly that line back (and nothing else but blank and
    /// noise lines) — so a banner line, a prompt half sent, or an answer that lags behind
    /// is never taken for the prompt.
    async fn learn(&mut self, greeting: &mut Greeting) -> Result<String, OpenError> {
        let mut candidate = self.prompt_like(greeting, None).await?;
        for _ in 0..CONFIRMS {
            let mark = greeting.mark();
            self.send_or_fail(b"\n").await?;
            let again = self.prompt_like(greeting, Some(mark)).await?;
            if again == candidate && self.only_noise_before(greeting.since(mark)) {
                return Ok(again);
            }
            // Out of step (more banner, a prompt in pieces): let it all arrive, start over.
            self.settle(greeting).await?;
            candidate = greeting.tail();
            if !self.profile.prompt.is_match(&candidate) {
                candidate = self.prompt_like(greeting, None).await?;
            }
        }
        Err(OpenError::Prompt(format!(
            "the prompt never settled (no line repeated after {CONFIRMS} Enters); {}",
            greeting.quoted()
        )))
    }

    /// Whether the answer to an Enter was only blank lines and the platform's noise lines
    /// (`{master:0}`) before the prompt.
    fn only_noise_before(&self, answer: &[u8]) -> bool {
        let text = sanitize(answer);
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines.pop();
        let above = self.profile.modes.above.as_ref();
        lines.iter().all(|l| {
            let l = l.trim_end();
            l.trim().is_empty()
                || self.profile.strip.iter().any(|re| re.is_match(l))
                || above.is_some_and(|re| re.is_match(l))
        })
    }

    /// `enable`, answering a password prompt with the login password (a device without an
    /// enable password, or a wrong one, leaves us in user mode: commands then say so).
    async fn enable(
        &mut self,
        privilege: &Privilege,
        user: &str,
        password: Option<&Secret>,
        cap: usize,
    ) -> Result<(), ShellError> {
        static ASKS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)password:\s*$").expect("valid regex"));
        let asks = privilege.password_prompt.as_ref().unwrap_or(&ASKS);
        self.send_line(&privilege.command).await?;
        let mut r = self
            .read_asked(cap, asks, privilege.username_prompt.as_ref())
            .await?;
        if r.end == End::Other
            && privilege
                .username_prompt
                .as_ref()
                .is_some_and(|re| re.is_match(&r.prompt))
        {
            // ProCurve asks for the manager's name first: the login name.
            self.send_line(user).await?;
            r = self.read(cap, Some(asks)).await?;
        }
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

    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ShellError> {
        self.channel
            .data_bytes(bytes.to_vec())
            .await
            .map_err(|e| ShellError::Send(e.to_string()))
    }

    /// The answer to a typed line: [`Shell::read`], skipping a reading that is only a
    /// prompt still owed from learning it (netmiko checks the echo for the same reason).
    pub async fn read_answer(
        &mut self,
        cap: usize,
        other: Option<&Regex>,
    ) -> Result<Reading, ShellError> {
        loop {
            let r = self.read(cap, other).await?;
            if self.owed > 0 && r.end == End::Prompt && only_prompt(&r.raw.bytes) {
                self.owed -= 1;
                continue;
            }
            return Ok(r);
        }
    }

    /// [`Shell::read`] that also stops at `or_else` (a second question the device may ask).
    async fn read_asked(
        &mut self,
        cap: usize,
        asks: &Regex,
        or_else: Option<&Regex>,
    ) -> Result<Reading, ShellError> {
        let Some(or_else) = or_else else {
            return self.read_answer(cap, Some(asks)).await;
        };
        let either = Regex::new(&format!("(?:{})|(?:{})", asks.as_str(), or_else.as_str()))
            .map_err(|e| ShellError::Send(format!("bad privilege patterns: {e}")))?;
        self.read_answer(cap, Some(&either)).await
    }

    /// Reads until the prompt (or `other`) ends the output, the cap is hit or the channel
    /// closes. Pager markers are answered and removed with the sequence that erases them.
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
                chunk = strip_erase(chunk);
                // The erase may come in its own message: wait for text before giving up.
                erase_pending = chunk.is_empty();
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
                    prompt: tail,
                });
            }
            if self.is_prompt(&tail) {
                return Ok(Reading {
                    raw,
                    end: End::Prompt,
                    prompt: tail,
                });
            }
        }
    }

    /// The learned prompt exactly (also right after output that did not end its last
    /// line), or a line of the platform's prompt pattern with the learned host part.
    fn is_prompt(&self, line: &str) -> bool {
        let learned = &self.learned.line;
        (!learned.trim().is_empty() && line.ends_with(learned.as_str()))
            || (self.profile.prompt.is_match(line)
                && self.learned.matches(&self.profile.prompt, line))
    }

    pub async fn close(self) {
        let _ = self.channel.close().await;
    }
}

/// Whether a reading is nothing but line breaks and the prompt: an Enter's answer.
fn only_prompt(raw: &[u8]) -> bool {
    let start = raw.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    sanitize(&raw[..start]).trim().is_empty()
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

/// What a pager prints to erase its marker once answered, at the start of what follows:
/// `\r<spaces>\r` (IOS, the lab), backspaces over spaces (ASA, ProCurve), erase-line
/// sequences (Junos, EOS). Text after it, indentation included, is kept.
fn strip_erase(mut chunk: &[u8]) -> &[u8] {
    const ERASE_LINE: [&[u8]; 5] = [b"\x1b[K", b"\x1b[0K", b"\x1b[1K", b"\x1b[2K", b"\r\x1b[K"];
    let count = |s: &[u8], b: u8| s.iter().take_while(|&&c| c == b).count();
    loop {
        if let Some(seq) = ERASE_LINE.iter().find(|s| chunk.starts_with(s)) {
            chunk = &chunk[seq.len()..];
            continue;
        }
        if let Some(rest) = chunk.strip_prefix(b"\r") {
            let spaces = count(rest, b' ');
            if let Some(after) = rest[spaces..].strip_prefix(b"\r") {
                chunk = after;
                continue;
            }
        }
        let back = count(chunk, 0x08);
        if back > 0 {
            let rest = &chunk[back..];
            let spaces = count(rest, b' ');
            let again = count(&rest[spaces..], 0x08);
            chunk = if spaces > 0 && again == spaces {
                &rest[spaces + again..]
            } else {
                rest
            };
            continue;
        }
        return chunk;
    }
}

/// One typed line's reading: the raw bytes, whether the cap cut them, and the prompt line
/// that ended them (`None` when cut).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub raw: Vec<u8>,
    pub cut: bool,
    pub prompt: Option<String>,
    /// The prompt learned at open (for echo redraws).
    pub learned: String,
}

/// Where the device's echo of `command` ends in `raw` (after its line break), when the
/// reading starts with it. The echo may be wrapped (line breaks, a space and `\r` at the
/// margin), redrawn after `\r` with the prompt in front, or corrected with backspaces.
fn echo_end(raw: &[u8], command: &str, prompt: &str) -> Option<usize> {
    let cmd = command.trim().as_bytes();
    if cmd.is_empty() {
        return None;
    }
    let (mut i, mut j) = (0, 0);
    while j < cmd.len() {
        let b = *raw.get(i)?;
        i += 1;
        match b {
            _ if b == cmd[j] => j += 1,
            0x08 => j = j.saturating_sub(1),
            b'\r' if !prompt.is_empty() && raw[i..].starts_with(prompt.as_bytes()) => {
                i += prompt.len();
                j = 0;
            }
            b'\r' | b'\n' | b' ' => {}
            0x1b => i += csi_len(&raw[i..]),
            _ => return None,
        }
    }
    // The rest of the echo line: only what moves the cursor, then the line break.
    let mut k = i;
    while let Some(&b) = raw.get(k) {
        k += 1;
        match b {
            b'\n' => return Some(k),
            b'\r' | b' ' | 0x08 => {}
            0x1b => k += csi_len(&raw[k..]),
            _ => return Some(i),
        }
    }
    Some(raw.len())
}

/// Length of a CSI sequence after its ESC (`[K`, `[2K`, `[1;32m`), 0 if it is not one.
fn csi_len(rest: &[u8]) -> usize {
    if rest.first() != Some(&b'[') {
        return 0;
    }
    match rest[1..].iter().position(|b| (0x40..=0x7e).contains(b)) {
        Some(p) if p < 32 => p + 2,
        _ => 0,
    }
}

/// Turns a reading into the command's output: exactly what the device printed for it —
/// no echoed command, no prompt, no added line break — and what the sanitizer took out.
pub fn output_text(typed: &Typed, command: &str) -> Clean {
    let echo = echo_end(&typed.raw, command, &typed.learned);
    let Clean { text, removed } = clean(&typed.raw[echo.unwrap_or(0)..]);
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let cmd = command.trim();
    if echo.is_none()
        && !cmd.is_empty()
        && lines.first().is_some_and(|l| l.trim_end().ends_with(cmd))
    {
        lines.remove(0);
    }
    let mut last = None;
    if let Some(prompt) = &typed.prompt
        && let Some(l) = lines.last().filter(|l| !l.ends_with('\n'))
    {
        // Output that did not end its line has the prompt right after it: keep the output.
        last = l
            .strip_suffix(prompt.as_str())
            .filter(|rest| !rest.is_empty());
        lines.pop();
    }
    let mut out = lines.concat();
    out.push_str(last.unwrap_or(""));
    Clean { text: out, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(raw: &[u8], prompt: &str, learned: &str) -> Typed {
        Typed {
            raw: raw.to_vec(),
            cut: false,
            prompt: Some(prompt.to_string()),
            learned: learned.to_string(),
        }
    }

    /// Byte streams as devices send them (shapes from public session transcripts and the
    /// vendors' CLI guides) and the output a user must get.
    #[test]
    fn output_is_exactly_what_the_device_printed() {
        let cases: &[(&str, &[u8], &str, &str)] = &[
            // IOS: echo, CRLF, prompt.
            ("show clock", b"show clock\r\n*12:00:00.000 UTC\r\nsw1#", "sw1#", "*12:00:00.000 UTC\n"),
            // Linux: prompt with a trailing space.
            ("uname", b"uname\r\nLinux\r\nadmin@h:~$ ", "admin@h:~$ ", "Linux\n"),
            // No output at all.
            ("terminal length 0", b"terminal length 0\r\nr1#", "r1#", ""),
            // Output that does not end its line: nothing added, prompt right after it.
            ("printf abc", b"printf abc\r\nabcadmin@h:~$ ", "admin@h:~$ ", "abc"),
            // Junos: no user@, no trailing space; a blank line kept as printed.
            ("show system uptime", b"show system uptime\r\nCurrent time: 2026-12-02\r\n\r\njunos0>", "junos0>", "Current time: 2026-12-02\n\n"),
            // XR: a timestamp line is part of the answer.
            ("show clock", b"show clock\r\nWed Dec  2 00:00:00.000 UTC\r\n00:00:00.000 UTC Wed Dec 2 2026\r\nRP/0/RP0/CPU0:r1#", "RP/0/RP0/CPU0:r1#", "Wed Dec  2 00:00:00.000 UTC\n00:00:00.000 UTC Wed Dec 2 2026\n"),
            // Huawei.
            ("display clock", b"display clock\r\n2026-12-02 00:00:00\r\n<r1>", "<r1>", "2026-12-02 00:00:00\n"),
            // An echo wrapped at the terminal margin (bash: space and CR at the margin).
            ("echo aaaaaaaaaa bbbbbbbbbb", b"echo aaaaaaaaaa bbbbb \rbbbbb\r\naaaaaaaaaa bbbbbbbbbb\r\nh$ ", "h$ ", "aaaaaaaaaa bbbbbbbbbb\n"),
            // An echo wrapped with a line break.
            ("show interfaces description", b"show interfaces desc\r\nription\r\nGi1 up\r\nr1#", "r1#", "Gi1 up\n"),
            // An echo redrawn after CR with the prompt in front.
            ("show version", b"show ver\rr1#show version\r\nCisco IOS\r\nr1#", "r1#", "Cisco IOS\n"),
            // An echo redrawn with backspaces (IOS scrolling a long line).
            ("show ip route", b"show ip ro\x08\x08route\r\nGateway of last resort\r\nr1#", "r1#", "Gateway of last resort\n"),
            // A device that does not echo: the first line is output.
            ("show clock", b"*12:00:00.000 UTC\r\nsw1#", "sw1#", "*12:00:00.000 UTC\n"),
            // Output that contains the command text later on is kept.
            ("show run | include hostname", b"show run | include hostname\r\nhostname r1\r\nr1#", "r1#", "hostname r1\n"),
            // Config mode: the prompt changed.
            ("interface Gi1", b"interface Gi1\r\nr1(config-if)#", "r1(config-if)#", ""),
            // Control sequences in the answer are removed.
            ("show x", b"show x\r\n\x1b[1;32mgreen\x1b[0m\r\nr1#", "r1#", "green\n"),
        ];
        for (command, raw, prompt, want) in cases {
            let got = output_text(&typed(raw, prompt, prompt), command).text;
            assert_eq!(
                &got,
                want,
                "{command:?} from {:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn a_reading_of_only_a_prompt_is_an_enters_answer() {
        assert!(only_prompt(b"\r\nr1#"));
        assert!(only_prompt(b"\r\n\r\nr1#"));
        assert!(only_prompt(b"r1#"));
        assert!(!only_prompt(b"terminal length 0\r\nr1#"));
        assert!(!only_prompt(b"\r\n% Invalid input\r\nr1#"));
    }

    #[test]
    fn a_cut_reading_keeps_its_last_line() {
        let t = Typed {
            raw: b"show log\r\nline 1\r\nline 2 is cu".to_vec(),
            cut: true,
            prompt: None,
            learned: "r1#".into(),
        };
        assert_eq!(output_text(&t, "show log").text, "line 1\nline 2 is cu");
    }

    #[test]
    fn pager_erasures_are_stripped_and_indentation_kept() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"\r          \rnext", b"next"),
            (
                b"\r          \r ip address 10.0.0.1",
                b" ip address 10.0.0.1",
            ),
            (
                b"\x08\x08\x08\x08    \x08\x08\x08\x08 shutdown",
                b" shutdown",
            ),
            (b"\x1b[K  description x", b"  description x"),
            (b"\r\x1b[Kinterface ge-0/0/0", b"interface ge-0/0/0"),
            (b"next", b"next"),
            (b"   indented", b"   indented"),
        ];
        for (chunk, want) in cases {
            assert_eq!(
                strip_erase(chunk),
                *want,
                "{:?}",
                String::from_utf8_lossy(chunk)
            );
        }
    }
}
