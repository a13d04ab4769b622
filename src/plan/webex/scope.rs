//! One customer being planned: its own action, then what is declared under it.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::customer::{
    customer_create_view, desired_customer_view, has_calling, is_calling_name, live_customer_view, provision_customer,
    update_customer,
};
use super::location::{WantLocation, live_location_view};
use super::user::lines_of;
use super::*;

impl<'a> Scope<'a> {
    pub(super) fn object(&self, kind: &str, key: impl Into<String>) -> ObjectRef {
        ObjectRef::new(P, kind, key, self.ext)
    }

    pub(super) fn source<S>(&self, m: &Manifest<S>, kind: &str) -> SourceRef {
        self.cx.source(m.origin, &format!("{kind}/{}", m.metadata.name))
    }

    pub(super) fn error(
        &self,
        plan: &mut Plan,
        object: &ObjectRef,
        source: Option<SourceRef>,
        message: String,
        hint: &str,
    ) {
        plan.errors.push(PlanError {
            object: Some(object.clone()),
            source,
            message,
            hint: hint.to_string(),
        });
    }

    pub(super) fn run(&mut self, plan: &mut Plan) {
        let object = self.object("Customer", self.ext);
        let Some(manifest) = self.declared.customer else {
            // Only children were selected (`--selector`): they are planned under the live
            // customer.
            match (self.readable_org(), self.customer) {
                (Some(org), _) => {
                    self.org = Some(org);
                    self.children(plan);
                }
                (None, Some(current)) => self.pending(plan, &object, current),
                (None, None) => self.error(
                    plan,
                    &object,
                    None,
                    format!(
                        "customer {} is not in the selected manifests and does not exist at Webex",
                        self.ext
                    ),
                    "select the customer's manifest too (or plan without --selector)",
                ),
            }
            return;
        };
        let spec = &manifest.spec;
        let source = Some(self.source(manifest, "Customer"));
        let template = self.set.templates.iter().find(|t| t.metadata.name == spec.template);
        match (is_absent(spec.ensure), self.customer) {
            (false, None) => {
                let Some(template) = template else {
                    self.error(
                        plan,
                        &object,
                        source,
                        format!("template `{}` is not declared", spec.template),
                        "declare the Template (its provisioning id comes from Partner Hub)",
                    );
                    return;
                };
                let mut create = action(
                    Op::Create,
                    &object,
                    source,
                    diff_json(
                        "",
                        &Value::Null,
                        &customer_create_view(spec, &template.metadata.name, &template.spec),
                    ),
                );
                create.desired = desired(provision_customer(spec, &template.spec), json!({}));
                self.steps.customer.push(create);
                self.steps.touched.push((object, None));
                self.children(plan);
            }
            (false, Some(current)) => {
                let Some(org) = self.readable_org() else {
                    self.pending(plan, &object, current);
                    return;
                };
                self.org = Some(org);
                if let (Some(want), Some(have)) = (&spec.org_id, &current.org_id)
                    && want != have
                {
                    if spec.protect == Some(true) {
                        self.error(
                            plan,
                            &object,
                            source,
                            format!(
                                "customer {} is attached to organisation {have}, the manifest names {want}: that replaces the customer, and it is protected",
                                self.ext
                            ),
                            "fix `orgId`, or remove `protect: true` first if the customer really must move",
                        );
                        return;
                    }
                    let Some(template) = template else {
                        self.error(
                            plan,
                            &object,
                            source,
                            format!("template `{}` is not declared", spec.template),
                            "declare the Template (its provisioning id comes from Partner Hub)",
                        );
                        return;
                    };
                    let mut replace = action(
                        Op::Replace,
                        &object,
                        source,
                        vec![FieldChange {
                            path: "orgId".into(),
                            old: Some(json!(have)),
                            new: Some(json!(want)),
                            sensitive: false,
                            secret_source: None,
                        }],
                    );
                    replace.reason = Some(Reason::Immutable { field: "orgId".into() });
                    replace.desired = desired(provision_customer(spec, &template.spec), json!({"id": current.id}));
                    self.steps.customer.push(replace);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                    // Webex removes the old organisation's content with the customer: what is
                    // declared under it is made again after it, as under a new customer (the
                    // ids the new organisation gives are resolved by apply).
                    self.customer = None;
                    self.org = None;
                    self.children(plan);
                    return;
                }
                let changes = diff_json("", &live_customer_view(current), &desired_customer_view(spec));
                if !changes.is_empty() {
                    let mut update = action(Op::Update, &object, source, changes);
                    update.desired = desired(update_customer(spec), json!({"id": current.id}));
                    self.steps.customer.push(update);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                self.children(plan);
            }
            (true, None) => {}
            (true, Some(current)) => {
                if spec.protect == Some(true) {
                    self.error(
                        plan,
                        &object,
                        source,
                        format!(
                            "customer {} is marked `ensure: absent` but also `protect: true`",
                            self.ext
                        ),
                        "remove `protect: true` first if the customer really must go",
                    );
                    return;
                }
                if matches!(
                    current.status.as_str(),
                    wire::CUSTOMER_PROVISIONING | wire::CUSTOMER_UPDATING | wire::CUSTOMER_DELETING
                ) {
                    self.pending(plan, &object, current);
                    return;
                }
                // Everything in its organisation goes first, explicitly, so that the plan shows
                // (and --max-deletes counts) what the removal takes with it.
                if let Some(org) = self.readable_org() {
                    self.org = Some(org);
                    self.delete_everything(org, &source);
                }
                let mut delete = action(Op::Delete, &object, source, Vec::new());
                delete.reason = Some(Reason::EnsureAbsent);
                self.steps.delete_customer.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            }
        }
    }

    /// The organisation of a provisioned customer, when it was read.
    pub(super) fn readable_org(&self) -> Option<&'a OrgLive> {
        let customer = self.customer?;
        let provisioned =
            customer.status == wire::CUSTOMER_PROVISIONED || customer.status == wire::CUSTOMER_PROVISIONED_WITH_ERRORS;
        if provisioned {
            self.live.orgs.get(self.ext)
        } else {
            None
        }
    }

