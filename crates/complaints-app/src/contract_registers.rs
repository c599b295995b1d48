//! The contract suites of the registers' ports (feature `contract-tests`): [`QualityStore`]
//! (second readers' reviews) and [`FlagStore`] (items flagged for staff). Every adapter runs them
//! with [`quality_store_contract_tests!`](crate::quality_store_contract_tests) and
//! [`flag_store_contract_tests!`](crate::flag_store_contract_tests), or loops over
//! [`QUALITY_CONTRACTS`] and [`FLAG_CONTRACTS`] on one shared store.
//!
//! Each contract looks only at what it wrote (a fresh reference prefix per run), so they can share
//! one store and run in parallel.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use complaints_core::case::{StaffFlag, Stage};
use complaints_core::outcome::Outcome;
use complaints_core::quality::{Answer, Checklist, Closure, QualityReview};
use complaints_core::reference::CaseRef;

use crate::contract_support::ok;
use crate::flagged::{DealtWith, FlagKind, FlagStore, FlaggedItem, case_flag_id};
use crate::ports::StoreError;
use crate::quality::QualityStore;

/// A quality store contract: takes a store and panics when the store breaks the contract.
pub type QualityContract = fn(Arc<dyn QualityStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
/// A flag store contract.
pub type FlagContract = fn(Arc<dyn FlagStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every quality store contract by name.
pub const QUALITY_CONTRACTS: &[(&str, QualityContract)] = &[
    ("a_review_reads_back_and_a_second_review_of_the_same_closure_is_refused", |s| {
        Box::pin(a_review_reads_back_and_a_second_review_of_the_same_closure_is_refused(s))
    }),
    ("reviews_are_found_by_the_date_of_the_closure_across_months", |s| {
        Box::pin(reviews_are_found_by_the_date_of_the_closure_across_months(s))
    }),
];

/// Every flag store contract by name.
pub const FLAG_CONTRACTS: &[(&str, FlagContract)] = &[
    ("a_raised_flag_reads_back_and_raising_it_again_creates_nothing", |s| {
        Box::pin(a_raised_flag_reads_back_and_raising_it_again_creates_nothing(s))
    }),
    ("open_flags_page_oldest_first_and_dealt_with_items_leave_the_list", |s| {
        Box::pin(open_flags_page_oldest_first_and_dealt_with_items_leave_the_list(s))
    }),
    ("dealing_with_an_unknown_item_is_not_found_and_dealing_twice_conflicts", |s| {
        Box::pin(dealing_with_an_unknown_item_is_not_found_and_dealing_twice_conflicts(s))
    }),
    ("flags_of_kinds_no_longer_raised_still_read_and_list", |s| {
        Box::pin(flags_of_kinds_no_longer_raised_still_read_and_list(s))
    }),
];

/// Generates one `#[tokio::test]` per [`QualityStore`] contract.
#[macro_export]
macro_rules! quality_store_contract_tests {
    ($make:expr) => {
        $crate::quality_store_contract_tests!(@each $make;
            a_review_reads_back_and_a_second_review_of_the_same_closure_is_refused,
            reviews_are_found_by_the_date_of_the_closure_across_months,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::quality::QualityStore> = ::std::sync::Arc::new($make.await);
                $crate::contract_registers::$name(store).await;
            }
        )+
    };
}

/// Generates one `#[tokio::test]` per [`FlagStore`] contract.
#[macro_export]
macro_rules! flag_store_contract_tests {
    ($make:expr) => {
        $crate::flag_store_contract_tests!(@each $make;
            a_raised_flag_reads_back_and_raising_it_again_creates_nothing,
            open_flags_page_oldest_first_and_dealt_with_items_leave_the_list,
            dealing_with_an_unknown_item_is_not_found_and_dealing_twice_conflicts,
            flags_of_kinds_no_longer_raised_still_read_and_list,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::flagged::FlagStore> = ::std::sync::Arc::new($make.await);
                $crate::contract_registers::$name(store).await;
            }
        )+
    };
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("no such date"), "valid test date")
}

fn instant(day: u32, second: u32) -> DateTime<Utc> {
    ok(Utc.with_ymd_and_hms(2026, 3, day, 9, 0, second).single().ok_or("no such instant"), "valid test instant")
}

