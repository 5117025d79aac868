//! Keeps secrets off the screen and out of the journal: every password the inventory points
//! at (through `password_env`, and key passphrases through `key_passphrase_env`) is masked
//! in outputs, error reasons and commands by the one masker, [`crate::base::secrets`].
//!
//! The SSH layer never puts a secret in a message on purpose; this catches the accidents
//! (a device echoing a password prompt answer, a command typed with a secret in it, a
//! running-config that holds the password).

use std::collections::BTreeMap;

pub use crate::base::secrets::{MASK, Secrets};
use crate::inventory::Inventory;
use crate::ssh::{ExecError, Output};

// The masker lives in base, which knows no inventory; what an inventory holds is read here.
impl Secrets {
    /// The current values of every `password_env` and `key_passphrase_env` variable named
    /// in `inventory`, with a warning for each password that also masks ordinary words.
    pub fn from_inventory(inventory: &Inventory) -> Secrets {
        Secrets::from_inventory_with(inventory, |var| std::env::var(var).ok())
    }

    /// [`Secrets::from_inventory`] with the variables read through `env` (a test's own
    /// values, instead of the process environment).
    pub fn from_inventory_with(
        inventory: &Inventory,
        env: impl Fn(&str) -> Option<String>,
    ) -> Secrets {
        // Variable → the user names that log in with it.
        let mut passwords: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut passphrases: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in &inventory.devices {
            if let Some(var) = d.password_env.as_deref() {
                let users = passwords.entry(var).or_default();
                users.extend(d.username.as_deref().filter(|u| !users.contains(u)));
            }
            if let Some(var) = d.key_passphrase_env.as_deref() {
                passphrases.entry(var).or_default();
            }
        }
        let mut secrets = Secrets::default();
        for (var, users) in passwords.iter().chain(&passphrases) {
            if let Some(value) = env(var) {
                secrets.add(&format!("${var}"), value, users);
            }
        }
        secrets
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
    fn masks_outputs_and_reasons() {
        let s = Secrets::new(["s3cret!".to_string()]);
        let out = s.mask_result(Ok(Output {
            text: "Password: s3cret!\nok".into(),
            ..Output::default()
        }));
        assert_eq!(out.unwrap().text, "Password: ***\nok");
        let err = s.mask_result(Err(ExecError {
            stage: crate::ssh::Stage::Auth,
            maybe_ran: false,
            reason: "rejected s3cret!".into(),
        }));
        assert_eq!(err.unwrap_err().reason, "rejected ***");
    }

    #[test]
    fn reads_the_inventorys_variables_and_warns_with_their_names() {
        let inv = Inventory::from_yaml(
            "defaults:\n  username: netops\n  password_env: FLEETDASH_REDACT_TEST_PW\n\
             devices:\n  - {name: a, host: 127.0.0.1}\n  \
             - {name: b, host: 127.0.0.2, username: Sh0rt, key_file: /k, \
             key_passphrase_env: FLEETDASH_REDACT_TEST_PP}\n",
            "<test>",
        )
        .unwrap();
        let s = Secrets::from_inventory_with(&inv, |var| match var {
            "FLEETDASH_REDACT_TEST_PW" => Some("Sh0rt".into()),
            "FLEETDASH_REDACT_TEST_PP" => Some("a long passphrase".into()),
            _ => None,
        });
        assert_eq!(s.mask("Sh0rt / a long passphrase"), "*** / ***");
        assert_eq!(s.warnings().len(), 1, "{:?}", s.warnings());
        assert!(s.warnings()[0].contains("$FLEETDASH_REDACT_TEST_PW"));
        assert!(s.warnings()[0].contains("same as the user name"));
    }
}
