//! Fields sent only when an object is created (`fields::Outcome::AtCreation`: a customer's
//! `template` and `language`, a location's `announcementLanguage`): no API changes them nor
//! reads them back, so the diff of live state never sees an edit of one. A plan scoped to a pull
//! request knows the manifest at its base revision: an edit found there, of an object that
//! exists, fails the plan for that object by name (issue #13), at the field. An object the plan
//! creates is simply created with the new value.

use serde_json::Value;

use super::P;
use crate::manifest::Kind;
use crate::model::fields::{self, CreationEdit, Outcome};
use crate::model::plan::{ObjectKind, ObjectRef, Op, Plan, PlanError, Reason, SourceRef};
use crate::model::webex::{WebexLive, mac_key};
use crate::wire::webex as wire;

/// One plan error for each edit of `edits` whose object exists at Webex; `since` is the
/// revision the manifests were compared with.
pub fn refuse_edits(plan: &mut Plan, live: &WebexLive, edits: &[(CreationEdit, SourceRef)], since: &str) {
    for (edit, source) in edits {
        let Some(object) = existing(live, edit) else {
            continue;
        };
        if edit.kind == Kind::Device {
            refuse_password_source(plan, object, source, since);
            continue;
        }
        let Some(Outcome::AtCreation { why, fix }) = fields::outcome(edit.kind, edit.field) else {
            continue;
        };
        let field = edit.field.strip_prefix("spec.").unwrap_or(edit.field);
        let what = match edit.kind {
            Kind::Customer => "customer",
            _ => "location",
        };
        plan.errors.push(PlanError {
            object: Some(object),
            source: Some(source.clone()),
            message: format!(
                "`{field}` changed since {since} ({} → {}), and the {what} exists: {why}, so no apply can change it",
                shown(&edit.old),
                shown(&edit.new)
            ),
            hint: format!(
                "{fix}; or put back {} (a new {what} is created with what the manifest says)",
                shown(&edit.old)
            ),
        });
    }
}

/// A device's SIP password source changed with its `rotation` kept: refused unless the plan sets
/// the password anyway (the device is created or replaced, or its password reset), from the new
/// source.
fn refuse_password_source(plan: &mut Plan, object: ObjectRef, source: &SourceRef, since: &str) {
    let sets_password = plan.actions.iter().any(|a| {
        a.object.kind == ObjectKind::Device
            && a.object.key == object.key
            && (matches!(a.op, Op::Create | Op::Replace) || a.reason == Some(Reason::PasswordReset))
    });
    if sets_password {
        return;
    }
    plan.errors.push(PlanError {
        object: Some(object),
        source: Some(source.clone()),
        message: format!(
            "the source of `sipPassword` changed since {since} but its `rotation` did not, and the device exists: a source is read only when a password is set, and no API reads a password back, so this plan would set nothing and the device would keep its password"
        ),
        hint: "to set the password from the new source, bump `sipPassword.rotation` with it; to keep the password, put back the former source".to_string(),
    });
}

