//! The bad-input corpus: every case under `tests/bad/` must be refused with a located
//! diagnostic carrying the code its name starts with, and its output must match a snapshot.
//! Cases too big or too odd to commit are generated here.

use std::path::Path;

use serde_json::Value;

use crate::{root, stdout, telform};

fn diagnostics(dir: &Path, target: &str) -> (Vec<Value>, String, i32) {
    let json = telform(dir, &["validate", "--output", "json", target]);
    let text = telform(dir, &["validate", target]);
    assert_eq!(json.status.code(), text.status.code());
    let parsed: Vec<Value> =
        serde_json::from_str(&stdout(&json)).unwrap_or_else(|e| panic!("{target}: bad JSON ({e}): {}", stdout(&json)));
    (parsed, stdout(&text), json.status.code().unwrap_or(-1))
}

fn assert_refused(dir: &Path, target: &str, code: &str) -> String {
    let (found, text, status) = diagnostics(dir, target);
    assert_eq!(status, 1, "{target}: expected exit 1, output:\n{text}");
    assert!(
        found.iter().any(|d| d["code"] == code.to_uppercase()),
        "{target}: no {code} among {:?}\n{text}",
        found
            .iter()
            .map(|d| d["code"].as_str().unwrap_or(""))
            .collect::<Vec<_>>()
    );
    for d in &found {
        if d["code"] != "TF010" {
            assert!(
                d["file"].is_string() && d["line"].is_u64() && d["column"].is_u64(),
                "{target}: unlocated diagnostic {d}"
            );
        }
        assert!(d["hint"].is_string(), "{target}: diagnostic without a hint {d}");
    }
    assert!(!text.contains("panicked"), "{target}: {text}");
    text
}

#[test]
fn every_corpus_case_is_refused_with_its_code() {
    let dir = root().join("tests/bad");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("tf"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 60,
        "the corpus has {} cases; at least 60 expected",
        cases.len()
    );
    for case in cases {
        let code = &case[..5];
        let text = assert_refused(&dir, &case, code);
        let name = case.trim_end_matches(".yaml").trim_end_matches(".yml").to_string();
        insta::with_settings!({snapshot_path => root().join("tests/integration/snapshots/bad"), prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn a_50_mb_file_is_refused_by_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "apiVersion: telform/v1\nkind: NumberSet\nmetadata: {name: big}\nspec:\n  account: a\n  service: directRouting\n  numbers:\n",
    );
    let line = "    - {number: \"+14255550100\"}\n";
    text.push_str(&line.repeat(50_000_000 / line.len()));
    std::fs::write(dir.path().join("big.yaml"), text).expect("written");
    let output = assert_refused(dir.path(), "big.yaml", "tf003");
    assert!(output.contains("MiB"), "{output}");
}

#[test]
fn a_billion_laughs_alias_bomb_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "apiVersion: telform/v1\nkind: Template\nmetadata: {name: lol}\nspec:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(dir.path().join("lol.yaml"), text).expect("written");
    assert_refused(dir.path(), "lol.yaml", "tf007");
}

#[test]
fn ten_thousand_deep_nesting_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "apiVersion: telform/v1\nkind: Template\nmetadata: {{name: deep}}\nspec: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    std::fs::write(dir.path().join("deep.yaml"), &text).expect("written");
    assert_refused(dir.path(), "deep.yaml", "tf007");
    // Mappings nest the same way (block nesting of 10,000 levels would need 50 MB of indentation).
    let mappings = format!("{}x{}\n", "{k: ".repeat(10_000), "}".repeat(10_000));
    std::fs::write(dir.path().join("deep.yaml"), mappings).expect("written");
    assert_refused(dir.path(), "deep.yaml", "tf007");
}

#[test]
fn a_missing_path_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (found, text, status) = diagnostics(dir.path(), "no-such-folder");
    assert_eq!(status, 1, "{text}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "TF001");
    assert_eq!(found[0]["file"], "no-such-folder");
    // Named, without a position it does not have.
    assert_eq!(found[0].get("line"), None, "{found:?}");
    assert!(found[0]["hint"].is_string());
    assert!(text.contains("--> no-such-folder\n"), "{text}");
}

