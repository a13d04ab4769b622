//! `telform import` against an emulator seeded with a brownfield estate written by hand
//! (`tests/import/brownfield.yaml`), over real HTTP, with the real binary: the imported folder
//! validates, is in `fmt`'s canonical form, plans empty, and a second import writes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use telform::emulator::seed::{self, Seed};

use crate::{root, stdout};

/// The demo seed's credentials and reference data, with the hand-written brownfield estate in
/// place of the demo's own brownfield objects.
pub(crate) fn brownfield() -> Seed {
    let estate = seed::load(&root().join("tests/import/brownfield.yaml")).expect("the brownfield seed loads");
    let mut seed = seed::demo();
    seed.acg.requests_for_information = estate.acg.requests_for_information;
    seed.acg.civic_addresses.extend(estate.acg.civic_addresses);
    seed.acg.accounts = estate.acg.accounts;
    seed.acg.numbers = estate.acg.numbers;
    seed.acg.number_blocks = estate.acg.number_blocks;
    seed.acg.fail_sync.clear();
    seed.webex.customers = estate.webex.customers;
    seed.webex.locations = estate.webex.locations;
    seed.webex.subscribers = estate.webex.subscribers;
    seed.webex.workspaces = estate.webex.workspaces;
    seed.webex.devices = estate.webex.devices;
    seed.webex.failing_external_ids.clear();
    seed.timing = estate.timing;
    seed
}

