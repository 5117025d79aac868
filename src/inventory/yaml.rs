//! Text to a YAML tree, for the inventory and the rollout plan alike, with the limits that
//! keep hostile files cheap: control characters and flow nesting are found by a pre-scan
//! (libyaml's time grows with the square of the flow depth, and it reports control
//! characters at 1:1), aliases may not expand a document beyond a budget ("billion
//! laughs"), and a bad `<<` merge key is reported where it is.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_yaml::Value;

use super::error::{InventoryError, Problem, ProblemKind};
use super::locate::{Seg, YamlPath, locate};
use super::report::syntax_error;

/// Deepest `[`/`{` nesting read. Real files need three or four levels.
pub(crate) const MAX_FLOW_DEPTH: usize = 32;
/// Nodes a document may expand to beyond its length in bytes (one node takes at least one
/// byte as written, so only aliases can exceed this).
const ALIAS_ALLOWANCE: usize = 100_000;
/// Path steps tried when locating an alias that expands too far (each step re-reads).
const MAX_LOCATE_STEPS: usize = 16;

/// Parses `text` (a leading byte-order mark is ignored) and applies `<<` merges.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Value, InventoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(problem) = prescan(text) {
        return Err(invalid(origin, problem));
    }
    // Generated inventories are plain block YAML: read without libyaml when nothing in
    // the text needs it (no aliases, merges or errors to report there).
    if let Some(doc) = super::block_yaml::parse(text) {
        return Ok(doc);
    }
    // Only aliases (`*name`) can expand a document beyond its size.
    if text.contains('*') {
        expansion(text, origin)?;
    }
    let mut doc: Value = serde_yaml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
    if let Some((at, what)) = bad_merge(&doc, &YamlPath::root()) {
        let (line, column) = locate(text, &at);
        let problem = problem(
            line,
            column,
            format!("invalid YAML: bad merge key `<<`: {what}"),
            "`<<:` takes an alias of a mapping (`<<: *defaults`) or a list of them",
        );
        return Err(invalid(origin, problem));
    }
    // Cannot fail after the check above; map it anyway rather than panic.
    doc.apply_merge()
        .map_err(|e| syntax_error(origin, text, &e))?;
    Ok(doc)
}

fn problem(line: usize, column: usize, message: String, help: &str) -> Problem {
    Problem {
        kind: ProblemKind::Syntax,
        line,
        column,
        message,
        help: Some(help.to_owned()),
    }
}

fn invalid(origin: &str, problem: Problem) -> InventoryError {
    InventoryError::Invalid {
        origin: origin.to_owned(),
        problems: vec![problem],
        omitted: 0,
    }
}

/// Characters libyaml refuses (C0 but tab and line ends, DEL, C1 but NEL, U+FFFE/U+FFFF).
fn refused_by_yaml(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// One pass over the text: the first control character, or the first `[`/`{` nested deeper
/// than [`MAX_FLOW_DEPTH`]. It knows enough YAML to skip quoted strings, comments and block
/// scalars (`|`, `>`), and to tell a `[` that opens a collection from one inside a plain
/// value (`name: a[1]`), so it never refuses a file libyaml would read.
fn prescan(text: &str) -> Option<Problem> {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| refused_by_yaml(c)) {
        let (line, column) = position(text, at);
        return Some(problem(
            line,
            column,
            format!(
                "invalid YAML: control character U+{:04X} is not allowed",
                c as u32
            ),
            "remove it (a NUL byte or other control character usually means a binary or \
             corrupted file)",
        ));
    }
    let at = too_deep(text.as_bytes())?;
    let (line, column) = position(text, at);
    Some(problem(
        line,
        column,
        format!("invalid YAML: `[`/`{{` nested more than {MAX_FLOW_DEPTH} levels deep"),
        "real inventories and plans nest a few levels; is this the right file?",
    ))
}

/// 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = 1 + before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, 1 + before[start..].chars().count())
}

