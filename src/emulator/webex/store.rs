//! The Webex store: organisations and what they hold, their indexes, and Webex-style ids.
//!
//! Every object lives in one `BTreeMap` by id (`Db`, persisted). The indexes (`Index`, rebuilt
//! on load) make every lookup a list handler needs direct: devices by MAC, by organisation and
//! by line member; names per organisation; numbers and extensions with their owners. Objects
//! are changed by removing and re-inserting them, so the indexes cannot drift.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::Token;
use crate::wire::webex as wire;

/// Phone number, extension and location id (in this order) of a person or workspace.
pub(super) type Reach = (Option<String>, Option<String>, Option<String>);

/// A person (a subscriber's `personId`) or a workspace: owners of numbers, extensions, devices
/// and device lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum Owner {
    Person(String),
    Place(String),
}

impl Owner {
    pub fn id(&self) -> &str {
        match self {
            Owner::Person(id) | Owner::Place(id) => id,
        }
    }
    /// `memberType` / owner `type` of the telephony APIs.
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Person(_) => "PEOPLE",
            Owner::Place(_) => "PLACE",
        }
    }
}

/// A Webex organisation: a customer's, or (`attachable`) one seeded as existing outside the
/// partnership, which `POST /wholesale/customers` with `orgId` attaches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Org {
    pub id: String,
    pub name: String,
    pub seq: u64,
    pub attachable: bool,
}

/// The asynchronous work a customer is doing, from `since_ms` for the provisioning delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum Phase {
    Provisioning,
    Updating,
    Deleting,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Customer {
    pub id: String,
    pub seq: u64,
    pub org_id: String,
    pub external_id: String,
    pub provisioning_id: String,
    pub packages: Vec<String>,
    pub address: wire::Address,
    #[serde(default)]
    pub customer_info: Option<wire::CustomerInfo>,
    #[serde(default)]
    pub provisioning_parameters: Option<wire::ProvisioningParameters>,
    /// The seed says its provisioning fails: it ends in `error`.
    pub fails: bool,
    pub phase: Phase,
    pub since_ms: u64,
    /// Package → the licence id it gives the organisation.
    pub licenses: BTreeMap<String, String>,
}

