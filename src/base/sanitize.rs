//! Device output made safe to store and show: escape sequences and control bytes removed
//! (a device must not be able to drive our terminal), carriage returns and backspaces
//! applied the way a terminal would, and a byte cap on what we keep.

/// Strips CSI/OSC/DCS/SOS/PM/APC escape sequences and C0/C1 control characters except `\n`
/// and `\t`. `\r\n` becomes `\n`; a lone `\r` returns to the start of the line (later
/// characters overwrite it) and a backspace moves left (erasing at the end of a line), so
/// `x\x08 \x08` leaves nothing, like on screen. Invalid UTF-8 becomes U+FFFD.
pub fn sanitize(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut line: Vec<char> = Vec::new();
    let mut col = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.extend(line.drain(..));
                out.push('\n');
                col = 0;
            }
            // `\r\n` is a plain newline; only a lone `\r` moves to the line start.
            '\r' if chars.peek() != Some(&'\n') => col = 0,
            '\u{8}' if col > 0 => {
                if col == line.len() {
                    line.pop();
                }
                col -= 1;
            }
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers that start a string or a control sequence.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if c == '\t' || !(c.is_control()) => {
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
            _ => {}
        }
    }
    out.extend(line);
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: a CSI, a string (OSC, DCS, SOS, PM, APC) or a short escape.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // nF escapes: intermediates 0x20–0x2F, then one final byte.
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        _ => {}
    }
}

/// Parameters and intermediates up to the final byte (0x40–0x7E).
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Up to BEL, ST (`ESC \` or U+009C).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
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
