//! Numbers: the checks of a number against the contract and its account, list (of an account,
//! and of all accounts), read, create or replace, delete, and the all-or-nothing batches
//! `:createOrUpdateNumbers` and `:deleteNumbers`. A number's view adds its sync state and the
//! capabilities Teams reports.

use std::ops::Bound;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use super::accounts::account_not_found;
use super::http::{
    Params, Reply, after, bad_request, error, handle, page, paged_reply, parse_body, preconditions, window,
};
use super::rules::{check_telephone_number, pattern_ok};
use super::store::{Record, Store, services_of};
use crate::emulator::{App, now_ms};
use crate::wire::acg::{BatchNumbers, NumberIdentifiers, NumberResource};
use crate::wire::encode;

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

pub(super) async fn list_account_numbers(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, 0, move |app, _| {
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

pub(super) async fn list_all_numbers(
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
        let (keys, next) = window(after(&store.numbers, &page), &page, app, "/numbers");
        let value: Vec<NumberResource> = keys.iter().map(|k| view_number(&store.numbers[*k], now)).collect();
        Ok(paged_reply(value, next, page.count.then(|| store.numbers.len())))
    })
    .await
}

pub(super) async fn number(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path((name, telephone_number)): Path<(String, String)>,
    Query(params): Query<Params>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let fingerprint = super::repeat::fingerprint(&method, &uri, &body);
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, fingerprint, move |app, _| {
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
            _ => Err(super::http::method_not_allowed("GET,HEAD,PUT,DELETE")),
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
pub(super) fn batch_upsert(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
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

pub(super) fn batch_delete(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
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
