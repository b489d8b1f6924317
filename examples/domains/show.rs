//! What the examples share: where their database lives, and how to print
//! stored rows in the ADR's notation.

use std::path::PathBuf;

use blue_schema::{IntoQuery, Store, TableSchema};

/// The database file an example uses: the first command-line argument, or
/// `<target dir>/examples/<name>.db`, started afresh on each run.
pub fn database_path(name: &str) -> PathBuf {
    if let Some(path) = std::env::args_os().nth(1) {
        return PathBuf::from(path);
    }
    // The example's binary is target/<profile>/examples/<name>.
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.to_owned()))
        .unwrap_or_else(|| PathBuf::from("target"));
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    path
}

/// Prints every stored row of a partition as the ADR shows them:
/// `nvidia-dec | EXPERT#muffin → {role: "skeptic", tier: 1, score: 42}`.
pub async fn print_rows(
    store: &Store,
    table: &TableSchema,
    partition: impl IntoQuery,
) -> Result<(), blue_schema::Error> {
    let rows = store.query(partition).raw().await?;
    let width = rows.iter().map(|r| r.sort_key.len()).max().unwrap_or(0);
    for row in rows {
        let data = &row.attributes;
        let attributes: Vec<String> = table
            .entity_for_sort_key(&row.sort_key)
            .map(|entity| {
                entity
                    .data_attributes()
                    .map(|a| format!("{}: {}", a.name, data[a.name]))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "  {} | {:width$} → {{{}}}",
            row.partition_key,
            row.sort_key,
            attributes.join(", ")
        );
    }
    Ok(())
}

/// Runs a query and prints it, the request the store sends for it, and the
/// keys of its first page.
pub async fn print_query<Q>(store: &Store, title: &str, query: Q) -> Result<(), blue_schema::Error>
where
    Q: IntoQuery,
{
    let query = query.into_query();
    let run = store.query(query.clone());
    let plan = run.explain()?;
    let request = match store.backend_name() {
        "sqlite" => plan.sqlite,
        _ => plan.dynamodb,
    };
    println!("\n{title}\n  {}", query.spec());
    for line in request.lines() {
        println!("    {line}");
    }
    let page = run.raw_page().await?;
    for row in &page.items {
        println!("  → {} | {}", row.partition_key, row.sort_key);
    }
    if page.cursor.is_some() {
        println!("  … more on the next page");
    }
    Ok(())
}
