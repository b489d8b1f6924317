//! Writes on a metered handle: the images of the items before and after,
//! read in the write's own transaction, give the capacity units DynamoDB
//! would charge.

use super::capacity::Image;
use super::pool::Conn;
use super::{capacity, write, SqliteBackend};
use crate::capacity::{read_units, Usage};
use crate::ops::ItemKey;
use crate::Error;

/// What an item is after a metered write that succeeds.
pub(super) enum After {
    /// What the write leaves: read back in its transaction.
    Read,
    /// Known before the write: the row a put writes, or none for a delete.
    Is(Option<Image>),
    /// The item is only checked (a transaction's condition check).
    Checked,
}

impl SqliteBackend {
    /// Runs a metered write of the items `keys`: computes its units from
    /// their images before and after (each [`After`] says where the after
    /// image comes from). Only for a metering backend: an unmetered write
    /// calls `run` itself and builds no `keys`.
    /// `read_first` charges the consistent batch read of the keys that
    /// DynamoDB's `put_all` sends first (for the `created_at` it keeps).
    pub(super) async fn metered_write<T, F>(
        &self,
        keys: Vec<(ItemKey, After)>,
        transactional: bool,
        requests: u64,
        read_first: bool,
        work: F,
    ) -> Result<T, Error>
    where
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        debug_assert!(
            self.metering(),
            "an unmetered write runs without its images"
        );
        let inner = self.inner.clone();
        let (result, usage) = self
            .run(move |conn| {
                // One transaction for the images and the write, so that no
                // other writer comes between them; a failed write rolls it
                // back (and consumed nothing, as DynamoDB reports).
                let metered = write::immediate(conn, |conn| {
                    let before = keys
                        .iter()
                        .map(|(key, _)| capacity::image(conn, key))
                        .collect::<Result<Vec<_>, _>>()?;
                    let value = work(conn)?;
                    let mut usage = Usage {
                        requests,
                        ..Usage::default()
                    };
                    if read_first {
                        usage.requests +=
                            keys.len().div_ceil(crate::limits::MAX_BATCH_GET_KEYS) as u64;
                        for old in &before {
                            usage.consumed.read +=
                                read_units(old.as_ref().map_or(0, |i| i.size()), true);
                        }
                    }
                    for ((key, after), old) in keys.iter().zip(&before) {
                        let old_size = old.as_ref().map_or(0, |i| i.size());
                        let read;
                        let new = match after {
                            After::Checked => {
                                usage.consumed.write +=
                                    2.0 * crate::capacity::write_units(old_size);
                                continue;
                            }
                            After::Is(image) => image.as_ref(),
                            After::Read => {
                                read = capacity::image(conn, key)?;
                                read.as_ref()
                            }
                        };
                        usage.items += 1;
                        usage.consumed.write += capacity::write_units(
                            &inner.tables,
                            key,
                            old.as_ref(),
                            new,
                            transactional,
                        );
                    }
                    Ok((value, usage))
                });
                Ok(match metered {
                    Ok((value, usage)) => (Ok(value), usage),
                    Err(e) => (
                        Err(e),
                        Usage {
                            requests,
                            ..Usage::default()
                        },
                    ),
                })
            })
            .await?;
        self.account(usage);
        result
    }
}
