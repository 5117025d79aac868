//! An inventory's `platform:` values against the known platforms: an unknown name is a
//! located error with a did-you-mean and the list, never a silent fallback to the generic
//! shell. The inventory layer sits below this one and knows no platforms, so the check runs
//! here, on the loaded inventory, and locates each bad value in the file it came from.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;

use super::registry::{Registry, registry, user_dir};
use crate::base::files::{self, FileKind};
use crate::base::text::Untrusted;
use crate::inventory::locate::YamlPath;
use crate::inventory::report::Report;
use crate::inventory::suggest::closest;
use crate::inventory::{Inventory, InventoryError, ProblemKind, yaml};

/// [`Inventory::load`], then every device's platform checked against the process's
/// platforms.
pub fn load_inventory(path: &Path) -> Result<Inventory, InventoryError> {
    load_inventory_as(path, None)
}

/// [`load_inventory`] in the given format (`None`: recognised from the path).
pub fn load_inventory_as(
    path: &Path,
    format: Option<crate::inventory::Format>,
) -> Result<Inventory, InventoryError> {
    let inventory = Inventory::load_as(path, format)?;
    check_platforms(&inventory, registry(), || {
        files::read_text(path, FileKind::Inventory).ok()
    })?;
    Ok(inventory)
}

/// Fails when a device's platform is not in `registry`. `text` gives the inventory's YAML
/// to locate the bad values in; it is only read when there is one.
pub fn check_platforms(
    inventory: &Inventory,
    registry: &Registry,
    text: impl FnOnce() -> Option<String>,
) -> Result<(), InventoryError> {
    let unknown: BTreeSet<&str> = inventory
        .devices
        .iter()
        .map(|d| d.platform.as_str())
        .filter(|p| *p != super::AUTODETECT && !registry.contains(p))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let text = text().unwrap_or_default();
    let doc = yaml::parse(&text, &inventory.source).unwrap_or(Value::Null);
    let mut report = Report::new(&text);
    let mut located = BTreeSet::new();
    for (at, value) in written_platforms(&doc) {
        if unknown.contains(value) {
            add(&mut report, registry, at, value);
            located.insert(value);
        }
    }
    // Values the file does not spell as `platform:` (another loader's format, a file that
    // changed since): reported at the top, still named.
    for value in unknown.difference(&located) {
        add(&mut report, registry, YamlPath::root(), value);
    }
    Err(report.into_error(&inventory.source))
}

fn add(report: &mut Report<'_>, registry: &Registry, at: YamlPath, value: &str) {
    let names: Vec<&str> = registry.names().collect();
    let guess = closest(value, names.iter().copied())
        .map(|n| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    let dir = user_dir()
        .map(|d| format!(", or add `{}.yaml` to {}", Untrusted(value), d.display()))
        .unwrap_or_default();
    report.add(
        ProblemKind::UnknownPlatform,
        at,
        format!("unknown platform `{}`", Untrusted(value)),
        Some(format!(
            "{guess}known platforms: {} (`fleetdash platforms` describes them{dir})",
            names.join(", ")
        )),
    );
}

/// Every `platform:` value written in the file: in `defaults`, in each group, on each
/// device (not inside `tags`, where `platform` may be a tag's name).
fn written_platforms(doc: &Value) -> Vec<(YamlPath, &str)> {
    fn take<'v>(out: &mut Vec<(YamlPath, &'v str)>, at: YamlPath, level: &'v Value) {
        if let Some(p) = level.get("platform").and_then(Value::as_str) {
            out.push((at.key("platform"), p));
        }
    }
    let root = YamlPath::root();
    let mut out = Vec::new();
    if let Some(defaults) = doc.get("defaults") {
        take(&mut out, root.key("defaults"), defaults);
    }
    if let Some(Value::Mapping(groups)) = doc.get("groups") {
        for (name, group) in groups {
            if let Some(name) = name.as_str() {
                take(&mut out, root.key("groups").key(name), group);
            }
        }
    }
    if let Some(Value::Sequence(devices)) = doc.get("devices") {
        for (i, device) in devices.iter().enumerate() {
            take(&mut out, root.key("devices").index(i), device);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<(), InventoryError> {
        let inv = Inventory::from_yaml(yaml, "inv.yaml").unwrap();
        check_platforms(&inv, &Registry::builtin(), || Some(yaml.to_string()))
    }

    #[test]
    fn known_platforms_and_the_default_pass() {
        assert!(check("devices:\n  - {name: r1, host: 127.0.0.1}\n").is_ok());
        let yaml = "devices:\n  - {name: r1, host: 127.0.0.1, platform: huawei_vrp}\n";
        assert!(check(yaml).is_ok());
    }

    #[test]
    fn every_place_a_platform_is_written_is_located() {
        // (yaml, line:col of the bad value, the suggestion)
        let cases = [
            (
                "devices:\n  - {name: r1, host: 127.0.0.1, platform: cisco_nxso}\n",
                "inv.yaml:2:",
                "did you mean `cisco_nxos`?",
            ),
            (
                "defaults:\n  platform: huawei_vrpv9\ndevices:\n  - {name: r1, host: 127.0.0.1}\n",
                "inv.yaml:2:13:",
                "did you mean `huawei_vrpv8`?",
            ),
            (
                "groups:\n  core:\n    platform: juniper_junoss\ndevices:\n  - name: r1\n    host: 127.0.0.1\n    groups: [core]\n",
                "inv.yaml:3:15:",
                "did you mean `juniper_junos`?",
            ),
            (
                "devices:\n  - name: r1\n    host: 127.0.0.1\n    platform: vendor_x\n    tags: {platform: lab}\n",
                "inv.yaml:4:15:",
                "known platforms: arista_eos,",
            ),
        ];
        for (yaml, at, help) in cases {
            let e = check(yaml).unwrap_err();
            let text = e.to_string();
            assert_eq!(e.problems().len(), 1, "{text}");
            assert_eq!(e.problems()[0].kind, ProblemKind::UnknownPlatform);
            assert!(text.starts_with(at), "{at}: {text}");
            assert!(text.contains(help), "{help}: {text}");
            assert!(text.contains("vyos"), "the list: {text}");
        }
    }

    #[test]
    fn a_value_the_file_does_not_spell_is_still_named() {
        let inv = Inventory::from_yaml(
            "devices:\n  - {name: r1, host: 127.0.0.1, platform: acme_os}\n",
            "inv.yaml",
        )
        .unwrap();
        let e = check_platforms(&inv, &Registry::builtin(), || None).unwrap_err();
        assert!(e.to_string().contains("unknown platform `acme_os`"), "{e}");
    }
}
