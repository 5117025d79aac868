//! Ansible's INI inventory, read as its `ini` plugin reads it: `[group]` host lines with
//! `key=value` variables (split like a POSIX shell, `#` starts a comment), `[group:vars]`,
//! `[group:children]` (children may be declared later in the file), hosts before any section
//! in `ungrouped`, `host:port`, ranges; values converted like Python's `ast.literal_eval`.
//! Every problem has its line and column.

use std::collections::HashMap;

use serde_yaml::Value;

use super::model::{MAX_GROUPS, MAX_HOSTS, Model, UNGROUPED, Var, set_var};
use super::ranges;
use crate::base::text::Untrusted;
use crate::inventory::error::ProblemKind as K;
use crate::inventory::sources::{FileId, Sources, Where};

#[derive(Clone, Copy, PartialEq)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// A `[parent:children]` entry naming a group not declared yet.
struct Pending {
    at: Where,
    parents: Vec<usize>,
    section: String,
}

/// Reads INI file `file` into `model`.
pub(crate) fn read(model: &mut Model, sources: &mut Sources, file: FileId) {
    let text = sources.text(file).to_owned();
    let mut group = UNGROUPED;
    let mut state = State::Hosts;
    let mut pending_children: HashMap<String, Pending> = HashMap::new();
    let mut pending_vars: HashMap<String, Where> = HashMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
        let line = raw.trim();
        let at = |col: usize| Where::line(file, line_no, indent + col);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            match section(line) {
                Some((name, kind)) => {
                    state = match kind {
                        None | Some("hosts") => State::Hosts,
                        Some("vars") => State::Vars,
                        Some("children") => State::Children,
                        Some(other) => {
                            sources.add(
                                K::Syntax,
                                at(name.chars().count() + 3),
                                format!(
                                    "section `{}` has unknown type `{}`",
                                    Untrusted(line),
                                    Untrusted(other)
                                ),
                                Some(
                                    "a section is `[group]`, `[group:vars]` or `[group:children]`"
                                        .into(),
                                ),
                            );
                            State::Hosts
                        }
                    };
                    if !model.group_index.contains_key(name) && state == State::Vars {
                        pending_vars.entry(name.to_owned()).or_insert_with(|| at(1));
                    }
                    if !model.room_for_group(name) {
                        sources.add(
                            K::InvalidValue,
                            at(1),
                            format!("more than {MAX_GROUPS} groups"),
                            Some(
                                "is this the right file? inventories this large are not read"
                                    .into(),
                            ),
                        );
                        return;
                    }
                    group = model.group(name, Some(at(2)));
                    if state != State::Vars {
                        pending_vars.remove(name);
                        declare(model, sources, group, name, &mut pending_children);
                    }
                }
                None if line.ends_with(']') => sources.add(
                    K::Syntax,
                    at(1),
                    format!("invalid section `{}`", Untrusted(line)),
                    Some(
                        "write `[group]`, `[group:vars]` or `[group:children]` without spaces"
                            .into(),
                    ),
                ),
                None => sources.add(
                    K::Syntax,
                    at(1),
                    format!("`{}` is neither a section nor a host", Untrusted(line)),
                    Some("a section header is `[name]` on a line of its own".into()),
                ),
            }
            continue;
        }
        match state {
            State::Hosts => host_line(model, sources, file, group, line_no, indent, line),
            State::Vars => match line.split_once('=') {
                Some((k, v)) => {
                    let value = literal(v.trim());
                    let var = Var {
                        value,
                        at: at(line.find('=').map_or(1, |i| i + 2)),
                    };
                    model.set_group_var(group, k.trim(), var);
                }
                None => sources.add(
                    K::Syntax,
                    at(1),
                    format!("expected `key=value`, got `{}`", Untrusted(line)),
                    Some("a `[group:vars]` section holds `name=value` lines".into()),
                ),
            },
            State::Children => {
                let name = line.split('#').next().unwrap_or("").trim();
                if name.is_empty() || name.contains([':', ']', ' ', '\t']) {
                    sources.add(
                        K::Syntax,
                        at(1),
                        format!("expected a group name, got `{}`", Untrusted(line)),
                        Some("a `[group:children]` section holds one group name a line".into()),
                    );
                    continue;
                }
                match model.group_index.get(name) {
                    Some(&child) => add_child(model, sources, group, child, at(1)),
                    None => {
                        let pending = pending_children.entry(name.to_owned()).or_insert(Pending {
                            at: at(1),
                            parents: Vec::new(),
                            section: model.groups[group].name.clone(),
                        });
                        pending.parents.push(group);
                        pending.section = model.groups[group].name.clone();
                    }
                }
            }
        }
    }
    for (name, at) in pending_vars {
        sources.add(
            K::UnknownGroup,
            at,
            format!(
                "section `[{}:vars]` is for a group that is never declared",
                Untrusted(&name)
            ),
            Some(format!(
                "declare it with a `[{}]` section, or remove the variables",
                Untrusted(&name)
            )),
        );
    }
    for (name, p) in pending_children {
        sources.add(
            K::UnknownGroup,
            p.at,
            format!(
                "section `[{}:children]` names group `{}`, which is never declared",
                Untrusted(&p.section),
                Untrusted(&name)
            ),
            Some(format!(
                "declare it with a `[{}]` section, or remove the line",
                Untrusted(&name)
            )),
        );
    }
}

