//! Benchmark of `telform plan` on the synthetic repository (benches/synth.rs) against an
//! emulator seeded with the same objects, a fraction of them changed. Results go to
//! docs/benchmarks.md.
//!
//! cargo run --release --example synth -- /tmp/big
//! cargo build --release
//! cargo run --release --example plan-bench -- /tmp/big [CHANGED_FRACTION]
//!
//! The emulator runs in this process; `telform plan` runs as a child process under
//! `/usr/bin/time`, so its wall time and peak memory are its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::json;
use telform::emulator::{self, Config, seed};
use telform::plan::acg::{account_to_wire, number_to_wire};
use telform::wire::acg::{CivicAddress, CivicLocation};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/big".into()));
    let changed: f64 = args.next().and_then(|f| f.parse().ok()).unwrap_or(0.01);
    let every = (1.0 / changed).round().max(1.0) as usize;

    let validated = telform::validate::validate(std::slice::from_ref(&dir));
    assert!(validated.is_valid(), "the synthetic repository must validate");
    let set = validated.manifests;

    // Live = desired, with every `every`-th account and number changed.
    let mut seed = seed::demo();
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
    println!(
        "live: {} accounts, {} numbers; {changes} of them changed (1 in {every})",
        seed.acg.accounts.len(),
        seed.acg.numbers.len()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .expect("runtime");
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
        .expect("starts")
    });
    let before = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
    let telform = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("telform");
    let output = Command::new("/usr/bin/time")
        .args(["-f", "telform plan: %e s wall, %M KB peak RSS"])
        .arg(&telform)
        .args(["plan", "--stats", "--output", "json", "--max-deletes", "100000"])
        .arg(&dir)
        .envs(emulator.env())
        .output()
        .expect("telform plan runs");
    let calls = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    let plan = telform::plan::render::from_json(&String::from_utf8_lossy(&output.stdout));
    match plan {
        Ok(plan) => {
            let s = plan.summary();
            println!(
                "plan: {} to add, {} to change, {} to delete; {} errors",
                s.add,
                s.change,
                s.delete,
                plan.errors.len()
            );
        }
        Err(error) => println!("plan output not read: {error}"),
    }
    print!("{}", String::from_utf8_lossy(&output.stderr));
    println!("ACG requests served by the emulator: {calls}");
    runtime.block_on(emulator.shutdown()).expect("stops");
}
