//! The ACG half of the diff: accounts, numbers, consent relationships.
//!
//! Desired and live objects are both turned into the manifests' own terms (a "view": JSON with
//! the manifest's field names and defaults applied) and compared field by field, so that a
//! change reads as the reviewer wrote it (`services.operatorConnect.sync: false → true`).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::{Context, diff_json};
use crate::manifest::acg::{AccountSpec, ConsentSpec, NumberSetSpec, Relationship};
use crate::manifest::{Ensure, Manifest, ManifestSet};
use crate::model::acg::{AcgLive, AcgNeeds, Interner, NumberChange, NumberState, account_fingerprint};
use crate::model::fingerprint_of;
use crate::model::plan::{
    Action, Fingerprint, ObjectKind, ObjectRef, Op, Pending, Plan, PlanError, ProviderName, Reason, Unmanaged,
};
use crate::validate::e164;
use crate::wire::acg::{
    AccountResource, AccountServiceDetails, CustomerRelationship, DirectRoutingAccountService, DirectRoutingConfig,
    FAILED, PENDING, PlainAccountService, SubdomainTokens, SyncedAccountService,
};

const P: ProviderName = ProviderName::Acg;

/// What the manifests need read from ACG.
pub fn needs(set: &ManifestSet) -> AcgNeeds {
    let mut needs = AcgNeeds {
        accounts: set.accounts.iter().map(|a| a.metadata.name.clone()).collect(),
        consents: !set.consents.is_empty(),
        consent_tenants: set
            .consents
            .iter()
            .map(|c| c.spec.tenant_id.to_ascii_lowercase())
            .collect(),
        ..AcgNeeds::default()
    };
    for s in &set.number_sets {
        needs.accounts.insert(s.spec.account.clone());
        let uses_address = s.spec.defaults.as_ref().is_some_and(|d| d.civic_address_id.is_some())
            || s.spec.numbers.iter().any(|n| n.civic_address_id.is_some());
        if uses_address {
            needs.civic_addresses_of.insert(s.spec.account.clone());
        }
    }
    needs
}

// ---- manifest → wire ---------------------------------------------------------------------------

pub fn account_to_wire(name: &str, spec: &AccountSpec) -> AccountResource {
    let s = &spec.services;
    let synced = |x: &crate::manifest::acg::SyncedService| SyncedAccountService {
        sync_enabled: x.sync.unwrap_or(false),
        enabled: x.enabled,
        number_count: None,
    };
    AccountResource {
        name: name.to_string(),
        correlation_id: spec.correlation_id.clone(),
        service_details: Some(AccountServiceDetails {
            teams_tenant_id: spec.teams_tenant_id.clone(),
            teams_operator_connect: s.operator_connect.as_ref().map(synced),
            teams_phone_mobile: s.teams_phone_mobile.as_ref().map(synced),
            zoom_phone_cloud_peering: s.zoom.as_ref().map(synced),
            azure_operator_call_protection: s.call_protection.as_ref().map(|c| PlainAccountService {
                enabled: c.enabled,
                number_count: None,
            }),
            teams_direct_routing: s.direct_routing.as_ref().map(|dr| DirectRoutingAccountService {
                sync_enabled: dr.sync.unwrap_or(false),
                enabled: dr.enabled,
                number_count: None,
                configuration: match (&dr.subdomain, &dr.subdomain_tokens) {
                    (Some(subdomain), Some(tokens)) => Some(DirectRoutingConfig {
                        call_screening: dr.call_screening.unwrap_or(true),
                        subdomain: subdomain.clone(),
                        subdomain_tokens: SubdomainTokens {
                            region1_token: tokens.region1.clone(),
                            region2_token: tokens.region2.clone(),
                        },
                    }),
                    _ => None,
                },
                subdomain_status: None,
            }),
        }),
        service_provisioning_status: None,
        service_provisioning_errors: None,
    }
}

/// The comment of a consent relationship: the reason, and the ticket id (ACG has no field for it).
pub fn consent_comment(spec: &ConsentSpec) -> Option<String> {
    match (&spec.reason, &spec.ticket_id) {
        (Some(reason), Some(ticket)) => Some(format!("{reason} [ticket {ticket}]")),
        (Some(reason), None) => Some(reason.clone()),
        (None, Some(ticket)) => Some(format!("[ticket {ticket}]")),
        (None, None) => None,
    }
}

