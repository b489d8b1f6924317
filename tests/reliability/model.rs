//! A reference model of the store and differential random testing.
//!
//! [`Model`] is a small in-memory implementation of the store's documented
//! semantics (conditions, versions, updates, transactions, batches, pages
//! and cursors), written for clarity, not speed. Random sequences of
//! operations over a small key space (two partitions, a few ids, so that
//! collisions, conflicts and cursor edge cases are frequent) run on the
//! model, on SQLite (a file and memory) and on DynamoDB (the emulator, or
//! `BLUE_DYNAMODB_ENDPOINT`); every result (values, errors, pages, cursor
//! presence) and the final contents must agree, and cursors must be the
//! same string on every backend.
//!
//! Operations are plain data ([`Op`]), made of small numbers that index
//! fixed value lists, so that proptest can shrink a failing sequence and
//! its `Debug` output is Rust: a failure prints a test ready to paste.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use blue_schema::write::CancelReason;
use blue_schema::{Condition, Cursor, Error, IntoQuery, Query, Store, Update};
use proptest::prelude::*;

use crate::entities::*;

/// Partition names (each run puts a namespace of its own in front).
const PARTS: [&str; 2] = ["p", "q#"];
/// Note values: the empty string, delimiters, non-ASCII.
const NOTES: [&str; 3] = ["", "n#1", "ü"];
/// Set elements.
const TAGS: [&str; 3] = ["a", "b", "c#"];
/// Document bodies.
const BODIES: [&str; 3] = ["", "x", "y%23"];
/// Tally units.
const UNITS: [&str; 2] = ["kg", "m#"];
/// Ids: the key space of each partition.
const IDS: u8 = 4;

/// A cell, as small numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct C {
    pub part: u8,
    pub id: u8,
    pub count: i8,
    pub note: Option<u8>,
    /// Bits 0..3: which of [`TAGS`] it holds.
    pub tags: u8,
    /// The list: [`TAGS`] picked by bits 0..3, in order.
    pub log: u8,
}

/// A document, as small numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct D {
    pub part: u8,
    pub id: u8,
    pub body: u8,
    pub version: u8,
}

/// A condition on a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum If {
    CountEq(i8),
    CountLt(i8),
    NoteExists,
    NoteMissing,
    HasTag(u8),
    Exists,
    Absent,
    /// `CountEq(a) | NoteExists`.
    EqOrNote(i8),
}

/// One change of a cell's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add(i8),
    Subtract(i8),
    SetCount(i8),
    /// The note, with `set_index` (`note` is the key of index `by_note`).
    SetNote(u8),
    /// No note: out of index `by_note`.
    RemoveNote,
    AddTags(u8),
    DeleteTags(u8),
    Append(u8),
    Prepend(u8),
}

/// A range on a cell query's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Gt(u8),
    Ge(u8),
    Lt(u8),
    Le(u8),
    Between(u8, u8),
}

impl Range {
    fn holds(self, id: u32) -> bool {
        let n = |x: u8| u32::from(x);
        match self {
            Range::Gt(a) => id > n(a),
            Range::Ge(a) => id >= n(a),
            Range::Lt(a) => id < n(a),
            Range::Le(a) => id <= n(a),
            Range::Between(a, b) => n(a) <= id && id <= n(b),
        }
    }

    /// Whether the key range of the cells in `self` holds the marks nested
    /// under cell `id`: a range ends at a cell's own key, below its marks
    /// (`id_lt(a)` at the key of cell `a - 1`, the greatest key below `a`'s).
    fn holds_marks_of(self, id: u32) -> bool {
        let n = |x: u8| u32::from(x);
        match self {
            Range::Gt(a) => id > n(a),
            Range::Ge(a) => id >= n(a),
            Range::Lt(a) => id + 1 < n(a),
            Range::Le(a) => id < n(a),
            Range::Between(a, b) => n(a) <= id && id < n(b),
        }
    }
}

/// What an update returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    Nothing,
    Old,
    New,
}

/// One action of a transaction. (The `Tx` prefix keeps the names apart
/// from [`Op`]'s when a pasted test imports both with `*`.)
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOp {
    TxPut(C),
    TxCreate(C),
    TxPutWhen(C, If),
    TxUpdate(u8, u8, Vec<Change>, Option<If>, bool),
    TxDelete(u8, u8),
    TxDeleteWhen(u8, u8, If),
    TxCheck(u8, u8, If),
    TxPutDoc(D),
    /// An update adding to a pin's hits (part, kind, id, n): a moving
    /// entity's key, which the commit moves first.
    TxHitPin(u8, u8, u8, i8),
}

/// One operation of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    GetCell(u8, u8),
    GetDoc(u8, u8),
    PutCell(C),
    PutCellWhen(C, If),
    CreateCell(C),
    PutDoc(D),
    UpdateCell {
        part: u8,
        id: u8,
        changes: Vec<Change>,
        when: Option<If>,
        or_create: bool,
        returning: Returning,
    },
    /// `Some(v)`: `expect_version(v)`; `None`: `any_version()`.
    UpdateDoc(u8, u8, u8, Option<u8>),
    DeleteCell(u8, u8),
    DeleteCellReturning(u8, u8),
    DeleteCellWhen(u8, u8, If),
    /// `Some(Some(v))`: `expect_version(v)`; `Some(None)`: `any_version()`;
    /// `None`: neither (refused).
    DeleteDoc(u8, u8, Option<Option<u8>>),
    Tx(Vec<TxOp>),
    PutAll(Vec<C>),
    GetMany(Vec<(u8, u8)>),
    TransactGet(Vec<(u8, u8)>),
    /// Cells of a partition: ids in `range`, reversed, in pages.
    QueryCells {
        part: u8,
        range: Option<Range>,
        reverse: bool,
        page_size: Option<u8>,
    },
    /// `all()` of a partition's cells with `take(n)`.
    QueryTake {
        part: u8,
        reverse: bool,
        page_size: Option<u8>,
        take: u8,
    },
    /// `count_page` of a partition's cells, page by page, following
    /// cursors: the cells each page counts (a cell's nested marks are
    /// evaluated, never counted).
    CountCells {
        part: u8,
        range: Option<Range>,
        page_size: Option<u8>,
    },
    /// `count` of every item of a partition (the `PartItems` collection).
    CountPartition(u8),
    /// `modify` of a document: its body set.
    ModifyDoc(u8, u8, u8),
    /// `rekey` of a cell to another key (the cell at `to`).
    Rekey(u8, u8, C),
    /// `delete_entity` of a document as the caller read it.
    DeleteDocEntity(D),
    /// Every item of a partition, in pages (the `PartItems` collection).
    QueryPartition(u8, Option<u8>),
    /// `put` of a mark (part, cell id, number, text), nested under the cell.
    PutMark(u8, u8, u8, u8),
    /// `delete` of a mark.
    DeleteMark(u8, u8, u8),
    /// A cell with its marks (the `CellWithMarks` collection), in pages.
    QueryCellWithMarks {
        part: u8,
        id: u8,
        reverse: bool,
        page_size: Option<u8>,
    },
    /// The marks of a cell, in pages.
    QueryMarks(u8, u8, Option<u8>),
    /// `put` of the tally of a partition (its own partition template),
    /// shape 2, with a unit of [`UNITS`].
    PutTally(u8, i8, u8),
    /// `put` of the tally by the program before shapes (shape 1).
    PutTallyV1(u8, i8),
    /// `update` adding to the tally: by the current program (which
    /// upgrades a shape-1 tally first), or by the older one.
    AddTally(u8, i8, bool),
    /// `get` of the tally of a partition.
    GetTally(u8),
    /// An operation on the leases, which expire ([`crate::expiry`]).
    Lease(crate::expiry::LeaseOp),
    /// An operation on the handles, whose names are unique
    /// ([`crate::handles`]).
    Handle(crate::handles::HandleOp),
    /// `put` of a pin (part, id, kind, label) by the program before its
    /// key moved, under the old key. Generated only at the start of a
    /// sequence: an older program stops writing before the new one moves
    /// items (the guide's key-move contract).
    PutPinV1(u8, u8, u8, u8),
    /// `get` of a pin (part, kind, id) by the current program.
    GetPin(u8, u8, u8),
    /// `put` of a pin (part, kind, id, label).
    PutPin(u8, u8, u8, u8),
    /// `update` adding to a pin's hits (part, kind, id, n).
    HitPin(u8, u8, u8, i8),
    /// `delete` of a pin.
    DeletePin(u8, u8, u8),
    /// `get_many` of pins.
    GetPins(Vec<(u8, u8, u8)>),
    /// A partition's pins, under the new key.
    QueryPins(u8),
}

// ---------------------------------------------------------------------
// Values

/// Turns the small numbers into entities, in a run's namespace.
#[derive(Debug, Clone)]
pub struct Space {
    pub ns: String,
}

impl Space {
    pub fn part(&self, part: u8) -> String {
        format!("{}{}", self.ns, PARTS[part as usize % PARTS.len()])
    }

    fn cell(&self, c: C) -> Cell {
        Cell {
            part: self.part(c.part),
            id: u32::from(c.id),
            count: i64::from(c.count),
            note: c.note.map(|n| self.note(n)),
            tags: tags(c.tags),
            log: list(c.log),
        }
    }

    fn doc(&self, d: D) -> Doc {
        Doc {
            part: self.part(d.part),
            id: u32::from(d.id),
            body: self.body(d.body),
            version: u64::from(d.version),
        }
    }

    /// A note, in the run's namespace: index partitions are shared by the
    /// runs on one store.
    fn note(&self, n: u8) -> String {
        format!("{}{}", self.ns, NOTES[n as usize % NOTES.len()])
    }

    /// A document body, in the run's namespace.
    fn body(&self, b: u8) -> String {
        format!("{}{}", self.ns, BODIES[b as usize % BODIES.len()])
    }

    fn cell_key(&self, part: u8, id: u8) -> blue_schema::Key<Cell> {
        Cell::key(self.part(part), u32::from(id))
    }

