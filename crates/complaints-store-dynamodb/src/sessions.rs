//! [`SessionStore`] on DynamoDB: a session is one item `SESSION#<sha256 of its id>` / `SESSION`
//! (the session as JSON, `last_seen`), failed sign-ins one item `SIGNIN#<account key>` / `SIGNIN`.
//! Both carry the table's TTL attribute `expires_at` (epoch seconds; `TimeToLiveSpecification`
//! in infra/template.yaml), so DynamoDB deletes them some time after they end; reads still check
//! the times themselves, since TTL deletion can lag by days.
//!
//! Each session also has a keyed index item `STAFFSESSION#<user key>` / `SESSION#<sha256 of its
//! id>` (the user key is a hash of the staff id, so no id is a key), written in the same
//! transaction as the session, so one member of staff's sessions are a Query, never a Scan
//! ([`SessionStore::sessions_of_user`]). Deleting a session deletes its index item after it; an
//! index item left by a crash in between points at nothing and is dropped when next listed (or
//! by its TTL, the session's end).
//!
//! Failure counts are written with a condition on the count read (optimistic concurrency), so
//! concurrent failed sign-ins are all counted.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use complaints_app::ports::StoreError;
use complaints_app::sessions::{LockoutPolicy, SessionRecord, SessionStore, SignInFailures};
use sha2::{Digest, Sha256};

use crate::error::{DynamoError, unavailable, unless_condition_failed};
use crate::keys::{self, Item, PK, SK, get_s, get_ts, s};
use crate::{Cost, DynamoDbCaseStore, Transaction, cancelled, reason_failed};

/// The table's TTL attribute (epoch seconds).
pub const ATTR_EXPIRES_AT: &str = "expires_at";
const ATTR_SESSION: &str = "session";
const ATTR_LAST_SEEN: &str = "last_seen";
const ATTR_COUNT: &str = "count";
const ATTR_WINDOW: &str = "window_started";
const ATTR_LOCKED_UNTIL: &str = "locked_until";
/// Tries at counting one failure against concurrent writers before giving up.
const COUNT_ATTEMPTS: u32 = 20;

fn session_pk(id_sha256: &str) -> String {
    format!("SESSION#{id_sha256}")
}

/// The partition of one member of staff's session index items: a hash of the staff id (not a
/// secret: it keeps ids, which may be user names locally, out of keys and logs).
fn user_sessions_pk(user_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"complaints staff sessions\n");
    hasher.update(user_id.as_bytes());
    format!("STAFFSESSION#{}", hex::encode(&hasher.finalize()[..16]))
}

/// The sort key of a session's index item.
fn user_session_sk(id_sha256: &str) -> String {
    format!("SESSION#{id_sha256}")
}

fn failures_pk(account: &str) -> String {
    format!("SIGNIN#{account}")
}

fn key(pk: String, sk: &str) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn epoch(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp().max(0).to_string())
}

fn decode_failures(item: &Item) -> Result<SignInFailures, DynamoError> {
    let count = u32::try_from(keys::get_n(item, ATTR_COUNT)?).map_err(|_| DynamoError::Malformed(ATTR_COUNT))?;
    let locked_until = item.contains_key(ATTR_LOCKED_UNTIL).then(|| get_ts(item, ATTR_LOCKED_UNTIL)).transpose()?;
    Ok(SignInFailures { count, window_started: get_ts(item, ATTR_WINDOW)?, locked_until })
}

impl DynamoDbCaseStore {
    async fn delete_index_item(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk.to_owned(), sk)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn failures_item(&self, account: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(failures_pk(account), "SIGNIN")))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }
}

