//! Locations (`specs/webex/webex-device.json`) and their numbers (telephony config; the
//! cloud-calling spec, not copied here).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::http::{Call, Fail, Kind, Need, begin, json, list_with_link, next_link, no_content, page, reply};
use super::rules;
use super::scopes::*;
use super::store::{Location, Number, Owner, Store};
use crate::emulator::App;
use crate::wire::webex as wire;

const LOCATIONS_READERS: Need = Need::Any(&[LOCATIONS_READ, PEOPLE_READ, DEVICE_READ]);

impl Store {
    /// The organisation of a live customer, as `orgId` names it.
    pub(super) fn managed_org(&self, org_id: &str) -> Result<(), Fail> {
        if self.customer_of_org(org_id).is_some() {
            Ok(())
        } else {
            Err(Fail::not_found(format!(
                "Organization `{org_id}` not found (or not managed by this partner)"
            )))
        }
    }

    /// A location, checked against the `orgId` the caller gave.
    pub(super) fn location_in(&self, id: &str, org_id: Option<&str>) -> Result<&Location, Fail> {
        match self.db.locations.get(id) {
            Some(l) if org_id.is_none_or(|o| o == l.org_id) => Ok(l),
            _ => Err(Fail::not_found(format!("Location `{id}` not found"))),
        }
    }

    fn location_name_limit(&self, org_id: &str) -> usize {
        if self
            .customer_of_org(org_id)
            .is_some_and(|c| rules::has_calling(&c.packages))
        {
            80
        } else {
            256
        }
    }

    /// `POST /locations?orgId=`. Returns the new location's id.
    pub(super) fn create_location(&mut self, org_id: &str, req: wire::CreateLocation) -> Result<String, Fail> {
        self.managed_org(org_id)?;
        rules::required(&req.name, "name")?;
        rules::max_len(&req.name, self.location_name_limit(org_id), "name")?;
        rules::timezone(&req.time_zone, "timeZone")?;
        rules::language(&req.preferred_language, "preferredLanguage")?;
        rules::language(&req.announcement_language, "announcementLanguage")?;
        rules::location_address(req.address.as_ref())?;
        if let Some(existing) = self.location_named(org_id, &req.name) {
            return Err(Fail::conflict(format!(
                "A location named `{}` already exists in the organization (id {})",
                req.name, existing.id
            )));
        }
        let (seq, id) = self.next_id("LOCATION");
        self.insert_location(Location {
            id: id.clone(),
            seq,
            org_id: org_id.to_string(),
            name: req.name,
            time_zone: req.time_zone,
            preferred_language: req.preferred_language,
            announcement_language: req.announcement_language,
            address: req.address.unwrap_or_default(),
            latitude: req.latitude,
            longitude: req.longitude,
            notes: req.notes,
        });
        Ok(id)
    }

    fn update_location(&mut self, id: &str, req: wire::UpdateLocation) -> Result<(), Fail> {
        let current = &self.db.locations[id];
        if let Some(name) = &req.name {
            rules::required(name, "name")?;
            rules::max_len(name, self.location_name_limit(&current.org_id), "name")?;
            if let Some(other) = self.location_named(&current.org_id, name)
                && other.id != id
            {
                return Err(Fail::conflict(format!("A location named `{name}` already exists")));
            }
        }
        if let Some(tz) = &req.time_zone {
            rules::timezone(tz, "timeZone")?;
        }
        if let Some(lang) = &req.preferred_language {
            rules::language(lang, "preferredLanguage")?;
        }
        if req.address.is_some() {
            rules::location_address(req.address.as_ref())?;
        }
        let mut l = self.remove_location(id).expect("checked");
        if let Some(name) = req.name {
            l.name = name;
        }
        if let Some(tz) = req.time_zone {
            l.time_zone = tz;
        }
        if let Some(lang) = req.preferred_language {
            l.preferred_language = lang;
        }
        if let Some(address) = req.address {
            l.address = address;
        }
        self.insert_location(l);
        Ok(())
    }

