//! Shell-style globs for host patterns: `*`, `?`, `[abc]`, `[a-z]`, `[!a-z]` (also `[^…]`).
//! Case-sensitive, like Ansible on POSIX.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `?`: any one character.
    One,
    /// `*`: any run of characters, empty included.
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Whether `text` matches `pattern`, compiled on the spot; a pattern that is not a valid glob
/// (an unclosed `[`) matches only itself.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    Glob::parse(pattern).map_or(pattern == text, |glob| glob.matches(text))
}

/// A compiled glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    source: String,
    toks: Vec<Tok>,
}

impl Glob {
    /// Compiles `pattern`; the only error is an unclosed `[`.
    pub(crate) fn parse(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let tok = match chars[i] {
                '*' => Tok::Star,
                '?' => Tok::One,
                '[' => {
                    let (tok, end) =
                        class(&chars, i).ok_or_else(|| format!("unclosed `[` in `{pattern}`"))?;
                    i = end;
                    tok
                }
                c => Tok::Char(c),
            };
            // `**` means the same as `*`; keeping one keeps matching linear.
            if !(tok == Tok::Star && toks.last() == Some(&Tok::Star)) {
                toks.push(tok);
            }
            i += 1;
        }
        Ok(Glob {
            source: pattern.to_owned(),
            toks,
        })
    }

    /// The pattern as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let (mut p, mut t) = (0, 0);
        // Where the last `*` was, and how much text it has swallowed so far.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.toks.get(p) {
                Some(Tok::Star) => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(tok) if tok_matches(tok, text[t]) => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    // Let the last `*` swallow one more character and retry.
                    Some((sp, st)) => {
                        star = Some((sp, st + 1));
                        p = sp + 1;
                        t = st + 1;
                    }
                    None => return false,
                },
            }
        }
        self.toks[p..].iter().all(|tok| *tok == Tok::Star)
    }
}

/// Parses a class starting at `chars[open] == '['`; returns it and the index of its `]`.
fn class(chars: &[char], open: usize) -> Option<(Tok, usize)> {
    let mut i = open + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let first = i;
    loop {
        let c = *chars.get(i)?;
        // A `]` right after the opening is a literal, as in fnmatch.
        if c == ']' && i > first {
            return Some((Tok::Class { negated, ranges }, i));
        }
        match (chars.get(i + 1), chars.get(i + 2)) {
            (Some('-'), Some(&hi)) if hi != ']' => {
                ranges.push((c, hi));
                i += 3;
            }
            _ => {
                ranges.push((c, c));
                i += 1;
            }
        }
    }
}

