//! Checks on the code's shape that ARCHITECTURE.md promises: no import
//! cycles (between files, and between top-level folders), no
//! `Result<_, String>`, no function over 80 lines, no bool parameter in a
//! public function. Each scans whole files
//! but `#[cfg(test)] mod` blocks, and each is shown to find what it
//! forbids (`the_scans_find_what_they_forbid`).

mod architecture;
mod imports;
pub mod source;

use std::collections::{BTreeMap, BTreeSet};

use source::{braces, sources, Source};

/// Top-level folders in the order they may depend on each other: each may
/// use only those before it. A new folder takes its place here.
const LAYERS: &[&str] = &[
    "domain",
    "memory",
    "signing",
    "sealing",
    "configuration",
    "telemetry",
    "rpc",
    "metrics",
    "tls",
    "db",
    "auth",
    "center",
    "records",
    "namespaces",
    "history",
    "changes",
    "gray",
    "users",
    "fleet",
    "webhooks",
    "secrets",
    "methods",
    "call",
    "transfer",
    "edge",
    "routes",
    "console",
    "startup",
    "commands",
];

/// Each top-level folder and the top-level folders its files name.
fn folder_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let top: BTreeMap<&str, &str> = sources.iter().map(|s| (s.path.as_str(), s.top())).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, targets) in imports::file_graph(sources) {
        let from = top[file.as_str()];
        if from == "lib" {
            continue;
        }
        let entry = graph.entry(from.to_string()).or_default();
        entry.extend(
            targets
                .iter()
                .map(|t| top[t.as_str()].to_string())
                .filter(|t| t != from && t != "lib"),
        );
    }
    graph
}

/// Where a folder names one placed after it in `LAYERS` (or one not there).
fn upward(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let rank = |f: &str| LAYERS.iter().position(|l| *l == f);
    let mut found = Vec::new();
    for (from, targets) in graph {
        for to in targets {
            match (rank(from), rank(to)) {
                (Some(a), Some(b)) if a > b => {}
                (None, _) => found.push(format!("{from} is not in LAYERS")),
                (_, None) => found.push(format!("{to} is not in LAYERS")),
                _ => found.push(format!("{from} -> {to}")),
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Pairs of files that name each other (a folder's `mod.rs` and its own
/// files excepted: it declares and re-exports them).
fn two_file_cycles(sources: &[Source]) -> Vec<String> {
    let graph = imports::file_graph(sources);
    let mut found = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            let back = graph.get(b).is_some_and(|t| t.contains(a));
            if a < b && back && !imports::owns(a, b) && !imports::owns(b, a) {
                found.push(format!("{a} <-> {b}"));
            }
        }
    }
    found
}

/// Every `Result<T, String>` in `code`, by line.
fn string_results(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("Result<") {
            let args = &rest[at + "Result<".len()..];
            let (mut depth, mut comma) = (0, None);
            for (i, c) in args.char_indices() {
                match c {
                    '<' | '(' => depth += 1,
                    '>' | ')' if depth == 0 => {
                        if comma.is_some_and(|c: usize| args[c + 1..i].trim() == "String") {
                            found.push(format!("line {}: {}", n + 1, line.trim()));
                        }
                        break;
                    }
                    '>' | ')' => depth -= 1,
                    ',' if depth == 0 => comma = Some(i),
                    _ => {}
                }
            }
            rest = args;
        }
    }
    found
}

/// Each function in `code` with more than `max` lines: `name (lines)`.
fn long_functions(code: &str, max: usize) -> Vec<String> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let (mut depth, mut opened) = (0, false);
        for (offset, body) in lines[start..].iter().enumerate() {
            if !opened && body.trim_end().ends_with(';') && !body.contains('{') {
                break;
            }
            depth += braces(body);
            opened |= body.contains('{');
            if opened && depth <= 0 {
                if offset + 1 > max {
                    found.push(format!("{name} ({} lines)", offset + 1));
                }
                break;
            }
        }
    }
    found
}

