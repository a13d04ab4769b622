//! The People and Roles APIs (`specs/webex/webex-admin.json`: `GET /people`,
//! `GET` / `PUT /people/{personId}`, `GET /roles`, `GET /roles/{roleId}`): the people of the
//! managed organisations (every subscriber, and each customer's first administrator) and their
//! roles. Clients such as wxc_sdk find a person's id, number and location there; telform reads
//! the full administrators and gives or takes the role. Creating people goes through the
//! wholesale subscribers API, as telform does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::http::{Call, Fail, Kind, Need, begin, json as answer, list_with_link, next_link, page, reply};
use super::scopes::*;
use super::store::{Person, ROLES, Store, Subscriber};
use crate::emulator::{App, iso8601};
use crate::wire::webex as wire;

const READERS: Need = Need::Any(&[PEOPLE_READ]);
const WRITERS: Need = Need::Any(&[PEOPLE_WRITE]);
const ROLE_READERS: Need = Need::Any(&[ROLES_READ]);

impl Store {
    /// A person as the spec's `Person`. `calling`: with `callingData=true`, the Webex Calling
    /// fields of a subscriber (number, extension, location) are included. `roles`: the
    /// administrative fields (the spec: shown by `GET /people/{id}` and lists, not by
    /// `GET /people?id=`).
    fn render_person(&self, p: &Person, calling: bool, roles: bool) -> Value {
        let subscriber: Option<&Subscriber> = self.subscriber_by_person(&p.id);
        let licenses: Vec<&String> = subscriber
            .and_then(|s| self.customer_of_org(&s.org_id)?.licenses.get(&s.package))
            .into_iter()
            .collect();
        let mut person = json!({
            "id": p.id,
            "emails": [p.email],
            "displayName": p.display_name,
            "firstName": p.first_name.clone().unwrap_or_default(),
            "lastName": p.last_name.clone().unwrap_or_default(),
            "orgId": p.org_id,
            "created": iso8601(p.created_ms),
            "lastModified": iso8601(p.changed_ms),
            "status": "unknown",
            // The spec types these two as the strings "true" / "false".
            "invitePending": "false",
            "loginEnabled": "true",
            "type": "person",
        });
        if roles {
            person["roles"] = json!(p.roles);
            person["licenses"] = json!(licenses);
        }
        if calling && let Some(s) = subscriber {
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

    fn person(&self, id: &str) -> Result<&Person, Fail> {
        self.db
            .people
            .get(id)
            .ok_or_else(|| Fail::not_found(format!("Person `{id}` not found")))
    }

    /// `PUT /people/{personId}`: the whole person, as the request schema gives it. What the
    /// emulator keeps of it is the names and the roles (replaced: roles left out are taken
    /// away); the calling fields, licences and the rest are changed through the wholesale API
    /// and ignored here. The email and organisation cannot change.
    fn update_person(&mut self, id: &str, req: wire::UpdatePerson, now: u64) -> Result<(), Fail> {
        let current = self.person(id)?.clone();
        if req.display_name.trim().is_empty() {
            return Err(Fail::bad("displayName is required"));
        }
        if let Some(emails) = &req.emails {
            match emails.as_slice() {
                [one] if one.eq_ignore_ascii_case(&current.email) => {}
                [] => return Err(Fail::bad("emails: one email address is required")),
                [_] => {
                    return Err(Fail::bad(
                        "emails: the email address of a person cannot be changed here",
                    ));
                }
                _ => return Err(Fail::bad("emails: only one email address is allowed per person")),
            }
        }
        if let Some(org) = &req.org_id
            && *org != current.org_id
        {
            return Err(Fail::bad(format!("orgId `{org}` is not the person's organization")));
        }
        // The request schema's enum and item types, for what the emulator does not keep.
        for (i, number) in req.phone_numbers.iter().flatten().enumerate() {
            if number.kind.as_deref().is_some_and(|k| k != "work") {
                return Err(Fail::bad(format!("phoneNumbers[{i}].type must be `work`")));
            }
        }
        for (i, address) in req.addresses.iter().flatten().enumerate() {
            let Some(fields) = address.as_object() else {
                return Err(Fail::bad(format!("addresses[{i}] must be an object")));
            };
            let declared = ["type", "country", "locality", "region", "streetAddress", "postalCode"];
            if let Some((key, _)) = fields
                .iter()
                .find(|(k, v)| declared.contains(&k.as_str()) && !v.is_string())
            {
                return Err(Fail::bad(format!("addresses[{i}].{key} must be a string")));
            }
        }
        let roles = req.roles.unwrap_or_default();
        for role in &roles {
            if !ROLES.iter().any(|(known, _)| known == role) {
                return Err(Fail::bad(format!("roles: `{role}` is not a role id (see GET /roles)")));
            }
        }
        let mut p = self.remove_person(id).expect("read above");
        let mut unique: Vec<String> = Vec::new();
        for role in roles {
            if !unique.contains(&role) {
                unique.push(role);
            }
        }
        p.roles = unique;
        p.display_name = req.display_name;
        if req.first_name.is_some() {
            p.first_name = req.first_name;
        }
        if req.last_name.is_some() {
            p.last_name = req.last_name;
        }
        p.changed_ms = now;
        // A subscriber's names are the person's.
        if let Some(subscriber) = self.subscriber_by_person(id).map(|s| s.id.clone()) {
            let mut s = self.remove_subscriber(&subscriber).expect("found above");
            s.first_name = p.first_name.clone();
            s.last_name = p.last_name.clone();
            self.insert_subscriber(s);
        }
        self.insert_person(p);
        Ok(())
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
        // The spec: "List of roleIds separated by commas": a person holding any of them.
        let roles = q.all("roles");
        let location = q.get("locationId");
        let matching = store
            .idx
            .people_by_org
            .get(org)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|id| store.db.people.get(id))
            .filter(|p| email.as_ref().is_none_or(|e| p.email.to_lowercase() == *e))
            .filter(|p| ids.is_empty() || ids.contains(&p.id.as_str()))
            .filter(|p| roles.is_empty() || p.roles.iter().any(|r| roles.contains(&r.as_str())))
            .filter(|p| {
                location.is_none_or(|l| {
                    store
                        .subscriber_by_person(&p.id)
                        .is_some_and(|s| s.location_id.as_deref() == Some(l))
                })
            })
            // The spec: `displayName` matches the start of the name.
            .filter(|p| {
                name.as_ref()
                    .is_none_or(|n| p.display_name.to_lowercase().starts_with(n))
            })
            // The spec: administrative fields are not shown by `GET /people?id=`.
            .map(|p| store.render_person(p, calling, ids.is_empty()));
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
        let p = store.person(&id)?;
        Ok(answer(StatusCode::OK, &store.render_person(p, calling, true)))
    })())
}

