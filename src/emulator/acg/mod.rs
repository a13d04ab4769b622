//! Azure Communications Gateway Provisioning API 2024-02-29-preview: the 18 operations of
//! `specs/acg/swagger.json`, and the Entra ID token endpoint that guards them.
//!
//! Assumptions where the spec is silent (documented in docs/emulator.md): POST actions need the
//! `Write` role (or `Admin`); a failed precondition is 412; deleting an account with numbers and
//! changing `teamsTenantId` while Teams numbers exist are 409; a PATCH of an unknown consent is
//! 404 (consents are created by Teams, not by the operator); `:deleteNumbers` ignores numbers the
//! account does not have.

// Handlers return the error as a ready HTTP response; its size does not matter (one per request).
#![allow(clippy::result_large_err)]

pub mod store;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Bound;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use store::{Seed, Store};

use super::{App, iso8601, now_ms};
use crate::wire::acg::{
    API_VERSION, AccountResource, AvailableCapabilities, BatchNumbers, CapabilityPlan, CapabilityPlans, ErrorResponse,
    NumberIdentifiers, NumberResource, Paged, RequestForInformation, TokenResponse,
};
use crate::wire::encode;
use store::{Record, services_of};

type Params = HashMap<String, String>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/accounts", get(list_accounts))
        .route("/accounts/{name}", any(account))
        .route("/accounts/{name}/numbers", get(list_account_numbers))
        .route("/accounts/{name}/numbers/{number}", any(number))
        .route("/accounts/{name}/teamsCivicAddresses", get(list_civic_addresses))
        .route("/accounts/{name}/teamsCivicAddresses/{id}", get(get_civic_address))
        .route("/numbers", get(list_all_numbers))
        .route("/teamsRequestsForInformation", get(list_rfis))
        .route("/teamsRequestsForInformation/{tenant}", any(rfi))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "NotFound", "no such operation") })
}

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

fn bad_request(code: &str, message: impl AsRef<str>) -> Response {
    error(StatusCode::BAD_REQUEST, code, message.as_ref())
}

/// A successful answer, before headers common to every response are added.
struct Reply {
    status: StatusCode,
    etag: Option<String>,
    body: Option<String>,
    record_count: Option<usize>,
}

impl Reply {
    fn json<T: Serialize>(status: StatusCode, etag: Option<String>, body: &T) -> Reply {
        Reply {
            status,
            etag,
            body: Some(serde_json::to_string(body).unwrap_or_default()),
            record_count: None,
        }
    }

