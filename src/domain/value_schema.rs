//! `ValueSchema`: a namespace's JSON Schema (draft 2020-12), compiled once,
//! and the violations of the values written to it.

use serde_json::Value;

/// How many violations a refusal lists at most (the first ones found).
pub const MAX_VIOLATIONS: usize = 5;

/// A compiled schema and the text it was compiled from.
#[derive(Debug)]
pub struct ValueSchema {
    validator: jsonschema::Validator,
}

/// Why a schema was refused: the validator's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON Schema: {0}")]
pub struct InvalidSchema(pub String);

impl ValueSchema {
    /// Compiles `schema` as draft 2020-12 (checked against the meta-schema;
    /// `$ref`s to other documents are not fetched).
    pub fn compile(schema: &Value) -> Result<ValueSchema, InvalidSchema> {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(schema)
            .map(|validator| ValueSchema { validator })
            .map_err(|e| InvalidSchema(e.to_string()))
    }

    /// Compiles the schema stored as JSON text.
    pub fn from_text(text: &str) -> Result<ValueSchema, InvalidSchema> {
        let schema: Value = serde_json::from_str(text).map_err(|e| InvalidSchema(e.to_string()))?;
        Self::compile(&schema)
    }

    /// Adds the violations of `value` (stored under `key`) to `out`, each
    /// naming the key, the JSON path and the reason, until `out` holds
    /// `MAX_VIOLATIONS`.
    /// What `check` finds in each of `records`, at most `MAX_VIOLATIONS`
    /// in all (an import checks a whole file with it).
    pub fn check_all<'a>(
        &self,
        records: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (key, value) in records {
            self.check(key, value, &mut out);
            if out.len() >= MAX_VIOLATIONS {
                break;
            }
        }
        out
    }

    pub fn check(&self, key: &str, value: &Value, out: &mut Vec<String>) {
        for error in self.validator.iter_errors(value) {
            if out.len() >= MAX_VIOLATIONS {
                return;
            }
            let path = error.instance_path().to_string();
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            out.push(format!("{key:?} at {path}: {error}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_key_path_and_reason() {
        let schema = ValueSchema::compile(&json!({
            "type": "object",
            "properties": {"port": {"type": "integer", "maximum": 65535}},
            "required": ["port"]
        }))
        .unwrap();
        let mut out = Vec::new();
        schema.check("ok", &json!({"port": 80}), &mut out);
        assert!(out.is_empty());
        schema.check("web", &json!({"port": 70000}), &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("\"web\" at /port"), "{}", out[0]);
        assert!(out[0].contains("65535"), "{}", out[0]);
        schema.check("none", &json!({}), &mut out);
        assert!(
            out[1].contains("at /:") && out[1].contains("port"),
            "{}",
            out[1]
        );
    }

    #[test]
    fn stops_at_the_limit() {
        let schema = ValueSchema::compile(&json!({"type": "string"})).unwrap();
        let mut out = Vec::new();
        for i in 0..20 {
            schema.check(&i.to_string(), &json!(i), &mut out);
        }
        assert_eq!(out.len(), MAX_VIOLATIONS);
    }

    #[test]
    fn a_whole_file_is_checked_up_to_the_limit() {
        let schema = ValueSchema::compile(&json!({"type": "string"})).unwrap();
        let (good, bad) = (json!("x"), json!(1));
        let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        let all = keys
            .iter()
            .map(|k| (k.as_str(), if k == "k3" { &bad } else { &good }));
        assert_eq!(schema.check_all(all).len(), 1);
        let bad_ones = keys.iter().map(|k| (k.as_str(), &bad));
        assert_eq!(schema.check_all(bad_ones).len(), MAX_VIOLATIONS);
    }

    #[test]
    fn refuses_a_schema_that_is_not_one() {
        let err = ValueSchema::compile(&json!({"type": "no-such-type"})).unwrap_err();
        assert!(err.0.contains("no-such-type"), "{err}");
        assert!(ValueSchema::from_text("{").is_err());
        // draft 2020-12 keywords work
        let s = ValueSchema::compile(&json!({"prefixItems": [{"type": "integer"}]})).unwrap();
        let mut out = Vec::new();
        s.check("k", &json!(["x"]), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
    }
}
