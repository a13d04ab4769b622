//! The plan: what telform would change, as values. Built by `plan::plan`, shown by
//! `plan::render`, executed by apply. Serialised as the versioned `plan.json`
//! (docs/plan-format.md).
//!
//! It lives below the planner (it was `plan::model`) because apply, the commands and the saved
//! plan read it without planning anything. Its serialised form is unchanged by the move.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::acg::NumberChange;

/// Bumped on any incompatible change of the JSON plan.
pub const FORMAT_VERSION: u32 = 1;

/// Part of the plan's vocabulary, re-exported here; defined one level up because the providers
/// name themselves with it too.
pub use super::{ObjectKind, ProviderName};

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
    /// Delete then create: a field that cannot change in place changed.
    Replace,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Create => "+",
            Op::Update => "~",
            Op::Delete => "-",
            Op::Replace => "±",
        }
    }
}

/// The identity of a live or desired object: its kind and natural key, and the group it is
/// shown under (the account or customer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    pub provider: ProviderName,
    pub kind: ObjectKind,
    /// Natural key: account name, E.164 number, tenant id, external id, email, MAC, name.
    pub key: String,
    /// The account or customer the object belongs to, for grouping: for an account or a
    /// customer, its own key; empty for an object of no group (a consent without account).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
}

impl ObjectRef {
    pub fn new(
        provider: ProviderName,
        kind: ObjectKind,
        key: impl Into<String>,
        group: impl Into<String>,
    ) -> ObjectRef {
        ObjectRef {
            provider,
            kind,
            key: key.into(),
            group: group.into(),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.key)
    }
}

/// Where the desired state of an object is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub line: u32,
    /// The column of a field the message is about (`line` is then the field's line, not the
    /// document's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// `Kind/name` of the manifest.
    pub manifest: String,
}

impl SourceRef {
    /// `line`, or `line:column` when a field is pointed at.
    pub fn position(&self) -> String {
        match self.column {
            Some(column) => format!("{}:{column}", self.line),
            None => self.line.to_string(),
        }
    }
}

/// One field that changes. Values are JSON; a sensitive value is never stored, only the fact
/// that it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field path in manifest terms, e.g. `services.operatorConnect.sync`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// Where a sensitive value comes from, so that a reviewer sees what the plan would read
    /// (never the value).
    #[serde(default, rename = "secretSource", skip_serializing_if = "Option::is_none")]
    pub secret_source: Option<SecretSource>,
}

/// Where a secret comes from, as the manifest names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretSource {
    /// An environment variable, by name.
    FromEnv(String),
    /// A file of the manifest folder, by relative path.
    FromFile(String),
    /// Generated at apply time.
    Generate,
}

impl std::fmt::Display for SecretSource {
    /// `from $ACME_DESK_SIP_PASSWORD`, `from file secrets/desk.sip`, `generated at apply`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::FromEnv(name) => write!(f, "from ${name}"),
            SecretSource::FromFile(path) => write!(f, "from file {path}"),
            SecretSource::Generate => write!(f, "generated at apply"),
        }
    }
}

/// Why an action is in the plan, when it is not plainly "the manifest says so".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// `ensure: absent` in a manifest.
    EnsureAbsent,
    /// Not declared under a parent with `prune: true` (or `--prune`).
    Pruned,
    /// A field that cannot change in place changed.
    Immutable { field: String },
    /// The SIP password `rotation` changed, or a new device needs one.
    PasswordReset,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub op: Op,
    pub object: ObjectRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The full desired object in the provider's wire format, for apply (absent for deletes).
    /// Never holds a secret: passwords are resolved at apply time from their references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
    /// A number's create or update, held compactly: a plan may hold millions of them, and
    /// `changes` and `desired` as JSON trees cost kilobytes each. When this is set, `changes`
    /// and `desired` above are empty and both are built from it when read: read them through
    /// [`Action::changes`] and [`Action::desired`], never the fields. Not part of the JSON form
    /// (a plan read back from JSON holds its number actions as JSON).
    #[serde(skip)]
    pub number: Option<Box<NumberChange>>,
}

