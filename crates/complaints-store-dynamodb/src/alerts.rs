//! [`AlertStore`] on DynamoDB: one `TransactWriteItems` per alert batch. Each alert is a
//! conditional put of its `ALERT#` marker in its case's partition plus a timeline item; each
//! recipient's lines are appended to its digest draft (an update of one `SCAN#DIGESTS` item per
//! run and recipient, its version counting the batches). A marker placed before cancels the whole
//! transaction and is named back, so the scan composes the rest again; nothing is ever half
//! written. A draft becomes a pending `MSG#` item (outbox index, no case reference) in one
//! transaction with the draft's conditional delete. The alert index is `gsi4-alert` on the case
//! item (reset by every put of the case; moved by a conditional update at the version read). The
//! calendar versions the open cases were recomputed with live under `SCAN#CALENDAR`.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, ReturnConsumedCapacity, TransactWriteItem, Update,
};
use chrono::NaiveDate;
use complaints_app::alert_store::{
    AlertBatch, AlertCommit, AlertStore, DigestDraft, DigestSent, DraftKey, MAX_BATCH_ACTIONS,
};
use complaints_app::outbound::NewMessage;
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::reference::CaseRef;
use sha2::{Digest, Sha256};

use crate::error::unavailable;
use crate::keys::{
    self, ALERT_PARTITION, ATTR_EVENT, ATTR_REF, ATTR_VERSION, EVENT_PREFIX, GSI_ALERT, GSI1PK, GSI4PK, GSI4SK, Item,
    PK, RANGE_END, SK, n, s,
};
use crate::{CONDITION_FAILED, Cost, DynamoDbCaseStore, DynamoError, Transaction, cancelled};

/// Partition of the scan's own bookkeeping.
const SCAN_PARTITION: &str = "SCAN#CALENDAR";

/// Partition of the digest drafts (small: only drafts not yet sent).
const DRAFT_PARTITION: &str = "SCAN#DIGESTS";
const ATTR_RUN: &str = "run";
const ATTR_TO: &str = "to";
const ATTR_LINES: &str = "lines";
const ATTR_UPDATED: &str = "updated";

fn draft_key(key: &DraftKey) -> Item {
    item(DRAFT_PARTITION.to_owned(), format!("DRAFT#{}#{}", key.run, key.recipient))
}

