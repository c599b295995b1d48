//! Who is calling the staff API. The API only authenticates: it finds the member of staff and
//! their [`Role`]; what that role may do is decided by the core's role matrix when the action is
//! performed. A role never comes from the request body.
//!
//! - Locally (`complaints serve`): `Authorization: Bearer <token>`, checked against the users file
//!   (hashed tokens, `complaints users add`): [`BearerUsers`].
//! - On AWS (`functions/staff-api`): API Gateway's JWT authorizer has already verified the Cognito
//!   token; the function reads the verified claims from the request context that `lambda_http` puts
//!   in the request's extensions, and maps the `cognito:groups` claim to a role: [`JwtClaims`]
//!   (feature `lambda`). The `Authorization` header itself is not looked at there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::http::request::Parts;
use complaints_app::staff::StaffUser;
use complaints_app::users::{UsersError, UsersFile};
use complaints_core::complaint::EmailAddress;
use complaints_core::roles::Role;

/// Why a request was not authenticated. Every variant is a 401: the caller must sign in (again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all.
    #[error("no credentials")]
    Missing,
    /// Credentials that are malformed, unknown or revoked.
    #[error("the credentials are not valid")]
    Invalid,
    /// A verified identity in none of the four staff groups.
    #[error("the account has no staff role")]
    NoRole,
    /// A verified identity in more than one staff group: which role it acts in is not guessed.
    #[error("the account is in more than one staff group")]
    AmbiguousRole,
}

/// Finds the member of staff behind a request.
pub trait Authenticate: Send + Sync + std::fmt::Debug {
    /// The member of staff, from the request's headers or extensions.
    ///
    /// # Errors
    /// [`AuthError`] when nobody (or nobody with a role) is signed in.
    fn authenticate(&self, parts: &Parts) -> Result<StaffUser, AuthError>;
}

/// Local: bearer tokens checked against the users file. The file is read again when it changes
/// on disk, so `complaints users add | remove` takes effect on a running server (a removed user
/// loses access at their next request).
#[derive(Debug)]
pub struct BearerUsers {
    data_dir: Option<PathBuf>,
    loaded: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    modified: Option<SystemTime>,
    users: Arc<UsersFile>,
}

impl BearerUsers {
    /// Fixed users (tests, tools): the file is never read again.
    #[must_use]
    pub fn new(users: UsersFile) -> Self {
        Self { data_dir: None, loaded: RwLock::new(Loaded { modified: None, users: Arc::new(users) }) }
    }

    /// The users file of `data_dir`, read now (so a bad file stops the start) and again whenever
    /// its modification time changes.
    ///
    /// # Errors
    /// [`UsersError`] when the file cannot be read or is not valid.
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, UsersError> {
        let modified = modified(data_dir);
        let users = Arc::new(UsersFile::load(data_dir)?);
        Ok(Self { data_dir: Some(data_dir.to_owned()), loaded: RwLock::new(Loaded { modified, users }) })
    }

    /// The users as the file is now.
    fn current(&self) -> Option<Arc<UsersFile>> {
        let read = |loaded: &RwLock<Loaded>| {
            loaded.read().map(|l| (l.modified, Arc::clone(&l.users))).unwrap_or_else(|p| {
                let l = p.into_inner();
                (l.modified, Arc::clone(&l.users))
            })
        };
        let (seen, users) = read(&self.loaded);
        let Some(dir) = &self.data_dir else { return Some(users) };
        let now = modified(dir);
        if now == seen {
            return Some(users);
        }
        match UsersFile::load(dir) {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                if let Ok(mut loaded) = self.loaded.write() {
                    *loaded = Loaded { modified: now, users: Arc::clone(&fresh) };
                }
                Some(fresh)
            }
            Err(err) => {
                // Fail closed: a file that cannot be read lets nobody in until it is fixed.
                tracing::error!(error = %complaints_app::error_chain(&err), "the users file cannot be read");
                None
            }
        }
    }
}

fn modified(data_dir: &Path) -> Option<SystemTime> {
    std::fs::metadata(UsersFile::path_in(data_dir)).and_then(|m| m.modified()).ok()
}

impl Authenticate for BearerUsers {
    fn authenticate(&self, parts: &Parts) -> Result<StaffUser, AuthError> {
        let token = bearer_token(parts)?;
        self.current().and_then(|users| users.authenticate_token(token)).ok_or(AuthError::Invalid)
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
///
/// # Errors
/// [`AuthError::Missing`] without the header; [`AuthError::Invalid`] for another scheme or no token.
pub fn bearer_token(parts: &Parts) -> Result<&str, AuthError> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Invalid)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Invalid);
    }
    Ok(token)
}

/// The group names in a `cognito:groups` claim as API Gateway's JWT authorizer hands it over: an
/// array flattened to `[handler manager]`; a JSON array (`["handler"]`) or a comma-separated list
/// are read too.
#[must_use]
pub fn claim_groups(claim: &str) -> Vec<&str> {
    let inner = claim.trim();
    let inner = inner.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(inner);
    inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|group| group.trim_matches('"'))
        .filter(|group| !group.is_empty())
        .collect()
}

