//! Plans that tell the whole truth (issue #13): each defect found field by field against the
//! emulator, as an apply-then-empty-plan test named after it.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use telform::emulator::seed;

use crate::root;

fn start() -> (
    tokio::runtime::Runtime,
    telform::emulator::Emulator,
    Vec<(String, String)>,
) {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(20);
    crate::emulator_on_runtime(seed, "")
}

fn telform(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

fn both(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Applies, expecting success.
fn apply(dir: &Path, env: &[(String, String)]) -> String {
    apply_with(dir, env, &[])
}

fn apply_with(dir: &Path, env: &[(String, String)], more: &[&str]) -> String {
    let out = telform(dir, env, &[&["apply", "--auto-approve"], more].concat());
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    both(&out)
}

/// Plans, expecting "No changes" (exit 0 with `--detailed-exitcode`).
fn assert_converged(dir: &Path, env: &[(String, String)]) {
    let out = telform(dir, env, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "not converged:\n{}", both(&out));
    assert!(both(&out).contains("No changes."), "{}", both(&out));
}

/// A folder with the settings of examples/ and `files` as manifests.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(root().join("examples/telform.yaml"), dir.path().join("telform.yaml")).expect("copy");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// The ACG half of examples/ in a temporary folder.
fn acg_examples() -> tempfile::TempDir {
    let dir = folder(&[]);
    let acg = dir.path().join("acg");
    std::fs::create_dir(&acg).expect("mkdir");
    for entry in std::fs::read_dir(root().join("examples/acg")).expect("examples") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), acg.join(entry.file_name())).expect("copy");
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn consent_ticket_removed_converges_in_one_apply() {
    let (_rt, _emulator, env) = start();
    let dir = acg_examples();
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);

    // Contoso's consent has a ticket id and no reason: removing it clears the comment.
    edit(&dir.path().join("acg/contoso.yaml"), "  ticketId: CHG-2024-0117\n", "");
    let plan = telform(dir.path(), &env, &["plan"]);
    assert!(both(&plan).contains("comment"), "{}", both(&plan));
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);
}

#[test]
fn consent_reason_removed_converges_in_one_apply() {
    let (_rt, _emulator, env) = start();
    let dir = acg_examples();
    let file = dir.path().join("acg/contoso.yaml");
    edit(
        &file,
        "  ticketId: CHG-2024-0117\n",
        "  reason: Signed at the kick-off meeting.\n",
    );
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);
    edit(&file, "  reason: Signed at the kick-off meeting.\n", "");
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);
}

const ACCOUNT_WITH_NUMBERS: &str = "apiVersion: telform/v1
kind: Account
metadata: {name: gone-soon}
spec:
  services:
    directRouting: {enabled: true}
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: gone-soon-numbers}
spec:
  account: gone-soon
  service: directRouting
  ranges:
    - {from: \"+442070990000\", to: \"+442070990009\"}
";

#[test]
fn account_and_its_number_set_absent_are_deleted_in_one_apply() {
    let (_rt, _emulator, env) = start();
    let dir = folder(&[("acg/gone.yaml", ACCOUNT_WITH_NUMBERS)]);
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);

    let file = dir.path().join("acg/gone.yaml");
    edit(&file, "  services:\n", "  ensure: absent\n  services:\n");
    edit(
        &file,
        "  service: directRouting\n",
        "  service: directRouting\n  ensure: absent\n",
    );
    let out = apply(dir.path(), &env);
    assert!(!out.contains("changed by someone else"), "{out}");
    assert_converged(dir.path(), &env);
}

/// The demo seed with fast provisioning, and the passwords examples/webex takes from the
/// environment.
fn start_webex() -> (
    tokio::runtime::Runtime,
    telform::emulator::Emulator,
    Vec<(String, String)>,
) {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    let (rt, emulator, mut env) = crate::emulator_on_runtime(seed, "");
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), "Jupiter-Table-7f3k9q".into()));
    env.push(("ACME_CBERNARD_SIP_PASSWORD".into(), "Cbernard-Desk-2m8x4z".into()));
    (rt, emulator, env)
}

