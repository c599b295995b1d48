//! Where the breach scan finds a handler's address (issue 14: "handlers get their own cases"): the
//! staff directory. Locally it is the users file (`complaints users add … --email`); on AWS, where
//! staff sign in through Cognito and no users file exists, a JSON object in an SSM parameter
//! (`{"handler": "address"}`); `[alerts] handlers` in the organisation file stays as the fallback
//! for handlers the directory does not know.

use std::collections::BTreeMap;

use complaints_core::complaint::EmailAddress;

use crate::users::UsersFile;

/// Looks up the address of the member of staff a case names as its handler (R42).
pub trait StaffDirectory: Send + Sync {
    /// The handler's address, when the directory knows one.
    fn address_of(&self, handler: &str) -> Option<EmailAddress>;
}

/// A directory held in memory: handler (a user name, a staff id or a display name, as cases
/// name their handler) → address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryMap {
    addresses: BTreeMap<String, EmailAddress>,
}

/// One member of staff a case may be assigned to, from the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryHandler {
    /// The id cases record as their handler.
    pub id: String,
    /// How the choice reads: the full name and the id when the directory knows the name.
    pub label: String,
}

/// A directory document that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the staff directory is not a JSON object of names to addresses")]
    Shape(#[source] serde_json::Error),
    #[error("the staff directory's entry for {handler:?} is not an email address")]
    Address { handler: String },
}

impl DirectoryMap {
    /// Every user of the users file with an address, under their user name and, when it differs,
    /// their full name (a case may name its handler either way).
    #[must_use]
    pub fn from_users(users: &UsersFile) -> Self {
        let mut addresses = BTreeMap::new();
        for record in users.users() {
            if let Some(email) = &record.email {
                if let Some(full) = &record.full_name {
                    addresses.entry(full.clone()).or_insert_with(|| email.clone());
                }
                addresses.insert(record.name.clone(), email.clone());
            }
        }
        Self { addresses }
    }

    /// A directory from its JSON document: `{"handler": "address", …}` (the SSM parameter on AWS).
    ///
    /// # Errors
    /// [`DirectoryError`] when it is not an object of strings or an address is malformed.
    pub fn from_json(text: &str) -> Result<Self, DirectoryError> {
        let raw: BTreeMap<String, String> = serde_json::from_str(text).map_err(DirectoryError::Shape)?;
        let mut addresses = BTreeMap::new();
        for (handler, address) in raw {
            let parsed =
                EmailAddress::parse(&address).map_err(|_| DirectoryError::Address { handler: handler.clone() })?;
            addresses.insert(handler, parsed);
        }
        Ok(Self { addresses })
    }

    /// A directory from pairs of handler and address (a later pair for the same handler wins).
    #[must_use]
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, EmailAddress)>) -> Self {
        Self { addresses: pairs.into_iter().map(|(handler, address)| (handler.trim().to_owned(), address)).collect() }
    }

    /// Every handler and address, in name order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &EmailAddress)> {
        self.addresses.iter().map(|(handler, address)| (handler.as_str(), address))
    }

    /// The JSON document [`DirectoryMap::from_json`] reads (keys in name order, so the same
    /// directory always gives the same text).
    #[must_use]
    pub fn to_json(&self) -> String {
        let raw: BTreeMap<&str, &str> = self.addresses.iter().map(|(h, a)| (h.as_str(), a.as_str())).collect();
        serde_json::to_string(&raw).unwrap_or_else(|_| "{}".to_owned())
    }

    /// How many handlers it knows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// True when it knows nobody.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// The members of staff "Assign" offers, in id order: each person once, by the id cases
    /// record as their handler (R42), so "My cases" and the handler filter find the case. A key
    /// that is no user name (a full name, say) but shares its address with one is that user's
    /// alias, as [`DirectoryMap::from_users`] and `complaints-admin staff-directory` write them:
    /// it labels the user instead of being offered itself. A key with no such user is offered
    /// as it stands (a directory written by hand may name handlers any way).
    #[must_use]
    pub fn handlers(&self) -> Vec<DirectoryHandler> {
        let is_id = |key: &str| crate::users::valid_name(key);
        let mut full_names: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, address) in self.addresses.iter().filter(|(key, _)| !is_id(key)) {
            full_names.entry(address.as_str()).or_insert(key.as_str());
        }
        let id_addresses: std::collections::BTreeSet<&str> =
            self.addresses.iter().filter(|(key, _)| is_id(key)).map(|(_, address)| address.as_str()).collect();
        self.addresses
            .iter()
            .filter(|(key, address)| is_id(key) || !id_addresses.contains(address.as_str()))
            .map(|(key, address)| DirectoryHandler {
                id: key.clone(),
                label: match full_names.get(address.as_str()) {
                    Some(full) if is_id(key) => format!("{full} ({key})"),
                    _ => key.clone(),
                },
            })
            .collect()
    }
}

