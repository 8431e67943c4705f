//! `syncdict check-config --render OUTPUT`: one output rendered from the
//! edge's snapshot (what the edge would write at start). Every template was
//! compiled already when the settings were validated.

use super::{load_template, render, view, OutputError};
use crate::configuration::Settings;
use crate::edge::snapshot;
use crate::edge::store::EdgeStore;

/// The bytes of the output named `wanted` (its path, or its index from 0),
/// rendered from the snapshot (no snapshot: no records).
pub fn render_output(settings: &Settings, wanted: &str) -> Result<Vec<u8>, OutputError> {
    let o = settings
        .output
        .iter()
        .find(|o| o.name() == wanted)
        .or_else(|| settings.output.get(wanted.parse::<usize>().ok()?))
        .ok_or_else(|| OutputError {
            output: wanted.to_string(),
            why: format!("no such output ({} configured)", settings.output.len()),
        })?;
    let fail = |why: String| OutputError {
        output: o.name(),
        why,
    };
    let c = &settings.client;
    let store = EdgeStore::for_client(c, u64::MAX / 4);
    if let Some(path) = &c.snapshot_path {
        if let Ok(bytes) = std::fs::read(path) {
            snapshot::restore(&bytes, &store)
                .map_err(|why| fail(format!("snapshot {}: {why}", path.display())))?;
        }
    }
    render(
        o.format,
        load_template(o)?.as_ref(),
        &view(o, &store, crate::domain::now_us()),
    )
    .map_err(|e| fail(e.to_string()))
}
