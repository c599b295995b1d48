//! Robots and reports (RFC 3834, RFC 3464, RFC 5965, RFC 8098): mail no person wrote, which is
//! never acknowledged (so two auto-responders cannot loop), and delivery or abuse reports about
//! mail we sent, which are recorded on the case they concern.

use mail_parser::{Message, MimeHeaders, PartType};

use crate::{Sender, clean_id};

/// Why a message counts as automatic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automated {
    /// `Auto-Submitted` other than `no` (RFC 3834 §5).
    AutoSubmitted,
    /// `X-Autoreply`, `X-Autorespond` or `X-Auto-Response-Suppress` (vendors' auto-reply marks).
    AutoReplyHeader,
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence,
    /// A mailing list post (`List-Id`).
    List,
    /// A delivery, feedback or disposition report (`multipart/report`, or a bare report part).
    Report,
    /// From `MAILER-DAEMON`, `postmaster` or a no-reply address.
    RobotSender,
    /// An empty return path (`Return-Path: <>`), which only bounces and auto-replies use.
    NullSender,
}

impl Automated {
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AutoSubmitted => "auto-submitted",
            Self::AutoReplyHeader => "auto-reply-header",
            Self::Precedence => "precedence",
            Self::List => "mailing-list",
            Self::Report => "report",
            Self::RobotSender => "robot-sender",
            Self::NullSender => "null-sender",
        }
    }
}

/// What a report says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// A delivery failure (DSN, or a mailer daemon's message).
    Bounce,
    /// A recipient marked mail as spam or abuse (ARF feedback report).
    Complaint,
    /// A read receipt or other disposition notification: nothing for staff.
    Disposition,
}

impl ReportKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
            Self::Disposition => "disposition",
        }
    }
}

/// A report and the Message-IDs of the messages it is about (from the returned message or its
/// headers), so it can be matched to the message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: ReportKind,
    pub about: Vec<String>,
}

/// The report this message is, if it is one.
pub(crate) fn report(message: &Message<'_>) -> Option<Report> {
    let root_type = message.root_part().content_type();
    let report_type = root_type
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .map(|ct| ct.attribute("report-type").unwrap_or_default().to_ascii_lowercase());
    let mut kind = match report_type.as_deref() {
        Some("feedback-report") => Some(ReportKind::Complaint),
        Some("disposition-notification") => Some(ReportKind::Disposition),
        Some(_) => Some(ReportKind::Bounce),
        None => None,
    };
    // Parts that only reports carry, when the outer type is something else.
    let mut about = Vec::new();
    for part in &message.parts {
        let ct = crate::content_type_of(part);
        match ct.as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                kind.get_or_insert(ReportKind::Bounce);
            }
            "message/feedback-report" => {
                kind.get_or_insert(ReportKind::Complaint);
            }
            "message/disposition-notification" => {
                kind.get_or_insert(ReportKind::Disposition);
            }
            _ => {}
        }
        match &part.body {
            PartType::Message(inner) => about.extend(inner.message_id().and_then(clean_id)),
            PartType::Text(text) if ct == "text/rfc822-headers" || ct == "message/rfc822-headers" => {
                about.extend(ids_in_text(text));
            }
            _ => {}
        }
    }
    let kind = kind.or_else(|| daemon_bounce(message))?;
    if about.is_empty() {
        // Mailer daemons that quote the returned message as text.
        for part in message.text_bodies() {
            if let Some(text) = part.text_contents() {
                about.extend(ids_in_text(text));
            }
        }
    }
    about.extend(message.in_reply_to().as_text().and_then(clean_id));
    let mut unique = Vec::new();
    for id in about {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Some(Report { kind, about: unique })
}

/// A bounce without a report part: from a mailer daemon with a failure subject.
fn daemon_bounce(message: &Message<'_>) -> Option<ReportKind> {
    let from =
        message.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_ascii_lowercase();
    let local = from.split('@').next().unwrap_or_default();
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let daemon = matches!(local, "mailer-daemon" | "postmaster" | "mail-daemon");
    let failure = [
        "undeliver",
        "delivery status notification",
        "failure notice",
        "returned mail",
        "delivery failure",
        "mail delivery failed",
    ]
    .iter()
    .any(|s| subject.contains(s));
    (daemon && (failure || subject.is_empty())).then_some(ReportKind::Bounce)
}

/// `Message-ID: <…>` lines in quoted headers.
fn ids_in_text(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("message-id").then(|| clean_id(value)).flatten()
        })
        .collect()
}

