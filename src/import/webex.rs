//! Webex: each customer's folder (`webex/<externalId>/customer.yaml, locations.yaml,
//! users.yaml, workspaces.yaml, devices.yaml`) and the template stubs its customers name.
//!
//! Each field is what `plan::webex` reads back from the same live object (its `live_*_view`s,
//! the lines of the organisation's number list, the owners by email or workspace name), so
//! the imported manifests plan empty. What Webex does not answer (a customer's company name
//! and administrator, its onboarding template, a location's announcement language, a user's
//! administrator role, a SIP password) is said where it belongs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::names::{Taken, component, manifest_name};
use super::yaml::{MapBuilder, Node};
use super::{Doc, Import, Scope};
use crate::manifest::ManifestSet;
use crate::manifest::webex::{Package, RoomType};
use crate::model::webex::live::LiveSubscriber;
use crate::model::webex::{OrgLive, WebexLive, mac_key};
use crate::wire::webex as wire;

/// What an unreadable required field is set to: visibly not a value, and valid.
const TO_COMPLETE: &str = "TO COMPLETE";
/// An address that can never receive mail (`.invalid` is reserved, RFC 2606).
const NO_ADMIN: &str = "to-complete@example.invalid";

/// A person's or workspace's line (as `plan::webex::user::lines_of` reads it).
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

/// The workspace kind of each licence id (as `plan::webex::workspace::license_kinds`).
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

fn package(name: &str) -> Option<Package> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

fn room_type(name: &str) -> Option<RoomType> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// An address in the manifests' terms, leaving out the empty optional parts (as
/// `plan::webex::address_view` does).
#[allow(clippy::too_many_arguments)]
fn address(
    line1: &str,
    line2: Option<&str>,
    city: &str,
    state: Option<&str>,
    postal_code: Option<&str>,
    country: &str,
) -> Node {
    let some = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(Node::str);
    Node::flow(
        MapBuilder::new()
            .put("line1", Node::str(line1))
            .opt("line2", some(line2))
            .put("city", Node::str(city))
            .opt("state", some(state))
            .opt("postalCode", some(postal_code))
            .put("country", Node::str(country))
            .build(),
    )
}

fn location_address(a: &wire::LocationAddress) -> Node {
    address(
        &a.address1,
        a.address2.as_deref(),
        &a.city,
        a.state.as_deref(),
        a.postal_code.as_deref(),
        &a.country,
    )
}

fn billing_address(a: &wire::Address) -> Node {
    address(
        &a.address_line1,
        a.address_line2.as_deref(),
        &a.city,
        a.state_or_province.as_deref(),
        a.zip_or_postal_code.as_deref(),
        &a.country,
    )
}

/// The declared objects of one customer, by their keys.
#[derive(Default)]
struct DeclaredIn {
    customer: bool,
    locations: BTreeSet<String>,
    location_numbers: BTreeSet<String>,
    users: BTreeSet<String>,
    workspaces: BTreeSet<String>,
    devices: BTreeSet<String>,
    names: [Taken; 4],
}

fn declared_in(set: &ManifestSet, ext: &str) -> DeclaredIn {
    let mut d = DeclaredIn {
        customer: set.customers.iter().any(|c| c.spec.external_id == ext),
        ..DeclaredIn::default()
    };
    for l in set.locations.iter().filter(|l| l.spec.customer == ext) {
        d.locations.insert(l.spec.name.to_lowercase());
        d.location_numbers.extend(l.spec.numbers.iter().cloned());
        d.names[0].claim(&l.metadata.name);
    }
    for c in set.customers.iter().filter(|c| c.spec.external_id == ext) {
        if let Some(hq) = &c.spec.headquarters {
            // A headquarters is a location: its name is declared by the customer.
            d.locations.insert(hq.name.to_lowercase());
        }
    }
    for u in set.users.iter().filter(|u| u.spec.customer == ext) {
        d.users.insert(u.spec.email.to_lowercase());
        d.names[1].claim(&u.metadata.name);
    }
    for w in set.workspaces.iter().filter(|w| w.spec.customer == ext) {
        d.workspaces.insert(w.spec.name.to_lowercase());
        d.names[2].claim(&w.metadata.name);
    }
    for dev in set.devices.iter().filter(|x| x.spec.customer == ext) {
        d.devices.insert(mac_key(&dev.spec.mac));
        d.names[3].claim(&dev.metadata.name);
    }
    d
}

