//! Operator Connect consents (Teams requests for information): list, read, and the merge patch
//! of `customerRelationship`, the one field the operator may change. Teams creates consents; the
//! operator never does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::http::{
    Params, Reply, after, bad_request, error, handle, page, paged_reply, parse_body, preconditions, window,
};
use super::rules::is_guid;
use super::store::Record;
use crate::emulator::{App, iso8601, now_ms};
use crate::wire::acg::RequestForInformation;

fn view_rfi(record: &Record<RequestForInformation>) -> RequestForInformation {
    let mut rfi = record.resource.clone();
    let (status, errors) = record.provisioning(now_ms());
    rfi.service_provisioning_status = status;
    rfi.service_provisioning_errors = errors;
    rfi.product_context.get_or_insert_with(|| "teams".into());
    rfi
}

pub(super) async fn list_rfis(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let p = params.clone();
    handle(app, method, headers, params, 0, move |app, _| {
        let page = page(&p)?;
        let store = App::lock(&app.acg);
        let (keys, next) = window(after(&store.rfis, &page), &page, app, "/teamsRequestsForInformation");
        let value: Vec<_> = keys.iter().map(|k| view_rfi(&store.rfis[*k])).collect();
        Ok(paged_reply(value, next, page.count.then(|| store.rfis.len())))
    })
    .await
}

pub(super) async fn rfi(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    Query(params): Query<Params>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let fingerprint = super::repeat::fingerprint(&method, &uri, &body);
    let h = headers.clone();
    let m = method.clone();
    handle(app, method, headers, params, fingerprint, move |app, _| {
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
            _ => Err(super::http::method_not_allowed("GET,HEAD,PATCH")),
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
