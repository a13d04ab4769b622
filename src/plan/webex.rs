//! The Webex half of the diff: customers, their locations and location numbers, users,
//! workspaces, devices, shared lines and SIP passwords.
//!
//! As for ACG (`super::acg`), desired and live objects are both turned into views in the
//! manifests' own terms and compared with [`diff_json`]. Webex answers less than it takes: a
//! customer's company name and administrator, a location's announcement language, a user's
//! administrator role are write-only, and a user's or workspace's number is read from the
//! organisation's number list. A live view therefore holds what can be read, and only those
//! fields are compared; a creation shows every field.
//!
//! Templates are reference data (Partner Hub makes them): they supply a customer's
//! provisioning id and default language and never appear as an action.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Context, diff_json};
use crate::manifest::common::Address;
use crate::manifest::webex::{
    CustomerSpec, DeviceSpec, LocationSpec, Package, RoomType, SipPassword, TemplateSpec, UserSpec, WorkspaceLicense,
    WorkspaceSpec,
};
use crate::manifest::{Ensure, Manifest, ManifestSet};
use crate::model::fingerprint_of;
use crate::model::plan::{
    Action, FieldChange, Fingerprint, ObjectRef, Op, Pending, Plan, PlanError, ProviderName, Reason, SecretSource,
    SourceRef, Unmanaged,
};
use crate::model::webex::live::{LiveDevice, LiveNumberEntry, LiveSubscriber, LiveWorkspace};
use crate::model::webex::{OrgLive, ROTATION_TAG, WebexLive, WebexNeeds, license_id, mac_key};
use crate::wire::webex as wire;

const P: ProviderName = ProviderName::Webex;

fn is_absent(ensure: Option<Ensure>) -> bool {
    ensure == Some(Ensure::Absent)
}

/// What the manifests need read from Webex.
pub fn needs(set: &ManifestSet) -> WebexNeeds {
    let mut needs = WebexNeeds::default();
    needs
        .customers
        .extend(set.customers.iter().map(|c| c.spec.external_id.clone()));
    needs
        .customers
        .extend(set.locations.iter().map(|l| l.spec.customer.clone()));
    needs
        .customers
        .extend(set.users.iter().map(|u| u.spec.customer.clone()));
    needs
        .customers
        .extend(set.workspaces.iter().map(|w| w.spec.customer.clone()));
    needs
        .customers
        .extend(set.devices.iter().map(|d| d.spec.customer.clone()));
    let mut per_workspace: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in set.devices.iter().filter(|d| !is_absent(d.spec.ensure)) {
        needs.supported_devices = true;
        if !d.spec.shared_with.is_empty() {
            needs.members_of.insert(mac_key(&d.spec.mac));
        }
        if let Some(workspace) = &d.spec.owner.workspace {
            *per_workspace
                .entry((d.spec.customer.clone(), workspace.clone()))
                .or_default() += 1;
        }
    }
    needs.workspace_limits_of = per_workspace
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(key, _)| key)
        .collect();
    needs
}

// ---- views: both sides in the manifest's terms ------------------------------------------------

fn address_view(
    line1: &str,
    line2: Option<&str>,
    city: &str,
    state: Option<&str>,
    postal_code: Option<&str>,
    country: &str,
) -> Value {
    let mut view = Map::new();
    view.insert("line1".into(), json!(line1));
    let optional = [("line2", line2), ("state", state), ("postalCode", postal_code)];
    for (key, value) in optional {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            view.insert(key.into(), json!(value));
        }
    }
    view.insert("city".into(), json!(city));
    view.insert("country".into(), json!(country));
    Value::Object(view)
}

fn manifest_address(a: &Address) -> Value {
    address_view(
        &a.line1,
        a.line2.as_deref(),
        &a.city,
        a.state.as_deref(),
        a.postal_code.as_deref(),
        &a.country,
    )
}

fn wholesale_address_view(a: &wire::Address) -> Value {
    address_view(
        &a.address_line1,
        a.address_line2.as_deref(),
        &a.city,
        a.state_or_province.as_deref(),
        a.zip_or_postal_code.as_deref(),
        &a.country,
    )
}

fn location_address_view(a: &wire::LocationAddress) -> Value {
    address_view(
        &a.address1,
        a.address2.as_deref(),
        &a.city,
        a.state.as_deref(),
        a.postal_code.as_deref(),
        &a.country,
    )
}

fn wholesale_address(a: &Address) -> wire::Address {
    wire::Address {
        address_line1: a.line1.clone(),
        address_line2: a.line2.clone(),
        city: a.city.clone(),
        state_or_province: a.state.clone(),
        zip_or_postal_code: a.postal_code.clone(),
        country: a.country.clone(),
    }
}

fn location_address(a: &Address) -> wire::LocationAddress {
    wire::LocationAddress {
        address1: a.line1.clone(),
        address2: a.line2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        postal_code: a.postal_code.clone(),
        country: a.country.clone(),
    }
}

/// `view` without `keys`.
fn without(mut view: Value, keys: &[&str]) -> Value {
    if let Value::Object(map) = &mut view {
        for key in keys {
            map.remove(*key);
        }
    }
    view
}

fn sorted_packages(packages: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut packages: Vec<String> = packages.into_iter().collect();
    packages.sort();
    packages
}

fn has_calling(packages: &[Package]) -> bool {
    packages.iter().any(|p| p.is_calling())
}

/// Whether a package named as Webex answers it brings calling.
fn is_calling_name(name: &str) -> bool {
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

/// Whether Webex gives a subscriber of this package a location, a number and an extension:
/// every subscriber package but meetings.
fn subscriber_calls(package: Package) -> bool {
    package != Package::WebexMeetings
}

fn room_type(t: RoomType) -> &'static str {
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

fn license_name(l: WorkspaceLicense) -> &'static str {
    match l {
        WorkspaceLicense::Professional => "professional",
        WorkspaceLicense::CommonArea => "commonArea",
    }
}

/// The language a customer is provisioned with: its own, else its template's.
fn customer_language<'a>(spec: &'a CustomerSpec, template: &'a TemplateSpec) -> &'a str {
    spec.language.as_deref().unwrap_or(&template.language)
}

fn customer_create_view(spec: &CustomerSpec, template_name: &str, template: &TemplateSpec) -> Value {
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
fn customer_view(packages: Vec<String>, address: Option<Value>) -> Value {
    let mut view = json!({"packages": sorted_packages(packages)});
    if let Some(address) = address {
        view["headquarters"] = json!({"address": address});
    }
    view
}

fn desired_customer_view(spec: &CustomerSpec) -> Value {
    customer_view(
        spec.packages.iter().map(|p| p.as_str().to_string()).collect(),
        spec.headquarters.as_ref().map(|hq| manifest_address(&hq.address)),
    )
}

fn live_customer_view(c: &wire::Customer) -> Value {
    customer_view(c.packages.clone(), c.address.as_ref().map(wholesale_address_view))
}

fn calling_location(spec: &CustomerSpec) -> Option<wire::ProvisioningParameters> {
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

fn provision_customer(spec: &CustomerSpec, template: &TemplateSpec) -> wire::ProvisionCustomer {
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

fn update_customer(spec: &CustomerSpec) -> wire::UpdateCustomer {
    wire::UpdateCustomer {
        packages: spec.packages.iter().map(|p| p.as_str().to_string()).collect(),
        external_id: None,
        address: spec.headquarters.as_ref().map(|hq| wholesale_address(&hq.address)),
        provisioning_parameters: calling_location(spec),
        sub_partner_admin_email: None,
    }
}

/// The body apply sends, and the objects it refers to by natural key (their ids are not
/// known yet when the parent is created by the same plan).
fn desired(body: impl Serialize, refs: Value) -> Option<Value> {
    Some(json!({"body": body, "refs": refs}))
}

// ---- desired objects ---------------------------------------------------------------------------

/// A location as wanted: a `Location` manifest, or the customer's headquarters (the first
/// calling location, made with the customer).
struct WantLocation<'a> {
    name: &'a str,
    address: &'a Address,
    timezone: &'a str,
    language: &'a str,
    announcement_language: &'a str,
    numbers: &'a [String],
    source: SourceRef,
    absent: bool,
    headquarters: bool,
}

impl WantLocation<'_> {
    fn view(&self) -> Value {
        json!({
            "address": manifest_address(self.address),
            "timezone": self.timezone,
            "language": self.language,
            "announcementLanguage": self.announcement_language,
        })
    }

    /// Webex does not answer a location's announcement language.
    fn comparable(&self) -> Value {
        without(self.view(), &["announcementLanguage"])
    }
}

fn live_location_view(l: &wire::Location) -> Value {
    json!({
        "address": location_address_view(&l.address),
        "timezone": l.time_zone,
        "language": l.preferred_language,
    })
}

/// A person's or workspace's line, from the organisation's number list.
#[derive(Default)]
struct Line<'a> {
    phone_number: Option<&'a str>,
    extension: Option<&'a str>,
    location: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
}

