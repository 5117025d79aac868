//! Entry points: read a file or a directory in any format fleetdash knows, check it,
//! resolve it. Every command loads inventories through [`Inventory::load`].

use std::path::Path;

use super::error::InventoryError;
use super::format::{self, Format, Provenance, Read};
use super::model::Inventory;
use super::raw::RawInventory;
use super::report::Report;
use super::sources::Sources;
use super::{ansible, containerlab, direct, graph, nornir, resolve, schema, yaml};
use crate::base::files::{self, FileKind};

impl Inventory {
    /// Reads, validates and resolves the inventory at `path`, in the format its names and
    /// content show; errors name the file.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        Inventory::load_as(path, None)
    }

    /// [`Inventory::load`] in the given format (`None`: recognise it).
    pub fn load_as(path: &Path, format: Option<Format>) -> Result<Inventory, InventoryError> {
        let (format, read) = match format {
            Some(f) => (f, None),
            None => format::detect_read(path),
        };
        let origin = path.display().to_string();
        let foreign = |(raw, sources): (RawInventory, Sources)| -> Inventory {
            let mut inv = resolve::resolve(raw, &origin);
            for note in &sources.notes {
                tracing::warn!("inventory: {}", crate::base::text::escape_line(note));
            }
            inv.provenance = Provenance {
                format,
                files: sources.paths().to_vec(),
                notes: sources.notes,
            };
            inv
        };
        match format {
            Format::Own if read.is_some() => {
                let mut inv = match read.expect("checked") {
                    Read::Own(inv) => inv,
                    Read::Parsed(text, doc) => Inventory::from_doc(&text, doc, &origin)?,
                };
                inv.provenance.files = vec![path.to_owned()];
                Ok(inv)
            }
            Format::Own => {
                let text = files::read_text(path, FileKind::Inventory).map_err(|source| {
                    InventoryError::Read {
                        path: origin.clone(),
                        source,
                    }
                })?;
                let mut inv = Inventory::from_yaml(&text, &origin)?;
                inv.provenance.files = vec![path.to_owned()];
                Ok(inv)
            }
            Format::Ansible => ansible::load(path).map(foreign),
            Format::Nornir => nornir::load(path).map(foreign),
            Format::Containerlab => {
                let (raw, sources, links) = containerlab::load(path)?;
                let mut inv = foreign((raw, sources));
                inv.links = links;
                Ok(inv)
            }
        }
    }

    /// Validates and resolves inventory YAML in the own format. `origin` names the text in
    /// messages and becomes `Inventory::source`.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        // Generated inventories are plain block YAML: read straight into the model when
        // valid; anything else (and every error) takes the general path.
        if let Some(inv) = direct::load(text, origin) {
            return Ok(inv);
        }
        Inventory::from_yaml_general(text, origin)
    }

    /// [`Inventory::from_yaml`] through the YAML tree, the checks over it and resolution.
    pub(crate) fn from_yaml_general(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        // `<<: *anchor` merges are plain YAML convenience: `parse` applies them.
        let doc = yaml::parse(text, origin)?;
        Inventory::from_doc(text, doc, origin)
    }

    /// [`Inventory::from_yaml`] of `text` already parsed into `doc` (by [`yaml::parse`]).
    fn from_doc(
        text: &str,
        doc: serde_yaml::Value,
        origin: &str,
    ) -> Result<Inventory, InventoryError> {
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
