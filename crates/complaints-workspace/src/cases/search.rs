//! What the case list's search reads (issue 12): a name through the name index
//! ([`CaseIndexes::cases_named`]: the entries of each token, then only the cases with them all),
//! an email address through the contact index (the keyed hash of the normalised address, the same
//! key intake gives every case, [`contact_key`]). Never a read of cases in bulk to filter in
//! memory. The words searched for come in a POST body and are never logged.

use complaints_app::case_indexes::{NamedCases, search_tokens};
use complaints_app::contact::contact_key;
use complaints_app::ports::StoreError;
use complaints_core::complaint::{Channel, Complainant, EmailAddress};

use crate::WorkspaceState;

/// The most cases one search returns.
pub const MAX_RESULTS: usize = 100;

/// The cases `text` finds, newest received first: by contact when it is an email address, else
/// by the tokens of a name. `None` when `text` has nothing to search for.
///
/// # Errors
/// [`StoreError`].
pub async fn find(state: &WorkspaceState, text: &str) -> Result<Option<NamedCases>, StoreError> {
    if text.contains('@') {
        let Ok(address) = EmailAddress::parse(text) else { return Ok(None) };
        let person = Complainant { name: String::new(), email: Some(address), phone: None, handle: None };
        let Some(key) = contact_key(&state.staff.contact_key_secret, Channel::Email, &person) else {
            return Ok(None);
        };
        let references = state.staff.store.find_by_contact(&key).await?;
        // Newest first: the index lists a contact's cases oldest first.
        let cut_short = references.len() > MAX_RESULTS;
        let mut cases = Vec::new();
        for reference in references.iter().rev().take(MAX_RESULTS) {
            match state.staff.store.get(reference).await {
                Ok(stored) => cases.push(stored),
                Err(StoreError::NotFound) => {}
                Err(error) => return Err(error),
            }
        }
        return Ok(Some(complaints_app::case_indexes::newest_first(cases, MAX_RESULTS, cut_short)));
    }
    let tokens = search_tokens(text);
    if tokens.is_empty() {
        return Ok(None);
    }
    state.indexes.cases_named(&tokens, MAX_RESULTS).await.map(Some)
}
