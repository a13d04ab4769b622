//! What watch knows about itself: served as `/status` (JSON) and `/` (HTML), and written as one
//! log line per reconcile (text or JSON).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::apply::report::Totals;
use crate::model::ProviderName;
use crate::model::plan::{ObjectRef, Plan, Summary};

/// Longest error text kept in the status (a whole repository's diagnostics can be megabytes;
/// the log has them all).
const ERROR_CHARS: usize = 8_000;
/// Drifted objects listed in a record (the count is always exact).
pub const DRIFT_LISTED: usize = 50;
/// Reconciles of this process the page lists, newest first.
const RECENT_KEPT: usize = 50;
/// Drift sightings kept, corrected or not (the oldest corrected ones go first).
const DRIFT_KEPT: usize = 200;
/// Errors kept with their resolution.
const ERRORS_KEPT: usize = 20;
/// Longest pending-plan text kept per account or customer (a million numbers collapse into
/// ranges, but a group can still have thousands of distinct changes; the log has them all).
const GROUP_PLAN_CHARS: usize = 20_000;
/// Actions rendered per account or customer for that text.
const GROUP_PLAN_ACTIONS: usize = 5_000;

/// Why a reconcile ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The first one, when watch starts.
    Start,
    /// Manifest files changed.
    Change,
    /// The periodic drift check.
    Interval,
    /// The previous one failed; this is its retry after the backoff.
    Retry,
    /// "Reconcile now" on the status page.
    Manual,
}

impl Trigger {
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Change => "change",
            Trigger::Interval => "interval",
            Trigger::Retry => "retry",
            Trigger::Manual => "manual",
        }
    }
}

/// How a reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Live state matches the manifests.
    InSync,
    /// The plan has changes and watch runs without `--apply`.
    Pending,
    /// The changes were applied, all of them.
    Applied,
    /// The manifests are not valid: nothing was planned or applied.
    Invalid,
    /// A provider, the plan or the apply failed; retried after a backoff.
    Failed,
    /// A signal stopped it (after the writes in flight).
    Interrupted,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::InSync => "in sync",
            Outcome::Pending => "changes pending",
            Outcome::Applied => "applied",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Whether `--once` exits 0.
    pub fn ok(self) -> bool {
        matches!(
            self,
            Outcome::InSync | Outcome::Pending | Outcome::Applied | Outcome::Interrupted
        )
    }
}

/// API calls of one provider client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub reads: u64,
    pub writes: u64,
    pub retries: u64,
}

impl CallCounts {
    pub fn from_snapshot((reads, writes, retries): (u64, u64, u64)) -> CallCounts {
        CallCounts { reads, writes, retries }
    }

    fn add(&mut self, other: CallCounts) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.retries += other.retries;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Calls {
    pub acg: CallCounts,
    pub webex: CallCounts,
}

impl Calls {
    pub fn add(&mut self, other: Calls) {
        self.acg.add(other.acg);
        self.webex.add(other.webex);
    }
}

/// Drift: actions in a plan made from unchanged manifests that the previous reconcile did not
/// leave behind, i.e. changes made outside Git.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub found: usize,
    pub corrected: usize,
    /// `~ Number +14255550105: customSipHeader "portal" → "hq"`, at most [`DRIFT_LISTED`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
}

/// One reconcile, as logged and as `/status` shows the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Counts from 1 in each watch process.
    pub number: u64,
    pub trigger: Trigger,
    /// Manifest files that changed since the previous reconcile (for `change`).
    #[serde(skip_serializing_if = "is_zero")]
    pub files_changed: usize,
    pub started_at: String,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// The plan's counts (absent when no plan was made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Summary>,
    /// `Plan: 1 to add, 0 to change, 0 to delete.` or `No changes. …`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_line: Option<String>,
    /// What apply did (with `--apply`, when there was something to apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Totals>,
    /// `Apply complete! …` or `Apply failed: …`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_line: Option<String>,
    #[serde(skip_serializing_if = "Drift::is_empty")]
    pub drift: Drift,
    /// Invalid manifests: how many problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<usize>,
    /// What went wrong (diagnostics, provider error, failed actions), with its hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next attempt is, after a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_in_ms: Option<u64>,
    pub calls: Calls,
    /// Applying was paused from the status page: changes stay pending.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Drift {
    fn is_empty(&self) -> bool {
        self.found == 0
    }
}

