//! `telform apply` of ACG manifests against the in-process emulator, with the real binary:
//! from scratch, saved plans fresh and stale, the rate limit, faults, and a kill -9.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use telform::emulator::{App, Emulator, seed};

use crate::root;

fn start(
    faults: &str,
    tune: impl FnOnce(&mut seed::Seed),
) -> (tokio::runtime::Runtime, Emulator, Vec<(String, String)>) {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(20);
    tune(&mut seed);
    crate::emulator_on_runtime(seed, faults)
}

fn telform(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The ACG half of examples/ (and its settings) in a temporary folder.
fn acg_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let acg = dir.path().join("acg");
    std::fs::create_dir(&acg).expect("mkdir");
    for entry in std::fs::read_dir(root().join("examples/acg")).expect("examples") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), acg.join(entry.file_name())).expect("copy");
    }
    std::fs::copy(root().join("examples/telform.yaml"), dir.path().join("telform.yaml")).expect("copy");
    dir
}

/// `accounts` Direct Routing accounts of `per_account` numbers each.
pub(crate) fn generated(dir: &Path, accounts: usize, per_account: usize, header: &str) {
    let mut yaml = String::new();
    for a in 0..accounts {
        let from = 442_070_000_000u64 + (a as u64) * 100_000;
        yaml.push_str(&format!(
            "---\napiVersion: telform/v1\nkind: Account\nmetadata: {{name: gen-{a}}}\nspec:\n  services:\n    directRouting: {{enabled: true}}\n---\napiVersion: telform/v1\nkind: NumberSet\nmetadata: {{name: gen-{a}-numbers}}\nspec:\n  account: gen-{a}\n  service: directRouting\n  defaults: {{customSipHeader: {header}}}\n  ranges:\n    - {{from: \"+{from}\", to: \"+{}\"}}\n",
            from + per_account as u64 - 1
        ));
    }
    std::fs::write(dir.join("generated.yaml"), yaml).expect("write");
}