    /// A customer Webex is still working on (or that failed): shown, never created again;
    /// its children wait.
    pub(super) fn pending(&self, plan: &mut Plan, object: &ObjectRef, current: &wire::Customer) {
        let waiting = match self.declared.present_children() {
            0 => String::new(),
            1 => "; 1 object under it is planned once it is provisioned".to_string(),
            n => format!("; {n} objects under it are planned once it is provisioned"),
        };
        let status = match current.status.as_str() {
            wire::CUSTOMER_PROVISIONING => format!("provisioning: waiting for provisioning{waiting}"),
            wire::CUSTOMER_UPDATING => format!("updating: waiting for the update to finish{waiting}"),
            wire::CUSTOMER_DELETING if self.declared.customer.is_some_and(|c| is_absent(c.spec.ensure)) => {
                "deleting".to_string()
            }
            wire::CUSTOMER_DELETING => "deleting: it is created again once Webex has removed it".to_string(),
            wire::CUSTOMER_ERROR => {
                let why = current
                    .errors
                    .first()
                    .map(|e| format!(": {} {}", e.error_code, e.description))
                    .unwrap_or_default();
                format!("provisioning failed{why}")
            }
            other => format!("{other}{waiting}"),
        };
        plan.pending.push(Pending {
            object: object.clone(),
            status,
        });
    }

