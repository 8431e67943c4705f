//! The namespace schemas a DB thread has compiled, kept so a write does
//! not compile its namespace's schema again.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::ValueSchema;

/// Compiled schemas by their text, so a write does not compile the
/// namespace's schema again (each DB thread keeps its own; at most 32).
#[derive(Default)]
pub struct SchemaCache {
    compiled: HashMap<String, Arc<ValueSchema>>,
}

impl SchemaCache {
    pub(super) fn get(&mut self, text: &str) -> Option<Arc<ValueSchema>> {
        if let Some(schema) = self.compiled.get(text) {
            return Some(schema.clone());
        }
        // Stored schemas were checked when set; one that no longer compiles
        // (a newer validator) is logged and not enforced.
        let schema = match ValueSchema::from_text(text) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(error = %e, "stored namespace schema does not compile");
                return None;
            }
        };
        if self.compiled.len() >= 32 {
            self.compiled.clear();
        }
        self.compiled.insert(text.to_string(), schema.clone());
        Some(schema)
    }
}
