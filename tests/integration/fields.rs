//! Field by field (issue #13): for every field of every kind's schema, start from an applied
//! copy of examples/, change the field to another valid value (and remove it when it is
//! optional), plan, and check that the plan does what `src/model/fields.rs` decides for it;
//! for a change in place or a replacement, apply and plan again: "No changes" (apply, then an
//! empty plan, as Terraform providers are tested). A field with no decision, or a decision with
//! no edit here, fails the test.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use telform::emulator::seed;
use telform::manifest::Kind;
use telform::model::fields::{self, Outcome};

use crate::root;

/// The manifest folder as documents, written as JSON (which YAML reads): one file per
/// examples/ file, so that a document's line is easy to find again.
struct Folder {
    dir: tempfile::TempDir,
    files: BTreeMap<String, Vec<Value>>,
    env: Vec<(String, String)>,
}

impl Folder {
    fn of(examples: &str, env: Vec<(String, String)>) -> Folder {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(root().join("examples/telform.yaml"), dir.path().join("telform.yaml")).expect("copy");
        let secrets = dir.path().join("secrets");
        std::fs::create_dir(&secrets).expect("mkdir");
        std::fs::write(secrets.join("acme-accueil-phone.sip"), "Accueil-Phone-5t1w6y\n").expect("write");
        std::fs::write(secrets.join("other.sip"), "Other-Phone-8k2m4q\n").expect("write");
        let mut files = BTreeMap::new();
        collect(&root().join("examples"), &root().join(examples), &mut files);
        let folder = Folder { dir, files, env };
        for file in folder.files.keys() {
            folder.write(file);
        }
        folder
    }

    fn write(&self, file: &str) {
        let text: Vec<String> = self.files[file]
            .iter()
            .map(|doc| serde_json::to_string_pretty(doc).expect("json"))
            .collect();
        let path = self.dir.path().join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text.join("\n---\n") + "\n").expect("write");
    }

    /// Writes the files that differ from `other`.
    fn write_changed(&self, other: &BTreeMap<String, Vec<Value>>) {
        for (file, docs) in &self.files {
            if other.get(file) != Some(docs) {
                self.write(file);
            }
        }
    }

    /// The file and index of the document `kind`/`name`.
    fn find(&self, kind: Kind, name: &str) -> (String, usize) {
        for (file, docs) in &self.files {
            if let Some(i) = docs
                .iter()
                .position(|d| d["kind"] == kind.as_str() && d["metadata"]["name"] == name)
            {
                return (file.clone(), i);
            }
        }
        panic!("no {}/{name} in the folder", kind.as_str());
    }

    fn doc_mut(&mut self, kind: Kind, name: &str) -> &mut Value {
        let (file, i) = self.find(kind, name);
        &mut self.files.get_mut(&file).expect("file")[i]
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
        cmd.current_dir(self.dir.path()).env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.args(args).output().expect("runs")
    }

    fn apply(&self) -> Result<(), String> {
        // telform never overwrites a secrets file: each apply writes its own.
        let vault = tempfile::tempdir().expect("temp dir");
        let secrets = vault.path().join("secrets.out");
        let out = self.run(&[
            "apply",
            "--auto-approve",
            "--secrets-out",
            secrets.to_str().expect("utf-8"),
        ]);
        match out.status.code() {
            Some(0) => Ok(()),
            _ => Err(format!("apply failed:\n{}", both(&out))),
        }
    }

    /// The plan as JSON, or what refused to make one.
    fn plan(&self) -> Result<Value, String> {
        let out = self.run(&["plan", "--output", "json"]);
        serde_json::from_slice(&out.stdout).map_err(|_| both(&out))
    }

    fn converged(&self) -> Result<(), String> {
        let out = self.run(&["plan", "--detailed-exitcode"]);
        match out.status.code() {
            Some(0) => Ok(()),
            _ => Err(format!("not converged:\n{}", both(&out))),
        }
    }
}

fn collect(base: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<Value>>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(base, &path, files);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).expect("read");
            let docs: Vec<Value> = telform::fmt::documents(&text).into_iter().map(|(v, _)| v).collect();
            let name = path.strip_prefix(base).expect("under examples").display().to_string();
            files.insert(name, docs);
        }
    }
}

fn both(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Splits `spec.numbers[].usage` into its steps.
fn steps(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// The value at `path` in a document (the first element of a list for `[]`).
fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = doc;
    for step in steps(path) {
        match step.strip_suffix("[]") {
            Some(list) => at = at.get(list)?.get(0)?,
            None => at = at.get(step)?,
        }
    }
    Some(at)
}

/// Sets (or with `None` removes) the value at `path`, making the objects on the way.
fn set(doc: &mut Value, path: &str, value: Option<Value>) {
    let steps = steps(path);
    let mut at = doc;
    for step in &steps[..steps.len() - 1] {
        at = match step.strip_suffix("[]") {
            Some(list) => &mut at[list][0],
            None => {
                if at.get(*step).is_none() {
                    at[*step] = json!({});
                }
                &mut at[*step]
            }
        };
    }
    let last = steps[steps.len() - 1];
    match value {
        Some(v) => at[last] = v,
        None => {
            at.as_object_mut().expect("object").remove(last);
        }
    }
}

/// The subjects: one document per kind, the one whose fields are changed.
fn subject(kind: Kind) -> &'static str {
    match kind {
        Kind::Account => "fields",
        Kind::NumberSet => "contoso-redmond",
        Kind::Consent => "contoso",
        Kind::Template => "fr-smb-calling",
        Kind::Customer => "acme",
        Kind::Location => "acme-lyon",
        Kind::User => "acme-jdupont",
        Kind::Workspace => "acme-jupiter",
        Kind::Device => "acme-jdupont-phone",
    }
}