impl StaffDirectory for DirectoryMap {
    fn address_of(&self, handler: &str) -> Option<EmailAddress> {
        self.addresses.get(handler.trim()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_directory_maps_handlers_to_addresses_and_refuses_a_bad_address() {
        let directory = DirectoryMap::from_json(r#"{"alex": "alex@example.org", "Sam Smith": "sam@example.org"}"#)
            .expect("a valid directory");
        assert_eq!(directory.address_of("alex").map(|a| a.as_str().to_owned()), Some("alex@example.org".to_owned()));
        assert_eq!(
            directory.address_of(" Sam Smith ").map(|a| a.as_str().to_owned()),
            Some("sam@example.org".to_owned())
        );
        assert_eq!(directory.address_of("nobody"), None);
        assert!(matches!(
            DirectoryMap::from_json(r#"{"alex": "not an address"}"#),
            Err(DirectoryError::Address { handler }) if handler == "alex"
        ));
        assert!(matches!(DirectoryMap::from_json("[1, 2]"), Err(DirectoryError::Shape(_))));
    }

    fn handler(id: &str, label: &str) -> DirectoryHandler {
        DirectoryHandler { id: id.to_owned(), label: label.to_owned() }
    }

    #[test]
    fn assign_offers_each_person_once_by_user_id_labelled_with_the_full_name() {
        let dir = tempfile::tempdir().expect("dir");
        let mut users = UsersFile::load(dir.path()).expect("users");
        let address = |a: &str| Some(EmailAddress::parse(a).expect("address"));
        let (handler_role, at) = (complaints_core::roles::Role::Handler, chrono::Utc::now());
        users.add("sam", Some("Sam Smith".to_owned()), handler_role, address("sam@example.org"), at).expect("sam");
        users.add("alex", None, handler_role, address("alex@example.org"), at).expect("alex");
        let directory = DirectoryMap::from_users(&users);
        // The full name still finds the address (a case may name its handler so) …
        assert!(directory.address_of("Sam Smith").is_some());
        // … but is no choice of its own.
        assert_eq!(directory.handlers(), vec![handler("alex", "alex"), handler("sam", "Sam Smith (sam)")]);
    }

    #[test]
    fn a_hand_written_directory_offers_a_handler_named_only_by_full_name() {
        let directory = DirectoryMap::from_json(
            r#"{"sam": "sam@example.org", "Sam Smith": "sam@example.org", "Pat Jones": "pat@example.org"}"#,
        )
        .expect("a valid directory");
        assert_eq!(directory.handlers(), vec![handler("Pat Jones", "Pat Jones"), handler("sam", "Sam Smith (sam)")]);
    }

    #[test]
    fn a_directory_written_as_json_reads_back_the_same() {
        let address = |a: &str| EmailAddress::parse(a).expect("address");
        let directory = DirectoryMap::from_pairs([
            ("sam".to_owned(), address("sam@example.org")),
            (" Pat \"PJ\" Jones ".to_owned(), address("pat@example.org")),
        ]);
        let text = directory.to_json();
        assert_eq!(text, r#"{"Pat \"PJ\" Jones":"pat@example.org","sam":"sam@example.org"}"#);
        assert_eq!(DirectoryMap::from_json(&text).expect("reads back"), directory);
    }
}
