//! The plan as a pull-request comment (GitHub-flavoured markdown): the summary line, errors and
//! destructive actions called out, a table per provider, then the details folded per group.
//!
//! GitHub refuses a comment over 65,536 characters, and a plan over a million numbers is far
//! bigger. The comment is tried in shapes from the fullest to the leanest (field details
//! dropped, then groups folded into counts and lists capped) and the first that fits wins;
//! every shape but the first says it was truncated.

use std::fmt::Write as _;

use super::text::{self, Look};
use super::{
    Group, Item, Section, clean, describe, kind_counts, phrase, reason_words, sections, top_level, unmanaged_examples,
};
use crate::model::plan::{Op, Plan, Summary};

/// The first line of the comment, hidden by GitHub: CI finds its previous comment by it and
/// edits it rather than adding one per push.
pub const MARKER: &str = "<!-- telform-plan -->";

/// GitHub's limit is 65,536 characters. Lengths here are in bytes (never fewer than
/// characters), and some room is left for a footer a CI step may add (a link to the run).
const MAX_LEN: usize = 64_000;

const TRUNCATED: &str = "_Details truncated to fit GitHub's comment limit; run `telform plan` or see the plan.json \
                         artifact for the full plan._";

/// Room kept per provider for the line that counts the groups left out of the details.
const OMITTED_ROOM: usize = 200;

/// Strings from the plan (messages, names) are cut to this many characters in the lean shapes,
/// which keeps those shapes' size bounded whatever the plan holds.
const LONG: usize = 300;

/// How much of the plan a comment shows.
struct Shape {
    /// Field changes under each action.
    fields: bool,
    details: Details,
    /// Table rows per provider; the rest are summed in one row.
    rows: usize,
    /// Deletes and replaces listed in the warning (as lines: a range of numbers is one).
    destructive: usize,
    errors: usize,
    pending: usize,
    unmanaged: usize,
    /// Strings longer than this are cut.
    long: usize,
    truncated: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Details {
    /// Every group, every line, or the shape does not fit.
    All,
    /// Groups in order while they fit, at most [`FILL_LINES`] lines each.
    Fill,
    /// Counts only (the tables).
    None,
}

/// Lines per group when groups are filled in: enough to see what a group does, small enough
/// that one huge group does not hide all the others.
const FILL_LINES: usize = 50;

const ALL: usize = usize::MAX;

const SHAPES: [Shape; 5] = [
    Shape {
        fields: true,
        details: Details::All,
        rows: ALL,
        destructive: ALL,
        errors: ALL,
        pending: ALL,
        unmanaged: 10,
        long: ALL,
        truncated: false,
    },
    Shape {
        fields: false,
        details: Details::All,
        rows: ALL,
        destructive: ALL,
        errors: ALL,
        pending: ALL,
        unmanaged: 10,
        long: ALL,
        truncated: true,
    },
    Shape {
        fields: false,
        details: Details::Fill,
        rows: ALL,
        destructive: 50,
        errors: 20,
        pending: 20,
        unmanaged: 10,
        long: LONG,
        truncated: true,
    },
    Shape {
        fields: false,
        details: Details::Fill,
        rows: 50,
        destructive: 50,
        errors: 10,
        pending: 10,
        unmanaged: 10,
        long: LONG,
        truncated: true,
    },
    // Bounded whatever the plan: every list capped, every string cut.
    Shape {
        fields: false,
        details: Details::None,
        rows: 20,
        destructive: 10,
        errors: 5,
        pending: 5,
        unmanaged: 5,
        long: LONG,
        truncated: true,
    },
];

pub(super) fn render(plan: &Plan) -> String {
    let sections = sections(plan);
    for shape in &SHAPES {
        if let Ok(comment) = attempt(plan, &sections, shape) {
            return comment;
        }
    }
    // The last shape is bounded well under the limit (at most ~60 lines of `LONG` characters);
    // this is only a guard.
    format!("{MARKER}\n**{}**\n\n{TRUNCATED}\n", super::summary_line(plan))
}

/// The comment would be longer than allowed.
#[derive(Debug)]
struct Full;

/// A string that refuses to grow past a limit, so that a shape that cannot fit stops early
/// instead of building megabytes only to measure them.
struct Buf {
    text: String,
    max: usize,
}

impl Buf {
    fn new(max: usize) -> Buf {
        Buf {
            text: String::new(),
            max,
        }
    }

    fn push(&mut self, text: &str) -> Result<(), Full> {
        if self.text.len() + text.len() > self.max {
            return Err(Full);
        }
        self.text.push_str(text);
        Ok(())
    }

