//! The plan shown three ways: [`text()`] for terminals, [`markdown()`] for pull-request
//! comments, [`json()`] for machines (docs/plan-format.md). Pure functions: a plan in, a
//! string out; they never compute what changes, only how it reads.
//!
//! Text and markdown share one view of the plan (this module): actions grouped by provider,
//! then by account / customer, with runs of consecutive numbers collapsed into ranges.

mod json;
mod markdown;
mod text;

#[cfg(test)]
mod fixtures;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::plan::{Action, FieldChange, ObjectKind, ObjectRef, Op, Plan, ProviderName, Reason, Summary};

pub use markdown::MARKER;

/// The plan for a terminal: grouped per provider and account / customer, field changes
/// `old → new`, numbers collapsed into ranges, unmanaged and pending objects and errors at the
/// end, then the closing summary line. `styled` adds ANSI colours.
/// The plan's closing line. A plan with errors and no action says so rather than that live
/// state matches the manifests: a refused change is a difference, not "No changes" (issue #13).
pub(crate) fn summary_line(plan: &Plan) -> String {
    if plan.actions.is_empty() && !plan.errors.is_empty() {
        "No changes planned: live state does not match the manifests until the errors are fixed.".to_string()
    } else {
        plan.summary().line()
    }
}

pub fn text(plan: &Plan, styled: bool) -> String {
    text::render(plan, styled)
}

/// The plan as a GitHub pull-request comment, always under GitHub's 65,536-character limit
/// (collapsed, and saying so, when the full plan does not fit). Starts with [`MARKER`].
pub fn markdown(plan: &Plan) -> String {
    markdown::render(plan)
}

/// The plan as pretty JSON, stamped with the current `format_version`.
pub fn json(plan: &Plan) -> String {
    json::render(plan)
}

/// [`json()`] written to `out` as it is made: the JSON of a plan of millions of numbers is
/// gigabytes, never held whole.
pub fn json_to(plan: &Plan, out: impl std::io::Write) -> std::io::Result<()> {
    json::write(plan, out)
}

/// Reads a plan written by [`json()`], refusing a `format_version` this telform does not know.
pub fn from_json(text: &str) -> Result<Plan, String> {
    json::parse(text)
}

/// One provider's share of the plan.
struct Section<'a> {
    provider: ProviderName,
    /// In the order of their keys.
    groups: Vec<Group<'a>>,
}

/// The actions on one account or customer, or on one top-level object that has no group.
struct Group<'a> {
    /// `Account contoso`, `Customer ACME-0001`.
    label: String,
    /// The actions in plan order, numbers collapsed.
    items: Vec<Item<'a>>,
    summary: Summary,
}

/// One line of the plan (before its field changes).
enum Item<'a> {
    One(&'a Action),
    /// Consecutive numbers (`+14255550100`, `+14255550101`, …) with the same op, group,
    /// manifest, reason and field changes: shown as one range.
    Numbers {
        first: &'a Action,
        last: &'a Action,
        count: usize,
        /// The smallest and largest source line of the run.
        lines: (u32, u32),
    },
}

impl<'a> Item<'a> {
    /// The action whose op, reason, source and changes the line shows.
    fn action(&self) -> &'a Action {
        match self {
            Item::One(a) => a,
            Item::Numbers { first, .. } => first,
        }
    }

    /// How many actions the line stands for.
    fn count(&self) -> usize {
        match self {
            Item::One(_) => 1,
            Item::Numbers { count, .. } => *count,
        }
    }

    /// `Number +14255550100`, or `100 numbers +14255550100..+14255550199`.
    fn head(&self) -> String {
        match self {
            Item::One(a) => consent_label(a).unwrap_or_else(|| a.object.to_string()),
            Item::Numbers { first, last, count, .. } => {
                format!("{count} numbers {}..{}", first.object.key, last.object.key)
            }
        }
    }

    /// `file:line`, or `file:first-last` for a run that spans several lines.
    fn source(&self) -> Option<String> {
        let source = self.action().source.as_ref()?;
        Some(match self {
            Item::Numbers { lines: (lo, hi), .. } if lo != hi => format!("{}:{lo}-{hi}", source.file),
            Item::Numbers { lines: (lo, _), .. } => format!("{}:{lo}", source.file),
            Item::One(_) => format!("{}:{}", source.file, source.line),
        })
    }

    /// The field changes to show: for a range, without the one that names the number itself.
    fn changes(&self) -> Vec<FieldChange> {
        match self {
            Item::One(a) => a.changes().into_owned(),
            Item::Numbers { first, .. } => other_changes(first),
        }
    }
}

