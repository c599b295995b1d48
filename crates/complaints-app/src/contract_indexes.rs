//! The contract suite of the indexes written with a case (feature `contract-tests`): the name and
//! referral indexes of [`CaseIndexes`], and the flags a case write puts in the [`FlagStore`]
//! register in the same transaction. Every adapter runs it with
//! [`case_index_contract_tests!`](crate::case_index_contract_tests) or loops over
//! [`INDEX_CONTRACTS`] on one shared store.
//!
//! Each contract looks only at what it wrote (a fresh reference prefix and fresh name tokens per
//! run), so they can share one store and run in parallel.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, CaseEvent, MessagePurpose, PointOfComplaint, Rules, StaffFlag};
use complaints_core::command::Command;
use complaints_core::complaint::{Channel, Complainant, EmailAddress, Representation};
use complaints_core::outcome::{Outcome, SpsoOutcome};
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::{SpsoSignposting, Stage2Signposting};
use complaints_core::timeline::{Actor, TimelineEvent};
use complaints_mail::QueuedMessage;

use crate::case_indexes::{CaseIndexes, search_tokens};
use crate::contract_support::{self as support, apply_as_staff, create, ok, unique_prefix};
use crate::flagged::{DealtWith, FlagKind, FlagStore, case_flag_id};
use crate::outbound::{DeliveryResult, NewMessage};
use crate::ports::{CaseStore, NewCase, StoreError, StoredCase};
use crate::testing::sample_complaint;

/// A store with the case indexes and the flag register beside its cases.
pub trait IndexedStore: CaseStore + CaseIndexes + FlagStore {}
impl<T: CaseStore + CaseIndexes + FlagStore> IndexedStore for T {}

/// An index contract: takes a store and panics when the store breaks the contract.
pub type IndexContract = fn(Arc<dyn IndexedStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every index contract by name.
pub const INDEX_CONTRACTS: &[(&str, IndexContract)] = &[
    ("a_case_is_found_by_every_token_of_its_parties_names_newest_first", |s| {
        Box::pin(a_case_is_found_by_every_token_of_its_parties_names_newest_first(s))
    }),
    ("a_name_search_reads_no_case_that_lacks_a_token_and_says_when_it_was_cut", |s| {
        Box::pin(a_name_search_reads_no_case_that_lacks_a_token_and_says_when_it_was_cut(s))
    }),
    ("a_name_search_folds_accents_and_finds_the_start_of_words", |s| {
        Box::pin(a_name_search_folds_accents_and_finds_the_start_of_words(s))
    }),
    ("referrals_are_found_by_their_date_and_unreferred_cases_are_not", |s| {
        Box::pin(referrals_are_found_by_their_date_and_unreferred_cases_are_not(s))
    }),
    ("flags_written_with_a_case_are_in_the_register_with_the_write", |s| {
        Box::pin(flags_written_with_a_case_are_in_the_register_with_the_write(s))
    }),
    ("a_refused_write_puts_no_flag_in_the_register", |s| Box::pin(a_refused_write_puts_no_flag_in_the_register(s))),
    ("a_flag_written_again_with_a_case_stays_as_it_was", |s| {
        Box::pin(a_flag_written_again_with_a_case_stays_as_it_was(s))
    }),
];

/// Generates one `#[tokio::test]` per index contract.
#[macro_export]
macro_rules! case_index_contract_tests {
    ($make:expr) => {
        $crate::case_index_contract_tests!(@each $make;
            a_case_is_found_by_every_token_of_its_parties_names_newest_first,
            a_name_search_reads_no_case_that_lacks_a_token_and_says_when_it_was_cut,
            a_name_search_folds_accents_and_finds_the_start_of_words,
            referrals_are_found_by_their_date_and_unreferred_cases_are_not,
            flags_written_with_a_case_are_in_the_register_with_the_write,
            a_refused_write_puts_no_flag_in_the_register,
            a_flag_written_again_with_a_case_stays_as_it_was,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::contract_indexes::IndexedStore> =
                    ::std::sync::Arc::new($make.await);
                $crate::contract_indexes::$name(store).await;
            }
        )+
    };
}

/// 10:00 UTC on a date in 2026.
fn at(month: u32, day: u32) -> DateTime<Utc> {
    support::at(2026, month, day)
}

fn date(month: u32, day: u32) -> NaiveDate {
    support::date(2026, month, day)
}