/// What the loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Starting,
    Idle,
    Reconciling,
    Stopping,
    Stopped,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Idle => "idle",
            State::Reconciling => "reconciling",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// Manifest files changed and not reconciled yet.
    pub files: usize,
    /// Actions of the last plan not applied (without `--apply`, or failed).
    pub actions: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftTotals {
    pub found: u64,
    pub corrected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_found_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    pub at: String,
    pub message: String,
    /// When a reconcile next succeeded: the error is history, not the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// The sync state of an account or a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sync {
    /// Live state matches its manifests.
    InSync,
    /// Something at the provider is still in progress (a customer provisioning, a number syncing).
    Provisioning,
    /// Its manifests changed and the changes are not applied (yet).
    Pending,
    /// Live state was changed outside Git and is not corrected (yet).
    Drifted,
    /// The plan or the apply failed on one of its objects.
    Failed,
}

impl Sync {
    pub fn label(self) -> &'static str {
        match self {
            Sync::InSync => "in sync",
            Sync::Provisioning => "provisioning",
            Sync::Pending => "changes pending",
            Sync::Drifted => "drifted",
            Sync::Failed => "failed",
        }
    }
}

/// An account (ACG) or a customer (Webex) and what the last plan said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// `acg` or `webex`.
    pub provider: &'static str,
    /// `account` or `customer`.
    pub kind: &'static str,
    /// The key its objects carry (an account's name, a customer's external id); empty for
    /// objects of no account (a consent on its own).
    pub name: String,
    /// The manifest's name, when it differs from `name` (a customer's `metadata.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    pub sync: Sync,
    /// Actions of the last plan on its objects not applied.
    pub pending_actions: usize,
    /// Those actions as `telform plan` prints them (no styling; sensitive values are never in a plan).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plan: String,
    /// Objects still in progress at the provider, with their status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisioning: Vec<String>,
    /// Why it failed, per object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// The reconcile that last planned it, and how that reconcile ended.
    pub last_reconcile: u64,
    pub last_outcome: Outcome,
}

/// One action of a plan as the loop saw it end, for [`Status::observe`].
pub struct Observed<'a> {
    pub object: &'a ObjectRef,
    /// Identifies the same change across reconciles.
    pub key: &'a str,
    /// `~ Number +14255550105: customSipHeader "portal" → "hq"` (for drift only: a plan can have
    /// a million actions).
    pub description: Option<String>,
    /// Found by the drift check in this reconcile.
    pub drifted: bool,
    /// Still to do after this reconcile (not applied, or failed).
    pub remaining: bool,
    /// Why its apply failed.
    pub failure: Option<String>,
}

/// A change made outside Git, kept after the reconcile that found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftSeen {
    pub seen_at: String,
    pub reconcile: u64,
    pub object: String,
    /// The account or customer.
    pub group: String,
    /// When an apply put it back, or a plan no longer had it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_at: Option<String>,
    #[serde(skip)]
    key: String,
}

/// An error and, once a reconcile succeeded after it, when it was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorSeen {
    /// First seen.
    pub since: String,
    /// Last seen (the same error again in a retry).
    pub at: String,
    pub times: u32,
    pub outcome: Outcome,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// The Git commit of the manifest folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// `None`: the folder is not a Git checkout (or `git` is missing).
    pub id: Option<String>,
    /// When watch first saw this commit (its start, for the first one).
    pub since: String,
}

