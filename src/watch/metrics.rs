//! `/metrics`: what watch has done, in the Prometheus text format (OpenMetrics), for a
//! Prometheus server to scrape and alert on (docs/watch.md lists the metrics).
//!
//! The loop updates the metrics at the points a reconcile ends; the server only encodes them.
//! Counters count from the start of the process, as Prometheus expects (`rate()` handles the
//! restarts).

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::status::{Outcome, Record};
use crate::model::plan::Action;
use crate::provider::CallStats;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;

/// Every outcome, so that each series exists (at 0) from the start: an alert on
/// `increase(...{outcome="failed"}[1h])` needs the series before the first failure.
const OUTCOMES: [Outcome; 6] = [
    Outcome::InSync,
    Outcome::Pending,
    Outcome::Applied,
    Outcome::Invalid,
    Outcome::Failed,
    Outcome::Interrupted,
];

/// An object's state after the last reconcile, for `telform_watch_objects`: one state per
/// object, the first that applies of failed, drifted, pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SyncState {
    /// Its action is left to do (not applied: no `--apply`, or not tried).
    Pending,
    /// Changed outside Git, and not set back (yet).
    Drifted,
    /// Its action failed in the apply.
    Failed,
}

impl SyncState {
    const ALL: [SyncState; 3] = [SyncState::Pending, SyncState::Drifted, SyncState::Failed];

    fn name(self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Drifted => "drifted",
            SyncState::Failed => "failed",
        }
    }
}

/// Objects per (kind, state) in one plan.
pub type ObjectStates = BTreeMap<(String, SyncState), i64>;

/// Counts the objects of a plan per kind and state: `left` are the indices of the actions
/// left to do (failed ones included), `drifted` of the drifted ones (corrected or not),
/// `failed` of the ones whose apply failed.
pub fn object_states(
    actions: &[Action],
    left: &HashSet<usize>,
    drifted: &[usize],
    failed: &HashSet<usize>,
) -> ObjectStates {
    let drifted: HashSet<usize> = drifted.iter().copied().collect();
    let mut states = ObjectStates::new();
    for &i in left {
        let state = if failed.contains(&i) {
            SyncState::Failed
        } else if drifted.contains(&i) {
            SyncState::Drifted
        } else {
            SyncState::Pending
        };
        *states.entry((actions[i].object.kind.to_string(), state)).or_default() += 1;
    }
    states
}

/// One provider client's calls during a reconcile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProviderCalls {
    pub reads: u64,
    pub writes: u64,
    pub retries: u64,
    /// Answers `429 Too Many Requests` (each is also a retry, or the call's failure).
    pub throttled: u64,
}

impl ProviderCalls {
    pub fn of(stats: &CallStats) -> ProviderCalls {
        let (reads, writes, retries) = stats.snapshot();
        ProviderCalls {
            reads,
            writes,
            retries,
            throttled: stats.throttled(),
        }
    }
}

