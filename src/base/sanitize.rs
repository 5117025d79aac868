//! Device output made safe to store and show: escape sequences, control bytes and bidi
//! controls removed (a device must not be able to drive our terminal or reorder what is
//! shown), carriage returns and backspaces applied the way a terminal would, and a byte cap
//! on what we keep.
//!
//! Nothing printable that a device sent may vanish silently: a sequence that never ends
//! (an OSC with no terminator, a CSI with no final byte) stops at the next newline, at
//! another ESC or after a length bound, and the text after it is kept. What was taken out
//! is counted in [`Removed`], so every front end can say so.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::base::text::{count, is_unsafe};

/// Longest CSI (parameters and intermediates) taken as one sequence; SGR with two
/// true colours is about 40.
pub const MAX_CSI: usize = 128;
/// Longest OSC/DCS/SOS/PM/APC payload taken as one sequence (a long hyperlink fits).
pub const MAX_STRING: usize = 4096;

/// Device text made safe, and what was taken out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clean {
    pub text: String,
    pub removed: Removed,
}

/// What [`clean`] took out of a device's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Removed {
    /// Escape sequences, control characters and bidi controls removed.
    pub controls: usize,
    /// Of those, sequences that never ended: cut at a newline, another ESC or the length
    /// bound, with the text after them kept.
    pub unterminated: usize,
    /// Printable characters a carriage return or a backspace wrote over or erased.
    pub overwritten: usize,
}

impl Removed {
    pub fn any(&self) -> bool {
        *self != Removed::default()
    }

    /// Adds what another piece of the same output had removed.
    pub fn add(&mut self, other: Removed) {
        self.controls += other.controls;
        self.unterminated += other.unterminated;
        self.overwritten += other.overwritten;
    }
}

/// `3 control sequences removed (1 unterminated), 5 characters overwritten`; empty when
/// nothing was removed.
impl fmt::Display for Removed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.controls > 0 {
            write!(f, "{} removed", count(self.controls, "control sequence"))?;
            if self.unterminated > 0 {
                write!(f, " ({} unterminated)", self.unterminated)?;
            }
        }
        if self.overwritten > 0 {
            if self.controls > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} overwritten", count(self.overwritten, "character"))?;
        }
        Ok(())
    }
}

/// [`clean`], for callers that need only the text (prompt matching).
pub fn sanitize(bytes: &[u8]) -> String {
    clean(bytes).text
}

/// Strips CSI/OSC/DCS/SOS/PM/APC and other escape sequences, C0/C1 control characters
/// except `\n` and `\t`, DEL and bidi controls. `\r\n` becomes `\n`; a lone `\r` returns to
/// the start of the line (later characters overwrite it) and a backspace moves left
/// (erasing at the end of a line), so `x\x08 \x08` leaves nothing, like on screen. Invalid
/// UTF-8 becomes U+FFFD. Every newline of the input is kept.
pub fn clean(bytes: &[u8]) -> Clean {
    let text = String::from_utf8_lossy(bytes);
    let mut screen = Screen::default();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let ended = match c {
            '\n' => {
                screen.newline();
                continue;
            }
            // `\r\n` is a plain newline; only a lone `\r` moves to the line start.
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\r' => {
                screen.col = 0;
                continue;
            }
            '\u{8}' => {
                screen.backspace();
                continue;
            }
            '\t' => {
                screen.put(c);
                continue;
            }
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers that start a control sequence or a string.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_unsafe(c) => true,
            c => {
                screen.put(c);
                continue;
            }
        };
        screen.removed.controls += 1;
        if !ended {
            screen.removed.unterminated += 1;
        }
    }
    screen.finish()
}

/// The output so far and the line being written, with the cursor in it.
#[derive(Default)]
struct Screen {
    out: String,
    line: Vec<char>,
    col: usize,
    removed: Removed,
}

impl Screen {
    fn newline(&mut self) {
        self.out.extend(self.line.drain(..));
        self.out.push('\n');
        self.col = 0;
    }