/// Letters only, unique per call: a name token no other run has.
fn fresh_token() -> String {
    uuid::Uuid::new_v4().simple().to_string().chars().map(|c| if c.is_ascii_digit() { 'q' } else { c }).collect()
}

struct Fixture {
    prefix: String,
    calendar: Calendar,
    policy: Policy,
}

impl Fixture {
    fn new() -> Self {
        Self { prefix: unique_prefix('X'), calendar: Calendar::scotland(), policy: Policy::default() }
    }

    /// A new case from `name` (and, when given, for `affected`), received at `when`.
    fn new_case(&self, name: &str, affected: Option<&str>, when: DateTime<Utc>) -> NewCase {
        let mut draft = sample_complaint(Channel::WebForm, Some("index-contract@example.org")).to_draft();
        draft.complainant = Some(Complainant {
            name: name.to_owned(),
            email: EmailAddress::parse("index-contract@example.org").ok(),
            phone: None,
            handle: None,
        });
        draft.representation = affected.map(|person| Representation {
            person_affected: person.to_owned(),
            relationship: "Parent".to_owned(),
            consent_confirmed: true,
        });
        let complaint = ok(draft.validate(when.date_naive()), "valid complaint");
        let reference = ok(CaseRef::new(&self.prefix, 2026, 0), "valid prefix");
        let rules = Rules { calendar: &self.calendar, policy: &self.policy };
        let (case, events) =
            Case::open(reference, complaint, when, "Complaints Team".to_owned(), None, rules, Actor::System);
        NewCase { case, events, source_key: None, mail: None }
    }

    async fn apply(&self, store: &dyn IndexedStore, stored: StoredCase, command: Command, on: NaiveDate) -> StoredCase {
        apply_as_staff(Rules { calendar: &self.calendar, policy: &self.policy }, store, stored, command, on).await
    }

    /// Closes stage 1 on `on`, escalates, closes stage 2 the same day (the final response) and
    /// refers the case to the SPSO on `referred_on`.
    async fn refer(
        &self,
        store: &dyn IndexedStore,
        stored: StoredCase,
        on: NaiveDate,
        referred_on: NaiveDate,
    ) -> StoredCase {
        let signposting = Stage2Signposting { given_on: on, channel: Channel::Email, time_limit_given: true };
        let close =
            Command::CloseStage1 { responded_on: on, outcome: Outcome::NotUpheld, signposting: Some(signposting) };
        let closed = self.apply(store, stored, close, on).await;
        let escalate = Command::Escalate { requested_on: on, channel: Channel::Email, received_at: None };
        let escalated = self.apply(store, closed, escalate, on).await;
        let points =
            vec![PointOfComplaint { summary: "Missed collection".to_owned(), outcome_sought: "Collect it".to_owned() }];
        let acknowledge = Command::AcknowledgeStage2 { acknowledged_on: on, points, agreed_on: on };
        let acknowledged = self.apply(store, escalated, acknowledge, on).await;
        let signposting =
            SpsoSignposting { given_on: on, channel: Channel::Email, template_version: "contract".to_owned() };
        let close = Command::CloseStage2 {
            responded_on: on,
            point_outcomes: vec![Outcome::NotUpheld],
            outcome_override: None,
            signposting: Some(signposting),
        };
        let final_response = self.apply(store, acknowledged, close, on).await;
        self.apply(store, final_response, Command::ReferToSpso { referred_on }, referred_on).await
    }

    fn own(&self, cases: &[StoredCase]) -> Vec<CaseRef> {
        cases.iter().map(|s| s.case.reference().clone()).filter(|r| r.prefix() == self.prefix).collect()
    }
}

async fn named(store: &dyn IndexedStore, text: &str, limit: usize) -> (Vec<CaseRef>, bool) {
    let found = ok(store.cases_named(&search_tokens(text), limit).await, "cases_named");
    (found.cases.iter().map(|s| s.case.reference().clone()).collect(), found.cut_short)
}