    fn empty(status: StatusCode) -> Reply {
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
struct Call {
    client_request_id: Option<HeaderValue>,
    repeatability_id: Option<String>,
}

/// Authenticates, authorises and checks `api-version`. A replayed repeatable request comes
/// back as `Err` with the first answer.
fn begin(app: &App, method: &Method, headers: &HeaderMap, params: &Params) -> Result<Call, Response> {
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
    let call = Call {
        client_request_id: headers.get("x-ms-client-request-id").cloned(),
        repeatability_id: headers
            .get("repeatability-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    if *method != Method::GET
        && let Some(id) = &call.repeatability_id
    {
        store.expire_replays(now);
        if let Some(replay) = store.replays.get(id) {
            let reply = Reply {
                status: StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK),
                etag: replay.etag.clone(),
                body: (!replay.body.is_empty()).then(|| replay.body.clone()),
                record_count: None,
            };
            return Err(finish(&call, reply));
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
    if call.repeatability_id.is_some() {
        response
            .headers_mut()
            .insert("repeatability-result", HeaderValue::from_static("accepted"));
    }
    response
}

/// Runs an operation between [`begin`] and [`finish`], keeping the answer of a successful
/// repeatable write for replays.
async fn handle(
    app: Arc<App>,
    method: Method,
    headers: HeaderMap,
    params: Params,
    operation: impl FnOnce(&App, &Call) -> Result<Reply, Response>,
) -> Response {
    let call = match begin(&app, &method, &headers, &params) {
        Ok(call) => call,
        Err(response) => return response,
    };
    let reply = match operation(&app, &call) {
        Ok(reply) => reply,
        Err(response) => return decorate(&call, response),
    };
    if method != Method::GET
        && let Some(id) = &call.repeatability_id
    {
        let mut store = App::lock(&app.acg);
        store.replays.insert(
            id.clone(),
            store::Replay {
                at_ms: now_ms(),
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

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request("InvalidRequestBody", format!("the request body is not valid: {e}")))
}

fn check_account_name(name: &str) -> Result<(), Response> {
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(bad_request(
            "InvalidAccountName",
            format!("account name `{name}` must be 1-100 characters of letters, digits, _ and -"),
        ))
    }
}

fn check_telephone_number(number: &str) -> Result<(), Response> {
    let digits = number.strip_prefix('+').unwrap_or("");
    let ok = number.len() <= 16
        && digits.len() >= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(bad_request(
            "InvalidTelephoneNumber",
            format!("`{number}` must match ^\\+[1-9]\\d+$ and have at most 16 characters"),
        ))
    }
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn pattern_ok(s: &str, max: usize, extra: &[u8]) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// `If-Match` / `If-None-Match` against the current ETag (`None`: the resource does not exist).
fn preconditions(headers: &HeaderMap, current: Option<&str>) -> Result<(), Response> {
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

struct Page {
    skip: usize,
    top: Option<usize>,
    size: usize,
    /// The last key of the previous page, from `nextLink`.
    after: Option<String>,
    count: bool,
}

fn page(params: &Params) -> Result<Page, Response> {
    let int = |key: &str| -> Result<Option<usize>, Response> {
        params
            .get(key)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    bad_request(
                        "InvalidQueryParameter",
                        format!("{key}={v} is not a non-negative integer"),
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
        count: params.get("countRecords").is_some_and(|v| v == "true"),
    })
}

/// Takes one page of `keys` (already positioned after `page.after`) and builds its `nextLink`.
fn window<'a>(
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

fn after<'a, V>(map: &'a std::collections::BTreeMap<String, V>, page: &Page) -> impl Iterator<Item = &'a String> {
    let start = match &page.after {
        Some(key) => Bound::Excluded(key.clone()),
        None => Bound::Unbounded,
    };
    map.range((start, Bound::Unbounded)).map(|(k, _)| k)
}

fn paged_reply<T: Serialize>(value: Vec<T>, next_link: Option<String>, total: Option<usize>) -> Reply {
    let mut reply = Reply::json(StatusCode::OK, None, &Paged { value, next_link });
    reply.record_count = total;
    reply
}

// ---- views: stored resources with their read-only fields ----------------------------------

fn view_account(store: &Store, record: &Record<AccountResource>, now: u64) -> AccountResource {
    let mut account = record.resource.clone();
    let (status, errors) = record.provisioning(now);
    account.service_provisioning_status = status;
    account.service_provisioning_errors = errors;
    let counts = store.account_counts(&account.name);
    if let Some(d) = &mut account.service_details {
        if let Some(s) = &mut d.teams_operator_connect {
            s.number_count = Some(counts[0]);
        }
        if let Some(s) = &mut d.teams_phone_mobile {
            s.number_count = Some(counts[1]);
        }
        if let Some(s) = &mut d.teams_direct_routing {
            s.number_count = Some(counts[2]);
            s.subdomain_status = Some(
                if s.configuration.is_some() && s.enabled {
                    "provisioned"
                } else {
                    "notProvisioned"
                }
                .to_string(),
            );
        }
        if let Some(s) = &mut d.zoom_phone_cloud_peering {
            s.number_count = Some(counts[3]);
        }
        if let Some(s) = &mut d.azure_operator_call_protection {
            s.number_count = Some(counts[4]);
        }
    }
    account
}

fn view_number(record: &Record<NumberResource>, now: u64) -> NumberResource {
    let mut number = record.resource.clone();
    let (status, errors) = record.provisioning(now);
    number.service_provisioning_status = status;
    number.service_provisioning_errors = errors;
    for teams in [
        &mut number.service_details.teams_operator_connect,
        &mut number.service_details.teams_phone_mobile,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(config) = &mut teams.configuration {
            config.acquired_capabilities = Some(config.choosable_capabilities.clone());
            config.available_capabilities = Some(vec!["InboundCalling".into(), "OutboundCalling".into()]);
        }
    }
    number
}

/// Drops the read-only fields a client may have echoed back.
fn strip_account(account: &mut AccountResource) {
    account.service_provisioning_status = None;
    account.service_provisioning_errors = None;
    if let Some(d) = &mut account.service_details {
        for s in [
            &mut d.teams_operator_connect,
            &mut d.teams_phone_mobile,
            &mut d.zoom_phone_cloud_peering,
        ]
        .into_iter()
        .flatten()
        {
            s.number_count = None;
        }
        if let Some(s) = &mut d.teams_direct_routing {
            s.number_count = None;
            s.subdomain_status = None;
        }
        if let Some(s) = &mut d.azure_operator_call_protection {
            s.number_count = None;
        }
    }
}

fn account_syncs(account: &AccountResource) -> bool {
    let d = account.service_details.as_ref();
    [
        d.and_then(|d| d.teams_operator_connect.as_ref()),
        d.and_then(|d| d.teams_phone_mobile.as_ref()),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.enabled && s.sync_enabled)
}

// ---- accounts -------------------------------------------------------------------------------

async fn list_accounts(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        let now = now_ms();
        let (keys, next) = window(after(&store.accounts, &page), &page, app, "/accounts");
        let value: Vec<AccountResource> = keys
            .iter()
            .map(|k| view_account(&store, &store.accounts[*k], now))
            .collect();
        Ok(paged_reply(value, next, page.count.then(|| store.accounts.len())))
    })
    .await
}

async fn account(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(segment): Path<String>,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    // POST actions are `/accounts/{name}:action`.
    let (name, action) = match segment.split_once(':') {
        Some((name, action)) => (name.to_string(), Some(action.to_string())),
        None => (segment.clone(), None),
    };
    let p = params.clone();
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, move |app, _| {
        match (m, action.as_deref()) {
            (Method::GET, None) => get_account(app, &h, &name),
            (Method::PUT, None) => put_account(app, &h, &name, &body),
            (Method::DELETE, None) => delete_account(app, &h, &p, &name),
            (Method::POST, Some("createOrUpdateNumbers")) => batch_upsert(app, &name, &body),
            (Method::POST, Some("deleteNumbers")) => batch_delete(app, &name, &body),
            (Method::POST, Some("getTeamsCapabilityPlans")) => capability_plans(app, &name),
            (Method::POST, Some("getTeamsAvailableCapabilities")) => available_capabilities(app, &name, &body),
            (Method::POST, Some(other)) => Err(error(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("no action `{other}`"),
            )),
            _ => Err(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "method not allowed here",
            )),
        }
    })
    .await
}

fn get_account(app: &App, headers: &HeaderMap, name: &str) -> Result<Reply, Response> {
    let store = App::lock(&app.acg);
    let Some(record) = store.accounts.get(name) else {
        return Err(account_not_found(name));
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(record.etag.as_str()) {
        let mut reply = Reply::empty(StatusCode::NOT_MODIFIED);
        reply.etag = Some(record.etag.clone());
        return Ok(reply);
    }
    Ok(Reply::json(
        StatusCode::OK,
        Some(record.etag.clone()),
        &view_account(&store, record, now_ms()),
    ))
}

fn account_not_found(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("account `{name}` does not exist"),
    )
}

fn put_account(app: &App, headers: &HeaderMap, name: &str, body: &Bytes) -> Result<Reply, Response> {
    check_account_name(name)?;
    let mut account: AccountResource = parse_body(body)?;
    if account.name != name {
        return Err(bad_request(
            "InvalidRequestBody",
            format!("the body's name `{}` differs from the path's `{name}`", account.name),
        ));
    }
    if let Some(d) = &account.service_details {
        if let Some(tenant) = &d.teams_tenant_id
            && !is_guid(tenant)
        {
            return Err(bad_request(
                "InvalidTeamsTenantId",
                format!("teamsTenantId `{tenant}` is not a GUID"),
            ));
        }
        if let Some(config) = d.teams_direct_routing.as_ref().and_then(|dr| dr.configuration.as_ref()) {
            if !pattern_ok(&config.subdomain, 10, b"_-") {
                return Err(bad_request(
                    "InvalidSubdomain",
                    "subdomain must be 1-10 characters of letters, digits, _ and -",
                ));
            }
            let tokens = &config.subdomain_tokens;
            if !pattern_ok(&tokens.region1_token, 100, b"=_-") || !pattern_ok(&tokens.region2_token, 100, b"=_-") {
                return Err(bad_request(
                    "InvalidSubdomainTokens",
                    "subdomain tokens must be 1-100 characters of letters, digits, =, _ and -",
                ));
            }
        }
    }
    strip_account(&mut account);
    let mut store = App::lock(&app.acg);
    let existing = store.accounts.get(name);
    preconditions(headers, existing.map(|r| r.etag.as_str()))?;
    if let Some(old) = existing {
        let tenant = |a: &AccountResource| a.service_details.as_ref().and_then(|d| d.teams_tenant_id.clone());
        let counts = store.account_counts(name);
        if tenant(&old.resource) != tenant(&account) && counts[0] + counts[1] > 0 {
            return Err(error(
                StatusCode::CONFLICT,
                "TeamsTenantIdChangeNotAllowed",
                "teamsTenantId cannot change while the account has Operator Connect or Teams Phone Mobile numbers",
            ));
        }
    }
    let created = existing.is_none();
    let now = now_ms();
    let sync_at_ms = account_syncs(&account).then(|| now + app.timing.acg_sync_delay.as_millis() as u64);
    let etag = store.next_etag();
    let sync_fails = store.fail_sync.contains(name);
    store.accounts.insert(
        name.to_string(),
        Record {
            resource: account,
            etag: etag.clone(),
            sync_at_ms,
            sync_fails,
        },
    );
    let view = view_account(&store, &store.accounts[name], now);
    Ok(Reply::json(
        if created { StatusCode::CREATED } else { StatusCode::OK },
        Some(etag),
        &view,
    ))
}

fn delete_account(app: &App, headers: &HeaderMap, params: &Params, name: &str) -> Result<Reply, Response> {
    let mut store = App::lock(&app.acg);
    let Some(record) = store.accounts.get(name) else {
        return Err(account_not_found(name));
    };
    preconditions(headers, Some(&record.etag))?;
    let numbers: Vec<String> = store
        .by_account
        .get(name)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    if !numbers.is_empty() && params.get("deleteNumbers").map(String::as_str) != Some("true") {
        return Err(error(
            StatusCode::CONFLICT,
            "AccountHasNumbers",
            &format!(
                "account `{name}` still has {} numbers: delete them first or pass deleteNumbers=true",
                numbers.len()
            ),
        ));
    }
    for number in numbers {
        store.delete_number(&number);
    }
    store.accounts.remove(name);
    store.by_account.remove(name);
    store.counts.remove(name);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

// ---- numbers --------------------------------------------------------------------------------

/// Checks a number against the contract and its account. Returns when its sync completes.
fn check_number(
    store: &Store,
    app: &App,
    account_name: &str,
    number: &mut NumberResource,
) -> Result<Option<u64>, Response> {
    check_telephone_number(&number.telephone_number)?;
    if number.account_name != account_name {
        return Err(bad_request(
            "InvalidRequestBody",
            format!(
                "number {} names account `{}`, not `{account_name}`",
                number.telephone_number, number.account_name
            ),
        ));
    }
    let Some(account) = store.accounts.get(account_name) else {
        return Err(account_not_found(account_name));
    };
    if let Some(other) = store.numbers.get(&number.telephone_number)
        && other.resource.account_name != account_name
    {
        return Err(error(
            StatusCode::CONFLICT,
            "NumberInAnotherAccount",
            &format!(
                "{} belongs to account `{}`",
                number.telephone_number, other.resource.account_name
            ),
        ));
    }
    let services = services_of(number);
    if !services.iter().any(|s| *s) {
        return Err(bad_request(
            "NoServiceEnabled",
            format!("{}: enable at least one service", number.telephone_number),
        ));
    }
    let details = account.resource.service_details.clone().unwrap_or_default();
    let account_has = [
        details.teams_operator_connect.as_ref().is_some_and(|s| s.enabled),
        details.teams_phone_mobile.as_ref().is_some_and(|s| s.enabled),
        details.teams_direct_routing.as_ref().is_some_and(|s| s.enabled),
        details.zoom_phone_cloud_peering.as_ref().is_some_and(|s| s.enabled),
        details
            .azure_operator_call_protection
            .as_ref()
            .is_some_and(|s| s.enabled),
    ];
    const NAMES: [&str; 5] = [
        "teamsOperatorConnect",
        "teamsPhoneMobile",
        "teamsDirectRouting",
        "zoomPhoneCloudPeering",
        "azureOperatorCallProtection",
    ];
    for i in 0..5 {
        if services[i] && !account_has[i] {
            return Err(bad_request(
                "ServiceNotEnabledOnAccount",
                format!(
                    "{}: account `{account_name}` does not enable {}",
                    number.telephone_number, NAMES[i]
                ),
            ));
        }
    }
    if let Some(header_value) = number.configuration.as_ref().and_then(|c| c.custom_sip_header.as_ref()) {
        if !pattern_ok(header_value, 100, b"_-") {
            return Err(bad_request(
                "InvalidCustomSipHeader",
                "customSipHeader must be 1-100 characters of letters, digits, _ and -",
            ));
        }
        if services[1] || services[4] {
            return Err(bad_request(
                "CustomSipHeaderNotSupported",
                format!(
                    "{}: Teams Phone Mobile and Call Protection numbers take no custom SIP header",
                    number.telephone_number
                ),
            ));
        }
    }
    let tenant = details.teams_tenant_id.as_deref().map(str::to_ascii_lowercase);
    for teams in [
        &mut number.service_details.teams_operator_connect,
        &mut number.service_details.teams_phone_mobile,
    ]
    .into_iter()
    .flatten()
    .filter(|t| t.enabled)
    {
        let Some(config) = &mut teams.configuration else {
            return Err(bad_request(
                "MissingConfiguration",
                format!(
                    "{}: Teams numbers need configuration.usage and choosableCapabilities",
                    number.telephone_number
                ),
            ));
        };
        config.acquired_capabilities = None;
        config.available_capabilities = None;
        if ![
            "CallingUserAssignment",
            "FirstPartyAppAssignment",
            "ConferenceAssignment",
        ]
        .contains(&config.usage.as_str())
        {
            return Err(bad_request(
                "InvalidUsage",
                format!("usage `{}` is not known", config.usage),
            ));
        }
        if let Some(bad) = config
            .choosable_capabilities
            .iter()
            .find(|c| !["InboundCalling", "OutboundCalling", "Mobile"].contains(&c.as_str()))
        {
            return Err(bad_request(
                "InvalidCapability",
                format!("capability `{bad}` is not known"),
            ));
        }
        if let Some(address_id) = &config.civic_address_id {
            let addresses = tenant.as_ref().and_then(|t| store.civic.get(t));
            let Some(address) = addresses.and_then(|a| a.iter().find(|a| &a.id == address_id)) else {
                return Err(bad_request(
                    "CivicAddressNotFound",
                    format!("civic address {address_id} does not exist for the account's tenant"),
                ));
            };
            if let Some(location_id) = &config.location_id
                && !address.locations.iter().flatten().any(|l| &l.id == location_id)
            {
                return Err(bad_request(
                    "LocationNotFound",
                    format!("location {location_id} is not in civic address {address_id}"),
                ));
            }
        }
        if config.usage == "CallingUserAssignment"
            && config.allow_tenant_address_update != Some(true)
            && config.civic_address_id.is_none()
        {
            return Err(bad_request(
                "EmergencyAddressRequired",
                format!(
                    "{}: a calling-user number needs civicAddressId unless allowTenantAddressUpdate is true",
                    number.telephone_number
                ),
            ));
        }
    }
    number.service_provisioning_status = None;
    number.service_provisioning_errors = None;
    let syncs = [
        (services[0], details.teams_operator_connect.as_ref()),
        (services[1], details.teams_phone_mobile.as_ref()),
    ]
    .into_iter()
    .any(|(on, account)| on && account.is_some_and(|a| a.sync_enabled));
    Ok(syncs.then(|| now_ms() + app.timing.acg_sync_delay.as_millis() as u64))
}

async fn list_account_numbers(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        if !store.accounts.contains_key(&name) {
            return Err(account_not_found(&name));
        }
        let empty = std::collections::BTreeSet::new();
        let set = store.by_account.get(&name).unwrap_or(&empty);
        let start = match &page.after {
            Some(key) => Bound::Excluded(key.clone()),
            None => Bound::Unbounded,
        };
        let now = now_ms();
        let path = format!("/accounts/{}/numbers", encode(&name));
        let (keys, next) = window(set.range((start, Bound::Unbounded)), &page, app, &path);
        let value: Vec<NumberResource> = keys.iter().map(|k| view_number(&store.numbers[*k], now)).collect();
        Ok(paged_reply(value, next, page.count.then_some(set.len())))
    })
    .await
}

