//! Customers: their views, the bodies apply sends, and the deletion of everything in an
//! organisation marked `ensure: absent`.

use serde_json::{Value, json};

use super::*;

pub(super) fn sorted_packages(packages: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut packages: Vec<String> = packages.into_iter().collect();
    packages.sort();
    packages
}

pub(super) fn has_calling(packages: &[Package]) -> bool {
    packages.iter().any(|p| p.is_calling())
}

/// Whether a package named as Webex answers it brings calling.
pub(super) fn is_calling_name(name: &str) -> bool {
    [
        Package::CommonAreaCalling,
        Package::WebexCalling,
        Package::WebexSuite,
        Package::WebexVoice,
        Package::CxEssentials,
        Package::WebexCallingStandard,
    ]
    .iter()
    .any(|p| p.as_str() == name)
}

/// The language a customer is provisioned with: its own, else its template's.
pub(super) fn customer_language<'a>(spec: &'a CustomerSpec, template: &'a TemplateSpec) -> &'a str {
    spec.language.as_deref().unwrap_or(&template.language)
}

pub(super) fn customer_create_view(spec: &CustomerSpec, template_name: &str, template: &TemplateSpec) -> Value {
    let mut view = json!({
        "template": template_name,
        "companyName": spec.company_name,
        "adminEmail": spec.admin_email,
        "language": customer_language(spec, template),
        "country": spec.country,
        "packages": sorted_packages(spec.packages.iter().map(|p| p.as_str().to_string())),
    });
    if let Some(org) = &spec.org_id {
        view["orgId"] = json!(org);
    }
    if let Some(hq) = &spec.headquarters {
        view["headquarters"] = json!({
            "name": hq.name,
            "address": manifest_address(&hq.address),
            "timezone": hq.timezone,
            "language": hq.language,
        });
    }
    view
}

/// What of a customer can be read back and changed: its packages and billing address.
pub(super) fn customer_view(packages: Vec<String>, address: Option<Value>) -> Value {
    let mut view = json!({"packages": sorted_packages(packages)});
    if let Some(address) = address {
        view["headquarters"] = json!({"address": address});
    }
    view
}

pub(super) fn desired_customer_view(spec: &CustomerSpec) -> Value {
    customer_view(
        spec.packages.iter().map(|p| p.as_str().to_string()).collect(),
        spec.headquarters.as_ref().map(|hq| manifest_address(&hq.address)),
    )
}

pub(super) fn live_customer_view(c: &wire::Customer) -> Value {
    customer_view(c.packages.clone(), c.address.as_ref().map(wholesale_address_view))
}

pub(super) fn calling_location(spec: &CustomerSpec) -> Option<wire::ProvisioningParameters> {
    let hq = spec.headquarters.as_ref().filter(|_| has_calling(&spec.packages))?;
    Some(wire::ProvisioningParameters {
        calling: Some(wire::CallingParameters {
            location: Some(wire::CallingLocation {
                name: hq.name.clone(),
                address: Some(wholesale_address(&hq.address)),
                timezone: hq.timezone.clone(),
                language: hq.language.clone(),
                emergency_location_identifier: None,
            }),
        }),
        ..Default::default()
    })
}

pub(super) fn provision_customer(spec: &CustomerSpec, template: &TemplateSpec) -> wire::ProvisionCustomer {
    wire::ProvisionCustomer {
        provisioning_id: template.provisioning_id.clone(),
        packages: spec.packages.iter().map(|p| p.as_str().to_string()).collect(),
        org_id: spec.org_id.clone(),
        external_id: spec.external_id.clone(),
        address: spec.headquarters.as_ref().map(|hq| wholesale_address(&hq.address)),
        customer_info: Some(wire::CustomerInfo {
            name: spec.company_name.clone(),
            primary_email: spec.admin_email.clone(),
            language: Some(customer_language(spec, template).to_string()),
        }),
        provisioning_parameters: calling_location(spec),
        sub_partner_admin_email: None,
    }
}

