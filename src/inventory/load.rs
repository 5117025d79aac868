//! Entry points: read a file or a string, check it, resolve it.

use std::path::Path;

use serde_yaml::Value;

use super::error::InventoryError;
use super::model::Inventory;
use super::report::{Report, syntax_error};
use super::{graph, resolve, schema};

impl Inventory {
    /// Reads, validates and resolves the inventory at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: origin.clone(),
            source,
        })?;
        Inventory::from_yaml(&text, &origin)
    }

    /// Validates and resolves inventory YAML. `origin` names the text in messages and becomes
    /// `Inventory::source`.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        let mut doc: Value =
            serde_yaml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
        // `<<: *anchor` merges are plain YAML convenience; apply them before checking.
        doc.apply_merge()
            .map_err(|e| syntax_error(origin, text, &e))?;
        let mut report = Report::new(text);
        let raw = schema::read(&doc, &mut report);
        graph::check(&raw, &mut report);
        if !report.is_empty() {
            return Err(report.into_error(origin));
        }
        Ok(resolve::resolve(raw, origin))
    }
}
