//! ARCHITECTURE.md stays true: at most 200 lines, no figures, and every
//! path, type, function, setting and method it names in backticks exists.

use std::collections::BTreeSet;
use std::path::Path;

use super::source::{sources, Source};

/// Names the document may show in code that are not ours.
const FOREIGN: &[&str] = &[
    "web::block",
    "SyncContext",
    "main",
    "thiserror",
    "anyhow",
    "From",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every span in backticks.
fn spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Why `span` names nothing that exists, if it does not.
fn missing(span: &str, code: &str, settings: &str, methods: &BTreeSet<&str>) -> Option<String> {
    if FOREIGN.contains(&span) || span.starts_with('/') || span.contains(' ') {
        return None;
    }
    if span.contains('/') {
        let exists = root().join(span.trim_end_matches('/')).exists();
        return (!exists).then(|| format!("no file {span}"));
    }
    if [".md", ".rs", ".toml"].iter().any(|e| span.ends_with(e)) {
        let exists = root().join(span).exists() || code.contains(&format!("/{span}\n"));
        return (!exists).then(|| format!("no file {span}"));
    }
    if span.contains('-') {
        let header = span.to_ascii_lowercase();
        let sent = code.to_ascii_lowercase().contains(&format!("\"{header}\""));
        return (!sent).then(|| format!("no header {span} in the code"));
    }
    if let Some((section, key)) = setting(span) {
        let written = settings.contains(&format!("[{section}]"))
            && settings
                .lines()
                .any(|l| l.trim_start_matches("# ").starts_with(&format!("{key} =")));
        return (!written).then(|| format!("no setting {span} in Settings.toml"));
    }
    if span.contains('.') && !span.contains("::") {
        let family = span.split('.').next().unwrap_or_default();
        let known = methods.contains(span)
            || span.ends_with(".*") && methods.iter().any(|m| m.starts_with(family))
            || span.starts_with('.');
        return (!known).then(|| format!("no method {span}"));
    }
    let path: String = span
        .chars()
        .take_while(|c| *c != '(' && *c != '<')
        .collect();
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let ours = segments.iter().all(|s| declared(s, code));
    (!segments.is_empty() && !ours).then(|| format!("no item {span}"))
}

/// `server.max_body` as (`server`, `max_body`).
fn setting(span: &str) -> Option<(&str, &str)> {
    let (section, key) = span.split_once('.')?;
    let sections = ["server", "client", "login", "database", "log"];
    let simple = key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    (sections.contains(&section) && simple).then_some((section, key))
}

/// Whether `name` is declared in `code`: a type, function, module, field,
/// variant or constant.
fn declared(name: &str, code: &str) -> bool {
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return false;
    }
    let forms = [
        format!("struct {name}"),
        format!("enum {name}"),
        format!("trait {name}"),
        format!("type {name}"),
        format!("fn {name}"),
        format!("mod {name}"),
        format!("const {name}"),
        format!("static {name}"),
        format!("    {name},"),
        format!("    {name}("),
        format!("    {name} {{"),
        format!("pub {name}:"),
        format!("pub(crate) {name}:"),
    ];
    forms.iter().any(|f| {
        code.match_indices(f.as_str()).any(|(at, _)| {
            let end = at + f.len();
            !code[end..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        })
    })
}

/// The integration tests' code, which the document names too.
fn test_code() -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root().join("tests/api")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    out
}

/// The method names of the table, read from their specs.
pub(super) fn method_names(sources: &[Source]) -> BTreeSet<String> {
    sources
        .iter()
        .flat_map(|s| s.code.lines())
        .filter_map(|l| l.trim().strip_prefix("name: \""))
        .filter_map(|l| l.split('"').next())
        .filter(|n| n.contains('.'))
        .map(String::from)
        .collect()
}

#[test]
fn architecture_md_names_only_what_exists() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines <= 200,
        "ARCHITECTURE.md has {lines} lines, at most 200"
    );
    let sources = sources();
    let mut code: String = sources.iter().map(|s| s.code.as_str()).collect();
    code.extend(test_code());
    code.extend(
        sources
            .iter()
            .map(|s| format!("/{}\n", s.path.rsplit('/').next().unwrap_or(""))),
    );
    let settings = std::fs::read_to_string(root().join("Settings.toml")).unwrap();
    let names = method_names(&sources);
    let methods: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    assert!(methods.contains("records.changes"), "{methods:?}");
    let found: Vec<String> = spans(&text)
        .into_iter()
        .filter_map(|s| missing(s, &code, &settings, &methods))
        .collect();
    assert!(found.is_empty(), "ARCHITECTURE.md:\n{}", found.join("\n"));
    let figures: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains(" ms") || l.contains(" µs") || l.contains("MiB") || l.contains("x of")
        })
        .collect();
    assert!(
        figures.is_empty(),
        "figures belong in BENCHMARKS.md: {figures:?}"
    );
}

#[test]
fn the_document_check_finds_what_is_missing() {
    let code = "pub struct Center;\nfn write() {}\n";
    let settings = "[server]\nmax_body = \"1m\"\n";
    let methods = BTreeSet::from(["records.list"]);
    let check = |span| missing(span, code, settings, &methods);
    assert_eq!(check("Center::write"), None);
    assert_eq!(check("server.max_body"), None);
    assert_eq!(check("records.list"), None);
    assert_eq!(check("src/rpc/"), None);
    assert!(check("Centre").is_some());
    assert!(check("Center::read").is_some());
    assert!(check("server.max_bodies").is_some());
    assert!(check("records.lists").is_some());
    assert!(check("src/nowhere/").is_some());
}