async fn list_all_numbers(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        let now = now_ms();
        let (keys, next) = window(after(&store.numbers, &page), &page, app, "/numbers");
        let value: Vec<NumberResource> = keys.iter().map(|k| view_number(&store.numbers[*k], now)).collect();
        Ok(paged_reply(value, next, page.count.then(|| store.numbers.len())))
    })
    .await
}

async fn number(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path((name, telephone_number)): Path<(String, String)>,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, move |app, _| {
        check_telephone_number(&telephone_number)?;
        match m {
            Method::GET => {
                let store = App::lock(&app.acg);
                match store
                    .numbers
                    .get(&telephone_number)
                    .filter(|r| r.resource.account_name == name)
                {
                    Some(record) => Ok(Reply::json(
                        StatusCode::OK,
                        Some(record.etag.clone()),
                        &view_number(record, now_ms()),
                    )),
                    None => Err(number_not_found(&name, &telephone_number)),
                }
            }
            Method::PUT => {
                let mut number: NumberResource = parse_body(&body)?;
                if number.telephone_number != telephone_number {
                    return Err(bad_request(
                        "InvalidRequestBody",
                        format!(
                            "the body's telephoneNumber {} differs from the path's {telephone_number}",
                            number.telephone_number
                        ),
                    ));
                }
                let mut store = App::lock(&app.acg);
                let current = store
                    .numbers
                    .get(&telephone_number)
                    .filter(|r| r.resource.account_name == name);
                preconditions(&h, current.map(|r| r.etag.as_str()))?;
                let sync_at = check_number(&store, app, &name, &mut number)?;
                let (created, etag) = store.put_number(number, sync_at);
                let view = view_number(&store.numbers[&telephone_number], now_ms());
                Ok(Reply::json(
                    if created { StatusCode::CREATED } else { StatusCode::OK },
                    Some(etag),
                    &view,
                ))
            }
            Method::DELETE => {
                let mut store = App::lock(&app.acg);
                let Some(record) = store
                    .numbers
                    .get(&telephone_number)
                    .filter(|r| r.resource.account_name == name)
                else {
                    return Err(number_not_found(&name, &telephone_number));
                };
                preconditions(&h, Some(&record.etag))?;
                store.delete_number(&telephone_number);
                Ok(Reply::empty(StatusCode::NO_CONTENT))
            }
            _ => Err(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "method not allowed here",
            )),
        }
    })
    .await
}

