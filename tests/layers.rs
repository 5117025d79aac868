//! Imports run one way: a module may use its own layer and the layers below it, never a
//! layer above. This test reads every `src/**/*.rs`, finds each path into another top-level
//! module (`use crate::x…`, `crate::x::…` inside expressions and types, `use crate::{x, y}`
//! groups, and `super::…` that climbs out to the crate root), and fails with one line per
//! import that runs the wrong way. The table is the README's "How it is built".

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom to top. Modules on one row are one layer.
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["inventory"],
    &["platforms"],
    &["probe", "ssh"],
    &["exec", "rollout", "jobs"],
    &["fleet"],
    &["engine", "record"],
    &["ui", "headless", "metrics"],
    &["cli", "run", "demo", "bench", "logging"],
];

/// The simulator: it may use any layer; only these may use it.
const LAB: &str = "lab";
const LAB_USERS: &[&str] = &["cli", "run", "demo", "bench"];

/// Test helpers: may use any layer, and any module's tests may use them (`lib.rs` compiles
/// the module only for tests and under the `testkit` feature the integration tests turn on,
/// so the shipped code cannot use it).
const TESTKIT: &str = "testkit";

/// Reversed imports known today and being removed by work in flight. Each entry must still
/// occur (the test fails when one is fixed, so the list only shrinks). Empty is the goal.
const TEMPORARY: &[(&str, &str, &str)] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    file: String,
    line: usize,
    from: String,
    to: String,
}

#[test]
fn imports_run_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );

    let mut reversed = Vec::new();
    let mut seen_temporary = BTreeSet::new();
    for file in &files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_path(file.strip_prefix(&src).unwrap()) else {
            continue; // lib.rs, main.rs: the crate root declares modules
        };
        let text = fs::read_to_string(file).unwrap();
        for (line, to) in imports(&text, &module) {
            let from = &module[0];
            if *from == to {
                continue;
            }
            let import = Import {
                file: rel.clone(),
                line,
                from: from.clone(),
                to,
            };
            match verdict(&import.from, &import.to) {
                Ok(()) => {}
                Err(why) => {
                    if let Some(t) = TEMPORARY
                        .iter()
                        .find(|(f, t, _)| *f == import.from && *t == import.to)
                    {
                        seen_temporary.insert(*t);
                        continue;
                    }
                    reversed.push((import, why));
                }
            }
        }
    }

    let mut message = String::new();
    for (i, why) in &reversed {
        message += &format!(
            "  {}:{}: {} imports {}: {why}\n",
            i.file, i.line, i.from, i.to
        );
    }
    for entry in TEMPORARY {
        if !seen_temporary.contains(entry) {
            message += &format!(
                "  TEMPORARY allows {} -> {} ({}), which no longer occurs: remove the entry\n",
                entry.0, entry.1, entry.2
            );
        }
    }
    assert!(
        message.is_empty(),
        "imports that run the wrong way (layers, bottom to top: {}; lab beside):\n{message}",
        LAYERS
            .iter()
            .map(|row| row.join(" | "))
            .collect::<Vec<_>>()
            .join(" → ")
    );
}