/// Another valid value of a field of a subject, for a change.
fn another(kind: Kind, path: &str, now: Option<&Value>) -> Option<Value> {
    let other = match (kind, path) {
        (_, "metadata.labels") => json!({"changed": "yes"}),
        (Kind::Account, "metadata.name") => json!("fields2"),
        // Every service but Operator Connect switched off.
        (Kind::Account, "spec.services") => json!({"operatorConnect": {"enabled": true, "sync": true}}),
        (Kind::NumberSet, "spec.defaults") => json!({
            "usage": "user", "capabilities": ["inbound"],
            "civicAddressId": "5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d", "locationId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "allowTenantAddressUpdate": true, "countryCode": "US", "customSipHeader": "contoso-redmond"
        }),
        (Kind::Customer, "spec.headquarters") => {
            let mut hq = now.cloned().unwrap_or_default();
            hq["timezone"] = json!("Europe/Brussels");
            hq
        }
        (Kind::Template, "spec.calling") => json!({"timezone": "Europe/Brussels", "language": "nl_nl"}),
        (_, "metadata.name") => json!(format!("{}-renamed", subject(kind))),
        (_, "spec.ensure") => json!("absent"),
        (_, "spec.prune" | "spec.protect") => json!(now != Some(&json!(true))),
        (Kind::Account, "spec.correlationId") => json!("CRM-9999"),
        (Kind::Account, "spec.teamsTenantId") => json!("1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"),
        (Kind::Account, p) if p.ends_with(".subdomain") => json!("fields2"),
        (Kind::Account, p) if p.ends_with(".region1") => json!("token-region1-changed"),
        (Kind::Account, p) if p.ends_with(".region2") => json!("token-region2-changed"),
        (Kind::Account, p) if p.ends_with(".subdomainTokens") => {
            json!({"region1": "token-a", "region2": "token-b"})
        }
        (Kind::Account, p) if p.starts_with("spec.services.") && p.matches('.').count() == 2 => {
            // A whole service block: switched on or off.
            let enabled = now
                .and_then(|v| v.get("enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            json!({"enabled": !enabled})
        }
        (Kind::NumberSet, "spec.account") => json!("fields"),
        (Kind::NumberSet, "spec.service") => json!("directRouting"),
        (Kind::NumberSet, p) if p.ends_with(".usage") => {
            json!(if now == Some(&json!("user")) {
                "application"
            } else {
                "user"
            })
        }
        (Kind::NumberSet, p) if p.ends_with(".capabilities") => {
            json!(if now == Some(&json!(["inbound"])) {
                json!(["inbound", "outbound"])
            } else {
                json!(["inbound"])
            })
        }
        (Kind::NumberSet, p) if p.ends_with(".civicAddressId") => json!("7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918"),
        (Kind::NumberSet, p) if p.ends_with(".locationId") => json!("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"),
        (Kind::NumberSet, p) if p.ends_with(".countryCode") => json!("CA"),
        (Kind::NumberSet, p) if p.ends_with(".customSipHeader") => json!("contoso-changed"),
        (Kind::NumberSet, "spec.ranges") => json!([{"from": "+14255550600", "to": "+14255550609"}]),
        (Kind::NumberSet, "spec.ranges[].from") => json!("+14255550101"),
        (Kind::NumberSet, "spec.ranges[].to") => json!("+14255550198"),
        (Kind::NumberSet, "spec.numbers") => json!([{"number": "+14255550700"}]),
        (Kind::NumberSet, "spec.numbers[].number") => json!("+14255550701"),
        (Kind::Consent, "spec.tenantId") => json!("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"),
        (Kind::Consent, "spec.account") => json!("tailspin"),
        (Kind::Consent, "spec.relationship") => json!("consentDeclined"),
        (Kind::Consent, "spec.reason") => json!("The enterprise chose another operator."),
        (Kind::Consent, "spec.ticketId") => json!("CHG-2024-9999"),
        (Kind::Template, "spec.provisioningId") => json!("Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9mcl9lbnRlcnByaXNl"),
        (Kind::Template | Kind::Customer, "spec.country") => json!("BE"),
        (Kind::Template | Kind::Customer, "spec.language") => json!("fr_BE"),
        (Kind::Template, "spec.subscription") => json!("Sub-999999"),
        (Kind::Template, "spec.pstnProvider") => json!("Another CCP"),
        (Kind::Template, "spec.authentication") => json!("sso"),
        (Kind::Template, "spec.calling.timezone") => json!("Europe/Brussels"),
        (Kind::Template, "spec.calling.language") => json!("nl_nl"),
        (Kind::Customer, "spec.template") => json!("fr-enterprise-sso"),
        (Kind::Customer, "spec.externalId") => json!("ACME-0002"),
        (Kind::Customer, "spec.companyName") => json!("Acme France SAS"),
        (Kind::Customer, "spec.adminEmail") => json!("new-admin@acme.example"),
        (Kind::Customer, "spec.supportedLocationVerified") => json!(false),
        (Kind::Customer, "spec.packages") => {
            json!([
                "webex_calling",
                "common_area_calling",
                "attendant_console",
                "webex_meetings"
            ])
        }
        (Kind::Customer, "spec.orgId") => {
            json!("Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9hN2YzZTJkMS00YzViLTRlOGEtOWYxMi0zYjRjNWQ2ZTdmODA")
        }
        (Kind::Customer, "spec.headquarters.name") => json!("Paris Siège"),
        (Kind::Customer, "spec.headquarters.timezone") => json!("Europe/Brussels"),
        (Kind::Customer, "spec.headquarters.language") => json!("en_us"),
        (_, p) if p.ends_with("address.line1") => json!("1 rue Nouvelle"),
        (_, p) if p.ends_with("address.line2") => json!("4e étage"),
        (_, p) if p.ends_with("address.city") => json!("Villeurbanne"),
        (_, p) if p.ends_with("address.state") => json!("Rhône"),
        (_, p) if p.ends_with("address.postalCode") => json!("69100"),
        (_, p) if p.ends_with("address.country") => json!("BE"),
        (_, p) if p.ends_with(".address") => {
            json!({"line1": "1 rue Nouvelle", "city": "Villeurbanne", "state": "Rhône", "postalCode": "69100", "country": "FR"})
        }
        (Kind::Location, "spec.customer") => json!("GLOBEX-0042"),
        (Kind::Location, "spec.name") => json!("Lyon Part-Dieu"),
        (Kind::Location, "spec.timezone") => json!("Europe/Brussels"),
        (Kind::Location, "spec.language") => json!("en_us"),
        (Kind::Location, "spec.announcementLanguage") => json!("en_us"),
        (Kind::Location, "spec.numbers") => {
            json!([
                "+33465710100",
                "+33465710101",
                "+33465710102",
                "+33465710103",
                "+33465710110",
                "+33465710104"
            ])
        }
        (Kind::User | Kind::Workspace | Kind::Device, "spec.customer") => json!("GLOBEX-0042"),
        (Kind::User, "spec.email") => json!("jeanne.martin@acme.example"),
        (Kind::User, "spec.firstName") => json!("Jeanne-Marie"),
        (Kind::User, "spec.lastName") => json!("Dupont-Moreau"),
        (Kind::User, "spec.package") => json!("attendant_console"),
        (Kind::User, "spec.location") => json!("Marseille"),
        (Kind::User, "spec.phoneNumber") => json!("+33465710103"),
        (Kind::User | Kind::Workspace, "spec.extension") => json!("1150"),
        (Kind::User, "spec.admin") => json!(true),
        (Kind::Workspace, "spec.name") => json!("Salle Saturne"),
        (Kind::Workspace, "spec.roomType") => json!("open"),
        (Kind::Workspace, "spec.capacity") => json!(10),
        (Kind::Workspace, "spec.license") => json!("commonArea"),
        (Kind::Workspace, "spec.location") => json!("Paris HQ"),
        (Kind::Workspace, "spec.phoneNumber") => json!("+33465710103"),
        (Kind::Device, "spec.mac") => json!("80:5E:C0:3A:72:99"),
        (Kind::Device, "spec.model") => json!("Poly VVX 450"),
        (Kind::Device, "spec.owner") => json!({"user": "helene.faure@acme.example"}),
        (Kind::Device, "spec.owner.user") => json!("helene.faure@acme.example"),
        (Kind::Device, "spec.owner.workspace") => json!("Salle Jupiter"),
        // Every shared line taken away.
        (Kind::Device, "spec.sharedWith") => json!([]),
        (Kind::Device, "spec.sharedWith[].user") => json!("helene.faure@acme.example"),
        // Another source, the same rotation.
        (Kind::Device, "spec.sipPassword") => {
            let mut password = json!({"fromFile": "secrets/other.sip"});
            if let Some(rotation) = now.and_then(|n| n.get("rotation")) {
                password["rotation"] = rotation.clone();
            }
            password
        }
        (Kind::Device, "spec.sipPassword.fromEnv") => json!("ACME_OTHER_SIP_PASSWORD"),
        (Kind::Device, "spec.sipPassword.fromFile") => json!("secrets/other.sip"),
        (Kind::Device, "spec.sipPassword.generate") => json!(true),
        (Kind::Device, "spec.sipPassword.rotation") => json!(7),
        // The set's default is `true` (see `complete`): a number's own value is the other one.
        (Kind::NumberSet, "spec.numbers[].allowTenantAddressUpdate") => json!(false),
        (Kind::NumberSet, p) if p.ends_with(".allowTenantAddressUpdate") => json!(now != Some(&json!(true))),
        // A flag: the other way.
        (_, _) if now.is_some_and(Value::is_boolean) => json!(now != Some(&json!(true))),
        _ => return None,
    };
    Some(other)
}

/// Fields whose parent must be replaced whole for an edit to stay valid (one of a `oneOf`).
fn whole(kind: Kind, path: &str) -> Option<&'static str> {
    match (kind, path) {
        (Kind::Device, "spec.sipPassword.fromEnv" | "spec.sipPassword.fromFile" | "spec.sipPassword.generate") => {
            Some("spec.sipPassword")
        }
        (Kind::Device, "spec.owner.user" | "spec.owner.workspace") => Some("spec.owner"),
        _ => None,
    }
}

/// Whether a plan's object key is `value` (keys are lower case or normalised MACs).
fn same_key(key: &Value, value: &str) -> bool {
    let plain = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    key.as_str().is_some_and(|k| plain(k) == plain(value))
}

/// Whether `text` names `field` in backticks (`` `postalCode` `` or `` `address.postalCode` ``).
fn names_field(text: &str, field: &str) -> bool {
    text.split('`').skip(1).step_by(2).any(|quoted| {
        quoted
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == field)
    })
}

