//! `CaseStore` on DynamoDB: one table with typed keys and three sparse global secondary indexes,
//! so every access pattern is a GetItem, a Query or one transaction, and none is a Scan
//! (architecture §4). The layout is in [`keys`]; [`create_table`] makes the table.

mod alerts;
mod audit;
pub mod backfill;
pub mod backfill_indexes;
mod channel_health;
pub mod error;
mod escalations;
mod held_mail;
pub mod keys;
pub mod meter;
mod notices;
mod period_pages;
mod sessions;
mod single_use;
mod staff_items;
mod table;
// Staff reading (issue 11): lists and search, and the learning register.
mod learning;
mod queries;
// Staff workspace registers (issue 12): quality reviews and flagged items.
mod new_flags;
mod registers;
// Names, SPSO referrals and flags, written with the case (issue 12).
pub mod indexes;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    CancellationReason, KeysAndAttributes, Put, ReturnConsumedCapacity, ReturnValue,
    ReturnValuesOnConditionCheckFailure, Select, TransactWriteItem, Update,
};
use chrono::{DateTime, NaiveDate, Utc};
use complaints_app::outbound::{DeliveryResult, NewMessage, PendingMessage};
use complaints_app::ports::{CaseStore, NewCase, StoreError, StoredCase};
use complaints_core::case::{Case, ContactKey};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;
use tracing::Span;
use tracing::field::Empty;

pub use error::DynamoError;
use error::unavailable;
use keys::{
    ATTR_COUNTER, ATTR_REF, ATTR_VERSION, DUE_PARTITION, EVENT_PREFIX, GSI_CONTACT, GSI_DUE, GSI_PERIOD, GSI1PK,
    GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK, Item, PK, RANGE_END, SK, n, s,
};
pub use meter::{Cost, Meter};
pub use table::create_table;

/// How often `create` re-reads the reference counter when another writer took the number. Each
/// round one racer wins, so this covers dozens of simultaneous intakes of one organisation.
const MAX_CREATE_ATTEMPTS: u32 = 40;
/// DynamoDB's limit on actions in one transaction.
const MAX_TRANSACTION_ACTIONS: usize = 100;
/// DynamoDB's limit on keys in one BatchGetItem.
const MAX_BATCH_GET: usize = 100;
/// The cancellation reason code of a failed condition.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// The cancellation reason code when another transaction touched the same item at the same time.
const TRANSACTION_CONFLICT: &str = "TransactionConflict";

/// The case store on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbCaseStore {
    client: Client,
    table: String,
    meter: Arc<Meter>,
    /// The contact key secret the name index is keyed with ([`indexes`]); `None`: no name index.
    search_key: Option<Arc<[u8]>>,
}

/// How a transaction ended when it did not fail outright.
enum Transaction {
    Written,
    Cancelled(Vec<CancellationReason>),
}

