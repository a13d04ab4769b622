//! ACG: accounts, their numbers as number sets, and consents, in the manifests' terms.
//!
//! Each value is what `plan::acg` reads back from the same live object (`account_view`,
//! `NumberState`, `consent_view`), so that the imported manifests plan empty.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::names::{Taken, manifest_name};
use super::yaml::{MapBuilder, Node};
use super::{Doc, Import, Scope};
use crate::manifest::ManifestSet;
use crate::manifest::acg::{ConsentSpec, NumberService, NumberUsage, Relationship};
use crate::model::acg::{AcgLive, CAPABILITIES, NumberState};
use crate::validate::e164::{self, NumberKey};
use crate::wire::acg::{AccountResource, RequestForInformation, SyncedAccountService};

/// A profile met by fewer numbers than this is written as overrides of the set's defaults
/// (when it can be); a profile met more often gets a number set of its own, with ranges.
const OVERRIDES_BELOW: usize = 10;

fn usage_name(u: NumberUsage) -> &'static str {
    match u {
        NumberUsage::User => "user",
        NumberUsage::Application => "application",
        NumberUsage::Conference => "conference",
    }
}

fn capability_names(bits: u8) -> Node {
    Node::strings(
        CAPABILITIES
            .iter()
            .filter(|(_, b, _)| bits & b != 0)
            .map(|(_, _, name)| *name),
    )
}

/// The account's spec as `account_view` reads it.
fn account_spec(a: &AccountResource) -> Node {
    let mut services = MapBuilder::new();
    if let Some(d) = &a.service_details {
        let synced = |s: Option<&SyncedAccountService>| {
            s.filter(|s| s.enabled || s.sync_enabled).map(|s| {
                Node::flow(
                    MapBuilder::new()
                        .put("enabled", Node::Bool(s.enabled))
                        .put("sync", Node::Bool(s.sync_enabled))
                        .build(),
                )
            })
        };
        services = services
            .opt("operatorConnect", synced(d.teams_operator_connect.as_ref()))
            .opt("teamsPhoneMobile", synced(d.teams_phone_mobile.as_ref()));
        if let Some(dr) = d
            .teams_direct_routing
            .as_ref()
            .filter(|s| s.enabled || s.sync_enabled || s.configuration.is_some())
        {
            let mut v = MapBuilder::new()
                .put("enabled", Node::Bool(dr.enabled))
                .put("sync", Node::Bool(dr.sync_enabled));
            if let Some(c) = &dr.configuration {
                v = v
                    .put("callScreening", Node::Bool(c.call_screening))
                    .put("subdomain", Node::str(&c.subdomain))
                    .put(
                        "subdomainTokens",
                        Node::flow(
                            MapBuilder::new()
                                .put("region1", Node::str(&c.subdomain_tokens.region1_token))
                                .put("region2", Node::str(&c.subdomain_tokens.region2_token))
                                .build(),
                        ),
                    );
                services = services.put("directRouting", v.build());
            } else {
                services = services.put("directRouting", Node::flow(v.build()));
            }
        }
        services = services.opt("zoom", synced(d.zoom_phone_cloud_peering.as_ref()));
        if d.azure_operator_call_protection.as_ref().is_some_and(|c| c.enabled) {
            services = services.put(
                "callProtection",
                Node::flow(MapBuilder::new().put("enabled", Node::Bool(true)).build()),
            );
        }
    }
    let services = match services.build() {
        Node::Map(entries) if entries.is_empty() => Node::flow(Node::Map(Vec::new())),
        other => other,
    };
    MapBuilder::new()
        .opt("correlationId", a.correlation_id.as_deref().map(Node::str))
        .opt(
            "teamsTenantId",
            a.service_details
                .as_ref()
                .and_then(|d| d.teams_tenant_id.as_deref())
                .map(|t| Node::str(t.to_ascii_lowercase())),
        )
        .put("services", services)
        .build()
}