/// What an edit's plan showed, against what the field's decision promises. `Ok(true)` when
/// the plan changes live state (then it is applied).
fn check(
    path: &str,
    outcome: Outcome,
    new_key: Option<&str>,
    plan: &Result<Value, String>,
    file: &str,
    manifest: &str,
) -> Result<bool, String> {
    let last = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
    let plan = match (plan, outcome) {
        (Ok(plan), _) => plan,
        // `validate` refusing the field by name, at its file, is a refusal too.
        (Err(text), Outcome::Refused { .. }) if names_field(text, last) && text.contains(file) => {
            return Ok(false);
        }
        // What refers to the object must follow it: `validate` names the dangling reference.
        (Err(text), Outcome::Reference(_) | Outcome::Ensure)
            if text.contains("error[TF120]") || text.contains("error[TF122]") =>
        {
            return Ok(false);
        }
        (Err(text), _) => return Err(format!("no plan:\n{text}")),
    };
    let actions: Vec<&Value> = plan["actions"].as_array().into_iter().flatten().collect();
    let errors: Vec<&Value> = plan["errors"].as_array().into_iter().flatten().collect();
    // Only what the edited manifest declares counts (`source.manifest` is `Kind/name`).
    let own = |v: &&&Value| v["source"]["manifest"] == manifest;
    // A number a list no longer declares is pruned: its deletion names no manifest.
    let pruned = |a: &&&Value| a["op"] == "delete" && a["reason"] == "pruned";
    let any = |op: &str| actions.iter().filter(|a| own(a) || pruned(a)).any(|a| a["op"] == op);
    let summary = || serde_json::to_string_pretty(plan).unwrap_or_default();
    match outcome {
        Outcome::InPlace
            if errors.is_empty() && (any("update") || any("create") || any("delete")) && !any("replace") =>
        {
            Ok(true)
        }
        Outcome::InPlace => Err(format!("expected a change in place of {manifest}:\n{}", summary())),
        Outcome::Replaces(_) if errors.is_empty() && any("replace") => Ok(true),
        Outcome::Replaces(_) => Err(format!("expected a replacement of {manifest}:\n{}", summary())),
        Outcome::Refused { .. } => {
            let named = errors.iter().filter(own).any(|e| {
                e["message"].as_str().is_some_and(|m| names_field(m, last))
                    && e["source"]["file"].as_str() == Some(file)
                    && e["source"]["line"].as_u64().is_some()
            });
            if named {
                Ok(false)
            } else {
                Err(format!("expected an error naming `{last}` at {file}:\n{}", summary()))
            }
        }
        // The plan speaks of the object of the new value (made, or refused by name), or a
        // list of numbers changed makes some and prunes others.
        Outcome::Identity | Outcome::Reference(_)
            if any("create")
                || any("delete")
                || errors
                    .iter()
                    .filter(own)
                    .any(|e| new_key.is_some_and(|k| same_key(&e["object"]["key"], k))) =>
        {
            Ok(false)
        }
        Outcome::Identity | Outcome::Reference(_) => {
            Err(format!("expected an object created for the new value:\n{}", summary()))
        }
        Outcome::Ensure if any("delete") => Ok(false),
        Outcome::Ensure => Err(format!("expected a deletion of {manifest}:\n{}", summary())),
        // This run plans in full, with no revision to compare with: a creation-only field
        // edited plans nothing here. A plan scoped with `--changed-since` refuses the edit by
        // name (tests/integration/scoped.rs, "creation-only fields").
        Outcome::Telform(_) | Outcome::AtCreation { .. } => {
            // Switching `prune` on may delete what nothing declares; nothing else happens.
            let pruning = path == "spec.prune";
            let touched = actions.iter().any(|a| !(pruning && a["reason"] == "pruned"));
            if touched || !errors.is_empty() {
                Err(format!("expected nothing planned:\n{}", summary()))
            } else {
                Ok(false)
            }
        }
        Outcome::Document => Ok(false),
    }
}

