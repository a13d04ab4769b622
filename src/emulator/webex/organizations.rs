//! The Organizations API, read-only (`specs/webex/webex-admin.json`: `GET /organizations/{orgId}`):
//! a managed customer's organisation as the spec's `Organization` (`id`, `displayName`). Its
//! display name is the customer's company name, which the wholesale customer does not carry.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::http::{Call, Fail, Need, begin, json as answer, reply};
use super::scopes::*;
use crate::emulator::App;

const READERS: Need = Need::Any(&[ORGANIZATIONS_READ]);

pub(super) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, READERS)?;
        store.managed_org(&id)?;
        let org = store
            .db
            .orgs
            .get(&id)
            .ok_or_else(|| Fail::not_found(format!("Organization `{id}` not found")))?;
        Ok(answer(StatusCode::OK, &json!({"id": org.id, "displayName": org.name})))
    })())
}