/// Runs `telform ARGS` in `dir` with the emulator's environment.
fn telform(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TELFORM_SETTINGS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("telform runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    telform::import::write::existing_files(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}

/// `plan --detailed-exitcode --output json`: exit 0, no action, and the unmanaged objects.
fn plan_is_empty(dir: &Path, env: &[(String, String)]) -> Vec<String> {
    let o = telform(dir, env, &["plan", ".", "--detailed-exitcode", "--output", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the plan of the imported folder is not empty\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let plan: Value = serde_json::from_str(&stdout(&o)).expect("plan JSON");
    let actions = plan["actions"].as_array().map_or(0, Vec::len);
    assert_eq!(actions, 0, "{}", stdout(&o));
    let errors = plan["errors"].as_array().map_or(0, Vec::len);
    assert_eq!(errors, 0, "{}", stdout(&o));
    plan["unmanaged"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            format!(
                "{}/{}",
                u["object"]["kind"].as_str().or(u["kind"].as_str()).unwrap_or("?"),
                u["object"]["key"].as_str().or(u["key"].as_str()).unwrap_or("?")
            )
        })
        .collect()
}

fn validates_and_is_canonical(dir: &Path, env: &[(String, String)]) {
    ok(&telform(dir, env, &["validate", "."]), "validate");
    ok(&telform(dir, env, &["fmt", "--check", "."]), "fmt --check");
}

#[test]
fn import_all_round_trips_to_an_empty_plan_and_a_second_import_writes_nothing() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "");
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("manifests");
    let o = telform(
        work.path(),
        &env,
        &["import", "--all", "--shared-lines", "--out", "manifests"],
    );
    ok(&o, "import --all");
    let files: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        files,
        [
            "acg/consents.yaml",
            "acg/empty-account.yaml",
            "acg/fabrikam-oc.yaml",
            "acg/northwind_mix.yaml",
            "webex/ACME-0001/customer.yaml",
            "webex/ACME-0001/devices.yaml",
            "webex/ACME-0001/locations.yaml",
            "webex/ACME-0001/users.yaml",
            "webex/ACME-0001/workspaces.yaml",
            "webex/GLOBEX-7/customer.yaml",
            "webex/GLOBEX-7/devices.yaml",
            "webex/GLOBEX-7/locations.yaml",
            "webex/GLOBEX-7/users.yaml",
            "webex/GLOBEX-7/workspaces.yaml",
            "webex/templates.yaml",
        ],
        "{}",
        stdout(&o)
    );
    let summary = stdout(&o);
    // Not a terminal: progress is plain lines on stderr, one per step and per file.
    assert!(stderr(&o).contains("ACG: listing the accounts"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wrote manifests/acg/fabrikam-oc.yaml"),
        "{}",
        stderr(&o)
    );
    // The consent with no relationship yet is said, not invented.
    assert!(summary.contains("55555555-5555-4555-8555-555555555555"), "{summary}");
    assert!(
        !summary.contains("client-secret") && !summary.contains("CLIENT_SECRET"),
        "{summary}"
    );

    // Numbers: contiguous runs are ranges; the rest are overrides or sets of their own.
    let fabrikam = std::fs::read_to_string(out.join("acg/fabrikam-oc.yaml")).expect("read");
    for expected in [
        "{from: \"+14255550100\", to: \"+14255550149\"}",
        "{from: \"+14255550160\", to: \"+14255550179\"}",
        "{from: \"+14255551000\", to: \"+14255551019\"}",
        "number: \"+14255550200\", usage: conference",
        "allowTenantAddressUpdate: true",
    ] {
        assert!(fabrikam.contains(expected), "{expected} not in:\n{fabrikam}");
    }
    assert!(fabrikam.starts_with("# Imported by `telform import` on "), "{fabrikam}");
    // The adminEmail is the organisation's full administrator (People API).
    let acme = std::fs::read_to_string(out.join("webex/ACME-0001/customer.yaml")).expect("read");
    assert!(acme.contains("adminEmail: it-admin@acme.example"), "{acme}");
    let devices = std::fs::read_to_string(out.join("webex/ACME-0001/devices.yaml")).expect("read");
    assert!(devices.contains("SIP passwords are write-only"), "{devices}");
    assert!(devices.contains("sharedWith:"), "{devices}");
    assert!(devices.contains("{generate: true, rotation: 2}"), "{devices}");

    validates_and_is_canonical(&out, &env);
    let unmanaged = plan_is_empty(&out, &env);
    assert_eq!(unmanaged, ["Consent/55555555-5555-4555-8555-555555555555"]);

    let before = snapshot(&out);
    let again = telform(work.path(), &env, &["import", "--all", "--out", "manifests"]);
    ok(&again, "second import");
    assert!(stdout(&again).contains("0 file(s) written"), "{}", stdout(&again));
    assert_eq!(snapshot(&out), before, "a second import changed the folder");
}

#[test]
fn import_per_account_and_per_customer_takes_only_those() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "");
    let work = tempfile::tempdir().expect("tempdir");
    let o = telform(
        work.path(),
        &env,
        &[
            "import",
            "--account",
            "northwind_mix",
            "--customer",
            "GLOBEX-7",
            "--out",
            "m",
        ],
    );
    ok(&o, "import --account --customer");
    let out = work.path().join("m");
    let files: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        files,
        [
            "acg/northwind_mix.yaml",
            "webex/GLOBEX-7/customer.yaml",
            "webex/GLOBEX-7/devices.yaml",
            "webex/GLOBEX-7/locations.yaml",
            "webex/GLOBEX-7/users.yaml",
            "webex/GLOBEX-7/workspaces.yaml",
            "webex/templates.yaml",
        ]
    );
    // Without --shared-lines, lines are not read (a plan's floor of reads), and that is said.
    let devices = std::fs::read_to_string(out.join("webex/GLOBEX-7/devices.yaml")).expect("read");
    assert!(devices.contains("Shared lines were not read"), "{devices}");
    validates_and_is_canonical(&out, &env);
    let unmanaged = plan_is_empty(&out, &env);
    // The rest of the estate stays unmanaged, and nothing of the imported scope is.
    assert!(
        unmanaged
            .iter()
            .all(|u| !u.contains("northwind") && !u.contains("GLOBEX")),
        "{unmanaged:?}"
    );
    assert!(unmanaged.contains(&"Account/fabrikam-oc".to_string()), "{unmanaged:?}");
    assert!(unmanaged.contains(&"Customer/ACME-0001".to_string()), "{unmanaged:?}");

    // By pattern: the accounts and customers whose names match, and nothing else.
    let o = telform(
        work.path(),
        &env,
        &["import", "--match", "GLOBEX-*", "--match", "north*", "--out", "p"],
    );
    ok(&o, "import --match");
    let matched: Vec<String> = snapshot(&work.path().join("p")).into_keys().collect();
    assert_eq!(matched, files, "{}", stdout(&o));

    // Consents alone: the signed agreement names an account nobody declares, so it is said
    // and left out; the others are imported.
    let o = telform(work.path(), &env, &["import", "--consents", "--out", "c"]);
    ok(&o, "import --consents");
    let consents = std::fs::read_to_string(work.path().join("c/acg/consents.yaml")).expect("read");
    assert!(!consents.contains("11111111-1111-4111-8111-111111111111"), "{consents}");
    assert!(stdout(&o).contains("--account fabrikam-oc"), "{}", stdout(&o));
    for tenant in ["22222222", "33333333", "44444444"] {
        assert!(consents.contains(tenant), "{tenant} not in {consents}");
    }
}

