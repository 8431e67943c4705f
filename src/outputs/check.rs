//! `syncdict check-config`'s part for outputs: every template loads (an
//! error names the file and line), and `--render OUTPUT` prints one output
//! rendered from the edge's snapshot (what the edge would write at start).

use super::{load_template, render, view, OutputError};
use crate::configuration::Settings;
use crate::edge::snapshot;
use crate::edge::store::EdgeStore;

/// Loads every output's template; with `render` (an output's path, or its
/// index from 0), answers that output's bytes from the snapshot (no
/// snapshot: no records).
pub fn check(
    settings: &Settings,
    render_one: Option<&str>,
) -> Result<Option<Vec<u8>>, OutputError> {
    let mut templates = Vec::with_capacity(settings.output.len());
    for o in &settings.output {
        templates.push(load_template(o)?);
    }
    let Some(wanted) = render_one else {
        return Ok(None);
    };
    let index = settings
        .output
        .iter()
        .position(|o| o.name() == wanted)
        .or_else(|| wanted.parse().ok().filter(|i| *i < settings.output.len()))
        .ok_or_else(|| OutputError {
            output: wanted.to_string(),
            why: format!("no such output ({} configured)", settings.output.len()),
        })?;
    let o = &settings.output[index];
    let c = &settings.client;
    let namespaces = c.namespaces.iter().map(|ns| (ns.clone(), None)).collect();
    let store = EdgeStore::with_namespaces(namespaces, u64::MAX / 4);
    if let Some(path) = &c.snapshot_path {
        if let Ok(bytes) = std::fs::read(path) {
            let fail = |why: String| OutputError {
                output: o.name(),
                why: format!("snapshot {}: {why}", path.display()),
            };
            let snap = snapshot::decode(&bytes).map_err(|e| fail(e.to_string()))?;
            store
                .apply(&snap.into_pulled(), None)
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    let bytes =
        render(o.format, templates[index].as_ref(), &view(o, &store)).map_err(|e| OutputError {
            output: o.name(),
            why: e.to_string(),
        })?;
    Ok(Some(bytes))
}