/// The relationship status as sent to ACG: the spelling of its one public example
/// (`ConsentAcknowledged`), PascalCase.
pub fn relationship_wire(r: Relationship) -> &'static str {
    match r {
        Relationship::AgreementSigned => "AgreementSigned",
        Relationship::ConsentDeclined => "ConsentDeclined",
        Relationship::ContractTerminated => "ContractTerminated",
        Relationship::ConsentAcknowledged => "ConsentAcknowledged",
    }
}

// ---- views: both sides in the manifest's terms ------------------------------------------------

fn account_view(a: &AccountResource) -> Value {
    let mut services = Map::new();
    if let Some(d) = &a.service_details {
        let mut synced = |key: &str, s: Option<&SyncedAccountService>| {
            if let Some(s) = s.filter(|s| s.enabled || s.sync_enabled) {
                services.insert(key.into(), json!({"enabled": s.enabled, "sync": s.sync_enabled}));
            }
        };
        synced("operatorConnect", d.teams_operator_connect.as_ref());
        synced("teamsPhoneMobile", d.teams_phone_mobile.as_ref());
        synced("zoom", d.zoom_phone_cloud_peering.as_ref());
        if let Some(c) = d.azure_operator_call_protection.as_ref().filter(|c| c.enabled) {
            services.insert("callProtection".into(), json!({"enabled": c.enabled}));
        }
        if let Some(dr) = d
            .teams_direct_routing
            .as_ref()
            .filter(|s| s.enabled || s.sync_enabled || s.configuration.is_some())
        {
            let mut v = json!({"enabled": dr.enabled, "sync": dr.sync_enabled});
            if let Some(c) = &dr.configuration {
                v["callScreening"] = json!(c.call_screening);
                v["subdomain"] = json!(c.subdomain);
                v["subdomainTokens"] =
                    json!({"region1": c.subdomain_tokens.region1_token, "region2": c.subdomain_tokens.region2_token});
            }
            services.insert("directRouting".into(), v);
        }
    }
    let mut view = json!({"services": services});
    if let Some(c) = &a.correlation_id {
        view["correlationId"] = json!(c);
    }
    if let Some(t) = a.service_details.as_ref().and_then(|d| d.teams_tenant_id.as_ref()) {
        view["teamsTenantId"] = json!(t.to_ascii_lowercase());
    }
    view
}

fn consent_view(relationship: Option<&CustomerRelationship>) -> Value {
    let status = relationship.and_then(|r| r.status.as_deref()).map(|s| {
        let mut chars = s.chars();
        chars
            .next()
            .map_or(String::new(), |c| c.to_ascii_lowercase().to_string() + chars.as_str())
    });
    json!({"relationship": status, "comment": relationship.and_then(|r| r.comment.clone())})
}

// ---- the diff --------------------------------------------------------------------------------

/// A desired number: where it comes from and what it should be.
struct DesiredNumber<'a> {
    set: &'a Manifest<NumberSetSpec>,
    state: NumberState,
    absent: bool,
}

/// The numbers one set declares, with their desired state.
fn declared_numbers<'a>(s: &'a Manifest<NumberSetSpec>, interner: &mut Interner) -> Vec<(String, DesiredNumber<'a>)> {
    let absent = s.spec.ensure == Some(Ensure::Absent);
    let defaults = NumberState::from_manifest(s.spec.service, &s.spec.defaults.clone().unwrap_or_default(), interner);
    let mut out = Vec::new();
    for range in &s.spec.ranges {
        let (Ok(from), Ok(to)) = (e164::parse(&range.from), e164::parse(&range.to)) else {
            continue;
        };
        for value in from.value..=to.value {
            let tn = e164::NumberKey {
                digits: from.digits,
                value,
            }
            .to_e164();
            out.push((
                tn,
                DesiredNumber {
                    set: s,
                    state: defaults.clone(),
                    absent,
                },
            ));
        }
    }
    for entry in &s.spec.numbers {
        let attrs = entry.effective(s.spec.defaults.as_ref());
        let state = NumberState::from_manifest(s.spec.service, &attrs, interner);
        out.push((entry.number.clone(), DesiredNumber { set: s, state, absent }));
    }
    out
}

