//! [`NoticeStore`] on DynamoDB: one `TransactWriteItems` per notice: a conditional put of the
//! marker item (`NOTICE#<marker>`, its own partition) first, then a conditional put of each
//! pending `MSG#` item (in the outbox index, with no case reference). A marker placed before
//! cancels the whole transaction, so a re-run writes nothing.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{CancellationReason, Put, TransactWriteItem};
use complaints_app::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use complaints_app::outbound::NewMessage;
use complaints_app::ports::StoreError;

use crate::keys::{self, Item, PK, SK, s};
use crate::{CONDITION_FAILED, Cost, DynamoDbCaseStore, DynamoError, Transaction, cancelled};

/// The marker item of a notice. Markers are built by the application from an export's period
/// (`export#2026-27-Q2`): no personal data.
fn marker_item(marker: &str) -> Item {
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(format!("NOTICE#{marker}")));
    item.insert(SK.to_owned(), s("NOTICE"));
    item
}

#[async_trait]
impl NoticeStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.queue_notice_once", skip_all, fields(messages = messages.len()))]
    async fn queue_notice_once(&self, marker: &str, messages: Vec<NewMessage>) -> Result<NoticeCommit, StoreError> {
        if messages.len() > MAX_NOTICE_MESSAGES {
            return Err(DynamoError::TooManyWrites(messages.len() + 1).into());
        }
        let mut op = Cost::default();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker_item(marker)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(DynamoError::from)?;
        // The marker first, so the first cancellation reason says whether it was placed before.
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        for new in &messages {
            let item = keys::caseless_outgoing_item(&new.message, new.recipient_key.as_ref())?;
            actions.push(self.put_new_message(item)?);
        }
        match self.transact(actions, &mut op).await? {
            Transaction::Written => Ok(NoticeCommit::Written),
            Transaction::Cancelled(reasons) => {
                if reasons.first().and_then(CancellationReason::code) == Some(CONDITION_FAILED) {
                    Ok(NoticeCommit::AlreadyPlaced)
                } else {
                    // Lost a race (TransactionConflict) or a Message-ID clash: nothing written.
                    Err(cancelled(&reasons).into())
                }
            }
        }
    }
}
