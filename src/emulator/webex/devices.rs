//! Partner-managed devices: creation by MAC, tags, members (shared lines), the SIP password of
//! third-party devices, MAC validation and the supported-devices list
//! (`specs/webex/webex-device.json`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::http::{Call, Fail, Kind, Need, begin, json, list_with_link, next_link, no_content, page, reply};
use super::rules;
use super::scopes::*;
use super::store::{Device, Line, Owner, Store};
use crate::emulator::{App, iso8601};
use crate::wire::webex as wire;

/// `validateMacs` error codes. Only 5675 ("MAC Address is in use") is documented; the others
/// are the emulator's.
const MAC_IN_USE: i64 = 5675;
const MAC_INVALID: i64 = 5672;
const MAC_DUPLICATE_IN_LIST: i64 = 5674;

impl Store {
    pub(super) fn device_in(&self, id: &str, org_id: Option<&str>) -> Result<&Device, Fail> {
        match self.db.devices.get(id) {
            Some(d) if org_id.is_none_or(|o| o == d.org_id) => Ok(d),
            _ => Err(Fail::not_found(format!("Device `{id}` not found"))),
        }
    }

    fn sip_domain(&self, org_id: &str) -> String {
        let seq = self.db.orgs.get(org_id).map_or(0, |o| o.seq);
        format!("org{seq}.sip.emulator.invalid")
    }

    fn max_line_count(&self, model: &str) -> i64 {
        self.supported_device(model).map_or(1, |d| {
            d.max_number_of_line_appearances
                .unwrap_or(d.number_of_line_ports)
                .max(1)
        })
    }

    /// A person (subscriber with a calling package) or a Webex Calling workspace of `org_id`
    /// that may have a line on a device of `model`, owned or shared.
    fn line_member(
        &self,
        owner: &Owner,
        org_id: Option<&str>,
        model: &wire::SupportedDevice,
        field: &str,
    ) -> Result<String, Fail> {
        let (org, kind) = match owner {
            Owner::Person(id) => {
                let s = self
                    .subscriber_by_person(id)
                    .filter(|s| org_id.is_none_or(|o| o == s.org_id))
                    .ok_or_else(|| Fail::bad(format!("{field} `{id}`: no such person in the organization")))?;
                if !rules::is_calling_subscriber_package(&s.package) {
                    return Err(Fail::bad(format!(
                        "{field} `{id}`: {} has no Webex Calling package (`{}`)",
                        s.email, s.package
                    )));
                }
                (s.org_id.clone(), "PEOPLE")
            }
            Owner::Place(id) => {
                let w = self
                    .db
                    .workspaces
                    .get(id)
                    .filter(|w| org_id.is_none_or(|o| o == w.org_id))
                    .ok_or_else(|| Fail::bad(format!("{field} `{id}`: no such workspace in the organization")))?;
                if w.calling_type != "webexCalling" {
                    return Err(Fail::bad(format!(
                        "{field} `{id}`: workspace `{}` is not a Webex Calling workspace",
                        w.display_name
                    )));
                }
                (w.org_id.clone(), "PLACE")
            }
        };
        if !model.supported_for.is_empty() && !model.supported_for.iter().any(|s| s == kind) {
            return Err(Fail::bad(format!(
                "model `{}` is not supported for {kind} (supportedFor: {})",
                model.display_name,
                model.supported_for.join(", ")
            )));
        }
        Ok(org)
    }

    /// Whether a workspace can take one more device line (`except` a device it is already on).
    fn check_workspace_capacity(&self, owner: &Owner, except: Option<&str>) -> Result<(), Fail> {
        let Owner::Place(id) = owner else { return Ok(()) };
        let w = &self.db.workspaces[id];
        let used = self
            .devices_of(owner)
            .iter()
            .filter(|(d, _)| except.is_none_or(|e| e != d.id))
            .count() as i64;
        if used >= w.max_devices {
            return Err(Fail::bad(format!(
                "Workspace `{}` already has {used} device(s): its {} license allows {}",
                w.display_name,
                w.license_kind.as_deref().unwrap_or("calling"),
                w.max_devices
            ))
            .code(25395));
        }
        Ok(())
    }