/// A reference with a prefix no other run uses.
fn fresh_reference(number: u32) -> CaseRef {
    let id = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    ok(CaseRef::new(&format!("R{}", &id[..9]), 2026, number), "valid reference")
}

fn review(reference: &CaseRef, closed_on: NaiveDate, findings: &str) -> QualityReview {
    let closure = Closure {
        reference: reference.clone(),
        stage: Stage::One,
        closed_on,
        outcome: Outcome::Resolved,
        handler: "handler-1".to_owned(),
        responded_by: None,
    };
    let mut checklist = Checklist::from_fn(|_| Answer::Yes);
    checklist.outcome_explained = Answer::No;
    ok(
        QualityReview::new(
            closure,
            "reader-1".to_owned(),
            closed_on + Duration::days(3),
            checklist,
            findings.to_owned(),
            vec!["LA-0001".to_owned()],
        ),
        "valid review",
    )
}

/// Stores a review and reads it back; the same closure cannot be reviewed twice.
pub async fn a_review_reads_back_and_a_second_review_of_the_same_closure_is_refused(store: Arc<dyn QualityStore>) {
    let reference = fresh_reference(1);
    let first = review(&reference, date(2026, 3, 4), "The outcome \"resolved\" was not agreed <b>in writing</b>");
    ok(store.record_review(&first).await, "record a review");
    assert_eq!(ok(store.review_of(&first.id()).await, "read it"), Some(first.clone()));
    let again = review(&reference, date(2026, 3, 4), "another reading");
    assert!(
        matches!(store.record_review(&again).await, Err(StoreError::AlreadyExists { .. })),
        "a second review of the same closure is refused"
    );
    assert_eq!(ok(store.review_of(&first.id()).await, "read it again"), Some(first), "the first stays as it was");
    assert_eq!(ok(store.review_of(&format!("{reference}/2/2026-03-04")).await, "read another"), None);
}

/// Reviews are listed by the closure's date within the period, across month partitions.
pub async fn reviews_are_found_by_the_date_of_the_closure_across_months(store: Arc<dyn QualityStore>) {
    let reference = fresh_reference(2);
    let prefix = reference.to_string();
    let prefix = prefix.split('-').next().unwrap_or_default().to_owned();
    let dates = [date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 1)];
    let mut written = Vec::new();
    for (n, on) in (1..).zip(dates) {
        let r = ok(CaseRef::new(&prefix, 2026, n), "valid reference");
        let made = review(&r, on, "ok");
        ok(store.record_review(&made).await, "record");
        written.push(made);
    }
    let mine = |found: Vec<QualityReview>| -> Vec<QualityReview> {
        found.into_iter().filter(|r| r.closure.reference.to_string().starts_with(&prefix)).collect()
    };
    let february = mine(ok(store.reviews_between(date(2026, 2, 1), date(2026, 2, 28)).await, "february"));
    assert_eq!(february, written[1..3].to_vec());
    let all = mine(ok(store.reviews_between(date(2026, 1, 1), date(2026, 3, 31)).await, "the quarter"));
    assert_eq!(all, written, "every review, by closure date");
    let none = mine(ok(store.reviews_between(date(2026, 4, 1), date(2026, 4, 30)).await, "april"));
    assert!(none.is_empty());
}

fn item(reference: &CaseRef, at: DateTime<Utc>, flag: StaffFlag) -> FlaggedItem {
    FlaggedItem {
        id: case_flag_id(reference, at, flag),
        kind: FlagKind::Case(flag),
        reference: Some(reference.clone()),
        raised_at: at,
        detail: "bounce".to_owned(),
        dealt_with: None,
    }
}

/// A raised item reads back; raising the same id again changes nothing.
pub async fn a_raised_flag_reads_back_and_raising_it_again_creates_nothing(store: Arc<dyn FlagStore>) {
    let reference = fresh_reference(3);
    let first = item(&reference, instant(2, 0), StaffFlag::PossibleSpam);
    assert!(ok(store.raise_flag(&first).await, "raise"), "a new item is new");
    let mut changed = first.clone();
    changed.detail = "changed".to_owned();
    assert!(!ok(store.raise_flag(&changed).await, "raise again"), "the same id is not new");
    assert_eq!(ok(store.flag(&first.id).await, "read"), Some(first));
    assert_eq!(ok(store.flag("no-such-flag").await, "read unknown"), None);
}