    fn line(&mut self, line: &str) -> Result<(), Full> {
        if self.text.len() + line.len() + 1 > self.max {
            return Err(Full);
        }
        self.text.push_str(line);
        self.text.push('\n');
        Ok(())
    }
}

fn attempt(plan: &Plan, sections: &[Section], shape: &Shape) -> Result<String, Full> {
    let head = head(plan, sections, shape)?;
    let tables = sections
        .iter()
        .map(|s| table(s, shape))
        .collect::<Result<Vec<_>, _>>()?;
    let tail = tail(plan, shape)?;
    let fixed = head.len() + tables.iter().map(String::len).sum::<usize>() + tail.len();
    let mut room = MAX_LEN.checked_sub(fixed + OMITTED_ROOM * sections.len()).ok_or(Full)?;
    let mut out = head;
    for (section, table) in sections.iter().zip(&tables) {
        out.push_str(table);
        out.push_str(&details(section, shape, &mut room)?);
    }
    out.push_str(&tail);
    debug_assert!(out.len() <= MAX_LEN, "{} bytes", out.len());
    Ok(out)
}

/// Marker, summary, truncation note, errors and destructive actions.
fn head(plan: &Plan, sections: &[Section], shape: &Shape) -> Result<String, Full> {
    let mut b = Buf::new(MAX_LEN);
    b.line(MARKER)?;
    b.line(&format!("**{}**", super::summary_line(plan)))?;
    b.line("")?;
    if let Some(scope) = &plan.scope {
        b.line(&format!("_Plan {}._", clean(&scope.describe())))?;
        b.line("")?;
    }
    if let Some(reason) = &plan.in_full_because {
        b.line(&format!("_Plan in full: {}._", clean(reason)))?;
        b.line("")?;
    }
    if shape.truncated {
        b.line(TRUNCATED)?;
        b.line("")?;
    }

    if !plan.errors.is_empty() {
        let n = plan.errors.len();
        let what = if n == 1 {
            "1 error: the plan cannot be applied until it is fixed".to_string()
        } else {
            format!("{n} errors: the plan cannot be applied until they are fixed")
        };
        b.line("> [!CAUTION]")?;
        b.line(&format!("> **{what}.**"))?;
        b.line(">")?;
        for e in plan.errors.iter().take(shape.errors) {
            let mut line = String::from("> - ");
            if let Some(object) = &e.object {
                let _ = write!(line, "{}: ", inline(&describe(object), shape.long));
            }
            line.push_str(&prose(&e.message, shape.long));
            if let Some(source) = &e.source {
                let _ = write!(line, " (`{}:{}`)", code(&source.file, shape.long), source.position());
            }
            b.line(&line)?;
            if !e.hint.is_empty() {
                b.line(&format!(">   - hint: {}", prose(&e.hint, shape.long)))?;
            }
        }
        if n > shape.errors {
            b.line(&format!("> - … and {} more", n - shape.errors))?;
        }
        b.line("")?;
    }

    let deletes = plan.actions.iter().filter(|a| a.op == Op::Delete).count();
    let replaces = plan.actions.iter().filter(|a| a.op == Op::Replace).count();
    if deletes + replaces > 0 {
        let what = match (deletes, replaces) {
            (d, 0) => format!("deletes {d} {}", objects(d)),
            (0, r) => format!("replaces {r} {} (delete, then create)", objects(r)),
            (d, r) => format!("deletes {d} {} and replaces {r} (delete, then create)", objects(d)),
        };
        b.line("> [!WARNING]")?;
        b.line(&format!("> **This plan {what}:**"))?;
        b.line(">")?;
        let mut listed = 0;
        let destructive = sections
            .iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| g.items.iter().map(move |item| (g, item)))
            .filter(|(_, item)| matches!(item.action().op, Op::Delete | Op::Replace));
        for (lines, (group, item)) in destructive.enumerate() {
            if lines == shape.destructive {
                let rest = deletes + replaces - listed;
                b.line(&format!("> - … and {rest} more ({} in all)", deletes + replaces))?;
                break;
            }
            b.line(&format!("> - {}", destructive_line(group, item, shape)))?;
            listed += item.count();
        }
        b.line("")?;
    }
    Ok(b.text)
}

fn objects(n: usize) -> &'static str {
    if n == 1 { "object" } else { "objects" }
}

/// `` `-` Number +14255550999 in Account contoso — pruned: … ``
fn destructive_line(group: &Group, item: &Item, shape: &Shape) -> String {
    let action = item.action();
    let mut line = format!("`{}` {}", action.op.symbol(), inline(&item.head(), shape.long));
    if !top_level(&action.object) {
        let _ = write!(line, " in {}", inline(&group.label, shape.long));
    }
    if let Some(reason) = reason_words(action) {
        let _ = write!(line, " — {}", inline(&reason, shape.long));
    }
    line
}