    /// Locations, numbers, users, workspaces and devices of a customer that exists (or that
    /// this plan creates: then `self.org` is `None` and everything is created).
    pub(super) fn children(&mut self, plan: &mut Plan) {
        let org = self.org;
        let empty = OrgLive::default();
        let live = org.unwrap_or(&empty);
        let lines = lines_of(live);
        let location_names: HashMap<&str, &str> = live
            .locations
            .iter()
            .map(|l| (l.id.as_str(), l.name.as_str()))
            .collect();
        let location_ids: HashMap<String, &str> = live
            .locations
            .iter()
            .map(|l| (l.name.to_lowercase(), l.id.as_str()))
            .collect();
        let location_id = |name: &str| location_ids.get(&name.to_lowercase()).map(|id| id.to_string());

        // Locations: the headquarters (for a calling customer), then the Location manifests
        // (one of which may describe the headquarters, to add numbers to it).
        let mut wanted: Vec<WantLocation> = Vec::new();
        let customer_manifest = self.declared.customer;
        if let Some(c) = customer_manifest
            && let Some(hq) = &c.spec.headquarters
            && has_calling(&c.spec.packages)
        {
            wanted.push(WantLocation {
                name: &hq.name,
                address: &hq.address,
                timezone: &hq.timezone,
                language: &hq.language,
                announcement_language: &hq.language,
                numbers: &[],
                source: self.source(c, "Customer"),
                absent: false,
                headquarters: true,
            });
        }
        for l in &self.declared.locations {
            let want = WantLocation {
                name: &l.spec.name,
                address: &l.spec.address,
                timezone: &l.spec.timezone,
                language: &l.spec.language,
                announcement_language: &l.spec.announcement_language,
                numbers: &l.spec.numbers,
                source: self.source(l, "Location"),
                absent: is_absent(l.spec.ensure),
                headquarters: false,
            };
            match wanted.iter_mut().find(|w| w.name.eq_ignore_ascii_case(want.name)) {
                Some(hq) => {
                    *hq = WantLocation {
                        headquarters: hq.headquarters,
                        ..want
                    }
                }
                None => wanted.push(want),
            }
        }
        // A new customer's headquarters is made with it, and so is the headquarters of a
        // customer that gains its first calling package (the update carries the location).
        let hq_made_with_customer = org.is_none()
            || self
                .customer
                .is_some_and(|c| !c.packages.iter().any(|p| is_calling_name(p)));
        let live_locations: HashMap<String, &wire::Location> =
            live.locations.iter().map(|l| (l.name.to_lowercase(), l)).collect();
        let numbers: HashMap<&str, &LiveNumberEntry> = live
            .numbers
            .iter()
            .filter_map(|n| Some((n.phone_number()?, n)))
            .collect();
        // Locations that go (absent or pruned), with the reason their numbers go too.
        let mut leaving: HashMap<String, Reason> = HashMap::new();
        let mut declared_numbers: BTreeSet<&str> = BTreeSet::new();
        for want in &wanted {
            let object = self.object("Location", want.name);
            let current = live_locations.get(&want.name.to_lowercase()).copied();
            if want.absent {
                if let Some(current) = current {
                    let mut delete = action(Op::Delete, &object, Some(want.source.clone()), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_locations.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                    leaving.insert(current.name.to_lowercase(), Reason::EnsureAbsent);
                }
                continue;
            }
            let body = wire::CreateLocation {
                name: want.name.to_string(),
                time_zone: want.timezone.to_string(),
                preferred_language: want.language.to_string(),
                announcement_language: want.announcement_language.to_string(),
                address: Some(location_address(want.address)),
                ..Default::default()
            };
            match current {
                // A new customer's headquarters is made with it.
                None if want.headquarters && hq_made_with_customer => {}
                None => {
                    let mut create = action(
                        Op::Create,
                        &object,
                        Some(want.source.clone()),
                        diff_json("", &Value::Null, &want.view()),
                    );
                    create.desired = desired(body, json!({"customer": self.ext}));
                    self.steps.locations.push(create);
                    self.steps.touched.push((object.clone(), None));
                }
                Some(current) => {
                    let changes = diff_json("", &live_location_view(current), &want.comparable());
                    if !changes.is_empty() {
                        let mut update = action(Op::Update, &object, Some(want.source.clone()), changes);
                        update.desired = desired(
                            wire::UpdateLocation {
                                name: Some(want.name.to_string()),
                                time_zone: Some(want.timezone.to_string()),
                                preferred_language: Some(want.language.to_string()),
                                address: Some(location_address(want.address)),
                            },
                            json!({"customer": self.ext, "id": current.id}),
                        );
                        self.steps.locations.push(update);
                        self.steps.touched.push((object.clone(), Some(current.fingerprint())));
                    }
                }
            }
            // Its numbers.
            for number in want.numbers {
                declared_numbers.insert(number);
                let object = self.object("Number", number.as_str());
                let body = wire::LocationNumbers {
                    phone_numbers: vec![number.clone()],
                    ..Default::default()
                };
                let refs = json!({"customer": self.ext, "location": want.name, "locationId": current.map(|c| &c.id)});
                match numbers.get(number.as_str()) {
                    None => {
                        let mut create = action(
                            Op::Create,
                            &object,
                            Some(want.source.clone()),
                            vec![FieldChange {
                                path: "location".into(),
                                old: None,
                                new: Some(json!(want.name)),
                                sensitive: false,
                                secret_source: None,
                            }],
                        );
                        create.desired = desired(body, refs);
                        self.steps.numbers.push(create);
                        self.steps.touched.push((object, None));
                    }
                    Some(n) => {
                        let there = n.location.as_deref();
                        if there.is_some_and(|t| t.eq_ignore_ascii_case(want.name)) {
                            continue;
                        }
                        // Webex moves a number between locations only by removing and adding it.
                        let mut replace = action(
                            Op::Replace,
                            &object,
                            Some(want.source.clone()),
                            vec![FieldChange {
                                path: "location".into(),
                                old: there.map(|t| json!(t)),
                                new: Some(json!(want.name)),
                                sensitive: false,
                                secret_source: None,
                            }],
                        );
                        replace.reason = Some(Reason::Immutable {
                            field: "location".into(),
                        });
                        replace.desired = desired(body, refs);
                        self.steps.numbers.push(replace);
                        self.steps.touched.push((object, Some(n.fingerprint())));
                    }
                }
            }
        }
        for current in &live.locations {
            if wanted.iter().any(|w| w.name.eq_ignore_ascii_case(&current.name)) {
                continue;
            }
            let object = self.object("Location", current.name.as_str());
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_locations.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
                leaving.insert(current.name.to_lowercase(), Reason::Pruned);
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
        // Live numbers no location declares: kept when a user or workspace uses them;
        // deleted with their location, or pruned.
        let held: BTreeSet<&str> = self
            .declared
            .users
            .iter()
            .filter(|u| !is_absent(u.spec.ensure))
            .filter_map(|u| u.spec.phone_number.as_deref())
            .chain(
                self.declared
                    .workspaces
                    .iter()
                    .filter(|w| !is_absent(w.spec.ensure))
                    .filter_map(|w| w.spec.phone_number.as_deref()),
            )
            .collect();
        let mut undeclared: Vec<(&str, &LiveNumberEntry)> = numbers
            .iter()
            .filter(|(n, _)| !declared_numbers.contains(*n) && !held.contains(*n))
            .map(|(n, e)| (*n, *e))
            .collect();
        undeclared.sort_by_key(|(n, _)| *n);
        for (number, entry) in undeclared {
            let object = self.object("Number", number);
            let location = entry.location.as_deref().map(str::to_lowercase).unwrap_or_default();
            let reason = match leaving.get(&location) {
                Some(reason) => Some(reason.clone()),
                // A location's main number cannot be removed.
                None if self.prune && !entry.main_number => Some(Reason::Pruned),
                None => None,
            };
            match reason {
                Some(reason) => {
                    let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                    delete.reason = Some(reason);
                    self.steps.delete_numbers.push(delete);
                    self.steps.touched.push((object, Some(entry.fingerprint())));
                }
                None => plan.unmanaged.push(Unmanaged { object }),
            }
        }

        self.users(plan, live, &lines, &location_id);
        let workspace_ids = self.workspaces(plan, live, &lines, &location_names, &location_id);
        self.devices(plan, live, &workspace_ids);
    }

    /// The customer's manifest, as the source of what is pruned under it.
    pub(super) fn parent_source(&self) -> Option<SourceRef> {
        self.declared.customer.map(|c| self.source(c, "Customer"))
    }
}
