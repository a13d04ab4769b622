//! Validation in three layers: YAML syntax (while loading), JSON Schema, domain rules.

pub mod codes;
pub mod diagnostic;
pub mod e164;
pub mod redact;
pub mod report;
pub mod rules;
pub mod schema;

use std::path::PathBuf;

use serde_json::Value;

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
    // Each document is checked against its schema on the thread that parsed its file. The
    // identity a failed document declares is read from its raw value first, so that a
    // reference to it is not reported as dangling on top of the document's own errors.
    let loaded = load::load_map(paths, |doc| {
        let identity = Identity::of(&doc.value);
        schema::check_document(doc).map_err(|found| (identity, found))
    });
    let mut diagnostics = loaded.diagnostics;
    let documents = loaded.docs.len();
    let mut manifests = ManifestSet::default();
    let mut unresolved = rules::Unresolved {
        // A file read only in part may hold any identity.
        all: !loaded.partial.is_empty(),
        ..rules::Unresolved::default()
    };
    for result in loaded.docs {
        match result {
            Ok(manifest) => manifests.push(manifest),
            Err((identity, mut found)) => {
                diagnostics.append(&mut found);
                if let Some(identity) = identity {
                    identity.add_to(&mut unresolved);
                }
            }
        }
    }
    diagnostics.extend(rules::check(&manifests, &unresolved));

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

/// The identity a document declares, read from its raw value: what can be read of it even when
/// the document fails the schema layer.
enum Identity {
    /// Account, Template (by `metadata.name`), Customer (by `spec.externalId`).
    Named(Kind, String),
    /// Location, User (email in lower case), Workspace: (customer, name).
    Scoped(Kind, String, String),
    /// A customer's headquarters is also one of its locations.
    CustomerWithHeadquarters(String, String),
}

impl Identity {
    fn of(value: &Value) -> Option<Identity> {
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).map(str::to_string);
        let kind = value.get("kind").and_then(Value::as_str)?;
        // A misspelt kind (`Acount`) most likely declares what it was meant to.
        let kind: Kind = kind.parse().ok().or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            schema::did_you_mean(kind, &names).and_then(|k| k.parse().ok())
        })?;
        let scoped = |field: &str| Some((text("/spec/customer")?, text(&format!("/spec/{field}"))?));
        Some(match kind {
            Kind::Account | Kind::Template => Identity::Named(kind, text("/metadata/name")?),
            Kind::Customer => {
                let external_id = text("/spec/externalId")?;
                match text("/spec/headquarters/name") {
                    Some(hq) => Identity::CustomerWithHeadquarters(external_id, hq),
                    None => Identity::Named(kind, external_id),
                }
            }
            Kind::Location | Kind::Workspace => {
                let (customer, name) = scoped("name")?;
                Identity::Scoped(kind, customer, name)
            }
            Kind::User => {
                let (customer, email) = scoped("email")?;
                Identity::Scoped(kind, customer, email.to_lowercase())
            }
            Kind::NumberSet | Kind::Consent | Kind::Device => return None,
        })
    }

    fn add_to(self, unresolved: &mut rules::Unresolved) {
        match self {
            Identity::Named(kind, name) => {
                unresolved.named.insert((kind, name));
            }
            Identity::Scoped(kind, customer, name) => {
                unresolved.scoped.insert((kind, customer, name));
            }
            Identity::CustomerWithHeadquarters(customer, hq) => {
                unresolved.named.insert((Kind::Customer, customer.clone()));
                unresolved.scoped.insert((Kind::Location, customer, hq));
            }
        }
    }
}
