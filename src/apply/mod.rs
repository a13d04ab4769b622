//! Executing a plan on the providers.
//!
//! The plan is already ordered by dependency (design.md): apply cuts it into branches that
//! do not depend on each other (one per ACG account, one per Webex customer) and runs up to
//! `concurrency` branches at once. Inside a branch the actions run in plan order; when one
//! fails, the actions that depend on it are skipped and say which failure they wait for,
//! while the rest of the branch and every other branch go on.
//!
//! Every write is safe to send again: ACG writes carry a `Repeatability-Request-ID` (the
//! gateway replays the first answer), and a Webex write whose outcome is unknown is checked by
//! its natural key before it is retried. A second apply after any interruption converges.

pub mod acg;
pub mod progress;
pub mod report;
pub mod secrets;
pub mod stale;
pub mod webex;

use std::time::Duration;

use serde::Serialize;

use crate::model::Stop;
use crate::model::plan::{Action, Fingerprint, ObjectRef, Op, ProviderName};
use crate::provider::acg::AcgClient;
use crate::provider::http::RetryBudget;
use crate::provider::webex::WebexClient;
pub use progress::Progress;
pub use secrets::Secrets;

/// Default of `--concurrency`: independent branches (accounts, customers) run at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How apply behaves, from flags and `telform.yaml`.
#[derive(Debug, Clone)]
pub struct Options {
    pub concurrency: usize,
    /// Retries of one write.
    pub budget: RetryBudget,
    /// How long to wait for a Webex customer to be provisioned, or an ACG object to leave
    /// `pending` sync.
    pub async_timeout: Duration,
    /// Between two reads of something asynchronous.
    pub poll_interval: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: DEFAULT_CONCURRENCY,
            budget: RetryBudget::default(),
            async_timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// What became of one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Written, and verified where the provider is asynchronous.
    Done,
    /// Already as the plan wanted when apply came to it (a previous, interrupted apply made
    /// it): nothing was written.
    Unchanged,
    Failed {
        reason: String,
    },
    /// Not attempted: `because` names the failure it depends on, or the interruption.
    Skipped {
        because: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub op: Op,
    pub object: ObjectRef,
    #[serde(flatten)]
    pub status: Status,
    /// What else happened, e.g. "sync failed: …", "password written to secrets.txt".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Outcome {
    pub fn new(action: &Action, status: Status) -> Outcome {
        Outcome {
            op: action.op,
            object: action.object.clone(),
            status,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Outcome {
        self.detail = Some(detail.into());
        self
    }

    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed { .. })
    }
}

/// What the executors share.
/// Why an action was skipped when apply was interrupted (Ctrl-C, SIGTERM, SIGHUP).
pub const INTERRUPTED: &str = "apply was interrupted before it started";

pub struct Run {
    pub options: Options,
    pub stop: Stop,
    pub progress: Progress,
    pub secrets: Secrets,
}

impl Run {
    /// The outcome of an action not attempted because apply was interrupted.
    pub fn interrupted(action: &Action) -> Outcome {
        Outcome::new(
            action,
            Status::Skipped {
                because: INTERRUPTED.into(),
            },
        )
    }
}

/// The actions of one provider, cut into independent branches by their group (account or
/// customer), each in plan order. The branches keep the order of their first action.
pub fn branches(actions: Vec<Action>) -> Vec<Vec<Action>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_group: std::collections::HashMap<String, Vec<Action>> = std::collections::HashMap::new();
    for action in actions {
        let group = action.object.group.clone();
        by_group
            .entry(group.clone())
            .or_insert_with(|| {
                order.push(group);
                Vec::new()
            })
            .push(action);
    }
    order.into_iter().filter_map(|g| by_group.remove(&g)).collect()
}

