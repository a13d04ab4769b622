//! Benchmark of `telform plan` on the synthetic repository (benches/synth.rs) against an
//! emulator seeded with the same objects, a fraction of them changed. Results go to
//! docs/benchmarks.md.
//!
//! cargo run --release --example synth -- /tmp/big
//! cargo build --release
//! cargo run --release --example plan-bench -- /tmp/big [CHANGED_FRACTION]
//!
//! The live side is built from the repository itself, through telform's own loaded manifests:
//! ACG accounts, numbers and civic addresses as wire structs (`plan::acg`'s conversions), and
//! the Webex customers (provisioned, with their headquarters), subscribers, devices, supported
//! models and templates' provisioning ids as JSON values of the emulator's seed format
//! (docs/emulator-webex.md). One object in `1 / CHANGED_FRACTION` of each kind is changed, in a
//! field the diff compares.
//!
//! The emulator runs in this process; `telform plan` runs as a child process under
//! `/usr/bin/time`, so its wall time and peak memory are its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use telform::emulator::{self, Config, seed};
use telform::manifest::common::Address;
use telform::manifest::{Ensure, ManifestSet};
use telform::plan::acg::{account_to_wire, number_to_wire};
use telform::plan::model::Op;
use telform::plan::webex::{ROTATION_TAG, mac_key};
use telform::wire::acg::{CivicAddress, CivicLocation};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/big".into()));
    let changed: f64 = args.next().and_then(|f| f.parse().ok()).unwrap_or(0.01);
    let every = (1.0 / changed).round().max(1.0) as usize;

    let validated = telform::validate::validate(std::slice::from_ref(&dir));
    assert!(validated.is_valid(), "the synthetic repository must validate");
    let set = validated.manifests;

    // Live = desired, with every `every`-th object of each kind changed.
    let mut seed = seed::demo();
    let acg_changes = seed_acg(&set, every, &mut seed);
    println!(
        "live ACG: {} accounts, {} numbers; {acg_changes} of them changed (1 in {every})",
        seed.acg.accounts.len(),
        seed.acg.numbers.len()
    );
    let webex = seed_webex(&set, every, &mut seed.webex);
    println!(
        "live Webex: {} customers, {} subscribers, {} devices; changed (1 in {every}): {} customer addresses, {} user last names, {} device rotation tags",
        seed.webex.customers.len(),
        seed.webex.subscribers.len(),
        seed.webex.devices.len(),
        webex.customers,
        webex.users,
        webex.devices
    );
    if !set.locations.is_empty() || !set.workspaces.is_empty() {
        println!(
            "not seeded (the plan creates them): {} locations, {} workspaces",
            set.locations.len(),
            set.workspaces.len()
        );
    }
    drop(set);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let started = Instant::now();
    let emulator = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        emulator::start(
            listener,
            Config {
                seed,
                ..Config::default()
            },
        )
        .await
        .expect("the seed is accepted")
    });
    println!("emulator seeded in {:.2} s", started.elapsed().as_secs_f64());
    let acg_before = emulator.app.acg_requests.load(Ordering::Relaxed);
    let webex_before = emulator.app.webex_requests.load(Ordering::Relaxed);
    let telform = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("telform");
    let emulator_cpu = cpu_seconds();
    let output = Command::new("/usr/bin/time")
        .args([
            "-f",
            "telform plan: %e s wall, %M KB peak RSS, %U s user + %S s system CPU",
        ])
        .arg(&telform)
        .args(["plan", "--stats", "--output", "json", "--max-deletes", "100000"])
        .arg(&dir)
        .envs(emulator.env())
        .output()
        .expect("telform plan runs");
    let emulator_cpu = cpu_seconds() - emulator_cpu;
    let acg_calls = emulator.app.acg_requests.load(Ordering::Relaxed) - acg_before;
    let webex_calls = emulator.app.webex_requests.load(Ordering::Relaxed) - webex_before;
    let plan = telform::plan::render::from_json(&String::from_utf8_lossy(&output.stdout));
    match plan {
        Ok(plan) => {
            let s = plan.summary();
            println!(
                "plan: {} to add, {} to change, {} to delete; {} errors, {} pending, {} unmanaged",
                s.add,
                s.change,
                s.delete,
                plan.errors.len(),
                plan.pending.len(),
                plan.unmanaged.len()
            );
            let mut by_kind: BTreeMap<(String, String, String), usize> = BTreeMap::new();
            for a in &plan.actions {
                let op = match a.op {
                    Op::Create => "create",
                    Op::Update => "update",
                    Op::Delete => "delete",
                    Op::Replace => "replace",
                };
                *by_kind
                    .entry((format!("{:?}", a.object.provider), a.object.kind.clone(), op.into()))
                    .or_default() += 1;
            }
            for ((provider, kind, op), n) in by_kind {
                println!("  {provider} {kind}: {n} {op}");
            }
            for u in plan.unmanaged.iter().take(10) {
                println!(
                    "  unmanaged: {:?} {} {}",
                    u.object.provider, u.object.kind, u.object.key
                );
            }
            if plan.unmanaged.len() > 10 {
                println!("  … and {} more unmanaged", plan.unmanaged.len() - 10);
            }
            if let Some(e) = plan.errors.first() {
                println!("  first error: {}", e.message);
            }
        }
        Err(error) => println!("plan output not read: {error}"),
    }
    print!("{}", String::from_utf8_lossy(&output.stderr));
    println!("requests served by the emulator: ACG {acg_calls}, Webex {webex_calls}");
    println!("emulator CPU while serving the plan: {emulator_cpu:.2} s (user + system, on the same 2 cores)");
    runtime.block_on(emulator.shutdown()).expect("stops");
}

/// CPU time used so far by this process (the emulator, while the plan runs): `utime` and
/// `stime` of /proc/self/stat, in clock ticks of 1/100 s (Linux).
fn cpu_seconds() -> f64 {
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
fn seed_acg(set: &ManifestSet, every: usize, seed: &mut seed::Seed) -> usize {
    let mut changes = 0usize;
    let mut civic: BTreeMap<String, Vec<CivicAddress>> = BTreeMap::new();
    for (i, account) in set.accounts.iter().enumerate() {
        let mut wire = account_to_wire(&account.metadata.name, &account.spec);
        if i.is_multiple_of(every) {
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
            if n.is_multiple_of(every) {
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
struct WebexChanges {
    customers: usize,
    users: usize,
    devices: usize,
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
/// of each kind changed in a field the diff compares (src/plan/webex.rs):
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
fn seed_webex(set: &ManifestSet, every: usize, seed: &mut emulator::webex::Seed) -> WebexChanges {
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
        if i.is_multiple_of(every) {
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
        if i.is_multiple_of(every) {
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
        if i.is_multiple_of(every) {
            rotation += 1;
            changes.devices += 1;
        }
        let owner = match (&spec.owner.user, &spec.owner.workspace) {
            (Some(user), _) => json!({"user": user}),
            (None, Some(workspace)) => json!({"workspace": workspace}),
            (None, None) => unreachable!("validation requires an owner"),
        };
        let shared: Vec<Value> = spec.shared_with.iter().map(|s| json!({"user": s.user})).collect();
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