    /// `POST /devices?orgId=`. Returns the new device's id. `seeded`: a brownfield device of
    /// the seed, which never holds a password (it records only that one was set).
    pub(super) fn create_device(
        &mut self,
        org_id: Option<&str>,
        req: wire::CreateDevice,
        now: u64,
        seeded: bool,
    ) -> Result<String, Fail> {
        rules::required(&req.mac, "mac")?;
        rules::required(&req.model, "model")?;
        let Some(mac) = rules::normalise_mac(&req.mac) else {
            return Err(Fail::bad(format!(
                "mac `{}` is not a MAC address (12 hex digits)",
                req.mac
            )));
        };
        // Before any limit: a retried creation must see its first attempt as a conflict.
        if let Some(existing) = self.idx.device_by_mac.get(&mac) {
            return Err(Fail::conflict(format!("MAC Address is in use (device {existing})")).code(MAC_IN_USE));
        }
        let owner = match (&req.person_id, &req.workspace_id) {
            (Some(p), None) => Owner::Person(p.clone()),
            (None, Some(w)) => Owner::Place(w.clone()),
            (Some(_), Some(_)) => return Err(Fail::bad("give either personId or workspaceId, not both")),
            (None, None) => return Err(Fail::bad("personId or workspaceId is required")),
        };
        let Some(model) = self.supported_device(&req.model).cloned() else {
            return Err(Fail::bad(format!(
                "model `{}` is not a supported device (see GET /telephony/config/supportedDevices)",
                req.model
            )));
        };
        // "It is only required for third-party devices" (the spec's `password`): a client
        // that forgets it must be told here, not by a phone that never registers.
        if req.password.is_none() && !seeded && model.manufacturer == "THIRD_PARTY" {
            return Err(Fail::bad(format!(
                "password is required for a third-party device (model `{}`)",
                model.display_name
            )));
        }
        let field = if req.person_id.is_some() {
            "personId"
        } else {
            "workspaceId"
        };
        let org = self.line_member(&owner, org_id, &model, field)?;
        let location_id = match &owner {
            Owner::Person(id) => self.subscriber_by_person(id).and_then(|s| s.location_id.clone()),
            Owner::Place(id) => {
                let w = &self.db.workspaces[id];
                if w.supported_devices != "phones" {
                    return Err(Fail::bad(format!(
                        "Workspace `{}` supports `{}`: desk phones need a workspace created with supportedDevices=phones",
                        w.display_name, w.supported_devices
                    )));
                }
                w.location_id.clone()
            }
        };
        self.check_workspace_capacity(&owner, None)?;
        if let Some(password) = &req.password {
            rules::sip_password(password, "password")?;
        }
        let (seq, id) = self.next_id("DEVICE");
        self.insert_device(Device {
            id: id.clone(),
            seq,
            org_id: org,
            mac,
            model: model.model.clone(),
            owner: owner.clone(),
            location_id,
            tags: Vec::new(),
            created_ms: now,
            password_set: req.password.is_some(),
            sip_user_name: format!("wx{seq:08}"),
            lines: vec![Line {
                member: owner,
                port: 1,
                primary_owner: true,
                line_type: "PRIMARY".to_string(),
                line_weight: 1,
                hotline_enabled: false,
                hotline_destination: String::new(),
                allow_call_decline_enabled: true,
                line_label: None,
                t38_fax_compression_enabled: None,
            }],
        });
        Ok(id)
    }