fn number_not_found(account: &str, number: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("account `{account}` has no number {number}"),
    )
}

const BATCH_MAX: usize = 100;

/// `:createOrUpdateNumbers`: all or nothing, as the 2023 contract documented.
fn batch_upsert(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
    let batch: BatchNumbers = parse_body(body)?;
    if batch.numbers.is_empty() || batch.numbers.len() > BATCH_MAX {
        return Err(bad_request(
            "InvalidBatchSize",
            format!("a batch holds 1 to {BATCH_MAX} numbers, not {}", batch.numbers.len()),
        ));
    }
    let mut store = App::lock(&app.acg);
    if !store.accounts.contains_key(name) {
        return Err(account_not_found(name));
    }
    let mut checked = Vec::with_capacity(batch.numbers.len());
    let mut seen = std::collections::HashSet::new();
    for mut number in batch.numbers {
        if !seen.insert(number.telephone_number.clone()) {
            return Err(bad_request(
                "DuplicateNumber",
                format!("{} appears twice in the batch", number.telephone_number),
            ));
        }
        let sync_at = check_number(&store, app, name, &mut number)?;
        checked.push((number, sync_at));
    }
    let now = now_ms();
    let mut out = Vec::with_capacity(checked.len());
    for (number, sync_at) in checked {
        let tn = number.telephone_number.clone();
        store.put_number(number, sync_at);
        out.push(view_number(&store.numbers[&tn], now));
    }
    Ok(Reply::json(StatusCode::OK, None, &BatchNumbers { numbers: out }))
}

