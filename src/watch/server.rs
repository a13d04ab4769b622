//! `--listen`: `/healthz`, `/status`, `/metrics`, the page at `/` with its runs at `/runs/ID`, and with
//! `--allow-actions` the page's actions, `POST /actions/{reconcile,pause,resume}`.
//!
//! The actions change what watch does, so they are refused unless all of these hold: watch
//! was started with `--allow-actions`; the request is a POST from the page itself (a browser's
//! `Sec-Fetch-Site` and `Origin` say so, and the form carries the token embedded in the page,
//! which another site cannot read); and, when watch has a bearer token, it comes with
//! `Authorization: Bearer …`. Watch refuses to start with actions on an address other machines
//! reach without such a token ([`check_exposure`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path as UrlPath, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use super::metrics::{self, Metrics};
use super::page::{self, ActionsView, History};
use super::status::{State, Status};
use crate::reconcile::guard::StoreConfig;
use crate::store::{Filter, RunRecord, Store};

/// The status the loop writes and the server reads.
pub type Shared = Arc<Mutex<Status>>;

/// Runs of the store the page lists.
const HISTORY_LISTED: usize = 25;
/// Runs of the store read to find them (runs of other estates are skipped).
const HISTORY_READ: usize = 500;
/// Changes shown on a run's page: a run of a million numbers is a million rows.
const RUN_PAGE_CHANGES: usize = 2_000;

/// A bearer token from the trusted configuration. Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// `None` for an empty value (an unset variable and an empty one mean the same).
    pub fn new(value: String) -> Option<Token> {
        (!value.trim().is_empty()).then(|| Token(value.trim().to_string()))
    }

    /// Compares without stopping at the first difference, so that timing tells nothing.
    fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

/// What the page may ask the loop, and how the loop hears it.
pub struct Actions {
    pub allowed: bool,
    token: Option<Token>,
    /// Embedded in the page's forms and required in their POSTs.
    csrf: String,
    /// "Reconcile now": one permit wakes the loop (or its next wait) once.
    pub wake: Notify,
    /// Reconciles plan and report, and apply nothing.
    pub paused: AtomicBool,
}

impl Actions {
    pub fn new(allowed: bool, token: Option<Token>) -> Actions {
        let random =
            getrandom::u64().unwrap_or_default() as u128 | (u128::from(getrandom::u64().unwrap_or_default()) << 64);
        Actions {
            allowed,
            token,
            csrf: format!("{random:032x}"),
            wake: Notify::new(),
            paused: AtomicBool::new(false),
        }
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }
}

/// Refuses actions on an address other machines reach without a bearer token.
pub fn check_exposure(addr: SocketAddr, actions: &Actions) -> Result<(), String> {
    if actions.allowed && actions.token.is_none() && !addr.ip().is_loopback() {
        return Err(format!(
            "--allow-actions on {addr} needs a bearer token: anyone who reaches this address could trigger reconciles or pause applying
hint: set TELFORM_WATCH_TOKEN in watch's environment (a systemd EnvironmentFile, not the manifest folder), or listen on 127.0.0.1"
        ));
    }
    Ok(())
}

/// What the endpoints read.
#[derive(Clone)]
pub struct Console {
    pub shared: Shared,
    pub actions: Arc<Actions>,
    /// The history's store (`--apply` with a store).
    pub store: Option<StoreConfig>,
    /// The estates (providers' URLs) this watch reconciles: the history shows their runs.
    pub estates: Vec<String>,
    /// Metrics and health, beside the status.
    pub ops: Ops,
}

/// Locks the status. A panic elsewhere while holding it must not take the endpoints down.
pub fn lock(shared: &Shared) -> MutexGuard<'_, Status> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What `/healthz` judges besides the loop's state: whether the folder is watched, and when
/// a reconcile last succeeded.
#[derive(Debug)]
pub struct Health {
    /// `--healthz-max-age`.
    max_age: Duration,
    started: Instant,
    inner: Mutex<HealthInner>,
}

#[derive(Debug, Default)]
struct HealthInner {
    last_success: Option<Instant>,
    /// Why the folder is not watched, while it is not.
    unwatched: Option<String>,
}

