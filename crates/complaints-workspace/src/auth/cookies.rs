//! The workspace's cookies: reading one from a request and writing `Set-Cookie` values with the
//! attributes each needs. All are HttpOnly; `Secure` (and the `__Secure-` name prefix, which
//! browsers only accept on a Secure cookie) whenever the server is not on loopback.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// How a cookie may travel with cross-site requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Never cross-site: the session and the sign-in form's token.
    Strict,
    /// Also on top-level navigations from another site: only the hosted sign-in's short-lived
    /// state, which must come back on the redirect from Cognito.
    Lax,
}

/// The cookies of one deployment: secure or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieJar {
    pub secure: bool,
}

/// The session cookie's name (before any prefix).
pub const SESSION: &str = "staff_session";
/// The sign-in form's pre-session token.
pub const SIGN_IN: &str = "staff_signin";
/// The hosted sign-in's state, nonce and PKCE verifier.
pub const HOSTED: &str = "staff_hosted_signin";

impl CookieJar {
    /// The name as sent: `__Secure-NAME` on secure deployments.
    #[must_use]
    pub fn name(&self, base: &str) -> String {
        if self.secure { format!("__Secure-{base}") } else { base.to_owned() }
    }

    /// A `Set-Cookie` value for `base` = `value`, valid for `max_age_seconds` on `path`.
    #[must_use]
    pub fn set(&self, base: &str, value: &str, path: &str, same_site: SameSite, max_age_seconds: i64) -> String {
        let same_site = match same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite={same_site}{secure}",
            self.name(base),
            max_age_seconds.max(0)
        )
    }

    /// A `Set-Cookie` value that removes `base` on `path`.
    #[must_use]
    pub fn clear(&self, base: &str, path: &str, same_site: SameSite) -> String {
        self.set(base, "", path, same_site, 0)
    }

    /// The value of cookie `base` in the request, if sent (the first, when sent twice).
    #[must_use]
    pub fn get(&self, headers: &HeaderMap, base: &str) -> Option<String> {
        let name = self.name(base);
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn secure_deployments_prefix_the_name_and_mark_the_cookie_secure() {
        let local = CookieJar { secure: false };
        let aws = CookieJar { secure: true };
        assert_eq!(
            local.set(SESSION, "abc", "/staff", SameSite::Strict, 60),
            "staff_session=abc; Path=/staff; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            aws.set(HOSTED, "x", "/staff/auth", SameSite::Lax, 600),
            "__Secure-staff_hosted_signin=x; Path=/staff/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(aws.clear(SESSION, "/staff", SameSite::Strict).contains("Max-Age=0"));
    }

    #[test]
    fn a_cookie_is_found_by_its_exact_name_only() {
        let jar = CookieJar { secure: false };
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("other=1; staff_session_x=2"));
        headers.append(COOKIE, HeaderValue::from_static("staff_session=abc; staff_signin="));
        assert_eq!(jar.get(&headers, SESSION).as_deref(), Some("abc"));
        assert_eq!(jar.get(&headers, SIGN_IN), None, "empty is absent");
        assert_eq!(CookieJar { secure: true }.get(&headers, SESSION), None, "the secure name is another cookie");
    }
}