#[test]
fn a_folder_without_manifests_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("empty")).expect("created");
    std::fs::write(dir.path().join("empty/readme.txt"), "not yaml").expect("written");
    let (found, _, status) = diagnostics(dir.path(), "empty");
    assert_eq!(status, 1);
    assert_eq!(found[0]["code"], "TF010");
}

const TEMPLATE: &str = "apiVersion: telform/v1\nkind: Template\nmetadata: {name: t}\nspec: {provisioningId: p, country: FR, language: fr_FR, subscription: s, authentication: webex, calling: {timezone: Europe/Paris, language: fr_fr}}\n";

#[test]
fn hidden_folders_and_files_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("repo/.git")).expect("created");
    std::fs::write(dir.path().join("repo/.git/broken.yaml"), "{{{").expect("written");
    // An Emacs lock file and a vim swap-like leftover.
    std::fs::write(dir.path().join("repo/.#template.yml"), "{{{").expect("written");
    std::fs::write(dir.path().join("repo/.template.yml.un~.yaml"), "{{{").expect("written");
    std::fs::write(dir.path().join("repo/template.yml"), TEMPLATE).expect("written");
    let output = telform(dir.path(), &["validate", "repo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

/// Regression: one dangling symlink aborted the whole folder walk, hiding every other file.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_reported_and_the_walk_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("repo/a")).expect("created");
    std::os::unix::fs::symlink("no-such-file.yaml", dir.path().join("repo/a/gone.yaml")).expect("symlink");
    std::fs::write(
        dir.path().join("repo/b.yaml"),
        "apiVersion: telform/v1\nkind: Template\n",
    )
    .expect("written");
    let (found, text, status) = diagnostics(dir.path(), "repo");
    assert_eq!(status, 1, "{text}");
    let codes: Vec<(&str, &str)> = found
        .iter()
        .map(|d| (d["code"].as_str().unwrap_or(""), d["file"].as_str().unwrap_or("")))
        .collect();
    assert!(codes.contains(&("TF001", "repo/a/gone.yaml")), "{codes:?}");
    // The walk went on: b.yaml was read and checked.
    assert!(
        codes
            .iter()
            .any(|(code, file)| *code == "TF024" && *file == "repo/b.yaml"),
        "{codes:?}"
    );
}

/// Regression: `validate examples examples/acg` read the ACG files twice and reported every
/// one of their identities as declared twice.
#[test]
fn overlapping_paths_read_each_file_once() {
    let output = telform(
        &root(),
        &["validate", "examples", "examples/acg", "examples/acg/contoso.yaml"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let alone = telform(&root(), &["validate", "examples"]);
    assert_eq!(stdout(&output), stdout(&alone));
}

/// A repository of a template, a customer and a user at location `HQ`; `extra` is added as a
/// file of its own.
fn repository_with(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("created");
    std::fs::write(repo.join("template.yaml"), TEMPLATE).expect("written");
    std::fs::write(
        repo.join("user.yaml"),
        "apiVersion: telform/v1\nkind: User\nmetadata: {name: u}\nspec: {customer: C1, email: a@c1.example, firstName: A, lastName: B, package: webex_calling, location: HQ, extension: \"100\"}\n",
    )
    .expect("written");
    for (name, text) in extra {
        std::fs::write(repo.join(name), text).expect("written");
    }
    dir
}

const CUSTOMER: &str = "apiVersion: telform/v1\nkind: Customer\nmetadata: {name: c1}\nspec:\n  template: t\n  externalId: C1\n  companyName: C One\n  adminEmail: admin@c1.example\n  country: FR\n  supportedLocationVerified: true\n  packages: [webex_calling]\n  headquarters: {name: HQ, address: {line1: 1 rue A, city: Paris, country: FR}, timezone: Europe/Paris, language: fr_fr}\n";

fn codes_of(dir: &Path) -> Vec<String> {
    let (found, _, _) = diagnostics(dir, "repo");
    found
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A reference to a document that fails the schema layer is not reported as dangling: the
/// document's own errors are. References elsewhere still are.
#[test]
fn a_reference_to_a_document_with_schema_errors_is_not_dangling() {
    let broken = CUSTOMER.replace("  country: FR\n", "  country: France\n");
    let dir = repository_with(&[("customer.yaml", &broken)]);
    assert_eq!(codes_of(dir.path()), ["TF026"]);
    // The customer's headquarters is a location of it too.
    let broken_and_dangling = format!(
        "{broken}---\napiVersion: telform/v1\nkind: User\nmetadata: {{name: v}}\nspec: {{customer: C1, email: b@c1.example, firstName: A, lastName: B, package: webex_calling, location: Nowhere, extension: \"101\"}}\n"
    );
    let dir = repository_with(&[("customer.yaml", &broken_and_dangling)]);
    assert_eq!(codes_of(dir.path()), ["TF026", "TF120"]);
}

/// A file that could not be parsed to its end may hold any identity: no reference is reported
/// as dangling. An empty file holds none, and the settings file declares nothing.
#[test]
fn only_a_file_read_in_part_suspends_reference_checks() {
    let dir = repository_with(&[("broken.yaml", "kind: [\n")]);
    assert_eq!(codes_of(dir.path()), ["TF004"]);
    let dir = repository_with(&[("empty.yaml", "# nothing yet\n")]);
    let mut codes = codes_of(dir.path());
    codes.sort();
    assert_eq!(codes, ["TF009", "TF120"]);
    let dir = repository_with(&[("telform.yaml", "apiVersion: telform/v1\napply: {concurrency: [\n")]);
    let mut codes = codes_of(dir.path());
    codes.sort();
    assert_eq!(codes, ["TF004", "TF120"]);
}

/// A secret never appears in any output format, whatever the diagnostic: every corpus case is
/// run in every format. Every case about a secret uses one containing `Hunter2`.
#[test]
fn a_literal_password_never_appears_in_any_output() {
    let dir = root().join("tests/bad");
    let secrets = [
        "Hunter2",
        "hunter2",
        "S3cr3t-Passw0rd!",
        "Zx8Q~n0t.a-real~SecretValue_42",
    ];
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("tf"))
        .collect();
    cases.sort();
    let mut with_secret = 0;
    for name in &cases {
        let path = dir.join(name);
        let source = if path.is_dir() {
            std::fs::read_dir(&path)
                .expect("readable")
                .map(|e| std::fs::read(e.expect("entry").path()).unwrap_or_default())
                .collect::<Vec<_>>()
                .concat()
        } else {
            std::fs::read(&path).expect("readable")
        };
        if secrets
            .iter()
            .any(|s| source.windows(s.len()).any(|w| w == s.as_bytes()))
        {
            with_secret += 1;
        }
        for format in ["text", "json", "github"] {
            let output = telform(&dir, &["validate", "--output", format, name]);
            let all = format!("{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
            for secret in secrets {
                assert!(
                    !all.contains(secret),
                    "{name} --output {format} shows the secret {secret}:\n{all}"
                );
            }
        }
    }
    assert!(with_secret >= 15, "only {with_secret} corpus cases hold a secret");
}

/// A customer's data residency (the seed procedure's region choice in Partner Hub) has no field
/// in the wholesale API: refused by name at its line, with what to do instead (issue #13).
#[test]
fn a_data_residency_field_is_refused_by_name_with_what_to_do() {
    let with_region = CUSTOMER.replace("  country: FR\n", "  country: FR\n  dataResidency: EU\n");
    let dir = repository_with(&[("customer.yaml", &with_region)]);
    let (found, text, code) = diagnostics(dir.path(), "repo");
    assert_eq!(code, 1, "{text}");
    assert_eq!(found.len(), 1, "{text}");
    let message = found[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`dataResidency`"), "{message}");
    assert!(message.contains("data residency cannot be chosen"), "{message}");
    let hint = found[0]["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("Partner Hub") && hint.contains("orgId"), "{hint}");
    assert_eq!(found[0]["line"], 10, "{text}");
}
