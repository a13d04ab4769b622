//! Workspaces.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::user::Line;
use super::*;

pub(super) fn room_type(t: RoomType) -> &'static str {
    match t {
        RoomType::NotSet => "notSet",
        RoomType::Focus => "focus",
        RoomType::Huddle => "huddle",
        RoomType::MeetingRoom => "meetingRoom",
        RoomType::Open => "open",
        RoomType::Desk => "desk",
        RoomType::Other => "other",
    }
}

pub(super) fn license_name(l: WorkspaceLicense) -> &'static str {
    match l {
        WorkspaceLicense::Professional => "professional",
        WorkspaceLicense::CommonArea => "commonArea",
    }
}

pub(super) fn workspace_view(spec: &WorkspaceSpec) -> Value {
    let mut view = json!({
        "roomType": room_type(spec.room_type),
        "capacity": spec.capacity,
        "license": license_name(spec.license),
        "location": spec.location,
    });
    if let Some(n) = &spec.phone_number {
        view["phoneNumber"] = json!(n);
    }
    if let Some(x) = &spec.extension {
        view["extension"] = json!(x);
    }
    view
}

/// The workspace kind of each licence id of a customer (known when Webex answers the
/// licence ids of its packages).
pub(super) fn license_kinds(customer: &wire::Customer) -> HashMap<&str, &'static str> {
    let mut kinds = HashMap::new();
    for package in customer.resource_details.iter().flat_map(|r| &r.packages) {
        let kind = if package.name == Package::CommonAreaCalling.as_str() {
            "commonArea"
        } else {
            "professional"
        };
        for id in package.license_ids.iter().flatten() {
            kinds.insert(id.as_str(), kind);
        }
    }
    kinds
}

pub(super) fn live_workspace_view(
    spec: &WorkspaceSpec,
    w: &LiveWorkspace,
    location: Option<&str>,
    line: Option<&Line>,
    kinds: &HashMap<&str, &'static str>,
) -> (Value, Value) {
    let mut live = Map::new();
    if let Some(t) = &w.workspace_type {
        live.insert("roomType".into(), json!(&**t));
    }
    if let Some(c) = w.capacity {
        live.insert("capacity".into(), json!(c));
    }
    let mut unreadable: Vec<&str> = Vec::new();
    // Not a Webex Calling workspace: no licence.
    if w.webex_calling {
        let ids = w.licenses.as_deref();
        match ids.and_then(|ids| ids.iter().find_map(|id| kinds.get(&**id))) {
            Some(kind) => {
                live.insert("license".into(), json!(kind));
            }
            None => unreadable.push("license"),
        }
    }
    match location {
        Some(name) if name.eq_ignore_ascii_case(&spec.location) => {
            live.insert("location".into(), json!(spec.location));
        }
        Some(name) => {
            live.insert("location".into(), json!(name));
        }
        None => {}
    }
    if let Some(line) = line {
        if let Some(n) = line.phone_number {
            live.insert("phoneNumber".into(), json!(n));
        }
        if let Some(x) = line.extension {
            live.insert("extension".into(), json!(x));
        }
    }
    (Value::Object(live), without(workspace_view(spec), &unreadable))
}

/// The fields of a workspace that its `calling` block carries.
const CALLING_FIELDS: [&str; 3] = ["phoneNumber", "extension", "license"];

const CALLING_HELD_HINT: &str = "move or remove the workspace's devices first (their Device manifests: another `owner`, or `ensure: absent`) and apply, then change the workspace, then declare its devices again; or put back the value the plan shows as live";

/// Why a change of a workspace's line or licence cannot be applied, if it cannot: the spec
/// does not support an update of a Webex Calling workspace's `calling` while the workspace
/// holds devices (Webex answers 409), whichever devices the same plan would move later.
/// Refused by name at plan rather than failed at apply (issue #13).
fn calling_held_by_devices(
    spec: &WorkspaceSpec,
    current: &LiveWorkspace,
    live: &OrgLive,
    changes: &[FieldChange],
) -> Option<String> {
    let fields: Vec<String> = changes
        .iter()
        .filter(|c| CALLING_FIELDS.contains(&c.path.as_str()))
        .map(|c| format!("`{}`", c.path))
        .collect();
    let held = live
        .devices
        .iter()
        .filter(|d| d.workspace_id.as_deref() == Some(&*current.id))
        .count();
    // A workspace that moves is made again, its calling with it.
    let moved = changes.iter().any(|c| c.path == "location");
    if fields.is_empty() || held == 0 || moved {
        return None;
    }
    Some(format!(
        "workspace {}: {} cannot change while the workspace holds {held} device{}: Webex does not update a Webex Calling workspace's calling (its number, extension and licence) while it has devices",
        spec.name,
        fields.join(" and "),
        if held == 1 { "" } else { "s" }
    ))
}

