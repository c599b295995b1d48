//! The webhook tests' harness: the router over in-memory stores, the transport mailer sending
//! through the real HTTP sender to a fake platform on 127.0.0.1 that records what it is sent.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode, Uri};
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use complaints_app::intake::IntakeService;
use complaints_app::outbound::{Delivery, SweepReport};
use complaints_app::ports::{CaseStore, Clock, StoredCase};
use complaints_app::social::{SocialIntake, SocialTransport, TransportMailer};
use complaints_app::social_accounts::SocialAccounts;
use complaints_app::social_health::{ChannelHealth, HealthSettings, QuietHours};
use complaints_app::testing::{ManualClock, MemoryCaseStore, RecordingMailer, TEST_CONTACT_KEY_SECRET};
use complaints_app::testing_objects::MemoryObjectStore;
use complaints_core::complaint::EmailAddress;
use complaints_core::config::OrgConfig;
use complaints_mail::templates::Templates;
use complaints_social::attachments::HttpAttachmentFetcher;
use complaints_social::config::SocialSecrets;
use complaints_social::sender::{Endpoints, HttpSocialSender};
use complaints_social::signature::{meta_signature, x_signature};
use complaints_social::{SocialState, router};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

pub const APP_SECRET: &str = "test-meta-app-secret";
pub const VERIFY_TOKEN: &str = "meatyhamhock";
pub const X_OAUTH2: &str = "test-x-oauth2-client-secret";
pub const X_CONSUMER: &str = "test-x-consumer-secret";

/// One request to the fake platform.
#[derive(Debug, Clone)]
pub struct Sent {
    pub path: String,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
}

/// A platform stand-in on 127.0.0.1: records every send; answers with `reply` (status, body).
#[derive(Debug, Clone)]
pub struct FakePlatform {
    pub base: String,
    pub sent: Arc<Mutex<Vec<Sent>>>,
    pub reply: Arc<Mutex<(u16, serde_json::Value)>>,
}

#[derive(Clone)]
struct FakeState {
    sent: Arc<Mutex<Vec<Sent>>>,
    reply: Arc<Mutex<(u16, serde_json::Value)>>,
}

async fn record(
    State(state): State<FakeState>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> (StatusCode, Json<serde_json::Value>) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.sent.lock().unwrap().push(Sent { path: uri.path().to_owned(), authorization, body });
    let (status, body) = state.reply.lock().unwrap().clone();
    (StatusCode::from_u16(status).unwrap(), Json(body))
}

/// The bytes of a media file: `big` is over the size limit, `missing` is a 404, anything else is
/// `content of <name>` (with the bearer token it came with, if any, so tests see it was sent).
async fn media(
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
) -> (StatusCode, [(axum::http::header::HeaderName, &'static str); 1], Vec<u8>) {
    let png = [(axum::http::header::CONTENT_TYPE, "image/png")];
    match name.as_str() {
        "big" => (StatusCode::OK, png, vec![0; complaints_app::social_attachments::MAX_ATTACHMENT_BYTES + 1]),
        "missing" => (StatusCode::NOT_FOUND, png, b"{}".to_vec()),
        _ => {
            let token = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("no token");
            (StatusCode::OK, png, format!("content of {name} ({token})").into_bytes())
        }
    }
}

/// WhatsApp's media lookup: the id's URL on this stand-in.
async fn media_lookup(
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> (StatusCode, Json<serde_json::Value>) {
    if headers.get("authorization").is_none() {
        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"error": {"code": 190}})));
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (StatusCode::OK, Json(serde_json::json!({"url": format!("http://{host}/media/wa-{id}"), "mime_type": "image/png"})))
}