/// Every token must match, in any letter case; the person affected (R52) is found as well as the
/// complainant; the newest received case comes first; an update leaves the entries in place.
pub async fn a_case_is_found_by_every_token_of_its_parties_names_newest_first(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let surname = fresh_token();
    let ann = create(store.as_ref(), fx.new_case(&format!("Ann {surname}"), None, at(3, 2))).await;
    let bob = create(store.as_ref(), fx.new_case(&format!("Bob {surname}"), None, at(3, 5))).await;
    let for_ann = create(store.as_ref(), fx.new_case("Cat Somebody", Some(&format!("Ann {surname}")), at(3, 4))).await;
    let [ann, bob, for_ann] = [&ann, &bob, &for_ann].map(|s| s.case.reference().clone());

    assert_eq!(named(store.as_ref(), &surname, 10).await, (vec![bob.clone(), for_ann.clone(), ann.clone()], false));
    assert_eq!(
        named(store.as_ref(), &format!("ANN {}", surname.to_uppercase()), 10).await.0,
        [for_ann.clone(), ann.clone()],
        "both tokens, any letter case, complainant or person affected"
    );
    assert_eq!(named(store.as_ref(), &format!("{surname}, Bob"), 10).await.0, std::slice::from_ref(&bob));
    assert!(named(store.as_ref(), &format!("Dee {surname}"), 10).await.0.is_empty(), "a token nobody has");

    let stored = ok(store.get(&ann).await, "get");
    let signposting = Stage2Signposting { given_on: date(3, 6), channel: Channel::Email, time_limit_given: true };
    let close =
        Command::CloseStage1 { responded_on: date(3, 6), outcome: Outcome::Upheld, signposting: Some(signposting) };
    fx.apply(store.as_ref(), stored, close, date(3, 6)).await;
    assert_eq!(named(store.as_ref(), &format!("Ann {surname}"), 10).await.0, [for_ann, ann], "found after an update");
}

/// A case that has only some of the tokens is not returned, and a limit below the matches says
/// the search was cut.
pub async fn a_name_search_reads_no_case_that_lacks_a_token_and_says_when_it_was_cut(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let (first, family) = (fresh_token(), fresh_token());
    for day in [2, 3, 4] {
        create(store.as_ref(), fx.new_case(&format!("{first} {family}"), None, at(3, day))).await;
    }
    create(store.as_ref(), fx.new_case(&format!("Zed {family}"), None, at(3, 5))).await;
    let (found, cut) = named(store.as_ref(), &format!("{first} {family}"), 2).await;
    assert_eq!(found.len(), 2, "at most the limit");
    assert!(cut, "three match and two were returned");
    let (all, cut) = named(store.as_ref(), &format!("{first} {family}"), 10).await;
    assert_eq!(all.len(), 3, "the case with only the family name is left out");
    assert!(!cut);
    assert_eq!(all.iter().map(|r| r.number()).collect::<Vec<_>>(), [3, 2, 1], "newest received first");
    assert!(named(store.as_ref(), "", 10).await.0.is_empty(), "no token finds nothing");
}

/// Accents and letter case are folded on both sides ("Siobhan" finds Siobhán, "SEÁN" finds
/// Sean); a word of three letters or more finds the start of a name word, also past the longest
/// indexed prefix (the stem here is twelve letters, the longest key eight), and never its middle;
/// a word of two letters finds that whole word only.
pub async fn a_name_search_folds_accents_and_finds_the_start_of_words(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let stem: String = fresh_token().chars().take(12).collect();
    let siobhan = create(store.as_ref(), fx.new_case(&format!("Siobhán Ní {stem}ach"), None, at(3, 2))).await;
    let sean = create(store.as_ref(), fx.new_case(&format!("Sean {stem}ing"), None, at(3, 3))).await;
    let nicola =
        create(store.as_ref(), fx.new_case("Cat Somebody", Some(&format!("Nicola {stem}ach")), at(3, 4))).await;
    let [siobhan, sean, nicola] = [&siobhan, &sean, &nicola].map(|s| s.case.reference().clone());
    let upper = stem.to_uppercase();

    assert_eq!(named(store.as_ref(), &format!("siobhan {stem}ach"), 10).await.0, std::slice::from_ref(&siobhan));
    assert_eq!(named(store.as_ref(), &format!("SIOBHÁN {upper}ACH"), 10).await.0, std::slice::from_ref(&siobhan));
    assert_eq!(named(store.as_ref(), &format!("Seán {stem}"), 10).await.0, std::slice::from_ref(&sean));
    assert_eq!(named(store.as_ref(), &format!("Siob {stem}"), 10).await.0, std::slice::from_ref(&siobhan));
    assert_eq!(named(store.as_ref(), &stem, 10).await.0, [nicola.clone(), sean.clone(), siobhan.clone()]);
    assert_eq!(
        named(store.as_ref(), &format!("{stem}ach"), 10).await.0,
        [nicola.clone(), siobhan.clone()],
        "past the longest key the whole word searched for is checked"
    );
    assert_eq!(
        named(store.as_ref(), &format!("ni {stem}"), 10).await.0,
        std::slice::from_ref(&siobhan),
        "two letters: the whole word (Ní), not the start of Nicola"
    );
    assert!(named(store.as_ref(), &format!("obhan {stem}"), 10).await.0.is_empty(), "not the middle of a word");
    let (first, cut) = named(store.as_ref(), &format!("{stem}a"), 1).await;
    assert_eq!((first, cut), (vec![nicola], true), "a prefix match is cut at the limit like any other");
}

