//! The live side of the benchmarks: an emulator seed built from the synthetic repository
//! itself (what apply would have made from it), with a chosen share of each kind changed.
//! Shared by plan-bench and apply-bench (`#[path]` modules: examples cannot share a crate).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use telform::emulator::{self, seed};
use telform::manifest::common::Address;
use telform::manifest::{Ensure, ManifestSet};
use telform::model::acg::number_to_wire;
use telform::model::webex::{ROTATION_TAG, mac_key};
use telform::plan::acg::account_to_wire;
use telform::wire::acg::{CivicAddress, CivicLocation};

/// A runtime and, on it, an emulator serving `seed` on loopback.
pub fn start(seed: seed::Seed) -> (tokio::runtime::Runtime, emulator::Emulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let emulator = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        emulator::start(
            listener,
            emulator::Config {
                seed,
                ..emulator::Config::default()
            },
        )
        .await
        .expect("the seed is accepted")
    });
    (runtime, emulator)
}

/// Which objects of each kind are changed: every n-th (0: none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Every {
    pub accounts: usize,
    pub numbers: usize,
    pub customers: usize,
    pub users: usize,
    pub devices: usize,
}

impl Every {
    /// Every `n`-th object of every kind.
    #[allow(dead_code)] // plan-bench's; apply-bench changes only some kinds
    pub fn all(n: usize) -> Every {
        Every {
            accounts: n,
            numbers: n,
            customers: n,
            users: n,
            devices: n,
        }
    }

    fn hits(&self, n: usize, i: usize) -> bool {
        n != 0 && i.is_multiple_of(n)
    }
}

/// CPU time used so far by this process (the emulator, while the plan runs): `utime` and
/// `stime` of /proc/self/stat, in clock ticks of 1/100 s (Linux).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Accounts, numbers and the civic addresses the numbers use; every `every`-th account
/// (`correlationId`) and number (a `customSipHeader`) changed. Returns the number changed.
pub fn seed_acg(set: &ManifestSet, every: &Every, seed: &mut seed::Seed) -> usize {
    let mut changes = 0usize;
    let mut civic: BTreeMap<String, Vec<CivicAddress>> = BTreeMap::new();
    for (i, account) in set.accounts.iter().enumerate() {
        let mut wire = account_to_wire(&account.metadata.name, &account.spec);
        if every.hits(every.accounts, i) {
            wire.correlation_id = Some("CHANGED-BEHIND-TELFORMS-BACK".into());
            changes += 1;
        }
        seed.acg.accounts.push(wire);
    }
    let tenants: BTreeMap<&str, String> = set
        .accounts
        .iter()
        .map(|a| {
            (
                a.metadata.name.as_str(),
                a.spec.teams_tenant_id.clone().unwrap_or_default().to_ascii_lowercase(),
            )
        })
        .collect();
    let mut n = 0usize;
    for number_set in &set.number_sets {
        let spec = &number_set.spec;
        for entry in &spec.numbers {
            let attrs = entry.effective(spec.defaults.as_ref());
            if let (Some(address), Some(location)) = (&attrs.civic_address_id, &attrs.location_id) {
                let list = civic.entry(tenants[spec.account.as_str()].clone()).or_default();
                if !list.iter().any(|a| &a.id == address) {
                    list.push(CivicAddress {
                        id: address.clone(),
                        default_location_id: location.clone(),
                        locations: Some(vec![CivicLocation {
                            id: location.clone(),
                            civic_address_id: address.clone(),
                            description: None,
                            additional_info: None,
                            is_default: Some(true),
                            elin: None,
                        }]),
                        ..CivicAddress::default()
                    });
                }
            }
            let mut wire = number_to_wire(&spec.account, spec.service, &entry.number, &attrs);
            if every.hits(every.numbers, n) {
                wire.configuration =
                    Some(serde_json::from_value(json!({"customSipHeader": "changed-live"})).expect("config"));
                changes += 1;
            }
            n += 1;
            seed.acg.numbers.push(wire);
        }
    }
    seed.acg.civic_addresses = civic;
    changes
}

/// How many Webex objects of each kind the live side changes.
#[derive(Default)]
pub struct WebexChanges {
    pub customers: usize,
    pub users: usize,
    pub devices: usize,
}

/// A seed entry from its JSON form (the format of docs/emulator-webex.md).
fn entry<T: DeserializeOwned>(what: &str, value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("webex.{what}: not a seed entry: {e}"))
}

/// A manifest address as a wholesale address (a customer's billing address and its
/// headquarters' address).
fn wholesale_address(a: &Address) -> Value {
    let mut address = json!({"addressLine1": a.line1, "city": a.city, "country": a.country});
    for (key, value) in [
        ("addressLine2", &a.line2),
        ("stateOrProvince", &a.state),
        ("zipOrPostalCode", &a.postal_code),
    ] {
        if let Some(value) = value {
            address[key] = json!(value);
        }
    }
    address
}