impl Customer {
    /// The `status`, `delay_ms` after the last change.
    pub fn status(&self, now: u64, delay_ms: u64) -> &'static str {
        let busy = now < self.since_ms.saturating_add(delay_ms);
        match self.phase {
            Phase::Deleting => wire::CUSTOMER_DELETING,
            Phase::Provisioning if busy => wire::CUSTOMER_PROVISIONING,
            Phase::Updating if busy => wire::CUSTOMER_UPDATING,
            _ if self.fails => wire::CUSTOMER_ERROR,
            _ => wire::CUSTOMER_PROVISIONED,
        }
    }

    /// A removed customer whose removal has finished.
    pub fn gone(&self, now: u64, delay_ms: u64) -> bool {
        self.phase == Phase::Deleting && now >= self.since_ms.saturating_add(delay_ms)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Subscriber {
    pub id: String,
    pub seq: u64,
    pub person_id: String,
    pub customer_id: String,
    pub org_id: String,
    pub email: String,
    pub package: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    pub created_ms: u64,
    pub changed_ms: u64,
}

impl Subscriber {
    pub fn owner(&self) -> Owner {
        Owner::Person(self.person_id.clone())
    }
}

impl Person {
    /// The person a new subscriber is, named as the subscriber.
    pub fn of_subscriber(s: &Subscriber, seq: u64) -> Person {
        let first = s.first_name.clone().unwrap_or_default();
        let last = s.last_name.clone().unwrap_or_default();
        let display_name = match format!("{first} {last}").trim() {
            "" => s.email.clone(),
            name => name.to_string(),
        };
        Person {
            id: s.person_id.clone(),
            seq,
            org_id: s.org_id.clone(),
            email: s.email.clone(),
            display_name,
            first_name: s.first_name.clone(),
            last_name: s.last_name.clone(),
            roles: Vec::new(),
            created_ms: s.created_ms,
            changed_ms: s.changed_ms,
        }
    }
}

/// The People API's role ids: `ciscospark://us/ROLE/{name}` in URL-safe base64, as Webex's
/// are. Telform manages the first one; the others show that other roles are kept.
pub(super) const ROLES: &[(&str, &str)] = &[
    (FULL_ADMIN_ROLE, "Full Administrator"),
    (READ_ONLY_ADMIN_ROLE, "Read-only Administrator"),
    (USER_ADMIN_ROLE, "User and Device Administrator"),
    (DEVICE_ADMIN_ROLE, "Device Administrator"),
];
/// `ciscospark://us/ROLE/id_full_admin`.
pub(super) const FULL_ADMIN_ROLE: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfZnVsbF9hZG1pbg";
/// `ciscospark://us/ROLE/id_readonly_admin`.
pub(super) const READ_ONLY_ADMIN_ROLE: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfcmVhZG9ubHlfYWRtaW4";
/// `ciscospark://us/ROLE/id_user_admin`.
pub(super) const USER_ADMIN_ROLE: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfdXNlcl9hZG1pbg";
/// `ciscospark://us/ROLE/id_device_admin`.
pub(super) const DEVICE_ADMIN_ROLE: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfZGV2aWNlX2FkbWlu";

/// Set in the sequence number a customer's first administrator's id is made from: outside the
/// id counter's range.
const FIRST_ADMIN_SEQ: u64 = 1 << 40;

/// A person of an organisation (People API): every subscriber's `personId`, and the customer's
/// first administrator (its `customerInfo.primaryEmail`), who need not be a subscriber. Its
/// roles are the People API's role ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Person {
    pub id: String,
    pub seq: u64,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub created_ms: u64,
    pub changed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    pub id: String,
    pub seq: u64,
    pub org_id: String,
    pub name: String,
    pub time_zone: String,
    pub preferred_language: String,
    pub announcement_language: String,
    pub address: wire::LocationAddress,
    #[serde(default)]
    pub latitude: Option<String>,
    #[serde(default)]
    pub longitude: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A PSTN number of a location (its owner, if any, is in the index).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Number {
    pub org_id: String,
    pub location_id: String,
    /// `ACTIVE` or `INACTIVE`.
    pub state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Workspace {
    pub id: String,
    pub seq: u64,
    pub org_id: String,
    pub display_name: String,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub workspace_type: Option<String>,
    pub supported_devices: String,
    pub calling_type: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    /// `professional` or `commonArea` (from the licence); `None` without Webex Calling.
    #[serde(default)]
    pub license_kind: Option<String>,
    pub max_devices: i64,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub hotdesking_status: Option<String>,
    pub created_ms: u64,
}

impl Workspace {
    pub fn owner(&self) -> Owner {
        Owner::Place(self.id.clone())
    }
}

/// One line of a device: its owner on port 1, shared call appearances on the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Line {
    pub member: Owner,
    pub port: i64,
    pub primary_owner: bool,
    pub line_type: String,
    pub line_weight: i64,
    pub hotline_enabled: bool,
    pub hotline_destination: String,
    pub allow_call_decline_enabled: bool,
    #[serde(default)]
    pub line_label: Option<String>,
    #[serde(default)]
    pub t38_fax_compression_enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Device {
    pub id: String,
    pub seq: u64,
    pub org_id: String,
    /// 12 upper-case hex digits.
    pub mac: String,
    /// The supported device's `model`.
    pub model: String,
    pub owner: Owner,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_ms: u64,
    /// Whether a SIP password was ever set. The password itself is never stored.
    pub password_set: bool,
    pub sip_user_name: String,
    pub lines: Vec<Line>,
}

/// Which licence a wholesale package gives a workspace, and its device limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseKind {
    /// A customer package, e.g. `common_area_calling`.
    pub package: String,
    /// `professional` or `commonArea`.
    pub kind: String,
    /// `maxDeviceCount` (and `maxOwnedDeviceCount`) of a workspace with this licence.
    pub max_device_count: i64,
}

impl LicenseKind {
    /// Used when the seed lists none: `webex_calling` and `webex_suite` give professional
    /// workspaces (5 devices), `common_area_calling` common-area ones (1 device).
    pub fn defaults() -> Vec<LicenseKind> {
        let kind = |package: &str, kind: &str, max: i64| LicenseKind {
            package: package.to_string(),
            kind: kind.to_string(),
            max_device_count: max,
        };
        vec![
            kind("webex_calling", "professional", 5),
            kind("webex_suite", "professional", 5),
            kind("common_area_calling", "commonArea", 1),
        ]
    }
}

/// Everything persisted.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Db {
    pub next_seq: u64,
    #[serde(default)]
    pub provisioning_ids: BTreeSet<String>,
    #[serde(default)]
    pub supported_devices: Vec<wire::SupportedDevice>,
    #[serde(default)]
    pub licenses: Vec<LicenseKind>,
    #[serde(default)]
    pub failing_external_ids: BTreeSet<String>,
    #[serde(default)]
    pub orgs: BTreeMap<String, Org>,
    #[serde(default)]
    pub customers: BTreeMap<String, Customer>,
    #[serde(default)]
    pub subscribers: BTreeMap<String, Subscriber>,
    /// By person id: the people of the People API (see [`Person`]).
    #[serde(default)]
    pub people: BTreeMap<String, Person>,
    #[serde(default)]
    pub locations: BTreeMap<String, Location>,
    /// By E.164 number: a number exists once in all of Webex.
    #[serde(default)]
    pub numbers: BTreeMap<String, Number>,
    #[serde(default)]
    pub workspaces: BTreeMap<String, Workspace>,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
}

