//! What every ACG operation shares: the Azure.Core error body, the answer and its headers,
//! authentication and authorisation of the bearer token, `api-version`, replays of repeatable
//! requests (`Repeatability-Request-ID`), `If-Match`/`If-None-Match`, and paging
//! (`maxpagesize`, `skip`, `top`, `skipToken`, `countRecords`).

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::repeat::{self, Repeat};
use super::store;
use crate::emulator::{App, now_ms};
use crate::wire::acg::{API_VERSION, ErrorResponse, Paged};
use crate::wire::encode;

pub(super) type Params = HashMap<String, String>;

/// The Azure.Core error body, with `x-ms-error-code`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorResponse {
        error: crate::wire::acg::Error {
            code: code.to_string(),
            message: message.to_string(),
            target: None,
        },
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-ms-error-code", value);
    }
    response
}

/// 405 with the methods the path has in `Allow` (RFC 9110 requires it; Webex sends it too).
pub(super) fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("the method is not allowed here; allowed: {allow}"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The router's 405 for a path that does not have the method: the Azure.Core body (axum adds
/// the `Allow` header from the route's methods).
pub(super) async fn method_not_allowed_fallback() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "the method is not allowed here (see the Allow header)",
    )
}

pub(super) fn bad_request(code: &str, message: impl AsRef<str>) -> Response {
    error(StatusCode::BAD_REQUEST, code, message.as_ref())
}

/// A successful answer, before headers common to every response are added.
pub(super) struct Reply {
    status: StatusCode,
    pub(super) etag: Option<String>,
    body: Option<String>,
    record_count: Option<usize>,
}

impl Reply {
    pub(super) fn json<T: Serialize>(status: StatusCode, etag: Option<String>, body: &T) -> Reply {
        Reply {
            status,
            etag,
            body: Some(serde_json::to_string(body).unwrap_or_default()),
            record_count: None,
        }
    }

    pub(super) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            etag: None,
            body: None,
            record_count: None,
        }
    }

    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
            None => self.status.into_response(),
        };
        if let Some(etag) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        if let Some(count) = self.record_count {
            response
                .headers_mut()
                .insert("x-ms-record-count", HeaderValue::from(count));
        }
        response
    }
}

/// What every call carries: identity, version, correlation and idempotency headers.
pub(super) struct Call {
    client_request_id: Option<HeaderValue>,
    /// The write's valid repeatability headers, and the fingerprint of the request.
    repeat: Option<(Repeat, u64)>,
}