/// The attributes a state sets, in schema order; `over`: only those that differ from it
/// (an override entry).
fn attributes(state: &NumberState, over: Option<&NumberState>) -> Vec<(&'static str, Node)> {
    let mut out = Vec::new();
    let differs = |f: &dyn Fn(&NumberState) -> bool| over.is_none_or(|d| !f(d));
    if state.usage.is_some() && differs(&|d| d.usage == state.usage) {
        out.push(("usage", Node::str(usage_name(state.usage.unwrap_or(NumberUsage::User)))));
    }
    let caps_written = match over {
        None => state.capabilities != 0,
        Some(d) => d.capabilities != state.capabilities,
    };
    if caps_written {
        out.push(("capabilities", capability_names(state.capabilities)));
    }
    let texts = [
        (
            "civicAddressId",
            &state.civic_address_id,
            over.map(|d| &d.civic_address_id),
        ),
        ("locationId", &state.location_id, over.map(|d| &d.location_id)),
    ];
    for (key, value, default) in texts {
        if let Some(v) = value
            && default.is_none_or(|d| d != value)
        {
            out.push((key, Node::str(&**v)));
        }
    }
    let allow_written = match over {
        None => state.allow_tenant_address_update,
        Some(d) => d.allow_tenant_address_update != state.allow_tenant_address_update,
    };
    if allow_written {
        out.push((
            "allowTenantAddressUpdate",
            Node::Bool(state.allow_tenant_address_update),
        ));
    }
    let texts = [
        ("countryCode", &state.country_code, over.map(|d| &d.country_code)),
        (
            "customSipHeader",
            &state.custom_sip_header,
            over.map(|d| &d.custom_sip_header),
        ),
    ];
    for (key, value, default) in texts {
        if let Some(v) = value
            && default.is_none_or(|d| d != value)
        {
            out.push((key, Node::str(&**v)));
        }
    }
    out
}

/// Whether `state` can be written as an override of `defaults`: an override sets a field, it
/// cannot unset one the defaults set.
fn expressible(defaults: &NumberState, state: &NumberState) -> bool {
    (defaults.usage.is_none() || state.usage.is_some())
        && (defaults.civic_address_id.is_none() || state.civic_address_id.is_some())
        && (defaults.location_id.is_none() || state.location_id.is_some())
        && (defaults.country_code.is_none() || state.country_code.is_some())
        && (defaults.custom_sip_header.is_none() || state.custom_sip_header.is_some())
}

/// Numbers with their live state, in number order.
type Numbers<'a> = Vec<(NumberKey, &'a NumberState)>;

/// One number set to write.
struct SetPlan<'a> {
    defaults: &'a NumberState,
    plain: Vec<NumberKey>,
    overrides: Vec<(NumberKey, &'a NumberState)>,
}

/// Splits the numbers of one service into sets: the commonest profile becomes a set's
/// defaults, its numbers ranges; rare profiles that can be are its overrides; the rest go on
/// to the next set.
fn split(mut remaining: Vec<(NumberKey, &NumberState)>) -> Vec<SetPlan<'_>> {
    let mut sets = Vec::new();
    while !remaining.is_empty() {
        let mut counts: HashMap<&NumberState, (usize, usize)> = HashMap::new();
        for (i, (_, s)) in remaining.iter().enumerate() {
            counts.entry(*s).or_insert((0, i)).0 += 1;
        }
        // The commonest; between equals, the one met first (numbers are sorted): stable.
        let defaults = counts
            .iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
            .map(|(s, _)| *s)
            .unwrap_or(remaining[0].1);
        let mut set = SetPlan {
            defaults,
            plain: Vec::new(),
            overrides: Vec::new(),
        };
        let mut next = Vec::new();
        for (key, state) in remaining {
            if state == defaults {
                set.plain.push(key);
            } else if counts[state].0 < OVERRIDES_BELOW && expressible(defaults, state) {
                set.overrides.push((key, state));
            } else {
                next.push((key, state));
            }
        }
        sets.push(set);
        remaining = next;
    }
    sets
}