pub fn diff(set: &ManifestSet, live: &AcgLive, cx: &Context, plan: &mut Plan) {
    let mut creates_updates: Vec<Action> = Vec::new();
    let mut number_writes: Vec<Action> = Vec::new();
    let mut consent_writes: Vec<Action> = Vec::new();
    let mut number_deletes: Vec<Action> = Vec::new();
    let mut account_deletes: Vec<Action> = Vec::new();

    let manifests: HashMap<&str, &Manifest<AccountSpec>> =
        set.accounts.iter().map(|a| (a.metadata.name.as_str(), a)).collect();

    let mut interner = Interner::default();
    let mut budget = NumberBudget {
        cap: cx.max_number_changes,
        count: 0,
    };

    // Accounts.
    for account in &set.accounts {
        let name = account.metadata.name.as_str();
        let object = ObjectRef::new(P, ObjectKind::Account, name, name);
        let source = Some(cx.source(account.origin, &format!("Account/{name}")));
        let current = live.accounts.get(name);
        let want = account_to_wire(name, &account.spec);
        match (account.spec.ensure == Some(Ensure::Absent), current) {
            (false, None) => {
                let changes = diff_json("", &Value::Null, &account_view(&want));
                creates_updates.push(Action {
                    op: Op::Create,
                    object: object.clone(),
                    source,
                    changes,
                    reason: None,
                    desired: Some(json!(want)),
                    number: None,
                });
                touch(plan, object, None);
            }
            (false, Some(current)) => {
                let changes = diff_json("", &account_view(current), &account_view(&want));
                let tenant = |a: &AccountResource| {
                    a.service_details
                        .as_ref()
                        .and_then(|d| d.teams_tenant_id.as_ref())
                        .map(|t| t.to_ascii_lowercase())
                };
                if tenant(current) != tenant(&want) && teams_numbers(current) > 0 {
                    plan.errors.push(PlanError {
                        object: Some(object.clone()),
                        source: source.clone(),
                        message: format!("`teamsTenantId` of account {name} cannot change while it has Operator Connect or Teams Phone Mobile numbers ({})", teams_numbers(current)),
                        hint: "move or delete those numbers first, or keep the tenant".into(),
                    });
                }
                if !changes.is_empty() {
                    creates_updates.push(Action {
                        op: Op::Update,
                        object: object.clone(),
                        source,
                        changes,
                        reason: None,
                        desired: Some(json!(want)),
                        number: None,
                    });
                    touch(plan, object.clone(), Some(account_fingerprint(current)));
                }
                pending_status(
                    plan,
                    &object,
                    current.service_provisioning_status.as_deref(),
                    current.service_provisioning_errors.as_ref(),
                );
            }
            (true, None) => {}
            (true, Some(current)) => {
                if account.spec.protect == Some(true) {
                    plan.errors.push(PlanError {
                        object: Some(object.clone()),
                        source,
                        message: format!("account {name} is marked `ensure: absent` but also `protect: true`"),
                        hint: "remove `protect: true` first if the account really must go".into(),
                    });
                    continue;
                }
                // Its numbers go first, explicitly, so the plan shows (and counts) them.
                for (tn, number) in live.numbers.iter().filter(|(_, n)| &*n.account == name) {
                    if !budget.take(plan, &mut number_writes, &mut number_deletes) {
                        continue;
                    }
                    let object = ObjectRef::new(P, ObjectKind::Number, tn, name);
                    number_deletes.push(Action {
                        op: Op::Delete,
                        object: object.clone(),
                        source: source.clone(),
                        changes: Vec::new(),
                        reason: Some(Reason::EnsureAbsent),
                        desired: None,
                        number: None,
                    });
                    touch(plan, object, Some(fingerprint_of(&number.state.view())));
                }
                account_deletes.push(Action {
                    op: Op::Delete,
                    object: object.clone(),
                    source,
                    changes: Vec::new(),
                    reason: Some(Reason::EnsureAbsent),
                    desired: None,
                    number: None,
                });
                touch(plan, object, Some(account_fingerprint(current)));
            }
        }
    }
    for (name, account) in &live.accounts {
        if !manifests.contains_key(name.as_str()) {
            plan.unmanaged.push(Unmanaged {
                object: ObjectRef::new(P, ObjectKind::Account, name, name),
            });
            let _ = account;
        }
    }

    // Numbers of the accounts the manifests manage.
    let absent_accounts: BTreeSet<&str> = set
        .accounts
        .iter()
        .filter(|a| a.spec.ensure == Some(Ensure::Absent))
        .map(|a| a.metadata.name.as_str())
        .collect();
    // Numbers are expanded and compared one set at a time, never all at once: a repository may
    // declare a million. Only their keys are kept, for the pass over undeclared live numbers.
    let mut declared: HashSet<e164::NumberKey> = HashSet::new();
    for number_set in &set.number_sets {
        for (tn, want) in &declared_numbers(number_set, &mut interner) {
            if let Ok(key) = e164::parse(tn) {
                declared.insert(key);
            }
            let account = want.set.spec.account.as_str();
            if absent_accounts.contains(account) {
                continue;
            }
            let current = live.numbers.get(tn);
            // The common case at scale: nothing to do, nothing allocated.
            if let Some(current) = current
                && !want.absent
                && current.state == want.state
                && &*current.account == account
            {
                if let Some(unsynced) = &current.unsynced {
                    pending_number(plan, tn, account, unsynced);
                }
                check_civic_address(live, want, tn, cx, plan);
                continue;
            }
            let acts = match (want.absent, current) {
                (false, Some(current)) => &*current.account == account,
                (true, None) => false,
                _ => true,
            };
            if acts && !budget.take(plan, &mut number_writes, &mut number_deletes) {
                if !want.absent {
                    check_civic_address(live, want, tn, cx, plan);
                }
                continue;
            }
            let object = ObjectRef::new(P, ObjectKind::Number, tn, account);
            let source = Some(cx.source(want.set.origin, &format!("NumberSet/{}", want.set.metadata.name)));
            match (want.absent, current) {
                (false, None) => {
                    number_writes.push(Action {
                        op: Op::Create,
                        object: object.clone(),
                        source,
                        changes: Vec::new(),
                        reason: None,
                        desired: None,
                        number: Some(Box::new(NumberChange {
                            new: want.state.clone(),
                            old: None,
                        })),
                    });
                    touch(plan, object, None);
                }
                (false, Some(current)) if &*current.account != account => {
                    plan.errors.push(PlanError {
                    object: Some(object),
                    source,
                    message: format!(
                        "{tn} is in account {}, not {account}: a number cannot move to another `account` in place",
                        current.account
                    ),
                    hint:
                        "a number belongs to one account: delete it from the other account first (its NumberSet there with `ensure: absent`, or its account's `prune`), apply, then declare it here"
                            .into(),
                });
                }
                (false, Some(current)) => {
                    number_writes.push(Action {
                        op: Op::Update,
                        object: object.clone(),
                        source,
                        changes: Vec::new(),
                        reason: None,
                        desired: None,
                        number: Some(Box::new(NumberChange {
                            new: want.state.clone(),
                            old: Some(Box::new(current.state.clone())),
                        })),
                    });
                    touch(plan, object, Some(fingerprint_of(&current.state.view())));
                }
                (true, Some(current)) => {
                    number_deletes.push(Action {
                        op: Op::Delete,
                        object: object.clone(),
                        source,
                        changes: Vec::new(),
                        reason: Some(Reason::EnsureAbsent),
                        desired: None,
                        number: None,
                    });
                    touch(plan, object, Some(fingerprint_of(&current.state.view())));
                }
                (true, None) => {}
            }
            if !want.absent {
                check_civic_address(live, want, tn, cx, plan);
            }
        }
    }
    for (tn, current) in &live.numbers {
        let account = &*current.account;
        if e164::parse(tn).is_ok_and(|key| declared.contains(&key)) || absent_accounts.contains(account) {
            continue;
        }
        let object = ObjectRef::new(P, ObjectKind::Number, tn, account);
        let prune = !cx.partial && (cx.prune || manifests.get(account).is_some_and(|a| a.spec.prune == Some(true)));
        if prune {
            if !budget.take(plan, &mut number_writes, &mut number_deletes) {
                continue;
            }
            let source = manifests
                .get(account)
                .map(|a| cx.source(a.origin, &format!("Account/{account}")));
            number_deletes.push(Action {
                op: Op::Delete,
                object: object.clone(),
                source,
                changes: Vec::new(),
                reason: Some(Reason::Pruned),
                desired: None,
                number: None,
            });
            touch(plan, object, Some(fingerprint_of(&current.state.view())));
        } else {
            plan.unmanaged.push(Unmanaged { object });
        }
    }

    if budget.count > budget.cap {
        plan.errors.push(PlanError {
            object: None,
            source: None,
            message: format!(
                "the plan changes {} numbers, more than the limit of {} (--max-number-changes): no number change is planned",
                budget.count, budget.cap
            ),
            hint: "split the change into smaller ones (fewer numbers per pull request), or raise the limit with --max-number-changes N (or TELFORM_MAX_NUMBER_CHANGES) on a machine with the memory for it".into(),
        });
    }

    // Consent relationships.
    let declared: BTreeSet<String> = set
        .consents
        .iter()
        .map(|c| c.spec.tenant_id.to_ascii_lowercase())
        .collect();
    for consent in &set.consents {
        let tenant = consent.spec.tenant_id.to_ascii_lowercase();
        let object = ObjectRef::new(
            P,
            ObjectKind::Consent,
            &tenant,
            consent.spec.account.clone().unwrap_or_default(),
        );
        let source = Some(cx.source(consent.origin, &format!("Consent/{}", consent.metadata.name)));
        let Some(current) = live.consents.get(&tenant) else {
            plan.errors.push(PlanError {
                object: Some(object),
                source,
                message: format!("no Operator Connect consent from tenant {tenant}"),
                hint: "a consent is created by the enterprise when it picks you as its operator in Teams admin center; check the tenant id or wait for the consent".into(),
            });
            continue;
        };
        let want = CustomerRelationship {
            status: Some(relationship_wire(consent.spec.relationship).to_string()),
            comment: consent_comment(&consent.spec),
            last_modified_on: None,
        };
        let changes = diff_json(
            "",
            &consent_view(current.customer_relationship.as_ref()),
            &consent_view(Some(&want)),
        );
        if !changes.is_empty() {
            consent_writes.push(Action {
                op: Op::Update,
                object: object.clone(),
                source,
                changes,
                reason: None,
                // A merge patch leaves out what it omits: a comment no longer declared is
                // removed by sending it as null (RFC 7396), or it would stay and be planned again.
                desired: Some(json!({"customerRelationship": {"status": want.status, "comment": want.comment}})),
                number: None,
            });
            touch(plan, object, Some(fingerprint_of(&json!(current))));
        }
    }
    for tenant in live.consents.keys() {
        if !declared.contains(tenant) {
            plan.unmanaged.push(Unmanaged {
                object: ObjectRef::new(P, ObjectKind::Consent, tenant, ""),
            });
        }
    }

    // Dependency order: accounts, their numbers (by account, in number order so that runs of
    // numbers are contiguous), consents; then deletions, numbers before their account.
    // Keys are unique (a number is declared once, validation sees to it): an unstable sort
    // gives the same order, in place (a stable sort takes a buffer of half the actions).
    number_writes.sort_unstable_by(|a, b| (&a.object.group, &a.object.key).cmp(&(&b.object.group, &b.object.key)));
    number_deletes.sort_unstable_by(|a, b| (&a.object.group, &a.object.key).cmp(&(&b.object.group, &b.object.key)));
    // The number writes, by far the longest list, are moved rather than copied.
    let mut actions = number_writes;
    actions.splice(0..0, creates_updates);
    actions.extend(consent_writes);
    actions.extend(number_deletes);
    actions.extend(account_deletes);
    if plan.actions.is_empty() {
        plan.actions = actions;
    } else {
        plan.actions.extend(actions);
    }
}