pub(super) fn customers(live: &WebexLive, declared: &ManifestSet, scope: &Scope, out: &mut Import) {
    let mut templates: BTreeMap<String, Doc> = BTreeMap::new();
    let declared_templates: BTreeSet<&str> = declared.templates.iter().map(|t| t.metadata.name.as_str()).collect();
    let mut customer_names = Taken::new(declared.customers.iter().map(|c| c.metadata.name.clone()));
    for (ext, customer) in &live.customers {
        if !scope.wants_customer(ext) {
            continue;
        }
        let d = declared_in(declared, ext);
        let folder = vec!["webex".to_string(), component(ext)];
        let org = live.orgs.get(ext);
        if !d.customer {
            let (doc, template) = customer_doc(ext, customer, org, &mut customer_names, out);
            if !declared_templates.contains(template.name.as_str()) {
                templates.entry(template.name.clone()).or_insert(template);
            }
            let mut path = folder.clone();
            path.push("customer.yaml".into());
            out.add_file(path, vec![doc], Vec::new());
            out.count("Customer", 1);
        }
        match org {
            Some(org) => children(scope.shared_lines, ext, customer, org, d, &folder, out),
            None => out.note(format!(
                "customer {ext} is {}: its organisation cannot be read yet, so nothing under it was imported (import it again once it is provisioned)",
                customer.status
            )),
        }
    }
    if !templates.is_empty() {
        let header = vec![
            "No API lists a customer's onboarding template: these stubs stand for the templates of the imported".into(),
            "customers. They are used only when a customer is created again; complete each from Partner Hub.".into(),
        ];
        let n = templates.len();
        out.add_file(
            vec!["webex".into(), "templates.yaml".into()],
            templates.into_values().collect(),
            header,
        );
        out.count("Template", n);
        out.note(format!(
            "{n} Template stub(s) in webex/templates.yaml are to complete from Partner Hub (provisioning id, subscription, language)"
        ));
    }
}

/// The location a customer's `headquarters` names: the one at its billing address, else the
/// first by name.
fn headquarters<'a>(customer: &wire::Customer, org: Option<&'a OrgLive>) -> Option<&'a wire::Location> {
    let locations = &org?.locations;
    let billing = customer.address.as_ref().map(billing_address);
    locations
        .iter()
        .find(|l| Some(location_address(&l.address)) == billing)
        .or_else(|| locations.iter().min_by(|a, b| a.name.cmp(&b.name)))
}

