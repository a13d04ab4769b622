//! What both clients share: errors that say what failed and what to do, the one retry policy
//! ([`RetryBudget`]) and the reads it retries.

use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::CallStats;
use crate::diag::Problem;
use crate::model::{ProviderName, Stop};

/// A failed provider call, with everything a user needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub provider: ProviderName,
    /// What telform was doing, e.g. "list the numbers of account contoso".
    pub operation: String,
    pub status: Option<u16>,
    /// The provider's error code (`x-ms-error-code`, Webex `errorCode`).
    pub code: Option<String>,
    pub message: String,
    pub tracking_id: Option<String>,
    pub hint: String,
}

impl ProviderError {
    /// What went wrong and what to do, as every runtime problem is reported.
    pub fn problem(&self) -> Problem {
        let provider = match self.provider {
            ProviderName::Acg => "ACG",
            ProviderName::Webex => "Webex",
        };
        let mut message = format!("{provider}: cannot {}", self.operation);
        if let Some(status) = self.status {
            message.push_str(&format!(": HTTP {status}"));
        }
        if let Some(code) = &self.code {
            message.push_str(&format!(" {code}"));
        }
        if !self.message.is_empty() {
            message.push_str(&format!(": {}", self.message));
        }
        if let Some(id) = &self.tracking_id {
            message.push_str(&format!(" (tracking id {id})"));
        }
        Problem::new(message).hint(self.hint.clone())
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.problem().fmt(f)
    }
}

impl std::error::Error for ProviderError {}

impl ProviderError {
    pub fn transport(provider: ProviderName, operation: &str, error: &reqwest::Error) -> ProviderError {
        // reqwest's message never holds a header (so no token); the URL it may hold carries no
        // secret. Its causes say what happened ("connection refused", "dns error"): reqwest's
        // own message alone ("error sending request") does not.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !message.contains(&cause_text) {
                message.push_str(&format!(": {cause_text}"));
            }
            source = cause.source();
        }
        ProviderError {
            provider,
            operation: operation.to_string(),
            status: None,
            code: None,
            message,
            tracking_id: None,
            hint: "check that the URL is right and the provider reachable (TELFORM_ACG_URL / TELFORM_WEBEX_URL)".into(),
        }
    }

    /// The same error with another hint.
    pub fn with_hint(mut self, hint: &str) -> ProviderError {
        self.hint = hint.to_string();
        self
    }

    /// Builds the error of a non-success response from its body and headers.
    pub async fn from_response(provider: ProviderName, operation: &str, response: Response) -> ProviderError {
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (code, message, tracking_id) = match provider {
            ProviderName::Acg => (
                header("x-ms-error-code").or_else(|| body["error"]["code"].as_str().map(str::to_string)),
                body["error"]["message"].as_str().unwrap_or_default().to_string(),
                header("x-ms-request-id").or_else(|| header("apim-request-id")),
            ),
            ProviderName::Webex => (
                // Webex's `errorCode` is a number (a string is tolerated).
                match &body["errors"][0]["errorCode"] {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                },
                body["message"].as_str().unwrap_or_default().to_string(),
                body["trackingId"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| header("trackingid")),
            ),
        };
        let hint = hint_for(provider, status, &message);
        ProviderError {
            provider,
            operation: operation.to_string(),
            status: Some(status.as_u16()),
            code,
            message,
            tracking_id,
            hint,
        }
    }
}

