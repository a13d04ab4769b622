//! Applying the Webex half of a plan: one branch per customer (customer → locations → location
//! numbers → users → workspaces → devices → shared lines → SIP passwords; then deletions,
//! children first), in plan order.
//!
//! The plan names the objects a write refers to by natural key (`refs`): their ids are not
//! known while the parent is created by the same plan. A branch resolves them as it goes: the
//! customer's organisation once it is provisioned, and the ids of its locations, users,
//! workspaces and devices from one list call each (made when first needed) plus what the
//! branch itself creates.
//!
//! When an action fails, what depends on it is skipped, naming the failure: everything of a
//! customer that failed; the numbers, users and workspaces of a location that could not be
//! made; the devices of a user or workspace that could not be made, and the lines naming them;
//! the deletion of a parent whose children could not all be deleted.
//!
//! One file per kind (issue #12): this one holds [`apply`], the branch loop and what every
//! kind shares (the `Branch` type, blocking and recording outcomes, polling); `customer.rs`,
//! `location.rs` (with location numbers), `user.rs`, `workspace.rs` and `device.rs` each hold
//! an `impl Branch` block with that kind's lookups and writes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{Outcome, Run, Status};
use crate::manifest::webex::WorkspaceLicense;
use crate::model::plan::{Action, ObjectKind, Op, ProviderName, Reason};
use crate::model::webex::{ROTATION_TAG, mac_key};
use crate::provider::http::ProviderError;
use crate::provider::webex::WebexClient;
use crate::provider::webex::write::{Gate, Gone, INTERRUPTED, Made, WebexWriter, pause};
use crate::wire::webex as wire;

mod customer;
mod device;
mod location;
mod user;
mod workspace;

const P: ProviderName = ProviderName::Webex;

/// Numbers added to a location in one call.
const NUMBERS_PER_CALL: usize = 100;

/// While waiting for a customer, a progress note at most this often.
const NOTE_EVERY: Duration = Duration::from_secs(10);

/// The longest wait between two reads of a customer Webex is working on (the interval
/// doubles from `poll_interval`, so that a long provisioning does not eat the rate limit).
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);

pub async fn apply(client: &WebexClient, actions: Vec<Action>, run: &Run) -> Vec<Outcome> {
    let note = |message: &str| run.progress.note(P, message);
    // One gate for every branch: a 429 seen by one branch holds the others back too.
    let gate = Gate::default();
    let branches = super::branches(actions);
    let order: HashMap<String, usize> = branches
        .iter()
        .enumerate()
        .filter_map(|(i, b)| Some((b.first()?.object.group.clone(), i)))
        .collect();
    // A user or device moved to another customer is removed from the first before it is added
    // to the second (an email, a MAC, is one organisation's at a time): the customers that
    // remove one go first.
    let (first, then) = moving_away_first(branches);
    let mut outcomes = Vec::new();
    for stage in [first, then] {
        outcomes.extend(
            super::run_branches(stage, run.options.concurrency, |branch| {
                let writer = WebexWriter::new(client, &gate, run.options.budget, &run.stop, &note);
                apply_branch(writer, branch, run)
            })
            .await,
        );
    }
    // Reported in the plan's order of customers, whatever order they ran in.
    outcomes.sort_by_key(|o| order.get(&o.object.group).copied().unwrap_or(usize::MAX));
    outcomes
}

/// The branches (customers) that remove a user or a device another branch adds, and the others.
fn moving_away_first(branches: Vec<Vec<Action>>) -> (Vec<Vec<Action>>, Vec<Vec<Action>>) {
    let moved = |a: &Action| match a.object.kind {
        ObjectKind::User => Some(a.object.key.to_lowercase()),
        ObjectKind::Device => Some(mac_key(&a.object.key)),
        _ => None,
    };
    let mut added: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for a in branches
        .iter()
        .flatten()
        .filter(|a| matches!(a.op, Op::Create | Op::Replace))
    {
        if let Some(key) = moved(a) {
            added.entry(key).or_default().insert(&a.object.group);
        }
    }
    let moving_away: BTreeSet<String> = branches
        .iter()
        .flatten()
        .filter(|a| matches!(a.op, Op::Delete | Op::Replace))
        .filter(|a| {
            moved(a).is_some_and(|key| {
                added
                    .get(&key)
                    .is_some_and(|groups| groups.iter().any(|g| *g != a.object.group))
            })
        })
        .map(|a| a.object.group.clone())
        .collect();
    branches
        .into_iter()
        .partition(|b| b.first().is_some_and(|a| moving_away.contains(&a.object.group)))
}

