//! Email intake limits an organisation can set (`[email]` in its configuration,
//! docs/email.md): how large a message and an attachment may be, how many attachments are stored
//! with a case, and which further file types are held back. Defaults suit a council mailbox.

use serde::{Deserialize, Serialize};

/// SES receives messages up to 40 MB, headers included: no larger limit can apply.
pub const MAX_MESSAGE_MB: u32 = 40;

/// `[email]`: limits on received mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// Larger messages are kept raw but not taken in (outcome `rejected`, reason `too-large`).
    /// 1 to 40 (MB, 1,048,576 bytes).
    pub max_message_mb: u32,
    /// Larger attachments are recorded (name, type, size, hash) but not stored with the case.
    /// 1 to `max_message_mb`.
    pub max_attachment_mb: u32,
    /// Attachments stored with a case from one message; later ones are recorded as held.
    /// 0 (store none) to 1,000.
    pub max_attachments: u32,
    /// File extensions (no dot) held back besides the built-in list of programs and scripts,
    /// which cannot be shortened.
    pub extra_blocked_extensions: Vec<String>,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            max_message_mb: MAX_MESSAGE_MB,
            max_attachment_mb: 25,
            max_attachments: 50,
            extra_blocked_extensions: Vec::new(),
        }
    }
}

impl EmailSettings {
    /// # Errors
    /// The field and why, for the first setting out of range.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=MAX_MESSAGE_MB).contains(&self.max_message_mb) {
            return Err(("email.max_message_mb", format!("must be 1 to {MAX_MESSAGE_MB} (SES's limit)")));
        }
        if !(1..=self.max_message_mb).contains(&self.max_attachment_mb) {
            return Err(("email.max_attachment_mb", "must be 1 to email.max_message_mb".to_owned()));
        }
        if self.max_attachments > 1_000 {
            return Err(("email.max_attachments", "must be at most 1000".to_owned()));
        }
        for extension in &self.extra_blocked_extensions {
            if extension.is_empty() || !extension.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err((
                    "email.extra_blocked_extensions",
                    format!("{extension:?} must be letters and digits only, without the dot"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_out_of_range_limits_are_named() {
        assert_eq!(EmailSettings::default().validate(), Ok(()));
        let cases = [
            (EmailSettings { max_message_mb: 41, ..EmailSettings::default() }, "email.max_message_mb"),
            (EmailSettings { max_message_mb: 0, ..EmailSettings::default() }, "email.max_message_mb"),
            (
                EmailSettings { max_message_mb: 10, max_attachment_mb: 11, ..EmailSettings::default() },
                "email.max_attachment_mb",
            ),
            (EmailSettings { max_attachments: 1_001, ..EmailSettings::default() }, "email.max_attachments"),
            (
                EmailSettings { extra_blocked_extensions: vec![".docm".to_owned()], ..EmailSettings::default() },
                "email.extra_blocked_extensions",
            ),
        ];
        for (settings, field) in cases {
            assert_eq!(settings.validate().map_err(|(f, _)| f), Err(field), "{settings:?}");
        }
    }
}