/// The role of an account in these groups. An account must be in exactly one staff group
/// (admin, manager, handler, auditor): in none it has no role, and in several it is refused
/// rather than given the most powerful one, so a stray group never widens what someone may do.
/// Unknown groups are ignored.
///
/// # Errors
/// [`AuthError::NoRole`] in no staff group; [`AuthError::AmbiguousRole`] in more than one.
pub fn role_from_groups(groups: &[&str]) -> Result<Role, AuthError> {
    let mut held: Vec<Role> = groups.iter().filter_map(|group| Role::parse(group)).collect();
    held.sort();
    held.dedup();
    match held.as_slice() {
        [] => Err(AuthError::NoRole),
        [role] => Ok(*role),
        _ => Err(AuthError::AmbiguousRole),
    }
}

/// The claim that names the member of staff: Cognito's `sub`, a stable opaque id (never a name
/// or an address, so it can go on the timeline and in logs).
pub const SUBJECT_CLAIM: &str = "sub";
/// The claim that lists the account's Cognito groups.
pub const GROUPS_CLAIM: &str = "cognito:groups";

/// The member of staff for verified JWT claims: `sub` and the role of `cognito:groups`.
///
/// # Errors
/// [`AuthError::Missing`] without a subject; [`AuthError::NoRole`] when no group is a staff role;
/// [`AuthError::AmbiguousRole`] when more than one is.
pub fn user_from_claims(claims: &std::collections::HashMap<String, String>) -> Result<StaffUser, AuthError> {
    let id = claims.get(SUBJECT_CLAIM).map(|s| s.trim()).filter(|s| !s.is_empty()).ok_or(AuthError::Missing)?;
    let groups = claims.get(GROUPS_CLAIM).map(|claim| claim_groups(claim)).unwrap_or_default();
    let role = role_from_groups(&groups)?;
    let claim = |name: &str| claims.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    // The display name signs letters: the ID token's `name`, else given and family names, else
    // the id (an access token carries no name).
    let name = claim("name")
        .or_else(|| match (claim("given_name"), claim("family_name")) {
            (Some(given), Some(family)) => Some(format!("{given} {family}")),
            (given, family) => given.or(family),
        })
        .unwrap_or_else(|| id.to_owned());
    let email = claim("email").and_then(|address| EmailAddress::parse(&address).ok());
    Ok(StaffUser { id: id.to_owned(), name, role, email })
}

/// On AWS: the claims API Gateway's JWT authorizer verified, from the request context.
#[cfg(feature = "lambda")]
#[derive(Debug, Clone, Copy, Default)]
pub struct JwtClaims;

#[cfg(feature = "lambda")]
impl Authenticate for JwtClaims {
    fn authenticate(&self, parts: &Parts) -> Result<StaffUser, AuthError> {
        use lambda_http::request::RequestContext;
        // Only a verified context counts: a request without one never reached the authorizer.
        let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() else {
            return Err(AuthError::Missing);
        };
        let claims = context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims);
        user_from_claims(claims.ok_or(AuthError::Missing)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn groups_are_read_from_api_gateways_flattened_array_and_from_json() {
        assert_eq!(claim_groups("[handler manager]"), ["handler", "manager"]);
        assert_eq!(claim_groups("[\"auditor\",\"admin\"]"), ["auditor", "admin"]);
        assert_eq!(claim_groups("handler"), ["handler"]);
        assert!(claim_groups("[]").is_empty());
    }

    #[test]
    fn exactly_one_staff_group_gives_a_role_and_several_are_refused() {
        assert_eq!(role_from_groups(&["auditor"]), Ok(Role::Auditor));
        assert_eq!(role_from_groups(&["everyone", "handler"]), Ok(Role::Handler));
        assert_eq!(role_from_groups(&["manager", "manager"]), Ok(Role::Manager));
        assert_eq!(role_from_groups(&["auditor", "handler"]), Err(AuthError::AmbiguousRole));
        assert_eq!(role_from_groups(&["manager", "admin"]), Err(AuthError::AmbiguousRole));
        assert_eq!(role_from_groups(&["everyone", "superuser"]), Err(AuthError::NoRole));
        assert_eq!(role_from_groups(&[]), Err(AuthError::NoRole));
    }

    #[test]
    fn claims_give_the_subject_and_role_and_need_both() {
        let claims = HashMap::from([
            ("sub".to_owned(), "7d2f-staff".to_owned()),
            ("cognito:groups".to_owned(), "[manager]".to_owned()),
            ("email".to_owned(), "someone@council.example.org".to_owned()),
        ]);
        let user = user_from_claims(&claims).expect("a manager");
        assert_eq!(user.role, Role::Manager);
        assert_eq!(user.id, "7d2f-staff");
        assert_eq!(user.name, "7d2f-staff", "an access token has no name: the id stands in");
        assert_eq!(user.email.as_ref().map(EmailAddress::as_str), Some("someone@council.example.org"));

        let mut no_group = claims.clone();
        no_group.remove("cognito:groups");
        assert_eq!(user_from_claims(&no_group).err(), Some(AuthError::NoRole));
        let mut two_groups = claims.clone();
        two_groups.insert("cognito:groups".to_owned(), "[auditor admin]".to_owned());
        assert_eq!(user_from_claims(&two_groups).err(), Some(AuthError::AmbiguousRole));
        let mut no_subject = claims;
        no_subject.remove("sub");
        assert_eq!(user_from_claims(&no_subject).err(), Some(AuthError::Missing));
    }
}
