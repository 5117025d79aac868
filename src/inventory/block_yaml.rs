//! A fast reader for the plainest block-style YAML — the shape generated inventories have
//! (`fleetdash lab --write-inventory`, scripts): `key: value` lines, `- item` lists,
//! comments, plain scalars. libyaml reads 10,000 devices in ~100 ms; this reads them in a
//! few. Anything it is not sure of (quotes, flow `[]`/`{}`, anchors, tags, block scalars,
//! multi-line scalars, tabs, document markers, non-ASCII text, duplicate keys, numbers
//! other than plain decimal integers, odd indentation) makes it give up (`None`), and the
//! caller reads the text with serde_norway as before; so whatever it returns is the `Value`
//! serde_norway would have built (a property test holds it to that), and every error
//! message still comes from serde_norway. Its lines, entries and scalars also serve
//! `direct`, which reads the own format from them without building a `Value`.

use serde_yaml::{Mapping, Number, Value};

/// One content line: its indentation and the text after it (comments and trailing blanks
/// stripped).
#[derive(Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) indent: usize,
    pub(crate) text: &'a str,
}

/// The content lines of a text in the subset, read one at a time (blank and comment lines
/// skipped). A line outside the subset (a document marker) ends them early and marks the
/// text as not in the subset: [`Lines::done`] is then false.
#[derive(Clone)]
pub(crate) struct Lines<'a> {
    rest: &'a str,
    next: Option<Line<'a>>,
    unsure: bool,
}

impl<'a> Lines<'a> {
    /// `None` when the text has anything but printable ASCII and line feeds (tabs, CRs,
    /// control characters and non-ASCII text are left to serde_norway and the pre-scan).
    pub(crate) fn new(text: &'a str) -> Option<Self> {
        // In blocks without an early exit, which the compiler turns into vector code.
        let plain = |b: u8| b == b'\n' || (b' '..=b'~').contains(&b);
        let all_plain = text
            .as_bytes()
            .chunks(64)
            .all(|chunk| chunk.iter().fold(true, |ok, &b| ok & plain(b)));
        if !all_plain {
            return None;
        }
        let mut lines = Lines {
            rest: text,
            next: None,
            unsure: false,
        };
        lines.advance();
        Some(lines)
    }

    /// The current line; `None` at the end.
    pub(crate) fn peek(&self) -> Option<Line<'a>> {
        self.next
    }

    /// Moves to the next content line.
    pub(crate) fn advance(&mut self) {
        self.next = None;
        while !self.rest.is_empty() && !self.unsure {
            // Byte loops rather than `split_once` and `find`: lines are a few bytes long,
            // and this is most of the reading.
            let bytes = self.rest.as_bytes();
            let end = bytes
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(bytes.len());
            let raw = &self.rest[..end];
            self.rest = self.rest.get(end + 1..).unwrap_or("");
            let indent = raw.bytes().take_while(|&b| b == b' ').count();
            let body = &raw[indent..];
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if indent == 0 && (body.starts_with("---") || body.starts_with("...")) {
                self.unsure = true;
                return;
            }
            let text = match body.bytes().any(|b| b == b'#') {
                true => strip_comment(body),
                false => body,
            };
            self.next = Some(Line {
                indent,
                text: text.trim_end_matches(' '),
            });
            return;
        }
    }

    /// About how many `- ` items at `indent` the current line and those after it start
    /// (to reserve room): lines with a `-` after `indent` characters. Bounded by the text's
    /// size, as a device takes a few dozen bytes.
    pub(crate) fn count_items(&self, indent: usize) -> usize {
        let rest = self.rest.as_bytes();
        let after = rest.get(indent + 1..).unwrap_or_default();
        // A line feed, then `indent` bytes later a `-`: counted without branches.
        let count: usize = rest
            .iter()
            .zip(after)
            .map(|(&nl, &dash)| usize::from((nl == b'\n') & (dash == b'-')))
            .sum();
        let first = rest.get(indent) == Some(&b'-');
        let current = self.next.is_some();
        (count + usize::from(first) + usize::from(current)).min(self.rest.len() / 32 + 1)
    }

    /// Every line was read, and all were in the subset.
    pub(crate) fn done(&self) -> bool {
        self.next.is_none() && !self.unsure
    }

    /// How many bytes of text are left after the current line (to compare two positions).
    pub(crate) fn left(&self) -> usize {
        self.rest.len() + usize::from(self.next.is_some())
    }
}

/// A plain scalar as YAML's core schema reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    /// A plain decimal integer; `text` is how it is written, which is also how
    /// serde_norway's number prints.
    Int {
        value: u64,
        text: &'a str,
    },
    Str(&'a str),
}

