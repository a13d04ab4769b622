//! Applying the ACG half of a plan: one branch per account (account → numbers → consent;
//! then number deletions → account deletion), numbers written 100 per call.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Outcome, Run, Status};
use crate::model::acg::account_fingerprint;
use crate::model::fingerprint_of;
use crate::model::plan::{Action, ObjectKind, ObjectRef, Op, ProviderName};
use crate::provider::acg::AcgClient;
use crate::provider::acg::write::{WriteFailure, WriteRequest};
use crate::provider::http::ProviderError;
use crate::wire::acg::RequestForInformation;
use crate::wire::encode;

/// ACG's batch actions take at most this many numbers.
pub const BATCH: usize = 100;

const P: ProviderName = ProviderName::Acg;

/// The plan's fingerprints of the objects it acts on (`fnv:…` content hashes).
pub type Fingerprints = HashMap<ObjectRef, String>;

/// What every step of an ACG branch needs.
#[derive(Clone, Copy)]
struct Cx<'a> {
    client: &'a AcgClient,
    run: &'a Run,
    fingerprints: &'a Fingerprints,
}

pub async fn apply(client: &AcgClient, actions: Vec<Action>, run: &Run, fingerprints: &Fingerprints) -> Vec<Outcome> {
    let cx = Cx {
        client,
        run,
        fingerprints,
    };
    let branches = super::branches(actions);
    super::run_branches(branches, run.options.concurrency, |branch| apply_branch(cx, branch)).await
}

/// Why the rest of a branch cannot go on.
struct Blocked {
    because: String,
    /// Only the account's own objects (numbers, its deletion) wait for it; a consent does not.
    account_only: bool,
}

fn blocks(blocked: &Option<Blocked>, action: &Action) -> Option<String> {
    let b = blocked.as_ref()?;
    (!b.account_only || action.object.kind != ObjectKind::Consent).then(|| b.because.clone())
}

async fn apply_branch(cx: Cx<'_>, actions: Vec<Action>) -> Vec<Outcome> {
    let Cx { client, run, .. } = cx;
    let mut outcomes = Vec::with_capacity(actions.len());
    let mut blocked: Option<Blocked> = None;
    // Numbers written with a sync still pending: checked once the branch's writes are done.
    let mut syncing: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < actions.len() {
        let action = &actions[i];
        if run.stop.requested() {
            outcomes.extend(actions[i..].iter().map(Run::interrupted));
            break;
        }
        if let Some(because) = blocks(&blocked, action) {
            outcomes.push(Outcome::new(action, Status::Skipped { because }));
            run.progress.advance(P, 1);
            i += 1;
            continue;
        }
        match (action.object.kind, action.op) {
            (ObjectKind::Number, Op::Create | Op::Update) | (ObjectKind::Number, Op::Delete) => {
                let delete = action.op == Op::Delete;
                let run_len = actions[i..]
                    .iter()
                    .take(BATCH)
                    .take_while(|a| {
                        a.object.kind == ObjectKind::Number
                            && (a.op == Op::Delete) == delete
                            && a.object.group == action.object.group
                            && blocks(&blocked, a).is_none()
                    })
                    .count();
                let batch = &actions[i..i + run_len];
                let first = outcomes.len();
                outcomes.extend(write_numbers(client, batch, delete, run).await);
                if delete && outcomes[first..].iter().any(Outcome::failed) {
                    blocked = Some(Blocked {
                        because: format!("numbers of account {} could not be deleted", action.object.group),
                        account_only: true,
                    });
                }
                if !delete {
                    syncing.extend((first..outcomes.len()).filter(|j| outcomes[*j].detail.as_deref() == Some(PENDING)));
                }
                run.progress.advance(P, run_len as u64);
                i += run_len;
                continue;
            }
            (ObjectKind::Account, Op::Create | Op::Update) => {
                let outcome = put_account(cx, action).await;
                if outcome.failed() {
                    blocked = Some(Blocked {
                        because: format!("Account {} failed", action.object.key),
                        account_only: true,
                    });
                }
                outcomes.push(outcome);
            }
            (ObjectKind::Account, Op::Delete) => outcomes.push(delete_account(cx, action).await),
            (ObjectKind::Consent, Op::Update) => outcomes.push(patch_consent(cx, action).await),
            // Listed rather than `_`, so that a new kind does not compile until it is wired.
            (
                ObjectKind::Customer
                | ObjectKind::Device
                | ObjectKind::Location
                | ObjectKind::User
                | ObjectKind::Workspace,
                _,
            )
            | (ObjectKind::Account, Op::Replace)
            | (ObjectKind::Consent, Op::Create | Op::Delete | Op::Replace)
            | (ObjectKind::Number, Op::Replace) => outcomes.push(Outcome::new(
                action,
                Status::Failed {
                    reason: format!("telform cannot {:?} an ACG {}", action.op, action.object.kind).to_lowercase(),
                },
            )),
        }
        run.progress.advance(P, 1);
        i += 1;
    }
    if !syncing.is_empty() && !run.stop.requested() {
        await_number_sync(client, &mut outcomes, &syncing, run).await;
    }
    outcomes
}