    /// `PUT /telephony/config/devices/{id}/members`: the list replaces the shared lines; the
    /// owner keeps port 1 whether listed or not.
    pub(super) fn put_members(&mut self, device_id: &str, members: Vec<wire::PutMember>) -> Result<(), Fail> {
        let device = &self.db.devices[device_id];
        let model = self.supported_device(&device.model).cloned().unwrap_or_default();
        let max_lines = self.max_line_count(&device.model);
        let owner_line = device
            .lines
            .iter()
            .find(|l| l.primary_owner)
            .cloned()
            .expect("a device has its owner line");
        let mut lines = Vec::new();
        let mut ports = BTreeSet::new();
        let mut ids = BTreeSet::new();
        let mut owner_listed = false;
        for (i, m) in members.iter().enumerate() {
            let f = format!("members[{i}]");
            if !(1..=max_lines).contains(&m.port) {
                return Err(Fail::bad(format!(
                    "{f}.port {} is out of range: model `{}` has {max_lines} line(s)",
                    m.port, model.display_name
                )));
            }
            if !["PRIMARY", "SHARED_CALL_APPEARANCE"].contains(&m.line_type.as_str()) {
                return Err(Fail::bad(format!(
                    "{f}.lineType `{}` is not PRIMARY or SHARED_CALL_APPEARANCE",
                    m.line_type
                )));
            }
            if !ports.insert(m.port) {
                return Err(Fail::bad(format!("{f}.port {} is used twice", m.port)));
            }
            if !ids.insert(m.id.clone()) {
                return Err(Fail::bad(format!("{f}.id `{}` is listed twice", m.id)));
            }
            let is_owner = m.id == owner_line.member.id();
            if m.primary_owner != is_owner || (m.line_type == "PRIMARY") != is_owner {
                return Err(Fail::bad(format!(
                    "{f}: only the device's owner is primaryOwner with lineType PRIMARY; others are SHARED_CALL_APPEARANCE"
                )));
            }
            let member = if is_owner {
                owner_listed = true;
                owner_line.member.clone()
            } else if self.subscriber_by_person(&m.id).is_some() {
                Owner::Person(m.id.clone())
            } else if self.db.workspaces.contains_key(&m.id) {
                Owner::Place(m.id.clone())
            } else {
                return Err(Fail::bad(format!("{f}.id `{}`: no such person or workspace", m.id)));
            };
            if !is_owner {
                self.line_member(&member, Some(&device.org_id), &model, &format!("{f}.id"))?;
                self.check_workspace_capacity(&member, Some(device_id))?;
            }
            lines.push(Line {
                member,
                port: m.port,
                primary_owner: is_owner,
                line_type: m.line_type.clone(),
                line_weight: m.line_weight.max(1),
                hotline_enabled: m.hotline_enabled,
                hotline_destination: m.hotline_destination.clone(),
                allow_call_decline_enabled: m.allow_call_decline_enabled,
                line_label: m.line_label.clone(),
                t38_fax_compression_enabled: m.t38_fax_compression_enabled,
            });
        }
        if !owner_listed {
            if ports.contains(&owner_line.port) {
                return Err(Fail::bad(format!("port {} is the owner's line", owner_line.port)));
            }
            lines.insert(0, owner_line);
        }
        lines.sort_by_key(|l| l.port);
        let mut d = self.remove_device(device_id).expect("checked");
        d.lines = lines;
        self.insert_device(d);
        Ok(())
    }

    fn patch_tags(&mut self, id: &str, ops: Vec<wire::TagsPatch>) -> Result<(), Fail> {
        let mut tags = self.db.devices[id].tags.clone();
        for (i, op) in ops.iter().enumerate() {
            if op.path.trim_start_matches('/') != "tags" {
                return Err(Fail::bad(format!(
                    "[{i}].path `{}`: only `tags` can be patched",
                    op.path
                )));
            }
            match (op.op.as_str(), &op.value) {
                ("replace", Some(value)) => tags = value.clone(),
                ("add", Some(value)) => {
                    for tag in value {
                        if !tags.contains(tag) {
                            tags.push(tag.clone());
                        }
                    }
                }
                ("remove", _) => tags.clear(),
                ("replace" | "add", None) => return Err(Fail::bad(format!("[{i}].value is required for `{}`", op.op))),
                (other, _) => return Err(Fail::bad(format!("[{i}].op `{other}` is not add, remove or replace"))),
            }
        }
        let mut d = self.remove_device(id).expect("checked");
        d.tags = tags;
        self.insert_device(d);
        Ok(())
    }