impl Health {
    pub fn new(max_age: Duration) -> Health {
        Health {
            max_age,
            started: Instant::now(),
            inner: Mutex::new(HealthInner::default()),
        }
    }

    fn inner(&self) -> MutexGuard<'_, HealthInner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A reconcile succeeded (in sync, pending or applied).
    pub fn succeeded(&self) {
        self.inner().last_success = Some(Instant::now());
    }

    /// The folder is not watched any more (`None`: it is again).
    pub fn unwatched(&self, reason: Option<String>) {
        self.inner().unwatched = reason;
    }

    /// `Err(reason)` when watch is not doing its job.
    pub fn verdict(&self, state: State) -> Result<(), String> {
        if matches!(state, State::Stopping | State::Stopped) {
            return Err(state.name().to_string());
        }
        let inner = self.inner();
        if let Some(reason) = &inner.unwatched {
            return Err(format!("not watching: {reason}"));
        }
        let since = inner.last_success.unwrap_or(self.started);
        if since.elapsed() > self.max_age {
            let what = match inner.last_success {
                Some(_) => "no reconcile has succeeded",
                None => "no reconcile has succeeded since watch started",
            };
            return Err(format!(
                "{what} for {} (--healthz-max-age {}): see /status for the last error",
                crate::clock::human(since.elapsed()),
                crate::clock::human(self.max_age)
            ));
        }
        Ok(())
    }
}

/// What the server serves beside the status.
#[derive(Clone)]
pub struct Ops {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
}