impl DynamoDbCaseStore {
    /// A store on `table`, which must have the layout [`create_table`] makes.
    #[must_use]
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), meter: Arc::default(), search_key: None }
    }

    /// What this store's requests have cost so far.
    #[must_use]
    pub fn cost(&self) -> Cost {
        self.meter.snapshot()
    }

    /// Adds one request's cost to the store's meter and to the operation's running total, and
    /// records the running total in the operation's span.
    fn charge(&self, op: &mut Cost, delta: &Cost) {
        self.meter.add(delta);
        op.absorb(delta);
        let span = Span::current();
        span.record("requests", op.requests);
        span.record("capacity_units", op.capacity_units);
        span.record("items_evaluated", op.items_evaluated);
    }

    async fn get_item(&self, key: Item, op: &mut Cost) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(unavailable)?;
        self.charge(op, &Cost::request(out.consumed_capacity()));
        Ok(out.item)
    }

    /// Runs a query to the end, page by page.
    /// Items of the period index dated `from..=to`: one Query per month partition the period
    /// touches (`partition` names a month's partition), so the cost follows the period's items only.
    async fn period_items(
        &self,
        partition: fn(NaiveDate) -> String,
        from: NaiveDate,
        to: NaiveDate,
        op: &mut Cost,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        for month in keys::months_between(from, to) {
            let query = self.index_range(
                GSI_PERIOD,
                (GSI2PK, GSI2SK),
                partition(month),
                from.to_string(),
                format!("{to}#{RANGE_END}"),
            );
            items.extend(self.query_all(query, op).await?);
        }
        Ok(items)
    }

    async fn query_all(&self, query: QueryFluentBuilder, op: &mut Cost) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        self.query_pages(query, op, |page| {
            items.extend(page.items.unwrap_or_default());
            Ok(true)
        })
        .await?;
        Ok(items)
    }

    /// Runs a query page by page, charging each page's cost and handing the page to `page`, until
    /// the query ends or `page` returns `false`.
    async fn query_pages(
        &self,
        query: QueryFluentBuilder,
        op: &mut Cost,
        mut page: impl FnMut(QueryOutput) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut start = None;
        loop {
            let out = query
                .clone()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(unavailable)?;
            let mut delta = Cost::request(out.consumed_capacity());
            delta.items_evaluated = u64::try_from(out.scanned_count()).unwrap_or_default();
            self.charge(op, &delta);
            let next = out.last_evaluated_key.clone().filter(|key| !key.is_empty());
            if !page(out)? {
                return Ok(());
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(()),
            }
        }
    }

    /// A query on one partition of the sparse due index (open cases by due date, pending mail by
    /// next attempt) for everything due on or before `until`.
    fn due_index_until(&self, partition: &str, until: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .index_name(GSI_DUE)
            .key_condition_expression("#pk = :pk AND #sk <= :hi")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_names("#sk", GSI1SK)
            .expression_attribute_values(":pk", s(partition))
            .expression_attribute_values(":hi", s(format!("{until}#{RANGE_END}")))
    }

    /// A query on one partition of a global secondary index, with the sort key in `lo..=hi`.
    fn index_range(
        &self,
        index: &str,
        (pk, sk): (&str, &str),
        partition: String,
        lo: String,
        hi: String,
    ) -> QueryFluentBuilder {
        self.client
            .query()
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_names("#sk", sk)
            .expression_attribute_values(":pk", s(partition))
            .expression_attribute_values(":lo", s(lo))
            .expression_attribute_values(":hi", s(hi))
    }

    async fn transact(&self, actions: Vec<TransactWriteItem>, op: &mut Cost) -> Result<Transaction, StoreError> {
        if actions.len() > MAX_TRANSACTION_ACTIONS {
            return Err(DynamoError::TooManyWrites(actions.len()).into());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                let mut delta = Cost::request(out.consumed_capacity());
                delta.writes = 1;
                self.charge(op, &delta);
                Ok(Transaction::Written)
            }
            Err(SdkError::ServiceError(context)) => match context.into_err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons().to_vec();
                    let mut delta = Cost { requests: 1, ..Cost::default() };
                    if reasons.iter().any(|r| r.code() == Some(CONDITION_FAILED)) {
                        delta.failed_conditional_writes = 1;
                    }
                    self.charge(op, &delta);
                    Ok(Transaction::Cancelled(reasons))
                }
                other => Err(unavailable(other)),
            },
            Err(other) => Err(unavailable(other)),
        }
    }

    /// The counter's current value for the reference's prefix and year (0 before the first case).
    async fn read_counter(&self, reference: &CaseRef, op: &mut Cost) -> Result<u32, StoreError> {
        match self.get_item(keys::counter_key(reference), op).await? {
            None => Ok(0),
            Some(item) => {
                let value = keys::get_n(&item, ATTR_COUNTER)?;
                Ok(u32::try_from(value).map_err(|_| DynamoError::Malformed(ATTR_COUNTER))?)
            }
        }
    }

    fn put(&self, item: Item) -> Result<TransactWriteItem, DynamoError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A put that fails if the item exists, returning the existing item when it does.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, DynamoError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The step that counts one more automatic message to `cap`'s recipient, conditioned on the
    /// window read now; `None` when the recipient is at the cap. The window is 24 hours from its
    /// first message: at most `limit` messages in it, and a new window after it.
    async fn cap_step(
        &self,
        cap: &complaints_app::ports::RecipientCap,
        op: &mut Cost,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let key = keys::cap_key(&cap.recipient);
        let item = self.get_item(key.clone(), op).await?;
        let window = item.as_ref().and_then(|item| keys::get_s(item, keys::ATTR_WINDOW_START).ok().map(str::to_owned));
        let in_window = window.as_deref().is_some_and(|start| start >= keys::ts(cap.since).as_str());
        let used = match (&item, in_window) {
            (Some(item), true) => keys::get_n(item, ATTR_COUNTER)?,
            _ => 0,
        };
        if used >= u64::from(cap.limit) {
            return Ok(None);
        }
        let start = if in_window { window.unwrap_or_else(|| keys::ts(cap.at)) } else { keys::ts(cap.at) };
        let seen = item.as_ref().map(|item| keys::get_n(item, keys::ATTR_CAP_VERSION)).transpose()?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #n = :n, #w = :w, #v = :next")
            .expression_attribute_names("#n", ATTR_COUNTER)
            .expression_attribute_names("#w", keys::ATTR_WINDOW_START)
            .expression_attribute_names("#v", keys::ATTR_CAP_VERSION)
            .expression_attribute_values(":n", n(used + 1))
            .expression_attribute_values(":w", s(start))
            .expression_attribute_values(":next", n(seen.unwrap_or(0) + 1));
        let update = match seen {
            None => update.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
            Some(version) => update.condition_expression("#v = :seen").expression_attribute_values(":seen", n(version)),
        };
        Ok(Some(TransactWriteItem::builder().update(update.build().map_err(DynamoError::from)?).build()))
    }

    /// A new outbound message: refused if a message with its Message-ID was queued before (a bare
    /// `record_message` item may exist), so a repeat can never reset a sent message to pending.
    fn put_new_message(&self, item: Item) -> Result<TransactWriteItem, DynamoError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#mid)")
            .expression_attribute_names("#mid", keys::ATTR_MESSAGE_ID)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Moves the counter from `current` to `next`, failing if someone else moved it first.
    fn counter_step(&self, reference: &CaseRef, current: u32, next: u32) -> Result<TransactWriteItem, DynamoError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::counter_key(reference)))
            .update_expression("SET #n = :next")
            .expression_attribute_names("#n", ATTR_COUNTER)
            .expression_attribute_values(":next", n(u64::from(next)));
        let update = if current == 0 {
            update.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK)
        } else {
            update.condition_expression("#n = :current").expression_attribute_values(":current", n(u64::from(current)))
        };
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    /// The case an idempotency record names: from the item the failed condition returned, or,
    /// when the backend did not return it, from a read of the record.
    async fn existing_intake(
        &self,
        returned: Option<&Item>,
        source_key: &str,
        op: &mut Cost,
    ) -> Result<Option<CaseRef>, StoreError> {
        let item = match returned {
            Some(item) => Some(item.clone()),
            None => self.get_item(keys::intake_key(source_key), op).await?,
        };
        Ok(item.as_ref().map(keys::get_ref).transpose()?)
    }

    /// Distinguishes a stale version from a missing case after the case's condition failed.
    async fn conflict_or_missing(
        &self,
        returned: Option<&Item>,
        reference: &CaseRef,
        expected: u64,
        op: &mut Cost,
    ) -> StoreError {
        let exists = match returned {
            Some(_) => Ok(true),
            None => self.get_item(keys::case_key(reference), op).await.map(|item| item.is_some()),
        };
        match exists {
            Ok(true) => StoreError::VersionConflict { expected },
            Ok(false) => StoreError::NotFound,
            Err(error) => error,
        }
    }

    /// Fetches case items by reference, in the order given, skipping any that no longer exist.
    async fn batch_get_cases(&self, references: &[CaseRef], op: &mut Cost) -> Result<Vec<StoredCase>, StoreError> {
        let mut found: HashMap<String, StoredCase> = HashMap::new();
        for chunk in references.chunks(MAX_BATCH_GET) {
            let keys: Vec<Item> = chunk.iter().map(keys::case_key).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(DynamoError::from)?,
            );
            while let Some(pending) = request.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(unavailable)?;
                self.charge(op, &Cost::request(out.consumed_capacity()));
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    let (case, version) = keys::decode_case(&item)?;
                    found.insert(case.reference().to_string(), StoredCase { case, version });
                }
                // DynamoDB may hand back part of a batch when it is busy; ask again for the rest.
                request = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
                if request.is_some() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        Ok(references.iter().filter_map(|r| found.remove(&r.to_string())).collect())
    }

    fn decode_cases(items: &[Item]) -> Result<Vec<StoredCase>, StoreError> {
        items
            .iter()
            .map(|item| {
                let (case, version) = keys::decode_case(item)?;
                Ok(StoredCase { case, version })
            })
            .collect()
    }
}