/// `### Provider`, then `| group | add | change | delete |`.
fn table(section: &Section, shape: &Shape) -> Result<String, Full> {
    let mut b = Buf::new(MAX_LEN);
    b.line(&format!("### {}", section.provider.title()))?;
    b.line("")?;
    b.line("| group | add | change | delete |")?;
    b.line("| --- | ---: | ---: | ---: |")?;
    let mut total = Summary::default();
    let mut rest = Summary::default();
    for (i, group) in section.groups.iter().enumerate() {
        let s = group.summary;
        if i < shape.rows {
            b.line(&format!(
                "| {} | {} | {} | {} |",
                inline(&group.label, shape.long),
                s.add,
                s.change,
                s.delete
            ))?;
        } else {
            add(&mut rest, s);
        }
        add(&mut total, s);
    }
    if section.groups.len() > shape.rows {
        let more = section.groups.len() - shape.rows;
        b.line(&format!(
            "| … and {more} more | {} | {} | {} |",
            rest.add, rest.change, rest.delete
        ))?;
    }
    if section.groups.len() > 1 {
        b.line(&format!(
            "| **total** | **{}** | **{}** | **{}** |",
            total.add, total.change, total.delete
        ))?;
    }
    b.line("")?;
    Ok(b.text)
}

fn add(sum: &mut Summary, s: Summary) {
    sum.add += s.add;
    sum.change += s.change;
    sum.delete += s.delete;
}

/// The `<details>` blocks of a provider's groups, within `room` (which it uses up).
fn details(section: &Section, shape: &Shape, room: &mut usize) -> Result<String, Full> {
    if shape.details == Details::None {
        return Ok(String::new());
    }
    let mut b = Buf::new(*room);
    let mut omitted = 0;
    for group in &section.groups {
        if omitted > 0 {
            omitted += 1;
            continue;
        }
        let block = group_block(group, shape);
        match (shape.details, b.push(&block)) {
            (_, Ok(())) => {}
            (Details::All, Err(full)) => return Err(full),
            (_, Err(Full)) => omitted += 1,
        }
    }
    *room -= b.text.len();
    let mut out = b.text;
    if omitted > 0 {
        let (n, s) = (omitted, if omitted == 1 { "" } else { "s" });
        // Room for this line is kept aside (`OMITTED_ROOM`).
        let _ = writeln!(out, "_… and {n} more group{s}: their counts are in the table above._\n");
    }
    Ok(out)
}

/// One group folded: `<details><summary>Account contoso: 252 to add</summary>` and a `diff`
/// block of its lines.
fn group_block(group: &Group, shape: &Shape) -> String {
    let mut out = format!(
        "<details><summary>{}: {}</summary>\n\n```diff\n",
        html(&group.label, shape.long),
        phrase(&group.summary)
    );
    let max_items = if shape.details == Details::Fill {
        FILL_LINES
    } else {
        ALL
    };
    let mut shown = 0;
    for item in group.items.iter().take(max_items) {
        for line in text::lines(item, Look::Diff, shape.fields) {
            out.push_str(&cut(&line, shape.long));
            out.push('\n');
        }
        shown += item.count();
    }
    let total: usize = group.items.iter().map(Item::count).sum();
    if shown < total {
        let _ = writeln!(out, "  … and {} more", total - shown);
    }
    out.push_str("```\n\n</details>\n\n");
    out
}

/// Pending and unmanaged objects.
fn tail(plan: &Plan, shape: &Shape) -> Result<String, Full> {
    let mut b = Buf::new(MAX_LEN);
    match plan.pending.as_slice() {
        [] => {}
        [one] => {
            let what = format!("{} ({})", describe(&one.object), one.status);
            b.line(&format!("**Pending at the provider:** {}", inline(&what, shape.long)))?;
            b.line("")?;
        }
        pending => {
            b.line("**Pending at the provider** (left alone until they are ready):")?;
            b.line("")?;
            for p in pending.iter().take(shape.pending) {
                let what = format!("{} ({})", describe(&p.object), p.status);
                b.line(&format!("- {}", inline(&what, shape.long)))?;
            }
            if pending.len() > shape.pending {
                b.line(&format!("- … and {} more", pending.len() - shape.pending))?;
            }
            b.line("")?;
        }
    }
    if !plan.unmanaged.is_empty() {
        let counts = kind_counts(plan.unmanaged.iter().map(|u| &u.object));
        b.line(&format!(
            "<details><summary>{}: {}</summary>",
            plan.unmanaged_heading(),
            html(&counts, shape.long)
        ))?;
        b.line("")?;
        for example in unmanaged_examples(plan, shape.unmanaged) {
            b.line(&format!("- {}", inline(&example, shape.long)))?;
        }
        if plan.unmanaged.len() > shape.unmanaged {
            b.line(&format!("- … and {} more", plan.unmanaged.len() - shape.unmanaged))?;
        }
        b.line("")?;
        b.line("</details>")?;
        b.line("")?;
    }
    Ok(b.text)
}