/// The examples' subjects completed so that every optional field has a value to change or
/// remove.
fn complete(folder: &mut Folder, kinds: &[Kind]) {
    if kinds
        .iter()
        .any(|k| matches!(k, Kind::Account | Kind::NumberSet | Kind::Consent))
    {
        // An account of its own, every field set and every service on (so that leaving one
        // out switches it off), with no numbers that a service change would strand.
        folder.files.insert(
            "acg/fields.yaml".into(),
            vec![json!({
                "apiVersion": "telform/v1",
                "kind": "Account",
                "metadata": {"name": "fields", "labels": {"purpose": "acceptance"}},
                "spec": {
                    "correlationId": "CRM-0001",
                    "teamsTenantId": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                    "services": {
                        "operatorConnect": {"enabled": true, "sync": true},
                        "teamsPhoneMobile": {"enabled": true, "sync": true},
                        "directRouting": {
                            "enabled": true, "sync": true, "callScreening": false, "subdomain": "fields",
                            "subdomainTokens": {"region1": "token-region1", "region2": "token-region2"}
                        },
                        "zoom": {"enabled": true, "sync": true},
                        "callProtection": {"enabled": true}
                    },
                    "prune": false,
                    "protect": false
                }
            })],
        );
        // Not the default, so that leaving it out is a change.
        let redmond = folder.doc_mut(Kind::NumberSet, "contoso-redmond");
        redmond["spec"]["defaults"]["allowTenantAddressUpdate"] = json!(true);
        // Contoso takes Direct Routing too, for a number set's change of service.
        let contoso = folder.doc_mut(Kind::Account, "contoso");
        contoso["spec"]["services"]["directRouting"] = json!({"enabled": true});
        let consent = folder.doc_mut(Kind::Consent, "contoso");
        consent["spec"]["reason"] = json!("Signed on 2024-01-17.");
    }
    if kinds.contains(&Kind::User) {
        let jeanne = folder.doc_mut(Kind::User, "acme-jdupont");
        jeanne["spec"]["admin"] = json!(false);
        // Deletion and replacement are tried, not refused by `protect`.
        folder.doc_mut(Kind::Customer, "acme")["spec"]["protect"] = json!(false);
        // A spare number of Lyon, and a workspace there without devices.
        folder.doc_mut(Kind::Location, "acme-lyon")["spec"]["numbers"] = json!([
            "+33465710100",
            "+33465710101",
            "+33465710102",
            "+33465710103",
            "+33465710110"
        ]);
        folder.files.insert(
            "webex/acme/probe.yaml".into(),
            vec![json!({
                "apiVersion": "telform/v1",
                "kind": "Workspace",
                "metadata": {"name": "acme-probe"},
                "spec": {
                    "customer": "ACME-0001", "name": "Salle Probe", "roomType": "meetingRoom",
                    "capacity": 4, "license": "professional", "location": "Lyon",
                    "phoneNumber": "+33465710102", "extension": "1950"
                }
            })],
        );
    }
}

