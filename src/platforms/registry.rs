//! Every platform the process knows: the built-ins, then the user's own files (which add
//! platforms or replace a built-in of the same name). One registry per process, installed
//! at start; code that runs before (or without) an install sees the built-ins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::error::PlatformError;
use super::{Profile, builtin, load};
use crate::base::files::{self, FileKind};

/// More user files than this is a mistake (a wrong directory), not a fleet.
const MAX_USER_FILES: usize = 512;

/// The platforms by name, in name order.
#[derive(Debug)]
pub struct Registry {
    by_name: HashMap<String, &'static Profile>,
    names: Vec<String>,
}

static INSTALLED: OnceLock<Registry> = OnceLock::new();

impl Registry {
    /// The built-in platforms only.
    pub fn builtin() -> Registry {
        let mut r = Registry {
            by_name: HashMap::new(),
            names: Vec::new(),
        };
        for (name, text) in builtin::FILES {
            let origin = format!("built-in assets/platforms/{name}.yaml");
            let p = load::profile(text, name, &origin)
                .unwrap_or_else(|e| panic!("built-in platform {name} is invalid:\n{e}"));
            r.add(p);
        }
        r
    }

    /// The built-ins plus every `*.yaml` in `dir` (a missing directory adds nothing).
    pub fn with_user_dir(dir: &Path) -> Result<Registry, PlatformError> {
        let mut r = Registry::builtin();
        for path in user_files(dir)? {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let origin = path.display().to_string();
            let text = files::read_text(&path, FileKind::Platform).map_err(|source| {
                PlatformError::Read {
                    path: origin.clone(),
                    source,
                }
            })?;
            r.add(load::profile(&text, &stem, &origin)?);
        }
        Ok(r)
    }

    fn add(&mut self, p: Profile) {
        let p: &'static Profile = Box::leak(Box::new(p));
        if self.by_name.insert(p.name.clone(), p).is_none() {
            self.names.push(p.name.clone());
            self.names.sort();
        }
    }

    pub fn get(&self, name: &str) -> Option<&'static Profile> {
        self.by_name.get(name).copied()
    }

    /// Every platform, in name order.
    pub fn all(&self) -> impl Iterator<Item = &'static Profile> + '_ {
        self.names.iter().map(|n| self.by_name[n])
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

fn user_files(dir: &Path) -> Result<Vec<PathBuf>, PlatformError> {
    let read_err = |source: std::io::Error| PlatformError::Read {
        path: dir.display().to_string(),
        source: files::ReadError::Io(source),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            paths.push(path);
        }
        if paths.len() > MAX_USER_FILES {
            return Err(read_err(std::io::Error::other(format!(
                "more than {MAX_USER_FILES} platform files"
            ))));
        }
    }
    paths.sort();
    Ok(paths)
}

/// Makes `registry` the process's platforms. Fails if platforms were already looked up.
pub fn install(registry: Registry) -> Result<(), Registry> {
    INSTALLED.set(registry)
}

/// Installs the built-ins plus the user's directory, once at start. A bad user file is the
/// user's error (located, for exit 2). A registry already in use stays as it is.
pub fn install_user_platforms() -> Result<(), PlatformError> {
    let registry = match user_dir() {
        Some(dir) => Registry::with_user_dir(&dir)?,
        None => Registry::builtin(),
    };
    let _ = install(registry);
    Ok(())
}

/// The process's platforms (the built-ins if none was installed).
pub fn registry() -> &'static Registry {
    INSTALLED.get_or_init(Registry::builtin)
}

/// The user's platform directory, if there is a home to hold it.
pub fn user_dir() -> Option<PathBuf> {
    crate::base::paths::platforms_dir()
}

/// The driver for an inventory platform name. Inventories are checked against the registry
/// when they load, so an unknown name only reaches here from hand-built targets: those get
/// the generic shell driver.
pub fn profile(platform: &str) -> &'static Profile {
    let r = registry();
    r.get(platform)
        .or_else(|| r.get("generic"))
        .expect("the generic platform is built in")
}