pub(super) fn update_customer(spec: &CustomerSpec) -> wire::UpdateCustomer {
    wire::UpdateCustomer {
        packages: spec.packages.iter().map(|p| p.as_str().to_string()).collect(),
        external_id: None,
        address: spec.headquarters.as_ref().map(|hq| wholesale_address(&hq.address)),
        provisioning_parameters: calling_location(spec),
        sub_partner_admin_email: None,
    }
}

impl<'a> Scope<'a> {
    /// Deletes everything in the organisation of a customer marked `ensure: absent`.
    pub(super) fn delete_everything(&mut self, org: &OrgLive, source: &Option<SourceRef>) {
        let reason = Some(Reason::EnsureAbsent);
        let push =
            |steps: &mut Steps, kind: ObjectKind, key: &str, live: String, to: fn(&mut Steps) -> &mut Vec<Action>| {
                let object = ObjectRef::new(P, kind, key, self.ext);
                let mut delete = action(Op::Delete, &object, source.clone(), Vec::new());
                delete.reason = reason.clone();
                to(steps).push(delete);
                steps.touched.push((object, Some(live)));
            };
        for d in &org.devices {
            let key = d
                .mac()
                .filter(|m| !m.is_empty())
                .map_or_else(|| d.id().to_string(), mac_key);
            push(&mut self.steps, ObjectKind::Device, &key, d.fingerprint(), |s| {
                &mut s.delete_devices
            });
        }
        for w in &org.workspaces {
            push(
                &mut self.steps,
                ObjectKind::Workspace,
                &w.display_name,
                w.fingerprint(),
                |s| &mut s.delete_workspaces,
            );
        }
        for s in &org.subscribers {
            push(
                &mut self.steps,
                ObjectKind::User,
                &s.email().to_lowercase(),
                s.fingerprint(),
                |s| &mut s.delete_users,
            );
        }
        for n in &org.numbers {
            if let Some(number) = n.phone_number() {
                push(&mut self.steps, ObjectKind::Number, number, n.fingerprint(), |s| {
                    &mut s.delete_numbers
                });
            }
        }
        for l in &org.locations {
            push(&mut self.steps, ObjectKind::Location, &l.name, l.fingerprint(), |s| {
                &mut s.delete_locations
            });
        }
    }

