//! `cargo test` at the root runs this package's suites only (the default
//! member, so that `cargo run --example dialogue` compiles no AWS code).
//! This target says so in the output, with the command that runs every
//! suite, and names the suites of each package from their manifests.

use std::path::Path;

/// The `name`s of the `[[test]]` targets of a manifest.
fn suites(manifest: &Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut names = Vec::new();
    let mut in_test = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_test = line == "[[test]]";
        } else if in_test {
            if let Some(name) = line.strip_prefix("name = ") {
                let name = name.trim_matches('"');
                if name != env!("CARGO_CRATE_NAME") {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let here = suites(&root.join("Cargo.toml"));
    let there = suites(&root.join("tests/Cargo.toml"));
    assert!(
        !here.is_empty() && !there.is_empty(),
        "no [[test]] targets found"
    );
    println!(
        "\nnote: `cargo test` in the repository root runs the {} suites of the root package ({});\n      \
         `cargo test --workspace --all-features` (the README's test command) also runs the {} suites of \
         blue-schema-tests ({}), whose DynamoDB emulator starts inside each test process,\n      \
         and the unit and doc tests of blue-schema and blue-schema-derive.\n",
        here.len(),
        here.join(", "),
        there.len(),
        there.join(", "),
    );
}
