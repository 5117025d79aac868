//! `group_vars/` and `host_vars/` next to the inventory, found as Ansible's
//! `host_group_vars` plugin finds them: for a name, the first of `NAME`, `NAME.yml`,
//! `NAME.yaml`, `NAME.json` that exists; a directory is read whole (sorted, recursively,
//! hidden files and backups skipped); later files replace earlier keys. Vault-encrypted
//! files are skipped with a note: fleetdash never decrypts.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::model::{Model, Var, Vars, set_var};
use crate::base::text::Untrusted;
use crate::inventory::error::{InventoryError, ProblemKind as K};
use crate::inventory::locate::YamlPath;
use crate::inventory::sources::{MAX_FILES, Sources, Where};
use crate::inventory::values::scalar_text;

const EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];
/// Deepest directory nesting read under a `group_vars/NAME/` directory.
const MAX_DIR_DEPTH: usize = 8;
/// The first line of an `ansible-vault` file.
pub(crate) const VAULT_HEADER: &str = "$ANSIBLE_VAULT;";

/// Reads the `group_vars/` and `host_vars/` of `basedir` into the model's `file_vars`.
pub(crate) fn read(
    model: &mut Model,
    sources: &mut Sources,
    basedir: &Path,
) -> Result<(), InventoryError> {
    let groups = Dir::list(&basedir.join("group_vars"));
    if !groups.entries.is_empty() {
        for g in 0..model.groups.len() {
            let name = model.groups[g].name.clone();
            for path in groups.files_for(&name)? {
                merge(&mut model.groups[g].file_vars, sources, &path)?;
            }
        }
    }
    let hosts = Dir::list(&basedir.join("host_vars"));
    if !hosts.entries.is_empty() {
        for h in 0..model.hosts.len() {
            let name = model.hosts[h].name.clone();
            if name.starts_with('/') {
                continue;
            }
            for path in hosts.files_for(&name)? {
                merge(&mut model.hosts[h].file_vars, sources, &path)?;
            }
        }
    }
    Ok(())
}

/// A `group_vars` or `host_vars` directory, listed once.
struct Dir {
    path: PathBuf,
    entries: HashSet<String>,
}

impl Dir {
    fn list(path: &Path) -> Dir {
        let entries = std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .take(MAX_FILES + 1)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        Dir {
            path: path.to_owned(),
            entries,
        }
    }

    /// The files for `name`, in the order Ansible merges them.
    fn files_for(&self, name: &str) -> Result<Vec<PathBuf>, InventoryError> {
        let Some(found) = std::iter::once("")
            .chain(EXTENSIONS)
            .map(|ext| format!("{name}{ext}"))
            .find(|candidate| self.entries.contains(candidate))
        else {
            return Ok(Vec::new());
        };
        let path = self.path.join(found);
        if path.is_dir() {
            let mut files = Vec::new();
            dir_files(&path, 0, &mut files);
            Ok(files)
        } else {
            Ok(vec![path])
        }
    }
}

fn dir_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DIR_DEPTH || out.len() > MAX_FILES {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .take(MAX_FILES + 1)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = Path::new(&name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()));
        if path.is_dir() && ext.is_none() {
            dir_files(&path, depth + 1, out);
        } else if path.is_file() && ext.as_deref().is_none_or(|e| EXTENSIONS.contains(&e)) {
            out.push(path);
        }
    }
}

/// Reads one vars file and lets its keys replace those in `vars`.
fn merge(vars: &mut Vars, sources: &mut Sources, path: &Path) -> Result<(), InventoryError> {
    let file = sources.read(path)?;
    let text = sources.text(file);
    if text.trim_start().starts_with(VAULT_HEADER) {
        sources.notes.push(format!(
            "{} is encrypted with ansible-vault: not read (fleetdash never decrypts); \
             for passwords, export them and name the variable with `fleetdash_password_env`",
            Untrusted(&path.display().to_string())
        ));
        return Ok(());
    }
    let doc = crate::inventory::yaml::parse(text, &sources.origin(file))?;
    let root = YamlPath::root();
    match doc {
        Value::Null => {}
        Value::Mapping(map) => {
            for (k, v) in map {
                let key = scalar_text(&k).unwrap_or_default();
                let at = Where::yaml(file, root.key(&key));
                set_var(vars, &key, Var { value: v, at });
            }
        }
        _ => sources.add(
            K::InvalidValue,
            Where::yaml(file, root),
            "a variables file must be a mapping of `name: value` lines",
            Some("write one `name: value` per line, e.g. `ansible_user: admin`".into()),
        ),
    }
    Ok(())
}

/// Whether a model variable came from a vault (`!vault |` tag).
pub(crate) fn is_vault(value: &Value) -> bool {
    matches!(value, Value::Tagged(t) if t.tag == "vault")
}

/// The value under Ansible's `!unsafe` tag (which only stops templating) or the value.
pub(crate) fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(t) if t.tag == "unsafe" => &t.value,
        other => other,
    }
}
