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
use crate::model::webex::{WebexLive, mac_key};
use crate::wire::webex as wire;

/// The questions for one plan.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Prechecks {
    /// The MACs of new devices by the organisation they are added to (`None`: the organisation
    /// of a customer this plan creates, so the partner's own): one `validateMacs` call each.
    pub macs: BTreeMap<Option<String>, Vec<MacCheck>>,
    /// `POST /wholesale/customers/validate`, with the index of the creating action.
    pub customers: Vec<(usize, wire::CustomerPrecheck)>,
    /// `POST /wholesale/subscribers/validate`, with the index of the creating action.
    pub subscribers: Vec<(usize, wire::SubscriberPrecheck)>,
}

impl Prechecks {
    pub fn is_empty(&self) -> bool {
        self.macs.is_empty() && self.customers.is_empty() && self.subscribers.is_empty()
    }
}

/// One new device's MAC (its plan key: upper-case hex) and the index of its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacCheck {
    pub mac: String,
    pub action: usize,
}

/// What Webex said no to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A MAC `validateMacs` did not find `AVAILABLE`.
    Mac {
        action: usize,
        mac: String,
        state: String,
        code: Option<i64>,
        message: Option<String>,
    },
    /// A customer or subscriber precheck answered with an error.
    Object {
        action: usize,
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
}

/// The questions to ask before `plan` is shown.
pub fn prechecks(plan: &Plan, live: &WebexLive) -> Prechecks {
    let webex = |a: &&Action| a.object.provider == ProviderName::Webex;
    let mut checks = Prechecks::default();
    // Devices that exist now and that the plan removes first: their MACs are free by the time
    // the device is added (a device moved to another customer, or re-added with a workspace
    // this plan replaces).
    let mut freed: BTreeSet<&str> = BTreeSet::new();
    for a in plan.actions.iter().filter(webex) {
        match (a.object.kind, a.op) {
            (ObjectKind::Device, Op::Delete | Op::Replace) => {
                freed.insert(&a.object.key);
            }
            (ObjectKind::Customer, Op::Replace | Op::Delete) => {
                if let Some(org) = live.orgs.get(&a.object.key) {
                    freed.extend(org.devices.iter().filter_map(|d| d.mac()));
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

/// The refusals in one `validateMacs` answer to `asked`. The answer's entries are matched by
/// MAC (any notation), else by position.
pub fn mac_refusals(asked: &[MacCheck], answer: &wire::ValidateMacsResponse) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    for (i, status) in answer.mac_status.iter().enumerate() {
        if status.state == "AVAILABLE" {
            continue;
        }
        let key = mac_key(&status.mac);
        let Some(check) = asked.iter().find(|c| c.mac == key).or_else(|| asked.get(i)) else {
            continue;
        };
        refusals.push(Refusal::Mac {
            action: check.action,
            mac: check.mac.clone(),
            state: status.state.clone(),
            code: status.error_code,
            message: status.message.clone(),
        });
    }
    refusals
}
