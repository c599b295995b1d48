//! The "export is ready" email (issue 16 §3): after an export's files are stored, each address on
//! the reporting list (`[reporting] notify`) gets the headline figures and where the files are,
//! written as pending staff mail through the durable outbound path under the once-only marker
//! `export#<period>`, so a re-run of the same quarter or year tells nobody twice.
//!
//! The email holds counts and percentages only: no reference, name or complaint text.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use complaints_core::case::MessagePurpose;
use complaints_core::complaint::EmailAddress;
use complaints_core::indicators::Period;
use complaints_mail::QueuedMessage;
use complaints_mail::message::{Mailbox, OutboundEmail};
use complaints_reports::Finished;
use sha2::{Digest, Sha256};

use crate::export::headline_table;
use crate::notice_store::{MAX_NOTICE_MESSAGES, NoticeCommit, NoticeStore};
use crate::outbound::NewMessage;
use crate::ports::StoreError;

/// The once-only marker of an export: one per export key (`exports/<year>/<quarter>/`).
#[must_use]
pub fn notice_marker(period: Period) -> String {
    format!("export#{period}")
}

/// Who sends the notice and who gets it.
#[derive(Debug, Clone, Copy)]
pub struct NoticeSettings<'a> {
    /// The organisation's name, shown as the sender's name.
    pub organisation: &'a str,
    /// The organisation's sending address (`[mail] from`).
    pub from: &'a str,
    /// The reporting list (`[reporting] notify`).
    pub recipients: &'a [String],
}

/// What [`notify_export`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    /// The reporting list is empty: nothing written, no marker placed.
    NobodyToTell,
    /// One pending message per address, these Message-IDs.
    Queued { message_ids: Vec<String> },
    /// An earlier run of this export told them already: nothing written.
    AlreadySent,
}

/// Why the notice could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the sending address ([mail] from) is not a valid address")]
    Sender,
    /// The position (from 1) of the bad entry; the address itself is not repeated in logs.
    #[error("entry {0} of [reporting] notify is not a valid address")]
    Recipient(usize),
    #[error("[reporting] notify has {0} addresses; at most {MAX_NOTICE_MESSAGES} can be told at once")]
    TooMany(usize),
    #[error("could not write the export notice")]
    Store(#[from] StoreError),
}

/// Writes the notice of a finished export, once per export: one message per distinct address on
/// the list, dated `at`, saying where the files are (`location`: a folder or an S3 URL).
///
/// # Errors
/// [`NoticeError`]: a bad address (checked before anything is written) or the store's failure.
pub async fn notify_export(
    store: &dyn NoticeStore,
    finished: &Finished,
    location: &str,
    settings: NoticeSettings<'_>,
    at: DateTime<Utc>,
) -> Result<Notified, NoticeError> {
    let recipients: BTreeSet<&str> = settings.recipients.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
    if recipients.is_empty() {
        return Ok(Notified::NobodyToTell);
    }
    if recipients.len() > MAX_NOTICE_MESSAGES {
        return Err(NoticeError::TooMany(recipients.len()));
    }
    let from = EmailAddress::parse(settings.from).map_err(|_| NoticeError::Sender)?;
    let domain = from.as_str().rsplit_once('@').map_or("localhost", |(_, domain)| domain).to_owned();
    let period = finished.indicators.period;
    let (subject, text, html) = body(finished, location, settings.organisation);
    let mut messages = Vec::new();
    let mut message_ids = Vec::new();
    for to in recipients {
        let position = settings.recipients.iter().position(|r| r.trim() == to).map_or(0, |p| p + 1);
        let address = EmailAddress::parse(to).map_err(|_| NoticeError::Recipient(position))?;
        // Stable per export and address, so a retried write can never queue it under a new id.
        let hash = hex::encode(Sha256::digest(format!("{period}\0{to}").as_bytes()));
        let message_id = format!("export-ready.{}.{}@{domain}", period.to_string().to_ascii_lowercase(), &hash[..24]);
        let email = OutboundEmail {
            message_id: message_id.clone(),
            date: at,
            from: Mailbox { name: Some(settings.organisation.to_owned()), address: from.clone() },
            reply_to: None,
            to: vec![Mailbox { name: None, address }],
            subject: subject.clone(),
            text: text.clone(),
            html: html.clone(),
            auto_submitted: true,
            in_reply_to: None,
            case_ref: None,
        };
        messages.push(NewMessage {
            message: QueuedMessage::from_email(&email, MessagePurpose::ExportReady),
            recipient_key: None,
        });
        message_ids.push(message_id);
    }
    match store.queue_notice_once(&notice_marker(period), messages).await? {
        NoticeCommit::Written => Ok(Notified::Queued { message_ids }),
        NoticeCommit::AlreadyPlaced => Ok(Notified::AlreadySent),
    }
}

/// Subject, text and HTML of the notice.
fn body(finished: &Finished, location: &str, organisation: &str) -> (String, String, String) {
    let figures = &finished.indicators;
    let subject = format!("Complaints export {} is ready", figures.period);
    let table = headline_table(finished);
    let files: Vec<&str> =
        std::iter::once(complaints_reports::CASES_CSV).chain(finished.files.iter().map(|(name, _, _)| *name)).collect();
    let text = format!(
        "The complaints figures of {organisation} for {} ({} to {}) are ready.\n\n{table}\nFiles: {location}\n({})\n\nThis is sent once for each export; a re-run of the export does not send it again.\n",
        figures.period,
        figures.from,
        figures.to,
        files.join(", ")
    );
    let number = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let rows: String = figures
        .buckets
        .iter()
        .chain([&figures.total])
        .map(|bucket| {
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&bucket.name),
                bucket.k2_received,
                bucket.closed,
                bucket.k3_within_timescale.n,
                number(bucket.k3_within_timescale.percent),
                number(bucket.k4_average_working_days),
                number(bucket.upheld_any.percent),
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><body><p>The complaints figures of {} for {} ({} to {}) are ready.</p>\
<table><caption>Headline figures</caption><tr><th scope=\"col\">Bucket</th><th scope=\"col\">Received</th>\
<th scope=\"col\">Closed</th><th scope=\"col\">In time</th><th scope=\"col\">In time %</th>\
<th scope=\"col\">Average working days</th><th scope=\"col\">Upheld %</th></tr>{rows}</table>\
<p>Not a complaint: {}. Learning actions completed: {}.</p><p>Files: {}<br>({})</p></body></html>",
        escape(organisation),
        figures.period,
        figures.from,
        figures.to,
        figures.not_a_complaint,
        figures.learning.len(),
        escape(location),
        escape(&files.join(", ")),
    );
    (subject, text, html)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
