//! The DynamoDB case store against a moto server (`scripts/test-aws` starts one and sets
//! `MOTO_URL`): the shared `CaseStore` contract suite, what duplicates and scans cost, and how
//! backend failures surface. Every test makes its own table, so they run in parallel.

mod support;
use support::{failed_contracts, fresh_table, moto_client, moto_store};

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use complaints_app::contract::CONTRACTS;
use complaints_app::ports::{CaseStore, NewCase, StoreError, StoredCase};
use complaints_app::testing::sample_complaint;
use complaints_core::calendar::Calendar;
use complaints_core::case::{Case, Rules};
use complaints_core::command::Command;
use complaints_core::complaint::Channel;
use complaints_core::outcome::Outcome;
use complaints_core::policy::Policy;
use complaints_core::reference::CaseRef;
use complaints_core::signposting::Stage2Signposting;
use complaints_core::timeline::Actor;
use complaints_store_dynamodb::DynamoDbCaseStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_case_store_contract_passes_each_on_its_own_table() {
    let Some(client) = moto_client() else { return };
    let mut running = Vec::new();
    for (name, contract) in CONTRACTS {
        let client = client.clone();
        running.push((
            *name,
            tokio::spawn(async move {
                let table = fresh_table(&client, "cases").await;
                contract(Arc::new(DynamoDbCaseStore::new(client, table))).await;
            }),
        ));
    }
    let failed = failed_contracts(running).await;
    assert!(failed.is_empty(), "contracts failed on DynamoDB (their panics are printed above): {failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_store_contract_passes_when_all_share_one_table() {
    let Some(store) = moto_store("cases").await else { return };
    complaints_app::contract::run_all(|| {
        let store = store.clone();
        async move { store }
    })
    .await;
}

/// What the cost tests build cases with.
struct Cases {
    calendar: Calendar,
    policy: Policy,
}

impl Cases {
    fn new() -> Self {
        Self { calendar: Calendar::scotland(), policy: Policy::default() }
    }

    fn rules(&self) -> Rules<'_> {
        Rules { calendar: &self.calendar, policy: &self.policy }
    }

    fn new_case(&self, received: DateTime<Utc>, source_key: Option<&str>) -> NewCase {
        let reference = CaseRef::new("CMP", 2026, 0).expect("reference");
        let complaint = sample_complaint(Channel::Email, Some("cost.test@example.org"));
        let (case, events) =
            Case::open(reference, complaint, received, "Complaints Team".to_owned(), None, self.rules(), Actor::System);
        NewCase { case, events, source_key: source_key.map(str::to_owned), mail: None }
    }

    async fn create_closed(
        &self,
        store: &DynamoDbCaseStore,
        received: DateTime<Utc>,
        closed_on: NaiveDate,
    ) -> StoredCase {
        let stored = store.create(self.new_case(received, None)).await.expect("create");
        let signposting = Stage2Signposting { given_on: closed_on, channel: Channel::Email, time_limit_given: true };
        let command =
            Command::CloseStage1 { responded_on: closed_on, outcome: Outcome::Upheld, signposting: Some(signposting) };
        let when = closed_on.and_hms_opt(15, 0, 0).expect("time").and_utc();
        let (case, events) =
            stored.case.apply(command, when, Actor::Staff("cost-test".to_owned()), self.rules()).expect("close");
        let version = store.update(&case, stored.version, events).await.expect("store the closure");
        StoredCase { case, version }
    }
}

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 10, 0, 0).single().expect("instant")
}

