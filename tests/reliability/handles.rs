//! Unique fields in the reference model: handles whose names no two
//! handles share (`#[unique]`), in a table of their own (`blue_handles`,
//! with a change feed, so that the markers' records are seen to stay out
//! of it).
//!
//! The model holds the handles and answers as the contract says: a write
//! that would give a handle a name another holds is `UniqueTaken`, naming
//! the holder, and writes nothing; a swap of two names in one transaction
//! succeeds. After every sequence, `check_table` must find every name
//! with its marker and every marker with its handle, and the model's
//! names are unique by construction.

use std::collections::BTreeMap;

use blue_schema::export::check_table;
use blue_schema::{Entity, Error, Store, Table, Update};
use serde::{Deserialize, Serialize};

use crate::model::{result, Space};

#[derive(Table, Debug)]
#[table(name = "blue_handles", stream)]
pub enum Handles {
    Handle(Handle),
}

/// A handle: a name unique across the table.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[entity(table = Handles)]
#[sk(prefix = "HANDLE")]
pub struct Handle {
    #[pk]
    pub part: String,
    #[sk]
    pub id: u32,
    #[unique]
    pub name: String,
    #[serde(default)]
    pub uses: i64,
}

/// Names: plain, with the key delimiter, non-ASCII (each run puts its
/// namespace in front, so that runs sharing the table never collide).
const NAMES: [&str; 3] = ["ann", "b#o", "çé"];

/// One operation on handles, as small numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleOp {
    /// `create` (part, id, name).
    CreateHandle(u8, u8, u8),
    /// `put` (part, id, name).
    PutHandle(u8, u8, u8),
    /// `update` setting the name and adding a use.
    RenameHandle(u8, u8, u8),
    /// `delete`.
    DeleteHandle(u8, u8),
    /// A transaction swapping the names of two handles.
    SwapHandles((u8, u8), (u8, u8)),
    /// The handles of a partition.
    QueryHandles(u8),
}

/// The handles' part of the model.
#[derive(Debug, Clone, Default)]
pub struct HandleModel {
    handles: BTreeMap<(String, u32), Handle>,
}

fn name(space: &Space, n: u8) -> String {
    format!("{}{}", space.ns, NAMES[usize::from(n) % NAMES.len()])
}

impl HandleModel {
    /// The handle holding `name`, other than the one at `key`.
    fn holder(&self, name: &str, key: &(String, u32)) -> Option<&Handle> {
        self.handles
            .iter()
            .find(|(k, h)| *k != key && h.name == name)
            .map(|(_, h)| h)
    }

    fn taken(holder: &Handle) -> String {
        let (pk, sk) = holder.key().into_parts();
        format!("Err(UniqueTaken(name by {pk} | {sk}))")
    }

    /// What `op` returns, as the stores' results are rendered.
    pub fn apply(&mut self, space: &Space, op: &HandleOp) -> String {
        let key = |p: u8, i: u8| (space.part(p), u32::from(i));
        let handle = |p: u8, i: u8, n: u8, uses: i64| Handle {
            part: space.part(p),
            id: u32::from(i),
            name: name(space, n),
            uses,
        };
        match *op {
            HandleOp::CreateHandle(p, i, n) | HandleOp::PutHandle(p, i, n) => {
                let create = matches!(op, HandleOp::CreateHandle(..));
                if create && self.handles.contains_key(&key(p, i)) {
                    return "Err(AlreadyExists)".into();
                }
                if let Some(holder) = self.holder(&name(space, n), &key(p, i)) {
                    return Self::taken(holder);
                }
                self.handles.insert(key(p, i), handle(p, i, n, 0));
                "Ok(())".into()
            }
            HandleOp::RenameHandle(p, i, n) => {
                let Some(old) = self.handles.get(&key(p, i)) else {
                    return "Err(NotFound)".into();
                };
                let renamed = handle(p, i, n, old.uses + 1);
                if let Some(holder) = self.holder(&renamed.name, &key(p, i)) {
                    return Self::taken(holder);
                }
                self.handles.insert(key(p, i), renamed);
                "Ok(())".into()
            }
            HandleOp::DeleteHandle(p, i) => {
                self.handles.remove(&key(p, i));
                "Ok(())".into()
            }
            HandleOp::SwapHandles(a, b) => {
                let (ka, kb) = (key(a.0, a.1), key(b.0, b.1));
                if ka == kb {
                    return "Err(InvalidTransaction)".into();
                }
                let reason = |k: &(String, u32)| {
                    if self.handles.contains_key(k) {
                        "-"
                    } else {
                        "NotFound"
                    }
                };
                let (ra, rb) = (reason(&ka), reason(&kb));
                if ra != "-" || rb != "-" {
                    return format!("Err(Canceled[{ra}, {rb}])");
                }
                let name_a = self.handles[&ka].name.clone();
                let name_b = std::mem::replace(
                    &mut self.handles.get_mut(&kb).expect("checked").name,
                    name_a,
                );
                self.handles.get_mut(&ka).expect("checked").name = name_b;
                "Ok(())".into()
            }
            HandleOp::QueryHandles(p) => format!("Ok({:?})", self.of(space, p)),
        }
    }