impl FakePlatform {
    pub async fn start() -> Self {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(Mutex::new((200, serde_json::json!({"message_id": "mid.ok"}))));
        let app = axum::Router::new()
            .route("/media/{name}", axum::routing::get(media))
            .route("/v99.0/{id}", axum::routing::get(media_lookup))
            .fallback(axum::routing::post(record))
            .with_state(FakeState { sent: Arc::clone(&sent), reply: Arc::clone(&reply) });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake platform");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake platform") });
        Self { base: format!("http://{addr}"), sent, reply }
    }

    /// The send and media APIs pointed at this stand-in, Graph API version `v99.0`.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints::from_lookup(|name| match name {
            "META_GRAPH_BASE" | "X_API_BASE" => Some(self.base.clone()),
            "META_GRAPH_VERSION" => Some("v99.0".to_owned()),
            _ => None,
        })
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    pub fn answer(&self, status: u16, body: serde_json::Value) {
        *self.reply.lock().unwrap() = (status, body);
    }
}

/// Everything a test looks at.
pub struct Harness {
    pub state: SocialState,
    pub app: axum::Router,
    pub store: Arc<MemoryCaseStore>,
    pub objects: Arc<MemoryObjectStore>,
    pub email: Arc<RecordingMailer>,
    pub clock: Arc<ManualClock>,
    pub intake: IntakeService,
    pub platform: Option<FakePlatform>,
    /// Channel health, when the harness tells staff about it.
    pub health: Option<Arc<ChannelHealth>>,
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

pub fn all_secrets() -> SocialSecrets {
    SocialSecrets::from_lookup(|name| {
        Some(
            match name {
                "META_APP_SECRET" => APP_SECRET,
                "META_VERIFY_TOKEN" => VERIFY_TOKEN,
                "META_PAGE_TOKEN" => "page-token",
                "WHATSAPP_TOKEN" => "whatsapp-token",
                "X_CONSUMER_SECRET" => X_CONSUMER,
                "X_OAUTH2_CLIENT_SECRET" => X_OAUTH2,
                "X_BEARER_TOKEN" => "x-bearer",
                _ => return None,
            }
            .to_owned(),
        )
    })
}

impl Harness {
    /// With a fake platform (replies are really sent over HTTP to 127.0.0.1).
    pub async fn with_platform(secrets: SocialSecrets) -> Self {
        Self::with_platform_and_config(secrets, OrgConfig::builtin()).await
    }

    /// [`Harness::with_platform`] on a given organisation configuration.
    pub async fn with_platform_and_config(secrets: SocialSecrets, config: OrgConfig) -> Self {
        let platform = FakePlatform::start().await;
        let endpoints = platform.endpoints();
        let sender = HttpSocialSender::new(endpoints, secrets.tokens.clone()).expect("client");
        Self::build(secrets, Some(Arc::new(sender)), Some(platform), config, our_accounts(), None)
    }

    /// [`Harness::with_platform`] with channel health on: staff (`team@council.example.org`)
    /// are told about failing and quiet channels.
    pub async fn with_platform_and_health(secrets: SocialSecrets, quiet: QuietHours) -> Self {
        let platform = FakePlatform::start().await;
        let sender = HttpSocialSender::new(platform.endpoints(), secrets.tokens.clone()).expect("client");
        let settings = HealthSettings {
            organisation: "Example Council".to_owned(),
            from: EmailAddress::parse("complaints@council.example.org").unwrap(),
            recipients: vec![EmailAddress::parse("team@council.example.org").unwrap()],
        };
        let config = OrgConfig::builtin();
        Self::build(secrets, Some(Arc::new(sender)), Some(platform), config, our_accounts(), Some((settings, quiet)))
    }

    /// Without any platform to send to, every account taken as ours (corpus runs: recorded
    /// payloads name other people's accounts; only the intake side matters).
    pub fn without_platform(secrets: SocialSecrets) -> Self {
        Self::build(secrets, None, None, OrgConfig::builtin(), SocialAccounts::any(), None)
    }