/// The cap on numbers created, updated or deleted by one plan (`--max-number-changes`). Past
/// it, number changes are only counted, for the error: the plan never holds more than `cap`
/// number actions, whatever the manifests declare.
struct NumberBudget {
    cap: usize,
    count: usize,
}

impl NumberBudget {
    /// Counts one number change; whether it may be planned. The first one past the cap drops
    /// the number actions (and their fingerprints) planned so far: the plan fails anyway.
    fn take(&mut self, plan: &mut Plan, writes: &mut Vec<Action>, deletes: &mut Vec<Action>) -> bool {
        self.count += 1;
        if self.count <= self.cap {
            return true;
        }
        if self.count == self.cap + 1 {
            *writes = Vec::new();
            *deletes = Vec::new();
            plan.fingerprints
                .retain(|f| !(f.object.provider == P && f.object.kind == ObjectKind::Number));
        }
        false
    }
}

/// Records what an object looked like when the plan read it: its fingerprint, taken as it is
/// touched (its JSON view is not kept: there may be a million). `None`: it does not exist.
fn touch(plan: &mut Plan, object: ObjectRef, fingerprint: Option<String>) {
    plan.fingerprints.push(Fingerprint {
        object,
        value: fingerprint.map_or(std::borrow::Cow::Borrowed("absent"), std::borrow::Cow::Owned),
    });
}