/// Why `from` may not import `to`, or `Ok`.
fn verdict(from: &str, to: &str) -> Result<(), String> {
    if to == TESTKIT || from == TESTKIT {
        return Ok(());
    }
    if to == LAB {
        return if LAB_USERS.contains(&from) {
            Ok(())
        } else {
            Err(format!("only {} may use the lab", LAB_USERS.join(", ")))
        };
    }
    let to_layer = layer(to).ok_or_else(|| format!("{to} is not in the layer table"))?;
    if from == LAB {
        return Ok(());
    }
    let from_layer = layer(from).ok_or_else(|| format!("{from} is not in the layer table"))?;
    if to_layer <= from_layer {
        Ok(())
    } else {
        Err(format!(
            "{to} ({}) is above {from} ({})",
            LAYERS[to_layer].join(" | "),
            LAYERS[from_layer].join(" | ")
        ))
    }
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `rollout/plan/read.rs` → `[rollout, plan, read]`; `rollout/mod.rs` → `[rollout]`;
/// the crate root (`lib.rs`, `main.rs`) → `None`.
fn module_path(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?.to_string();
    if stem != "mod" {
        parts.push(stem);
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return None;
    }
    (!parts.is_empty()).then_some(parts)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // `::`
    Punct(char),
}

/// Identifiers and punctuation with their line numbers; comments, strings and char
/// literals are dropped, so a path in a doc comment or a message is not an import.
fn tokens(text: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let bump = |i: usize, line: &mut usize| {
        if c[i] == '\n' {
            *line += 1;
        }
    };
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    bump(i, &mut line);
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&c, i) {
            for k in i..end {
                bump(k, &mut line);
            }
            i = end;
        } else if ch == '"' || (ch == 'b' && next == Some('"')) {
            i += if ch == 'b' { 2 } else { 1 };
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    bump(i, &mut line);
                    i += 1;
                }
                if i < c.len() {
                    bump(i, &mut line);
                }
                i += 1;
            }
            i += 1;
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): skip only the literal.
            if next == Some('\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((line, Tok::Ident(c[start..i].iter().collect())));
        } else if ch == ':' && next == Some(':') {
            out.push((line, Tok::Path));
            i += 2;
        } else {
            if ch == '\n' {
                line += 1;
            } else if !ch.is_whitespace() {
                out.push((line, Tok::Punct(ch)));
            }
            i += 1;
        }
    }
    out
}

/// If a raw string (`r"…"`, `r#"…"#`, `br#"…"#`) starts at `i`, the index after it.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

