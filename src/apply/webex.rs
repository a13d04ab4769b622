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

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{Outcome, Run, Status};
use crate::manifest::webex::WorkspaceLicense;
use crate::model::plan::{Action, Op, ProviderName, Reason};
use crate::model::webex::{ROTATION_TAG, mac_key};
use crate::provider::http::ProviderError;
use crate::provider::webex::WebexClient;
use crate::provider::webex::write::{Gate, Gone, INTERRUPTED, Made, WebexWriter, pause};
use crate::wire::webex as wire;

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
    super::run_branches(branches, run.options.concurrency, |branch| {
        let writer = WebexWriter::new(client, &gate, run.options.budget, &run.stop, &note);
        apply_branch(writer, branch, run)
    })
    .await
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
        if action.object.kind == "Number" && action.op == Op::Create {
            let n = actions[i..]
                .iter()
                .take_while(|a| a.object.kind == "Number" && a.op == Op::Create && branch.blocked(a).is_none())
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

fn errors_text(errors: &[wire::WholesaleError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.error_code, e.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Errors and warnings of a customer provisioned with errors, for the result table.
fn provisioning_remarks(c: &wire::Customer) -> Option<String> {
    let mut remarks: Vec<String> = c
        .errors
        .iter()
        .map(|e| format!("{} {}", e.error_code, e.description))
        .collect();
    for p in c.resource_details.iter().flat_map(|r| &r.packages) {
        for e in p.errors.iter().chain(&p.warnings) {
            remarks.push(format!("{}: {} {}", p.name, e.error_code, e.description));
        }
    }
    (!remarks.is_empty()).then(|| format!("provisioned with remarks: {}", remarks.join("; ")))
}

/// A person's or workspace's id, as a device owner or line member refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    Person(String),
    Place(String),
}

impl Member {
    fn id(&self) -> &str {
        match self {
            Member::Person(id) | Member::Place(id) => id,
        }
    }
}

/// The tags a device keeps, with the rotation tag of the password just set in place of any
/// earlier one (no API reads a password back: the next plan compares this tag).
fn rotation_tags(current: &[String], tag: &str) -> Vec<String> {
    current
        .iter()
        .filter(|t| !t.starts_with(ROTATION_TAG))
        .cloned()
        .chain(std::iter::once(tag.to_string()))
        .collect()
}

/// The new line list of a device: its owner and the lines that stay as they are (ports and
/// settings kept), then the new shared lines on the free ports.
fn member_list(current: &wire::DeviceMembers, wanted: &[Member]) -> Result<Vec<wire::PutMember>, String> {
    let keep = |m: &wire::Member| m.primary_owner || wanted.iter().any(|w| w.id() == m.id);
    let mut list: Vec<wire::PutMember> = current
        .members
        .iter()
        .filter(|m| keep(m))
        .map(|m| wire::PutMember {
            port: m.port,
            id: m.id.clone(),
            t38_fax_compression_enabled: m.t38_fax_compression_enabled,
            primary_owner: m.primary_owner,
            line_type: m.line_type.clone(),
            line_weight: m.line_weight,
            hotline_enabled: m.hotline_enabled,
            hotline_destination: m.hotline_destination.clone(),
            allow_call_decline_enabled: m.allow_call_decline_enabled,
            line_label: m.line_label.clone(),
        })
        .collect();
    let max = current.max_line_count.max(1);
    let mut used: HashSet<i64> = list.iter().map(|m| m.port).collect();
    for w in wanted {
        if list.iter().any(|m| m.id == w.id()) {
            continue;
        }
        let Some(port) = (1..=max).find(|p| !used.contains(p)) else {
            return Err(format!(
                "the device has {max} line(s): not enough for its owner and {} shared line(s)\nhint: share fewer lines, or pick a model with more line keys",
                wanted.len()
            ));
        };
        used.insert(port);
        list.push(wire::PutMember {
            port,
            id: w.id().to_string(),
            t38_fax_compression_enabled: None,
            primary_owner: false,
            line_type: "SHARED_CALL_APPEARANCE".into(),
            line_weight: 1,
            hotline_enabled: false,
            hotline_destination: String::new(),
            allow_call_decline_enabled: true,
            line_label: None,
        });
    }
    list.sort_by_key(|m| m.port);
    Ok(list)
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
    missing: HashMap<(String, String), String>,
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

    fn missing(&self, kind: &str, key: &str) -> Option<String> {
        self.missing.get(&(kind.to_string(), key.to_lowercase())).cloned()
    }

    /// The failure an action waits for, if any.
    fn blocked(&self, action: &Action) -> Option<String> {
        if let Some(because) = &self.customer_failed {
            return Some(because.clone());
        }
        let kind = action.object.kind.as_str();
        if action.op == Op::Delete {
            // Children go first: a parent whose children could not all go stays.
            return matches!(kind, "Customer" | "Location")
                .then(|| self.delete_failed.clone())
                .flatten();
        }
        let refs = refs(action);
        match kind {
            "Number" | "User" | "Workspace" => refs["location"].as_str().and_then(|l| self.missing("Location", l)),
            "Device" => {
                let owner = &refs["owner"];
                let shared = refs["sharedWith"]
                    .as_array()
                    .into_iter()
                    .chain(action.desired.as_ref().and_then(|d| d["body"]["sharedWith"].as_array()))
                    .flatten();
                owner["user"]
                    .as_str()
                    .and_then(|u| self.missing("User", u))
                    .or_else(|| owner["workspace"].as_str().and_then(|w| self.missing("Workspace", w)))
                    .or_else(|| {
                        shared
                            .filter_map(|s| {
                                s["user"]
                                    .as_str()
                                    .and_then(|u| self.missing("User", u))
                                    .or_else(|| s["workspace"].as_str().and_then(|w| self.missing("Workspace", w)))
                            })
                            .next()
                    })
                    .or_else(|| self.missing("Device", &action.object.key))
            }
            _ => None,
        }
    }

    /// Remembers what a failed or skipped action means for the actions after it.
    fn record(&mut self, action: &Action, outcome: &Outcome) {
        let kind = action.object.kind.as_str();
        let because = match &outcome.status {
            Status::Failed { .. } => format!("{kind} {} failed", action.object.key),
            Status::Skipped { because } => because.clone(),
            Status::Done | Status::Unchanged => return,
        };
        if action.op == Op::Delete {
            self.delete_failed.get_or_insert(because);
        } else if kind == "Customer" {
            self.customer_failed = Some(because);
        } else if matches!(action.op, Op::Create | Op::Replace) {
            self.missing
                .insert((kind.to_string(), action.object.key.to_lowercase()), because);
        }
    }

    async fn act(&mut self, action: &Action) -> Outcome {
        self.w.begin_action();
        let kind = action.object.kind.as_str();
        let result = match (kind, action.op) {
            ("Customer", Op::Create) => self.create_customer(action).await,
            ("Customer", Op::Update) => self.update_customer(action).await,
            ("Customer", Op::Replace) => self.replace_customer(action).await,
            ("Customer", Op::Delete) => self.delete_customer(action).await,
            ("Location", Op::Create) => self.create_location(action).await,
            ("Location", Op::Update) => self.update_location(action).await,
            ("Location", Op::Delete) => self.delete_location(action).await,
            ("Number", Op::Create) => {
                let mut outcomes = self.add_numbers(std::slice::from_ref(action)).await;
                return outcomes.pop().unwrap_or_else(|| Outcome::new(action, Status::Done));
            }
            ("Number", Op::Replace) => self.move_number(action).await,
            ("Number", Op::Delete) => self.delete_number(action).await,
            ("User", Op::Create) => self.create_user(action).await,
            ("User", Op::Update) => self.update_user(action).await,
            ("User", Op::Delete) => self.delete_user(action).await,
            ("Workspace", Op::Create) => self.create_workspace(action).await,
            ("Workspace", Op::Update) => self.update_workspace(action).await,
            ("Workspace", Op::Replace) => self.replace_workspace(action).await,
            ("Workspace", Op::Delete) => self.delete_workspace(action).await,
            ("Device", Op::Create) => self.create_device(action, None).await,
            ("Device", Op::Replace) => self.replace_device(action).await,
            ("Device", Op::Update) => self.update_device(action).await,
            ("Device", Op::Delete) => self.delete_device(action).await,
            (kind, op) => Err(format!(
                "telform cannot {} a Webex {kind}\nhint: make the plan again with this version of telform",
                format!("{op:?}").to_lowercase()
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

    // ---- the customer and its organisation ---------------------------------------------------

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

    /// Polls a customer until Webex has finished with it (provisioning, updating). `first` is a
    /// fresh read, looked at before any wait.
    async fn wait_customer(&self, id: &str, first: Option<wire::Customer>) -> Wait<wire::Customer> {
        let mut first = first;
        self.poll(
            &format!("customer {}", self.ext),
            "apply again later: telform waits for it and never creates it twice (raise the timeout for slow provisioning)",
            async || {
                let current = match first.take() {
                    Some(c) => c,
                    None => self.w.get_customer(&self.ext, id).await.map_err(text)?.ok_or_else(|| {
                        format!(
                            "customer {} disappeared while telform waited for it\nhint: someone deleted it: run `telform plan` again",
                            self.ext
                        )
                    })?,
                };
                match current.status.as_str() {
                    wire::CUSTOMER_PROVISIONED | wire::CUSTOMER_PROVISIONED_WITH_ERRORS => Ok(Poll::Ready(current)),
                    wire::CUSTOMER_ERROR => {
                        let mut errors = current.errors.clone();
                        errors.extend(
                            current
                                .resource_details
                                .iter()
                                .flat_map(|r| &r.packages)
                                .flat_map(|p| p.errors.iter().cloned()),
                        );
                        Err(format!(
                            "Webex could not provision customer {}: {}\nhint: fix the cause with Cisco (Partner Hub shows the customer), delete the failed customer there, then apply again",
                            self.ext,
                            if errors.is_empty() {
                                "no error given".to_string()
                            } else {
                                errors_text(&errors)
                            }
                        ))
                    }
                    wire::CUSTOMER_DELETING => Err(format!(
                        "customer {} is being deleted at Webex\nhint: wait until it is gone, then apply again",
                        self.ext
                    )),
                    // provisioning, updating, pending_rpl_review: Webex is working on it.
                    status => Ok(Poll::Working(status.to_string())),
                }
            },
        )
        .await
    }

    /// Polls until the customer is gone (deleted).
    async fn wait_gone(&self, id: &str) -> Wait<()> {
        self.poll(
            &format!("customer {}", self.ext),
            "it is created again by the next apply once Webex has removed it: apply again later",
            async || {
                Ok(match self.w.get_customer(&self.ext, id).await.map_err(text)? {
                    None => Poll::Ready(()),
                    Some(c) => Poll::Working(c.status),
                })
            },
        )
        .await
    }

    /// The new customer's organisation replaces whatever the branch knew.
    fn forget_org(&mut self) {
        self.locations = None;
        self.subscribers = None;
        self.workspaces = None;
        self.devices = None;
        self.numbers = None;
    }

    /// The outcome of a customer written (created, updated), once Webex has provisioned it.
    /// Interrupted while Webex works on it: done (it was written), saying so; what needs the
    /// customer is not attempted.
    async fn provisioned(&mut self, action: &Action, id: &str, status: Status, detail: Option<&str>) -> Res<Outcome> {
        let outcome = Outcome::new(action, status);
        let with = |outcome: Outcome, more: Option<String>| match (detail, more) {
            (Some(d), Some(m)) => outcome.with_detail(format!("{d}; {m}")),
            (Some(d), None) => outcome.with_detail(d),
            (None, Some(m)) => outcome.with_detail(m),
            (None, None) => outcome,
        };
        match self.wait_customer(id, None).await {
            Wait::Ready(c) => {
                let remarks = provisioning_remarks(&c);
                self.customer = Some(c);
                self.forget_org();
                Ok(with(outcome, remarks))
            }
            Wait::Failed(reason) => Err(reason),
            Wait::Interrupted => Ok(with(
                outcome,
                Some(format!("provisioning still in progress when {INTERRUPTED}")),
            )),
        }
    }

    /// The customer, provisioned; read (and waited for) the first time a child needs it.
    async fn org(&mut self) -> Res<(String, String)> {
        if self.customer.is_none() {
            let found = self.w.find_customer(&self.ext).await.map_err(text)?;
            let Some(found) = found else {
                self.customer_failed = Some(format!("customer {} does not exist at Webex", self.ext));
                return Err(format!(
                    "customer {} does not exist at Webex\nhint: declare it (kind: Customer), or run `telform plan` again",
                    self.ext
                ));
            };
            let id = found.id.clone();
            match self.wait_customer(&id, Some(found)).await {
                Wait::Ready(c) => self.customer = Some(c),
                Wait::Failed(reason) => {
                    self.customer_failed = Some(format!("customer {} is not ready at Webex", self.ext));
                    return Err(reason);
                }
                Wait::Interrupted => {
                    return Err(format!("{INTERRUPTED} while waiting for customer {}", self.ext));
                }
            }
        }
        let c = self.customer.as_ref().ok_or("the customer was not read")?;
        let org = c.org_id.clone().ok_or_else(|| {
            format!(
                "customer {} has no organisation id (status `{}`): Webex gives it once provisioned\nhint: apply again later",
                self.ext, c.status
            )
        })?;
        Ok((c.id.clone(), org))
    }

    async fn create_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let made = self.w.create_customer(&self.ext, &body).await.map_err(text)?;
        let status = made_status(&made);
        let detail = matches!(made, Made::Existed(_)).then_some(EXISTED);
        self.provisioned(action, made.get(), status, detail).await
    }

    async fn update_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        // Webex refuses an update while it works on the customer: that work finishes first.
        let current = self
            .w
            .get_customer(&self.ext, &id)
            .await
            .map_err(text)?
            .ok_or_else(|| {
                format!(
                    "customer {} was deleted since the plan was made\nhint: run `telform plan` again",
                    self.ext
                )
            })?;
        match self.wait_customer(&id, Some(current)).await {
            Wait::Ready(_) => {}
            Wait::Failed(reason) => return Err(reason),
            Wait::Interrupted => return Ok(Run::interrupted(action)),
        }
        self.w.update_customer(&self.ext, &id, &body).await.map_err(text)?;
        self.provisioned(action, &id, Status::Done, None).await
    }

    /// A customer moved to another organisation: removed, then provisioned again. The plan
    /// creates what it holds again after it (its locations, users, workspaces and devices).
    async fn replace_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        self.w.delete_customer(&self.ext, &id).await.map_err(text)?;
        self.customer = None;
        self.forget_org();
        match self.wait_gone(&id).await {
            Wait::Ready(()) => {}
            Wait::Failed(reason) => {
                return Err(format!("customer {} was deleted, then: {reason}", self.ext));
            }
            Wait::Interrupted => {
                return Err(format!(
                    "customer {} was deleted, and {INTERRUPTED} while Webex was still deleting it: it is created again by the next apply\nhint: apply again",
                    self.ext
                ));
            }
        }
        let made = self
            .w
            .create_customer(&self.ext, &body)
            .await
            .map_err(|e| format!("the old customer was removed, and the new one could not be created: {e}"))?;
        self.provisioned(action, made.get(), Status::Done, None).await
    }

    async fn delete_customer(&mut self, action: &Action) -> Res<Outcome> {
        let Some(current) = self.w.find_customer(&self.ext).await.map_err(text)? else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        if current.status != wire::CUSTOMER_DELETING
            && self.w.delete_customer(&self.ext, &current.id).await.map_err(text)? == Gone::AlreadyGone
        {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        }
        self.customer = None;
        self.forget_org();
        let done = Outcome::new(action, Status::Done);
        Ok(match self.wait_gone(&current.id).await {
            Wait::Ready(()) => done,
            Wait::Failed(reason) => {
                let first = reason.lines().next().unwrap_or_default();
                done.with_detail(format!("deletion accepted; then: {first}"))
            }
            Wait::Interrupted => done.with_detail(format!(
                "deletion accepted; Webex was still deleting it when {INTERRUPTED}"
            )),
        })
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

    async fn load_locations(&mut self) -> Res<&mut HashMap<String, (String, String)>> {
        if self.locations.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_locations(&self.ext, &org).await.map_err(text)?;
            self.locations = Some(
                list.into_iter()
                    .map(|l| (l.name.to_lowercase(), (l.id, l.name)))
                    .collect(),
            );
        }
        Ok(self.locations.get_or_insert_default())
    }

    async fn location_id(&mut self, name: &str) -> Res<Option<String>> {
        let map = self.load_locations().await?;
        Ok(map.get(&name.to_lowercase()).map(|(id, _)| id.clone()))
    }

    async fn require_location(&mut self, name: &str) -> Res<String> {
        self.location_id(name).await?.ok_or_else(|| {
            format!(
                "location `{name}` of customer {} does not exist at Webex\nhint: declare it (kind: Location), or run `telform plan` again",
                self.ext
            )
        })
    }

    async fn load_subscribers(&mut self) -> Res<&mut HashMap<String, wire::Subscriber>> {
        if self.subscribers.is_none() {
            self.org().await?;
            let customer = self.customer.clone().ok_or("the customer was not read")?;
            self.open().await?;
            let list = self.w.client.list_subscribers(&customer).await.map_err(text)?;
            self.subscribers = Some(list.into_iter().map(|s| (s.email.to_lowercase(), s)).collect());
        }
        Ok(self.subscribers.get_or_insert_default())
    }

    async fn load_workspaces(&mut self) -> Res<&mut HashMap<String, wire::Workspace>> {
        if self.workspaces.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_workspaces(&self.ext, &org).await.map_err(text)?;
            self.workspaces = Some(list.into_iter().map(|w| (w.display_name.to_lowercase(), w)).collect());
        }
        Ok(self.workspaces.get_or_insert_default())
    }

    async fn load_devices(&mut self) -> Res<&mut HashMap<String, wire::Device>> {
        if self.devices.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_devices(&self.ext, &org).await.map_err(text)?;
            self.devices = Some(
                list.into_iter()
                    .filter_map(|d| Some((mac_key(d.mac.as_deref().filter(|m| !m.is_empty())?), d)))
                    .collect(),
            );
        }
        Ok(self.devices.get_or_insert_default())
    }

    async fn load_numbers(&mut self) -> Res<&mut HashMap<String, (String, String)>> {
        if self.numbers.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_numbers(&self.ext, &org).await.map_err(text)?;
            self.numbers = Some(
                list.into_iter()
                    .filter_map(|n| {
                        let location = n.location?;
                        Some((n.phone_number?, (location.id, location.name)))
                    })
                    .collect(),
            );
        }
        Ok(self.numbers.get_or_insert_default())
    }

    /// A user or workspace named by a device's `owner` or `sharedWith`.
    async fn member(&mut self, named: &Value) -> Res<Member> {
        if let Some(email) = named["user"].as_str() {
            let subscribers = self.load_subscribers().await?;
            let Some(s) = subscribers.get(&email.to_lowercase()) else {
                return Err(format!(
                    "user {email} of customer {} does not exist at Webex\nhint: declare it (kind: User), or run `telform plan` again",
                    self.ext
                ));
            };
            return s.person_id.clone().map(Member::Person).ok_or_else(|| {
                format!(
                    "user {email} has no person id yet (status `{}`): Webex gives it once the user is provisioned\nhint: apply again once the user accepted the move",
                    s.status
                )
            });
        }
        if let Some(name) = named["workspace"].as_str() {
            let workspaces = self.load_workspaces().await?;
            return workspaces
                .get(&name.to_lowercase())
                .map(|w| Member::Place(w.id.clone()))
                .ok_or_else(|| {
                    format!(
                        "workspace `{name}` of customer {} does not exist at Webex\nhint: declare it (kind: Workspace), or run `telform plan` again",
                        self.ext
                    )
                });
        }
        Err(format!(
            "the plan names no user or workspace here ({named})\nhint: make the plan again with this version of telform"
        ))
    }

    // ---- locations and numbers ---------------------------------------------------------------

    async fn create_location(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let (_, org) = self.org().await?;
        let made = self.w.create_location(&self.ext, &org, &body).await.map_err(text)?;
        let name = body["name"].as_str().unwrap_or(&action.object.key).to_string();
        if let Some(map) = &mut self.locations {
            map.insert(name.to_lowercase(), (made.get().clone(), name));
        }
        Ok(made_outcome(action, &made))
    }

    async fn update_location(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        let (_, org) = self.org().await?;
        self.w
            .update_location(&self.ext, &org, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
    }

    async fn delete_location(&mut self, action: &Action) -> Res<Outcome> {
        let name = action.object.key.as_str();
        let (_, org) = self.org().await?;
        let Some(id) = self.location_id(name).await? else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self.w.delete_location(&self.ext, &org, &id, name).await.map_err(text)?;
        if let Some(map) = &mut self.locations {
            map.remove(&name.to_lowercase());
        }
        Ok(gone_outcome(action, gone))
    }

    /// The id of the location a number action names (`refs.locationId` when the plan knew it).
    async fn number_location(&mut self, action: &Action) -> Res<(String, String)> {
        let refs = refs(action);
        let name = refs["location"].as_str().ok_or_else(|| {
            format!(
                "the plan does not say which location number {} goes to\nhint: make the plan again with this version of telform",
                action.object.key
            )
        })?;
        let id = match refs["locationId"].as_str() {
            Some(id) => id.to_string(),
            None => self.require_location(name).await?,
        };
        Ok((id, name.to_string()))
    }

    /// Adds new numbers, grouped by location, [`NUMBERS_PER_CALL`] per call. When Webex refuses
    /// a group, each of its numbers is tried alone, so that the table names the bad ones.
    async fn add_numbers(&mut self, batch: &[Action]) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        self.w.begin_action();
        let org = match self.org().await {
            Ok((_, org)) => org,
            Err(reason) => return batch.iter().map(|a| self.failed(a, reason.clone())).collect(),
        };
        let mut groups: Vec<((String, String), Vec<usize>)> = Vec::new();
        for (i, action) in batch.iter().enumerate() {
            match self.number_location(action).await {
                Ok(location) => match groups
                    .iter_mut()
                    .find(|(l, v)| *l == location && v.len() < NUMBERS_PER_CALL)
                {
                    Some((_, members)) => members.push(i),
                    None => groups.push((location, vec![i])),
                },
                Err(reason) => outcomes[i] = Some(Outcome::new(action, Status::Failed { reason })),
            }
        }
        for ((id, name), members) in groups {
            let numbers: Vec<String> = members.iter().map(|i| batch[*i].object.key.clone()).collect();
            self.w.begin_action();
            let written = self.w.add_numbers(&self.ext, &org, (&id, &name), &numbers).await;
            match written {
                Ok(()) => {
                    for i in &members {
                        outcomes[*i] = Some(Outcome::new(&batch[*i], Status::Done));
                    }
                    if let Some(map) = &mut self.numbers {
                        for n in numbers {
                            map.insert(n, (id.clone(), name.clone()));
                        }
                    }
                }
                Err(error) if members.len() > 1 && matches!(error.status, Some(400 | 409)) => {
                    for i in &members {
                        let number = std::slice::from_ref(&batch[*i].object.key);
                        self.w.begin_action();
                        let one = self.w.add_numbers(&self.ext, &org, (&id, &name), number).await;
                        outcomes[*i] = Some(match one {
                            Ok(()) => Outcome::new(&batch[*i], Status::Done),
                            Err(error) => self.failed(&batch[*i], text(error)),
                        });
                    }
                }
                Err(error) => {
                    let reason = text(error);
                    for i in &members {
                        outcomes[*i] = Some(self.failed(&batch[*i], reason.clone()));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .zip(batch)
            .map(|(o, a)| {
                o.unwrap_or_else(|| {
                    Outcome::new(
                        a,
                        Status::Failed {
                            reason: "the number was not handled (a bug in telform): run `telform plan` again".into(),
                        },
                    )
                })
            })
            .collect()
    }

    /// Webex moves a number between locations only by removing and adding it.
    async fn move_number(&mut self, action: &Action) -> Res<Outcome> {
        let number = action.object.key.clone();
        let (_, org) = self.org().await?;
        let (to_id, to_name) = self.number_location(action).await?;
        let from = self.load_numbers().await?.get(&number).cloned();
        if let Some((from_id, from_name)) = &from
            && *from_id != to_id
        {
            self.w
                .remove_numbers(&self.ext, &org, (from_id, from_name), std::slice::from_ref(&number))
                .await
                .map_err(text)?;
        }
        self.w
            .add_numbers(&self.ext, &org, (&to_id, &to_name), std::slice::from_ref(&number))
            .await
            .map_err(|e| match &from {
                Some((_, from_name)) => {
                    format!("number {number} was removed from `{from_name}` and could not be added to `{to_name}`: {e}")
                }
                None => text(e),
            })?;
        if let Some(map) = &mut self.numbers {
            map.insert(number, (to_id, to_name));
        }
        Ok(Outcome::new(action, Status::Done))
    }

    async fn delete_number(&mut self, action: &Action) -> Res<Outcome> {
        let number = action.object.key.clone();
        let (_, org) = self.org().await?;
        let Some((id, name)) = self.load_numbers().await?.get(&number).cloned() else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        self.w
            .remove_numbers(&self.ext, &org, (&id, &name), std::slice::from_ref(&number))
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.numbers {
            map.remove(&number);
        }
        Ok(Outcome::new(action, Status::Done))
    }

    // ---- users -------------------------------------------------------------------------------

    /// Fills in the ids the plan could not know: the customer's, and the user's location's.
    async fn complete_user(&mut self, action: &Action, body: &mut Value) -> Res<()> {
        let (customer_id, _) = self.org().await?;
        if body
            .get("customerId")
            .is_some_and(|c| c.as_str().is_none_or(str::is_empty))
        {
            body["customerId"] = json!(customer_id);
        }
        let params = &body["provisioningParameters"];
        let calls = !params["primaryPhoneNumber"].is_null() || !params["extension"].is_null();
        if params.is_object()
            && params["locationId"].is_null()
            && let Some(name) = refs(action)["location"].as_str()
        {
            // Without a number or extension Webex ignores the location: a missing one is no
            // reason to fail.
            let id = if calls {
                Some(self.require_location(name).await?)
            } else {
                self.location_id(name).await?
            };
            if let Some(id) = id {
                body["provisioningParameters"]["locationId"] = json!(id);
            }
        }
        Ok(())
    }

    async fn create_user(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        self.complete_user(action, &mut body).await?;
        let made = self.w.create_subscriber(&self.ext, &body).await.map_err(text)?;
        if let Some(map) = &mut self.subscribers {
            map.insert(made.get().email.to_lowercase(), made.get().clone());
        }
        Ok(made_outcome(action, &made))
    }

    async fn update_user(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        let id = ref_id(action)?;
        self.complete_user(action, &mut body).await?;
        self.w
            .update_subscriber(&self.ext, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
    }

    async fn delete_user(&mut self, action: &Action) -> Res<Outcome> {
        let email = action.object.key.to_lowercase();
        let Some(id) = self.load_subscribers().await?.get(&email).map(|s| s.id.clone()) else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self.w.delete_subscriber(&self.ext, &id, &email).await.map_err(text)?;
        if let Some(map) = &mut self.subscribers {
            map.remove(&email);
        }
        // Webex removes the person's devices with it.
        self.devices = None;
        Ok(gone_outcome(action, gone))
    }

    // ---- workspaces --------------------------------------------------------------------------

    /// The licence id of a workspace of this kind (`professional`, `commonArea`), from the
    /// customer's packages.
    fn license_id(&self, kind: &str) -> Option<String> {
        let license = match kind {
            "commonArea" => WorkspaceLicense::CommonArea,
            _ => WorkspaceLicense::Professional,
        };
        crate::model::webex::license_id(self.customer.as_ref(), license)
    }

    /// Fills in the organisation, the location and the licence the plan could not know.
    async fn complete_workspace(&mut self, action: &Action, body: &mut Value, create: bool) -> Res<()> {
        let (_, org) = self.org().await?;
        let refs = refs(action).clone();
        if create {
            if body["orgId"].as_str().is_none_or(str::is_empty) {
                body["orgId"] = json!(org);
            }
            if body["locationId"].is_null()
                && let Some(name) = refs["location"].as_str()
            {
                body["locationId"] = json!(self.require_location(name).await?);
            }
        }
        let calling = &mut body["calling"]["webexCalling"];
        if calling.is_object() {
            if calling["locationId"].is_null() {
                let location = match refs["location"].as_str() {
                    Some(name) if create => Some(self.require_location(name).await?),
                    _ => None,
                };
                if let Some(id) = location {
                    body["calling"]["webexCalling"]["locationId"] = json!(id);
                }
            }
            let calling = &mut body["calling"]["webexCalling"];
            if calling["licenses"].is_null()
                && let Some(license) = refs["license"].as_str().and_then(|k| self.license_id(k))
            {
                calling["licenses"] = json!([license]);
            }
        }
        Ok(())
    }

    async fn create_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        self.complete_workspace(action, &mut body, true).await?;
        let (_, org) = self.org().await?;
        let made = self.w.create_workspace(&self.ext, &org, &body).await.map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.insert(made.get().display_name.to_lowercase(), made.get().clone());
        }
        Ok(made_outcome(action, &made))
    }

    async fn update_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        let id = ref_id(action)?;
        self.complete_workspace(action, &mut body, false).await?;
        // A new `calling` is checked like a creation: it needs the workspace's location.
        if body["calling"]["webexCalling"].is_object() && body["calling"]["webexCalling"]["locationId"].is_null() {
            let location = self
                .load_workspaces()
                .await?
                .values()
                .find(|w| w.id == id)
                .and_then(|w| w.location_id.clone());
            if let Some(location) = location {
                body["calling"]["webexCalling"]["locationId"] = json!(location);
            }
        }
        self.w
            .update_workspace(&self.ext, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
    }

    /// A workspace moved to another location: removed (Webex removes its devices with it) and
    /// made again; the plan adds its devices again after it.
    async fn replace_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let id = ref_id(action)?;
        self.w
            .delete_workspace(&self.ext, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.remove(&action.object.key.to_lowercase());
        }
        self.devices = None;
        let mut body = body(action)?;
        self.complete_workspace(action, &mut body, true).await?;
        let (_, org) = self.org().await?;
        let made = self
            .w
            .create_workspace(&self.ext, &org, &body)
            .await
            .map_err(|e| format!("the old workspace was removed, and the new one could not be created: {e}"))?;
        if let Some(map) = &mut self.workspaces {
            map.insert(made.get().display_name.to_lowercase(), made.get().clone());
        }
        Ok(Outcome::new(action, Status::Done))
    }

    async fn delete_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let name = action.object.key.to_lowercase();
        let Some(id) = self.load_workspaces().await?.get(&name).map(|w| w.id.clone()) else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self
            .w
            .delete_workspace(&self.ext, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.remove(&name);
        }
        self.devices = None;
        Ok(gone_outcome(action, gone))
    }

    // ---- devices -----------------------------------------------------------------------------

    fn password(&self, mac: &str) -> Res<&'a SecretString> {
        self.run.secrets.password(mac).ok_or_else(|| {
            format!(
                "no SIP password was resolved for device {mac} before apply started\nhint: this is a bug in telform: please report it"
            )
        })
    }

    /// Sets the device's shared lines to `wanted` (`[{user}]` or `[{workspace}]`).
    async fn set_lines(&mut self, org: &str, id: &str, mac: &str, wanted: &[Value]) -> Res<()> {
        let mut members = Vec::with_capacity(wanted.len());
        for named in wanted {
            members.push(self.member(named).await?);
        }
        let current = self.w.device_members(&self.ext, org, id, mac).await.map_err(text)?;
        let list = member_list(&current, &members).map_err(|e| format!("device {mac}: {e}"))?;
        let unchanged = list.len() == current.members.len()
            && list
                .iter()
                .all(|m| current.members.iter().any(|c| c.id == m.id && c.port == m.port));
        if !unchanged {
            self.w
                .put_members(&self.ext, org, id, mac, &wire::PutMembers { members: Some(list) })
                .await
                .map_err(text)?;
        }
        Ok(())
    }

    /// After a password was set: keeps a generated one in the secrets file, then records the
    /// rotation in the device's tags. The file comes first: should the tags fail, the password
    /// is known all the same (the next plan then resets it once more).
    async fn password_set(&mut self, action: &Action, org: &str, device: &wire::Device) -> Res<Vec<String>> {
        let mac = action.object.key.as_str();
        let mut notes = vec!["SIP password set".to_string()];
        match self.run.secrets.accepted(&self.ext, mac) {
            Ok(Some(note)) => notes.push(note),
            Ok(None) => {}
            Err(message) => {
                return Err(format!(
                    "{message}\nhint: make the file writable, then bump `sipPassword.rotation` of device {mac} to set a new password"
                ));
            }
        }
        let refs = refs(action);
        let tag = refs["sipPassword"]["tag"].as_str().map_or_else(
            || {
                format!(
                    "{ROTATION_TAG}{}",
                    refs["sipPassword"]["rotation"].as_u64().unwrap_or(0)
                )
            },
            str::to_string,
        );
        let tags = rotation_tags(&device.tags, &tag);
        if tags != device.tags {
            self.w
                .set_tags(&self.ext, org, &device.id, mac, &tags)
                .await
                .map_err(|e| {
                    format!(
                        "{}, but recording its rotation on the device failed (the next plan resets the password once more): {e}",
                        notes.join("; ")
                    )
                })?;
        }
        Ok(notes)
    }

    /// Creates a device with its password, its shared lines and its rotation tag. `replaced`:
    /// the device it replaces was just removed.
    async fn create_device(&mut self, action: &Action, replaced: Option<&str>) -> Res<Outcome> {
        let mac = action.object.key.clone();
        let mut body = body(action)?;
        let (_, org) = self.org().await?;
        let refs = refs(action).clone();
        let owner = self.member(&refs["owner"]).await?;
        match &owner {
            Member::Person(id) => body["personId"] = json!(id),
            Member::Place(id) => body["workspaceId"] = json!(id),
        }
        let password = self.password(&mac)?;
        let made = self
            .w
            .create_device(&self.ext, &org, &body, Some(password))
            .await
            .map_err(|e| match replaced {
                Some(old) => format!("the old device ({old}) was removed, and the new one could not be added: {e}"),
                None => text(e),
            })?;
        let mut notes = Vec::new();
        let device = match made {
            Made::New(device) => device,
            Made::Existed(device) => {
                // Made by an earlier apply that did not finish (the writer checked it is the
                // device to be made: same owner and model): its password is not known.
                self.w
                    .set_sip_password(&self.ext, &org, &device.id, &mac, password)
                    .await
                    .map_err(text)?;
                notes.push(EXISTED.replace("not written again", "its password set again"));
                device
            }
        };
        if let Some(map) = &mut self.devices {
            map.insert(mac.clone(), device.clone());
        }
        // The password is kept (and its rotation recorded) before anything else can fail.
        notes.extend(self.password_set(action, &org, &device).await?);
        if let Some(shared) = refs["sharedWith"].as_array().filter(|s| !s.is_empty()) {
            self.set_lines(&org, &device.id, &mac, shared).await.map_err(|e| {
                format!(
                    "device {mac} was added ({}), but its shared lines could not be set: {e}",
                    notes.join("; ")
                )
            })?;
        }
        Ok(Outcome::new(action, Status::Done).with_detail(notes.join("; ")))
    }

    /// A device with a new owner or model: removed, then added again (with a new password).
    async fn replace_device(&mut self, action: &Action) -> Res<Outcome> {
        let id = ref_id(action)?;
        let (_, org) = self.org().await?;
        self.w
            .delete_device(&self.ext, &org, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.devices {
            map.remove(&action.object.key);
        }
        self.create_device(action, Some(&id)).await
    }

    /// Shared lines and/or a password reset (a `rotation` bump).
    async fn update_device(&mut self, action: &Action) -> Res<Outcome> {
        let mac = action.object.key.clone();
        let id = ref_id(action)?;
        let body = body(action)?;
        let (_, org) = self.org().await?;
        let mut notes = Vec::new();
        if let Some(shared) = body["sharedWith"].as_array() {
            self.set_lines(&org, &id, &mac, shared).await?;
            notes.push("lines set".to_string());
        }
        if action.reason == Some(Reason::PasswordReset) {
            let password = self.password(&mac)?;
            self.w
                .set_sip_password(&self.ext, &org, &id, &mac, password)
                .await
                .map_err(text)?;
            let device = self
                .w
                .get_device(&self.ext, &org, &id, &mac)
                .await
                .map_err(text)?
                .ok_or_else(|| {
                    format!("device {mac} disappeared after its password was set\nhint: run `telform plan` again")
                })?;
            notes.extend(self.password_set(action, &org, &device).await?);
        }
        let outcome = Outcome::new(action, Status::Done);
        Ok(if notes.is_empty() {
            outcome
        } else {
            outcome.with_detail(notes.join("; "))
        })
    }

    async fn delete_device(&mut self, action: &Action) -> Res<Outcome> {
        let key = action.object.key.clone();
        let (_, org) = self.org().await?;
        // A device without a MAC is named by its id.
        let is_mac = key.len() == 12 && key.chars().all(|c| c.is_ascii_hexdigit());
        let id = if is_mac {
            match self.load_devices().await?.get(&mac_key(&key)) {
                Some(d) => d.id.clone(),
                None => return Ok(gone_outcome(action, Gone::AlreadyGone)),
            }
        } else {
            key.clone()
        };
        let gone = self.w.delete_device(&self.ext, &org, &id, &key).await.map_err(text)?;
        if let Some(map) = &mut self.devices {
            map.remove(&key);
        }
        Ok(gone_outcome(action, gone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, port: i64, owner: bool) -> wire::Member {
        wire::Member {
            id: id.into(),
            port,
            primary_owner: owner,
            line_type: if owner { "PRIMARY" } else { "SHARED_CALL_APPEARANCE" }.into(),
            line_weight: 1,
            line_label: Some(format!("label {id}")),
            ..Default::default()
        }
    }

    #[test]
    fn lines_keep_the_owner_and_staying_members_and_fill_free_ports() {
        let current = wire::DeviceMembers {
            model: "m".into(),
            members: vec![
                member("owner", 1, true),
                member("gone", 2, false),
                member("stays", 3, false),
            ],
            max_line_count: 4,
        };
        let wanted = [Member::Person("stays".into()), Member::Person("new".into())];
        let list = member_list(&current, &wanted).expect("fits");
        let ports: Vec<(&str, i64)> = list.iter().map(|m| (m.id.as_str(), m.port)).collect();
        assert_eq!(ports, vec![("owner", 1), ("new", 2), ("stays", 3)]);
        // A staying member keeps its settings.
        assert_eq!(list[2].line_label.as_deref(), Some("label stays"));
        assert_eq!(list[1].line_type, "SHARED_CALL_APPEARANCE");
        let too_many: Vec<Member> = (0..4).map(|i| Member::Place(format!("w{i}"))).collect();
        let error = member_list(&current, &too_many).expect_err("5 lines on 4 ports");
        assert!(error.contains("4 line(s)"), "{error}");
    }

    #[test]
    fn the_rotation_tag_replaces_an_earlier_one_and_keeps_other_tags() {
        let current = vec!["repair-2024-03".to_string(), format!("{ROTATION_TAG}1")];
        assert_eq!(
            rotation_tags(&current, &format!("{ROTATION_TAG}2")),
            vec!["repair-2024-03".to_string(), format!("{ROTATION_TAG}2")]
        );
        assert_eq!(
            rotation_tags(&[], "telform-sip-rotation=0"),
            vec!["telform-sip-rotation=0".to_string()]
        );
    }
}