#[tokio::test]
async fn a_duplicate_intake_costs_one_failed_conditional_write_and_creates_nothing() {
    let Some(store) = moto_store("cases").await else { return };
    let cases = Cases::new();
    let first = store.create(cases.new_case(at(3, 2), Some("email:<dup@example.org>"))).await.expect("first delivery");

    let before = store.cost();
    let repeat = store.create(cases.new_case(at(3, 3), Some("email:<dup@example.org>"))).await;
    let spent = store.cost();
    match repeat {
        Err(StoreError::AlreadyExists { existing }) => assert_eq!(existing.as_ref(), Some(first.case.reference())),
        other => panic!("a repeated delivery must be AlreadyExists, got {other:?}"),
    }
    assert_eq!(spent.failed_conditional_writes - before.failed_conditional_writes, 1, "one failed conditional write");
    assert_eq!(spent.writes - before.writes, 0, "nothing written");
    // The counter read, the refused transaction and, only if the backend did not return the
    // existing record with the failure, one read of it.
    let requests = spent.requests - before.requests;
    assert!((2..=3).contains(&requests), "a duplicate took {requests} requests");

    let next = store.create(cases.new_case(at(3, 4), None)).await.expect("next case");
    assert_eq!(next.case.reference().number(), 2, "the duplicate did not use up a number");
    assert_eq!(store.received_between(at(3, 3).date_naive(), at(3, 3).date_naive()).await.expect("period").len(), 0);
}