fn run_kinds(folder: &mut Folder, kinds: &[Kind]) -> (usize, usize, Vec<String>) {
    let mut fields_seen = 0;
    let mut edits = 0;
    let mut failures = Vec::new();
    for &kind in kinds {
        for (path, outcome) in fields::outcomes(kind) {
            fields_seen += 1;
            if outcome == Outcome::Document {
                continue;
            }
            let (file, index) = folder.find(kind, subject_for(kind, path));
            let base = folder.files[&file][index].clone();
            let now = get(&base, path).cloned();
            let mut variants: Vec<(&str, Option<Value>)> = Vec::new();
            match another(kind, path, now.as_ref()) {
                Some(value) => variants.push(("change", Some(value))),
                None => {
                    failures.push(format!(
                        "{}: `{path}` has no other value to try in fields.rs",
                        kind.as_str()
                    ));
                    continue;
                }
            }
            // One of a `oneOf` (`owner.user`) is replaced, never left out alone.
            if now.is_some() && !required(kind, path) && whole(kind, path).is_none() {
                variants.push(("remove", None));
            }
            for (what, value) in variants {
                edits += 1;
                let mut doc = base.clone();
                match (whole(kind, path), &value) {
                    (Some(parent), Some(v)) => {
                        let leaf = path.rsplit('.').next().expect("leaf");
                        let mut block = json!({});
                        block[leaf] = v.clone();
                        // A password's rotation stays: only its source changes.
                        if let Some(rotation) = get(&doc, &format!("{parent}.rotation")).cloned() {
                            block["rotation"] = rotation;
                        }
                        set(&mut doc, parent, Some(block));
                    }
                    _ => set(&mut doc, path, value.clone()),
                }
                if what == "change" {
                    for (other, value) in companions(kind, path) {
                        set(&mut doc, other, value);
                    }
                }
                let before = folder.files.clone();
                folder.files.get_mut(&file).expect("file")[index] = doc;
                follow_references(folder, kind, path, now.as_ref(), value.as_ref());
                folder.write_changed(&before);
                let expected = match what {
                    "remove" => fields::removal(kind, path).expect("decided"),
                    _ => outcome,
                };
                let new_key = value.as_ref().and_then(Value::as_str).map(str::to_string);
                let manifest = format!(
                    "{}/{}",
                    kind.as_str(),
                    folder.files[&file][index]["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                );
                let result = attempt(folder, (path, expected), new_key.as_deref(), (&file, &manifest));
                let edited = std::mem::replace(&mut folder.files, before);
                folder.write_changed(&edited);
                let restored = match &result {
                    Ok(true) => folder.apply().and_then(|()| folder.converged()),
                    _ => Ok(()),
                };
                if let Err(problem) = result.and(restored.map(|()| true)) {
                    failures.push(format!("{} `{path}` ({what}): {problem}", kind.as_str()));
                    // Whatever the failure left live, the next field starts from the base.
                    let _ = folder.apply();
                }
            }
        }
    }
    (fields_seen, edits, failures)
}

/// An identity renamed keeps what refers to it: the references are renamed with it, so that
/// the plan shows the rename itself (not a dangling reference `validate` would refuse).
fn follow_references(folder: &mut Folder, kind: Kind, path: &str, old: Option<&Value>, new: Option<&Value>) {
    let (Some(old), Some(new)) = (old.and_then(Value::as_str), new) else {
        return;
    };
    let referring: &[(&str, &str)] = match (kind, path) {
        (Kind::Template, "metadata.name") => &[("Customer", "/spec/template")],
        (Kind::Account, "metadata.name") => &[("NumberSet", "/spec/account"), ("Consent", "/spec/account")],
        (Kind::Customer, "spec.externalId") => &[
            ("Location", "/spec/customer"),
            ("User", "/spec/customer"),
            ("Workspace", "/spec/customer"),
            ("Device", "/spec/customer"),
        ],
        (Kind::Location, "spec.name") | (Kind::Customer, "spec.headquarters.name") => {
            &[("User", "/spec/location"), ("Workspace", "/spec/location")]
        }
        (Kind::User, "spec.email") => &[
            ("Device", "/spec/owner/user"),
            ("Device", "/spec/sharedWith/0/user"),
            ("Device", "/spec/sharedWith/1/user"),
        ],
        (Kind::Workspace, "spec.name") => &[("Device", "/spec/owner/workspace")],
        _ => &[],
    };
    for docs in folder.files.values_mut() {
        for doc in docs.iter_mut() {
            for (referring_kind, pointer) in referring {
                if doc["kind"] != *referring_kind {
                    continue;
                }
                if let Some(value) = doc.pointer_mut(pointer)
                    && value.as_str() == Some(old)
                {
                    *value = new.clone();
                }
            }
        }
    }
}

/// The document a field is tried on, where the kind's usual subject cannot take the edit.
fn subject_for(kind: Kind, path: &str) -> &'static str {
    match (kind, path) {
        // Salle Jupiter is a professional workspace with two devices: a common-area licence
        // would be refused by `validate` (one device at most), not by the plan.
        // A workspace without devices: its calling changes in place (the refusal while it holds
        // devices has its own test below).
        (Kind::Workspace, "spec.license" | "spec.phoneNumber" | "spec.extension") => "acme-probe",
        // A device whose password is not generated: `generate: true` is a new source for it.
        (Kind::Device, "spec.sipPassword.generate") => "acme-cbernard-phone",
        // Application numbers have no emergency address, which would be the old tenant's.
        (Kind::NumberSet, "spec.account") => "contoso-apps",
        _ => subject(kind),
    }
}

/// A path made at run time, for the table of companions.
fn leak(path: String) -> &'static str {
    Box::leak(path.into_boxed_str())
}

