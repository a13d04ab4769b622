//! Workspaces (`specs/webex/webex-device.json`) and their device limits.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::http::{Call, Fail, Kind, Need, begin, json, no_content, page, reply};
use super::rules;
use super::scopes::*;
use super::store::{Store, Workspace};
use crate::emulator::{App, iso8601};
use crate::wire::webex as wire;

const WRITERS: Need = Need::All(&[WORKSPACES_WRITE, TELEPHONY_WRITE]);

const CALLING_TYPES: &[&str] = &[
    "freeCalling",
    "hybridCalling",
    "webexCalling",
    "webexEdgeForDevices",
    "thirdPartySipCalling",
    "none",
];
const WORKSPACE_TYPES: &[&str] = &["notSet", "focus", "huddle", "meetingRoom", "open", "desk", "other"];

/// A workspace's calling, checked: type, location, number, extension, licences and what they
/// mean (kind, device limit).
struct Calling {
    calling_type: String,
    location_id: Option<String>,
    phone_number: Option<String>,
    extension: Option<String>,
    licenses: Vec<String>,
    license_kind: Option<String>,
    max_devices: i64,
}

impl Store {
    pub(super) fn workspace_in(&self, id: &str, org_id: Option<&str>) -> Result<&Workspace, Fail> {
        match self.db.workspaces.get(id) {
            Some(w) if org_id.is_none_or(|o| o == w.org_id) => Ok(w),
            _ => Err(Fail::not_found(format!("Workspace `{id}` not found"))),
        }
    }

    /// The licence a Webex Calling workspace gets: the first of `given` that is a workspace
    /// licence of the organisation, or without any, the first the organisation has (in the order
    /// of the seed's `licenses`). Returns (licence id, kind, device limit).
    fn workspace_license(&self, org_id: &str, given: &[String]) -> Result<(String, String, i64), Fail> {
        let customer = self
            .customer_of_org(org_id)
            .ok_or_else(|| Fail::not_found(format!("Organization `{org_id}` not found")))?;
        let kind_of = |license: &str| {
            let package = customer
                .licenses
                .iter()
                .find(|(_, id)| *id == license)
                .map(|(p, _)| p)?;
            self.db.licenses.iter().find(|k| k.package == *package)
        };
        if !given.is_empty() {
            for license in given {
                if !customer.licenses.values().any(|l| l == license) {
                    return Err(Fail::bad(format!(
                        "calling.webexCalling.licenses: `{license}` is not a license of the organization"
                    )));
                }
            }
            return given
                .iter()
                .find_map(|l| kind_of(l).map(|k| (l.clone(), k.kind.clone(), k.max_device_count)))
                .ok_or_else(|| {
                    Fail::bad("calling.webexCalling.licenses: none of them is a workspace calling license")
                });
        }
        self.db
            .licenses
            .iter()
            .find_map(|k| {
                customer
                    .licenses
                    .get(&k.package)
                    .map(|l| (l.clone(), k.kind.clone(), k.max_device_count))
            })
            .ok_or_else(|| Fail::bad("the organization has no workspace calling license (it needs a calling package)"))
    }

