//! Drives one SSH session channel: PTY shell (echo, line editing, paging) or exec, and
//! applies the output-level faults (latency, control bytes, huge output, dropped
//! connections). Commands themselves are interpreted by `cli`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};

use super::cli::{Cli, Output, Reply};
use super::device::{DeviceShared, Via};
use super::outputs;
use super::runtime::LabShared;

/// Who is on the channel.
pub struct SessionCtx {
    pub dev: Arc<DeviceShared>,
    pub lab: Arc<LabShared>,
    pub conn: u64,
    pub user: String,
    /// RouterOS `admin+ct`: terminal flags given at login (paging off).
    pub flagged: bool,
}

/// Serves one session channel until it closes.
pub async fn run_channel(channel: Channel<Msg>, ctx: SessionCtx) {
    let (mut rx, tx) = channel.split();
    let mut rows: Option<usize> = None;
    let mut pty = false;
    while let Some(msg) = rx.wait().await {
        match msg {
            ChannelMsg::RequestPty { row_height, .. } => {
                pty = true;
                rows = (row_height > 0).then_some(row_height as usize);
            }
            ChannelMsg::RequestShell { .. } => {
                let input = Input::new(rx);
                let _ = shell(input, tx, &ctx, pty, rows).await;
                return;
            }
            ChannelMsg::Exec { .. } if ctx.dev.faults.refuse_exec => {}
            ChannelMsg::Exec { command, .. } => {
                let _ = exec(&tx, &ctx, &String::from_utf8_lossy(&command)).await;
                return;
            }
            ChannelMsg::Close | ChannelMsg::Eof => return,
            _ => {}
        }
    }
}

/// The connection or channel is gone; stop serving.
struct Gone;

impl From<russh::Error> for Gone {
    fn from(_: russh::Error) -> Gone {
        Gone
    }
}

/// Writes output, turning `\n` into `\r\n` on shells and lacing it with control bytes when
/// the device has that fault.
struct Writer<'a> {
    tx: &'a ChannelWriteHalf<Msg>,
    crlf: bool,
    control_bytes: bool,
    host: String,
    lines: u64,
}

impl Writer<'_> {
    async fn raw(&self, bytes: Vec<u8>) -> Result<(), Gone> {
        self.tx.data_bytes(bytes).await?;
        Ok(())
    }

    fn line_bytes(&mut self, line: &str, out: &mut Vec<u8>) {
        let body = line.strip_suffix('\n');
        let text = body.unwrap_or(line);
        if self.control_bytes && body.is_some() {
            // A rotating mix of what real terminals get: SGR colours, an OSC title, erase
            // line, backspaces, NUL and BEL.
            self.lines += 1;
            match self.lines % 4 {
                0 => out.extend_from_slice(format!("\x1b[1;32m{text}\x1b[0m").as_bytes()),
                1 => out.extend_from_slice(format!("\x1b]0;{}\x07{text}", self.host).as_bytes()),
                2 => out.extend_from_slice(format!("\x1b[2K\r{text}x\x08 \x08\x00").as_bytes()),
                _ => out.extend_from_slice(format!("{text}\x07\x1b[?25h").as_bytes()),
            }
        } else {
            out.extend_from_slice(text.as_bytes());
        }
        if body.is_some() {
            out.extend_from_slice(if self.crlf { b"\r\n" } else { b"\n" });
        }
    }

    /// Sends text (any number of lines) as one write.
    async fn text(&mut self, text: &str) -> Result<(), Gone> {
        if text.is_empty() {
            return Ok(());
        }
        let mut out = Vec::with_capacity(text.len() + 16);
        for line in text.split_inclusive('\n') {
            self.line_bytes(line, &mut out);
        }
        self.raw(out).await
    }

    /// Sends a prompt: newlines become CRLF, never laced.
    async fn prompt(&self, prompt: &str) -> Result<(), Gone> {
        let p = if self.crlf {
            prompt.replace('\n', "\r\n")
        } else {
            prompt.to_string()
        };
        self.raw(p.into_bytes()).await
    }
}

/// The lines of one command's output, produced lazily so huge outputs cost no memory.
enum Lines {
    Text(VecDeque<String>),
    Huge { remaining: u64, n: u64 },
}

impl Lines {
    fn new(output: Output) -> Lines {
        match output {
            Output::Text(t) => Lines::Text(t.split_inclusive('\n').map(str::to_string).collect()),
            Output::Huge(bytes) => Lines::Huge {
                remaining: bytes,
                n: 0,
            },
        }
    }

    fn next_line(&mut self) -> Option<String> {
        match self {
            Lines::Text(q) => q.pop_front(),
            Lines::Huge { remaining, n } => {
                if *remaining == 0 {
                    return None;
                }
                *n += 1;
                let mut line = outputs::huge_line(*n);
                if line.len() as u64 > *remaining {
                    line.truncate(*remaining as usize - 1);
                    line.push('\n');
                }
                *remaining -= line.len() as u64;
                Some(line)
            }
        }
    }