/// Other fields of the same document changed with a field, so that the edit stays valid.
fn companions(kind: Kind, path: &str) -> Vec<(&'static str, Option<Value>)> {
    match (kind, path) {
        // Marseille's own number: a user's number is one of its location's.
        // One of Marseille's own numbers: a user's number is one of its location's.
        (Kind::User, "spec.location") => vec![("spec.phoneNumber", Some(json!("+33465710201")))],
        // A civic address's own location, and a location of another civic address.
        (Kind::NumberSet, p) if p.ends_with(".civicAddressId") || p.ends_with(".locationId") => {
            let at = p.rsplit_once('.').map_or("", |(head, _)| head);
            let (address, location) = (
                "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
                "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            );
            vec![
                (leak(format!("{at}.civicAddressId")), Some(json!(address))),
                (leak(format!("{at}.locationId")), Some(json!(location))),
            ]
        }
        // Direct Routing numbers carry no Teams attributes.
        (Kind::NumberSet, "spec.service") => vec![
            ("spec.defaults", Some(json!({"customSipHeader": "contoso-redmond"}))),
            ("spec.numbers", Some(json!([{"number": "+14255550200"}]))),
        ],
        // A consent of another tenant: with no account, and declined.
        (Kind::Consent, "spec.tenantId") => {
            vec![
                ("spec.account", None),
                ("spec.relationship", Some(json!("consentDeclined"))),
            ]
        }
        (Kind::Workspace, "spec.location") => vec![("spec.phoneNumber", None)],
        (Kind::Customer, "spec.headquarters.address.country") => vec![("spec.country", Some(json!("BE")))],
        _ => Vec::new(),
    }
}

/// Plans the edit, checks the plan, and for a live change applies it and plans again.
/// `Ok(true)` when live state changed (and must be put back).
fn attempt(
    folder: &Folder,
    (path, outcome): (&str, Outcome),
    new_key: Option<&str>,
    (file, manifest): (&str, &str),
) -> Result<bool, String> {
    let plan = folder.plan();
    let applies = check(path, outcome, new_key, &plan, file, manifest)?;
    if applies && !plan_only(path) {
        folder.apply()?;
        folder.converged()?;
    }
    Ok(applies)
}

/// Edits whose plan is checked but not applied: a customer attached to another organisation
/// is a new customer, and the emulator holds one other organisation only, Globex's own.
fn plan_only(path: &str) -> bool {
    path == "spec.orgId"
}

/// Whether the schema requires the field (then it is only changed, never removed).
fn required(kind: Kind, path: &str) -> bool {
    let schema = telform::validate::schema::kind_schema(kind);
    let mut at = schema;
    let resolve = |v: &'static Value| resolve_ref(schema, v);
    let steps = steps(path);
    for (i, step) in steps.iter().enumerate() {
        at = resolve(at);
        let name = step.trim_end_matches("[]");
        let needed = at["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name));
        if i == steps.len() - 1 {
            return needed;
        }
        at = resolve(&at["properties"][name]);
        if step.ends_with("[]") {
            at = resolve(&at["items"]);
        }
    }
    false
}

/// Every field path of a kind's JSON Schema (`spec.numbers[].usage`), as the reference lists them.
/// The schema a `$ref` names in `root`, or `node` itself when it is no reference.
fn resolve_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(node),
        None => node,
    }
}