fn customer_doc(
    ext: &str,
    customer: &wire::Customer,
    org: Option<&OrgLive>,
    names: &mut Taken,
    out: &mut Import,
) -> (Doc, Doc) {
    let hq = headquarters(customer, org);
    let country = customer
        .address
        .as_ref()
        .map(|a| a.country.clone())
        .or_else(|| hq.map(|l| l.address.country.clone()))
        .unwrap_or_else(|| {
            out.note(format!(
                "customer {ext}: Webex answers no address and no location, so its country is not known: `country: US` is a placeholder to correct"
            ));
            "US".to_string()
        });
    let template_name = manifest_name(&format!("imported-{country}"), "imported");
    let mut packages: Vec<&str> = Vec::new();
    for p in &customer.packages {
        match package(p) {
            Some(p) => packages.push(p.as_str()),
            None => out.note(format!(
                "customer {ext} has package `{p}`, which telform does not know: left out (plan will show it)"
            )),
        }
    }
    packages.sort();
    let hq_address = match (&customer.address, hq) {
        // A location named as the headquarters must have its address (validation, TF110),
        // and plan compares the headquarters' address with the billing address: when the two
        // differ, no manifest says both. The location's is kept, and the change plan will
        // show of the billing address is said.
        (Some(a), Some(l)) if billing_address(a) != location_address(&l.address) => {
            out.note(format!(
                "customer {ext}: its billing address is the address of none of its locations; the manifest gives the headquarters (`{}`) its location's address, so plan shows the billing address changing to it: correct one of them before applying",
                l.name
            ));
            location_address(&l.address)
        }
        (Some(a), _) => billing_address(a),
        (None, Some(l)) => {
            out.note(format!(
                "customer {ext} has no billing address: its headquarters' is used (plan will show it as a change)"
            ));
            location_address(&l.address)
        }
        (None, None) => address(TO_COMPLETE, None, TO_COMPLETE, None, None, &country),
    };
    let (hq_name, timezone, language) = match hq {
        Some(l) => (
            l.name.clone(),
            l.time_zone.clone().unwrap_or_else(|| TO_COMPLETE.into()),
            l.preferred_language.clone().unwrap_or_else(|| TO_COMPLETE.into()),
        ),
        None => (TO_COMPLETE.to_string(), "UTC".to_string(), "en_us".to_string()),
    };
    let mut hq_comment =
        vec!["Its address is the customer's billing address; the location itself is in locations.yaml.".to_string()];
    if hq.is_none() {
        hq_comment = vec![
            "Webex lists no location for this customer: name, time zone and language are placeholders,".to_string(),
            "used only if the customer is created again.".to_string(),
        ];
    }
    // The first of the organisation's full administrators (the customer's first one is not
    // told apart by any API).
    let admin_email = org
        .and_then(|o| o.admins.as_ref())
        .and_then(|admins| admins.iter().map(|a| a.email.as_str()).min())
        .unwrap_or(NO_ADMIN)
        .to_string();
    let spec = MapBuilder::new()
        .commented(
            "template",
            Node::str(&template_name),
            &["A stub (webex/templates.yaml): no API tells which template made a customer.".to_string()],
        )
        .put("externalId", Node::str(ext))
        .commented(
            "companyName",
            Node::str(org.and_then(|o| o.display_name.as_deref()).unwrap_or(TO_COMPLETE)),
            &[
                "The organisation's display name (plan refuses a change: rename the customer in Partner Hub)."
                    .to_string(),
                "adminEmail: a full administrator of the organisation (People API); plan refuses one that is not."
                    .to_string(),
            ],
        )
        .put("adminEmail", Node::str(&admin_email))
        .put("country", Node::str(&country))
        .commented(
            "supportedLocationVerified",
            Node::Bool(true),
            &["The customer is provisioned: Webex accepted its location.".to_string()],
        )
        .put("packages", Node::strings(packages))
        .commented(
            "headquarters",
            MapBuilder::new()
                .put("name", Node::str(&hq_name))
                .put("address", hq_address)
                .put("timezone", Node::str(&timezone))
                .put("language", Node::str(&language))
                .build(),
            &hq_comment,
        )
        .build();
    let doc = Doc {
        comment: vec![format!(
            "Webex customer {ext} ({}, organisation {})",
            customer.status,
            customer.org_id.as_deref().unwrap_or("not provisioned")
        )],
        kind: "Customer",
        name: names.claim(&manifest_name(ext, "customer")),
        spec,
    };
    let template = Doc {
        comment: vec![
            format!("TO COMPLETE: the onboarding template of the imported customers of {country}."),
            "Copy its provisioning id and subscription from Partner Hub; check its languages and authentication."
                .into(),
        ],
        kind: "Template",
        name: template_name,
        spec: MapBuilder::new()
            .put("provisioningId", Node::str(TO_COMPLETE))
            .put("country", Node::str(&country))
            .put("language", Node::str(&language))
            .put("subscription", Node::str(TO_COMPLETE))
            .put("authentication", Node::str("webex"))
            .put(
                "calling",
                Node::flow(
                    MapBuilder::new()
                        .put("timezone", Node::str(&timezone))
                        .put("language", Node::str(&language))
                        .build(),
                ),
            )
            .build(),
    };
    (doc, template)
}

/// What one organisation's children are known by.
struct Known<'a> {
    /// Location id → name.
    location_names: HashMap<&'a str, &'a str>,
    /// Lower-case name → the name as Webex writes it.
    location_by_name: HashMap<String, &'a str>,
    /// Person id → lower-case email, of the users declared or imported.
    emails: HashMap<&'a str, String>,
    /// Workspace id → name, of the workspaces declared or imported.
    workspaces: HashMap<&'a str, &'a str>,
}

