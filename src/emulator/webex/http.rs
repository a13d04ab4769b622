//! What every Webex handler needs: the request (headers, query, body), bearer-token scopes,
//! errors in Webex's shape, JSON answers and `Link` paging.

use std::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Store;
use super::scopes;
use crate::emulator::{App, now_ms};
use crate::wire::webex as wire;

/// A refused request: status, optional Webex error code, message.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fail {
    pub status: StatusCode,
    pub code: Option<i64>,
    pub message: String,
}

impl Fail {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Fail {
        Fail {
            status,
            code: None,
            message: message.into(),
        }
    }
    pub fn bad(message: impl Into<String>) -> Fail {
        Fail::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Fail {
        Fail::new(StatusCode::NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> Fail {
        Fail::new(StatusCode::CONFLICT, message)
    }
    pub fn code(mut self, code: i64) -> Fail {
        self.code = Some(code);
        self
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}

pub(super) type Reply = Result<Response, Fail>;

pub(super) fn reply(result: Reply) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `{message, errors: [{errorCode?, description}], trackingId}`, and the tracking id also as a
/// `TrackingID` header (some clients read it from there).
pub(super) fn error_response(status: StatusCode, code: Option<i64>, message: &str) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let tracking_id = format!("EMULATOR_{:08x}_{}", NEXT.fetch_add(1, Ordering::Relaxed), now_ms());
    let body = wire::ErrorBody {
        message: message.to_string(),
        errors: vec![wire::ErrorItem {
            error_code: code,
            description: message.to_string(),
        }],
        tracking_id: Some(tracking_id.clone()),
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&tracking_id) {
        response.headers_mut().insert("trackingid", value);
    }
    response
}

pub(super) async fn unknown_path() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        None,
        "The requested resource could not be found.",
    )
}

pub(super) async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "The request was made to a resource using an HTTP request method that is not supported.",
    )
}

pub(super) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(super) fn with_header(mut response: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// One request: headers, decoded query pairs, body. Reads the whole body, so it is the last
/// extractor of a handler.
pub(super) struct Call {
    pub headers: HeaderMap,
    pub query: Query,
    pub body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let query = Query::parse(parts.uri.query());
        let body = axum::body::to_bytes(body, 16 << 20)
            .await
            .map_err(|_| error_response(StatusCode::PAYLOAD_TOO_LARGE, None, "request body too large"))?;
        Ok(Call {
            headers: parts.headers,
            query,
            body,
        })
    }
}

impl Call {
    /// The JSON body as `T`; a 400 naming the problem otherwise.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Fail> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Fail::bad("a JSON request body is required"));
        }
        // The specs' request bodies are JSON (their 415 is declared): a body sent as anything
        // else is refused. Without a Content-Type the body is read as JSON.
        if let Some(content_type) = self.headers.get(header::CONTENT_TYPE) {
            let text = content_type.to_str().unwrap_or("");
            let media = text.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if media != "application/json" && !media.ends_with("+json") {
                return Err(Fail::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Type `{text}`: send application/json"),
                ));
            }
        }
        let value: serde_json::Value =
            serde_json::from_slice(&self.body).map_err(|e| Fail::bad(format!("invalid request body: {e}")))?;
        no_nulls(&value, "")?;
        serde_json::from_value(value).map_err(|e| Fail::bad(format!("invalid request body: {e}")))
    }

    /// The `orgId` query parameter: the customer organisation a partner acts on. Without it a
    /// partner acts on its own organisation, which holds nothing in the emulator.
    pub fn org_id(&self) -> Option<&str> {
        self.query.get("orgId")
    }
}

/// No Webex request schema the emulator serves declares a nullable field, so a `null` is a
/// 400 naming where it is (never its neighbours' values: a body may hold a password), not
/// read as "absent" the way an `Option` would.
pub(super) fn no_nulls(value: &serde_json::Value, at: &str) -> Result<(), Fail> {
    match value {
        serde_json::Value::Null => Err(Fail::bad(format!(
            "`{}` is null: leave the field out instead",
            if at.is_empty() { "body" } else { at }
        ))),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| no_nulls(v, &format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let at = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            no_nulls(v, &at)
        }),
        _ => Ok(()),
    }
}

/// Locks the store, checks the token and finishes the removals whose time has come.
pub(super) fn begin<'a>(app: &'a App, call: &Call, need: Need) -> Result<(MutexGuard<'a, Store>, u64), Fail> {
    let mut store = App::lock(&app.webex);
    authorize(&store, &call.headers, need)?;
    let now = now_ms();
    if store.settle(now, delay_ms(app)) {
        app.changed();
    }
    Ok((store, now))
}

pub(super) fn delay_ms(app: &App) -> u64 {
    app.timing.webex_provisioning_delay.as_millis() as u64
}

/// Who may call: any one of the listed scopes, or all of them.
#[derive(Debug, Clone, Copy)]
pub(super) enum Need {
    Any(&'static [&'static str]),
    All(&'static [&'static str]),
}

