//! The Webex executor (`telform::apply::webex`) against the in-process emulator over real HTTP:
//! examples/ from scratch with every kind of SIP password, convergence under faults without
//! duplicates, a failed customer and a refused location skipping their dependents only, and a
//! password rotation.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;
use telform::manifest::settings::SecretPolicy;
use telform::provider::config::Trusted;

use telform::apply::{Options, Outcome, Progress, Run, Secrets, Status, report};
use telform::emulator::faults::Faults;
use telform::emulator::{self, Config, Emulator, seed};
use telform::model::Stop;
use telform::model::plan::{Action, ObjectKind, Op, ProviderName};
use telform::provider::webex::WebexClient;
use telform::provider::webex::write::{Gate, WebexWriter};
use telform::reconcile::{self, PlanOptions, Planned};

use crate::root;

/// Passwords the examples take from the environment and from a file.
const JUPITER_TABLE: &str = "Jupiter-Table-7f3k9q";
const CBERNARD: &str = "Cbernard-Desk-2m8x4z";
const ACCUEIL: &str = "Accueil-Phone-5t1w6y";
/// The password of every generated device in the faults test.
const GENERATED_FLEET: &str = "Fleet-Sip-Pass-4r7u2e";

/// The demo seed (tokens, templates, models, a half-onboarded Acme) with fast provisioning.
async fn start(faults: &str, tune: impl FnOnce(&mut seed::Seed)) -> (Emulator, HashMap<String, String>) {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    tune(&mut seed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let emulator = emulator::start(
        listener,
        Config {
            seed,
            faults: Faults::parse(faults).expect("fault spec"),
            ..Config::default()
        },
    )
    .await
    .expect("the emulator starts");
    let mut env: HashMap<String, String> = emulator.env().into_iter().collect();
    env.insert("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), JUPITER_TABLE.into());
    env.insert("ACME_CBERNARD_SIP_PASSWORD".into(), CBERNARD.into());
    env.insert("GEN_SIP_PASSWORD".into(), GENERATED_FLEET.into());
    (emulator, env)
}

/// The Webex half of examples/ in a temporary folder, with the `fromFile` secret the
/// pipeline would write there.
fn webex_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&root().join("examples/webex"), &dir.path().join("webex"));
    std::fs::create_dir(dir.path().join("secrets")).expect("mkdir");
    std::fs::write(
        dir.path().join("secrets/acme-accueil-phone.sip"),
        format!("{ACCUEIL}\n"),
    )
    .expect("secret");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

async fn plan(dir: &Path, env: &HashMap<String, String>) -> Planned {
    let lookup = |key: &str| env.get(key).cloned();
    let options = PlanOptions {
        dir: dir.to_path_buf(),
        ..PlanOptions::default()
    };
    let planned = reconcile::plan_dir(&options, Trusted::env(&lookup))
        .await
        .unwrap_or_else(|f| panic!("plan: {}", f.text()));
    assert!(
        planned.plan.errors.is_empty(),
        "plan errors: {:#?}",
        planned.plan.errors
    );
    planned
}

fn webex_actions(planned: &Planned) -> Vec<Action> {
    planned
        .plan
        .actions
        .iter()
        .filter(|a| a.object.provider == ProviderName::Webex)
        .cloned()
        .collect()
}

fn options() -> Options {
    Options {
        poll_interval: Duration::from_millis(50),
        async_timeout: Duration::from_secs(30),
        ..Options::default()
    }
}

/// Resolves the passwords as `telform apply` does and applies the plan's Webex actions.
async fn apply(
    planned: &Planned,
    dir: &Path,
    env: &HashMap<String, String>,
    secrets_out: Option<&Path>,
) -> Vec<Outcome> {
    let client = planned.webex.as_ref().expect("the plan made a Webex client");
    let actions = webex_actions(planned);
    let lookup = |key: &str| env.get(key).cloned();
    let secrets = Secrets::resolve(&actions, dir, &lookup, &SecretPolicy::default(), secrets_out)
        .expect("every password resolves");
    let run = Run {
        options: options(),
        stop: Stop::default(),
        progress: Progress::hidden(),
        secrets,
    };
    let outcomes = telform::apply::webex::apply(client, actions.clone(), &run).await;
    assert_eq!(outcomes.len(), actions.len(), "one outcome per action");
    for (a, o) in actions.iter().zip(&outcomes) {
        assert_eq!((&a.object, a.op), (&o.object, o.op), "outcomes are in plan order");
    }
    outcomes
}

fn find<'a>(outcomes: &'a [Outcome], kind: &str, key: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.object.kind.as_str() == kind && o.object.key == key)
        .unwrap_or_else(|| panic!("no outcome for {kind} {key}:\n{}", report::text(outcomes)))
}

