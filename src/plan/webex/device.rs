//! Devices, their shared lines and SIP passwords, and the plan-time checks of models and
//! workspace limits.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::*;

pub(super) fn owner_view(spec: &DeviceSpec) -> Value {
    match (&spec.owner.user, &spec.owner.workspace) {
        (Some(user), _) => json!({"user": user.to_lowercase()}),
        (None, Some(workspace)) => json!({"workspace": workspace}),
        (None, None) => Value::Null,
    }
}

pub(super) fn shared_view(spec: &DeviceSpec) -> Value {
    let mut users: Vec<String> = spec
        .shared_with
        .iter()
        .flatten()
        .map(|s| s.user.to_lowercase())
        .collect();
    users.sort();
    Value::Array(users.into_iter().map(|u| json!({"user": u})).collect())
}

pub(super) fn device_view(spec: &DeviceSpec) -> Value {
    let mut view = json!({"model": spec.model, "owner": owner_view(spec)});
    if spec.shared_with.is_some() {
        view["sharedWith"] = shared_view(spec);
    }
    view
}

/// The supported model a manifest or a device names, by `model` or display name.
pub(super) fn supported<'a>(list: &'a [wire::SupportedDevice], model: &str) -> Option<&'a wire::SupportedDevice> {
    list.iter()
        .find(|d| d.model.eq_ignore_ascii_case(model) || d.display_name.eq_ignore_ascii_case(model))
}

pub(super) fn same_model(list: Option<&[wire::SupportedDevice]>, a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match list {
        Some(list) => match (supported(list, a), supported(list, b)) {
            (Some(x), Some(y)) => x.model == y.model,
            _ => false,
        },
        None => false,
    }
}

/// A password that is set: never a value, only where it comes from.
pub(super) fn sip_password_change(password: &SipPassword) -> FieldChange {
    let source = match (&password.from_env, &password.from_file) {
        (Some(name), _) => Some(SecretSource::FromEnv(name.clone())),
        (None, Some(path)) => Some(SecretSource::FromFile(path.clone())),
        (None, None) => (password.generate == Some(true)).then_some(SecretSource::Generate),
    };
    FieldChange {
        path: "sipPassword".into(),
        old: None,
        new: None,
        sensitive: true,
        secret_source: source,
    }
}

/// The password's source, for apply (a reference, never a value).
pub(super) fn password_ref(spec: &DeviceSpec) -> Value {
    let p = &spec.sip_password;
    json!({
        "fromEnv": p.from_env,
        "fromFile": p.from_file,
        "generate": p.generate,
        "rotation": p.rotation.unwrap_or(0),
        "tag": format!("{ROTATION_TAG}{}", p.rotation.unwrap_or(0)),
    })
}

/// What the live devices of an organisation are compared by: their owners and line members,
/// by id and by name.
struct Known<'l> {
    live: &'l OrgLive,
    supported: Option<&'l [wire::SupportedDevice]>,
    /// Person id → lower-case email.
    emails: HashMap<&'l str, String>,
    /// Lower-case email → person id.
    person_ids: HashMap<String, &'l str>,
    /// Workspace id → name.
    workspace_names: HashMap<&'l str, &'l str>,
    /// Lower-case workspace name → id.
    workspace_ids: &'l HashMap<String, String>,
}

impl<'l> Known<'l> {
    fn new(
        live: &'l OrgLive,
        supported: Option<&'l [wire::SupportedDevice]>,
        workspace_ids: &'l HashMap<String, String>,
    ) -> Self {
        let emails: HashMap<&str, String> = live
            .subscribers
            .iter()
            .filter_map(|s| Some((s.person_id.as_deref()?, s.email().to_lowercase())))
            .collect();
        let person_ids: HashMap<String, &str> = live
            .subscribers
            .iter()
            .filter_map(|s| Some((s.email().to_lowercase(), s.person_id.as_deref()?)))
            .collect();
        let workspace_names: HashMap<&str, &str> = live.workspaces.iter().map(|w| (&*w.id, &*w.display_name)).collect();
        Known {
            live,
            supported,
            emails,
            person_ids,
            workspace_names,
            workspace_ids,
        }
    }