    fn doc_key(&self, part: u8, id: u8) -> blue_schema::Key<Doc> {
        Doc::key(self.part(part), u32::from(id))
    }

    fn mark(&self, part: u8, id: u8, n: u8, text: u8) -> Mark {
        Mark {
            part: self.part(part),
            id: u32::from(id),
            n: u32::from(n),
            // A note's value: marks share the notes' index partitions.
            text: self.note(text),
        }
    }

    fn mark_key(&self, part: u8, id: u8, n: u8) -> blue_schema::Key<Mark> {
        Mark::key(self.part(part), u32::from(id), u32::from(n))
    }

    fn tally_key(&self, part: u8) -> blue_schema::Key<Tally> {
        Tally::key(self.part(part))
    }

    fn pin(&self, part: u8, kind: u8, id: u8, label: u8) -> Pin {
        Pin {
            part: self.part(part),
            kind,
            id: u32::from(id),
            label: self.note(label),
            hits: 0,
        }
    }

    fn pin_key(&self, part: u8, kind: u8, id: u8) -> blue_schema::Key<Pin> {
        Pin::key(self.part(part), kind, u32::from(id))
    }

    /// The key a pin had before its key moved.
    fn old_pin_key(&self, part: u8, id: u8) -> blue_schema::Key<v1::Pin> {
        v1::Pin::key(self.part(part), u32::from(id))
    }
}

fn tags(mask: u8) -> std::collections::BTreeSet<String> {
    (0..TAGS.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| TAGS[i].to_owned())
        .collect()
}

fn list(mask: u8) -> Vec<String> {
    tags(mask).into_iter().collect()
}

fn condition(c: If) -> Condition<Cell> {
    let a = Cell::attr();
    match c {
        If::CountEq(n) => a.count.eq(i64::from(n)),
        If::CountLt(n) => a.count.lt(i64::from(n)),
        If::NoteExists => a.note.exists(),
        If::NoteMissing => a.note.not_exists(),
        If::HasTag(t) => a.tags.contains(TAGS[t as usize % TAGS.len()]),
        If::Exists => Condition::exists(),
        If::Absent => Condition::not_exists(),
        If::EqOrNote(n) => a.count.eq(i64::from(n)) | a.note.exists(),
    }
}

/// The condition on the stored cell (`None`: no item), with DynamoDB's
/// rules: a comparison with a missing attribute is false.
fn holds(c: If, stored: Option<&Cell>) -> bool {
    match (c, stored) {
        (If::Exists, s) => s.is_some(),
        (If::Absent, s) => s.is_none(),
        (_, None) => matches!(c, If::NoteMissing),
        (If::CountEq(n), Some(s)) => s.count == i64::from(n),
        (If::CountLt(n), Some(s)) => s.count < i64::from(n),
        (If::NoteExists, Some(s)) => s.note.is_some(),
        (If::NoteMissing, Some(s)) => s.note.is_none(),
        (If::HasTag(t), Some(s)) => s.tags.contains(TAGS[t as usize % TAGS.len()]),
        (If::EqOrNote(n), Some(s)) => s.count == i64::from(n) || s.note.is_some(),
    }
}

/// Applies `changes` to an update builder: [`Update`] (in a transaction)
/// or the store's `update`, which have the same methods.
macro_rules! with_changes {
    ($space:expr, $u:expr, $changes:expr) => {{
        let a = Cell::attr();
        let mut u = $u;
        for change in $changes {
            u = match *change {
                Change::Add(n) => u.add(a.count, i64::from(n)),
                Change::Subtract(n) => u.subtract(a.count, i64::from(n)),
                Change::SetCount(n) => u.set(a.count, i64::from(n)),
                Change::SetNote(n) => u.set_index(CellByNote {
                    note: Some($space.note(n)),
                }),
                Change::RemoveNote => u.set_index(CellByNote { note: None }),
                Change::AddTags(m) => u.add_to(a.tags, tags(m)),
                Change::DeleteTags(m) => u.delete_from(a.tags, tags(m)),
                Change::Append(m) => u.append(a.log, list(m)),
                Change::Prepend(m) => u.prepend(a.log, list(m)),
            };
        }
        u
    }};
}

fn update_of(space: &Space, part: u8, id: u8, changes: &[Change]) -> Update<Cell> {
    with_changes!(space, Update::new(space.cell_key(part, id)), changes)
}

/// Applies the changes to a cell (`stored`, or a new one with the key).
fn changed(space: &Space, part: u8, id: u8, stored: Option<&Cell>, changes: &[Change]) -> Cell {
    let mut cell = stored.cloned().unwrap_or_else(|| Cell {
        part: space.part(part),
        id: u32::from(id),
        count: 0,
        note: None,
        tags: Default::default(),
        log: Vec::new(),
    });
    for change in changes {
        match *change {
            Change::Add(n) => cell.count += i64::from(n),
            Change::Subtract(n) => cell.count -= i64::from(n),
            Change::SetCount(n) => cell.count = i64::from(n),
            Change::SetNote(n) => cell.note = Some(space.note(n)),
            Change::RemoveNote => cell.note = None,
            Change::AddTags(m) => cell.tags.extend(tags(m)),
            Change::DeleteTags(m) => cell.tags.retain(|t| !tags(m).contains(t)),
            Change::Append(m) => cell.log.extend(list(m)),
            Change::Prepend(m) => {
                let mut log = list(m);
                log.append(&mut cell.log);
                cell.log = log;
            }
        }
    }
    cell
}

/// Whether an update that may create its item sets every required field
/// (`count`): `set`, or `add` (a missing number counts as 0).
fn creates_whole(changes: &[Change]) -> bool {
    changes.iter().any(|c| {
        matches!(
            c,
            Change::Add(_) | Change::Subtract(_) | Change::SetCount(_)
        )
    })
}

// ---------------------------------------------------------------------
// Results, rendered the same way for the model and the backends

fn show<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}")
}

fn current(c: &blue_schema::write::ConditionFailed) -> String {
    if let Some(cell) = c.current::<Cell>() {
        return show(&Some(cell));
    }
    show(&c.current::<Doc>())
}

fn reason(r: &CancelReason) -> String {
    match r {
        CancelReason::None => "-".into(),
        CancelReason::AlreadyExists => "AlreadyExists".into(),
        CancelReason::NotFound => "NotFound".into(),
        CancelReason::ConditionFailed(c) => format!("ConditionFailed({})", current(c)),
        CancelReason::VersionConflict(c) => format!(
            "VersionConflict({:?}, {:?}, {})",
            c.expected_version,
            c.found_version,
            current(c)
        ),
        other => format!("Unexpected({other:?})"),
    }
}

fn error(e: &Error) -> String {
    match e {
        Error::ConditionFailed(c) => format!("ConditionFailed({})", current(c)),
        Error::VersionConflict(c) => format!(
            "VersionConflict({:?}, {:?}, {})",
            c.expected_version,
            c.found_version,
            current(c)
        ),
        Error::AlreadyExists { .. } => "AlreadyExists".into(),
        Error::NotFound { .. } => "NotFound".into(),
        Error::VersionRequired { .. } => "VersionRequired".into(),
        Error::InvalidTransaction { .. } => "InvalidTransaction".into(),
        Error::InvalidUpdate { .. } => "InvalidUpdate".into(),
        Error::DuplicateKey { .. } => "DuplicateKey".into(),
        Error::NewerShape(m) => format!("NewerShape({}, {})", m.stored, m.writer),
        Error::TransactionCanceled(t) => format!(
            "Canceled[{}]",
            t.reasons.iter().map(reason).collect::<Vec<_>>().join(", ")
        ),
        other => format!("Unexpected({other})"),
    }
}

pub fn result<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({})", error(&e)),
    }
}

fn pages_text<T: std::fmt::Debug>(pages: &[(Vec<T>, bool)]) -> String {
    let mut out = String::new();
    for (items, cursor) in pages {
        let _ = write!(out, "{items:?}{} ", if *cursor { " ->" } else { " |" });
    }
    out
}

// ---------------------------------------------------------------------
// The model

/// Whatever an item of the table is, in the model.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Cell(Cell),
    Doc(Doc),
    Mark(Mark),
    /// A tally, and the shape it is stored in.
    Tally(Tally, u32),
    /// A pin under its key, or still under its old key (as the current
    /// program reads it).
    Pin(Pin),
    OldPin(Pin),
}

/// The reference implementation: items by encoded key, whose byte order
/// is the sort order of both backends.
#[derive(Debug, Default, Clone)]
pub struct Model {
    items: BTreeMap<(String, String), Item>,
    leases: crate::expiry::LeaseModel,
    handles: crate::handles::HandleModel,
}

/// The stored partition key of a partition (the same for every entity of
/// the `P` template).
fn encoded_partition(space: &Space, part: u8) -> String {
    space.cell_key(part, 0).into_parts().0
}

fn cell_slot(space: &Space, part: u8, id: u8) -> (String, String) {
    space.cell_key(part, id).into_parts()
}

fn doc_slot(space: &Space, part: u8, id: u8) -> (String, String) {
    space.doc_key(part, id).into_parts()
}

/// A failed check, as the backends report it.
enum Refusal {
    AlreadyExists,
    NotFound,
    Condition(String),
    Version(u64, Option<u64>, String),
}

impl Refusal {
    fn error(&self) -> String {
        match self {
            Refusal::AlreadyExists => "AlreadyExists".into(),
            Refusal::NotFound => "NotFound".into(),
            Refusal::Condition(current) => format!("ConditionFailed({current})"),
            Refusal::Version(e, f, current) => {
                format!("VersionConflict(Some({e}), {f:?}, {current})")
            }
        }
    }
}

impl Model {
    fn cell(&self, slot: &(String, String)) -> Option<&Cell> {
        match self.items.get(slot) {
            Some(Item::Cell(c)) => Some(c),
            _ => None,
        }
    }

