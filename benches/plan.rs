//! Benchmark of `telform plan` on the synthetic repository (benches/synth.rs) against an
//! emulator seeded with the same objects, a fraction of them changed. Results go to
//! docs/benchmarks.md.
//!
//! cargo run --release --example synth -- /tmp/big
//! cargo build --release
//! cargo run --release --example plan-bench -- /tmp/big [CHANGED_FRACTION]
//!
//! Environment: `PLAN_BENCH_TELFORM=PATH[:PATH…]` runs those `telform` builds, in turn, against
//! the one seeded emulator, instead of the one next to the example (and says whether their plans
//! are identical); `PLAN_BENCH_SAVE=FILE` writes each plan's JSON to FILE (FILE.1, FILE.2, …
//! with several runs).
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

use telform::emulator::{self, seed};
use telform::model::plan::Op;

#[path = "live.rs"]
mod live;

use live::{Every, cpu_seconds, seed_acg, seed_webex, start};

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
    let acg_changes = seed_acg(&set, &Every::all(every), &mut seed);
    println!(
        "live ACG: {} accounts, {} numbers; {acg_changes} of them changed (1 in {every})",
        seed.acg.accounts.len(),
        seed.acg.numbers.len()
    );
    let webex = seed_webex(&set, &Every::all(every), &mut seed.webex);
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

    let started = Instant::now();
    let (runtime, emulator) = start(seed);
    println!("emulator seeded in {:.2} s", started.elapsed().as_secs_f64());
    // `PLAN_BENCH_TELFORM=A:B:…` runs each of those builds in turn against this one seeded
    // emulator (the emulator stamps objects with the time they were seeded, which their
    // fingerprints cover: two plans compare only against the same seeding).
    let default_telform = || {
        std::env::current_exe()
            .expect("exe")
            .parent()
            .and_then(|p| p.parent())
            .expect("target dir")
            .join("telform")
    };
    let builds: Vec<PathBuf> = match std::env::var_os("PLAN_BENCH_TELFORM") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => vec![default_telform()],
    };
    let save = std::env::var_os("PLAN_BENCH_SAVE").map(PathBuf::from);
    let mut first_output: Option<Vec<u8>> = None;
    for (i, telform) in builds.iter().enumerate() {
        if builds.len() > 1 {
            println!("--- run {} of {}: {}", i + 1, builds.len(), telform.display());
        }
        let stdout = plan_once(&emulator, telform, &dir);
        if let Some(path) = &save {
            let path = if builds.len() > 1 {
                PathBuf::from(format!("{}.{}", path.display(), i + 1))
            } else {
                path.clone()
            };
            std::fs::write(&path, &stdout).expect("the plan is saved");
        }
        match &first_output {
            None => first_output = Some(stdout),
            Some(first) => println!(
                "plan output (JSON, fingerprints included) {} the first run's",
                if *first == stdout {
                    "identical to"
                } else {
                    "DIFFERENT from"
                }
            ),
        }
    }
    runtime.block_on(emulator.shutdown()).expect("stops");
}

/// Runs `telform plan` once under `/usr/bin/time` and prints what it planned, its figures and
/// the requests the emulator served. Returns the plan's JSON.
fn plan_once(emulator: &emulator::Emulator, telform: &std::path::Path, dir: &std::path::Path) -> Vec<u8> {
    let acg_before = emulator.app.acg_requests.load(Ordering::Relaxed);
    let webex_before = emulator.app.webex_requests.load(Ordering::Relaxed);
    let emulator_cpu = cpu_seconds();
    let output = Command::new("/usr/bin/time")
        .args([
            "-f",
            "telform plan: %e s wall, %M KB peak RSS, %U s user + %S s system CPU",
        ])
        .arg(telform)
        .args(["plan", "--stats", "--output", "json", "--max-deletes", "100000"])
        // `PLAN_BENCH_ARGS="--changed-since HEAD~1"`: further flags (a scoped plan, run in
        // the repository's folder so that Git finds it).
        .args(std::env::var("PLAN_BENCH_ARGS").unwrap_or_default().split_whitespace())
        .current_dir(dir)
        .arg(dir)
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
                    .entry((format!("{:?}", a.object.provider), a.object.kind.to_string(), op.into()))
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
    output.stdout
}