/// The byte offset of the first `[`/`{` that opens a collection deeper than
/// [`MAX_FLOW_DEPTH`]. Every byte it looks at is ASCII, so it can work on bytes.
fn too_deep(b: &[u8]) -> Option<usize> {
    let blank = |i: usize| b.get(i).is_none_or(|c| c.is_ascii_whitespace());
    let mut i = 0;
    let mut flow = 0usize;
    // Whether the next non-blank byte may start a node (so `[`, `{`, quotes, `|` are
    // indicators) rather than continue a plain value.
    let mut node_start = true;
    let mut line_begin = 0;
    let mut line_indent = 0;
    // Inside a block scalar: lines indented more than this are its text.
    let mut block_scalar: Option<usize> = None;
    let end_of_line = |i: usize| {
        b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |n| i + n)
    };
    while i < b.len() {
        if i == line_begin {
            let indent = b[i..].iter().take_while(|&&c| c == b' ').count();
            let eol = end_of_line(i);
            if let Some(parent) = block_scalar {
                let is_blank = b[i..eol].iter().all(u8::is_ascii_whitespace);
                if is_blank || indent > parent {
                    i = eol + 1;
                    line_begin = i;
                    continue;
                }
                block_scalar = None;
            }
            line_indent = indent;
            if flow == 0 {
                node_start = true;
            }
        }
        let c = b[i];
        match c {
            b'\n' => {
                i += 1;
                line_begin = i;
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                i = end_of_line(i);
                continue;
            }
            b'\'' | b'"' if node_start => {
                i = end_of_quoted(b, i);
                node_start = false;
                // A quoted scalar may span lines.
                line_begin = b[..i]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |n| n + 1);
                continue;
            }
            b'[' | b'{' if flow > 0 || node_start => {
                flow += 1;
                if flow > MAX_FLOW_DEPTH {
                    return Some(i);
                }
                node_start = true;
            }
            b']' | b'}' if flow > 0 => {
                flow -= 1;
                node_start = false;
            }
            b',' if flow > 0 => node_start = true,
            b':' if blank(i + 1)
                || (flow > 0 && matches!(b.get(i + 1), Some(b',' | b']' | b'}'))) =>
            {
                node_start = true
            }
            b'-' | b'?' if node_start && blank(i + 1) => {}
            b'&' | b'!' if node_start => {
                // An anchor or a tag: the node it marks follows.
                while b
                    .get(i)
                    .is_some_and(|c| !c.is_ascii_whitespace() && !b"[]{},".contains(c))
                {
                    i += 1;
                }
                continue;
            }
            b'|' | b'>' if node_start && flow == 0 => {
                block_scalar = Some(line_indent);
                i = end_of_line(i);
                continue;
            }
            b'-' | b'.'
                if node_start
                    && flow == 0
                    && i == line_begin
                    && (b[i..].starts_with(b"---") || b[i..].starts_with(b"..."))
                    && blank(i + 3) =>
            {
                // A document marker: what follows on the line starts a node.
                i += 3;
                continue;
            }
            _ if node_start => node_start = false,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the quoted scalar that opens at `start`.
fn end_of_quoted(b: &[u8], start: usize) -> usize {
    let quote = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == quote => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Walks the document as serde_norway expands it, counting nodes: more than the text's
/// length plus [`ALIAS_ALLOWANCE`] can only come from aliases that repeat anchored nodes
/// within each other. serde_norway's own repetition limit ends the same way.
fn expansion(text: &str, origin: &str) -> Result<(), InventoryError> {
    let mut walk = Walk {
        left: text.len() + ALIAS_ALLOWANCE,
        path: Vec::new(),
        failed_at: None,
        exhausted: false,
    };
    let result = Node(&mut walk).deserialize(serde_yaml::Deserializer::from_str(text));
    let Err(err) = result else {
        return Ok(());
    };
    if !walk.exhausted && !err.to_string().contains("repetition limit exceeded") {
        return Err(syntax_error(origin, text, &err));
    }
    let (line, column) = alias_position(text, walk.failed_at.unwrap_or_default());
    Err(invalid(
        origin,
        problem(
            line,
            column,
            "invalid YAML: aliases expand this document far beyond its size (a \"billion \
             laughs\" document)"
                .into(),
            "an alias (`*name`) repeats the node its anchor (`&name`) marks; aliases inside \
             anchored nodes that are aliased again multiply: flatten them",
        ),
    ))
}

/// Where the expansion blew up: the last node, on the way from the root to where the budget
/// ran out, that is written in place. Inside an alias the positions jump back to the
/// anchor, which comes earlier in the file.
fn alias_position(text: &str, path: Vec<Seg>) -> (usize, usize) {
    let mut at = YamlPath::root();
    let mut best = locate(text, &at);
    for seg in path.into_iter().take(MAX_LOCATE_STEPS) {
        at = match seg {
            Seg::Key(k) => at.key(&k),
            Seg::Index(i) => at.index(i),
        };
        let here = locate(text, &at);
        if here < best {
            break;
        }
        best = here;
    }
    best
}

struct Walk {
    left: usize,
    path: Vec<Seg>,
    /// The path where the walk first failed.
    failed_at: Option<Vec<Seg>>,
    /// The node budget ran out (rather than the parser failing).
    exhausted: bool,
}

impl Walk {
    fn fail<E: de::Error>(&mut self, e: E) -> E {
        if self.failed_at.is_none() {
            self.failed_at = Some(self.path.clone());
        }
        e
    }

    fn count<E: de::Error>(&mut self) -> Result<(), E> {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.exhausted = true;
                Err(self.fail(E::custom("alias expansion budget exhausted")))
            }
        }
    }
}

