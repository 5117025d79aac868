//! Config mode on network platforms: enter, apply lines, commit or leave, save — the
//! commands are platform data. A line the device rejects stops the rest, and nothing is
//! saved; on commit platforms the candidate is thrown away, never committed.

use super::outcome::{ExecError, Output, Stage};
use super::session::Session;
use super::shell::output_text;
use super::stage::err;
use crate::base::safety::one_line;
use crate::base::sanitize::{Clean, Removed};
use crate::platforms::{ConfigMode, Save};

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
            let (raw, cut) = self.type_line(line, i > 0).await?;
            let Clean { text, removed: r } = output_text(&raw, line, !cut);
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
        let tail = closing(mode, p.save.as_ref().filter(|_| save), failed);
        for line in tail {
            let (raw, cut) = self.type_line(line, true).await?;
            let Clean { text, removed: r } = output_text(&raw, line, !cut);
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
    async fn type_line(&mut self, line: &str, entered: bool) -> Result<(Vec<u8>, bool), ExecError> {
        self.ensure_shell().await?;
        self.type_command(line).await.map_err(|mut e| {
            e.maybe_ran |= entered;
            e
        })
    }
}

/// What is typed after the config lines: the commit (or, after a failure, the discard),
/// the save when asked for and nothing failed, and the exit. A config-mode save (VyOS) goes
/// between the commit and the exit; any other save after leaving.
fn closing<'p>(mode: &'p ConfigMode, save: Option<&'p Save>, failed: bool) -> Vec<&'p str> {
    let save = save.filter(|_| !failed);
    let inside = save.filter(|s| s.in_config).map(|s| s.command.as_str());
    let mut tail: Vec<&str> = Vec::new();
    match (&mode.commit, failed) {
        // Nothing was committed: throw the candidate away rather than apply half of it.
        (Some(_), true) if !mode.discard.is_empty() => {
            tail.extend(mode.discard.iter().map(String::as_str))
        }
        (Some(commit), false) => {
            tail.push(commit);
            tail.extend(inside);
            if !mode.commit_exits {
                tail.push(&mode.exit);
            }
        }
        _ => {
            tail.extend(inside);
            tail.push(&mode.exit);
        }
    }
    tail.extend(save.filter(|s| !s.in_config).map(|s| s.command.as_str()));
    tail
}

#[cfg(test)]
mod tests {
    use super::closing;
    use crate::platforms::profile;

    fn tail(platform: &str, save: bool, failed: bool) -> Vec<&'static str> {
        let p = profile(platform);
        let save = p.save.as_ref().filter(|_| save);
        closing(p.config.as_ref().unwrap(), save, failed)
    }

    #[test]
    fn commit_save_and_exit_come_in_the_platforms_order() {
        // (platform, save, failed, typed after the lines)
        let cases: &[(&str, bool, bool, &[&str])] = &[
            ("cisco_ios", true, false, &["end", "write memory"]),
            ("cisco_ios", true, true, &["end"]),
            ("juniper_junos", true, false, &["commit and-quit"]),
            (
                "juniper_junos",
                false,
                true,
                &["rollback 0", "exit configuration-mode"],
            ),
            ("cisco_xr", true, false, &["commit", "end"]),
            ("cisco_xr", false, true, &["abort"]),
            ("vyos", true, false, &["commit", "save", "exit"]),
            ("vyos", false, false, &["commit", "exit"]),
            ("vyos", true, true, &["exit discard"]),
            ("huawei_vrpv8", true, false, &["commit", "return", "save"]),
            ("nokia_sros_md", true, true, &["discard", "quit-config"]),
            (
                "nokia_sros_md",
                true,
                false,
                &["commit", "quit-config", "admin save"],
            ),
        ];
        for (platform, save, failed, want) in cases {
            assert_eq!(
                tail(platform, *save, *failed),
                *want,
                "{platform} save={save} failed={failed}"
            );
        }
    }
}