fn lines_of(org: &OrgLive) -> HashMap<&str, Line<'_>> {
    let mut lines: HashMap<&str, Line> = HashMap::new();
    for entry in &org.numbers {
        let Some(owner) = &entry.owner else { continue };
        let line = lines.entry(&**owner).or_default();
        line.phone_number = line.phone_number.or(entry.phone_number());
        line.extension = line.extension.or(entry.extension());
        line.location = line.location.or(entry.location.as_deref());
        line.first_name = line.first_name.or(entry.first_name());
        line.last_name = line.last_name.or(entry.last_name());
    }
    lines
}

fn user_view(spec: &UserSpec) -> Value {
    let mut view = json!({
        "firstName": spec.first_name,
        "lastName": spec.last_name,
        "package": spec.package.as_str(),
        "location": spec.location,
    });
    if let Some(n) = &spec.phone_number {
        view["phoneNumber"] = json!(n);
    }
    if let Some(x) = &spec.extension {
        view["extension"] = json!(x);
    }
    if spec.admin == Some(true) {
        view["admin"] = json!(true);
    }
    view
}

/// The live subscriber, and the desired one reduced to what can be compared with it.
fn user_views(spec: &UserSpec, s: &LiveSubscriber, line: Option<&Line>) -> (Value, Value) {
    let package = match &*s.packages {
        [one] => json!(&**one),
        [] => json!(s.package.as_deref()),
        many => json!(many.iter().map(|p| &**p).collect::<Vec<&str>>()),
    };
    let mut live = json!({"package": package});
    // The administrator role is not readable (People API); it is set at creation.
    let mut unreadable = vec!["admin"];
    match line {
        Some(line) => {
            for (key, value) in [
                ("firstName", line.first_name),
                ("lastName", line.last_name),
                ("phoneNumber", line.phone_number),
                ("extension", line.extension),
            ] {
                if let Some(value) = value {
                    live[key] = json!(value);
                }
            }
            if let Some(location) = line.location {
                // Location names are unique regardless of case.
                let shown = if location.eq_ignore_ascii_case(&spec.location) {
                    &spec.location
                } else {
                    location
                };
                live["location"] = json!(shown);
            }
        }
        // No number and no extension: the names and location are not readable.
        None => unreadable.extend(["firstName", "lastName", "location"]),
    }
    if !subscriber_calls(spec.package) {
        unreadable.extend(["location", "phoneNumber", "extension"]);
        live = without(live, &["location", "phoneNumber", "extension"]);
    }
    (live, without(user_view(spec), &unreadable))
}

fn workspace_view(spec: &WorkspaceSpec) -> Value {
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
fn license_kinds(customer: &wire::Customer) -> HashMap<&str, &'static str> {
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

fn live_workspace_view(
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

fn owner_view(spec: &DeviceSpec) -> Value {
    match (&spec.owner.user, &spec.owner.workspace) {
        (Some(user), _) => json!({"user": user.to_lowercase()}),
        (None, Some(workspace)) => json!({"workspace": workspace}),
        (None, None) => Value::Null,
    }
}

fn shared_view(spec: &DeviceSpec) -> Value {
    let mut users: Vec<String> = spec.shared_with.iter().map(|s| s.user.to_lowercase()).collect();
    users.sort();
    Value::Array(users.into_iter().map(|u| json!({"user": u})).collect())
}

fn device_view(spec: &DeviceSpec) -> Value {
    let mut view = json!({"model": spec.model, "owner": owner_view(spec)});
    if !spec.shared_with.is_empty() {
        view["sharedWith"] = shared_view(spec);
    }
    view
}

/// The supported model a manifest or a device names, by `model` or display name.
fn supported<'a>(list: &'a [wire::SupportedDevice], model: &str) -> Option<&'a wire::SupportedDevice> {
    list.iter()
        .find(|d| d.model.eq_ignore_ascii_case(model) || d.display_name.eq_ignore_ascii_case(model))
}

fn same_model(list: Option<&[wire::SupportedDevice]>, a: &str, b: &str) -> bool {
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
fn sip_password_change(password: &SipPassword) -> FieldChange {
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

/// What a saved plan records of a live object it acts on: its content hash.
trait Fingerprinted {
    fn fingerprint(&self) -> String;
}

impl Fingerprinted for wire::Customer {
    fn fingerprint(&self) -> String {
        fingerprint_of(&json!(self))
    }
}

impl Fingerprinted for wire::Location {
    fn fingerprint(&self) -> String {
        fingerprint_of(&json!(self))
    }
}

/// Taken from the wire form as it was read (see `model::webex::live`).
macro_rules! read_fingerprint {
    ($($t:ty),*) => {$(
        impl Fingerprinted for $t {
            fn fingerprint(&self) -> String {
                self.hash.text()
            }
        }
    )*};
}
read_fingerprint!(LiveSubscriber, LiveNumberEntry, LiveWorkspace, LiveDevice);

/// The password's source, for apply (a reference, never a value).
fn password_ref(spec: &DeviceSpec) -> Value {
    let p = &spec.sip_password;
    json!({
        "fromEnv": p.from_env,
        "fromFile": p.from_file,
        "generate": p.generate,
        "rotation": p.rotation.unwrap_or(0),
        "tag": format!("{ROTATION_TAG}{}", p.rotation.unwrap_or(0)),
    })
}

// ---- the diff --------------------------------------------------------------------------------

/// The actions of one customer, by step, in the order apply runs them (design.md: customer →
/// locations → location numbers → users → workspaces → devices → shared lines → SIP password;
/// then deletions, children before parents).
#[derive(Default)]
struct Steps {
    customer: Vec<Action>,
    locations: Vec<Action>,
    numbers: Vec<Action>,
    users: Vec<Action>,
    workspaces: Vec<Action>,
    devices: Vec<Action>,
    shared_lines: Vec<Action>,
    passwords: Vec<Action>,
    delete_devices: Vec<Action>,
    delete_workspaces: Vec<Action>,
    delete_users: Vec<Action>,
    delete_numbers: Vec<Action>,
    delete_locations: Vec<Action>,
    delete_customer: Vec<Action>,
    /// The live objects acted on, with their fingerprints (`None`: absent).
    touched: Vec<(ObjectRef, Option<String>)>,
}

impl Steps {
    fn into_actions(mut self) -> (Vec<Action>, Vec<(ObjectRef, Option<String>)>) {
        let by_key = |a: &Action, b: &Action| a.object.key.cmp(&b.object.key);
        self.numbers.sort_by(by_key);
        self.delete_numbers.sort_by(by_key);
        let actions = [
            self.customer,
            self.locations,
            self.numbers,
            self.users,
            self.workspaces,
            self.devices,
            self.shared_lines,
            self.passwords,
            self.delete_devices,
            self.delete_workspaces,
            self.delete_users,
            self.delete_numbers,
            self.delete_locations,
            self.delete_customer,
        ]
        .into_iter()
        .flatten()
        .collect();
        (actions, self.touched)
    }
}

fn action(op: Op, object: &ObjectRef, source: Option<SourceRef>, changes: Vec<FieldChange>) -> Action {
    Action {
        op,
        object: object.clone(),
        source,
        changes,
        reason: None,
        desired: None,
        number: None,
    }
}

/// The manifests of one customer.
#[derive(Default)]
struct Declared<'a> {
    customer: Option<&'a Manifest<CustomerSpec>>,
    locations: Vec<&'a Manifest<LocationSpec>>,
    users: Vec<&'a Manifest<UserSpec>>,
    workspaces: Vec<&'a Manifest<WorkspaceSpec>>,
    devices: Vec<&'a Manifest<DeviceSpec>>,
}

impl Declared<'_> {
    /// Children that should exist (for the "waiting for provisioning" message).
    fn present_children(&self) -> usize {
        self.locations.iter().filter(|m| !is_absent(m.spec.ensure)).count()
            + self.users.iter().filter(|m| !is_absent(m.spec.ensure)).count()
            + self.workspaces.iter().filter(|m| !is_absent(m.spec.ensure)).count()
            + self.devices.iter().filter(|m| !is_absent(m.spec.ensure)).count()
    }
}