/// Groups the actions of a plan per provider and per account / customer. Groups are sorted by
/// key so that the output does not depend on how the diff happened to order independent
/// groups; inside a group the plan (dependency) order is kept.
fn sections(plan: &Plan) -> Vec<Section<'_>> {
    let mut groups: BTreeMap<(ProviderName, &str), Vec<&Action>> = BTreeMap::new();
    for action in &plan.actions {
        groups
            .entry((action.object.provider, group_key(&action.object)))
            .or_default()
            .push(action);
    }
    let mut sections: Vec<Section> = Vec::new();
    for ((provider, key), actions) in groups {
        let mut summary = Summary::default();
        for a in &actions {
            summary.record(a.op);
        }
        // The group is named after its own object when the plan touches it (an `Account`, a
        // `Customer`, a top-level `Consent`), else after what groups are on that provider.
        let own = actions.iter().find(|a| top_level(&a.object) && a.object.key == key);
        let kind = own.map(|a| a.object.kind).unwrap_or(match provider {
            ProviderName::Acg => ObjectKind::Account,
            ProviderName::Webex => ObjectKind::Customer,
        });
        let group = Group {
            label: own
                .and_then(|a| consent_label(a))
                .unwrap_or_else(|| format!("{kind} {key}")),
            items: collapse(&actions),
            summary,
        };
        match sections.last_mut() {
            Some(section) if section.provider == provider => section.groups.push(group),
            _ => sections.push(Section {
                provider,
                groups: vec![group],
            }),
        }
    }
    sections
}

/// A consent by the name its manifest gives it, with its tenant: `Consent contoso (tenant
/// 8c2f…)`. Its key alone is a tenant id no reviewer recognises.
fn consent_label(action: &Action) -> Option<String> {
    if action.object.kind != ObjectKind::Consent {
        return None;
    }
    let name = action.source.as_ref()?.manifest.strip_prefix("Consent/")?;
    Some(format!("Consent {name} (tenant {})", action.object.key))
}

/// The group an object is shown under: its account or customer, else its own key.
fn group_key(object: &ObjectRef) -> &str {
    if object.group.is_empty() {
        &object.key
    } else {
        &object.group
    }
}

/// An account, a customer, a consent: an object that is not inside another. The model says
/// their group is empty; a group equal to the object's own key means the same.
fn top_level(object: &ObjectRef) -> bool {
    object.group.is_empty() || object.group == object.key
}

/// Collapses runs of consecutive numbers (see [`Item::Numbers`]). A run of one stays a
/// single line.
fn collapse<'a>(actions: &[&'a Action]) -> Vec<Item<'a>> {
    let mut items = Vec::with_capacity(actions.len());
    let mut i = 0;
    while i < actions.len() {
        let first = actions[i];
        let mut j = i + 1;
        let mut lines = first.source.as_ref().map_or((0, 0), |s| (s.line, s.line));
        if let Some(mut previous) = number_value(first) {
            while let Some(next) = actions.get(j) {
                match number_value(next) {
                    Some(n) if n == previous + 1 && next.object.key.len() == first.object.key.len() => {}
                    _ => break,
                }
                if !same_run(first, next) {
                    break;
                }
                previous += 1;
                if let Some(s) = &next.source {
                    lines = (lines.0.min(s.line), lines.1.max(s.line));
                }
                j += 1;
            }
        }
        items.push(if j - i == 1 {
            Item::One(first)
        } else {
            Item::Numbers {
                first,
                last: actions[j - 1],
                count: j - i,
                lines,
            }
        });
        i = j;
    }
    items
}