fn hint_for(provider: ProviderName, status: StatusCode, message: &str) -> String {
    match (provider, status) {
        (ProviderName::Acg, StatusCode::UNAUTHORIZED) => {
            "check TELFORM_ACG_CLIENT_ID, TELFORM_ACG_CLIENT_SECRET, TELFORM_ACG_TENANT and TELFORM_ACG_SCOPE".into()
        }
        (ProviderName::Webex, StatusCode::UNAUTHORIZED) => "check TELFORM_WEBEX_TOKEN (it may have expired)".into(),
        (ProviderName::Acg, StatusCode::FORBIDDEN) => format!(
            "the app registration lacks an app role ({}): ask your Entra admin to grant it",
            if message.contains("ProvisioningAPI") {
                message
            } else {
                "ProvisioningAPI.Read, .Write, .Delete or .Admin"
            }
        ),
        (ProviderName::Webex, StatusCode::FORBIDDEN) => {
            format!("the Webex token lacks a scope or admin role needed here: {message}")
        }
        (_, StatusCode::TOO_MANY_REQUESTS) => {
            "the provider is rate limiting: retry later, or lower the request rate".into()
        }
        (_, s) if s.is_server_error() => {
            "the provider failed: retry later; if it persists, contact its support with the tracking id".into()
        }
        (_, StatusCode::NOT_FOUND) => {
            "the object does not exist (any more) at the provider: run `telform plan` again".into()
        }
        (_, StatusCode::PRECONDITION_FAILED) => {
            "someone changed the object since telform read it: run `telform plan` again".into()
        }
        _ => "fix the manifest or the request as the message says, then run telform again".into(),
    }
}

/// Retries of safe calls: at most this many attempts.
const MAX_ATTEMPTS: u32 = 6;
/// Longest wait telform honours from a `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Whether a status is worth retrying for a safe (read) call.
pub fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// The wait before attempt `attempt` (1-based retry count): `Retry-After` when given, else
/// exponential backoff with full jitter.
pub fn backoff(attempt: u32, retry_after: Option<&str>) -> Duration {
    if let Some(secs) = retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
        return Duration::from_secs(secs).min(MAX_RETRY_AFTER);
    }
    let cap = Duration::from_millis(200 * 2u64.pow(attempt.min(7)));
    cap.mul_f64(jitter())
}

fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .elapsed()
            .map_or(0, |d| d.as_nanos() as u64),
    );
    0.5 + (hasher.finish() % 1000) as f64 / 2000.0
}

/// A successful read: the JSON body and the response headers.
pub struct Read {
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

/// Like [`read_bytes`], with the body parsed as JSON.
pub async fn read_json(
    provider: ProviderName,
    stats: &CallStats,
    operation: &str,
    request: impl Fn() -> RequestBuilder,
) -> Result<Read, ProviderError> {
    read_json_paced(provider, stats, operation, request, || std::future::ready(())).await
}

/// [`read_json`] paced as [`read_bytes_paced`].
pub async fn read_json_paced<F: std::future::Future<Output = ()>>(
    provider: ProviderName,
    stats: &CallStats,
    operation: &str,
    request: impl Fn() -> RequestBuilder,
    pace: impl Fn() -> F,
) -> Result<Read, ProviderError> {
    let (bytes, headers) = read_bytes_paced(provider, stats, operation, request, pace).await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| not_json(provider, operation, &e))?
    };
    Ok(Read { body, headers })
}

/// The error of an answer that is not the JSON expected.
pub fn not_json(provider: ProviderName, operation: &str, error: &serde_json::Error) -> ProviderError {
    ProviderError {
        provider,
        operation: operation.to_string(),
        status: None,
        code: None,
        message: format!("unexpected answer: {error}"),
        tracking_id: None,
        hint: "check that the URL points at the provider's API, in the version telform speaks".into(),
    }
}

/// Sends a safe request and reads its body, retrying rate limits, server errors and broken
/// connections (also when the body breaks off). `request` builds a fresh request for each
/// attempt. The raw bytes let a caller parse straight into its types: a page of 500 numbers
/// parsed through a JSON tree first costs twice the time.
pub async fn read_bytes(
    provider: ProviderName,
    stats: &CallStats,
    operation: &str,
    request: impl Fn() -> RequestBuilder,
) -> Result<(bytes::Bytes, reqwest::header::HeaderMap), ProviderError> {
    read_bytes_paced(provider, stats, operation, request, || std::future::ready(())).await
}

