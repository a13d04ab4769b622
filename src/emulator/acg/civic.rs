//! Teams civic addresses (with their locations): read-only, the enterprise's, seen through the
//! `teamsTenantId` of an account.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use super::accounts::account_not_found;
use super::http::{Params, Reply, after, error, handle, page, paged_reply, window};
use super::store::Store;
use crate::emulator::App;
use crate::wire::encode;

fn tenant_of(store: &Store, name: &str) -> Result<Option<String>, Response> {
    let account = store.accounts.get(name).ok_or_else(|| account_not_found(name))?;
    Ok(account
        .resource
        .service_details
        .as_ref()
        .and_then(|d| d.teams_tenant_id.as_deref())
        .map(str::to_ascii_lowercase))
}

pub(super) async fn list_civic_addresses(
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

pub(super) async fn get_civic_address(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    handle(app, method, headers, params, 0, move |app, _| {
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
