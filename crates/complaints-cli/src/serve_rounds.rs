//! `complaints serve`'s periodic round, as the mail-delivery sweep runs it on AWS
//! (functions/mail-delivery): deliver the pending mail, then, with channel health on, look for
//! normally busy social channels that have gone quiet (issue 15 §5, `SOCIAL_QUIET_HOURS`). A
//! quiet-channel notice is written to the store and goes out with the next round's delivery, by
//! the same path as every other message.

use complaints_app::outbound::Delivery;
use complaints_app::ports::Clock;
use complaints_app::social_health::{ChannelHealth, QUIET_HOURS_VAR, QuietHours};

/// The channels to watch for quiet spells, from [`QUIET_HOURS_VAR`] as `lookup` gives it
/// (`messenger=6,whatsapp=12`; unset: none), read as the deployed sweep reads it.
///
/// # Errors
/// The value is not understood (the message names the variable and the pair).
pub(crate) fn quiet_hours(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<QuietHours> {
    Ok(QuietHours::parse(&lookup(QUIET_HOURS_VAR).unwrap_or_default())?)
}

/// One round: delivers pending mail (a failure is logged with its cause chain; the next round
/// tries again), then checks the watched channels at the clock's time.
pub(crate) async fn round(delivery: &Delivery, health: Option<&ChannelHealth>, clock: &dyn Clock) {
    if let Err(error) = delivery.sweep().await {
        tracing::error!(error = %complaints_app::error_chain(&error), "could not read the pending mail");
    }
    if let Some(health) = health {
        health.check_quiet(clock.now()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, TimeZone, Utc};
    use complaints_app::channel_health_store::ChannelHealthStore as _;
    use complaints_app::social_health::HealthSettings;
    use complaints_app::testing::{ManualClock, RecordingMailer};
    use complaints_core::case::MessagePurpose;
    use complaints_core::complaint::EmailAddress;
    use complaints_store_sqlite::SqliteCaseStore;

    use super::*;

    #[test]
    fn the_watched_channels_come_from_the_same_variable_as_the_sweeps() {
        let watched =
            quiet_hours(|name| (name == QUIET_HOURS_VAR).then(|| "messenger=6,x=0".to_owned())).expect("hours");
        assert_eq!(watched, QuietHours::parse("messenger=6").expect("hours"));
        assert_eq!(quiet_hours(|_| None).expect("unset"), QuietHours::default());
        let refused = quiet_hours(|_| Some("telegram=6".to_owned())).expect_err("an unknown channel");
        assert!(refused.to_string().contains(QUIET_HOURS_VAR), "{refused}");
    }

    #[tokio::test]
    async fn a_round_tells_staff_once_when_a_watched_channel_has_gone_quiet_and_the_next_round_sends_it() {
        let heard = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("instant");
        let store = Arc::new(SqliteCaseStore::in_memory().expect("store"));
        let mailer = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(heard));
        let settings = HealthSettings {
            organisation: "Example Council".to_owned(),
            from: EmailAddress::parse("complaints@council.example.org").expect("address"),
            recipients: vec![EmailAddress::parse("team@council.example.org").expect("address")],
        };
        let health = ChannelHealth::new(store.clone(), settings)
            .with_quiet_hours(quiet_hours(|_| Some("messenger=6".to_owned())).expect("hours"));
        let delivery = Delivery::new(store.clone(), mailer.clone(), clock.clone());
        let told = || mailer.sent().iter().filter(|m| m.purpose == MessagePurpose::StaffNotice).count();
        store.record_channel_event("messenger", heard).await.expect("event");

        clock.advance(Duration::hours(5));
        round(&delivery, Some(&health), clock.as_ref()).await;
        round(&delivery, Some(&health), clock.as_ref()).await;
        assert_eq!(told(), 0, "five hours is not quiet yet");

        clock.advance(Duration::hours(2));
        round(&delivery, Some(&health), clock.as_ref()).await;
        round(&delivery, Some(&health), clock.as_ref()).await;
        round(&delivery, Some(&health), clock.as_ref()).await;
        assert_eq!(told(), 1, "written by one round, sent by the next, and once per quiet spell");
        let text = mailer.sent_texts().concat();
        assert!(
            text.contains("Nothing has reached us on Messenger since Monday 2 March 2026, 09:00 (UK time)"),
            "{text}"
        );

        // Without channel health (no [alerts] recipients) a round only delivers.
        store.record_channel_event("messenger", clock.now()).await.expect("event");
        clock.advance(Duration::hours(7));
        round(&delivery, None, clock.as_ref()).await;
        round(&delivery, None, clock.as_ref()).await;
        assert_eq!(told(), 1);
    }
}