type Ordered = BTreeMap<u64, String>;

/// Derived from `Db`; never persisted. Name keys are lower-cased.
#[derive(Debug, Default)]
pub(super) struct Index {
    pub customers: Ordered,
    pub customer_by_external: HashMap<String, String>,
    pub customer_by_org: HashMap<String, String>,
    pub deleting: BTreeSet<String>,
    pub subscribers: Ordered,
    pub subscribers_by_customer: HashMap<String, Ordered>,
    pub subscriber_by_person: HashMap<String, String>,
    pub subscriber_by_email: HashMap<(String, String), String>,
    pub people_by_org: HashMap<String, Ordered>,
    /// (organisation, lower-case email) → person id.
    pub person_by_email: HashMap<(String, String), String>,
    /// Lower-case email → the organisations it is a person of: a Webex identity is one
    /// organisation's, whichever organisation asks.
    pub orgs_by_email: HashMap<String, BTreeSet<String>>,
    pub locations_by_org: HashMap<String, Ordered>,
    pub location_by_name: HashMap<(String, String), String>,
    pub numbers_by_org: HashMap<String, BTreeSet<String>>,
    pub number_owner: HashMap<String, Owner>,
    /// (location, extension): Webex Calling scopes extensions by location.
    pub extension_owner: HashMap<(String, String), Owner>,
    pub workspaces_by_org: HashMap<String, Ordered>,
    pub workspace_by_name: HashMap<(String, String), String>,
    pub devices: Ordered,
    pub devices_by_org: HashMap<String, Ordered>,
    pub device_by_mac: HashMap<String, String>,
    /// Person or workspace id → the devices it has a line on (owned or shared).
    pub devices_by_member: HashMap<String, BTreeSet<String>>,
}

fn key(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_lowercase())
}

fn unlink(map: &mut HashMap<String, Ordered>, group: &str, seq: u64) {
    if let Some(set) = map.get_mut(group) {
        set.remove(&seq);
        if set.is_empty() {
            map.remove(group);
        }
    }
}

/// Everything the Webex side holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(from = "Persisted")]
pub struct Store {
    /// The first token is the one written to the env file: give it every scope.
    pub tokens: Vec<Token>,
    pub(super) db: Db,
    #[serde(skip)]
    pub(super) idx: Index,
}

