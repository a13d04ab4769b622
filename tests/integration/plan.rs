//! `telform plan` against an emulator seeded with a brownfield state, over real HTTP, with the
//! real binary.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use telform::emulator::{self, Config, Emulator, seed};

use crate::{root, stdout};

/// Starts an emulator on its own runtime thread and returns it with its environment.
fn start(seed: seed::Seed) -> (tokio::runtime::Runtime, Emulator, Vec<(String, String)>) {
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
    let env = emulator.env();
    (runtime, emulator, env)
}

fn plan(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").arg("plan");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

const CONTOSO: &str = "8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90";

fn oc_number(account: &str, tn: &str, header: &str) -> Value {
    json!({"telephoneNumber": tn, "accountName": account,
        "serviceDetails": {"teamsOperatorConnect": {"enabled": true, "configuration": {"usage": "FirstPartyAppAssignment", "choosableCapabilities": ["InboundCalling"]}}},
        "configuration": {"customSipHeader": header}})
}

/// Live: contoso with 10 numbers, an account to remove with 2 numbers, an unmanaged account,
/// and contoso's consent acknowledged.
fn brownfield() -> seed::Seed {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = std::time::Duration::from_millis(10);
    let accounts = [
        json!({"name": "contoso", "correlationId": "CRM-1", "serviceDetails": {"teamsTenantId": CONTOSO, "teamsOperatorConnect": {"enabled": true, "syncEnabled": true}}}),
        json!({"name": "old-branch", "serviceDetails": {"teamsDirectRouting": {"enabled": true, "syncEnabled": false}}}),
        json!({"name": "someone-else", "serviceDetails": {"teamsDirectRouting": {"enabled": true, "syncEnabled": false}}}),
    ];
    seed.acg.accounts = accounts
        .into_iter()
        .map(|a| serde_json::from_value(a).expect("account"))
        .collect();
    let mut numbers: Vec<Value> = (100..110)
        .map(|i| oc_number("contoso", &format!("+14255550{i}"), "hq"))
        .collect();
    numbers[5]["configuration"]["customSipHeader"] = json!("old-header");
    for tn in ["+442071230001", "+442071230002"] {
        numbers.push(json!({"telephoneNumber": tn, "accountName": "old-branch", "serviceDetails": {"teamsDirectRouting": {"enabled": true}}}));
    }
    numbers.push(json!({"telephoneNumber": "+442071239999", "accountName": "someone-else", "serviceDetails": {"teamsDirectRouting": {"enabled": true}}}));
    seed.acg.numbers = numbers
        .into_iter()
        .map(|n| serde_json::from_value(n).expect("number"))
        .collect();
    seed.acg.requests_for_information[0].customer_relationship =
        Some(serde_json::from_value(json!({"status": "ConsentAcknowledged"})).expect("relationship"));
    seed
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("written");
}

fn brownfield_manifests(dir: &Path) {
    write(
        dir,
        "contoso.yaml",
        r#"apiVersion: telform/v1
kind: Account
metadata: {name: contoso}
spec:
  correlationId: CRM-2
  teamsTenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90
  services:
    operatorConnect: {enabled: true, sync: true}
  prune: true
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: contoso-apps}
spec:
  account: contoso
  service: operatorConnect
  defaults: {usage: application, capabilities: [inbound], customSipHeader: hq}
  ranges:
    - {from: "+14255550100", to: "+14255550105"}
    - {from: "+14255550110", to: "+14255550119"}
---
apiVersion: telform/v1
kind: Consent
metadata: {name: contoso}
spec:
  tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90
  account: contoso
  relationship: agreementSigned
  ticketId: CHG-7
---
apiVersion: telform/v1
kind: Account
metadata: {name: old-branch}
spec:
  services:
    directRouting: {enabled: true}
  ensure: absent
"#,
    );
}