fn schema_fields(kind: Kind) -> Vec<String> {
    fn walk(node: &Value, root: &Value, prefix: &str, out: &mut Vec<String>) {
        let resolve = |v| resolve_ref(root, v);
        let node = resolve(node);
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, property) in properties {
            let path = format!("{prefix}{name}");
            out.push(path.clone());
            let target = resolve(property);
            if target.get("properties").is_some() {
                walk(target, root, &format!("{path}."), out);
            } else if let Some(items) = target.get("items") {
                walk(items, root, &format!("{path}[]."), out);
            }
        }
    }
    let schema = telform::validate::schema::kind_schema(kind);
    let mut out = Vec::new();
    walk(schema, schema, "", &mut out);
    out
}

/// Every schema field has a decision, and every decision a schema field: a field added
/// without one fails here (and in the reference's generation).
fn decided_exactly(kinds: &[Kind]) -> Vec<String> {
    let mut problems = Vec::new();
    for &kind in kinds {
        let fields = schema_fields(kind);
        let decided: Vec<&str> = fields::outcomes(kind).into_iter().map(|(p, _)| p).collect();
        for field in &fields {
            if !decided.contains(&field.as_str()) {
                problems.push(format!(
                    "{}: `{field}` has no decision in src/model/fields.rs",
                    kind.as_str()
                ));
            }
        }
        for field in decided {
            if !fields.iter().any(|f| f == field) {
                problems.push(format!("{}: `{field}` is decided but not in the schema", kind.as_str()));
            }
        }
    }
    problems
}

fn run(examples: &str, kinds: &[Kind], emulator: &telform::emulator::Emulator, env: Vec<(String, String)>) {
    let undecided = decided_exactly(kinds);
    assert!(undecided.is_empty(), "{}", undecided.join("\n"));
    *telform::emulator::App::lock(&emulator.app.journal) = Some(Vec::new());
    let mut folder = Folder::of(examples, env);
    complete(&mut folder, kinds);
    for file in folder.files.keys() {
        folder.write(file);
    }
    folder.apply().expect("the base applies");
    folder.converged().expect("the base converges");
    let (fields_seen, edits, mut failures) = run_kinds(&mut folder, kinds);
    let written = telform::emulator::App::lock(&emulator.app.journal)
        .take()
        .unwrap_or_default();
    for w in &written {
        for problem in request_errors(w) {
            failures.push(format!("{} {}: {problem}\n{:#}", w.method, w.path, w.body));
        }
    }
    println!(
        "{} kinds, {fields_seen} fields decided, {edits} edits planned, {} requests checked against the specs",
        kinds.len(),
        written.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {edits} edits failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The ACG kinds, in two tests that run side by side (each with its own emulator).
fn acg(kinds: &[Kind]) {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(20);
    let (_rt, emulator, env) = crate::emulator_on_runtime(seed, "");
    run("examples/acg", kinds, &emulator, env);
}

#[test]
fn every_account_and_consent_field_changes_in_place_is_replaced_or_is_refused_by_name() {
    acg(&[Kind::Account, Kind::Consent]);
}

#[test]
fn every_number_set_field_changes_in_place_is_replaced_or_is_refused_by_name() {
    acg(&[Kind::NumberSet]);
}

#[test]
fn every_webex_field_changes_in_place_is_replaced_or_is_refused_by_name() {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    let (_rt, emulator, mut env) = crate::emulator_on_runtime(seed, "");
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), "Jupiter-Table-7f3k9q".into()));
    env.push(("ACME_CBERNARD_SIP_PASSWORD".into(), "Cbernard-Desk-2m8x4z".into()));
    env.push(("ACME_OTHER_SIP_PASSWORD".into(), "Other-Desk-5r7t9w".into()));
    run(
        "examples/webex",
        &[
            Kind::Template,
            Kind::Customer,
            Kind::Location,
            Kind::User,
            Kind::Workspace,
            Kind::Device,
        ],
        &emulator,
        env,
    );
}

/// The official specs, parsed once.
fn spec(file: &str) -> &'static Value {
    static SPECS: OnceLock<Mutex<HashMap<String, &'static Value>>> = OnceLock::new();
    let mut specs = SPECS.get_or_init(Default::default).lock().expect("lock");
    specs.entry(file.to_string()).or_insert_with(|| {
        let text = std::fs::read_to_string(root().join("specs").join(file)).expect("spec file");
        Box::leak(Box::new(serde_json::from_str(&text).expect("spec JSON")))
    })
}

/// Whether a concrete path matches a spec's path template (`{id}` is one segment, which may
/// carry an ACG action suffix such as `{accountName}:deleteNumbers`).
fn matches_template(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| match t.find('{') {
            None => t == p,
            Some(open) => {
                let close = t.find('}').expect("closing brace");
                let (before, after) = (&t[..open], &t[close + 1..]);
                p.len() > before.len() + after.len()
                    && p.starts_with(before)
                    && p.ends_with(after)
                    && !p[before.len()..p.len() - after.len()].contains(':')
            }
        })
}

