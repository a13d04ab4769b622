//! `--changed-since REF`: the accounts, customers and consents that the documents changed since a
//! Git revision belong to. A scoped plan reads and diffs only those, each whole (every document of
//! a scoped account or customer comes with it, so that `prune` stays exact inside the scope).
//!
//! The `git` executable is asked three things: whether REF names a commit, which files under the
//! manifest folder differ from it (and which new ones are not yet tracked), and the content at
//! REF of the files modified or removed since. What it answers is the repository's, so as
//! untrusted as the manifests: a path must stay inside the manifest folder, a symlink at REF is
//! not followed (it was never a manifest: the loader reads regular files only).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::diag::Problem;
use crate::manifest::load::{self, Sources};
use crate::manifest::{Kind, ManifestSet};
use crate::model::fields::{self, CreationEdit};
use crate::model::plan::PlanScope;

/// The largest file read back from REF (the loader's own limit is smaller still).
const MAX_OLD_FILE: usize = 64 * 1024 * 1024;

/// What changed since a Git revision.
#[derive(Debug, Default)]
pub struct Changed {
    /// The scope of the documents changed, or `None` when the folder's `telform.yaml` changed
    /// (settings may change every plan: the plan is a full one).
    pub scope: Option<PlanScope>,
    /// The edits of fields sent only at creation, of the customers and locations declared both
    /// at the revision and now, and the devices whose SIP password source alone changed (issue
    /// #13): the plan refuses those of objects that exist.
    pub creation_edits: Vec<CreationEdit>,
}

/// The scope of the documents changed since `rev`, and the creation-only fields they edit.
/// `templates` pairs each customer's template with the customer's external id.
pub fn changed_since(dir: &Path, rev: &str, templates: &[(String, String)]) -> Result<Changed, Problem> {
    let folder = crate::manifest::confined::folder_of(dir);
    let commit = resolve(&folder, rev)?;
    let changes = changed_files(&folder, &commit)?;
    let settings_changed = changes.iter().any(|(_, path)| path == Path::new("telform.yaml"));
    let mut touched = Touched::default();
    // The documents at REF of the modified and removed files.
    let old: Vec<&Path> = changes
        .iter()
        .filter(|(status, _)| *status != Status::Added)
        .map(|(_, path)| path.as_path())
        .collect();
    let mut before: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    for (path, text) in old_contents(&folder, &commit, &old)? {
        let mut scratch = Sources::default();
        let id = scratch.add(path.clone());
        before.insert(
            path,
            load::parse_text(id, &text).docs.into_iter().map(|d| d.value).collect(),
        );
    }
    // Each changed file's documents now and then: only the documents that differ count (a file
    // may hold many accounts; one edited changes the scope by one). The differing Customer,
    // Location and Device documents are kept, then and now, for their creation-only fields (a
    // device's: its SIP password source).
    let (mut all_then, mut all_now) = (Vec::new(), Vec::new());
    for (status, path) in &changes {
        let now: Vec<Value> = if *status == Status::Removed {
            Vec::new()
        } else {
            let mut scratch = Sources::default();
            let full = folder.join(path);
            let id = scratch.add(full.clone());
            load::read_file(id, &full).docs.into_iter().map(|d| d.value).collect()
        };
        let then = before.remove(path).unwrap_or_default();
        let (gone, came): (Vec<&Value>, Vec<&Value>) =
            (differing(&then, &now).collect(), differing(&now, &then).collect());
        for doc in gone.iter().chain(&came) {
            touched.add_raw(doc);
        }
        let creation_kind = |doc: &&&Value| creation_key(doc).is_some();
        all_then.extend(gone.iter().filter(creation_kind).map(|doc| (*doc).clone()));
        all_now.extend(came.iter().filter(creation_kind).map(|doc| (*doc).clone()));
    }
    // Across the changed files: an object may have moved from one file to another.
    let creation_edits = creation_edits(&all_then, &all_now);
    if settings_changed {
        return Ok(Changed {
            scope: None,
            creation_edits,
        });
    }
    // A template changed: the customers that use it.
    for (template, customer) in templates {
        if touched.templates.contains(template) {
            touched.customers.insert(customer.clone());
        }
    }
    Ok(Changed {
        scope: Some(touched.into_scope(rev)),
        creation_edits,
    })
}