fn children(
    shared_lines: bool,
    ext: &str,
    customer: &wire::Customer,
    org: &OrgLive,
    mut d: DeclaredIn,
    folder: &[String],
    out: &mut Import,
) {
    let lines = lines_of(org);
    let mut known = Known {
        location_names: org.locations.iter().map(|l| (l.id.as_str(), l.name.as_str())).collect(),
        location_by_name: org
            .locations
            .iter()
            .map(|l| (l.name.to_lowercase(), l.name.as_str()))
            .collect(),
        emails: HashMap::new(),
        workspaces: HashMap::new(),
    };
    let file = |name: &str| {
        let mut path = folder.to_vec();
        path.push(name.to_string());
        path
    };

    // Locations, with every number the organisation's list puts there.
    let mut numbers_at: HashMap<String, Vec<&str>> = HashMap::new();
    for n in &org.numbers {
        let Some(number) = n.phone_number() else { continue };
        match n.location.as_deref() {
            Some(location) => numbers_at.entry(location.to_lowercase()).or_default().push(number),
            None => out.note(format!("customer {ext}: number {number} has no location: not imported")),
        }
    }
    let mut docs = Vec::new();
    let mut locations: Vec<&wire::Location> = org.locations.iter().collect();
    locations.sort_by(|a, b| a.name.cmp(&b.name));
    for l in locations {
        let key = l.name.to_lowercase();
        if d.locations.contains(&key) {
            let undeclared: Vec<&str> = numbers_at
                .get(&key)
                .into_iter()
                .flatten()
                .filter(|n| !d.location_numbers.contains(**n))
                .copied()
                .collect();
            if !undeclared.is_empty() {
                out.note(format!(
                    "customer {ext}: location `{}` is declared without {} of its numbers ({}): add them to its `numbers` if it should hold them",
                    l.name,
                    undeclared.len(),
                    undeclared.join(", ")
                ));
            }
            continue;
        }
        let mut numbers: Vec<&str> = numbers_at.get(&key).cloned().unwrap_or_default();
        numbers.sort();
        let mut comment = Vec::new();
        if l.time_zone.is_none() || l.preferred_language.is_none() {
            comment.push("Webex answered no time zone or language for it: plan will set them".to_string());
        }
        let language = l.preferred_language.clone().unwrap_or_else(|| TO_COMPLETE.into());
        let spec = MapBuilder::new()
            .put("customer", Node::str(ext))
            .put("name", Node::str(&l.name))
            .put("address", location_address(&l.address))
            .put(
                "timezone",
                Node::str(l.time_zone.clone().unwrap_or_else(|| TO_COMPLETE.into())),
            )
            .put("language", Node::str(&language))
            .commented(
                "announcementLanguage",
                Node::str(&language),
                &[
                    "Not readable through the API: assumed to be the location's language (plan does not compare it)."
                        .into(),
                ],
            )
            .opt("numbers", (!numbers.is_empty()).then(|| Node::strings(numbers)))
            .build();
        comment.insert(0, format!("Location `{}` of customer {ext}", l.name));
        docs.push(Doc {
            comment,
            kind: "Location",
            name: d.names[0].claim(&manifest_name(&format!("{ext}-{}", l.name), "location")),
            spec,
        });
    }
    out.count("Location", docs.len());
    if !docs.is_empty() {
        out.add_file(file("locations.yaml"), docs, Vec::new());
    }

    // Users.
    let mut docs = Vec::new();
    let mut subscribers: Vec<&LiveSubscriber> = org.subscribers.iter().collect();
    subscribers.sort_by_key(|s| s.email().to_lowercase());
    for s in subscribers {
        let email = s.email().to_lowercase();
        if d.users.contains(&email) {
            if let Some(p) = s.person_id.as_deref() {
                known.emails.insert(p, email);
            }
            continue;
        }
        match user_doc(ext, s, &lines, &known, &mut d.names[1]) {
            Ok(doc) => {
                if let Some(p) = s.person_id.as_deref() {
                    known.emails.insert(p, email);
                }
                docs.push(doc);
            }
            Err(why) => out.note(format!("customer {ext}: user {}: {why}: not imported", s.email())),
        }
    }
    out.count("User", docs.len());
    if !docs.is_empty() {
        out.add_file(
            file("users.yaml"),
            docs,
            vec![
                "The administrator role is not imported: add `admin: true` to the customer's administrators".into(),
                "to manage it (plan compares it with the organisation's full administrators).".into(),
            ],
        );
    }

    // Workspaces.
    let kinds = license_kinds(customer);
    let mut docs = Vec::new();
    let mut workspaces: Vec<_> = org.workspaces.iter().collect();
    workspaces.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    for w in workspaces {
        if d.workspaces.contains(&w.display_name.to_lowercase()) {
            known.workspaces.insert(&w.id, &w.display_name);
            continue;
        }
        match workspace_doc(ext, w, &lines, &known, &kinds, &mut d.names[2]) {
            Ok(doc) => {
                known.workspaces.insert(&w.id, &w.display_name);
                docs.push(doc);
            }
            Err(why) => out.note(format!(
                "customer {ext}: workspace `{}`: {why}: not imported",
                w.display_name
            )),
        }
    }
    out.count("Workspace", docs.len());
    if !docs.is_empty() {
        out.add_file(file("workspaces.yaml"), docs, Vec::new());
    }

    // Devices.
    let mut docs = Vec::new();
    let mut devices: Vec<_> = org.devices.iter().collect();
    devices.sort_by_key(|x| x.mac().map(mac_key));
    for dev in devices {
        let Some(mac) = dev.mac().filter(|m| !m.is_empty()).map(mac_key) else {
            out.note(format!(
                "customer {ext}: device {} has no MAC (activated by code): a Device manifest is keyed by its MAC, so it is not imported",
                dev.id()
            ));
            continue;
        };
        if d.devices.contains(&mac) {
            continue;
        }
        match device_doc(ext, dev, &mac, org, &known, &mut d.names[3]) {
            Ok(doc) => docs.push(doc),
            Err(why) => out.note(format!("customer {ext}: device {mac}: {why}: not imported")),
        }
    }
    out.count("Device", docs.len());
    if !docs.is_empty() {
        let mut header: Vec<String> = vec![
            "SIP passwords are write-only: no API reads one back. Each device keeps its live password; `rotation`"
                .into(),
            "is the one its `telform-sip-rotation` tag records. To set a new password, bump `rotation` (with".into(),
            "`generate: true` apply writes the new one to --secrets-out; or use `fromEnv`/`fromFile` and bump it)."
                .into(),
        ];
        if !shared_lines {
            // Lines cost one read per device: above a plan's floor, so they are read on request.
            header.push(
                "Shared lines were not read (`telform import --shared-lines` reads them, one read per device):".into(),
            );
            header.push("no `sharedWith` here, and plan leaves the devices' lines as they are.".into());
        }
        out.add_file(file("devices.yaml"), docs, header);
    }
}

