//! What a failed SQLite call becomes: the store's errors.

use rusqlite::ErrorCode;

use super::NAME;
use crate::Error;

/// The store's error for a failed SQLite call: [`Error::Busy`] for a lock
/// held past the busy timeout, [`Error::Backend`] for anything else.
///
/// The single table's guard ([`crate::layout::tables::ROUTES_CHANGED`]) makes
/// every connection of this process read its routes again.
pub(super) fn sqlite_error(e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(_, Some(message)) = &e {
        if message.starts_with(crate::layout::tables::ROUTES_CHANGED) {
            super::route::routes_changed();
        }
    }
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    );
    if busy {
        Error::Busy {
            backend: NAME,
            source: Box::new(e),
        }
    } else {
        Error::Backend {
            backend: NAME,
            source: Box::new(e),
        }
    }
}

/// Maps SQLite's "no such table" to [`Error::TableNotFound`].
pub(super) fn table_error(table: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, Some(message))
            if f.code == ErrorCode::Unknown && message.starts_with("no such table") =>
        {
            Error::TableNotFound {
                table: table.to_owned(),
            }
        }
        _ => sqlite_error(e),
    }
}
