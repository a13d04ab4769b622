//! Plan-time prechecks (issue #13): what Webex would refuse of the objects a plan creates,
//! asked before the plan is shown, so that a bad change fails in review rather than in apply.
//!
//! Pure, as the rest of the planner: [`prechecks`] makes the questions from a plan and the live
//! state it was made from, the provider client asks them
//! (`crate::provider::webex::WebexClient::precheck`), and [`record`] turns each refusal into a
//! plan error pointing at the manifest of the object refused.
//!
//! Only objects the plan creates are checked, and only where the answer cannot depend on
//! another action of the same plan: a MAC another action frees first, or a number or
//! extension that another action of the customer adds or moves, would be refused by a
//! precheck that the apply itself makes pass.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::plan::{Action, ObjectKind, Op, Plan, PlanError, ProviderName};
pub use crate::model::webex::precheck::{MacCheck, Prechecks, Refusal};
use crate::model::webex::{WebexLive, mac_key};
use crate::wire::webex as wire;

/// The questions to ask before `plan` is shown.
pub fn prechecks(plan: &Plan, live: &WebexLive) -> Prechecks {
    let webex = |a: &&Action| a.object.provider == ProviderName::Webex;
    let mut checks = Prechecks::default();
    // Devices that exist now and that the plan removes first: their MACs are free by the time
    // the device is added (a device moved to another customer, or re-added with a workspace
    // this plan replaces).
    // So are the emails of the users it removes (a Webex identity is one organisation's: a user
    // moved to another customer is removed first).
    let mut freed: BTreeSet<&str> = BTreeSet::new();
    let mut freed_emails: BTreeSet<String> = BTreeSet::new();
    for a in plan.actions.iter().filter(webex) {
        match (a.object.kind, a.op) {
            (ObjectKind::Device, Op::Delete | Op::Replace) => {
                freed.insert(&a.object.key);
            }
            (ObjectKind::User, Op::Delete | Op::Replace) => {
                freed_emails.insert(a.object.key.to_lowercase());
            }
            (ObjectKind::Customer, Op::Replace | Op::Delete) => {
                if let Some(org) = live.orgs.get(&a.object.key) {
                    freed.extend(org.devices.iter().filter_map(|d| d.mac()));
                    freed_emails.extend(org.subscribers.iter().map(|s| s.email().to_lowercase()));
                }
            }
            _ => {}
        }
    }
    let freed: BTreeSet<String> = freed.into_iter().map(mac_key).collect();
    let existed: BTreeSet<(&str, &str)> = plan
        .fingerprints
        .iter()
        .filter(|f| f.object.kind == ObjectKind::Device && f.value != "absent")
        .map(|f| (f.object.group.as_str(), f.object.key.as_str()))
        .collect();
    // Existing customers whose plan does more than add users and devices: the packages,
    // locations, numbers and extensions their new subscribers take may be added or freed by
    // that plan first, so only the subscriber's email is asked about.
    let mut busy: BTreeSet<&str> = BTreeSet::new();
    for a in plan.actions.iter().filter(webex) {
        let adds_only = a.op == Op::Create && matches!(a.object.kind, ObjectKind::User | ObjectKind::Device);
        if !adds_only {
            busy.insert(&a.object.group);
        }
    }
    // The administrator email of each customer the plan creates, by external id.
    let mut new_customers: BTreeMap<&str, String> = BTreeMap::new();
    for (index, a) in plan.actions.iter().enumerate().filter(|(_, a)| webex(a)) {
        let body = a.desired.as_ref().map(|d| &d["body"]);
        match (a.object.kind, a.op) {
            // A customer moved to another organisation is provisioned again: its subscribers are
            // new ones, but its external id is its own until then, so it is not prechecked.
            (ObjectKind::Customer, Op::Create | Op::Replace) => {
                let Some(body) = body.and_then(|b| serde_json::from_value::<wire::ProvisionCustomer>(b.clone()).ok())
                else {
                    continue;
                };
                new_customers.insert(
                    &a.object.key,
                    body.customer_info
                        .as_ref()
                        .map(|i| i.primary_email.clone())
                        .unwrap_or_default(),
                );
                if a.op == Op::Create {
                    checks.customers.push((index, customer_precheck(body)));
                }
            }
            (ObjectKind::Device, Op::Create) => {
                let mac = a.object.key.as_str();
                if freed.contains(mac) || existed.contains(&(a.object.group.as_str(), mac)) {
                    continue;
                }
                let org = live.customers.get(&a.object.group).and_then(|c| c.org_id.clone());
                checks.macs.entry(org).or_default().push(MacCheck {
                    mac: mac.to_string(),
                    action: index,
                });
            }
            _ => {}
        }
    }
    for (index, a) in plan.actions.iter().enumerate().filter(|(_, a)| webex(a)) {
        if a.op != Op::Create || a.object.kind != ObjectKind::User {
            continue;
        }
        let Some(body) = a
            .desired
            .as_ref()
            .and_then(|d| serde_json::from_value::<wire::ProvisionSubscriber>(d["body"].clone()).ok())
        else {
            continue;
        };
        if freed_emails.contains(&body.email.to_lowercase()) {
            continue;
        }
        let group = a.object.group.as_str();
        let precheck = match new_customers.get(group) {
            // A subscriber of a customer this plan creates: the variant without a customer id,
            // for the customer's administrator.
            Some(admin) => wire::SubscriberPrecheck {
                email: body.email,
                packages: body.packages,
                customer_info: Some(wire::PrecheckCustomerInfo {
                    name: None,
                    primary_email: admin.clone(),
                }),
                ..Default::default()
            },
            None if body.customer_id.is_empty() => continue,
            None if busy.contains(group) => wire::SubscriberPrecheck {
                customer_id: Some(body.customer_id),
                email: body.email,
                ..Default::default()
            },
            None => wire::SubscriberPrecheck {
                customer_id: Some(body.customer_id),
                email: body.email,
                packages: body.packages,
                provisioning_parameters: body.provisioning_parameters,
                ..Default::default()
            },
        };
        checks.subscribers.push((index, precheck));
    }
    checks
}