async fn apply_branch<'a>(writer: WebexWriter<'a>, actions: Vec<Action>, run: &'a Run) -> Vec<Outcome> {
    let Some(first) = actions.first() else {
        return Vec::new();
    };
    let mut branch = Branch::new(writer, run, first.object.group.clone());
    let mut outcomes = Vec::with_capacity(actions.len());
    let mut i = 0;
    while i < actions.len() {
        let action = &actions[i];
        if run.stop.requested() {
            outcomes.extend(actions[i..].iter().map(Run::interrupted));
            break;
        }
        if let Some(because) = branch.blocked(action) {
            let outcome = Outcome::new(action, Status::Skipped { because });
            branch.record(action, &outcome);
            outcomes.push(outcome);
            run.progress.advance(P, 1);
            i += 1;
            continue;
        }
        // New numbers go to their locations several at a time.
        if action.object.kind == ObjectKind::Number && action.op == Op::Create {
            let n = actions[i..]
                .iter()
                .take_while(|a| {
                    a.object.kind == ObjectKind::Number && a.op == Op::Create && branch.blocked(a).is_none()
                })
                .count();
            let batch = &actions[i..i + n];
            for (a, outcome) in batch.iter().zip(branch.add_numbers(batch).await) {
                branch.record(a, &outcome);
                outcomes.push(outcome);
            }
            run.progress.advance(P, n as u64);
            i += n;
            continue;
        }
        let outcome = branch.act(action).await;
        branch.record(action, &outcome);
        outcomes.push(outcome);
        run.progress.advance(P, 1);
        i += 1;
    }
    outcomes
}

/// A reason for a failure: what failed and what to do.
type Res<T> = Result<T, String>;

fn text(error: ProviderError) -> String {
    error.to_string()
}

fn body(action: &Action) -> Res<Value> {
    action
        .desired
        .as_ref()
        .map(|d| d["body"].clone())
        .filter(|b| !b.is_null())
        .ok_or_else(|| {
            format!(
                "the plan holds no desired state for {} {}\nhint: make the plan again with this version of telform",
                action.object.kind, action.object.key
            )
        })
}

fn refs(action: &Action) -> &Value {
    action.desired.as_ref().map_or(&Value::Null, |d| &d["refs"])
}

fn ref_id(action: &Action) -> Res<String> {
    refs(action)["id"].as_str().map(str::to_string).ok_or_else(|| {
        format!(
            "the plan does not say which live {} {} to change\nhint: make the plan again with this version of telform",
            action.object.kind, action.object.key
        )
    })
}

const EXISTED: &str = "it existed already (an earlier, interrupted apply made it): not written again";

fn made_status<T>(made: &Made<T>) -> Status {
    match made {
        Made::New(_) => Status::Done,
        Made::Existed(_) => Status::Unchanged,
    }
}

fn made_outcome<T>(action: &Action, made: &Made<T>) -> Outcome {
    let outcome = Outcome::new(action, made_status(made));
    match made {
        Made::New(_) => outcome,
        Made::Existed(_) => outcome.with_detail(EXISTED),
    }
}

fn gone_outcome(action: &Action, gone: Gone) -> Outcome {
    match gone {
        Gone::Deleted => Outcome::new(action, Status::Done),
        Gone::AlreadyGone => Outcome::new(action, Status::Unchanged).with_detail("already deleted"),
    }
}

/// One read of something Webex works on.
enum Poll<T> {
    Ready(T),
    /// Still working: its status.
    Working(String),
}

/// How a wait for Webex ended.
enum Wait<T> {
    Ready(T),
    /// It failed (provisioning failed, the customer went away, a read failed), or Webex was
    /// still working on it when the configured time was over.
    Failed(String),
    Interrupted,
}

/// One customer's actions, and what the branch knows of its organisation.
struct Branch<'a> {
    w: WebexWriter<'a>,
    run: &'a Run,
    ext: String,
    /// The customer, provisioned (with its organisation id and licence ids).
    customer: Option<wire::Customer>,
    /// By lower-case name: (id, name).
    locations: Option<HashMap<String, (String, String)>>,
    /// By lower-case email.
    subscribers: Option<HashMap<String, wire::Subscriber>>,
    /// By lower-case name.
    workspaces: Option<HashMap<String, wire::Workspace>>,
    /// By MAC (upper-case hex).
    devices: Option<HashMap<String, wire::Device>>,
    /// Number → (location id, location name).
    numbers: Option<HashMap<String, (String, String)>>,
    /// Objects that could not be made, by (kind, lower-case key): why their dependents wait.
    missing: HashMap<(ObjectKind, String), String>,
    customer_failed: Option<String>,
    /// The first deletion that failed: parents are not deleted after it.
    delete_failed: Option<String>,
}