/// Why a person did not write this message, if one did not.
pub(crate) fn automated(message: &Message<'_>, from: Option<&Sender>, report: Option<&Report>) -> Option<Automated> {
    let text = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if report.is_some() {
        return Some(Automated::Report);
    }
    if text("Auto-Submitted").is_some_and(|v| !v.is_empty() && !v.starts_with("no")) {
        return Some(Automated::AutoSubmitted);
    }
    if ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Autogenerated"]
        .iter()
        .any(|name| message.header_raw(*name).is_some())
    {
        return Some(Automated::AutoReplyHeader);
    }
    if text("Precedence").is_some_and(|v| ["bulk", "junk", "list"].iter().any(|p| v.starts_with(p))) {
        return Some(Automated::Precedence);
    }
    if message.header_raw("List-Id").is_some() {
        return Some(Automated::List);
    }
    if let Some(address) = from.and_then(|f| f.address.as_deref())
        && is_robot_address(address)
    {
        return Some(Automated::RobotSender);
    }
    if text("Return-Path").is_some_and(|v| v == "<>") {
        return Some(Automated::NullSender);
    }
    None
}

/// Mailer daemons and no-reply addresses: answering them only makes a loop or a bounce.
#[must_use]
pub fn is_robot_address(address: &str) -> bool {
    let local = address.rsplit_once('@').map_or(address, |(local, _)| local).to_ascii_lowercase();
    let local = local.split('+').next().unwrap_or_default();
    matches!(local, "mailer-daemon" | "postmaster" | "mail-daemon" | "bounce" | "bounces")
        || ["noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"]
            .iter()
            .any(|p| local.starts_with(p) || local.ends_with(p))
}

#[cfg(test)]
mod tests {
    use crate::{Automated, Limits, ReportKind, parse};

    fn robot(headers: &str) -> Option<Automated> {
        parse(format!("From: jo@example.org\r\n{headers}\r\n\r\nhello").as_bytes(), &Limits::default()).automated
    }

    #[test]
    fn rfc_3834_and_vendor_marks_make_a_message_automatic() {
        assert_eq!(robot("Auto-Submitted: auto-replied"), Some(Automated::AutoSubmitted));
        assert_eq!(robot("Auto-Submitted: no"), None);
        assert_eq!(robot("X-Autoreply: yes"), Some(Automated::AutoReplyHeader));
        assert_eq!(robot("X-Auto-Response-Suppress: All"), Some(Automated::AutoReplyHeader));
        assert_eq!(robot("Precedence: bulk"), Some(Automated::Precedence));
        assert_eq!(robot("Precedence: first-class"), None);
        assert_eq!(robot("List-Id: <residents.lists.example.org>"), Some(Automated::List));
        assert_eq!(robot("Return-Path: <>"), Some(Automated::NullSender));
        assert_eq!(robot("X-Mailer: Person"), None);
    }

    #[test]
    fn mailer_daemons_and_no_reply_senders_are_robots() {
        for address in
            ["MAILER-DAEMON@mx.example", "no-reply@shop.example", "noreply+x@a.example", "postmaster@x.example"]
        {
            assert!(super::is_robot_address(address), "{address}");
        }
        for address in ["jo@example.org", "reply@example.org", "nora@example.org"] {
            assert!(!super::is_robot_address(address), "{address}");
        }
    }

    #[test]
    fn a_delivery_status_report_names_the_message_it_returns() {
        let raw = b"From: MAILER-DAEMON@mx.example\r\nTo: complaints@council.example\r\nSubject: Undelivered Mail\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n\
Could not deliver.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
Final-Recipient: rfc822; jo@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B\r\n\
Content-Type: text/rfc822-headers\r\n\r\nFrom: complaints@council.example\r\nMessage-ID: <cmp-2026-00001.ack.abc@council.example>\r\n--B--\r\n";
        let email = parse(raw, &Limits::default());
        let report = email.report.expect("a report");
        assert_eq!(report.kind, ReportKind::Bounce);
        assert_eq!(report.about, ["cmp-2026-00001.ack.abc@council.example"]);
        assert_eq!(email.automated, Some(Automated::Report));
    }

    #[test]
    fn a_feedback_report_is_a_complaint() {
        let raw = b"From: abuse@isp.example\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nabuse report\r\n--B\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n\
--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: complaints@council.example\r\nMessage-ID: <ours.1@council.example>\r\n\r\nack\r\n--B--\r\n";
        let report = parse(raw, &Limits::default()).report.expect("a report");
        assert_eq!(report.kind, ReportKind::Complaint);
        assert_eq!(report.about, ["ours.1@council.example"]);
    }
}
