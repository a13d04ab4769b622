//! `telform plan` against an emulator seeded with a brownfield state, over real HTTP, with the
//! real binary.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use telform::emulator::{Emulator, seed};

use crate::{root, stdout};

/// Starts an emulator on its own runtime thread and returns it with its environment.
fn start(seed: seed::Seed) -> (tokio::runtime::Runtime, Emulator, Vec<(String, String)>) {
    crate::emulator_on_runtime(seed, "")
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
    // A number whose flow-through sync to Operator Connect failed: shown as pending.
    seed.acg.fail_sync.push("+14255550101".into());
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
    let json = stdout(&plan(dir.path(), &env, &["--output", "json"]));
    insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/plan"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("brownfield_json", json);
    });
    assert!(text.contains("sync failed"), "the failed number is pending: {text}");
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

/// The demo seed without its brownfield objects (Acme's half-onboarding, the account to
/// decommission): the partner's reference data only, as a new operator starts.
fn greenfield() -> seed::Seed {
    let mut seed = seed::demo();
    seed.acg.accounts.clear();
    seed.acg.numbers.clear();
    seed.webex.customers.clear();
    seed.webex.locations.clear();
    seed.webex.subscribers.clear();
    seed.webex.workspaces.clear();
    seed.webex.devices.clear();
    seed
}

/// SIP passwords the examples read from the environment, set so that a leak would show.
const SIP_PASSWORDS: [(&str, &str); 2] = [
    ("ACME_JUPITER_TABLE_SIP_PASSWORD", "sip-secret-jupiter-7f3a"),
    ("ACME_CBERNARD_SIP_PASSWORD", "sip-secret-cbernard-9d1e"),
];

fn plan_examples(env: &[(String, String)], out: &Path) -> Output {
    let mut env = env.to_vec();
    env.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let out = out.display().to_string();
    plan(
        &root(),
        &env,
        &["examples/", "--detailed-exitcode", "--stats", "-o", &out],
    )
}

/// Every object the examples declare (and do not mark `ensure: absent`), as `Kind key`.
fn declared_objects() -> BTreeSet<String> {
    let validated = telform::validate::validate(&[root().join("examples")]);
    assert!(validated.is_valid(), "the examples validate");
    let m = &validated.manifests;
    let present = |e: Option<telform::manifest::Ensure>| e != Some(telform::manifest::Ensure::Absent);
    let mut objects = BTreeSet::new();
    for a in m.accounts.iter().filter(|a| present(a.spec.ensure)) {
        objects.insert(format!("Account {}", a.metadata.name));
    }
    for s in m.number_sets.iter().filter(|s| present(s.spec.ensure)) {
        for range in &s.spec.ranges {
            let from: u64 = range.from[1..].parse().expect("number");
            let to: u64 = range.to[1..].parse().expect("number");
            objects.extend((from..=to).map(|n| format!("Number +{n}")));
        }
        objects.extend(s.spec.numbers.iter().map(|n| format!("Number {}", n.number)));
    }
    for c in m.customers.iter().filter(|c| present(c.spec.ensure)) {
        objects.insert(format!("Customer {}", c.spec.external_id));
    }
    for l in m.locations.iter().filter(|l| present(l.spec.ensure)) {
        objects.insert(format!("Location {}", l.spec.name));
        objects.extend(l.spec.numbers.iter().map(|n| format!("Number {n}")));
    }
    for u in m.users.iter().filter(|u| present(u.spec.ensure)) {
        objects.insert(format!("User {}", u.spec.email));
    }
    for w in m.workspaces.iter().filter(|w| present(w.spec.ensure)) {
        objects.insert(format!("Workspace {}", w.spec.name));
    }
    for d in m.devices.iter().filter(|d| present(d.spec.ensure)) {
        let mac: String = d.spec.mac.chars().filter(char::is_ascii_hexdigit).collect();
        objects.insert(format!("Device {}", mac.to_ascii_uppercase()));
    }
    objects
}

/// What `--stats` and the saved plan say, and that no secret is in any of it.
fn check_no_secret(env: &[(String, String)], output: &Output, saved: &str) {
    let all = format!("{}{}{saved}", stdout(output), String::from_utf8_lossy(&output.stderr));
    let secrets = env
        .iter()
        .filter(|(k, _)| k.ends_with("SECRET") || k.ends_with("TOKEN"))
        .map(|(_, v)| v.as_str())
        .chain(SIP_PASSWORDS.iter().map(|(_, v)| *v));
    for secret in secrets {
        assert!(!all.contains(secret), "a secret is shown");
    }
}