/// Everything `/status` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub dir: String,
    pub apply: bool,
    pub interval_ms: u64,
    pub debounce_ms: u64,
    pub state: State,
    pub started_at: String,
    pub reconciles: u64,
    pub last_reconcile: Option<Record>,
    pub last_success_at: Option<String>,
    pub next_reconcile_at: Option<String>,
    pub pending: Pending,
    pub drift: DriftTotals,
    pub last_error: Option<LastError>,
    /// Consecutive failures (0 when the last reconcile did not fail).
    pub failures: u32,
    /// Calls made since watch started, per provider.
    pub calls: Calls,
    /// The commit the last reconcile planned (absent before the first one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<Commit>,
    /// Every account and customer the last plan covered, by provider then name.
    pub groups: Vec<Group>,
    /// Changes made outside Git, newest first, kept after they are corrected.
    pub drift_seen: Vec<DriftSeen>,
    /// Errors, newest first, with when they were resolved.
    pub errors: Vec<ErrorSeen>,
    /// Applying is paused from the status page (`--allow-actions`).
    pub paused: bool,
    /// The reconciles of this process, newest first (the page's table; the log has them all).
    #[serde(skip)]
    pub recent: VecDeque<Record>,
}

impl Status {
    pub fn new(dir: String, apply: bool, interval: Duration, debounce: Duration) -> Status {
        Status {
            version: env!("CARGO_PKG_VERSION"),
            dir,
            apply,
            interval_ms: interval.as_millis() as u64,
            debounce_ms: debounce.as_millis() as u64,
            state: State::Starting,
            started_at: timestamp(SystemTime::now()),
            reconciles: 0,
            last_reconcile: None,
            last_success_at: None,
            next_reconcile_at: None,
            pending: Pending::default(),
            drift: DriftTotals::default(),
            last_error: None,
            failures: 0,
            calls: Calls::default(),
            commit: None,
            groups: Vec::new(),
            drift_seen: Vec::new(),
            errors: Vec::new(),
            paused: false,
            recent: VecDeque::new(),
        }
    }

    /// The commit a reconcile is about to plan; says since when it is checked out.
    pub fn checked_out(&mut self, id: Option<String>) {
        if self.commit.as_ref().is_some_and(|c| c.id == id) {
            return;
        }
        let since = if self.commit.is_none() {
            self.started_at.clone()
        } else {
            timestamp(SystemTime::now())
        };
        self.commit = Some(Commit { id, since });
    }

