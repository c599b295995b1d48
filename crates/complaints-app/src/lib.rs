//! Use cases over ports: intake, the durable outbound path (and later staff actions, breach scan,
//! export). Adapters for the ports live in their own crates (SQLite, DynamoDB, mail folder, SES, S3).

pub mod alert_store;
pub mod breach_scan;
pub mod case_indexes;
pub mod channel_health_store;
pub mod contact;
pub mod email_intake;
pub mod escalations;
pub mod export;
pub mod export_notice;
pub mod export_pages;
pub mod flagged;
pub mod held_mail;
pub mod intake;
pub mod name_fold;
pub mod notice_store;
pub mod object_store;
pub mod object_upload;
pub mod outbound;
pub mod parse_guard;
pub mod passwords;
pub mod ports;
pub mod staff_directory;
// Staff reading: queries, the learning register, subject access, the local users file.
pub mod learning;
pub mod quality;
pub mod queries;
pub mod sessions;
pub mod single_use;
// `complaints-admin end-sessions` / `complaints end-sessions`: one member of staff's sessions.
pub mod end_sessions;
pub mod social;
pub mod social_accounts;
pub mod social_attachments;
pub mod social_health;
pub mod staff;
pub mod staff_items;
pub mod subject_access;
pub mod users;

#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_read;

#[cfg(feature = "testing")]
pub mod memory_objects;

#[cfg(feature = "testing")]
pub mod testing_objects;

#[cfg(feature = "testing")]
pub mod testing_registers;

#[cfg(feature = "testing")]
pub mod testing_sessions;

#[cfg(feature = "contract-tests")]
pub mod session_contract;
#[cfg(feature = "contract-tests")]
pub mod single_use_contract;

#[cfg(feature = "contract-tests")]
pub mod contract;
#[cfg(feature = "contract-tests")]
pub mod contract_read;

#[cfg(feature = "contract-tests")]
pub mod alert_contract;

#[cfg(feature = "contract-tests")]
pub mod breach_stops;

#[cfg(feature = "contract-tests")]
pub mod staff_contract;

#[cfg(feature = "contract-tests")]
pub mod export_contract;

#[cfg(feature = "contract-tests")]
pub mod held_mail_contract;

#[cfg(feature = "contract-tests")]
pub mod staff_items_contract;

#[cfg(feature = "contract-tests")]
pub mod contract_registers;

#[cfg(feature = "contract-tests")]
pub mod channel_health_contract;
#[cfg(feature = "contract-tests")]
pub mod contract_indexes;
#[cfg(feature = "contract-tests")]
mod contract_support;

/// An error and its causes on one line, `: `-separated, for logs: the useful part (a TLS or DNS
/// failure, SQLite's or a service's error code) is often several sources down. A cause whose text
/// the previous one already ends with (as `#[error("…: {0}")]` wrappers do) is not repeated.
/// Store, mail and SDK errors name kinds of failure, never personal data, so their chains are
/// safe to log.
#[must_use]
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Dispatch(#[source] Root);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the keys: {0}")]
    struct Quoting(#[source] Root);

    #[test]
    fn each_cause_appears_once_in_order() {
        assert_eq!(error_chain(&Dispatch(Root)), "dispatch failure: connection refused");
        assert_eq!(error_chain(&Quoting(Root)), "cannot read the keys: connection refused");
    }
}
