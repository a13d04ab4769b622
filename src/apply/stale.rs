//! Is a saved plan still the plan? `telform apply plan.json` plans again from the same folder
//! with the same options, then compares: every object the saved plan read must still have the
//! fingerprint it had, and the actions must be the same. Anything else is named, with how it
//! changed, and nothing is applied.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::plan::{Action, ObjectRef, Plan};

/// One reason a saved plan is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    pub object: ObjectRef,
    pub how: String,
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// How the live object changed, told through the field changes of the two plans: the old
/// value the saved plan showed against the one the fresh plan finds.
fn how_changed(saved: Option<&Action>, fresh: Option<&Action>, saved_fp: &str, fresh_fp: Option<&str>) -> String {
    match (saved_fp, fresh_fp) {
        ("absent", Some(_)) => return "did not exist when planned; it exists now".into(),
        (_, None) | (_, Some("absent")) if saved_fp != "absent" => {
            return "existed when planned; it is gone now".into();
        }
        _ => {}
    }
    let mut parts = Vec::new();
    if let (Some(saved), Some(fresh)) = (saved, fresh) {
        let saved_changes = saved.changes();
        let fresh_changes = fresh.changes();
        let before: HashMap<&str, Option<&Value>> = saved_changes
            .iter()
            .filter(|c| !c.sensitive)
            .map(|c| (c.path.as_str(), c.old.as_ref()))
            .collect();
        for change in fresh_changes.iter().filter(|c| !c.sensitive) {
            let was = before.get(change.path.as_str()).copied().flatten();
            if was != change.old.as_ref() {
                parts.push(format!(
                    "{}: {} when planned, {} now",
                    change.path,
                    value_text(was),
                    value_text(change.old.as_ref())
                ));
            }
        }
    }
    match (saved, fresh) {
        (Some(_), None) => parts.push("it now matches the manifests: the planned change is no longer needed".into()),
        _ if parts.is_empty() => parts.push("changed at the provider since the plan".into()),
        _ => {}
    }
    parts.join("; ")
}

/// Compares a saved plan with a fresh one made from the same folder and options.
pub fn check(saved: &Plan, fresh: &Plan) -> Vec<Staleness> {
    let mut out = Vec::new();
    let fresh_fps: HashMap<&ObjectRef, &str> = fresh.fingerprints.iter().map(|f| (&f.object, &*f.value)).collect();
    let saved_actions: HashMap<&ObjectRef, &Action> = saved.actions.iter().map(|a| (&a.object, a)).collect();
    let fresh_actions: HashMap<&ObjectRef, &Action> = fresh.actions.iter().map(|a| (&a.object, a)).collect();
    let mut named: std::collections::HashSet<&ObjectRef> = std::collections::HashSet::new();
    for fp in &saved.fingerprints {
        let now = fresh_fps.get(&fp.object).copied();
        let same = match now {
            Some(now) => now == fp.value,
            // Not read by the fresh plan: it has no action any more, so it was compared equal
            // to the manifests — or it vanished.
            None => false,
        };
        if !same {
            named.insert(&fp.object);
            out.push(Staleness {
                object: fp.object.clone(),
                how: how_changed(
                    saved_actions.get(&fp.object).copied(),
                    fresh_actions.get(&fp.object).copied(),
                    &fp.value,
                    now,
                ),
            });
        }
    }
    // Same fingerprints, different actions: the manifests changed.
    for action in &saved.actions {
        if named.contains(&action.object) {
            continue;
        }
        let differs = match fresh_actions.get(&action.object) {
            None => true,
            Some(fresh) => {
                fresh.op != action.op || fresh.desired() != action.desired() || fresh.changes() != action.changes()
            }
        };
        if differs {
            named.insert(&action.object);
            out.push(Staleness {
                object: action.object.clone(),
                how: "the manifests changed since the plan: the action would differ".into(),
            });
        }
    }
    for action in &fresh.actions {
        if !saved_actions.contains_key(&action.object) && !named.contains(&action.object) {
            out.push(Staleness {
                object: action.object.clone(),
                how: format!("not in the saved plan: a new {:?} is due", action.op).to_lowercase(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{FieldChange, Fingerprint, ObjectKind, Op, ProviderName};
    use serde_json::json;

    fn number(key: &str, old: &str) -> (Action, Fingerprint) {
        let object = ObjectRef::new(ProviderName::Acg, ObjectKind::Number, key, "contoso");
        (
            Action {
                op: Op::Update,
                object: object.clone(),
                source: None,
                changes: vec![FieldChange {
                    path: "usage".into(),
                    old: Some(json!(old)),
                    new: Some(json!("CallingUserAssignment")),
                    sensitive: false,
                    secret_source: None,
                }],
                reason: None,
                desired: Some(json!({"usage": "CallingUserAssignment"})),
                number: None,
            },
            Fingerprint {
                object,
                value: format!("fnv:{old}").into(),
            },
        )
    }

    fn plan(items: Vec<(Action, Fingerprint)>) -> Plan {
        let (actions, fingerprints) = items.into_iter().unzip();
        Plan {
            actions,
            fingerprints,
            ..Plan::default()
        }
    }

    #[test]
    fn the_same_plan_is_fresh() {
        let a = plan(vec![number("+1", "FirstParty")]);
        assert_eq!(check(&a, &a.clone()), vec![]);
    }

    #[test]
    fn a_changed_object_is_named_with_its_old_and_new_values() {
        let saved = plan(vec![number("+1", "FirstParty"), number("+2", "FirstParty")]);
        let fresh = plan(vec![number("+1", "FirstParty"), number("+2", "ConferenceAssignment")]);
        let stale = check(&saved, &fresh);
        assert_eq!(stale.len(), 1, "{stale:?}");
        assert_eq!(stale[0].object.key, "+2");
        assert_eq!(stale[0].how, "usage: FirstParty when planned, ConferenceAssignment now");
    }

    #[test]
    fn an_object_created_behind_the_plans_back_is_named() {
        let (mut action, mut fp) = number("+3", "x");
        action.op = Op::Create;
        fp.value = "absent".into();
        let saved = plan(vec![(action, fp)]);
        let fresh = plan(vec![]);
        let stale = check(&saved, &fresh);
        assert_eq!(stale.len(), 1);
        assert!(
            stale[0].how.contains("did not exist when planned") || stale[0].how.contains("no longer needed"),
            "{stale:?}"
        );
    }
}