/// The Webex half of examples/ in a temporary folder, with its `fromFile` secret.
fn webex_examples() -> tempfile::TempDir {
    let dir = folder(&[("secrets/acme-accueil-phone.sip", "Accueil-Phone-5t1w6y\n")]);
    copy_dir(&root().join("examples/webex"), &dir.path().join("webex"));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Starts keeping the emulator's journal of writes.
fn record(emulator: &telform::emulator::Emulator) {
    *telform::emulator::App::lock(&emulator.app.journal) = Some(Vec::new());
}

/// The writes received since `record`, as (method, path, body).
fn written(emulator: &telform::emulator::Emulator) -> Vec<telform::emulator::Written> {
    telform::emulator::App::lock(&emulator.app.journal)
        .clone()
        .unwrap_or_default()
}

#[test]
fn workspace_capacity_changed_sends_no_calling() {
    let (_rt, emulator, env) = start_webex();
    let dir = webex_examples();
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    apply_with(dir.path(), &env, &["--secrets-out", secrets.to_str().expect("utf-8")]);
    assert_converged(dir.path(), &env);

    // Salle Jupiter holds two devices: a change of capacity must not resend its calling.
    edit(
        &dir.path().join("webex/acme/workspaces.yaml"),
        "  capacity: 8\n",
        "  capacity: 10\n",
    );
    record(&emulator);
    apply(dir.path(), &env);
    let puts: Vec<_> = written(&emulator)
        .into_iter()
        .filter(|w| w.method == "PUT" && w.path.contains("/workspaces/"))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0].body["capacity"], 10, "{puts:?}");
    assert!(puts[0].body.get("calling").is_none(), "calling resent: {puts:?}");
    assert_converged(dir.path(), &env);
}

/// examples/webex applied from scratch, with a place for the generated passwords.
fn applied_webex_examples(env: &[(String, String)]) -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = webex_examples();
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    apply_with(dir.path(), env, &["--secrets-out", secrets.to_str().expect("utf-8")]);
    assert_converged(dir.path(), env);
    (dir, vault)
}

#[test]
fn subscriber_update_sends_only_what_the_update_schema_declares() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);

    edit(
        &dir.path().join("webex/acme/users.yaml"),
        "  extension: \"1000\"\n",
        "  extension: \"1098\"\n",
    );
    record(&emulator);
    apply(dir.path(), &env);
    let puts: Vec<_> = written(&emulator)
        .into_iter()
        .filter(|w| w.method == "PUT" && w.path.contains("/wholesale/subscribers/"))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    let parameters = puts[0].body["provisioningParameters"].as_object().expect("parameters");
    assert_eq!(
        parameters.get("extension"),
        Some(&serde_json::json!("1098")),
        "{puts:?}"
    );
    // The update schema's provisioningParameters: primaryPhoneNumber, extension, locationId.
    for key in parameters.keys() {
        assert!(
            ["primaryPhoneNumber", "extension", "locationId"].contains(&key.as_str()),
            "`{key}` is not in the update schema: {puts:?}"
        );
    }
    assert_converged(dir.path(), &env);
}

#[test]
fn user_name_changed_is_refused_by_name_at_plan() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);

    edit(
        &dir.path().join("webex/acme/users.yaml"),
        "  firstName: Camille\n",
        "  firstName: Camila\n",
    );
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(out.contains("`firstName` cannot be changed"), "{out}");
    assert!(out.contains("camille.bernard@acme.example"), "{out}");
    assert!(out.contains("webex/acme/users.yaml"), "{out}");
    assert!(out.contains("Control Hub"), "{out}");

    record(&emulator);
    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