#[async_trait]
impl SessionStore for DynamoDbCaseStore {
    #[tracing::instrument(name = "dynamodb.create_session", skip_all)]
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let mut item = key(session_pk(&session.id_sha256), "SESSION");
        item.insert(ATTR_SESSION.to_owned(), s(serde_json::to_string(session).map_err(DynamoError::Encode)?));
        item.insert(ATTR_LAST_SEEN.to_owned(), s(keys::ts(session.last_seen_at)));
        item.insert(ATTR_EXPIRES_AT.to_owned(), epoch(session.expires_at));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(DynamoError::from)?;
        let mut index = key(user_sessions_pk(&session.user.id), &user_session_sk(&session.id_sha256));
        index.insert(ATTR_EXPIRES_AT.to_owned(), epoch(session.expires_at));
        let index = Put::builder().table_name(&self.table).set_item(Some(index)).build().map_err(DynamoError::from)?;
        // The session first, so the first cancellation reason says whether it existed.
        let actions =
            vec![TransactWriteItem::builder().put(put).build(), TransactWriteItem::builder().put(index).build()];
        match self.transact(actions, &mut Cost::default()).await? {
            Transaction::Written => Ok(()),
            Transaction::Cancelled(reasons) if reason_failed(&reasons, 0) => {
                Err(StoreError::AlreadyExists { existing: None })
            }
            Transaction::Cancelled(reasons) => Err(cancelled(&reasons).into()),
        }
    }

    #[tracing::instrument(name = "dynamodb.session", skip_all)]
    async fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(id_sha256), "SESSION")))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item else { return Ok(None) };
        let mut session: SessionRecord =
            serde_json::from_str(get_s(&item, ATTR_SESSION)?).map_err(DynamoError::Decode)?;
        session.last_seen_at = get_ts(&item, ATTR_LAST_SEEN)?;
        Ok(Some(session))
    }

    #[tracing::instrument(name = "dynamodb.touch_session", skip_all)]
    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(id_sha256), "SESSION")))
            .update_expression("SET #seen = :at")
            .condition_expression("attribute_exists(#pk) AND #seen < :at")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#seen", ATTR_LAST_SEEN)
            .expression_attribute_values(":at", s(keys::ts(at)))
            .send()
            .await;
        // A condition failing means the session is gone or was seen later: nothing to do.
        unless_condition_failed(result)
    }

    #[tracing::instrument(name = "dynamodb.delete_session", skip_all)]
    async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(id_sha256), "SESSION")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        // Then its index item, found through the user the deleted session was for.
        let user = out
            .attributes
            .as_ref()
            .and_then(|old| get_s(old, ATTR_SESSION).ok())
            .and_then(|body| serde_json::from_str::<SessionRecord>(body).ok())
            .map(|session| session.user.id);
        if let Some(user) = user {
            self.delete_index_item(&user_sessions_pk(&user), &user_session_sk(id_sha256)).await?;
        }
        Ok(())
    }

    #[tracing::instrument(name = "dynamodb.sessions_of_user", skip_all)]
    async fn sessions_of_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let partition = user_sessions_pk(user_id);
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(partition.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let sk = get_s(item, SK)?;
                let Some(id_sha256) = sk.strip_prefix("SESSION#") else {
                    return Err(DynamoError::Malformed(SK).into());
                };
                match self.session(id_sha256).await? {
                    // Another user's session under this key cannot happen (the key is a hash of
                    // the id), but only the user's own are ever returned.
                    Some(session) if session.user.id == user_id => found.push(session),
                    Some(_) => {}
                    // Left by a delete that stopped half-way: tidy it.
                    None => self.delete_index_item(&partition, sk).await?,
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        found.sort_by(|a, b| (a.created_at, &a.id_sha256).cmp(&(b.created_at, &b.id_sha256)));
        Ok(found)
    }

    #[tracing::instrument(name = "dynamodb.sign_in_failures", skip_all)]
    async fn sign_in_failures(&self, account: &str) -> Result<Option<SignInFailures>, StoreError> {
        match self.failures_item(account).await? {
            Some(item) => Ok(Some(decode_failures(&item)?)),
            None => Ok(None),
        }
    }

    #[tracing::instrument(name = "dynamodb.record_sign_in_failure", skip_all)]
    async fn record_sign_in_failure(
        &self,
        account: &str,
        at: DateTime<Utc>,
        policy: &LockoutPolicy,
    ) -> Result<SignInFailures, StoreError> {
        for _ in 0..COUNT_ATTEMPTS {
            let previous = self.failures_item(account).await?;
            let before = previous.as_ref().map(decode_failures).transpose()?;
            let next = SignInFailures::after_failure(before, at, policy);
            let mut item = key(failures_pk(account), "SIGNIN");
            item.insert(ATTR_COUNT.to_owned(), keys::n(u64::from(next.count)));
            item.insert(ATTR_WINDOW.to_owned(), s(keys::ts(next.window_started)));
            if let Some(until) = next.locked_until {
                item.insert(ATTR_LOCKED_UNTIL.to_owned(), s(keys::ts(until)));
            }
            item.insert(ATTR_EXPIRES_AT.to_owned(), epoch(next.forget_after(policy)));
            let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
            // Written only over exactly what was read: a concurrent failure makes us count again.
            let put = match previous.as_ref().and_then(|item| item.get(ATTR_COUNT).cloned()) {
                Some(count) => put
                    .condition_expression("#count = :count AND #window = :window")
                    .expression_attribute_names("#count", ATTR_COUNT)
                    .expression_attribute_names("#window", ATTR_WINDOW)
                    .expression_attribute_values(":count", count)
                    .expression_attribute_values(
                        ":window",
                        previous.as_ref().and_then(|item| item.get(ATTR_WINDOW).cloned()).unwrap_or_else(|| s("")),
                    ),
                None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK),
            };
            match put.send().await {
                Ok(_) => return Ok(next),
                Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {}
                Err(other) => return Err(unavailable(other)),
            }
        }
        Err(DynamoError::Contention(COUNT_ATTEMPTS).into())
    }

    #[tracing::instrument(name = "dynamodb.clear_sign_in_failures", skip_all)]
    async fn clear_sign_in_failures(&self, account: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(failures_pk(account), "SIGNIN")))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