    fn owner_display_name(&self, owner: &Owner) -> String {
        match owner {
            Owner::Person(id) => match self.subscriber_by_person(id) {
                Some(s) => {
                    let name = [s.first_name.as_deref(), s.last_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    if name.is_empty() { s.email.clone() } else { name }
                }
                None => String::new(),
            },
            Owner::Place(id) => self
                .db
                .workspaces
                .get(id)
                .map(|w| w.display_name.clone())
                .unwrap_or_default(),
        }
    }

    pub(super) fn render_device(&self, d: &Device) -> wire::Device {
        let model = self.supported_device(&d.model);
        let (person_id, workspace_id) = match &d.owner {
            Owner::Person(id) => (Some(id.clone()), None),
            Owner::Place(id) => (None, Some(id.clone())),
        };
        wire::Device {
            id: d.id.clone(),
            display_name: Some(self.owner_display_name(&d.owner)),
            workspace_id,
            person_id,
            org_id: Some(d.org_id.clone()),
            capabilities: Vec::new(),
            permissions: Vec::new(),
            connection_status: Some("disconnected".to_string()),
            product: Some(model.map_or_else(|| d.model.clone(), |m| m.display_name.clone())),
            device_type: Some("phone".to_string()),
            tags: d.tags.clone(),
            mac: Some(d.mac.clone()),
            primary_sip_url: None,
            sip_urls: Vec::new(),
            serial: None,
            software: None,
            created: iso8601(d.created_ms),
            location_id: d.location_id.clone(),
            error_codes: Vec::new(),
            managed_by: Some(model.map_or_else(|| "CUSTOMER".to_string(), |m| m.managed_by.clone())),
            device_platform: Some("cisco".to_string()),
        }
    }

    fn render_members(&self, d: &Device) -> wire::DeviceMembers {
        let domain = self.sip_domain(&d.org_id);
        wire::DeviceMembers {
            model: self
                .supported_device(&d.model)
                .map_or_else(|| d.model.clone(), |m| m.display_name.clone()),
            members: d
                .lines
                .iter()
                .map(|l| {
                    let (first_name, last_name) = self.owner_names(&l.member);
                    let (phone_number, extension, location) = self.owner_numbers(&l.member);
                    wire::Member {
                        id: l.member.id().to_string(),
                        first_name,
                        last_name,
                        phone_number,
                        extension,
                        primary_owner: l.primary_owner,
                        port: l.port,
                        t38_fax_compression_enabled: l.t38_fax_compression_enabled,
                        line_type: l.line_type.clone(),
                        line_weight: l.line_weight,
                        hotline_enabled: l.hotline_enabled,
                        hotline_destination: l.hotline_destination.clone(),
                        allow_call_decline_enabled: l.allow_call_decline_enabled,
                        line_label: l.line_label.clone(),
                        line_port: Some(if l.port == 1 {
                            format!("{}@{domain}", d.sip_user_name)
                        } else {
                            format!("{}_{}@{domain}", d.sip_user_name, l.port)
                        }),
                        member_type: l.member.kind().to_string(),
                        location: location
                            .and_then(|id| self.db.locations.get(&id))
                            .map(|loc| wire::IdName {
                                id: loc.id.clone(),
                                name: loc.name.clone(),
                            }),
                    }
                })
                .collect(),
            max_line_count: self.max_line_count(&d.model),
        }
    }

    /// `GET /telephony/config/devices/{id}`: never a password.
    fn render_calling_device(&self, d: &Device) -> wire::CallingDevice {
        let model = self.supported_device(&d.model).cloned().unwrap_or_default();
        wire::CallingDevice {
            manufacturer: model.manufacturer,
            managed_by: model.managed_by,
            id: d.id.clone(),
            // The device never registers with the emulator: no address.
            ip: String::new(),
            mac: Some(d.mac.clone()),
            model: d.model.clone(),
            activation_state: Some("activating".to_string()),
            upgrade_channel_enabled: model.upgrade_channel_enabled,
            owner: Some(wire::SipOwner {
                sip_user_name: d.sip_user_name.clone(),
                line_port: Some(format!("{}@{}", d.sip_user_name, self.sip_domain(&d.org_id))),
            }),
            proxy: Some(wire::Proxy {
                outbound_proxy: Some("sbc.emulator.invalid:5061".to_string()),
            }),
        }
    }

    fn validate_macs(&self, macs: &[String]) -> wire::ValidateMacsResponse {
        let mut seen = BTreeSet::new();
        let mac_status: Vec<wire::MacStatus> = macs
            .iter()
            .map(|given| {
                let (state, code, message) = match rules::normalise_mac(given) {
                    None => ("INVALID", Some(MAC_INVALID), Some("Invalid MAC Address".to_string())),
                    Some(mac) if !seen.insert(mac.clone()) => (
                        "DUPLICATE_IN_LIST",
                        Some(MAC_DUPLICATE_IN_LIST),
                        Some("MAC Address is duplicated in the list".to_string()),
                    ),
                    Some(mac) if self.idx.device_by_mac.contains_key(&mac) => (
                        "UNAVAILABLE",
                        Some(MAC_IN_USE),
                        Some("MAC Address is in use".to_string()),
                    ),
                    Some(_) => ("AVAILABLE", None, None),
                };
                wire::MacStatus {
                    mac: given.clone(),
                    state: state.to_string(),
                    error_code: code,
                    message,
                }
            })
            .collect();
        let ok = mac_status.iter().all(|s| s.state == "AVAILABLE");
        wire::ValidateMacsResponse {
            status: if ok { "OK" } else { "ERRORS" }.to_string(),
            mac_status,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

pub(super) async fn list(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[DEVICES_READ]))?;
        call.query.declared(&[
            ("max", Kind::Count),
            ("start", Kind::Count),
            ("product", Kind::Enum(&["DX-80", "RoomKit", "SX-80"])),
            (
                "type",
                Kind::Enum(&["roomdesk", "phone", "accessory", "webexgo", "unknown"]),
            ),
            ("capability", Kind::Enum(&["xapi"])),
            ("devicePlatform", Kind::Enum(&["cisco", "microsoftTeamsRoom"])),
            ("plannedMaintenance", Kind::Enum(&["off", "on", "upcoming"])),
        ])?;
        let q = &call.query;
        let start = q.count("start", 0, usize::MAX)?;
        let max = q.page_size(100, 1000)?;
        let Some(org) = call.org_id() else {
            return Ok(list_with_link(&wire::DeviceList::default(), None));
        };
        store.managed_org(org)?;
        let mac = match q.get("mac") {
            Some(given) => match rules::normalise_mac(given) {
                Some(mac) => Some(mac),
                None => return Err(Fail::bad(format!("mac `{given}` is not a MAC address"))),
            },
            None => None,
        };
        let person = q.get("personId");
        let workspace = q.get("workspaceId");
        let location = q.get("locationId");
        let tag = q.get("tag");
        // The most selective index first: a MAC names at most one device.
        let ids: Vec<&String> = if let Some(mac) = &mac {
            store.idx.device_by_mac.get(mac).into_iter().collect()
        } else if let Some(member) = person.or(workspace) {
            store.idx.devices_by_member.get(member).into_iter().flatten().collect()
        } else {
            store
                .idx
                .devices_by_org
                .get(org)
                .into_iter()
                .flat_map(|m| m.values())
                .collect()
        };
        let matching = ids
            .into_iter()
            .filter_map(|id| store.db.devices.get(id))
            .filter(|d| d.org_id == org)
            .filter(|d| person.is_none_or(|p| d.owner == Owner::Person(p.to_string())))
            .filter(|d| workspace.is_none_or(|w| d.owner == Owner::Place(w.to_string())))
            .filter(|d| location.is_none_or(|l| d.location_id.as_deref() == Some(l)))
            .filter(|d| tag.is_none_or(|t| d.tags.iter().any(|x| x == t)));
        let (items, more) = page(matching, start, max);
        let body = wire::DeviceList {
            items: items.into_iter().map(|d| store.render_device(d)).collect(),
        };
        let next = more.then(|| next_link(&app, "/devices", q, "start", start + max, max));
        Ok(list_with_link(&body, next))
    })())
}

