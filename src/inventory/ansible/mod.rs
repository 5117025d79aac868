//! Ansible inventories: INI and YAML files, or a directory of them, with the
//! `group_vars/` and `host_vars/` beside them. Read into a [`model::Model`] as Ansible's
//! plugins build it, merged with Ansible's precedence (`resolve`), then handed to the common
//! resolution as devices whose attributes are already final.

mod ini;
mod model;
pub(crate) mod ranges;
mod resolve;
mod vars;
mod yaml;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_yaml::Value;

use super::error::{InventoryError, Problem, ProblemKind};
use super::raw::RawInventory;
use super::sources::Sources;
use model::Model;

/// Most nesting of directories read when the inventory is a directory.
const MAX_DIR_DEPTH: usize = 8;

/// Reads the Ansible inventory at `path` (a file or a directory).
pub(crate) fn load(path: &Path) -> Result<(RawInventory, Sources), InventoryError> {
    let mut sources = Sources::default();
    let mut model = Model::default();
    let basedir = if path.is_dir() {
        read_dir(&mut model, &mut sources, path, 0)?;
        path.to_owned()
    } else {
        read_file(&mut model, &mut sources, path)?;
        path.parent().unwrap_or(Path::new(".")).to_owned()
    };
    if sources.has_problems() {
        return Err(sources.into_error());
    }
    model.reconcile();
    vars::read(&mut model, &mut sources, &basedir)?;
    if model.hosts.is_empty() && !sources.has_problems() {
        return Err(InventoryError::Invalid {
            origin: path.display().to_string(),
            problems: vec![Problem {
                kind: ProblemKind::Empty,
                line: 1,
                column: 1,
                message: "the Ansible inventory defines no hosts".into(),
                help: Some(
                    "add hosts under a group, e.g. `[routers]` then `r1 ansible_host=127.0.0.1`"
                        .into(),
                ),
            }],
            omitted: 0,
        });
    }
    let raw = resolve::raw(&model, &mut sources);
    if sources.has_problems() {
        return Err(sources.into_error());
    }
    Ok((raw, sources))
}

/// Names Ansible skips in an inventory directory.
fn ignored(name: &str) -> bool {
    const EXTS: [&str; 12] = [
        ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg",
        ".retry",
    ];
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || EXTS.iter().any(|e| name.ends_with(e))
}

fn read_dir(
    model: &mut Model,
    sources: &mut Sources,
    dir: &Path,
    depth: usize,
) -> Result<(), InventoryError> {
    if depth > MAX_DIR_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| InventoryError::Read {
        path: dir.display().to_string(),
        source: crate::base::files::ReadError::Io(e),
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .take(super::sources::MAX_FILES + 1)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !ignored(n))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        if path.is_dir() {
            read_dir(model, sources, &path, depth + 1)?;
        } else {
            read_file(model, sources, &path)?;
        }
    }
    Ok(())
}

fn read_file(model: &mut Model, sources: &mut Sources, path: &Path) -> Result<(), InventoryError> {
    let file = sources.read(path)?;
    let text = sources.text(file);
    let refuse = |message: &str, help: &str| InventoryError::Invalid {
        origin: path.display().to_string(),
        problems: vec![Problem {
            kind: ProblemKind::InvalidValue,
            line: 1,
            column: 1,
            message: message.to_owned(),
            help: Some(help.to_owned()),
        }],
        omitted: 0,
    };
    if text.trim_start().starts_with(vars::VAULT_HEADER) {
        return Err(refuse(
            "the inventory is encrypted with ansible-vault, which fleetdash does not read",
            "keep the inventory itself in clear text and only secrets in vault files",
        ));
    }
    let executable = std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
    if executable && text.starts_with("#!") {
        return Err(refuse(
            "this is an inventory script; fleetdash does not run scripts",
            "save what it returns as a static inventory: `ansible-inventory -i SCRIPT --list --yaml > inventory.yml`",
        ));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let yaml = match ext {
        "yml" | "yaml" | "json" => true,
        "" => matches!(serde_yaml::from_str::<Value>(text), Ok(Value::Mapping(m)) if !m.is_empty()),
        _ => false,
    };
    if yaml {
        let doc = super::yaml::parse(text, &sources.origin(file))?;
        yaml::read(model, sources, file, &doc);
    } else {
        ini::read(model, sources, file);
    }
    Ok(())
}