/// Which object of a kind sent only at creation a raw document declares: a Customer by its
/// external id, a Location by its customer and name (case aside, as Webex matches names). At the
/// revision a document need not have been valid: one without its key declares nothing here.
fn creation_key(doc: &Value) -> Option<(Kind, String, Option<String>)> {
    let field = |name: &str| doc.get("spec")?.get(name)?.as_str();
    match doc.get("kind")?.as_str()? {
        "Customer" => Some((Kind::Customer, field("externalId")?.to_string(), None)),
        "Location" => Some((
            Kind::Location,
            field("customer")?.to_string(),
            Some(field("name")?.to_lowercase()),
        )),
        "Device" => Some((
            Kind::Device,
            field("customer")?.to_string(),
            Some(crate::model::webex::mac_key(field("mac")?)),
        )),
        _ => None,
    }
}

/// The creation-only fields (`fields::at_creation`) that differ, added or removed included,
/// between the documents at the revision (`then`) and now (`now`) of the same object, and the
/// devices whose SIP password source alone changed. A document that now says `ensure: absent`
/// is leaving: what it was created with no longer matters.
pub fn creation_edits(then: &[Value], now: &[Value]) -> Vec<CreationEdit> {
    let mut before: BTreeMap<(Kind, String, Option<String>), &Value> = BTreeMap::new();
    for doc in then {
        if let Some(key) = creation_key(doc) {
            before.entry(key).or_insert(doc);
        }
    }
    let mut edits = Vec::new();
    let mut seen = BTreeSet::new();
    for doc in now {
        let Some(key) = creation_key(doc) else { continue };
        let absent = doc.pointer("/spec/ensure").and_then(Value::as_str) == Some("absent");
        if absent || !seen.insert(key.clone()) {
            continue;
        }
        let Some(old_doc) = before.get(&key) else { continue };
        let (kind, customer, _) = key;
        let name = match kind {
            Kind::Location => doc.pointer("/spec/name").and_then(Value::as_str),
            Kind::Device => doc.pointer("/spec/mac").and_then(Value::as_str),
            _ => None,
        };
        if kind == Kind::Device {
            if password_source_changed_alone(old_doc, doc) {
                // Never the values: at the revision, a password may have been written in clear.
                edits.push(CreationEdit {
                    kind,
                    customer,
                    name: name.map(str::to_string),
                    field: "spec.sipPassword",
                    old: None,
                    new: None,
                });
            }
            continue;
        }
        for field in fields::at_creation(kind) {
            let pointer = format!("/{}", field.replace('.', "/"));
            let (old, new) = (old_doc.pointer(&pointer), doc.pointer(&pointer));
            if old != new {
                edits.push(CreationEdit {
                    kind,
                    customer: customer.clone(),
                    name: name.map(str::to_string),
                    field,
                    old: old.cloned(),
                    new: new.cloned(),
                });
            }
        }
    }
    edits
}

/// Whether a device's SIP password source (`fromEnv`, `fromFile`, `generate`) changed while its
/// `rotation` did not: the source is read only when a password is set, and no API reads a
/// password back, so nothing else would ever show the edit.
fn password_source_changed_alone(then: &Value, now: &Value) -> bool {
    let source = |doc: &Value| {
        let mut password = doc.pointer("/spec/sipPassword").cloned();
        if let Some(Value::Object(fields)) = &mut password {
            fields.remove("rotation");
        }
        password
    };
    let rotation = |doc: &Value| doc.pointer("/spec/sipPassword/rotation").cloned();
    source(then) != source(now) && rotation(then) == rotation(now)
}