/// One customer being planned.
struct Scope<'a> {
    ext: &'a str,
    cx: &'a Context<'a>,
    set: &'a ManifestSet,
    live: &'a WebexLive,
    declared: &'a Declared<'a>,
    /// The live customer, when it exists.
    customer: Option<&'a wire::Customer>,
    /// Its organisation's content; `None` for a customer the plan creates.
    org: Option<&'a OrgLive>,
    /// Undeclared children are deleted.
    prune: bool,
    /// Live workspaces (ids) this plan replaces: Webex deletes their devices with them.
    replaced_workspaces: BTreeSet<String>,
    steps: Steps,
}

pub fn diff(set: &ManifestSet, live: &WebexLive, cx: &Context, plan: &mut Plan) {
    let mut customers: BTreeMap<&str, Declared> = BTreeMap::new();
    for c in &set.customers {
        customers
            .entry(c.spec.external_id.as_str())
            .or_default()
            .customer
            .get_or_insert(c);
    }
    for l in &set.locations {
        customers.entry(l.spec.customer.as_str()).or_default().locations.push(l);
    }
    for u in &set.users {
        customers.entry(u.spec.customer.as_str()).or_default().users.push(u);
    }
    for w in &set.workspaces {
        customers
            .entry(w.spec.customer.as_str())
            .or_default()
            .workspaces
            .push(w);
    }
    for d in &set.devices {
        customers.entry(d.spec.customer.as_str()).or_default().devices.push(d);
    }

    for (ext, declared) in &customers {
        let customer = live.customers.get(*ext);
        let prune = !cx.partial && (cx.prune || declared.customer.is_some_and(|c| c.spec.prune == Some(true)));
        let mut scope = Scope {
            ext,
            cx,
            set,
            live,
            declared,
            customer,
            org: None,
            prune,
            replaced_workspaces: BTreeSet::new(),
            steps: Steps::default(),
        };
        scope.run(plan);
        let (actions, touched) = scope.steps.into_actions();
        plan.actions.extend(actions);
        for (object, current) in touched {
            plan.fingerprints.push(Fingerprint {
                object,
                value: current.map_or(std::borrow::Cow::Borrowed("absent"), std::borrow::Cow::Owned),
            });
        }
    }
    for ext in live.customers.keys() {
        if !customers.contains_key(ext.as_str()) {
            plan.unmanaged.push(Unmanaged {
                object: ObjectRef::new(P, "Customer", ext, ext),
            });
        }
    }
}

impl<'a> Scope<'a> {
    fn object(&self, kind: &str, key: impl Into<String>) -> ObjectRef {
        ObjectRef::new(P, kind, key, self.ext)
    }

    fn source<S>(&self, m: &Manifest<S>, kind: &str) -> SourceRef {
        self.cx.source(m.origin, &format!("{kind}/{}", m.metadata.name))
    }

    fn error(&self, plan: &mut Plan, object: &ObjectRef, source: Option<SourceRef>, message: String, hint: &str) {
        plan.errors.push(PlanError {
            object: Some(object.clone()),
            source,
            message,
            hint: hint.to_string(),
        });
    }

