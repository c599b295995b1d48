//! The indexes written with a case on DynamoDB (issue 12), as items in the case write's own
//! transaction, found by Query (never a Scan):
//!
//! - **names**: one item per index key of a case's folded name tokens (each prefix of three to
//!   eight letters, a word of two letters whole: [`index_keys`]), `NAME#<keyed hash of the key>` /
//!   `<received_on>#<ref>`, written by `create` only (the parties are fixed from then on). The
//!   key is an HMAC with the deployment's contact key secret ([`name_key`]), so no name, nor any
//!   part of one, is in a key; a store without the secret ([`DynamoDbCaseStore::with_search_key`])
//!   writes none and refuses name searches. A search Queries the partition of each word's
//!   [`lookup_key`] (newest first, at most [`MAX_ENTRIES_PER_TOKEN`] entries), intersects the
//!   references and reads the matching cases newest first (BatchGetItem), keeping those whose
//!   tokens match every word ([`case_matches`]: only a word longer than the longest key can
//!   find a case it does not match, and items written before tokens were folded are never
//!   looked up or, where an old token equals a new key, mean the same).
//! - **SPSO referrals**: one `SPSO` item in the case's partition, in the period index's
//!   `SPSO#<yyyy-mm>` partition by referral date, written by the update that records the referral
//!   (its date never changes afterwards). `/staff/spso` Queries the period's months.
//! - **flags**: each `FlaggedForStaff` event's register item (`FLAG#<id>`, open), written in the
//!   same transaction as the event, by `create`, `update_with_messages` and `finish_message`.
//!
//! Costs (architecture §4): a create writes at most [`MAX_NAME_TOKENS`] × 6 = 36 more items (a
//! name like "Siobhán Ní Bhriain" eleven: five prefixes of each long word and `ni`); an update
//! writes one more item only when it records a referral or raises a flag.
//!
//! [`MAX_NAME_TOKENS`]: complaints_app::case_indexes::MAX_NAME_TOKENS

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use complaints_app::case_indexes::{
    CaseIndexes, MAX_ENTRIES_PER_TOKEN, NamedCases, by_referral, case_name_tokens, name_key, newest_first,
};
use complaints_app::flagged::flags_in_events;
use complaints_app::name_fold::{case_matches, index_keys, lookup_key};
use complaints_app::ports::{StoreError, StoredCase};
use complaints_core::case::{Case, CaseEvent};
use complaints_core::reference::CaseRef;
use complaints_core::timeline::TimelineEvent;

use crate::error::DynamoError;
use crate::keys::{self, ATTR_REF, GSI_PERIOD, GSI2PK, GSI2SK, Item, PK, RANGE_END, SK, s};
use crate::{Cost, DynamoDbCaseStore};

const REFERRAL_SK: &str = "SPSO";

/// Why a name search could not run.
#[derive(Debug, thiserror::Error)]
#[error("name search needs the contact key secret (DynamoDbCaseStore::with_search_key)")]
pub struct NoSearchKey;

impl DynamoDbCaseStore {
    /// This store, writing and searching the name index with `secret` (the deployment's contact
    /// key secret). Every function that creates cases must set it, or its cases are not found by
    /// name.
    #[must_use]
    pub fn with_search_key(mut self, secret: &[u8]) -> Self {
        self.search_key = Some(Arc::from(secret));
        self
    }

    /// The name index items of a new case (none without a search key).
    pub(crate) fn name_items(&self, case: &Case) -> Vec<Item> {
        let Some(secret) = &self.search_key else { return Vec::new() };
        let reference = case.reference();
        let received_on = case.index().received_on;
        index_keys(&case_name_tokens(case))
            .iter()
            .map(|token| {
                Item::from([
                    (PK.to_owned(), s(format!("NAME#{}", name_key(secret, token)))),
                    (SK.to_owned(), s(format!("{received_on}#{reference}"))),
                    (ATTR_REF.to_owned(), s(reference.to_string())),
                ])
            })
            .collect()
    }
}

fn referral_partition(date: NaiveDate) -> String {
    format!("SPSO#{:04}-{:02}", date.year(), date.month())
}

/// The referral item of a referred case.
pub(crate) fn referral_item(case: &Case) -> Option<Item> {
    let on = complaints_app::case_indexes::referred_on(case)?;
    let reference = case.reference();
    Some(Item::from([
        (PK.to_owned(), s(keys::case_pk(reference))),
        (SK.to_owned(), s(REFERRAL_SK)),
        (ATTR_REF.to_owned(), s(reference.to_string())),
        (GSI2PK.to_owned(), s(referral_partition(on))),
        (GSI2SK.to_owned(), s(format!("{on}#{reference}"))),
    ]))
}