/// The value of an E.164 number key (`+` and at most 15 digits), for a `Number` action.
fn number_value(action: &Action) -> Option<u64> {
    if action.object.kind != ObjectKind::Number {
        return None;
    }
    let digits = action.object.key.strip_prefix('+')?;
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether two number actions differ only by the number: then one line can show both.
fn same_run(a: &Action, b: &Action) -> bool {
    let same_source = match (&a.source, &b.source) {
        (None, None) => true,
        (Some(x), Some(y)) => x.file == y.file && x.manifest == y.manifest,
        _ => false,
    };
    a.op == b.op
        && a.object.provider == b.object.provider
        && a.object.group == b.object.group
        && a.reason == b.reason
        && same_source
        && other_changes(a) == other_changes(b)
}

/// The changes of an action but the one naming the object itself (built on demand: a number
/// action holds its changes compactly, see [`Action::changes`]).
fn other_changes(action: &Action) -> Vec<FieldChange> {
    action
        .changes()
        .iter()
        .filter(|c| !names_itself(action, c))
        .cloned()
        .collect()
}

/// A change whose value is the object's own key (`number: "+14255550100"` on a create).
fn names_itself(action: &Action, change: &FieldChange) -> bool {
    let key = action.object.key.as_str();
    let is_key = |v: &Option<Value>| v.as_ref().and_then(Value::as_str) == Some(key);
    is_key(&change.new) || is_key(&change.old)
}

/// `252 to add, 1 to delete` (zeros left out).
fn phrase(summary: &Summary) -> String {
    let parts: Vec<String> = [
        (summary.add, "add"),
        (summary.change, "change"),
        (summary.delete, "delete"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, verb)| format!("{n} to {verb}"))
    .collect();
    if parts.is_empty() {
        "no changes".to_string()
    } else {
        parts.join(", ")
    }
}

/// Why an action is in the plan, in words; `None` when the manifest simply says so.
fn reason_words(action: &Action) -> Option<String> {
    Some(match &action.reason {
        Some(Reason::EnsureAbsent) => "ensure: absent".to_string(),
        Some(Reason::Pruned) => "pruned: not declared under its parent, and prune is on".to_string(),
        Some(Reason::Immutable { field }) => format!("replace: {field} cannot change in place"),
        Some(Reason::PasswordReset) => "SIP password reset".to_string(),
        None if action.op == Op::Replace => "replace".to_string(),
        None => return None,
    })
}

/// `3 accounts, 120 numbers` for a list of objects, per provider and kind.
fn kind_counts<'a>(objects: impl Iterator<Item = &'a ObjectRef>) -> String {
    let mut counts: BTreeMap<(ProviderName, &str), usize> = BTreeMap::new();
    for o in objects {
        *counts.entry((o.provider, o.kind.as_str())).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((_, kind), n)| format!("{n} {}", noun(kind, n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `NumberSet` → `number set` / `number sets`.
fn noun(kind: &str, n: usize) -> String {
    let mut word = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            word.push(' ');
        }
        word.extend(c.to_lowercase());
    }
    if n == 1 {
        word
    } else if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        word + "es"
    } else if word.ends_with('y') && !word.ends_with("ey") && !word.ends_with("ay") {
        word.pop();
        word + "ies"
    } else {
        word + "s"
    }
}

/// The unmanaged objects to name as examples: sorted, at most `max`.
fn unmanaged_examples(plan: &Plan, max: usize) -> Vec<String> {
    let mut objects: Vec<&ObjectRef> = plan.unmanaged.iter().map(|u| &u.object).collect();
    objects.sort();
    objects.into_iter().take(max).map(describe).collect()
}

/// `Number +14255550100 in contoso`, or `Account contoso` for a top-level object.
fn describe(object: &ObjectRef) -> String {
    if top_level(object) {
        object.to_string()
    } else {
        format!("{object} in {}", object.group)
    }
}

/// Text from the providers (names, keys, statuses) may hold control characters; shown as
/// escapes so that a live object's name cannot move the cursor or recolour a terminal, nor
/// break out of a markdown block.
fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::model::plan::{FORMAT_VERSION, Unmanaged};

    fn heads(plan: &Plan) -> Vec<String> {
        sections(plan)
            .iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| &g.items)
            .map(Item::head)
            .collect()
    }

    #[test]
    fn consecutive_numbers_with_the_same_attributes_collapse() {
        let plan = plan(numbers(Op::Create, "contoso", 14255550100, 100, &[("usage", "user")]));
        assert_eq!(heads(&plan), ["100 numbers +14255550100..+14255550199"]);
    }

    #[test]
    fn collapsing_keeps_apart_what_differs() {
        let mut actions = numbers(Op::Create, "contoso", 14255550100, 3, &[("usage", "user")]);
        // Different attribute.
        actions.extend(numbers(
            Op::Create,
            "contoso",
            14255550103,
            2,
            &[("usage", "conference")],
        ));
        // A gap: +14255550106 is missing.
        actions.extend(numbers(
            Op::Create,
            "contoso",
            14255550107,
            2,
            &[("usage", "conference")],
        ));
        // Same value, different op.
        actions.extend(numbers(
            Op::Update,
            "contoso",
            14255550109,
            2,
            &[("usage", "conference")],
        ));
        // Same op and values, another account.
        actions.extend(numbers(
            Op::Update,
            "fabrikam",
            14255550111,
            2,
            &[("usage", "conference")],
        ));
        // Numerically consecutive, but one digit longer: not the same numbering range.
        actions.extend(numbers(Op::Update, "fabrikam", 9999, 1, &[("usage", "conference")]));
        actions.extend(numbers(Op::Update, "fabrikam", 10000, 1, &[("usage", "conference")]));
        // Alone: stays a single line.
        actions.extend(numbers(Op::Delete, "fabrikam", 14255550200, 1, &[]));
        let mut reasoned = numbers(Op::Delete, "fabrikam", 14255550201, 2, &[]);
        reasoned[0].reason = Some(Reason::Pruned);
        actions.extend(reasoned);
        assert_eq!(
            heads(&plan(actions)),
            [
                "3 numbers +14255550100..+14255550102",
                "2 numbers +14255550103..+14255550104",
                "2 numbers +14255550107..+14255550108",
                "2 numbers +14255550109..+14255550110",
                "2 numbers +14255550111..+14255550112",
                "Number +9999",
                "Number +10000",
                "Number +14255550200",
                "Number +14255550201",
                "Number +14255550202",
            ]
        );
    }

    #[test]
    fn a_change_naming_the_number_itself_does_not_prevent_collapsing() {
        let mut actions = numbers(Op::Create, "contoso", 14255550100, 2, &[("usage", "user")]);
        for a in &mut actions {
            let key = a.object.key.clone();
            a.changes.insert(0, change("number", None, Some(Value::from(key))));
        }
        let plan = plan(actions);
        let text = text(&plan, false);
        assert!(text.contains("+ 2 numbers +14255550100..+14255550101"), "{text}");
        assert!(!text.contains("number: "), "{text}");
    }

    #[test]
    fn groups_are_named_after_their_object_or_the_provider_grouping() {
        let plan = mixed();
        let labels: Vec<String> = sections(&plan)
            .iter()
            .flat_map(|s| &s.groups)
            .map(|g| g.label.clone())
            .collect();
        assert!(labels.contains(&"Account contoso".to_string()), "{labels:?}");
        assert!(
            labels.contains(&"Consent litware (tenant 6d1e2f3a-4b5c-4d6e-9f70-8192a3b4c5d6)".to_string()),
            "{labels:?}"
        );
        assert!(labels.contains(&"Customer ACME-0001".to_string()), "{labels:?}");
    }

    #[test]
    fn an_object_grouped_under_its_own_key_is_top_level() {
        let mut plan = mixed();
        for a in &mut plan.actions {
            if a.object.group.is_empty() {
                a.object.group = a.object.key.clone();
            }
        }
        for u in &mut plan.unmanaged {
            if u.object.group.is_empty() {
                u.object.group = u.object.key.clone();
            }
        }
        assert_eq!(text(&plan, false), text(&mixed(), false));
        assert_eq!(markdown(&plan), markdown(&mixed()));
    }

    #[test]
    fn nouns() {
        assert_eq!(noun("Number", 1), "number");
        assert_eq!(noun("Number", 2), "numbers");
        assert_eq!(noun("NumberSet", 2), "number sets");
        assert_eq!(noun("Address", 2), "addresses");
        assert_eq!(noun("Policy", 3), "policies");
        assert_eq!(
            kind_counts(mixed().unmanaged.iter().map(|u| &u.object)),
            "3 accounts, 12 numbers, 1 customer, 2 users"
        );
    }

    #[test]
    fn control_characters_from_live_names_are_escaped() {
        let plan = Plan {
            format_version: FORMAT_VERSION,
            unmanaged: vec![Unmanaged {
                object: ObjectRef::new(
                    ProviderName::Webex,
                    ObjectKind::Workspace,
                    "Salle\u{1b}[2J\nMars",
                    "ACME-0001",
                ),
            }],
            ..Plan::default()
        };
        let text = text(&plan, false);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("Salle\\u{1b}[2J\\nMars"), "{text:?}");
        assert!(!markdown(&plan).contains('\u{1b}'));
    }
}