/// Pages through every open item of this run once, oldest first.
async fn my_open_items(store: &dyn FlagStore, prefix: &str, limit: usize) -> Vec<FlaggedItem> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let page = ok(store.open_flags(after.as_deref(), limit).await, "open page");
        assert!(page.items.len() <= limit, "a page holds at most its limit");
        found.extend(page.items.into_iter().filter(|i| i.id.starts_with(prefix)));
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
    found
}

/// Open items page oldest first and each appears once; an item dealt with leaves the list.
pub async fn open_flags_page_oldest_first_and_dealt_with_items_leave_the_list(store: Arc<dyn FlagStore>) {
    let reference = fresh_reference(4);
    let prefix = reference.to_string();
    let flags =
        [StaffFlag::UndeliverableMail, StaffFlag::OverMailCap, StaffFlag::QuarantinedMail, StaffFlag::MailComplaint];
    // Raised out of order: the list is by time.
    let mut raised = Vec::new();
    for (second, flag) in [3, 1, 4, 2].into_iter().zip(flags) {
        let made = item(&reference, instant(5, second), flag);
        ok(store.raise_flag(&made).await, "raise");
        raised.push(made);
    }
    raised.sort_by_key(|i| i.raised_at);
    assert_eq!(my_open_items(store.as_ref(), &prefix, 2).await, raised);
    let dealt = DealtWith { by: "handler-1".to_owned(), at: instant(6, 0), note: "Called the <customer>".to_owned() };
    let saved = ok(store.deal_with_flag(&raised[1].id, dealt.clone()).await, "deal with");
    assert_eq!(saved.dealt_with, Some(dealt.clone()));
    assert_eq!(ok(store.flag(&raised[1].id).await, "read").and_then(|i| i.dealt_with), Some(dealt));
    let mut open = raised.clone();
    open.remove(1);
    assert_eq!(my_open_items(store.as_ref(), &prefix, 1).await, open);
}

/// Dealing with an unknown item is not found; dealing with one twice conflicts.
pub async fn dealing_with_an_unknown_item_is_not_found_and_dealing_twice_conflicts(store: Arc<dyn FlagStore>) {
    let reference = fresh_reference(5);
    let dealt = DealtWith { by: "handler-1".to_owned(), at: instant(7, 0), note: "done".to_owned() };
    let unknown = store.deal_with_flag(&format!("{reference}#none"), dealt.clone()).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let made = item(&reference, instant(7, 1), StaffFlag::AttachmentHeld);
    ok(store.raise_flag(&made).await, "raise");
    ok(store.deal_with_flag(&made.id, dealt.clone()).await, "deal with");
    let twice = store.deal_with_flag(&made.id, dealt).await;
    assert!(matches!(twice, Err(StoreError::VersionConflict { .. })), "{twice:?}");
}

/// Items of the kinds older intake wrote (social quarantine and triage, email robots and
/// rejections) still read back and list with the rest, so an older register never breaks the
/// flagged page.
pub async fn flags_of_kinds_no_longer_raised_still_read_and_list(store: Arc<dyn FlagStore>) {
    let reference = fresh_reference(6);
    let prefix = reference.to_string();
    let kinds = [FlagKind::SocialQuarantine, FlagKind::SocialTriage, FlagKind::EmailRobot, FlagKind::EmailRejected];
    let mut raised = Vec::new();
    for (second, kind) in (1..).zip(kinds) {
        let made = FlaggedItem {
            id: format!("{prefix}#{}", kind.code()),
            kind,
            reference: None,
            raised_at: instant(7, second),
            detail: format!("social/quarantine/{second}.json"),
            dealt_with: None,
        };
        ok(store.raise_flag(&made).await, "raise an older kind");
        raised.push(made);
    }
    assert_eq!(ok(store.flag(&raised[0].id).await, "read"), Some(raised[0].clone()));
    assert_eq!(my_open_items(store.as_ref(), &prefix, 3).await, raised, "listed with the rest");
}