impl Cost {
    fn absorb(&mut self, other: &Cost) {
        self.requests += other.requests;
        self.capacity_units += other.capacity_units;
        self.items_evaluated += other.items_evaluated;
        self.failed_conditional_writes += other.failed_conditional_writes;
        self.writes += other.writes;
    }
}

/// A short pause before re-reading the counter, growing a little and jittered so racers spread out.
fn retry_pause(attempt: u32) -> Duration {
    let jitter =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() % 10);
    Duration::from_millis(u64::from(attempt.min(10) * 2 + jitter))
}

fn reason_failed(reasons: &[CancellationReason], position: usize) -> bool {
    reasons.get(position).and_then(CancellationReason::code) == Some(CONDITION_FAILED)
}

fn cancelled(reasons: &[CancellationReason]) -> DynamoError {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
    DynamoError::Cancelled(codes.join(", "))
}

#[async_trait]
impl CaseStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.create", skip_all, fields(attempts = Empty, requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn create(&self, new: NewCase) -> Result<StoredCase, StoreError> {
        let NewCase { mut case, events, source_key, mail } = new;
        let mut op = Cost::default();
        let mut taken_at = None;
        for attempt in 1..=MAX_CREATE_ATTEMPTS {
            Span::current().record("attempts", attempt);
            // Read, then write conditioned on what was read: the number is needed for the case's
            // own key, so an ADD inside the transaction could not provide it.
            let current = self.read_counter(case.reference(), &mut op).await?;
            let number = current.checked_add(1).ok_or(DynamoError::Malformed(ATTR_COUNTER))?;
            case.assign_number(number);
            let reference = case.reference().clone();
            let index = case.index();

            // Positions matter: cancellation reasons come back in the same order.
            let mut actions = vec![
                self.counter_step(&reference, current, number)?,
                self.put_new(keys::case_item(&case, &index, 1)?)?,
            ];
            if let Some(source_key) = &source_key {
                let mut record = keys::intake_key(source_key);
                record.insert(ATTR_REF.to_owned(), s(reference.to_string()));
                actions.push(self.put_new(record)?);
            }
            for item in keys::closure_items(&reference, &index) {
                actions.push(self.put(item)?);
            }
            if let Some(item) = escalations::escalation_item(&case) {
                actions.push(self.put(item)?);
            }
            for item in self.name_items(&case) {
                actions.push(self.put(item)?);
            }
            // The per-recipient caps: read each recipient's window, decide, and move its count in
            // this same transaction on condition nobody moved it since (else the create retries),
            // so concurrent intakes for one recipient cannot both pass.
            let mut over = HashSet::new();
            let mut cap_steps = Vec::new();
            for cap in mail.iter().flat_map(|mail| mail.caps()) {
                match self.cap_step(cap, &mut op).await? {
                    Some(step) => cap_steps.push(step),
                    None => {
                        over.insert(cap.recipient.clone());
                    }
                }
            }
            // The mail is composed for this attempt's number and written in the same transaction;
            // its timeline entries follow the case's own, in one numbered list.
            let (mail_events, messages) =
                mail.as_ref().map(|mail| mail.compose(&case, &|key| over.contains(key))).unwrap_or_default();
            let all_events: Vec<TimelineEvent> = events.iter().cloned().chain(mail_events).collect();
            for item in keys::event_items(&reference, 1, &all_events)? {
                actions.push(self.put(item)?);
            }
            // Unconditional, unlike an update's (`new_flags`): the reference is new (its case put
            // is on condition it is), so no flag can be filed under it yet.
            for item in indexes::flag_items(&reference, &all_events)? {
                actions.push(self.put(item)?);
            }
            for message in &messages {
                let item = keys::outgoing_item(&message.message, message.recipient_key.as_ref(), &reference)?;
                actions.push(self.put_new_message(item)?);
            }
            let caps_from = actions.len();
            actions.extend(cap_steps);
            let caps_to = actions.len();

            let reasons = match self.transact(actions, &mut op).await? {
                Transaction::Written => return Ok(StoredCase { case, version: 1 }),
                Transaction::Cancelled(reasons) => reasons,
            };
            if let Some(source_key) = source_key.as_deref().filter(|_| reason_failed(&reasons, 2)) {
                let returned = reasons.get(2).and_then(CancellationReason::item);
                let existing = self.existing_intake(returned, source_key, &mut op).await?;
                return Err(StoreError::AlreadyExists { existing });
            }
            let counter_moved = reason_failed(&reasons, 0);
            let cap_moved = (caps_from..caps_to).any(|position| reason_failed(&reasons, position));
            let raced = cap_moved || reasons.iter().any(|r| r.code() == Some(TRANSACTION_CONFLICT));
            if reason_failed(&reasons, 1) && !counter_moved {
                // The number is taken although the counter said it was free. A racing writer
                // can cause that once (it moved the counter just after our checks); seeing it
                // twice at the same counter value means the counter is behind: retrying cannot help.
                if taken_at == Some(current) {
                    return Err(StoreError::AlreadyExists { existing: Some(reference) });
                }
                taken_at = Some(current);
            } else if !(counter_moved || raced) {
                return Err(cancelled(&reasons).into());
            }
            tokio::time::sleep(retry_pause(attempt)).await;
        }
        Err(DynamoError::Contention(MAX_CREATE_ATTEMPTS).into())
    }

    #[tracing::instrument(name = "dynamodb.get", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn get(&self, reference: &CaseRef) -> Result<StoredCase, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(keys::case_key(reference), &mut op).await?.ok_or(StoreError::NotFound)?;
        let (case, version) = keys::decode_case(&item)?;
        Ok(StoredCase { case, version })
    }

    #[tracing::instrument(name = "dynamodb.update_with_messages", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn update_with_messages(
        &self,
        case: &Case,
        expected_version: u64,
        events: Vec<TimelineEvent>,
        messages: Vec<NewMessage>,
    ) -> Result<u64, StoreError> {
        let mut op = Cost::default();
        let reference = case.reference();
        let version = expected_version + 1;
        let index = case.index();
        let item = keys::case_item(case, &index, version)?;
        let mut others = keys::event_items(reference, version, &events)?;
        others.extend(keys::closure_items(reference, &index));
        others.extend(escalations::escalation_item(case));
        others.extend(indexes::referral_written(case, &events));
        // Written only when new (`new_flags`), so a flag already dealt with stays so.
        let flags = indexes::flag_items(reference, &events)?;
        let mut new_messages = Vec::new();
        for message in &messages {
            new_messages.push(keys::outgoing_item(&message.message, message.recipient_key.as_ref(), reference)?);
        }

        if others.is_empty() && new_messages.is_empty() && flags.is_empty() {
            // Nothing to write beside the case: one conditional put, no transaction.
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("#v = :expected")
                .expression_attribute_names("#v", ATTR_VERSION)
                .expression_attribute_values(":expected", n(expected_version))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            return match result {
                Ok(out) => {
                    let mut delta = Cost::request(out.consumed_capacity());
                    delta.writes = 1;
                    self.charge(&mut op, &delta);
                    Ok(version)
                }
                Err(SdkError::ServiceError(context)) => match context.into_err() {
                    PutItemError::ConditionalCheckFailedException(failed) => {
                        self.charge(&mut op, &Cost { requests: 1, failed_conditional_writes: 1, ..Cost::default() });
                        Err(self.conflict_or_missing(failed.item.as_ref(), reference, expected_version, &mut op).await)
                    }
                    other => Err(unavailable(other)),
                },
                Err(other) => Err(unavailable(other)),
            };
        }

        let case_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", ATTR_VERSION)
            .expression_attribute_values(":expected", n(expected_version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(DynamoError::from)?;
        let mut raced = Vec::new();
        for _ in 0..new_flags::FLAG_ATTEMPTS {
            let mut actions = vec![TransactWriteItem::builder().put(case_put.clone()).build()];
            for item in &others {
                actions.push(self.put(item.clone())?);
            }
            for item in &new_messages {
                actions.push(self.put_new_message(item.clone())?);
            }
            let flags_from = actions.len();
            actions.extend(self.new_flag_puts(&flags, &mut op).await?);
            match self.transact(actions, &mut op).await? {
                Transaction::Written => return Ok(version),
                Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => {
                    let returned = reasons.first().and_then(CancellationReason::item);
                    return Err(self.conflict_or_missing(returned, reference, expected_version, &mut op).await);
                }
                Transaction::Cancelled(reasons) if new_flags::flag_raced(&reasons, flags_from) => raced = reasons,
                Transaction::Cancelled(reasons) => return Err(cancelled(&reasons).into()),
            }
        }
        Err(cancelled(&raced).into())
    }

    #[tracing::instrument(name = "dynamodb.timeline", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn timeline(&self, reference: &CaseRef) -> Result<Vec<TimelineEvent>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(keys::case_pk(reference)))
            .expression_attribute_values(":prefix", s(EVENT_PREFIX))
            .consistent_read(true);
        let items = self.query_all(query, &mut op).await?;
        if items.is_empty() && self.get_item(keys::case_key(reference), &mut op).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(items.iter().map(keys::decode_event).collect::<Result<_, _>>()?)
    }

    #[tracing::instrument(name = "dynamodb.open_due_by", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn open_due_by(&self, date: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        // The index holds open cases with a due date only, so this reads the cases due and
        // nothing else however many closed cases the table holds.
        let query = self.due_index_until(DUE_PARTITION, &date.to_string());
        let items = self.query_all(query, &mut op).await?;
        Self::decode_cases(&items)
    }

    #[tracing::instrument(name = "dynamodb.received_between", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn received_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        let items = self.period_items(keys::received_partition, from, to, &mut op).await?;
        Self::decode_cases(&items)
    }

    #[tracing::instrument(name = "dynamodb.closed_between", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn closed_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        let mut references = Vec::new();
        let mut seen = HashSet::new();
        for item in self.period_items(keys::closed_partition, from, to, &mut op).await? {
            let reference = keys::get_ref(&item)?;
            if seen.insert(reference.clone()) {
                references.push(reference);
            }
        }
        self.batch_get_cases(&references, &mut op).await
    }

    #[tracing::instrument(name = "dynamodb.find_by_contact", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn find_by_contact(&self, key: &ContactKey) -> Result<Vec<CaseRef>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .index_name(GSI_CONTACT)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI3PK)
            .expression_attribute_values(":pk", s(keys::contact_partition(key)));
        let items = self.query_all(query, &mut op).await?;
        Ok(items
            .iter()
            .map(|item| keys::get_s(item, GSI3SK)?.parse().map_err(|_| DynamoError::Malformed(GSI3SK)))
            .collect::<Result<_, _>>()?)
    }

    #[tracing::instrument(name = "dynamodb.record_message", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn record_message(&self, message_id: &str, reference: &CaseRef) -> Result<(), StoreError> {
        let mut op = Cost::default();
        // An update of `ref` alone, so recording a Message-ID never wipes the delivery state of a
        // message queued under the same id.
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::message_key(message_id)))
            .update_expression("SET #ref = :ref")
            .expression_attribute_names("#ref", ATTR_REF)
            .expression_attribute_values(":ref", s(reference.to_string()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(unavailable)?;
        let mut delta = Cost::request(out.consumed_capacity());
        delta.writes = 1;
        self.charge(&mut op, &delta);
        Ok(())
    }

    #[tracing::instrument(name = "dynamodb.case_for_message", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn case_for_message(&self, message_id: &str) -> Result<Option<CaseRef>, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(keys::message_key(message_id), &mut op).await?;
        Ok(item.as_ref().map(keys::get_ref).transpose()?)
    }

    #[tracing::instrument(name = "dynamodb.place_alert_marker", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn place_alert_marker(&self, marker: &str, reference: &CaseRef) -> Result<bool, StoreError> {
        let mut op = Cost::default();
        let mut item = keys::alert_key(marker, reference);
        item.insert(ATTR_REF.to_owned(), s(reference.to_string()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                let mut delta = Cost::request(out.consumed_capacity());
                delta.writes = 1;
                self.charge(&mut op, &delta);
                Ok(true)
            }
            Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {
                self.charge(&mut op, &Cost { requests: 1, failed_conditional_writes: 1, ..Cost::default() });
                Ok(false)
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    #[tracing::instrument(name = "dynamodb.pending_messages", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn pending_messages(&self, due_by: DateTime<Utc>, limit: usize) -> Result<Vec<PendingMessage>, StoreError> {
        let mut op = Cost::default();
        // Only pending messages are in the OUTBOX partition of the due index: the cost follows
        // what is pending, never what was sent.
        let query = self.due_index_until(keys::OUTBOX_PARTITION, &keys::ts(due_by));
        let mut found = Vec::new();
        let page_size = i32::try_from(limit).unwrap_or(i32::MAX).max(1);
        self.query_pages(query.limit(page_size), &mut op, |page| {
            for item in page.items.unwrap_or_default() {
                found.extend(keys::decode_outgoing(&item)?);
            }
            Ok(found.len() < limit)
        })
        .await?;
        found.truncate(limit);
        Ok(found)
    }

    #[tracing::instrument(name = "dynamodb.claim_message", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn claim_message(
        &self,
        message_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PendingMessage>, StoreError> {
        let mut op = Cost::default();
        let now = keys::ts(now);
        // One conditional write: only a pending, due, unclaimed message is claimed.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::message_key(message_id)))
            .update_expression("SET #lease = :until ADD #attempts :one")
            .condition_expression(
                "#state = :pending AND #next <= :now AND (attribute_not_exists(#lease) OR #lease <= :now)",
            )
            .expression_attribute_names("#lease", keys::ATTR_LEASE)
            .expression_attribute_names("#attempts", keys::ATTR_ATTEMPTS)
            .expression_attribute_names("#state", keys::ATTR_STATE)
            .expression_attribute_names("#next", keys::ATTR_NEXT_AT)
            .expression_attribute_values(":until", s(keys::ts(lease_until)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", s(now))
            .return_values(ReturnValue::AllNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                let mut delta = Cost::request(out.consumed_capacity());
                delta.writes = 1;
                self.charge(&mut op, &delta);
                Ok(out.attributes.as_ref().map(keys::decode_outgoing).transpose()?.flatten())
            }
            Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {
                self.charge(&mut op, &Cost { requests: 1, failed_conditional_writes: 1, ..Cost::default() });
                Ok(None)
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    #[tracing::instrument(name = "dynamodb.finish_message", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn finish_message(
        &self,
        message_id: &str,
        result: DeliveryResult,
        event: Option<TimelineEvent>,
    ) -> Result<(), StoreError> {
        let mut op = Cost::default();
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::message_key(message_id)))
            .condition_expression("attribute_exists(#mid) AND #state = :pending")
            .expression_attribute_names("#mid", keys::ATTR_MESSAGE_ID)
            .expression_attribute_values(":pending", s("pending"));
        let update = match result {
            DeliveryResult::Sent { at } => update
                .update_expression("SET #state = :sent, #fin = :at REMOVE #gpk, #gsk, #lease, #next")
                .expression_attribute_values(":sent", s("sent"))
                .expression_attribute_values(":at", s(keys::ts(at))),
            DeliveryResult::Retry { next_attempt_at, reason } => update
                .update_expression("SET #next = :next, #gsk = :sk, #err = :err REMOVE #lease")
                .expression_attribute_values(":next", s(keys::ts(next_attempt_at)))
                .expression_attribute_values(":sk", s(keys::outbox_sort_key(next_attempt_at, message_id)))
                .expression_attribute_values(":err", s(reason)),
            DeliveryResult::Failed { at, reason } => update
                .update_expression("SET #state = :failed, #fin = :at, #err = :err REMOVE #gpk, #gsk, #lease, #next")
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":at", s(keys::ts(at)))
                .expression_attribute_values(":err", s(reason)),
        };
        let names: &[(&str, &str)] = &[
            ("#state", keys::ATTR_STATE),
            ("#fin", keys::ATTR_FINISHED),
            ("#gpk", GSI1PK),
            ("#gsk", GSI1SK),
            ("#lease", keys::ATTR_LEASE),
            ("#next", keys::ATTR_NEXT_AT),
            ("#err", keys::ATTR_ERROR),
        ];
        // Only the placeholders the expressions use may be named (DynamoDB refuses unused ones).
        let expression = format!(
            "{} {}",
            update.get_update_expression().clone().unwrap_or_default(),
            update.get_condition_expression().clone().unwrap_or_default()
        );
        let update = names
            .iter()
            .filter(|(placeholder, _)| expression.contains(placeholder))
            .fold(update, |update, (placeholder, name)| update.expression_attribute_names(*placeholder, *name));
        let mut first = vec![TransactWriteItem::builder().update(update.build().map_err(DynamoError::from)?).build()];
        let mut flags = Vec::new();
        if let Some(event) = &event {
            // The event belongs to the message's case, read from the message record.
            let item = self.get_item(keys::message_key(message_id), &mut op).await?.ok_or(StoreError::NotFound)?;
            let reference = keys::get_ref(&item)?;
            first.push(self.put(keys::delivery_event_item(&reference, message_id, event)?)?);
            // Written only when new (`new_flags`), so a flag already dealt with stays so.
            flags = indexes::flag_items(&reference, std::slice::from_ref(event))?;
        }
        let mut raced = Vec::new();
        for _ in 0..new_flags::FLAG_ATTEMPTS {
            let mut actions = first.clone();
            actions.extend(self.new_flag_puts(&flags, &mut op).await?);
            match self.transact(actions, &mut op).await? {
                Transaction::Written => return Ok(()),
                Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => {
                    // Unknown, or another deliverer already recorded this message's end (keep its result).
                    let item = self.get_item(keys::message_key(message_id), &mut op).await?;
                    return if item.is_some_and(|item| item.contains_key(keys::ATTR_MESSAGE_ID)) {
                        Ok(())
                    } else {
                        Err(StoreError::NotFound)
                    };
                }
                Transaction::Cancelled(reasons) if new_flags::flag_raced(&reasons, first.len()) => raced = reasons,
                Transaction::Cancelled(reasons) => return Err(cancelled(&reasons).into()),
            }
        }
        Err(cancelled(&raced).into())
    }

    #[tracing::instrument(name = "dynamodb.message", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn message(&self, message_id: &str) -> Result<Option<PendingMessage>, StoreError> {
        let mut op = Cost::default();
        let item = self.get_item(keys::message_key(message_id), &mut op).await?;
        Ok(item.as_ref().map(keys::decode_outgoing).transpose()?.flatten())
    }

    #[tracing::instrument(name = "dynamodb.automatic_messages_since", skip_all, fields(requests = Empty, capacity_units = Empty, items_evaluated = Empty))]
    async fn automatic_messages_since(&self, recipient: &ContactKey, since: DateTime<Utc>) -> Result<u32, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .index_name(GSI_CONTACT)
            .key_condition_expression("#pk = :pk AND #sk >= :since")
            .expression_attribute_names("#pk", GSI3PK)
            .expression_attribute_names("#sk", GSI3SK)
            .expression_attribute_values(":pk", s(keys::recipient_partition(recipient)))
            .expression_attribute_values(":since", s(keys::ts(since)))
            .select(Select::Count);
        let mut count: u32 = 0;
        self.query_pages(query, &mut op, |page| {
            count = count.saturating_add(u32::try_from(page.count()).unwrap_or_default());
            Ok(true)
        })
        .await?;
        Ok(count)
    }
}