#[test]
fn import_into_a_repository_that_declares_part_adds_only_the_rest() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "");
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("repo");
    // The repository's own work: one account by hand, without its numbers, under a name of
    // its choosing; and a customer imported earlier whose devices file was since removed.
    std::fs::create_dir_all(out.join("accounts")).expect("mkdir");
    std::fs::write(
        out.join("accounts/fab.yaml"),
        "apiVersion: telform/v1\nkind: Account\nmetadata: {name: fabrikam-oc}\nspec:\n  correlationId: CRM-1001\n  teamsTenantId: 11111111-1111-4111-8111-111111111111\n  services:\n    operatorConnect: {enabled: true, sync: false}\n    directRouting: {enabled: true, sync: false}\n",
    )
    .expect("write");
    ok(
        &telform(
            work.path(),
            &env,
            &["import", "--customer", "ACME-0001", "--out", "repo"],
        ),
        "first import",
    );
    std::fs::remove_file(out.join("webex/ACME-0001/devices.yaml")).expect("rm");
    let before = snapshot(&out);

    let o = telform(work.path(), &env, &["import", "--all", "--out", "repo"]);
    ok(&o, "import --all into the repository");
    let after = snapshot(&out);
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{path} was changed");
    }
    let fabrikam = std::fs::read_to_string(out.join("acg/fabrikam-oc.yaml")).expect("read");
    assert!(
        !fabrikam.contains("kind: Account"),
        "the declared account was imported again:\n{fabrikam}"
    );
    assert!(fabrikam.contains("kind: NumberSet"), "{fabrikam}");
    assert!(after.contains_key("webex/ACME-0001/devices.yaml"));
    // The template stub of ACME's country exists already (a second one would be a duplicate);
    // GLOBEX's, new, goes beside it since templates.yaml is there.
    let more = std::fs::read_to_string(out.join("webex/templates-imported.yaml")).expect("read");
    assert!(
        more.contains("name: imported-us") && !more.contains("imported-fr"),
        "{more}"
    );

    validates_and_is_canonical(&out, &env);
    assert_eq!(
        plan_is_empty(&out, &env),
        ["Consent/55555555-5555-4555-8555-555555555555"]
    );
}

#[test]
fn dry_run_writes_nothing_and_an_empty_scope_is_refused() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "");
    let work = tempfile::tempdir().expect("tempdir");
    let o = telform(work.path(), &env, &["import", "--all", "--dry-run", "--out", "m"]);
    ok(&o, "dry run");
    assert!(stdout(&o).contains("kind: NumberSet"), "{}", stdout(&o));
    assert!(!work.path().join("m").exists());
    let o = telform(work.path(), &env, &["import", "--out", "m"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("hint: `--all`"), "{}", stderr(&o));
}