fn batch_delete(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
    let batch: NumberIdentifiers = parse_body(body)?;
    if batch.numbers.is_empty() || batch.numbers.len() > BATCH_MAX {
        return Err(bad_request(
            "InvalidBatchSize",
            format!("a batch holds 1 to {BATCH_MAX} numbers, not {}", batch.numbers.len()),
        ));
    }
    let mut store = App::lock(&app.acg);
    if !store.accounts.contains_key(name) {
        return Err(account_not_found(name));
    }
    for id in &batch.numbers {
        check_telephone_number(&id.telephone_number)?;
        if let Some(other) = store.numbers.get(&id.telephone_number)
            && other.resource.account_name != name
        {
            return Err(bad_request(
                "NumberInAnotherAccount",
                format!(
                    "{} belongs to account `{}`",
                    id.telephone_number, other.resource.account_name
                ),
            ));
        }
    }
    for id in &batch.numbers {
        store.delete_number(&id.telephone_number);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn capability_plans(app: &App, name: &str) -> Result<Reply, Response> {
    if !App::lock(&app.acg).accounts.contains_key(name) {
        return Err(account_not_found(name));
    }
    let plan = |usage: &str, choosable: &[&str]| CapabilityPlan {
        name: format!("{usage}-plan"),
        usage: usage.to_string(),
        supports_toll_free: usage != "CallingUserAssignment",
        offer_types: Some(vec!["Calling".into()]),
        mandatory_capabilities: Some(vec!["InboundCalling".into()]),
        choosable_capabilities: Some(choosable.iter().map(|c| c.to_string()).collect()),
    };
    let plans = CapabilityPlans {
        capability_plans: vec![
            plan(
                "CallingUserAssignment",
                &["InboundCalling", "OutboundCalling", "Mobile"],
            ),
            plan("FirstPartyAppAssignment", &["InboundCalling", "OutboundCalling"]),
            plan("ConferenceAssignment", &["InboundCalling"]),
        ],
    };
    Ok(Reply::json(StatusCode::OK, None, &plans))
}

fn available_capabilities(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
    let ids: NumberIdentifiers = parse_body(body)?;
    for id in &ids.numbers {
        check_telephone_number(&id.telephone_number)?;
    }
    let store = App::lock(&app.acg);
    let Some(account) = store.accounts.get(name) else {
        return Err(account_not_found(name));
    };
    let mobile = account
        .resource
        .service_details
        .as_ref()
        .and_then(|d| d.teams_phone_mobile.as_ref())
        .is_some_and(|s| s.enabled);
    let mut available = vec!["InboundCalling".to_string(), "OutboundCalling".to_string()];
    if mobile {
        available.push("Mobile".into());
    }
    Ok(Reply::json(
        StatusCode::OK,
        None,
        &AvailableCapabilities {
            available_capabilities: available,
        },
    ))
}

// ---- civic addresses (read-only, the enterprise's) -----------------------------------------

fn tenant_of(store: &Store, name: &str) -> Result<Option<String>, Response> {
    let account = store.accounts.get(name).ok_or_else(|| account_not_found(name))?;
    Ok(account
        .resource
        .service_details
        .as_ref()
        .and_then(|d| d.teams_tenant_id.as_deref())
        .map(str::to_ascii_lowercase))
}

async fn list_civic_addresses(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        let tenant = tenant_of(&store, &name)?;
        let addresses = tenant.and_then(|t| store.civic.get(&t)).cloned().unwrap_or_default();
        let by_id: std::collections::BTreeMap<String, _> = addresses.into_iter().map(|a| (a.id.clone(), a)).collect();
        let path = format!("/accounts/{}/teamsCivicAddresses", encode(&name));
        let (keys, next) = window(after(&by_id, &page), &page, app, &path);
        let value: Vec<_> = keys.iter().map(|k| by_id[*k].clone()).collect();
        Ok(paged_reply(value, next, page.count.then_some(by_id.len())))
    })
    .await
}