impl Action {
    /// The field changes, built from the compact form for a number.
    pub fn changes(&self) -> Cow<'_, [FieldChange]> {
        match &self.number {
            Some(number) => Cow::Owned(number.changes()),
            None => Cow::Borrowed(&self.changes),
        }
    }

    /// The full desired object in the provider's wire format (absent for deletes), built from
    /// the compact form for a number.
    pub fn desired(&self) -> Option<Cow<'_, Value>> {
        match &self.number {
            Some(number) => Some(Cow::Owned(number.desired(&self.object))),
            None => self.desired.as_ref().map(Cow::Borrowed),
        }
    }
}

/// Equal when their JSON forms are: however each is held.
impl PartialEq for Action {
    fn eq(&self, other: &Action) -> bool {
        self.op == other.op
            && self.object == other.object
            && self.source == other.source
            && self.reason == other.reason
            && self.changes() == other.changes()
            && self.desired() == other.desired()
    }
}

/// The JSON form is the same whichever way an action is held.
impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            op: Op,
            object: &'a ObjectRef,
            #[serde(skip_serializing_if = "Option::is_none")]
            source: Option<&'a SourceRef>,
            #[serde(skip_serializing_if = "<[FieldChange]>::is_empty")]
            changes: Cow<'a, [FieldChange]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a Reason>,
            #[serde(skip_serializing_if = "Option::is_none")]
            desired: Option<Cow<'a, Value>>,
        }
        Json {
            op: self.op,
            object: &self.object,
            source: self.source.as_ref(),
            changes: self.changes(),
            reason: self.reason.as_ref(),
            desired: self.desired(),
        }
        .serialize(serializer)
    }
}

/// A live object telform found but no manifest mentions: shown, never touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    pub object: ObjectRef,
}

/// Something in progress at the provider (a customer still provisioning, a number still
/// syncing): shown, never acted on twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub object: ObjectRef,
    pub status: String,
}

/// What a live object looked like when the plan read it: its ETag when the provider gives one,
/// else a hash of its normalised JSON. `apply plan.json` compares these before writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub object: ObjectRef,
    /// `<algorithm>:<hex>` (`fnv:…`, a hash of the normalised object) or `etag:"…"`; `absent`
    /// when the object did not exist. Compared for equality only. `absent` is not allocated
    /// anew for each of the million numbers a plan may create.
    pub value: Cow<'static, str>,
}

/// A problem found against live state (a civic address that does not exist, an unsupported
/// device model…): the plan cannot be applied while there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    pub message: String,
    pub hint: String,
}

/// Where a saved plan came from, so that `telform apply plan.json` can read the same live
/// state again and refuse the plan when anything it read has changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOrigin {
    /// The manifest folder, as given to `telform plan`.
    pub dir: String,
    /// The manifest folder relative to the saved plan's own folder, so that the plan can be
    /// applied from another working folder (or machine) that has both in the same places.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir_from_plan: Option<String>,
    /// The providers' URLs the plan read: apply refuses to write anywhere else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acg_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex_url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_number_changes: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selector: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// `--changed-since REF`: the scope the plan read; `apply` of the saved plan reads the same
    /// scope again (never the Git history, which may have moved on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<PlanScope>,
}

/// What a plan made with `--changed-since REF` covers: the accounts, customers and consents
/// of the documents that differ from REF. Everything else is neither read nor diffed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanScope {
    /// The revision the manifests were compared with, as given.
    pub changed_since: String,
    /// Account names.
    #[serde(default)]
    pub accounts: BTreeSet<String>,
    /// Customer external ids.
    #[serde(default)]
    pub customers: BTreeSet<String>,
    /// Consent tenant ids (lower case).
    #[serde(default)]
    pub consents: BTreeSet<String>,
    /// Declared accounts left out (not read, not diffed).
    #[serde(default)]
    pub accounts_not_read: usize,
    /// Declared customers left out.
    #[serde(default)]
    pub customers_not_read: usize,
}