/// Contiguous runs of at least two numbers as ranges (at most `fmt::MAX_RANGE` each), the
/// others alone.
fn runs(keys: &[NumberKey]) -> (Vec<(NumberKey, NumberKey)>, Vec<NumberKey>) {
    let mut ranges = Vec::new();
    let mut single = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i;
        while j + 1 < keys.len()
            && keys[j + 1].digits == keys[j].digits
            && keys[j + 1].value == keys[j].value + 1
            && (j + 1 - i) < crate::fmt::MAX_RANGE as usize
        {
            j += 1;
        }
        if j > i {
            ranges.push((keys[i], keys[j]));
        } else {
            single.push(keys[i]);
        }
        i = j + 1;
    }
    (ranges, single)
}

fn number_set_doc(name: &str, account: &str, service: NumberService, set: &SetPlan) -> Doc {
    let defaults = attributes(set.defaults, None);
    let mut spec = MapBuilder::new()
        .put("account", Node::str(account))
        .put("service", Node::str(service.as_str()));
    if !defaults.is_empty() {
        let mut d = MapBuilder::new();
        for (k, v) in defaults {
            d = d.put(k, v);
        }
        spec = spec.put("defaults", d.build());
    }
    let (ranges, single) = runs(&set.plain);
    if !ranges.is_empty() {
        spec = spec.put(
            "ranges",
            Node::List(
                ranges
                    .iter()
                    .map(|(from, to)| {
                        Node::flow(
                            MapBuilder::new()
                                .put("from", Node::str(from.to_e164()))
                                .put("to", Node::str(to.to_e164()))
                                .build(),
                        )
                    })
                    .collect(),
            ),
        );
    }
    let mut entries: Vec<(NumberKey, Node)> = single
        .iter()
        .map(|k| {
            (
                *k,
                Node::flow(MapBuilder::new().put("number", Node::str(k.to_e164())).build()),
            )
        })
        .collect();
    for (key, state) in &set.overrides {
        let mut entry = MapBuilder::new().put("number", Node::str(key.to_e164()));
        for (k, v) in attributes(state, Some(set.defaults)) {
            entry = entry.put(k, v);
        }
        entries.push((*key, Node::flow(entry.build())));
    }
    entries.sort_by_key(|(k, _)| (k.digits, k.value));
    if !entries.is_empty() {
        spec = spec.put("numbers", Node::List(entries.into_iter().map(|(_, n)| n).collect()));
    }
    let count = set.plain.len() + set.overrides.len();
    Doc {
        comment: vec![format!(
            "{count} number(s) of account {account} enabled for {}",
            service.as_str()
        )],
        kind: "NumberSet",
        name: name.to_string(),
        spec: spec.build(),
    }
}