impl Scalar<'_> {
    pub(crate) fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int { value, .. } => Value::Number(Number::from(value)),
            Scalar::Str(s) => Value::String(s.to_owned()),
        }
    }
}

/// The document, or `None` when the text is not in the subset.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut lines = Lines::new(text)?;
    if lines.peek()?.indent != 0 {
        return None;
    }
    let doc = node(&mut lines, 0, 0)?;
    lines.done().then_some(doc)
}

/// `text` without a ` #` comment (a `#` not after a blank is part of a plain scalar).
fn strip_comment(text: &str) -> &str {
    let b = text.as_bytes();
    match (1..b.len()).find(|&i| b[i] == b'#' && b[i - 1] == b' ') {
        Some(i) => &text[..i - 1],
        None => text,
    }
}

/// The offset of the first `a` followed by `b`: `str::find` of a two-byte pattern, cheaper on
/// a line's few bytes (this reader's hot spot). `a` is the rarer byte.
fn find_pair(text: &str, a: u8, b: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = bytes[from..].iter().position(|&c| c == a) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Nesting deeper than this is left to serde_norway (which refuses past 128 levels, with
/// the place); generated inventories nest four or five.
const MAX_DEPTH: usize = 32;

/// The node whose first line is the current one, at indentation `indent`, `depth` levels
/// down.
fn node(lines: &mut Lines, indent: usize, depth: usize) -> Option<Value> {
    let line = lines.peek()?;
    if line.indent != indent || depth > MAX_DEPTH {
        return None;
    }
    if is_item(line.text) {
        sequence(lines, indent, depth)
    } else {
        mapping(lines, indent, None, depth)
    }
}

pub(crate) fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// What a `- ` line holds.
pub(crate) enum Item<'a> {
    /// `-` alone: the item is the node on the next lines, deeper, if there is one.
    Below,
    /// `- key: value`: a mapping whose keys line up at `indent` with this first one.
    Entry {
        indent: usize,
        key: &'a str,
        value: &'a str,
    },
    /// `- scalar`.
    Scalar(Scalar<'a>),
}

/// The item on a `- ` line at `indent`; `None` for what this reader does not handle.
pub(crate) fn item<'a>(line: Line<'a>, indent: usize) -> Option<Item<'a>> {
    let rest = line.text[1..].trim_start_matches(' ');
    if rest.is_empty() {
        return Some(Item::Below);
    }
    if is_item(rest) {
        return None;
    }
    Some(match entry(rest)? {
        Some((key, value)) => Item::Entry {
            indent: indent + (line.text.len() - rest.len()),
            key,
            value,
        },
        None => Item::Scalar(scalar(rest)?),
    })
}

/// A block sequence at `indent`.
fn sequence(lines: &mut Lines, indent: usize, depth: usize) -> Option<Value> {
    let mut items = Vec::new();
    while let Some(line) = lines.peek() {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return None;
        }
        if !is_item(line.text) {
            // The next key of the mapping this list is the value of (`key:` then `- a`
            // at the key's indentation); anywhere else the caller finds it out of place.
            break;
        }
        lines.advance();
        items.push(match item(line, indent)? {
            Item::Below => match lines.peek() {
                Some(next) if next.indent > indent => node(lines, next.indent, depth + 1)?,
                _ => Value::Null,
            },
            Item::Entry { indent, key, value } => {
                mapping(lines, indent, Some((key, value)), depth + 1)?
            }
            Item::Scalar(s) => s.to_value(),
        });
    }
    Some(Value::Sequence(items))
}

/// A block mapping at `indent`; `first` is an entry already read from a `- ` line.
fn mapping(
    lines: &mut Lines,
    indent: usize,
    first: Option<(&str, &str)>,
    depth: usize,
) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut map = Mapping::new();
    let mut pending = first;
    while let Some((key, value)) = pending.take().or_else(|| next_entry(lines, indent)) {
        let value = match value_below(lines, indent, value)? {
            Below::Scalar(s) => s.to_value(),
            Below::Node(at) => node(lines, at, depth + 1)?,
            Below::List => sequence(lines, indent, depth + 1)?,
        };
        if map.insert(Value::String(key.to_owned()), value).is_some() {
            // A duplicate key is an error serde_norway reports.
            return None;
        }
    }
    // `next_entry` also stops on a line out of place: the caller's checks see it.
    Some(Value::Mapping(map))
}

