//! `telform emulator`: Azure Communications Gateway's Provisioning API, its Entra ID token
//! endpoint and the Webex APIs telform uses, served from memory on loopback.
//!
//! Layout on one port: ACG under `/acg`, the token endpoint under
//! `/login/{tenant}/oauth2/v2.0/token`, Webex under `/webex/v1`. Nothing here is imported by
//! planning or apply: the emulator and the clients share only the wire types (`crate::wire`).

pub mod acg;
pub mod faults;
pub mod seed;
pub mod webex;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::rate::RateWindow;
use faults::{Fault, Faults, Rng};
use seed::Seed;

/// How the emulator runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub seed: Seed,
    /// Persist the store here (written atomically), and start from it when it exists.
    pub state_file: Option<PathBuf>,
    pub faults: Faults,
    pub connections: Connections,
}

/// Limits on a client's connection, so that idle or half-sent connections cannot pile up and
/// starve the emulator (a few hundred are enough without them).
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// A request's headers must arrive within this time.
    pub header_read: Duration,
    /// A connection that sends and receives nothing for this long is closed.
    pub idle: Duration,
}

impl Default for Connections {
    fn default() -> Connections {
        Connections {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// The shared state of a running emulator.
pub struct App {
    /// `http://127.0.0.1:PORT`, for absolute links (`nextLink`, `Location`).
    pub base_url: String,
    pub acg: Mutex<acg::Store>,
    pub webex: Mutex<webex::Store>,
    pub timing: seed::Timing,
    faults: Faults,
    rng: Mutex<Rng>,
    acg_window: Option<Mutex<RateWindow>>,
    /// At most this many connections are served at once; the next ones get a 503 and are
    /// closed, so that idle or slow clients cannot use up the descriptors and starve everyone
    /// (the default is the descriptor limit less room for the state file and the listener; a
    /// test may lower it).
    pub max_connections: AtomicUsize,
    /// Connections being served.
    open_connections: Arc<AtomicUsize>,
    /// Requests received, by provider, for tests and benchmarks.
    pub acg_requests: AtomicU64,
    pub webex_requests: AtomicU64,
    /// The writes received (method, path, JSON body), when a test asks for them by setting
    /// it to `Some`: how a test sees what telform sent, not only what the store became.
    pub journal: Mutex<Option<Vec<Written>>>,
    dirty: AtomicBool,
    state_file: Option<PathBuf>,
}

/// Whether `path` is one of the Webex prechecks: answered, never stored.
fn is_precheck(path: &str) -> bool {
    path.ends_with("/wholesale/customers/validate")
        || path.ends_with("/wholesale/subscribers/validate")
        || path.ends_with("/telephony/config/devices/actions/validateMacs/invoke")
}

/// A write the emulator received, as the journal keeps it.
#[derive(Debug, Clone)]
pub struct Written {
    pub method: String,
    /// The path under the provider's prefix, e.g. `/webex/v1/workspaces/…`.
    pub path: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: serde_json::Value,
}

/// Everything a store holds, as persisted in the state file.
#[derive(Debug, Serialize, Deserialize)]
struct State_ {
    acg: acg::Store,
    webex: webex::Store,
}

impl App {
    /// Locks a store. A panic in another request while holding the lock must not wedge the
    /// emulator, so a poisoned lock is taken over.
    pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Marks the store as changed, for the state file.
    pub fn changed(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_file else { return Ok(()) };
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let json = {
            let acg = App::lock(&self.acg);
            let webex = App::lock(&self.webex);
            serde_json::to_vec(&serde_json::json!({"acg": &*acg, "webex": &*webex})).map_err(std::io::Error::other)?
        };
        // Atomic (a crash leaves the previous state, never half a file) and readable by its owner
        // only, whatever mode an earlier file had: it holds the seed's client secrets and tokens.
        crate::manifest::confined::replace_file(path, &json, 0o600)
    }
}

/// Milliseconds since the Unix epoch: store timestamps survive a restart.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// ISO 8601 UTC timestamp of `ms`.
pub fn iso8601(ms: u64) -> String {
    crate::clock::iso8601_secs(ms / 1000)
}

/// A running emulator.
pub struct Emulator {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment a telform run needs to talk to this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let url = self.url();
        let mut env = Vec::new();
        let acg = App::lock(&self.app.acg);
        if let Some(client) = acg.clients.first() {
            env.push(("TELFORM_ACG_URL".into(), format!("{url}/acg")));
            env.push((
                "TELFORM_ACG_TOKEN_URL".into(),
                format!("{url}/login/{}/oauth2/v2.0/token", client.tenant),
            ));
            env.push(("TELFORM_ACG_TENANT".into(), client.tenant.clone()));
            env.push(("TELFORM_ACG_CLIENT_ID".into(), client.client_id.clone()));
            env.push(("TELFORM_ACG_CLIENT_SECRET".into(), client.client_secret.clone()));
            env.push(("TELFORM_ACG_SCOPE".into(), acg.scope.clone()));
            // The client paces itself to the emulator's limit; 0: the emulator has none.
            let limit = self.app.faults.acg_limit_per_minute.unwrap_or(0);
            env.push(("TELFORM_ACG_REQUESTS_PER_MINUTE".into(), limit.to_string()));
        }
        drop(acg);
        let webex = App::lock(&self.app.webex);
        if let Some(token) = webex.tokens.first() {
            env.push(("TELFORM_WEBEX_URL".into(), format!("{url}/webex/v1")));
            env.push(("TELFORM_WEBEX_TOKEN".into(), token.token.clone()));
        }
        env
    }

    /// Writes [`Emulator::env`] as a shell file (`set -a; . FILE`), readable by its owner only:
    /// it holds the emulator's client secret and token.
    pub fn write_env_file(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut text = String::from("# Written by `telform emulator`: the environment that points telform at it.\n");
        for (key, value) in self.env() {
            text.push_str(&format!("{key}='{}'\n", value.replace('\'', "'\\''")));
        }
        // A new file renamed into place: an existing file's mode (0644) is not kept.
        crate::manifest::confined::replace_file(path, text.as_bytes(), 0o600)
    }

    /// Stops accepting, lets requests in flight finish, and saves the state.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.app.save()
    }
}

/// Accepts connections until `stop`, each served with the limits of `connections`, at most
/// [`App::max_connections`] at once; then waits for the requests in flight.
async fn serve(
    listener: TcpListener,
    router: Router,
    app: Arc<App>,
    connections: Connections,
    mut stop: oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of descriptors, most often: wait for connections to close.
                    eprintln!("telform emulator: cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let open = app.open_connections.clone();
        if open.load(Ordering::Relaxed) >= app.max_connections.load(Ordering::Relaxed) {
            tokio::spawn(refuse(stream));
            continue;
        }
        open.fetch_add(1, Ordering::Relaxed);
        let mut io = tokio_io_timeout::TimeoutStream::new(stream);
        io.set_read_timeout(Some(connections.idle));
        io.set_write_timeout(Some(connections.idle));
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(connections.header_read)
            .serve_connection(TokioIo::new(Box::pin(io)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is not the emulator's error.
            let _ = connection.await;
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers a connection over the cap with a 503 that says why, without reading its request
/// (there is no room to serve it), and closes it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    const BODY: &str = "{\"message\":\"telform emulator: too many open connections; close idle ones or retry later\",\"error\":{\"code\":\"ServerBusy\",\"message\":\"telform emulator: too many open connections; close idle ones or retry later\"}}";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    // A client that does not read is not waited for.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// How many connections the emulator serves at once by default: the descriptor limit (raised
/// to its hard maximum first) less room for the listener, the state file and the refusals
/// themselves, and at most 4,096.
fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct passed.
    let soft = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 512;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        limit.rlim_cur
    };
    let soft = usize::try_from(soft).unwrap_or(usize::MAX);
    soft.saturating_sub(soft / 8 + 32).clamp(16, 4096)
}

/// Starts the emulator on `listener` (bind `127.0.0.1:0` for a free port). Returns once it
/// accepts connections: no sleeps needed before the first request.
pub async fn start(listener: TcpListener, config: Config) -> std::io::Result<Emulator> {
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let restored: Option<State_> =
        match &config.state_file {
            Some(path) if path.exists() => {
                let bytes = std::fs::read(path)?;
                Some(serde_json::from_slice(&bytes).map_err(|e| {
                    std::io::Error::other(format!("{}: not an emulator state file: {e}", path.display()))
                })?)
            }
            _ => None,
        };
    let (acg, webex) = match restored {
        Some(state) => (state.acg, state.webex),
        None => (
            acg::Store::from_seed(&config.seed.acg).map_err(std::io::Error::other)?,
            webex::Store::from_seed(&config.seed.webex).map_err(std::io::Error::other)?,
        ),
    };
    let app = Arc::new(App {
        base_url,
        acg: Mutex::new(acg),
        webex: Mutex::new(webex),
        timing: config.seed.timing.clone(),
        rng: Mutex::new(Rng::new(config.faults.seed)),
        acg_window: config
            .faults
            .acg_limit_per_minute
            .map(|n| Mutex::new(RateWindow::new(n))),
        faults: config.faults,
        max_connections: AtomicUsize::new(default_max_connections()),
        open_connections: Arc::new(AtomicUsize::new(0)),
        acg_requests: AtomicU64::new(0),
        webex_requests: AtomicU64::new(0),
        journal: Mutex::new(None),
        dirty: AtomicBool::new(config.state_file.is_some()),
        state_file: config.state_file,
    });
    let router = router(app.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let saver = app.clone();
    let task = tokio::spawn(async move {
        let server = serve(listener, router, saver.clone(), config.connections, rx);
        let autosave = async {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Err(error) = saver.save() {
                    eprintln!("telform emulator: cannot save the state: {error}");
                }
            }
        };
        tokio::select! {
            () = server => {}
            () = autosave => {}
        }
    });
    Ok(Emulator {
        addr,
        app,
        shutdown: Some(tx),
        task: Some(task),
    })
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .nest("/acg", acg::routes())
        .route("/login/{tenant}/oauth2/v2.0/token", axum::routing::post(acg::token))
        .nest("/webex/v1", webex::routes())
        .layer(axum::middleware::from_fn_with_state(app.clone(), inject_faults))
        .with_state(app)
}

/// Counts requests, enforces ACG's rate limit when asked, and injects the configured faults.
async fn inject_faults(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let provider = if path.starts_with("/acg") {
        app.acg_requests.fetch_add(1, Ordering::Relaxed);
        "acg"
    } else if path.starts_with("/webex") {
        app.webex_requests.fetch_add(1, Ordering::Relaxed);
        "webex"
    } else {
        // The identity platform is not part of either provider's faults or limits.
        return next.run(request).await;
    };
    let request = journal(&app, request).await;
    if provider == "acg"
        && let Some(window) = &app.acg_window
        && let Err(wait) = App::lock(window).admit(Instant::now())
    {
        let mut response = acg::error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "more than the allowed requests per minute",
        );
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs.max(1)));
        return response;
    }
    let (fault, latency) = {
        let mut rng = App::lock(&app.rng);
        (app.faults.draw(&mut rng, provider), app.faults.latency(&mut rng))
    };
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => next.run(request).await,
        Fault::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = if provider == "acg" {
                acg::error(status, "InjectedFault", "fault injected by the emulator")
            } else {
                webex::error(status, "fault injected by the emulator")
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from(app.faults.retry_after_secs));
            }
            response
        }
        Fault::Drop => broken_connection(),
        Fault::Lost => {
            let _ = next.run(request).await;
            broken_connection()
        }
    }
}

/// Records a write in the journal when a test keeps one; the request goes on unchanged.
/// Prechecks are POSTs that change nothing (a plan asks them): they are not writes.
async fn journal(app: &App, request: Request) -> Request {
    let precheck = request.method() == axum::http::Method::POST && is_precheck(request.uri().path());
    if request.method() == axum::http::Method::GET || precheck || App::lock(&app.journal).is_none() {
        return request;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    if let Some(journal) = App::lock(&app.journal).as_mut() {
        journal.push(Written {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        });
    }
    Request::from_parts(parts, Body::from(bytes))
}

/// A response whose body fails at once: the client sees the connection break.
fn broken_connection() -> Response {
    let stream = futures_util::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("dropped")) });
    (StatusCode::OK, Body::from_stream(stream)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_dates() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_705_000_000_000), "2024-01-11T19:06:40Z");
        assert_eq!(super::iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