/// Authenticates, authorises and checks `api-version`. A replayed repeatable request comes
/// back as `Err` with the first answer.
fn begin(app: &App, method: &Method, headers: &HeaderMap, params: &Params, fingerprint: u64) -> Result<Call, Response> {
    let now = now_ms();
    let mut store = App::lock(&app.acg);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let roles = match token.and_then(|t| store.tokens.get(t)) {
        Some(issued) if issued.expires_ms > now => issued.roles.clone(),
        Some(_) => return Err(unauthorized("the access token has expired")),
        None if token.is_some() => return Err(unauthorized("the access token is not valid")),
        None => return Err(unauthorized("no bearer token: send Authorization: Bearer <token>")),
    };
    let needed = match *method {
        Method::GET | Method::HEAD => "ProvisioningAPI.Read",
        Method::DELETE => "ProvisioningAPI.Delete",
        _ => "ProvisioningAPI.Write",
    };
    if !roles.iter().any(|r| r == needed || r == "ProvisioningAPI.Admin") {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("the caller lacks the app role {needed} (or ProvisioningAPI.Admin)"),
        ));
    }
    match params.get("api-version").map(String::as_str) {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(bad_request(
                "UnsupportedApiVersion",
                format!("api-version {other} is not supported; use {API_VERSION}"),
            ));
        }
        None => {
            return Err(bad_request(
                "MissingApiVersionParameter",
                format!("the api-version query parameter is required ({API_VERSION})"),
            ));
        }
    }
    let client_request_id = headers.get("x-ms-client-request-id").cloned();
    // The spec types it as a UUID: anything else is refused rather than echoed.
    if let Some(id) = &client_request_id
        && !id.to_str().is_ok_and(super::rules::is_guid)
    {
        return Err(bad_request(
            "InvalidHeaderValue",
            "x-ms-client-request-id must be a UUID, e.g. 5a6b7c8d-0000-4000-8000-000000000001",
        ));
    }
    let mut call = Call {
        client_request_id,
        repeat: None,
    };
    // Reads are repeatable by nature: their repeatability headers are not looked at.
    if *method != Method::GET && *method != Method::HEAD {
        let repeat = repeat::headers(headers, now).map_err(|r| decorate(&call, r))?;
        if let Some(repeat) = repeat {
            store.expire_replays(now);
            if let Some(replay) = store.replays.get(&repeat.id) {
                // The same id with another request: never answer it with the first's result.
                if replay.fingerprint != fingerprint {
                    return Err(decorate(
                        &call,
                        repeat::rejected(
                            StatusCode::BAD_REQUEST,
                            "RepeatabilityRequestIdReused",
                            "this Repeatability-Request-ID was used for another request: use a new id for each request",
                        ),
                    ));
                }
                call.repeat = Some((repeat, fingerprint));
                let reply = Reply {
                    status: StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK),
                    etag: replay.etag.clone(),
                    body: (!replay.body.is_empty()).then(|| replay.body.clone()),
                    record_count: None,
                };
                return Err(finish(&call, reply));
            }
            call.repeat = Some((repeat, fingerprint));
        }
    }
    Ok(call)
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "Unauthorized", message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn finish(call: &Call, reply: Reply) -> Response {
    decorate(call, reply.into_response())
}

/// Adds the correlation headers every answer carries, errors included.
fn decorate(call: &Call, mut response: Response) -> Response {
    if let Some(id) = &call.client_request_id {
        response.headers_mut().insert("x-ms-client-request-id", id.clone());
    }
    // A rejection says so itself; anything else under valid headers was accepted.
    if call.repeat.is_some() && !response.headers().contains_key("repeatability-result") {
        response
            .headers_mut()
            .insert("repeatability-result", HeaderValue::from_static("accepted"));
    }
    response
}

/// Runs an operation between [`begin`] and [`finish`], keeping the answer of a successful
/// repeatable write for replays. `fingerprint` identifies the request (method, path, query,
/// body: [`repeat::fingerprint`]) for writes; reads pass 0, they are never replayed.
pub(super) async fn handle(
    app: Arc<App>,
    method: Method,
    headers: HeaderMap,
    params: Params,
    fingerprint: u64,
    operation: impl FnOnce(&App, &Call) -> Result<Reply, Response>,
) -> Response {
    let call = match begin(&app, &method, &headers, &params, fingerprint) {
        Ok(call) => call,
        Err(response) => return response,
    };
    let reply = match operation(&app, &call) {
        Ok(reply) => reply,
        Err(response) => return decorate(&call, response),
    };
    if let Some((repeat, fingerprint)) = &call.repeat {
        let mut store = App::lock(&app.acg);
        store.replays.insert(
            repeat.id.clone(),
            store::Replay {
                at_ms: repeat.first_sent_ms,
                fingerprint: *fingerprint,
                status: reply.status.as_u16(),
                etag: reply.etag.clone(),
                body: reply.body.clone().unwrap_or_default(),
            },
        );
    }
    if method != Method::GET {
        app.changed();
    }
    finish(&call, reply)
}

pub(super) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request("InvalidRequestBody", format!("the request body is not valid: {e}")))
}