/// The next `key: value` line of the block mapping at `indent`, consumed; `None` at its
/// end, and also on a line that does not belong there (which then stays current, for the
/// caller to find out of place).
pub(crate) fn next_entry<'a>(lines: &mut Lines<'a>, indent: usize) -> Option<(&'a str, &'a str)> {
    let line = lines.peek()?;
    if line.indent != indent || is_item(line.text) {
        return None;
    }
    let kv = entry(line.text)??;
    lines.advance();
    Some(kv)
}

/// What an entry's value is, given the text after its `key:`.
pub(crate) enum Below<'a> {
    /// On the line itself (or nothing: null).
    Scalar(Scalar<'a>),
    /// A node on the next lines, at this indentation.
    Node(usize),
    /// `key:` then `- item` lines at the key's own indentation: the key's list.
    List,
}

/// The value of an entry at `indent` whose text after `key:` is `value`.
pub(crate) fn value_below<'a>(
    lines: &Lines<'a>,
    indent: usize,
    value: &'a str,
) -> Option<Below<'a>> {
    if !value.is_empty() {
        return Some(Below::Scalar(scalar(value)?));
    }
    Some(match lines.peek() {
        Some(next) if next.indent > indent => Below::Node(next.indent),
        Some(next) if next.indent == indent && is_item(next.text) => Below::List,
        _ => Below::Scalar(Scalar::Null),
    })
}

/// `key: value` or `key:` as (key, value text); `Some(None)` when the line is not an entry;
/// `None` when it might be one this reader does not handle.
fn entry(text: &str) -> Option<Option<(&str, &str)>> {
    // The first `:` must be the one that ends the key (`: ` or at the end of the line): any
    // other is in a key this reader does not take, or in a scalar it leaves alone.
    let Some(colon) = text.bytes().position(|b| b == b':') else {
        return Some(None);
    };
    let key = &text[..colon];
    let value = match text.as_bytes().get(colon + 1) {
        None => "",
        Some(b' ') => text[colon + 2..].trim_start_matches(' '),
        // `a:b`, `tcp:22` are plain scalars, unless a key follows (`a:b: c`, `a:b:`).
        Some(_) if find_pair(text, b':', b' ').is_none() && !text.ends_with(':') => {
            return Some(None);
        }
        Some(_) => return None,
    };
    let plain_key = key
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'));
    // A plain key has none of the characters `word` is unsure of: only the words matter.
    if !plain_key || reserved(key) || find_pair(value, b':', b' ').is_some() {
        return None;
    }
    Some(Some((key, value)))
}

/// A plain scalar as YAML's core schema reads it, or `None` when unsure.
fn scalar(text: &str) -> Option<Scalar<'_>> {
    let first = *text.as_bytes().first()?;
    if text.ends_with(':')
        || matches!(
            first,
            b'[' | b']'
                | b'{'
                | b'}'
                | b'"'
                | b'\''
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'%'
                | b'@'
                | b'`'
                | b'?'
                | b','
                | b'#'
                | b'-'
                | b':'
                | b'<'
                | b'='
                | b'~'
        )
    {
        return None;
    }
    if first.is_ascii_digit() || matches!(first, b'+' | b'.') {
        return number_like(text);
    }
    word(text)
}

/// Text that starts with a letter or `_`: null, a boolean, or a string; `None` for words
/// that some reader might take for a number.
fn word(text: &str) -> Option<Scalar<'_>> {
    match text {
        "null" | "Null" | "NULL" => Some(Scalar::Null),
        "true" | "True" | "TRUE" => Some(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => Some(Scalar::Bool(false)),
        _ if reserved(text) => None,
        _ => {
            let unsure = text
                .bytes()
                .any(|c| matches!(c, b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'"' | b'\''));
            (!unsure).then_some(Scalar::Str(text))
        }
    }
}

/// Words that are not strings: null, booleans, and those some reader might take for a
/// number (`inf`, `NaN`).
fn reserved(text: &str) -> bool {
    match text.len() {
        3 | 8 => ["inf", "infinity", "nan"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(text)),
        4 | 5 => matches!(
            text,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        ),
        _ => false,
    }
}