    /// Takes in the accounts and customers of a reconcile's plan ([`groups`]) and what
    /// became of the drift seen so far. `actions` are the plan's, in its order. Called before
    /// [`Status::record`] for reconciles that planned.
    pub fn observe(&mut self, number: u64, groups: Vec<Group>, actions: &[Observed<'_>]) {
        let now = timestamp(SystemTime::now());
        // Drift, kept: a new sighting per change not already open; an open one closes once
        // this reconcile applied it or no longer plans it.
        let still: BTreeSet<&str> = actions.iter().filter(|a| a.remaining).map(|a| a.key).collect();
        for seen in self.drift_seen.iter_mut().filter(|d| d.corrected_at.is_none()) {
            if !still.contains(seen.key.as_str()) {
                seen.corrected_at = Some(now.clone());
            }
        }
        for a in actions.iter().filter(|a| a.drifted).take(DRIFT_KEPT) {
            if self
                .drift_seen
                .iter()
                .any(|d| d.corrected_at.is_none() && d.key == a.key)
            {
                continue;
            }
            self.drift_seen.insert(
                0,
                DriftSeen {
                    seen_at: now.clone(),
                    reconcile: number,
                    object: a.description.clone().unwrap_or_else(|| a.object.to_string()),
                    group: a.object.group.clone(),
                    corrected_at: (!a.remaining).then(|| now.clone()),
                    key: a.key.to_string(),
                },
            );
        }
        while self.drift_seen.len() > DRIFT_KEPT {
            let oldest_corrected = self.drift_seen.iter().rposition(|d| d.corrected_at.is_some());
            self.drift_seen
                .remove(oldest_corrected.unwrap_or(self.drift_seen.len() - 1));
        }
        self.groups = groups;
    }

    /// Takes a finished reconcile into account.
    pub fn record(&mut self, record: &Record, pending_actions: usize) {
        self.reconciles = record.number;
        self.calls.add(record.calls);
        self.pending.actions = pending_actions;
        let finished = timestamp(SystemTime::now());
        if record.drift.found > 0 {
            self.drift.found += record.drift.found as u64;
            self.drift.corrected += record.drift.corrected as u64;
            self.drift.last_found_at = Some(finished.clone());
        }
        match record.outcome {
            Outcome::Invalid | Outcome::Failed => {
                // Invalid manifests count: nothing is reconciled while they are.
                self.failures += 1;
                let message = truncate(record.error.as_deref().unwrap_or("unknown error"));
                self.last_error = Some(LastError {
                    at: finished.clone(),
                    message: message.clone(),
                    resolved_at: None,
                });
                match self.errors.first_mut() {
                    Some(open) if open.resolved_at.is_none() && open.message == message => {
                        open.at = finished;
                        open.times += 1;
                    }
                    _ => {
                        self.errors.insert(
                            0,
                            ErrorSeen {
                                since: finished.clone(),
                                at: finished,
                                times: 1,
                                outcome: record.outcome,
                                message,
                                resolved_at: None,
                            },
                        );
                        self.errors.truncate(ERRORS_KEPT);
                    }
                }
                // The groups keep their last known state, but not as if it were current.
                if record.outcome == Outcome::Invalid {
                    for g in &mut self.groups {
                        g.last_outcome = Outcome::Invalid;
                    }
                }
            }
            Outcome::InSync | Outcome::Pending | Outcome::Applied => {
                self.failures = 0;
                self.last_success_at = Some(finished.clone());
                if let Some(error) = self.last_error.as_mut().filter(|e| e.resolved_at.is_none()) {
                    error.resolved_at = Some(finished.clone());
                }
                for error in self.errors.iter_mut().filter(|e| e.resolved_at.is_none()) {
                    error.resolved_at = Some(finished.clone());
                }
            }
            Outcome::Interrupted => {}
        }
        let mut kept = record.clone();
        kept.error = kept.error.as_deref().map(truncate);
        self.recent.push_front(kept.clone());
        self.recent.truncate(RECENT_KEPT);
        self.last_reconcile = Some(kept);
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
    }
}

/// The accounts and customers of a reconcile's plan, each with its state and pending diff.
/// `declared` are those of the manifests; `actions` are the plan's, in its order. Made
/// outside the status lock: rendering the diff of a large plan takes a while.
pub fn groups(
    number: u64,
    outcome: Outcome,
    plan: &Plan,
    declared: &[(ProviderName, String, String)],
    actions: &[Observed<'_>],
) -> Vec<Group> {
    let mut groups: BTreeMap<(ProviderName, String), Group> = BTreeMap::new();
    for (provider, key, manifest) in declared {
        let g = group_of(&mut groups, *provider, key, number, outcome);
        g.manifest = (manifest != key).then(|| manifest.clone());
    }
    // Every object the plan read is declared in a manifest: its group is managed.
    for f in &plan.fingerprints {
        group_of(&mut groups, f.object.provider, &f.object.group, number, outcome);
    }
    for p in &plan.pending {
        let g = group_of(&mut groups, p.object.provider, &p.object.group, number, outcome);
        g.provisioning.push(format!("{}: {}", p.object, p.status));
        g.sync = g.sync.max(Sync::Provisioning);
    }
    for e in &plan.errors {
        if let Some(object) = &e.object {
            let g = group_of(&mut groups, object.provider, &object.group, number, outcome);
            g.failures.push(format!("{object}: {} (hint: {})", e.message, e.hint));
            g.sync = Sync::Failed;
        }
    }
    let mut remaining: BTreeMap<(ProviderName, String), Vec<usize>> = BTreeMap::new();
    for (i, a) in actions.iter().enumerate() {
        let g = group_of(&mut groups, a.object.provider, &a.object.group, number, outcome);
        if let Some(reason) = &a.failure {
            g.failures.push(format!("{}: {reason}", a.object));
            g.sync = Sync::Failed;
        }
        if a.remaining {
            g.pending_actions += 1;
            g.sync = g.sync.max(if a.drifted { Sync::Drifted } else { Sync::Pending });
            remaining
                .entry((a.object.provider, a.object.group.clone()))
                .or_default()
                .push(i);
        }
    }
    for (group, indexes) in remaining {
        // `actions` are the plan's, in its order. The text is cut anyway: no need to
        // copy and render a million actions for it.
        let sub = Plan {
            format_version: plan.format_version,
            actions: indexes
                .iter()
                .take(GROUP_PLAN_ACTIONS)
                .filter_map(|i| plan.actions.get(*i))
                .cloned()
                .collect(),
            ..Plan::default()
        };
        if let Some(g) = groups.get_mut(&group) {
            let mut text = strip_ansi(&crate::plan::render::text(&sub, false));
            if indexes.len() > GROUP_PLAN_ACTIONS {
                text.push_str(&format!(
                    "… the first {GROUP_PLAN_ACTIONS} of {} actions (`telform plan` prints all of them)\n",
                    indexes.len()
                ));
            }
            g.plan = cut(&text, GROUP_PLAN_CHARS, "`telform plan` prints all of it");
        }
    }
    groups.into_values().collect()
}

/// The account or customer `name` of `provider` in `groups`, added in sync when new.
fn group_of<'g>(
    groups: &'g mut BTreeMap<(ProviderName, String), Group>,
    provider: ProviderName,
    name: &str,
    number: u64,
    outcome: Outcome,
) -> &'g mut Group {
    groups.entry((provider, name.to_string())).or_insert_with(|| Group {
        provider: match provider {
            ProviderName::Acg => "acg",
            ProviderName::Webex => "webex",
        },
        kind: match provider {
            ProviderName::Acg => "account",
            ProviderName::Webex => "customer",
        },
        name: name.to_string(),
        manifest: None,
        sync: Sync::InSync,
        pending_actions: 0,
        plan: String::new(),
        provisioning: Vec::new(),
        failures: Vec::new(),
        last_reconcile: number,
        last_outcome: outcome,
    })
}