/// A running status server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks one) and serves until [`Server::stop`].
    pub async fn start(addr: SocketAddr, console: Console) -> Result<Server, String> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            format!(
                "cannot listen on {addr}: {e}\nhint: pick a free port (--listen 127.0.0.1:0 picks one and prints it)"
            )
        })?;
        Server::serve(listener, addr, console)
    }

    /// Serves on a listener bound beforehand.
    pub async fn start_on(
        listener: std::net::TcpListener,
        addr: SocketAddr,
        console: Console,
    ) -> Result<Server, String> {
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Server::serve(listener, addr, console)
    }

    fn serve(listener: tokio::net::TcpListener, addr: SocketAddr, console: Console) -> Result<Server, String> {
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let router = Router::new()
            .route("/status", get(status))
            .route("/", get(overview))
            .route("/runs/{id}", get(run))
            .route("/actions/reconcile", post(reconcile_now))
            .route("/actions/pause", post(pause))
            .route("/actions/resume", post(resume))
            .with_state(console.clone())
            .merge(ops_routes(console.shared.clone(), console.ops.clone()))
            .layer(axum::middleware::from_fn_with_state(addr, guard_host));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            // An accept error ends the endpoints, never the loop (the log still works).
            if let Err(error) = served.await {
                eprintln!("telform watch: the status endpoint stopped: {error}");
            }
        });
        Ok(Server {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Answers only requests that name this server, and forbids framing its pages.
///
/// On a loopback address, a page of another site whose name was re-bound to 127.0.0.1 (DNS
/// rebinding) is same-origin to the browser: its script could read the page (and the form's
/// token) and post the actions. Only the `Host` header gives it away, so it must name a
/// loopback address or `localhost`, with this port. Off loopback, the actions need the bearer
/// token, which a rebound page does not have. A page in another site's frame could be clicked
/// through (clickjacking): no page of watch may be framed.
async fn guard_host(
    Extract(listen): Extract<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = match request.headers().get(header::HOST).map(|v| v.to_str()) {
        None => None,
        Some(Ok(host)) => Some(host),
        Some(Err(_)) => Some(""),
    };
    if !host_names_this_server(listen, host) {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this watch answers to http://{listen}/ and http://localhost:{}/ only\n",
                listen.port()
            ),
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// Whether `host` (a `Host` header; `None` when absent, as from a client that is not a browser)
/// names the server listening on `listen`. See [`guard_host`].
fn host_names_this_server(listen: SocketAddr, host: Option<&str>) -> bool {
    if !listen.ip().is_loopback() {
        return true;
    }
    let Some(host) = host else {
        return true;
    };
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((name, rest)) => (name, rest.strip_prefix(':')),
            None => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port_matches = match port {
        Some(port) => port.parse::<u16>().ok() == Some(listen.port()),
        None => listen.port() == 80,
    };
    let loopback =
        name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    port_matches && loopback
}

/// `/healthz` and `/metrics`, which read the health and the metrics beside the status.
fn ops_routes(shared: Shared, ops: Ops) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .with_state((shared, ops))
}

/// 200 while the loop runs (idle or reconciling), watches the folder and has succeeded
/// within `--healthz-max-age`; otherwise 503 with the reason, so that a load balancer, a
/// supervisor or an alert stops counting on it.
async fn healthz(Extract((shared, ops)): Extract<(Shared, Ops)>) -> Response {
    let state = lock(&shared).state;
    match ops.health.verdict(state) {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
    }
}

async fn metrics_text(Extract((_, ops)): Extract<(Shared, Ops)>) -> Response {
    (
        [
            (header::CONTENT_TYPE, metrics::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        ops.metrics.encode(),
    )
        .into_response()
}

async fn status(Extract(console): Extract<Console>) -> Response {
    let json = lock(&console.shared).json();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json,
    )
        .into_response()
}

fn html(code: StatusCode, html: String) -> Response {
    (
        code,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// The runs of the store on this watch's estates, newest first: at most `limit`, each with at
/// most `changes` of its changes. Only `run`, when given.
async fn history(console: &Console, limit: usize, run: Option<i64>, changes: usize) -> History {
    let Some(config) = &console.store else {
        return History::NoStore;
    };
    let read = async {
        let store = Store::open(&config.location).await.map_err(|e| e.to_string())?;
        store
            .history(&Filter {
                limit: if run.is_some() { 1 } else { HISTORY_READ },
                run,
                changes_per_run: Some(changes),
                ..Filter::default()
            })
            .await
            .map_err(|e| e.to_string())
    };
    match read.await {
        Ok(runs) => History::Runs(
            runs.into_iter()
                .filter(|r| r.start.estates.iter().any(|e| console.estates.contains(e)))
                .take(limit)
                .collect(),
        ),
        Err(message) => History::Unreadable(super::status::strip_ansi(&message)),
    }
}

async fn overview(Extract(console): Extract<Console>) -> Response {
    // The list shows how many changes each run made, not the changes.
    let history = history(&console, HISTORY_LISTED, None, 0).await;
    let view = ActionsView {
        allowed: console.actions.allowed,
        csrf: &console.actions.csrf,
        token_required: console.actions.token.is_some(),
    };
    let page = page::overview(&lock(&console.shared), &view, &history);
    html(StatusCode::OK, page)
}

async fn run(Extract(console): Extract<Console>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return html(
            StatusCode::NOT_FOUND,
            page::message_page("No such run", "A run is named by its number, e.g. /runs/12."),
        );
    };
    let found: Option<RunRecord> = match history(&console, 1, Some(id), RUN_PAGE_CHANGES).await {
        History::Runs(runs) => runs.into_iter().find(|r| r.id == id),
        History::NoStore => {
            return html(
                StatusCode::NOT_FOUND,
                page::message_page(
                    "No history",
                    "This watch has no store: it records applies with --apply.",
                ),
            );
        }
        History::Unreadable(message) => {
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                page::message_page("Cannot read the store", &message),
            );
        }
    };
    match found {
        Some(run) => html(StatusCode::OK, page::run_page(&run)),
        None => html(
            StatusCode::NOT_FOUND,
            page::message_page(
                "No such run",
                &format!("There is no run #{id} on the providers this watch reconciles."),
            ),
        ),
    }
}

#[derive(serde::Deserialize)]
struct ActionForm {
    csrf: Option<String>,
}

/// Why an action is refused, or `None` when it may run. See the module's documentation.
fn refusal(
    headers: &HeaderMap,
    form: &Result<Form<ActionForm>, FormRejection>,
    actions: &Actions,
) -> Option<(StatusCode, &'static str)> {
    if !actions.allowed {
        return Some((
            StatusCode::FORBIDDEN,
            "actions are off: start watch with --allow-actions to use them\n",
        ));
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    // Browsers say where a request comes from; only the page itself (or a person typing) may act.
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && site != "same-origin"
        && site != "none"
    {
        return Some((StatusCode::FORBIDDEN, "cross-site request refused\n"));
    }
    if let Some(origin) = text(header::ORIGIN) {
        // Either scheme: behind a TLS reverse proxy (that passes `Host` on) the page is https.
        let host = text(header::HOST).unwrap_or_default();
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if host.is_empty() || origin_host != Some(host) {
            return Some((StatusCode::FORBIDDEN, "cross-origin request refused\n"));
        }
    }
    if let Some(token) = &actions.token {
        let given = text(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| token.matches(g.trim())) {
            return Some((
                StatusCode::UNAUTHORIZED,
                "this watch asks for its bearer token: Authorization: Bearer <token>\n",
            ));
        }
    }
    let csrf = form.as_ref().ok().and_then(|Form(f)| f.csrf.as_deref());
    if csrf != Some(actions.csrf.as_str()) {
        return Some((
            StatusCode::FORBIDDEN,
            "the form's token is missing or stale: reload the page and try again\n",
        ));
    }
    None
}

async fn act(
    console: &Console,
    headers: &HeaderMap,
    form: &Result<Form<ActionForm>, FormRejection>,
    act: impl FnOnce(&Console),
) -> Response {
    if let Some((code, message)) = refusal(headers, form, &console.actions) {
        return (code, [(header::CACHE_CONTROL, "no-store")], message).into_response();
    }
    act(console);
    // Back to the page, which shows the result (a GET: a reload does not post again).
    Redirect::to("/").into_response()
}

async fn reconcile_now(
    Extract(console): Extract<Console>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    act(&console, &headers, &form, |c| c.actions.wake.notify_one()).await
}

async fn pause(
    Extract(console): Extract<Console>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    act(&console, &headers, &form, |c| set_paused(c, true)).await
}

async fn resume(
    Extract(console): Extract<Console>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    act(&console, &headers, &form, |c| set_paused(c, false)).await
}

fn set_paused(console: &Console, paused: bool) {
    console.actions.paused.store(paused, Ordering::SeqCst);
    lock(&console.shared).paused = paused;
    if !paused {
        // What piled up while paused is applied now, not at the next drift check.
        console.actions.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ops(max_age: Duration) -> Ops {
        Ops {
            metrics: Arc::new(Metrics::new()),
            health: Arc::new(Health::new(max_age)),
        }
    }

    #[tokio::test]
    async fn healthz_is_503_once_the_loop_is_stopping() {
        let shared: Shared = Arc::new(Mutex::new(Status::new(
            "manifests".into(),
            true,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )));
        let ops = ops(Duration::from_secs(3600));
        let console = Console {
            shared: shared.clone(),
            actions: Arc::new(Actions::new(false, None)),
            store: None,
            estates: Vec::new(),
            ops: ops.clone(),
        };
        let server = Server::start("127.0.0.1:0".parse().expect("address"), console)
            .await
            .expect("listens");
        let url = format!("http://{}/healthz", server.addr);
        let get = || async { reqwest::get(&url).await.expect("answers") };
        lock(&shared).state = State::Reconciling;
        assert_eq!(get().await.status(), StatusCode::OK);
        ops.health.unwatched(Some("the folder is gone".into()));
        let response = get().await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.text().await.expect("body"),
            "not watching: the folder is gone\n"
        );
        ops.health.unwatched(None);
        assert_eq!(get().await.status(), StatusCode::OK);
        lock(&shared).state = State::Stopping;
        let response = get().await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.text().await.expect("body"), "stopping\n");
        server.stop().await;
    }

    #[test]
    fn health_fails_when_no_reconcile_succeeded_within_the_max_age() {
        let health = Health::new(Duration::from_millis(30));
        assert_eq!(health.verdict(State::Idle), Ok(()));
        std::thread::sleep(Duration::from_millis(40));
        let reason = health.verdict(State::Idle).expect_err("too old");
        assert!(reason.contains("since watch started"), "{reason}");
        health.succeeded();
        assert_eq!(health.verdict(State::Idle), Ok(()));
        std::thread::sleep(Duration::from_millis(40));
        let reason = health.verdict(State::Reconciling).expect_err("too old");
        assert!(reason.starts_with("no reconcile has succeeded for"), "{reason}");
    }

    #[test]
    fn only_requests_that_name_this_server_are_answered_on_loopback() {
        let here: SocketAddr = "127.0.0.1:9464".parse().expect("address");
        for host in [
            "127.0.0.1:9464",
            "localhost:9464",
            "LOCALHOST:9464",
            "[::1]:9464",
            "127.0.0.2:9464",
        ] {
            assert!(host_names_this_server(here, Some(host)), "{host}");
        }
        assert!(host_names_this_server(here, None), "a client that is not a browser");
        for host in [
            "evil.example:9464",
            "evil.example",
            "127.0.0.1:9465",
            "127.0.0.1",
            "localhost.evil.example:9464",
            "[::1",
            "",
            "10.0.0.1:9464",
        ] {
            assert!(!host_names_this_server(here, Some(host)), "{host}");
        }
        let everywhere: SocketAddr = "0.0.0.0:9464".parse().expect("address");
        assert!(host_names_this_server(everywhere, Some("watch.ops.example:9464")));
    }

    #[tokio::test]
    async fn a_rebound_name_is_refused_and_no_page_may_be_framed() {
        let shared: Shared = Arc::new(Mutex::new(Status::new(
            "manifests".into(),
            true,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )));
        let console = Console {
            shared,
            actions: Arc::new(Actions::new(true, None)),
            store: None,
            estates: Vec::new(),
            ops: ops(Duration::from_secs(3600)),
        };
        let server = Server::start("127.0.0.1:0".parse().expect("address"), console)
            .await
            .expect("listens");
        let client = reqwest::Client::new();
        let page = |host: String| {
            let request = client
                .get(format!("http://{}/", server.addr))
                .header(header::HOST, host);
            async move { request.send().await.expect("answers") }
        };
        let own = page(server.addr.to_string()).await;
        assert_eq!(own.status(), StatusCode::OK);
        assert_eq!(own.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(own.headers()[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
        let rebound = page(format!("evil.example:{}", server.addr.port())).await;
        assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
        let body = rebound.text().await.expect("body");
        assert!(!body.contains("csrf"), "{body}");
        let post = client
            .post(format!("http://{}/actions/resume", server.addr))
            .header(header::HOST, format!("evil.example:{}", server.addr.port()))
            .header(header::ORIGIN, format!("http://evil.example:{}", server.addr.port()))
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf", "anything")])
            .send()
            .await
            .expect("answers");
        assert_eq!(post.status(), StatusCode::MISDIRECTED_REQUEST);
        server.stop().await;
    }

    #[test]
    fn actions_on_a_reachable_address_need_a_token_and_it_is_never_shown() {
        let open = Actions::new(true, None);
        let error = check_exposure("0.0.0.0:9464".parse().expect("address"), &open).expect_err("refused");
        assert!(error.contains("TELFORM_WATCH_TOKEN"), "{error}");
        assert!(check_exposure("127.0.0.1:9464".parse().expect("address"), &open).is_ok());
        assert!(check_exposure("[::1]:9464".parse().expect("address"), &open).is_ok());
        let off = Actions::new(false, None);
        assert!(check_exposure("0.0.0.0:9464".parse().expect("address"), &off).is_ok());
        let token = Token::new("s3cret-token".into()).expect("a token");
        assert_eq!(format!("{token:?}"), "Token(hidden)");
        assert!(token.matches("s3cret-token") && !token.matches("s3cret-tokeN") && !token.matches(""));
        let guarded = Actions::new(true, Some(token));
        assert!(check_exposure("0.0.0.0:9464".parse().expect("address"), &guarded).is_ok());
        assert!(Token::new("  ".into()).is_none());
    }
}
