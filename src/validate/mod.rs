//! Validation in three layers: YAML syntax (while loading), JSON Schema, domain rules.

pub mod codes;
pub mod diagnostic;
pub mod e164;
pub mod report;
pub mod rules;
pub mod schema;

use std::collections::HashSet;
use std::path::PathBuf;

use crate::manifest::load::{self, Sources};
use crate::manifest::settings::Settings;
use crate::manifest::{Kind, ManifestSet};
use diagnostic::Diagnostic;

/// What `validate` found: the manifests that passed the schema layer, and every problem.
#[derive(Debug)]
pub struct Validated {
    pub sources: Sources,
    pub manifests: ManifestSet,
    pub settings: Option<Settings>,
    pub diagnostics: Vec<Diagnostic>,
    /// Documents read (valid or not).
    pub documents: usize,
}

impl Validated {
    pub fn is_valid(&self) -> bool {
        self.diagnostics
            .iter()
            .all(|d| d.severity < diagnostic::Severity::Error)
    }
}

/// Loads and validates everything under `paths`, reporting all problems, not the first.
pub fn validate(paths: &[PathBuf]) -> Validated {
    // Each document is checked against its schema on the thread that parsed its file.
    let loaded = load::load_map(paths, |doc| {
        let kind: Option<Kind> = doc
            .value
            .get("kind")
            .and_then(|k| k.as_str())
            .and_then(|k| k.parse().ok());
        (kind, schema::check_document(doc))
    });
    let mut diagnostics = loaded.diagnostics;
    let documents = loaded.docs.len();
    let mut manifests = ManifestSet::default();
    // Kinds with a document that failed the schema layer: a reference to such a kind may
    // point at that document, so it is not reported as dangling.
    let mut incomplete: HashSet<Kind> = HashSet::new();
    let mut untyped = false;
    for (kind, result) in loaded.docs {
        match result {
            Ok(manifest) => manifests.push(manifest),
            Err(mut found) => {
                diagnostics.append(&mut found);
                match kind {
                    Some(kind) => {
                        incomplete.insert(kind);
                    }
                    None => untyped = true,
                }
            }
        }
    }
    // A file that failed to parse may hold any kind.
    if untyped || diagnostics.iter().any(|d| d.code.id < "TF020") {
        incomplete.extend(Kind::ALL);
    }
    diagnostics.extend(rules::check(&manifests, &incomplete));

    let settings = loaded.settings.and_then(|doc| match schema::check_settings(doc) {
        Ok(settings) => Some(settings),
        Err(mut found) => {
            diagnostics.append(&mut found);
            None
        }
    });
    Validated {
        sources: loaded.sources,
        manifests,
        settings,
        diagnostics,
        documents,
    }
}