#[test]
fn hostile_live_names_never_escape_the_output_folder() {
    let mut seed = brownfield();
    let mut hostile = seed.webex.customers[1].clone();
    hostile.external_id = "../../escape\u{7}\n#".to_string();
    seed.webex.customers.push(hostile);
    let (_rt, _emulator, env) = crate::emulator_on_runtime(seed, "");
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(work.path().join("a/b")).expect("mkdir");
    let o = telform(&work.path().join("a/b"), &env, &["import", "--all", "--out", "out"]);
    ok(&o, "import with a hostile external id");
    // Nothing live reaches the terminal raw: no control character in what it printed.
    let printed = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!printed.contains('\u{7}'), "{printed}");
    // Only `out` was written to, and nothing under it is hidden or outside `webex/` and `acg/`.
    let everything = telform::import::write::existing_files(work.path());
    assert!(everything.iter().all(|p| p.starts_with("a/b/out/")), "{everything:?}");
    let customer_files: Vec<&String> = everything.iter().filter(|p| p.contains("escape")).collect();
    assert!(!customer_files.is_empty(), "{everything:?}");
    for p in customer_files {
        assert!(p.starts_with("a/b/out/webex/escape-"), "{p}");
        let text = std::fs::read_to_string(work.path().join(p)).expect("read");
        // The external id is data, quoted and escaped: it neither breaks a line nor a comment.
        assert!(text.contains(r#""../../escape\u0007\n#""#), "{text}");
    }
}

/// Ids the emulator makes up (Webex's base64 ids) as `[webex id]`: they differ per run.
fn scrub(text: &str) -> String {
    const PREFIX: &str = "Y2lzY29zcGFyazovL";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        out.push_str(&rest[..at]);
        out.push_str("[webex id]");
        rest = &rest[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The inventory views, as support staff read them: text and JSON of each, on the brownfield
/// estate. Ids the emulator makes up (organisations, people) are filtered out.
#[test]
fn show_views_of_the_brownfield_estate() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "");
    let work = tempfile::tempdir().expect("tempdir");
    let views: &[(&str, &[&str])] = &[
        ("accounts", &["show", "accounts"]),
        ("numbers", &["show", "numbers", "fabrikam-oc", "--prefix", "+142555502"]),
        (
            "numbers_filtered",
            &[
                "show",
                "numbers",
                "fabrikam-oc",
                "--service",
                "directRouting",
                "--output",
                "json",
            ],
        ),
        ("number_acg", &["show", "number", "+14255550200"]),
        ("number_webex", &["show", "number", "+33478000100", "--output", "json"]),
        ("number_nowhere", &["show", "number", "+19995550000"]),
        ("consents", &["show", "consents"]),
        (
            "consents_filtered",
            &["show", "consents", "--status", "consentDeclined", "--output", "json"],
        ),
        ("customers", &["show", "customers"]),
        ("users", &["show", "users", "ACME-0001"]),
        ("workspaces", &["show", "workspaces", "ACME-0001", "--output", "json"]),
        ("devices", &["show", "devices", "ACME-0001"]),
        ("devices_json", &["show", "devices", "GLOBEX-7", "--output", "json"]),
    ];
    let secrets: Vec<&String> = env
        .iter()
        .filter(|(k, _)| k.ends_with("SECRET") || k.ends_with("TOKEN"))
        .map(|(_, v)| v)
        .collect();
    for (name, args) in views {
        let o = telform(work.path(), &env, args);
        ok(&o, name);
        let text = stdout(&o);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} shows a secret");
        }
        let text = scrub(&text);
        insta::with_settings!({
            snapshot_path => root().join("tests/integration/snapshots/show"),
            prepend_module_to_snapshot => false,
            description => args.join(" "),
        }, {
            insta::assert_snapshot!(*name, text);
        });
    }
    // Bad input: a clear error naming what to do, never a panic.
    for (args, hint) in [
        (&["show", "number", "33478000100"][..], "hint: write `+`"),
        (
            &["show", "numbers", "fabrikam-oc", "--service", "teams"][..],
            "hint: one of operatorConnect",
        ),
        (&["show", "users", "NOPE"][..], "no Webex customer has external id NOPE"),
    ] {
        let o = telform(work.path(), &env, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(hint), "{args:?}: {}", stderr(&o));
    }
}

/// Ctrl-C while import reads: it stops, says so, and leaves no file (not even a hidden
/// temporary one) in the folder.
#[test]
fn ctrl_c_leaves_no_file() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "latency=150ms");
    let work = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_telform"));
    cmd.current_dir(work.path())
        .args(["import", "--all", "--out", "m"])
        .env("NO_COLOR", "1")
        .env_remove("TELFORM_SETTINGS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("telform starts");
    // Each request takes 150 ms: the reads are well under way after half a second.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = child.wait_with_output().expect("telform ends");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("SIGINT: stopping"), "{err}");
    assert!(err.contains("stopped before anything was written"), "{err}");
    assert!(
        telform::import::write::existing_files(work.path()).is_empty(),
        "{:?}",
        telform::import::write::existing_files(work.path())
    );
}

mod property {
    //! Random ACG estates (accounts of every service, numbers with profiles that mix and gaps
    //! everywhere, consents in every relationship) import into manifests that validate and
    //! plan empty: the import's grouping into sets, ranges and overrides loses nothing.

    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::{Value, json};
    use telform::import::{Estate, Origin, Scope};
    use telform::model::acg::{AcgLive, Interner, LiveNumber};

    const TENANTS: [&str; 3] = [
        "aaaaaaaa-1111-4111-8111-000000000000",
        "aaaaaaaa-1111-4111-8111-000000000001",
        "aaaaaaaa-1111-4111-8111-000000000002",
    ];