#[test]
fn examples_plan_is_a_full_creation() {
    let (_runtime, _emulator, env) = start(greenfield());
    let dir = tempfile::tempdir().expect("temp dir");
    let saved_path = dir.path().join("plan.json");
    let output = plan_examples(&env, &saved_path);
    let text = stdout(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}\n{err}");
    let saved = std::fs::read_to_string(&saved_path).expect("plan.json");
    check_no_secret(&env, &output, &saved);
    assert!(
        err.contains(&format!(
            "Saved the plan to {0}. Apply it with: telform apply {0}",
            saved_path.display()
        )),
        "{err}"
    );

    // Every declared object is created; besides, only consent relationships are set.
    let plan: Value = serde_json::from_str(&saved).expect("json");
    assert!(plan.get("errors").is_none(), "{}", plan["errors"]);
    let mut created = BTreeSet::new();
    for action in plan["actions"].as_array().expect("actions") {
        let object = format!(
            "{} {}",
            action["object"]["kind"].as_str().unwrap(),
            action["object"]["key"].as_str().unwrap()
        );
        match action["op"].as_str().unwrap() {
            "create" => assert!(created.insert(object.clone()), "{object} twice"),
            "update" => assert_eq!(action["object"]["kind"], "Consent", "{object}"),
            op => panic!("{op} {object} in a creation"),
        }
    }
    let declared = declared_objects();
    assert_eq!(created, declared);
    for kind in [
        "Customer",
        "Location",
        "User",
        "Workspace",
        "Device",
        "Account",
        "Number",
    ] {
        assert!(
            created.iter().any(|o| o.starts_with(&format!("{kind} "))),
            "no {kind} created"
        );
    }
    // A new device gets its password; no value anywhere.
    assert!(
        text.contains("sipPassword: (sensitive, from $ACME_JUPITER_TABLE_SIP_PASSWORD)"),
        "{text}"
    );
    assert!(
        text.contains("sipPassword: (sensitive, from file secrets/acme-accueil-phone.sip)"),
        "{text}"
    );
    assert!(err.contains("Webex") && err.contains("ACG"), "--stats: {err}");
    insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/plan"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("examples_creation_text", text);
    });
}

#[test]
fn examples_against_the_demo_seed_plan_without_errors() {
    let (_runtime, emulator, env) = start(seed::demo());
    let dir = tempfile::tempdir().expect("temp dir");
    let saved_path = dir.path().join("plan.json");
    let before = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed);
    let output = plan_examples(&env, &saved_path);
    let calls = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    let text = stdout(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}\n{err}");
    let saved = std::fs::read_to_string(&saved_path).expect("plan.json");
    check_no_secret(&env, &output, &saved);
    // Acme is half onboarded: a package added, the rest created, Luc's phone moved to Paul
    // (replaced: a device's owner is set when it is added), Luc removed; Initech left alone.
    assert!(text.contains("~ Customer ACME-0001"), "{text}");
    assert!(text.contains("\"attendant_console\""), "{text}");
    assert!(
        text.contains("± Device 0004F29B1301 — replace: owner.user cannot change in place"),
        "{text}"
    );
    assert!(
        text.contains("- User luc.moreau@acme.example — ensure: absent"),
        "{text}"
    );
    assert!(!text.contains("User camille.bernard"), "Camille is as declared: {text}");
    assert!(text.contains("Customer INITECH-0007"), "{text}");
    assert!(text.contains("+ Customer GLOBEX-0042"), "{text}");
    // List calls only: 2 pages of customers (a short first page might be a silent cap, so the
    // next one confirms the end), Acme's licences (its workspaces are declared: read by id, the
    // list does not carry them), its locations, numbers, subscribers, workspaces and devices (1
    // page each), the supported devices; Acme's organisation, for its company name; the roles
    // (once) and Acme's full administrators, for its adminEmail. Then the prechecks of what the
    // plan creates: one validateMacs for Acme's new devices, Globex's customer precheck and one
    // subscriber precheck for each of Acme's 5 new users.
    assert_eq!(calls, 12 + 7, "Webex read calls");
    assert!(err.contains("Webex 19 reads (7 prechecks)"), "{err}");
    insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/plan"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("examples_demo_text", text);
    });
}