    /// A live device's owner, in the manifest's terms where it is known.
    fn owner(&self, d: &LiveDevice) -> Value {
        if let Some(p) = d.person_id.as_deref() {
            return match self.emails.get(p) {
                Some(email) => json!({"user": email}),
                None => json!({"personId": p}),
            };
        }
        if let Some(w) = d.workspace_id.as_deref() {
            return match self.workspace_names.get(w) {
                Some(name) => json!({"workspace": name}),
                None => json!({"workspaceId": w}),
            };
        }
        Value::Null
    }

    /// A live device's shared lines (its members but the owner), sorted.
    fn shared(&self, members: &wire::DeviceMembers) -> Value {
        let mut shared: Vec<Value> = members
            .members
            .iter()
            .filter(|m| !m.primary_owner)
            .map(|m| match (m.member_type.as_str(), self.emails.get(m.id.as_str())) {
                ("PEOPLE", Some(email)) => json!({"user": email}),
                ("PLACE", _) => match self.workspace_names.get(m.id.as_str()) {
                    Some(name) => json!({"workspace": name}),
                    None => json!({"workspaceId": m.id}),
                },
                _ => json!({"personId": m.id}),
            })
            .collect();
        shared.sort_by_key(|v| v.to_string());
        Value::Array(shared)
    }

    /// The body apply sends to add a device (the owner ids known now; apply resolves the
    /// others).
    fn body(&self, spec: &DeviceSpec, mac: &str, model: Option<&wire::SupportedDevice>) -> wire::CreateDevice {
        wire::CreateDevice {
            mac: mac.to_string(),
            model: model.map_or_else(|| spec.model.clone(), |m| m.model.clone()),
            workspace_id: spec
                .owner
                .workspace
                .as_ref()
                .and_then(|w| self.workspace_ids.get(&w.to_lowercase()).cloned()),
            person_id: spec
                .owner
                .user
                .as_ref()
                .and_then(|u| self.person_ids.get(&u.to_lowercase()).map(|p| p.to_string())),
            password: None,
        }
    }

    /// The live and the wanted view of a declared device that exists, with what cannot be
    /// compared left out of both.
    fn views(&self, spec: &DeviceSpec, current: &LiveDevice) -> (Value, Value) {
        let product = current.product.as_deref().unwrap_or_default();
        let mut have = json!({
            "model": if same_model(self.supported, product, &spec.model) { spec.model.as_str() } else { product },
            "owner": self.owner(current),
        });
        // Lines are compared only for a device declared with `sharedWith` (read or not).
        let members = self
            .live
            .members
            .get(current.id())
            .filter(|_| spec.shared_with.is_some());
        match members {
            // Read for the devices declared with `sharedWith` (`[]` included): compared
            // whole, none shared included.
            Some(members) => have["sharedWith"] = self.shared(members),
            // Lines are read only for devices declared with `sharedWith`.
            None => have = without(have, &["sharedWith"]),
        }
        let want = device_view(spec);
        let want = if members.is_some() {
            want
        } else {
            without(want, &["sharedWith"])
        };
        (have, want)
    }
}

/// The references of a device's action: its customer, owner, lines and password source.
fn device_refs(ext: &str, spec: &DeviceSpec) -> Value {
    json!({
        "customer": ext,
        "owner": owner_view(spec),
        "sharedWith": shared_view(spec),
        "sipPassword": password_ref(spec),
    })
}

