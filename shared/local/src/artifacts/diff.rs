//! The local store's side of [`baton_core::artifact_diff`]: a stored version's inventory from
//! its listing, no file read.

use std::path::Path;

pub use baton_core::artifact_diff::{Change, FileChange, Inventory, compare};

use crate::error::LocalError;

/// The inventory of a directory.
pub fn inventory(root: &Path) -> Result<Inventory, LocalError> {
    baton_core::artifact_diff::inventory(root).map_err(LocalError::io(root))
}

/// The inventory of a stored version's listing: no file is read.
pub fn listed(listing: &Path) -> Result<Inventory, LocalError> {
    Ok(crate::artifacts::blobs::read_listing(listing)?
        .into_iter()
        .filter_map(|e| match e {
            crate::artifacts::blobs::Entry::File { path, sha256, size, .. } => Some((path, (size, sha256))),
            crate::artifacts::blobs::Entry::Link { path, target } => Some((path, (0, format!("-> {target}")))),
            crate::artifacts::blobs::Entry::Dir { .. } => None,
        })
        .collect())
}
