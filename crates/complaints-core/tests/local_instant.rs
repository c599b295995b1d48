//! `instant_of_local`: a local (Europe/London) date and time staff give, as the instant it names,
//! the inverse of `local_date_time` (R8), across both clock changes.

use chrono::{DateTime, NaiveDateTime, Utc};
use complaints_core::workdays::{instant_of_local, local_date_time};

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("local time")
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

#[test]
fn a_summer_time_is_an_hour_ahead_of_utc_and_a_winter_time_is_utc() {
    assert_eq!(instant_of_local(local("2026-07-01 09:30")), Some(instant("2026-07-01T08:30:00Z")));
    assert_eq!(instant_of_local(local("2026-12-01 09:30")), Some(instant("2026-12-01T09:30:00Z")));
    for at in ["2026-07-01T08:30:00Z", "2026-12-01T23:59:00Z", "2026-03-29T01:00:00Z"] {
        let at = instant(at);
        assert_eq!(instant_of_local(local_date_time(at)), Some(at), "round trip of {at}");
    }
}

#[test]
fn the_skipped_hour_names_no_instant_and_the_repeated_hour_its_first() {
    // The clocks went forward at 01:00 GMT on 29 March 2026 and back at 02:00 BST on 25 October.
    assert_eq!(instant_of_local(local("2026-03-29 01:30")), None);
    assert_eq!(instant_of_local(local("2026-10-25 01:30")), Some(instant("2026-10-25T00:30:00Z")));
}
