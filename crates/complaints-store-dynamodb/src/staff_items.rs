//! [`StaffItemStore`] on DynamoDB, in the same table: `STAFFITEM#<id>` / `ITEM` holds the item
//! (JSON). While it is open it sits in the due index's `STAFFOPEN` partition by receipt time
//! (sparse: resolving removes the index keys), so the open items are one Query, newest first.
//! Ids are generated (`social-<uuid>`); no personal data in any key.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::staff_items::{ItemWrite, MAX_STAFF_ITEMS_PAGE, StaffItem, StaffItemStore};

use crate::error::DynamoError;
use crate::keys::{self, GSI_DUE, GSI1PK, GSI1SK, Item, PK, RANGE_END, SK, s};
use crate::{Cost, DynamoDbCaseStore, Transaction, reason_failed};

const ATTR_BODY: &str = "staff_item";
const ITEM_SK: &str = "ITEM";
const OPEN_PARTITION: &str = "STAFFOPEN";

fn key(id: &str) -> Item {
    let mut item = Item::new();
    item.insert(PK.to_owned(), s(format!("STAFFITEM#{id}")));
    item.insert(SK.to_owned(), s(ITEM_SK));
    item
}

fn to_item(staff: &StaffItem) -> Result<Item, StoreError> {
    let mut item = key(&staff.id);
    let body = serde_json::to_string(staff).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    item.insert(ATTR_BODY.to_owned(), s(body));
    if staff.resolved_at.is_none() {
        item.insert(GSI1PK.to_owned(), s(OPEN_PARTITION));
        item.insert(GSI1SK.to_owned(), s(format!("{}#{}", keys::ts(staff.received_at), staff.id)));
    }
    Ok(item)
}

fn decode(item: &Item) -> Result<StaffItem, StoreError> {
    let body = keys::get_s(item, ATTR_BODY)?;
    serde_json::from_str(body).map_err(|_| DynamoError::Malformed(ATTR_BODY).into())
}

#[async_trait]
impl StaffItemStore for DynamoDbCaseStore {
    async fn record_staff_item(&self, staff: &StaffItem) -> Result<ItemWrite, StoreError> {
        let mut op = Cost::default();
        let put = self.put_new(to_item(staff)?).map_err(StoreError::from)?;
        match self.transact(vec![put], &mut op).await? {
            Transaction::Written => Ok(ItemWrite::Written),
            Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => Ok(ItemWrite::AlreadyThere),
            Transaction::Cancelled(reasons) => Err(crate::cancelled(&reasons).into()),
        }
    }

    async fn open_staff_items(&self, limit: usize) -> Result<Vec<StaffItem>, StoreError> {
        let mut op = Cost::default();
        let limit = limit.min(MAX_STAFF_ITEMS_PAGE);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = self
            .index_range(GSI_DUE, (GSI1PK, GSI1SK), OPEN_PARTITION.to_owned(), "0".to_owned(), RANGE_END.to_string())
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let mut found = Vec::new();
        self.query_pages(query, &mut op, |page| {
            for item in page.items.unwrap_or_default() {
                if found.len() < limit {
                    found.push(item);
                }
            }
            Ok(found.len() < limit)
        })
        .await?;
        // The index is eventually consistent: read each item itself, and keep the open ones.
        let mut items = Vec::with_capacity(found.len());
        for indexed in found {
            let id = decode(&indexed)?.id;
            if let Some(item) = self.get_item(key(&id), &mut op).await? {
                let staff = decode(&item)?;
                if staff.resolved_at.is_none() {
                    items.push(staff);
                }
            }
        }
        Ok(items)
    }

    async fn resolve_staff_item(&self, id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut op = Cost::default();
        let Some(item) = self.get_item(key(id), &mut op).await? else {
            return Ok(false);
        };
        let mut staff = decode(&item)?;
        if staff.resolved_at.is_some() {
            return Ok(false);
        }
        let before = keys::get_s(&item, ATTR_BODY)?.to_owned();
        staff.resolved_at = Some(at);
        staff.resolved_by = Some(by.to_owned());
        // Only over the open item as read: two staff resolving at once, one of them wins.
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&staff)?))
            .condition_expression("#body = :before")
            .expression_attribute_names("#body", ATTR_BODY)
            .expression_attribute_values(":before", s(before))
            .build()
            .map_err(DynamoError::from)?;
        match self.transact(vec![TransactWriteItem::builder().put(put).build()], &mut op).await? {
            Transaction::Written => Ok(true),
            Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => Ok(false),
            Transaction::Cancelled(reasons) => Err(crate::cancelled(&reasons).into()),
        }
    }

    async fn staff_item(&self, id: &str) -> Result<Option<StaffItem>, StoreError> {
        let mut op = Cost::default();
        self.get_item(key(id), &mut op).await?.as_ref().map(decode).transpose()
    }
}
