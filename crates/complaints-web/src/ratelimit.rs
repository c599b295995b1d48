//! The per-client submission limit: at most N complaints from one source address in a sliding
//! window, counted in memory by each process.
//!
//! In memory on purpose: it needs no table and no network call on the path of every complaint.
//! The price is that each process counts on its own (each Lambda execution environment, each
//! `complaints serve`), so on AWS the effective limit is N per warm environment; the per-recipient
//! mail cap, stored with the cases, is the limit that holds across all of them.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Past this many tracked clients, clients with nothing left in the window are forgotten, so the
/// map cannot grow without bound under a spray of addresses.
const PRUNE_ABOVE_CLIENTS: usize = 4096;

/// Who is submitting: a source address, or an IPv6 /64 (one home or phone usually holds a whole
/// /64, so counting single IPv6 addresses would let one client take 2^64 turns).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    #[must_use]
    pub fn from_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let s = v6.segments();
                    Self(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A slot taken by [`RateLimiter::try_take`]; give it back when no complaint was taken in after all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    client: ClientId,
    at: DateTime<Utc>,
}

/// Counts submissions per client in a sliding window.
#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window: Duration,
    clients: Mutex<HashMap<ClientId, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    /// At most `max` submissions per client in `window_minutes`; `max` 0 means no limit.
    #[must_use]
    pub fn new(max: u32, window_minutes: u32) -> Self {
        Self {
            max: usize::try_from(max).unwrap_or(usize::MAX),
            window: Duration::minutes(i64::from(window_minutes)),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The most submissions one client may make in a window (0: no limit).
    #[must_use]
    pub fn max(&self) -> usize {
        self.max
    }

    /// The window's length in minutes.
    #[must_use]
    pub fn window_minutes(&self) -> i64 {
        self.window.num_minutes()
    }

    /// Takes a slot for `client` at `now`.
    ///
    /// # Errors
    /// How long until a slot frees (at least one second) when the client has used them all.
    pub fn try_take(&self, client: &ClientId, now: DateTime<Utc>) -> Result<Option<Slot>, Duration> {
        if self.max == 0 {
            return Ok(None);
        }
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if clients.len() > PRUNE_ABOVE_CLIENTS {
            let window = self.window;
            clients.retain(|_, times| times.back().is_some_and(|last| now - *last < window));
        }
        let times = clients.entry(client.clone()).or_default();
        while times.front().is_some_and(|first| now - *first >= self.window) {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((oldest + self.window - now).max(Duration::seconds(1)));
        }
        times.push_back(now);
        Ok(Some(Slot { client: client.clone(), at: now }))
    }

    /// Gives a slot back: the submission was a repeat of an earlier one, or nothing was stored.
    pub fn give_back(&self, slot: &Slot) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(times) = clients.get_mut(&slot.client)
            && let Some(index) = times.iter().rposition(|t| *t == slot.at)
        {
            times.remove(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, minute, 0).single().expect("valid time")
    }

    fn client(ip: &str) -> ClientId {
        ClientId::from_ip(ip.parse().expect("ip"))
    }

    #[test]
    fn a_client_gets_max_submissions_per_window_then_waits_for_the_oldest_to_expire() {
        let limiter = RateLimiter::new(3, 10);
        let jo = client("192.0.2.1");
        for minute in [0, 1, 2] {
            assert!(limiter.try_take(&jo, at(minute)).is_ok(), "minute {minute}");
        }
        assert_eq!(limiter.try_take(&jo, at(5)), Err(Duration::minutes(5)));
        assert!(limiter.try_take(&client("192.0.2.2"), at(5)).is_ok(), "another client is not affected");
        assert!(limiter.try_take(&jo, at(10)).is_ok(), "the first slot expired after 10 minutes");
        assert!(limiter.try_take(&jo, at(10)).is_err());
    }

    #[test]
    fn a_slot_given_back_can_be_used_again() {
        let limiter = RateLimiter::new(1, 10);
        let jo = client("192.0.2.1");
        let slot = limiter.try_take(&jo, at(0)).expect("free").expect("limited");
        assert!(limiter.try_take(&jo, at(1)).is_err());
        limiter.give_back(&slot);
        assert!(limiter.try_take(&jo, at(1)).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0, 10);
        let jo = client("192.0.2.1");
        for _ in 0..100 {
            assert_eq!(limiter.try_take(&jo, at(0)), Ok(None));
        }
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(client("2001:db8:1:2:aaaa::1"), client("2001:db8:1:2:bbbb::2"));
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_eq!(client("::ffff:192.0.2.1"), client("192.0.2.1"));
        assert_eq!(client("2001:db8:1:2::1").as_str(), "2001:db8:1:2::/64");
    }
}
