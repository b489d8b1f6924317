//! The derives under fuzz, compiled: random definitions from the
//! generator of the in-process fuzz (`blue-schema-derive/src/fuzz`) in a
//! crate of their own, built with cargo as a user's crate is.
//!
//! * Valid definitions compile, and an item of every entity, with random
//!   field values (key delimiters, escapes, non-ASCII, extremes of every
//!   integer type), round-trips through `put` and `get` on SQLite.
//! * Each definition with one known mistake, in a module of its own, is
//!   refused with exactly one error, spanned in that module's file: not in
//!   the library, not twice (no follow-on errors from the table or the
//!   code that uses the entity).
//!
//! The crate lives under `target/tmp/derive-fuzz` and is built with
//! `target/tmp/derive-fuzz/target`, so the library's dependencies are
//! built once and kept. `BLUE_LONG=1` compiles ten times as many.

#[path = "../blue-schema-derive/src/fuzz/gen.rs"]
mod gen;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn long_mode() -> bool {
    std::env::var("BLUE_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// Writes the batch crate: `good` holds the valid cases and their round
/// trips, `bad` (behind its feature) one module per invalid case.
fn write_crate(dir: &Path, good: &[gen::Case], bad: &[gen::Case], rng: &mut gen::Rng) {
    let src = dir.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(src.join("bad")).unwrap();
    let manifest = format!(
        r#"[package]
name = "blue-derive-fuzz"
version = "0.0.0"
edition = "2021"
publish = false

[features]
bad = []

[dependencies]
blue-schema = {{ path = {:?} }}
serde = {{ version = "1.0.200", features = ["derive"] }}

[workspace]

# Thousands of generated items: no debug info and no incremental caches,
# which would make gigabytes of target/ for nothing.
[profile.dev]
debug = 0
incremental = false
"#,
        root().join("blue-schema")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file: the same versions, nothing to resolve.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let mut main = String::from(
        "#![allow(unused, non_camel_case_types, clippy::all)]\n\
         #[cfg(feature = \"bad\")]\nmod bad;\n\n",
    );
    let mut calls = String::new();
    for (i, case) in good.iter().enumerate() {
        let _ = writeln!(main, "mod c{i} {{\n{}", case.text());
        let _ = writeln!(main, "pub fn round_trip() {{");
        let _ = writeln!(
            main,
            "    let store = blue_schema::blocking::Store::sqlite_memory().unwrap();"
        );
        let _ = writeln!(main, "    store.create_table::<{}>().unwrap();", case.table);
        for e in &case.entities {
            let has_version = e.fields.iter().any(|f| f.role == gen::Role::Version);
            let _ = writeln!(main, "    let item = {};", e.value(rng));
            let _ = writeln!(main, "    store.put(&item).unwrap();");
            let _ = writeln!(main, "    let mut expected = item.clone();");
            if has_version {
                // Written as new (version 0), stored as version 1.
                let _ = writeln!(main, "    expected.version = 1;");
            }
            let _ = writeln!(
                main,
                "    let got = store.get(blue_schema::Entity::key(&item)).unwrap();"
            );
            let _ = writeln!(
                main,
                "    assert_eq!(got, Some(expected), \"case {i}, entity {}\");",
                e.name
            );
        }
        let _ = writeln!(main, "}}\n}}\n");
        let _ = writeln!(calls, "    c{i}::round_trip();");
    }
    let _ = writeln!(
        main,
        "fn main() {{\n{calls}    println!(\"round-tripped {} cases\");\n}}",
        good.len()
    );
    std::fs::write(src.join("main.rs"), main).unwrap();

    let mut modules = String::new();
    for (j, case) in bad.iter().enumerate() {
        let _ = writeln!(modules, "mod b{j};");
        std::fs::write(src.join("bad").join(format!("b{j}.rs")), case.text()).unwrap();
    }
    std::fs::write(src.join("bad.rs"), modules).unwrap();
}

/// Runs cargo in the batch crate.
fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

/// The file of the user's code a span points at: its own, or (for an
/// error raised inside a macro of the library or of `core`, such as a
/// constant's `panic!`) that of the code it was expanded from.
fn user_file(span: &serde_json::Value) -> Option<&str> {
    let file = span["file_name"].as_str()?;
    if file.starts_with("src/") {
        return Some(file);
    }
    let expansion = span.get("expansion")?;
    user_file(&expansion["span"])
}

#[test]
fn generated_definitions_compile_round_trip_and_fail_once() {
    let scale = if long_mode() { 10 } else { 1 };
    let good_count = 60 * scale;
    let per_mistake = 2 * scale;
    let mut rng = gen::Rng(0xC0DE_F022 + scale as u64);
    let good: Vec<gen::Case> = (0..good_count).map(|n| gen::valid(&mut rng, n)).collect();
    let bad: Vec<gen::Case> = (0..gen::MISTAKES.len() * per_mistake)
        .map(|j| gen::invalid(&mut rng, 100_000 + j, j % gen::MISTAKES.len()))
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("derive-fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    write_crate(&dir, &good, &bad, &mut rng);

    // The valid ones: built and run.
    let started = std::time::Instant::now();
    let run = cargo(&dir, &["run", "--quiet"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the valid definitions (in {}) do not all compile and round-trip:\n{}",
        dir.join("src/main.rs").display(),
        &stderr[stderr.len().saturating_sub(6000)..]
    );
    let built = started.elapsed();

    // The invalid ones: checked, every error attributed to its file.
    let check = cargo(
        &dir,
        &[
            "check",
            "--quiet",
            "--features",
            "bad",
            "--message-format=json",
        ],
    );
    assert!(!check.status.success(), "the invalid definitions compiled");
    let mut per_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut elsewhere = Vec::new();
    for line in String::from_utf8_lossy(&check.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let text = message["message"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let spans = message["message"]["spans"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let primary = spans.iter().find(|s| s["is_primary"] == true);
        match primary.and_then(user_file) {
            Some(file) if file.starts_with("src/bad/") => {
                per_file.entry(file.to_owned()).or_default().push(text);
            }
            // "aborting due to N previous errors" and the like.
            None if spans.is_empty() && text.starts_with("aborting") => {}
            other => elsewhere.push(format!("{other:?}: {text}")),
        }
    }
    let mut failures = elsewhere
        .iter()
        .map(|e| format!("an error outside the definitions: {e}"))
        .collect::<Vec<_>>();
    let mut by_mistake: BTreeMap<&str, usize> = BTreeMap::new();
    for (j, case) in bad.iter().enumerate() {
        let file = format!("src/bad/b{j}.rs");
        let errors = per_file.get(&file).cloned().unwrap_or_default();
        let mistake = case.mistake.unwrap();
        *by_mistake.entry(mistake).or_default() += 1;
        if errors.len() != 1 {
            failures.push(format!(
                "{file} ({mistake}): {} errors: {errors:?}\n{}",
                errors.len(),
                case.text()
            ));
        }
    }
    let entities: usize = good.iter().map(|c| c.entities.len()).sum();
    println!(
        "derive fuzz, compiled: {} valid definitions ({entities} entities) built and \
         round-tripped in {:.0} s; {} invalid ones ({by_mistake:?}) refused",
        good.len(),
        built.as_secs_f64(),
        bad.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures; the first ones:\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .map(|f| f.lines().next().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
