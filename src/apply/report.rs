//! The result table at the end of an apply: what was done, what failed and why, what was
//! skipped because of which failure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Outcome, Status};
use crate::model::plan::Summary;

/// Rows of one kind of result in one group past this are collapsed into a count and the
/// first and last object (a 100,000-number apply must stay readable); failures never are.
const COLLAPSE_OVER: usize = 12;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub done: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn totals(outcomes: &[Outcome]) -> Totals {
    let mut t = Totals::default();
    for o in outcomes {
        match o.status {
            Status::Done => t.done += 1,
            Status::Unchanged => t.unchanged += 1,
            Status::Failed { .. } => t.failed += 1,
            Status::Skipped { .. } => t.skipped += 1,
        }
    }
    t
}

fn label(status: &Status) -> &'static str {
    match status {
        Status::Done => "done",
        Status::Unchanged => "unchanged",
        Status::Failed { .. } => "FAILED",
        Status::Skipped { .. } => "skipped",
    }
}

/// The table for people.
pub fn text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    if outcomes.is_empty() {
        out.push_str("Nothing to apply. Live state matches the manifests.\n");
        return out;
    }
    // Group, then rows in the order they ran.
    let mut groups: BTreeMap<(String, &str), Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        let title = if o.object.group.is_empty() {
            o.object.provider.title()
        } else {
            o.object.group.as_str()
        };
        groups
            .entry((format!("{:?}", o.object.provider), title))
            .or_default()
            .push(o);
    }
    out.push_str("\nApply results:\n");
    for ((_, title), rows) in &groups {
        out.push_str(&format!("\n  {title}\n"));
        // Runs of the same kind, op and status are collapsed past a size.
        let mut i = 0;
        while i < rows.len() {
            let first = rows[i];
            // Same kind, op and status, and the same reason or cause: a failed batch of 100
            // numbers is one row with its reason once.
            let same = |o: &&Outcome| {
                o.object.kind == first.object.kind
                    && o.op == first.op
                    && o.status == first.status
                    && o.detail == first.detail
            };
            let run = rows[i..].iter().take_while(|o| same(o)).count();
            let collapse = run > COLLAPSE_OVER;
            let o = first;
            if collapse {
                let last = rows[i + run - 1];
                // `a..b` is the plan's notation for a contiguous range: only used for one.
                let contiguous = rows[i..i + run]
                    .windows(2)
                    .all(|w| follows(&w[0].object.key, &w[1].object.key));
                let span = if contiguous {
                    format!("{}..{}", o.object.key, last.object.key)
                } else {
                    format!("from {} to {}, not contiguous", o.object.key, last.object.key)
                };
                out.push_str(&format!(
                    "    {:<9} {} {} {}s {span}",
                    label(&o.status),
                    o.op.symbol(),
                    run,
                    o.object.kind,
                ));
            } else {
                out.push_str(&format!("    {:<9} {} {}", label(&o.status), o.op.symbol(), o.object));
            }
            match &o.status {
                Status::Failed { reason } => {
                    out.push_str(":\n");
                    for line in reason.lines() {
                        out.push_str(&format!("                {line}\n"));
                    }
                }
                Status::Skipped { because } => out.push_str(&format!(" ({because})\n")),
                _ => out.push('\n'),
            }
            if let Some(detail) = &o.detail {
                out.push_str(&format!("                {detail}\n"));
            }
            i += if collapse { run } else { 1 };
        }
    }
    out.push('\n');
    out.push_str(&closing_line(outcomes));
    out.push('\n');
    out
}

/// `Apply complete! …` or `Apply failed: …`.
pub fn closing_line(outcomes: &[Outcome]) -> String {
    let t = totals(outcomes);
    let mut done = Summary::default();
    for o in outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Done | Status::Unchanged))
    {
        done.record(o.op);
    }
    let applied = format!("{} added, {} changed, {} deleted", done.add, done.change, done.delete);
    let interrupted = outcomes
        .iter()
        .filter(|o| matches!(&o.status, Status::Skipped { because } if because == super::INTERRUPTED))
        .count();
    if t.failed + t.skipped == 0 {
        format!("Apply complete! Resources: {applied}.")
    } else if interrupted > 0 && t.failed == 0 {
        format!(
            "Apply interrupted: {interrupted} not started; {applied}. Run `telform apply` again when you are ready: it resumes from what is live."
        )
    } else if interrupted > 0 {
        format!(
            "Apply interrupted, with failures: {} failed, {interrupted} not started, {} skipped; {applied}. Fix the failures, then run `telform apply` again: it resumes from what is live.",
            t.failed,
            t.skipped - interrupted
        )
    } else {
        format!(
            "Apply failed: {} failed, {} skipped; {applied}. Fix the failures, then run `telform apply` again: it resumes from what is live.",
            t.failed, t.skipped
        )
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    totals: Totals,
    outcomes: &'a [Outcome],
}