/// The longest wait between two reads of a sync in progress.
const MAX_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The marker a written number carries until its sync is known.
const PENDING: &str = "sync pending";

fn wait_note(run: &Run) -> impl Fn(String) + Sync + '_ {
    move |message: String| run.progress.note(P, &message)
}

/// A write that did not succeed: failed, or not sent because apply was interrupted.
fn failure_outcome(action: &Action, failure: &WriteFailure) -> Outcome {
    if failure.interrupted {
        Run::interrupted(action)
    } else {
        failed(action, &failure.error)
    }
}

fn failed(action: &Action, error: &ProviderError) -> Outcome {
    Outcome::new(
        action,
        Status::Failed {
            reason: error.to_string(),
        },
    )
}

async fn write_numbers(client: &AcgClient, batch: &[Action], delete: bool, run: &Run) -> Vec<Outcome> {
    let account = &batch[0].object.group;
    let (action_name, body) = if delete {
        let numbers: Vec<Value> = batch.iter().map(|a| json!({"telephoneNumber": a.object.key})).collect();
        ("deleteNumbers", json!({"numbers": numbers}))
    } else {
        let numbers: Vec<Cow<'_, Value>> = batch.iter().filter_map(Action::desired).collect();
        if numbers.len() != batch.len() {
            return batch
                .iter()
                .map(|a| {
                    Outcome::new(
                        a,
                        Status::Failed {
                            reason: "the plan holds no desired state for this number: make the plan again".into(),
                        },
                    )
                })
                .collect();
        }
        ("createOrUpdateNumbers", json!({"numbers": numbers}))
    };
    let operation = format!(
        "{} {} numbers of account {account} ({}..{})",
        if delete { "delete" } else { "write" },
        batch.len(),
        batch[0].object.key,
        batch[batch.len() - 1].object.key
    );
    let url = client.url(&format!("/accounts/{}:{action_name}", encode(account)), &[]);
    let note = wait_note(run);
    match client
        .write(
            &operation,
            Method::POST,
            &url,
            Some(&body),
            WriteRequest {
                budget: run.options.budget,
                stop: Some(&run.stop),
                ..WriteRequest::default()
            },
            &note,
        )
        .await
    {
        Ok(written) => {
            // The echo says which numbers now wait for their backend sync.
            let pending: BTreeSet<String> = serde_json::from_slice::<Value>(&written.body)
                .ok()
                .and_then(|v| v["numbers"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter(|n| n["serviceProvisioningStatus"] == "pending")
                .filter_map(|n| n["telephoneNumber"].as_str().map(str::to_string))
                .collect();
            batch
                .iter()
                .map(|a| {
                    let outcome = Outcome::new(a, Status::Done);
                    if pending.contains(&a.object.key) {
                        outcome.with_detail(PENDING)
                    } else {
                        outcome
                    }
                })
                .collect()
        }
        // The documented roles go by verb (Read: GET, Write: PUT and PATCH, Delete: DELETE);
        // which covers the POST actions is not published, and a gateway may want Write for
        // `:deleteNumbers`. An identity allowed to delete still can, one number at a time,
        // with the documented DELETE (issue #13).
        Err(failure) if delete && failure.error.status == Some(403) && !failure.interrupted => {
            delete_numbers_one_by_one(client, batch, run, &failure.error).await
        }
        Err(failure) => batch.iter().map(|a| failure_outcome(a, &failure)).collect(),
    }
}

/// Deletes each number with `DELETE /accounts/{a}/numbers/{tn}` (the Delete role), after the
/// batch `:deleteNumbers` was refused for a missing role.
async fn delete_numbers_one_by_one(
    client: &AcgClient,
    batch: &[Action],
    run: &Run,
    refused: &ProviderError,
) -> Vec<Outcome> {
    let account = &batch[0].object.group;
    let note = wait_note(run);
    let detail = format!(
        "deleted with DELETE (role ProvisioningAPI.Delete): the batch `:deleteNumbers` was refused ({})",
        refused.message
    );
    let mut outcomes = Vec::with_capacity(batch.len());
    for action in batch {
        if run.stop.requested() {
            outcomes.push(Run::interrupted(action));
            continue;
        }
        let tn = &action.object.key;
        let url = client.url(&format!("/accounts/{}/numbers/{}", encode(account), encode(tn)), &[]);
        let outcome = match client
            .write::<Value>(
                &format!("delete number {tn} of account {account}"),
                Method::DELETE,
                &url,
                None,
                WriteRequest {
                    budget: run.options.budget,
                    stop: Some(&run.stop),
                    ..WriteRequest::default()
                },
                &note,
            )
            .await
        {
            Ok(_) => Outcome::new(action, Status::Done).with_detail(detail.clone()),
            Err(failure) if failure.error.status == Some(404) => {
                Outcome::new(action, Status::Done).with_detail(detail.clone())
            }
            Err(failure) => failure_outcome(action, &failure),
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// Waits until the numbers written with a pending sync have synced, turning those whose sync
/// failed into failures with the provider's errors.
async fn await_number_sync(client: &AcgClient, outcomes: &mut [Outcome], syncing: &[usize], run: &Run) {
    let account = outcomes[syncing[0]].object.group.clone();
    let started = Instant::now();
    let mut waiting: BTreeSet<usize> = syncing.iter().copied().collect();
    run.progress.note(
        P,
        &format!("waiting for the sync of {} numbers of account {account}", waiting.len()),
    );
    let mut interval = run.options.poll_interval;
    loop {
        // Each poll lists the account's numbers (a page per 500) out of the request budget
        // every branch shares: the interval grows, so a long sync does not starve the others.
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(MAX_POLL_INTERVAL);
        if run.stop.requested() || started.elapsed() > run.options.async_timeout {
            for j in &waiting {
                outcomes[*j].detail = Some(format!(
                    "written; sync still pending after {} s (see `telform plan`)",
                    started.elapsed().as_secs()
                ));
            }
            return;
        }
        let numbers = match client.list_account_numbers(&account).await {
            Ok(numbers) => numbers,
            Err(error) => {
                for j in &waiting {
                    outcomes[*j].detail = Some(format!("sync not confirmed: {error}"));
                }
                return;
            }
        };
        let by_number: std::collections::HashMap<&str, &crate::wire::acg::NumberResource> =
            numbers.iter().map(|n| (n.telephone_number.as_str(), n)).collect();
        waiting.retain(|j| {
            let o = &mut outcomes[*j];
            let Some(n) = by_number.get(o.object.key.as_str()) else {
                o.status = Status::Failed {
                    reason: "the number was written but is not in the account any more".into(),
                };
                o.detail = None;
                return false;
            };
            match n.service_provisioning_status.as_deref() {
                Some("pending") => true,
                Some("failed") => {
                    o.status = Status::Failed {
                        reason: format!(
                            "the number was written but its sync failed: {}",
                            sync_errors(n.service_provisioning_errors.as_deref())
                        ),
                    };
                    o.detail = None;
                    false
                }
                _ => {
                    o.detail = None;
                    false
                }
            }
        });
        if waiting.is_empty() {
            return;
        }
    }
}

fn sync_errors(errors: Option<&[crate::wire::acg::Error]>) -> String {
    match errors {
        Some(errors) if !errors.is_empty() => errors
            .iter()
            .map(|e| format!("{} {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ => "no error given".into(),
    }
}

fn no_desired(action: &Action) -> Outcome {
    Outcome::new(
        action,
        Status::Failed {
            reason: format!(
                "the plan holds no desired state for {}: make the plan again",
                action.object
            ),
        },
    )
}

/// `desired` is part of `live`: every field it sets has that value live (what a write of
/// `desired` leaves, whatever the provider adds).
fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (_, Value::Null) => true,
        (Value::Object(l), Value::Object(d)) => d.iter().all(|(k, v)| contains(l.get(k).unwrap_or(&Value::Null), v)),
        _ => live == desired,
    }
}

/// Reads the object an update or delete acts on, with its ETag, and checks that it is still
/// what the plan read: the plan's fingerprint against one computed the same way. The ETag then
/// guards the moment between this read and the write. `Ok(None)`: it does not exist.
async fn read_unchanged<T: DeserializeOwned + Serialize>(
    cx: Cx<'_>,
    action: &Action,
    operation: &str,
    url: &str,
    fingerprint: impl Fn(&T) -> String,
) -> Result<Option<(Value, Option<String>)>, Outcome> {
    let read = cx
        .client
        .get_with_etag(operation, url)
        .await
        .map_err(|error| failed(action, &error))?;
    let Some((body, etag)) = read else { return Ok(None) };
    if let Some(planned) = cx.fingerprints.get(&action.object) {
        let now = serde_json::from_value::<T>(body.clone())
            .map(|typed| fingerprint(&typed))
            .unwrap_or_default();
        if &now != planned {
            return Err(Outcome::new(
                action,
                Status::Failed {
                    reason: format!(
                        "{} was changed by someone else since the plan read it: nothing was written\nhint: run `telform plan` again and review the change",
                        action.object
                    ),
                },
            ));
        }
    }
    Ok(Some((body, etag)))
}

async fn put_account(cx: Cx<'_>, action: &Action) -> Outcome {
    let Cx { client, run, .. } = cx;
    let name = &action.object.key;
    let url = client.url(&format!("/accounts/{}", encode(name)), &[]);
    let Some(desired) = action.desired() else {
        return no_desired(action);
    };
    let desired = &*desired;
    let note = wait_note(run);
    // Create only if absent; update only the version the plan read: a concurrent change is
    // refused (fingerprint, then ETag), never silently overwritten.
    let etag = if action.op == Op::Update {
        match read_unchanged(cx, action, &format!("read account {name}"), &url, account_fingerprint).await {
            Ok(Some((_, etag))) => etag,
            Ok(None) => {
                return Outcome::new(
                    action,
                    Status::Failed {
                        reason: format!("account {name} was deleted since the plan: run `telform plan` again"),
                    },
                );
            }
            Err(outcome) => return outcome,
        }
    } else {
        None
    };
    let conditions = WriteRequest {
        if_match: etag.as_deref(),
        if_none_match: (action.op == Op::Create).then_some("*"),
        content_type: None,
        budget: run.options.budget,
        stop: Some(&run.stop),
    };
    let verb = if action.op == Op::Create { "create" } else { "update" };
    let written = client
        .write(
            &format!("{verb} account {name}"),
            Method::PUT,
            &url,
            Some(desired),
            conditions,
            &note,
        )
        .await;
    match written {
        Ok(written) => {
            let body: Value = serde_json::from_slice(&written.body).unwrap_or_default();
            if body["serviceProvisioningStatus"] == "pending" {
                await_account_sync(cx, action, &url).await
            } else {
                Outcome::new(action, Status::Done)
            }
        }
        Err(failure) => written_or_not(cx, action, &format!("read account {name}"), &url, desired, failure).await,
    }
}

/// A 412: someone else created or changed the object between telform's read and its write.
fn concurrent(action: &Action) -> Outcome {
    let what = match action.op {
        Op::Create => "was created by someone else",
        Op::Delete => "was changed by someone else",
        _ => "was changed by someone else",
    };
    Outcome::new(
        action,
        Status::Failed {
            reason: format!(
                "{} {what} since telform read it: nothing was written\nhint: run `telform plan` again and review the change",
                action.object
            ),
        },
    )
}

async fn await_account_sync(cx: Cx<'_>, action: &Action, url: &str) -> Outcome {
    let Cx { client, run, .. } = cx;
    let name = &action.object.key;
    let started = Instant::now();
    run.progress.note(P, &format!("waiting for the sync of account {name}"));
    let mut interval = run.options.poll_interval;
    loop {
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(MAX_POLL_INTERVAL);
        let read = client.get_with_etag(&format!("read account {name}"), url).await;
        let body = match read {
            Ok(Some((body, _))) => body,
            Ok(None) => {
                return Outcome::new(
                    action,
                    Status::Failed {
                        reason: format!("account {name} disappeared while it synced"),
                    },
                );
            }
            Err(error) => {
                return Outcome::new(action, Status::Done).with_detail(format!("sync not confirmed: {error}"));
            }
        };
        match body["serviceProvisioningStatus"].as_str() {
            Some("pending") if started.elapsed() < run.options.async_timeout && !run.stop.requested() => {}
            Some("pending") => {
                return Outcome::new(action, Status::Done).with_detail(format!(
                    "written; sync still pending after {} s (see `telform plan`)",
                    started.elapsed().as_secs()
                ));
            }
            Some("failed") => {
                let errors: Option<Vec<crate::wire::acg::Error>> =
                    serde_json::from_value(body["serviceProvisioningErrors"].clone()).ok();
                return Outcome::new(
                    action,
                    Status::Failed {
                        reason: format!(
                            "the account was written but its sync failed: {}",
                            sync_errors(errors.as_deref())
                        ),
                    },
                );
            }
            _ => return Outcome::new(action, Status::Done),
        }
    }
}

async fn delete_account(cx: Cx<'_>, action: &Action) -> Outcome {
    let Cx { client, run, .. } = cx;
    let name = &action.object.key;
    let url = client.url(&format!("/accounts/{}", encode(name)), &[]);
    let etag = match read_unchanged(cx, action, &format!("read account {name}"), &url, account_fingerprint).await {
        Ok(Some((_, etag))) => etag,
        Ok(None) => return Outcome::new(action, Status::Unchanged).with_detail("already deleted"),
        Err(outcome) => return outcome,
    };
    let note = wait_note(run);
    // Without deleteNumbers: the plan deleted the account's numbers explicitly, and a number
    // added since makes the gateway refuse rather than lose it.
    match client
        .write::<Value>(
            &format!("delete account {name}"),
            Method::DELETE,
            &url,
            None,
            WriteRequest {
                if_match: etag.as_deref(),
                budget: run.options.budget,
                stop: Some(&run.stop),
                ..WriteRequest::default()
            },
            &note,
        )
        .await
    {
        Ok(_) => Outcome::new(action, Status::Done),
        // Gone after a lost answer: that answer was ours.
        Err(WriteFailure {
            error,
            after_unknown: true,
            ..
        }) if error.status == Some(404) => Outcome::new(action, Status::Done),
        Err(failure) if failure.error.status == Some(404) => {
            Outcome::new(action, Status::Unchanged).with_detail("already deleted")
        }
        Err(failure) if failure.error.status == Some(412) => concurrent(action),
        Err(failure) => failure_outcome(action, &failure),
    }
}

async fn patch_consent(cx: Cx<'_>, action: &Action) -> Outcome {
    let Cx { client, run, .. } = cx;
    let tenant = &action.object.key;
    let url = client.url(&format!("/teamsRequestsForInformation/{}", encode(tenant)), &[]);
    let Some(desired) = action.desired() else {
        return no_desired(action);
    };
    let desired = &*desired;
    let operation = format!("read the consent of tenant {tenant}");
    let etag = match read_unchanged(cx, action, &operation, &url, |typed: &RequestForInformation| {
        fingerprint_of(&json!(typed))
    })
    .await
    {
        Ok(Some((_, etag))) => etag,
        Ok(None) => {
            return Outcome::new(
                action,
                Status::Failed {
                    reason: format!("the consent of tenant {tenant} no longer exists"),
                },
            );
        }
        Err(outcome) => return outcome,
    };
    let note = wait_note(run);
    match client
        .write(
            &format!("update the consent relationship of tenant {tenant}"),
            Method::PATCH,
            &url,
            Some(desired),
            WriteRequest {
                if_match: etag.as_deref(),
                if_none_match: None,
                content_type: Some("application/merge-patch+json"),
                budget: run.options.budget,
                stop: Some(&run.stop),
            },
            &note,
        )
        .await
    {
        Ok(_) => Outcome::new(action, Status::Done),
        Err(failure) => written_or_not(cx, action, &operation, &url, desired, failure).await,
    }
}

/// The outcome of a PUT or PATCH that did not succeed. A 412 is someone else's change — unless
/// an earlier attempt's answer was lost: then the precondition may fail against telform's own
/// write, told apart by reading the object back.
async fn written_or_not(
    cx: Cx<'_>,
    action: &Action,
    operation: &str,
    url: &str,
    desired: &Value,
    failure: WriteFailure,
) -> Outcome {
    if failure.error.status != Some(412) {
        return failure_outcome(action, &failure);
    }
    if failure.after_unknown
        && let Ok(Some((live, _))) = cx.client.get_with_etag(operation, url).await
        && contains(&live, desired)
    {
        return Outcome::new(action, Status::Done).with_detail("confirmed by reading it back after a lost answer");
    }
    concurrent(action)
}
