//! Azure Communications Gateway rules: services, Teams number attributes, consents.

use std::collections::HashMap;

use super::{at, is_absent};
use crate::diag::codes::{self, Code};
use crate::diag::diagnostic::Diagnostic;
use crate::manifest::acg::{AccountSpec, NumberAttributes, NumberService, NumberUsage, Relationship};
use crate::manifest::{Kind, Manifest, ManifestSet};

pub const TICKET_ID_MAX: usize = 64;

pub(super) fn check(set: &ManifestSet, out: &mut Vec<Diagnostic>) {
    for account in &set.accounts {
        check_account(account, out);
    }
    let accounts: HashMap<&str, &Manifest<AccountSpec>> =
        set.accounts.iter().map(|a| (a.metadata.name.as_str(), a)).collect();
    for number_set in &set.number_sets {
        let spec = &number_set.spec;
        if let Some(account) = accounts.get(spec.account.as_str())
            && !is_absent(spec.ensure)
            && !service_enabled(&account.spec, spec.service)
        {
            let (place, object) = at(Kind::NumberSet, number_set, "/spec/service");
            out.push(
                Diagnostic::error(
                    codes::SERVICE_NOT_ENABLED,
                    place,
                    format!("account `{}` does not enable {}", spec.account, spec.service.as_str()),
                )
                .object(object)
                .hint(format!(
                    "enable it on the account: `services: {{{}: {{enabled: true}}}}`",
                    spec.service.as_str()
                )),
            );
        }
        check_number_attributes(number_set, out);
    }
    for consent in &set.consents {
        let spec = &consent.spec;
        if spec.relationship.needs_reason() && spec.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            let (place, object) = at(Kind::Consent, consent, "/spec/relationship");
            out.push(
                Diagnostic::error(
                    codes::CONSENT_REASON,
                    place,
                    "a declined consent or a terminated contract needs a reason",
                )
                .object(object)
                .hint("add `reason:` with why, as you would in the portal"),
            );
        }
        // Serving an enterprise for the first time means creating its account: a signed
        // agreement names the account that serves the tenant.
        if spec.relationship == Relationship::AgreementSigned && spec.account.is_none() {
            let (place, object) = at(Kind::Consent, consent, "/spec/relationship");
            out.push(
                Diagnostic::error(
                    codes::CONSENT_ACCOUNT,
                    place,
                    "a signed agreement needs the `account` that serves the tenant",
                )
                .object(object)
                .hint("add `account:` with the name of the Account (declare it if it is new: serving an enterprise starts with its account)"),
            );
        }
        if let Some(ticket) = &spec.ticket_id
            && ticket.chars().count() > TICKET_ID_MAX
        {
            let (place, object) = at(Kind::Consent, consent, "/spec/ticketId");
            out.push(
                Diagnostic::error(
                    codes::TICKET_ID_LENGTH,
                    place,
                    format!(
                        "ticketId has {} characters; at most {TICKET_ID_MAX} are allowed",
                        ticket.chars().count()
                    ),
                )
                .object(object)
                .hint("use the ticket's short id"),
            );
        }
        if let Some(account) = spec.account.as_deref().and_then(|a| accounts.get(a))
            && let Some(tenant) = &account.spec.teams_tenant_id
            && !tenant.eq_ignore_ascii_case(&spec.tenant_id)
        {
            let (place, object) = at(Kind::Consent, consent, "/spec/tenantId");
            out.push(
                Diagnostic::error(
                    codes::TENANT_MISMATCH,
                    place,
                    format!(
                        "tenant {} differs from account `{}`'s teamsTenantId {tenant}",
                        spec.tenant_id, account.metadata.name
                    ),
                )
                .object(object)
                .related(
                    at(Kind::Account, account, "/spec/teamsTenantId").0,
                    "the account's tenant",
                )
                .hint("a consent and its account concern the same Teams tenant: fix one of them"),
            );
        }
    }
}

fn service_enabled(account: &AccountSpec, service: NumberService) -> bool {
    let s = &account.services;
    match service {
        NumberService::OperatorConnect => s.operator_connect.as_ref().is_some_and(|x| x.enabled),
        NumberService::TeamsPhoneMobile => s.teams_phone_mobile.as_ref().is_some_and(|x| x.enabled),
        NumberService::DirectRouting => s.direct_routing.as_ref().is_some_and(|x| x.enabled),
        NumberService::Zoom => s.zoom.as_ref().is_some_and(|x| x.enabled),
        NumberService::CallProtection => s.call_protection.as_ref().is_some_and(|x| x.enabled),
    }
}