async fn get_civic_address(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    handle(app, method, headers, params, move |app, _| {
        let store = App::lock(&app.acg);
        let tenant = tenant_of(&store, &name)?;
        let address = tenant
            .and_then(|t| store.civic.get(&t))
            .and_then(|all| all.iter().find(|a| a.id == id))
            .ok_or_else(|| {
                error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("civic address {id} does not exist"),
                )
            })?;
        let etag = format!(
            "\"{:x}\"",
            fingerprint(&serde_json::to_string(address).unwrap_or_default())
        );
        Ok(Reply::json(StatusCode::OK, Some(etag), address))
    })
    .await
}

fn fingerprint(text: &str) -> u64 {
    // FNV-1a: stable across runs, unlike the std hasher.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

// ---- consents (requests for information) ---------------------------------------------------

fn view_rfi(record: &Record<RequestForInformation>) -> RequestForInformation {
    let mut rfi = record.resource.clone();
    let (status, errors) = record.provisioning(now_ms());
    rfi.service_provisioning_status = status;
    rfi.service_provisioning_errors = errors;
    rfi.product_context.get_or_insert_with(|| "teams".into());
    rfi
}

async fn list_rfis(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        let (keys, next) = window(after(&store.rfis, &page), &page, app, "/teamsRequestsForInformation");
        let value: Vec<_> = keys.iter().map(|k| view_rfi(&store.rfis[*k])).collect();
        Ok(paged_reply(value, next, page.count.then(|| store.rfis.len())))
    })
    .await
}