/// The documents of `these` that `those` does not hold (as many times).
fn differing<'a>(these: &'a [Value], those: &[Value]) -> impl Iterator<Item = &'a Value> {
    let mut left: BTreeMap<String, usize> = BTreeMap::new();
    for doc in those {
        *left.entry(doc.to_string()).or_default() += 1;
    }
    these.iter().filter(move |doc| match left.get_mut(&doc.to_string()) {
        Some(n) if *n > 0 => {
            *n -= 1;
            false
        }
        _ => true,
    })
}

/// What the changed documents name.
#[derive(Debug, Default)]
struct Touched {
    accounts: BTreeSet<String>,
    customers: BTreeSet<String>,
    consents: BTreeSet<String>,
    templates: BTreeSet<String>,
}

impl Touched {
    /// A document, read from its raw tree: at REF it need not have been valid.
    fn add_raw(&mut self, doc: &Value) {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let spec = doc.get("spec");
        let field = |name: &str| text(spec.and_then(|s| s.get(name)));
        let name = text(doc.get("metadata").and_then(|m| m.get("name")));
        match doc.get("kind").and_then(Value::as_str) {
            Some("Account") => self.accounts.extend(name),
            Some("NumberSet") => self.accounts.extend(field("account")),
            Some("Consent") => self.consents.extend(field("tenantId").map(|t| t.to_ascii_lowercase())),
            Some("Template") => self.templates.extend(name),
            Some("Customer") => self.customers.extend(field("externalId")),
            Some("Location" | "User" | "Workspace" | "Device") => self.customers.extend(field("customer")),
            _ => {}
        }
    }

    fn into_scope(self, rev: &str) -> PlanScope {
        PlanScope {
            changed_since: rev.to_string(),
            accounts: self.accounts,
            customers: self.customers,
            consents: self.consents,
            accounts_not_read: 0,
            customers_not_read: 0,
        }
    }
}

/// Only the manifests of the scope's accounts, customers and consents (templates are reference
/// data: all are kept); the scope's counts of what is left out are filled in.
pub fn restrict(set: &ManifestSet, scope: &mut PlanScope) -> ManifestSet {
    let declared_accounts: BTreeSet<&String> = set
        .accounts
        .iter()
        .map(|a| &a.metadata.name)
        .chain(set.number_sets.iter().map(|s| &s.spec.account))
        .collect();
    scope.accounts_not_read = declared_accounts
        .iter()
        .filter(|a| !scope.accounts.contains(a.as_str()))
        .count();
    let declared_customers: BTreeSet<&String> = set
        .customers
        .iter()
        .map(|c| &c.spec.external_id)
        .chain(set.locations.iter().map(|m| &m.spec.customer))
        .chain(set.users.iter().map(|m| &m.spec.customer))
        .chain(set.workspaces.iter().map(|m| &m.spec.customer))
        .chain(set.devices.iter().map(|m| &m.spec.customer))
        .collect();
    scope.customers_not_read = declared_customers
        .iter()
        .filter(|c| !scope.customers.contains(c.as_str()))
        .count();
    let account = |a: &String| scope.accounts.contains(a);
    let customer = |c: &String| scope.customers.contains(c);
    fn keep<T: Clone>(all: &[T], wanted: impl Fn(&T) -> bool) -> Vec<T> {
        all.iter().filter(|m| wanted(m)).cloned().collect()
    }
    ManifestSet {
        accounts: keep(&set.accounts, |m| account(&m.metadata.name)),
        number_sets: keep(&set.number_sets, |m| account(&m.spec.account)),
        consents: keep(&set.consents, |m| {
            scope.consents.contains(&m.spec.tenant_id.to_ascii_lowercase())
        }),
        templates: set.templates.clone(),
        customers: keep(&set.customers, |m| customer(&m.spec.external_id)),
        locations: keep(&set.locations, |m| customer(&m.spec.customer)),
        users: keep(&set.users, |m| customer(&m.spec.customer)),
        workspaces: keep(&set.workspaces, |m| customer(&m.spec.customer)),
        devices: keep(&set.devices, |m| customer(&m.spec.customer)),
    }
}