    fn len_hint(&self) -> u64 {
        match self {
            Lines::Text(q) => q.iter().map(|l| l.len() as u64).sum(),
            Lines::Huge { remaining, .. } => *remaining,
        }
    }
}

/// Bytes typed by the client, read one at a time across channel messages.
struct Input {
    rx: ChannelReadHalf,
    pending: VecDeque<u8>,
    eof: bool,
    /// The last line ended with CR: a following LF belongs to it.
    skip_lf: bool,
}

impl Input {
    fn new(rx: ChannelReadHalf) -> Input {
        Input {
            rx,
            pending: VecDeque::new(),
            eof: false,
            skip_lf: false,
        }
    }

    async fn next_byte(&mut self) -> Option<u8> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            if self.eof {
                return None;
            }
            match self.rx.wait().await {
                Some(ChannelMsg::Data { data }) => self.pending.extend(data.iter()),
                Some(ChannelMsg::Eof) => self.eof = true,
                Some(ChannelMsg::Close) | None => return None,
                Some(_) => {}
            }
        }
    }
}

enum Line {
    Text(String),
    /// Ctrl-C: abandon the line.
    Cancel,
    /// Ctrl-Z: leave config mode.
    End,
}

/// Reads one line with echo and simple editing (backspace, Ctrl-U, Ctrl-C, Ctrl-Z);
/// arrow keys and other escape sequences are swallowed.
async fn read_line(input: &mut Input, w: &Writer<'_>, echo: bool) -> Result<Option<Line>, Gone> {
    let mut buf = String::new();
    loop {
        let Some(b) = input.next_byte().await else {
            return Ok((!buf.is_empty()).then_some(Line::Text(buf)));
        };
        if std::mem::take(&mut input.skip_lf) && b == b'\n' {
            continue;
        }
        match b {
            b'\r' | b'\n' => {
                input.skip_lf = b == b'\r';
                if w.crlf {
                    w.raw(b"\r\n".to_vec()).await?;
                }
                return Ok(Some(Line::Text(buf)));
            }
            0x7f | 0x08 if buf.pop().is_some() && echo => {
                w.raw(b"\x08 \x08".to_vec()).await?;
            }
            0x15 => {
                if echo {
                    let erase = "\x08 \x08".repeat(buf.chars().count());
                    w.raw(erase.into_bytes()).await?;
                }
                buf.clear();
            }
            0x03 => {
                w.raw(b"^C\r\n".to_vec()).await?;
                return Ok(Some(Line::Cancel));
            }
            0x1a => {
                w.raw(b"^Z\r\n".to_vec()).await?;
                return Ok(Some(Line::End));
            }
            0x1b => {
                // CSI: ESC [ params final-byte; SS3: ESC O x.
                match input.next_byte().await {
                    Some(b'[') => {
                        while let Some(c) = input.next_byte().await {
                            if (0x40..=0x7e).contains(&c) {
                                break;
                            }
                        }
                    }
                    Some(b'O') => {
                        input.next_byte().await;
                    }
                    _ => {}
                }
            }
            b if b >= 0x20 && b != 0x7f => {
                let c = b as char;
                buf.push(c);
                if echo {
                    w.raw(vec![b]).await?;
                }
            }
            _ => {}
        }
    }
}

/// An interactive shell session.
async fn shell(
    mut input: Input,
    tx: ChannelWriteHalf<Msg>,
    ctx: &SessionCtx,
    pty: bool,
    rows: Option<usize>,
) -> Result<(), Gone> {
    let mut cli = Cli::new(
        ctx.dev.clone(),
        ctx.conn,
        Via::Shell,
        &ctx.user,
        &ctx.lab.password,
        rows,
    );
    if !pty || ctx.flagged {
        cli.page = None;
    }
    let mut w = Writer {
        tx: &tx,
        crlf: true,
        control_bytes: ctx.dev.faults.control_bytes,
        host: ctx.dev.name.clone(),
        lines: 0,
    };
    let faults = &ctx.dev.faults;
    let motd = faults
        .motd
        .as_deref()
        .unwrap_or(ctx.dev.platform.spec().motd);
    w.prompt(&motd.replace("\r\n", "\n")).await?;
    if let Some(press) = ctx.dev.platform.spec().press_any_key
        && !faults.no_prompt
    {
        // ProCurve: nothing happens until a key is pressed; the key is not a command.
        w.prompt(&press.replace("\r\n", "\n")).await?;
        match input.next_byte().await {
            None => return Ok(()),
            Some(b'\r') => input.skip_lf = true,
            Some(_) => {}
        }
        w.prompt("\n").await?;
    }
    loop {
        let prompt = if faults.no_prompt {
            String::new()
        } else {
            cli.prompt()
        };
        w.prompt(&prompt).await?;
        let width = prompt.rsplit('\n').next().map_or(0, str::len);
        let read = read_line(&mut input, &w, pty && cli.echo());
        let read = match faults.idle_timeout {
            Some(limit) => match tokio::time::timeout(limit, read).await {
                Ok(read) => read,
                Err(_) => {
                    // exec-timeout: the device hangs up (FIN, not a reset).
                    let _ = tx.eof().await;
                    let _ = tx.close().await;
                    // Let the close leave before the connection goes.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    ctx.dev.hang_up(ctx.conn);
                    return Ok(());
                }
            },
            None => read.await,
        };
        let line = match read? {
            None => break,
            Some(Line::Cancel) => continue,
            Some(Line::End) => "end".to_string(),
            Some(Line::Text(t)) => t,
        };
        if !line.trim().is_empty() && cli.echo() {
            ctx.lab.counters.commands.fetch_add(1, Ordering::Relaxed);
        }
        if faults.no_prompt {
            // A hung CLI: it echoed the line and says nothing.
            continue;
        }
        let reply = cli.run(&line, width);
        let page = if reply.no_more {
            None
        } else if faults.sticky_pager && pty && !ctx.dev.platform.spec().pager.is_empty() {
            Some(rows.unwrap_or(24).max(2))
        } else {
            cli.page
        };
        send_reply(&mut w, ctx, &reply, page, Some(&mut input)).await?;
        if reply.close {
            break;
        }
    }
    let _ = tx.exit_status(0).await;
    let _ = tx.eof().await;
    let _ = tx.close().await;
    Ok(())
}