/// The metrics of one watch process.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<Labels, Counter>,
    duration: Histogram,
    objects: Family<Labels, Gauge>,
    /// The (kind, state) series the last reconcile set: the next one zeroes those it does not.
    objects_set: Mutex<HashSet<(String, SyncState)>>,
    drift_found: Counter,
    drift_corrected: Counter,
    calls: Family<Labels, Counter>,
    retries: Family<Labels, Counter>,
    throttled: Family<Labels, Counter>,
    lock_wait: Family<Labels, Histogram>,
    last_success: Gauge<f64, AtomicU64>,
    watcher_up: Gauge,
    notifications: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("telform");
        let reconciles = Family::<Labels, Counter>::default();
        registry.register(
            "watch_reconciles",
            "Reconciles by how they ended (in-sync, pending, applied, invalid, failed, interrupted)",
            reconciles.clone(),
        );
        for outcome in OUTCOMES {
            let _ = reconciles.get_or_create(&outcome_labels(outcome));
        }
        // 50 ms to about 7 minutes: a small estate's plan to a large estate's apply.
        let duration = Histogram::new(exponential_buckets(0.05, 2.0, 14));
        registry.register(
            "watch_reconcile_duration_seconds",
            "How long reconciles took (plan, and apply with --apply)",
            duration.clone(),
        );
        let objects = Family::<Labels, Gauge>::default();
        registry.register(
            "watch_objects",
            "Objects not in sync after the last reconcile, by kind and state (failed, drifted, pending); objects in sync are not counted",
            objects.clone(),
        );
        // Every kind and state from the start, at 0: "no drift" is a value, not a missing series.
        for kind in crate::model::ObjectKind::ALL {
            for state in SyncState::ALL {
                let _ = objects.get_or_create(&object_labels(&kind.to_string(), state));
            }
        }
        let drift_found = Counter::default();
        registry.register(
            "watch_drift_found",
            "Objects found changed outside Git (drift)",
            drift_found.clone(),
        );
        let drift_corrected = Counter::default();
        registry.register(
            "watch_drift_corrected",
            "Drifted objects set back to their manifests (with --apply)",
            drift_corrected.clone(),
        );
        let calls = Family::<Labels, Counter>::default();
        registry.register(
            "provider_calls",
            "API calls by provider and kind (read, write), retries included",
            calls.clone(),
        );
        let retries = Family::<Labels, Counter>::default();
        registry.register(
            "provider_retries",
            "API calls sent again by provider (rate limits, server errors, broken connections)",
            retries.clone(),
        );
        let throttled = Family::<Labels, Counter>::default();
        registry.register(
            "provider_throttled",
            "API answers 429 Too Many Requests by provider",
            throttled.clone(),
        );
        for provider in ["acg", "webex"] {
            for kind in ["read", "write"] {
                let _ = calls.get_or_create(&vec![("provider", provider.to_string()), ("kind", kind.to_string())]);
            }
            let _ = retries.get_or_create(&provider_labels(provider));
            let _ = throttled.get_or_create(&provider_labels(provider));
        }
        let lock_wait =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.01, 4.0, 8)));
        registry.register(
            "watch_lock_wait_seconds",
            "Time spent taking the store's apply lock (--apply with a store), by outcome (acquired, failed)",
            lock_wait.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "watch_last_success_timestamp_seconds",
            "When the last successful reconcile (in-sync, pending or applied) ended, in seconds since the Unix epoch; 0 before the first",
            last_success.clone(),
        );
        let watcher_up = Gauge::default();
        registry.register(
            "watch_watcher_up",
            "1 while the manifest folder is watched, 0 while it is gone",
            watcher_up.clone(),
        );
        let notifications = Family::<Labels, Counter>::default();
        registry.register(
            "watch_notifications",
            "Webhook notifications (--notify) by result (delivered, dropped)",
            notifications.clone(),
        );
        for result in ["delivered", "dropped"] {
            let _ = notifications.get_or_create(&vec![("result", result.to_string())]);
        }
        Metrics {
            registry,
            reconciles,
            duration,
            objects,
            objects_set: Mutex::new(HashSet::new()),
            drift_found,
            drift_corrected,
            calls,
            retries,
            throttled,
            lock_wait,
            last_success,
            watcher_up,
            notifications,
        }
    }

    /// A reconcile ended: its outcome, duration and drift.
    pub fn reconciled(&self, record: &Record) {
        self.reconciles.get_or_create(&outcome_labels(record.outcome)).inc();
        self.duration.observe(record.duration_ms as f64 / 1000.0);
        self.drift_found.inc_by(record.drift.found as u64);
        self.drift_corrected.inc_by(record.drift.corrected as u64);
        if matches!(record.outcome, Outcome::InSync | Outcome::Pending | Outcome::Applied) {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            self.last_success.set(now.as_secs_f64());
        }
    }

    /// The objects of the last plan by kind and state (a reconcile without a plan leaves them).
    pub fn objects(&self, states: &ObjectStates) {
        let mut set = self.objects_set.lock().unwrap_or_else(|p| p.into_inner());
        for (kind, state) in set.drain() {
            self.objects.get_or_create(&object_labels(&kind, state)).set(0);
        }
        for ((kind, state), n) in states {
            self.objects.get_or_create(&object_labels(kind, *state)).set(*n);
            set.insert((kind.clone(), *state));
        }
    }

    /// One reconcile's calls to `provider` (`acg`, `webex`).
    pub fn calls(&self, provider: &str, calls: ProviderCalls) {
        let kind = |kind: &str| vec![("provider", provider.to_string()), ("kind", kind.to_string())];
        self.calls.get_or_create(&kind("read")).inc_by(calls.reads);
        self.calls.get_or_create(&kind("write")).inc_by(calls.writes);
        self.retries
            .get_or_create(&provider_labels(provider))
            .inc_by(calls.retries);
        self.throttled
            .get_or_create(&provider_labels(provider))
            .inc_by(calls.throttled);
    }

    /// Taking the store lock took `waited`, and got it or not.
    pub fn lock_waited(&self, waited: Duration, acquired: bool) {
        let outcome = if acquired { "acquired" } else { "failed" };
        self.lock_wait
            .get_or_create(&vec![("outcome", outcome.to_string())])
            .observe(waited.as_secs_f64());
    }

    pub fn watcher_up(&self, up: bool) {
        self.watcher_up.set(i64::from(up));
    }

    /// A notification was delivered, or dropped after its last attempt (or a full queue).
    pub fn notified(&self, delivered: bool) {
        let result = if delivered { "delivered" } else { "dropped" };
        self.notifications
            .get_or_create(&vec![("result", result.to_string())])
            .inc();
    }

    /// The text `/metrics` serves.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn outcome_labels(outcome: Outcome) -> Labels {
    let name = match outcome {
        Outcome::InSync => "in-sync",
        Outcome::Pending => "pending",
        Outcome::Applied => "applied",
        Outcome::Invalid => "invalid",
        Outcome::Failed => "failed",
        Outcome::Interrupted => "interrupted",
    };
    vec![("outcome", name.to_string())]
}