pub fn json(outcomes: &[Outcome]) -> String {
    let report = JsonReport {
        format_version: 1,
        totals: totals(outcomes),
        outcomes,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// `next` is the number right after `key` (`+14255550100`, `+14255550101`), digits for digits.
fn follows(key: &str, next: &str) -> bool {
    let (Some(a), Some(b)) = (key.strip_prefix('+'), next.strip_prefix('+')) else {
        return false;
    };
    a.len() == b.len() && matches!((a.parse::<u64>(), b.parse::<u64>()), (Ok(a), Ok(b)) if a.checked_add(1) == Some(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{ObjectKind, ObjectRef, Op, ProviderName};

    fn outcome(key: &str, status: Status) -> Outcome {
        Outcome {
            op: Op::Create,
            object: ObjectRef::new(ProviderName::Acg, ObjectKind::Number, key, "contoso"),
            status,
            detail: None,
        }
    }

    #[test]
    fn long_runs_collapse_and_failures_stay_listed() {
        let mut outcomes: Vec<Outcome> = (0..100)
            .map(|i| outcome(&format!("+1425555{i:04}"), Status::Done))
            .collect();
        outcomes.push(outcome(
            "+14255559999",
            Status::Failed {
                reason: "ACG: cannot write\nhint: retry".into(),
            },
        ));
        outcomes.push(outcome(
            "+14255559998",
            Status::Skipped {
                because: "Account contoso failed".into(),
            },
        ));
        let text = text(&outcomes);
        assert!(
            text.contains("done      + 100 Numbers +14255550000..+14255550099"),
            "{text}"
        );
        assert!(
            text.contains(
                "FAILED    + Number +14255559999:\n                ACG: cannot write\n                hint: retry"
            ),
            "{text}"
        );
        assert!(
            text.contains("skipped   + Number +14255559998 (Account contoso failed)"),
            "{text}"
        );
        assert!(
            text.contains("Apply failed: 1 failed, 1 skipped; 100 added, 0 changed, 0 deleted."),
            "{text}"
        );
    }

    #[test]
    fn an_interrupted_apply_says_so_rather_than_failed() {
        let mut outcomes: Vec<Outcome> = (0..3)
            .map(|i| outcome(&format!("+1425555{i:04}"), Status::Done))
            .collect();
        outcomes.extend((3..8).map(|i| {
            outcome(
                &format!("+1425555{i:04}"),
                Status::Skipped {
                    because: super::super::INTERRUPTED.into(),
                },
            )
        }));
        let line = closing_line(&outcomes);
        assert!(line.starts_with("Apply interrupted: 5 not started; 3 added"), "{line}");
        assert!(!line.contains("Fix the failures"), "{line}");
        outcomes.push(outcome(
            "+14255559999",
            Status::Failed {
                reason: "ACG: HTTP 400".into(),
            },
        ));
        let line = closing_line(&outcomes);
        assert!(
            line.starts_with("Apply interrupted, with failures: 1 failed, 5 not started, 0 skipped"),
            "{line}"
        );
    }

    #[test]
    fn numbers_that_are_not_contiguous_are_not_written_as_a_range() {
        let outcomes: Vec<Outcome> = (0..100)
            .map(|i| outcome(&format!("+1425555{:04}", i * 2), Status::Done))
            .collect();
        let text = text(&outcomes);
        assert!(
            text.contains("done      + 100 Numbers from +14255550000 to +14255550198, not contiguous"),
            "{text}"
        );
        assert!(!text.contains(".."), "{text}");
        assert!(follows("+14255550099", "+14255550100"));
        assert!(!follows("+14255550099", "+142555500100"));
        assert!(!follows("+19", "+20x"));
    }

    #[test]
    fn a_failed_batch_is_one_row_with_its_reason_once() {
        let failure = Status::Failed {
            reason: "ACG: cannot write 100 numbers: HTTP 400".into(),
        };
        let outcomes: Vec<Outcome> = (0..100)
            .map(|i| outcome(&format!("+1425555{i:04}"), failure.clone()))
            .collect();
        let text = text(&outcomes);
        assert_eq!(text.matches("HTTP 400").count(), 1, "{text}");
        assert!(
            text.contains("FAILED    + 100 Numbers +14255550000..+14255550099:"),
            "{text}"
        );
    }

    #[test]
    fn a_clean_run_says_complete() {
        let outcomes = vec![outcome("+1", Status::Done), outcome("+2", Status::Unchanged)];
        assert_eq!(
            closing_line(&outcomes),
            "Apply complete! Resources: 2 added, 0 changed, 0 deleted."
        );
    }
}