#[derive(Deserialize)]
struct Persisted {
    #[serde(default)]
    tokens: Vec<Token>,
    #[serde(default)]
    db: Db,
}

impl From<Persisted> for Store {
    fn from(p: Persisted) -> Store {
        let mut store = Store {
            tokens: p.tokens,
            db: p.db,
            idx: Index::default(),
        };
        store.reindex();
        store.backfill_people();
        store
    }
}

impl Store {
    fn reindex(&mut self) {
        let mut idx = Index::default();
        for c in self.db.customers.values() {
            idx.add_customer(c);
        }
        for s in self.db.subscribers.values() {
            idx.add_subscriber(s);
        }
        for p in self.db.people.values() {
            idx.add_person(p);
        }
        for l in self.db.locations.values() {
            idx.add_location(l);
        }
        for (n, number) in &self.db.numbers {
            idx.add_number(n, number);
        }
        for w in self.db.workspaces.values() {
            idx.add_workspace(w);
        }
        for d in self.db.devices.values() {
            idx.add_device(d);
        }
        self.idx = idx;
    }

    /// A new id of `kind` (`ORGANIZATION`, `ENTERPRISE`, `LOCATION`, ...): base64 of
    /// `ciscospark://us/{kind}/{uuid}` as Webex ids are (URL-safe alphabet, no padding), with a
    /// uuid made from a sequence number, so that runs from one seed give the same ids.
    pub(super) fn next_id(&mut self, kind: &str) -> (u64, String) {
        loop {
            self.db.next_seq += 1;
            let seq = self.db.next_seq;
            let id = webex_id(kind, seq);
            let taken = self.db.orgs.contains_key(&id)
                || self.db.customers.contains_key(&id)
                || self.db.devices.contains_key(&id)
                || self.db.workspaces.contains_key(&id)
                || self.db.locations.contains_key(&id);
            if !taken {
                return (seq, id);
            }
        }
    }

    // --- customers ---

    pub(super) fn insert_customer(&mut self, c: Customer) {
        self.idx.add_customer(&c);
        self.db.customers.insert(c.id.clone(), c);
    }

    pub(super) fn remove_customer(&mut self, id: &str) -> Option<Customer> {
        let c = self.db.customers.remove(id)?;
        self.idx.customers.remove(&c.seq);
        self.idx.customer_by_external.remove(&c.external_id);
        self.idx.customer_by_org.remove(&c.org_id);
        self.idx.deleting.remove(&c.id);
        Some(c)
    }

    /// Forgets the customers whose removal has finished, with everything their organisation
    /// held. Returns whether anything changed.
    pub(super) fn settle(&mut self, now: u64, delay_ms: u64) -> bool {
        let done: Vec<String> = self
            .idx
            .deleting
            .iter()
            .filter(|id| self.db.customers.get(*id).is_some_and(|c| c.gone(now, delay_ms)))
            .cloned()
            .collect();
        for id in &done {
            self.purge_customer(id);
        }
        !done.is_empty()
    }

