//! Text that came from a file or a device, made safe to print on one line: control
//! characters, escape sequences and bidi controls shown as visible escapes (`\e`, `\n`,
//! `\u{202e}`) so they cannot drive the terminal or hide what follows, and long values cut.
//!
//! Every message that quotes a name, a value or a line from a file goes through [`Untrusted`].

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Characters kept of a value in a message before it is cut.
pub const MAX_SHOWN: usize = 120;

/// Displays a string escaped and cut to [`MAX_SHOWN`] characters: `format!("{}", Untrusted(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for (shown, c) in chars.by_ref().enumerate() {
            if shown == MAX_SHOWN {
                let rest = 1 + chars.count();
                return write!(f, "… ({rest} more characters)");
            }
            write_escaped(f, c)?;
        }
        Ok(())
    }
}

impl<'a> Untrusted<'a> {
    /// The text as displayed, borrowed when there is nothing to escape or cut (the usual
    /// case: a table of 10,000 names need not copy them).
    pub fn shown(self) -> Cow<'a, str> {
        let plain = self.0.len() <= MAX_SHOWN && !self.0.chars().any(|c| c == '\\' || is_unsafe(c));
        match plain {
            true => Cow::Borrowed(self.0),
            false => Cow::Owned(self.to_string()),
        }
    }
}

/// The first `max` bytes of `text`, cut back to a character boundary: the one cap for
/// outputs kept in journals, events and reports. Cut when `cap(t, n).len() < t.len()`.
pub fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` escaped for one line of output, without a length limit (for values that are
/// already bounded, such as a command line).
pub fn escape_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let _ = write_escaped(&mut out, c);
    }
    out
}

/// A serialized JSON text with every character that could drive a terminal written as a
/// `\uXXXX` escape. serde_json escapes C0 controls only; DEL, C1 and bidi controls would
/// reach the terminal of whoever reads the JSON. The value is unchanged.
pub fn escape_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe(c) {
            // All of them are in the Basic Multilingual Plane: one `\u` escape each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `1 device`, `3 devices`, `2 addresses`: a count with its noun, singular or plural.
pub fn count(n: usize, noun: &str) -> String {
    match (
        n,
        noun.ends_with(['s', 'x']) || noun.ends_with("sh") || noun.ends_with("ch"),
    ) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}

/// Bidirectional formatting controls: they reorder how the text around them is shown
/// (`Trojan Source`), so text from outside must never carry them to a screen or a file.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A character that must not reach a terminal as it is: C0, DEL, C1 and bidi controls, and
/// the Unicode line and paragraph separators (some terminals and editors break lines there).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

fn write_escaped(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\\' => out.write_str("\\\\"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\u{1b}' => out.write_str("\\e"),
        c if is_unsafe(c) && (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
        c if is_unsafe(c) => write!(out, "\\u{{{:04x}}}", c as u32),
        c => out.write_char(c),
    }
}

/// Hostile text for tests of printers: the class of what a file or a device may carry.
#[cfg(test)]
pub(crate) mod hostile {
    use super::is_unsafe;

    /// Screen clear + window title + alternate screen + bidi override; a C1 CSI; DEL; a
    /// forged second line; every bidi control.
    pub const SAMPLES: &[&str] = &[
        "rtr\u{1b}[2J\u{1b}]2;OWNED\u{7}\u{1b}[?1049h\u{202e}",
        "rtr\u{9b}31m\u{9d}0;t\u{9c}",
        "rtr\u{7f}\u{8}\r",
        "rtr\nFORGED LINE",
        "rtr\u{61c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}",
        "rtr\u{2066}\u{2067}\u{2068}\u{2069}",
    ];

    /// Panics when `text` holds anything but newlines, tabs and characters safe to show.
    pub fn assert_inert(what: &str, text: &str) {
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && c != '\t' && is_unsafe(c))
            .collect();
        assert!(
            bad.is_empty(),
            "{what}: {bad:?} would reach the terminal:\n{text}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shown` is `Display` without the copy: the same text every time, borrowed only when
    /// nothing in it is escaped or cut.
    #[test]
    fn shown_borrows_only_what_needs_no_escape_or_cut() {
        let long = "r".repeat(MAX_SHOWN + 1);
        let cases = ["core-1.site", "", "a\\b", &long]
            .into_iter()
            .chain(hostile::SAMPLES.iter().copied());
        for text in cases {
            let shown = Untrusted(text).shown();
            assert_eq!(shown, Untrusted(text).to_string(), "{text:?}");
            let plain = text == "core-1.site" || text.is_empty();
            assert_eq!(matches!(shown, Cow::Borrowed(_)), plain, "{text:?}");
        }
    }

    #[test]
    fn counts_take_the_right_plural() {
        assert_eq!(count(1, "device"), "1 device");
        assert_eq!(count(0, "device"), "0 devices");
        assert_eq!(count(2, "address"), "2 addresses");
        assert_eq!(count(3, "box"), "3 boxes");
        assert_eq!(count(1, "address"), "1 address");
    }

    #[test]
    fn escapes_controls_escapes_and_bidi() {
        let hostile = "rtr\u{1b}[2J\u{1b}]2;OWNED\u{7}\u{1b}[?1049h\u{202e}x\n\u{9b}";
        assert_eq!(
            Untrusted(hostile).to_string(),
            "rtr\\e[2J\\e]2;OWNED\\x07\\e[?1049h\\u{202e}x\\n\\x9b"
        );
        assert_eq!(escape_line("a\\b\tc"), "a\\\\b\\tc");
        assert_eq!(Untrusted("plain name-1 ü").to_string(), "plain name-1 ü");
    }

    #[test]
    fn json_keeps_its_value_and_loses_terminal_controls() {
        let value = serde_json::json!({"name": "rtr\u{1b}[2J\u{7f}\u{9b}\u{202e}x\u{2069}é\n"});
        let json = escape_json(&value.to_string());
        assert!(json.chars().all(|c| !is_unsafe(c)), "{json}");
        assert!(json.contains("\\u202e"), "{json}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            value
        );
    }

    #[test]
    fn cap_cuts_on_character_boundaries() {
        assert_eq!(cap("héllo", 2), "h");
        assert_eq!(cap("héllo", 3), "hé");
        assert_eq!(cap("abc", 3), "abc");
        assert_eq!(cap("abc", 0), "");
        assert_eq!(cap("€", 2), "");
    }

    #[test]
    fn cuts_long_values() {
        let long = "x".repeat(1_000_000);
        let shown = Untrusted(&long).to_string();
        assert!(shown.starts_with(&"x".repeat(MAX_SHOWN)));
        assert!(shown.ends_with("… (999880 more characters)"), "{shown}");
        assert_eq!(
            Untrusted(&"y".repeat(MAX_SHOWN)).to_string().len(),
            MAX_SHOWN
        );
    }
}