    fn run(&mut self, plan: &mut Plan) {
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
    fn readable_org(&self) -> Option<&'a OrgLive> {
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
    fn pending(&self, plan: &mut Plan, object: &ObjectRef, current: &wire::Customer) {
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

    /// Deletes everything in the organisation of a customer marked `ensure: absent`.
    fn delete_everything(&mut self, org: &OrgLive, source: &Option<SourceRef>) {
        let reason = Some(Reason::EnsureAbsent);
        let push = |steps: &mut Steps, kind: &str, key: &str, live: String, to: fn(&mut Steps) -> &mut Vec<Action>| {
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
            push(&mut self.steps, "Device", &key, d.fingerprint(), |s| {
                &mut s.delete_devices
            });
        }
        for w in &org.workspaces {
            push(&mut self.steps, "Workspace", &w.display_name, w.fingerprint(), |s| {
                &mut s.delete_workspaces
            });
        }
        for s in &org.subscribers {
            push(
                &mut self.steps,
                "User",
                &s.email().to_lowercase(),
                s.fingerprint(),
                |s| &mut s.delete_users,
            );
        }
        for n in &org.numbers {
            if let Some(number) = n.phone_number() {
                push(&mut self.steps, "Number", number, n.fingerprint(), |s| {
                    &mut s.delete_numbers
                });
            }
        }
        for l in &org.locations {
            push(&mut self.steps, "Location", &l.name, l.fingerprint(), |s| {
                &mut s.delete_locations
            });
        }
    }

    /// Locations, numbers, users, workspaces and devices of a customer that exists (or that
    /// this plan creates: then `self.org` is `None` and everything is created).
    fn children(&mut self, plan: &mut Plan) {
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
    fn parent_source(&self) -> Option<SourceRef> {
        self.declared.customer.map(|c| self.source(c, "Customer"))
    }

    fn users(
        &mut self,
        plan: &mut Plan,
        live: &OrgLive,
        lines: &HashMap<&str, Line>,
        location_id: &dyn Fn(&str) -> Option<String>,
    ) {
        let subscribers: HashMap<String, &LiveSubscriber> =
            live.subscribers.iter().map(|s| (s.email().to_lowercase(), s)).collect();
        let mut declared: BTreeSet<String> = BTreeSet::new();
        // What an action needs (the body, the source) is made only for the users that have one.
        let customer = self.customer;
        let body = |spec: &UserSpec| wire::ProvisionSubscriber {
            customer_id: customer.map(|c| c.id.clone()).unwrap_or_default(),
            email: spec.email.clone(),
            package: None,
            packages: Some(vec![spec.package.as_str().to_string()]),
            provisioning_parameters: Some(wire::SubscriberParameters {
                first_name: Some(spec.first_name.clone()),
                last_name: Some(spec.last_name.clone()),
                primary_phone_number: spec.phone_number.clone(),
                extension: spec.extension.clone(),
                location_id: location_id(&spec.location),
            }),
        };
        for u in &self.declared.users {
            let spec = &u.spec;
            let email = spec.email.to_lowercase();
            let current = subscribers.get(&email).copied();
            let object = self.object("User", email.as_str());
            declared.insert(email);
            match (is_absent(spec.ensure), current) {
                (false, None) => {
                    let refs =
                        json!({"customer": self.ext, "location": spec.location, "admin": spec.admin == Some(true)});
                    let mut create = action(
                        Op::Create,
                        &object,
                        Some(self.source(u, "User")),
                        diff_json("", &Value::Null, &user_view(spec)),
                    );
                    create.desired = desired(body(spec), refs);
                    self.steps.users.push(create);
                    self.steps.touched.push((object, None));
                }
                (false, Some(current)) => {
                    if &*current.status == wire::SUBSCRIBER_PENDING_USER_MIGRATION {
                        plan.pending.push(Pending {
                            object,
                            status: "pending_user_migration: waiting for the user to accept the move".into(),
                        });
                        continue;
                    }
                    let line = current.person_id.as_deref().and_then(|p| lines.get(p));
                    let (have, want) = user_views(spec, current, line);
                    let changes = diff_json("", &have, &want);
                    if !changes.is_empty() {
                        let mut update = action(Op::Update, &object, Some(self.source(u, "User")), changes);
                        let body = body(spec);
                        update.desired = desired(
                            wire::UpdateSubscriber {
                                package: None,
                                packages: body.packages,
                                provisioning_parameters: body.provisioning_parameters,
                            },
                            json!({"customer": self.ext, "id": current.id(), "location": spec.location}),
                        );
                        self.steps.users.push(update);
                        self.steps.touched.push((object, Some(current.fingerprint())));
                    }
                }
                (true, Some(current)) => {
                    let mut delete = action(Op::Delete, &object, Some(self.source(u, "User")), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_users.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                (true, None) => {}
            }
        }
        let mut undeclared: Vec<(&String, &&LiveSubscriber)> =
            subscribers.iter().filter(|(e, _)| !declared.contains(*e)).collect();
        undeclared.sort_by_key(|(e, _)| *e);
        for (email, current) in undeclared {
            let object = self.object("User", email.as_str());
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_users.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
    }

    /// Plans the workspaces; returns the live workspace ids by name (for device owners).
    fn workspaces(
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
            let object = self.object("Workspace", spec.name.as_str());
            let source = Some(self.source(w, "Workspace"));
            let current = current_by_name.get(&key).copied();
            let location = location_id(&spec.location);
            let body = wire::CreateWorkspace {
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
            };
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
                        act.desired = desired(
                            wire::UpdateWorkspace {
                                display_name: Some(spec.name.clone()),
                                capacity: body.capacity,
                                workspace_type: body.workspace_type.clone(),
                                calling: body.calling.clone(),
                                ..Default::default()
                            },
                            json!({"customer": self.ext, "id": &*current.id, "license": license_name(spec.license)}),
                        );
                    }
                    self.steps.workspaces.push(act);
                    self.steps.touched.push((object, Some(current.fingerprint())));
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
        let mut undeclared: Vec<&LiveWorkspace> = live
            .workspaces
            .iter()
            .filter(|w| !declared.contains(&w.display_name.to_lowercase()))
            .collect();
        undeclared.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        for current in undeclared {
            let object = self.object("Workspace", &*current.display_name);
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_workspaces.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
        live.workspaces
            .iter()
            .map(|w| (w.display_name.to_lowercase(), w.id.to_string()))
            .collect()
    }

    fn devices(&mut self, plan: &mut Plan, live: &OrgLive, workspace_ids: &HashMap<String, String>) {
        let supported_list = self.live.supported_devices.as_deref();
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
        let live_owner = |d: &LiveDevice| -> Value {
            if let Some(p) = d.person_id.as_deref() {
                return match emails.get(p) {
                    Some(email) => json!({"user": email}),
                    None => json!({"personId": p}),
                };
            }
            if let Some(w) = d.workspace_id.as_deref() {
                return match workspace_names.get(w) {
                    Some(name) => json!({"workspace": name}),
                    None => json!({"workspaceId": w}),
                };
            }
            Value::Null
        };
        let live_shared = |members: &wire::DeviceMembers| -> Value {
            let mut shared: Vec<Value> = members
                .members
                .iter()
                .filter(|m| !m.primary_owner)
                .map(|m| match (m.member_type.as_str(), emails.get(m.id.as_str())) {
                    ("PEOPLE", Some(email)) => json!({"user": email}),
                    ("PLACE", _) => match workspace_names.get(m.id.as_str()) {
                        Some(name) => json!({"workspace": name}),
                        None => json!({"workspaceId": m.id}),
                    },
                    _ => json!({"personId": m.id}),
                })
                .collect();
            shared.sort_by_key(|v| v.to_string());
            Value::Array(shared)
        };
        // A device without a MAC (a Cisco device activated by code) cannot be declared: it is
        // listed, never pruned.
        let current_by_mac: HashMap<String, &LiveDevice> = live
            .devices
            .iter()
            .filter_map(|d| Some((mac_key(d.mac().filter(|m| !m.is_empty())?), d)))
            .collect();
        for d in live.devices.iter().filter(|d| d.mac().is_none_or(str::is_empty)) {
            plan.unmanaged.push(Unmanaged {
                object: self.object("Device", d.id()),
            });
        }
        let mut declared: BTreeSet<String> = BTreeSet::new();
        // Devices per workspace (by lower-case name), for the limit check.
        let mut per_workspace: HashMap<String, usize> = HashMap::new();
        for d in &self.declared.devices {
            let spec = &d.spec;
            let mac = mac_key(&spec.mac);
            declared.insert(mac.clone());
            let object = self.object("Device", mac.as_str());
            // The source, the body and the references are made only for the devices that have an
            // action.
            let source = || Some(self.source(d, "Device"));
            let current = current_by_mac.get(&mac).copied();
            if is_absent(spec.ensure) {
                if let Some(current) = current {
                    let mut delete = action(Op::Delete, &object, source(), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_devices.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                continue;
            }
            if let Some(w) = &spec.owner.workspace {
                *per_workspace.entry(w.to_lowercase()).or_default() += 1;
            }
            // Plan-time check: an approved model, supported for its kind of owner.
            let model = supported_list.and_then(|list| supported(list, &spec.model));
            if let Some(list) = supported_list {
                self.check_model(plan, &object, d, list, model);
            }
            let body = || wire::CreateDevice {
                mac: mac.clone(),
                model: model.map_or_else(|| spec.model.clone(), |m| m.model.clone()),
                workspace_id: spec
                    .owner
                    .workspace
                    .as_ref()
                    .and_then(|w| workspace_ids.get(&w.to_lowercase()).cloned()),
                person_id: spec
                    .owner
                    .user
                    .as_ref()
                    .and_then(|u| person_ids.get(&u.to_lowercase()).map(|p| p.to_string())),
                password: None,
            };
            let ext = self.ext;
            let refs = || {
                json!({
                    "customer": ext,
                    "owner": owner_view(spec),
                    "sharedWith": shared_view(spec),
                    "sipPassword": password_ref(spec),
                })
            };
            let want = device_view(spec);
            // A device of a workspace this plan replaces goes with the old workspace: it is
            // added again after the new one, as a new device (with a new password).
            let goes_with_workspace = current.filter(|d| {
                d.workspace_id
                    .as_deref()
                    .is_some_and(|w| self.replaced_workspaces.contains(w))
            });
            let current = current.filter(|_| goes_with_workspace.is_none());
            let Some(current) = current else {
                let mut changes = diff_json("", &Value::Null, &want);
                changes.push(sip_password_change(&spec.sip_password));
                let mut create = action(Op::Create, &object, source(), changes);
                create.reason = Some(Reason::PasswordReset);
                create.desired = desired(body(), refs());
                self.steps.devices.push(create);
                self.steps
                    .touched
                    .push((object, goes_with_workspace.map(|d| d.fingerprint())));
                continue;
            };
            let product = current.product.as_deref().unwrap_or_default();
            let mut have = json!({
                "model": if same_model(supported_list, product, &spec.model) { spec.model.as_str() } else { product },
                "owner": live_owner(current),
            });
            let members = live.members.get(current.id());
            match members {
                Some(members) => {
                    let shared = live_shared(members);
                    if shared.as_array().is_some_and(|a| !a.is_empty()) {
                        have["sharedWith"] = shared;
                    }
                }
                // Lines are read only for devices declared with `sharedWith`.
                None => have = without(have, &["sharedWith"]),
            }
            let want = if members.is_some() {
                want
            } else {
                without(want, &["sharedWith"])
            };
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
                let mut replace = action(Op::Replace, &object, source(), changes);
                replace.reason = Some(Reason::Immutable { field });
                let mut refs = refs();
                refs["id"] = json!(current.id());
                replace.desired = desired(body(), refs);
                self.steps.devices.push(replace);
                self.steps.touched.push((object, Some(current.fingerprint())));
                continue;
            }
            let rotation = spec.sip_password.rotation.unwrap_or(0);
            let reset = current.rotation != rotation;
            let shared_changed = !changes.is_empty();
            if reset {
                changes.push(sip_password_change(&spec.sip_password));
            }
            if changes.is_empty() {
                continue;
            }
            let mut update = action(Op::Update, &object, source(), changes);
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

        let mut undeclared: Vec<(&String, &&LiveDevice)> =
            current_by_mac.iter().filter(|(m, _)| !declared.contains(*m)).collect();
        undeclared.sort_by_key(|(m, _)| *m);
        let mut staying: Vec<&LiveDevice> = Vec::new();
        for (mac, current) in undeclared {
            let object = self.object("Device", mac.as_str());
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

    fn check_model(
        &self,
        plan: &mut Plan,
        object: &ObjectRef,
        manifest: &Manifest<DeviceSpec>,
        list: &[wire::SupportedDevice],
        model: Option<&wire::SupportedDevice>,
    ) {
        let spec = &manifest.spec;
        let source = || Some(self.source(manifest, "Device"));
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
    fn check_workspace_limits(
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
                    &self.object("Workspace", &*w.display_name),
                    manifest.map(|m| self.source(*m, "Workspace")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::load::Sources;
    use crate::model::webex::live::Interner;
    use crate::validate::rules::test_support::{customer, location, set, user};

    const EXT: &str = "C1";
    const ORG: &str = "org-c1";

    fn cx(sources: &Sources) -> Context<'_> {
        Context {
            sources,
            prune: false,
            max_deletes: 50,
            max_number_changes: crate::plan::DEFAULT_MAX_NUMBER_CHANGES,
            partial: false,
        }
    }

    fn run(yaml: &str, live: &WebexLive) -> Plan {
        run_with(yaml, live, |_| {})
    }

    fn run_with(yaml: &str, live: &WebexLive, tweak: impl FnOnce(&mut Context)) -> Plan {
        let mut sources = Sources::default();
        sources.add("webex.yaml".into());
        let mut context = cx(&sources);
        tweak(&mut context);
        let mut plan = Plan::default();
        diff(&set(yaml), live, &context, &mut plan);
        plan
    }

    fn ops(plan: &Plan) -> Vec<String> {
        plan.actions
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}{}",
                    a.op.symbol(),
                    a.object.kind,
                    a.object.key,
                    match &a.reason {
                        Some(Reason::EnsureAbsent) => " (absent)".to_string(),
                        Some(Reason::Pruned) => " (pruned)".to_string(),
                        Some(Reason::Immutable { field }) => format!(" (immutable {field})"),
                        Some(Reason::PasswordReset) => " (password)".to_string(),
                        None => String::new(),
                    }
                )
            })
            .collect()
    }

    fn paths(action: &Action) -> Vec<&str> {
        action.changes.iter().map(|c| c.path.as_str()).collect()
    }

    fn supported_devices() -> Vec<wire::SupportedDevice> {
        vec![
            wire::SupportedDevice {
                model: "DMS Cisco 8865".into(),
                display_name: "Cisco 8865".into(),
                ..Default::default()
            },
            wire::SupportedDevice {
                model: "Yealink T54W".into(),
                display_name: "Yealink T54W".into(),
                ..Default::default()
            },
            wire::SupportedDevice {
                model: "Yealink W70B".into(),
                display_name: "Yealink W70B DECT".into(),
                supported_for: vec!["PLACE".into()],
                ..Default::default()
            },
        ]
    }

    /// Customer C1 live and provisioned (webex_calling, its headquarters `HQ` as declared),
    /// with an empty organisation.
    fn provisioned() -> WebexLive {
        let customer = wire::Customer {
            id: "cust-c1".into(),
            org_id: Some(ORG.into()),
            external_id: EXT.into(),
            address: Some(wire::Address {
                address_line1: "1 rue A".into(),
                city: "Paris".into(),
                country: "FR".into(),
                ..Default::default()
            }),
            status: wire::CUSTOMER_PROVISIONED.into(),
            packages: vec!["webex_calling".into()],
            resource_details: Some(wire::ResourceDetails {
                packages: vec![wire::PackageDetails {
                    name: "webex_calling".into(),
                    status: "provisioned".into(),
                    license_ids: Some(vec!["lic-calling".into()]),
                    ..Default::default()
                }],
            }),
            errors: Vec::new(),
        };
        let hq = wire::Location {
            id: "loc-hq".into(),
            name: "HQ".into(),
            org_id: ORG.into(),
            address: wire::LocationAddress {
                address1: "1 rue A".into(),
                city: "Paris".into(),
                country: "FR".into(),
                ..Default::default()
            },
            time_zone: Some("Europe/Paris".into()),
            preferred_language: Some("fr_fr".into()),
            ..Default::default()
        };
        let mut live = WebexLive {
            supported_devices: Some(supported_devices()),
            ..WebexLive::default()
        };
        live.customers.insert(EXT.into(), customer);
        live.orgs.insert(
            EXT.into(),
            OrgLive {
                locations: vec![hq],
                ..OrgLive::default()
            },
        );
        live
    }

    fn org(live: &mut WebexLive) -> &mut OrgLive {
        live.orgs.get_mut(EXT).expect("org")
    }

    /// A number entry as the provider keeps it once read.
    fn read_number(n: wire::PhoneNumber) -> LiveNumberEntry {
        LiveNumberEntry::from_wire(n, &mut Interner::default())
    }

    /// A workspace as the provider keeps it once read.
    fn read_workspace(w: wire::Workspace) -> LiveWorkspace {
        LiveWorkspace::from_wire(w, &mut Interner::default())
    }

    fn subscriber(live: &mut WebexLive, email: &str, package: &str, extension: &str, first: &str, last: &str) {
        let person = format!("person-{email}");
        let o = org(live);
        o.subscribers.push(LiveSubscriber::from_wire(
            wire::Subscriber {
                id: format!("sub-{email}"),
                person_id: Some(person.clone()),
                email: email.into(),
                customer_id: "cust-c1".into(),
                packages: vec![package.into()],
                status: wire::SUBSCRIBER_PROVISIONED.into(),
                ..Default::default()
            },
            &mut Interner::default(),
        ));
        o.numbers.push(read_number(wire::PhoneNumber {
            extension: Some(extension.into()),
            location: Some(wire::IdName {
                id: "loc-hq".into(),
                name: "HQ".into(),
            }),
            owner: Some(wire::NumberOwner {
                id: person,
                owner_type: "PEOPLE".into(),
                first_name: Some(first.into()),
                last_name: Some(last.into()),
            }),
            ..Default::default()
        }));
    }

    fn device(live: &mut WebexLive, mac: &str, product: &str, owner_email: &str, tags: &[&str]) {
        let device = wire::Device {
            id: format!("dev-{mac}"),
            person_id: Some(format!("person-{owner_email}")),
            product: Some(product.into()),
            mac: Some(mac.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        };
        org(live)
            .devices
            .push(LiveDevice::from_wire(device, &mut Interner::default()));
    }

    fn device_yaml(name: &str, mac: &str, model: &str, owner: &str, extra: &str) -> String {
        format!(
            "---\napiVersion: telform/v1\nkind: Device\nmetadata: {{name: {name}}}\nspec:\n  customer: C1\n  mac: \"{mac}\"\n  model: {model}\n  owner: {owner}\n{extra}"
        )
    }

    fn workspace_yaml(name: &str, location: &str, extra: &str) -> String {
        format!(
            "---\napiVersion: telform/v1\nkind: Workspace\nmetadata: {{name: ws-{}}}\nspec:\n  customer: C1\n  name: {name}\n  roomType: meetingRoom\n  capacity: 8\n  license: professional\n  location: {location}\n  extension: \"1900\"\n{extra}",
            name.to_lowercase().replace(' ', "-")
        )
    }

    #[test]
    fn a_new_customer_is_created_with_everything_under_it_in_dependency_order() {
        let yaml = format!(
            "{}{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", "\"+33478000100\", \"+33478000101\""),
            user(
                "jdupont",
                "webex_calling",
                "Lyon",
                "  extension: \"1100\"\n  admin: true\n"
            ),
            workspace_yaml("Salle Jupiter", "Lyon", ""),
            device_yaml(
                "phone",
                "00:1a:2b:3c:4d:5e",
                "Yealink T54W",
                "{user: jdupont@c1.example}",
                "  sipPassword: {generate: true}\n"
            ),
        );
        let live = WebexLive {
            supported_devices: Some(supported_devices()),
            ..WebexLive::default()
        };
        let plan = run(&yaml, &live);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert_eq!(
            ops(&plan),
            [
                "+ Customer C1",
                "+ Location Lyon",
                "+ Number +33478000100",
                "+ Number +33478000101",
                "+ User jdupont@c1.example",
                "+ Workspace Salle Jupiter",
                "+ Device 001A2B3C4D5E (password)",
            ]
        );
        // The headquarters is made with the customer: no location of its own.
        let customer = &plan.actions[0];
        assert!(paths(customer).contains(&"headquarters.name"), "{:?}", paths(customer));
        assert!(paths(customer).contains(&"template"));
        let body = &customer.desired.as_ref().expect("desired")["body"];
        assert_eq!(body["provisioningId"], "p", "the template's provisioning id");
        assert_eq!(body["customerInfo"]["language"], "fr_FR", "the template's language");
        assert_eq!(body["provisioningParameters"]["calling"]["location"]["name"], "HQ");
        let user = &plan.actions[4];
        assert!(paths(user).contains(&"admin"));
        // A new device's password is set: a sensitive change without values.
        let device = plan.actions.last().expect("device");
        let secret = device
            .changes
            .iter()
            .find(|c| c.path == "sipPassword")
            .expect("password");
        assert!(secret.sensitive && secret.old.is_none() && secret.new.is_none());
        assert!(plan.fingerprints.iter().all(|f| f.value == "absent"));
        assert_eq!(plan.fingerprints.len(), 7);
    }

    #[test]
    fn changed_fields_are_updates_and_unreadable_ones_are_not_compared() {
        let yaml = format!(
            "{}{}",
            customer("webex_calling, webex_suite"),
            user(
                "jdupont",
                "webex_calling",
                "HQ",
                "  extension: \"1150\"\n  admin: true\n"
            ),
        );
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        let plan = run(&yaml, &live);
        assert_eq!(ops(&plan), ["~ Customer C1", "~ User jdupont@c1.example"]);
        let updated = &plan.actions[0];
        assert_eq!(paths(updated), ["packages"]);
        assert_eq!(updated.changes[0].new, Some(json!(["webex_calling", "webex_suite"])));
        // The admin role cannot be read back: not a change.
        let renumbered = &plan.actions[1];
        assert_eq!(paths(renumbered), ["extension"]);
        assert_eq!(renumbered.changes[0].old, Some(json!("1100")));
        assert_eq!(renumbered.changes[0].new, Some(json!("1150")));
        assert_eq!(plan.fingerprints.len(), 2);
        assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));

        // Nothing differs: no action.
        let same = format!(
            "{}{}",
            customer("webex_calling"),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
        );
        let plan = run(&same, &live);
        assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    }

    #[test]
    fn undeclared_children_are_unmanaged_unless_pruned() {
        let mut live = provisioned();
        subscriber(&mut live, "old@c1.example", "webex_calling", "1200", "Old", "Timer");
        device(&mut live, "AABBCCDDEEFF", "Cisco 8865", "old@c1.example", &[]);
        live.customers.insert(
            "OTHER-1".into(),
            wire::Customer {
                external_id: "OTHER-1".into(),
                status: wire::CUSTOMER_PROVISIONED.into(),
                ..Default::default()
            },
        );
        let yaml = customer("webex_calling");
        let plan = run(&yaml, &live);
        assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
        let mut unmanaged: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|u| format!("{} {}", u.object.kind, u.object.key))
            .collect();
        unmanaged.sort();
        assert_eq!(
            unmanaged,
            ["Customer OTHER-1", "Device AABBCCDDEEFF", "User old@c1.example"]
        );

        // `prune: true` on the customer: its undeclared children go, devices before users;
        // the other customer is still only listed.
        let pruning = yaml.replace("  packages:", "  prune: true\n  packages:");
        let plan = run(&pruning, &live);
        assert_eq!(
            ops(&plan),
            ["- Device AABBCCDDEEFF (pruned)", "- User old@c1.example (pruned)"]
        );
        assert_eq!(plan.unmanaged.len(), 1);
        // So does `--prune`; but never for a partial (selected) set of manifests.
        assert_eq!(run_with(&yaml, &live, |cx| cx.prune = true).actions.len(), 2);
        let partial = run_with(&pruning, &live, |cx| cx.partial = true);
        assert!(partial.actions.is_empty(), "{:?}", ops(&partial));
    }

    #[test]
    fn ensure_absent_deletes_children_before_parents() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
        let yaml = format!(
            "{}{}{}",
            customer("webex_calling"),
            user(
                "jdupont",
                "webex_calling",
                "HQ",
                "  extension: \"1100\"\n  ensure: absent\n"
            ),
            device_yaml(
                "phone",
                "001A2B3C4D5E",
                "Yealink T54W",
                "{user: jdupont@c1.example}",
                "  sipPassword: {generate: true}\n  ensure: absent\n"
            ),
        );
        let plan = run(&yaml, &live);
        assert_eq!(
            ops(&plan),
            ["- Device 001A2B3C4D5E (absent)", "- User jdupont@c1.example (absent)"]
        );

        // The whole customer: everything in its organisation, then the customer.
        let gone = customer("webex_calling").replace("  packages:", "  ensure: absent\n  packages:");
        let plan = run(&gone, &live);
        assert_eq!(
            ops(&plan),
            [
                "- Device 001A2B3C4D5E (absent)",
                "- User jdupont@c1.example (absent)",
                "- Location HQ (absent)",
                "- Customer C1 (absent)"
            ]
        );
        assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));
        // Absent and already gone: nothing.
        assert!(run(&gone, &WebexLive::default()).actions.is_empty());
    }

    #[test]
    fn protect_refuses_the_deletion() {
        let live = provisioned();
        let yaml = customer("webex_calling").replace("  packages:", "  ensure: absent\n  protect: true\n  packages:");
        let plan = run(&yaml, &live);
        assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
        assert_eq!(plan.errors.len(), 1);
        assert!(plan.errors[0].message.contains("protect"), "{:?}", plan.errors);
    }

    #[test]
    fn a_customer_still_provisioning_is_pending_and_never_created_twice() {
        let mut live = provisioned();
        live.orgs.clear();
        let c = live.customers.get_mut(EXT).expect("customer");
        c.status = wire::CUSTOMER_PROVISIONING.into();
        c.org_id = None;
        let yaml = format!(
            "{}{}{}",
            customer("webex_calling"),
            location("Lyon", "\"+33478000100\""),
            user("jdupont", "webex_calling", "Lyon", "  extension: \"1100\"\n"),
        );
        let plan = run(&yaml, &live);
        assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
        assert_eq!(plan.pending.len(), 1);
        assert_eq!(plan.pending[0].object.key, EXT);
        assert!(
            plan.pending[0]
                .status
                .starts_with("provisioning: waiting for provisioning"),
            "{}",
            plan.pending[0].status
        );
        assert!(
            plan.pending[0].status.contains("2 objects"),
            "{}",
            plan.pending[0].status
        );
    }

    #[test]
    fn a_rotation_bump_resets_the_sip_password() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        device(
            &mut live,
            "001A2B3C4D5E",
            "Cisco 8865",
            "jdupont@c1.example",
            &["repair", "telform-sip-rotation=1"],
        );
        let yaml = |rotation: &str| {
            format!(
                "{}{}{}",
                customer("webex_calling"),
                user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
                // The display name in the manifest, the model at Webex: the same phone.
                device_yaml(
                    "phone",
                    "00-1a-2b-3c-4d-5e",
                    "DMS Cisco 8865",
                    "{user: jdupont@c1.example}",
                    &format!("  sipPassword: {{generate: true{rotation}}}\n")
                ),
            )
        };
        let plan = run(&yaml(", rotation: 1"), &live);
        assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
        let plan = run(&yaml(", rotation: 2"), &live);
        assert_eq!(ops(&plan), ["~ Device 001A2B3C4D5E (password)"]);
        let change = &plan.actions[0].changes;
        assert_eq!(change.len(), 1);
        assert!(change[0].sensitive && change[0].old.is_none() && change[0].new.is_none());
        // No rotation written and no tag: nothing to reset.
        org(&mut live).devices.clear();
        device(&mut live, "001A2B3C4D5E", "Cisco 8865", "jdupont@c1.example", &[]);
        assert!(run(&yaml(""), &live).actions.is_empty());
    }

    #[test]
    fn fields_webex_cannot_change_in_place_replace_the_object() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        subscriber(&mut live, "pmartin@c1.example", "webex_calling", "1101", "A", "B");
        device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
        let o = org(&mut live);
        o.locations.push(wire::Location {
            id: "loc-lyon".into(),
            name: "Lyon".into(),
            address: wire::LocationAddress {
                address1: "2 rue B".into(),
                city: "Lyon".into(),
                country: "FR".into(),
                ..Default::default()
            },
            time_zone: Some("Europe/Paris".into()),
            preferred_language: Some("fr_fr".into()),
            ..Default::default()
        });
        o.workspaces.push(read_workspace(wire::Workspace {
            id: "ws-1".into(),
            display_name: "Salle Jupiter".into(),
            location_id: Some("loc-hq".into()),
            capacity: Some(8),
            workspace_type: Some("meetingRoom".into()),
            calling: Some(wire::WorkspaceCalling {
                calling_type: "webexCalling".into(),
                webex_calling: Some(wire::WebexCalling {
                    licenses: Some(vec!["lic-calling".into()]),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }));
        o.numbers.push(read_number(wire::PhoneNumber {
            extension: Some("1900".into()),
            owner: Some(wire::NumberOwner {
                id: "ws-1".into(),
                owner_type: "PLACE".into(),
                ..Default::default()
            }),
            ..Default::default()
        }));
        let yaml = format!(
            "{}{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", ""),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
            user("pmartin", "webex_calling", "HQ", "  extension: \"1101\"\n"),
            workspace_yaml("Salle Jupiter", "Lyon", ""),
        ) + &device_yaml(
            "phone",
            "001A2B3C4D5E",
            "Yealink T54W",
            "{user: pmartin@c1.example}",
            "  sipPassword: {generate: true}\n",
        );
        let plan = run(&yaml, &live);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert_eq!(
            ops(&plan),
            [
                "± Workspace Salle Jupiter (immutable location)",
                "± Device 001A2B3C4D5E (immutable owner.user)"
            ]
        );
        let workspace = &plan.actions[0];
        assert_eq!(paths(workspace), ["location"]);
        assert_eq!(workspace.changes[0].old, Some(json!("HQ")));
        let device = &plan.actions[1];
        assert_eq!(paths(device), ["owner.user", "sipPassword"]);
        assert_eq!(device.changes[0].old, Some(json!("jdupont@c1.example")));
        assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));
    }

    #[test]
    fn a_replaced_workspace_takes_its_devices_which_are_added_again_after_it() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
        let o = org(&mut live);
        o.locations.push(wire::Location {
            id: "loc-lyon".into(),
            name: "Lyon".into(),
            address: wire::LocationAddress {
                address1: "2 rue B".into(),
                city: "Lyon".into(),
                country: "FR".into(),
                ..Default::default()
            },
            time_zone: Some("Europe/Paris".into()),
            preferred_language: Some("fr_fr".into()),
            ..Default::default()
        });
        o.workspaces.push(read_workspace(wire::Workspace {
            id: "ws-1".into(),
            display_name: "Salle Jupiter".into(),
            location_id: Some("loc-hq".into()),
            capacity: Some(8),
            workspace_type: Some("meetingRoom".into()),
            calling: Some(wire::WorkspaceCalling {
                calling_type: "webexCalling".into(),
                webex_calling: Some(wire::WebexCalling {
                    licenses: Some(vec!["lic-calling".into()]),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }));
        o.numbers.push(read_number(wire::PhoneNumber {
            extension: Some("1900".into()),
            owner: Some(wire::NumberOwner {
                id: "ws-1".into(),
                owner_type: "PLACE".into(),
                ..Default::default()
            }),
            ..Default::default()
        }));
        // The room's phone, its rotation recorded: nothing to change but the room's location.
        o.devices.push(LiveDevice::from_wire(
            wire::Device {
                id: "dev-room".into(),
                workspace_id: Some("ws-1".into()),
                product: Some("Yealink T54W".into()),
                mac: Some("00AA00BB00CC".into()),
                tags: vec![format!("{ROTATION_TAG}2")],
                ..Default::default()
            },
            &mut Interner::default(),
        ));
        let yaml = format!(
            "{}{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", ""),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
            workspace_yaml("Salle Jupiter", "Lyon", ""),
            device_yaml(
                "room-phone",
                "00AA00BB00CC",
                "Yealink T54W",
                "{workspace: Salle Jupiter}",
                "  sharedWith: [{user: jdupont@c1.example}]\n  sipPassword: {fromEnv: ROOM_SIP, rotation: 2}\n",
            ),
        ) + &device_yaml(
            "desk",
            "001A2B3C4D5E",
            "Yealink T54W",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n",
        );
        let plan = run(&yaml, &live);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        // Webex deletes a workspace's devices with it: the room's phone is added again after
        // the new room, with its whole body, lines and password source; the desk phone stays.
        assert_eq!(
            ops(&plan),
            [
                "± Workspace Salle Jupiter (immutable location)",
                "+ Device 00AA00BB00CC (password)"
            ]
        );
        let phone = &plan.actions[1];
        let desired = phone.desired.as_ref().expect("desired");
        assert_eq!(desired["body"]["mac"], json!("00AA00BB00CC"));
        assert_eq!(desired["refs"]["owner"], json!({"workspace": "Salle Jupiter"}));
        assert_eq!(desired["refs"]["sharedWith"], json!([{"user": "jdupont@c1.example"}]));
        assert_eq!(desired["refs"]["sipPassword"]["fromEnv"], json!("ROOM_SIP"));
        assert_eq!(desired["refs"]["sipPassword"]["rotation"], json!(2));
        assert!(paths(phone).contains(&"sipPassword"));
        // A saved plan records the phone as it is now: a change to it since is noticed.
        let fingerprint = plan
            .fingerprints
            .iter()
            .find(|f| f.object.key == "00AA00BB00CC")
            .expect("fingerprinted");
        assert_ne!(fingerprint.value, "absent");
    }

    #[test]
    fn a_replaced_customer_has_what_is_declared_under_it_made_again() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
        let yaml = format!(
            "{}  orgId: org-elsewhere\n{}{}",
            customer("webex_calling"),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
            device_yaml(
                "desk",
                "001A2B3C4D5E",
                "Yealink T54W",
                "{user: jdupont@c1.example}",
                "  sipPassword: {generate: true}\n",
            ),
        );
        let plan = run(&yaml, &live);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert_eq!(
            ops(&plan),
            [
                "± Customer C1 (immutable orgId)",
                "+ User jdupont@c1.example",
                "+ Device 001A2B3C4D5E (password)"
            ]
        );
        // Made in the new organisation: no id of the old one is carried over.
        let user = plan.actions[1].desired.as_ref().expect("desired");
        assert_eq!(user["body"]["customerId"], json!(""));
        let device = plan.actions[2].desired.as_ref().expect("desired");
        assert!(device["body"]["personId"].is_null(), "{device}");
    }

    #[test]
    fn plan_time_checks_name_unsupported_models_and_full_workspaces() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        let o = org(&mut live);
        o.workspaces.push(read_workspace(wire::Workspace {
            id: "ws-1".into(),
            display_name: "Accueil".into(),
            location_id: Some("loc-hq".into()),
            ..Default::default()
        }));
        o.workspace_devices.insert(
            "ws-1".into(),
            wire::PlaceDeviceList {
                max_device_count: 1,
                ..Default::default()
            },
        );
        let yaml = format!(
            "{}{}{}{}{}",
            customer("webex_calling"),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
            device_yaml(
                "a",
                "001A2B3C4D5E",
                "Grandstream GXP2170",
                "{user: jdupont@c1.example}",
                "  sipPassword: {generate: true}\n"
            ),
            device_yaml(
                "b",
                "001A2B3C4D5F",
                "Yealink W70B",
                "{user: jdupont@c1.example}",
                "  sipPassword: {generate: true}\n"
            ),
            device_yaml(
                "c",
                "001A2B3C4D60",
                "Cisco 8865",
                "{workspace: Accueil}",
                "  sipPassword: {generate: true}\n"
            ),
        ) + &device_yaml(
            "d",
            "001A2B3C4D61",
            "Cisco 8865",
            "{workspace: Accueil}",
            "  sipPassword: {generate: true}\n",
        );
        let plan = run(&yaml, &live);
        let messages: Vec<&str> = plan.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("Grandstream GXP2170 is not in"), "{messages:?}");
        assert!(plan.errors[0].hint.contains("did you mean `"), "{:?}", plan.errors[0]);
        assert!(messages[1].contains("cannot be owned by a user"), "{messages:?}");
        assert!(messages[2].contains("would hold 2 devices"), "{messages:?}");
    }