/// The accounts outside the scope whose NumberSets declare any of `numbers`.
pub fn declaring_elsewhere(set: &ManifestSet, scope: &PlanScope, numbers: &[&str]) -> BTreeSet<String> {
    use crate::validate::e164;
    let keys: std::collections::HashSet<e164::NumberKey> = numbers.iter().filter_map(|n| e164::parse(n).ok()).collect();
    let mut out = BTreeSet::new();
    if keys.is_empty() {
        return out;
    }
    for s in set
        .number_sets
        .iter()
        .filter(|s| !scope.accounts.contains(&s.spec.account))
    {
        let in_range = s
            .spec
            .ranges
            .iter()
            .any(|r| match (e164::parse(&r.from), e164::parse(&r.to)) {
                (Ok(from), Ok(to)) => keys
                    .iter()
                    .any(|k| k.digits == from.digits && from.value <= k.value && k.value <= to.value),
                _ => false,
            });
        let listed = || {
            s.spec
                .numbers
                .iter()
                .any(|n| e164::parse(&n.number).is_ok_and(|k| keys.contains(&k)))
        };
        if in_range || listed() {
            out.insert(s.spec.account.clone());
        }
    }
    out
}

// ---- git ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Added,
    Modified,
    Removed,
}

const PLAN_IN_FULL: &str = "or plan without --changed-since (a full plan)";

/// Runs `git` in `folder`; its standard output, or what it said on failure.
fn git(folder: &Path, args: &[&str]) -> Result<Vec<u8>, Problem> {
    let output = Command::new("git")
        .current_dir(folder)
        // Never a pager, a prompt for credentials, or a repository-configured diff program.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env_remove("GIT_EXTERNAL_DIFF")
        .args(args)
        .output()
        .map_err(|e| {
            Problem::new(format!(
                "--changed-since needs the `git` executable: cannot run it: {e}"
            ))
            .hint(format!("install Git and put it on PATH, {PLAN_IN_FULL}"))
        })?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(Problem::new(format!(
            "git {} failed in {}: {}",
            args.first().copied().unwrap_or_default(),
            folder.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// The commit `rev` names, refused clearly when it names none.
fn resolve(folder: &Path, rev: &str) -> Result<String, Problem> {
    let inside = git(folder, &["rev-parse", "--is-inside-work-tree"]);
    if !matches!(&inside, Ok(out) if out.starts_with(b"true")) {
        if let Err(problem) = &inside
            && problem.message.contains("cannot run it")
        {
            return Err(problem.clone());
        }
        return Err(Problem::new(format!(
            "--changed-since {rev}: the manifest folder {} is not in a Git work tree",
            folder.display()
        ))
        .hint(format!("plan a folder of a Git clone, {PLAN_IN_FULL}")));
    }
    if rev.is_empty() || rev.starts_with('-') || rev.contains(['\0', '\n']) {
        return Err(Problem::new(format!("--changed-since `{rev}` is not a Git revision"))
            .hint("name a branch, tag or commit: `--changed-since origin/main`, `--changed-since HEAD~1`"));
    }
    let spec = format!("{rev}^{{commit}}");
    match git(folder, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]) {
        Ok(out) => {
            let commit = String::from_utf8_lossy(&out).trim().to_string();
            if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Problem::new(format!("--changed-since {rev}: git named no commit")));
            }
            Ok(commit)
        }
        Err(_) => Err(Problem::new(format!(
            "--changed-since {rev}: no such commit in the Git repository of {}",
            folder.display()
        ))
        .hint(format!("{}, {PLAN_IN_FULL}", how_to_fetch(rev)))),
    }
}

/// How to make `rev` known in a shallow checkout (a CI checkout often holds one commit).
fn how_to_fetch(rev: &str) -> String {
    match rev.strip_prefix("origin/") {
        Some(branch) if !branch.contains(['~', '^', ':', ' ']) => format!(
            "fetch it first: `git fetch --no-tags --depth=1 origin {branch}:refs/remotes/origin/{branch}` (a shallow CI checkout holds one commit)"
        ),
        _ => "fetch it first: a shallow CI checkout holds one commit (`git fetch --deepen=50`, or `fetch-depth: 0` in actions/checkout)".to_string(),
    }
}

/// The manifest files (relative to `folder`) that differ from `commit`, new untracked ones
/// included.
fn changed_files(folder: &Path, commit: &str) -> Result<Vec<(Status, PathBuf)>, Problem> {
    let diff = git(
        folder,
        &[
            "diff",
            "--name-status",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--relative",
            commit,
            "--",
            ".",
        ],
    )?;
    let mut out = Vec::new();
    let mut fields = diff.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let Some(path) = fields.next() else { break };
        let status = match status.first() {
            Some(b'A') => Status::Added,
            Some(b'D') => Status::Removed,
            // M, T (a type change: a file became a symlink or back), U: read both sides.
            _ => Status::Modified,
        };
        if let Some(path) = manifest_path(path)? {
            out.push((status, path));
        }
    }
    let untracked = git(folder, &["ls-files", "-z", "--others", "--exclude-standard", "--", "."])?;
    for path in untracked.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        if let Some(path) = manifest_path(path)? {
            out.push((Status::Added, path));
        }
    }
    Ok(out)
}