fn provider_labels(provider: &str) -> Labels {
    vec![("provider", provider.to_string())]
}

fn object_labels(kind: &str, state: SyncState) -> Labels {
    vec![("kind", kind.to_string()), ("state", state.name().to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_and_provider_series_exists_from_the_start() {
        let text = Metrics::new().encode();
        for outcome in ["in-sync", "pending", "applied", "invalid", "failed", "interrupted"] {
            assert!(
                text.contains(&format!("telform_watch_reconciles_total{{outcome=\"{outcome}\"}} 0")),
                "{text}"
            );
        }
        assert!(
            text.contains("telform_provider_throttled_total{provider=\"acg\"} 0"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    fn action(kind: crate::model::ObjectKind, key: &str) -> Action {
        use crate::model::plan::{ObjectRef, Op, ProviderName};
        Action {
            op: Op::Update,
            object: ObjectRef::new(ProviderName::Acg, kind, key, "contoso"),
            source: None,
            changes: Vec::new(),
            reason: None,
            desired: None,
            number: None,
        }
    }

    #[test]
    fn each_object_left_has_one_state_failed_first_then_drifted() {
        use crate::model::ObjectKind;
        let actions = [
            action(ObjectKind::Number, "+14255550100"),
            action(ObjectKind::Number, "+14255550101"),
            action(ObjectKind::Number, "+14255550102"),
            action(ObjectKind::Account, "contoso"),
        ];
        // 0 failed (and drifted), 1 drifted and corrected (not left), 2 drifted, 3 pending.
        let left = HashSet::from([0, 2, 3]);
        let failed = HashSet::from([0]);
        let states = object_states(&actions, &left, &[0, 1, 2], &failed);
        let expected = ObjectStates::from([
            (("Number".to_string(), SyncState::Failed), 1),
            (("Number".to_string(), SyncState::Drifted), 1),
            (("Account".to_string(), SyncState::Pending), 1),
        ]);
        assert_eq!(states, expected);
    }

    #[test]
    fn object_series_a_reconcile_no_longer_has_go_back_to_zero() {
        let metrics = Metrics::new();
        let mut states = ObjectStates::new();
        states.insert(("Number".into(), SyncState::Drifted), 2);
        metrics.objects(&states);
        assert!(
            metrics
                .encode()
                .contains("telform_watch_objects{kind=\"Number\",state=\"drifted\"} 2")
        );
        metrics.objects(&ObjectStates::new());
        assert!(
            metrics
                .encode()
                .contains("telform_watch_objects{kind=\"Number\",state=\"drifted\"} 0")
        );
    }
}
