//! The commands that run long over a store: `copy` and `backfill`, with a
//! checkpoint file and a progress bar.

use std::fs;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Cli, Entry, Failure};
use crate::migrate::{
    BackfillCheckpoint, BackfillOptions, BackfillProgress, CopyOptions, Progress,
};
use crate::Store;

impl Cli {
    /// Backfills each table of `entries`, keeping a checkpoint per table in
    /// the file `checkpoint`.
    pub(super) fn backfill(
        &self,
        url: &str,
        entries: &[Entry],
        checkpoint: Option<&Path>,
        options: BackfillOptions,
        quiet: bool,
    ) -> Result<(), Failure> {
        let mut state = read_state(checkpoint)?;
        crate::block_on(async {
            let store = Store::open(url).await?;
            for entry in entries {
                let table = entry.schema.name;
                let resume = match &state[table] {
                    serde_json::Value::String(done) if done == "done" => {
                        println!("{table}: backfilled before (checkpoint)");
                        continue;
                    }
                    serde_json::Value::String(text) => Some(
                        text.parse::<BackfillCheckpoint>()
                            .map_err(|e| format!("a malformed checkpoint for {table}: {e}"))?,
                    ),
                    _ => None,
                };
                let resumed = resume.is_some();
                let bar = bar(None, table, quiet);
                let mut save_error = None;
                let report = (entry.backfill)(
                    &store,
                    options.clone().resume(resume),
                    Box::new(|progress: &BackfillProgress| {
                        bar.set_position(progress.scanned);
                        if let Some(path) = checkpoint {
                            state[table] = if progress.checkpoint.is_done() {
                                serde_json::json!("done")
                            } else {
                                serde_json::json!(progress.checkpoint.to_string())
                            };
                            if let Err(e) = save(path, &state) {
                                save_error.get_or_insert(e);
                            }
                        }
                    }),
                )
                .await?;
                bar.finish_and_clear();
                if let Some(e) = save_error {
                    return Err(e);
                }
                let seconds = report.elapsed.as_secs_f64().max(1e-3);
                println!(
                    "{table}: {} items read{}, {} upgraded, {} moved, {} current, {} newer, \
                     {} raced, {} expired ({:.0} items/s){}",
                    report.scanned,
                    if resumed { " (resumed)" } else { "" },
                    report.upgraded,
                    report.moved,
                    report.current,
                    report.newer,
                    report.raced,
                    report.expired,
                    report.scanned as f64 / seconds,
                    shapes_text("; as found, ", &report.shapes),
                );
            }
            if let Some(path) = checkpoint {
                let _ = fs::remove_file(path);
            }
            Ok(())
        })
    }

    pub(super) fn copy(
        &self,
        from: &str,
        to: &str,
        checkpoint: Option<&Path>,
        options: CopyOptions,
        quiet: bool,
    ) -> Result<(), Failure> {
        let mut state = read_state(checkpoint)?;
        crate::block_on(async {
            let source = Store::open(from).await?;
            let target = Store::open(to).await?;
            for entry in &self.tables {
                let table = entry.schema.name;
                let resume_after = match &state[table] {
                    serde_json::Value::String(done) if done == "done" => {
                        println!("{table}: copied before (checkpoint)");
                        continue;
                    }
                    serde_json::Value::Array(key) => match key.as_slice() {
                        [serde_json::Value::String(pk), serde_json::Value::String(sk)] => {
                            Some((pk.clone(), sk.clone()))
                        }
                        _ => return Err(format!("a malformed checkpoint for {table}").into()),
                    },
                    _ => None,
                };
                // The bar's length is a read of the whole source (the copy
                // counts it again at the end, for its check): only for a
                // bar someone sees.
                let shown = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
                let bar = if shown {
                    bar(Some((entry.count)(&source).await?), table, false)
                } else {
                    ProgressBar::hidden()
                };
                let resumed = resume_after.is_some();
                let options = options.clone().resume_after(resume_after);
                let mut save_error = None;
                let report = (entry.copy)(
                    &source,
                    &target,
                    options,
                    Box::new(|progress: &Progress| {
                        bar.set_position(progress.copied);
                        if let Some(path) = checkpoint {
                            state[table] = match &progress.resume_after {
                                Some((pk, sk)) => serde_json::json!([pk, sk]),
                                None => serde_json::json!("done"),
                            };
                            if let Err(e) = save(path, &state) {
                                save_error.get_or_insert(e);
                            }
                        }
                    }),
                )
                .await?;
                bar.finish_and_clear();
                if let Some(e) = save_error {
                    return Err(e);
                }
                println!(
                    "{table}: copied {} items{}; source {} items, target {} items",
                    report.copied,
                    if resumed { " (resumed)" } else { "" },
                    report.source_items,
                    report.target_items
                );
            }
            if let Some(path) = checkpoint {
                let _ = fs::remove_file(path);
            }
            Ok(())
        })
    }
}

/// Writes the checkpoint atomically: a crash leaves the old one or the new.
pub(super) fn save(path: &Path, state: &serde_json::Value) -> Result<(), Failure> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, state.to_string())
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write the checkpoint {}: {e}", path.display()).into())
}

/// A progress bar on standard error (drawn only on a terminal).
pub(super) fn bar(total: Option<u64>, table: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} items, {per_sec}, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{prefix} {pos} items, {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.with_prefix(table.to_owned())
}

/// A checkpoint file's state (`{}` when there is none yet).
pub(super) fn read_state(checkpoint: Option<&Path>) -> Result<serde_json::Value, Failure> {
    let Some(path) = checkpoint.filter(|p| p.exists()) else {
        return Ok(serde_json::json!({}));
    };
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(state @ serde_json::Value::Object(_)) => Ok(state),
        Ok(_) => Err(format!("{} is not a checkpoint: not a JSON object", path.display()).into()),
        Err(e) => Err(format!("{} is not a checkpoint: {e}", path.display()).into()),
    }
}

/// `{label}Expert: 12 in shape 1, 30 in shape 2`: the items per shape of
/// each entity that has items in a shape above 1 (nothing when none has).
pub(super) fn shapes_text(
    label: &str,
    shapes: &std::collections::BTreeMap<(&'static str, u64), u64>,
) -> String {
    let mut entities: Vec<&str> = shapes
        .keys()
        .filter(|(_, shape)| *shape > 1)
        .map(|(entity, _)| *entity)
        .collect();
    entities.dedup();
    entities
        .into_iter()
        .map(|entity| {
            let of: Vec<String> = shapes
                .iter()
                .filter(|((e, _), _)| *e == entity)
                .map(|((_, shape), n)| format!("{n} in shape {shape}"))
                .collect();
            format!("{label}{entity}: {}", of.join(", "))
        })
        .collect()
}

/// The markers of unique values a check read, when it read any:
/// `; 12 markers of unique values (0 orphans, 0 values without one)`.
pub(super) fn markers_text(report: &crate::export::CheckReport) -> String {
    if report.markers == 0 {
        return String::new();
    }
    format!(
        "; {} markers of unique values ({} orphans, {} values without one)",
        report.markers, report.orphan_markers, report.missing_markers
    )
}