    fn workspace_calling(
        &self,
        org_id: &str,
        location_id: Option<&str>,
        calling: Option<&wire::WorkspaceCalling>,
        me: &super::store::Owner,
    ) -> Result<Calling, Fail> {
        let calling_type = calling.map_or("freeCalling", |c| c.calling_type.as_str());
        if !CALLING_TYPES.contains(&calling_type) {
            return Err(Fail::bad(format!(
                "calling.type `{calling_type}` is not one of {}",
                CALLING_TYPES.join(", ")
            )));
        }
        if calling_type != "webexCalling" {
            return Ok(Calling {
                calling_type: calling_type.to_string(),
                location_id: location_id.map(str::to_string),
                phone_number: None,
                extension: None,
                licenses: Vec::new(),
                license_kind: None,
                max_devices: 0,
            });
        }
        let Some(wc) = calling.and_then(|c| c.webex_calling.as_ref()) else {
            return Err(Fail::bad(
                "calling.webexCalling is required for a webexCalling workspace",
            ));
        };
        let location = match (location_id, wc.location_id.as_deref()) {
            (Some(a), Some(b)) if a != b => {
                return Err(Fail::bad("locationId and calling.webexCalling.locationId differ"));
            }
            (a, b) => a.or(b),
        };
        let Some(location) = location else {
            return Err(Fail::bad(
                "calling.webexCalling.locationId is required for a webexCalling workspace",
            ));
        };
        match self.db.locations.get(location) {
            Some(l) if l.org_id == org_id => {}
            _ => {
                return Err(Fail::bad(format!(
                    "calling.webexCalling.locationId `{location}` is not a location of the organization"
                )));
            }
        }
        if wc.phone_number.is_none() && wc.extension.is_none() {
            return Err(Fail::bad(
                "calling.webexCalling needs a phoneNumber or an extension for a webexCalling workspace",
            ));
        }
        self.check_assignment(
            org_id,
            location,
            wc.phone_number.as_deref(),
            wc.extension.as_deref(),
            me,
            "calling.webexCalling",
        )?;
        let (license, kind, max) = self.workspace_license(org_id, wc.licenses.as_deref().unwrap_or_default())?;
        Ok(Calling {
            calling_type: calling_type.to_string(),
            location_id: Some(location.to_string()),
            phone_number: wc.phone_number.clone(),
            extension: wc.extension.clone(),
            licenses: vec![license],
            license_kind: Some(kind),
            max_devices: max,
        })
    }

    fn check_workspace_fields(
        capacity: Option<i64>,
        workspace_type: Option<&str>,
        hotdesking: Option<&str>,
    ) -> Result<(), Fail> {
        // The spec's enum: anything else would be stored and answered, outside the schema.
        if let Some(h) = hotdesking
            && !["on", "off"].contains(&h)
        {
            return Err(Fail::bad(format!("hotdeskingStatus `{h}` is not one of on, off")));
        }
        if capacity.is_some_and(|c| c < 0) {
            return Err(Fail::bad("capacity must not be negative"));
        }
        if let Some(t) = workspace_type
            && !WORKSPACE_TYPES.contains(&t)
        {
            return Err(Fail::bad(format!(
                "type `{t}` is not one of {}",
                WORKSPACE_TYPES.join(", ")
            )));
        }
        Ok(())
    }