pub(super) async fn create(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[DEVICES_WRITE]))?;
        if let Some(org) = call.org_id() {
            store.managed_org(org)?;
        }
        // Parse errors are reported without the value: it may be the password.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&call.body) {
            super::http::no_nulls(&value, "")?;
        }
        let req: wire::CreateDevice = serde_json::from_slice(&call.body).map_err(|e| {
            Fail::bad(format!(
                "invalid request body (line {}, column {}): expected {{mac, model, personId | workspaceId, password?}}",
                e.line(),
                e.column()
            ))
        })?;
        let id = store.create_device(call.org_id(), req, now, false)?;
        app.changed();
        Ok(json(StatusCode::OK, &store.render_device(&store.db.devices[&id])))
    })())
}

pub(super) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[DEVICES_READ]))?;
        let d = store.device_in(&id, call.org_id())?;
        Ok(json(StatusCode::OK, &store.render_device(d)))
    })())
}

pub(super) async fn delete(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[DEVICES_WRITE]))?;
        store.device_in(&id, call.org_id())?;
        store.remove_device(&id);
        app.changed();
        Ok(no_content())
    })())
}

/// `PATCH /devices/{id}` with `application/json-patch+json`: an array of operations (a single
/// operation object is accepted too, as the spec's schema shows one).
pub(super) async fn patch_tags(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[DEVICES_WRITE]))?;
        store.device_in(&id, call.org_id())?;
        let content_type = call
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media != "application/json-patch+json" && media != "application/json" {
            return Err(Fail::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Type `{content_type}`: send application/json-patch+json"),
            ));
        }
        let value: serde_json::Value = call.body()?;
        let ops: Vec<wire::TagsPatch> = if value.is_array() {
            serde_json::from_value(value)
        } else {
            serde_json::from_value(value).map(|one| vec![one])
        }
        .map_err(|e| Fail::bad(format!("invalid JSON patch: {e}")))?;
        store.patch_tags(&id, ops)?;
        app.changed();
        Ok(json(StatusCode::OK, &store.render_device(&store.db.devices[&id])))
    })())
}