    #[test]
    fn location_numbers_are_added_moved_and_pruned() {
        let mut live = provisioned();
        let o = org(&mut live);
        o.locations.push(wire::Location {
            id: "loc-lyon".into(),
            name: "Lyon".into(),
            address: wire::LocationAddress {
                address1: "2 rue B".into(),
                city: "Lyon".into(),
                country: "FR".into(),
                ..Default::default()
            },
            time_zone: Some("Europe/Paris".into()),
            preferred_language: Some("fr_fr".into()),
            ..Default::default()
        });
        let entry = |number: &str, location: &str| {
            read_number(wire::PhoneNumber {
                phone_number: Some(number.into()),
                location: Some(wire::IdName {
                    id: format!("loc-{}", location.to_lowercase()),
                    name: location.into(),
                }),
                ..Default::default()
            })
        };
        o.numbers = vec![
            entry("+33478000100", "Lyon"),
            entry("+33478000101", "HQ"),
            entry("+33478000199", "Lyon"),
        ];
        let yaml = format!(
            "{}{}",
            customer("webex_calling").replace("  packages:", "  prune: true\n  packages:"),
            location("Lyon", "\"+33478000100\", \"+33478000101\", \"+33478000102\""),
        );
        let plan = run(&yaml, &live);
        assert_eq!(
            ops(&plan),
            [
                "± Number +33478000101 (immutable location)",
                "+ Number +33478000102",
                "- Number +33478000199 (pruned)"
            ]
        );
    }