#[test]
fn read_and_delete_identity_deletes_an_account_and_its_numbers() {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(20);
    let first = seed.acg.clients[0].clone();
    seed.acg.clients.push(telform::emulator::acg::store::Client {
        client_id: "read-delete".into(),
        client_secret: "read-delete-secret".into(),
        roles: vec!["ProvisioningAPI.Read".into(), "ProvisioningAPI.Delete".into()],
        ..first
    });
    let (_rt, _emulator, env) = crate::emulator_on_runtime(seed, "");
    let dir = folder(&[("acg/gone.yaml", ACCOUNT_WITH_NUMBERS)]);
    apply(dir.path(), &env);

    let file = dir.path().join("acg/gone.yaml");
    edit(&file, "  services:\n", "  ensure: absent\n  services:\n");
    edit(
        &file,
        "  service: directRouting\n",
        "  service: directRouting\n  ensure: absent\n",
    );
    let deleter: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "TELFORM_ACG_CLIENT_ID" => (k.clone(), "read-delete".to_string()),
            "TELFORM_ACG_CLIENT_SECRET" => (k.clone(), "read-delete-secret".to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let out = apply(dir.path(), &deleter);
    assert!(out.contains("ProvisioningAPI.Delete"), "{out}");
    assert!(!out.contains("read-delete-secret"), "{out}");
    assert_converged(dir.path(), &deleter);
}

#[test]
fn sip_password_breaking_the_rules_is_refused_before_any_write_pointing_at_the_vault() {
    let (_rt, emulator, mut env) = start_webex();
    for (k, v) in &mut env {
        if k == "ACME_JUPITER_TABLE_SIP_PASSWORD" {
            *v = "x7Q2".into();
        }
    }
    let dir = webex_examples();
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    record(&emulator);
    let out = telform(
        dir.path(),
        &env,
        &[
            "apply",
            "--auto-approve",
            "--secrets-out",
            secrets.to_str().expect("utf-8"),
        ],
    );
    let text = both(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("$ACME_JUPITER_TABLE_SIP_PASSWORD"), "{text}");
    assert!(text.contains("shorter than 8 characters"), "{text}");
    assert!(text.contains("in your vault"), "{text}");
    assert!(!text.contains("x7Q2"), "the password is shown: {text}");
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

/// The People API's full administrator role (`ciscospark://us/ROLE/id_full_admin`).
const FULL_ADMIN: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfZnVsbF9hZG1pbg";

/// The People API writes received since `record`: `PUT /people/{id}` only, each body valid
/// against the spec's request schema.
fn people_writes(emulator: &telform::emulator::Emulator) -> Vec<telform::emulator::Written> {
    let writes: Vec<_> = written(emulator)
        .into_iter()
        .filter(|w| w.path.contains("/people"))
        .collect();
    for w in &writes {
        assert_eq!(w.method, "PUT", "{w:?}");
        let errors = crate::emulator_webex::request_errors("webex-admin.json", "put", "/people/{personId}", &w.body);
        assert!(
            errors.is_empty(),
            "not the spec's request schema: {errors:?}\n{:#}",
            w.body
        );
    }
    writes
}

fn holds_full_admin(write: &telform::emulator::Written) -> bool {
    write.body["roles"]
        .as_array()
        .is_some_and(|roles| roles.iter().any(|r| r == FULL_ADMIN))
}

#[test]
fn new_user_with_admin_converges_in_one_apply() {
    let (_rt, emulator, env) = start_webex();
    let dir = webex_examples();
    // Sophie Leroy is new in examples/.
    edit(
        &dir.path().join("webex/acme/users.yaml"),
        "  extension: \"1001\"\n",
        "  extension: \"1001\"\n  admin: true\n",
    );
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(0), "{out}");
    assert!(out.contains("admin: true"), "{out}");
    record(&emulator);
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    apply_with(dir.path(), &env, &["--secrets-out", secrets.to_str().expect("utf-8")]);
    // The role is given once the subscriber exists: one PUT of the People API, for her.
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(holds_full_admin(&puts[0]), "{puts:?}");
    assert_eq!(puts[0].body["emails"][0], "sophie.leroy@acme.example", "{puts:?}");
    let created = written(&emulator)
        .iter()
        .position(|w| w.method == "POST" && w.body["email"] == "sophie.leroy@acme.example")
        .expect("Sophie is created");
    let given = written(&emulator)
        .iter()
        .position(|w| w.path.contains("/people/"))
        .expect("the role is given");
    assert!(created < given, "the role before the subscriber");
    assert_converged(dir.path(), &env);
}

/// `start_webex` with `change` made to the seed first.
fn start_webex_with(
    change: impl FnOnce(&mut telform::emulator::seed::Seed),
) -> (
    tokio::runtime::Runtime,
    telform::emulator::Emulator,
    Vec<(String, String)>,
) {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    change(&mut seed);
    let (rt, emulator, mut env) = crate::emulator_on_runtime(seed, "");
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), "Jupiter-Table-7f3k9q".into()));
    env.push(("ACME_CBERNARD_SIP_PASSWORD".into(), "Cbernard-Desk-2m8x4z".into()));
    (rt, emulator, env)
}

/// The line of the document that holds `needle` in `file` (1-based), as plan errors give it.
fn document_line(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).expect("read");
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()));
    let before = &text[..at];
    let start = before.rfind("apiVersion:").expect("a document");
    before[..start].lines().count() + 1
}