fn check_account(account: &Manifest<AccountSpec>, out: &mut Vec<Diagnostic>) {
    let spec = &account.spec;
    let teams = [
        (
            "operatorConnect",
            spec.services.operator_connect.as_ref().is_some_and(|s| s.enabled),
        ),
        (
            "teamsPhoneMobile",
            spec.services.teams_phone_mobile.as_ref().is_some_and(|s| s.enabled),
        ),
    ];
    if spec.teams_tenant_id.is_none() && !is_absent(spec.ensure) {
        for (service, enabled) in teams {
            if enabled {
                let (place, object) = at(Kind::Account, account, format!("/spec/services/{service}"));
                out.push(
                    Diagnostic::error(
                        codes::TEAMS_TENANT_REQUIRED,
                        place,
                        format!("{service} is enabled but the account has no teamsTenantId"),
                    )
                    .object(object)
                    .hint("add `teamsTenantId:` with the enterprise's Teams tenant id (from its consent)"),
                );
            }
        }
    }
    if let Some(dr) = &spec.services.direct_routing
        && dr.subdomain.is_some() != dr.subdomain_tokens.is_some()
    {
        let (place, object) = at(Kind::Account, account, "/spec/services/directRouting");
        out.push(
            Diagnostic::error(
                codes::DIRECT_ROUTING_CONFIG,
                place,
                "Direct Routing needs both `subdomain` and `subdomainTokens`, or neither",
            )
            .object(object)
            .hint("ACG creates the DNS records from the subdomain and both region tokens: give all of them"),
        );
    }
}

/// One problem per rule and set, at its first occurrence, with a count: a set of 10,000
/// numbers missing the same attribute is one mistake, not 10,000.
struct Finding {
    code: Code,
    pointer: String,
    count: usize,
}

