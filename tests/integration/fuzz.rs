//! Arbitrary input never panics the loader or the validator.

use proptest::prelude::*;
use telform::manifest::FileId;
use telform::manifest::load::parse_text;
use telform::validate::schema::check_document;

fn run(text: &str) {
    let (docs, _) = parse_text(FileId(0), text);
    for doc in docs {
        let _ = check_document(doc);
    }
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