#[test]
fn a_brownfield_plan_shows_every_kind_of_change() {
    let (_runtime, _emulator, env) = start(brownfield());
    let dir = tempfile::tempdir().expect("temp dir");
    brownfield_manifests(dir.path());
    let output = plan(dir.path(), &env, &["--detailed-exitcode", "--stats", "-o", "plan.json"]);
    let text = stdout(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}\n{err}");
    // Creates collapsed into a range, the changed number, the pruned ones, the removed account.
    assert!(text.contains("+14255550110..+14255550119"), "{text}");
    assert!(text.contains("+14255550105"), "{text}");
    assert!(text.contains("customSipHeader"), "{text}");
    assert!(
        text.contains("+14255550106") || text.contains("+14255550106..+14255550109"),
        "{text}"
    );
    assert!(text.contains("old-branch"), "{text}");
    assert!(text.contains("someone-else"), "unmanaged accounts are listed: {text}");
    assert!(
        !text.contains("+442071239999"),
        "numbers of unmanaged accounts are not read: {text}"
    );
    // 10 creates; correlationId, 1 number and the consent changed; 4 pruned + 2 numbers + 1 account deleted.
    assert!(text.contains("Plan: 10 to add, 3 to change, 7 to delete."), "{text}");
    assert!(err.contains("ACG"), "--stats prints the calls: {err}");

    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).expect("plan.json")).expect("json");
    assert_eq!(saved["format_version"], 1);
    assert!(saved["fingerprints"].as_array().expect("fingerprints").len() >= 20);
    let snapshot = text.replace(&dir.path().display().to_string(), "[DIR]");
    insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/plan"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("brownfield_text", snapshot);
    });
    let markdown = stdout(&plan(dir.path(), &env, &["--output", "markdown"]));
    assert!(markdown.starts_with("<!-- telform-plan -->"), "{markdown}");
    insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/plan"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("brownfield_markdown", markdown);
    });
}

#[test]
fn a_plan_reads_with_list_pages_only() {
    // 1,200 numbers in one managed account: 1 page of accounts, 3 pages of numbers, 1 page of
    // consents — no GET per object.
    let mut seed = brownfield();
    seed.acg.number_blocks.push(
        serde_json::from_value(json!({"account": "contoso", "from": "+14255560000", "count": 1200,
            "template": {"serviceDetails": {"teamsOperatorConnect": {"enabled": true, "configuration": {"usage": "FirstPartyAppAssignment", "choosableCapabilities": ["InboundCalling"]}}}}}))
        .expect("block"),
    );
    let (_runtime, emulator, env) = start(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    brownfield_manifests(dir.path());
    let before = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
    let output = plan(dir.path(), &env, &["--max-deletes", "2000"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let calls = emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    // Accounts (1 page), then numbers: per account it would take 3 pages (contoso, 1,210) + 1
    // (old-branch); the cross-account list holds 1,213 numbers in 3 pages, so that is used.
    // Consents: 1 page.
    assert_eq!(calls, 5, "read calls");
}

#[test]
fn max_deletes_and_protect_stop_a_plan() {
    let (_runtime, _emulator, env) = start(brownfield());
    let dir = tempfile::tempdir().expect("temp dir");
    brownfield_manifests(dir.path());
    let output = plan(dir.path(), &env, &["--max-deletes", "3"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("more than the limit of 3"),
        "{}",
        stdout(&output)
    );

    let text = std::fs::read_to_string(dir.path().join("contoso.yaml")).expect("read");
    write(
        dir.path(),
        "contoso.yaml",
        &text.replace("  ensure: absent\n", "  ensure: absent\n  protect: true\n"),
    );
    let output = plan(dir.path(), &env, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("protect"), "{}", stdout(&output));
}

#[test]
fn no_secret_appears_in_a_plan() {
    let (_runtime, _emulator, env) = start(brownfield());
    let dir = tempfile::tempdir().expect("temp dir");
    brownfield_manifests(dir.path());
    let secrets: Vec<&str> = env
        .iter()
        .filter(|(k, _)| k.ends_with("SECRET") || k.ends_with("TOKEN"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(!secrets.is_empty());
    for format in ["text", "markdown", "json"] {
        let output = plan(dir.path(), &env, &["--output", format, "-o", "plan.json", "--stats"]);
        let all = format!(
            "{}{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(dir.path().join("plan.json")).unwrap_or_default()
        );
        for secret in &secrets {
            assert!(!all.contains(secret), "--output {format} shows a secret");
        }
    }
}

#[test]
fn missing_configuration_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    brownfield_manifests(dir.path());
    let output = plan(dir.path(), &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("TELFORM_ACG_URL") && err.contains("acg.url"), "{err}");
}