    /// Delivers what is pending, as the sweep does.
    pub async fn sweep(&self) -> SweepReport {
        let delivery = Delivery::new(self.store.clone(), self.intake.mailer.clone(), self.intake.clock.clone());
        delivery.sweep().await.expect("sweep")
    }

    fn build(
        secrets: SocialSecrets,
        social: Option<Arc<dyn complaints_app::social::SocialSender>>,
        platform: Option<FakePlatform>,
        config: OrgConfig,
        accounts: SocialAccounts,
        health: Option<(HealthSettings, QuietHours)>,
    ) -> Self {
        let store = Arc::new(MemoryCaseStore::new());
        let health = health
            .map(|(settings, quiet)| Arc::new(ChannelHealth::new(store.clone(), settings).with_quiet_hours(quiet)));
        let objects = Arc::new(MemoryObjectStore::new());
        let email = Arc::new(RecordingMailer::new());
        let clock = Arc::new(ManualClock::new(now()));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        // Attachments are fetched from the fake platform too (its GET routes serve media).
        let attachments = platform.as_ref().map(|platform| {
            let fetcher = HttpAttachmentFetcher::new(platform.endpoints(), secrets.tokens.clone(), objects.clone())
                .expect("client");
            Arc::new(fetcher) as Arc<dyn complaints_app::social_attachments::AttachmentFetcher>
        });
        let mailer = Arc::new(TransportMailer {
            email: email.clone(),
            social,
            clock: Arc::clone(&dyn_clock),
            health: health.clone(),
            attachments,
        });
        let intake = IntakeService {
            store: store.clone(),
            mailer,
            clock: dyn_clock,
            calendar: Arc::new(config.calendar()),
            config: Arc::new(config),
            templates: Arc::new(Templates::builtin()),
            contact_key_secret: Arc::from(TEST_CONTACT_KEY_SECRET),
        };
        let state = SocialState::new(
            secrets,
            SocialIntake {
                intake: intake.clone(),
                objects: objects.clone(),
                items: store.clone(),
                accounts,
                channels: store.clone(),
            },
        );
        let app = router(state.clone());
        Self { state, app, store, objects, email, clock, intake, platform, health }
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = response.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    pub async fn meta(&self, body: &[u8]) -> (StatusCode, String) {
        self.request(signed_meta(body)).await
    }

    pub async fn x(&self, body: &[u8]) -> (StatusCode, String) {
        self.request(signed_x(body)).await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, String) {
        self.request(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn cases(&self) -> Vec<StoredCase> {
        let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
        self.store.received_between(from, to).await.expect("cases")
    }
}

pub fn signed_meta(body: &[u8]) -> Request<Body> {
    Request::post("/webhooks/meta")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", meta_signature(APP_SECRET.as_bytes(), body))
        .body(Body::from(body.to_vec()))
        .unwrap()
}

pub fn signed_x(body: &[u8]) -> Request<Body> {
    Request::post("/webhooks/x")
        .header("content-type", "application/json")
        .header("x-twitter-webhooks-signature-oauth2", x_signature(X_OAUTH2.as_bytes(), body))
        .body(Body::from(body.to_vec()))
        .unwrap()
}

/// The accounts the tests' payloads are addressed to: page 111, Instagram account 178, WhatsApp
/// phone number id 555, X user 100.
pub fn our_accounts() -> SocialAccounts {
    SocialAccounts::default()
        .with(SocialTransport::Messenger, "111")
        .with(SocialTransport::Instagram, "178")
        .with(SocialTransport::WhatsApp, "555")
        .with(SocialTransport::X, "100")
}

/// A Messenger text message from `sender` to page 111.
pub fn messenger(sender: &str, mid: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "page",
        "entry": [{"id": "111", "time": 1, "messaging": [{
            "sender": {"id": sender}, "recipient": {"id": "111"}, "timestamp": 1,
            "message": {"mid": mid, "text": text}
        }]}]
    }))
    .unwrap()
}
