//! The command line that carries an interrupted rollout on.

use std::path::Path;

use super::RolloutJob;
use crate::rollout::prepare::{DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT};
use crate::ssh::HostKeyPolicy;

/// The command that carries this rollout on from `journal`, with the flags that shape how
/// it connects and reports (so host keys are checked the same way the second time).
pub fn resume_command(job: &RolloutJob, journal: &Path) -> String {
    let args = &job.config;
    let mut words = vec![
        "fleetdash rollout".to_string(),
        shell_word(&args.plan.display().to_string()),
        format!(
            "--inventory {}",
            shell_word(&args.inventory.display().to_string())
        ),
    ];
    if let Some(file) = &args.known_hosts {
        words.push(format!(
            "--known-hosts {}",
            shell_word(&file.display().to_string())
        ));
    }
    if args.host_keys == HostKeyPolicy::Strict {
        words.push("--host-keys strict".into());
    }
    if let Some(dir) = &args.report {
        words.push(format!(
            "--report {}",
            shell_word(&dir.display().to_string())
        ));
    }
    if args.concurrency != DEFAULT_CONCURRENCY {
        words.push(format!("--concurrency {}", args.concurrency));
    }
    if args.timeout != DEFAULT_TIMEOUT {
        words.push(format!(
            "--timeout {}",
            crate::base::duration::format(args.timeout)
        ));
    }
    if job.headless {
        words.push("--headless --yes".into());
    }
    words.push(format!(
        "--resume {}",
        shell_word(&journal.display().to_string())
    ));
    words.join(" ")
}

/// `text` as one shell word: as is when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-:@%+=,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
