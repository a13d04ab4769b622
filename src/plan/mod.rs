//! Planning: desired state (manifests) and live state (providers) in, an ordered plan out.
//! Pure: no I/O here, so every rule is unit-testable without a network.

pub mod acg;
pub mod render;
pub mod webex;

use crate::manifest::load::Sources;
use crate::manifest::{ManifestSet, Origin};
use crate::model::acg::AcgLive;
/// Re-exported: every kind's diff uses it; it lives in the plan model, which builds the field
/// changes of compact number actions when read.
pub use crate::model::plan::diff_json;
use crate::model::plan::{self as model, Op, Plan, PlanError, SourceRef};
use crate::model::webex::WebexLive;

/// Default of `--max-deletes`.
pub const DEFAULT_MAX_DELETES: usize = 50;

/// Default of `--max-number-changes`: generous (a plan of this many numbers stays under 2 GB,
/// docs/benchmarks.md), but a bound, so that a few lines of YAML cannot make a plan grow
/// without end.
pub const DEFAULT_MAX_NUMBER_CHANGES: usize = 2_000_000;

/// What the planner knows besides the two states.
pub struct Context<'a> {
    pub sources: &'a Sources,
    /// `--prune`: delete undeclared children of every declared parent.
    pub prune: bool,
    pub max_deletes: usize,
    /// `--max-number-changes`: more numbers created, updated or deleted than this is an error,
    /// found before the plan holds more than this many number actions.
    pub max_number_changes: usize,
    /// Only some manifests were selected (`--selector`): what the others declare is unknown,
    /// so nothing is pruned (an undeclared child may be declared by an unselected manifest).
    pub partial: bool,
    /// Devices (MACs) whose live SIP password is not known for sure: an apply was stopped
    /// between setting a generated one and keeping it (the store's journal says which). Each
    /// gets a password reset, so that the password in force is the one kept.
    pub reset_passwords: &'a std::collections::BTreeSet<String>,
}

impl Context<'_> {
    pub fn source(&self, origin: Origin, manifest: &str) -> SourceRef {
        SourceRef {
            file: self.sources.display(origin.file),
            line: origin.line,
            column: None,
            manifest: manifest.to_string(),
        }
    }
}

/// Live state of every provider the manifests use.
#[derive(Debug, Default)]
pub struct Live {
    pub acg: Option<AcgLive>,
    pub webex: Option<WebexLive>,
}

pub fn plan(set: &ManifestSet, live: &Live, cx: &Context) -> Plan {
    let mut plan = Plan {
        format_version: model::FORMAT_VERSION,
        selected: cx.partial,
        ..Plan::default()
    };
    if let Some(acg_live) = &live.acg {
        acg::diff(set, acg_live, cx, &mut plan);
    }
    if let Some(webex_live) = &live.webex {
        webex::diff(set, webex_live, cx, &mut plan);
    }
    let deletes = plan
        .actions
        .iter()
        .filter(|a| matches!(a.op, Op::Delete | Op::Replace))
        .count();
    if deletes > cx.max_deletes {
        plan.errors.push(PlanError {
            object: None,
            source: None,
            message: format!("the plan deletes {deletes} objects, more than the limit of {}", cx.max_deletes),
            hint: "check the deletions; if they are intended, raise the limit with --max-deletes N (or apply.maxDeletes in telform.yaml)".into(),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn diff_json_reports_paths_of_changed_leaves() {
        let changes = super::diff_json(
            "",
            &json!({"a": {"b": 1, "c": 2}, "d": "x"}),
            &json!({"a": {"b": 1, "c": 3}, "e": true}),
        );
        let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["a.c", "d", "e"]);
        assert_eq!(changes[1].new, None);
        assert_eq!(changes[2].old, None);
    }
}
