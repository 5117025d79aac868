//! The files a foreign inventory (Ansible, Nornir, containerlab) is read from, and the
//! problems found in them: each problem names its file and where in it (a line and column
//! for INI, a YAML path located only when the error is shown), so a loader that reads many
//! files reports `file:line:col` like the own format does.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::error::{InventoryError, Problem, ProblemKind};
use super::locate::{YamlPath, locate};
use crate::base::files::{self, FileKind};

/// Most files one inventory may read (inventory files, group_vars, host_vars…).
pub(crate) const MAX_FILES: usize = 10_000;
/// Most bytes all files of one inventory may hold together.
pub(crate) const MAX_TOTAL_BYTES: usize = 256 << 20;
/// Problems located and shown; more are counted.
const MAX_SHOWN: usize = 10;

/// Index of a file in [`Sources`].
pub(crate) type FileId = usize;

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Pos {
    /// 1-based line and column (INI files).
    Line(usize, usize),
    /// A node of a YAML file, located on demand.
    Yaml(YamlPath),
}

/// A place in one of the files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Where {
    pub(crate) file: FileId,
    pub(crate) pos: Pos,
}

impl Where {
    pub(crate) fn yaml(file: FileId, at: YamlPath) -> Self {
        Where {
            file,
            pos: Pos::Yaml(at),
        }
    }

    pub(crate) fn line(file: FileId, line: usize, column: usize) -> Self {
        Where {
            file,
            pos: Pos::Line(line, column),
        }
    }
}

struct Pending {
    at: Where,
    kind: ProblemKind,
    message: String,
    help: Option<String>,
}

/// Every file read so far (kept for locating problems) and the problems found.
#[derive(Default)]
pub(crate) struct Sources {
    paths: Vec<PathBuf>,
    texts: Vec<String>,
    total: usize,
    pending: Vec<Pending>,
    seen: HashSet<(Where, String)>,
    /// Things worth saying that are not errors (a vault file skipped, …).
    pub(crate) notes: Vec<String>,
}

impl Sources {
    /// Reads `path` (bounded like every inventory file) and keeps it.
    pub(crate) fn read(&mut self, path: &Path) -> Result<FileId, InventoryError> {
        let origin = path.display().to_string();
        let error = |source| InventoryError::Read {
            path: origin.clone(),
            source,
        };
        if self.paths.len() >= MAX_FILES {
            return Err(too_many(&origin, format!("more than {MAX_FILES} files")));
        }
        let text = files::read_text(path, FileKind::Inventory).map_err(error)?;
        self.total += text.len();
        if self.total > MAX_TOTAL_BYTES {
            let limit = MAX_TOTAL_BYTES >> 20;
            return Err(too_many(&origin, format!("more than {limit} MiB of files")));
        }
        self.paths.push(path.to_owned());
        self.texts.push(text);
        Ok(self.paths.len() - 1)
    }

    pub(crate) fn text(&self, file: FileId) -> &str {
        &self.texts[file]
    }

    pub(crate) fn origin(&self, file: FileId) -> String {
        self.paths[file].display().to_string()
    }

    pub(crate) fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Records a problem; the same message at the same place is recorded once (a group
    /// variable is checked for every host that inherits it).
    pub(crate) fn add(
        &mut self,
        kind: ProblemKind,
        at: Where,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let message = message.into();
        if self.seen.insert((at.clone(), message.clone())) {
            self.pending.push(Pending {
                at,
                kind,
                message,
                help,
            });
        }
    }

    pub(crate) fn has_problems(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The problems of the first file that has any, located and sorted; the others are
    /// counted as not shown.
    pub(crate) fn into_error(self) -> InventoryError {
        let first = self.pending.iter().map(|p| p.at.file).min().unwrap_or(0);
        let total = self.pending.len();
        let mut problems: Vec<Problem> = self
            .pending
            .into_iter()
            .filter(|p| p.at.file == first)
            .take(MAX_SHOWN)
            .map(|p| {
                let (line, column) = match &p.at.pos {
                    Pos::Line(line, column) => (*line, *column),
                    Pos::Yaml(at) => {
                        let text = &self.texts[first];
                        locate(text.strip_prefix('\u{feff}').unwrap_or(text), at)
                    }
                };
                Problem {
                    kind: p.kind,
                    line,
                    column,
                    message: p.message,
                    help: p.help,
                }
            })
            .collect();
        problems.sort_by_key(|p| (p.line, p.column));
        InventoryError::Invalid {
            origin: self
                .paths
                .get(first)
                .map_or_else(|| "<inventory>".to_owned(), |p| p.display().to_string()),
            omitted: total - problems.len(),
            problems,
        }
    }
}

fn too_many(origin: &str, what: String) -> InventoryError {
    InventoryError::Invalid {
        origin: origin.to_owned(),
        problems: vec![Problem {
            kind: ProblemKind::InvalidValue,
            line: 1,
            column: 1,
            message: format!("the inventory reads {what}; stopped at this file"),
            help: Some("is this the right directory? inventories this large are not read".into()),
        }],
        omitted: 0,
    }
}
