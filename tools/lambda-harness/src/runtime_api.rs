//! The Runtime API server: events are queued by the caller, handed out on
//! `GET /invocation/next`, and answered on `POST /invocation/{id}/response|error`.

use std::collections::{HashMap, VecDeque};
use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http::{read_request, write_response};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
/// How often blocked waits look at the process and the clock.
const POLL: Duration = Duration::from_millis(5);

/// What the function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Vec<u8>),
    /// The runtime reported an error (the body is the runtime's error JSON).
    Error(Vec<u8>),
}

/// A value with the time it took.
#[derive(Debug, Clone)]
pub struct Timed<T> {
    pub value: T,
    pub elapsed: Duration,
}

/// Why a wait ended without an answer.
#[derive(Debug)]
pub enum HarnessError {
    Io(std::io::Error),
    /// The function process exited.
    Exited,
    /// No answer within the timeout.
    TimedOut(&'static str),
    /// The runtime posted an init error.
    InitError(String),
}

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(err) => write!(f, "runtime api i/o: {err}"),
            Self::Exited => write!(f, "the function process exited"),
            Self::TimedOut(what) => write!(f, "timed out waiting for {what}"),
            Self::InitError(body) => write!(f, "the runtime reported an init error: {body}"),
        }
    }
}

impl std::error::Error for HarnessError {}

impl From<std::io::Error> for HarnessError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

#[derive(Debug, Default)]
struct State {
    first_next: Option<Instant>,
    queue: VecDeque<(String, Vec<u8>)>,
    handed_out: HashMap<String, Instant>,
    outcomes: HashMap<String, (Outcome, Instant)>,
    init_error: Option<String>,
    shutdown: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not wedge the harness; the state stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        match self.changed.wait_timeout(guard, POLL) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// A Runtime API stand-in listening on 127.0.0.1 on a free port. Stops serving when dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    next_id: u64,
}

impl RuntimeApi {
    /// Binds 127.0.0.1:0 and serves on background threads.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if accept_shared.lock().shutdown {
                    break;
                }
                let conn_shared = Arc::clone(&accept_shared);
                thread::spawn(move || serve_connection(stream, &conn_shared));
            }
        });
        Ok(Self { addr, shared, next_id: 0 })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API` (host:port, no scheme).
    #[must_use]
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits for the first `GET /invocation/next`: the end of the function's init phase.
    ///
    /// # Errors
    /// [`HarnessError::Exited`] when `still_running` turns false, [`HarnessError::TimedOut`],
    /// [`HarnessError::InitError`].
    pub fn wait_first_next(
        &self,
        timeout: Duration,
        still_running: &mut dyn FnMut() -> bool,
    ) -> Result<Instant, HarnessError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(at) = state.first_next {
                return Ok(at);
            }
            if let Some(body) = &state.init_error {
                return Err(HarnessError::InitError(body.clone()));
            }
            if !still_running() {
                return Err(HarnessError::Exited);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::TimedOut("the first GET /invocation/next"));
            }
            state = self.shared.wait(state);
        }
    }

    /// Queues one event and waits for its answer. `elapsed` runs from the moment the runtime
    /// received the event to the moment it answered.
    ///
    /// # Errors
    /// As [`RuntimeApi::wait_first_next`].
    pub fn invoke(
        &mut self,
        payload: &[u8],
        timeout: Duration,
        still_running: &mut dyn FnMut() -> bool,
    ) -> Result<Timed<Outcome>, HarnessError> {
        self.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", self.next_id);
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        state.queue.push_back((id.clone(), payload.to_vec()));
        self.shared.changed.notify_all();
        loop {
            if let Some((outcome, answered)) = state.outcomes.remove(&id) {
                let handed_out = state.handed_out.remove(&id).unwrap_or(answered);
                return Ok(Timed { value: outcome, elapsed: answered.duration_since(handed_out) });
            }
            if !still_running() {
                return Err(HarnessError::Exited);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::TimedOut("the invocation's response"));
            }
            state = self.shared.wait(state);
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.changed.notify_all();
        // Wake the accept loop so it sees the flag and releases the port.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while let Ok(Some(request)) = read_request(&mut reader) {
        let served = match (request.method.as_str(), request.path.as_str()) {
            ("GET", NEXT) => {
                next_event(shared).map(|(id, payload)| write_response(&mut writer, 200, &event_headers(&id), &payload))
            }
            ("POST", INIT_ERROR) => {
                let mut state = shared.lock();
                state.init_error = Some(String::from_utf8_lossy(&request.body).into_owned());
                shared.changed.notify_all();
                Some(write_response(&mut writer, 202, &[], b"{}"))
            }
            ("POST", path) if path.starts_with(INVOCATION) => {
                let rest = &path[INVOCATION.len()..];
                let outcome = if let Some(id) = rest.strip_suffix("/response") {
                    Some((id, Outcome::Response(request.body)))
                } else {
                    rest.strip_suffix("/error").map(|id| (id, Outcome::Error(request.body)))
                };
                match outcome {
                    Some((id, outcome)) => {
                        let mut state = shared.lock();
                        state.outcomes.insert(id.to_owned(), (outcome, Instant::now()));
                        shared.changed.notify_all();
                        Some(write_response(&mut writer, 202, &[], b"{}"))
                    }
                    None => Some(write_response(&mut writer, 404, &[], b"{}")),
                }
            }
            _ => Some(write_response(&mut writer, 404, &[], b"{}")),
        };
        match served {
            Some(Ok(())) => {}
            // Shutting down, or the client went away.
            Some(Err(_)) | None => return,
        }
    }
}

/// Blocks (like Lambda's long poll) until an event is queued; `None` on shutdown.
fn next_event(shared: &Shared) -> Option<(String, Vec<u8>)> {
    let mut state = shared.lock();
    if state.first_next.is_none() {
        state.first_next = Some(Instant::now());
        shared.changed.notify_all();
    }
    loop {
        if state.shutdown {
            return None;
        }
        if let Some((id, payload)) = state.queue.pop_front() {
            state.handed_out.insert(id.clone(), Instant::now());
            return Some((id, payload));
        }
        state = shared.wait(state);
    }
}

fn event_headers(id: &str) -> Vec<(&'static str, String)> {
    let deadline_ms = SystemTime::now()
        .checked_add(Duration::from_secs(30))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis());
    vec![
        ("content-type", "application/json".to_owned()),
        ("lambda-runtime-aws-request-id", id.to_owned()),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:eu-west-2:000000000000:function:local".to_owned()),
        ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned()),
    ]
}