    /// The number profiles of each service, as ACG answers them; each follows the rules (a
    /// Teams number has a usage and capabilities, a user number an address or the tenant's
    /// leave to set one, a SIP header only where the service takes one).
    fn profiles() -> Vec<Value> {
        let oc = |usage: &str, caps: &[&str], extra: Value, header: Option<&str>| {
            let mut config = json!({"usage": usage, "choosableCapabilities": caps});
            if let Value::Object(extra) = extra {
                config.as_object_mut().expect("object").extend(extra);
            }
            let mut n = json!({"serviceDetails": {"teamsOperatorConnect": {"enabled": true, "configuration": config}}});
            if let Some(h) = header {
                n["configuration"] = json!({"customSipHeader": h});
            }
            n
        };
        let address = json!({"civicAddressId": "civic-a", "locationId": "loc-1", "displayedCountryCode": "US"});
        vec![
            oc(
                "CallingUserAssignment",
                &["InboundCalling", "OutboundCalling"],
                address.clone(),
                Some("hq"),
            ),
            oc(
                "CallingUserAssignment",
                &["InboundCalling", "OutboundCalling"],
                json!({"civicAddressId": "civic-a", "locationId": "loc-2", "displayedCountryCode": "US"}),
                Some("hq"),
            ),
            oc(
                "ConferenceAssignment",
                &["InboundCalling"],
                json!({"civicAddressId": "civic-a", "locationId": "loc-1"}),
                Some("hq"),
            ),
            oc(
                "CallingUserAssignment",
                &["InboundCalling", "OutboundCalling"],
                json!({"allowTenantAddressUpdate": true}),
                None,
            ),
            oc("FirstPartyAppAssignment", &["OutboundCalling"], json!({}), Some("app")),
            json!({"serviceDetails": {"teamsDirectRouting": {"enabled": true}}, "configuration": {"customSipHeader": "dr"}}),
            json!({"serviceDetails": {"teamsDirectRouting": {"enabled": true}}}),
            json!({"serviceDetails": {"zoomPhoneCloudPeering": {"enabled": true}}}),
            json!({"serviceDetails": {"azureOperatorCallProtection": {"enabled": true}}}),
        ]
    }

    fn account(i: usize) -> Value {
        json!({
            "name": format!("acct-{i}"),
            "serviceDetails": {
                "teamsTenantId": TENANTS[i],
                "teamsOperatorConnect": {"enabled": true, "syncEnabled": i == 1},
                "teamsDirectRouting": {"enabled": true, "syncEnabled": false},
                "zoomPhoneCloudPeering": {"enabled": true, "syncEnabled": false},
                "azureOperatorCallProtection": {"enabled": true},
            }
        })
    }

    const RELATIONSHIPS: [(&str, Option<&str>); 6] = [
        ("AgreementSigned", Some("[ticket T-1]")),
        ("AgreementSigned", None),
        ("ConsentDeclined", Some("no budget [ticket T-2]")),
        ("ContractTerminated", Some("moved")),
        ("ConsentAcknowledged", None),
        ("ConsentAcknowledged", Some("seen")),
    ];

    fn estate(numbers: &[(usize, u32, usize)], consents: &[(usize, usize)]) -> AcgLive {
        let mut live = AcgLive::default();
        for i in 0..3 {
            let a: telform::wire::acg::AccountResource = serde_json::from_value(account(i)).expect("account");
            live.accounts.insert(a.name.clone(), a);
        }
        let profiles = profiles();
        let mut interner = Interner::default();
        let mut by_number: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (account, offset, profile) in numbers {
            // Each account draws from its own block: a number is in one account.
            by_number.insert(format!("+1425{account}55{offset:04}"), (*account, *profile));
        }
        for (tn, (account, profile)) in by_number {
            let mut n = profiles[profile % profiles.len()].clone();
            n["telephoneNumber"] = json!(tn);
            n["accountName"] = json!(format!("acct-{account}"));
            let n: telform::wire::acg::NumberResource = serde_json::from_value(n).expect("number");
            live.numbers.insert(tn, LiveNumber::from_wire(&n, &mut interner));
        }
        for (tenant, relationship) in consents {
            let (status, comment) = RELATIONSHIPS[*relationship];
            let c: telform::wire::acg::RequestForInformation = serde_json::from_value(json!({
                "tenantId": TENANTS[*tenant],
                "status": "active",
                "customerRelationship": {"status": status, "comment": comment},
            }))
            .expect("consent");
            live.consents.insert(TENANTS[*tenant].to_string(), c);
        }
        live
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn random_acg_estates_import_and_plan_empty(
            numbers in prop::collection::vec((0usize..3, 0u32..400, 0usize..9), 0..250),
            runs in prop::collection::vec((0usize..3, 0u32..300, 1u32..60, 0usize..9), 0..4),
            consents in prop::collection::vec((0usize..3, 0usize..6), 0..3),
        ) {
            // Runs of one profile make ranges; the scattered numbers, overrides and gaps.
            let mut all = numbers.clone();
            for (account, from, len, profile) in runs {
                all.extend((from..from + len).map(|o| (account, o, profile)));
            }
            let live = estate(&all, &consents);
            let imported = telform::import::build(
                &Estate { acg: Some(live.clone()), webex: None },
                &Default::default(),
                Vec::new(),
                &Scope { all: true, ..Scope::default() },
                &Origin { when: "2026-01-01T00:00:00Z".into(), ..Origin::default() },
            );
            let dir = tempfile::tempdir().expect("tempdir");
            let w = telform::import::write::write_all(dir.path(), &imported.files, &Default::default(), |_| {});
            prop_assert!(w.errors.is_empty(), "{:?}", w.errors);
            let validated = telform::validate::validate(&[dir.path().to_path_buf()]);
            prop_assert!(
                validated.is_valid(),
                "{:?}\n{}",
                validated.diagnostics,
                imported.files.iter().map(|f| f.text.clone()).collect::<String>()
            );
            let cx = telform::plan::Context {
                sources: &validated.sources,
                prune: false,
                max_deletes: 50,
                max_number_changes: 1_000_000,
                partial: false,
                reset_passwords: &std::collections::BTreeSet::new(),
            };
            let plan = telform::plan::plan(
                &validated.manifests,
                &telform::plan::Live { acg: Some(live.clone()), webex: None },
                &cx,
            );
            prop_assert!(plan.actions.is_empty(), "{:?}", plan.actions.iter().map(|a| (&a.object, a.changes())).collect::<Vec<_>>());
            prop_assert!(plan.errors.is_empty(), "{:?}", plan.errors);
            // Only what was said to be left out stays unmanaged: consents whose manifest
            // would not validate.
            for u in &plan.unmanaged {
                prop_assert_eq!(u.object.kind, telform::model::ObjectKind::Consent, "{:?}", u);
                prop_assert!(imported.notes.iter().any(|n| n.contains(&u.object.key)), "{:?} {:?}", u, imported.notes);
            }
        }
    }
}