async fn rfi(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, move |app, _| {
        if !is_guid(&tenant) {
            return Err(bad_request("InvalidTenantId", format!("`{tenant}` is not a GUID")));
        }
        let key = tenant.to_ascii_lowercase();
        let not_found = || {
            error(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("no consent from tenant {tenant}"),
            )
        };
        match m {
            Method::GET => {
                let store = App::lock(&app.acg);
                let record = store.rfis.get(&key).ok_or_else(not_found)?;
                Ok(Reply::json(
                    StatusCode::OK,
                    Some(record.etag.clone()),
                    &view_rfi(record),
                ))
            }
            Method::PATCH => {
                let content_type = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
                if !content_type.starts_with("application/merge-patch+json") {
                    return Err(error(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "UnsupportedMediaType",
                        "send the patch as application/merge-patch+json",
                    ));
                }
                let patch: serde_json::Value = parse_body(&body)?;
                let Some(object) = patch.as_object() else {
                    return Err(bad_request("InvalidRequestBody", "a merge patch is a JSON object"));
                };
                if let Some(other) = object.keys().find(|k| *k != "customerRelationship") {
                    return Err(bad_request(
                        "ReadOnlyProperty",
                        format!("`{other}` is read-only; only customerRelationship can change"),
                    ));
                }
                let mut store = App::lock(&app.acg);
                let etag = store.next_etag();
                let record = store.rfis.get_mut(&key).ok_or_else(not_found)?;
                preconditions(&h, Some(&record.etag))?;
                let mut current =
                    serde_json::to_value(record.resource.customer_relationship.clone().unwrap_or_default())
                        .unwrap_or_default();
                merge_patch(
                    &mut current,
                    object.get("customerRelationship").unwrap_or(&serde_json::Value::Null),
                );
                if let Some(fields) = current.as_object_mut() {
                    fields.remove("lastModifiedOn");
                    if let Some(bad) = fields.iter().find(|(_, v)| !v.is_string()).map(|(k, _)| k.clone()) {
                        return Err(bad_request(
                            "InvalidRequestBody",
                            format!("customerRelationship.{bad} must be a string"),
                        ));
                    }
                }
                let mut relationship: crate::wire::acg::CustomerRelationship =
                    serde_json::from_value(current).map_err(|e| bad_request("InvalidRequestBody", e.to_string()))?;
                relationship.last_modified_on = Some(iso8601(now_ms()));
                record.resource.customer_relationship = Some(relationship);
                record.resource.last_modified_on = Some(iso8601(now_ms()));
                record.etag = etag.clone();
                Ok(Reply::json(StatusCode::OK, Some(etag), &view_rfi(record)))
            }
            _ => Err(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "method not allowed here",
            )),
        }
    })
    .await
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(target), Some(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        _ => *target = patch.clone(),
    }
    if target.is_null() {
        *target = serde_json::json!({});
    }
}