impl<'a> Scope<'a> {
    pub(super) fn devices(&mut self, plan: &mut Plan, live: &OrgLive, workspace_ids: &HashMap<String, String>) {
        let known = Known::new(live, self.live.supported_devices.as_deref(), workspace_ids);
        // A device without a MAC (a Cisco device activated by code) cannot be declared: it is
        // listed, never pruned.
        let current_by_mac: HashMap<String, &LiveDevice> = live
            .devices
            .iter()
            .filter_map(|d| Some((mac_key(d.mac().filter(|m| !m.is_empty())?), d)))
            .collect();
        for d in live.devices.iter().filter(|d| d.mac().is_none_or(str::is_empty)) {
            plan.unmanaged.push(Unmanaged {
                object: self.object(ObjectKind::Device, d.id()),
            });
        }
        let mut declared: BTreeSet<String> = BTreeSet::new();
        // Devices per workspace (by lower-case name), for the limit check.
        let mut per_workspace: HashMap<String, usize> = HashMap::new();
        let declared_devices = self.declared;
        for d in &declared_devices.devices {
            let spec = &d.spec;
            let mac = mac_key(&spec.mac);
            declared.insert(mac.clone());
            let object = self.object(ObjectKind::Device, mac.as_str());
            let current = current_by_mac.get(&mac).copied();
            if is_absent(spec.ensure) {
                if let Some(current) = current {
                    let mut delete = action(Op::Delete, &object, Some(self.source(d, Kind::Device)), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_devices.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                continue;
            }
            if let Some(w) = &spec.owner.workspace {
                *per_workspace.entry(w.to_lowercase()).or_default() += 1;
            }
            self.device(plan, d, object, current, &known);
        }

        let mut undeclared: Vec<(&String, &&LiveDevice)> =
            current_by_mac.iter().filter(|(m, _)| !declared.contains(*m)).collect();
        undeclared.sort_by_key(|(m, _)| *m);
        let mut staying: Vec<&LiveDevice> = Vec::new();
        for (mac, current) in undeclared {
            let object = self.object(ObjectKind::Device, mac.as_str());
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_devices.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            } else {
                plan.unmanaged.push(Unmanaged { object });
                staying.push(current);
            }
        }
        self.check_workspace_limits(plan, live, &per_workspace, &staying);
    }

    /// A device that should exist: added (again, when its workspace is replaced), replaced
    /// when its model or owner changes, else updated where its lines or password differ.
    fn device(
        &mut self,
        plan: &mut Plan,
        d: &'a Manifest<DeviceSpec>,
        object: ObjectRef,
        current: Option<&LiveDevice>,
        known: &Known,
    ) {
        let spec = &d.spec;
        // A device's key is its MAC.
        let mac = &object.key;
        // Plan-time check: an approved model, supported for its kind of owner.
        let model = known.supported.and_then(|list| supported(list, &spec.model));
        if let Some(list) = known.supported {
            self.check_model(plan, &object, d, list, model);
        }
        // A device of a workspace this plan replaces goes with the old workspace: it is
        // added again after the new one, as a new device (with a new password).
        let goes_with_workspace = current.filter(|d| {
            d.workspace_id
                .as_deref()
                .is_some_and(|w| self.replaced_workspaces.contains(w))
        });
        let current = current.filter(|_| goes_with_workspace.is_none());
        let Some(current) = current else {
            let mut changes = diff_json("", &Value::Null, &device_view(spec));
            changes.push(sip_password_change(&spec.sip_password));
            let mut create = action(Op::Create, &object, Some(self.source(d, Kind::Device)), changes);
            create.reason = Some(Reason::PasswordReset);
            create.desired = desired(known.body(spec, mac, model), device_refs(self.ext, spec));
            self.steps.devices.push(create);
            self.steps
                .touched
                .push((object, goes_with_workspace.map(|d| d.fingerprint())));
            return;
        };
        let (have, want) = known.views(spec, current);
        let mut changes = diff_json("", &have, &want);
        // The reason names the changed path (`owner.user`), so that the change is marked as
        // the one that forces the replacement.
        let immutable = changes
            .iter()
            .find(|c| {
                ["owner", "model"]
                    .iter()
                    .any(|f| c.path == *f || c.path.starts_with(&format!("{f}.")))
            })
            .map(|c| c.path.clone());
        if let Some(field) = immutable {
            // Webex sets a device's model and owner when it is added: a new one is added
            // (with a new SIP password).
            changes.push(sip_password_change(&spec.sip_password));
            let mut replace = action(Op::Replace, &object, Some(self.source(d, Kind::Device)), changes);
            replace.reason = Some(Reason::Immutable { field });
            let mut refs = device_refs(self.ext, spec);
            refs["id"] = json!(current.id());
            replace.desired = desired(known.body(spec, mac, model), refs);
            self.steps.devices.push(replace);
            self.steps.touched.push((object, Some(current.fingerprint())));
            return;
        }
        self.update_device(d, object, current, changes);
    }

    /// A device whose lines or SIP password change (`changes`: its lines).
    fn update_device(
        &mut self,
        d: &'a Manifest<DeviceSpec>,
        object: ObjectRef,
        current: &LiveDevice,
        mut changes: Vec<FieldChange>,
    ) {
        let spec = &d.spec;
        let rotation = spec.sip_password.rotation.unwrap_or(0);
        // A password the journal says may not be the one kept is set again.
        let reset = current.rotation != rotation || self.cx.reset_passwords.contains(&object.key);
        let shared_changed = !changes.is_empty();
        if reset {
            changes.push(sip_password_change(&spec.sip_password));
        }
        if changes.is_empty() {
            return;
        }
        let mut update = action(Op::Update, &object, Some(self.source(d, Kind::Device)), changes);
        update.reason = reset.then_some(Reason::PasswordReset);
        update.desired = desired(
            json!({"sharedWith": shared_changed.then(|| shared_view(spec))}),
            json!({"id": current.id(), "customer": self.ext, "sipPassword": password_ref(spec)}),
        );
        if shared_changed {
            self.steps.shared_lines.push(update);
        } else {
            self.steps.passwords.push(update);
        }
        self.steps.touched.push((object, Some(current.fingerprint())));
    }

    pub(super) fn check_model(
        &self,
        plan: &mut Plan,
        object: &ObjectRef,
        manifest: &Manifest<DeviceSpec>,
        list: &[wire::SupportedDevice],
        model: Option<&wire::SupportedDevice>,
    ) {
        let spec = &manifest.spec;
        let source = || Some(self.source(manifest, Kind::Device));
        let Some(model) = model else {
            let wanted = spec.model.to_lowercase();
            let closest = list
                .iter()
                .map(|d| d.display_name.as_str())
                .min_by_key(|name| strsim::levenshtein(&wanted, &name.to_lowercase()));
            let hint = match closest {
                Some(name) => format!(
                    "did you mean `{name}`? A device's model must be one Webex supports ({} models: GET /telephony/config/supportedDevices)",
                    list.len()
                ),
                None => "Webex lists no supported device for this partner: ask your Cisco account manager".to_string(),
            };
            self.error(
                plan,
                object,
                source(),
                format!("device model {} is not in Webex's supported-devices list", spec.model),
                &hint,
            );
            return;
        };
        let (needed, owner) = if spec.owner.workspace.is_some() {
            ("PLACE", "a workspace")
        } else {
            ("PEOPLE", "a user")
        };
        if !model.supported_for.is_empty() && !model.supported_for.iter().any(|s| s == needed) {
            self.error(
                plan,
                object,
                source(),
                format!("device model {} cannot be owned by {owner}", spec.model),
                "give the device another owner, or pick a model supported for it",
            );
        }
    }

    /// A workspace's devices (declared ones and undeclared ones that stay) within the limit
    /// Webex gives, for the workspaces whose limit was read.
    pub(super) fn check_workspace_limits(
        &self,
        plan: &mut Plan,
        live: &OrgLive,
        declared: &HashMap<String, usize>,
        staying: &[&LiveDevice],
    ) {
        for w in &live.workspaces {
            let Some(limits) = live.workspace_devices.get(&*w.id) else {
                continue;
            };
            let others = staying
                .iter()
                .filter(|d| d.workspace_id.as_deref() == Some(&*w.id))
                .count();
            let count = declared.get(&w.display_name.to_lowercase()).copied().unwrap_or(0) + others;
            if limits.max_device_count > 0 && count as i64 > limits.max_device_count {
                let manifest = self
                    .declared
                    .workspaces
                    .iter()
                    .find(|m| m.spec.name.eq_ignore_ascii_case(&w.display_name));
                self.error(
                    plan,
                    &self.object(ObjectKind::Workspace, &*w.display_name),
                    manifest.map(|m| self.source(*m, Kind::Workspace)),
                    format!(
                        "workspace `{}` would hold {count} devices; Webex allows it {}",
                        w.display_name, limits.max_device_count
                    ),
                    "move devices to another workspace or user, or change the workspace's licence",
                );
            }
        }
    }
}
