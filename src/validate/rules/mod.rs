//! Domain rules: what the platforms and the vendor procedures require beyond the schema.
//! One file per family; each rule reports with its own code from [`super::codes`].

mod acg;
mod identity;
mod numbers;
mod webex;

use std::collections::HashSet;

use crate::manifest::{Kind, Manifest, ManifestSet};
use crate::validate::diagnostic::{At, Diagnostic};

/// Runs every rule. `incomplete` lists kinds of which some document failed the schema layer:
/// references into those kinds are not checked, as the target may be one of those documents.
pub fn check(set: &ManifestSet, incomplete: &HashSet<Kind>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    numbers::check(set, &mut out);
    identity::check_unique(set, &mut out);
    identity::check_references(set, incomplete, &mut out);
    acg::check(set, &mut out);
    webex::check(set, &mut out);
    out
}

/// `Kind/name`, the way messages name an object.
fn object_id<S>(kind: Kind, manifest: &Manifest<S>) -> String {
    format!("{kind}/{}", manifest.metadata.name)
}

/// A diagnostic at a field of a manifest, naming the manifest.
fn at<S>(kind: Kind, manifest: &Manifest<S>, pointer: impl Into<String>) -> (At, String) {
    (At::value(manifest.origin, pointer), object_id(kind, manifest))
}

fn is_absent(ensure: Option<crate::manifest::Ensure>) -> bool {
    ensure == Some(crate::manifest::Ensure::Absent)
}
