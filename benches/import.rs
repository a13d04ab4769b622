//! Benchmark of `telform import --all` of the synthetic estate (benches/synth.rs: a million
//! numbers, ten thousand accounts and customers, a hundred thousand devices) from an emulator
//! with no rate limit, then `telform plan` of what it wrote. Results go to docs/benchmarks.md.
//!
//! cargo run --release --example synth -- /tmp/big
//! cargo build --release
//! cargo run --release --example import-bench -- /tmp/big [OUT]
//!
//! The live side is built from the synthetic repository exactly as plan-bench builds it (none
//! of it changed); import then reads it back into OUT (default: a new temporary folder), and
//! `plan OUT --detailed-exitcode` must exit 0. Both run as child processes under
//! `/usr/bin/time`, so their wall time and peak memory are their own.

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
    let temp = tempfile::tempdir().expect("temp dir");
    let out = args.next().map_or_else(|| temp.path().join("imported"), PathBuf::from);

    let validated = telform::validate::validate(std::slice::from_ref(&dir));
    assert!(validated.is_valid(), "the synthetic repository must validate");
    let set = validated.manifests;
    let mut seed = seed::demo();
    seed_acg(&set, &Every::default(), &mut seed);
    seed_webex(&set, &Every::default(), &mut seed.webex);
    println!(
        "live: {} accounts, {} numbers, {} customers, {} subscribers, {} devices",
        seed.acg.accounts.len(),
        seed.acg.numbers.len() + seed.acg.number_blocks.iter().map(|b| b.count as usize).sum::<usize>(),
        seed.webex.customers.len(),
        seed.webex.subscribers.len(),
        seed.webex.devices.len()
    );
    drop(set);
    let started = Instant::now();
    let (runtime, emulator) = start(seed);
    println!("emulator seeded in {:.2} s", started.elapsed().as_secs_f64());
    let telform = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("telform");

    let acg_before = emulator.app.acg_requests.load(Ordering::Relaxed);
    let webex_before = emulator.app.webex_requests.load(Ordering::Relaxed);
    let emulator_cpu = cpu_seconds();
    let import = Command::new("/usr/bin/time")
        .args([
            "-f",
            "telform import: %e s wall, %M KB peak RSS, %U s user + %S s system CPU",
        ])
        .arg(&telform)
        .args(["import", "--all", "--out"])
        .arg(&out)
        .envs(emulator.env())
        .output()
        .expect("telform import runs");
    let emulator_cpu = cpu_seconds() - emulator_cpu;
    let stdout = String::from_utf8_lossy(&import.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with("  + ")).take(20) {
        println!("  {line}");
    }
    let stderr = String::from_utf8_lossy(&import.stderr);
    if let Some(line) = stderr.lines().find(|l| l.starts_with("telform import:")) {
        println!("{line}");
    }
    println!("import exit status: {:?}", import.status.code());
    println!(
        "requests served by the emulator: ACG {}, Webex {}",
        emulator.app.acg_requests.load(Ordering::Relaxed) - acg_before,
        emulator.app.webex_requests.load(Ordering::Relaxed) - webex_before
    );
    println!("emulator CPU while serving the import: {emulator_cpu:.2} s (user + system, on the same 2 cores)");
    let files = telform::import::write::existing_files(&out);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(out.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!("wrote {} files, {} bytes", files.len(), bytes);

    let plan = Command::new("/usr/bin/time")
        .args(["-f", "telform plan: %e s wall, %M KB peak RSS"])
        .arg(&telform)
        .args(["plan", "--detailed-exitcode", "--output", "json"])
        .arg(&out)
        .envs(emulator.env())
        .output()
        .expect("telform plan runs");
    let stderr = String::from_utf8_lossy(&plan.stderr);
    if let Some(line) = stderr.lines().find(|l| l.starts_with("telform plan:")) {
        println!("{line}");
    }
    match telform::plan::render::from_json(&String::from_utf8_lossy(&plan.stdout)) {
        Ok(p) => println!(
            "plan of the imported folder: exit {:?}, {} actions, {} errors, {} unmanaged",
            plan.status.code(),
            p.actions.len(),
            p.errors.len(),
            p.unmanaged.len()
        ),
        Err(e) => println!(
            "plan of the imported folder: exit {:?}, not read: {e}\n{stderr}",
            plan.status.code()
        ),
    }
    runtime.block_on(emulator.shutdown()).expect("stops");
}