    fn put(&mut self, c: char) {
        match self.line.get_mut(self.col) {
            Some(old) => {
                if *old != c && !old.is_whitespace() {
                    self.removed.overwritten += 1;
                }
                *old = c;
            }
            None => self.line.push(c),
        }
        self.col += 1;
    }

    fn backspace(&mut self) {
        if self.col == 0 {
            return;
        }
        if self.col == self.line.len() && self.line.pop().is_some_and(|c| !c.is_whitespace()) {
            self.removed.overwritten += 1;
        }
        self.col -= 1;
    }

    fn finish(mut self) -> Clean {
        self.out.extend(self.line);
        Clean {
            text: self.out,
            removed: self.removed,
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: a CSI, a string (OSC, DCS, SOS, PM, APC), an nF escape or a two-character
/// escape. Returns whether the sequence ended properly; the character that cut it short is
/// left for the caller.
fn skip_escape(chars: &mut Chars<'_>) -> bool {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars)
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars)
        }
        // nF escapes: intermediates 0x20–0x2F, then one final byte 0x30–0x7E.
        Some('\u{20}'..='\u{2f}') => {
            let mut taken = 0;
            loop {
                match chars.peek().copied() {
                    Some('\u{20}'..='\u{2f}') if taken < MAX_CSI => taken += 1,
                    Some('\u{30}'..='\u{7e}') => {
                        chars.next();
                        return true;
                    }
                    _ => return false,
                }
                chars.next();
            }
        }
        Some('\u{30}'..='\u{7e}') => {
            chars.next();
            true
        }
        // A lone ESC: whatever follows is text (or the next sequence).
        _ => false,
    }
}

/// Parameters and intermediates (0x20–0x3F) up to the final byte (0x40–0x7E). Anything
/// else, or more than [`MAX_CSI`] characters, ends it unfinished.
fn skip_csi(chars: &mut Chars<'_>) -> bool {
    let mut taken = 0;
    loop {
        match chars.peek().copied() {
            Some('\u{20}'..='\u{3f}') if taken < MAX_CSI => taken += 1,
            Some('\u{40}'..='\u{7e}') => {
                chars.next();
                return true;
            }
            _ => return false,
        }
        chars.next();
    }
}

/// Up to BEL or ST (`ESC \` or U+009C). A newline, CAN, SUB, another ESC or more than
/// [`MAX_STRING`] characters end it unfinished, and are left for the caller.
fn skip_string(chars: &mut Chars<'_>) -> bool {
    let mut taken = 0;
    loop {
        match chars.peek().copied() {
            Some('\u{7}' | '\u{9c}') => {
                chars.next();
                return true;
            }
            Some('\u{1b}') => {
                let mut ahead = chars.clone();
                ahead.next();
                if ahead.peek() != Some(&'\\') {
                    return false;
                }
                chars.nth(1);
                return true;
            }
            None | Some('\n' | '\u{18}' | '\u{1a}') => return false,
            Some(_) if taken < MAX_STRING => taken += 1,
            Some(_) => return false,
        }
        chars.next();
    }
}

/// Received bytes up to a cap; what does not fit is counted, not kept.
#[derive(Debug, Default)]
pub struct Capped {
    pub bytes: Vec<u8>,
    cap: usize,
    /// Bytes received beyond the cap.
    pub dropped: u64,
}

impl Capped {
    pub fn new(cap: usize) -> Capped {
        Capped {
            bytes: Vec::new(),
            cap,
            dropped: 0,
        }
    }

    /// Appends what fits; returns false once the cap is reached.
    pub fn push(&mut self, data: &[u8]) -> bool {
        let room = self.cap.saturating_sub(self.bytes.len());
        let take = room.min(data.len());
        self.bytes.extend_from_slice(&data[..take]);
        self.dropped += (data.len() - take) as u64;
        self.dropped == 0 && self.bytes.len() < self.cap
    }