fn decode_draft(item: &Item) -> Result<DigestDraft, DynamoError> {
    let lines = match item.get(ATTR_LINES) {
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|v| v.as_s().cloned().map_err(|_| DynamoError::Malformed(ATTR_LINES)))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(DynamoError::Malformed(ATTR_LINES)),
    };
    let updated = keys::get_s(item, ATTR_UPDATED)?;
    Ok(DigestDraft {
        key: DraftKey {
            run: keys::get_s(item, ATTR_RUN)?.to_owned(),
            recipient: keys::get_s(item, ATTR_TO)?.to_owned(),
        },
        lines,
        version: keys::get_n(item, ATTR_VERSION)?,
        updated: chrono::DateTime::parse_from_rfc3339(updated)
            .map_err(|_| DynamoError::Malformed(ATTR_UPDATED))?
            .with_timezone(&chrono::Utc),
    })
}

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

    /// Appends lines to a draft (creating it), one version more.
    fn append_lines(
        &self,
        key: &DraftKey,
        lines: &[String],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<TransactWriteItem, DynamoError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(draft_key(key)))
            .update_expression(
                "SET #lines = list_append(if_not_exists(#lines, :empty), :new), #run = :run, #to = :to, #updated = :updated ADD #v :one",
            )
            .expression_attribute_names("#lines", ATTR_LINES)
            .expression_attribute_names("#run", ATTR_RUN)
            .expression_attribute_names("#to", ATTR_TO)
            .expression_attribute_names("#updated", ATTR_UPDATED)
            .expression_attribute_names("#v", ATTR_VERSION)
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":new", AttributeValue::L(lines.iter().map(|l| s(l.clone())).collect()))
            .expression_attribute_values(":run", s(key.run.clone()))
            .expression_attribute_values(":to", s(key.recipient.clone()))
            .expression_attribute_values(":updated", s(keys::ts(at)))
            .expression_attribute_values(":one", n(1))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
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
        for draft in &batch.drafts {
            actions.push(self.append_lines(&draft.key, &draft.lines, batch.at)?);
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
                    // Lost a race (TransactionConflict): retryable, nothing written.
                    Err(cancelled(&reasons).into())
                } else {
                    Ok(AlertCommit::AlreadyPlaced { markers: placed })
                }
            }
        }
    }

    #[tracing::instrument(name = "dynamodb.digest_drafts", skip_all)]
    async fn digest_drafts(&self) -> Result<Vec<DigestDraft>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(DRAFT_PARTITION))
            .consistent_read(true);
        let items = self.query_all(query, &mut op).await?;
        Ok(items.iter().map(decode_draft).collect::<Result<_, _>>()?)
    }

    #[tracing::instrument(name = "dynamodb.send_digest", skip_all)]
    async fn send_digest(&self, draft: &DigestDraft, message: NewMessage) -> Result<DigestSent, StoreError> {
        let mut op = Cost::default();
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(draft_key(&draft.key)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", ATTR_VERSION)
            .expression_attribute_values(":v", n(draft.version))
            .build()
            .map_err(DynamoError::from)?;
        let outgoing = keys::caseless_outgoing_item(&message.message, None)?;
        let actions = vec![TransactWriteItem::builder().delete(delete).build(), self.put_new_message(outgoing)?];
        match self.transact(actions, &mut op).await? {
            Transaction::Written => Ok(DigestSent::Sent),
            Transaction::Cancelled(reasons)
                if reasons.iter().any(|r| CancellationReason::code(r) == Some(CONDITION_FAILED)) =>
            {
                Ok(DigestSent::Changed)
            }
            Transaction::Cancelled(reasons) => Err(cancelled(&reasons).into()),
        }
    }

    #[tracing::instrument(name = "dynamodb.alert_due_by", skip_all)]
    async fn alert_due_by(&self, horizon: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        // Sparse: open cases the scan needs by `horizon` only, never closed ones, nor open ones
        // whose levels have all fired.
        let query = self
            .client
            .query()
            .index_name(GSI_ALERT)
            .key_condition_expression("#pk = :pk AND #sk <= :hi")
            .expression_attribute_names("#pk", GSI4PK)
            .expression_attribute_names("#sk", GSI4SK)
            .expression_attribute_values(":pk", s(ALERT_PARTITION))
            .expression_attribute_values(":hi", s(format!("{horizon}#{RANGE_END}")));
        let items = self.query_all(query, &mut op).await?;
        Self::decode_cases(&items)
    }

    #[tracing::instrument(name = "dynamodb.set_alert_date", skip_all)]
    async fn set_alert_date(
        &self,
        reference: &CaseRef,
        version: u64,
        date: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        let mut op = Cost::default();
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::case_key(reference)))
            // Only an open case (still in the due index) at the version the scan read.
            .condition_expression("#v = :v AND attribute_exists(#due)")
            .expression_attribute_names("#v", ATTR_VERSION)
            .expression_attribute_names("#due", GSI1PK)
            .expression_attribute_names("#pk", GSI4PK)
            .expression_attribute_names("#sk", GSI4SK)
            .expression_attribute_values(":v", n(version))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let update = match date {
            Some(date) => update
                .update_expression("SET #pk = :pk, #sk = :sk")
                .expression_attribute_values(":pk", s(ALERT_PARTITION))
                .expression_attribute_values(":sk", s(format!("{date}#{reference}"))),
            None => update.update_expression("REMOVE #pk, #sk"),
        };
        match update.send().await {
            Ok(out) => {
                let mut delta = Cost::request(out.consumed_capacity());
                delta.writes = 1;
                self.charge(&mut op, &delta);
                Ok(())
            }
            Err(SdkError::ServiceError(context)) => match context.into_err() {
                // Written since (its put reset the date) or closed: nothing to do.
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(unavailable(other)),
            },
            Err(other) => Err(unavailable(other)),
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
