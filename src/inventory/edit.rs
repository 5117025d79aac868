//! Writing values back into an inventory file the way a person would: the text stays as
//! it was (comments, order, layout), and only `platform:` of the named devices is set —
//! replaced where the device has one, added after its `name:` otherwise. The edited text is
//! loaded again and must resolve to exactly what was asked, or nothing is written.

use serde_yaml::Value;

use super::locate::{YamlPath, locate};
use super::model::Inventory;
use super::yaml;

/// Why the file could not be edited.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: cannot record the platforms in this file: {why}")]
pub struct EditError {
    origin: String,
    why: String,
}

/// A device to add to an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub name: String,
    pub host: String,
    /// `None`: the default (22).
    pub port: Option<u16>,
    pub platform: Option<String>,
}

impl NewDevice {
    fn line(&self) -> String {
        let mut line = format!("{{name: {}, host: {}", self.name, yaml_scalar(&self.host));
        if let Some(port) = self.port {
            line.push_str(&format!(", port: {port}"));
        }
        if let Some(p) = &self.platform {
            line.push_str(&format!(", platform: {p}"));
        }
        line.push('}');
        line
    }
}

/// IPv6 addresses hold `:`: quoted so YAML reads them as one string.
fn yaml_scalar(text: &str) -> String {
    match text.contains(':') {
        true => format!("'{text}'"),
        false => text.to_string(),
    }
}

/// `text` (an inventory, or `None` for a new one) with `devices` added at the top of its
/// `devices:` list, except those whose host and port it already has (returned apart). The
/// rest of the file stays as it was.
pub fn add_devices(
    text: Option<&str>,
    origin: &str,
    devices: &[NewDevice],
) -> Result<(String, Vec<NewDevice>), EditError> {
    let fail = |why: String| EditError {
        origin: origin.to_string(),
        why,
    };
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        let mut out = String::from("# Written by `fleetdash discover`.\ndevices:\n");
        for d in devices {
            out.push_str(&format!("  - {}\n", d.line()));
        }
        verify_added(&out, origin, devices).map_err(fail)?;
        return Ok((out, Vec::new()));
    };
    let existing = Inventory::from_yaml(text, origin).map_err(|e| fail(e.to_string()))?;
    let (known, new): (Vec<NewDevice>, Vec<NewDevice>) = devices.iter().cloned().partition(|d| {
        existing
            .devices
            .iter()
            .any(|e| e.host == d.host && e.port == d.port.unwrap_or(22))
    });
    let mut taken: std::collections::HashSet<String> =
        existing.devices.iter().map(|d| d.name.clone()).collect();
    let new: Vec<NewDevice> = new
        .into_iter()
        .map(|mut d| {
            // A name the file already uses gets a suffix rather than a duplicate.
            let base = d.name.clone();
            let mut n = 2;
            while !taken.insert(d.name.clone()) {
                d.name = format!("{base}-{n}");
                n += 1;
            }
            d
        })
        .collect();
    if new.is_empty() {
        return Ok((text.to_string(), known));
    }
    let first = YamlPath::root().key("devices").index(0);
    let at = offset(text, locate(text, &first));
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let indent: String = text[line_start..at]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let lines: String = new
        .iter()
        .map(|d| format!("{indent}- {}\n", d.line()))
        .collect();
    let mut out = text.to_string();
    out.insert_str(line_start, &lines);
    verify_added(&out, origin, &new).map_err(fail)?;
    if out.len() < text.len()
        || Inventory::from_yaml(&out, origin)
            .map(|i| i.devices.len())
            .ok()
            != Some(existing.devices.len() + new.len())
    {
        return Err(fail(
            "the new devices would not fit into its `devices:` list".into(),
        ));
    }
    Ok((out, known))
}

fn verify_added(text: &str, origin: &str, devices: &[NewDevice]) -> Result<(), String> {
    let inv = Inventory::from_yaml(text, origin)
        .map_err(|e| format!("the result would not load: {e}"))?;
    for d in devices {
        if !inv
            .devices
            .iter()
            .any(|e| e.name == d.name && e.host == d.host)
        {
            return Err(format!("`{}` would not be in it", d.name));
        }
    }
    Ok(())
}

/// `text` with `platform:` set on each `(device, platform)` in `changes`.
pub fn set_platforms(
    text: &str,
    origin: &str,
    changes: &[(String, String)],
) -> Result<String, EditError> {
    let fail = |why: String| EditError {
        origin: origin.to_string(),
        why,
    };
    let doc = yaml::parse(text, origin).map_err(|e| fail(e.to_string()))?;
    let Some(Value::Sequence(devices)) = doc.get("devices") else {
        return Err(fail(
            "it has no `devices:` list (only fleetdash inventories can be edited)".into(),
        ));
    };
    // Edits are applied from the end of the file backwards so earlier offsets stay valid.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (device, platform) in changes {
        let Some(i) = devices
            .iter()
            .position(|d| d.get("name").and_then(Value::as_str) == Some(device.as_str()))
        else {
            return Err(fail(format!("device `{device}` is not listed in it")));
        };
        let at = YamlPath::root().key("devices").index(i);
        let entry = &devices[i];
        let edit = match entry.get("platform") {
            Some(_) => {
                let start = offset(text, locate(text, &at.key("platform")));
                let end = start + scalar_len(&text[start..]);
                (start, end, platform.clone())
            }
            None => {
                let name_at = offset(text, locate(text, &at.key("name")));
                let name_end = name_at + scalar_len(&text[name_at..]);
                let key_col = locate(text, &at.key_node("name")).1;
                if flow_entry(text, name_at) {
                    (name_end, name_end, format!(", platform: {platform}"))
                } else {
                    let line_end = text[name_end..]
                        .find('\n')
                        .map_or(text.len(), |n| name_end + n);
                    let indent = " ".repeat(key_col - 1);
                    (
                        line_end,
                        line_end,
                        format!("\n{indent}platform: {platform}"),
                    )
                }
            }
        };
        edits.push(edit);
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, with) in edits {
        out.replace_range(start..end, &with);
    }
    verify(&out, origin, changes).map_err(fail)?;
    Ok(out)
}