    pub fn truncated(&self) -> bool {
        self.dropped > 0 || self.bytes.len() >= self.cap
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn strips_sgr_osc_and_controls() {
        let raw = b"\x1b[1;32mgreen\x1b[0m\r\n\x1b]0;title\x07two\x07\x1b[?25h\n\x00three\x1b]8;;x\x1b\\\n";
        assert_eq!(sanitize(raw), "green\ntwo\nthree\n");
    }

    #[test]
    fn applies_carriage_return_and_backspace() {
        assert_eq!(sanitize(b"\x1b[2K\rtextx\x08 \x08\x00\r\n"), "text\n");
        assert_eq!(sanitize(b"abcdef\rXY\n"), "XYcdef\n");
        assert_eq!(sanitize(b"a\tb\r\n"), "a\tb\n");
    }

    #[test]
    fn strips_c1_controls_and_dcs() {
        let raw = "a\u{9b}31mb\u{9d}title\u{9c}c\u{85}d".as_bytes();
        assert_eq!(sanitize(raw), "abcd");
        assert_eq!(sanitize(b"x\x1bPq#0;1\x1b\\y\x1b(Bz"), "xyz");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_char() {
        assert_eq!(sanitize(b"a\xffb"), "a\u{fffd}b");
    }

    /// Every way a sequence can fail to end: the line after it survives, and the cut is
    /// reported.
    #[test]
    fn unfinished_sequences_never_swallow_what_follows() {
        let long_osc = format!("\x1b]0;{}", "A".repeat(MAX_STRING));
        let long_csi = format!("\x1b[{}", "1".repeat(MAX_CSI));
        let cases: &[(&str, &str)] = &[
            ("OSC without terminator", "\x1b]0;x"),
            ("OSC 8 without terminator", "\x1b]8;;http://x/"),
            ("DCS without terminator", "\x1bPq#0;1"),
            ("SOS without terminator", "\x1bXsos"),
            ("PM without terminator", "\x1b^pm"),
            ("APC without terminator", "\x1b_apc"),
            ("C1 OSC without terminator", "\u{9d}0;x"),
            ("C1 DCS without terminator", "\u{90}q"),
            ("C1 APC without terminator", "\u{9f}x"),
            ("CSI without final byte", "\x1b[1;2"),
            ("CSI cut by DEL", "\x1b[1\x7f"),
            ("CSI cut by a letter outside ASCII", "\x1b[1é"),
            ("C1 CSI without final byte", "\u{9b}12"),
            ("lone ESC", "\x1b"),
            ("ESC ESC", "\x1b\x1b"),
            ("nF escape without final byte", "\x1b("),
            ("OSC cut by CAN", "\x1b]0;x\x18"),
            ("OSC longer than the bound", &long_osc),
            ("CSI longer than the bound", &long_csi),
        ];
        for (what, seq) in cases {
            let raw = format!("status: all good\n{seq}\n% Error: something is badly broken\n");
            let clean = clean(raw.as_bytes());
            assert!(
                clean.text.starts_with("status: all good\n"),
                "{what}: {:?}",
                clean.text
            );
            assert!(
                clean
                    .text
                    .ends_with("\n% Error: something is badly broken\n"),
                "{what}: {:?}",
                clean.text
            );
            assert!(
                clean.removed.unterminated >= 1,
                "{what}: {:?}",
                clean.removed
            );
            assert!(clean.removed.any(), "{what}");
        }
        // On the same line too: what follows the cut is text, not payload.
        let clean = clean(b"ok\x1b]0;x\x1b[2J% Error\n");
        assert_eq!(clean.text, "ok% Error\n");
        assert_eq!(
            clean.removed,
            Removed {
                controls: 2,
                unterminated: 1,
                overwritten: 0
            }
        );
        let past_bound = format!("\x1b]{}% Error", "A".repeat(MAX_STRING));
        assert_eq!(sanitize(past_bound.as_bytes()), "% Error");
    }

    #[test]
    fn strips_every_bidi_control() {
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}',
        ]
        .into_iter()
        .chain([
            '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ]) {
            let clean = clean(format!("admin{c}nimda\n").as_bytes());
            assert_eq!(clean.text, "adminnimda\n", "U+{:04X}", c as u32);
            assert_eq!(clean.removed.controls, 1);
        }
        // Near neighbours are ordinary text.
        assert_eq!(
            sanitize("a\u{200d}b\u{2070}".as_bytes()),
            "a\u{200d}b\u{2070}"
        );
    }

    #[test]
    fn counts_what_it_removes() {
        let clean = clean(b"\x1b[1;32mgreen\x1b[0m\x00\r\n% Error\r       \n");
        assert_eq!(clean.text, "green\n       \n");
        assert_eq!(
            clean.removed,
            Removed {
                controls: 3,
                unterminated: 0,
                overwritten: 6
            }
        );
        assert_eq!(
            clean.removed.to_string(),
            "3 control sequences removed, 6 characters overwritten"
        );
        let cut = Removed {
            controls: 1,
            unterminated: 1,
            overwritten: 0,
        };
        assert_eq!(
            cut.to_string(),
            "1 control sequence removed (1 unterminated)"
        );
        let plain = super::clean(b"show version\r\n\tup 3 days\n");
        assert!(!plain.removed.any(), "{:?}", plain.removed);
        assert_eq!(plain.removed.to_string(), "");
    }

    /// Pieces that build escape sequences, whole and broken, among text and random bytes.
    fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\x1b".to_vec()),
            Just(b"[".to_vec()),
            Just(b"]".to_vec()),
            Just(b"P".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"\x07".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\x08".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"\x7f".to_vec()),
            Just(b"0;1".to_vec()),
            Just(b"m".to_vec()),
            Just(b"(".to_vec()),
            Just("\u{9b}".as_bytes().to_vec()),
            Just("\u{9d}".as_bytes().to_vec()),
            Just("\u{9c}".as_bytes().to_vec()),
            Just("\u{202e}".as_bytes().to_vec()),
            Just("\u{2066}".as_bytes().to_vec()),
            Just("% Error: broken".as_bytes().to_vec()),
            Just("héllo wörld".as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    /// A line that holds nothing a sanitizer could take out (a CRLF's `\r` aside).
    fn printable(line: &str) -> bool {
        let line = line.strip_suffix('\r').unwrap_or(line);
        line.chars().all(|c| c == '\t' || !is_unsafe(c))
    }

    proptest! {
        #[test]
        fn nothing_unsafe_comes_out(raw in hostile_bytes()) {
            let text = sanitize(&raw);
            for c in text.chars() {
                prop_assert!(c == '\n' || c == '\t' || !is_unsafe(c), "{:?} in {:?}", c, text);
            }
        }

        #[test]
        fn every_printable_line_survives(raw in hostile_bytes()) {
            let input = String::from_utf8_lossy(&raw);
            let text = sanitize(&raw);
            let out: Vec<&str> = text.split('\n').collect();
            let lines: Vec<&str> = input.split('\n').collect();
            prop_assert_eq!(out.len(), lines.len(), "every newline kept: {:?}", text);
            for (i, line) in lines.iter().enumerate() {
                if printable(line) {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    prop_assert_eq!(out[i], line, "line {} of {:?}", i, input);
                }
            }
        }

        #[test]
        fn plain_text_is_untouched(lines in prop::collection::vec("[ -~\u{a0}-\u{600}\u{1000}-\u{2000}\t]{0,30}", 0..6)) {
            let text = lines.join("\n");
            let clean = clean(text.as_bytes());
            prop_assert_eq!(&clean.text, &text);
            prop_assert!(!clean.removed.any());
        }
    }

    #[test]
    fn capped_keeps_prefix_and_counts_rest() {
        let mut c = Capped::new(5);
        assert!(c.push(b"abc"));
        assert!(!c.push(b"defg"));
        assert_eq!(c.bytes, b"abcde");
        assert_eq!(c.dropped, 2);
        assert!(c.truncated());
    }
}
