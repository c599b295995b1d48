//! Flags raised with a case write are written only when new, as SQLite's `INSERT OR IGNORE` and
//! the memory store's `or_insert` do: a flag already in the register (perhaps dealt with) is left
//! as it is, never reopened by a write that carries the same flag again.
//!
//! A failed condition cancels a whole `TransactWriteItems`, so the flags cannot simply be put on
//! condition they are new: an existing one would refuse the case write too. Each flag is read
//! first (only writes that raise flags pay for it, and they are few) and only the absent ones are
//! put, on condition they are still absent. Should a racing writer raise the same flag between
//! the read and the write, the transaction is cancelled on that flag's position and tried again
//! ([`FLAG_ATTEMPTS`]): the next read finds it and leaves it out.

use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};
use complaints_app::ports::StoreError;

use crate::keys::{Item, PK, SK};
use crate::meter::Cost;
use crate::{DynamoDbCaseStore, reason_failed};

/// How many times a write is tried when a flag it raises appeared between the read and the write.
pub(crate) const FLAG_ATTEMPTS: u32 = 3;

impl DynamoDbCaseStore {
    /// The puts of the flag items among `items` that are not in the table yet, each on condition
    /// it still is not.
    pub(crate) async fn new_flag_puts(
        &self,
        items: &[Item],
        op: &mut Cost,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut puts = Vec::new();
        for item in items {
            let key: Item =
                [PK, SK].into_iter().filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone()))).collect();
            if self.get_item(key, op).await?.is_none() {
                puts.push(self.put_new(item.clone())?);
            }
        }
        Ok(puts)
    }
}

/// Whether a cancelled transaction failed on one of the flag puts from position `flags_from` on
/// (a racing writer raised the same flag): worth another read and try.
pub(crate) fn flag_raced(reasons: &[CancellationReason], flags_from: usize) -> bool {
    (flags_from..reasons.len()).any(|position| reason_failed(reasons, position))
}