/// The Webex half: what apply would have made from the manifests, with every `every`-th object
/// of each kind changed in a field the diff compares (src/plan/webex/):
///
/// - a customer's billing address (compared with its headquarters' address: an update);
/// - a user's last name (read back from the organisation's number list: an update);
/// - a device's `telform-sip-rotation=N` tag one ahead of the manifest's rotation (a device's
///   model and owner cannot change in place, so this is the device change that is an update:
///   a SIP password reset). The other devices carry the tag apply writes,
///   `telform-sip-rotation=<rotation>` (0 when the manifest names none).
///
/// Locations, workspaces and numbers of users are not seeded: the synthetic repository has
/// none.
pub fn seed_webex(set: &ManifestSet, every: &Every, seed: &mut emulator::webex::Seed) -> WebexChanges {
    let present = |ensure: Option<Ensure>| ensure != Some(Ensure::Absent);
    let mut changes = WebexChanges::default();

    // Reference data: the templates' provisioning ids and the declared device models.
    for t in &set.templates {
        if !seed.provisioning_ids.contains(&t.spec.provisioning_id) {
            seed.provisioning_ids.push(t.spec.provisioning_id.clone());
        }
    }
    for d in &set.devices {
        let known = seed
            .supported_devices
            .iter()
            .any(|s| s.model.eq_ignore_ascii_case(&d.spec.model) || s.display_name.eq_ignore_ascii_case(&d.spec.model));
        if !known {
            seed.supported_devices.push(entry(
                "supportedDevices",
                json!({"model": d.spec.model, "displayName": d.spec.model, "type": "GENERIC_SIP",
                       "manufacturer": "THIRD_PARTY", "numberOfLinePorts": 16}),
            ));
        }
    }

    let provisioning_ids: BTreeMap<&str, &str> = set
        .templates
        .iter()
        .map(|t| (t.metadata.name.as_str(), t.spec.provisioning_id.as_str()))
        .collect();
    for (i, c) in set.customers.iter().filter(|c| present(c.spec.ensure)).enumerate() {
        let spec = &c.spec;
        // Every customer has a headquarters: validation requires one (TF154).
        let hq = spec.headquarters.as_ref().expect("a customer has a headquarters");
        let mut address = wholesale_address(&hq.address);
        if every.hits(every.customers, i) {
            address["addressLine1"] = json!("1 Changed Behind Telform's Back");
            changes.customers += 1;
        }
        let mut customer = json!({
            "externalId": spec.external_id,
            "name": spec.company_name,
            "primaryEmail": spec.admin_email,
            "provisioningId": provisioning_ids[spec.template.as_str()],
            "packages": spec.packages.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "address": address,
        });
        if let Some(org) = &spec.org_id {
            customer["orgId"] = json!(org);
        }
        if spec.packages.iter().any(|p| p.is_calling()) {
            customer["headquarters"] = json!({
                "name": hq.name,
                "address": wholesale_address(&hq.address),
                "timezone": hq.timezone,
                "language": hq.language,
            });
        }
        seed.customers.push(entry("customers", customer));
    }

    for (i, u) in set.users.iter().filter(|u| present(u.spec.ensure)).enumerate() {
        let spec = &u.spec;
        let mut last_name = spec.last_name.as_str();
        if every.hits(every.users, i) {
            last_name = if last_name == "Renamed" {
                "Renamed Again"
            } else {
                "Renamed"
            };
            changes.users += 1;
        }
        let mut subscriber = json!({
            "customer": spec.customer,
            "email": spec.email,
            "firstName": spec.first_name,
            "lastName": last_name,
            "package": spec.package.as_str(),
            "location": spec.location,
        });
        if let Some(n) = &spec.phone_number {
            subscriber["phoneNumber"] = json!(n);
        }
        if let Some(x) = &spec.extension {
            subscriber["extension"] = json!(x);
        }
        seed.subscribers.push(entry("subscribers", subscriber));
    }

    for (i, d) in set.devices.iter().filter(|d| present(d.spec.ensure)).enumerate() {
        let spec = &d.spec;
        let mut rotation = spec.sip_password.rotation.unwrap_or(0);
        if every.hits(every.devices, i) {
            rotation += 1;
            changes.devices += 1;
        }
        let owner = match (&spec.owner.user, &spec.owner.workspace) {
            (Some(user), _) => json!({"user": user}),
            (None, Some(workspace)) => json!({"workspace": workspace}),
            (None, None) => unreachable!("validation requires an owner"),
        };
        let shared: Vec<Value> = spec
            .shared_with
            .iter()
            .flatten()
            .map(|s| json!({"user": s.user}))
            .collect();
        seed.devices.push(entry(
            "devices",
            json!({
                "customer": spec.customer,
                "mac": mac_key(&spec.mac),
                "model": spec.model,
                "owner": owner,
                "sharedWith": shared,
                "tags": [format!("{ROTATION_TAG}{rotation}")],
                "sipPasswordSet": true,
            }),
        ));
    }
    changes
}
