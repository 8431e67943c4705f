//! The import graph drawn from the code: which file names which, through
//! `crate::`, `super::` and `self::` paths (grouped imports included).

use std::collections::{BTreeMap, BTreeSet};

use super::source::Source;

/// For each file, the files it names (itself left out).
pub fn file_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<String, &str> = sources
        .iter()
        .map(|s| (s.module(), s.path.as_str()))
        .collect();
    let mut graph = BTreeMap::new();
    for source in sources {
        let here = segments(&source.module());
        let mut targets = BTreeSet::new();
        for path in referenced_paths(&source.code) {
            let Some(absolute) = absolute(&here, &path) else {
                continue;
            };
            if let Some(file) = resolve(&modules, &absolute) {
                if file != source.path {
                    targets.insert(file.to_string());
                }
            }
        }
        graph.insert(source.path.clone(), targets);
    }
    graph
}

fn segments(module: &str) -> Vec<String> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `path` (as written: `crate::a::b`, `super::c`, `self::d`) from the
/// module `here`, as segments from the crate root.
fn absolute(here: &[String], path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => {
            let mut parent = here.to_vec();
            parent.pop()?;
            parent
        }
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.peek().is_some_and(|s| *s == "super") {
        base.pop()?;
        rest.next();
    }
    base.extend(rest.cloned());
    Some(base)
}

/// The file of the longest prefix of `path` that is a module.
fn resolve<'a>(modules: &BTreeMap<String, &'a str>, path: &[String]) -> Option<&'a str> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].join("::")).copied())
}

/// Every path starting with `crate::`, `super::` or `self::` in `code`,
/// each grouped import (`crate::{a, b::c}`) expanded.
pub fn referenced_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            let preceded =
                at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if preceded || (start != "super::" && at >= 2 && &code[at - 2..at] == "::") {
                continue;
            }
            let head = start.trim_end_matches("::").to_string();
            expand(&code[from..], vec![head], &mut out);
        }
    }
    out
}

/// Reads one path (or group) after `prefix` from `text`.
fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                for item in split_group(group) {
                    expand(item.trim(), path.clone(), out);
                }
                return;
            }
            break;
        }
        rest = &rest[ident.len()..];
        path.push(ident);
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    out.push(path);
}

/// The items of a `{...}` group (its text after `{`), split at top-level commas.
fn split_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// Whether `ancestor` is the `mod.rs` of a folder that holds `file`: a
/// folder's root and its own files name each other by design (it declares
/// and re-exports them; they use what it defines).
pub fn owns(ancestor: &str, file: &str) -> bool {
    let folder = match ancestor {
        "lib.rs" => return true,
        a => a.strip_suffix("mod.rs"),
    };
    folder.is_some_and(|f| file.starts_with(f) && file != ancestor)
}
