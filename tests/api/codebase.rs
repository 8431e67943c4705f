//! Checks on the repository itself: the invariants ARCHITECTURE.md states
//! that a machine can check, and that `Settings.toml` states the defaults.

use std::path::{Path, PathBuf};

use serde_json::Value;
use syncdict::configuration::Settings;

/// Every library file under `dir`, with the code a build of the library
/// sees (`structure::source::sources`).
fn library_code(dir: &Path) -> Vec<(PathBuf, String)> {
    let files: Vec<(PathBuf, String)> = crate::structure::source::sources()
        .into_iter()
        .map(|s| (src().join(&s.path), s.code))
        .filter(|(path, _)| path.starts_with(dir))
        .collect();
    assert!(!files.is_empty(), "no sources under {}", dir.display());
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The places in `files` that name any of `forbidden`.
fn offenders(files: &[(PathBuf, String)], forbidden: &[&str]) -> Vec<String> {
    files
        .iter()
        .flat_map(|(path, code)| {
            code.lines()
                .filter(|line| forbidden.iter().any(|f| line.contains(f)))
                .map(move |line| format!("{}: {}", path.display(), line.trim()))
        })
        .collect()
}

#[test]
fn diesel_lives_only_in_db() {
    let db = src().join("db");
    let outside: Vec<_> = library_code(&src())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(&db))
        .collect();
    let found = offenders(&outside, &["diesel::", "use diesel", "diesel_migrations"]);
    assert!(
        found.is_empty(),
        "diesel outside src/db:\n{}",
        found.join("\n")
    );
}

#[test]
fn domain_imports_neither_actix_nor_diesel() {
    let found = offenders(&library_code(&src().join("domain")), &["actix", "diesel"]);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_protocol_core_has_no_http_and_no_database() {
    let forbidden = [
        "actix",
        "reqwest",
        "http::",
        "diesel",
        "crate::db",
        "crate::routes",
    ];
    let found = offenders(&library_code(&src().join("rpc")), &forbidden);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_see_what_they_forbid() {
    // A check that cannot fail proves nothing: the same scan finds what it
    // forbids where it is allowed.
    assert!(!offenders(&library_code(&src().join("db")), &["diesel::"]).is_empty());
    assert!(!offenders(&library_code(&src().join("routes")), &["actix"]).is_empty());
}

/// The committed `Settings.toml` states every default, and nothing else:
/// defaults live in `Settings::default()` only, and the file shows them.
#[test]
fn settings_toml_states_exactly_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Settings.toml");
    let file = config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml))
        .build()
        .expect("Settings.toml parses");
    let from_file: Settings = file.clone().try_deserialize().expect("valid settings");
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    assert_eq!(serde_json::to_value(&from_file).unwrap(), defaults);
    // Every key with a default is written out (unset options are
    // commented out, as they have no value to show).
    let written: Value = file.try_deserialize().unwrap();
    for (section, keys) in defaults.as_object().unwrap() {
        // `[[output]]` sections: none by default, shown commented out.
        let Some(keys) = keys.as_object() else {
            assert_eq!(
                keys,
                &Value::Array(vec![]),
                "[[{section}]] has no default entries"
            );
            continue;
        };
        for (key, value) in keys {
            let present = written.get(section).and_then(|s| s.get(key)).is_some();
            assert_eq!(
                present,
                !value.is_null(),
                "Settings.toml: [{section}] {key} (default {value})"
            );
        }
    }
}