    /// The template a customer names, when it is declared.
    fn template(&self, spec: &CustomerSpec) -> Option<&'a Manifest<TemplateSpec>> {
        self.set.templates.iter().find(|t| t.metadata.name == spec.template)
    }

    fn missing_template(&self, plan: &mut Plan, object: &ObjectRef, source: Option<SourceRef>, spec: &CustomerSpec) {
        self.error(
            plan,
            object,
            source,
            format!("template `{}` is not declared", spec.template),
            "declare the Template (its provisioning id comes from Partner Hub)",
        );
    }

    /// A declared customer that does not exist: created, with everything under it.
    pub(super) fn create_customer(&mut self, plan: &mut Plan, manifest: &'a Manifest<CustomerSpec>) {
        let object = self.object(ObjectKind::Customer, self.ext);
        let spec = &manifest.spec;
        let source = Some(self.source(manifest, Kind::Customer));
        let Some(template) = self.template(spec) else {
            self.missing_template(plan, &object, source, spec);
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

    /// A declared customer that exists: replaced when it names another organisation, else
    /// updated where it differs; then what is declared under it.
    pub(super) fn keep_customer(
        &mut self,
        plan: &mut Plan,
        manifest: &'a Manifest<CustomerSpec>,
        current: &'a wire::Customer,
    ) {
        let object = self.object(ObjectKind::Customer, self.ext);
        let spec = &manifest.spec;
        let source = Some(self.source(manifest, Kind::Customer));
        let Some(org) = self.readable_org() else {
            self.pending(plan, &object, current);
            return;
        };
        self.org = Some(org);
        if let (Some(want), Some(have)) = (&spec.org_id, &current.org_id)
            && want != have
        {
            self.move_customer(plan, manifest, current, want, have);
            return;
        }
        self.check_company_name(plan, manifest, org);
        self.check_admin_email(plan, manifest, org);
        let changes = diff_json("", &live_customer_view(current), &desired_customer_view(spec));
        if !changes.is_empty() {
            let mut update = action(Op::Update, &object, source, changes);
            update.desired = desired(update_customer(spec), json!({"id": current.id}));
            self.steps.customer.push(update);
            self.steps.touched.push((object, Some(current.fingerprint())));
        }
        self.children(plan);
    }

    /// A company name that differs from the organisation's: refused by name, as the
    /// wholesale customer update has no name and no other API telform uses renames an
    /// organisation (issue #13). Never shown as a change that would not happen.
    fn check_company_name(&self, plan: &mut Plan, manifest: &'a Manifest<CustomerSpec>, org: &OrgLive) {
        let Some(live_name) = org.display_name.as_deref() else {
            return;
        };
        let spec = &manifest.spec;
        if live_name == spec.company_name {
            return;
        }
        let object = self.object(ObjectKind::Customer, self.ext);
        self.error(
            plan,
            &object,
            Some(self.source(manifest, Kind::Customer)),
            format!(
                "customer {}: `companyName` cannot be changed from {live_name:?} to {:?}: the Webex Wholesale API cannot rename a customer (its update has no company name)",
                self.ext, spec.company_name
            ),
            "rename the customer in Partner Hub (Customers > the customer > Settings), then make `companyName` match it; or put back the name the plan shows as live",
        );
    }

    /// An `adminEmail` that is not one of the organisation's full administrators: refused by
    /// name. The first administrator is given when the customer is created and the wholesale
    /// API cannot change it afterwards; before the People API was read, a changed adminEmail
    /// was silently ignored (issue #13).
    fn check_admin_email(&self, plan: &mut Plan, manifest: &'a Manifest<CustomerSpec>, org: &OrgLive) {
        let Some(admins) = &org.admins else {
            return;
        };
        let spec = &manifest.spec;
        if admins.iter().any(|a| a.email.eq_ignore_ascii_case(&spec.admin_email)) {
            return;
        }
        let mut emails: Vec<&str> = admins.iter().map(|a| a.email.as_str()).collect();
        emails.sort_unstable();
        let live = match emails.as_slice() {
            [] => "the organisation has no full administrator".to_string(),
            [one] => format!("its full administrator is {one}"),
            many => format!("its full administrators are {}", many.join(", ")),
        };
        let object = self.object(ObjectKind::Customer, self.ext);
        self.error(
            plan,
            &object,
            Some(self.source(manifest, Kind::Customer)),
            format!(
                "customer {}: `adminEmail` {} is not a full administrator of the organisation ({live}): the first administrator is given when the customer is created, and the Webex Wholesale API cannot change it",
                self.ext, spec.admin_email
            ),
            "to make someone an administrator, declare a User with `admin: true`; put back in `adminEmail` one of the organisation's full administrators (the plan names them)",
        );
    }

    /// A customer attached to another organisation than the manifest names: replaced.
    fn move_customer(
        &mut self,
        plan: &mut Plan,
        manifest: &'a Manifest<CustomerSpec>,
        current: &'a wire::Customer,
        want: &str,
        have: &str,
    ) {
        let object = self.object(ObjectKind::Customer, self.ext);
        let spec = &manifest.spec;
        let source = Some(self.source(manifest, Kind::Customer));
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
        let Some(template) = self.template(spec) else {
            self.missing_template(plan, &object, source, spec);
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
    }

    /// A customer marked `ensure: absent` that exists: deleted, after everything in it.
    pub(super) fn remove_customer(
        &mut self,
        plan: &mut Plan,
        manifest: &'a Manifest<CustomerSpec>,
        current: &'a wire::Customer,
    ) {
        let object = self.object(ObjectKind::Customer, self.ext);
        let spec = &manifest.spec;
        let source = Some(self.source(manifest, Kind::Customer));
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
