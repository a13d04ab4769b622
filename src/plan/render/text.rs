//! The plan for a terminal. The markdown rendering reuses [`lines`] for its `diff` blocks.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Color, Style};
use serde_json::Value;

use super::{Item, clean, describe, kind_counts, phrase, reason_words, sections, unmanaged_examples};
use crate::model::plan::{Action, FieldChange, Op, Plan, Reason};

const fn fg(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(Color::Ansi(color)))
}

const ADD: Style = fg(AnsiColor::Green);
const CHANGE: Style = fg(AnsiColor::Yellow);
const DELETE: Style = fg(AnsiColor::Red);
const REPLACE: Style = fg(AnsiColor::Magenta);
const DIM: Style = Style::new().dimmed();
const TITLE: Style = Style::new().bold().underline();
const BOLD: Style = Style::new().bold();
const ERROR: Style = fg(AnsiColor::Red).bold();
const HINT: Style = fg(AnsiColor::Cyan).bold();

/// How many unmanaged objects are named (the rest are counted).
const UNMANAGED_EXAMPLES: usize = 10;
/// How many pending objects are named.
const PENDING_LISTED: usize = 20;

/// How lines look: for a terminal (coloured or not), or inside a markdown `diff` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    Terminal {
        styled: bool,
    },
    /// The op marker in the first column so that GitHub colours the line: `+` and `-` as they
    /// are, `!` (GitHub's "changed" colour) for `~` and `±`, which it does not colour.
    Diff,
}

impl Look {
    fn paint(self, style: Style, text: &str) -> String {
        match self {
            Look::Terminal { styled: true } => format!("{style}{text}{style:#}"),
            _ => text.to_string(),
        }
    }
}

pub(super) fn render(plan: &Plan, styled: bool) -> String {
    let look = Look::Terminal { styled };
    let mut out = String::new();
    for section in sections(plan) {
        out.push_str(&look.paint(TITLE, section.provider.title()));
        out.push('\n');
        for group in &section.groups {
            let heading = format!("{}: {}", clean(&group.label), phrase(&group.summary));
            let _ = write!(out, "\n{}\n", look.paint(BOLD, &heading));
            for item in &group.items {
                for line in lines(item, look, true) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }

    if !plan.unmanaged.is_empty() {
        let counts = kind_counts(plan.unmanaged.iter().map(|u| &u.object));
        let _ = writeln!(out, "{}: {counts}.", plan.unmanaged_heading());
        for example in unmanaged_examples(plan, UNMANAGED_EXAMPLES) {
            let _ = writeln!(out, "  {}", clean(&example));
        }
        if plan.unmanaged.len() > UNMANAGED_EXAMPLES {
            let more = plan.unmanaged.len() - UNMANAGED_EXAMPLES;
            let _ = writeln!(out, "  … and {more} more (all of them in `telform plan --output json`)");
        }
        out.push('\n');
    }

    match plan.pending.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(
                out,
                "Pending at the provider: {} ({})\n",
                clean(&describe(&one.object)),
                clean(&one.status)
            );
        }
        pending => {
            let _ = writeln!(out, "Pending at the provider (left alone until they are ready):");
            for p in pending.iter().take(PENDING_LISTED) {
                let _ = writeln!(out, "  {} ({})", clean(&describe(&p.object)), clean(&p.status));
            }
            if pending.len() > PENDING_LISTED {
                let _ = writeln!(out, "  … and {} more", pending.len() - PENDING_LISTED);
            }
            out.push('\n');
        }
    }

    if !plan.errors.is_empty() {
        let n = plan.errors.len();
        let (noun, pronoun) = if n == 1 {
            ("error", "it is")
        } else {
            ("errors", "they are")
        };
        let _ = writeln!(out, "{n} {noun}: the plan cannot be applied until {pronoun} fixed.");
        for e in &plan.errors {
            let mut line = format!("  {} ", look.paint(ERROR, "error:"));
            if let Some(object) = &e.object {
                let _ = write!(line, "{}: ", clean(&describe(object)));
            }
            line.push_str(&clean(&e.message));
            if let Some(source) = &e.source {
                let at = format!("({}:{})", clean(&source.file), source.position());
                let _ = write!(line, " {}", look.paint(DIM, &at));
            }
            let _ = writeln!(out, "{line}");
            if !e.hint.is_empty() {
                let _ = writeln!(out, "    {} {}", look.paint(HINT, "hint:"), clean(&e.hint));
            }
        }
        out.push('\n');
    }

    out.push_str(&look.paint(BOLD, &super::summary_line(plan)));
    out.push('\n');
    if let Some(scope) = &plan.scope {
        let _ = writeln!(
            out,
            "{}",
            look.paint(DIM, &format!("Plan {}.", clean(&scope.describe())))
        );
    }
    if let Some(reason) = &plan.in_full_because {
        let _ = writeln!(out, "{}", look.paint(DIM, &format!("Plan in full: {}.", clean(reason))));
    }
    out
}