/// The accounts (and numbers) to import.
pub(super) fn accounts(live: &AcgLive, declared: &ManifestSet, scope: &Scope, out: &mut Import) {
    let declared_accounts: BTreeSet<&str> = declared.accounts.iter().map(|a| a.metadata.name.as_str()).collect();
    let mut set_names = Taken::new(declared.number_sets.iter().map(|s| s.metadata.name.clone()));
    // Numbers already declared (ranges expanded): a repository may declare a million.
    let mut declared_numbers: HashSet<NumberKey> = HashSet::new();
    for s in &declared.number_sets {
        for r in &s.spec.ranges {
            if let (Ok(from), Ok(to)) = (e164::parse(&r.from), e164::parse(&r.to)) {
                declared_numbers.extend((from.value..=to.value).map(|value| NumberKey {
                    digits: from.digits,
                    value,
                }));
            }
        }
        declared_numbers.extend(s.spec.numbers.iter().filter_map(|n| e164::parse(&n.number).ok()));
    }
    let mut by_account: BTreeMap<&str, Vec<(NumberKey, &NumberState)>> = BTreeMap::new();
    for (tn, n) in &live.numbers {
        let Ok(key) = e164::parse(tn) else {
            out.note(format!(
                "number {tn:?} of account {} is not E.164: not imported",
                n.account
            ));
            continue;
        };
        if declared_numbers.contains(&key) {
            continue;
        }
        by_account.entry(&n.account).or_default().push((key, &n.state));
    }
    for (name, account) in &live.accounts {
        if !scope.wants_account(name) {
            continue;
        }
        let mut docs = Vec::new();
        let mut numbers = by_account.remove(name.as_str()).unwrap_or_default();
        if !declared_accounts.contains(name.as_str()) {
            let count = numbers.len();
            docs.push(Doc {
                comment: vec![format!("ACG account {name}: {count} number(s) imported below")],
                kind: "Account",
                name: name.clone(),
                spec: account_spec(account),
            });
            out.count("Account", 1);
            out.imported_accounts.insert(name.clone());
        }
        numbers.sort_by_key(|(k, _)| (k.digits, k.value));
        let mut by_service: BTreeMap<&'static str, (NumberService, Numbers)> = BTreeMap::new();
        let mut serviceless = 0;
        for (key, state) in numbers {
            match state.service {
                Some(service) => by_service
                    .entry(service.as_str())
                    .or_insert((service, Vec::new()))
                    .1
                    .push((key, state)),
                None => serviceless += 1,
            }
        }
        if serviceless > 0 {
            out.note(format!(
                "{serviceless} number(s) of account {name} are enabled for no service: a NumberSet names one, so they are not imported"
            ));
        }
        for (service_name, (service, numbers)) in by_service {
            let count = numbers.len();
            for set in split(numbers) {
                let base = manifest_name(&format!("{name}-{service_name}"), "numbers");
                let set_name = set_names.claim(&base);
                docs.push(number_set_doc(&set_name, name, service, &set));
                out.count("NumberSet", 1);
            }
            out.count("number", count);
        }
        if !docs.is_empty() {
            out.add_file(
                vec!["acg".into(), format!("{}.yaml", super::names::component(name))],
                docs,
                Vec::new(),
            );
        }
    }
    for name in by_account.keys() {
        if scope.wants_account(name) && !live.accounts.contains_key(*name) {
            out.note(format!(
                "numbers of account {name} were listed but not the account: not imported"
            ));
        }
    }
}

/// `customerRelationship.status` in the manifest's terms (`AgreementSigned` → agreementSigned).
fn relationship(status: &str) -> Option<Relationship> {
    let mut chars = status.chars();
    let first = chars.next()?.to_ascii_lowercase();
    let text = format!("{first}{}", chars.as_str());
    serde_json::from_value(serde_json::Value::String(text)).ok()
}

/// The reason and ticket id `plan::acg::consent_comment` would write as `comment`.
fn split_comment(comment: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(comment) = comment else {
        return (None, None);
    };
    if let Some(inner) = comment.strip_suffix(']') {
        if let Some(ticket) = inner.strip_prefix("[ticket ") {
            return (None, Some(ticket.to_string()));
        }
        if let Some((reason, ticket)) = inner.rsplit_once(" [ticket ") {
            return (Some(reason.to_string()), Some(ticket.to_string()));
        }
    }
    (Some(comment.to_string()), None)
}

/// The consents to import, in `acg/consents.yaml`.
pub(super) fn consents(live: &AcgLive, declared: &ManifestSet, out: &mut Import) {
    let declared_tenants: BTreeSet<String> = declared
        .consents
        .iter()
        .map(|c| c.spec.tenant_id.to_ascii_lowercase())
        .collect();
    // Accounts by tenant: the consent's account is the one that serves its tenant.
    let mut by_tenant: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, a) in &live.accounts {
        if let Some(t) = a.service_details.as_ref().and_then(|d| d.teams_tenant_id.as_deref()) {
            by_tenant.entry(t.to_ascii_lowercase()).or_default().push(name);
        }
    }
    let imported = out.imported_accounts.clone();
    let known_accounts: BTreeSet<&str> = declared
        .accounts
        .iter()
        .map(|a| a.metadata.name.as_str())
        .chain(imported.iter().map(String::as_str))
        .collect();
    let mut names = Taken::new(declared.consents.iter().map(|c| c.metadata.name.clone()));
    let mut docs = Vec::new();
    for (tenant, c) in &live.consents {
        if declared_tenants.contains(tenant) {
            continue;
        }
        match consent_doc(tenant, c, &by_tenant, &known_accounts, &mut names) {
            Ok(doc) => {
                docs.push(doc);
                out.count("Consent", 1);
            }
            Err(why) => out.note(format!("consent of tenant {tenant}: {why}: not imported")),
        }
    }
    if !docs.is_empty() {
        out.add_file(vec!["acg".into(), "consents.yaml".into()], docs, Vec::new());
    }
}