/// On a terminal, progress is a bar with an ETA on stderr that is cleared at the end: the
/// screen keeps the summary. `script` (util-linux) gives telform a pseudo-terminal; `vt100`
/// renders what it would show.
#[test]
fn on_a_terminal_progress_is_a_bar_with_an_eta_then_the_summary() {
    let (_rt, _emulator, env) = crate::emulator_on_runtime(brownfield(), "latency=100ms");
    let work = tempfile::tempdir().expect("tempdir");
    let command = format!("{} import --all --out m", env!("CARGO_BIN_EXE_telform"));
    let mut script = std::process::Command::new("script");
    script
        .current_dir(work.path())
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "120")
        .env("LINES", "200")
        .env_remove("TELFORM_SETTINGS")
        .stdout(std::process::Stdio::piped());
    for (k, v) in &env {
        script.env(k, v);
    }
    let output = script.output().expect("`script` (util-linux) runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let raw = String::from_utf8_lossy(&output.stdout);
    assert!(raw.contains("reads, ETA"), "no bar was drawn:\n{raw}");
    let mut terminal = vt100::Parser::new(200, 120, 0);
    terminal.process(&output.stdout);
    let screen = terminal.screen().contents();
    assert!(screen.contains("Imported: "), "{screen}");
    assert!(
        !screen.contains("reads, ETA"),
        "the bar was left on the screen:\n{screen}"
    );
    // On a terminal, the files written are listed once, in the summary.
    assert!(!screen.contains("wrote m/"), "{screen}");
    assert!(screen.contains("+ m/acg/fabrikam-oc.yaml"), "{screen}");
}

mod property_webex {
    //! Random Webex organisations (locations with their numbers, users with numbers or only
    //! extensions, workspaces of both licences, devices on users and on workspaces with shared
    //! lines and rotation tags) import into manifests that validate and plan empty.

    use proptest::prelude::*;
    use serde_json::{Value, json};
    use telform::import::{Estate, Origin, Scope};
    use telform::model::webex::live::{Interner, LiveDevice, LiveNumberEntry, LiveSubscriber, LiveWorkspace};
    use telform::model::webex::{OrgLive, WebexLive};

    const LOCATIONS: [&str; 3] = ["Paris HQ", "Lyon", "Nice"];