fn user_doc(
    ext: &str,
    s: &LiveSubscriber,
    lines: &HashMap<&str, Line>,
    known: &Known,
    names: &mut Taken,
) -> Result<Doc, String> {
    let package = match &*s.packages {
        [one] => one.to_string(),
        [] => s.package.as_deref().unwrap_or_default().to_string(),
        many => {
            return Err(format!(
                "it has several packages ({}), a manifest gives one",
                many.iter().map(|p| &**p).collect::<Vec<_>>().join(", ")
            ));
        }
    };
    let Some(package) = crate::import::webex::package(&package) else {
        return Err(format!("its package `{package}` is not one telform knows"));
    };
    let Some(line) = s.person_id.as_deref().and_then(|p| lines.get(p)) else {
        return Err("it has no number nor extension, so Webex answers neither its name nor its location".into());
    };
    let (Some(first), Some(last)) = (line.first_name, line.last_name) else {
        return Err("the number list gives no first or last name for it".into());
    };
    let Some(location) = line
        .location
        .and_then(|l| known.location_by_name.get(&l.to_lowercase()).copied())
    else {
        return Err("its line has no location that Webex lists".into());
    };
    let spec = MapBuilder::new()
        .put("customer", Node::str(ext))
        .put("email", Node::str(s.email()))
        .put("firstName", Node::str(first))
        .put("lastName", Node::str(last))
        .put("package", Node::str(package.as_str()))
        .put("location", Node::str(location))
        .opt("phoneNumber", line.phone_number.map(Node::str))
        .opt("extension", line.extension.map(Node::str))
        .build();
    Ok(Doc {
        comment: Vec::new(),
        kind: "User",
        name: names.claim(&manifest_name(&format!("{ext}-{}", s.email()), "user")),
        spec,
    })
}

