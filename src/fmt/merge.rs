//! Merging contiguous numbers of a `NumberSet` into ranges.
//!
//! Only numbers that carry nothing of their own are merged: a range, or a `numbers` entry with
//! no attribute besides `number`, written on one line, with no comment on it or above it (a
//! comment says something about that very number, and merging would lose its place). Runs of
//! two or more contiguous such numbers (same length, each the previous plus one) become one
//! range, up to the largest range validation allows. The new range is written at the top of
//! `ranges` (created before `numbers` when the set has none); sorting, in the reorder pass,
//! puts it in its place. Lists written in flow style are left as they are.

use serde_json::Value;

use super::Refusal;
use super::reorder::{Layout, Reorder, Written};
use super::source::Source;
use crate::manifest::Kind;
use crate::manifest::yaml::{Span, SpanChildren, SpanNode};
use crate::validate::e164::{self, NumberKey};

/// The largest range validation accepts (TF106); a merge never makes a range it would refuse.
/// The rule's constant is private to the rules; `tests/integration/fmt.rs` checks the two agree.
pub const MAX_RANGE: u64 = 100_000;

/// The text with contiguous numbers merged, or `None` when nothing merges.
pub fn merge(text: &str) -> Result<Option<String>, Refusal> {
    let parsed = super::parse(text)?;
    let src = &parsed.src;
    let rewriter = Reorder { src };
    let mut edits = Edits::default();
    for (doc, first, end) in &parsed.docs {
        if doc.value.get("kind").and_then(Value::as_str) != Some(Kind::NumberSet.as_str()) {
            continue;
        }
        if let Some(spans) = &doc.spans {
            number_set(&rewriter, spans, &doc.value, (*first, *end), &mut edits)?;
        }
    }
    if edits.delete.is_empty() {
        return Ok(None);
    }
    let newline = super::newline(text);
    let mut out = String::with_capacity(text.len());
    for line in 0..=src.lines() {
        for (at, inserted) in &edits.insert {
            if *at == line {
                for l in inserted {
                    out.push_str(l);
                    out.push_str(newline);
                }
            }
        }
        if line < src.lines() && !edits.delete.contains(&line) {
            out.push_str(src.lines_text(line, line + 1));
        }
    }
    Ok(Some(out))
}

#[derive(Default)]
struct Edits {
    /// 0-based lines to drop.
    delete: Vec<usize>,
    /// Lines to write before 0-based line `at`.
    insert: Vec<(usize, Vec<String>)>,
}

/// One block list of the spec: its items, their layout and the column of their dashes.
struct List<'n> {
    items: &'n [SpanNode],
    layout: Layout,
    starts: Vec<usize>,
    col: usize,
}

/// A number that may be merged, with the lines it occupies.
#[derive(Debug, Clone, Copy)]
struct Piece {
    from: NumberKey,
    to: NumberKey,
    line: usize,
    from_numbers: bool,
}