    fn purge_customer(&mut self, id: &str) {
        let Some(c) = self.remove_customer(id) else { return };
        let org = c.org_id;
        let devices: Vec<String> = self
            .idx
            .devices_by_org
            .get(&org)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for d in devices {
            self.remove_device(&d);
        }
        let workspaces: Vec<String> = self
            .idx
            .workspaces_by_org
            .get(&org)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for w in workspaces {
            self.remove_workspace(&w);
        }
        let subscribers: Vec<String> = self
            .idx
            .subscribers_by_customer
            .get(id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for s in subscribers {
            self.remove_subscriber(&s);
        }
        let people: Vec<String> = self
            .idx
            .people_by_org
            .get(&org)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for p in people {
            self.remove_person(&p);
        }
        let numbers: Vec<String> = self
            .idx
            .numbers_by_org
            .get(&org)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for n in numbers {
            self.remove_number(&n);
        }
        let locations: Vec<String> = self
            .idx
            .locations_by_org
            .get(&org)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for l in locations {
            self.remove_location(&l);
        }
        if self.db.orgs.get(&org).is_some_and(|o| !o.attachable) {
            self.db.orgs.remove(&org);
        }
    }

    // --- subscribers ---

    pub(super) fn insert_subscriber(&mut self, s: Subscriber) {
        self.idx.add_subscriber(&s);
        self.db.subscribers.insert(s.id.clone(), s);
    }

    pub(super) fn remove_subscriber(&mut self, id: &str) -> Option<Subscriber> {
        let s = self.db.subscribers.remove(id)?;
        self.idx.subscribers.remove(&s.seq);
        unlink(&mut self.idx.subscribers_by_customer, &s.customer_id, s.seq);
        self.idx.subscriber_by_person.remove(&s.person_id);
        self.idx.subscriber_by_email.remove(&key(&s.customer_id, &s.email));
        self.idx.release(
            s.location_id.as_deref(),
            &s.owner(),
            s.phone_number.as_deref(),
            s.extension.as_deref(),
        );
        Some(s)
    }

    pub(super) fn subscriber_by_person(&self, person_id: &str) -> Option<&Subscriber> {
        self.idx
            .subscriber_by_person
            .get(person_id)
            .and_then(|id| self.db.subscribers.get(id))
    }

    // --- people ---

    pub(super) fn insert_person(&mut self, p: Person) {
        self.idx.add_person(&p);
        self.db.people.insert(p.id.clone(), p);
    }

    pub(super) fn remove_person(&mut self, id: &str) -> Option<Person> {
        let p = self.db.people.remove(id)?;
        unlink(&mut self.idx.people_by_org, &p.org_id, p.seq);
        self.idx.person_by_email.remove(&key(&p.org_id, &p.email));
        let email = p.email.to_lowercase();
        if let Some(orgs) = self.idx.orgs_by_email.get_mut(&email) {
            orgs.remove(&p.org_id);
            if orgs.is_empty() {
                self.idx.orgs_by_email.remove(&email);
            }
        }
        Some(p)
    }

    /// Whether `email` is a person of an organisation other than `org_id` (any, when `None`).
    pub(super) fn person_elsewhere(&self, org_id: Option<&str>, email: &str) -> bool {
        self.idx
            .orgs_by_email
            .get(&email.to_lowercase())
            .is_some_and(|orgs| orgs.iter().any(|o| Some(o.as_str()) != org_id))
    }

    pub(super) fn person_by_email(&self, org_id: &str, email: &str) -> Option<&Person> {
        self.idx
            .person_by_email
            .get(&key(org_id, email))
            .and_then(|id| self.db.people.get(id))
    }

    /// A state file written before people were kept: a person for every subscriber and for
    /// every customer's first administrator.
    fn backfill_people(&mut self) {
        let subscribers: Vec<Subscriber> = self
            .db
            .subscribers
            .values()
            .filter(|s| !self.db.people.contains_key(&s.person_id))
            .cloned()
            .collect();
        for s in subscribers {
            self.db.next_seq += 1;
            let seq = self.db.next_seq;
            self.insert_person(Person::of_subscriber(&s, seq));
        }
        let customers: Vec<Customer> = self.db.customers.values().cloned().collect();
        for c in customers {
            self.ensure_first_admin(&c, c.since_ms);
        }
    }

    /// The customer's first administrator (`customerInfo.primaryEmail`): a person of its
    /// organisation holding the full administrator role. Its id is derived from the customer's
    /// (not from the id counter, so that the ids of everything else do not move).
    pub(super) fn ensure_first_admin(&mut self, c: &Customer, now: u64) {
        let Some(email) = c.customer_info.as_ref().map(|i| i.primary_email.clone()) else {
            return;
        };
        if email.is_empty() {
            return;
        }
        if let Some(existing) = self.person_by_email(&c.org_id, &email).map(|p| p.id.clone()) {
            let mut p = self.remove_person(&existing).expect("found above");
            if !p.roles.iter().any(|r| r == FULL_ADMIN_ROLE) {
                p.roles.push(FULL_ADMIN_ROLE.to_string());
            }
            self.insert_person(p);
            return;
        }
        let seq = c.seq | FIRST_ADMIN_SEQ;
        self.insert_person(Person {
            id: webex_id("PEOPLE", seq),
            seq,
            org_id: c.org_id.clone(),
            email: email.clone(),
            display_name: email,
            first_name: None,
            last_name: None,
            roles: vec![FULL_ADMIN_ROLE.to_string()],
            created_ms: now,
            changed_ms: now,
        });
    }

    // --- locations ---

    pub(super) fn insert_location(&mut self, l: Location) {
        self.idx.add_location(&l);
        self.db.locations.insert(l.id.clone(), l);
    }

    pub(super) fn remove_location(&mut self, id: &str) -> Option<Location> {
        let l = self.db.locations.remove(id)?;
        unlink(&mut self.idx.locations_by_org, &l.org_id, l.seq);
        self.idx.location_by_name.remove(&key(&l.org_id, &l.name));
        Some(l)
    }

    pub(super) fn location_named(&self, org_id: &str, name: &str) -> Option<&Location> {
        self.idx
            .location_by_name
            .get(&key(org_id, name))
            .and_then(|id| self.db.locations.get(id))
    }

    /// The organisation's first location: its headquarters.
    pub(super) fn first_location(&self, org_id: &str) -> Option<&Location> {
        self.idx
            .locations_by_org
            .get(org_id)
            .and_then(|m| m.values().next())
            .and_then(|id| self.db.locations.get(id))
    }

    // --- numbers ---

    pub(super) fn insert_number(&mut self, phone: String, n: Number) {
        self.idx.add_number(&phone, &n);
        self.db.numbers.insert(phone, n);
    }

    pub(super) fn remove_number(&mut self, phone: &str) -> Option<Number> {
        let n = self.db.numbers.remove(phone)?;
        if let Some(set) = self.idx.numbers_by_org.get_mut(&n.org_id) {
            set.remove(phone);
            if set.is_empty() {
                self.idx.numbers_by_org.remove(&n.org_id);
            }
        }
        Some(n)
    }

    // --- workspaces ---

    pub(super) fn insert_workspace(&mut self, w: Workspace) {
        self.idx.add_workspace(&w);
        self.db.workspaces.insert(w.id.clone(), w);
    }

    pub(super) fn remove_workspace(&mut self, id: &str) -> Option<Workspace> {
        let w = self.db.workspaces.remove(id)?;
        unlink(&mut self.idx.workspaces_by_org, &w.org_id, w.seq);
        self.idx.workspace_by_name.remove(&key(&w.org_id, &w.display_name));
        self.idx.release(
            w.location_id.as_deref(),
            &w.owner(),
            w.phone_number.as_deref(),
            w.extension.as_deref(),
        );
        Some(w)
    }

    pub(super) fn workspace_named(&self, org_id: &str, name: &str) -> Option<&Workspace> {
        self.idx
            .workspace_by_name
            .get(&key(org_id, name))
            .and_then(|id| self.db.workspaces.get(id))
    }

    // --- devices ---

    pub(super) fn insert_device(&mut self, d: Device) {
        self.idx.add_device(&d);
        self.db.devices.insert(d.id.clone(), d);
    }

    pub(super) fn remove_device(&mut self, id: &str) -> Option<Device> {
        let d = self.db.devices.remove(id)?;
        self.idx.devices.remove(&d.seq);
        unlink(&mut self.idx.devices_by_org, &d.org_id, d.seq);
        self.idx.device_by_mac.remove(&d.mac);
        for line in &d.lines {
            if let Some(set) = self.idx.devices_by_member.get_mut(line.member.id()) {
                set.remove(&d.id);
                if set.is_empty() {
                    self.idx.devices_by_member.remove(line.member.id());
                }
            }
        }
        Some(d)
    }

    /// Removes a person or workspace from devices: the devices it owns go, its shared lines on
    /// other devices are dropped.
    pub(super) fn detach_member(&mut self, member: &Owner) {
        let ids: Vec<String> = self
            .idx
            .devices_by_member
            .get(member.id())
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            let Some(mut device) = self.remove_device(&id) else {
                continue;
            };
            if device.owner != *member {
                device.lines.retain(|l| l.member != *member);
                self.insert_device(device);
            }
        }
    }