/// The Webex client follows both pagings: `offset`/`max` for wholesale lists (1,001 customers
/// in 2 pages of 1,000; 150 subscribers in 2 pages of 100), `Link` for the others.
#[test]
fn webex_lists_are_read_page_by_page() {
    use telform::model::webex::WebexNeeds;
    use telform::provider::webex::WebexClient;
    let mut seed = greenfield();
    let address = json!({"addressLine1": "1 rue A", "city": "Paris", "country": "FR"});
    let customers: Vec<Value> = (0..1001)
        .map(|i| {
            json!({"externalId": format!("P{i:04}"), "name": "P", "primaryEmail": "admin@p.example",
            "packages": ["webex_calling"], "address": address,
            "headquarters": {"name": "HQ", "address": address, "timezone": "Europe/Paris", "language": "fr_fr"}})
        })
        .collect();
    seed.webex.customers = serde_json::from_value(Value::Array(customers)).expect("customers");
    let subscribers: Vec<Value> = (0..150)
        .map(|i| {
            json!({"customer": "P0007", "email": format!("u{i}@p.example"), "package": "webex_calling",
            "extension": format!("{}", 2000 + i)})
        })
        .collect();
    seed.webex.subscribers = serde_json::from_value(Value::Array(subscribers)).expect("subscribers");
    let (runtime, emulator, env) = start(seed);
    let vars: std::collections::HashMap<String, String> = env.into_iter().collect();
    let config =
        telform::provider::config::webex(telform::provider::config::Trusted::env(&|k: &str| vars.get(k).cloned()))
            .expect("configured");
    let client = WebexClient::new(config).expect("client");
    let needs = WebexNeeds {
        customers: ["P0007".to_string()].into(),
        ..WebexNeeds::default()
    };
    let before = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed);
    let live = runtime.block_on(client.read_live(&needs)).expect("read");
    let calls = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    assert_eq!(live.customers.len(), 1001);
    assert_eq!(live.orgs.len(), 1, "only the managed customer's organisation is read");
    let org = &live.orgs["P0007"];
    assert_eq!(org.subscribers.len(), 150);
    assert_eq!(org.numbers.len(), 150, "their extensions");
    assert_eq!(org.locations.len(), 1);
    // Customers 2, subscribers 2, locations, numbers, workspaces, devices 1 each.
    assert_eq!(calls, 8);
    assert_eq!(client.stats.snapshot(), (8, 0, 0));
}

fn show(env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.env("NO_COLOR", "1").arg("show");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

#[test]
fn show_lists_consents_civic_addresses_and_devices() {
    let (_runtime, _emulator, env) = start(brownfield());
    let consents = show(&env, &["consents"]);
    assert_eq!(consents.status.code(), Some(0));
    let text = stdout(&consents);
    assert!(
        text.contains(CONTOSO) && text.contains("Dana Whitfield <dana.whitfield@contoso.example>"),
        "{text}"
    );
    assert!(text.contains("relationship: ConsentAcknowledged"), "{text}");
    let json: Value = serde_json::from_str(&stdout(&show(&env, &["consents", "--output", "json"]))).expect("json");
    assert!(json.as_array().expect("array").iter().any(|c| c["tenantId"] == CONTOSO));

    let addresses = show(&env, &["civic-addresses", "contoso"]);
    assert_eq!(addresses.status.code(), Some(0));
    let text = stdout(&addresses);
    assert!(
        text.contains("5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d  validated") && text.contains("ELIN REDB4F2"),
        "{text}"
    );
    let missing = show(&env, &["civic-addresses", "nobody"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("account `nobody` does not exist"));

    let devices = show(&env, &["devices", "ACME-0001", "--output", "json"]);
    assert_eq!(
        devices.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&devices.stderr)
    );
    let list: Value = serde_json::from_str(&stdout(&devices)).expect("json");
    assert!(
        !list.as_array().expect("array").is_empty(),
        "the demo seed's half-onboarded Acme has devices"
    );
    for secret in env
        .iter()
        .filter(|(k, _)| k.ends_with("SECRET") || k.ends_with("TOKEN"))
        .map(|(_, v)| v)
    {
        assert!(!stdout(&devices).contains(secret.as_str()));
    }
}

/// A selector says what it left out as such, and one that matches nothing is an error, not
/// "No changes".
#[test]
fn a_selector_names_what_it_left_out_and_refuses_to_match_nothing() {
    let (_runtime, _emulator, env) = start(seed::demo());
    let mut env = env.to_vec();
    env.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let nothing = plan(
        &root(),
        &env,
        &["examples/", "--selector", "tier=no-such-tier", "--detailed-exitcode"],
    );
    let err = String::from_utf8_lossy(&nothing.stderr);
    assert_eq!(nothing.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--selector tier=no-such-tier matches no manifest"),
        "{err}"
    );
    assert!(!stdout(&nothing).contains("No changes"), "{}", stdout(&nothing));

    let selected = plan(&root(), &env, &["examples/", "--selector", "region=amer"]);
    let text = stdout(&selected);
    assert_eq!(
        selected.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&selected.stderr)
    );
    assert!(text.contains("Account contoso"), "{text}");
    // Only ACG manifests are selected: Webex is not read at all (reads go no wider than needed).
    assert!(!text.contains("Webex"), "{text}");
    assert!(!text.contains("Unmanaged (not in any manifest"), "{text}");

    // A selection with customers reads Webex, whose undeclared customers are named as such.
    let selected = plan(&root(), &env, &["examples/", "--selector", "region=emea"]);
    let text = stdout(&selected);
    assert_eq!(selected.status.code(), Some(0), "{text}");
    assert!(!text.contains("Unmanaged (not in any manifest"), "{text}");
    assert!(
        text.contains("Not planned (outside --selector or --target, or in no manifest; left alone)"),
        "{text}"
    );
}

