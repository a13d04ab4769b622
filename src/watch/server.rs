//! `--listen`: `/healthz`, `/status` and `/` for the server watch runs on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::status::{State, Status};

/// The status the loop writes and the server reads.
pub type Shared = Arc<Mutex<Status>>;

/// Locks the status. A panic elsewhere while holding it must not take the endpoints down.
pub fn lock(shared: &Shared) -> MutexGuard<'_, Status> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running status server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks one) and serves until [`Server::stop`].
    pub async fn start(addr: SocketAddr, shared: Shared) -> Result<Server, String> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            format!(
                "cannot listen on {addr}: {e}\nhint: pick a free port (--listen 127.0.0.1:0 picks one and prints it)"
            )
        })?;
        Server::serve(listener, addr, shared)
    }

    /// Serves on a listener bound beforehand.
    pub async fn start_on(listener: std::net::TcpListener, addr: SocketAddr, shared: Shared) -> Result<Server, String> {
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Server::serve(listener, addr, shared)
    }

    fn serve(listener: tokio::net::TcpListener, addr: SocketAddr, shared: Shared) -> Result<Server, String> {
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let router = Router::new()
            .route("/healthz", get(healthz))
            .route("/status", get(status))
            .route("/", get(page))
            .with_state(shared);
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

/// 200 while the loop runs (idle or reconciling); 503 once it is stopping, so that a load
/// balancer or a supervisor stops counting on it.
async fn healthz(Extract(shared): Extract<Shared>) -> Response {
    let state = lock(&shared).state;
    match state {
        State::Starting | State::Idle | State::Reconciling => (StatusCode::OK, "ok\n").into_response(),
        State::Stopping | State::Stopped => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("{}\n", state.name())).into_response()
        }
    }
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

    #[tokio::test]
    async fn healthz_is_503_once_the_loop_is_stopping() {
        let shared: Shared = Arc::new(Mutex::new(Status::new(
            "manifests".into(),
            true,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )));
        let server = Server::start("127.0.0.1:0".parse().expect("address"), shared.clone())
            .await
            .expect("listens");
        let url = format!("http://{}/healthz", server.addr);
        let get = || async { reqwest::get(&url).await.expect("answers") };
        lock(&shared).state = State::Reconciling;
        assert_eq!(get().await.status(), StatusCode::OK);
        lock(&shared).state = State::Stopping;
        let response = get().await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.text().await.expect("body"), "stopping\n");
        server.stop().await;
    }
}