/// The devices of a customer, by MAC.
async fn devices_of(client: &WebexClient, ext: &str) -> HashMap<String, telform::wire::webex::Device> {
    let customers = client.list_customers().await.expect("customers");
    let customer = customers.iter().find(|c| c.external_id == ext).expect("the customer");
    let org = customer.org_id.as_deref().expect("provisioned");
    client
        .list_devices(ext, org)
        .await
        .expect("devices")
        .into_iter()
        .map(|d| (d.mac.clone().unwrap_or_default(), d))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_apply_from_scratch_then_the_plan_is_empty_and_no_password_shows() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = webex_examples();
    let out = dir.path().join("generated-secrets.tsv");

    let planned = plan(dir.path(), &env).await;
    let actions = webex_actions(&planned);
    // Acme: its update (attendant_console), a location, 4 numbers, 5 users, 2 workspaces, 5
    // new devices, the reassigned one, Luc's deletion; Globex: attached.
    let listed: Vec<String> = actions
        .iter()
        .map(|a| format!("{:?} {} {}", a.op, a.object.kind, a.object.key))
        .collect();
    assert_eq!(actions.len(), 20, "{listed:#?}");
    let outcomes = apply(&planned, dir.path(), &env, Some(&out)).await;
    let shown = report::text(&outcomes);
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "every action is done:\n{shown}"
    );
    assert_eq!(find(&outcomes, "Device", "0004F29B1301").op, Op::Replace);
    let (reads, writes, retries) = planned.webex.as_ref().expect("client").stats.snapshot();
    eprintln!(
        "examples: {} Webex actions; calls, the plan's included: {reads} reads, {writes} writes, {retries} retries",
        actions.len()
    );

    // Idempotence: nothing left to do.
    let again = plan(dir.path(), &env).await;
    let left: Vec<String> = webex_actions(&again)
        .iter()
        .map(|a| format!("{:?} {} {}", a.op, a.object.kind, a.object.key))
        .collect();
    assert!(left.is_empty(), "a second plan has Webex changes: {left:?}\n{shown}");

    // Generated passwords are in the secrets file only, readable by its owner only.
    let file = std::fs::read_to_string(&out).expect("the secrets file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let generated: HashMap<&str, &str> = file
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            assert_eq!(fields.len(), 3, "customer, MAC, password: {l:?}");
            assert_eq!(fields[0], "ACME-0001");
            (fields[1], fields[2])
        })
        .collect();
    let macs: BTreeSet<&str> = generated.keys().copied().collect();
    assert_eq!(macs, BTreeSet::from(["0004F29B127E", "0004F29B1301", "805EC03A7210"]));
    assert!(generated.values().all(|p| p.len() >= 16), "strong passwords");
    for o in outcomes.iter().filter(|o| macs.contains(o.object.key.as_str())) {
        let detail = o.detail.as_deref().unwrap_or_default();
        assert!(detail.contains("generated password written to"), "{detail}");
    }

    // No password in the result table or its JSON.
    let json = report::json(&outcomes);
    for password in [JUPITER_TABLE, CBERNARD, ACCUEIL].iter().chain(generated.values()) {
        assert!(!shown.contains(password), "a password in the table:\n{shown}");
        assert!(!json.contains(password), "a password in the JSON:\n{json}");
    }

    // The rotation each device's password was set for is on the device, next to its own tags.
    let client = again.webex.as_ref().expect("client");
    let devices = devices_of(client, "ACME-0001").await;
    assert!(
        devices["805EC03A7210"]
            .tags
            .contains(&"telform-sip-rotation=1".to_string())
    );
    assert!(
        devices["0C75BD4E2F19"]
            .tags
            .contains(&"telform-sip-rotation=0".to_string())
    );
    let members = client
        .device_members(
            "ACME-0001",
            devices["805EC03A7210"].org_id.as_deref().unwrap_or_default(),
            &devices["805EC03A7210"],
        )
        .await
        .expect("lines");
    assert_eq!(members.members.len(), 3, "Jeanne's phone shows Paul's and Marc's lines");
    assert!(
        members
            .members
            .iter()
            .all(|m| m.port == 1 || m.line_type == "SHARED_CALL_APPEARANCE")
    );
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_bump_resets_the_password_and_records_it() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = webex_examples();
    let planned = plan(dir.path(), &env).await;
    let first_out = dir.path().join("first.tsv");
    let outcomes = apply(&planned, dir.path(), &env, Some(&first_out)).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );

    // Jeanne's phone goes from rotation 1 to 2 (it came back from repair once more).
    let devices_yaml = dir.path().join("webex/acme/devices.yaml");
    let text = std::fs::read_to_string(&devices_yaml).expect("devices.yaml");
    assert!(text.contains("{generate: true, rotation: 1}"));
    std::fs::write(
        &devices_yaml,
        text.replace("{generate: true, rotation: 1}", "{generate: true, rotation: 2}"),
    )
    .expect("write");

    let bumped = plan(dir.path(), &env).await;
    let actions = webex_actions(&bumped);
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(
        (actions[0].op, actions[0].object.key.as_str()),
        (Op::Update, "805EC03A7210")
    );
    let second_out = dir.path().join("second.tsv");
    let outcomes = apply(&bumped, dir.path(), &env, Some(&second_out)).await;
    assert_eq!(outcomes[0].status, Status::Done, "{}", report::text(&outcomes));

    let password = |file: &Path| -> String {
        let text = std::fs::read_to_string(file).expect("secrets file");
        let line = text
            .lines()
            .find(|l| !l.starts_with('#') && l.contains("805EC03A7210"))
            .expect("the device's line")
            .to_string();
        line.rsplit('\t').next().unwrap_or_default().to_string()
    };
    let (old, new) = (password(&first_out), password(&second_out));
    assert_ne!(old, new, "a new password");
    assert!(!report::text(&outcomes).contains(&new) && !report::json(&outcomes).contains(&new));

    let after = plan(dir.path(), &env).await;
    assert!(webex_actions(&after).is_empty(), "{:#?}", webex_actions(&after));
    let devices = devices_of(after.webex.as_ref().expect("client"), "ACME-0001").await;
    let tags = &devices["805EC03A7210"].tags;
    assert!(tags.contains(&"telform-sip-rotation=2".to_string()), "{tags:?}");
    assert!(
        !tags.contains(&"telform-sip-rotation=1".to_string()),
        "the old rotation is replaced: {tags:?}"
    );
    emulator.shutdown().await.expect("shutdown");
}

pub(crate) const TEMPLATE: &str = r#"apiVersion: telform/v1
kind: Template
metadata: {name: fr-smb-calling}
spec:
  provisioningId: Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9mcl9zbWI
  country: FR
  language: fr_FR
  subscription: Sub-104233
  authentication: webex
  calling: {timezone: Europe/Paris, language: fr_fr}
"#;

fn customer_yaml(ext: &str) -> String {
    let name = ext.to_lowercase();
    format!(
        r#"---
apiVersion: telform/v1
kind: Customer
metadata: {{name: {name}}}
spec:
  template: fr-smb-calling
  externalId: {ext}
  companyName: {ext} SARL
  adminEmail: admin@{name}.example
  language: fr_FR
  country: FR
  supportedLocationVerified: true
  packages: [webex_calling]
  headquarters:
    name: Siège
    address: {{line1: 1 rue de Rivoli, city: Paris, postalCode: "75001", country: FR}}
    timezone: Europe/Paris
    language: fr_fr
"#
    )
}

fn user_yaml(ext: &str, i: usize, location: &str) -> String {
    let name = ext.to_lowercase();
    format!(
        r#"---
apiVersion: telform/v1
kind: User
metadata: {{name: {name}-u{i}}}
spec:
  customer: {ext}
  email: user{i}@{name}.example
  firstName: User
  lastName: Number{i}
  package: webex_calling
  location: {location}
  extension: "{}"
"#,
        2000 + i
    )
}

fn device_yaml(ext: &str, i: usize, mac: &str) -> String {
    device_yaml_with(ext, i, mac, FROM_ENV)
}

/// The fleet's SIP password, from the environment.
pub(crate) const FROM_ENV: &str = "{fromEnv: GEN_SIP_PASSWORD}";
/// A SIP password telform generates (and writes to the secrets file).
pub(crate) const GENERATED: &str = "{generate: true}";

fn device_yaml_with(ext: &str, i: usize, mac: &str, password: &str) -> String {
    let name = ext.to_lowercase();
    format!(
        r#"---
apiVersion: telform/v1
kind: Device
metadata: {{name: {name}-d{i}}}
spec:
  customer: {ext}
  mac: "{mac}"
  model: Yealink T54W
  owner: {{user: user{i}@{name}.example}}
  sipPassword: {password}
"#
    )
}

/// `customers` customers of `users` users, each with a desk phone.
fn fleet(dir: &Path, customers: usize, users: usize) {
    fleet_with(dir, customers, users, |_| FROM_ENV);
}

/// [`fleet`], with the SIP password of each user's phone from `password(user)`.
pub(crate) fn fleet_with(dir: &Path, customers: usize, users: usize, password: impl Fn(usize) -> &'static str) {
    let mut yaml = String::from(TEMPLATE);
    for c in 0..customers {
        let ext = format!("FLEET-{c:03}");
        yaml.push_str(&customer_yaml(&ext));
        for i in 0..users {
            yaml.push_str(&user_yaml(&ext, i, "Siège"));
            yaml.push_str(&device_yaml_with(&ext, i, &fleet_mac(c, i), password(i)));
        }
    }
    std::fs::write(dir.join("fleet.yaml"), yaml).expect("write");
}

pub(crate) fn fleet_mac(customer: usize, user: usize) -> String {
    format!("02AB{customer:02X}{user:06X}")
}