/// The edited inventory must load and give each changed device its new platform.
fn verify(text: &str, origin: &str, changes: &[(String, String)]) -> Result<(), String> {
    let inv = Inventory::from_yaml(text, origin)
        .map_err(|e| format!("the result would not load: {e}"))?;
    for (device, platform) in changes {
        let got = inv
            .devices
            .iter()
            .find(|d| &d.name == device)
            .map(|d| d.platform.as_str());
        if got != Some(platform.as_str()) {
            return Err(format!(
                "`{device}` would resolve to platform {got:?}, not `{platform}` (anchors or merges?)"
            ));
        }
    }
    Ok(())
}

/// Byte offset of a 1-based (line, column) position (columns count characters).
fn offset(text: &str, (line, column): (usize, usize)) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = &text[line_start..];
    line_start
        + rest
            .char_indices()
            .nth(column - 1)
            .map_or(rest.len(), |(i, _)| i)
}

/// Length of the plain or quoted scalar at the start of `text`.
fn scalar_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, q @ ('\'' | '"'))) => chars
            .find(|&(_, c)| c == q)
            .map_or(text.len(), |(i, c)| i + c.len_utf8()),
        _ => {
            text.find([',', '}', ']', '\n', '#'])
                .map_or(text.len(), |n| n)
                - trailing_spaces(text)
        }
    }
}

fn trailing_spaces(text: &str) -> usize {
    let end = text.find([',', '}', ']', '\n', '#']).unwrap_or(text.len());
    let token = &text[..end];
    token.len() - token.trim_end().len()
}

/// Whether the device at `name_at` is written as a `{…}` flow mapping.
fn flow_entry(text: &str, name_at: usize) -> bool {
    let line_start = text[..name_at].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..name_at].contains('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, changes: &[(&str, &str)]) -> Result<String, EditError> {
        let changes: Vec<(String, String)> = changes
            .iter()
            .map(|(d, p)| (d.to_string(), p.to_string()))
            .collect();
        set_platforms(text, "inv.yaml", &changes)
    }

    #[test]
    fn flow_and_block_entries_keep_their_layout_and_comments() {
        let text = "# my fleet\n\
                    devices:\n\
                    \x20 - {name: r1, host: 127.0.0.1}   # core\n\
                    \x20 - {name: 'r2', host: 127.0.0.2, platform: autodetect}\n\
                    \x20 - name: r3\n\
                    \x20   host: 127.0.0.3  # rack 4\n\
                    \x20 - name: r4\n\
                    \x20   platform: autodetect # to find\n\
                    \x20   host: 127.0.0.4\n";
        let out = set(
            text,
            &[
                ("r1", "cisco_ios"),
                ("r2", "arista_eos"),
                ("r3", "juniper_junos"),
                ("r4", "linux"),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "# my fleet\n\
             devices:\n\
             \x20 - {name: r1, platform: cisco_ios, host: 127.0.0.1}   # core\n\
             \x20 - {name: 'r2', host: 127.0.0.2, platform: arista_eos}\n\
             \x20 - name: r3\n\
             \x20   platform: juniper_junos\n\
             \x20   host: 127.0.0.3  # rack 4\n\
             \x20 - name: r4\n\
             \x20   platform: linux # to find\n\
             \x20   host: 127.0.0.4\n"
        );
    }

    #[test]
    fn added_devices_go_on_top_of_the_list_and_known_hosts_are_skipped() {
        let new = |name: &str, host: &str| NewDevice {
            name: name.into(),
            host: host.into(),
            port: None,
            platform: Some("cisco_ios".into()),
        };
        let text =
            "# keep me\ndefaults: {port: 22}\ndevices:\n    - {name: r1, host: 127.0.0.1}  # one\n";
        let (out, known) = add_devices(
            Some(text),
            "inv.yaml",
            &[
                new("ip-127-0-0-1", "127.0.0.1"),
                new("r1", "127.0.0.2"),
                new("ip-6", "::1"),
            ],
        )
        .unwrap();
        assert_eq!(known.len(), 1);
        assert_eq!(
            out,
            "# keep me\ndefaults: {port: 22}\ndevices:\n    \
             - {name: r1-2, host: 127.0.0.2, platform: cisco_ios}\n    \
             - {name: ip-6, host: '::1', platform: cisco_ios}\n    \
             - {name: r1, host: 127.0.0.1}  # one\n"
        );
        let (fresh, _) = add_devices(None, "new.yaml", &[new("a", "127.0.0.9")]).unwrap();
        assert!(Inventory::from_yaml(&fresh, "new.yaml").is_ok(), "{fresh}");
    }

    #[test]
    fn unknown_devices_and_other_formats_are_refused() {
        let text = "devices:\n  - {name: r1, host: 127.0.0.1}\n";
        assert!(
            set(text, &[("r9", "linux")])
                .unwrap_err()
                .to_string()
                .contains("`r9` is not listed")
        );
        assert!(set("all:\n  hosts: {}\n", &[("r1", "linux")]).is_err());
    }
}