fn tok_matches(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Char(want) => *want == c,
        Tok::One => true,
        Tok::Star => unreachable!("stars are handled by the matcher"),
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Glob::parse(pattern).unwrap().matches(text)
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("ams-core-1", "ams-core-1"));
        assert!(!m("ams-core-1", "ams-core-10"));
        assert!(m("ams-*", "ams-core-1"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "a-x-b-y-c"));
        assert!(!m("a*b*c", "a-x-b-y-d"));
        assert!(m("*-1", "ams-core-1"));
        assert!(!m("*-1", "ams-core-12"));
        assert!(m("ams-core-?", "ams-core-7"));
        assert!(!m("ams-core-?", "ams-core-17"));
        assert!(m("a**b", "ab"));
        assert!(m("x.lab", "x.lab"));
        assert!(!m("x.lab", "xylab"));
        assert!(!m("Core", "core"));
    }

    #[test]
    fn classes() {
        assert!(m("core-[12]", "core-2"));
        assert!(!m("core-[12]", "core-3"));
        assert!(m("core-[1-3]", "core-3"));
        assert!(m("core-[!1-3]", "core-4"));
        assert!(!m("core-[^1-3]", "core-2"));
        assert!(m("x[]]", "x]"));
        assert!(m("x[a-]", "x-"));
        assert!(Glob::parse("core-[1-").is_err());
        assert!(Glob::parse("core-[").is_err());
    }

    #[test]
    fn matches_compiles_on_the_spot_and_an_invalid_glob_is_literal() {
        assert!(matches("*-core?", "fra-core2"));
        assert!(!matches("*-core?", "fra-core12"));
        assert!(matches("show ip int*", "show ip interface brief"));
        assert!(
            matches("show [x", "show [x"),
            "unclosed `[`: compared as text"
        );
        assert!(!matches("show [x", "show x"));
    }

    /// A piece of a generated pattern, with the meaning the reference matcher gives it.
    #[derive(Debug, Clone)]
    enum Piece {
        Char(char),
        One,
        Star,
        /// `[lo-hi]`, or `[!lo-hi]` when negated.
        Range(bool, char, char),
    }

    impl Piece {
        fn write(&self, out: &mut String) {
            match *self {
                Piece::Char(c) => out.push(c),
                Piece::One => out.push('?'),
                Piece::Star => out.push('*'),
                Piece::Range(neg, lo, hi) => {
                    out.push('[');
                    if neg {
                        out.push('!');
                    }
                    out.extend([lo, '-', hi, ']']);
                }
            }
        }
    }

    /// The obvious backtracking matcher, exponential but plainly right.
    fn reference(pieces: &[Piece], text: &[char]) -> bool {
        match pieces.split_first() {
            None => text.is_empty(),
            Some((Piece::Star, rest)) => (0..=text.len()).any(|k| reference(rest, &text[k..])),
            Some((piece, rest)) => match text.split_first() {
                None => false,
                Some((&c, tail)) => {
                    let here = match *piece {
                        Piece::Char(want) => want == c,
                        Piece::One => true,
                        Piece::Range(neg, lo, hi) => (lo <= c && c <= hi) != neg,
                        Piece::Star => unreachable!(),
                    };
                    here && reference(rest, tail)
                }
            },
        }
    }

    fn arb_piece() -> impl proptest::strategy::Strategy<Value = Piece> {
        use proptest::prelude::*;
        // A small alphabet, so stars and classes meet the text often.
        let c = prop::sample::select(vec!['a', 'b', 'c', '-', '.']);
        let lo = prop::sample::select(vec!['a', 'b']);
        let hi = prop::sample::select(vec!['b', 'c']);
        prop_oneof![
            4 => c.prop_map(Piece::Char),
            1 => Just(Piece::One),
            2 => Just(Piece::Star),
            1 => (any::<bool>(), lo, hi).prop_map(|(n, lo, hi)| Piece::Range(n, lo, hi)),
        ]
    }

    proptest::proptest! {
        /// The matcher agrees with the reference on every pattern of `*`, `?`, classes and
        /// literals, against texts of the same small alphabet.
        #[test]
        fn agrees_with_the_reference_matcher(
            pieces in proptest::collection::vec(arb_piece(), 0..8),
            text in "[abc.-]{0,10}",
        ) {
            let mut pattern = String::new();
            for p in &pieces {
                p.write(&mut pattern);
            }
            let chars: Vec<char> = text.chars().collect();
            let glob = Glob::parse(&pattern).unwrap();
            proptest::prop_assert_eq!(glob.matches(&text), reference(&pieces, &chars), "{} vs {}", pattern, text);
            proptest::prop_assert_eq!(glob.source(), pattern.as_str());
        }

        /// Text without glob characters is a literal: it matches itself and nothing else.
        #[test]
        fn a_plain_name_matches_only_itself(name in "[a-z0-9.-]{0,12}", other in "[a-z0-9.-]{0,12}") {
            proptest::prop_assert!(m(&name, &name));
            proptest::prop_assert_eq!(m(&name, &other), name == other);
        }

        /// `prefix*` is "starts with", `*suffix` is "ends with", whatever the text holds.
        #[test]
        fn stars_mean_starts_and_ends_with(fix in "[a-z.-]{0,6}", text in "\\PC{0,16}") {
            proptest::prop_assert_eq!(m(&format!("{fix}*"), &text), text.starts_with(&fix));
            proptest::prop_assert_eq!(m(&format!("*{fix}"), &text), text.ends_with(&fix));
        }

        /// Any pattern either compiles or is refused for an unclosed `[`; none panics, and
        /// `matches` then falls back to comparing the text.
        #[test]
        fn any_pattern_compiles_or_is_an_unclosed_class(pattern in "\\PC{0,24}", text in "\\PC{0,24}") {
            match Glob::parse(&pattern) {
                Ok(glob) => {
                    glob.matches(&text);
                }
                Err(e) => {
                    proptest::prop_assert!(pattern.contains('[') && e.contains("unclosed"), "{}", e);
                    proptest::prop_assert_eq!(matches(&pattern, &text), pattern == text);
                }
            }
        }
    }
}