    /// `POST /workspaces`. Returns the new workspace's id.
    pub(super) fn create_workspace(&mut self, req: wire::CreateWorkspace, now: u64) -> Result<String, Fail> {
        rules::required(&req.display_name, "displayName")?;
        rules::calling_name(&req.display_name, "displayName")?;
        // Without `orgId`, the organisation is the location's: `locationId`, or the calling
        // location (wxc_sdk sends only `calling.webexCalling.locationId`).
        let calling_location = req
            .calling
            .as_ref()
            .and_then(|c| c.webex_calling.as_ref())
            .and_then(|wc| wc.location_id.as_ref());
        let org_id = match (&req.org_id, req.location_id.as_ref().or(calling_location)) {
            (Some(org), _) => org.clone(),
            (None, Some(location)) => match self.db.locations.get(location) {
                Some(l) => l.org_id.clone(),
                None => return Err(Fail::bad(format!("locationId `{location}`: no such location"))),
            },
            (None, None) => {
                return Err(Fail::bad(
                    "orgId is required: the emulator holds no partner organization to create workspaces in",
                ));
            }
        };
        self.managed_org(&org_id)?;
        Self::check_workspace_fields(
            req.capacity,
            req.workspace_type.as_deref(),
            req.hotdesking_status.as_deref(),
        )?;
        let supported_devices = req
            .supported_devices
            .clone()
            .unwrap_or_else(|| "collaborationDevices".to_string());
        if !["collaborationDevices", "phones"].contains(&supported_devices.as_str()) {
            return Err(Fail::bad(format!(
                "supportedDevices `{supported_devices}` is not collaborationDevices or phones"
            )));
        }
        if let Some(location) = &req.location_id {
            self.location_in(location, Some(&org_id))
                .map_err(|_| Fail::bad(format!("locationId `{location}` is not a location of the organization")))?;
        }
        if let Some(existing) = self.workspace_named(&org_id, &req.display_name) {
            return Err(Fail::conflict(format!(
                "A workspace named `{}` already exists in the organization (id {})",
                req.display_name, existing.id
            )));
        }
        let (seq, id) = self.next_id("PLACE");
        let me = super::store::Owner::Place(id.clone());
        let calling = self.workspace_calling(&org_id, req.location_id.as_deref(), req.calling.as_ref(), &me)?;
        self.insert_workspace(Workspace {
            id: id.clone(),
            seq,
            org_id,
            display_name: req.display_name,
            location_id: calling.location_id,
            capacity: req.capacity,
            workspace_type: req.workspace_type,
            supported_devices,
            calling_type: calling.calling_type,
            phone_number: calling.phone_number,
            extension: calling.extension,
            licenses: calling.licenses,
            license_kind: calling.license_kind,
            max_devices: calling.max_devices,
            notes: req.notes,
            hotdesking_status: req.hotdesking_status,
            created_ms: now,
        });
        Ok(id)
    }

    /// `PUT /workspaces/{id}`: like Webex, the optional `capacity`, `type` and `notes` left out
    /// are cleared; `calling` left out is kept; `locationId` cannot change.
    fn update_workspace(&mut self, id: &str, req: wire::UpdateWorkspace) -> Result<(), Fail> {
        let current = &self.db.workspaces[id];
        let org_id = current.org_id.clone();
        if let Some(name) = &req.display_name {
            rules::required(name, "displayName")?;
            rules::calling_name(name, "displayName")?;
            if let Some(other) = self.workspace_named(&org_id, name)
                && other.id != id
            {
                return Err(Fail::conflict(format!("A workspace named `{name}` already exists")));
            }
        }
        if let Some(location) = &req.location_id
            && current.location_id.as_deref() != Some(location.as_str())
        {
            return Err(Fail::bad("locationId cannot be changed"));
        }
        Self::check_workspace_fields(
            req.capacity,
            req.workspace_type.as_deref(),
            req.hotdesking_status.as_deref(),
        )?;
        let calling = match &req.calling {
            // The GET's own `calling` sent back (a read-modify-write, as wxc_sdk and the spec's
            // "include all details ... present in a GET" do): no change of calling.
            Some(c) if same_calling(current, c) => None,
            Some(c) => {
                // The spec: updating `calling` is only supported from these types, and not to
                // `none`, `thirdPartySipCalling` or `webexCalling` while the workspace has devices.
                if !["freeCalling", "none", "thirdPartySipCalling", "webexCalling"]
                    .contains(&current.calling_type.as_str())
                {
                    return Err(Fail::bad(format!(
                        "calling cannot be updated on a `{}` workspace",
                        current.calling_type
                    )));
                }
                let devices = self.devices_of(&current.owner()).len();
                if devices > 0 && ["none", "thirdPartySipCalling", "webexCalling"].contains(&c.calling_type.as_str()) {
                    return Err(Fail::conflict(format!(
                        "the workspace has {devices} device(s): its calling cannot be changed to `{}` while it has any",
                        c.calling_type
                    )));
                }
                Some(self.workspace_calling(&org_id, current.location_id.as_deref(), Some(c), &current.owner())?)
            }
            None => None,
        };
        let mut w = self.remove_workspace(id).expect("checked");
        if let Some(name) = req.display_name {
            w.display_name = name;
        }
        w.capacity = req.capacity;
        w.workspace_type = req.workspace_type;
        w.notes = req.notes;
        if req.hotdesking_status.is_some() {
            w.hotdesking_status = req.hotdesking_status;
        }
        if let Some(c) = calling {
            w.calling_type = c.calling_type;
            w.location_id = c.location_id.or(w.location_id);
            w.phone_number = c.phone_number;
            w.extension = c.extension;
            w.licenses = c.licenses;
            w.license_kind = c.license_kind;
            w.max_devices = c.max_devices;
        }
        self.insert_workspace(w);
        Ok(())
    }

