//! `telform import`: plan in reverse. The live state the providers hold becomes manifests that
//! validate and plan empty, laid out as a person would: one file per account
//! (`acg/<account>.yaml`), one folder per customer (`webex/<externalId>/…`), the consents in
//! `acg/consents.yaml`.
//!
//! Import stands where `reconcile` stands: [`read`] reads the live state through the
//! [`crate::provider`] clients (the same batched reads as a plan), [`build`] turns it into
//! files with no I/O (each value is what the planner's views read back from the same live
//! object: `acg.rs` and `webex.rs` mirror `plan::acg` and `plan::webex`), and [`mod@write`] puts
//! them under `--out` without ever replacing a file. What no API reads is said in a comment
//! where it belongs and in the run's notes, never invented.
//!
//! Only what no manifest of the folder declares is imported, so that a second import writes
//! nothing and an import into a repository that declares part of the estate adds the rest.

mod acg;
pub mod names;
pub mod read;
mod webex;
pub mod write;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::manifest::ManifestSet;
use crate::model::acg::AcgLive;
use crate::model::webex::WebexLive;
use yaml::{MapBuilder, Node};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Every account, consent and customer.
    pub all: bool,
    /// Accounts by name.
    pub accounts: BTreeSet<String>,
    /// Customers by external id.
    pub customers: BTreeSet<String>,
    /// The Operator Connect consents.
    pub consents: bool,
    /// `--match`: only accounts and customers whose name or external id matches one of these
    /// (`*` any characters, `?` one); with nothing else chosen, among all of them.
    pub patterns: Vec<String>,
    /// Read the lines of every device that can share one (one read per device, above a plan's
    /// floor of reads), to import `sharedWith`.
    pub shared_lines: bool,
}

/// Whether `text` matches `pattern` (`*`: any characters, `?`: one).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // The classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

impl Scope {
    /// Everything, unless named: `--all`, or `--match` alone.
    fn everything(&self) -> bool {
        self.all
            || (!self.patterns.is_empty() && self.accounts.is_empty() && self.customers.is_empty() && !self.consents)
    }

    fn matches(&self, name: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| glob(p, name))
    }

    pub fn wants_account(&self, name: &str) -> bool {
        (self.everything() || self.accounts.contains(name)) && self.matches(name)
    }

    pub fn wants_customer(&self, external_id: &str) -> bool {
        (self.everything() || self.customers.contains(external_id)) && self.matches(external_id)
    }

    /// Whether every account (or customer) is listed rather than the named ones read.
    pub fn lists_all(&self) -> bool {
        self.everything()
    }

    pub fn wants_consents(&self) -> bool {
        (self.all && self.patterns.is_empty()) || self.consents
    }

    pub fn uses_acg(&self) -> bool {
        self.everything() || !self.accounts.is_empty() || self.consents
    }

    pub fn uses_webex(&self) -> bool {
        self.everything() || !self.customers.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        !self.uses_acg() && !self.uses_webex()
    }
}

/// The live state read for an import.
#[derive(Debug, Default, Clone)]
pub struct Estate {
    pub acg: Option<AcgLive>,
    pub webex: Option<WebexLive>,
}

/// When and from where, for each file's header.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// ISO 8601.
    pub when: String,
    pub acg_url: Option<String>,
    pub webex_url: Option<String>,
}

/// One manifest to write.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// Lines written above the document.
    pub comment: Vec<String>,
    pub kind: &'static str,
    pub name: String,
    pub spec: Node,
}

/// One file to write: its path under `--out` (components made safe by [`names`]) and text.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub path: Vec<String>,
    pub text: String,
    pub documents: usize,
}

impl File {
    pub fn relative(&self) -> PathBuf {
        self.path.iter().collect()
    }
}

/// What an import makes: files, what could not be imported or read, and counts per kind.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub files: Vec<File>,
    pub notes: Vec<String>,
    pub counts: BTreeMap<&'static str, usize>,
    /// Accounts this import declares (a consent may then name them).
    pub(crate) imported_accounts: BTreeSet<String>,
    origin: Origin,
    /// Paths taken (existing files, and files of this import), lower-cased: some file systems
    /// ignore case.
    taken: BTreeSet<String>,
}

impl Import {
    pub(crate) fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    pub(crate) fn count(&mut self, what: &'static str, n: usize) {
        if n > 0 {
            *self.counts.entry(what).or_default() += n;
        }
    }

