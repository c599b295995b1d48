//! The dev-only `/mail` viewer mounted by `complaints serve` (on a loopback address only): the
//! messages the mail folder holds, newest first, each viewable as text. Never part of the Lambda
//! (feature `dev-mail-folder`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use complaints_mail_folder::{MailFolder, MailFolderError};
use minijinja::context;
use serde::Serialize;

use crate::pages::Pages;
use crate::{html, security_headers};

#[derive(Clone)]
struct FolderState {
    dir: Arc<PathBuf>,
    pages: Arc<Pages>,
    org_name: Arc<str>,
}

/// The routes `/mail` and `/mail/{file}` over the mail folder `dir`.
pub fn router(dir: PathBuf, pages: Arc<Pages>, org_name: String) -> Router {
    Router::new()
        .route("/mail", get(list))
        .route("/mail/{file}", get(show))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(FolderState { dir: Arc::new(dir), pages, org_name: Arc::from(org_name) })
}

/// One row of the list page.
#[derive(Debug, Serialize)]
struct Row {
    file: String,
    subject: String,
    to: String,
    date: String,
    case_ref: Option<String>,
}

fn failure(state: &FolderState, status: StatusCode, heading: &str) -> Response {
    let body =
        state.pages.problem(&state.org_name, heading, &[], None).unwrap_or_else(|_| crate::pages::BARE_500.to_owned());
    html(status, body)
}

async fn list(State(state): State<FolderState>) -> Response {
    let messages: Vec<Row> = match MailFolder::list(&state.dir).await {
        Ok(entries) => entries
            .into_iter()
            .map(|e| Row {
                file: e.file_name,
                subject: e.subject,
                to: e.to.join(", "),
                date: e.date.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
                case_ref: e.case_ref.map(|r| r.to_string()),
            })
            .collect(),
        Err(err) => {
            tracing::error!(error = %err, "could not list the mail folder");
            return failure(&state, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, the mail folder could not be read");
        }
    };
    match state.pages.render("mail_folder.html", context! { org_name => &*state.org_name, messages => minijinja::Value::from(minijinja::value::Serde(&messages)) }) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => {
            tracing::error!(error = %err, "mail folder page failed");
            failure(&state, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, the mail folder could not be shown")
        }
    }
}

/// The message as a person reads it: its subject, then the main headers and the plain-text body.
fn as_text(raw: &[u8]) -> (String, String) {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return (String::new(), String::from_utf8_lossy(raw).into_owned());
    };
    let addresses = |list: Option<&mail_parser::Address<'_>>| {
        list.map(|a| a.iter().filter_map(|m| m.address()).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    };
    let mut text = String::new();
    text.push_str(&format!("From: {}\n", addresses(message.from())));
    text.push_str(&format!("To: {}\n", addresses(message.to())));
    if let Some(reply_to) = message.reply_to() {
        text.push_str(&format!("Reply-To: {}\n", addresses(Some(reply_to))));
    }
    text.push_str(&format!("Subject: {}\n", message.subject().unwrap_or("")));
    if let Some(date) = message.date() {
        text.push_str(&format!("Date: {}\n", date.to_rfc822()));
    }
    if let Some(id) = message.message_id() {
        text.push_str(&format!("Message-ID: <{id}>\n"));
    }
    text.push('\n');
    text.push_str(&message.body_text(0).unwrap_or_default());
    (message.subject().unwrap_or("").to_owned(), text)
}

async fn show(State(state): State<FolderState>, UrlPath(file): UrlPath<String>) -> Response {
    let raw = match MailFolder::read(&state.dir, &file).await {
        Ok(raw) => raw,
        Err(MailFolderError::BadName(_) | MailFolderError::NotFound(_)) => {
            return failure(&state, StatusCode::NOT_FOUND, "No such message");
        }
        Err(err) => {
            tracing::error!(error = %err, "could not read a message in the mail folder");
            return failure(&state, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, the message could not be read");
        }
    };
    let (subject, text) = as_text(&raw);
    match state.pages.render("mail_folder_message.html", context! { org_name => &*state.org_name, file, subject, text })
    {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => {
            tracing::error!(error = %err, "mail folder page failed");
            failure(&state, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, the message could not be shown")
        }
    }
}
