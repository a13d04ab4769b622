//! `telform fmt`: manifests in one canonical order, so that pull-request diffs stay small.
//!
//! Canonical means: keys in schema order (the order of the fields of the kind's structs, see
//! [`shape`]), numbers sorted (`ranges` by `from`, `numbers` by number, a location's numbers),
//! and contiguous numbers of a `NumberSet` merged into ranges. Everything else is kept as
//! written: quoting, flow or block style, indentation, blank lines, and every comment.
//!
//! Two passes, each checked before the next: `merge` rewrites the number lists of a
//! `NumberSet`, then `reorder` moves blocks of lines. After each pass the new text is parsed
//! again and must hold the same data and the same comments as the old one (see `verify`); a
//! pass that fails this check refuses the file instead of writing it. A file fmt cannot rewrite
//! safely is refused with a position and a hint, never half-formatted.

mod merge;
mod reorder;
pub mod shape;
mod source;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::manifest::Kind;
use crate::manifest::yaml::{self, Limits, YamlDoc};
use crate::validate::e164;
pub use merge::MAX_RANGE;
use shape::Shape;
use source::Source;

/// Why fmt leaves a file as it is, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    pub message: String,
    pub hint: String,
}

/// What the file holds: manifests, or the settings file (`telform.yaml`), whose documents have
/// no `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Manifests,
    Settings,
}

/// The canonical text of a file. The file must have passed validation; fmt does not check the
/// rules again, it only relies on the structure they guarantee.
pub fn format(text: &str, kind: FileKind) -> Result<String, Refusal> {
    let mut text = text.to_string();
    // A final line break is part of the canonical form: a block moved to the end of the file
    // must end its line.
    if !text.is_empty() && !text.ends_with('\n') {
        text.push_str(newline(&text));
    }
    if let Some(merged) = merge::merge(&text)? {
        verify(&text, &merged, kind, Check::SameNumbers)?;
        text = merged;
    }
    let reordered = reorder_file(&text, kind)?;
    verify(&text, &reordered, kind, Check::SameValues)?;
    Ok(reordered)
}

/// The line break the file uses.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// The shapes, computed once.
fn shapes() -> &'static (BTreeMap<Kind, Shape>, Shape) {
    static SHAPES: OnceLock<(BTreeMap<Kind, Shape>, Shape)> = OnceLock::new();
    SHAPES.get_or_init(|| {
        (
            Kind::ALL.into_iter().map(|k| (k, shape::document(k))).collect(),
            shape::settings(),
        )
    })
}

/// The shape of one document: by its `kind`, or the settings shape in the settings file. A
/// document fmt does not know is left as it is.
fn shape_of(value: &Value, kind: FileKind) -> Option<&'static Shape> {
    let (kinds, settings) = shapes();
    match value.get("kind").and_then(Value::as_str) {
        Some(name) => kinds.get(&name.parse::<Kind>().ok()?),
        None if kind == FileKind::Settings => Some(settings),
        None => None,
    }
}

/// A parsed file, with the line range of each document (0-based, end exclusive).
struct Parsed<'a> {
    src: Source<'a>,
    docs: Vec<(YamlDoc, usize, usize)>,
}

fn parse(text: &str) -> Result<Parsed<'_>, Refusal> {
    let parsed = yaml::parse(text, Limits::default(), true);
    if let Some(error) = parsed.errors.first() {
        return Err(Refusal {
            line: error.span.start.line,
            column: error.span.start.col,
            message: format!("the file does not parse: {}", error.message),
            hint: "run `telform validate` on it and fix what it reports".into(),
        });
    }
    let mut src = Source::new(text);
    for doc in &parsed.docs {
        if let Some(spans) = &doc.spans {
            src.mark_scalars(spans);
        }
    }
    // Document markers (`---`, `...`) at the start of a line separate the documents' regions.
    let is_marker = |line: &str| {
        (line.starts_with("---") || line.starts_with("...")) && line[3..].chars().next().is_none_or(char::is_whitespace)
    };
    let markers: Vec<usize> = (0..src.lines()).filter(|&l| is_marker(src.line(l))).collect();
    let docs = parsed
        .docs
        .into_iter()
        .map(|doc| {
            let root = Source::line_of(doc.start);
            let first = if markers.contains(&root) {
                root
            } else {
                markers.iter().rev().find(|&&m| m < root).map_or(0, |m| m + 1)
            };
            let end = markers.iter().copied().find(|&m| m > root).unwrap_or(src.lines());
            (doc, first, end)
        })
        .collect();
    Ok(Parsed { src, docs })
}

/// The documents of a file, each with its value and its text (the lines between its document
/// markers). Empty when the file does not parse. Used to quote examples in the reference.
pub fn documents(text: &str) -> Vec<(Value, String)> {
    let Ok(parsed) = parse(text) else {
        return Vec::new();
    };
    parsed
        .docs
        .iter()
        .map(|(doc, first, end)| (doc.value.clone(), parsed.src.lines_text(*first, *end).to_string()))
        .collect()
}