/// Visits one node; returns its text when it is a string or a number (for map keys).
struct Node<'w>(&'w mut Walk);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($($name:ident: $ty:ty => $text:expr),*) => {$(
        fn $name<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            self.0.count()?;
            Ok($text(value))
        }
    )*};
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML node")
    }

    scalar!(
        visit_bool: bool => |_| None,
        visit_f64: f64 => |_| None,
        visit_i64: i64 => |v: i64| Some(v.to_string()),
        visit_u64: u64 => |v: u64| Some(v.to_string()),
        visit_i128: i128 => |v: i128| Some(v.to_string()),
        visit_u128: u128 => |v: u128| Some(v.to_string()),
        visit_str: &str => |v: &str| Some(v.to_owned())
    );

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.count()?;
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let walk = self.0;
        walk.count()?;
        for index in 0.. {
            walk.path.push(Seg::Index(index));
            let item = seq
                .next_element_seed(Node(walk))
                .map_err(|e| walk.fail(e))?;
            walk.path.pop();
            if item.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// A tagged node (`!vault |`, `!unsafe`): the tag, then the node it marks.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use de::VariantAccess;
        let walk = self.0;
        walk.count()?;
        let (_tag, variant): (de::IgnoredAny, _) = data.variant()?;
        variant.newtype_variant_seed(Node(walk))?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let walk = self.0;
        walk.count()?;
        while let Some(key) = map.next_key_seed(Node(walk)).map_err(|e| walk.fail(e))? {
            walk.path.push(Seg::Key(key.unwrap_or_default()));
            map.next_value_seed(Node(walk)).map_err(|e| walk.fail(e))?;
            walk.path.pop();
        }
        Ok(None)
    }
}

