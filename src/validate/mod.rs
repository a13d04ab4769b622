//! Validation in three layers: YAML syntax (while loading), JSON Schema, domain rules.

pub mod e164;
pub mod redact;
pub mod report;
pub mod rules;
pub mod schema;

use std::path::PathBuf;

use serde_json::Value;

use crate::diag::codes;
use crate::diag::diagnostic::{self, Diagnostic};
use crate::manifest::load::{self, Sources};
use crate::manifest::settings::{SecretPolicy, Settings};
use crate::manifest::{Kind, ManifestSet};
use schema::SettingsFile;

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

/// Loads and validates everything under `paths`, reporting all problems, not the first, with
/// the default SIP password policy.
pub fn validate(paths: &[PathBuf]) -> Validated {
    validate_with(paths, &SecretPolicy::default())
}

/// [`validate`], with the SIP password policy of the operator's settings.
pub fn validate_with(paths: &[PathBuf], policy: &SecretPolicy) -> Validated {
    // Each document is checked against its schema on the thread that parsed its file. The
    // identity a failed document declares is read from its raw value first, so that a
    // reference to it is not reported as dangling on top of the document's own errors.
    let loaded = load::load_files(paths, |docs| {
        docs.into_iter()
            .map(|doc| {
                let identity = Identity::of(&doc.value);
                schema::check_document(doc).map_err(|found| (identity, found))
            })
            .collect::<Vec<_>>()
    });
    let mut diagnostics = loaded.diagnostics;
    let documents = loaded.docs.iter().map(Vec::len).sum();
    let mut manifests = ManifestSet::default();
    // Each kind's vector is allocated once, at its size: grown manifest by manifest, the
    // 100,000 users of a large repository would be copied at each doubling.
    let mut counts = [0usize; Kind::ALL.len()];
    for manifest in loaded.docs.iter().flatten().filter_map(|result| result.as_ref().ok()) {
        counts[manifest.kind() as usize] += 1;
    }
    manifests.reserve(&counts);
    let mut unresolved = rules::Unresolved {
        // A file read only in part may hold any identity.
        all: !loaded.partial.is_empty(),
        ..rules::Unresolved::default()
    };
    // File by file: each file's vector is freed once its manifests are moved into the set.
    for file in loaded.docs {
        for result in file {
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
    }
    // `fromFile` paths are relative to the manifest folder: the one folder (or file's folder)
    // named, when one is.
    let root = match paths {
        [one] => Some(crate::manifest::confined::folder_of(one)),
        _ => None,
    };
    diagnostics.extend(rules::check(&manifests, &unresolved, policy, root.as_deref()));

    let settings = loaded
        .settings
        .and_then(|doc| match schema::check_settings(doc, SettingsFile::Folder) {
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

/// Reads the operator's settings file (`--settings`, `TELFORM_SETTINGS`). It must lie outside
/// `checkout` (the manifest folder, or the Git work tree that holds it): a file of the pull
/// request is not trusted however it is named. The error is the rendered diagnostics.
pub fn operator_settings(path: &std::path::Path, checkout: &std::path::Path) -> Result<Settings, String> {
    let inside = |root: &std::path::Path| {
        let root = std::fs::canonicalize(root).ok();
        let file = std::fs::canonicalize(path).ok();
        matches!((root, file), (Some(root), Some(file)) if file.starts_with(&root))
    };
    let work_tree = checkout.canonicalize().ok().and_then(|dir| {
        dir.ancestors()
            .find(|a| a.join(".git").exists())
            .map(std::path::Path::to_path_buf)
    });
    if inside(checkout) || work_tree.as_deref().is_some_and(inside) {
        return Err(format!(
            "the settings file {} is inside the checkout of the manifests: a pull request could change it\nhint: keep the operator's settings outside the repository (e.g. /etc/telform/settings.yaml, or a CI secret file) and name it with --settings or TELFORM_SETTINGS",
            path.display()
        ));
    }
    let mut sources = load::Sources::default();
    let real = std::fs::canonicalize(path).map_err(|e| {
        format!(
            "cannot read the settings file {}: {e}
hint: check the path given to --settings or TELFORM_SETTINGS",
            path.display()
        )
    })?;
    let id = sources.add_readable(path.to_path_buf(), real.clone());
    let read = load::read_file(id, &real);
    let mut diagnostics = read.diagnostics;
    let mut settings = None;
    match read.docs.len() {
        1 => match schema::check_settings(
            read.docs.into_iter().next().expect("one document"),
            SettingsFile::Operator,
        ) {
            Ok(found) => settings = Some(found),
            Err(mut found) => diagnostics.append(&mut found),
        },
        0 => {}
        _ => diagnostics.push(
            Diagnostic::error(
                codes::YAML_UNSUPPORTED,
                diagnostic::At::File(id),
                "the settings file holds more than one document",
            )
            .hint("keep one document in the settings file"),
        ),
    }
    match settings {
        Some(settings) if diagnostics.is_empty() => Ok(settings),
        _ => {
            let located = report::locate(&diagnostics, &sources);
            Err(format!(
                "{}the settings file {} is not valid
hint: fix it as shown above",
                report::render_text(&located, false),
                path.display()
            ))
        }
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