impl<'a> Branch<'a> {
    fn new(w: WebexWriter<'a>, run: &'a Run, ext: String) -> Branch<'a> {
        Branch {
            w,
            run,
            ext,
            customer: None,
            locations: None,
            subscribers: None,
            workspaces: None,
            devices: None,
            numbers: None,
            missing: HashMap::new(),
            customer_failed: None,
            delete_failed: None,
        }
    }

    fn missing(&self, kind: ObjectKind, key: &str) -> Option<String> {
        self.missing.get(&(kind, key.to_lowercase())).cloned()
    }

    /// The failure an action waits for, if any.
    fn blocked(&self, action: &Action) -> Option<String> {
        if let Some(because) = &self.customer_failed {
            return Some(because.clone());
        }
        let kind = action.object.kind;
        if action.op == Op::Delete {
            // Children go first: a parent whose children could not all go stays.
            return matches!(kind, ObjectKind::Customer | ObjectKind::Location)
                .then(|| self.delete_failed.clone())
                .flatten();
        }
        let refs = refs(action);
        match kind {
            ObjectKind::Number | ObjectKind::User | ObjectKind::Workspace => refs["location"]
                .as_str()
                .and_then(|l| self.missing(ObjectKind::Location, l)),
            ObjectKind::Device => {
                let owner = &refs["owner"];
                let shared = refs["sharedWith"]
                    .as_array()
                    .into_iter()
                    .chain(action.desired.as_ref().and_then(|d| d["body"]["sharedWith"].as_array()))
                    .flatten();
                owner["user"]
                    .as_str()
                    .and_then(|u| self.missing(ObjectKind::User, u))
                    .or_else(|| {
                        owner["workspace"]
                            .as_str()
                            .and_then(|w| self.missing(ObjectKind::Workspace, w))
                    })
                    .or_else(|| {
                        shared
                            .filter_map(|s| {
                                s["user"]
                                    .as_str()
                                    .and_then(|u| self.missing(ObjectKind::User, u))
                                    .or_else(|| {
                                        s["workspace"]
                                            .as_str()
                                            .and_then(|w| self.missing(ObjectKind::Workspace, w))
                                    })
                            })
                            .next()
                    })
                    .or_else(|| self.missing(ObjectKind::Device, &action.object.key))
            }
            _ => None,
        }
    }

    /// Remembers what a failed or skipped action means for the actions after it.
    fn record(&mut self, action: &Action, outcome: &Outcome) {
        let kind = action.object.kind;
        let because = match &outcome.status {
            Status::Failed { .. } => format!("{kind} {} failed", action.object.key),
            Status::Skipped { because } => because.clone(),
            Status::Done | Status::Unchanged => return,
        };
        if action.op == Op::Delete {
            self.delete_failed.get_or_insert(because);
        } else if kind == ObjectKind::Customer {
            self.customer_failed = Some(because);
        } else if matches!(action.op, Op::Create | Op::Replace) {
            self.missing.insert((kind, action.object.key.to_lowercase()), because);
        }
    }

    async fn act(&mut self, action: &Action) -> Outcome {
        self.w.begin_action();
        let kind = action.object.kind;
        let result = match (kind, action.op) {
            (ObjectKind::Customer, Op::Create) => self.create_customer(action).await,
            (ObjectKind::Customer, Op::Update) => self.update_customer(action).await,
            (ObjectKind::Customer, Op::Replace) => self.replace_customer(action).await,
            (ObjectKind::Customer, Op::Delete) => self.delete_customer(action).await,
            (ObjectKind::Location, Op::Create) => self.create_location(action).await,
            (ObjectKind::Location, Op::Update) => self.update_location(action).await,
            (ObjectKind::Location, Op::Delete) => self.delete_location(action).await,
            (ObjectKind::Number, Op::Create) => {
                let mut outcomes = self.add_numbers(std::slice::from_ref(action)).await;
                return outcomes.pop().unwrap_or_else(|| Outcome::new(action, Status::Done));
            }
            (ObjectKind::Number, Op::Replace) => self.move_number(action).await,
            (ObjectKind::Number, Op::Delete) => self.delete_number(action).await,
            (ObjectKind::User, Op::Create) => self.create_user(action).await,
            (ObjectKind::User, Op::Update) => self.update_user(action).await,
            (ObjectKind::User, Op::Delete) => self.delete_user(action).await,
            (ObjectKind::Workspace, Op::Create) => self.create_workspace(action).await,
            (ObjectKind::Workspace, Op::Update) => self.update_workspace(action).await,
            (ObjectKind::Workspace, Op::Replace) => self.replace_workspace(action).await,
            (ObjectKind::Workspace, Op::Delete) => self.delete_workspace(action).await,
            (ObjectKind::Device, Op::Create) => self.create_device(action, None).await,
            (ObjectKind::Device, Op::Replace) => self.replace_device(action).await,
            (ObjectKind::Device, Op::Update) => self.update_device(action).await,
            (ObjectKind::Device, Op::Delete) => self.delete_device(action).await,
            // Listed rather than `_`, so that a new kind does not compile until it is wired.
            (ObjectKind::Account | ObjectKind::Consent, _)
            | (ObjectKind::Location | ObjectKind::User, Op::Replace)
            | (ObjectKind::Number, Op::Update) => Err(format!(
                "telform cannot {} a Webex {kind}\nhint: make the plan again with this version of telform",
                format!("{:?}", action.op).to_lowercase()
            )),
        };
        result.unwrap_or_else(|reason| self.failed(action, reason))
    }

    /// The outcome of an action that did not succeed: not attempted when apply was interrupted
    /// before anything of it was written (since [`WebexWriter::begin_action`]).
    fn failed(&self, action: &Action, reason: String) -> Outcome {
        if !self.w.wrote() && self.run.stop.requested() && reason.contains(INTERRUPTED) {
            Run::interrupted(action)
        } else {
            Outcome::new(action, Status::Failed { reason })
        }
    }

    /// Reads `read` until it is ready, fails, or the configured time is over (then `what`
    /// and `hint` say what was waited for and what to do); the interval doubles up to
    /// [`MAX_POLL_INTERVAL`]; Ctrl-C ends the wait at once. Every wait for Webex goes through
    /// here.
    async fn poll<T>(&self, what: &str, hint: &str, mut read: impl AsyncFnMut() -> Res<Poll<T>>) -> Wait<T> {
        let started = Instant::now();
        let timeout = self.run.options.async_timeout;
        let mut interval = self.run.options.poll_interval;
        let mut noted: Option<Instant> = None;
        loop {
            let status = match read().await {
                Ok(Poll::Ready(t)) => return Wait::Ready(t),
                Ok(Poll::Working(status)) => status,
                Err(reason) => return Wait::Failed(reason),
            };
            if self.run.stop.requested() {
                return Wait::Interrupted;
            }
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Wait::Failed(format!(
                    "{what} is still `{status}` after {} s\nhint: {hint}",
                    elapsed.as_secs()
                ));
            }
            if noted.is_none_or(|t| t.elapsed() >= NOTE_EVERY) {
                noted = Some(Instant::now());
                self.run.progress.waiting(P, what, &status, elapsed);
            }
            if !pause(interval.min(timeout - elapsed), &self.run.stop).await {
                return Wait::Interrupted;
            }
            interval = (interval * 2).min(MAX_POLL_INTERVAL);
        }
    }

    // ---- what the branch knows of the organisation -------------------------------------------

    /// Waits for the rate-limit gate before a list call of the client (which does not go
    /// through the writer); interrupted while it is closed, the read is not made.
    async fn open(&self) -> Res<()> {
        if self.w.open().await {
            Ok(())
        } else {
            Err(format!("not read: {INTERRUPTED}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(op: Op, kind: ObjectKind, key: &str, group: &str) -> Action {
        crate::apply::tests::action_of(op, P, kind, key, group)
    }

    #[test]
    fn customers_that_remove_what_another_adds_run_first() {
        let branches = super::super::branches(vec![
            action(Op::Create, ObjectKind::User, "Sophie@acme.example", "GLOBEX"),
            action(Op::Create, ObjectKind::Device, "805EC03A7210", "INITECH"),
            action(Op::Delete, ObjectKind::User, "sophie@acme.example", "ACME"),
            action(Op::Delete, ObjectKind::Device, "80:5e:c0:3a:72:10", "UMBRELLA"),
            // Removed and added by the same customer: nothing moves between customers.
            action(Op::Delete, ObjectKind::User, "paul@acme.example", "HOOLI"),
            action(Op::Create, ObjectKind::User, "paul@acme.example", "HOOLI"),
        ]);
        let (first, then) = moving_away_first(branches);
        let groups = |b: &[Vec<Action>]| -> Vec<String> { b.iter().map(|b| b[0].object.group.clone()).collect() };
        assert_eq!(groups(&first), ["ACME", "UMBRELLA"]);
        assert_eq!(groups(&then), ["GLOBEX", "INITECH", "HOOLI"]);
    }
}