impl<'a> Scope<'a> {
    /// Plans the workspaces; returns the live workspace ids by name (for device owners).
    pub(super) fn workspaces(
        &mut self,
        plan: &mut Plan,
        live: &OrgLive,
        lines: &HashMap<&str, Line>,
        location_names: &HashMap<&str, &str>,
        location_id: &dyn Fn(&str) -> Option<String>,
    ) -> HashMap<String, String> {
        let kinds = self.customer.map(license_kinds).unwrap_or_default();
        let current_by_name: HashMap<String, &LiveWorkspace> = live
            .workspaces
            .iter()
            .map(|w| (w.display_name.to_lowercase(), w))
            .collect();
        let mut declared: BTreeSet<String> = BTreeSet::new();
        for w in &self.declared.workspaces {
            let spec = &w.spec;
            let key = spec.name.to_lowercase();
            declared.insert(key.clone());
            let object = self.object(ObjectKind::Workspace, spec.name.as_str());
            let source = Some(self.source(w, Kind::Workspace));
            let current = current_by_name.get(&key).copied();
            let location = location_id(&spec.location);
            let body = self.workspace_body(spec, location);
            let refs = json!({"customer": self.ext, "location": spec.location, "license": license_name(spec.license)});
            match (is_absent(spec.ensure), current) {
                (false, None) => {
                    let mut create = action(
                        Op::Create,
                        &object,
                        source,
                        diff_json("", &Value::Null, &workspace_view(spec)),
                    );
                    create.desired = desired(body, refs);
                    self.steps.workspaces.push(create);
                    self.steps.touched.push((object, None));
                }
                (false, Some(current)) => {
                    let location = current
                        .location_id
                        .as_deref()
                        .map(|id| location_names.get(id).copied().unwrap_or(id));
                    let line = lines.get(&*current.id);
                    let (have, want) = live_workspace_view(spec, current, location, line, &kinds);
                    let changes = diff_json("", &have, &want);
                    if changes.is_empty() {
                        continue;
                    }
                    if let Some(refusal) = calling_held_by_devices(spec, current, live, &changes) {
                        self.error(plan, &object, source, refusal, CALLING_HELD_HINT);
                        continue;
                    }
                    // Webex keeps the number or extension a calling update leaves out: taking
                    // one away would plan a change that never happens (issue #13).
                    let moved = changes.iter().any(|c| c.path == "location");
                    if let Some(removed) = taken_away(&changes, &["phoneNumber", "extension"]).filter(|_| !moved) {
                        self.error(
                            plan,
                            &object,
                            source,
                            format!(
                                "workspace {}: {} cannot be taken away through the workspace API (Webex keeps the number or extension a calling update leaves out)",
                                spec.name, removed
                            ),
                            "take it away in Control Hub (Workspaces > the workspace > Calling), then remove it here; or give another value, or put back the one the plan shows as live",
                        );
                        continue;
                    }
                    self.changed_workspace(object, source, spec, current, body, changes);
                }
                (true, Some(current)) => {
                    let mut delete = action(Op::Delete, &object, source, Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_workspaces.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                (true, None) => {}
            }
        }
        self.undeclared_workspaces(plan, live, &declared);
        live.workspaces
            .iter()
            .map(|w| (w.display_name.to_lowercase(), w.id.to_string()))
            .collect()
    }

    /// The body apply sends to make a workspace (or to make it again).
    fn workspace_body(&self, spec: &WorkspaceSpec, location: Option<String>) -> wire::CreateWorkspace {
        wire::CreateWorkspace {
            display_name: spec.name.clone(),
            org_id: self.customer.and_then(|c| c.org_id.clone()),
            location_id: location.clone(),
            capacity: Some(i64::from(spec.capacity)),
            workspace_type: Some(room_type(spec.room_type).to_string()),
            calling: Some(wire::WorkspaceCalling {
                calling_type: "webexCalling".into(),
                webex_calling: Some(wire::WebexCalling {
                    phone_number: spec.phone_number.clone(),
                    extension: spec.extension.clone(),
                    location_id: location,
                    licenses: license_id(self.customer, spec.license).map(|l| vec![l]),
                }),
            }),
            // SIP desk phones need a workspace made for phones (it cannot change later).
            supported_devices: Some("phones".into()),
            ..Default::default()
        }
    }

    /// A declared workspace that differs from the live one: replaced when it moves to another
    /// location, else updated.
    fn changed_workspace(
        &mut self,
        object: ObjectRef,
        source: Option<SourceRef>,
        spec: &WorkspaceSpec,
        current: &LiveWorkspace,
        body: wire::CreateWorkspace,
        changes: Vec<FieldChange>,
    ) {
        // A workspace's location is set at creation.
        let moved = changes.iter().any(|c| c.path == "location");
        let mut act = action(if moved { Op::Replace } else { Op::Update }, &object, source, changes);
        if moved {
            self.replaced_workspaces.insert(current.id.to_string());
            act.reason = Some(Reason::Immutable {
                field: "location".into(),
            });
            act.desired = desired(
                body,
                json!({"customer": self.ext, "id": &*current.id, "location": spec.location}),
            );
        } else {
            // `calling` only when the line or the licence changes: the spec does not support an
            // update of a Webex Calling workspace's calling while it holds devices, so a change
            // of capacity or type alone must not send it again (issue #13).
            let calling_changed = act.changes.iter().any(|c| CALLING_FIELDS.contains(&c.path.as_str()));
            act.desired = desired(
                wire::UpdateWorkspace {
                    display_name: Some(spec.name.clone()),
                    capacity: body.capacity,
                    workspace_type: body.workspace_type.clone(),
                    calling: if calling_changed { body.calling.clone() } else { None },
                    ..Default::default()
                },
                json!({"customer": self.ext, "id": &*current.id, "license": license_name(spec.license)}),
            );
        }
        self.steps.workspaces.push(act);
        self.steps.touched.push((object, Some(current.fingerprint())));
    }

    /// Live workspaces nothing declares: pruned, or unmanaged.
    fn undeclared_workspaces(&mut self, plan: &mut Plan, live: &OrgLive, declared: &BTreeSet<String>) {
        let mut undeclared: Vec<&LiveWorkspace> = live
            .workspaces
            .iter()
            .filter(|w| !declared.contains(&w.display_name.to_lowercase()))
            .collect();
        undeclared.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        for current in undeclared {
            let object = self.object(ObjectKind::Workspace, &*current.display_name);
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_workspaces.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
    }
}