pub(super) async fn validate_macs(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_WRITE]))?;
        if let Some(org) = call.org_id() {
            store.managed_org(org)?;
        }
        let req: wire::ValidateMacs = call.body()?;
        if req.macs.is_empty() {
            return Err(Fail::bad("macs is required"));
        }
        Ok(json(StatusCode::OK, &store.validate_macs(&req.macs)))
    })())
}

pub(super) async fn supported(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_READ]))?;
        call.query.declared(&[("allowConfigureLayoutEnabled", Kind::Bool)])?;
        let kind = call.query.get("type");
        let devices = store
            .db
            .supported_devices
            .iter()
            .filter(|d| match kind {
                Some(k) => match k.strip_prefix("not:") {
                    Some(excluded) => d.device_type != excluded,
                    None => d.device_type == k,
                },
                None => true,
            })
            .cloned()
            .collect();
        let body = wire::SupportedDevices {
            upgrade_channel_list: ["STABLE", "STABLE_DELAY", "PREVIEW", "BETA", "TESTING"]
                .map(str::to_string)
                .to_vec(),
            devices,
        };
        // One page holds them all: no `Link`.
        Ok(json(StatusCode::OK, &body))
    })())
}

pub(super) async fn members(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_READ]))?;
        let d = store.device_in(&id, call.org_id())?;
        Ok(json(StatusCode::OK, &store.render_members(d)))
    })())
}

pub(super) async fn put_members(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_WRITE]))?;
        store.device_in(&id, call.org_id())?;
        let req: wire::PutMembers = if call.body.iter().all(u8::is_ascii_whitespace) {
            wire::PutMembers::default()
        } else {
            call.body()?
        };
        store.put_members(&id, req.members.unwrap_or_default())?;
        app.changed();
        Ok(no_content())
    })())
}

pub(super) async fn calling_details(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_READ]))?;
        let d = store.device_in(&id, call.org_id())?;
        Ok(json(StatusCode::OK, &store.render_calling_device(d)))
    })())
}

/// `PUT /telephony/config/devices/{id}` `{sipPassword}`: records that a password was set,
/// never the password.
pub(super) async fn set_sip_password(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_WRITE]))?;
        store.device_in(&id, call.org_id())?;
        // Parse errors are reported without the value: it may be the password.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&call.body) {
            super::http::no_nulls(&value, "")?;
        }
        let req: wire::UpdateThirdPartyDevice = serde_json::from_slice(&call.body).map_err(|e| {
            Fail::bad(format!(
                "invalid request body (line {}, column {}): expected {{\"sipPassword\": \"…\"}}",
                e.line(),
                e.column()
            ))
        })?;
        rules::required(&req.sip_password, "sipPassword")?;
        rules::sip_password(&req.sip_password, "sipPassword")?;
        drop(req);
        let mut d = store.remove_device(&id).expect("checked");
        d.password_set = true;
        store.insert_device(d);
        app.changed();
        Ok(no_content())
    })())
}
