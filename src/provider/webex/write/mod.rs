//! Webex writes, and the reads apply needs to resolve natural keys to ids.
//!
//! Webex has no idempotency key (api-webex.md §4.6): a write whose answer was lost (timeout,
//! dropped connection, 5xx after sending) may or may not have happened. Before such a write is
//! sent again, the object is looked up by its natural key (customer by external id, subscriber
//! by email, location and workspace by name, device by MAC); if it is there, the write
//! happened and is not repeated. This matters most where Webex has no unique constraint
//! (workspaces by name): a resend there would make a second one. Writes that are idempotent by
//! nature (PUT, the tags PATCH with `replace`, adding numbers a location already has, DELETE)
//! are simply sent again.
//!
//! A lookup reads every page of the filtered list and matches the key exactly (Webex's name
//! filters are substring matches; emails and names compare without case), so that it never
//! misses in a large organisation.
//!
//! A creation answered 409 (it exists) with no earlier attempt of this run in doubt is read
//! back and compared with what was to be written: the same → an earlier apply made it;
//! different → someone else made it since the plan, and it is reported, never overwritten.
//!
//! Webex's rate limit is adaptive (api-webex.md §4.5: no published figure): a 429 closes a
//! [`Gate`] shared by every call of every branch until its `Retry-After` has passed, so that
//! the other branches stop too instead of each collecting its own 429.
//!
//! Ctrl-C ([`Stop`]): no wait (the gate, a retry's backoff) outlasts it. A write not sent yet
//! is not sent when nothing of its action was written, or when it would have to wait; its
//! error says [`INTERRUPTED`].

mod kinds;

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::WebexClient;
use super::page::{List, Paging, lookup_items, walk};
use crate::model::ProviderName;
use crate::model::Stop;
pub use crate::provider::http::pause;
use crate::provider::http::{Attempt, ProviderError, RetryBudget, STOP_CHECK, retryable, write_once};

const P: ProviderName = ProviderName::Webex;

/// Waits shorter than this are not worth a progress note.
const NOTE_WAIT: Duration = Duration::from_secs(1);

/// What every error of a write or read given up because of Ctrl-C says.
pub const INTERRUPTED: &str = "apply was interrupted";

/// "Not before": while Webex rate limits, no call goes out.
#[derive(Debug, Default)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    /// Holds every call back for `wait` from now (a later pause already set is kept).
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut guard = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none_or(|t| t < until) {
            *guard = Some(until);
        }
    }

    /// Returns once the gate is open (`true`), or at once when apply is interrupted while it
    /// is closed (`false`: the caller is not let through).
    pub async fn wait(&self, stop: &Stop) -> bool {
        loop {
            let until = *self.not_before.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                // Another 429 may push the instant further while this one sleeps: look again.
                Some(t) if t > Instant::now() => {
                    if stop.requested() {
                        return false;
                    }
                    let slice = (t - Instant::now()).min(STOP_CHECK);
                    tokio::time::sleep(slice).await;
                }
                _ => return true,
            }
        }
    }
}

/// One write.
pub struct Request<'a> {
    /// What telform is doing, for errors: "create device 805EC03A710C of customer ACME-0001".
    pub operation: String,
    pub method: Method,
    pub url: String,
    pub body: Option<Value>,
    /// `application/json` unless said.
    pub content_type: Option<&'static str>,
    /// A password the body carries: never echoed, even if the provider's error quotes it.
    pub secret: Option<&'a SecretString>,
}

impl Request<'_> {
    pub fn new(operation: String, method: Method, url: String, body: Option<Value>) -> Request<'static> {
        Request {
            operation,
            method,
            url,
            body,
            content_type: None,
            secret: None,
        }
    }
}

/// How a write went through.
#[derive(Debug)]
pub enum Sent<T> {
    /// The provider answered with success: its body.
    Answered(bytes::Bytes),
    /// An attempt's outcome was unknown, and the check by natural key found the write applied.
    Found(T),
}

/// A write that did not go through.
#[derive(Debug)]
pub struct Failed {
    pub error: ProviderError,
    /// An earlier attempt's outcome was unknown: it may have been applied (a 409 or 404 now
    /// may be that attempt's doing).
    pub uncertain: bool,
}