    fn of(&self, space: &Space, part: u8) -> Vec<Handle> {
        let pk = space.part(part);
        self.handles
            .iter()
            .filter(|((p, _), _)| *p == pk)
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// The handles of every partition, as [`contents`] reads them.
    pub fn contents(&self, space: &Space, parts: u8) -> String {
        (0..parts)
            .map(|p| format!("handles {:?}\n", self.of(space, p)))
            .collect()
    }
}

/// A store's result as the model renders it: `UniqueTaken` names the
/// constraint and the holder.
fn rendered<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::UniqueTaken(t)) => format!(
            "Err(UniqueTaken({} by {} | {}))",
            t.constraint, t.holder.0, t.holder.1
        ),
        other => result(other),
    }
}

/// Runs `op` on `store`.
pub async fn run(store: &Store, space: &Space, op: &HandleOp) -> String {
    let key = |p: u8, i: u8| Handle::key(space.part(p), u32::from(i));
    let handle = |p: u8, i: u8, n: u8| Handle {
        part: space.part(p),
        id: u32::from(i),
        name: name(space, n),
        uses: 0,
    };
    match *op {
        HandleOp::CreateHandle(p, i, n) => rendered(store.create(&handle(p, i, n)).await),
        HandleOp::PutHandle(p, i, n) => rendered(store.put(&handle(p, i, n)).await),
        HandleOp::RenameHandle(p, i, n) => rendered(
            store
                .update(key(p, i))
                .set(Handle::attr().name, name(space, n))
                .add(Handle::attr().uses, 1)
                .await,
        ),
        HandleOp::DeleteHandle(p, i) => rendered(store.delete(key(p, i)).await),
        HandleOp::SwapHandles(a, b) => {
            // Each takes the other's name, as read; a missing one is
            // renamed to nothing and its update fails (NotFound).
            let read = |k| async { store.get(k).await.ok().flatten().map(|h: Handle| h.name) };
            let (na, nb) = (read(key(a.0, a.1)).await, read(key(b.0, b.1)).await);
            let mut tx = store.transaction();
            let set = |k, n: Option<String>| {
                Update::new(k).set(Handle::attr().name, n.unwrap_or_else(|| "?".into()))
            };
            tx.update(set(key(a.0, a.1), nb));
            tx.update(set(key(b.0, b.1), na));
            match tx.commit().await {
                Err(Error::TransactionCanceled(c)) => {
                    let reasons: Vec<&str> = c
                        .reasons
                        .iter()
                        .map(|r| match r {
                            blue_schema::write::CancelReason::None => "-",
                            blue_schema::write::CancelReason::NotFound => "NotFound",
                            _ => "Other",
                        })
                        .collect();
                    format!("Err(Canceled[{}])", reasons.join(", "))
                }
                other => rendered(other),
            }
        }
        HandleOp::QueryHandles(p) => {
            rendered(store.query(Handle::query(space.part(p))).all().await)
        }
    }
}

/// The handles of every partition of `space` on `store`.
pub async fn contents(store: &Store, space: &Space, parts: u8) -> String {
    let mut out = String::new();
    for p in 0..parts {
        match store.query(Handle::query(space.part(p))).all().await {
            Ok(h) => out.push_str(&format!("handles {h:?}\n")),
            Err(e) => out.push_str(&format!("handles Err({e})\n")),
        }
    }
    out
}

/// Deletes the handles of every partition of `space`, with their markers.
pub async fn clear(store: &Store, space: &Space, parts: u8) -> Result<(), Error> {
    for p in 0..parts {
        for h in store.query(Handle::query(space.part(p))).all().await? {
            store.delete(h.key()).await?;
        }
    }
    Ok(())
}

/// That every name has its marker and every marker its handle.
pub async fn markers_check(store: &Store) -> Result<(), String> {
    let report = check_table::<Handles>(store)
        .await
        .map_err(|e| e.to_string())?;
    if report.orphan_markers + report.missing_markers > 0 || !report.problems.is_empty() {
        return Err(format!("markers: {:#?}", report.problems));
    }
    Ok(())
}

/// Random handle operations, over two partitions and three ids.
pub fn handle_op() -> impl proptest::strategy::Strategy<Value = HandleOp> {
    use proptest::prelude::*;
    let part = || 0..2u8;
    let id = || 0..3u8;
    let name = || 0..NAMES.len() as u8;
    prop_oneof![
        3 => (part(), id(), name()).prop_map(|(p, i, n)| HandleOp::CreateHandle(p, i, n)),
        2 => (part(), id(), name()).prop_map(|(p, i, n)| HandleOp::PutHandle(p, i, n)),
        3 => (part(), id(), name()).prop_map(|(p, i, n)| HandleOp::RenameHandle(p, i, n)),
        1 => (part(), id()).prop_map(|(p, i)| HandleOp::DeleteHandle(p, i)),
        2 => ((part(), id()), (part(), id())).prop_map(|(a, b)| HandleOp::SwapHandles(a, b)),
        1 => part().prop_map(HandleOp::QueryHandles),
    ]
}