#[test]
fn mac_used_in_another_organisation_fails_the_plan_at_its_line_with_no_write() {
    // Another customer of the partner (not declared here) already holds the MAC examples/
    // gives the Salle Jupiter table phone.
    let (_rt, emulator, env) = start_webex_with(|seed| {
        let webex = &mut seed.webex;
        let mut other = webex.customers[0].clone();
        other.external_id = "OTHER-0099".into();
        other.name = "Other Co".into();
        other.primary_email = "admin@other.example".into();
        other.id = None;
        other.org_id = None;
        webex.customers.push(other);
        webex.subscribers.push(
            serde_json::from_value(serde_json::json!({
                "customer": "OTHER-0099", "email": "desk@other.example", "firstName": "Desk",
                "lastName": "Other", "package": "webex_calling", "extension": "2000"
            }))
            .expect("a seed subscriber"),
        );
        webex.devices.push(
            serde_json::from_value(serde_json::json!({
                "customer": "OTHER-0099", "mac": "80:5E:C0:3A:71:0C", "model": "Yealink T54W",
                "owner": {"user": "desk@other.example"}
            }))
            .expect("a seed device"),
        );
    });
    let dir = webex_examples();
    record(&emulator);
    let plan = telform(dir.path(), &env, &["plan", "--stats"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    let devices = dir.path().join("webex/acme/devices.yaml");
    let line = document_line(&devices, "mac: \"80:5E:C0:3A:71:0C\"");
    assert!(
        out.contains(&format!("webex/acme/devices.yaml:{line}")),
        "no file:line {line}: {out}"
    );
    assert!(out.contains("MAC 805EC03A710C cannot be added"), "{out}");
    assert!(out.contains("UNAVAILABLE"), "{out}");
    assert!(out.contains("MAC Address is in use"), "{out}");
    // Only that device is refused: the other new MACs are available.
    assert_eq!(out.matches("cannot be added").count(), 1, "{out}");
    // One validateMacs for the organisation's new devices, the new user's precheck: counted.
    assert!(out.contains("prechecks)"), "{out}");

    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(
        both(&refused).contains("MAC 805EC03A710C cannot be added"),
        "{}",
        both(&refused)
    );
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

#[test]
fn customer_refused_by_the_precheck_fails_at_plan() {
    let (_rt, emulator, env) = start_webex();
    let dir = webex_examples();
    // Globex is new in examples/: a provisioning id that is no template's of the partner.
    let templates = dir.path().join("webex/templates.yaml");
    let text = std::fs::read_to_string(&templates).expect("read");
    let second = text.match_indices("provisioningId: ").nth(1).expect("two templates").0;
    let end = second + text[second..].find('\n').expect("line end");
    let edited = format!(
        "{}provisioningId: Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9ub25l{}",
        &text[..second],
        &text[end..]
    );
    std::fs::write(&templates, edited).expect("write");
    record(&emulator);
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(out.contains("/wholesale/customers/validate"), "{out}");
    assert!(out.contains("GLOBEX-0042"), "{out}");
    assert!(out.contains("not the provisioning id"), "{out}");
    let line = document_line(&dir.path().join("webex/globex/customer.yaml"), "GLOBEX-0042");
    assert!(out.contains(&format!("webex/globex/customer.yaml:{line}")), "{out}");
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

#[test]
fn subscriber_refused_by_the_precheck_fails_at_plan() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);
    // A new user with a number the organisation does not have: the wholesale API refuses it.
    let users = dir.path().join("webex/acme/users.yaml");
    let mut text = std::fs::read_to_string(&users).expect("read");
    text.push_str(
        "---
apiVersion: telform/v1
kind: User
metadata: {name: acme-new-hire}
spec:
  customer: ACME-0001
  email: new.hire@acme.example
  firstName: Nina
  lastName: Hire
  package: webex_calling
  location: Paris HQ
  phoneNumber: \"+33199999999\"
",
    );
    std::fs::write(&users, text).expect("write");
    record(&emulator);
    let plan = telform(dir.path(), &env, &["plan", "--stats"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(out.contains("/wholesale/subscribers/validate"), "{out}");
    assert!(out.contains("new.hire@acme.example"), "{out}");
    let line = document_line(&users, "new.hire@acme.example");
    assert!(out.contains(&format!("webex/acme/users.yaml:{line}")), "{out}");
    assert!(out.contains("1 precheck)"), "{out}");
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

#[test]
fn nothing_new_asks_no_precheck() {
    let (_rt, _emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);
    let plan = telform(dir.path(), &env, &["plan", "--stats"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(0), "{out}");
    assert!(out.contains("API calls:"), "{out}");
    assert!(!out.contains("precheck"), "{out}");
}

#[test]
fn customer_company_name_changed_is_refused_by_name_at_plan() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);

    let customer = dir.path().join("webex/acme/customer.yaml");
    edit(&customer, "  companyName: Acme SARL\n", "  companyName: Acme SAS\n");
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(
        out.contains("`companyName` cannot be changed from \"Acme SARL\" to \"Acme SAS\""),
        "{out}"
    );
    assert!(out.contains("cannot rename a customer"), "{out}");
    assert!(out.contains("Partner Hub"), "{out}");
    let line = document_line(&customer, "companyName: Acme SAS");
    assert!(out.contains(&format!("webex/acme/customer.yaml:{line}")), "{out}");

    record(&emulator);
    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));

    // The live name put back: nothing to do.
    edit(&customer, "  companyName: Acme SAS\n", "  companyName: Acme SARL\n");
    assert_converged(dir.path(), &env);
}

#[test]
fn admin_given_to_an_existing_user_converges_in_one_apply_then_taken_away() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);

    // Camille Bernard exists and is not an administrator (the customer's is it-admin@).
    let users = dir.path().join("webex/acme/users.yaml");
    edit(
        &users,
        "  extension: \"1000\"\n",
        "  extension: \"1000\"\n  admin: true\n",
    );
    let plan = telform(dir.path(), &env, &["plan", "--detailed-exitcode"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(2), "{out}");
    assert!(out.contains("camille.bernard@acme.example"), "{out}");
    assert!(out.contains("admin: false → true"), "{out}");
    record(&emulator);
    apply(dir.path(), &env);
    let writes = written(&emulator);
    // Only the People API is written: the subscriber has nothing to change.
    assert!(writes.iter().all(|w| w.path.contains("/people/")), "{writes:?}");
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(holds_full_admin(&puts[0]), "{puts:?}");
    assert_eq!(
        puts[0].body["displayName"], "Camille Bernard",
        "sent back as read: {puts:?}"
    );
    assert_converged(dir.path(), &env);

    // Taken away again: it-admin@ remains the organisation's full administrator.
    edit(&users, "  admin: true\n", "  admin: false\n");
    let plan = telform(dir.path(), &env, &["plan"]);
    assert!(both(&plan).contains("admin: true → false"), "{}", both(&plan));
    record(&emulator);
    apply(dir.path(), &env);
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(!holds_full_admin(&puts[0]), "{puts:?}");
    assert_converged(dir.path(), &env);
}

#[test]
fn other_roles_of_a_person_are_kept() {
    let (rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);
    // Camille is made a read-only administrator in Control Hub.
    let token = env
        .iter()
        .find(|(k, _)| k == "TELFORM_WEBEX_TOKEN")
        .map(|(_, v)| v.clone())
        .expect("token");
    let url = env
        .iter()
        .find(|(k, _)| k == "TELFORM_WEBEX_URL")
        .map(|(_, v)| v.clone())
        .expect("url");
    const READ_ONLY: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfcmVhZG9ubHlfYWRtaW4";
    rt.block_on(async {
        let http = reqwest::Client::new();
        let org = http
            .get(format!("{url}/wholesale/customers?externalId=ACME-0001"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("customers")
            .json::<serde_json::Value>()
            .await
            .expect("json")["items"][0]["orgId"]
            .as_str()
            .expect("org")
            .to_string();
        let found = http
            .get(format!("{url}/people?orgId={org}&email=camille.bernard@acme.example"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("people")
            .json::<serde_json::Value>()
            .await
            .expect("json");
        let id = found["items"][0]["id"].as_str().expect("a person").to_string();
        let put = http
            .put(format!("{url}/people/{id}"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"displayName": "Camille Bernard", "roles": [READ_ONLY]}))
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), 200);
    });
    edit(
        &dir.path().join("webex/acme/users.yaml"),
        "  extension: \"1000\"\n",
        "  extension: \"1000\"\n  admin: true\n",
    );
    record(&emulator);
    apply(dir.path(), &env);
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    let roles = puts[0].body["roles"].as_array().expect("roles").clone();
    assert!(roles.contains(&serde_json::json!(READ_ONLY)), "{puts:?}");
    assert!(roles.contains(&serde_json::json!(FULL_ADMIN)), "{puts:?}");
    assert_converged(dir.path(), &env);
}

#[test]
fn admin_taken_from_the_customer_administrator_is_refused_by_name_at_plan() {
    // Acme's adminEmail exists as a subscriber, and its manifest says `admin: false`.
    let (_rt, emulator, env) = start_webex_with(|seed| {
        seed.webex.subscribers.push(
            serde_json::from_value(serde_json::json!({
                "customer": "ACME-0001", "email": "it-admin@acme.example", "firstName": "Acme",
                "lastName": "IT", "package": "webex_calling", "extension": "1090"
            }))
            .expect("a seed subscriber"),
        );
    });
    // Declared before the first apply: Acme's undeclared users are pruned.
    let dir = webex_examples();
    let users = dir.path().join("webex/acme/users.yaml");
    let mut text = std::fs::read_to_string(&users).expect("read");
    text.push_str(
        "---
apiVersion: telform/v1
kind: User
metadata: {name: acme-it-admin}
spec:
  customer: ACME-0001
  email: it-admin@acme.example
  firstName: Acme
  lastName: IT
  package: webex_calling
  location: Paris HQ
  extension: \"1090\"
  admin: true
",
    );
    std::fs::write(&users, text).expect("write");
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    apply_with(dir.path(), &env, &["--secrets-out", secrets.to_str().expect("utf-8")]);
    // Declared as it is: nothing to do.
    assert_converged(dir.path(), &env);

    edit(&users, "  admin: true\n", "  admin: false\n");
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(
        out.contains("it-admin@acme.example: `admin: false` cannot be applied: it is the only full administrator"),
        "{out}"
    );
    assert!(out.contains("give another user `admin: true`"), "{out}");
    let line = document_line(&users, "it-admin@acme.example");
    assert!(out.contains(&format!("webex/acme/users.yaml:{line}")), "{out}");
    record(&emulator);
    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));

    // Another administrator first, then the customer's adminEmail moves to them with the role
    // taken from the first one (the adminEmail user keeps it: that is refused by name).
    edit(&users, "  admin: false\n", "  admin: true\n");
    edit(
        &users,
        "  extension: \"1000\"\n",
        "  extension: \"1000\"\n  admin: true\n",
    );
    record(&emulator);
    apply(dir.path(), &env);
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(holds_full_admin(&puts[0]), "given: {puts:?}");
    edit(
        &users,
        "  extension: \"1090\"\n  admin: true\n",
        "  extension: \"1090\"\n  admin: false\n",
    );
    let plan = telform(dir.path(), &env, &["plan"]);
    assert!(
        both(&plan).contains(
            "it-admin@acme.example: `admin: false` cannot be applied: it is customer ACME-0001's `adminEmail`"
        ),
        "{}",
        both(&plan)
    );
    edit(
        &dir.path().join("webex/acme/customer.yaml"),
        "  adminEmail: it-admin@acme.example\n",
        "  adminEmail: camille.bernard@acme.example\n",
    );
    record(&emulator);
    apply(dir.path(), &env);
    let puts = people_writes(&emulator);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(!holds_full_admin(&puts[0]), "taken: {puts:?}");
    assert_converged(dir.path(), &env);
}

