//! What sessions tell the log file (see [`crate::logging`]): each connect's and each
//! command's outcome, with the stage that failed, so a user can read why a session failed.
//! Names, hosts and reasons come from files and devices, so they are escaped; a login
//! password a reason happens to echo is masked. Commands themselves are not logged (they
//! may carry secrets); the audit journal records them, masked.

use super::outcome::{ExecError, Output};
use super::secret::Secret;
use super::target::Target;
use crate::base::secrets::Secrets;
use crate::base::text::escape_line;

/// Logs a connect: debug when the session is up, warn with the stage when it failed.
pub(super) fn connected<T>(t: &Target, result: &Result<T, ExecError>) {
    let (device, host) = (escape_line(&t.name), escape_line(&t.host));
    match result {
        Ok(_) => tracing::debug!(%device, %host, port = t.port, "session open"),
        Err(e) => tracing::warn!(
            %device,
            %host,
            port = t.port,
            stage = e.stage.as_str(),
            reason = %reason(e, t.credentials.password().and_then(Result::ok).as_ref()),
            "session failed"
        ),
    }
}

/// Logs one command's outcome (not the command).
pub(super) fn ran(device: &str, password: Option<&Secret>, result: &Result<Output, ExecError>) {
    let device = escape_line(device);
    match result {
        Ok(out) => tracing::debug!(
            %device,
            exit_status = ?out.exit_status,
            rejected = out.error_marker.is_some(),
            truncated = out.truncated,
            "command answered"
        ),
        Err(e) => tracing::warn!(
            %device,
            stage = e.stage.as_str(),
            maybe_ran = e.maybe_ran,
            reason = %reason(e, password),
            "command failed"
        ),
    }
}

fn reason(e: &ExecError, password: Option<&Secret>) -> String {
    let masked = match password {
        Some(p) => Secrets::new([p.expose().to_string()]).mask(&e.reason),
        None => e.reason.clone(),
    };
    escape_line(&masked)
}
