//! Where to go after signing in: the workspace page that was asked for (a case page linked from
//! the breach-scan digest), carried through the sign-in in its signed state (the local form's
//! token, the hosted sign-in's flow cookie), never in a cookie or field of its own.
//!
//! Only a plain path of the workspace is ever kept: it starts `/staff/`, holds only letters,
//! digits, `/`, `-` and `_` (so no `//`, no scheme, no backslash, no `.` or `%` to smuggle one
//! in, no query string: nothing personal), and is not a sign-in page itself. Anything else is
//! dropped and the dashboard is used: an address cannot send a member of staff to another site.

/// The longest path kept.
const MAX_CHARS: usize = 200;

/// The path `raw`, when it is one to return to after signing in.
#[must_use]
pub fn safe(raw: &str) -> Option<&str> {
    let ok = raw.len() <= MAX_CHARS
        && raw.starts_with("/staff/")
        && raw.len() > "/staff/".len()
        && !raw.contains("//")
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
        && !["/staff/sign-in", "/staff/sign-out", "/staff/auth/"].iter().any(|page| raw.starts_with(page));
    ok.then_some(raw)
}

/// The sign-in page's address for a signed-out request to `path` (`?next=` when it is one to
/// return to).
#[must_use]
pub fn sign_in_path(path: &str) -> String {
    match safe(path) {
        Some(path) => format!("{}/sign-in?next={path}", crate::PREFIX),
        None => format!("{}/sign-in", crate::PREFIX),
    }
}

/// Where to go once signed in: `next` when safe, else the dashboard.
#[must_use]
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(safe).unwrap_or(super::HOME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_workspace_paths_are_kept() {
        assert_eq!(safe("/staff/cases/CMP-2026-00001"), Some("/staff/cases/CMP-2026-00001"));
        assert_eq!(safe("/staff/flagged"), Some("/staff/flagged"));
        for refused in [
            "https://evil.example/",
            "//evil.example/staff/",
            "/staff//evil.example",
            "/staff/\\evil.example",
            "/\\evil.example",
            "/staff/../../etc",
            "/staff/cases/%2F%2Fevil.example",
            "/staff/cases?name=Morag",
            "javascript:alert(1)",
            "/staff/",
            "/staff/sign-in",
            "/staff/sign-out",
            "/staff/auth/callback",
            "/mail/",
            "",
        ] {
            assert_eq!(safe(refused), None, "{refused}");
        }
        assert_eq!(after_sign_in(Some("https://evil.example/")), "/staff/");
        assert_eq!(sign_in_path("/staff/cases/CMP-2026-00001"), "/staff/sign-in?next=/staff/cases/CMP-2026-00001");
        assert_eq!(sign_in_path("/staff/"), "/staff/sign-in");
    }
}