/// An exec request: every line of `command` runs in privileged mode, no paging.
async fn exec(tx: &ChannelWriteHalf<Msg>, ctx: &SessionCtx, command: &str) -> Result<(), Gone> {
    let mut cli = Cli::new(
        ctx.dev.clone(),
        ctx.conn,
        Via::Exec,
        &ctx.user,
        &ctx.lab.password,
        None,
    );
    let mut w = Writer {
        tx,
        crlf: false,
        control_bytes: ctx.dev.faults.control_bytes,
        host: ctx.dev.name.clone(),
        lines: 0,
    };
    let mut status = 0;
    for line in command.lines().filter(|l| !l.trim().is_empty()) {
        ctx.lab.counters.commands.fetch_add(1, Ordering::Relaxed);
        let reply = cli.run(line, 0);
        if status == 0 {
            status = reply.status;
        }
        send_reply(&mut w, ctx, &reply, None, None).await?;
        if reply.close {
            break;
        }
    }
    let _ = tx.exit_status(status).await;
    let _ = tx.eof().await;
    let _ = tx.close().await;
    Ok(())
}

/// Sends a command's output: latency first, then lines (paged if `page` is set and the
/// client can answer), cutting the connection half way for the drop fault.
async fn send_reply(
    w: &mut Writer<'_>,
    ctx: &SessionCtx,
    reply: &Reply,
    mut page: Option<usize>,
    mut input: Option<&mut Input>,
) -> Result<(), Gone> {
    if let Some(delay) = ctx.dev.faults.latency {
        tokio::time::sleep(delay).await;
    }
    let mut lines = Lines::new(reply.output.clone());
    let drop_after = reply.drop.then(|| lines.len_hint() / 2);
    let pager_template = ctx.dev.platform.spec().pager;
    let mut shown: usize = 0;
    let mut sent: u64 = 0;
    let mut on_page = 0;
    let mut chunk = String::new();
    while let Some(line) = lines.next_line() {
        sent += line.len() as u64;
        chunk.push_str(&line);
        on_page += 1;
        shown += 1;
        if drop_after.is_some_and(|half| sent >= half) {
            w.text(&chunk).await?;
            // Let the partial output leave before the connection dies.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            ctx.dev.kill_session(ctx.conn);
            return Err(Gone);
        }
        let page_full = page.is_some_and(|p| on_page >= p - 1);
        if page_full && let Some(inp) = input.as_deref_mut() {
            w.text(&std::mem::take(&mut chunk)).await?;
            // PAN-OS and VyOS show less's `lines 1-23` style.
            let pager = pager_template
                .replace("{from}", &(shown + 1 - on_page).to_string())
                .replace("{to}", &shown.to_string());
            let pager = pager.as_str();
            w.prompt(pager).await?;
            let mut key = inp.next_byte().await;
            if std::mem::take(&mut inp.skip_lf) && key == Some(b'\n') {
                key = inp.next_byte().await;
            }
            let erase = format!("\r{}\r", " ".repeat(pager.len()));
            w.prompt(&erase).await?;
            match key {
                Some(b' ') => on_page = 0,
                // RouterOS `D`: the rest at once.
                Some(k) if Some(k) == ctx.dev.platform.spec().pager_dump => {
                    page = None;
                    on_page = 0;
                }
                // Enter shows one more line.
                Some(b'\r') | Some(b'\n') => {
                    inp.skip_lf = key == Some(b'\r');
                    on_page = page.unwrap_or(2) - 2;
                }
                None => return Err(Gone),
                // Any other key ends the output, like IOS.
                Some(_) => return Ok(()),
            }
            continue;
        }
        if chunk.len() >= 32 * 1024 {
            w.text(&std::mem::take(&mut chunk)).await?;
        }
    }
    w.text(&chunk).await
}
