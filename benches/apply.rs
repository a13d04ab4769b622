//! Benchmark of `telform apply` against the emulator, without rate limit: the synthetic
//! repository (benches/synth.rs) seeded live, with 1 number in 10 and 1 device in 10 changed
//! (by default: 100,000 numbers and 10,000 SIP password resets at scale 1). Results go to
//! docs/benchmarks.md.
//!
//! cargo run --release --example synth -- /tmp/big
//! cargo build --release && cargo build --release --example apply-bench
//! ./target/release/examples/apply-bench /tmp/big [NUMBERS_EVERY] [DEVICES_EVERY]
//!
//! `telform apply` runs as a child process under `/usr/bin/time` (its wall time and peak
//! memory are its own), then `telform plan --detailed-exitcode` checks that nothing is left.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Instant;

use telform::emulator::seed;

#[path = "live.rs"]
mod live;

use live::{Every, cpu_seconds, seed_acg, seed_webex, start};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/big".into()));
    let numbers_every: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let devices_every: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);

    let validated = telform::validate::validate(std::slice::from_ref(&dir));
    assert!(validated.is_valid(), "the synthetic repository must validate");
    let set = validated.manifests;
    let every = Every {
        numbers: numbers_every,
        devices: devices_every,
        ..Every::default()
    };
    let mut seed = seed::demo();
    let numbers = seed_acg(&set, &every, &mut seed);
    let webex = seed_webex(&set, &every, &mut seed.webex);
    // Provisioning and syncs as fast as the emulator can: the benchmark measures telform.
    seed.timing.acg_sync_delay = std::time::Duration::ZERO;
    seed.timing.webex_provisioning_delay = std::time::Duration::ZERO;
    println!(
        "live: {} accounts, {} numbers ({numbers} changed), {} customers, {} devices ({} due a password reset)",
        seed.acg.accounts.len(),
        seed.acg.numbers.len(),
        seed.webex.customers.len(),
        seed.webex.devices.len(),
        webex.devices
    );
    drop(set);

    let (runtime, emulator) = start(seed);
    let telform = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("telform");
    let secrets = std::env::temp_dir().join(format!("apply-bench-{}.tsv", std::process::id()));
    let _ = std::fs::remove_file(&secrets);

    let acg_before = emulator.app.acg_requests.load(Ordering::Relaxed);
    let webex_before = emulator.app.webex_requests.load(Ordering::Relaxed);
    let emulator_cpu = cpu_seconds();
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args([
            "-f",
            "telform apply: %e s wall, %M KB peak RSS, %U s user + %S s system CPU",
        ])
        .arg(&telform)
        .args([
            "apply",
            "--auto-approve",
            "--output",
            "json",
            "--stats",
            "--max-deletes",
            "100000",
        ])
        .arg("--secrets-out")
        .arg(&secrets)
        .arg(&dir)
        .envs(emulator.env())
        .output()
        .expect("telform apply runs");
    let wall = started.elapsed();
    let emulator_cpu = cpu_seconds() - emulator_cpu;
    let acg_calls = emulator.app.acg_requests.load(Ordering::Relaxed) - acg_before;
    let webex_calls = emulator.app.webex_requests.load(Ordering::Relaxed) - webex_before;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    println!(
        "apply exit status: {:?}; totals: {}",
        output.status.code(),
        report["totals"]
    );
    print!("{}", String::from_utf8_lossy(&output.stderr));
    println!(
        "requests served by the emulator: ACG {acg_calls}, Webex {webex_calls} ({:.1} s wall as seen by the bench)",
        wall.as_secs_f64()
    );
    println!("emulator CPU while serving the apply: {emulator_cpu:.2} s (user + system, on the same 2 cores)");
    // ACG allows 100 requests per minute: the physical floor of the same change there.
    println!(
        "at ACG's real limit (100 requests per minute) the {acg_calls} ACG requests take at least {:.1} minutes",
        acg_calls as f64 / 100.0
    );
    let generated = std::fs::read_to_string(&secrets)
        .map(|t| t.lines().filter(|l| !l.starts_with('#')).count())
        .unwrap_or(0);
    println!("generated SIP passwords written to the secrets file: {generated}");
    let _ = std::fs::remove_file(&secrets);

    let output = Command::new(&telform)
        .args([
            "plan",
            "--detailed-exitcode",
            "--output",
            "json",
            "--max-deletes",
            "100000",
        ])
        .arg(&dir)
        .envs(emulator.env())
        .output()
        .expect("telform plan runs");
    let left = telform::plan::render::from_json(&String::from_utf8_lossy(&output.stdout))
        .map(|p| p.actions.len())
        .unwrap_or(usize::MAX);
    println!("plan after apply: exit {:?}, {left} actions left", output.status.code());
    runtime.block_on(emulator.shutdown()).expect("stops");
}
