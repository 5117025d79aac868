//! `fleetdash platforms`: every platform the process knows, with the file it came from.
//! Descriptions and paths of the user's files are escaped before they reach the terminal.

use std::fmt::Write as _;

use serde::Serialize;

use crate::base::text::{Untrusted, escape_json};
use crate::platforms::{Profile, Registry, Transport};

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    description: &'a str,
    transport: &'static str,
    source: &'a str,
}

fn transport(t: Transport) -> &'static str {
    match t {
        Transport::Shell => "shell",
        Transport::Exec => "exec",
        Transport::ExecOrShell => "exec_or_shell",
    }
}

fn row(p: &Profile) -> Row<'_> {
    Row {
        name: &p.name,
        description: &p.description,
        transport: transport(p.transport),
        source: &p.source,
    }
}

/// One JSON object per platform and line, in name order.
pub fn json_lines(registry: &Registry) -> String {
    registry
        .all()
        .map(|p| escape_json(&serde_json::to_string(&row(p)).expect("rows serialize")) + "\n")
        .collect()
}

/// A table in name order, cells escaped before the columns are measured.
pub fn table(registry: &Registry) -> String {
    let cells: Vec<[String; 4]> = registry
        .all()
        .map(|p| {
            let r = row(p);
            [r.name, r.description, r.transport, r.source].map(|t| Untrusted(t).to_string())
        })
        .collect();
    let width = |i: usize, title: &str| {
        let widest = cells.iter().map(|c| c[i].chars().count()).max();
        widest.unwrap_or(0).max(title.len())
    };
    let (n, d, t) = (
        width(0, "NAME"),
        width(1, "DESCRIPTION"),
        width(2, "TRANSPORT"),
    );
    let mut out = format!(
        "{:<n$}  {:<d$}  {:<t$}  SOURCE\n",
        "NAME", "DESCRIPTION", "TRANSPORT"
    );
    for [name, description, transport, source] in &cells {
        let _ = writeln!(
            out,
            "{name:<n$}  {description:<d$}  {transport:<t$}  {source}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::text::hostile::{SAMPLES, assert_inert};

    #[test]
    fn lists_every_builtin_with_its_file() {
        let r = Registry::builtin();
        let table = table(&r);
        assert!(table.starts_with("NAME "), "{table}");
        let line = table.lines().find(|l| l.starts_with("vyos ")).unwrap();
        assert!(line.contains("VyOS"), "{line}");
        assert!(line.contains("shell"), "{line}");
        assert!(
            line.ends_with("built-in assets/platforms/vyos.yaml"),
            "{line}"
        );
        assert_eq!(table.lines().count(), r.names().count() + 1);
        let rows: Vec<serde_json::Value> = json_lines(&r)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), r.names().count());
        let linux = rows.iter().find(|r| r["name"] == "linux").unwrap();
        assert_eq!(linux["transport"], "exec_or_shell");
    }

    /// A YAML double-quoted scalar holding `text` exactly, every non-ASCII or control
    /// character as a `\u` escape.
    fn yaml_quoted(text: &str) -> String {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' | '\\' => out.extend(['\\', c]),
                ' '..='~' => out.push(c),
                _ => out.push_str(&format!("\\u{:04x}", c as u32)),
            }
        }
        out + "\""
    }

    #[test]
    fn a_users_file_cannot_drive_the_terminal() {
        for hostile in SAMPLES {
            let dir = tempfile::tempdir().unwrap();
            let text = format!(
                "name: acme_os\ndescription: {}\ntransport: shell\nprompt:\n  pattern: '#$'\n",
                yaml_quoted(hostile)
            );
            std::fs::write(dir.path().join("acme_os.yaml"), text).unwrap();
            let r = Registry::with_user_dir(dir.path()).unwrap();
            assert_inert("table", &table(&r));
            let json = json_lines(&r);
            assert_inert("json", &json);
            let acme = json.lines().find(|l| l.contains("acme_os")).unwrap();
            let row: serde_json::Value = serde_json::from_str(acme).unwrap();
            assert_eq!(row["description"], *hostile);
        }
    }
}