/// The lines of one item: `  + Kind key — reason (file:line)`, then, with `fields`, one line
/// per field change.
pub(super) fn lines(item: &Item, look: Look, fields: bool) -> Vec<String> {
    let action = item.action();
    let (indent, marker, field_indent) = match look {
        Look::Terminal { .. } => ("  ", look.paint(op_style(action.op), action.op.symbol()), "      "),
        Look::Diff => ("", diff_marker(action.op).to_string(), "    "),
    };
    let mut first = format!("{indent}{marker} {}", clean(&item.head()));
    if let Some(reason) = reason_words(action) {
        let _ = write!(first, " — {}", clean(&reason));
    }
    if let Some(source) = item.source() {
        let _ = write!(first, " {}", look.paint(DIM, &format!("({})", clean(&source))));
    }
    let mut out = vec![first];
    if fields {
        out.extend(
            item.changes()
                .iter()
                .map(|c| format!("{field_indent}{}", change_line(action, c, look))),
        );
    }
    out
}

fn op_style(op: Op) -> Style {
    match op {
        Op::Create => ADD,
        Op::Update => CHANGE,
        Op::Delete => DELETE,
        Op::Replace => REPLACE,
    }
}

/// The first character colours the line in a ```diff block: `+` green, `-` red, `!` orange.
/// A replacement deletes before it creates, as Terraform's `-/+` says: red, and told apart from
/// an update.
fn diff_marker(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Delete => "-",
        Op::Update => "!",
        Op::Replace => "-/+",
    }
}

/// `path: new` for a create, `path: old` for a delete, `path: old → new` otherwise, and never
/// a value for a sensitive field, whatever the change carries.
fn change_line(action: &Action, change: &FieldChange, look: Look) -> String {
    let path = clean(&change.path);
    let value = if change.sensitive {
        match &change.secret_source {
            Some(source) => look.paint(DIM, &format!("(sensitive, {source})")),
            None => look.paint(DIM, "(sensitive)"),
        }
    } else {
        match action.op {
            Op::Create => look.paint(ADD, &show(change.new.as_ref())),
            Op::Delete => look.paint(DELETE, &show(change.old.as_ref())),
            Op::Update | Op::Replace => format!(
                "{} → {}",
                look.paint(DELETE, &show(change.old.as_ref())),
                look.paint(ADD, &show(change.new.as_ref()))
            ),
        }
    };
    let forces = match &action.reason {
        Some(Reason::Immutable { field }) if *field == change.path => {
            format!(" {}", look.paint(REPLACE, "(forces replacement)"))
        }
        _ => String::new(),
    };
    format!("{path}: {value}{forces}")
}