fn check_number_attributes(number_set: &Manifest<crate::manifest::NumberSetSpec>, out: &mut Vec<Diagnostic>) {
    let spec = &number_set.spec;
    let service = spec.service;
    let defaults = spec.defaults.as_ref();
    let mut findings: Vec<Finding> = Vec::new();
    let mut found = |code: Code, pointer: String| match findings.iter_mut().find(|f| f.code == code) {
        Some(f) => f.count += 1,
        None => findings.push(Finding {
            code,
            pointer,
            count: 1,
        }),
    };
    // Ranges take the defaults; each entry lays its own attributes over them. The pointer names
    // where the value came from, so the message points at what to change.
    let mut check = |attrs: &NumberAttributes, own: Option<&crate::manifest::acg::NumberEntry>, base: &str| {
        let source = |field: &str, own_has: bool| {
            if own_has {
                format!("{base}/{field}")
            } else {
                format!("/spec/defaults/{field}")
            }
        };
        if attrs.custom_sip_header.is_some() && !service.allows_custom_sip_header() {
            found(
                codes::CUSTOM_SIP_HEADER,
                source("customSipHeader", own.is_some_and(|e| e.custom_sip_header.is_some())),
            );
        }
        if service.is_teams() {
            if attrs.usage.is_none() || attrs.capabilities.as_ref().is_none_or(Vec::is_empty) {
                found(codes::TEAMS_ATTRIBUTES_REQUIRED, base.to_string());
            }
            if attrs.usage == Some(NumberUsage::User)
                && attrs.allow_tenant_address_update != Some(true)
                && (attrs.civic_address_id.is_none() || attrs.location_id.is_none())
            {
                found(codes::USER_NUMBER_ADDRESS, base.to_string());
            }
        } else {
            let teams_only = [
                ("usage", attrs.usage.is_some(), own.is_some_and(|e| e.usage.is_some())),
                (
                    "capabilities",
                    attrs.capabilities.is_some(),
                    own.is_some_and(|e| e.capabilities.is_some()),
                ),
                (
                    "civicAddressId",
                    attrs.civic_address_id.is_some(),
                    own.is_some_and(|e| e.civic_address_id.is_some()),
                ),
                (
                    "locationId",
                    attrs.location_id.is_some(),
                    own.is_some_and(|e| e.location_id.is_some()),
                ),
                (
                    "allowTenantAddressUpdate",
                    attrs.allow_tenant_address_update.is_some(),
                    own.is_some_and(|e| e.allow_tenant_address_update.is_some()),
                ),
                (
                    "countryCode",
                    attrs.country_code.is_some(),
                    own.is_some_and(|e| e.country_code.is_some()),
                ),
            ];
            if let Some((field, _, own_has)) = teams_only.iter().find(|(_, set, _)| *set) {
                found(codes::TEAMS_ONLY_ATTRIBUTE, source(field, *own_has));
            }
        }
    };
    let default_attrs = defaults.cloned().unwrap_or_default();
    if !spec.ranges.is_empty() {
        check(&default_attrs, None, "/spec/ranges/0");
    }
    for (i, entry) in spec.numbers.iter().enumerate() {
        check(&entry.effective(defaults), Some(entry), &format!("/spec/numbers/{i}"));
    }

    for finding in findings {
        let (place, object) = at(Kind::NumberSet, number_set, finding.pointer.clone());
        let of = |what: &str| {
            if finding.count > 1 {
                format!("{} numbers of this set {what}", finding.count)
            } else {
                format!("a number of this set {what}")
            }
        };
        let service_name = service.as_str();
        let (message, hint) = match finding.code {
            c if c == codes::CUSTOM_SIP_HEADER => (
                format!("{service_name} numbers cannot carry a custom SIP header"),
                "remove `customSipHeader`: ACG allows it for Operator Connect, Direct Routing and Zoom numbers only".to_string(),
            ),
            c if c == codes::TEAMS_ATTRIBUTES_REQUIRED => (
                of("has no `usage` or no `capabilities`"),
                format!("{service_name} numbers need both: set them in `defaults` or on each number"),
            ),
            c if c == codes::USER_NUMBER_ADDRESS => (
                of("is for a calling user but has no emergency address"),
                "give `civicAddressId` and `locationId` (the enterprise configures its civic addresses and locations in the Teams admin center: ask it for their ids), or `allowTenantAddressUpdate: true` to let the enterprise set them".to_string(),
            ),
            _ => (
                format!("`{}` only applies to Operator Connect and Teams Phone Mobile numbers", finding.pointer.rsplit('/').next().unwrap_or("")),
                format!("remove it: {service_name} numbers have no Teams attributes"),
            ),
        };
        out.push(
            Diagnostic::error(finding.code, place, message)
                .object(object)
                .hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::rules::test_support::codes;

    const ACCOUNT: &str = "apiVersion: telform/v1\nkind: Account\nmetadata: {name: contoso}\nspec:\n  teamsTenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90\n  services: {operatorConnect: {enabled: true, sync: true}}\n";

    fn consent(spec: &str) -> String {
        format!(
            "{ACCOUNT}---\napiVersion: telform/v1\nkind: Consent\nmetadata: {{name: contoso}}\nspec: {{tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90, {spec}}}\n"
        )
    }

    #[test]
    fn a_signed_agreement_with_its_account_passes() {
        assert_eq!(
            codes(&consent("relationship: agreementSigned, account: contoso")),
            [""; 0]
        );
    }

    #[test]
    fn a_signed_agreement_without_account_fails() {
        assert_eq!(codes(&consent("relationship: agreementSigned")), ["TF142"]);
    }

    #[test]
    fn a_declined_consent_needs_a_reason() {
        assert_eq!(codes(&consent("relationship: consentDeclined")), ["TF140"]);
        assert_eq!(codes(&consent("relationship: consentDeclined, reason: no")), [""; 0]);
    }

    #[test]
    fn teams_numbers_need_their_attributes() {
        let set = |defaults: &str| {
            format!(
                "{ACCOUNT}---\napiVersion: telform/v1\nkind: NumberSet\nmetadata: {{name: s}}\nspec: {{account: contoso, service: operatorConnect, defaults: {{{defaults}}}, numbers: [{{number: \"+14255550100\"}}]}}\n"
            )
        };
        assert_eq!(codes(&set("usage: conference, capabilities: [inbound]")), [""; 0]);
        assert_eq!(codes(&set("usage: user, capabilities: [inbound]")), ["TF131"]);
        assert_eq!(
            codes(&set("usage: conference, customSipHeader: x, capabilities: [inbound]")),
            [""; 0]
        );
        assert_eq!(codes(&set("capabilities: [inbound]")), ["TF133"]);
    }
}
