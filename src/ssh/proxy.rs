//! `ProxyCommand`: a command whose stdin and stdout carry the SSH connection (typically
//! `ssh -W %h:%p bastion`). Run through `sh -c` with `%h`, `%p`, `%r`, `%n` and `%%`
//! expanded; each expanded value is single-quoted, so a host or user from a file cannot
//! add shell syntax. The command is killed when the session ends (or fails to start); its
//! stderr goes to the log, escaped and capped.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::outcome::{ExecError, Stage};
use super::stage::err;
use super::target::Target;
use crate::base::text::{Untrusted, escape_line};

/// Bytes of a proxy command's stderr that reach the log; the rest is read and dropped.
pub const STDERR_CAP: usize = 8 * 1024;

/// The running command; dropping it kills the command.
pub(super) struct ProxyChild {
    _child: Child,
}

/// Starts `command` for `t`: its stdout and stdin joined into one stream.
pub(super) fn spawn(
    command: &str,
    t: &Target,
) -> Result<(tokio::io::Join<ChildStdout, ChildStdin>, ProxyChild), ExecError> {
    let line = expand(command, t);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            err(
                Stage::Connect,
                format!(
                    "cannot start the proxy command `{}`: {e}",
                    Untrusted(command)
                ),
            )
        })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(err(Stage::Connect, "the proxy command has no pipes"));
    };
    tokio::spawn(log_stderr(t.name.clone(), stderr));
    Ok((tokio::io::join(stdout, stdin), ProxyChild { _child: child }))
}

/// Logs the command's stderr line by line, up to [`STDERR_CAP`] bytes, then drains it so
/// the command never blocks on a full pipe.
async fn log_stderr(device: String, stderr: impl AsyncRead + Unpin) {
    let device = escape_line(&device);
    let mut lines = BufReader::new(stderr).split(b'\n');
    let mut logged = 0;
    while let Ok(Some(line)) = lines.next_segment().await {
        if logged >= STDERR_CAP {
            continue;
        }
        let room = (STDERR_CAP - logged).min(line.len());
        logged += room.max(1);
        let text = escape_line(&String::from_utf8_lossy(&line[..room]));
        tracing::warn!(%device, line = %text, "proxy command stderr");
        if logged >= STDERR_CAP {
            tracing::warn!(%device, "proxy command stderr: the rest is not logged");
        }
    }
}

/// `%h` host, `%p` port, `%r` user, `%n` the device name, `%%` a percent sign; each value
/// single-quoted for `sh`. Any other `%x` stays as written.
pub(super) fn expand(template: &str, t: &Target) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&quote(&t.host)),
            Some('p') => out.push_str(&quote(&t.port.to_string())),
            Some('r') => out.push_str(&quote(&t.credentials.user)),
            Some('n') => out.push_str(&quote(&t.name)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// `s` as one `sh` word: single quotes, with each `'` written as `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::Credentials;

    fn target(host: &str, user: &str) -> Target {
        Target {
            name: "d".into(),
            host: host.into(),
            port: 2222,
            platform: "linux".into(),
            credentials: Credentials {
                user: user.into(),
                agent: false,
                key_file: None,
                identity_files: Vec::new(),
                agent_socket: None,
                key_passphrase_env: None,
                password_env: None,
                password: None,
            },
            legacy: false,
            jump: Vec::new(),
            proxy_command: None,
            ssh_config: None,
        }
    }

    #[test]
    fn tokens_expand_quoted() {
        let t = target("10.0.0.1", "ops");
        assert_eq!(
            expand("ssh -W %h:%p -l %r %n 100%% %x", &t),
            "ssh -W '10.0.0.1':'2222' -l 'ops' 'd' 100% %x"
        );
    }

    /// Whatever a host or user holds, `sh` sees it as the one word it was: each hostile
    /// value comes back unchanged from `printf %s`, and nothing else runs.
    #[test]
    fn hostile_values_stay_one_word() {
        for hostile in [
            "a;touch /tmp/fleetdash-pwned",
            "$(id)",
            "`id`",
            "a' ; id ; '",
            "a\"b",
            "x\ny",
            "*",
            "a b",
            "'",
            "\\",
        ] {
            let t = target(hostile, hostile);
            let line = expand("printf '%%s|' %h %r", &t);
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&line)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("{hostile}|{hostile}|"),
                "{line}"
            );
        }
        assert!(!std::path::Path::new("/tmp/fleetdash-pwned").exists());
    }
}
