//! Domain rules: what the platforms and the vendor procedures require beyond the schema.
//! One file per family; each rule reports with its own code from [`crate::diag::codes`].
//!
//! Some rules read one document only, others compare documents of different files (numbers
//! declared once, identities, references, a set's service against its account…): the list of
//! the cross-file ones, which must always see the whole repository, is in docs/benchmarks.md
//! ("Which rules are cross-file"). A new rule that reads another document belongs there too.

mod acg;
mod identity;
mod numbers;
mod secrets;
mod webex;

use std::collections::HashSet;
use std::collections::hash_map::{Entry, HashMap};
use std::hash::Hash;

use rayon::prelude::*;

use crate::diag::diagnostic::{At, Diagnostic};
use crate::manifest::settings::SecretPolicy;
use crate::manifest::{Kind, Manifest, ManifestSet};

/// Identities declared by documents that failed the schema layer (they are not in the
/// [`ManifestSet`]): a reference to one of them is not reported as dangling, since the
/// document's own errors are.
#[derive(Debug, Default)]
pub struct Unresolved {
    /// A manifest file could not be read completely (a syntax error, a limit, bad encoding, an
    /// unreadable entry): any identity may be missing, so no reference is reported as dangling.
    pub all: bool,
    /// Accounts and templates by name, customers by externalId.
    pub named: HashSet<(Kind, String)>,
    /// Locations and workspaces by (customer, name), users by (customer, lower-case email).
    pub scoped: HashSet<(Kind, String, String)>,
}

impl Unresolved {
    /// True when `target` (of `customer`, for customer-scoped kinds) may be declared by a
    /// document that failed.
    fn covers(&self, kind: Kind, customer: Option<&str>, target: &str) -> bool {
        if self.all {
            return true;
        }
        match customer {
            None => self.named.contains(&(kind, target.to_string())),
            Some(customer) => {
                let target = if kind == Kind::User {
                    target.to_lowercase()
                } else {
                    target.to_string()
                };
                self.scoped.contains(&(kind, customer.to_string(), target))
            }
        }
    }
}

/// Runs every rule. References to the identities of `unresolved` are not reported as dangling.
/// `policy` says which variables a SIP password may come from; `root` is the manifest folder,
/// where `fromFile` paths lead.
pub fn check(
    set: &ManifestSet,
    unresolved: &Unresolved,
    policy: &SecretPolicy,
    root: Option<&std::path::Path>,
) -> Vec<Diagnostic> {
    // The families only read the set: they run on the worker threads, each into its own list,
    // and their findings are joined in this order (the order of the report).
    type Family<'a> = Box<dyn Fn(&mut Vec<Diagnostic>) + Send + Sync + 'a>;
    let families: [Family<'_>; 6] = [
        Box::new(|out| secrets::check(set, policy, root, out)),
        Box::new(|out| numbers::check(set, out)),
        Box::new(|out| identity::check_unique(set, out)),
        Box::new(|out| identity::check_references(set, unresolved, out)),
        Box::new(|out| acg::check(set, out)),
        Box::new(|out| webex::check(set, out)),
    ];
    let found: Vec<Vec<Diagnostic>> = families
        .par_iter()
        .map(|family| {
            let mut out = Vec::new();
            family(&mut out);
            out
        })
        .collect();
    found.into_iter().flatten().collect()
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

/// "First holder wins": remembers the first place that claims each key (an identity, a
/// number, an extension), so that every later claim is reported against it.
struct FirstHolder<K> {
    holders: HashMap<K, (At, String)>,
}

impl<K: Eq + Hash> FirstHolder<K> {
    fn new() -> Self {
        FirstHolder {
            holders: HashMap::new(),
        }
    }

    /// Claims `key` for `place`. Returns the first holder (place, object) when the key is
    /// already held; the claim is then not recorded.
    fn claim(&mut self, key: K, place: (At, String)) -> Option<&(At, String)> {
        match self.holders.entry(key) {
            Entry::Occupied(first) => Some(first.into_mut()),
            Entry::Vacant(free) => {
                free.insert(place);
                None
            }
        }
    }
}

/// Small manifest sets for the rules' unit tests, read from YAML text through the real loader
/// and schema layer.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::manifest::load::parse_text;
    use crate::manifest::{FileId, ManifestSet};
    use crate::validate::schema::check_document;

    /// The manifests of `yaml` (several documents), which must all pass the schema layer.
    pub fn set(yaml: &str) -> ManifestSet {
        let read = parse_text(FileId(0), yaml);
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        let mut set = ManifestSet::default();
        for doc in read.docs {
            set.push(check_document(doc).unwrap_or_else(|e| panic!("schema errors: {e:?}")));
        }
        set
    }

    /// The codes `check` reports on `yaml`, sorted.
    pub fn codes(yaml: &str) -> Vec<&'static str> {
        let mut codes: Vec<&str> = super::check(&set(yaml), &Default::default(), &Default::default(), None)
            .iter()
            .map(|d| d.code.id)
            .collect();
        codes.sort_unstable();
        codes
    }

    pub const TEMPLATE: &str = "apiVersion: telform/v1\nkind: Template\nmetadata: {name: t}\nspec: {provisioningId: p, country: FR, language: fr_FR, subscription: s, authentication: webex, calling: {timezone: Europe/Paris, language: fr_fr}}\n";

    /// A template and customer `C1` (webex_calling, webex_suite… as given) with headquarters
    /// `HQ`, as the start of a test's YAML.
    pub fn customer(packages: &str) -> String {
        format!(
            "{TEMPLATE}---\napiVersion: telform/v1\nkind: Customer\nmetadata: {{name: c1}}\nspec:\n  template: t\n  externalId: C1\n  companyName: C One\n  adminEmail: admin@c1.example\n  country: FR\n  supportedLocationVerified: true\n  packages: [{packages}]\n  headquarters:\n    name: HQ\n    address: {{line1: 1 rue A, city: Paris, country: FR}}\n    timezone: Europe/Paris\n    language: fr_fr\n"
        )
    }

    /// A location of customer `C1`.
    pub fn location(name: &str, numbers: &str) -> String {
        format!(
            "---\napiVersion: telform/v1\nkind: Location\nmetadata: {{name: loc-{}}}\nspec:\n  customer: C1\n  name: {name}\n  address: {{line1: 2 rue B, city: Lyon, country: FR}}\n  timezone: Europe/Paris\n  language: fr_fr\n  announcementLanguage: fr_fr\n  numbers: [{numbers}]\n",
            name.to_lowercase()
        )
    }

    /// A user of customer `C1`; `extra` is added to its spec (e.g. `phoneNumber: "+33…"`).
    pub fn user(id: &str, package: &str, location: &str, extra: &str) -> String {
        format!(
            "---\napiVersion: telform/v1\nkind: User\nmetadata: {{name: u-{id}}}\nspec:\n  customer: C1\n  email: {id}@c1.example\n  firstName: A\n  lastName: B\n  package: {package}\n  location: {location}\n{extra}"
        )
    }
}