    fn doc(&self, slot: &(String, String)) -> Option<&Doc> {
        match self.items.get(slot) {
            Some(Item::Doc(d)) => Some(d),
            _ => None,
        }
    }

    /// The version check of a versioned write expecting `expected`.
    fn version_refusal(&self, slot: &(String, String), expected: u64) -> Option<Refusal> {
        let found = self.doc(slot).map(|d| d.version);
        let ok = match found {
            None => expected == 0,
            Some(f) => expected != 0 && expected == f,
        };
        (!ok).then(|| Refusal::Version(expected, found, show(&self.doc(slot))))
    }

    /// Checks a cell write: `exists` (Some(false): must be absent,
    /// Some(true): must exist), then the condition.
    fn cell_refusal(
        &self,
        slot: &(String, String),
        exists: Option<bool>,
        when: Option<If>,
    ) -> Option<Refusal> {
        let stored = self.cell(slot);
        match (exists, stored) {
            (Some(false), Some(_)) => return Some(Refusal::AlreadyExists),
            (Some(true), None) => return Some(Refusal::NotFound),
            _ => {}
        }
        match when {
            Some(c) if !holds(c, stored) => Some(Refusal::Condition(show(&stored))),
            _ => None,
        }
    }

    /// Runs `op` on the model; returns its rendered result.
    pub fn apply(&mut self, space: &Space, op: &Op) -> String {
        match op {
            Op::GetCell(p, i) => format!("Ok({:?})", self.cell(&cell_slot(space, *p, *i))),
            Op::GetDoc(p, i) => format!("Ok({:?})", self.doc(&doc_slot(space, *p, *i))),
            Op::PutCell(c) => {
                let cell = space.cell(*c);
                self.items
                    .insert(cell_slot(space, c.part, c.id), Item::Cell(cell));
                "Ok(())".into()
            }
            Op::PutCellWhen(c, when) => {
                let slot = cell_slot(space, c.part, c.id);
                if let Some(r) = self.cell_refusal(&slot, None, Some(*when)) {
                    return format!("Err({})", r.error());
                }
                self.items.insert(slot, Item::Cell(space.cell(*c)));
                "Ok(())".into()
            }
            Op::CreateCell(c) => {
                let slot = cell_slot(space, c.part, c.id);
                if let Some(r) = self.cell_refusal(&slot, Some(false), None) {
                    return format!("Err({})", r.error());
                }
                self.items.insert(slot, Item::Cell(space.cell(*c)));
                "Ok(())".into()
            }
            Op::PutDoc(d) => {
                let slot = doc_slot(space, d.part, d.id);
                if let Some(r) = self.version_refusal(&slot, u64::from(d.version)) {
                    return format!("Err({})", r.error());
                }
                let mut doc = space.doc(*d);
                doc.version += 1;
                self.items.insert(slot, Item::Doc(doc));
                "Ok(())".into()
            }
            Op::UpdateCell {
                part,
                id,
                changes,
                when,
                or_create,
                returning,
            } => {
                let slot = cell_slot(space, *part, *id);
                if *or_create && !creates_whole(changes) {
                    return "Err(InvalidUpdate)".into();
                }
                let exists = (!*or_create).then_some(true);
                if let Some(r) = self.cell_refusal(&slot, exists, *when) {
                    return format!("Err({})", r.error());
                }
                let old = self.cell(&slot).cloned();
                let new = changed(space, *part, *id, old.as_ref(), changes);
                self.items.insert(slot, Item::Cell(new.clone()));
                match returning {
                    Returning::Nothing => "Ok(None)".into(),
                    Returning::Old => format!("Ok({old:?})"),
                    Returning::New => format!("Ok({:?})", Some(new)),
                }
            }
            Op::UpdateDoc(p, i, body, version) => {
                let slot = doc_slot(space, *p, *i);
                if self.doc(&slot).is_none() {
                    return "Err(NotFound)".into();
                }
                if let Some(v) = version {
                    if let Some(r) = self.version_refusal(&slot, u64::from(*v)) {
                        return format!("Err({})", r.error());
                    }
                }
                let mut doc = self.doc(&slot).cloned().unwrap();
                doc.body = space.body(*body);
                doc.version += 1;
                self.items.insert(slot, Item::Doc(doc));
                "Ok(())".into()
            }
            Op::DeleteCell(p, i) => {
                self.items.remove(&cell_slot(space, *p, *i));
                "Ok(())".into()
            }
            Op::DeleteCellReturning(p, i) => {
                let old = self.items.remove(&cell_slot(space, *p, *i));
                match old {
                    Some(Item::Cell(c)) => format!("Ok({:?})", Some(c)),
                    _ => "Ok(None)".into(),
                }
            }
            Op::DeleteCellWhen(p, i, when) => {
                let slot = cell_slot(space, *p, *i);
                if let Some(r) = self.cell_refusal(&slot, None, Some(*when)) {
                    return format!("Err({})", r.error());
                }
                self.items.remove(&slot);
                "Ok(())".into()
            }
            Op::DeleteDoc(p, i, version) => {
                let slot = doc_slot(space, *p, *i);
                match version {
                    None => return "Err(VersionRequired)".into(),
                    Some(Some(v)) => {
                        if let Some(r) = self.version_refusal(&slot, u64::from(*v)) {
                            return format!("Err({})", r.error());
                        }
                    }
                    Some(None) => {}
                }
                self.items.remove(&slot);
                "Ok(())".into()
            }
            Op::Tx(actions) => self.transaction(space, actions),
            Op::PutAll(cells) => {
                let slots: Vec<_> = cells
                    .iter()
                    .map(|c| cell_slot(space, c.part, c.id))
                    .collect();
                if has_duplicates(&slots) {
                    return "Err(DuplicateKey)".into();
                }
                for c in cells {
                    self.items
                        .insert(cell_slot(space, c.part, c.id), Item::Cell(space.cell(*c)));
                }
                "Ok(())".into()
            }
            Op::GetMany(keys) | Op::TransactGet(keys) => {
                let slots: Vec<_> = keys.iter().map(|(p, i)| cell_slot(space, *p, *i)).collect();
                if matches!(op, Op::TransactGet(_)) && has_duplicates(&slots) {
                    return "Err(InvalidTransaction)".into();
                }
                let found: Vec<Option<&Cell>> = slots.iter().map(|s| self.cell(s)).collect();
                format!("Ok({found:?})")
            }
            Op::QueryCells {
                part,
                range,
                reverse,
                page_size,
            } => {
                // A page evaluates the items of the key range: the cells in
                // the range, and the marks nested under the cells whose
                // keys the range's ends enclose (an upper end at a cell's
                // key stops before its marks); it returns the cells.
                let mut evaluated: Vec<Option<Cell>> = self
                    .partition_items(space, *part)
                    .filter_map(|item| match item {
                        Item::Cell(c) => {
                            range.is_none_or(|r| r.holds(c.id)).then(|| Some(c.clone()))
                        }
                        Item::Mark(m) => {
                            range.is_none_or(|r| r.holds_marks_of(m.id)).then_some(None)
                        }
                        _ => None,
                    })
                    .collect();
                if *reverse {
                    evaluated.reverse();
                }
                let pages: Vec<(Vec<Cell>, bool)> = paged(evaluated, *page_size)
                    .into_iter()
                    .map(|(items, full)| (items.into_iter().flatten().collect(), full))
                    .collect();
                pages_text(&pages)
            }
            Op::QueryTake {
                part,
                reverse,
                take,
                ..
            } => {
                let mut cells: Vec<Cell> = self.cells_of(space, *part).collect();
                if *reverse {
                    cells.reverse();
                }
                cells.truncate(usize::from(*take));
                format!("Ok({cells:?})")
            }
            Op::CountCells {
                part,
                range,
                page_size,
            } => {
                // The pages of `QueryCells`, each counting its cells.
                let evaluated: Vec<Option<()>> = self
                    .partition_items(space, *part)
                    .filter_map(|item| match item {
                        Item::Cell(c) => range.is_none_or(|r| r.holds(c.id)).then_some(Some(())),
                        Item::Mark(m) => {
                            range.is_none_or(|r| r.holds_marks_of(m.id)).then_some(None)
                        }
                        _ => None,
                    })
                    .collect();
                let pages: Vec<(Vec<()>, bool)> = paged(evaluated, *page_size)
                    .into_iter()
                    .map(|(items, full)| (items.into_iter().flatten().collect(), full))
                    .collect();
                pages_text(&pages)
            }
            Op::CountPartition(part) => {
                format!("Ok({})", self.partition(space, *part).len())
            }
            Op::ModifyDoc(p, i, body) => {
                let slot = doc_slot(space, *p, *i);
                let Some(mut doc) = self.doc(&slot).cloned() else {
                    return "Ok(None)".into();
                };
                doc.body = space.body(*body);
                doc.version += 1;
                self.items.insert(slot, Item::Doc(doc.clone()));
                format!("Ok({:?})", Some(doc))
            }
            Op::Rekey(p, i, to) => {
                let from = cell_slot(space, *p, *i);
                let target = cell_slot(space, to.part, to.id);
                if from == target {
                    return "Err(InvalidTransaction)".into();
                }
                let gone = self.cell_refusal(&from, None, Some(If::Exists));
                let taken = self.cell_refusal(&target, Some(false), None);
                if gone.is_some() || taken.is_some() {
                    let reason =
                        |r: &Option<Refusal>| r.as_ref().map_or("-".into(), Refusal::error);
                    return format!("Err(Canceled[{}, {}])", reason(&gone), reason(&taken));
                }
                self.items.remove(&from);
                self.items.insert(target, Item::Cell(space.cell(*to)));
                "Ok(())".into()
            }
            Op::DeleteDocEntity(d) => {
                let slot = doc_slot(space, d.part, d.id);
                if let Some(r) = self.version_refusal(&slot, u64::from(d.version)) {
                    return format!("Err({})", r.error());
                }
                self.items.remove(&slot);
                "Ok(())".into()
            }
            Op::QueryPartition(part, page_size) => {
                pages_text(&paged(self.partition(space, *part), *page_size))
            }
            Op::PutMark(p, i, n, text) => {
                let mark = space.mark(*p, *i, *n, *text);
                self.items
                    .insert(space.mark_key(*p, *i, *n).into_parts(), Item::Mark(mark));
                "Ok(())".into()
            }
            Op::DeleteMark(p, i, n) => {
                self.items.remove(&space.mark_key(*p, *i, *n).into_parts());
                "Ok(())".into()
            }
            Op::QueryCellWithMarks {
                part,
                id,
                reverse,
                page_size,
            } => {
                let mut items: Vec<CellWithMarks> = self
                    .partition_items(space, *part)
                    .filter_map(|item| match item {
                        Item::Cell(c) if c.id == u32::from(*id) => {
                            Some(CellWithMarks::Cell(c.clone()))
                        }
                        Item::Mark(m) if m.id == u32::from(*id) => {
                            Some(CellWithMarks::Mark(m.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                if *reverse {
                    items.reverse();
                }
                pages_text(&paged(items, *page_size))
            }
            Op::QueryMarks(part, id, page_size) => {
                let marks: Vec<Mark> = self
                    .partition_items(space, *part)
                    .filter_map(|item| match item {
                        Item::Mark(m) if m.id == u32::from(*id) => Some(m.clone()),
                        _ => None,
                    })
                    .collect();
                pages_text(&paged(marks, *page_size))
            }
            Op::PutTally(p, value, unit) => {
                let tally = Tally {
                    part: space.part(*p),
                    value: i64::from(*value),
                    unit: UNITS[usize::from(*unit)].to_owned(),
                };
                self.items
                    .insert(space.tally_key(*p).into_parts(), Item::Tally(tally, 2));
                "Ok(())".into()
            }
            Op::PutTallyV1(p, value) => {
                if self.tally(space, *p).is_some_and(|(_, shape)| shape == 2) {
                    // The older program cannot write over a newer item.
                    return "Err(NewerShape(2, 1))".into();
                }
                let tally = Tally {
                    part: space.part(*p),
                    value: i64::from(*value),
                    unit: V1_UNIT.to_owned(),
                };
                self.items
                    .insert(space.tally_key(*p).into_parts(), Item::Tally(tally, 1));
                "Ok(())".into()
            }
            Op::AddTally(p, delta, current) => {
                let Some((mut tally, shape)) = self.tally(space, *p) else {
                    return "Err(NotFound)".into();
                };
                if !current && shape == 2 {
                    return "Err(NewerShape(2, 1))".into();
                }
                tally.value += i64::from(*delta);
                // The current program's update upgrades a shape-1 tally
                // first; the older program's leaves it in shape 1.
                let shape = if *current { 2 } else { shape };
                self.items
                    .insert(space.tally_key(*p).into_parts(), Item::Tally(tally, shape));
                "Ok(())".into()
            }
            Op::GetTally(p) => format!("Ok({:?})", self.tally(space, *p).map(|(t, _)| t)),
            Op::Lease(op) => self.leases.apply(space, op),
            Op::Handle(op) => self.handles.apply(space, op),
            Op::PutPinV1(p, id, kind, label) => {
                let pin = space.pin(*p, *kind, *id, *label);
                self.items
                    .insert(space.old_pin_key(*p, *id).into_parts(), Item::OldPin(pin));
                "Ok(())".into()
            }
            Op::GetPin(p, kind, id) => format!("Ok({:?})", self.pin(space, *p, *kind, *id)),
            Op::PutPin(p, kind, id, label) => {
                self.settle_pin(space, *p, *kind, *id);
                let pin = space.pin(*p, *kind, *id, *label);
                self.items
                    .insert(space.pin_key(*p, *kind, *id).into_parts(), Item::Pin(pin));
                "Ok(())".into()
            }
            Op::HitPin(p, kind, id, n) => {
                self.settle_pin(space, *p, *kind, *id);
                let slot = space.pin_key(*p, *kind, *id).into_parts();
                match self.items.get_mut(&slot) {
                    Some(Item::Pin(pin)) => {
                        pin.hits += i64::from(*n);
                        "Ok(())".into()
                    }
                    _ => "Err(NotFound)".into(),
                }
            }
            Op::DeletePin(p, kind, id) => {
                self.settle_pin(space, *p, *kind, *id);
                self.items
                    .remove(&space.pin_key(*p, *kind, *id).into_parts());
                "Ok(())".into()
            }
            Op::GetPins(keys) => {
                let found: Vec<Option<Pin>> = keys
                    .iter()
                    .map(|(p, kind, id)| self.pin(space, *p, *kind, *id))
                    .collect();
                format!("Ok({found:?})")
            }
            Op::QueryPins(p) => format!("Ok({:?})", self.pins(space, *p)),
        }
    }

    /// The pin a key names, as a read by key finds it: under the key, or
    /// under its old key if the pin there has this key's kind.
    fn pin(&self, space: &Space, part: u8, kind: u8, id: u8) -> Option<Pin> {
        match self.items.get(&space.pin_key(part, kind, id).into_parts()) {
            Some(Item::Pin(pin)) => Some(pin.clone()),
            _ => match self.items.get(&space.old_pin_key(part, id).into_parts()) {
                Some(Item::OldPin(pin)) if pin.kind == kind => Some(pin.clone()),
                _ => None,
            },
        }
    }

    /// What every write of a pin's key does first: moves the pin under
    /// the old key to the key, if it is this key's and the key is free
    /// (the older program stopped writing before, so an old copy is never
    /// the later one: it is deleted when the key is taken).
    fn settle_pin(&mut self, space: &Space, part: u8, kind: u8, id: u8) {
        let old = space.old_pin_key(part, id).into_parts();
        let Some(Item::OldPin(pin)) = self.items.get(&old) else {
            return;
        };
        if pin.kind != kind {
            return;
        }
        let pin = pin.clone();
        self.items.remove(&old);
        self.items
            .entry(space.pin_key(part, kind, id).into_parts())
            .or_insert(Item::Pin(pin));
    }

    /// A partition's pins under their keys, in key order.
    fn pins(&self, space: &Space, part: u8) -> Vec<Pin> {
        let pk = space.pin_key(part, 0, 0).into_parts().0;
        self.items
            .iter()
            .filter(|((p, _), _)| *p == pk)
            .filter_map(|(_, item)| match item {
                Item::Pin(pin) => Some(pin.clone()),
                _ => None,
            })
            .collect()
    }

    /// A partition's pins still under their old keys, in key order.
    fn old_pins(&self, space: &Space, part: u8) -> Vec<Pin> {
        let pk = space.old_pin_key(part, 0).into_parts().0;
        self.items
            .iter()
            .filter(|((p, _), _)| *p == pk)
            .filter_map(|(_, item)| match item {
                Item::OldPin(pin) => Some(pin.clone()),
                _ => None,
            })
            .collect()
    }

    /// The tally of a partition, as the current program reads it, and
    /// the shape it is stored in.
    fn tally(&self, space: &Space, part: u8) -> Option<(Tally, u32)> {
        match self.items.get(&space.tally_key(part).into_parts()) {
            Some(Item::Tally(t, shape)) => Some((t.clone(), *shape)),
            _ => None,
        }
    }

    /// The items of a partition of the `P` template, in key order.
    fn partition_items<'m>(&'m self, space: &Space, part: u8) -> impl Iterator<Item = &'m Item> {
        let pk = encoded_partition(space, part);
        self.items
            .iter()
            .filter(move |((p, _), _)| *p == pk)
            .map(|(_, item)| item)
    }

    /// Every item of a partition, in key order, as a whole-partition read
    /// decodes it.
    fn partition(&self, space: &Space, part: u8) -> Vec<PartItems> {
        self.partition_items(space, part)
            .filter_map(|item| match item {
                Item::Cell(c) => Some(PartItems::Cell(c.clone())),
                Item::Doc(d) => Some(PartItems::Doc(d.clone())),
                Item::Mark(m) => Some(PartItems::Mark(m.clone())),
                Item::Tally(..) | Item::Pin(_) | Item::OldPin(_) => None,
            })
            .collect()
    }

    /// The cells of a partition, in key order.
    fn cells_of<'m>(&'m self, space: &Space, part: u8) -> impl Iterator<Item = Cell> + 'm {
        let pk = encoded_partition(space, part);
        self.items
            .iter()
            .filter(move |((p, _), _)| *p == pk)
            .filter_map(|(_, item)| match item {
                Item::Cell(c) => Some(c.clone()),
                _ => None,
            })
    }

    fn transaction(&mut self, space: &Space, actions: &[TxOp]) -> String {
        let slots: Vec<(String, String)> = actions
            .iter()
            .map(|a| match a {
                TxOp::TxPut(c) | TxOp::TxCreate(c) | TxOp::TxPutWhen(c, _) => {
                    cell_slot(space, c.part, c.id)
                }
                TxOp::TxUpdate(p, i, ..)
                | TxOp::TxDelete(p, i)
                | TxOp::TxDeleteWhen(p, i, _)
                | TxOp::TxCheck(p, i, _) => cell_slot(space, *p, *i),
                TxOp::TxPutDoc(d) => doc_slot(space, d.part, d.id),
                TxOp::TxHitPin(p, kind, id, _) => space.pin_key(*p, *kind, *id).into_parts(),
            })
            .collect();
        // An action refused as it is added comes first, then the checks of
        // the whole transaction at commit.
        for a in actions {
            if let TxOp::TxUpdate(_, _, changes, _, true) = a {
                if !creates_whole(changes) {
                    return "Err(InvalidUpdate)".into();
                }
            }
        }
        if has_duplicates(&slots) {
            return "Err(InvalidTransaction)".into();
        }
        // The commit moves the pins it writes first, whatever then becomes
        // of the transaction.
        for a in actions {
            if let TxOp::TxHitPin(p, kind, id, _) = a {
                self.settle_pin(space, *p, *kind, *id);
            }
        }
        let refusals: Vec<Option<Refusal>> = actions
            .iter()
            .zip(&slots)
            .map(|(a, slot)| match a {
                TxOp::TxPut(_) | TxOp::TxDelete(..) => None,
                TxOp::TxCreate(_) => self.cell_refusal(slot, Some(false), None),
                TxOp::TxPutWhen(_, w) | TxOp::TxDeleteWhen(_, _, w) | TxOp::TxCheck(_, _, w) => {
                    self.cell_refusal(slot, None, Some(*w))
                }
                TxOp::TxUpdate(_, _, _, w, or_create) => {
                    self.cell_refusal(slot, (!*or_create).then_some(true), *w)
                }
                TxOp::TxPutDoc(d) => self.version_refusal(slot, u64::from(d.version)),
                TxOp::TxHitPin(..) => match self.items.get(slot) {
                    Some(Item::Pin(_)) => None,
                    _ => Some(Refusal::NotFound),
                },
            })
            .collect();
        if refusals.iter().any(Option::is_some) {
            let reasons: Vec<String> = refusals
                .iter()
                .map(|r| r.as_ref().map_or("-".into(), Refusal::error))
                .collect();
            return format!("Err(Canceled[{}])", reasons.join(", "));
        }
        for (a, slot) in actions.iter().zip(slots) {
            match a {
                TxOp::TxPut(c) | TxOp::TxCreate(c) | TxOp::TxPutWhen(c, _) => {
                    self.items.insert(slot, Item::Cell(space.cell(*c)));
                }
                TxOp::TxUpdate(p, i, changes, ..) => {
                    let new = changed(space, *p, *i, self.cell(&slot), changes);
                    self.items.insert(slot, Item::Cell(new));
                }
                TxOp::TxDelete(..) | TxOp::TxDeleteWhen(..) => {
                    self.items.remove(&slot);
                }
                TxOp::TxCheck(..) => {}
                TxOp::TxPutDoc(d) => {
                    let mut doc = space.doc(*d);
                    doc.version += 1;
                    self.items.insert(slot, Item::Doc(doc));
                }
                TxOp::TxHitPin(.., n) => {
                    if let Some(Item::Pin(pin)) = self.items.get_mut(&slot) {
                        pin.hits += i64::from(*n);
                    }
                }
            }
        }
        "Ok(())".into()
    }

    /// What the SQLite file's typed views hold of the run's items (see
    /// [`crate::views`]): a tally of shape 1 has no unit, a pin under its
    /// old key no hits.
    pub fn views(&self) -> String {
        let mut rows = crate::views::Rows::default();
        for item in self.items.values() {
            match item {
                Item::Cell(c) => rows.cells.push((
                    c.part.clone(),
                    c.id.into(),
                    c.count,
                    c.note.clone(),
                    c.tags.clone(),
                    c.log.clone(),
                )),
                Item::Doc(d) => {
                    let version = i64::try_from(d.version).unwrap();
                    rows.docs
                        .push((d.part.clone(), d.id.into(), d.body.clone(), version))
                }
                Item::Mark(m) => {
                    rows.marks
                        .push((m.part.clone(), m.id.into(), m.n.into(), m.text.clone()))
                }
                Item::Tally(t, shape) => rows.tallies.push((
                    t.part.clone(),
                    t.value,
                    (*shape > 1).then(|| t.unit.clone()),
                    (*shape).into(),
                )),
                Item::Pin(p) => rows.pins.push((
                    p.part.clone(),
                    p.kind.into(),
                    p.id.into(),
                    p.label.clone(),
                    Some(p.hits),
                    2,
                )),
                Item::OldPin(p) => rows.pins.push((
                    p.part.clone(),
                    p.kind.into(),
                    p.id.into(),
                    p.label.clone(),
                    None,
                    1,
                )),
            }
        }
        rows.render()
    }

    /// What the run's index partitions hold: the cells of each note (by
    /// table key), the keys of each partition's cells (by id), the
    /// documents of each body.
    pub fn indexes(&self, space: &Space) -> String {
        let mut out = String::new();
        let cells = || {
            self.items.values().filter_map(|i| match i {
                Item::Cell(c) => Some(c),
                _ => None,
            })
        };
        for n in 0..NOTES.len() as u8 {
            let note = Some(space.note(n));
            let of: Vec<&Cell> = cells().filter(|c| c.note == note).collect();
            let _ = writeln!(out, "note {n}: {of:?}");
        }
        // The index partition of a note: its cells, then the marks with its
        // text (index sort keys start with the entity's prefix), each by
        // table key.
        for n in 0..NOTES.len() as u8 {
            let note = space.note(n);
            let mut of: Vec<Noted> = cells()
                .filter(|c| c.note.as_ref() == Some(&note))
                .map(|c| Noted::Cell(c.clone()))
                .collect();
            of.extend(self.items.values().filter_map(|i| match i {
                Item::Mark(m) if m.text == note => Some(Noted::Mark(m.clone())),
                _ => None,
            }));
            let _ = writeln!(out, "noted {n}: {of:?}");
        }
        for p in 0..PARTS.len() as u8 {
            let mut keys: Vec<(u32, blue_schema::Key<Cell>)> = cells()
                .filter(|c| c.part == space.part(p))
                .map(|c| (c.id, blue_schema::Entity::key(c)))
                .collect();
            keys.sort_by_key(|(id, _)| *id);
            let keys: Vec<_> = keys.into_iter().map(|(_, k)| k).collect();
            let _ = writeln!(out, "part {p}: {keys:?}");
        }
        // The cells of each partition by count (as numbers), ties by id;
        // and those of a count of at least zero.
        for p in 0..PARTS.len() as u8 {
            let mut of: Vec<&Cell> = cells().filter(|c| c.part == space.part(p)).collect();
            of.sort_by_key(|c| (c.count, c.id));
            let _ = writeln!(out, "counts {p}: {of:?}");
            of.retain(|c| c.count >= 0);
            let _ = writeln!(out, "counted {p}: {of:?}");
        }
        // The view of each partition's documents, by id.
        for p in 0..PARTS.len() as u8 {
            let mut lines: Vec<DocLine> = self
                .items
                .values()
                .filter_map(|i| match i {
                    Item::Doc(d) if d.part == space.part(p) => Some(DocLine {
                        part: d.part.clone(),
                        id: d.id,
                        body: d.body.clone(),
                        version: d.version,
                    }),
                    _ => None,
                })
                .collect();
            lines.sort_by_key(|l| l.id);
            let _ = writeln!(out, "docs {p}: {lines:?}");
        }
        for b in 0..BODIES.len() as u8 {
            let body = space.body(b);
            let of: Vec<&Doc> = self
                .items
                .values()
                .filter_map(|i| match i {
                    Item::Doc(d) if d.body == body => Some(d),
                    _ => None,
                })
                .collect();
            let _ = writeln!(out, "body {b}: {of:?}");
        }
        out
    }

    /// Every item of the run's partitions, in order.
    pub fn contents(&self, space: &Space) -> String {
        let mut out = String::new();
        for part in 0..PARTS.len() as u8 {
            let _ = writeln!(out, "{:?}", self.partition(space, part));
            let _ = writeln!(out, "tally {:?}", self.tally(space, part).map(|(t, _)| t));
            let _ = writeln!(out, "pins {:?}", self.pins(space, part));
            let _ = writeln!(out, "old pins {:?}", self.old_pins(space, part));
        }
        out + &self.leases.contents(space, PARTS.len() as u8)
    }
}

/// Whether a key is named twice.
fn has_duplicates(slots: &[(String, String)]) -> bool {
    let mut sorted: Vec<_> = slots.iter().collect();
    sorted.sort();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// DynamoDB's page rule without a filter or the 1 MB cut: a page holds the
/// next `page_size` items and has a cursor when it is full, even when
/// nothing follows (the next page is then empty and has none).
fn paged<T>(items: Vec<T>, page_size: Option<u8>) -> Vec<(Vec<T>, bool)> {
    let Some(size) = page_size.map(|n| usize::from(n.max(1))) else {
        return vec![(items, false)];
    };
    let mut pages = Vec::new();
    let mut rest = items.into_iter().peekable();
    loop {
        let page: Vec<T> = rest.by_ref().take(size).collect();
        let full = page.len() == size;
        pages.push((page, full));
        if !full {
            return pages;
        }
    }
}

// ---------------------------------------------------------------------
// The backends

/// Runs `op` on a store; returns its rendered result, and the cursors it
/// handed out.
pub async fn run(store: &Store, space: &Space, op: &Op) -> (String, Vec<String>) {
    let mut cursors = Vec::new();
    let text = match op {
        Op::GetCell(p, i) => result(store.get(space.cell_key(*p, *i)).await),
        Op::GetDoc(p, i) => result(store.get(space.doc_key(*p, *i)).await),
        Op::PutCell(c) => result(store.put(&space.cell(*c)).await),
        Op::PutCellWhen(c, when) => result(store.put(&space.cell(*c)).when(condition(*when)).await),
        Op::CreateCell(c) => result(store.create(&space.cell(*c)).await),
        Op::PutDoc(d) => result(store.put(&space.doc(*d)).await),
        Op::UpdateCell {
            part,
            id,
            changes,
            when,
            or_create,
            returning,
        } => {
            let mut u = with_changes!(space, store.update(space.cell_key(*part, *id)), changes);
            if let Some(w) = when {
                u = u.when(condition(*w));
            }
            if *or_create {
                u = u.or_create();
            }
            match returning {
                Returning::Nothing => result(u.await.map(|()| None::<Cell>)),
                Returning::Old => result(u.returning_old().await),
                Returning::New => result(u.returning_new().await.map(Some)),
            }
        }
        Op::UpdateDoc(p, i, body, version) => {
            let a = Doc::attr();
            let _ = a;
            let u = store.update(space.doc_key(*p, *i)).set_index(DocByBody {
                body: space.body(*body),
            });
            let u = match version {
                Some(v) => u.expect_version(u64::from(*v)),
                None => u.any_version(),
            };
            result(u.await)
        }
        Op::DeleteCell(p, i) => result(store.delete(space.cell_key(*p, *i)).await),
        Op::DeleteCellReturning(p, i) => {
            result(store.delete_returning(space.cell_key(*p, *i)).await)
        }
        Op::DeleteCellWhen(p, i, when) => result(
            store
                .delete(space.cell_key(*p, *i))
                .when(condition(*when))
                .await,
        ),
        Op::DeleteDoc(p, i, version) => {
            let d = store.delete(space.doc_key(*p, *i));
            result(match version {
                None => d.await,
                Some(Some(v)) => d.expect_version(u64::from(*v)).await,
                Some(None) => d.any_version().await,
            })
        }
        Op::Tx(actions) => {
            let mut tx = store.transaction();
            for a in actions {
                match a {
                    TxOp::TxPut(c) => {
                        tx.put(&space.cell(*c));
                    }
                    TxOp::TxCreate(c) => {
                        tx.create(&space.cell(*c));
                    }
                    TxOp::TxPutWhen(c, w) => {
                        tx.put_when(&space.cell(*c), condition(*w));
                    }
                    TxOp::TxUpdate(p, i, changes, w, or_create) => {
                        let mut u = update_of(space, *p, *i, changes);
                        if let Some(w) = w {
                            u = u.when(condition(*w));
                        }
                        if *or_create {
                            u = u.or_create();
                        }
                        tx.update(u);
                    }
                    TxOp::TxDelete(p, i) => {
                        tx.delete(space.cell_key(*p, *i));
                    }
                    TxOp::TxDeleteWhen(p, i, w) => {
                        tx.delete_when(space.cell_key(*p, *i), condition(*w));
                    }
                    TxOp::TxCheck(p, i, w) => {
                        tx.check(space.cell_key(*p, *i), condition(*w));
                    }
                    TxOp::TxPutDoc(d) => {
                        tx.put(&space.doc(*d));
                    }
                    TxOp::TxHitPin(p, kind, id, n) => {
                        tx.update(
                            Update::new(space.pin_key(*p, *kind, *id))
                                .add(Pin::attr().hits, i64::from(*n)),
                        );
                    }
                }
            }
            result(tx.commit().await)
        }
        Op::PutAll(cells) => {
            let cells: Vec<Cell> = cells.iter().map(|c| space.cell(*c)).collect();
            result(store.put_all(&cells).await)
        }
        Op::GetMany(keys) => result(
            store
                .get_many(keys.iter().map(|(p, i)| space.cell_key(*p, *i)))
                .await,
        ),
        Op::TransactGet(keys) => result(
            store
                .transact_get(keys.iter().map(|(p, i)| space.cell_key(*p, *i)))
                .await,
        ),
        Op::QueryCells {
            part,
            range,
            reverse,
            page_size,
        } => {
            let query = || cell_query(space, *part, *range, *reverse, *page_size);
            pages(store, query, &mut cursors).await
        }
        Op::QueryTake {
            part,
            reverse,
            page_size,
            take,
        } => {
            let mut q = Cell::query(space.part(*part))
                .into_query()
                .take(usize::from(*take));
            if *reverse {
                q = q.reverse();
            }
            if let Some(n) = page_size {
                q = q.page_size(u32::from(*n).max(1));
            }
            result(store.query(q).all().await)
        }
        Op::CountCells {
            part,
            range,
            page_size,
        } => {
            let query = || cell_query(space, *part, *range, false, *page_size);
            match count_pages(store, query, &mut cursors).await {
                Ok(pages) => pages_text(&pages),
                Err(e) => format!("Err({})", error(&e)),
            }
        }
        Op::CountPartition(part) => result(
            store
                .query(PartItems::query(space.part(*part)))
                .count()
                .await,
        ),
        Op::ModifyDoc(p, i, body) => {
            let body = space.body(*body);
            result(
                store
                    .modify(space.doc_key(*p, *i), move |d: &mut Doc| {
                        d.body = body.clone()
                    })
                    .await,
            )
        }
        Op::Rekey(p, i, to) => result(store.rekey(space.cell_key(*p, *i), &space.cell(*to)).await),
        Op::DeleteDocEntity(d) => result(store.delete_entity(&space.doc(*d)).await),
        Op::QueryPartition(part, page_size) => {
            let query = || {
                let mut q: Query<PartItems> = PartItems::query(space.part(*part));
                if let Some(n) = page_size {
                    q = q.page_size(u32::from(*n).max(1));
                }
                q
            };
            pages(store, query, &mut cursors).await
        }
        Op::PutMark(p, i, n, text) => result(store.put(&space.mark(*p, *i, *n, *text)).await),
        Op::DeleteMark(p, i, n) => result(store.delete(space.mark_key(*p, *i, *n)).await),
        Op::QueryCellWithMarks {
            part,
            id,
            reverse,
            page_size,
        } => {
            let query = || {
                let mut q = CellWithMarks::query(space.cell_key(*part, *id));
                if *reverse {
                    q = q.reverse();
                }
                if let Some(n) = page_size {
                    q = q.page_size(u32::from(*n).max(1));
                }
                q
            };
            pages(store, query, &mut cursors).await
        }
        Op::QueryMarks(part, id, page_size) => {
            let query = || {
                let mut q: Query<Mark> = Mark::query(space.part(*part))
                    .id(u32::from(*id))
                    .into_query();
                if let Some(n) = page_size {
                    q = q.page_size(u32::from(*n).max(1));
                }
                q
            };
            pages(store, query, &mut cursors).await
        }
        Op::PutTally(p, value, unit) => result(
            store
                .put(&Tally {
                    part: space.part(*p),
                    value: i64::from(*value),
                    unit: UNITS[usize::from(*unit)].to_owned(),
                })
                .await,
        ),
        Op::PutTallyV1(p, value) => result(
            store
                .put(&v1::Tally {
                    part: space.part(*p),
                    value: i64::from(*value),
                })
                .await,
        ),
        Op::AddTally(p, delta, true) => result(
            store
                .update(space.tally_key(*p))
                .add(Tally::attr().value, i64::from(*delta))
                .await,
        ),
        Op::AddTally(p, delta, false) => result(
            store
                .update(v1::Tally::key(space.part(*p)))
                .add(v1::Tally::attr().value, i64::from(*delta))
                .await,
        ),
        Op::GetTally(p) => result(store.get(space.tally_key(*p)).await),
        Op::PutPinV1(p, id, kind, label) => {
            let pin = space.pin(*p, *kind, *id, *label);
            result(
                store
                    .put(&v1::Pin {
                        part: pin.part,
                        id: pin.id,
                        kind: pin.kind,
                        label: pin.label,
                    })
                    .await,
            )
        }
        Op::GetPin(p, kind, id) => result(store.get(space.pin_key(*p, *kind, *id)).await),
        Op::PutPin(p, kind, id, label) => {
            result(store.put(&space.pin(*p, *kind, *id, *label)).await)
        }
        Op::HitPin(p, kind, id, n) => result(
            store
                .update(space.pin_key(*p, *kind, *id))
                .add(Pin::attr().hits, i64::from(*n))
                .await,
        ),
        Op::DeletePin(p, kind, id) => result(store.delete(space.pin_key(*p, *kind, *id)).await),
        Op::GetPins(keys) => {
            // `get_many` reads a key given twice once; the model's answer
            // names it twice too.
            let keys = keys
                .iter()
                .map(|(p, kind, id)| space.pin_key(*p, *kind, *id));
            result(store.get_many(keys).await)
        }
        Op::QueryPins(p) => result(store.query(Pin::query(space.part(*p))).all().await),
        Op::Lease(_) => {
            unreachable!("`Engines::check` runs lease operations with the model's clock")
        }
        Op::Handle(op) => crate::handles::run(store, space, op).await,
    };
    (text, cursors)
}

/// The query of a partition's cells with ids in `range`, reversed, in
/// pages of `page_size`.
fn cell_query(
    space: &Space,
    part: u8,
    range: Option<Range>,
    reverse: bool,
    page_size: Option<u8>,
) -> Query<Cell> {
    let q = Cell::query(space.part(part));
    let n = u32::from;
    let mut q: Query<Cell> = match range {
        Some(Range::Gt(a)) => q.id_gt(n(a)),
        Some(Range::Ge(a)) => q.id_ge(n(a)),
        Some(Range::Lt(a)) => q.id_lt(n(a)),
        Some(Range::Le(a)) => q.id_le(n(a)),
        Some(Range::Between(a, b)) => q.id_between(n(a), n(b)),
        None => q.into_query(),
    };
    if reverse {
        q = q.reverse();
    }
    if let Some(n) = page_size {
        q = q.page_size(u32::from(n).max(1));
    }
    q
}

/// Counts every page of a query, following cursors (at most 64 pages):
/// each page as as many `()` as it counted.
async fn count_pages<R, F>(
    store: &Store,
    query: F,
    cursors: &mut Vec<String>,
) -> Result<Vec<(Vec<()>, bool)>, Error>
where
    R: blue_schema::FromItem + Send + 'static,
    F: Fn() -> blue_schema::Query<R>,
{
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..64 {
        let q = match cursor.take() {
            Some(c) => query().after(c),
            None => query(),
        };
        let page = store.query(q).count_page().await?;
        let count = usize::try_from(page.count).expect("a page's count");
        out.push((vec![(); count], page.cursor.is_some()));
        match page.cursor {
            Some(c) => {
                cursors.push(c.to_string());
                cursor = Some(c);
            }
            None => return Ok(out),
        }
    }
    panic!("more than 64 counted pages");
}

/// Reads every page of a query, following cursors (at most 64 pages), and
/// renders them as [`pages_text`] does, or the error.
async fn pages<R, F>(store: &Store, query: F, cursors: &mut Vec<String>) -> String
where
    R: blue_schema::FromItem + Send + std::fmt::Debug + 'static,
    F: Fn() -> blue_schema::Query<R>,
{
    match read_pages(store, query, cursors).await {
        Ok(pages) => pages_text(&pages),
        Err(e) => format!("Err({})", error(&e)),
    }
}

async fn read_pages<R, F>(
    store: &Store,
    query: F,
    cursors: &mut Vec<String>,
) -> Result<Vec<(Vec<R>, bool)>, Error>
where
    R: blue_schema::FromItem + Send + 'static,
    F: Fn() -> blue_schema::Query<R>,
{
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..64 {
        let q = match cursor.take() {
            Some(c) => query().after(c),
            None => query(),
        };
        let page = store.query(q).page().await?;
        let more = page.cursor.is_some();
        if let Some(c) = &page.cursor {
            cursors.push(c.to_string());
        }
        out.push((page.items, more));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
    panic!("a query over a few items did not end in 64 pages");
}

/// What the run's index partitions hold, as the store reads them (see
/// [`Model::indexes`]).
pub async fn indexes(store: &Store, space: &Space) -> String {
    let mut out = String::new();
    for n in 0..NOTES.len() as u8 {
        let of = store
            .query(Cell::by_note(space.note(n)))
            .all()
            .await
            .unwrap();
        let of: Vec<&Cell> = of.iter().collect();
        let _ = writeln!(out, "note {n}: {of:?}");
    }
    for n in 0..NOTES.len() as u8 {
        let of = store
            .query(Noted::query(space.note(n)))
            .all()
            .await
            .unwrap();
        let _ = writeln!(out, "noted {n}: {of:?}");
    }
    for p in 0..PARTS.len() as u8 {
        let keys = store
            .query(Cell::by_part(space.part(p)))
            .all()
            .await
            .unwrap();
        let _ = writeln!(out, "part {p}: {keys:?}");
    }
    for p in 0..PARTS.len() as u8 {
        let of = store
            .query(Cell::by_count(space.part(p)))
            .all()
            .await
            .unwrap();
        let of: Vec<&Cell> = of.iter().collect();
        let _ = writeln!(out, "counts {p}: {of:?}");
        let of = store
            .query(Cell::by_count(space.part(p)).count_ge(0i64))
            .all()
            .await
            .unwrap();
        let of: Vec<&Cell> = of.iter().collect();
        let _ = writeln!(out, "counted {p}: {of:?}");
    }
    for p in 0..PARTS.len() as u8 {
        let lines = store
            .query(Doc::docs_in(space.part(p)))
            .all()
            .await
            .unwrap();
        let _ = writeln!(out, "docs {p}: {lines:?}");
    }
    for b in 0..BODIES.len() as u8 {
        let of = store
            .query(Doc::by_body(space.body(b)))
            .all()
            .await
            .unwrap();
        let of: Vec<&Doc> = of.iter().collect();
        let _ = writeln!(out, "body {b}: {of:?}");
    }
    out
}

/// Every item of the run's partitions, in order, as the store reads them.
pub async fn contents(store: &Store, space: &Space) -> String {
    let mut out = String::new();
    for part in 0..PARTS.len() as u8 {
        let items: Vec<PartItems> = store
            .query(PartItems::query(space.part(part)))
            .all()
            .await
            .unwrap();
        let _ = writeln!(out, "{items:?}");
        let tally = store.get(space.tally_key(part)).await.unwrap();
        let _ = writeln!(out, "tally {:?}", tally.as_ref());
        let pins: Vec<Pin> = store
            .query(Pin::query(space.part(part)))
            .all()
            .await
            .unwrap();
        let _ = writeln!(out, "pins {pins:?}");
        let old: Vec<Pin> = store
            .query(v1::Pin::query(space.part(part)))
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(v1::Pin::upgraded)
            .collect();
        let _ = writeln!(out, "old pins {old:?}");
    }
    out
}

// ---------------------------------------------------------------------
// Generation

fn part() -> impl Strategy<Value = u8> {
    0..PARTS.len() as u8
}

fn id() -> impl Strategy<Value = u8> {
    0..IDS
}

fn c() -> impl Strategy<Value = C> {
    (
        part(),
        id(),
        -3i8..4,
        proptest::option::of(0..NOTES.len() as u8),
        0u8..8,
        0u8..8,
    )
        .prop_map(|(part, id, count, note, tags, log)| C {
            part,
            id,
            count,
            note,
            tags,
            log,
        })
}

fn d() -> impl Strategy<Value = D> {
    (part(), 0..2u8, 0..BODIES.len() as u8, 0u8..4).prop_map(|(part, id, body, version)| D {
        part,
        id,
        body,
        version,
    })
}

fn cond() -> impl Strategy<Value = If> {
    prop_oneof![
        (-2i8..3).prop_map(If::CountEq),
        (-2i8..3).prop_map(If::CountLt),
        Just(If::NoteExists),
        Just(If::NoteMissing),
        (0..TAGS.len() as u8).prop_map(If::HasTag),
        Just(If::Exists),
        Just(If::Absent),
        (-2i8..3).prop_map(If::EqOrNote),
    ]
}

/// One to three changes, at most one per attribute (DynamoDB refuses
/// overlapping paths; that rule has tests of its own).
fn changes() -> impl Strategy<Value = Vec<Change>> {
    let count = proptest::option::of(prop_oneof![
        (-3i8..4).prop_map(Change::Add),
        (-3i8..4).prop_map(Change::Subtract),
        (-3i8..4).prop_map(Change::SetCount),
    ]);
    let note = proptest::option::of(prop_oneof![
        (0..NOTES.len() as u8).prop_map(Change::SetNote),
        Just(Change::RemoveNote),
    ]);
    let tags = proptest::option::of(prop_oneof![
        (1u8..8).prop_map(Change::AddTags),
        (1u8..8).prop_map(Change::DeleteTags),
    ]);
    let log = proptest::option::of(prop_oneof![
        (0u8..8).prop_map(Change::Append),
        (0u8..8).prop_map(Change::Prepend),
    ]);
    (count, note, tags, log)
        .prop_map(|(a, b, c, d)| [a, b, c, d].into_iter().flatten().collect::<Vec<_>>())
        .prop_filter("at least one change", |v| !v.is_empty())
}

fn range() -> impl Strategy<Value = Range> {
    prop_oneof![
        id().prop_map(Range::Gt),
        id().prop_map(Range::Ge),
        id().prop_map(Range::Lt),
        id().prop_map(Range::Le),
        (id(), id()).prop_map(|(a, b)| Range::Between(a.min(b), a.max(b))),
    ]
}

fn returning() -> impl Strategy<Value = Returning> {
    prop_oneof![
        Just(Returning::Nothing),
        Just(Returning::Old),
        Just(Returning::New)
    ]
}

fn tx_op() -> impl Strategy<Value = TxOp> {
    prop_oneof![
        c().prop_map(TxOp::TxPut),
        c().prop_map(TxOp::TxCreate),
        (c(), cond()).prop_map(|(c, w)| TxOp::TxPutWhen(c, w)),
        (
            part(),
            id(),
            changes(),
            proptest::option::of(cond()),
            any::<bool>()
        )
            .prop_map(|(p, i, ch, w, oc)| TxOp::TxUpdate(p, i, ch, w, oc)),
        (part(), id()).prop_map(|(p, i)| TxOp::TxDelete(p, i)),
        (part(), id(), cond()).prop_map(|(p, i, w)| TxOp::TxDeleteWhen(p, i, w)),
        (part(), id(), cond()).prop_map(|(p, i, w)| TxOp::TxCheck(p, i, w)),
        d().prop_map(TxOp::TxPutDoc),
        (part(), kind(), id(), -3i8..4).prop_map(|(p, k, i, n)| TxOp::TxHitPin(p, k, i, n)),
    ]
}

fn keys() -> impl Strategy<Value = Vec<(u8, u8)>> {
    proptest::collection::vec((part(), id()), 0..5)
}

/// Any operation, weighted towards writes.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (part(), id()).prop_map(|(p, i)| Op::GetCell(p, i)),
        1 => (part(), 0..2u8).prop_map(|(p, i)| Op::GetDoc(p, i)),
        4 => c().prop_map(Op::PutCell),
        3 => (c(), cond()).prop_map(|(c, w)| Op::PutCellWhen(c, w)),
        3 => c().prop_map(Op::CreateCell),
        3 => d().prop_map(Op::PutDoc),
        5 => (part(), id(), changes(), proptest::option::of(cond()), any::<bool>(), returning())
            .prop_map(|(part, id, changes, when, or_create, returning)| Op::UpdateCell {
                part,
                id,
                changes,
                when,
                or_create,
                returning,
            }),
        2 => (part(), 0..2u8, 0..BODIES.len() as u8, proptest::option::of(0u8..4))
            .prop_map(|(p, i, b, v)| Op::UpdateDoc(p, i, b, v)),
        2 => (part(), id()).prop_map(|(p, i)| Op::DeleteCell(p, i)),
        1 => (part(), id()).prop_map(|(p, i)| Op::DeleteCellReturning(p, i)),
        2 => (part(), id(), cond()).prop_map(|(p, i, w)| Op::DeleteCellWhen(p, i, w)),
        1 => (part(), 0..2u8, proptest::option::of(proptest::option::of(0u8..4)))
            .prop_map(|(p, i, v)| Op::DeleteDoc(p, i, v)),
        4 => proptest::collection::vec(tx_op(), 1..5).prop_map(Op::Tx),
        2 => proptest::collection::vec(c(), 0..5).prop_map(Op::PutAll),
        1 => keys().prop_map(Op::GetMany),
        1 => keys().prop_map(Op::TransactGet),
        3 => (part(), proptest::option::of(range()), any::<bool>(), proptest::option::of(1u8..4))
            .prop_map(|(part, range, reverse, page_size)| Op::QueryCells {
                part,
                range,
                reverse,
                page_size,
            }),
        1 => (part(), any::<bool>(), proptest::option::of(1u8..4), 0u8..5)
            .prop_map(|(part, reverse, page_size, take)| Op::QueryTake {
                part,
                reverse,
                page_size,
                take,
            }),
        2 => (part(), proptest::option::of(range()), proptest::option::of(1u8..4))
            .prop_map(|(part, range, page_size)| Op::CountCells {
                part,
                range,
                page_size,
            }),
        1 => part().prop_map(Op::CountPartition),
        1 => (part(), 0..2u8, 0..BODIES.len() as u8).prop_map(|(p, i, b)| Op::ModifyDoc(p, i, b)),
        1 => (part(), id(), c()).prop_map(|(p, i, to)| Op::Rekey(p, i, to)),
        1 => d().prop_map(Op::DeleteDocEntity),
        2 => (part(), proptest::option::of(1u8..4)).prop_map(|(p, n)| Op::QueryPartition(p, n)),
        3 => (part(), id(), 0u8..3, 0..NOTES.len() as u8).prop_map(|(p, i, n, t)| Op::PutMark(p, i, n, t)),
        1 => (part(), id(), 0u8..3).prop_map(|(p, i, n)| Op::DeleteMark(p, i, n)),
        2 => (part(), id(), any::<bool>(), proptest::option::of(1u8..4))
            .prop_map(|(part, id, reverse, page_size)| Op::QueryCellWithMarks {
                part,
                id,
                reverse,
                page_size,
            }),
        1 => (part(), id(), proptest::option::of(1u8..4)).prop_map(|(p, i, n)| Op::QueryMarks(p, i, n)),
        1 => (part(), -3i8..4, 0..UNITS.len() as u8).prop_map(|(p, v, u)| Op::PutTally(p, v, u)),
        1 => (part(), -3i8..4).prop_map(|(p, v)| Op::PutTallyV1(p, v)),
        1 => (part(), -3i8..4, any::<bool>()).prop_map(|(p, v, c)| Op::AddTally(p, v, c)),
        1 => part().prop_map(Op::GetTally),
        4 => crate::expiry::lease_op().prop_map(Op::Lease),
        4 => crate::handles::handle_op().prop_map(Op::Handle),
        2 => (part(), kind(), id()).prop_map(|(p, k, i)| Op::GetPin(p, k, i)),
        2 => (part(), kind(), id(), 0..NOTES.len() as u8).prop_map(|(p, k, i, l)| Op::PutPin(p, k, i, l)),
        2 => (part(), kind(), id(), -3i8..4).prop_map(|(p, k, i, n)| Op::HitPin(p, k, i, n)),
        1 => (part(), kind(), id()).prop_map(|(p, k, i)| Op::DeletePin(p, k, i)),
        1 => proptest::collection::vec((part(), kind(), id()), 0..5).prop_map(Op::GetPins),
        1 => part().prop_map(Op::QueryPins),
    ]
}

/// A pin's kind: two, so that kinds share old keys.
fn kind() -> impl Strategy<Value = u8> {
    0..2u8
}

/// The older program's writes of pins, under the old key, that start a
/// sequence (before the current program moves any).
pub fn old_pins() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (part(), id(), kind(), 0..NOTES.len() as u8)
            .prop_map(|(p, i, k, l)| Op::PutPinV1(p, i, k, l)),
        0..6,
    )
}