/// A new account and a range of 11 numbers: 12 objects to create, 11 of them numbers.
fn eleven_numbers(dir: &Path) {
    write(
        dir,
        "branch.yaml",
        r#"apiVersion: telform/v1
kind: Account
metadata: {name: branch-eleven}
spec:
  services:
    directRouting: {enabled: true}
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: branch-eleven}
spec:
  account: branch-eleven
  service: directRouting
  ranges:
    - {from: "+442071230100", to: "+442071230110"}
"#,
    );
}

#[test]
fn max_number_changes_stops_a_plan_before_it_holds_the_numbers() {
    let (_runtime, _emulator, env) = start(seed::demo());
    let dir = tempfile::tempdir().expect("temp dir");
    eleven_numbers(dir.path());

    let output = plan(dir.path(), &env, &["--max-number-changes", "10"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("the plan changes 11 numbers, more than the limit of 10 (--max-number-changes)"),
        "{text}"
    );
    assert!(
        text.contains("split the change") && text.contains("raise the limit with --max-number-changes N"),
        "{text}"
    );
    assert!(!text.contains("+442071230100"), "no number is planned: {text}");

    // In JSON: the error, and no number action nor fingerprint.
    let output = plan(dir.path(), &env, &["--max-number-changes", "10", "--output", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("json");
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{json}");
    assert!(errors[0]["message"].as_str().expect("message").contains("11 numbers"));
    let kinds = |list: &str| -> Vec<String> {
        json[list]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["object"]["kind"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(kinds("actions"), vec!["Account".to_string()], "{json}");
    assert_eq!(kinds("fingerprints"), vec!["Account".to_string()], "{json}");

    // The environment variable sets it too; at the limit exactly, the plan goes through.
    let with_env = |value: &str| {
        let mut env = env.clone();
        env.push(("TELFORM_MAX_NUMBER_CHANGES".into(), value.into()));
        env
    };
    let output = plan(dir.path(), &with_env("10"), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("more than the limit of 10"),
        "{}",
        stdout(&output)
    );
    let output = plan(dir.path(), &with_env("11"), &["--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stdout(&output).contains("Plan: 12 to add"), "{}", stdout(&output));
    // The flag wins over the variable; an empty variable is unset (the default, 2,000,000).
    let output = plan(dir.path(), &with_env("10"), &["--max-number-changes", "11"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = plan(dir.path(), &with_env(""), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("Plan: 12 to add"), "{}", stdout(&output));
    let output = plan(dir.path(), &with_env("lots"), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("TELFORM_MAX_NUMBER_CHANGES is \"lots\", not a count of numbers"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // `apply` refuses the same way, and writes nothing.
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir.path()).env("NO_COLOR", "1");
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let output = cmd
        .args(["apply", "--auto-approve", "--max-number-changes", "10"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout(&output).contains("more than the limit of 10") || stderr.contains("more than the limit of 10"),
        "{}\n{stderr}",
        stdout(&output)
    );
    let output = plan(dir.path(), &env, &["--detailed-exitcode"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "nothing was applied: {}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("Plan: 12 to add"), "{}", stdout(&output));
}

/// `telform show plan.json` prints a saved plan exactly as `plan` did, in every format, and
/// reads nothing live.
#[test]
fn show_prints_a_saved_plan_as_plan_did() {
    let (_runtime, emulator, env) = start(seed::demo());
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("plan.json");
    let saved_text = saved.display().to_string();
    let mut with_passwords = env.to_vec();
    with_passwords.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    for (format, flag) in [("text", "text"), ("markdown", "markdown"), ("json", "json")] {
        let planned = plan(
            &root(),
            &with_passwords,
            &["examples/", "--output", flag, "-o", &saved_text],
        );
        assert_eq!(
            planned.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&planned.stderr)
        );
        let calls = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed)
            + emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
        let shown = crate::telform(dir.path(), &["show", "plan.json", "--output", format]);
        assert_eq!(
            shown.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&shown.stderr)
        );
        let after = emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed)
            + emulator.app.acg_requests.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(calls, after, "show read something live");
        if format == "json" {
            // The saved plan carries its origin; the printed one does not.
            let printed: Value = serde_json::from_str(&stdout(&planned)).expect("JSON");
            let mut shown: Value = serde_json::from_str(&stdout(&shown)).expect("JSON");
            shown.as_object_mut().expect("object").remove("origin");
            assert_eq!(printed, shown);
        } else {
            assert_eq!(stdout(&planned), stdout(&shown), "{format}");
        }
    }
}

/// `--target KIND/KEY` plans only that object (an account or a customer with its children),
/// found by key or by manifest name; a target no manifest declares is an error.
#[test]
fn a_target_plans_only_its_object() {
    let (_runtime, _emulator, env) = start(seed::demo());
    let mut env = env.to_vec();
    env.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let objects = |output: &Output| -> BTreeSet<String> {
        let plan: Value = serde_json::from_str(&stdout(output)).expect("JSON plan");
        plan["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a["object"]["kind"].as_str().unwrap_or(""),
                    a["object"]["group"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let account = plan(
        &root(),
        &env,
        &["examples/", "--output", "json", "--target", "Account/contoso"],
    );
    assert_eq!(
        account.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&account.stderr)
    );
    let found = objects(&account);
    assert!(
        found.contains("Account contoso") && found.contains("Number contoso"),
        "{found:?}"
    );
    assert!(
        found.iter().all(|o| o.ends_with(" contoso")),
        "only contoso's: {found:?}"
    );

    for target in ["Device/00:04:F2:9B:13:01", "Device/0004f29b1301"] {
        let device = plan(&root(), &env, &["examples/", "--output", "json", "--target", target]);
        assert_eq!(
            device.status.code(),
            Some(0),
            "{target}: {}",
            String::from_utf8_lossy(&device.stderr)
        );
        let parsed: Value = serde_json::from_str(&stdout(&device)).expect("JSON plan");
        let keys: Vec<&str> = parsed["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .filter_map(|a| a["object"]["key"].as_str())
            .collect();
        assert_eq!(keys, ["0004F29B1301"], "{target}");
        assert_eq!(parsed["selected"], true);
    }
    // A device of a customer still to create comes with the customer's creation.
    let (_runtime2, _emulator2, empty_env) = start(greenfield());
    let mut empty_env = empty_env.to_vec();
    empty_env.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let device = plan(
        &root(),
        &empty_env,
        &["examples/", "--output", "json", "--target", "Device/acme-jupiter-table"],
    );
    assert_eq!(
        device.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&device.stderr)
    );
    let parsed: Value = serde_json::from_str(&stdout(&device)).expect("JSON plan");
    let kinds: Vec<&str> = parsed["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["object"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["Customer", "Device"], "{parsed}");
    for (target, said) in [
        ("Device/nope", "matches no manifest"),
        ("Foo/bar", "is not KIND/KEY"),
        ("Account", "is not KIND/KEY"),
    ] {
        let refused = plan(&root(), &env, &["examples/", "--target", target]);
        let err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{target}: {err}");
        assert!(err.contains(said), "{target}: {err}");
    }
}