    /// Devices a person or workspace has a line on: (device, whether it owns it).
    pub(super) fn devices_of(&self, member: &Owner) -> Vec<(&Device, bool)> {
        self.idx
            .devices_by_member
            .get(member.id())
            .into_iter()
            .flatten()
            .filter_map(|id| self.db.devices.get(id))
            .map(|d| (d, d.owner == *member))
            .collect()
    }

    pub(super) fn supported_device(&self, model: &str) -> Option<&wire::SupportedDevice> {
        self.db
            .supported_devices
            .iter()
            .find(|d| d.model.eq_ignore_ascii_case(model) || d.display_name.eq_ignore_ascii_case(model))
    }

    /// The customer whose organisation is `org_id`.
    pub(super) fn customer_of_org(&self, org_id: &str) -> Option<&Customer> {
        self.idx
            .customer_by_org
            .get(org_id)
            .and_then(|id| self.db.customers.get(id))
    }

    /// Who holds an E.164 number, or an extension of a location.
    pub(super) fn number_owner(&self, phone: &str) -> Option<&Owner> {
        self.idx.number_owner.get(phone)
    }

    pub(super) fn extension_owner(&self, location_id: &str, extension: &str) -> Option<&Owner> {
        self.idx
            .extension_owner
            .get(&(location_id.to_string(), extension.to_string()))
    }

