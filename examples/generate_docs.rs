//! Writes the generated access-pattern docs of the example domains under
//! `docs/generated/`. Run it after changing a schema:
//!
//! ```text
//! cargo run --example generate_docs
//! ```
//!
//! `tests/generated_docs.rs` fails while a committed file differs from a fresh
//! render. Each table's schema snapshot (`<table>.schema.json`) is written
//! beside its docs, unless the change would orphan or misread the items
//! stored under the committed one (`blue_schema::docs::compatibility`).

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, schema) in blue_schema_examples::GENERATED_DOCS {
        let target = root.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, blue_schema::docs::markdown(schema))?;
        println!("wrote {path}");
        // The schema snapshot beside it, unless the change would orphan or
        // misread stored items (the CLI's `docs --accept-breaking` writes
        // one all the same).
        let snapshot = target.with_extension("schema.json");
        let fresh = blue_schema::docs::snapshot(schema);
        if let Ok(old) = std::fs::read_to_string(&snapshot) {
            let found =
                blue_schema::docs::compatibility(&old, schema).map_err(std::io::Error::other)?;
            if !found.is_compatible() {
                for problem in &found.refused {
                    eprintln!("{}: refused: {problem}", schema.name);
                }
                continue;
            }
        }
        std::fs::write(&snapshot, fresh)?;
        println!("wrote {}", snapshot.display());
    }
    Ok(())
}