/// A referral is found by its date (both ends of the period included), in date order; recording
/// the SPSO's outcome keeps it there; a case never referred is not listed.
pub async fn referrals_are_found_by_their_date_and_unreferred_cases_are_not(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let mut made = Vec::new();
    for day in [2, 3, 4] {
        made.push(create(store.as_ref(), fx.new_case("Referral Contract", None, at(3, day))).await);
    }
    let mut made = made.into_iter();
    let (Some(one), Some(two), Some(three)) = (made.next(), made.next(), made.next()) else {
        panic!("three cases were made")
    };
    let late = fx.refer(store.as_ref(), one, date(3, 9), date(4, 20)).await;
    let early = fx.refer(store.as_ref(), two, date(3, 9), date(4, 14)).await;
    let signposting = Stage2Signposting { given_on: date(3, 9), channel: Channel::Email, time_limit_given: true };
    let close =
        Command::CloseStage1 { responded_on: date(3, 9), outcome: Outcome::Upheld, signposting: Some(signposting) };
    let not_referred = fx.apply(store.as_ref(), three, close, date(3, 9)).await;

    let listed = ok(store.referred_between(date(4, 14), date(4, 20)).await, "referred_between");
    assert_eq!(fx.own(&listed), [early.case.reference().clone(), late.case.reference().clone()]);
    assert!(!fx.own(&listed).contains(not_referred.case.reference()));
    let first_only = ok(store.referred_between(date(4, 1), date(4, 19)).await, "referred_between");
    assert_eq!(fx.own(&first_only), [early.case.reference().clone()]);

    let decided = Command::RecordSpsoOutcome { decided_on: date(5, 1), outcome: SpsoOutcome::NotUpheld };
    let decided = fx.apply(store.as_ref(), early, decided, date(5, 1)).await;
    let listed = ok(store.referred_between(date(4, 14), date(4, 14)).await, "referred_between");
    let found: Vec<&StoredCase> = listed.iter().filter(|s| s.case.reference().prefix() == fx.prefix).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0], &decided, "the case as it is now, outcome included");
}

fn flag_event(when: DateTime<Utc>, reason: StaffFlag) -> TimelineEvent {
    TimelineEvent { at: when, actor: Actor::System, what: CaseEvent::FlaggedForStaff { reason } }
}

fn message(reference: &CaseRef, when: DateTime<Utc>) -> NewMessage {
    let address = ok(EmailAddress::parse("index-contract@example.org"), "valid address");
    let message_id = format!("{}@contract.example.org", uuid::Uuid::new_v4().simple());
    let raw = format!("Message-ID: <{message_id}>\r\nSubject: contract\r\n\r\nBody\r\n").into_bytes();
    NewMessage {
        message: QueuedMessage {
            message_id,
            case_ref: Some(reference.clone()),
            purpose: MessagePurpose::Acknowledgement,
            from: address.clone(),
            to: vec![address],
            date: when,
            raw,
        },
        recipient_key: None,
    }
}

async fn assert_open_flag(store: &dyn IndexedStore, reference: &CaseRef, when: DateTime<Utc>, flag: StaffFlag) {
    let id = case_flag_id(reference, when, flag);
    let item = ok(store.flag(&id).await, "flag").unwrap_or_else(|| panic!("{flag:?} is in the register"));
    assert_eq!(item.kind, FlagKind::Case(flag));
    assert_eq!(item.reference.as_ref(), Some(reference));
    assert_eq!(item.raised_at, when);
    assert!(item.dealt_with.is_none());
}