fn workspace_doc(
    ext: &str,
    w: &crate::model::webex::live::LiveWorkspace,
    lines: &HashMap<&str, Line>,
    known: &Known,
    kinds: &HashMap<&str, &'static str>,
    names: &mut Taken,
) -> Result<Doc, String> {
    if !w.webex_calling {
        return Err("it is not a Webex Calling workspace, and a Workspace manifest has a calling licence".into());
    }
    let Some(location) = w
        .location_id
        .as_deref()
        .and_then(|id| known.location_names.get(id).copied())
    else {
        return Err("its location is not one Webex lists".into());
    };
    let line = lines.get(&*w.id);
    let phone = line.and_then(|l| l.phone_number);
    let extension = line.and_then(|l| l.extension);
    if phone.is_none() && extension.is_none() {
        return Err("it has no number nor extension".into());
    }
    let mut comment = Vec::new();
    let kind = w
        .licenses
        .as_deref()
        .and_then(|ids| ids.iter().find_map(|id| kinds.get(&**id).copied()));
    let license = match kind {
        Some(kind) => kind,
        None => {
            comment.push(
                "Its licence kind is not readable (Webex answered no licence id of the customer's packages): check it"
                    .into(),
            );
            "professional"
        }
    };
    let room = match w.workspace_type.as_deref() {
        Some(t) => room_type(t)
            .map(|_| t.to_string())
            .ok_or_else(|| format!("its type `{t}` is not one telform knows"))?,
        None => {
            comment.push("Webex answered no type: plan will set it".into());
            "notSet".to_string()
        }
    };
    let capacity = match w.capacity {
        Some(c) => c,
        None => {
            comment.push("Webex answered no capacity: plan will set it".into());
            0
        }
    };
    let spec = MapBuilder::new()
        .put("customer", Node::str(ext))
        .put("name", Node::str(&*w.display_name))
        .put("roomType", Node::str(room))
        .put("capacity", Node::Int(capacity))
        .put("license", Node::str(license))
        .put("location", Node::str(location))
        .opt("phoneNumber", phone.map(Node::str))
        .opt("extension", extension.map(Node::str))
        .build();
    Ok(Doc {
        comment,
        kind: "Workspace",
        name: names.claim(&manifest_name(&format!("{ext}-{}", w.display_name), "workspace")),
        spec,
    })
}

/// `001A2B3C4D5E` as `00:1A:2B:3C:4D:5E`.
fn colon_mac(mac: &str) -> String {
    mac.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

fn device_doc(
    ext: &str,
    dev: &crate::model::webex::live::LiveDevice,
    mac: &str,
    org: &OrgLive,
    known: &Known,
    names: &mut Taken,
) -> Result<Doc, String> {
    let Some(model) = dev.product.as_deref() else {
        return Err("Webex answers no model for it".into());
    };
    let owner = if let Some(p) = dev.person_id.as_deref() {
        let email = known
            .emails
            .get(p)
            .ok_or("its owner is not a user that is declared or imported")?;
        MapBuilder::new().put("user", Node::str(email)).build()
    } else if let Some(w) = dev.workspace_id.as_deref() {
        let name = known
            .workspaces
            .get(w)
            .ok_or("its workspace is not one that is declared or imported")?;
        MapBuilder::new().put("workspace", Node::str(*name)).build()
    } else {
        return Err("it has no owner".into());
    };
    let mut comment = Vec::new();
    let mut shared: Vec<String> = Vec::new();
    if let Some(members) = org.members.get(dev.id()) {
        let others: Vec<&wire::Member> = members.members.iter().filter(|m| !m.primary_owner).collect();
        let users: Vec<String> = others
            .iter()
            .filter(|m| m.member_type == "PEOPLE")
            .filter_map(|m| known.emails.get(m.id.as_str()).cloned())
            .collect();
        if users.len() == others.len() {
            shared = users;
            shared.sort();
        } else {
            // Declaring only some of its lines would make plan remove the others.
            comment.push(format!(
                "It has {} shared line(s) of which some are not declared users: `sharedWith` is left out (plan does not read lines then)",
                others.len()
            ));
        }
    }
    let mut password = MapBuilder::new().put("generate", Node::Bool(true));
    if dev.rotation > 0 {
        password = password.put("rotation", Node::Int(i64::from(dev.rotation)));
    }
    let spec = MapBuilder::new()
        .put("customer", Node::str(ext))
        .put("mac", Node::str(colon_mac(mac)))
        .put("model", Node::str(model))
        .put("owner", Node::flow(owner))
        .opt(
            "sharedWith",
            (!shared.is_empty()).then(|| {
                Node::List(
                    shared
                        .into_iter()
                        .map(|u| Node::flow(MapBuilder::new().put("user", Node::str(u)).build()))
                        .collect(),
                )
            }),
        )
        .commented(
            "sipPassword",
            Node::flow(password.build()),
            &["Keeps its live password (write-only): bump `rotation` to set a new one.".into()],
        )
        .build();
    Ok(Doc {
        comment,
        kind: "Device",
        name: names.claim(&manifest_name(&format!("{ext}-{}", mac.to_ascii_lowercase()), "device")),
        spec,
    })
}
