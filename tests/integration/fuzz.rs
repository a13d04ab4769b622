//! Arbitrary input never panics the loader, the validator or the reporter.

use proptest::prelude::*;
use telform::manifest::FileId;
use telform::manifest::load::{parse_text, read_file};
use telform::validate::{report, schema::check_document, validate};

fn run(text: &str) {
    for doc in parse_text(FileId(0), text).docs {
        let _ = check_document(doc);
    }
}

/// The whole path a user's file takes: written to disk, read (size, encoding, YAML), validated
/// with every rule, located (re-parsed with positions, redacted) and rendered three ways.
fn run_file(dir: &std::path::Path, bytes: &[u8]) {
    let path = dir.join("fuzz.yaml");
    std::fs::write(&path, bytes).expect("written");
    let _ = read_file(FileId(0), &path);
    let validated = validate(&[dir.to_path_buf()]);
    let located = report::locate(&validated.diagnostics, &validated.sources);
    let _ = report::render_text(&located, true);
    let _ = report::render_json(&located);
    let _ = report::render_github(&located);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        run(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([-:{}\\[\\],&*!|>'\"#%@` \n\ta-z0-9+]|kind|apiVersion|spec|telform/v1|Account|Device){0,80}") {
        run(&text);
    }

    /// Mutations of a valid manifest: every prefix, and every single-byte change of it.
    #[test]
    fn mutated_manifests_never_panic(cut in 0usize..400, at in 0usize..400, byte in any::<u8>()) {
        let base = "apiVersion: telform/v1\nkind: Device\nmetadata: {name: d}\nspec:\n  customer: C\n  mac: '00:1A:2B:3C:4D:5E'\n  model: Yealink T54W\n  owner: {user: a@b.example}\n  sharedWith: [{user: c@b.example}]\n  sipPassword: {generate: true, rotation: 1}\n";
        let mut bytes = base.as_bytes().to_vec();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        bytes.truncate(cut.min(bytes.len()));
        run(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    // Each case writes a file and runs the whole validation: fewer cases keep it quick.
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Raw bytes (not made UTF-8 first), through the real file path, rules and renderers.
    #[test]
    fn arbitrary_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().expect("temp dir");
        run_file(dir.path(), &bytes);
    }

    /// YAML-like files, which get further than raw bytes: schema errors, rules, snippets.
    #[test]
    fn yaml_like_files_never_panic(text in "([-:{}\\[\\],&*!|>'\"#%@` \n\ta-z0-9+]|kind: |apiVersion: telform/v1\n|spec:\n|sipPassword: |Device|User|\n  ){0,60}") {
        let dir = tempfile::tempdir().expect("temp dir");
        run_file(dir.path(), text.as_bytes());
    }
}