    pub(super) fn render_workspace(&self, w: &Workspace) -> wire::Workspace {
        wire::Workspace {
            id: w.id.clone(),
            org_id: w.org_id.clone(),
            location_id: w.location_id.clone(),
            display_name: w.display_name.clone(),
            capacity: w.capacity,
            workspace_type: w.workspace_type.clone(),
            created: Some(iso8601(w.created_ms)),
            calling: Some(wire::WorkspaceCalling {
                calling_type: w.calling_type.clone(),
                // As the spec answers it: the licences only (numbers are in the numbers list).
                webex_calling: (w.calling_type == "webexCalling").then(|| wire::WebexCalling {
                    licenses: Some(w.licenses.clone()),
                    ..Default::default()
                }),
            }),
            notes: w.notes.clone(),
            hotdesking_status: Some(w.hotdesking_status.clone().unwrap_or_else(|| "off".to_string())),
            supported_devices: Some(w.supported_devices.clone()),
            device_platform: Some("cisco".to_string()),
        }
    }

    fn place_devices(&self, w: &Workspace) -> wire::PlaceDeviceList {
        let devices = self
            .devices_of(&w.owner())
            .into_iter()
            .map(|(d, owned)| wire::PlaceDevice {
                id: d.id.clone(),
                // Always present: wxc_sdk's model requires it.
                description: d.tags.clone(),
                model: d.model.clone(),
                mac: Some(d.mac.clone()),
                primary_owner: owned,
                line_type: if owned { "PRIMARY" } else { "SHARED_CALL_APPEARANCE" }.to_string(),
                hoteling: wire::Hoteling::default(),
                owner: {
                    let (first_name, last_name) = self.owner_names(&d.owner);
                    wire::DeviceOwner {
                        id: d.owner.id().to_string(),
                        owner_type: d.owner.kind().to_string(),
                        first_name,
                        last_name,
                    }
                },
                activation_state: "ACTIVATING".to_string(),
            })
            .collect();
        wire::PlaceDeviceList {
            devices,
            max_device_count: w.max_devices,
            max_owned_device_count: w.max_devices,
        }
    }
}

/// Whether a PUT's `calling` asks for what the workspace already has: the same type and, for
/// Webex Calling, nothing that differs (the GET answers only the licences, so a block of
/// licences alone is the GET's).
fn same_calling(w: &Workspace, c: &wire::WorkspaceCalling) -> bool {
    if c.calling_type != w.calling_type {
        return false;
    }
    let Some(wc) = c.webex_calling.as_ref().filter(|_| w.calling_type == "webexCalling") else {
        return true;
    };
    let same = |given: &Option<String>, had: &Option<String>| given.is_none() || given == had;
    same(&wc.phone_number, &w.phone_number)
        && same(&wc.extension, &w.extension)
        && same(&wc.location_id, &w.location_id)
        && wc.licenses.as_ref().is_none_or(|l| *l == w.licenses)
}

// ---------------------------------------------------------------------------------------------
// Handlers

