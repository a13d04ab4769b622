//! The Webex half of the diff: customers, their locations and location numbers, users,
//! workspaces, devices, shared lines and SIP passwords.
//!
//! As for ACG (`super::acg`), desired and live objects are both turned into views in the
//! manifests' own terms and compared with [`diff_json`]. Webex answers less than it takes: the
//! wholesale customer has no company name nor administrator (the organisation's display name
//! and the People API's full administrators are read instead, and compared on their own, as a
//! user's administrator role is), a location's announcement language is write-only, and a
//! user's or workspace's number is read from the organisation's number list. A live view
//! therefore holds what can be read, and only those fields are compared; a creation shows
//! every field.
//!
//! Templates are reference data (Partner Hub makes them): they supply a customer's
//! provisioning id and default language and never appear as an action.
//!
//! One file per kind (issue #12): this one holds what every kind shares (the views of
//! addresses, [`needs`], the steps of one customer, [`diff`] and the `Scope` of one customer);
//! `scope.rs` runs a scope (the customer, then what is declared under it); `customer.rs`,
//! `location.rs` (with location numbers), `user.rs`, `workspace.rs` and `device.rs` each hold
//! that kind's views and the `impl Scope` block that plans it. The kinds' files are children
//! of this module, so they share its private items without widening them past `pub(super)`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Context, diff_json};
use crate::manifest::common::Address;
use crate::manifest::webex::{
    CustomerSpec, DeviceSpec, LocationSpec, Package, RoomType, SipPassword, TemplateSpec, UserSpec, WorkspaceLicense,
    WorkspaceSpec,
};
use crate::manifest::{Ensure, Kind, Manifest, ManifestSet};
use crate::model::fingerprint_of;
use crate::model::plan::{
    Action, FieldChange, Fingerprint, ObjectKind, ObjectRef, Op, Pending, Plan, PlanError, ProviderName, Reason,
    SecretSource, SourceRef, Unmanaged,
};
use crate::model::webex::live::{LiveDevice, LiveNumberEntry, LiveSubscriber, LiveWorkspace};
use crate::model::webex::{OrgLive, ROTATION_TAG, WebexLive, WebexNeeds, license_id, mac_key};
use crate::wire::webex as wire;

pub mod creation;
mod customer;
mod device;
mod location;
pub mod precheck;
mod scope;
mod user;
mod workspace;

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
    needs.names_of.extend(
        set.customers
            .iter()
            .filter(|c| !is_absent(c.spec.ensure))
            .map(|c| c.spec.external_id.clone()),
    );
    // The full administrators: the customer's adminEmail is one of them, and users' `admin`.
    needs.admins_of.extend(
        set.customers
            .iter()
            .filter(|c| !is_absent(c.spec.ensure))
            .map(|c| c.spec.external_id.clone())
            .chain(
                set.users
                    .iter()
                    .filter(|u| !is_absent(u.spec.ensure) && u.spec.admin.is_some())
                    .map(|u| u.spec.customer.clone()),
            ),
    );
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
    needs.licenses_of.extend(
        set.workspaces
            .iter()
            .filter(|w| !is_absent(w.spec.ensure))
            .map(|w| w.spec.customer.clone()),
    );
    let mut per_workspace: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in set.devices.iter().filter(|d| !is_absent(d.spec.ensure)) {
        needs.supported_devices = true;
        if d.spec.shared_with.is_some() {
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

/// The fields of `changes` among `fields` that a change takes away (no new value), named in
/// backticks and joined with "and", when there are any: what an update would leave as it is.
fn taken_away(changes: &[FieldChange], fields: &[&str]) -> Option<String> {
    let named: Vec<String> = changes
        .iter()
        .filter(|c| c.new.is_none() && fields.contains(&c.path.as_str()))
        .map(|c| format!("`{}`", c.path))
        .collect();
    (!named.is_empty()).then(|| named.join(" and "))
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

/// The body apply sends, and the objects it refers to by natural key (their ids are not
/// known yet when the parent is created by the same plan).
fn desired(body: impl Serialize, refs: Value) -> Option<Value> {
    Some(json!({"body": body, "refs": refs}))
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
                object: ObjectRef::new(P, ObjectKind::Customer, ext, ext),
            });
        }
    }
}

#[cfg(test)]
mod tests;