/// [`read_bytes`], waiting on `pace` before every attempt, retries included: a retry spends
/// the provider's request budget like any call.
pub async fn read_bytes_paced<F: std::future::Future<Output = ()>>(
    provider: ProviderName,
    stats: &CallStats,
    operation: &str,
    request: impl Fn() -> RequestBuilder,
    pace: impl Fn() -> F,
) -> Result<(bytes::Bytes, reqwest::header::HeaderMap), ProviderError> {
    use std::sync::atomic::Ordering;
    let policy = RetryBudget::READS;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let last = policy.last(attempt, started);
        pace().await;
        stats.reads.fetch_add(1, Ordering::Relaxed);
        let sent = request().send().await;
        if let Ok(response) = &sent {
            stats.answered(response.status());
        }
        let retry_after = match sent {
            Ok(response) if response.status().is_success() => {
                let headers = response.headers().clone();
                match response.bytes().await {
                    Ok(bytes) => return Ok((bytes, headers)),
                    Err(_) if !last => None,
                    Err(error) => return Err(ProviderError::transport(provider, operation, &error)),
                }
            }
            Ok(response) if retryable(response.status()) && !last => response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            Ok(response) => return Err(ProviderError::from_response(provider, operation, response).await),
            Err(error) if !last && !error.is_builder() => None,
            Err(error) => return Err(ProviderError::transport(provider, operation, &error)),
        };
        stats.retries.fetch_add(1, Ordering::Relaxed);
        policy.sleep(policy.wait(attempt, retry_after.as_deref()), None).await;
    }
}

/// How one attempt of a write ended.
#[derive(Debug)]
pub enum Attempt {
    /// The provider answered with success.
    Done {
        status: StatusCode,
        body: bytes::Bytes,
        headers: reqwest::header::HeaderMap,
    },
    /// Certainly not applied (429, or the connection never opened): safe to send again after
    /// the wait.
    NotApplied {
        retry_after: Option<String>,
        error: ProviderError,
    },
    /// Sent, but the outcome is unknown (timeout, dropped connection, 5xx): the object must be
    /// checked by its natural key before anything is sent again, unless the request carries a
    /// repeatability id the provider honours.
    Unknown { error: ProviderError },
    /// The provider refused it (4xx): sending it again would fail the same way.
    Rejected { error: ProviderError },
}

/// Sends one write and classifies its outcome. Counts the call.
pub async fn write_once(
    provider: ProviderName,
    stats: &CallStats,
    operation: &str,
    request: RequestBuilder,
) -> Attempt {
    use std::sync::atomic::Ordering;
    stats.writes.fetch_add(1, Ordering::Relaxed);
    let sent = request.send().await;
    if let Ok(response) = &sent {
        stats.answered(response.status());
    }
    match sent {
        Ok(response) if response.status().is_success() => {
            let status = response.status();
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => Attempt::Done { status, body, headers },
                Err(error) => Attempt::Unknown {
                    error: ProviderError::transport(provider, operation, &error),
                },
            }
        }
        Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let error = ProviderError::from_response(provider, operation, response).await;
            Attempt::NotApplied { retry_after, error }
        }
        // A 408 may come after the server started on the request.
        Ok(response) if response.status().is_server_error() || response.status() == StatusCode::REQUEST_TIMEOUT => {
            Attempt::Unknown {
                error: ProviderError::from_response(provider, operation, response).await,
            }
        }
        Ok(response) => Attempt::Rejected {
            error: ProviderError::from_response(provider, operation, response).await,
        },
        // The connection never opened: nothing reached the provider.
        Err(error) if error.is_connect() => Attempt::NotApplied {
            retry_after: None,
            error: ProviderError::transport(provider, operation, &error),
        },
        Err(error) if error.is_builder() => Attempt::Rejected {
            error: ProviderError::transport(provider, operation, &error),
        },
        Err(error) => Attempt::Unknown {
            error: ProviderError::transport(provider, operation, &error),
        },
    }
}