/// The referral item when `events` record the referral (the only write that changes its date).
pub(crate) fn referral_written(case: &Case, events: &[TimelineEvent]) -> Option<Item> {
    events.iter().any(|e| matches!(e.what, CaseEvent::ReferredToSpso { .. })).then(|| referral_item(case)).flatten()
}

/// The register items of the flags among `events`, each once.
pub(crate) fn flag_items(reference: &CaseRef, events: &[TimelineEvent]) -> Result<Vec<Item>, DynamoError> {
    let mut seen = HashSet::new();
    flags_in_events(reference, events)
        .into_iter()
        .filter(|flag| seen.insert(flag.id.clone()))
        .map(|flag| crate::registers::flag_item(&flag, 1))
        .collect()
}

#[async_trait]
impl CaseIndexes for DynamoDbCaseStore {
    async fn cases_named(&self, tokens: &[String], limit: usize) -> Result<NamedCases, StoreError> {
        if tokens.is_empty() {
            return Ok(NamedCases::default());
        }
        let secret = self.search_key.clone().ok_or_else(|| StoreError::Unavailable(Box::new(NoSearchKey)))?;
        let mut op = Cost::default();
        let mut cut = false;
        // reference → received date, intersected token by token.
        let mut matches: Option<BTreeMap<String, String>> = None;
        let mut keys: Vec<String> = tokens.iter().map(|token| lookup_key(token)).collect();
        keys.sort_unstable();
        keys.dedup();
        for token in &keys {
            let query = self
                .client
                .query()
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(format!("NAME#{}", name_key(&secret, token))))
                .scan_index_forward(false);
            let mut entries = BTreeMap::new();
            let mut failed = None;
            self.query_pages(query, &mut op, |page| {
                for item in page.items() {
                    let parsed = keys::get_s(item, SK)
                        .and_then(|sk| keys::get_s(item, ATTR_REF).map(|r| (r.to_owned(), sk.to_owned())));
                    match parsed {
                        Ok((reference, sk)) => {
                            let received = sk.split('#').next().unwrap_or_default().to_owned();
                            entries.insert(reference, received);
                        }
                        Err(e) => failed = Some(e),
                    }
                }
                Ok(entries.len() < MAX_ENTRIES_PER_TOKEN && failed.is_none())
            })
            .await?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            cut |= entries.len() >= MAX_ENTRIES_PER_TOKEN;
            matches = Some(match matches {
                None => entries,
                Some(so_far) => so_far.into_iter().filter(|(reference, _)| entries.contains_key(reference)).collect(),
            });
            if matches.as_ref().is_some_and(BTreeMap::is_empty) {
                break;
            }
        }
        let mut found: Vec<(String, CaseRef)> = Vec::new();
        for (reference, received) in matches.unwrap_or_default() {
            found.push((received, reference.parse().map_err(|_| DynamoError::Malformed(ATTR_REF))?));
        }
        // Newest first, then the later reference: read the cases in that order until one more
        // than the limit matches (it says there are more), keeping those that match every word.
        found.sort_by(|a, b| b.cmp(a));
        let mut candidates = found.into_iter().map(|(_, reference)| reference);
        let mut cases = Vec::new();
        loop {
            let wanted: Vec<CaseRef> = candidates.by_ref().take(limit + 1 - cases.len()).collect();
            if wanted.is_empty() {
                break;
            }
            for stored in self.batch_get_cases(&wanted, &mut op).await? {
                if case_matches(&case_name_tokens(&stored.case), tokens) {
                    cases.push(stored);
                }
            }
            if cases.len() > limit {
                break;
            }
        }
        Ok(newest_first(cases, limit, cut))
    }

    async fn referred_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StoredCase>, StoreError> {
        let mut op = Cost::default();
        let mut references = Vec::new();
        for first in keys::months_between(from, to) {
            let query = self.index_range(
                GSI_PERIOD,
                (GSI2PK, GSI2SK),
                referral_partition(first),
                from.to_string(),
                format!("{to}#{RANGE_END}"),
            );
            for item in self.query_all(query, &mut op).await? {
                references.push(keys::get_ref(&item)?);
            }
        }
        Ok(by_referral(self.batch_get_cases(&references, &mut op).await?))
    }
}
