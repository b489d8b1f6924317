//! Writes the generated access-pattern docs of the example domains under
//! `docs/generated/`. Run it after changing a schema:
//!
//! ```text
//! cargo run --example generate_docs
//! ```
//!
//! `tests/generated_docs.rs` fails while a committed file differs from a fresh
//! render.

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
    }
    Ok(())
}