pub(super) async fn update(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, WRITERS)?;
        call.query.declared(&[
            ("callingData", Kind::Bool),
            ("showAllTypes", Kind::Bool),
            ("minResponse", Kind::Bool),
        ])?;
        let calling = call.query.boolean("callingData")?.unwrap_or(false);
        // An unknown person is 404 before its body is read.
        store.person(&id)?;
        let req: wire::UpdatePerson = call.body()?;
        store.update_person(&id, req, now)?;
        app.changed();
        let p = store.person(&id)?;
        Ok(answer(StatusCode::OK, &store.render_person(p, calling, true)))
    })())
}

fn role(id: &str, name: &str) -> wire::Role {
    wire::Role {
        id: id.to_string(),
        name: name.to_string(),
    }
}

pub(super) async fn list_roles(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        drop(begin(&app, &call, ROLE_READERS)?);
        let items = ROLES.iter().map(|(id, name)| role(id, name)).collect();
        Ok(answer(StatusCode::OK, &wire::RoleList { items }))
    })())
}

pub(super) async fn get_role(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        drop(begin(&app, &call, ROLE_READERS)?);
        let (id, name) = ROLES
            .iter()
            .find(|(known, _)| *known == id)
            .ok_or_else(|| Fail::not_found(format!("Role `{id}` not found")))?;
        Ok(answer(StatusCode::OK, &role(id, name)))
    })())
}