    #[test]
    fn a_location_describing_the_headquarters_adds_numbers_to_it() {
        let hq = location("HQ", "\"+33140000100\"").replace("2 rue B, city: Lyon", "1 rue A, city: Paris");
        let yaml = format!("{}{hq}", customer("webex_calling"));
        let plan = run(&yaml, &provisioned());
        assert_eq!(ops(&plan), ["+ Number +33140000100"]);
        // For a new customer too: the headquarters comes with the customer.
        let plan = run(
            &yaml,
            &WebexLive {
                supported_devices: Some(supported_devices()),
                ..WebexLive::default()
            },
        );
        assert_eq!(ops(&plan), ["+ Customer C1", "+ Number +33140000100"]);
    }

    #[test]
    fn children_selected_without_their_customer_are_planned_under_the_live_one() {
        let mut live = provisioned();
        subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
        let yaml = user("jdupont", "webex_calling", "HQ", "  extension: \"1101\"\n");
        let plan = run_with(&yaml, &live, |cx| cx.partial = true);
        assert_eq!(ops(&plan), ["~ User jdupont@c1.example"]);
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        // What the selection does not declare is listed, never pruned: the headquarters here.
        assert_eq!(plan.unmanaged.len(), 1);
        assert_eq!(plan.unmanaged[0].object.key, "HQ");
        let plan = run_with(&yaml, &WebexLive::default(), |cx| cx.partial = true);
        assert!(plan.actions.is_empty());
        assert!(
            plan.errors[0].message.contains("does not exist at Webex"),
            "{:?}",
            plan.errors
        );
    }
}