/// A flag among the events of a create, an update or a finished delivery is in the register as
/// soon as that write returns (it is written in the same transaction, not after it).
pub async fn flags_written_with_a_case_are_in_the_register_with_the_write(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let mut new = fx.new_case("Flag Contract", None, at(3, 2));
    new.events.push(flag_event(at(3, 2), StaffFlag::PossibleSpam));
    let stored = create(store.as_ref(), new).await;
    let reference = stored.case.reference().clone();
    assert_open_flag(store.as_ref(), &reference, at(3, 2), StaffFlag::PossibleSpam).await;

    let sent = message(&reference, at(3, 3));
    let message_id = sent.message.message_id.clone();
    let events = vec![flag_event(at(3, 3), StaffFlag::OverMailCap)];
    ok(store.update_with_messages(&stored.case, 1, events, vec![sent]).await, "update");
    assert_open_flag(store.as_ref(), &reference, at(3, 3), StaffFlag::OverMailCap).await;

    let result = DeliveryResult::Failed { at: at(3, 4), reason: "mailbox does not exist".to_owned() };
    let event = flag_event(at(3, 4), StaffFlag::UndeliverableMail);
    ok(store.finish_message(&message_id, result, Some(event)).await, "finish_message");
    assert_open_flag(store.as_ref(), &reference, at(3, 4), StaffFlag::UndeliverableMail).await;
    let timeline = ok(store.timeline(&reference).await, "timeline");
    let flagged = timeline.iter().filter(|e| matches!(e.what, CaseEvent::FlaggedForStaff { .. })).count();
    assert_eq!(flagged, 3, "each flag is on the timeline too");
}

/// A write refused for a stale version puts neither its events nor its flags anywhere.
pub async fn a_refused_write_puts_no_flag_in_the_register(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case("Flag Contract", None, at(3, 2))).await;
    let reference = stored.case.reference().clone();
    ok(store.update(&stored.case, 1, Vec::new()).await, "update");
    let stale = store.update(&stored.case, 1, vec![flag_event(at(3, 5), StaffFlag::MailOnClosedCase)]).await;
    assert!(matches!(stale, Err(StoreError::VersionConflict { .. })), "a stale version conflicts: {stale:?}");
    let id = case_flag_id(&reference, at(3, 5), StaffFlag::MailOnClosedCase);
    assert_eq!(ok(store.flag(&id).await, "flag"), None, "the refused write raised nothing");
}

/// A flag already in the register (here dealt with) is left as it is when a later update or a
/// finished delivery carries the same flag again (same case, time and kind, so the same id): the
/// write succeeds and the flag is not reopened, on every store.
pub async fn a_flag_written_again_with_a_case_stays_as_it_was(store: Arc<dyn IndexedStore>) {
    let fx = Fixture::new();
    let stored = create(store.as_ref(), fx.new_case("Flag Contract", None, at(3, 2))).await;
    let reference = stored.case.reference().clone();
    let flag = StaffFlag::MailOnClosedCase;
    let sent = message(&reference, at(3, 3));
    let message_id = sent.message.message_id.clone();
    let version = ok(
        store.update_with_messages(&stored.case, 1, vec![flag_event(at(3, 3), flag)], vec![sent]).await,
        "first update",
    );
    let id = case_flag_id(&reference, at(3, 3), flag);
    let dealt = DealtWith { by: "handler-1".to_owned(), at: at(3, 4), note: "looked at".to_owned() };
    let dealt_item = ok(store.deal_with_flag(&id, dealt).await, "deal with it");

    let again = ok(store.update(&stored.case, version, vec![flag_event(at(3, 3), flag)]).await, "update again");
    assert_eq!(again, version + 1, "the case write is not refused");
    assert_eq!(ok(store.flag(&id).await, "flag"), Some(dealt_item.clone()), "an update does not reopen it");

    let result = DeliveryResult::Failed { at: at(3, 5), reason: "mailbox does not exist".to_owned() };
    ok(store.finish_message(&message_id, result, Some(flag_event(at(3, 3), flag))).await, "finish_message");
    assert_eq!(ok(store.flag(&id).await, "flag"), Some(dealt_item), "nor does a finished delivery");
    let timeline = ok(store.timeline(&reference).await, "timeline");
    let flagged = timeline.iter().filter(|e| matches!(e.what, CaseEvent::FlaggedForStaff { .. })).count();
    assert_eq!(flagged, 3, "every write's entry is on the timeline");
}