/// The first `<<` key (in file order) whose value cannot be merged, and why.
fn bad_merge(value: &Value, at: &YamlPath) -> Option<(YamlPath, &'static str)> {
    match value {
        Value::Mapping(map) => {
            if let Some(merge) = map.get("<<") {
                let why = match merge {
                    Value::Mapping(_) => None,
                    Value::Sequence(items) => items.iter().find_map(|item| match item {
                        Value::Mapping(_) => None,
                        Value::Sequence(_) => Some("a list inside its list"),
                        Value::Tagged(_) => Some("a tagged value inside its list"),
                        _ => Some("a plain value inside its list, not a mapping"),
                    }),
                    Value::Tagged(_) => Some("a tagged value, not a mapping"),
                    _ => Some("a plain value, not a mapping"),
                };
                if let Some(why) = why {
                    return Some((at.key_node("<<"), why));
                }
            }
            map.iter().find_map(|(k, v)| {
                let key = super::values::scalar_text(k).unwrap_or_default();
                bad_merge(v, &at.key(&key))
            })
        }
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_merge(v, &at.index(i))),
        Value::Tagged(tagged) => bad_merge(&tagged.value, at),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Problem {
        match parse(text, "f.yaml") {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e.problems()[0].clone(),
        }
    }

    fn at(text: &str) -> (usize, usize, String) {
        let p = error(text);
        (p.line, p.column, p.message)
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_gets_too_deep() {
        for open in ["[", "{", "[{", "{a: ["] {
            for depth in [MAX_FLOW_DEPTH + 1, 100_000] {
                let text = format!("devices: {}", open.repeat(depth));
                let (line, column, message) = at(&text);
                assert!(message.contains("nested more than 32"), "{message}");
                assert_eq!(line, 1);
                // The opening bracket that goes one level too deep.
                let opens_before: usize = text
                    .char_indices()
                    .filter(|(_, c)| matches!(c, '[' | '{'))
                    .nth(MAX_FLOW_DEPTH)
                    .map(|(i, _)| i)
                    .unwrap();
                assert_eq!(column, opens_before + 1, "{open}");
            }
        }
        // Block nesting is bounded by the parser, and located too.
        let block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let (line, _, message) = at(&block);
        assert!(message.contains("nested more than 128 levels"), "{message}");
        assert!(line > 100, "{line}");
    }

    #[test]
    fn brackets_that_do_not_nest_are_not_counted() {
        let deep = "[".repeat(MAX_FLOW_DEPTH + 5);
        let close = "]".repeat(MAX_FLOW_DEPTH);
        let legit = [
            format!("a: '{deep}'\n"),
            format!("a: \"{deep}\\\" {deep}\"\n"),
            format!("a: 'it''s {deep}'\n"),
            format!("a: x{deep}\n"),
            format!("a: 1 # {deep}\n"),
            format!("# {deep}\nb: 1\n"),
            format!("a: |\n  {deep}\n\n  {deep}\nb: 1\n"),
            format!("- >-\n    {deep}\n- x\n"),
            format!("a: don't {deep}\nb: 'x'\n"),
            format!("{}{}\n", "[".repeat(MAX_FLOW_DEPTH), close),
            format!("a: [\"{deep}\", '{deep}']\n"),
            format!("a: &x ['{deep}']\nb: *x\n"),
        ];
        for text in &legit {
            let flagged = prescan(text);
            assert!(flagged.is_none(), "{text:?}: {flagged:?}");
        }
    }

    #[test]
    fn control_characters_are_located() {
        for (text, line, column, code) in [
            ("a: 1\nb: x\u{0}y\n", 2, 5, "U+0000"),
            ("\u{7}", 1, 1, "U+0007"),
            ("a: 'é\u{1b}'", 1, 6, "U+001B"),
            ("a:\n  - \u{9b}", 2, 5, "U+009B"),
        ] {
            let (l, c, message) = at(text);
            assert_eq!((l, c), (line, column), "{text:?}");
            assert!(message.contains(code), "{message}");
        }
        // Tabs, line ends, NEL and other Unicode are text.
        assert!(prescan("a:\t'x\u{85}ü\u{202e}'\r\n").is_none());
    }

    #[test]
    fn alias_bombs_are_refused_at_the_node_that_expands() {
        let mut laughs = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (i, name) in ('b'..='j').enumerate() {
            let prev = (b'a' + i as u8) as char;
            let items = vec![format!("*{prev}"); 9].join(", ");
            laughs.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        laughs.push_str("devices: []\n");
        let p = error(&laughs);
        assert!(p.message.contains("billion laughs"), "{}", p.message);
        assert!(p.line > 1, "{p:?}");
        // Wide rather than deep: one big anchored list aliased many times.
        let items = vec!["x"; 2000].join(",");
        let aliases = vec!["*a"; 2000].join(",");
        let wide = format!("a: &a [{items}]\nb: [{aliases}]\n");
        let p = error(&wide);
        assert!(p.message.contains("billion laughs"), "{}", p.message);
        assert_eq!(p.line, 2, "{p:?}");
        // Tagged values (Ansible's `!vault |`) are walked like any node.
        assert!(parse("a: !vault |\n  $ANSIBLE_VAULT;1.1\nb: !unsafe x\n", "f").is_ok());
        // Ordinary anchors and merges are fine.
        let fine = "d: &d {port: 22}\ndevices:\n  - {<<: *d, name: a}\n  - {<<: *d, name: b}\n";
        assert!(parse(fine, "f").is_ok());
    }

    #[test]
    fn bad_merge_keys_are_located() {
        for (text, line, why) in [
            (
                "d: 1\ndevices:\n  - name: a\n    <<: 5\n",
                4,
                "a plain value",
            ),
            (
                "x: &x 1\ndevices:\n  - name: a\n    <<: [*x]\n",
                4,
                "inside its list",
            ),
            ("devices:\n  - name: a\n    <<: [[a]]\n", 3, "a list inside"),
        ] {
            let (l, c, message) = at(text);
            assert_eq!((l, c), (line, 5), "{text:?}: {message}");
            assert!(message.contains(why), "{message}");
        }
        let merged = parse("d: &d {port: 22}\nx: {<<: *d, y: 1}\n", "f").unwrap();
        assert_eq!(merged["x"]["port"], Value::from(22));
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert_eq!(parse("\u{feff}a: 1\n", "f").unwrap()["a"], Value::from(1));
    }
}