fn teams_numbers(account: &AccountResource) -> i64 {
    let d = account.service_details.as_ref();
    [
        d.and_then(|d| d.teams_operator_connect.as_ref()),
        d.and_then(|d| d.teams_phone_mobile.as_ref()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|s| s.number_count)
    .sum()
}

fn pending_status(
    plan: &mut Plan,
    object: &ObjectRef,
    status: Option<&str>,
    errors: Option<&Vec<crate::wire::acg::Error>>,
) {
    let error = errors
        .and_then(|e| e.first())
        .map(|e| format!("{} {}", e.code, e.message));
    if let Some(status) = sync_state(status, error) {
        plan.pending.push(Pending {
            object: object.clone(),
            status,
        });
    }
}

/// How an unfinished backend sync reads in a plan; `None` when there is nothing pending.
fn sync_state(status: Option<&str>, first_error: Option<String>) -> Option<String> {
    match (status, first_error) {
        (Some(PENDING), _) => Some("pending sync".into()),
        (Some(FAILED), Some(error)) => Some(format!("sync failed: {error}")),
        (Some(FAILED), None) => Some("sync failed".into()),
        _ => None,
    }
}

/// Civic addresses and locations are configured by the enterprise; they must exist.
fn check_civic_address(live: &AcgLive, want: &DesiredNumber, tn: &str, cx: &Context, plan: &mut Plan) {
    let account = want.set.spec.account.as_str();
    let Some(addresses) = live.civic_addresses.get(account) else {
        return;
    };
    let Some(address_id) = want.state.civic_address_id.as_deref() else {
        return;
    };
    let problem = match addresses.iter().find(|a| a.id == address_id) {
        None => Some(format!(
            "civic address {address_id} does not exist for account {account}'s tenant"
        )),
        Some(address) => want
            .state
            .location_id
            .as_deref()
            .filter(|l| !address.locations.iter().flatten().any(|x| x.id == *l))
            .map(|l| format!("location {l} is not in civic address {address_id}")),
    };
    if let Some(message) = problem {
        // One error per problem: ten thousand numbers share one address.
        if plan.errors.iter().any(|e| e.message == message) {
            return;
        }
        plan.errors.push(PlanError {
            object: Some(ObjectRef::new(P, ObjectKind::Number, tn, account)),
            source: Some(cx.source(want.set.origin, &format!("NumberSet/{}", want.set.metadata.name))),
            message,
            hint: "the enterprise configures its emergency addresses in Teams admin center; use one of the ids it has"
                .into(),
        });
    }
}

fn pending_number(plan: &mut Plan, tn: &str, account: &str, unsynced: &(String, Option<String>)) {
    if let Some(status) = sync_state(Some(&unsynced.0), unsynced.1.clone()) {
        plan.pending.push(Pending {
            object: ObjectRef::new(P, ObjectKind::Number, tn, account),
            status,
        });
    }
}
