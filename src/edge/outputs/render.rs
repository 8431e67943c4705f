//! Rendering an output's bytes from the data, sans I/O: `json`, `ndjson`,
//! `env`, or a Jinja template (minijinja) checked once when loaded.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::configuration::OutputFormat;
use crate::domain::Namespace;

/// Why an output could not be rendered (the old file stays).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("template {path}: {why}")]
    Template { path: String, why: String },
    #[error("env: key {0:?} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)")]
    EnvKey(String),
    #[error("env: the value of {0:?} holds a NUL byte")]
    EnvValue(String),
    #[error("format lmdb keeps a store that programs read (clients/), not a file to render")]
    NotAFile,
}

/// The data an output renders: each namespace's records by key, and the
/// revision they were pulled at.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct View {
    pub namespaces: BTreeMap<Namespace, Map<String, Value>>,
    pub revision: i64,
}

/// A loaded template, syntax already checked.
#[derive(Debug)]
pub struct Template {
    env: minijinja::Environment<'static>,
    path: String,
}

const NAME: &str = "output";

impl Template {
    /// Reads and compiles `path`; an error names the file and the line.
    pub fn load(path: &Path) -> Result<Template, RenderError> {
        let shown = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| RenderError::Template {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        Template::compile(&shown, source)
    }

    fn compile(path: &str, source: String) -> Result<Template, RenderError> {
        let mut env = minijinja::Environment::new();
        // An undefined name is an error, not an empty string in a config file.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // Config files end with a newline; Jinja's default drops the last one.
        env.set_keep_trailing_newline(true);
        env.add_template_owned(NAME, source)
            .map_err(|e| template_error(path, &e))?;
        Ok(Template {
            env,
            path: path.to_string(),
        })
    }

    fn render(&self, view: &View) -> Result<String, RenderError> {
        let records = view.namespaces.values().next().cloned().unwrap_or_default();
        let namespaces: BTreeMap<&str, &Map<String, Value>> = view
            .namespaces
            .iter()
            .map(|(ns, records)| (ns.as_str(), records))
            .collect();
        let context = minijinja::context! {
            namespaces => namespaces,
            records => records,
            revision => view.revision,
        };
        self.env
            .get_template(NAME)
            .and_then(|t| t.render(context))
            .map_err(|e| template_error(&self.path, &e))
    }
}

/// `path:line: what`, from minijinja's error.
fn template_error(path: &str, e: &minijinja::Error) -> RenderError {
    let line = e.line().map_or(String::new(), |l| format!("line {l}: "));
    let mut why = format!("{line}{}", e.kind());
    if let Some(detail) = e.detail() {
        why.push_str(": ");
        why.push_str(detail);
    }
    RenderError::Template {
        path: path.to_string(),
        why,
    }
}

/// The bytes of `view` in `format` (`template` given for `Template`).
pub fn render(
    format: OutputFormat,
    template: Option<&Template>,
    view: &View,
) -> Result<Vec<u8>, RenderError> {
    let text = match (format, template) {
        (OutputFormat::Json, _) => json(view),
        (OutputFormat::Ndjson, _) => ndjson(view),
        (OutputFormat::Env, _) => env(view)?,
        (OutputFormat::Template, Some(t)) => t.render(view)?,
        (OutputFormat::Lmdb, _) => return Err(RenderError::NotAFile),
        (OutputFormat::Template, None) => {
            return Err(RenderError::Template {
                path: String::new(),
                why: "no template loaded".into(),
            })
        }
    };
    Ok(text.into_bytes())
}

fn json(view: &View) -> String {
    let value = match view.namespaces.len() {
        1 => Value::Object(view.namespaces.values().next().cloned().unwrap_or_default()),
        _ => Value::Object(
            view.namespaces
                .iter()
                .map(|(ns, records)| (ns.to_string(), Value::Object(records.clone())))
                .collect(),
        ),
    };
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn ndjson(view: &View) -> String {
    let mut out = String::new();
    for (ns, records) in &view.namespaces {
        for (key, value) in records {
            let line = serde_json::json!({"namespace": ns.as_str(), "key": key, "value": value});
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    out
}

fn env(view: &View) -> Result<String, RenderError> {
    let mut out = String::new();
    for records in view.namespaces.values() {
        for (key, value) in records {
            let mut chars = key.chars();
            let name_ok = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                return Err(RenderError::EnvKey(key.clone()));
            }
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if text.contains('\0') {
                return Err(RenderError::EnvValue(key.clone()));
            }
            // Single quotes: nothing inside is special but the quote itself.
            out.push_str(&format!("{key}='{}'\n", text.replace('\'', r"'\''")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn view(pairs: &[(&str, Value)]) -> View {
        let mut records = Map::new();
        for (k, v) in pairs {
            records.insert(k.to_string(), v.clone());
        }
        View {
            namespaces: [(Namespace::default(), records)].into(),
            revision: 7,
        }
    }

    fn text(format: OutputFormat, template: Option<&Template>, v: &View) -> String {
        String::from_utf8(render(format, template, v).unwrap()).unwrap()
    }

    #[test]
    fn json_and_ndjson_are_sorted_and_whole() {
        let v = view(&[("b", json!({"x": 1})), ("a", json!("s"))]);
        let parsed: Value = serde_json::from_str(&text(OutputFormat::Json, None, &v)).unwrap();
        assert_eq!(parsed, json!({"a": "s", "b": {"x": 1}}));
        let lines = text(OutputFormat::Ndjson, None, &v);
        assert_eq!(
            lines,
            "{\"key\":\"a\",\"namespace\":\"default\",\"value\":\"s\"}\n\
             {\"key\":\"b\",\"namespace\":\"default\",\"value\":{\"x\":1}}\n"
        );
        let mut two = v.clone();
        two.namespaces
            .insert(Namespace::parse("geo").unwrap(), Map::new());
        let parsed: Value = serde_json::from_str(&text(OutputFormat::Json, None, &two)).unwrap();
        assert_eq!(parsed["geo"], json!({}));
        assert_eq!(parsed["default"]["a"], json!("s"));
    }

    #[test]
    fn env_quotes_values_and_refuses_keys_that_are_no_names() {
        let v = view(&[
            ("PORT", json!(80)),
            ("GREETING", json!("it's \"fine\" $HOME")),
        ]);
        assert_eq!(
            text(OutputFormat::Env, None, &v),
            "GREETING='it'\\''s \"fine\" $HOME'\nPORT='80'\n"
        );
        for bad in ["1X", "a-b", "", "é"] {
            let v = view(&[(bad, json!(1))]);
            assert_eq!(
                render(OutputFormat::Env, None, &v),
                Err(RenderError::EnvKey(bad.into()))
            );
        }
        let v = view(&[("NUL", json!("a\u{0}b"))]);
        assert!(matches!(
            render(OutputFormat::Env, None, &v),
            Err(RenderError::EnvValue(_))
        ));
    }

    #[test]
    fn templates_render_and_their_errors_name_the_line() {
        let t = Template::compile(
            "map.j2",
            "# rev {{ revision }}\n{% for k, v in records|items %}{{ k }} {{ v.ip }};\n{% endfor %}".into(),
        )
        .unwrap();
        let v = view(&[
            ("b", json!({"ip": "10.0.0.2"})),
            ("a", json!({"ip": "10.0.0.1"})),
        ]);
        assert_eq!(
            text(OutputFormat::Template, Some(&t), &v),
            "# rev 7\na 10.0.0.1;\nb 10.0.0.2;\n"
        );
        let broken = Template::compile("bad.j2", "ok\n{% for x in %}\n".into()).unwrap_err();
        let shown = broken.to_string();
        assert!(
            shown.contains("bad.j2") && shown.contains("line 2"),
            "{shown}"
        );
        // Undefined names fail rather than render empty.
        let t = Template::compile("u.j2", "{{ nope.x }}".into()).unwrap();
        let shown = render(OutputFormat::Template, Some(&t), &v)
            .unwrap_err()
            .to_string();
        assert!(
            shown.contains("u.j2") && shown.contains("line 1"),
            "{shown}"
        );
    }
}