fn number_set(
    rewriter: &Reorder,
    root: &SpanNode,
    value: &Value,
    region: (usize, usize),
    edits: &mut Edits,
) -> Result<(), Refusal> {
    let src = rewriter.src;
    // The spec mapping and the lines it spans, through the document's own layout.
    let SpanChildren::Map(top) = &root.children else {
        return Ok(());
    };
    if !matches!(rewriter.written(root), Written::Block) {
        return Ok(());
    }
    let Some((spec_body, spec_node)) = entry_body(rewriter, top, "spec", region, true)? else {
        return Ok(());
    };
    let SpanChildren::Map(spec) = &spec_node.children else {
        return Ok(());
    };
    if !matches!(rewriter.written(spec_node), Written::Block) {
        return Ok(());
    }
    let spec_region = (spec_body.0 + 1, spec_body.1);
    let spec_value = value.get("spec").unwrap_or(&Value::Null);
    let ranges = list(rewriter, spec, "ranges", spec_region)?;
    let numbers = list(rewriter, spec, "numbers", spec_region)?;
    // A list in flow style is left alone, and so is the whole set: merging would have to
    // write into it.
    let (Some(ranges), Some(numbers)) = (ranges, numbers) else {
        return Ok(());
    };

    let plain_line = |list: &List, i: usize| {
        let part = &list.layout.entries[i];
        let single = part.body.1 == part.body.0 + 1 && part.head.0 == part.head.1;
        (single && !src.line(part.body.0).contains('#')).then_some(list.starts[i])
    };
    let mut pieces = Vec::new();
    if let Some(list) = &ranges {
        for i in 0..list.items.len() {
            let item = &spec_value["ranges"][i];
            let ends = (
                item.get("from").and_then(Value::as_str),
                item.get("to").and_then(Value::as_str),
            );
            if let (Some(line), (Some(from), Some(to))) = (plain_line(list, i), ends)
                && let (Ok(from), Ok(to)) = (e164::parse(from), e164::parse(to))
                && from.digits == to.digits
                && from.value <= to.value
            {
                pieces.push(Piece {
                    from,
                    to,
                    line,
                    from_numbers: false,
                });
            }
        }
    }
    let mut numbers_key = None;
    if let Some(list) = &numbers {
        for i in 0..list.items.len() {
            let item = &spec_value["numbers"][i];
            let alone = item.as_object().is_some_and(|o| o.len() == 1);
            if let (Some(line), true, Some(Ok(key))) = (
                plain_line(list, i),
                alone,
                item.get("number").and_then(Value::as_str).map(e164::parse),
            ) {
                pieces.push(Piece {
                    from: key,
                    to: key,
                    line,
                    from_numbers: true,
                });
            }
        }
        numbers_key = spec.iter().position(|(k, _, _)| k == "numbers");
    }
    let mut runs = runs(&pieces);
    let numbers_left = |runs: &[Vec<Piece>]| {
        let merged = runs.iter().flatten().filter(|p| p.from_numbers).count();
        numbers.as_ref().map_or(0, |n| n.items.len()) - merged
    };
    // Merging every entry of `numbers` removes the key too; that is done only when no comment
    // sits on it, else its numbers stay as they are.
    let mut drop_numbers = None;
    if let (Some(list), Some(key)) = (&numbers, numbers_key)
        && numbers_left(&runs) == 0
    {
        let (body, _) = entry_body(rewriter, spec, "numbers", spec_region, false)?.unwrap_or(((0, 0), &spec[key].2));
        let key_line = Source::line_of(spec[key].1.start);
        let commented =
            (body.0..body.1).any(|l| src.line(l).contains('#')) || head_len(src, key_line, spec_region.0) > 0;
        if commented || list.items.is_empty() {
            pieces.retain(|p| !p.from_numbers);
            runs = self::runs(&pieces);
        } else {
            drop_numbers = Some(body);
        }
    }
    if runs.is_empty() {
        return Ok(());
    }

    let new_lines: Vec<String> = runs
        .iter()
        .map(|run| {
            let (from, to) = (run[0].from.to_e164(), run[run.len() - 1].to.to_e164());
            format!("- {{from: \"{from}\", to: \"{to}\"}}")
        })
        .collect();
    edits.delete.extend(runs.iter().flatten().map(|p| p.line));
    if let Some(body) = drop_numbers {
        edits.delete.extend(body.0..body.1);
    }
    match &ranges {
        Some(list) => {
            let at = list.layout.entries[0].head.0;
            let indent = " ".repeat(list.col);
            edits
                .insert
                .push((at, new_lines.into_iter().map(|l| format!("{indent}{l}")).collect()));
        }
        None => {
            // `numbers` exists (pieces came from it): `ranges` goes right above it, indented
            // like it, its items like the items of `numbers`.
            let Some(key) = numbers_key else {
                return Ok(());
            };
            let key_line = Source::line_of(spec[key].1.start);
            let at = key_line - head_len(src, key_line, spec_region.0);
            let key_indent = " ".repeat(spec[key].1.start.col as usize - 1);
            let item_indent = " ".repeat(numbers.as_ref().map_or(0, |n| n.col));
            let mut lines = vec![format!("{key_indent}ranges:")];
            lines.extend(new_lines.into_iter().map(|l| format!("{item_indent}{l}")));
            edits.insert.push((at, lines));
        }
    }
    Ok(())
}

/// Runs of two or more contiguous pieces, each no larger than the largest allowed range.
fn runs(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    let mut sorted = pieces.to_vec();
    sorted.sort_by_key(|p| p.from);
    let mut runs: Vec<Vec<Piece>> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    for piece in sorted {
        let extends = current.last().is_some_and(|last: &Piece| {
            last.to.digits == piece.from.digits
                && last.to.value.checked_add(1) == Some(piece.from.value)
                && piece.to.value - current[0].from.value < MAX_RANGE
        });
        if !extends {
            if current.len() > 1 {
                runs.push(std::mem::take(&mut current));
            }
            current.clear();
        }
        current.push(piece);
    }
    if current.len() > 1 {
        runs.push(current);
    }
    runs
}

/// Comment lines directly above line `line` (not above `floor`).
fn head_len(src: &Source, line: usize, floor: usize) -> usize {
    (floor..line).rev().take_while(|&l| src.is_comment(l)).count()
}

/// An entry of a block mapping: its body lines (0-based, end exclusive) and its value.
type Entry<'n> = ((usize, usize), &'n SpanNode);

/// The body lines and the value of the entry `key` of a block mapping laid out in `region`.
fn entry_body<'n>(
    rewriter: &Reorder,
    entries: &'n [(String, Span, SpanNode)],
    key: &str,
    region: (usize, usize),
    top: bool,
) -> Result<Option<Entry<'n>>, Refusal> {
    let Some(index) = entries.iter().position(|(k, _, _)| k == key) else {
        return Ok(None);
    };
    let col = entries[0].1.start.col as usize - 1;
    let starts: Vec<usize> = entries.iter().map(|(_, k, _)| Source::line_of(k.start)).collect();
    let layout = rewriter.layout(&starts, col, region.0, region.1, top, entries[0].1.start)?;
    Ok(Some((layout.entries[index].body, &entries[index].2)))
}

/// The block list under `key` of the spec: `Ok(None)` when it is written in flow style (or is
/// not a list), `Ok(Some(None))` when the spec has no such key.
fn list<'n>(
    rewriter: &Reorder,
    spec: &'n [(String, Span, SpanNode)],
    key: &str,
    region: (usize, usize),
) -> Result<Option<Option<List<'n>>>, Refusal> {
    let Some((body, node)) = entry_body(rewriter, spec, key, region, false)? else {
        return Ok(Some(None));
    };
    let (SpanChildren::Seq(items), Written::Block) = (&node.children, rewriter.written(node)) else {
        return Ok(None);
    };
    if items.is_empty() {
        return Ok(None);
    }
    let first = body.0 + 1;
    let (starts, col) = rewriter.seq_starts(items, first)?;
    let layout = rewriter.layout(&starts, col, first, body.1, false, items[0].span.start)?;
    Ok(Some(Some(List {
        items,
        layout,
        starts,
        col,
    })))
}