// ---------------------------------------------------------------------
// The differential runner

/// The stores a sequence runs on, shared by every sequence of a test (each
/// sequence writes partitions of its own namespace).
pub struct Engines {
    pub stores: Vec<(&'static str, Store)>,
    next: std::sync::atomic::AtomicU64,
    pub operations: std::sync::atomic::AtomicU64,
    /// The feed records the sequences' consumers applied.
    pub records: std::sync::atomic::AtomicU64,
    dir: tempfile::TempDir,
    dynamo: blue_schema::backend::dynamodb::DynamoDbBackend,
    /// The stores' clocks, in the order of `stores`.
    clocks: Vec<blue_schema::ttl::ManualClock>,
}

impl Engines {
    pub async fn new() -> Engines {
        let dir = tempfile::tempdir().unwrap();
        // A clock each, which every sequence sets and its ticks move.
        let clocks: Vec<_> = (0..4)
            .map(|_| crate::expiry::clock_at(crate::expiry::base()))
            .collect();
        let file = Store::sqlite(dir.path().join("model.db"))
            .unwrap()
            .with_clock(clocks[0].clone());
        let memory = Store::sqlite_memory()
            .unwrap()
            .with_clock(clocks[1].clone());
        let backend = crate::dynamodb::backend().await;
        let dynamo = Store::from_backend(backend.clone()).with_clock(clocks[2].clone());
        // The tables layout: a table per entity.
        let tables = Store::from_backend(
            blue_schema::backend::sqlite::SqliteConfig::file(dir.path().join("tables.db"))
                .layout(blue_schema::backend::sqlite::Layout::Tables)
                .open()
                .unwrap(),
        )
        .with_clock(clocks[3].clone());
        for store in [&file, &memory, &dynamo, &tables] {
            store.create_table::<Reliable>().await.unwrap();
            store.create_table::<crate::expiry::Leases>().await.unwrap();
            store
                .create_table::<crate::handles::Handles>()
                .await
                .unwrap();
        }
        Engines {
            stores: vec![
                ("sqlite", file),
                ("sqlite_memory", memory),
                ("dynamodb", dynamo),
                ("sqlite_tables", tables),
            ],
            next: Default::default(),
            operations: Default::default(),
            records: Default::default(),
            dir,
            dynamo: backend,
            clocks,
        }
    }