#[test]
fn customer_admin_email_changed_is_refused_by_name_at_its_line() {
    let (_rt, emulator, env) = start_webex();
    let (dir, _vault) = applied_webex_examples(&env);
    let customer = dir.path().join("webex/acme/customer.yaml");
    edit(
        &customer,
        "  adminEmail: it-admin@acme.example\n",
        "  adminEmail: camille.bernard@acme.example\n",
    );
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(
        out.contains("`adminEmail` camille.bernard@acme.example is not a full administrator"),
        "{out}"
    );
    assert!(out.contains("its full administrator is it-admin@acme.example"), "{out}");
    assert!(out.contains("cannot change it"), "{out}");
    assert!(out.contains("`admin: true`"), "{out}");
    let line = document_line(&customer, "adminEmail: camille.bernard@acme.example");
    assert!(out.contains(&format!("webex/acme/customer.yaml:{line}")), "{out}");
    record(&emulator);
    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));

    edit(
        &customer,
        "  adminEmail: camille.bernard@acme.example\n",
        "  adminEmail: it-admin@acme.example\n",
    );
    assert_converged(dir.path(), &env);
}

#[test]
fn the_people_api_is_read_only_when_a_customer_or_an_admin_needs_it() {
    // A second token, without the People and Roles scopes: any read of them fails the plan.
    let (_rt, _emulator, env) = start_webex_with(|seed| {
        let mut narrow = seed.webex.tokens[0].clone();
        narrow.token = "no-people".into();
        narrow.scopes = [
            "wholesale_customers_read",
            "wholesale_subscribers_read",
            "locations_read",
            "organizations_read",
            "telephony_config_read",
            "devices_read",
            "workspaces_read",
        ]
        .iter()
        .map(|s| format!("spark-admin:{s}"))
        .collect();
        seed.webex.tokens.push(narrow);
    });
    let (dir, _vault) = applied_webex_examples(&env);
    let narrow: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "TELFORM_WEBEX_TOKEN" => (k.clone(), "no-people".to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    // Devices only: no customer, no `admin`, no People read.
    let devices = telform(
        dir.path(),
        &narrow,
        &["plan", "--selector", "vendor=cisco", "--detailed-exitcode"],
    );
    assert_eq!(devices.status.code(), Some(0), "{}", both(&devices));
    // The whole folder declares customers: their administrators are read.
    let whole = telform(dir.path(), &narrow, &["plan"]);
    let out = both(&whole);
    assert_eq!(whole.status.code(), Some(1), "{out}");
    assert!(out.contains("roles_read"), "{out}");
}

/// The customer's `adminEmail` must stay a full administrator: taking the role from that user
/// is refused by name at plan, not applied and then failing every later plan.
#[test]
fn admin_taken_from_the_admin_email_user_is_refused_by_name() {
    let (_rt, emulator, env) = start_webex();
    let dir = webex_examples();
    let users = dir.path().join("webex/acme/users.yaml");
    let customer = dir.path().join("webex/acme/customer.yaml");
    edit(
        &users,
        "  package: webex_calling\n  location: Paris HQ\n  extension: \"1000\"\n",
        "  package: webex_calling\n  location: Paris HQ\n  extension: \"1000\"\n  admin: true\n",
    );
    let vault = tempfile::tempdir().expect("temp dir");
    let secrets = vault.path().join("secrets.out");
    apply_with(dir.path(), &env, &["--secrets-out", secrets.to_str().expect("utf-8")]);
    edit(
        &customer,
        "  adminEmail: it-admin@acme.example\n",
        "  adminEmail: camille.bernard@acme.example\n",
    );
    assert_converged(dir.path(), &env);

    edit(&users, "  admin: true\n", "  admin: false\n");
    record(&emulator);
    let plan = telform(dir.path(), &env, &["plan"]);
    let out = both(&plan);
    assert_eq!(plan.status.code(), Some(1), "{out}");
    assert!(
        out.contains("user camille.bernard@acme.example: `admin: false` cannot be applied: it is customer ACME-0001's `adminEmail`"),
        "{out}"
    );
    let line = document_line(&users, "email: camille.bernard@acme.example");
    assert!(out.contains("webex/acme/users.yaml:"), "{out} (line {line})");
    let refused = telform(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_ne!(refused.status.code(), Some(0), "{}", both(&refused));
    assert!(written(&emulator).is_empty(), "{:?}", written(&emulator));
}

/// Acme's customer, locations and users, and Globex's customer, from examples/webex.
fn acme_and_globex() -> tempfile::TempDir {
    let dir = folder(&[]);
    for file in [
        "templates.yaml",
        "acme/customer.yaml",
        "acme/locations.yaml",
        "acme/users.yaml",
        "globex/customer.yaml",
    ] {
        let to = dir.path().join("webex").join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root().join("examples/webex").join(file), to).expect("copy");
    }
    dir
}

const SOPHIE_AT_ACME: &str = "  customer: ACME-0001\n  email: sophie.leroy@acme.example\n  firstName: Sophie\n  lastName: Leroy\n  package: attendant_console\n  location: Paris HQ\n  extension: \"1001\"\n";
const SOPHIE_AT_GLOBEX: &str = "  customer: GLOBEX-0042\n  email: sophie.leroy@acme.example\n  firstName: Sophie\n  lastName: Leroy\n  package: webex_meetings\n  location: Bruxelles Siège\n";

/// A Webex identity (an email) is one organisation's: a user declared under another customer is
/// removed from the first (Acme prunes) before she is added to the second, in one apply.
#[test]
fn a_user_moved_to_another_customer_is_removed_first_and_converges_in_one_apply() {
    let (_runtime, _emulator, env) = start();
    let dir = acme_and_globex();
    apply(dir.path(), &env);
    assert_converged(dir.path(), &env);
    let users = dir.path().join("webex/acme/users.yaml");
    edit(&users, SOPHIE_AT_ACME, SOPHIE_AT_GLOBEX);
    let applied = apply(dir.path(), &env);
    assert!(applied.contains("- User sophie.leroy@acme.example"), "{applied}");
    assert!(applied.contains("+ User sophie.leroy@acme.example"), "{applied}");
    assert!(applied.contains("1 added, 0 changed, 1 deleted"), "{applied}");
    assert_converged(dir.path(), &env);

    // Back to Acme: Globex does not prune, so she stays Globex's, and Webex would refuse her
    // addition to Acme. The plan says so by name, before any write.
    edit(&users, SOPHIE_AT_GLOBEX, SOPHIE_AT_ACME);
    let out = telform(dir.path(), &env, &["plan"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("sophie.leroy@acme.example"), "{text}");
    assert!(text.contains("already associated with an existing user"), "{text}");
    assert!(
        text.contains("webex/acme/users.yaml:"),
        "the error points at the manifest: {text}"
    );
}

/// A second calling customer beside examples/webex: Hooli, its headquarters in Nantes, one user.
const HOOLI: &str = "apiVersion: telform/v1\nkind: Customer\nmetadata: {name: hooli}\nspec:\n  template: fr-smb-calling\n  externalId: HOOLI-0001\n  companyName: Hooli SAS\n  adminEmail: it-admin@hooli.example\n  country: FR\n  supportedLocationVerified: true\n  packages: [webex_calling]\n  headquarters:\n    name: Nantes HQ\n    address: {line1: 3 quai de la Fosse, city: Nantes, state: Pays de la Loire, postalCode: \"44000\", country: FR}\n    timezone: Europe/Paris\n    language: fr_fr\n---\napiVersion: telform/v1\nkind: User\nmetadata: {name: hooli-ana}\nspec:\n  customer: HOOLI-0001\n  email: ana@hooli.example\n  firstName: Ana\n  lastName: Costa\n  package: webex_calling\n  location: Nantes HQ\n  extension: \"2000\"\n";

/// A MAC is one organisation's too: a phone declared under another customer is removed from the
/// first (Acme prunes) before it is added to the second, in one apply, with no precheck refusing
/// the MAC it frees.
#[test]
fn a_device_moved_to_another_customer_is_removed_first_and_converges_in_one_apply() {
    let (_runtime, _emulator, env) = start_webex();
    let dir = webex_examples();
    std::fs::create_dir_all(dir.path().join("webex/hooli")).expect("mkdir");
    std::fs::write(dir.path().join("webex/hooli/customer.yaml"), HOOLI).expect("write");
    let vault = tempfile::tempdir().expect("temp dir");
    // A secrets file is never overwritten: one per apply.
    let secrets = |n: usize| vault.path().join(format!("secrets-{n}.out"));
    let (first, second) = (secrets(1), secrets(2));
    apply_with(dir.path(), &env, &["--secrets-out", first.to_str().expect("utf-8")]);
    assert_converged(dir.path(), &env);

    edit(
        &dir.path().join("webex/acme/devices.yaml"),
        "  customer: ACME-0001\n  mac: \"805EC03A7210\"\n  model: Yealink T54W\n  owner: {user: jeanne.dupont@acme.example}\n  sharedWith:\n    - {user: paul.martin@acme.example}\n    - {user: marc.petit@acme.example}\n",
        "  customer: HOOLI-0001\n  mac: \"805EC03A7210\"\n  model: Yealink T54W\n  owner: {user: ana@hooli.example}\n",
    );
    let plan = telform(dir.path(), &env, &["plan"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "no precheck refuses the freed MAC:\n{}",
        both(&plan)
    );
    let applied = apply_with(dir.path(), &env, &["--secrets-out", second.to_str().expect("utf-8")]);
    assert!(applied.contains("- Device 805EC03A7210"), "{applied}");
    assert!(applied.contains("+ Device 805EC03A7210"), "{applied}");
    assert!(applied.contains("1 added, 0 changed, 1 deleted"), "{applied}");
    assert_converged(dir.path(), &env);
}