/// A value as the message shows it: JSON, cut short. The old value comes from the repository at
/// a revision nobody reviewed here, so it is no more trusted than a manifest, and may be long.
fn shown(value: &Option<Value>) -> String {
    const MAX: usize = 60;
    let Some(value) = value else {
        return "(none)".to_string();
    };
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The live object an edit is about, when it exists (a customer Webex is deleting does not: it
/// is created again, with the new value).
fn existing(live: &WebexLive, edit: &CreationEdit) -> Option<ObjectRef> {
    let customer = live.customers.get(&edit.customer)?;
    if customer.status == wire::CUSTOMER_DELETING {
        return None;
    }
    match (edit.kind, &edit.name) {
        (Kind::Customer, _) => Some(ObjectRef::new(P, ObjectKind::Customer, &edit.customer, &edit.customer)),
        (Kind::Device, Some(mac)) => {
            let org = live.orgs.get(&edit.customer)?;
            let mac = mac_key(mac);
            org.devices
                .iter()
                .any(|d| d.mac().is_some_and(|m| mac_key(m) == mac))
                .then(|| ObjectRef::new(P, ObjectKind::Device, &mac, &edit.customer))
        }
        (Kind::Location, Some(name)) => {
            // An organisation not read (still provisioning) holds no location yet.
            let org = live.orgs.get(&edit.customer)?;
            org.locations
                .iter()
                .any(|l| l.name.eq_ignore_ascii_case(name))
                .then(|| ObjectRef::new(P, ObjectKind::Location, name, &edit.customer))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::webex::OrgLive;

    fn edit(kind: Kind, location: Option<&str>, field: &'static str) -> (CreationEdit, SourceRef) {
        (
            CreationEdit {
                kind,
                customer: "ACME-0001".into(),
                name: location.map(str::to_string),
                field,
                old: Some(json!("fr_fr")),
                new: Some(json!("en_us")),
            },
            SourceRef {
                file: "webex/acme.yaml".into(),
                line: 7,
                column: Some(3),
                manifest: "Customer/acme".into(),
            },
        )
    }

    fn live(status: &str, locations: &[&str]) -> WebexLive {
        let mut live = WebexLive::default();
        live.customers.insert(
            "ACME-0001".into(),
            wire::Customer {
                id: "c1".into(),
                status: status.into(),
                ..Default::default()
            },
        );
        let org = OrgLive {
            locations: locations
                .iter()
                .map(|name| wire::Location {
                    name: name.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        live.orgs.insert("ACME-0001".into(), org);
        live
    }

    #[test]
    fn an_edit_of_an_existing_object_is_refused_by_name_at_the_field() {
        let mut plan = Plan::default();
        let edits = [
            edit(Kind::Customer, None, "spec.language"),
            edit(Kind::Location, Some("lyon"), "spec.announcementLanguage"),
        ];
        refuse_edits(
            &mut plan,
            &live(wire::CUSTOMER_PROVISIONED, &["Lyon"]),
            &edits,
            "HEAD~1",
        );
        assert_eq!(plan.errors.len(), 2, "{:?}", plan.errors);
        let customer = &plan.errors[0];
        assert_eq!(customer.object.as_ref().map(|o| o.kind), Some(ObjectKind::Customer));
        assert!(
            customer
                .message
                .starts_with("`language` changed since HEAD~1 (\"fr_fr\" → \"en_us\")"),
            "{}",
            customer.message
        );
        assert!(customer.message.contains("never returns it"), "{}", customer.message);
        assert!(customer.hint.contains("Partner Hub"), "{}", customer.hint);
        assert_eq!(customer.source.as_ref().map(SourceRef::position), Some("7:3".into()));
        let location = &plan.errors[1];
        assert_eq!(location.object.as_ref().map(|o| o.kind), Some(ObjectKind::Location));
        assert!(
            location.message.contains("`announcementLanguage`"),
            "{}",
            location.message
        );
        assert!(location.hint.contains("Control Hub"), "{}", location.hint);
    }

    #[test]
    fn an_edit_of_an_object_the_plan_creates_is_no_error() {
        let mut plan = Plan::default();
        let edits = [
            edit(Kind::Customer, None, "spec.template"),
            edit(Kind::Location, Some("Nice"), "spec.announcementLanguage"),
        ];
        // No customer: it is created.
        refuse_edits(&mut plan, &WebexLive::default(), &edits, "HEAD~1");
        // A customer Webex is deleting is created again; a location not there is created.
        refuse_edits(&mut plan, &live(wire::CUSTOMER_DELETING, &[]), &edits[..1], "HEAD~1");
        refuse_edits(
            &mut plan,
            &live(wire::CUSTOMER_PROVISIONED, &["Lyon"]),
            &edits[1..],
            "HEAD~1",
        );
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    }

    #[test]
    fn a_value_from_the_revision_is_shown_escaped() {
        // Written by whoever committed the revision: a line break or a terminal escape would
        // start a line of its own (a CI workflow command, a forged diagnostic) or recolour it.
        let hostile = shown(&Some(json!("fr_FR\n::error file=x::forged\u{1b}[31m")));
        assert!(!hostile.contains('\n') && !hostile.contains('\u{1b}'), "{hostile}");
        assert!(hostile.contains("\\n::error"), "{hostile}");
    }

    #[test]
    fn a_long_value_is_cut_short() {
        assert_eq!(shown(&None), "(none)");
        assert_eq!(shown(&Some(json!("fr_FR"))), "\"fr_FR\"");
        let long = shown(&Some(json!("é".repeat(500))));
        assert_eq!(long.chars().count(), 61, "{long}");
        assert!(long.ends_with('…'));
    }
}