/// A group just declared: the `[…:children]` entries waiting for it take effect.
fn declare(
    model: &mut Model,
    sources: &mut Sources,
    group: usize,
    name: &str,
    pending: &mut HashMap<String, Pending>,
) {
    if let Some(p) = pending.remove(name) {
        for parent in p.parents {
            add_child(model, sources, parent, group, p.at.clone());
        }
    }
}

fn add_child(model: &mut Model, sources: &mut Sources, parent: usize, child: usize, at: Where) {
    if model.add_child(parent, child).is_err() {
        let (p, c) = (&model.groups[parent].name, &model.groups[child].name);
        sources.add(
            K::GroupCycle,
            at,
            format!(
                "group `{}` as a child of `{}` makes a loop",
                Untrusted(c),
                Untrusted(p)
            ),
            Some("a group cannot be its own ancestor: remove this line".into()),
        );
    }
}

/// `[name]` or `[name:kind]`, with an optional trailing comment.
fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let close = line.find(']')?;
    let after = line[close + 1..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let inner = &line[1..close];
    let (name, kind) = match inner.split_once(':') {
        Some((name, kind)) => (name, Some(kind)),
        None => (inner, None),
    };
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if name.is_empty() || name.contains(char::is_whitespace) || !kind.is_none_or(word) {
        return None;
    }
    Some((name, kind))
}

fn host_line(
    model: &mut Model,
    sources: &mut Sources,
    file: FileId,
    group: usize,
    line_no: usize,
    indent: usize,
    line: &str,
) {
    let at = |col: usize| Where::line(file, line_no, indent + col);
    let tokens = match shell_words(line) {
        Ok(tokens) if !tokens.is_empty() => tokens,
        Ok(_) => return,
        Err((col, why)) => {
            sources.add(
                K::Syntax,
                at(col),
                format!("cannot split the host line: {why}"),
                Some("close the quote, or quote values that contain spaces: `key=\"a b\"`".into()),
            );
            return;
        }
    };
    let (first_col, pattern) = &tokens[0];
    let (pattern, port) = split_port(pattern);
    if pattern.trim() == "---" {
        sources.add(
            K::Syntax,
            at(*first_col),
            "`---` is not a host: is this a YAML file?",
            Some("name YAML inventories `*.yml` or `*.yaml`".into()),
        );
        return;
    }
    let names = match ranges::has_range(pattern) {
        true => match ranges::expand(pattern) {
            Ok(names) => names,
            Err(why) => {
                sources.add(
                    K::InvalidValue,
                    at(*first_col),
                    Untrusted(&why).to_string(),
                    Some("a range is `[01:20]`, `[a:f]` or `[1:9:2]` (begin:end:step)".into()),
                );
                return;
            }
        },
        false => vec![pattern.to_owned()],
    };
    let mut vars = Vec::new();
    if let Some(port) = port {
        vars.push(("ansible_port".to_owned(), Value::from(port), *first_col));
    }
    for (col, token) in &tokens[1..] {
        match token.split_once('=') {
            Some((k, v)) => vars.push((k.to_owned(), literal(v), col + k.chars().count() + 1)),
            None => {
                sources.add(
                    K::Syntax,
                    at(*col),
                    format!(
                        "expected `key=value` after the host, got `{}`",
                        Untrusted(token)
                    ),
                    Some("host variables are `name=value`; quote values with spaces".into()),
                );
                return;
            }
        }
    }
    if !model.room_for_hosts(names.len()) {
        sources.add(
            K::InvalidValue,
            at(*first_col),
            format!("more than {MAX_HOSTS} hosts"),
            Some("is this the right file? inventories this large are not read".into()),
        );
        return;
    }
    for name in names {
        let h = model.host(&name, group, at(*first_col));
        for (k, v, col) in &vars {
            let var = Var {
                value: v.clone(),
                at: at(*col),
            };
            set_var(&mut model.hosts[h].vars, k, var);
        }
    }
}