/// `If-Match` / `If-None-Match` against the current ETag (`None`: the resource does not exist).
pub(super) fn preconditions(headers: &HeaderMap, current: Option<&str>) -> Result<(), Response> {
    let failed = || {
        error(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "the resource changed (or exists, or does not) contrary to the request's condition",
        )
    };
    if let Some(expected) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        let matches = match current {
            None => false,
            Some(_) if expected.trim() == "*" => true,
            Some(etag) => expected.split(',').any(|e| e.trim() == etag),
        };
        if !matches {
            return Err(failed());
        }
    }
    if let Some(unwanted) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let matches = match current {
            None => false,
            Some(_) if unwanted.trim() == "*" => true,
            Some(etag) => unwanted.split(',').any(|e| e.trim() == etag),
        };
        if matches {
            return Err(failed());
        }
    }
    Ok(())
}

// ---- paging -----------------------------------------------------------------------------

const DEFAULT_PAGE: usize = 200;
const MAX_PAGE: usize = 500;

pub(super) struct Page {
    skip: usize,
    top: Option<usize>,
    size: usize,
    /// The last key of the previous page, from `nextLink`.
    pub(super) after: Option<String>,
    pub(super) count: bool,
}

pub(super) fn page(params: &Params) -> Result<Page, Response> {
    let int = |key: &str| -> Result<Option<usize>, Response> {
        params
            .get(key)
            .map(|v| {
                // The swagger types them as int32.
                v.parse::<i32>()
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        bad_request(
                            "InvalidQueryParameter",
                            format!("{key}={v} is not a non-negative 32-bit integer"),
                        )
                    })
            })
            .transpose()
    };
    let size = int("maxpagesize")?.unwrap_or(DEFAULT_PAGE);
    if size == 0 {
        return Err(bad_request("InvalidQueryParameter", "maxpagesize must be at least 1"));
    }
    Ok(Page {
        skip: int("skip")?.unwrap_or(0),
        top: int("top")?,
        size: size.min(MAX_PAGE),
        after: params.get("skipToken").cloned(),
        count: boolean(params, "countRecords")?.unwrap_or(false),
    })
}

/// A boolean query parameter (`countRecords`, `deleteNumbers`): `true` or `false`, anything
/// else a 400 (read as false, a typo would silently change what the call does).
pub(super) fn boolean(params: &Params, key: &str) -> Result<Option<bool>, Response> {
    match params.get(key).map(String::as_str) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(bad_request(
            "InvalidQueryParameter",
            format!("{key}={other} is not true or false"),
        )),
    }
}

/// Takes one page of `keys` (already positioned after `page.after`) and builds its `nextLink`.
pub(super) fn window<'a>(
    keys: impl Iterator<Item = &'a String>,
    page: &Page,
    app: &App,
    path: &str,
) -> (Vec<&'a String>, Option<String>) {
    let skip = if page.after.is_some() { 0 } else { page.skip };
    let limit = page.size.min(page.top.unwrap_or(usize::MAX));
    let mut keys = keys.skip(skip);
    let taken: Vec<&String> = keys.by_ref().take(limit).collect();
    let remaining_top = page.top.map(|t| t - taken.len());
    let more = taken.len() == limit && remaining_top != Some(0) && keys.next().is_some();
    let next = more.then(|| {
        let mut link = format!(
            "{}/acg{path}?api-version={API_VERSION}&maxpagesize={}&skipToken={}",
            app.base_url,
            page.size,
            encode(taken.last().map_or("", |k| k.as_str()))
        );
        if let Some(top) = remaining_top {
            link.push_str(&format!("&top={top}"));
        }
        if page.count {
            link.push_str("&countRecords=true");
        }
        link
    });
    (taken, next)
}

pub(super) fn after<'a, V>(
    map: &'a std::collections::BTreeMap<String, V>,
    page: &Page,
) -> impl Iterator<Item = &'a String> {
    let start = match &page.after {
        Some(key) => Bound::Excluded(key.clone()),
        None => Bound::Unbounded,
    };
    map.range((start, Bound::Unbounded)).map(|(k, _)| k)
}

pub(super) fn paged_reply<T: Serialize>(value: Vec<T>, next_link: Option<String>, total: Option<usize>) -> Reply {
    let mut reply = Reply::json(StatusCode::OK, None, &Paged { value, next_link });
    reply.record_count = total;
    reply
}