/// `(reads, writes)` from `--stats`.
fn acg_calls(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("API calls:"))
        .unwrap_or_else(|| panic!("no stats line in {stderr}"));
    let after = line.split("ACG ").nth(1).expect("ACG stats");
    let numbers: Vec<u64> = after
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().expect("number"))
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn acg_examples_apply_from_scratch_then_plan_is_empty_and_apply_writes_nothing() {
    let (_rt, _emulator, env) = start("", |_| {});
    let dir = acg_examples();
    let applied = telform(dir.path(), &env, &["apply", "--auto-approve", "--stats"]);
    let stdout = text(&applied.stdout);
    let stderr = text(&applied.stderr);
    assert_eq!(applied.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Apply complete! Resources: 913 added, 5 changed, 1 deleted."),
        "{stdout}"
    );
    // 3 account PUTs, ceil(n/100) batches per account (753 → 8, 106 → 2, 51 → 1), 5 consent
    // patches and 1 account deletion.
    let (_, writes) = acg_calls(&stderr);
    assert_eq!(writes, 3 + 8 + 2 + 1 + 5 + 1, "{stderr}");

    let plan = telform(dir.path(), &env, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}\n{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    assert!(text(&plan.stdout).contains("No changes."));

    let again = telform(dir.path(), &env, &["apply", "--auto-approve", "--stats"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        acg_calls(&text(&again.stderr)).1,
        0,
        "a no-op apply makes no write call"
    );
}

#[test]
fn without_a_terminal_or_auto_approve_apply_refuses() {
    let (_rt, emulator, env) = start("", |_| {});
    let dir = acg_examples();
    let output = telform(dir.path(), &env, &["apply"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--auto-approve"), "{stderr}");
    assert!(
        !App::lock(&emulator.app.acg).accounts.contains_key("contoso"),
        "nothing was written"
    );
}

#[test]
fn a_saved_plan_is_applied_when_fresh_and_refused_when_stale() {
    let (_rt, emulator, env) = start("", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 2, 150, "new-trunk");

    // Fresh: applied exactly.
    let planned = telform(dir.path(), &env, &["plan", "-o", "plan.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    let applied = telform(dir.path(), &env, &["apply", "plan.json"]);
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}\n{}",
        text(&applied.stdout),
        text(&applied.stderr)
    );
    assert!(text(&applied.stdout).contains("302 added"), "{}", text(&applied.stdout));

    // A change of header is planned; then someone edits one number in the portal.
    generated(dir.path(), 2, 150, "trunk-b");
    let planned = telform(dir.path(), &env, &["plan", "-o", "plan.json"]);
    assert_eq!(planned.status.code(), Some(0));
    {
        let mut acg = App::lock(&emulator.app.acg);
        let mut number = acg.numbers["+442070000007"].resource.clone();
        number.configuration =
            Some(serde_json::from_value(serde_json::json!({"customSipHeader": "portal-edit"})).expect("config"));
        acg.put_number(number, None);
    }
    let refused = telform(dir.path(), &env, &["apply", "plan.json"]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is stale"), "{stderr}");
    assert!(stderr.contains("Number +442070000007"), "{stderr}");
    assert!(stderr.contains("new-trunk when planned, portal-edit now"), "{stderr}");
    assert!(
        !stderr.contains("Number +442070000008"),
        "only what changed is named: {stderr}"
    );
    let header = |tn: &str| {
        App::lock(&emulator.app.acg).numbers[tn]
            .resource
            .configuration
            .as_ref()
            .and_then(|c| c.custom_sip_header.clone())
    };
    assert_eq!(
        header("+442070000008").as_deref(),
        Some("new-trunk"),
        "a stale plan writes nothing"
    );

    // Planned again, it applies.
    assert_eq!(
        telform(dir.path(), &env, &["plan", "-o", "plan.json"]).status.code(),
        Some(0)
    );
    let applied = telform(dir.path(), &env, &["apply", "plan.json"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_eq!(header("+442070000007").as_deref(), Some("trunk-b"));

    // Options that belong to plan are refused with a saved plan.
    let output = telform(dir.path(), &env, &["apply", "plan.json", "--prune"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("a saved plan is applied as it was made"));
}

/// A saved plan is found from anywhere, is never confused with a folder or another JSON file,
/// and is applied only to the providers it was made against.
#[test]
fn a_saved_plan_applies_from_elsewhere_and_only_to_the_providers_it_read() {
    let (_rt, emulator, env) = start("", |_| {});
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    std::fs::create_dir_all(repo.join("manifests")).expect("folder");
    generated(&repo.join("manifests"), 1, 3, "trunk");

    // Not there, or not a plan: said as such, and the hint overwrites nothing.
    let missing = telform(&repo, &env, &["apply", "nope.json"]);
    let err = text(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot read the saved plan nope.json"), "{err}");
    let seed = root().join("examples/emulator/seed.json");
    let not_a_plan = telform(&repo, &env, &["apply", seed.to_str().expect("utf-8")]);
    let err = text(&not_a_plan.stderr);
    assert_eq!(not_a_plan.status.code(), Some(1), "{err}");
    assert!(err.contains("is not a saved telform plan"), "{err}");
    assert!(
        !err.contains("-o examples/emulator/seed.json") && !err.contains("-o /"),
        "{err}"
    );

    // Made in the repository, applied from its parent folder.
    let planned = telform(&repo, &env, &["plan", "manifests", "-o", "plan.json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));

    // Against another ACG: refused by name, nothing written.
    let (_rt2, _other, other_env) = start("", |_| {});
    let elsewhere = telform(temp.path(), &other_env, &["apply", "repo/plan.json"]);
    let err = text(&elsewhere.stderr);
    assert_eq!(elsewhere.status.code(), Some(1), "{err}");
    assert!(err.contains("made against other providers"), "{err}");
    assert!(err.contains("ACG: planned against"), "{err}");
    assert!(
        !App::lock(&emulator.app.acg)
            .accounts
            .keys()
            .any(|a| a.starts_with("gen-")),
        "nothing applied"
    );

    let applied = telform(temp.path(), &env, &["apply", "repo/plan.json"]);
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}\n{}",
        text(&applied.stdout),
        text(&applied.stderr)
    );
    assert!(text(&applied.stdout).contains("4 added"), "{}", text(&applied.stdout));
}

#[test]
fn with_the_rate_limit_on_apply_never_meets_a_429_and_batches_numbers() {
    // 20 requests per minute at the gateway, and telform told the same: the change needs 5
    // account PUTs and 20 batches of 100 plus the reads, more than 20, so telform must wait
    // (this test lasts about a minute: the budget is a sliding minute).
    let (_rt, emulator, mut env) = start("acg-limit=20/min", |_| {});
    env.push(("TELFORM_ACG_REQUESTS_PER_MINUTE".into(), "20".into()));
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 5, 400, "trunk");
    let applied = telform(dir.path(), &env, &["apply", "--auto-approve", "--stats"]);
    let stderr = text(&applied.stderr);
    assert_eq!(applied.status.code(), Some(0), "{}\n{stderr}", text(&applied.stdout));
    let (reads, writes) = acg_calls(&stderr);
    assert_eq!(
        writes,
        5 + 5 * 4,
        "ceil(400/100) batches per account plus the account PUTs: {stderr}"
    );
    assert!(reads + writes > 20, "the test must cross the limit: {stderr}");
    assert!(
        stderr.contains("0 retries"),
        "no call was refused and retried: {stderr}"
    );
    let served = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(served > 20, "{served}");
}

#[test]
fn under_twenty_percent_faults_apply_converges_within_three_runs() {
    let (_rt, emulator, env) = start("seed=11,429=0.05,500=0.05,drop=0.05,lost=0.05,only=acg", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    // 2,000 objects: 4 accounts and 1,996 numbers.
    generated(dir.path(), 4, 499, "trunk");
    let mut runs = 0;
    loop {
        runs += 1;
        let applied = telform(dir.path(), &env, &["apply", "--auto-approve"]);
        let plan = telform(dir.path(), &env, &["plan", "--detailed-exitcode"]);
        if plan.status.code() == Some(0) {
            break;
        }
        assert!(
            runs < 3,
            "not converged after {runs} runs:\n{}\n{}",
            text(&applied.stdout),
            text(&applied.stderr)
        );
    }
    let acg = App::lock(&emulator.app.acg);
    for a in 0..4 {
        let account = format!("gen-{a}");
        assert_eq!(acg.by_account[&account].len(), 499, "{account}: none lost");
        assert!(acg.accounts.contains_key(&account));
    }
    // The faults really happened: retries were needed.
    let served = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(served > 4 + 4 * 5, "{served} requests: the faults made telform retry");
}

#[test]
fn a_kill_9_during_apply_then_a_new_apply_converges() {
    let (_rt, emulator, env) = start("latency=20ms,only=acg", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 8, 300, "trunk");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("telform"));
    cmd.current_dir(dir.path())
        .args(["apply", "--auto-approve", "--concurrency", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawns");
    // Killed once some writes went through, and well before all 32 did.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let numbers = App::lock(&emulator.app.acg).numbers.len();
        if numbers >= 600 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let partial = App::lock(&emulator.app.acg).numbers.len();
    assert!(
        partial > 0 && partial < 8 * 300,
        "the kill must come in the middle: {partial} of {}",
        8 * 300
    );

    let applied = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let plan = telform(dir.path(), &env, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
    assert_eq!(App::lock(&emulator.app.acg).numbers.len(), 8 * 300);
}

#[test]
fn ctrl_c_finishes_the_writes_in_flight_reports_and_a_new_apply_converges() {
    let (_rt, emulator, env) = start("latency=30ms,only=acg", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 8, 300, "trunk");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("telform"));
    cmd.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["apply", "--auto-approve", "--concurrency", "2", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawns");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while App::lock(&emulator.app.acg).numbers.len() < 300 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("ends");
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the writes in flight"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("the report is printed, as JSON");
    let outcomes = report["outcomes"].as_array().expect("outcomes");
    let numbers = |status: &str| -> std::collections::BTreeSet<String> {
        outcomes
            .iter()
            .filter(|o| o["object"]["kind"] == "Number" && o["status"] == status)
            .map(|o| o["object"]["key"].as_str().expect("key").to_string())
            .collect()
    };
    let done = numbers("done");
    let skipped = numbers("skipped");
    assert!(!skipped.is_empty(), "some work was left: {stdout}");
    assert!(
        outcomes
            .iter()
            .any(|o| o["because"] == "apply was interrupted before it started")
    );
    // The report tells the truth: what it calls done is live, what it skipped is not.
    let live: std::collections::BTreeSet<String> = App::lock(&emulator.app.acg).numbers.keys().cloned().collect();
    assert!(!done.is_empty() && done.is_subset(&live), "{} done", done.len());
    assert!(skipped.is_disjoint(&live));
    assert_eq!(done.len() + skipped.len(), 8 * 300);

    let applied = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_eq!(App::lock(&emulator.app.acg).numbers.len(), 8 * 300);
}

/// The plan read an account; someone changes it before apply writes: apply refuses to
/// overwrite the change (the plan's fingerprint no longer matches) and says so.
#[test]
fn an_account_changed_between_plan_and_write_is_not_overwritten() {
    let (rt, emulator, env) = start("", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 1, 10, "trunk");
    assert_eq!(
        telform(dir.path(), &env, &["apply", "--auto-approve"]).status.code(),
        Some(0)
    );
    // The manifest now wants a correlation id.
    let yaml = std::fs::read_to_string(dir.path().join("generated.yaml")).expect("read");
    std::fs::write(
        dir.path().join("generated.yaml"),
        yaml.replace("spec:\n  services:", "spec:\n  correlationId: CRM-1\n  services:"),
    )
    .expect("write");

    let lookup: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    let providers = |k: &str| lookup.get(k).cloned();
    let options = telform::reconcile::PlanOptions {
        dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let planned = rt
        .block_on(telform::reconcile::plan_dir(
            &options,
            telform::provider::config::Trusted::env(&providers),
        ))
        .expect("plans");
    assert_eq!(planned.plan.actions.len(), 1, "{:?}", planned.plan.actions);
    // Someone edits the account in the portal after the plan was made.
    {
        let mut acg = App::lock(&emulator.app.acg);
        let record = acg.accounts.get_mut("gen-0").expect("account");
        record.resource.correlation_id = Some("PORTAL-EDIT".into());
        record.etag = "\"portal-edit\"".into();
    }
    let no_secrets = |_: &str| None;
    let request = telform::reconcile::ApplyRequest {
        secrets: &no_secrets,
        policy: Default::default(),
        secrets_base: None,
        secrets_out: None,
        how_to_keep: telform::apply::secrets::KEEP_WITH_FLAG,
        concurrency: None,
        progress: None,
        stop: telform::model::Stop::default(),
    };
    let prepared = planned
        .prepare_apply(planned.plan.actions.clone(), request)
        .expect("no password to set");
    let outcomes = rt.block_on(prepared.execute());
    assert_eq!(outcomes.len(), 1);
    let telform::apply::Status::Failed { reason } = &outcomes[0].status else {
        panic!("not refused: {:?}", outcomes[0]);
    };
    assert!(
        reason.contains("changed by someone else since the plan read it"),
        "{reason}"
    );
    let acg = App::lock(&emulator.app.acg);
    assert_eq!(
        acg.accounts["gen-0"].resource.correlation_id.as_deref(),
        Some("PORTAL-EDIT"),
        "the portal's edit stays"
    );
    drop(acg);
    // Planned again (the edit now shows in the plan), the update goes through.
    let applied = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stdout));
    assert!(
        text(&applied.stdout).contains("\"PORTAL-EDIT\" → \"CRM-1\""),
        "{}",
        text(&applied.stdout)
    );
    let acg = App::lock(&emulator.app.acg);
    assert_eq!(acg.accounts["gen-0"].resource.correlation_id.as_deref(), Some("CRM-1"));
}

/// On a terminal, Ctrl-C's notice is on the screen at the end, and the closing line says the
/// apply was interrupted, not failed. `script` (util-linux) gives telform a pseudo-terminal of
/// 80 columns; `vt100` renders what such a terminal would show. Note: with the notice printed
/// straight to stderr (before the fix), this rendering shows it too, so this test guards the
/// outcome, not the way it is printed.
#[test]
fn ctrl_c_on_a_terminal_keeps_its_notice_and_says_interrupted() {
    let (_rt, emulator, env) = start("latency=100ms", |_| {});
    let dir = tempfile::tempdir().expect("temp dir");
    generated(dir.path(), 24, 1, "tty");
    // A Webex customer too: two bars, so that a redraw moves up over what was printed between.
    for example in ["webex/templates.yaml", "webex/globex/customer.yaml"] {
        let name = example.replace('/', "-");
        std::fs::copy(root().join("examples").join(example), dir.path().join(name)).expect("copied");
    }
    let folder = dir.path().display().to_string();
    let command = format!(
        "{} apply --auto-approve --concurrency 2 {folder}",
        env!("CARGO_BIN_EXE_telform")
    );
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "160")
        .env("LINES", "200")
        .stdout(std::process::Stdio::piped());
    for (k, v) in &env {
        script.env(k, v);
    }
    let child = script.spawn().expect("`script` (util-linux) runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !App::lock(&emulator.app.acg)
        .accounts
        .keys()
        .any(|a| a.starts_with("gen-"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    // telform itself, not `script`: the process whose arguments are this apply's.
    let pid = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.first().is_some_and(|a| a.ends_with(b"telform")) && args.contains(&folder.as_bytes())
        })
        .expect("telform's process");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = child.wait_with_output().expect("ends");
    let mut terminal = vt100::Parser::new(2000, 80, 0);
    terminal.process(&output.stdout);
    let screen = terminal.screen().contents();
    assert!(
        screen.contains("SIGINT: interrupted: finishing the writes in flight"),
        "the notice is not on the screen:\n{screen}"
    );
    assert!(screen.contains("Apply interrupted:"), "{screen}");
    assert!(!screen.contains("Apply failed"), "{screen}");
}
/// Regression: an ACG write waiting out a `Retry-After` before its retry slept through
/// Ctrl-C (the Webex writes' waits did not). Interrupted, it now gives up at once, and a write
/// none of whose attempts can have been applied (429s only) counts as not sent.
#[test]
fn ctrl_c_cuts_an_acg_retry_wait_short() {
    let (rt, _emulator, env) = start("429=1,retry-after=60", |_| {});
    let lookup: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    let providers = |k: &str| lookup.get(k).cloned();
    let config =
        telform::provider::config::acg(telform::provider::config::Trusted::env(&providers), None).expect("config");
    let client = telform::provider::acg::AcgClient::new(config).expect("client");
    let stop = telform::model::Stop::default();
    let url = client.url("/accounts/gen-0", &[]);
    let body = serde_json::json!({"correlationId": "CRM-1"});
    let started = std::time::Instant::now();
    let (result, ()) = rt.block_on(async {
        tokio::join!(
            client.write(
                "update account gen-0",
                reqwest::Method::PATCH,
                &url,
                Some(&body),
                telform::provider::acg::write::WriteRequest {
                    stop: Some(&stop),
                    ..Default::default()
                },
                &|_| {},
            ),
            async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                stop.request();
            }
        )
    });
    let failure = result.expect_err("rate limited, then interrupted");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 60 s wait was cut short: {:?}",
        started.elapsed()
    );
    assert!(failure.interrupted, "nothing was applied: {}", failure.error);
    assert!(!failure.after_unknown);
    assert!(
        failure.error.message.contains("apply was interrupted"),
        "{}",
        failure.error
    );
}
