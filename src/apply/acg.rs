//! Applying the ACG half of a plan: one branch per account (account → numbers → consent;
//! then number deletions → account deletion), numbers written 100 per call.

use std::collections::BTreeSet;
use std::time::Instant;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Outcome, Run, Status};
use crate::plan::model::{Action, Op, ProviderName};
use crate::provider::acg::AcgClient;
use crate::provider::acg::write::WriteRequest;
use crate::provider::http::ProviderError;
use crate::wire::encode;

/// ACG's batch actions take at most this many numbers.
pub const BATCH: usize = 100;

const P: ProviderName = ProviderName::Acg;

pub async fn apply(client: &AcgClient, actions: Vec<Action>, run: &Run) -> Vec<Outcome> {
    let branches = super::branches(actions);
    super::run_branches(branches, run.options.concurrency, |branch| {
        apply_branch(client, branch, run)
    })
    .await
}

/// Why the rest of a branch cannot go on.
struct Blocked {
    because: String,
    /// Only the account's own objects (numbers, its deletion) wait for it; a consent does not.
    account_only: bool,
}

fn blocks(blocked: &Option<Blocked>, action: &Action) -> Option<String> {
    let b = blocked.as_ref()?;
    (!b.account_only || action.object.kind != "Consent").then(|| b.because.clone())
}

async fn apply_branch(client: &AcgClient, actions: Vec<Action>, run: &Run) -> Vec<Outcome> {
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
        let kind = action.object.kind.as_str();
        match (kind, action.op) {
            ("Number", Op::Create | Op::Update) | ("Number", Op::Delete) => {
                let delete = action.op == Op::Delete;
                let run_len = actions[i..]
                    .iter()
                    .take(BATCH)
                    .take_while(|a| {
                        a.object.kind == "Number"
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
            ("Account", Op::Create | Op::Update) => {
                let outcome = put_account(client, action, run).await;
                if outcome.failed() {
                    blocked = Some(Blocked {
                        because: format!("Account {} failed", action.object.key),
                        account_only: true,
                    });
                }
                outcomes.push(outcome);
            }
            ("Account", Op::Delete) => outcomes.push(delete_account(client, action, run).await),
            ("Consent", Op::Update) => outcomes.push(patch_consent(client, action, run).await),
            _ => outcomes.push(Outcome::new(
                action,
                Status::Failed {
                    reason: format!("telform cannot {:?} an ACG {kind}", action.op).to_lowercase(),
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

/// The marker a written number carries until its sync is known.
const PENDING: &str = "sync pending";

fn wait_note(run: &Run) -> impl Fn(String) + Sync + '_ {
    move |message: String| run.progress.note(P, &message)
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
        let numbers: Vec<&Value> = batch.iter().filter_map(|a| a.desired.as_ref()).collect();
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
        Err(error) => batch.iter().map(|a| failed(a, &error)).collect(),
    }
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
    loop {
        tokio::time::sleep(run.options.poll_interval).await;
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
        if waiting.is_empty() || run.stop.requested() {
            return;
        }
        if started.elapsed() > run.options.async_timeout {
            for j in &waiting {
                outcomes[*j].detail = Some(format!(
                    "written; sync still pending after {} s (see `telform plan`)",
                    run.options.async_timeout.as_secs()
                ));
            }
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

async fn put_account(client: &AcgClient, action: &Action, run: &Run) -> Outcome {
    let name = &action.object.key;
    let url = client.url(&format!("/accounts/{}", encode(name)), &[]);
    let Some(desired) = &action.desired else {
        return Outcome::new(
            action,
            Status::Failed {
                reason: "the plan holds no desired state for this account: make the plan again".into(),
            },
        );
    };
    let note = wait_note(run);
    // Create only if absent; update only the version just read: a concurrent change is a 412,
    // never silently overwritten.
    let etag = if action.op == Op::Update {
        match client.get_with_etag(&format!("read account {name}"), &url).await {
            Ok(Some((_, etag))) => etag,
            Ok(None) => {
                return Outcome::new(
                    action,
                    Status::Failed {
                        reason: format!("account {name} was deleted since the plan: run `telform plan` again"),
                    },
                );
            }
            Err(error) => return failed(action, &error),
        }
    } else {
        None
    };
    let conditions = WriteRequest {
        if_match: etag.as_deref(),
        if_none_match: (action.op == Op::Create).then_some("*"),
        content_type: None,
        budget: run.options.budget,
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
                await_account_sync(client, action, &url, run).await
            } else {
                Outcome::new(action, Status::Done)
            }
        }
        Err(error) if error.status == Some(412) => Outcome::new(
            action,
            Status::Failed {
                reason: format!(
                    "account {name} {} since telform read it: nothing was written\nhint: run `telform plan` again and review the change",
                    if action.op == Op::Create {
                        "was created by someone else"
                    } else {
                        "was changed by someone else"
                    }
                ),
            },
        ),
        Err(error) => failed(action, &error),
    }
}

async fn await_account_sync(client: &AcgClient, action: &Action, url: &str, run: &Run) -> Outcome {
    let name = &action.object.key;
    let started = Instant::now();
    run.progress.note(P, &format!("waiting for the sync of account {name}"));
    loop {
        tokio::time::sleep(run.options.poll_interval).await;
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

async fn delete_account(client: &AcgClient, action: &Action, run: &Run) -> Outcome {
    let name = &action.object.key;
    let url = client.url(&format!("/accounts/{}", encode(name)), &[]);
    let etag = match client.get_with_etag(&format!("read account {name}"), &url).await {
        Ok(Some((_, etag))) => etag,
        Ok(None) => return Outcome::new(action, Status::Unchanged).with_detail("already deleted"),
        Err(error) => return failed(action, &error),
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
                ..WriteRequest::default()
            },
            &note,
        )
        .await
    {
        Ok(_) => Outcome::new(action, Status::Done),
        Err(error) if error.status == Some(404) => {
            Outcome::new(action, Status::Unchanged).with_detail("already deleted")
        }
        Err(error) => failed(action, &error),
    }
}

async fn patch_consent(client: &AcgClient, action: &Action, run: &Run) -> Outcome {
    let tenant = &action.object.key;
    let url = client.url(&format!("/teamsRequestsForInformation/{}", encode(tenant)), &[]);
    let Some(desired) = &action.desired else {
        return Outcome::new(
            action,
            Status::Failed {
                reason: "the plan holds no desired state for this consent: make the plan again".into(),
            },
        );
    };
    let etag = match client
        .get_with_etag(&format!("read the consent of tenant {tenant}"), &url)
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
        Err(error) => return failed(action, &error),
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
            },
            &note,
        )
        .await
    {
        Ok(_) => Outcome::new(action, Status::Done),
        Err(error) if error.status == Some(412) => Outcome::new(
            action,
            Status::Failed {
                reason: format!(
                    "the consent of tenant {tenant} was changed by someone else since telform read it: nothing was written\nhint: run `telform plan` again"
                ),
            },
        ),
        Err(error) => failed(action, &error),
    }
}