/// What a creation found or made.
#[derive(Debug, Clone, PartialEq)]
pub enum Made<T> {
    /// Written by this call (possibly by an attempt whose answer was lost).
    New(T),
    /// It was there before the first attempt (Webex answered 409, and the object found by its
    /// key is the one to be written): an earlier apply made it.
    Existed(T),
}

impl<T> Made<T> {
    pub fn get(&self) -> &T {
        match self {
            Made::New(t) | Made::Existed(t) => t,
        }
    }

    pub(super) fn map<U>(self, f: impl FnOnce(T) -> U) -> Made<U> {
        match self {
            Made::New(t) => Made::New(f(t)),
            Made::Existed(t) => Made::Existed(f(t)),
        }
    }
}

/// What a deletion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    Deleted,
    /// Not there at the first attempt (404): nothing was written.
    AlreadyGone,
}

/// How a lookup's list is paged: by `Link` alone (no `max` asked), or by offset with `max`
/// asked of every page (see [`Paging`]).
#[derive(Debug, Clone, Copy)]
pub(super) enum Lookup {
    Link,
    Offset {
        param: &'static str,
        max: usize,
        trusted: bool,
    },
}

/// Every Webex write of one branch (one customer). Branches share the rate-limit [`Gate`];
/// each counts the writes it sends, so that apply knows whether an interrupted action wrote
/// anything.
pub struct WebexWriter<'a> {
    pub client: &'a WebexClient,
    gate: &'a Gate,
    budget: RetryBudget,
    stop: &'a Stop,
    /// Hears about waits (rate limits, retries) for the progress display.
    on_wait: &'a (dyn Fn(&str) + Sync),
    /// Attempts sent by this writer that may have been applied (answered with success, or
    /// with their outcome unknown).
    sent: AtomicU64,
    /// `sent` when the current action began.
    mark: AtomicU64,
}

/// Replaces any occurrence of the secret in the error (a provider could quote the body).
fn redact(mut error: ProviderError, secret: Option<&SecretString>) -> ProviderError {
    let Some(secret) = secret.map(ExposeSecret::expose_secret).filter(|s| !s.is_empty()) else {
        return error;
    };
    for field in [&mut error.message, &mut error.hint, &mut error.operation] {
        if field.contains(secret) {
            *field = field.replace(secret, "<redacted>");
        }
    }
    for field in [&mut error.code, &mut error.tracking_id].into_iter().flatten() {
        if field.contains(secret) {
            *field = field.replace(secret, "<redacted>");
        }
    }
    error
}

fn parse<T: DeserializeOwned>(operation: &str, bytes: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(bytes).map_err(|e| crate::provider::http::not_json(P, operation, &e))
}

fn bug(operation: &str, message: String) -> ProviderError {
    ProviderError {
        provider: P,
        operation: operation.to_string(),
        status: None,
        code: None,
        message,
        tracking_id: None,
        hint: "this is a bug in telform: please report it".into(),
    }
}

/// A call given up because apply was interrupted before it was sent.
fn not_sent(operation: &str, what: &str) -> ProviderError {
    ProviderError {
        provider: P,
        operation: operation.to_string(),
        status: None,
        code: None,
        message: format!("not {what}: {INTERRUPTED}"),
        tracking_id: None,
        hint: "run `telform apply` again".into(),
    }
}

/// A 404 after an unknown outcome is that attempt's doing; at the first attempt, it was gone.
fn gone(result: Result<(), Failed>) -> Result<Gone, ProviderError> {
    match result {
        Ok(()) => Ok(Gone::Deleted),
        Err(Failed { error, uncertain }) if error.status == Some(404) => {
            Ok(if uncertain { Gone::Deleted } else { Gone::AlreadyGone })
        }
        Err(failed) => Err(failed.error),
    }
}

/// Text as Webex may normalise it: trimmed, without case.
fn normal(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Whether what was to be written (`want`) is what Webex shows (`have`). What was not asked
/// for, or what the answer does not show, is not compared; lists are compared as sets.
fn same(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::String(a), Value::String(b)) => normal(a) == normal(b),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| same(x, y))),
        (Value::Object(a), Value::Object(b)) => a.iter().all(|(k, v)| same(v, b.get(k).unwrap_or(&Value::Null))),
        (a, b) => a == b,
    }
}