    /// Adds a file at `path`, or beside it (`x-imported.yaml`, `x-imported-2.yaml`…) when a
    /// file is there already: an import never replaces a file.
    pub(crate) fn add_file(&mut self, mut path: Vec<String>, docs: Vec<Doc>, header: Vec<String>) {
        let Some(last) = path.pop() else { return };
        let stem = last.strip_suffix(".yaml").unwrap_or(&last).to_string();
        let folder = path.join("/");
        let mut candidate = last.clone();
        let mut n = 1;
        loop {
            let full = if folder.is_empty() {
                candidate.clone()
            } else {
                format!("{folder}/{candidate}")
            };
            if self.taken.insert(full.to_lowercase()) {
                break;
            }
            candidate = if n == 1 {
                format!("{stem}-imported.yaml")
            } else {
                format!("{stem}-imported-{n}.yaml")
            };
            n += 1;
        }
        path.push(candidate);
        let text = render(&docs, &header, &self.origin);
        self.files.push(File {
            path,
            documents: docs.len(),
            text,
        });
    }
}

/// A file's text: the header, then each document with its comment, in `fmt`'s canonical form.
fn render(docs: &[Doc], header: &[String], origin: &Origin) -> String {
    let mut text = String::new();
    let from: Vec<String> = [
        origin.acg_url.as_ref().map(|u| format!("ACG {u}")),
        origin.webex_url.as_ref().map(|u| format!("Webex {u}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    text.push_str(&format!(
        "# Imported by `telform import` on {} from {}.\n",
        origin.when,
        if from.is_empty() {
            "the providers".to_string()
        } else {
            from.join(" and ")
        }
    ));
    text.push_str("# Review it, then commit it: `telform plan` shows no change for what it declares.\n");
    for line in header {
        text.push_str(&format!("# {}\n", yaml::comment_text(line)));
    }
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        for line in &doc.comment {
            text.push_str(&format!("# {}\n", yaml::comment_text(line)));
        }
        let node = MapBuilder::new()
            .put("apiVersion", Node::str(crate::manifest::common::API_VERSION))
            .put("kind", Node::str(doc.kind))
            .put(
                "metadata",
                Node::flow(MapBuilder::new().put("name", Node::str(&doc.name)).build()),
            )
            .put("spec", doc.spec.clone())
            .build();
        text.push_str(&yaml::document(&node));
    }
    // `fmt`'s canonical form: it reorders what this writer may have placed otherwise and
    // merges runs of numbers. Should it refuse the text, the text is kept as written:
    // validation then says what is wrong with it.
    crate::fmt::format(&text, crate::fmt::FileKind::Manifests).unwrap_or(text)
}

/// The files an import of `estate` makes into a folder that declares `declared` and holds the
/// files `existing` (paths relative to it, `/`-separated).
pub fn build(
    estate: &Estate,
    declared: &ManifestSet,
    existing: impl IntoIterator<Item = String>,
    scope: &Scope,
    origin: &Origin,
) -> Import {
    let mut out = Import {
        origin: origin.clone(),
        taken: existing.into_iter().map(|p| p.to_lowercase()).collect(),
        ..Import::default()
    };
    if let Some(live) = &estate.acg {
        acg::accounts(live, declared, scope, &mut out);
        if scope.wants_consents() {
            acg::consents(live, declared, &mut out);
        }
        for name in &scope.accounts {
            if !live.accounts.contains_key(name) {
                out.note(format!("--account {name}: ACG has no such account"));
            }
        }
    }
    if let Some(live) = &estate.webex {
        webex::customers(live, declared, scope, &mut out);
        for ext in &scope.customers {
            if !live.customers.contains_key(ext) {
                out.note(format!("--customer {ext}: Webex has no customer with this external id"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names() {
        assert!(glob("acme-*", "acme-0001"));
        assert!(glob("*-0001", "acme-0001"));
        assert!(glob("a?me*", "acme"));
        assert!(!glob("acme-*", "globex-7"));
        assert!(glob("*", ""));
        let scope = Scope {
            patterns: vec!["ACME-*".into()],
            ..Scope::default()
        };
        assert!(scope.wants_customer("ACME-0001") && !scope.wants_customer("GLOBEX-7"));
        assert!(!scope.wants_account("contoso"));
        assert!(!scope.wants_consents());
        let all = Scope {
            all: true,
            ..Scope::default()
        };
        assert!(all.wants_consents() && all.wants_account("x"));
    }
}