    pub async fn drop_tables(&self) {
        crate::dynamodb::drop_tables(&self.dynamo).await;
    }

    /// Runs `ops` on the model and every store; the first divergence, if
    /// any.
    pub async fn check(&self, ops: &[Op]) -> Result<(), String> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let space = Space {
            ns: format!("s{n}-"),
        };
        let now = crate::expiry::base();
        for clock in &self.clocks {
            crate::expiry::set(clock, now);
        }
        let mut model = Model {
            leases: crate::expiry::LeaseModel::starting_at(now),
            ..Model::default()
        };
        // A consumer of each store's feed, from before the sequence.
        let mut feeds = Vec::new();
        for (_, store) in &self.stores {
            feeds.push(crate::feed::Feeds::open(store, &space).await);
        }
        for (step, op) in ops.iter().enumerate() {
            let expected = model.apply(&space, op);
            if let Op::Lease(crate::expiry::LeaseOp::Tick) = op {
                for clock in &self.clocks {
                    crate::expiry::tick(clock);
                }
            }
            let mut cursors: Option<(&str, Vec<String>)> = None;
            for (name, store) in &self.stores {
                let (got, handed) = match op {
                    Op::Lease(lease) => (
                        crate::expiry::run(store, &space, lease, model.leases.now()).await,
                        Vec::new(),
                    ),
                    _ => run(store, &space, op).await,
                };
                if got != expected {
                    return Err(format!(
                        "step {step}, {op:?}, on {name}:\n  model:   {expected}\n  backend: {got}"
                    ));
                }
                match &cursors {
                    None => cursors = Some((name, handed)),
                    Some((first, theirs)) if *theirs != handed => {
                        return Err(format!(
                            "step {step}, {op:?}: cursors differ between {first} and {name}:\n  {theirs:?}\n  {handed:?}"
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        self.operations.fetch_add(
            (ops.len() * (self.stores.len() + 1)) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let expected = model.contents(&space) + &model.handles.contents(&space, PARTS.len() as u8);
        for (name, store) in &self.stores {
            let got = contents(store, &space).await
                + &crate::expiry::contents(store, &space, PARTS.len() as u8).await
                + &crate::handles::contents(store, &space, PARTS.len() as u8).await;
            if got != expected {
                return Err(format!(
                    "final contents on {name}:\n  model:   {expected}\n  backend: {got}"
                ));
            }
        }
        // The SQLite file's typed views, read as any SQL tool would.
        let expected = model.views();
        let got = crate::views::read(&self.dir.path().join("model.db"), &space.ns)
            .map_err(|e| format!("views of the SQLite file: {e}"))?;
        if got != expected {
            return Err(format!(
                "views of the SQLite file:\n  model:   {expected}\n  backend: {got}"
            ));
        }
        // No name held twice, none without its marker, no marker left
        // without its handle; then the run's handles go (their markers
        // with them), so that the table each check reads stays small.
        for (name, store) in &self.stores {
            crate::handles::markers_check(store)
                .await
                .map_err(|e| format!("unique names on {name}: {e}"))?;
            crate::handles::clear(store, &space, PARTS.len() as u8)
                .await
                .map_err(|e| format!("clearing the handles on {name}: {e}"))?;
        }
        // A copy rebuilt from the feed alone equals the table.
        for ((name, store), feed) in self.stores.iter().zip(&mut feeds) {
            feed.check(store, &space, PARTS.len() as u8)
                .await
                .map_err(|e| format!("feed on {name}: {e}"))?;
            self.records
                .fetch_add(feed.records() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        // Every index holds exactly the items the model says, no stale
        // entry: after the writes settle (DynamoDB's indexes lag; SQLite
        // and the emulator answer at once).
        let expected = model.indexes(&space);
        for (name, store) in &self.stores {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let got = indexes(store, &space).await;
                if got == expected {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "indexes on {name}:\n  model:   {expected}\n  backend: {got}"
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }
}

/// A failing sequence as a test to paste into `differential.rs`.
pub fn as_rust_test(ops: &[Op]) -> String {
    let mut out = String::from(
        "#[test]\nfn regression() {\n    use crate::expiry::LeaseOp::*;\n    use crate::handles::HandleOp::*;\n    use crate::model::{Change::*, If::*, Op::*, Range::*, Returning::*, TxOp::*, C, D};\n    crate::differential::replay(&[\n",
    );
    for op in ops {
        // `Debug` writes a `Vec` as `[…]`; the only brackets are `Vec`s.
        let _ = writeln!(out, "        {},", format!("{op:?}").replace('[', "vec!["));
    }
    out.push_str("    ]);\n}\n");
    out
}
