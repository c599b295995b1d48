//! The [`ChannelHealthStore`] contract (feature `contract-tests`): memory, SQLite and DynamoDB
//! each run it, so "the last event, and the run of failures" means the same on every store.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::channel_health_store::{ChannelHealthStore, ChannelState};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().unwrap_or_default() + Duration::minutes(minute)
}

/// Runs every check of the contract on `store` (which must hold no channel health yet).
///
/// # Panics
/// When the store breaks the contract.
pub async fn channel_health_contract(store: Arc<dyn ChannelHealthStore>) {
    assert_eq!(store.channel_state("whatsapp").await.expect("read"), ChannelState::default(), "never seen");

    store.record_channel_event("whatsapp", at(10)).await.expect("event");
    store.record_channel_event("whatsapp", at(5)).await.expect("an older event");
    let state = store.channel_state("whatsapp").await.expect("read");
    assert_eq!(state.last_event_at, Some(at(10)), "an older event does not move the time back");
    store.record_channel_event("whatsapp", at(20)).await.expect("a newer event");
    assert_eq!(store.channel_state("whatsapp").await.expect("read").last_event_at, Some(at(20)));

    assert_eq!(store.add_channel_failure("x").await.expect("count"), 1);
    assert_eq!(store.add_channel_failure("x").await.expect("count"), 2);
    let (a, b) = tokio::join!(store.add_channel_failure("x"), store.add_channel_failure("x"));
    let mut runs = [a.expect("count"), b.expect("count")];
    runs.sort_unstable();
    assert_eq!(runs, [3, 4], "failures counted at once are each counted");
    assert_eq!(store.channel_state("x").await.expect("read"), ChannelState { last_event_at: None, failures: 4 });
    assert_eq!(store.channel_state("whatsapp").await.expect("read").failures, 0, "each channel its own run");

    store.record_channel_event("x", at(30)).await.expect("event");
    assert_eq!(store.channel_state("x").await.expect("read").failures, 4, "an event is not a successful send");
    store.clear_channel_failures("x").await.expect("clear");
    assert_eq!(
        store.channel_state("x").await.expect("read"),
        ChannelState { last_event_at: Some(at(30)), failures: 0 }
    );
    assert_eq!(store.add_channel_failure("x").await.expect("count"), 1, "a new run starts at one");
    store.clear_channel_failures("messenger").await.expect("clearing a channel never seen");
    assert_eq!(store.channel_state("messenger").await.expect("read"), ChannelState::default());
}