#[tokio::test]
async fn the_open_cases_query_costs_the_same_however_many_cases_are_closed() {
    let Some(store) = moto_store("cases").await else { return };
    let cases = Cases::new();
    const OPEN: usize = 3;
    const CLOSED: usize = 12;
    for day in 2..2 + OPEN as u32 {
        store.create(cases.new_case(at(3, day), None)).await.expect("open case");
    }
    let horizon = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");

    let measure = |store: DynamoDbCaseStore| async move {
        let before = store.cost();
        let due = store.open_due_by(horizon).await.expect("open_due_by");
        let after = store.cost();
        (due.len(), after.items_evaluated - before.items_evaluated, after.capacity_units - before.capacity_units)
    };
    let (due_before, evaluated_before, capacity_before) = measure(store.clone()).await;

    for day in 0..CLOSED as u32 {
        cases.create_closed(&store, at(4, 1 + day), NaiveDate::from_ymd_opt(2026, 4, 21).expect("date")).await;
    }
    let (due_after, evaluated_after, capacity_after) = measure(store.clone()).await;

    assert_eq!((due_before, due_after), (OPEN, OPEN), "only the open cases are due");
    assert_eq!(evaluated_before, OPEN as u64, "the query read the open cases and nothing else");
    assert_eq!(evaluated_after, evaluated_before, "{CLOSED} closed cases added nothing to what the query read");
    assert!(capacity_after <= capacity_before, "capacity grew from {capacity_before} to {capacity_after}");

    // The closed cases are all there, found through their own month's partition.
    let closed_on = NaiveDate::from_ymd_opt(2026, 4, 21).expect("date");
    assert_eq!(store.closed_between(closed_on, closed_on).await.expect("closed_between").len(), CLOSED);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_with_the_sdk_error_as_source() {
    // Nothing listens on port 9 (discard) locally; no retries so the test is quick.
    let config = aws_sdk_dynamodb::config::Builder::from(&complaints_testkit::sdk_config_at("http://127.0.0.1:9"))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    let store = DynamoDbCaseStore::new(Client::from_conf(config), "cases");
    let reference = CaseRef::new("CMP", 2026, 1).expect("reference");
    match store.get(&reference).await {
        Err(StoreError::Unavailable(source)) => {
            assert!(source.downcast_ref::<aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::get_item::GetItemError>>().is_some(), "source is the SDK error: {source:?}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// Collects the numeric fields recorded on spans, by span name.
mod spans {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing_subscriber::layer::{Context, Layer};

    pub type Recorded = Arc<Mutex<HashMap<String, HashMap<&'static str, f64>>>>;

    #[derive(Debug, Default)]
    pub struct Numbers {
        pub recorded: Recorded,
        names: Mutex<HashMap<Id, String>>,
    }

    struct Visitor<'a>(&'a mut HashMap<&'static str, f64>);

    impl Visit for Visitor<'_> {
        fn record_f64(&mut self, field: &Field, value: f64) {
            self.0.insert(field.name(), value);
        }
        #[allow(clippy::cast_precision_loss)]
        fn record_u64(&mut self, field: &Field, value: u64) {
            self.0.insert(field.name(), value as f64);
        }
        fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
    }

    impl<S: tracing::Subscriber> Layer<S> for Numbers {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
            self.names.lock().expect("names").insert(id.clone(), attrs.metadata().name().to_owned());
        }
        fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
            let Some(name) = self.names.lock().expect("names").get(id).cloned() else { return };
            let mut recorded = self.recorded.lock().expect("recorded");
            values.record(&mut Visitor(recorded.entry(name).or_default()));
        }
    }
}

#[tokio::test]
async fn each_operation_records_its_consumed_capacity_in_its_span() {
    use tracing_subscriber::layer::SubscriberExt;
    let Some(store) = moto_store("cases").await else { return };
    let layer = spans::Numbers::default();
    let recorded = std::sync::Arc::clone(&layer.recorded);
    // The default current-thread runtime keeps every poll on this thread, under this subscriber.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let cases = Cases::new();
    let created = store.create(cases.new_case(at(3, 2), None)).await.expect("create");
    store.get(created.case.reference()).await.expect("get");
    store.open_due_by(created.case.stage1_due()).await.expect("open_due_by");

    let recorded = recorded.lock().expect("recorded").clone();
    for (span, requests) in [("dynamodb.create", 2.0), ("dynamodb.get", 1.0), ("dynamodb.open_due_by", 1.0)] {
        let fields = recorded.get(span).unwrap_or_else(|| panic!("{span} recorded nothing: {recorded:?}"));
        assert_eq!(fields.get("requests"), Some(&requests), "{span}: {fields:?}");
        assert!(fields.contains_key("capacity_units"), "{span} records its capacity: {fields:?}");
    }
    for span in ["dynamodb.get", "dynamodb.open_due_by"] {
        let capacity = recorded[span].get("capacity_units").copied().unwrap_or_default();
        assert!(capacity > 0.0, "{span}: DynamoDB reported the capacity and we kept it ({capacity})");
    }
    assert_eq!(recorded["dynamodb.open_due_by"].get("items_evaluated"), Some(&1.0), "one open case was due");
}

#[tokio::test]
async fn the_pending_mail_query_reads_only_pending_messages_however_many_were_sent() {
    use complaints_app::outbound::{DeliveryResult, NewMessage};
    use complaints_core::case::MessagePurpose;
    use complaints_mail::QueuedMessage;

    let Some(store) = moto_store("cases").await else { return };
    let cases = Cases::new();
    let stored = store.create(cases.new_case(at(3, 2), None)).await.expect("case");
    let address = complaints_core::complaint::EmailAddress::parse("pending@example.org").expect("address");
    let message = |n: usize| NewMessage {
        message: QueuedMessage {
            message_id: format!("m{n}.{}@example.org", uuid::Uuid::new_v4().simple()),
            case_ref: Some(stored.case.reference().clone()),
            purpose: MessagePurpose::Acknowledgement,
            from: address.clone(),
            to: vec![address.clone()],
            date: at(3, 2),
            raw: b"Subject: pending\r\n\r\nBody\r\n".to_vec(),
        },
        recipient_key: None,
    };
    const PENDING: usize = 3;
    const SENT: usize = 12;
    let mut version = stored.version;
    let mut ids = Vec::new();
    for n in 0..PENDING + SENT {
        let new = message(n);
        ids.push(new.message.message_id.clone());
        version = store.update_with_messages(&stored.case, version, Vec::new(), vec![new]).await.expect("queue");
    }
    let horizon = at(12, 31);
    let measure = |store: DynamoDbCaseStore| async move {
        let before = store.cost();
        let pending = store.pending_messages(horizon, 100).await.expect("pending");
        (pending.len(), store.cost().items_evaluated - before.items_evaluated)
    };
    let (all_pending, evaluated_all) = measure(store.clone()).await;
    assert_eq!((all_pending, evaluated_all), ((PENDING + SENT), (PENDING + SENT) as u64));

    for id in &ids[PENDING..] {
        store
            .claim_message(id, horizon, horizon + chrono::Duration::minutes(1))
            .await
            .expect("claim")
            .expect("claimed");
        store.finish_message(id, DeliveryResult::Sent { at: horizon }, None).await.expect("sent");
    }
    let (still_pending, evaluated) = measure(store.clone()).await;
    assert_eq!(still_pending, PENDING, "sent messages leave the pending list");
    assert_eq!(evaluated, PENDING as u64, "the sweep read the {PENDING} pending messages and none of the {SENT} sent");
}
