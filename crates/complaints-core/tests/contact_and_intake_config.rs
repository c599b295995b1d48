//! Organisation contact details (phone, email, postal address) and the `[intake]` section: the
//! built-in values, and the errors that name the key.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use complaints_core::config::OrgConfig;

#[test]
fn the_builtin_configuration_says_how_to_contact_us_by_phone_email_and_post() {
    let organisation = OrgConfig::builtin().organisation;
    assert!(organisation.contact_phone().is_some_and(|p| p.chars().any(|c| c.is_ascii_digit())));
    assert!(organisation.contact_email().is_some_and(|e| e.contains('@')));
    assert!(organisation.contact_address().is_some_and(|a| a.contains(',')));
}

#[test]
fn a_configuration_with_no_way_to_contact_us_is_refused_naming_the_keys() {
    let text = "[organisation]\nphone = \"\"\nemail = \" \"\naddress = \"\"\n";
    let error = OrgConfig::from_toml_str(text).unwrap_err();
    assert_eq!(error.field(), Some("organisation.phone"));
    for key in ["organisation.phone", "organisation.email", "organisation.address"] {
        assert!(error.to_string().contains(key), "{error}");
    }
    let one = OrgConfig::from_toml_str("[organisation]\nphone = \"\"\nemail = \"\"\naddress = \"PO Box 1, Town\"\n");
    assert_eq!(one.unwrap().organisation.contact_address(), Some("PO Box 1, Town"));
}

#[test]
fn the_organisation_email_must_be_an_address() {
    let error = OrgConfig::from_toml_str("[organisation]\nemail = \"complaints at example\"\n").unwrap_err();
    assert_eq!(error.field(), Some("organisation.email"));
}

#[test]
fn intake_defaults_to_ten_submissions_per_ten_minutes_and_no_api_keys() {
    let intake = OrgConfig::builtin().intake;
    assert_eq!((intake.rate_limit_submissions, intake.rate_limit_window_minutes), (10, 10));
    assert!(intake.api_key_sha256.is_empty());
}

#[test]
fn api_keys_are_configured_only_as_sha256_digests() {
    let digest = "a".repeat(64);
    let good = format!("[intake]\napi_key_sha256 = [\"{digest}\"]\n");
    assert_eq!(OrgConfig::from_toml_str(&good).unwrap().intake.api_key_sha256, std::slice::from_ref(&digest));
    let cases = [
        ("[intake]\napi_key_sha256 = [\"my-secret-key\"]\n".to_owned(), "intake.api_key_sha256[0]"),
        (format!("[intake]\napi_key_sha256 = [\"{digest}\", \"{}\"]\n", "A".repeat(64)), "intake.api_key_sha256[1]"),
        ("[intake]\nrate_limit_window_minutes = 0\n".to_owned(), "intake.rate_limit_window_minutes"),
        ("[intake]\nrate_limt = 3\n".to_owned(), "intake.rate_limt"),
    ];
    for (text, field) in cases {
        let error = OrgConfig::from_toml_str(&text).unwrap_err();
        assert_eq!(error.field(), Some(field), "{text}: {error}");
        assert!(!error.to_string().contains("my-secret-key"), "the key is never echoed: {error}");
    }
    let off = OrgConfig::from_toml_str("[intake]\nrate_limit_submissions = 0\nrate_limit_window_minutes = 0\n");
    assert_eq!(off.unwrap().intake.rate_limit_submissions, 0);
}
