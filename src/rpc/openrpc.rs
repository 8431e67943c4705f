//! `rpc.discover`: the OpenRPC 1.3 document, generated from the method table.

use serde_json::{json, Value};

use super::method::Spec;

/// The OpenRPC document of `specs` (the methods JSON-RPC offers) for the
/// endpoint at `path`.
pub fn document(specs: impl Iterator<Item = &'static Spec>, path: &str) -> Value {
    let methods: Vec<Value> = specs
        .map(|m| {
            let params: Vec<Value> = m
                .params
                .iter()
                .enumerate()
                .map(|(i, (name, ty))| json!({"name": name, "required": i < m.required, "schema": ty.json_schema()}))
                .collect();
            json!({
                "name": m.name,
                "description": m.help,
                "params": params,
                "result": {"name": "result", "schema": m.returns.json_schema()},
                "paramStructure": "either",
            })
        })
        .collect();
    json!({
        "openrpc": "1.3.2",
        "info": {
            "title": "syncdict",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Central reference data. The same methods answer XML-RPC at the same URL \
                            (Content-Type: text/xml), plus system.multicall.",
        },
        "servers": [{"name": "this center", "url": path}],
        "methods": methods,
    })
}