/// The fields (name, JSON pointer in the body and in the answer) in which an object found at
/// Webex is not what `body` was to write.
fn differs(body: &Value, found: &impl serde::Serialize, fields: &[(&'static str, &str)]) -> Vec<&'static str> {
    let Ok(found) = serde_json::to_value(found) else {
        return vec!["(unreadable)"];
    };
    fields
        .iter()
        .filter(|(_, pointer)| {
            let want = body.pointer(pointer).unwrap_or(&Value::Null);
            !same(want, found.pointer(pointer).unwrap_or(&Value::Null))
        })
        .map(|(name, _)| *name)
        .collect()
}

/// A write whose outcome is unknown, and the check by natural key failed too.
fn check_failed(error: ProviderError, check_error: &ProviderError) -> Failed {
    Failed {
        error: ProviderError {
            message: format!(
                "{}; its outcome is unknown, and checking whether it happened failed: {}",
                error.message, check_error.message
            ),
            hint: "run `telform plan` to see whether it happened; apply again converges (telform looks the object up before writing it again)".into(),
            ..error
        },
        uncertain: true,
    }
}

/// A write given up when the retry budget is spent.
fn gave_up(error: ProviderError, attempt: u32, started: Instant, uncertain: bool) -> Failed {
    let hint = if uncertain {
        "it may or may not have happened: run `telform plan` to see, then apply again (telform looks the object up before writing it again)".to_string()
    } else {
        error.hint.clone()
    };
    Failed {
        error: ProviderError {
            message: format!(
                "{} (gave up after {attempt} attempts in {} s)",
                error.message,
                started.elapsed().as_secs()
            ),
            hint,
            ..error
        },
        uncertain,
    }
}

impl<'a> WebexWriter<'a> {
    pub fn new(
        client: &'a WebexClient,
        gate: &'a Gate,
        budget: RetryBudget,
        stop: &'a Stop,
        on_wait: &'a (dyn Fn(&str) + Sync),
    ) -> WebexWriter<'a> {
        WebexWriter {
            client,
            gate,
            budget,
            stop,
            on_wait,
            sent: AtomicU64::new(0),
            mark: AtomicU64::new(0),
        }
    }

    /// A new action begins: nothing of it is written yet.
    pub fn begin_action(&self) {
        self.mark.store(self.sent.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Whether a write of the current action may have been applied.
    pub fn wrote(&self) -> bool {
        self.sent.load(Ordering::Relaxed) != self.mark.load(Ordering::Relaxed)
    }

    /// Waits for the gate (`false`: apply was interrupted while it was closed). Silent: the
    /// 429 that closed it was noted once (every branch waiting would repeat it).
    pub async fn open(&self) -> bool {
        self.gate.wait(self.stop).await
    }

    fn rate_limited(&self, attempt: u32, retry_after: Option<&str>) {
        let wait = self.budget.wait(attempt, retry_after);
        if wait >= NOTE_WAIT {
            (self.on_wait)(&format!(
                "Webex is rate limiting: every call waits {} s (Retry-After)",
                wait.as_secs()
            ));
        }
        self.gate.pause(wait);
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        self.client.url(path, query)
    }

    /// Sends a write, retrying within the budget what is safe to retry. After an attempt whose
    /// outcome is unknown, `check` looks the object up by its natural key before anything is
    /// sent again: `Some` means the write happened. A write that is idempotent passes a check
    /// answering `None`.
    ///
    /// Interrupted (Ctrl-C), an attempt is not sent when it would have to wait (the gate, a
    /// retry) or nothing of the current action was written yet; a write in doubt is not sent
    /// again either (the error says so).
    pub async fn send<T>(
        &self,
        request: &Request<'_>,
        check: impl AsyncFn() -> Result<Option<T>, ProviderError>,
    ) -> Result<Sent<T>, Failed> {
        let operation = request.operation.as_str();
        let body = match &request.body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| Failed {
                error: bug(operation, format!("cannot encode the request: {e}")),
                uncertain: false,
            })?),
            None => None,
        };
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut uncertain = false;
        let mut last: Option<ProviderError> = None;
        loop {
            attempt += 1;
            let open = self.open().await;
            if self.stop.requested() && (attempt > 1 || !open || !self.wrote()) {
                return Err(self.interrupted(operation, uncertain, last));
            }
            let mut builder = self.client.request(request.method.clone(), &request.url);
            if let Some(body) = &body {
                builder = builder
                    .header(CONTENT_TYPE, request.content_type.unwrap_or("application/json"))
                    .body(body.clone());
            }
            let answer = write_once(P, &self.client.stats, operation, builder).await;
            if matches!(answer, Attempt::Done { .. } | Attempt::Unknown { .. }) {
                self.sent.fetch_add(1, Ordering::Relaxed);
            }
            let (error, wait, unknown) = match answer {
                Attempt::Done { body, .. } => return Ok(Sent::Answered(body)),
                Attempt::Rejected { error } => {
                    return Err(Failed {
                        error: redact(error, request.secret),
                        uncertain,
                    });
                }
                Attempt::NotApplied { retry_after, error } => {
                    if error.status == Some(429) {
                        // The gate holds this call back too: no sleep of its own.
                        self.rate_limited(attempt, retry_after.as_deref());
                        (error, Duration::ZERO, false)
                    } else {
                        (error, self.budget.wait(attempt, None), false)
                    }
                }
                Attempt::Unknown { error } => (error, self.budget.wait(attempt, None), true),
            };
            let error = redact(error, request.secret);
            if unknown {
                uncertain = true;
                // Checked at once: an answer lost after the write is the common case, and a
                // write found applied needs no further wait.
                match check().await {
                    Ok(Some(found)) => return Ok(Sent::Found(found)),
                    Ok(None) => {}
                    Err(check_error) => return Err(check_failed(error, &check_error)),
                }
            }
            if self.budget.gives_up(attempt, started, wait) {
                return Err(gave_up(error, attempt, started, uncertain));
            }
            self.client.stats.retries.fetch_add(1, Ordering::Relaxed);
            if wait >= NOTE_WAIT {
                (self.on_wait)(&format!("retrying {operation} in {} s", wait.as_secs()));
            }
            last = Some(error);
            if !self.budget.sleep(wait, Some(self.stop)).await {
                return Err(self.interrupted(operation, uncertain, last));
            }
        }
    }

    /// A write given up because apply was interrupted: not sent at all, or (`uncertain`) an
    /// attempt in doubt not sent again.
    fn interrupted(&self, operation: &str, uncertain: bool, last: Option<ProviderError>) -> Failed {
        let error = match last {
            Some(last) if uncertain => ProviderError {
                message: format!(
                    "{}; its outcome is unknown, and it was not sent again: {INTERRUPTED}",
                    last.message
                ),
                hint: "run `telform plan` to see whether it happened; apply again converges (telform looks the object up before writing it again)".into(),
                ..last
            },
            _ => not_sent(operation, "sent"),
        };
        Failed { error, uncertain }
    }

    /// A write that can be sent again as it is (PUT, json-patch `replace`, adding numbers).
    pub async fn idempotent(&self, request: &Request<'_>) -> Result<bytes::Bytes, ProviderError> {
        match self.send(request, async || Ok(None::<Infallible>)).await {
            Ok(Sent::Answered(body)) => Ok(body),
            Err(failed) => Err(failed.error),
        }
    }

    /// A creation: `parse` reads the new object from the answer, `find` looks it up by natural
    /// key (after an unknown outcome, and after a 409 that says it exists). A 409 with no
    /// attempt in doubt: the object found must be the one to be written (`differs` names what
    /// is not), or someone else made it since the plan.
    pub async fn create<T>(
        &self,
        request: &Request<'_>,
        parse: impl Fn(&[u8]) -> Result<T, ProviderError>,
        find: impl AsyncFn() -> Result<Option<T>, ProviderError>,
        differs: impl Fn(&T) -> Vec<&'static str>,
    ) -> Result<Made<T>, ProviderError> {
        match self.send(request, &find).await {
            Ok(Sent::Answered(body)) => parse(&body).map(Made::New),
            Ok(Sent::Found(found)) => Ok(Made::New(found)),
            Err(Failed { error, uncertain }) if error.status == Some(409) => match find().await? {
                Some(found) if uncertain => Ok(Made::New(found)),
                Some(found) => match differs(&found).as_slice() {
                    [] => Ok(Made::Existed(found)),
                    fields => Err(ProviderError {
                        message: format!(
                            "it exists already, created by someone else since the plan (it differs in {})",
                            fields.join(", ")
                        ),
                        hint: "run `telform plan` again (telform never overwrites it silently)".into(),
                        ..error
                    }),
                },
                None => Err(error),
            },
            Err(failed) => Err(failed.error),
        }
    }

    /// A deletion: a 404 after an unknown outcome is that attempt's doing.
    pub async fn delete(&self, request: &Request<'_>) -> Result<Gone, ProviderError> {
        let sent = self.send(request, async || Ok(None::<Infallible>)).await;
        gone(sent.map(|_| ()))
    }

    /// Reads one object or list page through the gate, retrying rate limits, server errors
    /// and broken connections; `None` for a 404. Interrupted, a read that would have to wait
    /// is given up.
    async fn read(&self, operation: &str, url: &str) -> Result<Option<(bytes::Bytes, HeaderMap)>, ProviderError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if !self.open().await || (attempt > 1 && self.stop.requested()) {
                return Err(not_sent(operation, "read"));
            }
            self.client.stats.reads.fetch_add(1, Ordering::Relaxed);
            let last = self.budget.last(attempt, started);
            let sent = self.client.request(Method::GET, url).send().await;
            if let Ok(response) = &sent {
                self.client.stats.answered(response.status());
            }
            let wait = match sent {
                Ok(response) if response.status() == StatusCode::NOT_FOUND => return Ok(None),
                Ok(response) if response.status().is_success() => {
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(bytes) => return Ok(Some((bytes, headers))),
                        Err(error) if last => return Err(ProviderError::transport(P, operation, &error)),
                        Err(_) => self.budget.wait(attempt, None),
                    }
                }
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS && !last => {
                    let retry_after = header(response.headers(), "retry-after");
                    self.rate_limited(attempt, retry_after.as_deref());
                    Duration::ZERO
                }
                Ok(response) if retryable(response.status()) && !last => self.budget.wait(attempt, None),
                Ok(response) => return Err(ProviderError::from_response(P, operation, response).await),
                Err(error) if !last && !error.is_builder() => self.budget.wait(attempt, None),
                Err(error) => return Err(ProviderError::transport(P, operation, &error)),
            };
            self.client.stats.retries.fetch_add(1, Ordering::Relaxed);
            if !self.budget.sleep(wait, Some(self.stop)).await {
                return Err(not_sent(operation, "read"));
            }
        }
    }

    /// Reads one object; `None` for a 404.
    pub async fn get<T: DeserializeOwned>(&self, operation: &str, url: &str) -> Result<Option<T>, ProviderError> {
        match self.read(operation, url).await? {
            Some((bytes, _)) => parse(operation, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The first item of a filtered list that `matches`, reading page after page until one
    /// does or the list ends.
    async fn lookup<T: DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
        paging: Lookup,
        matches: impl Fn(&T) -> bool,
    ) -> Result<Option<T>, ProviderError> {
        let (max, paging) = match paging {
            Lookup::Link => (None, Paging::Link),
            Lookup::Offset { param, max, trusted } => (Some(max), Paging::Offset { param, trusted }),
        };
        let list = List {
            operation,
            path,
            query: query.to_vec(),
            items: "items",
            max,
            paging,
        };
        let fetch = async |url: &str| self.read(operation, url).await;
        walk(self.client, &list, fetch, lookup_items, |raw| {
            // Through a JSON tree, as lookups always read their items.
            let not_json = |e| crate::provider::http::not_json(P, operation, &e);
            let item: Value = serde_json::from_str(raw.get()).map_err(not_json)?;
            let item: T = serde_json::from_value(item).map_err(not_json)?;
            Ok(if matches(&item) {
                ControlFlow::Break(item)
            } else {
                ControlFlow::Continue(())
            })
        })
        .await
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

#[cfg(test)]
mod tests;
