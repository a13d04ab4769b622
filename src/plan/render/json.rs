//! The plan for machines and for `apply plan.json`: the serde form of [`Plan`], versioned and
//! documented in docs/plan-format.md.

use std::borrow::Cow;
use std::io::Write;

use serde::Deserialize;
use serde_json::Value;

use crate::model::plan::{FORMAT_VERSION, Plan};

pub(super) fn render(plan: &Plan) -> String {
    let plan = stamped(plan);
    let mut out = serde_json::to_string_pretty(&*plan).expect("a plan is plain data: it always serialises");
    out.push('\n');
    out
}

/// The same as [`render`], written to `out` as it is serialised.
pub(super) fn write(plan: &Plan, out: impl std::io::Write) -> std::io::Result<()> {
    let plan = stamped(plan);
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &*plan).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The plan with the current `format_version` and without any value on a sensitive change
/// (the diff never records one; this makes sure a bug there cannot put a secret in a file).
/// Borrowed when nothing needs fixing: a plan can hold a million actions.
fn stamped(plan: &Plan) -> Cow<'_, Plan> {
    // A number action held compactly (`Action::number`) has no sensitive field: its empty
    // `changes` are all there is to look at here.
    let leaks = |plan: &Plan| {
        plan.actions
            .iter()
            .flat_map(|a| &a.changes)
            .any(|c| c.sensitive && (c.old.is_some() || c.new.is_some()))
    };
    if plan.format_version == FORMAT_VERSION && !leaks(plan) {
        return Cow::Borrowed(plan);
    }
    let mut plan = plan.clone();
    plan.format_version = FORMAT_VERSION;
    for change in plan
        .actions
        .iter_mut()
        .flat_map(|a| &mut a.changes)
        .filter(|c| c.sensitive)
    {
        change.old = None;
        change.new = None;
    }
    Cow::Owned(plan)
}

/// Only the version, read first so that a plan from another version is refused with a clear
/// message rather than a confusing "missing field".
#[derive(Deserialize)]
struct Version {
    format_version: Option<Value>,
}

pub(super) fn parse(text: &str) -> Result<Plan, String> {
    let version = serde_json::from_str::<Version>(text)
        .map_err(|e| format!("not a telform plan: {e}"))?
        .format_version
        .ok_or("not a telform plan: it has no `format_version`; make one with `telform plan -o plan.json`")?;
    match version.as_u64() {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(format!(
                "the plan has format_version {v}, newer than this telform reads ({FORMAT_VERSION}): \
                 upgrade telform, or make the plan again with this version (`telform plan -o plan.json`)"
            ));
        }
        _ => {
            return Err(format!(
                "the plan has an unknown format_version {version} (this telform reads version \
                 {FORMAT_VERSION}): make the plan again with `telform plan -o plan.json`"
            ));
        }
    }
    serde_json::from_str(text).map_err(|e| format!("the plan does not match format_version {FORMAT_VERSION}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::super::{from_json, json};
    use crate::model::plan::{FORMAT_VERSION, Plan};

    #[test]
    fn creation() {
        insta::assert_snapshot!(json(&fixtures::creation()));
    }

    #[test]
    fn written_as_it_is_made_the_same_bytes() {
        for plan in [fixtures::creation(), fixtures::mixed()] {
            let mut written = Vec::new();
            super::super::json_to(&plan, &mut written).expect("written");
            assert_eq!(String::from_utf8(written).expect("utf-8"), json(&plan));
        }
    }

    #[test]
    fn mixed() {
        insta::assert_snapshot!(json(&fixtures::mixed()));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(json(&fixtures::empty()));
    }

    #[test]
    fn round_trip() {
        for plan in [fixtures::creation(), fixtures::mixed(), fixtures::empty()] {
            assert_eq!(from_json(&json(&plan)), Ok(plan));
        }
    }

    #[test]
    fn stamps_the_current_version() {
        let plan = Plan {
            format_version: 0,
            ..fixtures::mixed()
        };
        let back = from_json(&json(&plan)).unwrap();
        assert_eq!(back.format_version, FORMAT_VERSION);
        assert_eq!(back.actions, plan.actions);
    }

    /// The example in docs/plan-format.md is exactly what telform writes for that plan.
    #[test]
    fn the_documented_example_is_current() {
        let doc = include_str!("../../../docs/plan-format.md");
        let start = doc.find("```json\n").expect("a json example in docs/plan-format.md") + "```json\n".len();
        let example = &doc[start..start + doc[start..].find("```").unwrap()];
        let plan = from_json(example).unwrap();
        assert_eq!(json(&plan), example);
        let text = super::super::text(&plan, false);
        assert!(
            doc.contains(&format!("```\n{text}```")),
            "the text example is not current:\n{text}"
        );
    }

    #[test]
    fn unknown_versions_are_refused() {
        let with = |version: &str| {
            json(&fixtures::mixed()).replacen(
                &format!("\"format_version\": {FORMAT_VERSION}"),
                &format!("\"format_version\": {version}"),
                1,
            )
        };
        let newer = from_json(&with(&(FORMAT_VERSION + 1).to_string())).unwrap_err();
        assert!(newer.contains("newer than this telform reads"), "{newer}");
        assert!(newer.contains("upgrade telform"), "{newer}");
        for odd in ["0", "\"1\"", "1.5", "-1"] {
            let err = from_json(&with(odd)).unwrap_err();
            assert!(err.contains("unknown format_version"), "{odd}: {err}");
        }
        let missing = from_json("{\"actions\": []}").unwrap_err();
        assert!(missing.contains("no `format_version`"), "{missing}");
        let garbage = from_json("[1, 2]").unwrap_err();
        assert!(garbage.starts_with("not a telform plan"), "{garbage}");
        let broken = from_json(&format!(
            "{{\"format_version\": {FORMAT_VERSION}, \"actions\": [{{}}]}}"
        ))
        .unwrap_err();
        assert!(broken.contains("does not match format_version"), "{broken}");
    }
}
