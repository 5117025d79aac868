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
    by_name: HashMap<String, Slot>,
    names: Vec<String>,
}

/// A platform: a user's file, read and checked when the registry was made, or a built-in,
/// compiled when first asked for (compiling every built-in's patterns took most of a
/// one-device `exec`'s CPU time; the built-ins are checked by the tests).
#[derive(Debug)]
struct Slot {
    builtin: Option<&'static str>,
    loaded: OnceLock<&'static Profile>,
}

impl Slot {
    fn profile(&self, name: &str) -> &'static Profile {
        self.loaded.get_or_init(|| {
            let text = self
                .builtin
                .expect("a user's platform is loaded when it is added");
            let origin = format!("built-in assets/platforms/{name}.yaml");
            let p = load::profile(text, name, &origin)
                .unwrap_or_else(|e| panic!("built-in platform {name} is invalid:\n{e}"));
            Box::leak(Box::new(p))
        })
    }
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
            r.insert(
                name.to_string(),
                Slot {
                    builtin: Some(text),
                    loaded: OnceLock::new(),
                },
            );
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
        let loaded = OnceLock::new();
        let _ = loaded.set(p);
        self.insert(
            p.name.clone(),
            Slot {
                builtin: None,
                loaded,
            },
        );
    }

    fn insert(&mut self, name: String, slot: Slot) {
        if self.by_name.insert(name.clone(), slot).is_none() {
            self.names.push(name);
            self.names.sort();
        }
    }

    pub fn get(&self, name: &str) -> Option<&'static Profile> {
        self.by_name.get(name).map(|slot| slot.profile(name))
    }

    /// Whether `name` is a platform (without compiling it).
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Every platform, in name order.
    pub fn all(&self) -> impl Iterator<Item = &'static Profile> + '_ {
        self.names.iter().map(|n| self.by_name[n].profile(n))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(r: &Registry) -> Vec<&str> {
        r.names()
            .filter(|n| r.by_name[*n].loaded.get().is_some())
            .collect()
    }

    /// A run that uses one platform compiles one platform's patterns; a user's file is
    /// checked (and compiled) when the registry is made, so its errors come at start.
    #[test]
    fn built_ins_compile_when_first_used() {
        let r = Registry::builtin();
        assert!(r.contains("cisco_ios") && !r.contains("nope"));
        assert_eq!(compiled(&r), Vec::<&str>::new());
        assert_eq!(r.get("linux").unwrap().name, "linux");
        assert_eq!(compiled(&r), ["linux"]);
        assert!(std::ptr::eq(
            r.get("linux").unwrap(),
            r.get("linux").unwrap()
        ));

        let dir = tempfile::tempdir().unwrap();
        let text = builtin::FILES.iter().find(|(n, _)| *n == "vyos").unwrap().1;
        std::fs::write(dir.path().join("vyos.yaml"), text).unwrap();
        std::fs::write(dir.path().join("broken.yaml"), "name: [").unwrap();
        assert!(Registry::with_user_dir(dir.path()).is_err());
        std::fs::remove_file(dir.path().join("broken.yaml")).unwrap();
        let r = Registry::with_user_dir(dir.path()).unwrap();
        assert_eq!(compiled(&r), ["vyos"]);
        assert!(r.get("vyos").unwrap().source.ends_with("vyos.yaml"));
        assert!(!r.get("vyos").unwrap().source.starts_with("built-in"));
    }
}
