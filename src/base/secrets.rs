//! The one masker of secrets (passwords, passphrases): every occurrence of a secret in a
//! text, also URL-encoded (`%2F`, `+` for a space) or backslash-escaped (`\"`, `\\`, `\/`),
//! becomes `***`. Every writer goes through it: exec outputs and its audit journal,
//! rollout journals, events and reports, and whatever writes files next.
//!
//! Masking is a plain search: a secret that is short, or the same as a user name, also
//! masks ordinary words. It is masked all the same (a secret is never shown), and
//! [`Secrets::warnings`] says so once, at the start, so the stars make sense.
//!
//! Built from an inventory one layer up (`exec::redact`): base knows no inventory.

use std::fmt;

use serde::Serialize;

use super::text::Untrusted;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this (in characters) are warned about: they match ordinary words.
pub const SHORT: usize = 8;

#[derive(Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is masked whole.
    values: Vec<String>,
    warnings: Vec<String>,
}

/// Never the values.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.values.len())
            .finish()
    }
}

impl Secrets {
    /// Secrets with no source to name in warnings (and so no warnings).
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut secrets = Secrets::default();
        for value in values {
            secrets.insert(value);
        }
        secrets
    }

    /// Adds `value`, read from `source` (e.g. `$FLEETDASH_PASSWORD`), and warns when it
    /// would mask ordinary words: shorter than [`SHORT`], or the same as one of `users`
    /// (the user names it logs in with).
    pub fn add(&mut self, source: &str, value: String, users: &[&str]) {
        if value.is_empty() {
            return;
        }
        let source = Untrusted(source);
        if users.contains(&value.as_str()) {
            self.warnings.push(format!(
                "warning: the password in {source} is the same as the user name: the user \
                 name shows as {MASK} in outputs, journals and reports too"
            ));
        } else if value.chars().count() < SHORT {
            self.warnings.push(format!(
                "warning: the password in {source} is shorter than {SHORT} characters: \
                 every occurrence of it, in ordinary words too, shows as {MASK} in outputs, \
                 journals and reports"
            ));
        }
        self.insert(value);
    }

    fn insert(&mut self, value: String) {
        if value.is_empty() || self.values.contains(&value) {
            return;
        }
        self.values.push(value);
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// One line per secret that masks more than itself; to show at the start.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `text` with every secret, in any of its forms, replaced by [`MASK`]. Overlapping
    /// occurrences are masked as one, so no part of either shows.
    pub fn mask(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        // The masked stretch being grown: from `start` to `end`.
        let mut stretch: Option<(usize, usize)> = None;
        for i in (0..bytes.len()).filter(|&i| text.is_char_boundary(i)) {
            if let Some((start, end)) = stretch
                && i >= end
            {
                out.push_str(&text[copied..start]);
                out.push_str(MASK);
                copied = end;
                stretch = None;
            }
            let found = self
                .values
                .iter()
                .filter_map(|s| match_at(bytes, i, s.as_bytes()))
                .filter(|&end| text.is_char_boundary(end))
                .max();
            if let Some(found) = found {
                stretch = match stretch {
                    Some((start, end)) => Some((start, end.max(found))),
                    None => Some((i, found)),
                };
            }
        }
        if let Some((start, end)) = stretch {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Masks every string in `value`, however deep (object keys are names, not data).
    pub fn mask_json(&self, value: &mut serde_json::Value) {
        if self.is_empty() {
            return;
        }
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) => *s = self.mask(s),
                serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
                serde_json::Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
    }

    /// `value` as JSON with every string masked: how a writer of records keeps secrets out.
    pub fn to_masked_json<T: Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> serde_json::Result<serde_json::Value> {
        let mut json = serde_json::to_value(value)?;
        self.mask_json(&mut json);
        Ok(json)
    }
}

/// Where a match of `secret` starting at `text[start]` ends (the longest), each byte of
/// the secret written as itself, as `%XX`, behind a backslash (when not alphanumeric:
/// `\n` is not an escaped `n`), or a space as `+`.
fn match_at(text: &[u8], start: usize, secret: &[u8]) -> Option<usize> {
    let first = *secret.first()?;
    let lead = *text.get(start)?;
    let may_start = lead == first
        || lead == b'%'
        || (lead == b'\\' && !first.is_ascii_alphanumeric())
        || (lead == b'+' && first == b' ');
    if !may_start {
        return None;
    }
    // Every position the text can be at after the bytes matched so far.
    let mut ends = vec![start];
    let mut next = Vec::new();
    for &b in secret {
        next.clear();
        for &p in &ends {
            for len in forms(text, p, b) {
                if !next.contains(&(p + len)) {
                    next.push(p + len);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        std::mem::swap(&mut ends, &mut next);
    }
    ends.into_iter().max()
}

/// The lengths of the ways `b` can be written at `text[p..]`.
fn forms(text: &[u8], p: usize, b: u8) -> impl Iterator<Item = usize> {
    let at = |i: usize| text.get(p + i).copied();
    let literal = at(0) == Some(b) || (b == b' ' && at(0) == Some(b'+'));
    let escaped = !b.is_ascii_alphanumeric() && at(0) == Some(b'\\') && at(1) == Some(b);
    let encoded = at(0) == Some(b'%')
        && matches!((at(1).and_then(hex), at(2).and_then(hex)), (Some(h), Some(l)) if h << 4 | l == b);
    [(literal, 1), (escaped, 2), (encoded, 3)]
        .into_iter()
        .filter_map(|(ok, len)| ok.then_some(len))
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let s = Secrets::new(["hunter2".to_string(), "hunter2xyz".into(), "ab".into()]);
        assert_eq!(
            s.mask("pw hunter2xyz and hunter2, ab"),
            "pw *** and ***, ***"
        );
    }

    #[test]
    fn masks_encoded_and_escaped_forms() {
        let s = Secrets::new([r#"p@ss w/"d\é"#.to_string()]);
        for (text, masked) in [
            (r#"x p@ss w/"d\é y"#, "x *** y"),
            // URL-encoded, upper or lower hex, partly or wholly, a space as `+`.
            ("u=p%40ss%20w%2F%22d%5C%C3%A9&", "u=***&"),
            ("u=p%40ss+w%2f%22d%5c%c3%a9&", "u=***&"),
            ("%70%40%73%73%20%77%2F%22%64%5C%C3%A9", "***"),
            // Backslash-escaped: JSON, C, shell.
            (r#""p@ss w\/\"d\\é""#, r#""***""#),
            (r#"p\@ss\ w\/\"d\\é"#, "***"),
            // Near misses stay.
            ("p@ss w/\"d", "p@ss w/\"d"),
            ("p%4ss", "p%4ss"),
        ] {
            assert_eq!(s.mask(text), masked, "{text}");
        }
    }

    #[test]
    fn overlapping_occurrences_are_masked_as_one() {
        let s = Secrets::new(["abab".to_string()]);
        assert_eq!(s.mask("xababab ab"), "x*** ab");
    }

    proptest::proptest! {
        /// Whatever surrounds it and however each byte is written (as is, `%XX`, escaped),
        /// no form of the secret survives masking. (`*` is left out of the alphabet: the
        /// mask itself is made of it.)
        #[test]
        fn no_form_of_a_secret_survives(
            secret in r##"[a-zA-Z0-9 !"#$%&'()+,./:;<=>?@\\^_`{|}~é-]{1,12}"##,
            prefix in r"[a-z%\\ +0-9A-F]{0,6}",
            suffix in r"[a-z%\\ +0-9A-F]{0,6}",
            ways in proptest::collection::vec(0u8..3, 12 * 4),
        ) {
            let written: String = secret.bytes().zip(&ways).map(|(b, way)| match way {
                1 => format!("%{b:02X}"),
                2 if !b.is_ascii_alphanumeric() && b.is_ascii() => format!("\\{}", b as char),
                _ => String::from_utf8_lossy(&[b]).into_owned(),
            }).collect();
            // Multi-byte characters written byte by byte stay whole only as themselves.
            let written = if written.contains('\u{fffd}') { secret.clone() } else { written };
            let s = Secrets::new([secret.clone()]);
            let masked = s.mask(&format!("{prefix}{written}{suffix}"));
            proptest::prop_assert!(masked.contains(MASK), "{masked}");
            proptest::prop_assert!(!masked.contains(&secret), "{masked}");
            proptest::prop_assert!(!masked.contains(&written), "{masked}");
        }
    }

    #[test]
    fn an_escaped_letter_is_not_the_letter() {
        let s = Secrets::new(["nope1234".to_string()]);
        assert_eq!(s.mask(r"\nope1234"), r"\***");
        assert_eq!(s.mask(r"\nope\1234"), r"\nope\1234");
    }

    #[test]
    fn masking_never_splits_a_character() {
        let s = Secrets::new(["é".to_string(), "ab".into()]);
        assert_eq!(s.mask("aébé%C3%A9"), "a***b******");
        // `é` is C3 A9 and `©` C2 A9: the same last byte, never a match inside `é`.
        let s = Secrets::new(["©".to_string()]);
        assert_eq!(s.mask("é©%C2%A9"), "é******");
    }

    #[test]
    fn json_strings_are_masked_at_any_depth_and_keys_kept() {
        let s = Secrets::new(["s3cret!!".to_string()]);
        let v = s
            .to_masked_json(
                &serde_json::json!({"a": ["x s3cret!! y", {"s3cret!!": "s3cret!!"}], "n": 1}),
            )
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": ["x *** y", {"s3cret!!": "***"}], "n": 1})
        );
    }

    #[test]
    fn warns_about_secrets_that_mask_ordinary_words_and_never_shows_them() {
        for (value, users, warning) in [
            ("admin", &["admin"][..], Some("same as the user name")),
            ("Sh0rt!x", &["admin"][..], Some("shorter than 8 characters")),
            ("Long-enough-1", &["admin"][..], None),
            (
                "Long-enough-1",
                &["Long-enough-1"][..],
                Some("same as the user name"),
            ),
            ("12345678", &[][..], None),
        ] {
            let mut s = Secrets::default();
            s.add("$FLEET_PW", value.to_string(), users);
            match warning {
                Some(w) => {
                    assert_eq!(s.warnings().len(), 1, "{value}");
                    let line = &s.warnings()[0];
                    assert!(line.contains(w) && line.contains("$FLEET_PW"), "{line}");
                    assert!(!line.contains(value), "{line}");
                }
                None => assert!(s.warnings().is_empty(), "{value}: {:?}", s.warnings()),
            }
            // Masked whatever the warning.
            assert_eq!(s.mask(&format!("user {value} x")), "user *** x");
        }
    }

    #[test]
    fn debug_never_shows_a_value() {
        let s = Secrets::new(["s3cret!!".to_string()]);
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