impl PlanScope {
    /// Whether `object` (or the account or customer it belongs to) is inside the scope.
    pub fn covers(&self, object: &ObjectRef) -> bool {
        let within = |set: &BTreeSet<String>| set.contains(&object.key) || set.contains(&object.group);
        match (object.provider, object.kind) {
            (ProviderName::Acg, ObjectKind::Consent) => within(&self.consents),
            (ProviderName::Acg, _) => within(&self.accounts),
            (ProviderName::Webex, _) => within(&self.customers),
        }
    }

    /// `scoped to 1 account and 0 customers changed since origin/main; 9,999 accounts and 1,000
    /// customers not read — a full plan checks them for drift`
    pub fn describe(&self) -> String {
        let n = crate::diag::counted;
        let mut line = format!(
            "scoped to {} and {} changed since {}",
            n(self.accounts.len(), "account"),
            n(self.customers.len(), "customer"),
            self.changed_since
        );
        if !self.consents.is_empty() {
            line.push_str(&format!(" (and {})", n(self.consents.len(), "consent")));
        }
        if self.accounts_not_read + self.customers_not_read > 0 {
            line.push_str(&format!(
                "; {} and {} not read — a full plan checks them for drift",
                n(self.accounts_not_read, "account"),
                n(self.customers_not_read, "customer")
            ));
        }
        line
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// Present in saved plans (`telform plan -o FILE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<PlanOrigin>,
    /// Made for the manifests a `--selector` kept, or the objects `--target` named: the objects
    /// it lists as unmanaged may be declared by manifests left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub selected: bool,
    /// Made with `--changed-since`: what it covered and what it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<PlanScope>,
    /// `--changed-since REF` when a change since REF concerns every object (the folder's
    /// `telform.yaml`): the plan is a full one, and says why in place of a scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_full_because: Option<String>,
    /// In dependency order: apply runs them in this order (per provider and group).
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<Unmanaged>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PlanError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<Fingerprint>,
}

/// `Plan: A to add, C to change, D to delete.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub delete: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for a in &self.actions {
            s.record(a.op);
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }
}

impl Summary {
    /// Counts one action (the renderers count per group with it).
    pub fn record(&mut self, op: Op) {
        match op {
            Op::Create => self.add += 1,
            Op::Update => self.change += 1,
            Op::Delete => self.delete += 1,
            // Terraform counts a replacement as one add and one delete.
            Op::Replace => {
                self.add += 1;
                self.delete += 1;
            }
        }
    }

    pub fn line(&self) -> String {
        if self.add + self.change + self.delete == 0 {
            "No changes. Live state matches the manifests.".to_string()
        } else {
            format!(
                "Plan: {} to add, {} to change, {} to delete.",
                self.add, self.change, self.delete
            )
        }
    }
}

impl Plan {
    /// The heading of the objects the plan leaves alone.
    pub fn unmanaged_heading(&self) -> &'static str {
        if self.selected {
            "Not planned (outside --selector or --target, or in no manifest; left alone)"
        } else {
            "Unmanaged (not in any manifest, left alone)"
        }
    }
}

/// Field-by-field differences between two JSON views, with dotted paths. Nulls are "absent".
pub fn diff_json(prefix: &str, old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_into(prefix, old, new, &mut out);
    out
}

fn diff_into(path: &str, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_into(
                    &child,
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Null, Value::Object(b)) => {
            for (key, value) in b {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_into(&child, &Value::Null, value, out);
            }
        }
        (Value::Object(a), Value::Null) => {
            for (key, value) in a {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_into(&child, value, &Value::Null, out);
            }
        }
        _ if old == new => {}
        _ => out.push(FieldChange {
            path: path.to_string(),
            old: (!old.is_null()).then(|| old.clone()),
            new: (!new.is_null()).then(|| new.clone()),
            sensitive: false,
            secret_source: None,
        }),
    }
}
