//! The staff audit log (R57) in the table: one item per read, change or refused attempt, in an
//! `AUDIT#<ref>` partition per case (`AUDIT#-` for reads that name no case), sorted by time. Ids
//! only, never names or complaint text ([`complaints_app::staff::AuditLog`]).

use async_trait::async_trait;
use chrono::DateTime;
use complaints_app::ports::StoreError;
use complaints_app::staff::{Access, AuditEntry, AuditLog};
use complaints_core::case::ContactKey;
use complaints_core::reference::CaseRef;
use complaints_core::roles::{Permission, Role};

use crate::DynamoDbCaseStore;
use crate::error::{DynamoError, unavailable};
use crate::keys::{self, Item, PK, SK, get_s, s};
use crate::meter::Cost;

const ATTR_AT: &str = "at";
const ATTR_ACTOR: &str = "actor";
const ATTR_ROLE: &str = "role";
const ATTR_ACCESS: &str = "access";
const ATTR_PERMISSION: &str = "permission";
const ATTR_ACTION: &str = "action";
const ATTR_CONTACT: &str = "contact";

/// The partition of a case's audit entries (kept apart from the case's own partition, so reading
/// a case or its timeline never reads its audit trail; a retention job deletes both).
fn audit_pk(reference: Option<&CaseRef>) -> String {
    reference.map_or_else(|| "AUDIT#-".to_owned(), |reference| format!("AUDIT#{reference}"))
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Change => "change",
        Access::Refused => "refused",
    }
}

fn decode(item: &Item) -> Result<AuditEntry, DynamoError> {
    let at = DateTime::parse_from_rfc3339(get_s(item, ATTR_AT)?).map_err(|_| DynamoError::Malformed(ATTR_AT))?.to_utc();
    let role = Role::parse(get_s(item, ATTR_ROLE)?).ok_or(DynamoError::Malformed(ATTR_ROLE))?;
    let access_text = get_s(item, ATTR_ACCESS)?;
    let access = [Access::Read, Access::Change, Access::Refused]
        .into_iter()
        .find(|access| access_name(*access) == access_text)
        .ok_or(DynamoError::Malformed(ATTR_ACCESS))?;
    let permission_text = get_s(item, ATTR_PERMISSION)?;
    let permission = Permission::ALL
        .into_iter()
        .find(|permission| permission.as_str() == permission_text)
        .ok_or(DynamoError::Malformed(ATTR_PERMISSION))?;
    let reference = match item.get(keys::ATTR_REF) {
        Some(_) => Some(keys::get_ref(item)?),
        None => None,
    };
    let contact = match item.get(ATTR_CONTACT) {
        Some(_) => Some(ContactKey(get_s(item, ATTR_CONTACT)?.to_owned())),
        None => None,
    };
    Ok(AuditEntry {
        at,
        actor: get_s(item, ATTR_ACTOR)?.to_owned(),
        role,
        access,
        permission,
        action: get_s(item, ATTR_ACTION)?.to_owned(),
        reference,
        contact,
    })
}

#[async_trait]
impl AuditLog for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.audit_record", skip_all)]
    async fn record(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let at = keys::ts(entry.at);
        let mut item = Item::new();
        item.insert(PK.to_owned(), s(audit_pk(entry.reference.as_ref())));
        // Unique even for two entries in the same microsecond.
        item.insert(SK.to_owned(), s(format!("{at}#{}", uuid::Uuid::new_v4().simple())));
        item.insert(ATTR_AT.to_owned(), s(at));
        item.insert(ATTR_ACTOR.to_owned(), s(entry.actor));
        item.insert(ATTR_ROLE.to_owned(), s(entry.role.as_str()));
        item.insert(ATTR_ACCESS.to_owned(), s(access_name(entry.access)));
        item.insert(ATTR_PERMISSION.to_owned(), s(entry.permission.as_str()));
        item.insert(ATTR_ACTION.to_owned(), s(entry.action));
        if let Some(reference) = &entry.reference {
            item.insert(keys::ATTR_REF.to_owned(), s(reference.to_string()));
        }
        if let Some(contact) = entry.contact {
            item.insert(ATTR_CONTACT.to_owned(), s(contact.0));
        }
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(unavailable)?;
        let mut delta = Cost::request(out.consumed_capacity());
        delta.writes = 1;
        self.charge(&mut Cost::default(), &delta);
        Ok(())
    }

    /// One Query on the case's own audit partition (never a Scan), so the case page's "Viewed by"
    /// lines appear on AWS as they do locally.
    async fn entries_for(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries(reference).await
    }
}

impl DynamoDbCaseStore {
    /// The audit entries about one case, oldest first: who read or changed it, and when.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn audit_entries(&self, reference: &CaseRef) -> Result<Vec<AuditEntry>, StoreError> {
        let mut op = Cost::default();
        let query = self
            .client
            .query()
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(audit_pk(Some(reference))))
            .consistent_read(true);
        let items = self.query_all(query, &mut op).await?;
        Ok(items.iter().map(decode).collect::<Result<_, _>>()?)
    }
}