    /// `DELETE /locations/{id}`: refused while numbers, users, workspaces or devices use it.
    fn delete_location(&mut self, id: &str) -> Result<(), Fail> {
        let l = &self.db.locations[id];
        let org = &l.org_id;
        let numbers = self
            .idx
            .numbers_by_org
            .get(org)
            .into_iter()
            .flatten()
            .filter(|n| self.db.numbers[*n].location_id == id)
            .count();
        let users = self
            .customer_of_org(org)
            .and_then(|c| self.idx.subscribers_by_customer.get(&c.id))
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|s| self.db.subscribers[*s].location_id.as_deref() == Some(id))
            .count();
        let places = self
            .idx
            .workspaces_by_org
            .get(org)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|w| self.db.workspaces[*w].location_id.as_deref() == Some(id))
            .count();
        if numbers + users + places > 0 {
            return Err(Fail::conflict(format!(
                "Location `{}` is in use ({numbers} number(s), {users} user(s), {places} workspace(s)): remove them first",
                l.name
            )));
        }
        self.remove_location(id);
        Ok(())
    }

    pub(super) fn render_location(&self, l: &Location) -> wire::Location {
        wire::Location {
            id: l.id.clone(),
            name: l.name.clone(),
            org_id: l.org_id.clone(),
            address: l.address.clone(),
            time_zone: Some(l.time_zone.clone()),
            preferred_language: Some(l.preferred_language.clone()),
            latitude: l.latitude.clone(),
            longitude: l.longitude.clone(),
            notes: l.notes.clone(),
        }
    }

    /// Adds numbers to a location; those already there are ignored. All or nothing: a number
    /// that is invalid or belongs elsewhere refuses the whole request.
    pub(super) fn add_numbers(&mut self, location_id: &str, req: wire::LocationNumbers) -> Result<(), Fail> {
        if req.phone_numbers.is_empty() {
            return Err(Fail::bad("phoneNumbers is required"));
        }
        let state = req.state.clone().unwrap_or_else(|| "ACTIVE".to_string());
        if !["ACTIVE", "INACTIVE"].contains(&state.as_str()) {
            return Err(Fail::bad(format!("state `{state}` is not ACTIVE or INACTIVE")));
        }
        if let Some(t) = &req.number_type
            && !["DID", "TOLLFREE", "MOBILE"].contains(&t.as_str())
        {
            return Err(Fail::bad(format!("numberType `{t}` is not DID, TOLLFREE or MOBILE")));
        }
        let org = self.db.locations[location_id].org_id.clone();
        let mut problems = Vec::new();
        for n in &req.phone_numbers {
            if let Err(e) = rules::e164(n, "phoneNumbers") {
                problems.push(e.message);
            } else if let Some(existing) = self.db.numbers.get(n)
                && existing.location_id != location_id
            {
                let place = if existing.org_id == org {
                    "another location of the organization"
                } else {
                    "another organization"
                };
                problems.push(format!("{n} already belongs to {place}"));
            }
        }
        if !problems.is_empty() {
            return Err(Fail::bad(format!("numbers refused: {}", problems.join("; "))));
        }
        for n in req.phone_numbers {
            if !self.db.numbers.contains_key(&n) {
                self.insert_number(
                    n,
                    Number {
                        org_id: org.clone(),
                        location_id: location_id.to_string(),
                        state: state.clone(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Removes numbers from a location; numbers not there are ignored, assigned ones refused.
    fn remove_numbers(&mut self, location_id: &str, req: wire::LocationNumbers) -> Result<(), Fail> {
        if req.phone_numbers.is_empty() {
            return Err(Fail::bad("phoneNumbers is required"));
        }
        for n in &req.phone_numbers {
            if let Some(owner) = self.number_owner(n)
                && self.db.numbers.get(n).is_some_and(|x| x.location_id == location_id)
            {
                return Err(Fail::bad(format!(
                    "{n} is assigned (to {}): unassign it before removing it",
                    owner.id()
                )));
            }
        }
        for n in &req.phone_numbers {
            if self.db.numbers.get(n).is_some_and(|x| x.location_id == location_id) {
                self.remove_number(n);
            }
        }
        Ok(())
    }

    fn number_entry(
        &self,
        phone: Option<&str>,
        state: &str,
        location_id: Option<&str>,
        owner: Option<&Owner>,
    ) -> wire::PhoneNumber {
        let (extension, owner_location) = match owner {
            Some(o) => {
                let (_, ext, loc) = self.owner_numbers(o);
                (ext, loc)
            }
            None => (None, None),
        };
        let location = location_id
            .map(str::to_string)
            .or(owner_location)
            .and_then(|id| self.db.locations.get(&id))
            .map(|l| wire::IdName {
                id: l.id.clone(),
                name: l.name.clone(),
            });
        wire::PhoneNumber {
            phone_number: phone.map(str::to_string),
            extension,
            routing_prefix: None,
            esn: None,
            state: state.to_string(),
            phone_number_type: "PRIMARY".to_string(),
            main_number: false,
            included_telephony_types: "PSTN_NUMBER".to_string(),
            toll_free_number: false,
            is_service_number: false,
            is_reserved_number: false,
            location,
            owner: owner.map(|o| {
                let (first, last) = self.owner_names(o);
                wire::NumberOwner {
                    id: o.id().to_string(),
                    owner_type: o.kind().to_string(),
                    first_name: Some(first),
                    last_name: Some(last),
                }
            }),
        }
    }

    /// Every entry of `GET /telephony/config/numbers` for an organisation: its numbers (sorted),
    /// then its extensions without a number.
    fn number_entries<'a>(&'a self, org_id: &'a str) -> impl Iterator<Item = wire::PhoneNumber> + 'a {
        let numbers = self.idx.numbers_by_org.get(org_id).into_iter().flatten().map(move |n| {
            let number = &self.db.numbers[n];
            self.number_entry(Some(n), &number.state, Some(&number.location_id), self.number_owner(n))
        });
        let mut extension_only: Vec<(String, Owner)> = Vec::new();
        if let Some(customer) = self.customer_of_org(org_id) {
            for id in self
                .idx
                .subscribers_by_customer
                .get(&customer.id)
                .into_iter()
                .flat_map(|m| m.values())
            {
                let s = &self.db.subscribers[id];
                if let (None, Some(ext)) = (&s.phone_number, &s.extension) {
                    extension_only.push((ext.clone(), s.owner()));
                }
            }
        }
        for id in self
            .idx
            .workspaces_by_org
            .get(org_id)
            .into_iter()
            .flat_map(|m| m.values())
        {
            let w = &self.db.workspaces[id];
            if let (None, Some(ext)) = (&w.phone_number, &w.extension) {
                extension_only.push((ext.clone(), w.owner()));
            }
        }
        extension_only.sort_by(|a, b| a.0.cmp(&b.0));
        let extensions = extension_only
            .into_iter()
            .map(move |(_, owner)| self.number_entry(None, "ACTIVE", None, Some(&owner)));
        numbers.chain(extensions)
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

pub(super) async fn list(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, LOCATIONS_READERS)?;
        call.query.declared(&[("max", Kind::Count), ("start", Kind::Count)])?;
        let q = &call.query;
        let start = q.count("start", 0, usize::MAX)?;
        let max = q.page_size(500, 1000)?;
        let name = q.get("name").map(str::to_lowercase);
        let id = q.get("id");
        let Some(org) = call.org_id() else {
            return Ok(list_with_link(&wire::LocationList::default(), None));
        };
        store.managed_org(org)?;
        let matching = store
            .idx
            .locations_by_org
            .get(org)
            .into_iter()
            .flat_map(|m| m.values())
            .map(|id| &store.db.locations[id])
            .filter(|l| name.as_ref().is_none_or(|n| l.name.to_lowercase().contains(n)))
            .filter(|l| id.is_none_or(|i| l.id == i));
        let (items, more) = page(matching, start, max);
        let body = wire::LocationList {
            items: items.into_iter().map(|l| store.render_location(l)).collect(),
        };
        let next = more.then(|| next_link(&app, "/locations", q, "start", start + max, max));
        Ok(list_with_link(&body, next))
    })())
}

pub(super) async fn create(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[LOCATIONS_WRITE]))?;
        let Some(org) = call.org_id() else {
            return Err(Fail::bad(
                "orgId is required: the emulator holds no partner organization to create locations in",
            ));
        };
        store.managed_org(org)?;
        let req: wire::CreateLocation = call.body()?;
        let id = store.create_location(org, req)?;
        app.changed();
        Ok(json(StatusCode::CREATED, &wire::CreatedId { id }))
    })())
}

