//! Commands over an exec channel (Linux and unknown platforms): one channel per command,
//! stdout and stderr merged, exit status kept, output capped; a connection that dies under
//! the command is reported as "may have run".

use russh::ChannelMsg;
use tokio::time::timeout;

use super::outcome::{ExecError, Output, Stage};
use super::session::Session;
use super::stage::{err, ran, timed_out};
use crate::base::sanitize::{Capped, Clean, clean};

/// How reading an exec channel ended.
enum Read {
    Done,
    /// The server answered the exec request with a failure: nothing ran.
    Refused,
    /// The connection went away without closing the channel.
    Lost,
}

impl Session {
    pub(super) async fn run_exec(&mut self, command: &str) -> Result<Output, ExecError> {
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
            Ok(Read::Refused) => {
                self.exec_refused = true;
                Err(err(Stage::Channel, "the device refused the exec request"))
            }
            Ok(Read::Lost) => {
                self.lost = true;
                Err(ran(format!(
                    "connection lost during the command ({} bytes of output received)",
                    out.bytes.len()
                )))
            }
            Ok(Read::Done) => {
                let Clean { text, removed } = clean(&out.bytes);
                Ok(Output {
                    error_marker: self.profile().find_error(&text),
                    text,
                    exit_status: status,
                    truncated: out.truncated(),
                    removed,
                })
            }
        }
    }
}