/// Every top-level module that `text` (the file of module `module`) names, with the line.
fn imports(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let toks = tokens(text);
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) deepen the path `super::` climbs from.
    let mut inline: Vec<usize> = Vec::new(); // brace depth at which each inline mod opened
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let (line, tok) = &toks[i];
        match tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((_, Tok::Ident(_))), Some((_, Tok::Punct('{')))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push(depth);
                }
            }
            Tok::Ident(w) if w == "crate" && toks.get(i + 1).map(|t| &t.1) == Some(&Tok::Path) => {
                let after_dollar = i > 0 && toks[i - 1].1 == Tok::Punct('$');
                if !after_dollar {
                    out.extend(heads(&toks, i + 2).into_iter().map(|m| (*line, m)));
                }
                i += 2;
                continue;
            }
            Tok::Ident(w) if w == "super" => {
                let mut j = i;
                let mut climbs = 0;
                while let (Some((_, Tok::Ident(s))), Some((_, Tok::Path))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    if s != "super" {
                        break;
                    }
                    climbs += 1;
                    j += 2;
                }
                if climbs > 0 && climbs == module.len() + inline.len() {
                    out.extend(heads(&toks, j).into_iter().map(|m| (*line, m)));
                }
                if climbs > 0 {
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The first segment of the path at `i` (just after `crate::`), or of each item of a
/// `{…}` group there.
fn heads(toks: &[(usize, Tok)], i: usize) -> Vec<String> {
    match toks.get(i).map(|t| &t.1) {
        Some(Tok::Ident(name)) if name != "self" => vec![name.clone()],
        Some(Tok::Punct('{')) => {
            let mut out = Vec::new();
            let mut depth = 0;
            let mut expect_head = true;
            for (_, t) in &toks[i + 1..] {
                match t {
                    Tok::Punct('{') => depth += 1,
                    Tok::Punct('}') if depth == 0 => break,
                    Tok::Punct('}') => depth -= 1,
                    Tok::Punct(',') if depth == 0 => expect_head = true,
                    Tok::Ident(name) if expect_head && depth == 0 => {
                        if name != "self" {
                            out.push(name.clone());
                        }
                        expect_head = false;
                    }
                    _ => expect_head = false,
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

// The checker checks itself: each case below is one way a reversed import can be written
// (or one way text can look like an import and not be one).

fn names(text: &str, module: &[&str]) -> Vec<String> {
    let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
    imports(text, &module).into_iter().map(|(_, m)| m).collect()
}

#[test]
fn finds_every_way_of_naming_another_module() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("use crate::fleet::Event;", &["ssh", "exec"], &["fleet"]),
        (
            "use crate::{fleet::Event, lab};",
            &["ssh"],
            &["fleet", "lab"],
        ),
        (
            "use crate::{\n  fleet::{Event, Stage},\n  base::x,\n};",
            &["ssh"],
            &["fleet", "base"],
        ),
        (
            "fn f() { let x = crate::ui::App::new(); }",
            &["probe"],
            &["ui"],
        ),
        (
            "fn f(e: crate::cli::Args) {}",
            &["engine", "record"],
            &["cli"],
        ),
        ("pub(in crate::exec) fn f() {}", &["exec", "w"], &["exec"]),
        // `super` from src/ssh.rs or src/ssh/mod.rs reaches the crate root…
        ("use super::lab::Platform;", &["ssh"], &["lab"]),
        // …from src/ssh/platform.rs it takes two…
        (
            "use super::super::lab::Platform;",
            &["ssh", "platform"],
            &["lab"],
        ),
        ("use super::poll::PollSpec;", &["ssh", "platform"], &[]),
        // …and one more from an inline module.
        (
            "mod tests { use super::super::super::ui::App; }",
            &["ssh", "platform"],
            &["ui"],
        ),
        (
            "mod tests { use super::*; }\nuse super::super::ui::App;",
            &["ssh", "platform"],
            &["ui"],
        ),
    ];
    for (text, module, want) in cases {
        assert_eq!(names(text, module), *want, "{text}");
    }
}

#[test]
fn comments_strings_and_macros_are_not_imports() {
    let cases = [
        "// use crate::ui::App;",
        "/// see [`crate::ui::App`]",
        "/* use crate::ui::App; /* nested */ crate::ui::X */",
        r#"let s = "crate::ui::App";"#,
        r##"let s = r#"crate::ui::App "quoted" "#;"##,
        r#"let s = "escaped \" crate::ui::App";"#,
        "macro_rules! m { () => { $crate::ui::App } }",
        "let c = '\"'; let d = 'x'; fn f<'a>(x: &'a str) {}",
    ];
    for text in cases {
        assert_eq!(names(text, &["probe"]), Vec::<String>::new(), "{text}");
    }
    // The line number survives multi-line literals.
    let text = "let s = \"a\nb\";\n/* c\nd */\nuse crate::ui::App;";
    let module = vec!["probe".to_string()];
    assert_eq!(imports(text, &module), vec![(5, "ui".to_string())]);
}

#[test]
fn the_table_allows_down_and_refuses_up() {
    let ok = [
        ("ssh", "base"),
        ("exec", "ssh"),
        ("rollout", "exec"),
        ("fleet", "rollout"),
        ("engine", "fleet"),
        ("headless", "engine"),
        ("cli", "headless"),
        ("run", "lab"),
        ("lab", "ssh"),
        ("fleet", "testkit"),
    ];
    for (from, to) in ok {
        assert_eq!(verdict(from, to), Ok(()), "{from} -> {to}");
    }
    let refused = [
        ("ssh", "lab"),
        ("engine", "lab"),
        ("ssh", "fleet"),
        ("base", "inventory"),
        ("engine", "cli"),
        ("headless", "cli"),
        ("fleet", "ui"),
        ("ssh", "nowhere"),
    ];
    for (from, to) in refused {
        assert!(verdict(from, to).is_err(), "{from} -> {to}");
    }
}