fn truncate(text: &str) -> String {
    cut(text, ERROR_CHARS, "the log has the whole text")
}

fn cut(text: &str, chars: usize, whole: &str) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}\n… (cut; {whole})", &text[..cut]),
        None => text.to_string(),
    }
}

/// Removes terminal styling (`ESC [ … m`): the diagnostics are rendered for a terminal, and
/// the status, the JSON log and the page are not one.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.clone().next() == Some('[') {
            chars.next();
            // Parameters, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// `2026-11-21T07:10:17Z` (UTC).
pub fn timestamp(time: SystemTime) -> String {
    crate::clock::iso8601(time)
}

/// `20261121T071017Z`, for file names.
pub fn compact_timestamp(time: SystemTime) -> String {
    crate::clock::compact(time)
}

/// `1.42 s`, `350 ms`
pub fn duration_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

/// The log line of a reconcile, for people. Details (diagnostics, failed actions) are printed
/// before it by the loop; this is the one line to grep.
pub fn text_line(record: &Record, apply: bool) -> String {
    let trigger = match record.trigger {
        Trigger::Start => "start".to_string(),
        Trigger::Change => format!(
            "{} file{} changed",
            record.files_changed,
            if record.files_changed == 1 { "" } else { "s" }
        ),
        Trigger::Interval => "drift check".to_string(),
        Trigger::Retry => "retry".to_string(),
        Trigger::Manual => "asked from the status page".to_string(),
    };
    let mut line = format!(
        "{} reconcile #{} ({trigger}): {} in {}",
        record.started_at,
        record.number,
        record.outcome.label(),
        duration_text(record.duration_ms)
    );
    let mut parts: Vec<String> = Vec::new();
    if let Some(plan) = &record.plan_line {
        parts.push(plan.clone());
    }
    if let Some(applied) = &record.apply_line {
        parts.push(applied.clone());
    }
    match record.outcome {
        Outcome::Pending if !apply => parts.push("not applied: watch runs without --apply".into()),
        Outcome::Pending if record.paused => parts.push("not applied: applying is paused from the status page".into()),
        // With --apply, changes stay pending only on a standby replica (docs/store.md).
        Outcome::Pending => parts.push("not applied here: this watch stands by while another applies".into()),
        Outcome::Invalid => parts.push(format!(
            "{} in the manifests (above): nothing was applied; fix them and save, the next valid change resumes",
            crate::diag::counted(record.problems.unwrap_or(0), "problem")
        )),
        Outcome::Failed => {
            if let Some(error) = &record.error {
                parts.push(
                    error
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    if record.drift.found > 0 {
        let verb = if record.drift.corrected == record.drift.found {
            "drift corrected"
        } else if record.drift.corrected > 0 {
            "drift partly corrected"
        } else if apply {
            "drift found"
        } else {
            "drift found (not corrected: watch runs without --apply)"
        };
        let shown: Vec<&str> = record.drift.objects.iter().take(5).map(String::as_str).collect();
        let more = record.drift.found.saturating_sub(shown.len());
        let mut text = format!("{verb} ({}): {}", record.drift.found, shown.join("; "));
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        parts.push(text);
    }
    if let Some(ms) = record.retry_in_ms {
        parts.push(format!("next attempt in {}", duration_text(ms)));
    }
    if !parts.is_empty() {
        line.push_str(" — ");
        line.push_str(&parts.join(" "));
    }
    line.push('\n');
    line
}

/// The log line of a reconcile for log shippers: one JSON object.
pub fn json_line(record: &Record) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        event: &'static str,
        #[serde(flatten)]
        record: &'a Record,
    }
    serde_json::to_string(&Line {
        event: "reconcile",
        record,
    })
    .unwrap_or_default()
        + "\n"
}

/// A JSON line about watch itself (`start`, `stop`, `warning`).
pub fn json_event(event: &str, message: &str) -> String {
    serde_json::json!({"event": event, "at": timestamp(SystemTime::now()), "message": message}).to_string() + "\n"
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: Outcome) -> Record {
        Record {
            number: 7,
            trigger: Trigger::Interval,
            files_changed: 0,
            started_at: "2026-11-21T07:10:17Z".into(),
            duration_ms: 420,
            outcome,
            plan: Some(Summary {
                add: 0,
                change: 1,
                delete: 0,
            }),
            plan_line: Some("Plan: 0 to add, 1 to change, 0 to delete.".into()),
            applied: None,
            apply_line: None,
            drift: Drift {
                found: 1,
                corrected: 0,
                objects: vec!["~ Number +14255550105: customSipHeader \"portal\" → \"hq\"".into()],
            },
            problems: None,
            error: None,
            retry_in_ms: None,
            calls: Calls::default(),
            paused: false,
        }
    }

    #[test]
    fn the_log_line_says_what_happened_to_drift() {
        let mut corrected = record(Outcome::Applied);
        corrected.drift.corrected = 1;
        corrected.apply_line = Some("Apply complete! Resources: 0 added, 1 changed, 0 deleted.".into());
        assert_eq!(
            text_line(&corrected, true),
            "2026-11-21T07:10:17Z reconcile #7 (drift check): applied in 420 ms — Plan: 0 to add, 1 to change, 0 to delete. \
Apply complete! Resources: 0 added, 1 changed, 0 deleted. drift corrected (1): ~ Number +14255550105: customSipHeader \"portal\" → \"hq\"\n"
        );
        let reported = text_line(&record(Outcome::Pending), false);
        assert!(
            reported.contains("changes pending in 420 ms")
                && reported.contains("not applied: watch runs without --apply")
                && reported.contains("drift found (not corrected: watch runs without --apply) (1): ~ Number"),
            "{reported}"
        );
        let json: serde_json::Value = serde_json::from_str(&json_line(&corrected)).expect("one JSON object");
        assert_eq!(json["event"], "reconcile");
        assert_eq!(json["drift"]["corrected"], 1);
        assert_eq!(json["outcome"], "applied");
        assert!(!json_line(&corrected).trim_end().contains('\n'), "one line");
    }

    #[test]
    fn a_failure_line_names_the_error_and_the_next_attempt() {
        let mut failed = record(Outcome::Failed);
        failed.drift = Drift::default();
        failed.plan = None;
        failed.plan_line = None;
        failed.trigger = Trigger::Retry;
        failed.error = Some("error: ACG: token request failed (401)\nhint: check TELFORM_ACG_CLIENT_SECRET".into());
        failed.retry_in_ms = Some(4000);
        assert_eq!(
            text_line(&failed, true),
            "2026-11-21T07:10:17Z reconcile #7 (retry): failed in 420 ms — ACG: token request failed (401) next attempt in 4.00 s\n"
        );
    }

    #[test]
    fn terminal_styling_is_removed() {
        assert_eq!(
            strip_ansi(
                "\u{1b}[1m\u{1b}[91merror[TF023]\u{1b}[0m: unknown field\n \u{1b}[1m\u{1b}[94m--> \u{1b}[0ma.yaml:4:8"
            ),
            "error[TF023]: unknown field\n --> a.yaml:4:8"
        );
        assert_eq!(strip_ansi("plain [text]"), "plain [text]");
    }

    #[test]
    fn long_errors_are_cut_in_the_status() {
        let long = "x".repeat(ERROR_CHARS + 10);
        let cut = truncate(&long);
        assert!(cut.len() < long.len() + 50 && cut.ends_with("the log has the whole text)"));
        assert_eq!(truncate("short"), "short");
    }

    /// What the loop does with a plan: its groups, then the status takes them in.
    fn take(
        status: &mut Status,
        number: u64,
        outcome: Outcome,
        plan: &Plan,
        declared: &[(ProviderName, String, String)],
        seen: &[Observed<'_>],
    ) {
        status.observe(number, groups(number, outcome, plan, declared, seen), seen);
    }

    fn action(tn: &str, account: &str) -> crate::model::plan::Action {
        use crate::model::plan::{Action, FieldChange, Op};
        Action {
            op: Op::Update,
            object: ObjectRef::new(ProviderName::Acg, crate::model::ObjectKind::Number, tn, account),
            source: None,
            changes: vec![FieldChange {
                path: "customSipHeader".into(),
                old: Some(serde_json::json!("portal")),
                new: Some(serde_json::json!("hq")),
                sensitive: false,
                secret_source: None,
            }],
            reason: None,
            desired: None,
            number: None,
        }
    }

    fn observed<'a>(plan: &'a Plan, drifted: bool, remaining: bool, failure: Option<&str>) -> Vec<Observed<'a>> {
        plan.actions
            .iter()
            .map(|a| Observed {
                object: &a.object,
                key: &a.object.key,
                description: drifted.then(|| format!("~ {}", a.object)),
                drifted,
                remaining,
                failure: failure.map(str::to_string),
            })
            .collect()
    }

    #[test]
    fn every_declared_group_is_listed_with_its_state_and_pending_diff() {
        let mut status = Status::new("m".into(), false, Duration::from_secs(300), Duration::from_millis(500));
        let plan = Plan {
            actions: vec![action("+14255550105", "contoso")],
            pending: vec![crate::model::plan::Pending {
                object: ObjectRef::new(
                    ProviderName::Webex,
                    crate::model::ObjectKind::Customer,
                    "GLOBEX-0042",
                    "GLOBEX-0042",
                ),
                status: "provisioning".into(),
            }],
            ..Plan::default()
        };
        let declared = vec![
            (ProviderName::Acg, "contoso".to_string(), "contoso".to_string()),
            (ProviderName::Acg, "tailspin".to_string(), "tailspin".to_string()),
            (ProviderName::Webex, "GLOBEX-0042".to_string(), "globex".to_string()),
        ];
        take(
            &mut status,
            1,
            Outcome::Pending,
            &plan,
            &declared,
            &observed(&plan, false, true, None),
        );
        let state = |name: &str| status.groups.iter().find(|g| g.name == name).map(|g| g.sync);
        assert_eq!(state("contoso"), Some(Sync::Pending));
        assert_eq!(state("tailspin"), Some(Sync::InSync));
        assert_eq!(state("GLOBEX-0042"), Some(Sync::Provisioning));
        let contoso = status.groups.iter().find(|g| g.name == "contoso").expect("listed");
        assert_eq!(contoso.pending_actions, 1);
        assert!(
            contoso.plan.contains("+14255550105") && contoso.plan.contains("\"hq\""),
            "{}",
            contoso.plan
        );
        let globex = status.groups.iter().find(|g| g.provider == "webex").expect("listed");
        assert_eq!(globex.manifest.as_deref(), Some("globex"));

        // An apply that failed on the object: the group is failed, with the reason.
        take(
            &mut status,
            2,
            Outcome::Failed,
            &plan,
            &declared,
            &observed(&plan, false, true, Some("409 conflict")),
        );
        let contoso = status.groups.iter().find(|g| g.name == "contoso").expect("listed");
        assert_eq!(contoso.sync, Sync::Failed);
        assert!(contoso.failures[0].contains("409 conflict"));
    }

    #[test]
    fn drift_is_kept_and_closed_once_corrected() {
        let mut status = Status::new("m".into(), false, Duration::from_secs(300), Duration::from_millis(500));
        let plan = Plan {
            actions: vec![action("+14255550105", "contoso")],
            ..Plan::default()
        };
        let declared = vec![(ProviderName::Acg, "contoso".to_string(), "contoso".to_string())];
        // Found and not corrected (no --apply): drifted, open.
        take(
            &mut status,
            1,
            Outcome::Pending,
            &plan,
            &declared,
            &observed(&plan, true, true, None),
        );
        assert_eq!(status.groups[0].sync, Sync::Drifted);
        assert_eq!(status.drift_seen.len(), 1);
        assert!(status.drift_seen[0].corrected_at.is_none());
        // Seen again by the next plan: still one sighting.
        take(
            &mut status,
            2,
            Outcome::Pending,
            &plan,
            &declared,
            &observed(&plan, false, true, None),
        );
        assert_eq!(status.drift_seen.len(), 1);
        // A plan without it (put back by someone, or applied): corrected, and kept.
        let clean = Plan::default();
        take(&mut status, 3, Outcome::InSync, &clean, &declared, &[]);
        assert_eq!(status.drift_seen.len(), 1);
        assert!(status.drift_seen[0].corrected_at.is_some());
        assert_eq!(status.groups[0].sync, Sync::InSync);
        // Found and applied in the same reconcile: corrected at once.
        take(
            &mut status,
            4,
            Outcome::Applied,
            &plan,
            &declared,
            &observed(&plan, true, false, None),
        );
        assert_eq!(status.drift_seen.len(), 2);
        assert!(status.drift_seen[0].corrected_at.is_some());
        assert_eq!(status.groups[0].sync, Sync::InSync);
    }

    #[test]
    fn invalid_manifests_count_as_failures_and_a_success_resolves_the_errors() {
        let mut status = Status::new("m".into(), false, Duration::from_secs(300), Duration::from_millis(500));
        let mut invalid = record(Outcome::Invalid);
        invalid.error = Some("error[TF023]: unknown field".into());
        status.record(&invalid, 0);
        status.record(&invalid, 0);
        assert_eq!(status.failures, 2);
        assert_eq!(status.errors.len(), 1, "the same error twice is one entry");
        assert_eq!(status.errors[0].times, 2);
        assert!(status.last_error.as_ref().is_some_and(|e| e.resolved_at.is_none()));
        status.record(&record(Outcome::InSync), 0);
        assert_eq!(status.failures, 0);
        assert!(status.errors[0].resolved_at.is_some());
        let last = status.last_error.as_ref().expect("kept");
        assert!(last.resolved_at.is_some(), "kept, resolved");
        let json: serde_json::Value = serde_json::from_str(&status.json()).expect("JSON");
        assert!(json["last_error"]["resolved_at"].is_string(), "{json:#}");
        assert_eq!(
            json["recent"],
            serde_json::Value::Null,
            "the page's list is not in /status"
        );
    }
}
