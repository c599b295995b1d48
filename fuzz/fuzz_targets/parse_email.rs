//! Fuzz target: any bytes through the email parse path (the model, the reply part, every
//! attachment's bytes) must give a model without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = complaints_email::Limits::default();
    let parsed = complaints_email::Parsed::new(data, &limits);
    for attachment in &parsed.email.attachments {
        let bytes = parsed.attachment_bytes(attachment.index).unwrap_or_default();
        assert_eq!(bytes.len() as u64, attachment.size);
    }
    assert!(parsed.email.reply_text.len() <= parsed.email.text.len());
    let _ = complaints_email::token::verify(b"fuzz-key", &parsed.email.subject);
});
