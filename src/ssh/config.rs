//! Config mode on network platforms: enter, apply lines, commit or leave, save — the
//! commands are platform data. A line the device rejects stops the rest, and nothing is
//! saved; on commit platforms the candidate is thrown away, never committed.

use super::outcome::{ExecError, Output, Stage};
use super::session::Session;
use super::session::drop_above;
use super::shell::{Typed, output_text};
use super::stage::err;
use crate::base::safety::one_line;
use crate::base::sanitize::{Clean, Removed};
use crate::platforms::{Answer, Save};

impl Session {
    /// Applies `lines` in the platform's config mode and leaves it; with `save`, also saves
    /// the configuration (Junos: `commit and-quit` applies and persists in one step).
    pub async fn configure(&mut self, lines: &[String], save: bool) -> Result<Output, ExecError> {
        let p = self.profile();
        let Some(mode) = p.config.as_ref().filter(|_| p.uses_shell()) else {
            return Err(err(
                Stage::Command,
                format!("config mode is not supported on platform {}", p.name),
            ));
        };
        // Every line is checked before config mode is entered, so none is half applied.
        for (i, line) in lines.iter().enumerate() {
            one_line(line).map_err(|why| {
                err(
                    Stage::Command,
                    format!("nothing sent: config line {}: {why}", i + 1),
                )
            })?;
        }
        let mut transcript = String::new();
        let mut marker = None;
        let mut truncated = false;
        let mut removed = Removed::default();
        let enter = [mode.enter.clone()];
        for (i, line) in enter.iter().chain(lines).enumerate() {
            let typed = self.type_line(line, i > 0, None).await?;
            let cut = typed.cut;
            let Clean { text, removed: r } = output_text(&typed, line);
            let text = drop_above(p, text);
            removed.add(r);
            transcript.push_str(line);
            transcript.push('\n');
            transcript.push_str(&text);
            truncated |= cut;
            marker = p.find_error(&text);
            if marker.is_some() || cut {
                break;
            }
        }
        let failed = marker.is_some() || truncated;
        let save = p.save.as_ref().filter(|_| save && !failed);
        // Only the save command's question is answered (Huawei's `[Y/N]`).
        let save_line = |s: &'static Save| (s.command.as_str(), s.confirm.as_ref());
        // VyOS saves from config mode: after the commit, before leaving.
        let save_inside = save.filter(|s| s.in_config).map(save_line);
        let mut tail: Vec<(&str, Option<&'static Answer>)> = Vec::new();
        match (&mode.commit, failed) {
            // Nothing was committed: throw the candidate away rather than apply half of it.
            (Some(_), true) if !mode.discard.is_empty() => {
                tail.extend(mode.discard.iter().map(|l| (l.as_str(), None)))
            }
            (Some(commit), false) => {
                tail.push((commit, None));
                tail.extend(save_inside);
                if !mode.commit_exits {
                    tail.push((&mode.exit, None));
                }
            }
            _ => {
                tail.extend(save_inside.filter(|_| mode.commit.is_none()));
                tail.push((&mode.exit, None))
            }
        }
        if let Some(s) = save.filter(|s| !s.in_config) {
            tail.push(save_line(s));
        }
        for (line, question) in tail {
            let typed = self.type_line(line, true, question).await?;
            let Clean { text, removed: r } = output_text(&typed, line);
            let text = drop_above(p, text);
            removed.add(r);
            transcript.push_str(line);
            transcript.push('\n');
            transcript.push_str(&text);
            if marker.is_none() {
                marker = p.find_error(&text);
            }
        }
        Ok(Output {
            text: transcript,
            exit_status: None,
            truncated,
            error_marker: marker,
            removed,
        })
    }

    /// One line; once config mode was entered every failure may have changed something.
    async fn type_line(
        &mut self,
        line: &str,
        entered: bool,
        question: Option<&'static Answer>,
    ) -> Result<Typed, ExecError> {
        self.ensure_shell().await?;
        self.type_command(line, question).await.map_err(|mut e| {
            e.maybe_ran |= entered;
            e
        })
    }
}
