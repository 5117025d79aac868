//! Secrets (passwords, passphrases) in a wrapper that never prints them, and reading them
//! from the environment variable an inventory names.

use std::fmt;

/// A secret value. `Debug` and `Display` print `***`; only [`Secret::expose`] gives it out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for handing to the SSH library. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the variable `name`. An unset or non-UTF-8 variable is an error that names the
    /// variable and never a value.
    pub fn from_env(name: &str) -> Result<Secret, String> {
        match std::env::var(name) {
            Ok(v) => Ok(Secret(v)),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "environment variable {name} is not set (export it before running fleetdash)"
            )),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("environment variable {name} is not valid UTF-8"))
            }
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn unset_variable_names_the_variable() {
        let err = Secret::from_env("FLEETDASH_TEST_SURELY_UNSET_VAR").unwrap_err();
        assert!(err.contains("FLEETDASH_TEST_SURELY_UNSET_VAR"), "{err}");
    }
}