// ---- the Entra ID token endpoint -----------------------------------------------------------

/// `POST /login/{tenant}/oauth2/v2.0/token` with the client credentials grant.
pub async fn token(State(app): State<Arc<App>>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url_form(&body);
    let oauth_error = |status: StatusCode, code: &str, description: &str| {
        (
            status,
            axum::Json(serde_json::json!({"error": code, "error_description": description})),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let mut store = App::lock(&app.acg);
    let client = store
        .clients
        .iter()
        .find(|c| Some(&c.client_id) == form.get("client_id") && c.tenant == tenant)
        .cloned();
    let Some(client) = client else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the client is not registered in this tenant",
        );
    };
    if form.get("client_secret") != Some(&client.client_secret) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client secret is not valid",
        );
    }
    if form.get("scope") != Some(&store.scope) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("the scope must be {}", store.scope),
        );
    }
    let token = random_token();
    let expires_in = 3599;
    store.tokens.insert(
        token.clone(),
        store::Issued {
            roles: client.roles.clone(),
            expires_ms: now_ms() + expires_in * 1000,
        },
    );
    app.changed();
    axum::Json(TokenResponse {
        token_type: "Bearer".into(),
        expires_in,
        access_token: token,
    })
    .into_response()
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// An opaque token; unguessable enough for a local emulator.
fn random_token() -> String {
    let state = std::collections::hash_map::RandomState::new();
    (0..4)
        .map(|i| {
            let mut hasher = state.build_hasher();
            hasher.write_u64(now_ms() ^ i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}