/// Plain decimal integers, durations and dotted addresses (`127.0.0.1`: three dots cannot
/// be a number); every other digit-led text is left to serde_norway.
fn number_like(text: &str) -> Option<Scalar<'_>> {
    let b = text.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        if b.len() > 18 || (b.len() > 1 && b[0] == b'0') {
            return None;
        }
        let value = text.parse::<u64>().ok()?;
        return Some(Scalar::Int { value, text });
    }
    // A duration (`10s`, `500ms`): no core-schema number ends in these letters.
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if matches!(&text[digits..], "ms" | "s" | "m" | "h") {
        return Some(Scalar::Str(text));
    }
    // Three or more runs of digits joined by single dots.
    let (mut parts, mut run) = (1, 0);
    for &c in b {
        match c {
            b'.' if run > 0 => (parts, run) = (parts + 1, 0),
            b'0'..=b'9' => run += 1,
            _ => return None,
        }
    }
    (parts >= 3 && run > 0).then_some(Scalar::Str(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norway(text: &str) -> Option<Value> {
        serde_yaml::from_str::<Value>(text).ok()
    }

    #[test]
    fn a_generated_inventory_is_read_here_and_reads_the_same() {
        let text = "# Generated by `fleetdash lab`\ndefaults:\n  username: admin\n  \
                    password_env: FLEETDASH_PASSWORD\ngroups:\n  role-host:\n    tags:\n      \
                    role: host\ndevices:\n- name: b-host1\n  host: 127.24.0.1\n  port: 2222\n  \
                    platform: linux\n  probe: tcp:2222\n  groups:\n  - site-b\n  - role-host\n  \
                    tags:\n    role: host\n    site: b\n- name: b-host2   # second\n  host: \
                    127.24.0.2\n  empty:\n  list:\n    - a\n    -\n    - 3\n";
        let fast = parse(text).expect("in the subset");
        assert_eq!(Some(fast), norway(text));
    }

    #[test]
    fn what_it_is_unsure_of_is_left_to_serde_norway() {
        for text in [
            "a: 'quoted'\n",
            "a: [1, 2]\n",
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: 0x10\n",
            "a: 1.5\n",
            "a: 012\n",
            "a: ~\n",
            "a: yes: no\n",
            "a: 1\na: 2\n",
            "a:\n  b: 1\n c: 2\n",
            "  a: 1\n",
            "---\na: 1\n",
            "a: b\n  c\n",
            "a: inf\n",
            "a:\tb\n",
            "a: é\n",
            "<<: {}\n",
            "true: 1\n",
            "- - a\n",
            &(0..40)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
            "",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    fn scalar_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9_.-]{0,6}",
            "[0-9]{1,4}",
            "0[0-9]{1,3}",
            "[0-9]{1,3}\\.[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
            "[0-9]{1,4}(ms|s|m|h|e3|x1|min|sec)",
            Just("1:30".to_string()),
            Just("true".to_string()),
            Just("False".to_string()),
            Just("null".to_string()),
            Just("~".to_string()),
            Just("yes".to_string()),
            Just("no".to_string()),
            Just("on".to_string()),
            Just("NaN".to_string()),
            Just(".inf".to_string()),
            Just("-1".to_string()),
            Just("+1".to_string()),
            Just("1e3".to_string()),
            Just("1_000".to_string()),
            Just("a#b".to_string()),
            Just("a #b".to_string()),
            Just("a:b".to_string()),
            Just("tcp:22".to_string()),
            Just("'q'".to_string()),
            Just("[x]".to_string()),
            Just("".to_string()),
        ]
    }

    /// Random lines of keys, items and scalars at random indentation: whenever this reader
    /// accepts a text, serde_norway reads the same value from it (and accepts it).
    fn document() -> impl Strategy<Value = String> {
        let line = (
            0usize..4,
            prop_oneof![Just("- "), Just(""), Just("-")],
            prop_oneof![
                Just(String::new()),
                "[a-z]{1,3}".prop_map(|k| format!("{k}:")),
                "[a-z]{1,2}".prop_map(|k| format!("{k}: ")),
            ],
            scalar_text(),
            prop_oneof![Just(""), Just(" # c"), Just("   ")],
        )
            .prop_map(|(depth, item, key, value, tail)| {
                format!("{}{item}{key}{value}{tail}", "  ".repeat(depth))
            });
        prop::collection::vec(line, 1..12).prop_map(|lines| lines.join("\n") + "\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
        #[test]
        fn whatever_it_accepts_serde_norway_reads_the_same(text in document()) {
            if let Some(fast) = parse(&text) {
                prop_assert_eq!(Some(fast), norway(&text), "{:?}", text);
            }
        }

        #[test]
        fn well_formed_inventories_are_accepted(
            names in prop::collection::vec("[a-z][a-z0-9-]{0,8}", 1..20),
            port in 1u16..,
        ) {
            let mut text = String::from("devices:\n");
            for (i, n) in names.iter().enumerate() {
                text += &format!("- name: {n}{i}\n  host: 127.0.{}.{}\n  port: {port}\n  tags:\n    \
                                  site: s{i}\n  groups:\n  - g{i}\n", i / 250, i % 250);
            }
            let fast = parse(&text);
            prop_assert!(fast.is_some());
            prop_assert_eq!(fast, norway(&text));
        }
    }
}