fn customer_precheck(body: wire::ProvisionCustomer) -> wire::CustomerPrecheck {
    wire::CustomerPrecheck {
        provisioning_id: Some(body.provisioning_id),
        packages: Some(body.packages),
        org_id: body.org_id,
        external_id: Some(body.external_id),
        address: body.address,
        customer_info: body.customer_info.map(|info| wire::PrecheckCustomerInfo {
            name: Some(info.name),
            primary_email: info.primary_email,
        }),
        provisioning_parameters: body.provisioning_parameters,
    }
}

/// Each refusal as a plan error on its object, at its manifest's line.
pub fn record(plan: &mut Plan, refusals: Vec<Refusal>) {
    for refusal in refusals {
        let (index, message, hint) = match refusal {
            Refusal::Mac {
                action,
                mac,
                state,
                code,
                message,
            } => {
                let said = match (code, message) {
                    (Some(code), Some(message)) => format!(" ({code}: {message})"),
                    (None, Some(message)) => format!(" ({message})"),
                    (Some(code), None) => format!(" ({code})"),
                    (None, None) => String::new(),
                };
                let hint = if state == "INVALID" {
                    "correct `mac`: Webex does not take it as a MAC address"
                } else {
                    "a device's MAC is in one Webex organisation at a time: if this is the right MAC, remove the device from the organisation that holds it (Control Hub > Devices) and plan again; else correct `mac`"
                };
                (
                    action,
                    format!("MAC {mac} cannot be added: Webex's validateMacs says {state}{said}"),
                    hint,
                )
            }
            Refusal::Object {
                action,
                status,
                code,
                message,
            } => {
                let kind = plan.actions.get(action).map(|a| a.object.kind);
                let endpoint = if kind == Some(ObjectKind::Customer) {
                    "/wholesale/customers/validate"
                } else {
                    "/wholesale/subscribers/validate"
                };
                let status = status.map(|s| format!("HTTP {s}")).unwrap_or_default();
                let code = code.map(|c| format!(" {c}")).unwrap_or_default();
                (
                    action,
                    format!("Webex's precheck ({endpoint}) refuses its creation: {status}{code}: {message}"),
                    "change the manifest so that Webex accepts the object, or fix what Webex names on its side (Partner Hub, Control Hub), then plan again",
                )
            }
        };
        let Some(action) = plan.actions.get(index) else {
            continue;
        };
        plan.errors.push(PlanError {
            object: Some(action.object.clone()),
            source: action.source.clone(),
            message,
            hint: hint.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::json;

    use super::*;
    use crate::model::plan::{Fingerprint, ObjectRef};

    fn act(op: Op, kind: ObjectKind, key: &str, group: &str) -> Action {
        Action {
            op,
            object: ObjectRef::new(ProviderName::Webex, kind, key, group),
            source: None,
            changes: Vec::new(),
            reason: None,
            desired: None,
            number: None,
        }
    }

    fn absent(kind: ObjectKind, key: &str, group: &str) -> Fingerprint {
        Fingerprint {
            object: ObjectRef::new(ProviderName::Webex, kind, key, group),
            value: Cow::Borrowed("absent"),
        }
    }

    fn live_customer(ext: &str, org: &str) -> (String, wire::Customer) {
        let customer = wire::Customer {
            id: format!("id-{ext}"),
            org_id: Some(org.to_string()),
            external_id: ext.to_string(),
            ..Default::default()
        };
        (ext.to_string(), customer)
    }

    #[test]
    fn only_macs_nothing_in_the_plan_frees_are_asked_per_organisation() {
        let mut plan = Plan::default();
        // A device moved from A to B: deleted in A first, so its MAC is not asked about.
        plan.actions
            .push(act(Op::Create, ObjectKind::Device, "AAAAAAAAAAAA", "B"));
        plan.actions
            .push(act(Op::Delete, ObjectKind::Device, "AAAAAAAAAAAA", "A"));
        // Two new devices, one in each organisation.
        plan.actions
            .push(act(Op::Create, ObjectKind::Device, "BBBBBBBBBBBB", "A"));
        plan.actions
            .push(act(Op::Create, ObjectKind::Device, "CCCCCCCCCCCC", "B"));
        // Re-added with a workspace the plan replaces: it exists now, and goes with it.
        plan.actions
            .push(act(Op::Create, ObjectKind::Device, "DDDDDDDDDDDD", "B"));
        for (key, group) in [("AAAAAAAAAAAA", "B"), ("BBBBBBBBBBBB", "A"), ("CCCCCCCCCCCC", "B")] {
            plan.fingerprints.push(absent(ObjectKind::Device, key, group));
        }
        plan.fingerprints.push(Fingerprint {
            object: ObjectRef::new(ProviderName::Webex, ObjectKind::Device, "DDDDDDDDDDDD", "B"),
            value: Cow::Borrowed("fnv:1"),
        });
        let live = WebexLive {
            customers: [live_customer("A", "org-a"), live_customer("B", "org-b")].into(),
            ..WebexLive::default()
        };
        let checks = prechecks(&plan, &live);
        let asked: Vec<(Option<&str>, Vec<&str>)> = checks
            .macs
            .iter()
            .map(|(org, macs)| (org.as_deref(), macs.iter().map(|m| m.mac.as_str()).collect()))
            .collect();
        assert_eq!(
            asked,
            [
                (Some("org-a"), vec!["BBBBBBBBBBBB"]),
                (Some("org-b"), vec!["CCCCCCCCCCCC"])
            ]
        );
        assert!(checks.customers.is_empty() && checks.subscribers.is_empty());
        assert!(
            prechecks(&Plan::default(), &live).is_empty(),
            "nothing new, nothing asked"
        );
    }

    #[test]
    fn a_busy_customer_has_its_new_subscribers_asked_by_email_only() {
        let mut plan = Plan::default();
        let mut user = act(Op::Create, ObjectKind::User, "a@c.example", "C");
        user.desired = Some(json!({"body": {
            "customerId": "id-C", "email": "a@c.example", "packages": ["webex_calling"],
            "provisioningParameters": {"extension": "1000"}
        }}));
        plan.actions.push(user);
        let live = WebexLive {
            customers: [live_customer("C", "org-c")].into(),
            ..WebexLive::default()
        };
        let quiet = prechecks(&plan, &live);
        assert_eq!(quiet.subscribers.len(), 1);
        assert!(quiet.subscribers[0].1.provisioning_parameters.is_some());
        assert!(quiet.subscribers[0].1.packages.is_some());

        // The same plan also changes the customer's packages: they may be what the user needs.
        plan.actions.insert(0, act(Op::Update, ObjectKind::Customer, "C", "C"));
        let busy = prechecks(&plan, &live);
        let asked = &busy.subscribers[0];
        assert_eq!(asked.0, 1, "the user's action");
        assert_eq!(asked.1.customer_id.as_deref(), Some("id-C"));
        assert!(asked.1.packages.is_none() && asked.1.provisioning_parameters.is_none());
    }

    #[test]
    fn a_refused_mac_is_an_error_at_its_action() {
        let mut plan = Plan::default();
        plan.actions
            .push(act(Op::Create, ObjectKind::Device, "805EC03A710C", "C"));
        let refusal = Refusal::Mac {
            action: 0,
            mac: "805EC03A710C".into(),
            state: "UNAVAILABLE".into(),
            code: Some(5675),
            message: Some("MAC Address is in use".into()),
        };
        record(&mut plan, vec![refusal]);
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(
            plan.errors[0].object.as_ref().map(|o| o.key.as_str()),
            Some("805EC03A710C")
        );
        assert!(
            plan.errors[0].message.contains(
                "MAC 805EC03A710C cannot be added: Webex's validateMacs says UNAVAILABLE (5675: MAC Address is in use)"
            ),
            "{}",
            plan.errors[0].message
        );
    }
}
