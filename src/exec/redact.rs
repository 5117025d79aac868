//! Keeps secrets off the screen and out of the journal: every password the inventory points
//! at (through `password_env`) is replaced by `***` in outputs, error reasons and commands.
//!
//! The SSH layer never puts a secret in a message on purpose; this catches the accidents
//! (a device echoing a password prompt answer, a command typed with a secret in it).

use std::collections::BTreeSet;

use crate::fleet::{ExecError, Output};
use crate::inventory::Inventory;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this are not masked: masking `a` everywhere would make output
/// unreadable and hides nothing worth hiding.
const MIN_LEN: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is masked whole.
    values: Vec<String>,
}

impl Secrets {
    /// The current values of every `password_env` variable named in `inventory`.
    pub fn from_inventory(inventory: &Inventory) -> Secrets {
        let names: BTreeSet<&str> = inventory
            .devices
            .iter()
            .filter_map(|d| d.password_env.as_deref())
            .collect();
        Secrets::new(names.into_iter().filter_map(|n| std::env::var(n).ok()))
    }

    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_LEN)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Secrets { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    pub fn mask_result(&self, result: Result<Output, ExecError>) -> Result<Output, ExecError> {
        if self.is_empty() {
            return result;
        }
        match result {
            Ok(mut out) => {
                out.text = self.mask(&out.text);
                out.error_marker = out.error_marker.map(|m| self.mask(&m));
                Ok(out)
            }
            Err(mut err) => {
                err.reason = self.mask(&err.reason);
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let s = Secrets::new(["hunter2".to_string(), "hunter2xyz".into(), "ab".into()]);
        assert_eq!(
            s.mask("pw hunter2xyz and hunter2, ab"),
            "pw *** and ***, ab"
        );
    }

    #[test]
    fn masks_outputs_and_reasons() {
        let s = Secrets::new(["s3cret!".to_string()]);
        let out = s.mask_result(Ok(Output {
            text: "Password: s3cret!\nok".into(),
            ..Output::default()
        }));
        assert_eq!(out.unwrap().text, "Password: ***\nok");
        let err = s.mask_result(Err(ExecError {
            stage: crate::fleet::Stage::Auth,
            maybe_ran: false,
            reason: "rejected s3cret!".into(),
        }));
        assert_eq!(err.unwrap_err().reason, "rejected ***");
    }
}