/// Runs every branch, up to `concurrency` at once, and gathers their outcomes in plan order
/// of the branches.
pub async fn run_branches<F, Fut>(branches: Vec<Vec<Action>>, concurrency: usize, each: F) -> Vec<Outcome>
where
    F: Fn(Vec<Action>) -> Fut,
    Fut: std::future::Future<Output = Vec<Outcome>>,
{
    use futures_util::stream::{self, StreamExt};
    // Unordered: a branch waiting ten minutes for a customer to be provisioned must not hold
    // back the ones queued after it (`buffered` starts no new branch while the oldest runs).
    let each = &each;
    let mut results: Vec<(usize, Vec<Outcome>)> = stream::iter(branches.into_iter().enumerate())
        .map(|(i, branch)| async move { (i, each(branch).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().flat_map(|(_, outcomes)| outcomes).collect()
}

/// Splits a plan's actions per provider, keeping their order.
pub fn per_provider(actions: Vec<Action>) -> (Vec<Action>, Vec<Action>) {
    actions
        .into_iter()
        .partition(|a| a.object.provider == ProviderName::Acg)
}

/// Runs both providers' actions at once (their branches are independent), through the clients
/// that read the live state of the plan; `fingerprints` are the plan's (ACG writes are
/// conditional on them). `reconcile::Planned::execute` calls it with a plan's own parts.
pub async fn execute(
    acg_client: Option<&AcgClient>,
    webex_client: Option<&WebexClient>,
    fingerprints: &[Fingerprint],
    acg_actions: Vec<Action>,
    webex_actions: Vec<Action>,
    run: &Run,
) -> Vec<Outcome> {
    let acg = async {
        match (acg_client, acg_actions.is_empty()) {
            (_, true) => Vec::new(),
            (Some(client), false) => {
                let fingerprints: acg::Fingerprints = fingerprints
                    .iter()
                    .filter(|f| f.object.provider == ProviderName::Acg)
                    .map(|f| (f.object.clone(), f.value.to_string()))
                    .collect();
                acg::apply(client, acg_actions, run, &fingerprints).await
            }
            (None, false) => unconfigured(&acg_actions, "ACG"),
        }
    };
    let webex = async {
        match (webex_client, webex_actions.is_empty()) {
            (_, true) => Vec::new(),
            (Some(client), false) => webex::apply(client, webex_actions, run).await,
            (None, false) => unconfigured(&webex_actions, "Webex"),
        }
    };
    let (mut outcomes, webex) = tokio::join!(acg, webex);
    outcomes.extend(webex);
    outcomes
}

fn unconfigured(actions: &[Action], provider: &str) -> Vec<Outcome> {
    actions
        .iter()
        .map(|a| {
            Outcome::new(
                a,
                Status::Failed {
                    reason: format!("no {provider} client is configured for this plan"),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{ObjectKind, ObjectRef, Op, ProviderName};

    /// A bare action: `op` on an object of `provider`.
    pub(super) fn action_of(op: Op, provider: ProviderName, kind: ObjectKind, key: &str, group: &str) -> Action {
        Action {
            op,
            object: ObjectRef::new(provider, kind, key, group),
            source: None,
            changes: Vec::new(),
            reason: None,
            desired: None,
            number: None,
        }
    }

    fn action(kind: ObjectKind, key: &str, group: &str) -> Action {
        action_of(Op::Create, ProviderName::Acg, kind, key, group)
    }

    #[test]
    fn branches_keep_plan_order_within_and_first_appearance_across() {
        let actions = vec![
            action(ObjectKind::Account, "b", "b"),
            action(ObjectKind::Account, "a", "a"),
            action(ObjectKind::Number, "+1", "b"),
            action(ObjectKind::Number, "+2", "a"),
            action(ObjectKind::Account, "b", "b"),
        ];
        let branches = branches(actions);
        let keys: Vec<Vec<&str>> = branches
            .iter()
            .map(|b| b.iter().map(|a| a.object.key.as_str()).collect())
            .collect();
        assert_eq!(keys, vec![vec!["b", "+1", "b"], vec!["a", "+2"]]);
    }
}
