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

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::WebexClient;
use super::page::{List, Paging, lookup_items, walk};
use crate::model::ProviderName;
use crate::model::Stop;
use crate::model::webex::mac_key;
pub use crate::provider::http::pause;
use crate::provider::http::{Attempt, ProviderError, RetryBudget, STOP_CHECK, retryable, write_once};
use crate::wire::encode;
use crate::wire::webex::{
    CreatedId, Customer, Device, DeviceMembers, Location, PutMembers, ResourceUrl, Subscriber, Workspace,
};

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

    fn map<U>(self, f: impl FnOnce(T) -> U) -> Made<U> {
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

/// `GET /wholesale/customers?externalId=`: an exact filter; Webex documents no page limit
/// (so a short page is not trusted to be the last).
const CUSTOMERS: Lookup = Lookup::Offset {
    param: "offset",
    max: 100,
    trusted: false,
};
/// `GET /wholesale/subscribers?email=`: an exact filter, 100 per page at most.
const SUBSCRIBERS: Lookup = Lookup::Offset {
    param: "offset",
    max: 100,
    trusted: true,
};
/// `GET /workspaces?displayName=`: a substring filter, no `Link`.
const WORKSPACES: Lookup = Lookup::Offset {
    param: "start",
    max: 1000,
    trusted: true,
};

/// How a lookup's list is paged: by `Link` alone (no `max` asked), or by offset with `max`
/// asked of every page (see [`Paging`]).
#[derive(Debug, Clone, Copy)]
enum Lookup {
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
                    Err(check_error) => {
                        return Err(Failed {
                            error: ProviderError {
                                message: format!(
                                    "{}; its outcome is unknown, and checking whether it happened failed: {}",
                                    error.message, check_error.message
                                ),
                                hint: "run `telform plan` to see whether it happened; apply again converges (telform looks the object up before writing it again)".into(),
                                ..error
                            },
                            uncertain,
                        });
                    }
                }
            }
            if self.budget.gives_up(attempt, started, wait) {
                let hint = if uncertain {
                    "it may or may not have happened: run `telform plan` to see, then apply again (telform looks the object up before writing it again)".to_string()
                } else {
                    error.hint.clone()
                };
                return Err(Failed {
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
                });
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
            let wait = match self.client.request(Method::GET, url).send().await {
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

    // ---- customers -------------------------------------------------------------------------

    /// The customer with this external id (with its packages' licence ids).
    pub async fn find_customer(&self, ext: &str) -> Result<Option<Customer>, ProviderError> {
        self.lookup(
            &format!("look up customer {ext}"),
            "/wholesale/customers",
            &[
                ("externalId", ext.to_string()),
                ("includePackageLicenseInfo", "true".into()),
            ],
            CUSTOMERS,
            |c: &Customer| c.external_id == ext,
        )
        .await
    }

    pub async fn get_customer(&self, ext: &str, id: &str) -> Result<Option<Customer>, ProviderError> {
        let url = self.url(
            &format!("/wholesale/customers/{}", encode(id)),
            &[("includePackageLicenseInfo", "true".into())],
        );
        self.get(&format!("read customer {ext}"), &url).await
    }

    /// `POST /wholesale/customers` (202): the new customer's id.
    pub async fn create_customer(&self, ext: &str, body: &Value) -> Result<Made<String>, ProviderError> {
        const COMPARED: &[(&str, &str)] = &[("packages", "/packages"), ("orgId", "/orgId"), ("address", "/address")];
        let request = Request::new(
            format!("create customer {ext}"),
            Method::POST,
            self.url("/wholesale/customers", &[]),
            Some(body.clone()),
        );
        let operation = request.operation.clone();
        self.create(
            &request,
            |bytes| {
                let answer: ResourceUrl = parse(&operation, bytes)?;
                let id = customer_id_of(&answer.url).ok_or_else(|| {
                    bug(
                        &operation,
                        format!("the answer's url `{}` names no customer", answer.url),
                    )
                })?;
                Ok(Customer {
                    id,
                    ..Customer::default()
                })
            },
            async || self.find_customer(ext).await,
            |found| differs(body, found, COMPARED),
        )
        .await
        .map(|made| made.map(|c| c.id))
    }

    /// `PUT /wholesale/customers/{id}` (202). An update whose answer was lost shows as the
    /// customer `updating`; sent again it would be refused (409) while Webex works on it.
    pub async fn update_customer(&self, ext: &str, id: &str, body: &Value) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update customer {ext}"),
            Method::PUT,
            self.url(&format!("/wholesale/customers/{}", encode(id)), &[]),
            Some(body.clone()),
        );
        let check = async || {
            let current = self.get_customer(ext, id).await?;
            Ok(current
                .filter(|c| c.status == crate::wire::webex::CUSTOMER_UPDATING)
                .map(|_| ()))
        };
        match self.send(&request, check).await {
            Ok(_) => Ok(()),
            Err(failed) => Err(failed.error),
        }
    }

    /// `DELETE /wholesale/customers/{id}` (202).
    pub async fn delete_customer(&self, ext: &str, id: &str) -> Result<Gone, ProviderError> {
        let request = Request::new(
            format!("delete customer {ext}"),
            Method::DELETE,
            self.url(&format!("/wholesale/customers/{}", encode(id)), &[]),
            None,
        );
        let check = async || {
            let current = self.get_customer(ext, id).await?;
            Ok(match current {
                None => Some(()),
                Some(c) if c.status == crate::wire::webex::CUSTOMER_DELETING => Some(()),
                Some(_) => None,
            })
        };
        gone(self.send(&request, check).await.map(|_| ()))
    }

    // ---- locations and numbers -------------------------------------------------------------

    pub async fn find_location(&self, ext: &str, org: &str, name: &str) -> Result<Option<Location>, ProviderError> {
        // `name` is a substring filter; names are unique regardless of case.
        self.lookup(
            &format!("look up location `{name}` of customer {ext}"),
            "/locations",
            &[("orgId", org.to_string()), ("name", name.to_string())],
            Lookup::Link,
            |l: &Location| l.name.eq_ignore_ascii_case(name),
        )
        .await
    }

    /// `POST /locations?orgId=` (201 `{id}`): the new location's id.
    pub async fn create_location(&self, ext: &str, org: &str, body: &Value) -> Result<Made<String>, ProviderError> {
        let name = body["name"].as_str().unwrap_or_default().to_string();
        let request = Request::new(
            format!("create location `{name}` of customer {ext}"),
            Method::POST,
            self.url("/locations", &[("orgId", org.to_string())]),
            Some(body.clone()),
        );
        let operation = request.operation.clone();
        const COMPARED: &[(&str, &str)] = &[
            ("timeZone", "/timeZone"),
            ("preferredLanguage", "/preferredLanguage"),
            ("address", "/address"),
        ];
        self.create(
            &request,
            |bytes| {
                let id = parse::<CreatedId>(&operation, bytes)?.id;
                Ok(Location {
                    id,
                    ..Location::default()
                })
            },
            async || self.find_location(ext, org, &name).await,
            |found| differs(body, found, COMPARED),
        )
        .await
        .map(|made| made.map(|l| l.id))
    }

    pub async fn update_location(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update location `{name}` of customer {ext}"),
            Method::PUT,
            self.url(&format!("/locations/{}", encode(id)), &[("orgId", org.to_string())]),
            Some(body.clone()),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    pub async fn delete_location(&self, ext: &str, org: &str, id: &str, name: &str) -> Result<Gone, ProviderError> {
        let request = Request::new(
            format!("delete location `{name}` of customer {ext}"),
            Method::DELETE,
            self.url(&format!("/locations/{}", encode(id)), &[("orgId", org.to_string())]),
            None,
        );
        self.delete(&request).await
    }

    /// Adds numbers to a location. Webex ignores numbers the location already has, so a lost
    /// answer is simply sent again.
    pub async fn add_numbers(
        &self,
        ext: &str,
        org: &str,
        location: (&str, &str),
        numbers: &[String],
    ) -> Result<(), ProviderError> {
        let request = Request::new(
            format!(
                "add {} to location `{}` of customer {ext}",
                numbers_text(numbers),
                location.1
            ),
            Method::POST,
            self.url(
                &format!("/telephony/config/locations/{}/numbers", encode(location.0)),
                &[("orgId", org.to_string())],
            ),
            Some(json!({"phoneNumbers": numbers})),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    /// Removes numbers from a location (numbers it does not have are ignored).
    pub async fn remove_numbers(
        &self,
        ext: &str,
        org: &str,
        location: (&str, &str),
        numbers: &[String],
    ) -> Result<(), ProviderError> {
        let request = Request::new(
            format!(
                "remove {} from location `{}` of customer {ext}",
                numbers_text(numbers),
                location.1
            ),
            Method::DELETE,
            self.url(
                &format!("/telephony/config/locations/{}/numbers", encode(location.0)),
                &[("orgId", org.to_string())],
            ),
            Some(json!({"phoneNumbers": numbers})),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    // ---- subscribers -----------------------------------------------------------------------

    pub async fn find_subscriber(
        &self,
        ext: &str,
        customer_id: &str,
        email: &str,
    ) -> Result<Option<Subscriber>, ProviderError> {
        self.lookup(
            &format!("look up user {email} of customer {ext}"),
            "/wholesale/subscribers",
            &[("customerId", customer_id.to_string()), ("email", email.to_string())],
            SUBSCRIBERS,
            |s: &Subscriber| s.email.eq_ignore_ascii_case(email),
        )
        .await
    }

    pub async fn create_subscriber(&self, ext: &str, body: &Value) -> Result<Made<Subscriber>, ProviderError> {
        let email = body["email"].as_str().unwrap_or_default().to_string();
        let customer_id = body["customerId"].as_str().unwrap_or_default().to_string();
        let request = Request::new(
            format!("create user {email} of customer {ext}"),
            Method::POST,
            self.url("/wholesale/subscribers", &[]),
            Some(body.clone()),
        );
        let operation = request.operation.clone();
        self.create(
            &request,
            |bytes| parse(&operation, bytes),
            async || self.find_subscriber(ext, &customer_id, &email).await,
            |found| {
                // A subscriber answers its package(s) only: the one asked for must be among them.
                let wanted: Vec<&str> = match body["packages"].as_array() {
                    Some(list) => list.iter().filter_map(Value::as_str).collect(),
                    None => body["package"].as_str().into_iter().collect(),
                };
                let has = |p: &str| {
                    found
                        .packages
                        .iter()
                        .chain(&found.package)
                        .any(|h| h.eq_ignore_ascii_case(p))
                };
                let known = !found.packages.is_empty() || found.package.is_some();
                if known && !wanted.iter().all(|p| has(p)) {
                    vec!["packages"]
                } else {
                    Vec::new()
                }
            },
        )
        .await
    }

    pub async fn update_subscriber(&self, ext: &str, id: &str, email: &str, body: &Value) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update user {email} of customer {ext}"),
            Method::PUT,
            self.url(&format!("/wholesale/subscribers/{}", encode(id)), &[]),
            Some(body.clone()),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    pub async fn delete_subscriber(&self, ext: &str, id: &str, email: &str) -> Result<Gone, ProviderError> {
        let request = Request::new(
            format!("delete user {email} of customer {ext}"),
            Method::DELETE,
            self.url(&format!("/wholesale/subscribers/{}", encode(id)), &[]),
            None,
        );
        self.delete(&request).await
    }

    // ---- workspaces ------------------------------------------------------------------------

    /// Webex does not keep workspace names unique: the first one of that name (any case).
    pub async fn find_workspace(&self, ext: &str, org: &str, name: &str) -> Result<Option<Workspace>, ProviderError> {
        self.lookup(
            &format!("look up workspace `{name}` of customer {ext}"),
            "/workspaces",
            &[("orgId", org.to_string()), ("displayName", name.to_string())],
            WORKSPACES,
            |w: &Workspace| w.display_name.eq_ignore_ascii_case(name),
        )
        .await
    }

    pub async fn create_workspace(&self, ext: &str, org: &str, body: &Value) -> Result<Made<Workspace>, ProviderError> {
        let name = body["displayName"].as_str().unwrap_or_default().to_string();
        let request = Request::new(
            format!("create workspace `{name}` of customer {ext}"),
            Method::POST,
            self.url("/workspaces", &[]),
            Some(body.clone()),
        );
        let operation = request.operation.clone();
        self.create(
            &request,
            |bytes| parse(&operation, bytes),
            async || self.find_workspace(ext, org, &name).await,
            |found| {
                const COMPARED: &[(&str, &str)] = &[
                    ("locationId", "/locationId"),
                    ("capacity", "/capacity"),
                    ("type", "/type"),
                    ("supportedDevices", "/supportedDevices"),
                    ("calling", "/calling/type"),
                    ("licenses", "/calling/webexCalling/licenses"),
                ];
                differs(body, found, COMPARED)
            },
        )
        .await
    }

    pub async fn update_workspace(&self, ext: &str, id: &str, name: &str, body: &Value) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update workspace `{name}` of customer {ext}"),
            Method::PUT,
            self.url(&format!("/workspaces/{}", encode(id)), &[]),
            Some(body.clone()),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    pub async fn delete_workspace(&self, ext: &str, id: &str, name: &str) -> Result<Gone, ProviderError> {
        let request = Request::new(
            format!("delete workspace `{name}` of customer {ext}"),
            Method::DELETE,
            self.url(&format!("/workspaces/{}", encode(id)), &[]),
            None,
        );
        self.delete(&request).await
    }

    // ---- devices ---------------------------------------------------------------------------

    pub async fn find_device(&self, ext: &str, org: &str, mac: &str) -> Result<Option<Device>, ProviderError> {
        let wanted = mac_key(mac);
        self.lookup(
            &format!("look up device {mac} of customer {ext}"),
            "/devices",
            &[("orgId", org.to_string()), ("mac", mac.to_string())],
            Lookup::Link,
            |d: &Device| d.mac.as_deref().map(mac_key).as_deref() == Some(wanted.as_str()),
        )
        .await
    }

    pub async fn get_device(&self, ext: &str, org: &str, id: &str, mac: &str) -> Result<Option<Device>, ProviderError> {
        let url = self.url(&format!("/devices/{}", encode(id)), &[("orgId", org.to_string())]);
        self.get(&format!("read device {mac} of customer {ext}"), &url).await
    }

    /// `POST /devices?orgId=` with the SIP password in the body: the device and its password
    /// are made in one write, so a lost answer cannot leave a device with a password unknown.
    pub async fn create_device(
        &self,
        ext: &str,
        org: &str,
        body: &Value,
        password: Option<&SecretString>,
    ) -> Result<Made<Device>, ProviderError> {
        let mac = body["mac"].as_str().unwrap_or_default().to_string();
        let wanted = body;
        let mut body = body.clone();
        if let Some(password) = password {
            body["password"] = json!(password.expose_secret());
        }
        let request = Request {
            secret: password,
            ..Request::new(
                format!("create device {mac} of customer {ext}"),
                Method::POST,
                self.url("/devices", &[("orgId", org.to_string())]),
                Some(body),
            )
        };
        let operation = request.operation.clone();
        self.create(
            &request,
            |bytes| parse(&operation, bytes),
            async || self.find_device(ext, org, &mac).await,
            |found| {
                let mut fields = differs(
                    wanted,
                    found,
                    &[("personId", "/personId"), ("workspaceId", "/workspaceId")],
                );
                // The answer names the model by its display name (`Cisco 8851` for `DMS Cisco 8851`).
                if let (Some(model), Some(product)) = (wanted["model"].as_str(), found.product.as_deref()) {
                    let (model, product) = (normal(model), normal(product));
                    if !(model.ends_with(&product) || product.ends_with(&model)) {
                        fields.push("model");
                    }
                }
                fields
            },
        )
        .await
    }

    pub async fn delete_device(&self, ext: &str, org: &str, id: &str, mac: &str) -> Result<Gone, ProviderError> {
        let request = Request::new(
            format!("delete device {mac} of customer {ext}"),
            Method::DELETE,
            self.url(&format!("/devices/{}", encode(id)), &[("orgId", org.to_string())]),
            None,
        );
        self.delete(&request).await
    }

    /// `PUT /telephony/config/devices/{id}` `{sipPassword}` (204): a reset, idempotent.
    pub async fn set_sip_password(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        password: &SecretString,
    ) -> Result<(), ProviderError> {
        let request = Request {
            secret: Some(password),
            ..Request::new(
                format!("set the SIP password of device {mac} of customer {ext}"),
                Method::PUT,
                self.url(
                    &format!("/telephony/config/devices/{}", encode(id)),
                    &[("orgId", org.to_string())],
                ),
                Some(json!({"sipPassword": password.expose_secret()})),
            )
        };
        self.idempotent(&request).await.map(|_| ())
    }

    /// Sets a device's tags (json-patch `replace` of the whole list: idempotent).
    pub async fn set_tags(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        tags: &[String],
    ) -> Result<(), ProviderError> {
        let request = Request {
            content_type: Some("application/json-patch+json"),
            ..Request::new(
                format!("tag device {mac} of customer {ext}"),
                Method::PATCH,
                self.url(&format!("/devices/{}", encode(id)), &[("orgId", org.to_string())]),
                Some(json!([{"op": "replace", "path": "tags", "value": tags}])),
            )
        };
        self.idempotent(&request).await.map(|_| ())
    }

    pub async fn device_members(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
    ) -> Result<DeviceMembers, ProviderError> {
        let operation = format!("read the lines of device {mac} of customer {ext}");
        let url = self.url(
            &format!("/telephony/config/devices/{}/members", encode(id)),
            &[("orgId", org.to_string())],
        );
        self.get(&operation, &url).await?.ok_or_else(|| ProviderError {
            provider: P,
            operation,
            status: Some(404),
            code: None,
            message: "the device no longer exists".into(),
            tracking_id: None,
            hint: "run `telform plan` again".into(),
        })
    }

    /// `PUT …/members`: replaces the device's whole line list (idempotent).
    pub async fn put_members(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        members: &PutMembers,
    ) -> Result<(), ProviderError> {
        let body = serde_json::to_value(members).map_err(|e| bug("encode device lines", e.to_string()))?;
        let request = Request::new(
            format!("set the lines of device {mac} of customer {ext}"),
            Method::PUT,
            self.url(
                &format!("/telephony/config/devices/{}/members", encode(id)),
                &[("orgId", org.to_string())],
            ),
            Some(body),
        );
        self.idempotent(&request).await.map(|_| ())
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn numbers_text(numbers: &[String]) -> String {
    match numbers {
        [one] => format!("number {one}"),
        [first, .., last] => format!("{} numbers ({first}..{last})", numbers.len()),
        [] => "no number".into(),
    }
}

/// The customer id at the end of a `{url}` answer (`…/wholesale/customers/{id}`).
fn customer_id_of(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let (_, id) = path.trim_end_matches('/').rsplit_once("/wholesale/customers/")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pause_holds_every_caller_until_it_passes() {
        let gate = Gate::default();
        let stop = Stop::default();
        let timed = async || {
            let started = Instant::now();
            let open = gate.wait(&stop).await;
            (open, started.elapsed())
        };
        assert!(
            timed().await.1 < Duration::from_millis(20),
            "an open gate does not wait"
        );
        gate.pause(Duration::from_millis(150));
        // A shorter pause does not shorten the longer one.
        gate.pause(Duration::from_millis(10));
        let (a, b) = tokio::join!(timed(), timed());
        assert!(
            a.1 >= Duration::from_millis(140) && b.1 >= Duration::from_millis(140),
            "{a:?} {b:?}"
        );
        assert!(a.0 && b.0, "both let through");
        assert!(timed().await.1 < Duration::from_millis(20), "the gate opens again");
    }

    #[tokio::test]
    async fn ctrl_c_ends_every_wait_at_once() {
        let gate = Gate::default();
        let stop = Stop::default();
        gate.pause(Duration::from_secs(60));
        let started = Instant::now();
        let (open, slept, ()) = tokio::join!(gate.wait(&stop), pause(Duration::from_secs(60), &stop), async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            stop.request();
        });
        assert!(!open, "the closed gate lets nobody through once stopped");
        assert!(!slept, "the sleep says it was cut short");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        // An open gate lets a caller through even after a stop (the caller decides).
        assert!(Gate::default().wait(&stop).await);
    }

    #[test]
    fn what_was_to_be_written_is_compared_with_what_webex_shows() {
        let body = json!({
            "packages": ["webex_calling", "common_area_calling"],
            "orgId": null,
            "address": {"addressLine1": "1 rue de Rivoli", "city": "Paris", "country": "FR"},
            "externalId": "ACME",
        });
        let found = Customer {
            id: "c1".into(),
            external_id: "ACME".into(),
            packages: vec!["common_area_calling".into(), "webex_calling".into()],
            address: Some(crate::wire::webex::Address {
                address_line1: "1 Rue de Rivoli ".into(),
                city: "PARIS".into(),
                zip_or_postal_code: Some("75001".into()),
                country: "FR".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let fields: &[(&str, &str)] = &[("packages", "/packages"), ("orgId", "/orgId"), ("address", "/address")];
        // Order of lists, case and spaces, and what was not asked for do not count.
        assert!(differs(&body, &found, fields).is_empty());
        let other = Customer {
            packages: vec!["webex_calling".into()],
            org_id: Some("org-2".into()),
            ..found.clone()
        };
        assert_eq!(differs(&body, &other, fields), vec!["packages"]);
        let moved = json!({"orgId": "org-1", "packages": ["webex_calling"]});
        assert_eq!(differs(&moved, &other, fields), vec!["orgId"]);
    }

    #[test]
    fn errors_never_echo_the_password() {
        let secret = SecretString::from("s3cret-Pa55");
        let error = ProviderError {
            provider: P,
            operation: "set the SIP password of device X".into(),
            status: Some(400),
            code: Some("25000".into()),
            message: "password s3cret-Pa55 is too weak".into(),
            tracking_id: None,
            hint: "h".into(),
        };
        let shown = redact(error, Some(&secret)).to_string();
        assert!(!shown.contains("s3cret-Pa55"), "{shown}");
        assert!(shown.contains("password <redacted> is too weak"), "{shown}");
    }

    #[test]
    fn the_customer_id_is_read_from_the_answer_url() {
        assert_eq!(
            customer_id_of("https://webexapis.com/v1/wholesale/customers/Y2lz-1").as_deref(),
            Some("Y2lz-1")
        );
        assert_eq!(
            customer_id_of("http://x/webex/v1/wholesale/customers/abc?x=1").as_deref(),
            Some("abc")
        );
        assert_eq!(customer_id_of("http://x/other/abc"), None);
        assert_eq!(customer_id_of("http://x/wholesale/customers/"), None);
    }

    #[test]
    fn number_lists_are_named_briefly() {
        assert_eq!(numbers_text(&["+1".into()]), "number +1");
        assert_eq!(
            numbers_text(&["+1".into(), "+2".into(), "+3".into()]),
            "3 numbers (+1..+3)"
        );
    }
}