    /// First and last name of a person or workspace, as the telephony APIs show owners.
    pub(super) fn owner_names(&self, owner: &Owner) -> (String, String) {
        match owner {
            Owner::Person(id) => match self.subscriber_by_person(id) {
                Some(s) => (
                    s.first_name.clone().unwrap_or_default(),
                    s.last_name.clone().unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            },
            Owner::Place(id) => (
                self.db
                    .workspaces
                    .get(id)
                    .map(|w| w.display_name.clone())
                    .unwrap_or_default(),
                String::new(),
            ),
        }
    }

    /// Phone number, extension and location of a person or workspace.
    pub(super) fn owner_numbers(&self, owner: &Owner) -> Reach {
        match owner {
            Owner::Person(id) => self
                .subscriber_by_person(id)
                .map(|s| (s.phone_number.clone(), s.extension.clone(), s.location_id.clone()))
                .unwrap_or_default(),
            Owner::Place(id) => self
                .db
                .workspaces
                .get(id)
                .map(|w| (w.phone_number.clone(), w.extension.clone(), w.location_id.clone()))
                .unwrap_or_default(),
        }
    }
}

impl Index {
    fn add_customer(&mut self, c: &Customer) {
        self.customers.insert(c.seq, c.id.clone());
        self.customer_by_external.insert(c.external_id.clone(), c.id.clone());
        self.customer_by_org.insert(c.org_id.clone(), c.id.clone());
        if c.phase == Phase::Deleting {
            self.deleting.insert(c.id.clone());
        }
    }

    fn add_subscriber(&mut self, s: &Subscriber) {
        self.subscribers.insert(s.seq, s.id.clone());
        self.subscribers_by_customer
            .entry(s.customer_id.clone())
            .or_default()
            .insert(s.seq, s.id.clone());
        self.subscriber_by_person.insert(s.person_id.clone(), s.id.clone());
        self.subscriber_by_email
            .insert(key(&s.customer_id, &s.email), s.id.clone());
        self.claim(
            s.location_id.as_deref(),
            &s.owner(),
            s.phone_number.as_deref(),
            s.extension.as_deref(),
        );
    }