/// `host:port` (also `[v6]:port`); a name with more colons (IPv6, a range) has no port.
pub(crate) fn split_port(pattern: &str) -> (&str, Option<u16>) {
    if let Some(rest) = pattern.strip_prefix('[')
        && let Some((addr, port)) = rest.split_once("]:")
        && let Ok(port) = port.parse()
    {
        return (addr, Some(port));
    }
    // The colons outside range brackets: exactly one, followed by digits, is a port.
    let mut depth = 0usize;
    let colons: Vec<usize> = pattern
        .char_indices()
        .filter(|&(_, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            c == ':' && depth == 0
        })
        .map(|(i, _)| i)
        .collect();
    if let [i] = colons[..]
        && let Ok(port) = pattern[i + 1..].parse::<u16>()
    {
        return (&pattern[..i], Some(port));
    }
    (pattern, None)
}

/// Splits like Python's `shlex.split(line, comments=True)`: words with their 1-based
/// starting columns; `'…'` literal, `"…"` with `\"` and `\\`, `\` outside quotes escapes
/// the next character, `#` ends the line.
fn shell_words(line: &str) -> Result<Vec<(usize, String)>, (usize, &'static str)> {
    let mut words = Vec::new();
    let mut word: Option<(usize, String)> = None;
    let mut chars = line.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let col = i + 1;
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '#' => break,
            '\'' | '"' => {
                let w = word.get_or_insert_with(|| (col, String::new()));
                loop {
                    match chars.next() {
                        None => return Err((col, "no closing quotation")),
                        Some((_, q)) if q == c => break,
                        Some((_, '\\')) if c == '"' => match chars.peek() {
                            Some(&(_, e @ ('"' | '\\'))) => {
                                w.1.push(e);
                                chars.next();
                            }
                            _ => w.1.push('\\'),
                        },
                        Some((_, other)) => w.1.push(other),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, e)) => word.get_or_insert_with(|| (col, String::new())).1.push(e),
                None => return Err((col, "no escaped character")),
            },
            c => word.get_or_insert_with(|| (col, String::new())).1.push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// The words of a shell-style argument string (`ansible_ssh_common_args`), or `None` if
/// a quote is not closed.
pub(crate) fn shell_split(args: &str) -> Option<Vec<String>> {
    shell_words(args)
        .ok()
        .map(|w| w.into_iter().map(|(_, w)| w).collect())
}

/// A value as Python's `ast.literal_eval` reads it where that succeeds (integers, floats,
/// `True`/`False`/`None`, quoted strings, lists and dicts), else the text itself.
pub(crate) fn literal(text: &str) -> Value {
    let t = text.trim();
    match t {
        "True" => return Value::Bool(true),
        "False" => return Value::Bool(false),
        "None" => return Value::Null,
        _ => {}
    }
    if let Some(n) = python_int(t) {
        return Value::from(n);
    }
    if python_float(t)
        && let Ok(f) = t.parse::<f64>()
    {
        return Value::from(f);
    }
    if t.len() >= 2 {
        let (first, last) = (t.as_bytes()[0], t.as_bytes()[t.len() - 1]);
        if (first == b'\'' || first == b'"') && last == first {
            let inner = &t[1..t.len() - 1];
            if !inner.contains(first as char) || inner.contains('\\') {
                return Value::String(unescape(inner));
            }
        }
        // A Jinja template (`{{ x }}`) is text to Python, never a dict.
        if matches!((first, last), (b'[', b']') | (b'{', b'}'))
            && !t.contains("{{")
            && !t.contains("{%")
            && let Ok(v) = serde_yaml::from_str::<Value>(t)
        {
            return v;
        }
    }
    Value::String(text.to_owned())
}

fn python_int(t: &str) -> Option<i64> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.replace('_', "");
    let value = if let Some(hex) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o").or(digits.strip_prefix("0O")) {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b").or(digits.strip_prefix("0B")) {
        i64::from_str_radix(bin, 2).ok()?
    } else {
        let ok = !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            && !body.starts_with('_')
            && !body.ends_with('_')
            && !body.contains("__")
            // Python refuses leading zeros (`010`) but reads `0` and `00`.
            && (!digits.starts_with('0') || digits.bytes().all(|b| b == b'0'));
        if !ok {
            return None;
        }
        digits.parse().ok()?
    };
    Some(if neg { -value } else { value })
}