/// At most `max` characters, `…` marking a cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => format!("{}…", &s[..at]),
    }
}

/// Plain text in markdown: names and keys from the plan or the providers, shown literally.
fn inline(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in cut(&one_line(s), max).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A message or hint written by telform: its backticks are code spans and stay; only HTML and
/// table syntax are neutralised.
fn prose(s: &str, max: usize) -> String {
    cut(&one_line(s), max)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// Text inside a code span.
fn code(s: &str, max: usize) -> String {
    cut(&one_line(s), max).replace('`', "'")
}

/// Text inside an HTML element (`<summary>`).
fn html(s: &str, max: usize) -> String {
    cut(&one_line(s), max)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn one_line(s: &str) -> String {
    clean(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, *};
    use super::super::markdown;
    use super::*;

    #[test]
    fn creation() {
        insta::assert_snapshot!(markdown(&fixtures::creation()));
    }

    #[test]
    fn mixed() {
        insta::assert_snapshot!(markdown(&fixtures::mixed()));
    }

    #[test]
    fn empty() {
        insta::assert_snapshot!(markdown(&fixtures::empty()));
    }

    #[test]
    fn starts_with_the_marker() {
        for plan in [fixtures::creation(), fixtures::mixed(), fixtures::empty()] {
            assert!(markdown(&plan).starts_with("<!-- telform-plan -->\n"));
        }
    }

    #[test]
    fn a_huge_plan_fits_in_a_github_comment_and_says_it_was_truncated() {
        let plan = huge();
        let comment = markdown(&plan);
        assert!(
            comment.chars().count() < 65_536,
            "{} characters",
            comment.chars().count()
        );
        assert!(comment.contains(TRUNCATED), "{comment}");
        assert!(comment.starts_with(&format!(
            "{MARKER}\n**Plan: 200000 to add, 20000 to change, 0 to delete.**"
        )));
        // The tables still count everything.
        assert!(
            comment.contains("| **total** | **200000** | **0** | **0** |"),
            "{comment}"
        );
        assert!(
            comment.contains("| **total** | **0** | **20000** | **0** |"),
            "{comment}"
        );
        // Both providers' details are there, shortened.
        assert!(comment.contains("<details><summary>Account account-00: 5000 to add</summary>"));
        assert!(comment.contains("  … and 4950 more\n"));
        assert!(comment.contains("more groups: their counts are in the table above"));
    }

    #[test]
    fn many_deletes_are_all_counted_and_the_first_listed() {
        let plan = plan(
            numbers(Op::Delete, "contoso", 14255550000, 30_000, &[])
                .into_iter()
                .step_by(2)
                .collect(),
        );
        let comment = markdown(&plan);
        assert!(comment.len() < MAX_LEN);
        assert!(comment.contains("> **This plan deletes 15000 objects:**"), "{comment}");
        assert!(comment.contains("> - … and 14950 more (15000 in all)"), "{comment}");
    }

    #[test]
    fn every_shape_of_a_huge_plan_is_tried_from_the_fullest() {
        // A plan just over the limit with its fields, under it without: loses only the fields.
        let plan = plan(
            numbers(Op::Create, "contoso", 14255550000, 4_000, &[("usage", "user")])
                .into_iter()
                .step_by(2)
                .collect(),
        );
        let comment = markdown(&plan);
        assert!(comment.contains(TRUNCATED));
        assert!(comment.contains("+ Number +14255553998\n"), "{comment}");
        assert!(!comment.contains("usage"), "{comment}");
    }

    #[test]
    fn names_cannot_break_the_markdown() {
        let mut plan = plan(numbers(Op::Delete, "con|toso</summary>", 14255550000, 1, &[]));
        plan.actions[0].object.group = "con|toso</summary>`*".to_string();
        let comment = markdown(&plan);
        assert!(
            comment.contains("Account con\\|toso&lt;/summary&gt;\\`\\*"),
            "{comment}"
        );
        assert!(
            comment.contains("<summary>Account con|toso&lt;/summary&gt;`*: 1 to delete</summary>"),
            "{comment}"
        );
    }
}
