//! [`AlertStore`] on DynamoDB: one `TransactWriteItems` per alert batch. Each alert is a
//! conditional put of its `ALERT#` marker in its case's partition plus a timeline item; each
//! digest is a conditional put of a pending `MSG#` item (in the outbox index, with no case
//! reference). A marker placed before cancels the whole transaction and is named back, so the scan
//! composes the rest again; nothing is ever half written. The calendar versions the open cases were
//! recomputed with live under `SCAN#CALENDAR`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{CancellationReason, Put, TransactWriteItem};
use complaints_app::alert_store::{AlertBatch, AlertCommit, AlertStore, MAX_BATCH_ACTIONS};
use complaints_app::ports::StoreError;
use sha2::{Digest, Sha256};

use crate::keys::{self, ATTR_EVENT, ATTR_REF, EVENT_PREFIX, Item, PK, SK, s};
use crate::{CONDITION_FAILED, Cost, DynamoDbCaseStore, DynamoError, Transaction, cancelled};

/// Partition of the scan's own bookkeeping.
const SCAN_PARTITION: &str = "SCAN#CALENDAR";

fn item(pk: String, sk: String) -> Item {
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(pk));
    item.insert(SK.to_owned(), s(sk));
    item
}

fn calendar_key(version: &str) -> Item {
    item(SCAN_PARTITION.to_owned(), format!("VERSION#{version}"))
}

impl DynamoDbCaseStore {
    /// A put that fails when the item exists (the once-only alert marker).
    fn put_marker(&self, marker: Item) -> Result<TransactWriteItem, DynamoError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl AlertStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.commit_alerts", skip_all, fields(alerts = batch.alerts.len()))]
    async fn commit_alerts(&self, batch: AlertBatch) -> Result<AlertCommit, StoreError> {
        if batch.actions() > MAX_BATCH_ACTIONS {
            return Err(DynamoError::TooManyWrites(batch.actions()).into());
        }
        let mut op = Cost::default();
        let mut actions = Vec::with_capacity(batch.actions());
        // Markers first, so a cancellation reason's position names the marker.
        for alert in &batch.alerts {
            let mut marker = keys::alert_key(&alert.marker, &alert.reference);
            marker.insert(ATTR_REF.to_owned(), s(alert.reference.to_string()));
            actions.push(self.put_marker(marker)?);
        }
        for alert in &batch.alerts {
            let json = serde_json::to_string(&alert.event).map_err(DynamoError::Encode)?;
            let hash = hex::encode(Sha256::digest(alert.marker.as_bytes()));
            let sk = format!("{EVENT_PREFIX}{}#ALERT#{}", keys::ts(alert.event.at), &hash[..16]);
            let mut event = item(keys::case_pk(&alert.reference), sk);
            event.insert(ATTR_EVENT.to_owned(), s(json));
            actions.push(self.put(event)?);
        }
        if let Some(first) = batch.alerts.first() {
            for digest in &batch.digests {
                let mut message = keys::outgoing_item(&digest.message, None, &first.reference)?;
                if digest.message.case_ref.is_none() {
                    // A digest is about many cases: it must not lead a reply back to one of them.
                    message.remove(ATTR_REF);
                }
                actions.push(self.put_new_message(message)?);
            }
        }
        if actions.is_empty() {
            return Ok(AlertCommit::Written);
        }
        match self.transact(actions, &mut op).await? {
            Transaction::Written => Ok(AlertCommit::Written),
            Transaction::Cancelled(reasons) => {
                let placed: Vec<String> = batch
                    .alerts
                    .iter()
                    .zip(&reasons)
                    .filter(|(_, reason)| CancellationReason::code(reason) == Some(CONDITION_FAILED))
                    .map(|(alert, _)| alert.marker.clone())
                    .collect();
                if placed.is_empty() {
                    // Lost a race (TransactionConflict) or a digest id clash: retryable, nothing written.
                    Err(cancelled(&reasons).into())
                } else {
                    Ok(AlertCommit::AlreadyPlaced { markers: placed })
                }
            }
        }
    }

    #[tracing::instrument(name = "dynamodb.calendar_applied", skip_all)]
    async fn calendar_applied(&self, version: &str) -> Result<bool, StoreError> {
        let mut op = Cost::default();
        Ok(self.get_item(calendar_key(version), &mut op).await?.is_some())
    }

    #[tracing::instrument(name = "dynamodb.mark_calendar_applied", skip_all)]
    async fn mark_calendar_applied(&self, version: &str) -> Result<(), StoreError> {
        let mut op = Cost::default();
        let actions = vec![self.put(calendar_key(version))?];
        match self.transact(actions, &mut op).await? {
            Transaction::Written => Ok(()),
            Transaction::Cancelled(reasons) => Err(cancelled(&reasons).into()),
        }
    }
}
