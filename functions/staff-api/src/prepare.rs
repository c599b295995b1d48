//! What a request needs and init does not build: the contact key (and the organisation
//! configuration) from SSM, the AWS clients and adapters, the calendar, the templates and the
//! router. Built once, by the first request, in the shared shell's [`Prepared`] cell.

use std::sync::Arc;
use std::time::Instant;

use complaints_app::ports::{Clock, SystemClock};
use complaints_app::sessions::sign_in_secret;
use complaints_app::staff::StaffActions;
use complaints_aws::TrustRoots;
use complaints_lambda::{MIN_KEY_LEN, Parameters, PrepareError};
use complaints_mail::templates::Templates;
use complaints_mail_ses::SesMailer;
use complaints_store_dynamodb::DynamoDbCaseStore;
use complaints_web::api::ApiState;
use complaints_web::api::auth::JwtClaims;
use complaints_workspace::WorkspaceState;
use complaints_workspace::auth::{Cognito, SignInMethod, StoreSessions};

use crate::config::Config;

/// Builds the router once, on the first request ([`complaints_lambda::http::serve_router`]).
///
/// # Errors
/// [`PrepareError`].
pub(crate) async fn prepare(config: &Config, roots: TrustRoots) -> Result<axum::Router, PrepareError> {
    let started = Instant::now();
    let aws = complaints_aws::lambda_sdk_config(roots)?;
    let mut names = vec![config.contact_key_param.as_str()];
    names.extend(config.organisation.org_config_param.as_deref());
    names.extend(config.staff_directory_param.as_deref());
    let found = Parameters::fetch(&aws_sdk_ssm::Client::new(&aws), &names).await?;
    let contact_key: Arc<[u8]> = found.key(&config.contact_key_param, MIN_KEY_LEN)?.into();
    let org_toml = match &config.organisation.org_config_param {
        Some(parameter) => Some(found.text(parameter)?.to_owned()),
        None => None,
    };
    let org = config.organisation.org_config(org_toml.as_deref())?;
    // Keyed for the name index (staff log complaints and search by name).
    let store = Arc::new(
        DynamoDbCaseStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name.clone())
            .with_search_key(&contact_key),
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let staff = StaffActions {
        store: store.clone(),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&aws), config.config_set.clone())),
        clock: Arc::clone(&clock),
        calendar: Arc::new(org.calendar()),
        config: Arc::new(org),
        templates: Arc::new(Templates::builtin()),
        contact_key_secret: Arc::clone(&contact_key),
        // Every read and change recorded with its actor in the table's audit log (R57).
        audit: store.clone(),
    };
    // The staff pages under /staff: Cognito's hosted sign-in, sessions in the table, Secure cookies.
    let cognito = Arc::new(
        Cognito::new(config.cognito.clone())
            .map_err(|e| PrepareError::invalid("the hosted sign-in cannot be set up", e))?,
    );
    let sessions =
        StoreSessions::new(store.clone(), clock, SignInMethod::Cognito(cognito), &sign_in_secret(&contact_key), true)
            .with_settings(&staff.config.sign_in);
    // "Assign" offers the directory's handlers (docs/workspace.md); without it, or when it is
    // missing or invalid (a warning), a text box: it never takes the staff pages down.
    let sessions = match crate::directory::assign_choices(&found, config.staff_directory_param.as_deref()) {
        Some(handlers) => sessions.with_staff_directory(&handlers),
        None => sessions,
    };
    let workspace = complaints_workspace::router(WorkspaceState {
        staff: staff.clone(),
        indexes: store.clone(),
        queries: store.clone(),
        learning: store.clone(),
        sessions: Arc::new(sessions),
        quality: store.clone(),
        flags: store.clone(),
        held_mail: store.clone(),
        staff_items: store.clone(),
    });
    let state = ApiState::new(staff, store.clone(), store, Arc::new(JwtClaims));
    tracing::info!(prepare_ms = started.elapsed().as_secs_f64() * 1000.0, "ready");
    Ok(complaints_web::api::router(state).merge(workspace))
}
