//! The escalation index on DynamoDB: an escalated case carries one `ESCALATED` item in its
//! partition, in its escalation month's `ESCALATED#<yyyy-mm>` partition of the period index (as
//! closures are in `CLOSED#`), written with the case on every create and update (and added to
//! cases escalated before it existed by [`crate::backfill`]). The export reads it in Query pages
//! (`period_pages.rs`) and the cases with BatchGetItem: never a Scan.

use chrono::{Datelike, NaiveDate};
use complaints_app::escalations::escalated_on;
use complaints_core::case::Case;

use crate::keys::{self, ATTR_REF, GSI2PK, GSI2SK, Item, PK, SK, s};

/// `ESCALATED#<yyyy-mm>` partition of the period index.
pub(crate) fn escalated_partition(date: NaiveDate) -> String {
    format!("ESCALATED#{:04}-{:02}", date.year(), date.month())
}

/// The escalation item of a case that went from stage 1 to stage 2; `None` for any other case.
/// Rewritten with every update (the same key and values), so writing it is idempotent.
#[must_use]
pub(crate) fn escalation_item(case: &Case) -> Option<Item> {
    let on = escalated_on(case)?;
    let reference = case.reference();
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(keys::case_pk(reference)));
    item.insert(SK.to_owned(), s("ESCALATED"));
    item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
    item.insert(GSI2PK.to_owned(), s(escalated_partition(on)));
    item.insert(GSI2SK.to_owned(), s(format!("{on}#{reference}")));
    Some(item)
}