/// A path git named, relative to the manifest folder: `None` when the loader would not read it
/// (not `*.yaml`/`*.yml`, or under a hidden folder); refused when it would leave the folder.
fn manifest_path(raw: &[u8]) -> Result<Option<PathBuf>, Problem> {
    let text = String::from_utf8_lossy(raw);
    let path = PathBuf::from(text.as_ref());
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(Problem::new(format!(
            "git named the path `{}`, outside the manifest folder: nothing was planned",
            text.escape_debug()
        ))
        .hint(format!("check the repository, {PLAN_IN_FULL}")));
    }
    let hidden = path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
    let manifest = text.ends_with(".yaml") || text.ends_with(".yml");
    Ok((manifest && !hidden).then_some(path))
}

/// The content at `commit` of `paths` that were regular files there (symlinks and submodules
/// are skipped, never followed).
fn old_contents(folder: &Path, commit: &str, paths: &[&Path]) -> Result<Vec<(PathBuf, String)>, Problem> {
    let mut out = Vec::new();
    for chunk in paths.chunks(500) {
        let mut args: Vec<String> = vec!["ls-tree".into(), "-z".into(), commit.into(), "--".into()];
        args.extend(chunk.iter().map(|p| p.to_string_lossy().into_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let listed = git(folder, &args)?;
        let mut blobs: BTreeMap<String, PathBuf> = BTreeMap::new();
        for entry in listed.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            // `<mode> SP <type> SP <object> TAB <path>`
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (Some(mode), Some(kind), Some(object)) = (meta.next(), meta.next(), meta.next()) else {
                continue;
            };
            let regular = matches!(mode, "100644" | "100755") && kind == "blob";
            if regular && object.bytes().all(|b| b.is_ascii_hexdigit()) {
                // The path is checked as any other git names.
                if let Some(path) = manifest_path(path.as_bytes())? {
                    blobs.insert(object.to_string(), path);
                }
            }
        }
        for (object, path) in blobs {
            let bytes = git(folder, &["cat-file", "blob", &object])?;
            if bytes.len() > MAX_OLD_FILE {
                return Err(Problem::new(format!(
                    "{} at the --changed-since revision is larger than {} MiB",
                    path.display(),
                    MAX_OLD_FILE / 1024 / 1024
                ))
                .hint(PLAN_IN_FULL.trim_start_matches("or ").to_string()));
            }
            out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_git_names_stays_inside_the_folder() {
        for outside in ["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", "./a.yaml"] {
            let refused = manifest_path(outside.as_bytes()).expect_err(outside);
            assert!(
                refused.message.contains("outside the manifest folder"),
                "{}",
                refused.message
            );
        }
        assert_eq!(
            manifest_path(b"acg/a.yaml").expect("inside"),
            Some(PathBuf::from("acg/a.yaml"))
        );
        assert_eq!(
            manifest_path(b"acg/b.yml").expect("inside"),
            Some(PathBuf::from("acg/b.yml"))
        );
        // What the loader would not read decides nothing.
        assert_eq!(manifest_path(b"README.md").expect("inside"), None);
        assert_eq!(manifest_path(b".github/workflows/x.yaml").expect("inside"), None);
        assert_eq!(manifest_path(b"acg/.#a.yaml").expect("inside"), None);
    }

    fn customer(template: &str, language: Option<&str>) -> Value {
        let mut doc = serde_json::json!({
            "kind": "Customer",
            "metadata": {"name": "acme"},
            "spec": {"externalId": "ACME-0001", "template": template, "companyName": "Acme"},
        });
        if let Some(language) = language {
            doc["spec"]["language"] = serde_json::json!(language);
        }
        doc
    }

    #[test]
    fn a_customer_template_or_language_edited_is_a_creation_edit_by_name() {
        let then = [customer("fr-smb-calling", Some("fr_FR"))];
        let now = [customer("fr-enterprise-sso", None)];
        let edits = creation_edits(&then, &now);
        let named: Vec<(&str, Option<Value>, Option<Value>)> =
            edits.iter().map(|e| (e.field, e.old.clone(), e.new.clone())).collect();
        assert_eq!(
            named,
            [
                (
                    "spec.template",
                    Some("fr-smb-calling".into()),
                    Some("fr-enterprise-sso".into())
                ),
                ("spec.language", Some("fr_FR".into()), None),
            ]
        );
        assert!(
            edits
                .iter()
                .all(|e| e.kind == Kind::Customer && e.customer == "ACME-0001")
        );
        // Another field edited is none of them.
        let mut renamed = customer("fr-smb-calling", Some("fr_FR"));
        renamed["spec"]["companyName"] = "Acme SA".into();
        assert!(creation_edits(&then, &[renamed]).is_empty());
    }

    #[test]
    fn a_device_password_source_changed_without_its_rotation_is_an_edit_without_values() {
        let device = |mac: &str, password: serde_json::Value| {
            serde_json::json!({
                "kind": "Device",
                "spec": {"customer": "ACME-0001", "mac": mac, "sipPassword": password},
            })
        };
        let then = [device(
            "80:5e:c0:3a:72:10",
            serde_json::json!({"generate": true, "rotation": 1}),
        )];
        // The same device (its MAC written otherwise), its source changed, its rotation kept.
        let edits = creation_edits(
            &then,
            &[device(
                "805EC03A7210",
                serde_json::json!({"fromEnv": "X_SIP_PASSWORD", "rotation": 1}),
            )],
        );
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert_eq!((edits[0].kind, edits[0].field), (Kind::Device, "spec.sipPassword"));
        assert_eq!(edits[0].name.as_deref(), Some("805EC03A7210"));
        assert_eq!((&edits[0].old, &edits[0].new), (&None, &None), "never the values");
        // With a new rotation the password is set from the new source; a rotation alone, or
        // another device, is no such edit.
        for now in [
            device(
                "805EC03A7210",
                serde_json::json!({"fromEnv": "X_SIP_PASSWORD", "rotation": 2}),
            ),
            device("805EC03A7210", serde_json::json!({"generate": true, "rotation": 2})),
            device(
                "805EC03A7211",
                serde_json::json!({"fromEnv": "X_SIP_PASSWORD", "rotation": 1}),
            ),
        ] {
            assert!(creation_edits(&then, std::slice::from_ref(&now)).is_empty(), "{now}");
        }
    }

    #[test]
    fn a_password_written_in_clear_at_the_revision_is_never_kept() {
        // At the revision nothing was validated: `sipPassword` may be a literal password.
        let then = serde_json::json!({
            "kind": "Device",
            "spec": {"customer": "ACME-0001", "mac": "805EC03A7210", "sipPassword": "Hunter2-in-clear"},
        });
        let now = serde_json::json!({
            "kind": "Device",
            "spec": {"customer": "ACME-0001", "mac": "805EC03A7210", "sipPassword": {"generate": true}},
        });
        let edits = creation_edits(&[then], &[now]);
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert!(!format!("{edits:?}").contains("Hunter2"), "{edits:?}");
    }

    #[test]
    fn a_location_announcement_language_is_matched_by_customer_and_name() {
        let location = |name: &str, announcement: &str| {
            serde_json::json!({
                "kind": "Location",
                "spec": {"customer": "ACME-0001", "name": name, "announcementLanguage": announcement},
            })
        };
        let edits = creation_edits(&[location("Lyon", "fr_fr")], &[location("LYON", "en_us")]);
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].field, "spec.announcementLanguage");
        assert_eq!(edits[0].name.as_deref(), Some("LYON"));
        // Another location (a new one) is created with what it says.
        assert!(creation_edits(&[location("Lyon", "fr_fr")], &[location("Nice", "en_us")]).is_empty());
        // A location leaving (`ensure: absent`) is not edited.
        let mut leaving = location("Lyon", "en_us");
        leaving["spec"]["ensure"] = "absent".into();
        assert!(creation_edits(&[location("Lyon", "fr_fr")], &[leaving]).is_empty());
        // At the revision a document need not have been valid: without its key it matches none.
        let keyless = serde_json::json!({"kind": "Location", "spec": {"announcementLanguage": "x"}});
        assert!(creation_edits(&[keyless], &[location("Lyon", "fr_fr")]).is_empty());
    }

    #[test]
    fn a_customer_whose_template_or_language_changed_stays_in_the_scope() {
        let mut touched = Touched::default();
        let (then, now) = (
            customer("fr-smb-calling", Some("fr_FR")),
            customer("other", Some("fr_BE")),
        );
        for doc in differing(std::slice::from_ref(&then), std::slice::from_ref(&now))
            .chain(differing(std::slice::from_ref(&now), std::slice::from_ref(&then)))
        {
            touched.add_raw(doc);
        }
        let scope = touched.into_scope("HEAD~1");
        assert_eq!(scope.customers.iter().collect::<Vec<_>>(), ["ACME-0001"]);
        // A template renamed: the Template document names both, and its customers come along.
        let mut touched = Touched::default();
        touched.add_raw(&serde_json::json!({"kind": "Template", "metadata": {"name": "old"}}));
        touched.add_raw(&serde_json::json!({"kind": "Template", "metadata": {"name": "new"}}));
        assert!(touched.templates.contains("old") && touched.templates.contains("new"));
    }

    #[test]
    fn only_documents_that_differ_count() {
        let a = serde_json::json!({"kind": "Account", "metadata": {"name": "a"}});
        let b = serde_json::json!({"kind": "Account", "metadata": {"name": "b"}});
        let b2 = serde_json::json!({"kind": "Account", "metadata": {"name": "b"}, "spec": {}});
        let then = [a.clone(), b.clone()];
        let now = [a.clone(), b2.clone()];
        assert_eq!(differing(&then, &now).collect::<Vec<_>>(), [&b]);
        assert_eq!(differing(&now, &then).collect::<Vec<_>>(), [&b2]);
        // A duplicate removed is a difference.
        assert_eq!(differing(&[a.clone(), a.clone()], std::slice::from_ref(&a)).count(), 1);
    }

    #[test]
    fn a_revision_that_could_be_an_option_is_refused() {
        let here = std::env::current_dir().expect("cwd");
        for rev in ["", "-p", "--output=x", "a\nb"] {
            if let Err(problem) = resolve(&here, rev) {
                assert!(
                    problem.message.contains("is not a Git revision")
                        || problem.message.contains("not in a Git work tree"),
                    "{}",
                    problem.message
                );
            } else {
                panic!("{rev:?} was accepted");
            }
        }
    }
}