fn consent_doc(
    tenant: &str,
    c: &RequestForInformation,
    by_tenant: &BTreeMap<String, Vec<&str>>,
    known_accounts: &BTreeSet<&str>,
    names: &mut Taken,
) -> Result<Doc, String> {
    let current = c.customer_relationship.as_ref();
    let Some(status) = current.and_then(|r| r.status.as_deref()) else {
        return Err("no relationship is set yet (declare one when you answer it)".into());
    };
    let Some(relationship) = relationship(status) else {
        return Err(format!("its relationship `{status}` is not one telform knows"));
    };
    let comment = current.and_then(|r| r.comment.as_deref());
    let (reason, ticket_id) = split_comment(comment);
    let holders = by_tenant.get(tenant).cloned().unwrap_or_default();
    let account = match holders.as_slice() {
        [one] if known_accounts.contains(one) => Some(one.to_string()),
        _ => None,
    };
    let spec = ConsentSpec {
        tenant_id: tenant.to_string(),
        account: account.clone(),
        relationship,
        reason,
        ticket_id,
    };
    // The manifest must give back exactly the comment ACG holds, or the plan would rewrite it.
    if crate::plan::acg::consent_comment(&spec).as_deref() != comment {
        return Err(format!(
            "its comment {comment:?} cannot be written as a reason and a ticket id"
        ));
    }
    if relationship.needs_reason() && spec.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(format!("it is {status} without a reason, which a manifest must give"));
    }
    if relationship == Relationship::AgreementSigned && account.is_none() {
        return Err(match holders.as_slice() {
            [one] => format!(
                "a signed agreement names its account, and account {one} is not declared: import it too (`--account {one}`)"
            ),
            [] => "a signed agreement names its account, and no account has this teamsTenantId".into(),
            _ => format!(
                "a signed agreement names its account, and several accounts have this tenant ({})",
                holders.join(", ")
            ),
        });
    }
    let mut comment_lines = vec![format!(
        "Operator Connect consent of tenant {tenant} ({})",
        c.status.as_deref().unwrap_or("status unknown")
    )];
    if account.is_none()
        && let [one] = holders.as_slice()
    {
        comment_lines.push(format!(
            "account {one} serves this tenant but is not declared: add `account: {one}` once it is"
        ));
    }
    let name = names.claim(&manifest_name(account.as_deref().unwrap_or(tenant), "consent"));
    let node = MapBuilder::new()
        .put("tenantId", Node::str(tenant))
        .opt("account", spec.account.as_deref().map(Node::str))
        .put("relationship", Node::str(relationship_name(relationship)))
        .opt("reason", spec.reason.as_deref().map(Node::str))
        .opt("ticketId", spec.ticket_id.as_deref().map(Node::str))
        .build();
    Ok(Doc {
        comment: comment_lines,
        kind: "Consent",
        name,
        spec: node,
    })
}

fn relationship_name(r: Relationship) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: u64) -> NumberKey {
        NumberKey { digits: 11, value: v }
    }

    #[test]
    fn runs_of_two_or_more_become_ranges() {
        let (ranges, single) = runs(&[key(1), key(2), key(3), key(5), key(7), key(8)]);
        assert_eq!(ranges, [(key(1), key(3)), (key(7), key(8))]);
        assert_eq!(single, [key(5)]);
    }

    #[test]
    fn comments_split_as_plan_writes_them() {
        assert_eq!(split_comment(Some("[ticket T-1]")), (None, Some("T-1".into())));
        assert_eq!(
            split_comment(Some("no budget [ticket T-1]")),
            (Some("no budget".into()), Some("T-1".into()))
        );
        assert_eq!(split_comment(Some("no budget")), (Some("no budget".into()), None));
        assert_eq!(relationship("AgreementSigned"), Some(Relationship::AgreementSigned));
        assert_eq!(relationship("consentDeclined"), Some(Relationship::ConsentDeclined));
        assert_eq!(relationship("bogus"), None);
    }
}