/// The request schema of `method path` in one of the specs, with what resolves its `$ref`s.
fn request_schema(w: &telform::emulator::Written) -> Result<(String, Option<Value>), String> {
    let method = w.method.to_lowercase();
    let (files, path, openapi3): (&[&str], &str, bool) = if let Some(rest) = w.path.strip_prefix("/webex/v1") {
        (
            &[
                "webex/webex-wholesale.json",
                "webex/webex-admin.json",
                "webex/webex-device.json",
            ],
            rest,
            true,
        )
    } else if let Some(rest) = w.path.strip_prefix("/acg") {
        (&["acg/swagger.json"], rest, false)
    } else {
        return Err("a write to no provider's API".into());
    };
    for file in files {
        let spec = spec(file);
        let Some(paths) = spec["paths"].as_object() else {
            continue;
        };
        for (template, operations) in paths {
            if !matches_template(template, path) {
                continue;
            }
            let Some(operation) = operations.get(&method) else {
                continue;
            };
            let schema = if openapi3 {
                operation["requestBody"]["content"]["application/json"]["schema"].clone()
            } else {
                operation["parameters"]
                    .as_array()
                    .and_then(|ps| ps.iter().find(|p| p["in"] == "body"))
                    .map(|p| p["schema"].clone())
                    .unwrap_or(Value::Null)
            };
            let mut root_schema = if schema.is_object() { schema } else { json!({}) };
            if openapi3 {
                root_schema["components"] = spec["components"].clone();
            } else {
                root_schema["definitions"] = spec["definitions"].clone();
            }
            // A property the spec marks `readOnly` is the server's: required in answers only.
            drop_read_only_from_required(&mut root_schema);
            // A field the spec does not declare is a departure from it too (the specs leave
            // objects open, so an undeclared field would pass unseen).
            close_objects(&mut root_schema);
            return Ok((format!("{file} {method} {template}"), Some(root_schema)));
        }
    }
    // Webex Calling's location numbers are not in the OpenAPI files of specs/: their contract
    // is docs/api-webex.md's, from wxc_sdk's generated cloud-calling client [S9].
    if matches_template("/telephony/config/locations/{locationId}/numbers", path) {
        return Ok(("docs/api-webex.md location numbers (no OpenAPI file)".into(), None));
    }
    Err(format!("no operation {} {path} in the specs", w.method))
}

/// Makes every object schema that lists its properties refuse any other (`additionalProperties:
/// false` where the spec says nothing).
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let composed = ["allOf", "anyOf", "oneOf"].iter().any(|k| map.contains_key(*k));
            if map.get("properties").is_some_and(Value::is_object)
                && !map.contains_key("additionalProperties")
                && !composed
            {
                map.insert("additionalProperties".into(), json!(false));
            }
            for value in map.values_mut() {
                close_objects(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Removes from every `required` list the properties marked `readOnly` beside it.
fn drop_read_only_from_required(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let read_only: Vec<String> = map
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .filter(|(_, p)| p["readOnly"] == json!(true))
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Array(required)) = map.get_mut("required") {
                required.retain(|r| !r.as_str().is_some_and(|r| read_only.iter().any(|n| n == r)));
                // Draft 4 wants a `required` list not empty.
                if required.is_empty() {
                    map.remove("required");
                }
            }
            for value in map.values_mut() {
                drop_read_only_from_required(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_read_only_from_required),
        _ => {}
    }
}

/// The schema errors of a request telform sent (none when the spec declares no body).
fn request_errors(w: &telform::emulator::Written) -> Vec<String> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let (name, root_schema) = match request_schema(w) {
        Ok((_, None)) => return Vec::new(),
        Ok((name, Some(schema))) => (name, schema),
        Err(problem) => return vec![problem],
    };
    let validator = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .expect("lock")
        .entry(name.clone())
        .or_insert_with(|| Arc::new(jsonschema::draft4::new(&root_schema).expect("the schema compiles")))
        .clone();
    if w.body.is_null() {
        return Vec::new();
    }
    validator
        .iter_errors(&w.body)
        .map(|e| format!("{name}: {e} at {}", e.instance_path()))
        .collect()
}

/// The condition of a workspace's calling fields: while it holds devices, Webex does not
/// update its calling, so a new extension is refused by name at plan (not failed at apply).
#[test]
fn a_workspace_holding_devices_refuses_a_new_extension_by_name() {
    let mut seed = seed::demo();
    seed.timing.webex_provisioning_delay = Duration::from_millis(100);
    let (_rt, _emulator, mut env) = crate::emulator_on_runtime(seed, "");
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), "Jupiter-Table-7f3k9q".into()));
    env.push(("ACME_CBERNARD_SIP_PASSWORD".into(), "Cbernard-Desk-2m8x4z".into()));
    let mut folder = Folder::of("examples/webex", env);
    folder.apply().expect("the examples apply");
    let (file, _) = folder.find(Kind::Workspace, "acme-jupiter");
    folder.doc_mut(Kind::Workspace, "acme-jupiter")["spec"]["extension"] = json!("1955");
    folder.write(&file);
    let plan = folder.plan().expect("a plan");
    let errors = plan["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{plan:#}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("workspace Salle Jupiter: `extension` cannot change while the workspace holds 2 devices"),
        "{message}"
    );
    assert_eq!(errors[0]["source"]["manifest"], "Workspace/acme-jupiter", "{plan:#}");
    assert!(plan["actions"].as_array().is_none_or(Vec::is_empty), "{plan:#}");
}
