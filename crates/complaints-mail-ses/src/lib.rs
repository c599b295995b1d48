//! `Mailer` on SES v2 `SendEmail` with raw content: the MIME is ours (rendered once when the message
//! was queued, `QueuedMessage::raw`), so Reply-To (with its signed token) and Auto-Submitted reach
//! the recipient as we wrote them. SES replaces the Message-ID with its own, so a send returns
//! that one (`Mailer::send_and_identify`) and delivery records it for threading and bounces. SES failures become the port's two kinds: permanent (`Rejected`) or retryable
//! (`Unavailable`).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use complaints_app::ports::{MailError, Mailer};
use complaints_mail::QueuedMessage;

/// Sends mail through SES v2.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer on `client`. `configuration_set` names the SES configuration set whose event
    /// destinations record bounces, complaints and deliveries (none when `None`).
    #[must_use]
    pub fn new(client: Client, configuration_set: Option<String>) -> Self {
        Self { client, configuration_set: configuration_set.filter(|name| !name.trim().is_empty()) }
    }
}

/// Why SES refused a message for good. Holds the SES error code only: SES messages can quote the
/// sender or recipient address, which must not reach logs.
#[derive(Debug, thiserror::Error)]
#[error("SES refused the message ({code})")]
pub struct SesRefusal {
    pub code: String,
}

/// The SES error code when a SendEmail failure is permanent for this message; `None` when it may
/// succeed later: throttled (TooManyRequests), over the daily quota (LimitExceeded), sending
/// paused (SendingPaused), and the account or deployment problems an operator fixes (an unverified
/// MAIL FROM domain, a suspended account, a missing configuration set), so the message is retried
/// once they are fixed and the alarms say so meanwhile; an internal error or anything new too.
fn permanent_code(error: &SendEmailError) -> Option<&'static str> {
    Some(match error {
        SendEmailError::MessageRejected(_) => "MessageRejected",
        SendEmailError::BadRequestException(_) => "BadRequest",
        _ => return None,
    })
}

/// Sorts a SendEmail failure into permanent or retryable, keeping the SDK error as the source of
/// a retryable one.
fn classify(error: SdkError<SendEmailError>) -> MailError {
    match error.as_service_error().and_then(permanent_code) {
        Some(code) => MailError::Rejected(SesRefusal { code: code.to_owned() }.to_string()),
        // Timeouts, connection failures, unreadable responses and retryable service errors.
        None => MailError::Unavailable(Box::new(error)),
    }
}

/// The Message-ID header SES writes in place of ours, as recorded on the case. AWS documents
/// that SES replaces any Message-ID it is given and returns the message's id from `SendEmail`
/// (<https://docs.aws.amazon.com/ses/latest/dg/header-fields.html>), not the header's domain;
/// headers seen in the wild read `<id>@<region>.amazonses.com`, and `<id>@email.amazonses.com`
/// in us-east-1, which is what this writes. Threading does not depend on the guess: replies are
/// matched by the id under any `amazonses.com` domain (`complaints_email::index_message_id`).
#[must_use]
pub fn ses_header_message_id(ses_message_id: &str, region: Option<&str>) -> String {
    match region {
        Some(region) if !region.is_empty() && region != "us-east-1" => {
            format!("{ses_message_id}@{region}.amazonses.com")
        }
        _ => format!("{ses_message_id}@email.amazonses.com"),
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, message: &QueuedMessage) -> Result<(), MailError> {
        self.send_and_identify(message).await.map(|_| ())
    }

    /// Returns the Message-ID SES gave the message (see [`ses_header_message_id`]).
    #[tracing::instrument(name = "ses.send", skip_all, fields(recipients = message.to.len(), ses_message_id = tracing::field::Empty))]
    async fn send_and_identify(&self, message: &QueuedMessage) -> Result<Option<String>, MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(message.raw.clone()))
            .build()
            .map_err(|e| MailError::Unavailable(Box::new(e)))?;
        // Explicit recipients (SES counts its quota per recipient); the headers name the same.
        let destination = Destination::builder()
            .set_to_addresses(Some(message.to.iter().map(|a| a.as_str().to_owned()).collect()))
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(message.from.as_str())
            .destination(destination)
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(classify)?;
        let Some(id) = sent.message_id().filter(|id| !id.is_empty()) else { return Ok(None) };
        tracing::Span::current().record("ses_message_id", id);
        let region = self.client.config().region().map(ToString::to_string);
        Ok(Some(ses_header_message_id(id, region.as_deref())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sesv2::types::error::{
        AccountSuspendedException, BadRequestException, LimitExceededException, MailFromDomainNotVerifiedException,
        MessageRejected, SendingPausedException, TooManyRequestsException,
    };

    #[test]
    fn ses_failures_are_sorted_into_permanent_and_retryable() {
        let cases = [
            (
                SendEmailError::MessageRejected(
                    MessageRejected::builder().message("Email address not verified a@example.org").build(),
                ),
                Some("MessageRejected"),
            ),
            (
                SendEmailError::MailFromDomainNotVerifiedException(
                    MailFromDomainNotVerifiedException::builder().build(),
                ),
                None,
            ),
            (SendEmailError::AccountSuspendedException(AccountSuspendedException::builder().build()), None),
            (SendEmailError::BadRequestException(BadRequestException::builder().build()), Some("BadRequest")),
            (SendEmailError::TooManyRequestsException(TooManyRequestsException::builder().build()), None),
            (SendEmailError::LimitExceededException(LimitExceededException::builder().build()), None),
            (SendEmailError::SendingPausedException(SendingPausedException::builder().build()), None),
        ];
        for (error, expected) in cases {
            assert_eq!(permanent_code(&error), expected, "{error:?}");
        }
    }

    #[test]
    fn the_message_id_ses_writes_names_its_region_or_email_in_us_east_1() {
        assert_eq!(
            ses_header_message_id("0102abc-000000", Some("eu-west-2")),
            "0102abc-000000@eu-west-2.amazonses.com"
        );
        assert_eq!(ses_header_message_id("0100abc-000000", Some("us-east-1")), "0100abc-000000@email.amazonses.com");
        assert_eq!(ses_header_message_id("0100abc-000000", None), "0100abc-000000@email.amazonses.com");
    }

    #[test]
    fn a_refusal_names_the_ses_code_and_never_an_address() {
        let text = SesRefusal { code: "MessageRejected".to_owned() }.to_string();
        assert!(text.contains("MessageRejected") && !text.contains('@'), "{text}");
    }

    #[test]
    fn an_empty_configuration_set_name_means_none() {
        let config =
            aws_sdk_sesv2::config::Builder::from(&complaints_testkit::sdk_config_at("http://127.0.0.1:9")).build();
        let client = Client::from_conf(config);
        let cases = [(Some("  "), None), (None, None), (Some("complaints"), Some("complaints"))];
        for (given, kept) in cases {
            let mailer = SesMailer::new(client.clone(), given.map(str::to_owned));
            assert_eq!(mailer.configuration_set.as_deref(), kept, "{given:?}");
        }
    }
}