pub(super) async fn list(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[WORKSPACES_READ]))?;
        call.query.declared(&[
            ("capacity", Kind::Count),
            ("type", Kind::Enum(WORKSPACE_TYPES)),
            ("start", Kind::Count),
            ("max", Kind::Count),
            ("calling", Kind::Enum(CALLING_TYPES)),
            ("supportedDevices", Kind::Enum(&["collaborationDevices", "phones"])),
            ("calendar", Kind::Enum(&["none", "google", "microsoft"])),
            ("deviceHostedMeetingsEnabled", Kind::Bool),
            ("devicePlatform", Kind::Enum(&["cisco", "microsoftTeamsRoom"])),
            ("healthLevel", Kind::Enum(&["error", "warning", "info", "ok"])),
            ("includeDevices", Kind::Bool),
            ("includeCapabilities", Kind::Bool),
            ("plannedMaintenance", Kind::Enum(&["off", "on", "upcoming"])),
        ])?;
        let q = &call.query;
        let start = q.count("start", 0, usize::MAX)?;
        let max = q.page_size(100, 1000)?;
        let Some(org) = call.org_id() else {
            return Ok(json(StatusCode::OK, &wire::WorkspaceList::default()));
        };
        store.managed_org(org)?;
        let name = q.get("displayName").map(str::to_lowercase);
        let location = q.get("locationId");
        let calling = q.one_of("calling", CALLING_TYPES)?;
        let supported = q.one_of("supportedDevices", &["collaborationDevices", "phones"])?;
        let workspace_type = q.one_of("type", WORKSPACE_TYPES)?;
        let matching = store
            .idx
            .workspaces_by_org
            .get(org)
            .into_iter()
            .flat_map(|m| m.values())
            .map(|id| &store.db.workspaces[id])
            .filter(|w| name.as_ref().is_none_or(|n| w.display_name.to_lowercase().contains(n)))
            .filter(|w| location.is_none_or(|l| w.location_id.as_deref() == Some(l)))
            .filter(|w| calling.is_none_or(|c| w.calling_type == c))
            .filter(|w| supported.is_none_or(|s| w.supported_devices == s))
            .filter(|w| workspace_type.is_none_or(|t| w.workspace_type.as_deref() == Some(t)));
        let (items, _) = page(matching, start, max);
        let body = wire::WorkspaceList {
            items: items.into_iter().map(|w| store.render_workspace(w)).collect(),
        };
        Ok(json(StatusCode::OK, &body))
    })())
}

pub(super) async fn create(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, WRITERS)?;
        let req: wire::CreateWorkspace = call.body()?;
        let id = store.create_workspace(req, now)?;
        app.changed();
        Ok(json(
            StatusCode::CREATED,
            &store.render_workspace(&store.db.workspaces[&id]),
        ))
    })())
}

pub(super) async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[WORKSPACES_READ]))?;
        call.query
            .declared(&[("includeDevices", Kind::Bool), ("includeCapabilities", Kind::Bool)])?;
        let w = store.workspace_in(&id, call.org_id())?;
        Ok(json(StatusCode::OK, &store.render_workspace(w)))
    })())
}

pub(super) async fn update(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, WRITERS)?;
        store.workspace_in(&id, call.org_id())?;
        let req: wire::UpdateWorkspace = call.body()?;
        store.update_workspace(&id, req)?;
        app.changed();
        Ok(json(StatusCode::OK, &store.render_workspace(&store.db.workspaces[&id])))
    })())
}

pub(super) async fn delete(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, WRITERS)?;
        store.workspace_in(&id, call.org_id())?;
        let w = store.remove_workspace(&id).expect("checked");
        // Its devices go with it; its shared lines on other devices are dropped.
        store.detach_member(&w.owner());
        app.changed();
        Ok(no_content())
    })())
}

/// `GET /telephony/config/workspaces/{id}/devices`: the devices, and the limits as data.
pub(super) async fn devices(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[TELEPHONY_READ]))?;
        let w = store.workspace_in(&id, call.org_id())?;
        if w.calling_type != "webexCalling" {
            return Err(Fail::bad(format!(
                "Workspace `{}` is not a Webex Calling workspace (calling type `{}`)",
                w.display_name, w.calling_type
            )));
        }
        Ok(json(StatusCode::OK, &store.place_devices(w)))
    })())
}