/// 401 without a known bearer token, 403 when it lacks the scopes.
pub(super) fn authorize(store: &Store, headers: &HeaderMap, need: Need) -> Result<(), Fail> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = presented.and_then(|t| store.tokens.iter().find(|known| known.token == t)) else {
        return Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            "The request requires a valid access token set in the Authorization request header.",
        ));
    };
    let has = |scope: &str| token.scopes.iter().any(|s| s == scope || s == scopes::ALL);
    let allowed = match need {
        Need::Any(list) => list.iter().any(|s| has(s)),
        Need::All(list) => list.iter().all(|s| has(s)),
    };
    if allowed {
        Ok(())
    } else {
        let (how, list) = match need {
            Need::Any(list) => ("one of", list),
            Need::All(list) => ("all of", list),
        };
        Err(Fail::new(
            StatusCode::FORBIDDEN,
            format!(
                "The server understood the request, but refused to fulfill it because the access token is missing required scopes ({how}: {}).",
                list.join(", ")
            ),
        ))
    }
}

/// The type of a declared query parameter, for [`Query::declared`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Bool,
    Count,
    Enum(&'static [&'static str]),
}

/// Decoded query pairs, in order, repeated keys kept.
#[derive(Debug, Clone, Default)]
pub(super) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Query(pairs)
    }

    /// The first value of `key`; an empty value counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, comma-separated lists split.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A non-negative integer parameter; above `cap` gives `cap` (Webex silently caps `max`).
    pub fn count(&self, key: &str, default: usize, cap: usize) -> Result<usize, Fail> {
        match self.get(key) {
            None => Ok(default.min(cap)),
            Some(text) => text
                .parse::<usize>()
                .map(|n| n.min(cap))
                .map_err(|_| Fail::bad(format!("`{key}` must be a non-negative integer, not `{text}`"))),
        }
    }

    /// `max`: at least 1 (a page of nothing would never end); above `cap` gives `cap`.
    pub fn page_size(&self, default: usize, cap: usize) -> Result<usize, Fail> {
        match self.count("max", default, cap)? {
            0 => Err(Fail::bad("`max` must be at least 1")),
            n => Ok(n),
        }
    }

    /// A boolean parameter: `true` or `false`; anything else is a 400 (silently reading it as
    /// false would hide a client's typo).
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, Fail> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(Fail::bad(format!("`{key}` must be true or false, not `{other}`"))),
        }
    }

    /// Checks the type of every query parameter the operation declares, honoured or not: a
    /// value of the wrong type is a 400 naming it, as Webex answers, rather than silently
    /// ignored (which would hide a client's mistake). Undeclared parameters are ignored.
    pub fn declared(&self, params: &[(&str, Kind)]) -> Result<(), Fail> {
        for (key, value) in &self.0 {
            let Some((_, kind)) = params.iter().find(|(name, _)| name == key) else {
                continue;
            };
            let ok = match kind {
                Kind::Bool => value == "true" || value == "false",
                // The specs type paging as `number` or `integer`; a count is a whole number.
                Kind::Count => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
                Kind::Enum(allowed) => allowed.contains(&value.as_str()),
            };
            if !ok {
                let wanted = match kind {
                    Kind::Bool => "true or false".to_string(),
                    Kind::Count => "a non-negative integer".to_string(),
                    Kind::Enum(allowed) => format!("one of {}", allowed.join(", ")),
                };
                return Err(Fail::bad(format!("`{key}` must be {wanted}, not `{value}`")));
            }
        }
        Ok(())
    }

    /// A parameter with an enumerated value (the spec's `enum`): anything else is a 400.
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<&str>, Fail> {
        match self.get(key) {
            Some(v) if !allowed.contains(&v) => Err(Fail::bad(format!(
                "`{key}` must be one of {}, not `{v}`",
                allowed.join(", ")
            ))),
            v => Ok(v),
        }
    }
}

/// Takes `max` items after skipping `start`; tells whether more follow.
pub(super) fn page<T>(items: impl Iterator<Item = T>, start: usize, max: usize) -> (Vec<T>, bool) {
    let mut items = items.skip(start);
    let page: Vec<T> = items.by_ref().take(max).collect();
    let more = page.len() == max && items.next().is_some();
    (page, more)
}

/// `<{base}/webex/v1{path}?…&{start_key}=N&max=M>; rel="next"`: the request's own query with the
/// paging parameters replaced, so that a client follows it as given.
pub(super) fn next_link(app: &App, path: &str, query: &Query, start_key: &str, start: usize, max: usize) -> String {
    let mut pairs: Vec<(String, String)> = query
        .0
        .iter()
        .filter(|(k, _)| k != start_key && k != "max")
        .cloned()
        .collect();
    pairs.push((start_key.to_string(), start.to_string()));
    pairs.push(("max".to_string(), max.to_string()));
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("<{}/webex/v1{path}?{query}>; rel=\"next\"", app.base_url)
}

/// A JSON list answer, with a `Link: rel="next"` header when more items follow.
pub(super) fn list_with_link<T: Serialize>(body: &T, next: Option<String>) -> Response {
    let response = json(StatusCode::OK, body);
    match next {
        Some(link) => with_header(response, header::LINK, &link),
        None => response,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some("a=1&b=x%2By+z&status=provisioned,error&status=updating&e="));
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), Some("x+y z"));
        assert_eq!(q.all("status"), vec!["provisioned", "error", "updating"]);
        assert_eq!(q.get("e"), None);
        assert_eq!(percent_encode("a b+c/é"), "a%20b%2Bc%2F%C3%A9");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn paging() {
        assert_eq!(page(0..10, 0, 3), (vec![0, 1, 2], true));
        assert_eq!(page(0..10, 9, 3), (vec![9], false));
        assert_eq!(page(0..10, 7, 3), (vec![7, 8, 9], false));
        assert_eq!(page(0..10, 20, 3), (vec![], false));
    }
}