fn reorder_file(text: &str, kind: FileKind) -> Result<String, Refusal> {
    let parsed = parse(text)?;
    let src = &parsed.src;
    let rewriter = reorder::Reorder { src };
    let mut out = String::with_capacity(text.len());
    let mut done = 0; // lines copied so far
    for (doc, first, end) in &parsed.docs {
        let (Some(spans), Some(shape)) = (&doc.spans, shape_of(&doc.value, kind)) else {
            continue;
        };
        out.push_str(src.lines_text(done, *first));
        out.push_str(&rewriter.document(spans, &doc.value, shape, *first, *end)?);
        done = *end;
    }
    out.push_str(src.lines_text(done, src.lines()));
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Reordering: the values are exactly the old ones with their lists sorted.
    SameValues,
    /// Merging: each `NumberSet` declares the same numbers with the same attributes.
    SameNumbers,
}

/// The safety net: `after` must parse to the same data as `before` and keep every comment.
fn verify(before: &str, after: &str, kind: FileKind, check: Check) -> Result<(), Refusal> {
    let bug = |what: &str| Refusal {
        line: 1,
        column: 1,
        message: format!("telform fmt could not rewrite this file safely ({what}); it was left unchanged"),
        hint: "this is a bug in telform fmt: please report it with the file; meanwhile the file can be ordered by hand"
            .into(),
    };
    let (old, new) = (
        parse(before)?,
        parse(after).map_err(|_| bug("the result does not parse"))?,
    );
    if old.docs.len() != new.docs.len() {
        return Err(bug("the number of documents changed"));
    }
    for ((a, ..), (b, ..)) in old.docs.iter().zip(&new.docs) {
        let same = match (check, shape_of(&a.value, kind)) {
            (_, None) => a.value == b.value,
            (Check::SameValues, Some(shape)) => reorder::sorted_value(&a.value, shape) == b.value,
            (Check::SameNumbers, Some(_)) => number_normal_form(&a.value) == number_normal_form(&b.value),
        };
        if !same {
            return Err(bug("the data would change"));
        }
    }
    if comments(&old.src) != comments(&new.src) || before.matches('#').count() != after.matches('#').count() {
        return Err(bug("a comment would be lost"));
    }
    Ok(())
}

/// Every comment line, trimmed, sorted: moving lines keeps this the same.
fn comments(src: &Source) -> Vec<String> {
    let mut lines: Vec<String> = (0..src.lines())
        .filter(|&l| src.is_comment(l))
        .map(|l| src.line(l).trim().to_string())
        .collect();
    lines.sort_unstable();
    lines
}

/// A document with the numbers of a `NumberSet` in one form, whatever way they are written:
/// the numbers without attributes of their own as sorted, fully merged ranges, the others
/// sorted by number. Two ways of writing the same numbers have the same normal form.
fn number_normal_form(value: &Value) -> Value {
    let mut value = value.clone();
    if value.get("kind").and_then(Value::as_str) != Some(Kind::NumberSet.as_str()) {
        return value;
    }
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return value;
    };
    let mut plain: Vec<(u8, u64, u64)> = Vec::new();
    let mut bad = Vec::new();
    for range in spec
        .remove("ranges")
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default()
    {
        let ends = (
            range.get("from").and_then(Value::as_str),
            range.get("to").and_then(Value::as_str),
        );
        match ends {
            (Some(from), Some(to)) => match (e164::parse(from), e164::parse(to)) {
                (Ok(a), Ok(b)) if a.digits == b.digits => plain.push((a.digits, a.value, b.value)),
                _ => bad.push(range),
            },
            _ => bad.push(range),
        }
    }
    let mut entries = Vec::new();
    for entry in spec
        .remove("numbers")
        .and_then(|n| n.as_array().cloned())
        .unwrap_or_default()
    {
        let alone = entry.as_object().is_some_and(|o| o.len() == 1);
        match entry.get("number").and_then(Value::as_str).map(e164::parse) {
            Some(Ok(key)) if alone => plain.push((key.digits, key.value, key.value)),
            _ => entries.push(entry),
        }
    }
    plain.sort_unstable();
    let mut merged: Vec<(u8, u64, u64)> = Vec::new();
    for (digits, from, to) in plain {
        match merged.last_mut() {
            Some(last) if last.0 == digits && last.2.checked_add(1) == Some(from) => last.2 = to,
            _ => merged.push((digits, from, to)),
        }
    }
    let text = |digits: u8, value: u64| e164::NumberKey { digits, value }.to_e164();
    let mut ranges: Vec<Value> = merged
        .into_iter()
        .map(|(d, a, b)| serde_json::json!({"from": text(d, a), "to": text(d, b)}))
        .collect();
    ranges.extend(bad);
    entries.sort_by(|a, b| {
        a.get("number")
            .map(Value::to_string)
            .cmp(&b.get("number").map(Value::to_string))
    });
    spec.insert("ranges".into(), Value::Array(ranges));
    spec.insert("numbers".into(), Value::Array(entries));
    value
}

#[cfg(test)]
mod tests;