    fn wire<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).expect("wire value")
    }

    #[allow(clippy::type_complexity)]
    fn estate(
        billing: &str,
        locations: usize,
        users: &[(usize, bool)],
        workspaces: &[(usize, bool, bool)],
        devices: &[(usize, u32, Vec<usize>)],
    ) -> WebexLive {
        let ext = "ACME-0001";
        let mut live = WebexLive::default();
        live.customers.insert(
            ext.into(),
            wire(json!({
                "id": "cust-1", "orgId": "org-1", "externalId": ext, "status": "provisioned",
                "packages": ["webex_calling", "common_area_calling"],
                // The address of its first location, as Webex makes it (validation requires a
                // headquarters location's address to be the customer's).
                "address": {"addressLine1": billing, "city": "Paris", "country": "FR"},
                "resourceDetails": {"packages": [
                    {"name": "webex_calling", "status": "provisioned", "licenseIds": ["lic-pro"]},
                    {"name": "common_area_calling", "status": "provisioned", "licenseIds": ["lic-ca"]},
                ]},
            })),
        );
        let mut interner = Interner::default();
        let mut org = OrgLive::default();
        let location = |i: usize| json!({"id": format!("loc-{}", i % locations), "name": LOCATIONS[i % locations]});
        for (i, name) in LOCATIONS.iter().enumerate().take(locations) {
            org.locations.push(wire(json!({
                "id": format!("loc-{i}"), "name": name,
                "address": {"address1": format!("{i} rue B"), "city": "Paris", "country": "FR"},
                "timeZone": "Europe/Paris", "preferredLanguage": "fr_fr",
            })));
            // Each location's main number, held by no one.
            org.numbers.push(LiveNumberEntry::from_wire(
                wire(json!({"phoneNumber": format!("+3314200000{i}"), "mainNumber": true, "state": "ACTIVE", "location": location(i)})),
                &mut interner,
            ));
        }
        for (j, (loc, number)) in users.iter().enumerate() {
            org.subscribers.push(LiveSubscriber::from_wire(
                wire(json!({"id": format!("sub-{j}"), "personId": format!("person-{j}"), "email": format!("user{j}@acme.example"),
                    "packages": ["webex_calling"], "status": "provisioned"})),
                &mut interner,
            ));
            let mut entry = json!({"extension": format!("1{j:03}"), "state": "ACTIVE", "location": location(*loc),
                "owner": {"id": format!("person-{j}"), "type": "PEOPLE", "firstName": format!("First{j}"), "lastName": format!("Last{j}")}});
            if *number {
                entry["phoneNumber"] = json!(format!("+331400{j:05}"));
            }
            org.numbers.push(LiveNumberEntry::from_wire(wire(entry), &mut interner));
        }
        for (k, (loc, common, number)) in workspaces.iter().enumerate() {
            org.workspaces.push(LiveWorkspace::from_wire(
                wire(json!({"id": format!("ws-{k}"), "displayName": format!("Room {k}"), "locationId": format!("loc-{}", loc % locations),
                    "capacity": k, "type": "meetingRoom",
                    "calling": {"type": "webexCalling", "webexCalling": {"licenses": [if *common { "lic-ca" } else { "lic-pro" }]}}})),
                &mut interner,
            ));
            let mut entry = json!({"extension": format!("2{k:03}"), "state": "ACTIVE", "location": location(*loc),
                "owner": {"id": format!("ws-{k}"), "type": "PLACE", "firstName": "Room", "lastName": format!("{k}")}});
            if *number {
                entry["phoneNumber"] = json!(format!("+331410{k:05}"));
            }
            org.numbers.push(LiveNumberEntry::from_wire(wire(entry), &mut interner));
        }
        let mut per_workspace = vec![0usize; workspaces.len()];
        for (d, (owner, rotation, shared)) in devices.iter().enumerate() {
            let mut device = json!({"id": format!("dev-{d}"), "product": "Cisco 8865", "mac": format!("00AABBCC{d:04X}"), "created": ""});
            let mut members = Vec::new();
            let on_workspace = owner % 2 == 1 && !workspaces.is_empty();
            let owner_user = if on_workspace {
                let k = (owner / 2) % workspaces.len();
                // Within the licence's limit (a common-area workspace holds one device).
                let max = if workspaces[k].1 { 1 } else { 5 };
                if per_workspace[k] == max {
                    continue;
                }
                per_workspace[k] += 1;
                device["workspaceId"] = json!(format!("ws-{k}"));
                members.push(json!({"id": format!("ws-{k}"), "memberType": "PLACE", "primaryOwner": true}));
                None
            } else if !users.is_empty() {
                let j = (owner / 2) % users.len();
                device["personId"] = json!(format!("person-{j}"));
                members.push(json!({"id": format!("person-{j}"), "memberType": "PEOPLE", "primaryOwner": true}));
                Some(j)
            } else {
                continue;
            };
            if *rotation > 0 {
                device["tags"] = json!([format!("telform-sip-rotation={rotation}")]);
            }
            let mut sharing: Vec<usize> = shared
                .iter()
                .filter(|_| !users.is_empty())
                .map(|s| s % users.len())
                .collect();
            sharing.sort();
            sharing.dedup();
            for s in sharing.into_iter().filter(|s| Some(*s) != owner_user) {
                members.push(json!({"id": format!("person-{s}"), "memberType": "PEOPLE", "primaryOwner": false}));
            }
            org.devices.push(LiveDevice::from_wire(wire(device), &mut interner));
            org.members.insert(
                format!("dev-{d}"),
                wire(json!({"model": "DMS Cisco 8865", "members": members, "maxLineCount": 10})),
            );
        }
        live.orgs.insert(ext.into(), org);
        live
    }

    /// Regression (found by the property below): a billing address that is no location's
    /// address. A location named as the headquarters must have the headquarters' address
    /// (TF110), and plan compares that address with the billing one: no manifest says both.
    /// The import stays valid, says so, and the one change plan shows is that address.
    #[test]
    fn a_billing_address_of_no_location_is_said_and_is_the_only_change() {
        let live = estate("1 rue A", 2, &[(0, true)], &[], &[]);
        let imported = telform::import::build(
            &Estate {
                acg: None,
                webex: Some(live.clone()),
            },
            &Default::default(),
            Vec::new(),
            &Scope {
                all: true,
                ..Scope::default()
            },
            &Origin::default(),
        );
        assert!(
            imported.notes.iter().any(|n| n.contains("billing address")),
            "{:?}",
            imported.notes
        );
        let dir = tempfile::tempdir().expect("tempdir");
        telform::import::write::write_all(dir.path(), &imported.files, &Default::default(), |_| {});
        let validated = telform::validate::validate(&[dir.path().to_path_buf()]);
        assert!(validated.is_valid(), "{:?}", validated.diagnostics);
        let cx = telform::plan::Context {
            sources: &validated.sources,
            prune: false,
            max_deletes: 50,
            max_number_changes: 1_000,
            partial: false,
            reset_passwords: &std::collections::BTreeSet::new(),
        };
        let plan = telform::plan::plan(
            &validated.manifests,
            &telform::plan::Live {
                acg: None,
                webex: Some(live),
            },
            &cx,
        );
        let changes: Vec<(String, String)> = plan
            .actions
            .iter()
            .flat_map(|a| {
                a.changes()
                    .iter()
                    .map(|c| (a.object.kind.to_string(), c.path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            changes,
            [("Customer".to_string(), "headquarters.address.line1".to_string())]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn random_webex_organisations_import_and_plan_empty(
            locations in 1usize..4,
            users in prop::collection::vec((0usize..3, any::<bool>()), 0..6),
            workspaces in prop::collection::vec((0usize..3, any::<bool>(), any::<bool>()), 0..4),
            devices in prop::collection::vec((0usize..12, 0u32..3, prop::collection::vec(0usize..6, 0..3)), 0..7),
        ) {
            let live = estate("0 rue B", locations, &users, &workspaces, &devices);
            let imported = telform::import::build(
                &Estate { acg: None, webex: Some(live.clone()) },
                &Default::default(),
                Vec::new(),
                &Scope { all: true, shared_lines: true, ..Scope::default() },
                &Origin { when: "2026-01-01T00:00:00Z".into(), ..Origin::default() },
            );
            let dir = tempfile::tempdir().expect("tempdir");
            let w = telform::import::write::write_all(dir.path(), &imported.files, &Default::default(), |_| {});
            prop_assert!(w.errors.is_empty(), "{:?}", w.errors);
            let validated = telform::validate::validate(&[dir.path().to_path_buf()]);
            prop_assert!(
                validated.is_valid(),
                "{:?}\n{}",
                validated.diagnostics,
                imported.files.iter().map(|f| f.text.clone()).collect::<String>()
            );
            let cx = telform::plan::Context {
                sources: &validated.sources,
                prune: false,
                max_deletes: 50,
                max_number_changes: 1_000,
                partial: false,
                reset_passwords: &std::collections::BTreeSet::new(),
            };
            let plan = telform::plan::plan(
                &validated.manifests,
                &telform::plan::Live { acg: None, webex: Some(live.clone()) },
                &cx,
            );
            prop_assert!(
                plan.actions.is_empty(),
                "{:?}\n{}",
                plan.actions.iter().map(|a| (&a.object, a.changes())).collect::<Vec<_>>(),
                imported.files.iter().map(|f| f.text.clone()).collect::<String>()
            );
            prop_assert!(plan.errors.is_empty(), "{:?}", plan.errors);
            prop_assert!(plan.unmanaged.is_empty(), "{:?}", plan.unmanaged);
        }
    }
}