pub(super) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, LOCATIONS_READERS)?;
        let location = store.location_in(&id, call.org_id())?;
        Ok(json(StatusCode::OK, &store.render_location(location)))
    })())
}

pub(super) async fn update(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[LOCATIONS_WRITE]))?;
        store.location_in(&id, call.org_id())?;
        let req: wire::UpdateLocation = call.body()?;
        store.update_location(&id, req)?;
        app.changed();
        Ok(no_content())
    })())
}

pub(super) async fn delete(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[LOCATIONS_WRITE]))?;
        store.location_in(&id, call.org_id())?;
        store.delete_location(&id)?;
        app.changed();
        Ok(no_content())
    })())
}

pub(super) async fn add_numbers(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_WRITE]))?;
        store.location_in(&id, call.org_id())?;
        let req: wire::LocationNumbers = call.body()?;
        store.add_numbers(&id, req)?;
        app.changed();
        Ok(StatusCode::CREATED.into_response())
    })())
}

pub(super) async fn remove_numbers(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_WRITE]))?;
        store.location_in(&id, call.org_id())?;
        let req: wire::LocationNumbers = call.body()?;
        store.remove_numbers(&id, req)?;
        app.changed();
        Ok(no_content())
    })())
}

pub(super) async fn list_numbers(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_READ]))?;
        call.query
            .declared(&[("max", Kind::Count), ("start", Kind::Count), ("available", Kind::Bool)])?;
        let q = &call.query;
        let start = q.count("start", 0, usize::MAX)?;
        let max = q.page_size(2000, 2000)?;
        let Some(org) = call.org_id() else {
            return Ok(list_with_link(&wire::NumberList::default(), None));
        };
        store.managed_org(org)?;
        let location = q.get("locationId");
        let phone = q.get("phoneNumber");
        let owner_id = q.get("ownerId");
        let owner_type = q.get("ownerType");
        let extension = q.get("extension");
        let state = q.get("state");
        let available = q.boolean("available")?;
        let number_type = q.get("numberType");
        let matching = store
            .number_entries(org)
            .filter(|e| location.is_none_or(|l| e.location.as_ref().is_some_and(|x| x.id == l)))
            .filter(|e| phone.is_none_or(|p| e.phone_number.as_deref() == Some(p)))
            .filter(|e| owner_id.is_none_or(|o| e.owner.as_ref().is_some_and(|x| x.id == o)))
            .filter(|e| owner_type.is_none_or(|t| e.owner.as_ref().is_some_and(|x| x.owner_type == t)))
            .filter(|e| extension.is_none_or(|x| e.extension.as_deref() == Some(x)))
            .filter(|e| state.is_none_or(|s| e.phone_number.is_some() && e.state == s))
            .filter(|e| available.is_none_or(|a| e.phone_number.is_some() && e.owner.is_none() == a))
            .filter(|e| match number_type {
                Some("NUMBER") => e.phone_number.is_some(),
                Some("EXTENSION") => e.phone_number.is_none(),
                _ => true,
            });
        let (items, more) = page(matching, start, max);
        let next = more.then(|| next_link(&app, "/telephony/config/numbers", q, "start", start + max, max));
        Ok(list_with_link(&wire::NumberList { phone_numbers: items }, next))
    })())
}
