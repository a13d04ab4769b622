//! The People API, read-only (`specs/webex/webex-admin.json`: `GET /people`,
//! `GET /people/{personId}`): the subscribers of the managed organisations, as the persons
//! they are. Clients such as wxc_sdk find a person's id, number and location there; creating
//! or changing people goes through the wholesale subscribers API, as telform does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::http::{Call, Fail, Kind, Need, begin, json as answer, list_with_link, next_link, page, reply};
use super::scopes::*;
use super::store::{Store, Subscriber};
use crate::emulator::{App, iso8601};

const READERS: Need = Need::Any(&[PEOPLE_READ]);

impl Store {
    /// A subscriber as the spec's `Person`. `calling`: with `callingData=true`, the Webex
    /// Calling fields (number, extension, location) are included.
    fn render_person(&self, s: &Subscriber, calling: bool) -> Value {
        let first = s.first_name.clone().unwrap_or_default();
        let last = s.last_name.clone().unwrap_or_default();
        let display = match format!("{first} {last}").trim() {
            "" => s.email.clone(),
            name => name.to_string(),
        };
        let licenses: Vec<&String> = self
            .customer_of_org(&s.org_id)
            .and_then(|c| c.licenses.get(&s.package))
            .into_iter()
            .collect();
        let mut person = json!({
            "id": s.person_id,
            "emails": [s.email],
            "displayName": display,
            "firstName": first,
            "lastName": last,
            "orgId": s.org_id,
            "licenses": licenses,
            "created": iso8601(s.created_ms),
            "lastModified": iso8601(s.changed_ms),
            "status": "unknown",
            // The spec types these two as the strings "true" / "false".
            "invitePending": "false",
            "loginEnabled": "true",
            "type": "person",
        });
        if calling {
            if let Some(number) = &s.phone_number {
                person["phoneNumbers"] = json!([{"type": "work", "value": number, "primary": true}]);
            }
            if let Some(extension) = &s.extension {
                person["extension"] = json!(extension);
            }
            if let Some(location) = &s.location_id {
                person["locationId"] = json!(location);
            }
        }
        person
    }

    fn person(&self, id: &str) -> Result<&Subscriber, Fail> {
        self.subscriber_by_person(id)
            .ok_or_else(|| Fail::not_found(format!("Person `{id}` not found")))
    }
}

pub(super) async fn list(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, READERS)?;
        call.query.declared(&[
            ("max", Kind::Count),
            ("callingData", Kind::Bool),
            ("excludeStatus", Kind::Bool),
        ])?;
        let q = &call.query;
        let start = q.count("start", 0, usize::MAX)?;
        let max = q.page_size(100, 1000)?;
        let calling = q.boolean("callingData")?.unwrap_or(false);
        let Some(org) = call.org_id() else {
            // The partner's own organisation holds no people in the emulator.
            return Ok(list_with_link(&json!({"items": []}), None));
        };
        store.managed_org(org)?;
        let email = q.get("email").map(str::to_lowercase);
        let name = q.get("displayName").map(str::to_lowercase);
        let ids = q.all("id");
        let location = q.get("locationId");
        let customer = store.customer_of_org(org).map(|c| c.id.clone()).unwrap_or_default();
        let matching = store
            .idx
            .subscribers_by_customer
            .get(&customer)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|id| store.db.subscribers.get(id))
            .filter(|s| email.as_ref().is_none_or(|e| s.email.to_lowercase() == *e))
            .filter(|s| ids.is_empty() || ids.contains(&s.person_id.as_str()))
            .filter(|s| location.is_none_or(|l| s.location_id.as_deref() == Some(l)))
            .map(|s| store.render_person(s, calling))
            // The spec: `displayName` matches the start of the name.
            .filter(|p| {
                name.as_ref()
                    .is_none_or(|n| p["displayName"].as_str().unwrap_or("").to_lowercase().starts_with(n))
            });
        let (items, more) = page(matching, start, max);
        let next = more.then(|| next_link(&app, "/people", q, "start", start + max, max));
        Ok(list_with_link(&json!({ "items": items }), next))
    })())
}

pub(super) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, READERS)?;
        call.query.declared(&[("callingData", Kind::Bool)])?;
        let calling = call.query.boolean("callingData")?.unwrap_or(false);
        let s = store.person(&id)?;
        Ok(answer(StatusCode::OK, &store.render_person(s, calling)))
    })())
}
