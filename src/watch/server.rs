//! `--listen`: `/healthz`, `/status`, `/metrics` and `/` for the server watch runs on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::metrics::{self, Metrics};
use super::status::{State, Status};

/// The status the loop writes and the server reads.
pub type Shared = Arc<Mutex<Status>>;

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
    pub async fn start(addr: SocketAddr, shared: Shared, ops: Ops) -> Result<Server, String> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            format!(
                "cannot listen on {addr}: {e}\nhint: pick a free port (--listen 127.0.0.1:0 picks one and prints it)"
            )
        })?;
        Server::serve(listener, addr, shared, ops)
    }

    /// Serves on a listener bound beforehand.
    pub async fn start_on(
        listener: std::net::TcpListener,
        addr: SocketAddr,
        shared: Shared,
        ops: Ops,
    ) -> Result<Server, String> {
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Server::serve(listener, addr, shared, ops)
    }

    fn serve(listener: tokio::net::TcpListener, addr: SocketAddr, shared: Shared, ops: Ops) -> Result<Server, String> {
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let router = Router::new()
            .route("/status", get(status))
            .route("/", get(page))
            .with_state(shared.clone())
            .merge(ops_routes(shared, ops));
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

async fn status(Extract(shared): Extract<Shared>) -> Response {
    let json = lock(&shared).json();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json,
    )
        .into_response()
}

async fn page(Extract(shared): Extract<Shared>) -> Response {
    let html = super::status::html(&lock(&shared));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
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
        let server = Server::start("127.0.0.1:0".parse().expect("address"), shared.clone(), ops.clone())
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
}