fn python_float(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (digits(a) || a.is_empty())
                && (digits(b) || b.is_empty())
                && !(a.is_empty() && b.is_empty())
        }
        None => digits(mantissa) && exponent.is_some(),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other @ ('\\' | '\'' | '"')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_like_literal_eval() {
        let cases: &[(&str, Value)] = &[
            ("22", Value::from(22)),
            ("-3", Value::from(-3)),
            ("0x1f", Value::from(31)),
            ("010", Value::from("010")),
            ("1.5", Value::from(1.5)),
            ("True", Value::Bool(true)),
            ("yes", Value::from("yes")),
            ("'quoted'", Value::from("quoted")),
            ("\"a b\"", Value::from("a b")),
            ("1.2.3.4", Value::from("1.2.3.4")),
            ("None", Value::Null),
            ("a=b", Value::from("a=b")),
        ];
        for (text, want) in cases {
            assert_eq!(&literal(text), want, "{text}");
        }
        assert!(matches!(literal("[1, 2]"), Value::Sequence(_)));
        assert_eq!(literal("{{ x }}"), Value::from("{{ x }}"));
    }

    #[test]
    fn host_lines_split_like_a_shell() {
        let words = |l: &str| -> Vec<String> {
            shell_words(l)
                .unwrap()
                .into_iter()
                .map(|(_, w)| w)
                .collect()
        };
        assert_eq!(words("h1 a=1 b=\"x y\" # c=3"), ["h1", "a=1", "b=x y"]);
        assert_eq!(words("h1 a='it''s'"), ["h1", "a=its"]);
        assert_eq!(words("h1 a=x#y"), ["h1", "a=x"]);
        assert_eq!(words(r#"h1 a="q\"q""#), ["h1", "a=q\"q"]);
        assert_eq!(shell_words("h1 a=\"x").unwrap_err().0, 6);
        let cols: Vec<usize> = shell_words("h1  ab=1")
            .unwrap()
            .iter()
            .map(|w| w.0)
            .collect();
        assert_eq!(cols, [1, 5]);
    }

    #[test]
    fn ports_split_off_host_names() {
        assert_eq!(split_port("h1:2222"), ("h1", Some(2222)));
        assert_eq!(split_port("h1"), ("h1", None));
        assert_eq!(split_port("r[1:3]"), ("r[1:3]", None));
        assert_eq!(split_port("r[1:3]:22"), ("r[1:3]", Some(22)));
        assert_eq!(split_port("fd00::1"), ("fd00::1", None));
        assert_eq!(split_port("[fd00::1]:22"), ("fd00::1", Some(22)));
    }
}