/// The lines of secrets files (customer, MAC, password), comments left out.
pub(crate) fn secrets_lines(files: &[std::path::PathBuf]) -> Vec<(String, String, String)> {
    files
        .iter()
        .filter(|f| f.exists())
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .expect("secrets file")
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| {
                    let fields: Vec<&str> = l.split('\t').collect();
                    assert_eq!(fields.len(), 3, "customer, MAC, password: {l:?}");
                    (fields[0].to_string(), fields[1].to_string(), fields[2].to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_twenty_percent_faults_apply_converges_without_duplicates() {
    // Retry-After 0: the faults test is about unknown outcomes and convergence; the gate's
    // pause is tested on its own (provider::webex::write).
    let (emulator, env) = start(
        "seed=7,429=0.05,500=0.05,drop=0.05,lost=0.05,retry-after=0,only=webex",
        |_| {},
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Every other phone gets a generated password: each must reach the secrets file of the
    // run that set it, whatever the faults.
    fleet_with(dir.path(), 2, 100, |i| if i % 2 == 1 { GENERATED } else { FROM_ENV });
    let mut runs = 0;
    let mut first_failures = 0;
    let mut stats = (0, 0, 0);
    let mut secrets_files = Vec::new();
    loop {
        let planned = plan(dir.path(), &env).await;
        let actions = webex_actions(&planned);
        if actions.is_empty() {
            break;
        }
        assert!(runs < 3, "no convergence after 3 runs: {} actions left", actions.len());
        if runs == 0 {
            assert_eq!(actions.len(), 2 * (1 + 100 + 100), "the whole fleet is new");
        }
        let out = dir.path().join(format!("secrets-{runs}.tsv"));
        let outcomes = apply(&planned, dir.path(), &env, Some(&out)).await;
        secrets_files.push(out);
        let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.failed()).collect();
        if runs == 0 {
            first_failures = failed.len();
        }
        // A 409 after a lost answer is the write's own doing, never a failure.
        for o in &failed {
            let Status::Failed { reason } = &o.status else { continue };
            assert!(!reason.contains("HTTP 409"), "{}: {reason}", o.object.key);
        }
        let client = planned.webex.as_ref().expect("client");
        let (r, w, t) = client.stats.snapshot();
        stats = (stats.0 + r, stats.1 + w, stats.2 + t);
        runs += 1;
    }
    assert!(stats.2 > 20, "the faults were met and retried: {stats:?}");
    eprintln!(
        "faults: converged in {runs} apply run(s); {first_failures} failed in the first; calls (reads, writes, retries) over the applies' plans and writes: {stats:?}"
    );

    // Read back through the API: every object once.
    let mut all_macs: BTreeSet<(String, String)> = BTreeSet::new();
    let planned = plan(dir.path(), &env).await;
    let client = planned.webex.as_ref().expect("client");
    let customers = client.list_customers().await.expect("customers");
    let externals: Vec<&str> = customers.iter().map(|c| c.external_id.as_str()).collect();
    let unique: BTreeSet<&str> = externals.iter().copied().collect();
    assert_eq!(unique.len(), externals.len(), "a customer twice: {externals:?}");
    for c in customers.iter().filter(|c| c.external_id.starts_with("FLEET-")) {
        let subscribers = client.list_subscribers(c).await.expect("subscribers");
        let emails: BTreeSet<String> = subscribers.iter().map(|s| s.email.to_lowercase()).collect();
        assert_eq!((subscribers.len(), emails.len()), (100, 100), "{}", c.external_id);
        let devices = client
            .list_devices(&c.external_id, c.org_id.as_deref().expect("provisioned"))
            .await
            .expect("devices");
        let macs: BTreeSet<String> = devices.iter().filter_map(|d| d.mac.clone()).collect();
        assert_eq!((devices.len(), macs.len()), (100, 100), "{}", c.external_id);
        assert!(
            devices.iter().all(|d| d.tags == ["telform-sip-rotation=0"]),
            "every password's rotation is recorded"
        );
        all_macs.extend(macs.into_iter().map(|m| (c.external_id.clone(), m)));
    }
    // Each generated password once, for a device that exists, none missing.
    let lines = secrets_lines(&secrets_files);
    let written: Vec<(String, String)> = lines.iter().map(|(c, m, _)| (c.clone(), m.clone())).collect();
    let once: BTreeSet<(String, String)> = written.iter().cloned().collect();
    assert_eq!(
        once.len(),
        written.len(),
        "a device's password written twice: {written:?}"
    );
    let wanted: BTreeSet<(String, String)> = (0..2)
        .flat_map(|c| {
            (0..100)
                .filter(|i| i % 2 == 1)
                .map(move |i| (format!("FLEET-{c:03}"), fleet_mac(c, i)))
        })
        .collect();
    assert_eq!(once, wanted, "exactly the generated passwords, of devices that exist");
    assert!(once.iter().all(|key| all_macs.contains(key)));
    assert!(lines.iter().all(|(_, _, p)| p.len() >= 16));
    assert_eq!(
        customers.iter().filter(|c| c.external_id.starts_with("FLEET-")).count(),
        2
    );
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_customer_and_a_refused_location_skip_only_their_dependents() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // EMULATOR-FAIL-0001 ends in `error` (the demo seed's failing external id).
    let mut yaml = String::from(TEMPLATE);
    yaml.push_str(&customer_yaml("EMULATOR-FAIL-0001"));
    yaml.push_str(&user_yaml("EMULATOR-FAIL-0001", 0, "Siège"));
    yaml.push_str(&device_yaml("EMULATOR-FAIL-0001", 0, "02CD00000000"));
    // GOOD-0002: Webex refuses its location Annexe (a time zone it does not know, which
    // telform cannot check: the list is Cisco's); what is at the headquarters goes on.
    yaml.push_str(&customer_yaml("GOOD-0002"));
    yaml.push_str(
        r#"---
apiVersion: telform/v1
kind: Location
metadata: {name: good-annexe}
spec:
  customer: GOOD-0002
  name: Annexe
  address: {line1: 2 rue du Port, city: Nantes, state: Pays de la Loire, postalCode: "44000", country: FR}
  timezone: Nantes
  language: fr_fr
  announcementLanguage: fr_fr
  numbers: ["+33240990001"]
"#,
    );
    yaml.push_str(&user_yaml("GOOD-0002", 0, "Annexe"));
    yaml.push_str(&device_yaml("GOOD-0002", 0, "02CD00000100"));
    yaml.push_str(&user_yaml("GOOD-0002", 1, "Siège"));
    yaml.push_str(&device_yaml("GOOD-0002", 1, "02CD00000101"));
    std::fs::write(dir.path().join("customers.yaml"), yaml).expect("write");

    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    let shown = report::text(&outcomes);

    let Status::Failed { reason } = &find(&outcomes, "Customer", "EMULATOR-FAIL-0001").status else {
        panic!("the failing customer fails:\n{shown}");
    };
    assert!(
        reason.contains("could not provision customer EMULATOR-FAIL-0001"),
        "{reason}"
    );
    assert!(reason.contains("10001"), "Webex's error code: {reason}");
    for (kind, key) in [("User", "user0@emulator-fail-0001.example"), ("Device", "02CD00000000")] {
        assert_eq!(
            find(&outcomes, kind, key).status,
            Status::Skipped {
                because: "Customer EMULATOR-FAIL-0001 failed".into()
            },
            "{shown}"
        );
    }

    let Status::Failed { reason } = &find(&outcomes, "Location", "Annexe").status else {
        panic!("Webex refuses the location:\n{shown}");
    };
    assert!(reason.contains("HTTP 400") && reason.contains("timeZone"), "{reason}");
    assert!(reason.contains("tracking id"), "the provider's tracking id: {reason}");
    let because = Status::Skipped {
        because: "Location Annexe failed".into(),
    };
    for (kind, key) in [
        ("Number", "+33240990001"),
        ("User", "user0@good-0002.example"),
        ("Device", "02CD00000100"),
    ] {
        assert_eq!(find(&outcomes, kind, key).status, because, "{kind} {key}:\n{shown}");
    }
    for (kind, key) in [
        ("Customer", "GOOD-0002"),
        ("User", "user1@good-0002.example"),
        ("Device", "02CD00000101"),
    ] {
        assert_eq!(
            find(&outcomes, kind, key).status,
            Status::Done,
            "{kind} {key}:\n{shown}"
        );
    }
    assert!(shown.contains("Location Annexe failed"), "the table says why:\n{shown}");
    emulator.shutdown().await.expect("shutdown");
}

/// The Globex organisation of the demo seed, attachable to a customer.
const SPARE_ORG: &str = "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9hN2YzZTJkMS00YzViLTRlOGEtOWYxMi0zYjRjNWQ2ZTdmODA";

/// Three customers whose second version (`v2`) asks for every kind of change: ALPHA's
/// objects are updated, moved, replaced and pruned; BETA goes (`ensure: absent`); GAMMA moves
/// to an existing organisation (a replacement).
fn every_change(dir: &Path, v2: bool) {
    let mut yaml = String::from(TEMPLATE);
    let packages = if v2 {
        "[webex_calling, common_area_calling, attendant_console]"
    } else {
        "[webex_calling, common_area_calling]"
    };
    yaml.push_str(&format!(
        r#"---
apiVersion: telform/v1
kind: Customer
metadata: {{name: alpha}}
spec:
  template: fr-smb-calling
  externalId: ALPHA-0001
  companyName: Alpha SARL
  adminEmail: admin@alpha.example
  language: fr_FR
  country: FR
  supportedLocationVerified: true
  packages: {packages}
  headquarters:
    name: Siège
    address: {{line1: 1 rue de Rivoli, city: Paris, postalCode: "75001", country: FR}}
    timezone: Europe/Paris
    language: fr_fr
  prune: true
"#
    ));
    let location = |name: &str, line1: &str, numbers: &str| {
        format!(
            r#"---
apiVersion: telform/v1
kind: Location
metadata: {{name: alpha-{}}}
spec:
  customer: ALPHA-0001
  name: {name}
  address: {{line1: {line1}, city: Lille, state: Hauts-de-France, postalCode: "59000", country: FR}}
  timezone: Europe/Paris
  language: fr_fr
  announcementLanguage: fr_fr
  numbers: {numbers}
"#,
            name.to_lowercase()
        )
    };
    if v2 {
        // Nord's address changes, +33320990002 moves to Sud, +33491990001 and Est go.
        yaml.push_str(&location("Nord", "3 place du Théâtre", r#"["+33320990001"]"#));
        yaml.push_str(&location("Sud", "9 rue Paradis", r#"["+33320990002"]"#));
    } else {
        yaml.push_str(&location(
            "Nord",
            "2 place du Théâtre",
            r#"["+33320990001", "+33320990002"]"#,
        ));
        yaml.push_str(&location("Sud", "9 rue Paradis", r#"["+33491990001"]"#));
        yaml.push_str(&location("Est", "1 rue de Metz", "[]"));
    }
    let user = |i: usize, location: &str, extra: &str| {
        format!(
            r#"---
apiVersion: telform/v1
kind: User
metadata: {{name: alpha-u{i}}}
spec:
  customer: ALPHA-0001
  email: user{i}@alpha.example
  firstName: User
  lastName: Number{i}
  package: webex_calling
  location: {location}
{extra}"#
        )
    };
    yaml.push_str(&user(
        0,
        "Siège",
        if v2 {
            "  extension: \"2100\"\n"
        } else {
            "  extension: \"2000\"\n"
        },
    ));
    yaml.push_str(&user(
        1,
        "Nord",
        "  phoneNumber: \"+33320990001\"\n  extension: \"2001\"\n",
    ));
    if v2 {
        yaml.push_str(&user(3, "Sud", "  extension: \"2003\"\n"));
    } else {
        yaml.push_str(&user(2, "Sud", "  extension: \"2002\"\n"));
    }
    let workspace = |name: &str, location: &str, license: &str, capacity: u32, extension: &str| {
        format!(
            r#"---
apiVersion: telform/v1
kind: Workspace
metadata: {{name: alpha-{}}}
spec:
  customer: ALPHA-0001
  name: {name}
  roomType: meetingRoom
  capacity: {capacity}
  license: {license}
  location: {location}
  extension: "{extension}"
"#,
            name.to_lowercase().replace(' ', "-")
        )
    };
    yaml.push_str(&workspace(
        "Salle A",
        "Nord",
        "professional",
        if v2 { 10 } else { 8 },
        "3000",
    ));
    yaml.push_str(&workspace(
        "Salle B",
        if v2 { "Sud" } else { "Nord" },
        "professional",
        4,
        "3001",
    ));
    if !v2 {
        yaml.push_str(&workspace("Salle C", "Siège", "commonArea", 2, "3002"));
    }
    let device = |i: usize, mac: &str, model: &str, owner: &str, extra: &str| {
        format!(
            r#"---
apiVersion: telform/v1
kind: Device
metadata: {{name: alpha-d{i}}}
spec:
  customer: ALPHA-0001
  mac: "{mac}"
  model: {model}
  owner: {owner}
{extra}"#
        )
    };
    let shared = if v2 {
        "  sharedWith: [{user: user1@alpha.example}, {user: user3@alpha.example}]\n"
    } else {
        "  sharedWith: [{user: user1@alpha.example}]\n"
    };
    let fleet_password = "  sipPassword: {fromEnv: GEN_SIP_PASSWORD}\n";
    yaml.push_str(&device(
        0,
        "02EF00000000",
        "Yealink T54W",
        "{user: user0@alpha.example}",
        &format!("{shared}{fleet_password}"),
    ));
    yaml.push_str(&device(
        1,
        "02EF00000001",
        if v2 { "Yealink T54W" } else { "Poly VVX 450" },
        "{user: user1@alpha.example}",
        fleet_password,
    ));
    if !v2 {
        yaml.push_str(&device(
            2,
            "02EF00000002",
            "Yealink T54W",
            "{user: user2@alpha.example}",
            fleet_password,
        ));
    }
    let rotation = if v2 { 1 } else { 0 };
    yaml.push_str(&device(
        3,
        "02EF00000003",
        "Yealink T54W",
        "{workspace: Salle A}",
        &format!("  sipPassword: {{fromEnv: GEN_SIP_PASSWORD, rotation: {rotation}}}\n"),
    ));

    yaml.push_str(&customer_yaml("BETA-0002"));
    if v2 {
        // Its user goes with it (the plan deletes everything in its organisation first).
        yaml.push_str("  ensure: absent\n");
    } else {
        yaml.push_str(&user_yaml("BETA-0002", 0, "Siège"));
    }
    if v2 {
        // An organisation attached keeps its own name, so the manifest says it (a company name
        // that differs from the organisation's is refused at plan).
        let gamma = customer_yaml("GAMMA-0003");
        assert!(gamma.contains("  companyName: GAMMA-0003 SARL\n"), "{gamma}");
        yaml.push_str(&gamma.replace(
            "  companyName: GAMMA-0003 SARL\n",
            "  companyName: Globex Belgique SA\n",
        ));
        yaml.push_str(&format!("  orgId: {SPARE_ORG}\n"));
    } else {
        yaml.push_str(&customer_yaml("GAMMA-0003"));
    }
    // What GAMMA holds goes with its old organisation: made again in the new one.
    yaml.push_str(&user_yaml("GAMMA-0003", 0, "Siège"));
    yaml.push_str(&device_yaml("GAMMA-0003", 0, "02EF00000100"));
    std::fs::write(dir.join("customers.yaml"), yaml).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_change_applies_and_converges() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    every_change(dir.path(), false);
    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    assert!(webex_actions(&plan(dir.path(), &env).await).is_empty());

    every_change(dir.path(), true);
    let planned = plan(dir.path(), &env).await;
    let ops: BTreeSet<(String, String)> = webex_actions(&planned)
        .iter()
        .map(|a| (a.object.kind.to_string(), format!("{:?}", a.op)))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("Customer", "Update"),
        ("Customer", "Replace"),
        ("Customer", "Delete"),
        ("Location", "Update"),
        ("Location", "Delete"),
        ("Number", "Replace"),
        ("Number", "Delete"),
        ("User", "Create"),
        ("User", "Update"),
        ("User", "Delete"),
        ("Workspace", "Update"),
        ("Workspace", "Replace"),
        ("Workspace", "Delete"),
        ("Device", "Create"),
        ("Device", "Update"),
        ("Device", "Replace"),
        ("Device", "Delete"),
    ]
    .iter()
    .map(|(k, o)| (k.to_string(), o.to_string()))
    .collect();
    assert_eq!(ops, expected, "the second version asks for every kind of change");
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    let shown = report::text(&outcomes);
    assert!(outcomes.iter().all(|o| o.status == Status::Done), "{shown}");
    let left = webex_actions(&plan(dir.path(), &env).await);
    assert!(left.is_empty(), "{left:#?}\n{shown}");

    // Read back what the plan cannot see: the lines of Jeanne-like device 0, and GAMMA's
    // organisation.
    let after = plan(dir.path(), &env).await;
    let client = after.webex.as_ref().expect("client");
    let customers = client.list_customers().await.expect("customers");
    assert!(customers.iter().all(|c| c.external_id != "BETA-0002"), "BETA is gone");
    let gamma = customers.iter().find(|c| c.external_id == "GAMMA-0003").expect("GAMMA");
    assert_eq!(gamma.org_id.as_deref(), Some(SPARE_ORG));
    let users = client.list_subscribers(gamma).await.expect("subscribers");
    assert_eq!(users.len(), 1, "GAMMA's user, made again: {users:#?}");
    assert!(devices_of(client, "GAMMA-0003").await.contains_key("02EF00000100"));
    let devices = devices_of(client, "ALPHA-0001").await;
    assert!(!devices.contains_key("02EF00000002"), "pruned");
    assert_eq!(devices["02EF00000001"].product.as_deref(), Some("Yealink T54W"));
    assert!(
        devices["02EF00000003"]
            .tags
            .contains(&"telform-sip-rotation=1".to_string())
    );
    let org = devices["02EF00000000"].org_id.clone().unwrap_or_default();
    let lines = client
        .device_members("ALPHA-0001", &org, &devices["02EF00000000"])
        .await
        .expect("lines");
    assert_eq!(lines.members.len(), 3, "{lines:#?}");
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_reports_what_it_did_and_the_next_one_finishes() {
    // Slow answers, so that the stop comes in the middle.
    let (emulator, env) = start("latency=2ms..4ms", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    fleet(dir.path(), 2, 40);
    let planned = plan(dir.path(), &env).await;
    let client = planned.webex.as_ref().expect("client");
    let actions = webex_actions(&planned);
    let lookup = |key: &str| env.get(key).cloned();
    let run = Run {
        options: options(),
        stop: Stop::default(),
        progress: Progress::hidden(),
        secrets: Secrets::resolve(&actions, dir.path(), &lookup, &SecretPolicy::default(), None).expect("secrets"),
    };
    // Ctrl-C once Webex has served 80 requests (the plan's reads included): customers made,
    // users and devices half way.
    let stop = run.stop.clone();
    let served = || emulator.app.webex_requests.load(std::sync::atomic::Ordering::Relaxed);
    let before = served();
    let (outcomes, ()) = tokio::join!(telform::apply::webex::apply(client, actions.clone(), &run), async {
        let started = std::time::Instant::now();
        // Bounded, so that a test gone wrong fails instead of hanging.
        while served() < before + 80 && started.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        stop.request();
    });
    let done = outcomes.iter().filter(|o| o.status == Status::Done).count();
    let interrupted = outcomes
        .iter()
        .filter(|o| matches!(&o.status, Status::Skipped { because } if because.contains("interrupted")))
        .count();
    assert_eq!(
        done + interrupted,
        actions.len(),
        "nothing failed:\n{}",
        report::text(&outcomes)
    );
    assert!(
        done > 0 && interrupted > 0,
        "the stop came in the middle: {done} done, {interrupted} interrupted"
    );

    let planned = plan(dir.path(), &env).await;
    assert_eq!(
        webex_actions(&planned).len(),
        interrupted,
        "what was done is not planned again"
    );
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    assert!(webex_actions(&plan(dir.path(), &env).await).is_empty());
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_waited_out_as_retry_after_says() {
    let (emulator, env) = start("seed=11,429=0.15,retry-after=1,only=webex", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Two customers: two branches, whose 429s may come at the same time.
    let branches = 2;
    fleet(dir.path(), branches, 3);
    let planned = plan(dir.path(), &env).await;
    let (_, _, retries_before) = planned.webex.as_ref().expect("client").stats.snapshot();
    let started = std::time::Instant::now();
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    let elapsed = started.elapsed();
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    let (_, _, retries) = planned.webex.as_ref().expect("client").stats.snapshot();
    let limited = retries - retries_before;
    assert!(limited > 0, "the apply met a 429");
    // Each 429 holds its branch back for its second (the gate holds the other branches too;
    // the polls of the provisioning do not count as retries). Inside a branch the calls follow
    // one another, so the 429s of one branch never overlap; two branches' 429s may (then one
    // pause serves both): the busiest branch waited at least its share.
    let share = limited.div_ceil(branches as u64);
    assert!(
        elapsed >= Duration::from_secs(share),
        "{limited} 429s over {branches} branches in {elapsed:?}"
    );
    assert!(webex_actions(&plan(dir.path(), &env).await).is_empty());
    emulator.shutdown().await.expect("shutdown");
}

/// A writer of the test's own, standing for someone else working on the same organisation.
async fn someone_else<T>(client: &WebexClient, write: impl AsyncFnOnce(&WebexWriter<'_>) -> T) -> T {
    let gate = Gate::default();
    let stop = Stop::default();
    let quiet = |_: &str| {};
    let writer = WebexWriter::new(client, &gate, Options::default().budget, &stop, &quiet);
    write(&writer).await
}

/// The organisation of a customer, and its users' person ids by email.
async fn org_of(client: &WebexClient, ext: &str) -> (String, HashMap<String, String>) {
    let customers = client.list_customers().await.expect("customers");
    let customer = customers.iter().find(|c| c.external_id == ext).expect("the customer");
    let people = client
        .list_subscribers(customer)
        .await
        .expect("subscribers")
        .into_iter()
        .filter_map(|s| Some((s.email.to_lowercase(), s.person_id?)))
        .collect();
    (customer.org_id.clone().expect("provisioned"), people)
}

fn desired_body(planned: &Planned, kind: &str, key: &str) -> serde_json::Value {
    webex_actions(planned)
        .iter()
        .find(|a| a.object.kind.as_str() == kind && a.object.key == key)
        .and_then(|a| a.desired.as_ref())
        .map(|d| d["body"].clone())
        .unwrap_or_else(|| panic!("no desired body for {kind} {key}"))
}

fn annexe_yaml(ext: &str, name: &str) -> String {
    format!(
        r#"---
apiVersion: telform/v1
kind: Location
metadata: {{name: {}}}
spec:
  customer: {ext}
  name: {name}
  address: {{line1: 2 rue du Port, city: Nantes, state: Pays de la Loire, postalCode: "44000", country: FR}}
  timezone: Europe/Paris
  language: fr_fr
  announcementLanguage: fr_fr
"#,
        name.to_lowercase().replace(' ', "-")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_met_by_an_object_made_since_the_plan_is_compared_never_overwritten() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    fleet(dir.path(), 1, 2);
    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );

    // Two new locations and a second phone for user0 are planned...
    let ext = "FLEET-000";
    let mut yaml = std::fs::read_to_string(dir.path().join("fleet.yaml")).expect("fleet");
    yaml.push_str(&annexe_yaml(ext, "Annexe"));
    yaml.push_str(&annexe_yaml(ext, "Annexe B"));
    yaml.push_str(&device_yaml(ext, 0, "02AB00FF0000").replace("fleet-000-d0", "fleet-000-d0b"));
    std::fs::write(dir.path().join("fleet.yaml"), yaml).expect("write");
    let planned = plan(dir.path(), &env).await;
    assert_eq!(webex_actions(&planned).len(), 3, "{:#?}", webex_actions(&planned));

    // ...and made by someone else before apply: Annexe as planned, Annexe B in another time
    // zone, the phone for another user.
    let client = planned.webex.as_ref().expect("client");
    let (org, people) = org_of(client, ext).await;
    let annexe = desired_body(&planned, "Location", "Annexe");
    let mut annexe_b = desired_body(&planned, "Location", "Annexe B");
    annexe_b["timeZone"] = "Europe/London".into();
    let mut phone = desired_body(&planned, "Device", "02AB00FF0000");
    phone["personId"] = people["user1@fleet-000.example"].clone().into();
    let password = secrecy::SecretString::from("Someone-Elses-Pass-9q");
    someone_else(client, async |w| {
        w.create_location(ext, &org, &annexe).await.expect("Annexe");
        w.create_location(ext, &org, &annexe_b).await.expect("Annexe B");
        w.create_device(ext, &org, &phone, Some(&password))
            .await
            .expect("the phone");
    })
    .await;

    let outcomes = apply(&planned, dir.path(), &env, None).await;
    let shown = report::text(&outcomes);
    let same = find(&outcomes, "Location", "Annexe");
    assert_eq!(same.status, Status::Unchanged, "{shown}");
    assert!(
        same.detail.as_deref().unwrap_or_default().contains("existed already"),
        "{shown}"
    );
    for (kind, key, field) in [
        ("Location", "Annexe B", "timeZone"),
        ("Device", "02AB00FF0000", "personId"),
    ] {
        let Status::Failed { reason } = &find(&outcomes, kind, key).status else {
            panic!("{kind} {key} made differently by someone else fails:\n{shown}");
        };
        assert!(
            reason.contains("created by someone else since the plan") && reason.contains(field),
            "{reason}"
        );
        assert!(reason.contains("run `telform plan` again"), "{reason}");
    }
    // Nothing was overwritten.
    let locations = client.list_locations(ext, &org).await.expect("locations");
    let b = locations.iter().find(|l| l.name == "Annexe B").expect("Annexe B");
    assert_eq!(b.time_zone.as_deref(), Some("Europe/London"));
    let devices = devices_of(client, ext).await;
    assert_eq!(
        devices["02AB00FF0000"].person_id.as_deref(),
        Some(people["user1@fleet-000.example"].as_str())
    );
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_password_is_kept_even_when_the_lines_fail_after_the_device_was_added() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    fleet(dir.path(), 1, 2);
    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );

    // A new phone for user0, with a generated password and user1's line...
    let ext = "FLEET-000";
    let mac = "02AB00FF0001";
    let mut yaml = std::fs::read_to_string(dir.path().join("fleet.yaml")).expect("fleet");
    yaml.push_str(&device_yaml_with(ext, 0, mac, GENERATED).replace("fleet-000-d0", "fleet-000-d0c"));
    yaml.push_str("  sharedWith: [{user: user1@fleet-000.example}]\n");
    std::fs::write(dir.path().join("fleet.yaml"), yaml).expect("write");
    let planned = plan(dir.path(), &env).await;
    assert_eq!(webex_actions(&planned).len(), 1, "{:#?}", webex_actions(&planned));

    // ...and user1 deleted behind telform's back: the phone is added, its lines cannot be set.
    let client = planned.webex.as_ref().expect("client");
    let customers = client.list_customers().await.expect("customers");
    let customer = customers.iter().find(|c| c.external_id == ext).expect("customer");
    let user1 = client
        .list_subscribers(customer)
        .await
        .expect("subscribers")
        .into_iter()
        .find(|s| s.email == "user1@fleet-000.example")
        .expect("user1");
    someone_else(client, async |w| {
        w.delete_subscriber(ext, &user1.id, &user1.email)
            .await
            .expect("deleted");
    })
    .await;

    let out = dir.path().join("secrets.tsv");
    let outcomes = apply(&planned, dir.path(), &env, Some(&out)).await;
    let Status::Failed { reason } = &outcomes[0].status else {
        panic!("the lines fail:\n{}", report::text(&outcomes));
    };
    assert!(reason.contains("shared lines could not be set"), "{reason}");
    assert!(reason.contains("generated password written to"), "{reason}");
    let lines = secrets_lines(&[out]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].0.as_str(), lines[0].1.as_str()), (ext, mac));
    assert!(!reason.contains(&lines[0].2), "no password in the reason");
    let devices = devices_of(client, ext).await;
    assert!(
        devices[mac].tags.contains(&"telform-sip-rotation=0".to_string()),
        "the rotation is recorded too: {:?}",
        devices[mac].tags
    );
    emulator.shutdown().await.expect("shutdown");
}

/// A Webex that answers every call 429 with `Retry-After: 60`.
async fn always_rate_limited() -> (String, tokio::task::JoinHandle<()>) {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = axum::Router::new().fallback(|| async {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60"), (header::CONTENT_TYPE, "application/json")],
            r#"{"message": "Too many requests"}"#,
        )
            .into_response()
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_ends_the_wait_for_a_rate_limit_and_nothing_is_written() {
    let (url, server) = always_rate_limited().await;
    let client = WebexClient::new(telform::provider::config::WebexConfig {
        url,
        token: secrecy::SecretString::from("token"),
    })
    .expect("client");
    let action = |ext: &str| Action {
        op: Op::Create,
        object: telform::model::plan::ObjectRef::new(ProviderName::Webex, ObjectKind::Customer, ext, ext),
        source: None,
        changes: Vec::new(),
        reason: None,
        desired: Some(serde_json::json!({"body": {"externalId": ext, "packages": ["webex_calling"]}, "refs": {}})),
        number: None,
    };
    let actions = vec![action("RL-1"), action("RL-2")];
    let run = Run {
        options: options(),
        stop: Stop::default(),
        progress: Progress::hidden(),
        secrets: Secrets::none(),
    };
    let stop = run.stop.clone();
    let started = std::time::Instant::now();
    let (outcomes, ()) = tokio::join!(telform::apply::webex::apply(&client, actions, &run), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.request();
    });
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "the 60 s Retry-After outlasted Ctrl-C: {elapsed:?}"
    );
    for o in &outcomes {
        assert_eq!(
            o.status,
            Status::Skipped {
                because: "apply was interrupted before it started".into()
            },
            "a 429 is not a write: {}",
            report::text(&outcomes)
        );
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_ends_the_wait_for_provisioning_the_customer_done_its_children_not_started() {
    let (emulator, env) = start("", |s| s.timing.webex_provisioning_delay = Duration::from_secs(60)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    fleet(dir.path(), 1, 2);
    let planned = plan(dir.path(), &env).await;
    let client = planned.webex.as_ref().expect("client");
    let actions = webex_actions(&planned);
    let lookup = |key: &str| env.get(key).cloned();
    let run = Run {
        options: Options {
            poll_interval: Duration::from_millis(50),
            async_timeout: Duration::from_secs(120),
            ..Options::default()
        },
        stop: Stop::default(),
        progress: Progress::hidden(),
        secrets: Secrets::resolve(&actions, dir.path(), &lookup, &SecretPolicy::default(), None).expect("secrets"),
    };
    let stop = run.stop.clone();
    let started = std::time::Instant::now();
    let (outcomes, ()) = tokio::join!(telform::apply::webex::apply(client, actions.clone(), &run), async {
        // Polls at 50, 100, 200, 400 ms...: the stop comes while the customer provisions.
        tokio::time::sleep(Duration::from_millis(700)).await;
        stop.request();
    });
    let elapsed = started.elapsed();
    let shown = report::text(&outcomes);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}\n{shown}");
    let customer = find(&outcomes, "Customer", "FLEET-000");
    assert_eq!(customer.status, Status::Done, "{shown}");
    assert_eq!(
        customer.detail.as_deref(),
        Some("provisioning still in progress when apply was interrupted"),
        "{shown}"
    );
    assert!(
        outcomes[1..]
            .iter()
            .all(|o| matches!(&o.status, Status::Skipped { because } if because.contains("interrupted"))),
        "{shown}"
    );
    emulator.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_reads_every_page_and_matches_the_name_exactly() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    fleet(dir.path(), 1, 1);
    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    let client = planned.webex.as_ref().expect("client");
    let (org, _) = org_of(client, "FLEET-000").await;
    // 1,050 workspaces whose names contain `Room` (Webex's filter is a substring match, at
    // most 1,000 per page), then `Room` itself.
    let ext = "FLEET-000";
    let made = someone_else(client, async |w| {
        for i in 0..1050 {
            let body = serde_json::json!({"displayName": format!("A Room {i:04}"), "orgId": org});
            w.create_workspace(ext, &org, &body).await.expect("workspace");
        }
        let body = serde_json::json!({"displayName": "Room", "orgId": org});
        let room = w.create_workspace(ext, &org, &body).await.expect("Room");
        let found = w.find_workspace(ext, &org, "ROOM").await.expect("lookup");
        (room, found)
    })
    .await;
    let (room, found) = made;
    assert_eq!(
        found.map(|w| w.id),
        Some(room.get().id.clone()),
        "found on the second page, by its exact name"
    );
    let missing = someone_else(client, async |w| w.find_workspace(ext, &org, "Room 9").await).await;
    assert!(missing.expect("lookup").is_none(), "a substring is no match");
    emulator.shutdown().await.expect("shutdown");
}

/// FLEET customers, and per customer its users' emails and its devices' MACs, as listed by
/// the API (duplicates kept, so that a test can count them).
pub(crate) async fn fleet_contents(client: &WebexClient) -> Vec<(String, Vec<String>, Vec<String>)> {
    let customers = client.list_customers().await.expect("customers");
    let mut contents = Vec::new();
    for c in customers.iter().filter(|c| c.external_id.starts_with("FLEET-")) {
        let emails = match c.org_id {
            Some(_) => client
                .list_subscribers(c)
                .await
                .expect("subscribers")
                .into_iter()
                .map(|s| s.email.to_lowercase())
                .collect(),
            None => Vec::new(),
        };
        let macs = match c.org_id.as_deref() {
            Some(org) => client
                .list_devices(&c.external_id, org)
                .await
                .expect("devices")
                .into_iter()
                .filter_map(|d| d.mac)
                .collect(),
            None => Vec::new(),
        };
        contents.push((c.external_id.clone(), emails, macs));
    }
    contents
}

#[test]
fn a_kill_9_during_apply_then_a_new_apply_converges_without_duplicates() {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    let (runtime, emulator, env) = crate::emulator_on_runtime(seed, "latency=20ms,only=webex");
    let env: HashMap<String, String> = env.into_iter().collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let (customers, users) = (3, 40);
    fleet_with(dir.path(), customers, users, |_| GENERATED);
    let client = WebexClient::new(telform::provider::config::WebexConfig {
        url: env["TELFORM_WEBEX_URL"].clone(),
        token: secrecy::SecretString::from(env["TELFORM_WEBEX_TOKEN"].clone()),
    })
    .expect("client");
    let total = customers * users;
    // A random point: once 1 to half of the devices exist (customers and users made before
    // them); the other half leaves time for the kill to land while devices are still made.
    let random = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().elapsed().map_or(0, |d| d.as_nanos()));
        h.finish() as usize
    };
    // TELFORM_TEST_KILL_AT replays a run.
    let kill_at = std::env::var("TELFORM_TEST_KILL_AT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 + random % (total / 2));
    eprintln!("kill -9 once {kill_at} of {total} devices exist (TELFORM_TEST_KILL_AT={kill_at})");

    let telform_cmd = |args: &[&str]| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("telform"));
        cmd.current_dir(dir.path()).env("NO_COLOR", "1").args(args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd
    };
    let mut child = telform_cmd(&["apply", "--auto-approve", "--secrets-out", "first.tsv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let count = || -> usize {
        runtime
            .block_on(fleet_contents(&client))
            .iter()
            .map(|(_, _, macs)| macs.len())
            .sum()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while count() < kill_at && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // A request the process sent before it died is still served (after the 20 ms latency).
    std::thread::sleep(Duration::from_millis(300));
    let partial = count();
    eprintln!("killed with {partial} devices made");
    assert!(
        partial >= kill_at && partial < total,
        "the kill must come in the middle: {partial} of {total} devices"
    );

    let applied = telform_cmd(&["apply", "--auto-approve", "--secrets-out", "second.tsv"])
        .output()
        .expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}\n{}",
        text(&applied.stdout),
        text(&applied.stderr)
    );
    let planned = telform_cmd(&["plan", "--detailed-exitcode"]).output().expect("runs");
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stdout));

    // Every customer, user and device once.
    let contents = runtime.block_on(fleet_contents(&client));
    let externals: BTreeSet<&str> = contents.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(
        (contents.len(), externals.len()),
        (customers, customers),
        "{externals:?}"
    );
    for (ext, emails, macs) in &contents {
        let unique: BTreeSet<&String> = emails.iter().collect();
        assert_eq!((emails.len(), unique.len()), (users, users), "{ext}: {emails:?}");
        let unique: BTreeSet<&String> = macs.iter().collect();
        assert_eq!((macs.len(), unique.len()), (users, users), "{ext}: {macs:?}");
    }
    // Every device's password is on record exactly once: the second apply generated those of
    // the devices it added, and set again those the killed one had set but not kept (the
    // store's journal, docs/store.md). Only MACs are printed: the lines hold passwords.
    let kept = secrets_lines(&[dir.path().join("first.tsv"), dir.path().join("second.tsv")]);
    let macs: Vec<&str> = kept.iter().map(|(_, mac, _)| mac.as_str()).collect();
    let unique: BTreeSet<&str> = macs.iter().copied().collect();
    assert_eq!((macs.len(), unique.len()), (total, total), "{macs:?}");
    let second = secrets_lines(&[dir.path().join("second.tsv")]);
    assert!(
        second.len() >= total - partial,
        "{} < {}",
        second.len(),
        total - partial
    );
    runtime.block_on(emulator.shutdown()).expect("shutdown");
}

/// A customer with a meeting room `Salle A` (at `location`), and a phone the room owns (a
/// generated password) that shows user0's line.
fn room_with_phones(dir: &Path, location: &str) {
    let ext = "FLEET-000";
    let mut yaml = String::from(TEMPLATE);
    yaml.push_str(&customer_yaml(ext));
    yaml.push_str(&annexe_yaml(ext, "Annexe"));
    yaml.push_str(&user_yaml(ext, 0, "Siège"));
    yaml.push_str(&device_yaml(ext, 0, "02AB00000000"));
    yaml.push_str(&format!(
        r#"---
apiVersion: telform/v1
kind: Workspace
metadata: {{name: salle-a}}
spec:
  customer: {ext}
  name: Salle A
  roomType: meetingRoom
  capacity: 8
  license: professional
  location: {location}
  extension: "3000"
---
apiVersion: telform/v1
kind: Device
metadata: {{name: salle-a-phone}}
spec:
  customer: {ext}
  mac: "02AB000000FF"
  model: Yealink T54W
  owner: {{workspace: Salle A}}
  sharedWith: [{{user: user0@fleet-000.example}}]
  sipPassword: {GENERATED}
"#
    ));
    std::fs::write(dir.join("fleet.yaml"), yaml).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_workspace_gets_its_phones_and_lines_back_in_the_same_apply() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    room_with_phones(dir.path(), "Siège");
    let planned = plan(dir.path(), &env).await;
    let first = dir.path().join("first.tsv");
    let outcomes = apply(&planned, dir.path(), &env, Some(&first)).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    assert!(webex_actions(&plan(dir.path(), &env).await).is_empty());

    // The room moves to Annexe: Webex makes it again, and its phone goes with the old one.
    room_with_phones(dir.path(), "Annexe");
    let planned = plan(dir.path(), &env).await;
    let actions = webex_actions(&planned);
    let listed: Vec<(Op, &str)> = actions.iter().map(|a| (a.op, a.object.key.as_str())).collect();
    let at = |op: Op, key: &str| {
        listed
            .iter()
            .position(|l| *l == (op, key))
            .unwrap_or_else(|| panic!("no {op:?} {key}: {listed:?}"))
    };
    // The room's phone is added again after the room (with a new password and its line).
    assert!(
        at(Op::Replace, "Salle A") < at(Op::Create, "02AB000000FF"),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    let second = dir.path().join("second.tsv");
    let outcomes = apply(&planned, dir.path(), &env, Some(&second)).await;
    let shown = report::text(&outcomes);
    assert!(outcomes.iter().all(|o| o.status == Status::Done), "{shown}");

    let client = planned.webex.as_ref().expect("client");
    let devices = devices_of(client, "FLEET-000").await;
    let workspaces = client
        .list_workspaces(
            "FLEET-000",
            devices["02AB000000FF"].org_id.as_deref().unwrap_or_default(),
        )
        .await
        .expect("workspaces");
    let room = workspaces
        .iter()
        .find(|w| w.display_name == "Salle A")
        .expect("the room");
    assert_eq!(
        devices["02AB000000FF"].workspace_id.as_deref(),
        Some(room.id.as_str()),
        "the phone is back, owned by the new room"
    );
    let lines = secrets_lines(&[second]);
    assert_eq!(lines.len(), 1, "the room's phone has a new password: {lines:?}");
    assert_eq!(lines[0].1, "02AB000000FF");
    let org = devices["02AB000000FF"].org_id.clone().unwrap_or_default();
    let members = client
        .device_members("FLEET-000", &org, &devices["02AB000000FF"])
        .await
        .expect("lines");
    assert_eq!(members.members.len(), 2, "the room's line and user0's: {members:#?}");
    let left = webex_actions(&plan(dir.path(), &env).await);
    assert!(left.is_empty(), "{left:#?}\n{shown}");
    emulator.shutdown().await.expect("shutdown");
}

/// A customer and a meeting room with the licence `license` (`professional`, `commonArea`).
fn licensed_room(dir: &Path, license: &str) {
    let ext = "LICENCE-001";
    let mut yaml = String::from(TEMPLATE);
    yaml.push_str(&customer_yaml(ext).replace(
        "packages: [webex_calling]",
        "packages: [webex_calling, common_area_calling]",
    ));
    yaml.push_str(&format!(
        r#"---
apiVersion: telform/v1
kind: Workspace
metadata: {{name: salle-l}}
spec:
  customer: {ext}
  name: Salle L
  roomType: meetingRoom
  capacity: 6
  license: {license}
  location: Siège
  extension: "3100"
"#
    ));
    std::fs::write(dir.join("licence.yaml"), yaml).expect("write");
}

/// The customer list carries no licence ids (the spec declares `includePackageLicenseInfo` on
/// the single GET only): the plan reads them by id, so a workspace's licence is compared and
/// a change of licence is planned, applied, and converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_licence_change_is_planned_and_converges() {
    let (emulator, env) = start("", |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    licensed_room(dir.path(), "professional");
    let planned = plan(dir.path(), &env).await;
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    assert!(webex_actions(&plan(dir.path(), &env).await).is_empty());

    licensed_room(dir.path(), "commonArea");
    let planned = plan(dir.path(), &env).await;
    let actions = webex_actions(&planned);
    let change = actions
        .iter()
        .filter(|a| a.object.kind == ObjectKind::Workspace)
        .flat_map(|a| a.changes().into_owned())
        .find(|c| c.path == "license")
        .unwrap_or_else(|| panic!("no licence change planned: {actions:#?}"));
    assert_eq!(
        (change.old.clone(), change.new.clone()),
        (
            Some(serde_json::json!("professional")),
            Some(serde_json::json!("commonArea"))
        )
    );
    let outcomes = apply(&planned, dir.path(), &env, None).await;
    assert!(
        outcomes.iter().all(|o| o.status == Status::Done),
        "{}",
        report::text(&outcomes)
    );
    let after = plan(dir.path(), &env).await;
    assert!(webex_actions(&after).is_empty(), "{:#?}", webex_actions(&after));
    emulator.shutdown().await.expect("shutdown");
}
