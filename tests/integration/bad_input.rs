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
    assert!(output.contains("MB"), "{output}");
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
    assert_refused(dir.path(), "no-such-folder", "tf001");
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

#[test]
fn hidden_folders_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("repo/.git")).expect("created");
    std::fs::write(dir.path().join("repo/.git/broken.yaml"), "{{{").expect("written");
    std::fs::write(
        dir.path().join("repo/template.yml"),
        "apiVersion: telform/v1\nkind: Template\nmetadata: {name: t}\nspec: {provisioningId: p, country: FR, language: fr_FR, subscription: s, authentication: webex, calling: {timezone: Europe/Paris, language: fr_fr}}\n",
    )
    .expect("written");
    let output = telform(dir.path(), &["validate", "repo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn a_literal_password_never_appears_in_any_output() {
    let dir = root().join("tests/bad");
    let secrets = ["S3cr3t-Passw0rd!", "hunter2"];
    for format in ["text", "json", "github"] {
        for entry in std::fs::read_dir(&dir).expect("tests/bad exists") {
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            if !name.starts_with("tf181") {
                continue;
            }
            let output = telform(&dir, &["validate", "--output", format, &name]);
            let all = format!("{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
            for secret in secrets {
                assert!(
                    !all.contains(secret),
                    "{name} --output {format} shows the password:\n{all}"
                );
            }
        }
    }
}
