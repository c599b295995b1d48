//! The case list's name search as staff type it, through the router on the memory store: accents
//! are folded ("siobhan" finds Siobhán, "Seán" finds Sean), letter case never matters, and a word
//! of three letters or more finds the names that start with it ("Siob", "macdon").
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use complaints_app::staff::LogComplaint;
use complaints_core::reference::CaseRef;
use complaints_core::roles::Role;

use common::{CSRF, World, post};

/// The workspace's memory stores, and the name search as a handler types it.
struct Search(World);

impl Search {
    fn new() -> Self {
        Self(World::new())
    }

    /// A phone complaint from `name` (a phone number, no email address).
    async fn log(&self, name: &str) -> CaseRef {
        let world = &self.0;
        let complaint = LogComplaint {
            name: Some(name.to_owned()),
            email: None,
            phone: Some("0131 496 0000".to_owned()),
            ..world.phoned()
        };
        world.log_complaint(complaint).await
    }

    /// Which of `known` the case list lists for a search of `words`.
    async fn finds(&self, words: &str, known: &[&CaseRef]) -> Vec<CaseRef> {
        let reply = post(self.0.app(Role::Handler), "/staff/cases", &[("csrf", CSRF), ("q", words)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{words}");
        known.iter().filter(|reference| reply.body.contains(&reference.to_string())).map(|r| (*r).clone()).collect()
    }
}

#[tokio::test]
async fn a_search_for_siobhan_finds_siobhan_with_her_fada_and_the_start_of_a_name_finds_it_too() {
    let search = Search::new();
    let siobhan = search.log("Siobhán Ní Bhriain").await;
    let sean = search.log("Sean MacDonald").await;
    let other = search.log("Morag Campbell").await;
    let known = [&siobhan, &sean, &other];

    assert_eq!(search.finds("siobhan", &known).await, std::slice::from_ref(&siobhan));
    assert_eq!(search.finds("SIOBHÁN ni bhriain", &known).await, std::slice::from_ref(&siobhan));
    assert_eq!(search.finds("Siob", &known).await, std::slice::from_ref(&siobhan), "the start of a name");
    assert_eq!(
        search.finds("Seán", &known).await,
        std::slice::from_ref(&sean),
        "an accent typed finds the name without it"
    );
    assert_eq!(search.finds("macdonald", &known).await, std::slice::from_ref(&sean));
    assert_eq!(search.finds("Mcdonald", &known).await, Vec::<CaseRef>::new(), "Mc is not Mac");
    assert_eq!(search.finds("macdon sean", &known).await, std::slice::from_ref(&sean));
    assert!(search.finds("bhan", &known).await.is_empty(), "the middle of a name is not its start");
}