    fn add_person(&mut self, p: &Person) {
        self.people_by_org
            .entry(p.org_id.clone())
            .or_default()
            .insert(p.seq, p.id.clone());
        self.person_by_email.insert(key(&p.org_id, &p.email), p.id.clone());
        self.orgs_by_email
            .entry(p.email.to_lowercase())
            .or_default()
            .insert(p.org_id.clone());
    }

    fn add_location(&mut self, l: &Location) {
        self.locations_by_org
            .entry(l.org_id.clone())
            .or_default()
            .insert(l.seq, l.id.clone());
        self.location_by_name.insert(key(&l.org_id, &l.name), l.id.clone());
    }

    fn add_number(&mut self, phone: &str, n: &Number) {
        self.numbers_by_org
            .entry(n.org_id.clone())
            .or_default()
            .insert(phone.to_string());
    }

    fn add_workspace(&mut self, w: &Workspace) {
        self.workspaces_by_org
            .entry(w.org_id.clone())
            .or_default()
            .insert(w.seq, w.id.clone());
        self.workspace_by_name
            .insert(key(&w.org_id, &w.display_name), w.id.clone());
        self.claim(
            w.location_id.as_deref(),
            &w.owner(),
            w.phone_number.as_deref(),
            w.extension.as_deref(),
        );
    }

    fn add_device(&mut self, d: &Device) {
        self.devices.insert(d.seq, d.id.clone());
        self.devices_by_org
            .entry(d.org_id.clone())
            .or_default()
            .insert(d.seq, d.id.clone());
        self.device_by_mac.insert(d.mac.clone(), d.id.clone());
        for line in &d.lines {
            self.devices_by_member
                .entry(line.member.id().to_string())
                .or_default()
                .insert(d.id.clone());
        }
    }

    fn claim(&mut self, location_id: Option<&str>, owner: &Owner, phone: Option<&str>, extension: Option<&str>) {
        if let Some(phone) = phone {
            self.number_owner.insert(phone.to_string(), owner.clone());
        }
        if let (Some(location), Some(ext)) = (location_id, extension) {
            self.extension_owner
                .insert((location.to_string(), ext.to_string()), owner.clone());
        }
    }

    fn release(&mut self, location_id: Option<&str>, owner: &Owner, phone: Option<&str>, extension: Option<&str>) {
        if let Some(phone) = phone
            && self.number_owner.get(phone) == Some(owner)
        {
            self.number_owner.remove(phone);
        }
        if let (Some(location), Some(ext)) = (location_id, extension) {
            let k = (location.to_string(), ext.to_string());
            if self.extension_owner.get(&k) == Some(owner) {
                self.extension_owner.remove(&k);
            }
        }
    }
}

/// `ciscospark://us/{kind}/{uuid}` in URL-safe base64 without padding.
pub(super) fn webex_id(kind: &str, seq: u64) -> String {
    let h = splitmix64(seq);
    let uuid = format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        8 + ((h >> 12) & 3),
        (h >> 20) & 0xfff,
        seq & 0xffff_ffff_ffff
    );
    base64url(format!("ciscospark://us/{kind}/{uuid}").as_bytes())
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_webex() {
        // The prefix of every Webex id.
        assert!(base64url(b"ciscospark://us/LOCATION/x").starts_with("Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OL"));
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_ne!(webex_id("DEVICE", 1), webex_id("DEVICE", 2));
    }

    #[test]
    fn role_ids_are_webex_ids_of_their_names() {
        for (id, name) in [
            (FULL_ADMIN_ROLE, "id_full_admin"),
            (READ_ONLY_ADMIN_ROLE, "id_readonly_admin"),
            (USER_ADMIN_ROLE, "id_user_admin"),
            (DEVICE_ADMIN_ROLE, "id_device_admin"),
        ] {
            assert_eq!(id, base64url(format!("ciscospark://us/ROLE/{name}").as_bytes()));
        }
    }
}