/// The one retry policy of both clients, reads and writes alike: how many attempts, within
/// how long, how long to wait before the next one ([`backoff`]: `Retry-After` honoured, else
/// exponential backoff with full jitter), and a wait that Ctrl-C cuts short when the caller
/// holds the stop flag ([`RetryBudget::sleep`]).
///
/// What is safe to retry stays the caller's decision (a read always is; a write only when it
/// was certainly not applied, carries a repeatability id, or was checked by its natural key).
#[derive(Debug, Clone, Copy)]
pub struct RetryBudget {
    pub attempts: u32,
    /// Total time: no retry starts a wait that would end after it.
    pub within: Duration,
}

impl Default for RetryBudget {
    fn default() -> RetryBudget {
        RetryBudget {
            attempts: MAX_ATTEMPTS,
            within: Duration::from_secs(300),
        }
    }
}

impl RetryBudget {
    /// The reads of a plan: bounded by attempts only.
    pub const READS: RetryBudget = RetryBudget {
        attempts: MAX_ATTEMPTS,
        within: Duration::MAX,
    };

    /// The wait before the attempt after `attempt` (1-based).
    pub fn wait(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        backoff(attempt, retry_after)
    }

    /// Whether `attempt` is the last one, judged before it is sent.
    pub fn last(&self, attempt: u32, started: Instant) -> bool {
        attempt >= self.attempts || started.elapsed() > self.within
    }

    /// Whether to give up after `attempt` rather than wait `wait` for another one.
    pub fn gives_up(&self, attempt: u32, started: Instant, wait: Duration) -> bool {
        attempt >= self.attempts || started.elapsed().saturating_add(wait) > self.within
    }

    /// Sleeps `wait` before a retry; with a stop flag, cut short when apply is interrupted
    /// (`false` then, at once).
    pub async fn sleep(&self, wait: Duration, stop: Option<&Stop>) -> bool {
        match stop {
            Some(stop) => pause(wait, stop).await,
            None => {
                tokio::time::sleep(wait).await;
                true
            }
        }
    }
}

/// How often a wait looks whether apply was interrupted.
pub const STOP_CHECK: Duration = Duration::from_millis(50);

/// Sleeps `wait`, unless apply is interrupted first: `false` then (at once).
pub async fn pause(wait: Duration, stop: &Stop) -> bool {
    let until = tokio::time::Instant::now() + wait;
    loop {
        if stop.requested() {
            return false;
        }
        let now = tokio::time::Instant::now();
        if now >= until {
            return true;
        }
        tokio::time::sleep_until(until.min(now + STOP_CHECK)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_honours_retry_after_and_grows() {
        assert_eq!(backoff(1, Some("7")), Duration::from_secs(7));
        assert_eq!(backoff(1, Some("100000")), MAX_RETRY_AFTER);
        assert!(backoff(1, None) <= Duration::from_millis(400));
        assert!(backoff(5, None) >= Duration::from_millis(3200));
    }

    #[test]
    fn the_retry_policy_bounds_attempts_and_time() {
        let started = Instant::now();
        let budget = RetryBudget {
            attempts: 3,
            within: Duration::from_secs(10),
        };
        assert!(!budget.last(2, started) && budget.last(3, started));
        assert!(!budget.gives_up(2, started, Duration::from_secs(9)));
        assert!(
            budget.gives_up(2, started, Duration::from_secs(11)),
            "a wait past the budget"
        );
        assert!(budget.gives_up(3, started, Duration::ZERO));
        // Reads are bounded by attempts only (no overflow on the unbounded time).
        assert!(!RetryBudget::READS.gives_up(1, started, Duration::MAX));
        assert!(RetryBudget::READS.last(MAX_ATTEMPTS, started));
    }
}
