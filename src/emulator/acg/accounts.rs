//! Accounts: list, read (with `If-None-Match`), create or replace, delete (with
//! `deleteNumbers=true`), and the dispatch of the `/accounts/{name}:action` POST actions to the
//! files of numbers and capabilities. An account's view adds its sync state and the number count
//! of each service.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::capabilities::{available_capabilities, capability_plans};
use super::http::{
    Params, Reply, after, bad_request, boolean, error, handle, method_not_allowed, page, paged_reply, parse_body,
    preconditions, window,
};
use super::numbers::{batch_delete, batch_upsert};
use super::rules::{check_account_name, is_guid, pattern_ok};
use super::store::{Record, Store};
use crate::emulator::{App, now_ms};
use crate::wire::acg::AccountResource;

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

pub(super) async fn list_accounts(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, 0, move |app, _| {
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

pub(super) async fn account(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(segment): Path<String>,
    Query(params): Query<Params>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let fingerprint = super::repeat::fingerprint(&method, &uri, &body);
    // POST actions are `/accounts/{name}:action`.
    let (name, action) = match segment.split_once(':') {
        Some((name, action)) => (name.to_string(), Some(action.to_string())),
        None => (segment.clone(), None),
    };
    // A method the path does not have is refused before anything else (as the router does
    // for the other paths): `/accounts/{name}` has GET, PUT and DELETE; `:action` only POST.
    match (&method, action.is_some()) {
        (&Method::POST, true) | (&Method::GET | &Method::HEAD | &Method::PUT | &Method::DELETE, false) => {}
        (_, true) => return method_not_allowed("POST"),
        (_, false) => return method_not_allowed("GET,HEAD,PUT,DELETE"),
    }
    let p = params.clone();
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, fingerprint, move |app, _| {
        match (m, action.as_deref()) {
            (Method::GET | Method::HEAD, None) => get_account(app, &h, &name),
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
            // Refused above.
            _ => Err(method_not_allowed("GET,HEAD,PUT,DELETE")),
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

pub(super) fn account_not_found(name: &str) -> Response {
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
    let delete_numbers = boolean(params, "deleteNumbers")?.unwrap_or(false);
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
    if !numbers.is_empty() && !delete_numbers {
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
