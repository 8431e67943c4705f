//! The library's sources as the structure checks read them: whole files,
//! less comments and `#[cfg(test)] mod` blocks, each with its module path.

use std::path::{Path, PathBuf};

/// One `.rs` file under `src/`.
pub struct Source {
    /// Relative to `src/`, with `/` separators: `center/reads.rs`.
    pub path: String,
    /// Its product code: comment lines and `#[cfg(test)] mod` blocks
    /// (inline or declared) left out.
    pub code: String,
}

impl Source {
    /// The module the file is: `center::reads` for `center/reads.rs`,
    /// `center` for `center/mod.rs`, `` for `lib.rs`.
    pub fn module(&self) -> String {
        let path = self.path.trim_end_matches(".rs");
        let path = path.trim_end_matches("/mod");
        match path {
            "lib" | "main" => String::new(),
            _ => path.replace('/', "::"),
        }
    }

    /// The top-level folder (or file) the source lives in: `center`.
    pub fn top(&self) -> &str {
        let first = self.path.split('/').next().unwrap_or("");
        first.trim_end_matches(".rs")
    }
}

pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every library source (not `main.rs`, not test-only files), sorted.
pub fn sources() -> Vec<Source> {
    let root = src();
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    pending.push(path);
                }
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let test_only = name == "tests.rs" || name.ends_with("_tests.rs");
            if !name.ends_with(".rs") || test_only || name == "main.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let relative = path.strip_prefix(&root).unwrap();
            files.push(Source {
                path: relative.to_string_lossy().replace('\\', "/"),
                code: product_code(&text),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(files.len() > 50, "only {} sources under src/", files.len());
    files
}

/// `text` less comment lines and `#[cfg(test)] mod` blocks: what a build
/// of the library compiles (a `#[cfg(test)]` on anything else stays in).
pub fn product_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let next_is_mod = lines.peek().is_some_and(|l| {
            l.trim_start().starts_with("mod ") || l.trim_start().starts_with("pub mod ")
        });
        if trimmed == "#[cfg(test)]" && next_is_mod {
            let declaration = lines.next().unwrap_or_default();
            if declaration.trim_end().ends_with('{') {
                skip_block(&mut lines, 1);
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Skips lines until the braces opened so far (`depth`) close.
fn skip_block<'a>(lines: &mut impl Iterator<Item = &'a str>, mut depth: i64) {
    for line in lines.by_ref() {
        depth += braces(line);
        if depth <= 0 {
            return;
        }
    }
}

/// Opened minus closed braces on `line`, outside string and char literals.
pub fn braces(line: &str) -> i64 {
    let mut depth = 0;
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '\'' if !in_string => {
                // A char literal ('{', '\''): skip it; a lifetime has no
                // closing quote within two characters.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\\") && rest.len() == 3 && rest.ends_with('\'') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            '{' if !in_string => depth += 1,
            '}' if !in_string => depth -= 1,
            _ => {}
        }
    }
    depth
}
