//! What the contract suites (feature `contract-tests`) build their cases and dates with: one
//! copy, so every suite means the same by "a case opened on 2 March" or "staff apply a command".

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use complaints_core::case::Rules;
use complaints_core::command::Command;
use complaints_core::timeline::Actor;

use crate::ports::{CaseStore, NewCase, StoredCase};

/// The value, or a panic naming `what` (a contract fails like any test).
#[allow(clippy::panic)]
pub(crate) fn ok<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

/// 10:00 UTC on a date (GMT or BST, it is the same local date).
pub(crate) fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    ok(Utc.with_ymd_and_hms(year, month, day, 10, 0, 0).single().ok_or("no such instant"), "valid test instant")
}

pub(crate) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("no such date"), "valid test date")
}

/// `first` and nine hex digits: valid as a reference prefix and unique per run, so a suite finds
/// its own cases in a store other tests write to.
pub(crate) fn unique_prefix(first: char) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("{first}{}", &id[..9])
}

pub(crate) async fn create(store: &dyn CaseStore, new: NewCase) -> StoredCase {
    ok(store.create(new).await, "create should succeed")
}

/// Applies a lifecycle command as a member of staff at 17:00 UTC on `on`, and stores the result.
pub(crate) async fn apply_as_staff(
    rules: Rules<'_>,
    store: &dyn CaseStore,
    stored: StoredCase,
    command: Command,
    on: NaiveDate,
) -> StoredCase {
    let when = ok(on.and_hms_opt(17, 0, 0).ok_or("no such time"), "valid time").and_utc();
    let (next, events) =
        ok(stored.case.apply(command, when, Actor::Staff("contract-staff".to_owned()), rules), "command accepted");
    let version = ok(store.update(&next, stored.version, events).await, "update with the command's result");
    StoredCase { case: next, version }
}
