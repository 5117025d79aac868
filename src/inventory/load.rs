//! Entry points: read a file or a string, check it, resolve it.

use std::path::Path;

use super::error::InventoryError;
use super::model::Inventory;
use super::report::Report;
use super::{graph, resolve, schema, yaml};
use crate::base::files::{self, FileKind};

impl Inventory {
    /// Reads, validates and resolves the inventory at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let origin = path.display().to_string();
        let text =
            files::read_text(path, FileKind::Inventory).map_err(|source| InventoryError::Read {
                path: origin.clone(),
                source,
            })?;
        Inventory::from_yaml(&text, &origin)
    }

    /// Validates and resolves inventory YAML. `origin` names the text in messages and becomes
    /// `Inventory::source`.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        // `<<: *anchor` merges are plain YAML convenience: `parse` applies them.
        let doc = yaml::parse(text, origin)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut report = Report::new(text);
        let raw = schema::read(&doc, &mut report);
        graph::check(&raw, &mut report);
        if !report.is_empty() {
            return Err(report.into_error(origin));
        }
        Ok(resolve::resolve(raw, origin))
    }
}