/// A value as compact JSON (strings quoted, so that `""` and `"true"` read as what they are);
/// `(none)` when the field is not set.
fn show(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(v) => clean(&v.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, *};
    use super::super::text;
    use crate::model::plan::{FORMAT_VERSION, FieldChange, Op, Plan, SecretSource};

    #[test]
    fn creation() {
        insta::assert_snapshot!(text(&fixtures::creation(), false));
    }

    #[test]
    fn mixed() {
        insta::assert_snapshot!(text(&fixtures::mixed(), false));
    }

    #[test]
    fn empty() {
        let text = text(&fixtures::empty(), false);
        assert_eq!(text, "No changes. Live state matches the manifests.\n");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn errors_without_actions_do_not_say_live_state_matches() {
        let mut plan = fixtures::empty();
        plan.errors.push(crate::model::plan::PlanError {
            object: None,
            source: None,
            message: "`companyName` cannot be changed".into(),
            hint: "rename it in Partner Hub".into(),
        });
        let text = text(&plan, false);
        assert!(!text.contains("Live state matches"), "{text}");
        assert!(text.ends_with("until the errors are fixed.\n"), "{text}");
    }

    #[test]
    fn colours_only_when_styled() {
        let plan = fixtures::mixed();
        let plain = text(&plan, false);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let styled = text(&plan, true);
        // Green +, yellow ~, red -, magenta ±.
        for sgr in ["\u{1b}[32m", "\u{1b}[33m", "\u{1b}[31m", "\u{1b}[35m"] {
            assert!(styled.contains(sgr), "{sgr:?} missing in {styled}");
        }
        assert!(text(&fixtures::creation(), true).contains("\u{1b}[32m+\u{1b}[0m 100 numbers"));
    }

    #[test]
    fn sensitive_values_never_shown() {
        let mut plan = plan(numbers(Op::Update, "contoso", 14255550100, 1, &[]));
        let mut leaky = secret("sipPassword");
        // Even a change that wrongly carries values shows none of them.
        leaky.old = Some(serde_json::json!("hunter2-old"));
        leaky.new = Some(serde_json::json!("hunter2-new"));
        plan.actions[0].changes = vec![secret("sipPassword"), leaky];
        let text = text(&plan, false);
        assert!(text.contains("sipPassword: (sensitive)"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let markdown = super::super::markdown(&plan);
        assert!(markdown.contains("sipPassword: (sensitive)"), "{markdown}");
        assert!(!markdown.contains("hunter2"), "{markdown}");
        let json = super::super::json(&plan);
        assert!(!json.contains("hunter2"), "{json}");
        assert!(json.contains("\"sensitive\": true"), "{json}");
    }

    /// A reviewer sees where every password would be read from, in all three formats.
    #[test]
    fn the_source_of_a_secret_is_shown_in_every_format() {
        let mut plan = plan(numbers(Op::Update, "contoso", 14255550100, 1, &[]));
        let from = |source| FieldChange {
            secret_source: Some(source),
            ..secret("sipPassword")
        };
        plan.actions[0].changes = vec![
            from(SecretSource::FromEnv("ACME_DESK_SIP_PASSWORD".into())),
            from(SecretSource::FromFile("secrets/desk.sip".into())),
            from(SecretSource::Generate),
        ];
        let text = text(&plan, false);
        let markdown = super::super::markdown(&plan);
        for shown in [&text, &markdown] {
            assert!(
                shown.contains("sipPassword: (sensitive, from $ACME_DESK_SIP_PASSWORD)"),
                "{shown}"
            );
            assert!(
                shown.contains("sipPassword: (sensitive, from file secrets/desk.sip)"),
                "{shown}"
            );
            assert!(
                shown.contains("sipPassword: (sensitive, generated at apply)"),
                "{shown}"
            );
        }
        let json = super::super::json(&plan);
        assert!(
            json.contains(r#""secretSource": {"#) && json.contains(r#""fromEnv": "ACME_DESK_SIP_PASSWORD""#),
            "{json}"
        );
        assert!(
            json.contains(r#""fromFile": "secrets/desk.sip""#) && json.contains(r#""secretSource": "generate""#),
            "{json}"
        );
    }

    #[test]
    fn nothing_to_do_but_unmanaged_objects_still_shows_them() {
        let plan = Plan {
            format_version: FORMAT_VERSION,
            unmanaged: fixtures::mixed().unmanaged,
            pending: fixtures::mixed().pending,
            ..Plan::default()
        };
        let text = text(&plan, false);
        assert!(
            text.starts_with("Unmanaged (not in any manifest, left alone): 3 accounts, 12 numbers"),
            "{text}"
        );
        assert!(text.contains("  … and 8 more"), "{text}");
        assert!(
            text.contains("Pending at the provider: Customer GLOBEX-0042 (provisioning)"),
            "{text}"
        );
        assert!(
            text.ends_with("No changes. Live state matches the manifests.\n"),
            "{text}"
        );
    }
}