/// The name of the function `line` declares, if it declares one.
fn fn_name(line: &str) -> Option<String> {
    let at = line.find("fn ")?;
    let before = line[..at].trim();
    let qualifiers = [
        "",
        "pub",
        "async",
        "const",
        "unsafe",
        "pub(crate)",
        "pub(super)",
        "extern",
    ];
    if !before.split_whitespace().all(|w| qualifiers.contains(&w)) {
        return None;
    }
    let name: String = line[at + 3..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Public functions of `code` with a `bool` parameter: their names.
fn bool_parameters(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("pub ") {
        let rest = &code[at..];
        let head = rest.trim_start_matches("pub ").trim_start_matches("async ");
        let Some(signature) = head.strip_prefix("fn ") else {
            continue;
        };
        let Some(open) = signature.find('(') else {
            continue;
        };
        let Some(close) = signature[open..].find(')') else {
            continue;
        };
        let params = &signature[open..open + close];
        if params.contains(": bool") {
            found.push(signature[..open].to_string());
        }
    }
    found
}

/// Runs `check` over every source; the offenders, prefixed by file.
fn scan(check: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    sources()
        .iter()
        .flat_map(|s| {
            check(&s.code)
                .into_iter()
                .map(move |o| format!("{}: {o}", s.path))
        })
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let found = two_file_cycles(&sources());
    assert!(
        found.is_empty(),
        "files that import each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_folder_depends_on_one_above_it() {
    let found = upward(&folder_graph(&sources()));
    assert!(
        found.is_empty(),
        "upward dependencies:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_result_of_string() {
    let found = scan(string_results);
    assert!(found.is_empty(), "Result<_, String>:\n{}", found.join("\n"));
}

#[test]
fn no_function_over_80_lines() {
    let found = scan(|code| long_functions(code, 80));
    assert!(
        found.is_empty(),
        "functions over 80 lines:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_bool_parameter_in_a_public_function() {
    let found = scan(bool_parameters);
    assert!(
        found.is_empty(),
        "public functions with a bool parameter:\n{}",
        found.join("\n")
    );
}

/// No method is called by its name in a string: each name is written once,
/// in its spec, and callers name the method's type.
#[test]
fn methods_are_named_only_in_their_spec() {
    let sources = sources();
    let names = architecture::method_names(&sources);
    let table = std::fs::read_to_string(source::src().join("methods.rs")).unwrap();
    let rows = table.matches("Declared::of::<").count();
    assert_eq!(
        names.len(),
        rows,
        "every method in the table has a spec: {names:?}"
    );
    let found: Vec<String> = sources
        .iter()
        .flat_map(|s| s.code.lines().map(move |l| (s, l)))
        .filter(|(_, line)| !line.trim_start().starts_with("name: \""))
        // Settings name a remote center's method as a value (`client.method`).
        .filter(|(s, _)| !s.path.starts_with("configuration/"))
        .filter_map(|(s, line)| {
            let named = names.iter().find(|n| line.contains(&format!("\"{n}\"")))?;
            Some(format!("{}: {named}", s.path))
        })
        .collect();
    assert!(
        found.is_empty(),
        "methods named in strings:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scans_find_what_they_forbid() {
    let code = "pub fn f(a: bool) -> Result<Vec<u8>, String> {\n    let x = '{';\n    1\n}\n";
    assert_eq!(bool_parameters(code), ["f"]);
    assert_eq!(string_results(code).len(), 1);
    assert_eq!(long_functions(code, 3), ["f (4 lines)"]);
    assert!(long_functions(code, 4).is_empty());
    assert!(string_results("Result<(), StringError>").is_empty());
    let tested = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() {}\n}\nfn c() {}\n";
    let kept = source::product_code(tested);
    assert!(kept.contains("fn a") && kept.contains("fn c") && !kept.contains("fn b"));
    let paths = imports::referenced_paths("use crate::{a::{b, c}, d};\nsuper::e::f();");
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        ["crate::a::b", "crate::a::c", "crate::d", "super::e::f"]
    );
    let mut graph = BTreeMap::new();
    graph.insert("rpc".to_string(), BTreeSet::from(["center".to_string()]));
    assert_eq!(upward(&graph), ["rpc -> center"]);
}
