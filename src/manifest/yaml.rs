//! YAML 1.2 → JSON values, with the source position of every node.
//!
//! We drive `saphyr-parser`'s event stream ourselves instead of using a ready-made loader so
//! that the limits that protect a CI runner are ours to enforce: duplicate keys are errors,
//! aliases are expanded against a node budget (a "billion laughs" document stops at the
//! budget instead of exhausting memory), nesting has a depth limit, and custom tags are refused.
//!
//! Positions are expensive to keep for a million-number repository, so the first pass builds
//! values only; [`parse`] with `with_spans = true` is run again on the few files that have
//! something to report.

use saphyr_parser::{Event, Parser, ScalarStyle, Span as RawSpan, Tag};
use serde_json::{Map, Number, Value};

pub use crate::diag::source::{Pos, Span};

/// A parser span in our terms (1-based columns).
fn span_of(raw: RawSpan) -> Span {
    let pos = |m: saphyr_parser::Marker| Pos {
        line: m.line() as u32,
        col: m.col() as u32 + 1,
    };
    Span {
        start: pos(raw.start),
        end: pos(raw.end),
    }
}

/// The position tree of one document, parallel to its JSON value.
#[derive(Debug, Clone)]
pub struct SpanNode {
    pub span: Span,
    pub children: SpanChildren,
}

#[derive(Debug, Clone)]
pub enum SpanChildren {
    Leaf,
    Seq(Vec<SpanNode>),
    /// key text, span of the key, node of the value
    Map(Vec<(String, Span, SpanNode)>),
}

/// Where a JSON pointer lands in the source.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The deepest node the pointer reached: the node itself, or, when the pointer goes deeper
    /// than the source (a missing field), the deepest node that exists.
    pub node: &'a SpanNode,
    /// The value's span.
    pub value: Span,
    /// The span of the mapping key that holds the value, when it is held by a key.
    pub key: Option<Span>,
    /// True when the pointer went deeper than the source (a missing field): the spans are
    /// those of the deepest node that exists.
    pub partial: bool,
}

/// The segments of a JSON pointer (`/spec/a~1b` → `spec`, `a/b`), unescaped as RFC 6901 says.
pub fn pointer_segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(unescape_segment)
}

/// One JSON pointer segment, unescaped (`~1` → `/`, then `~0` → `~`).
pub fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// One JSON pointer segment, escaped (`~` → `~0`, `/` → `~1`).
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl SpanNode {
    /// Follows a JSON pointer (`/spec/numbers/3/number`) as far as the source goes.
    pub fn resolve(&self, pointer: &str) -> Resolved<'_> {
        let mut node = self;
        let mut key = None;
        for segment in pointer_segments(pointer) {
            let next = match &node.children {
                SpanChildren::Map(entries) => entries
                    .iter()
                    .find(|(k, _, _)| *k == segment)
                    .map(|(_, key_span, child)| (Some(*key_span), child)),
                SpanChildren::Seq(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|child| (None, child)),
                SpanChildren::Leaf => None,
            };
            match next {
                Some((key_span, child)) => {
                    key = key_span;
                    node = child;
                }
                None => {
                    return Resolved {
                        node,
                        value: node.span,
                        key,
                        partial: true,
                    };
                }
            }
        }
        Resolved {
            node,
            value: node.span,
            key,
            partial: false,
        }
    }
}

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct YamlDoc {
    pub value: Value,
    /// Where the document's content starts.
    pub start: Pos,
    pub spans: Option<SpanNode>,
}

/// Why a file could not be read as YAML, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub message: String,
    pub span: Span,
    /// Another place the message refers to (the first occurrence of a duplicate key).
    pub related: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    Tab,
    DuplicateKey,
    Limit,
    Unsupported,
}

/// Limits against hostile or accidental giant input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Nodes an alias may add, summed over the file.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_alias_nodes: 10_000,
        }
    }
}

/// The result of parsing a file: the documents read before any error, and the errors.
/// A syntax error ends the file; a duplicate key drops only its document.
#[derive(Debug, Default)]
pub struct Parsed {
    pub docs: Vec<YamlDoc>,
    pub errors: Vec<YamlError>,
}

pub fn parse(text: &str, limits: Limits, with_spans: bool) -> Parsed {
    if with_spans {
        return parse_events(text, limits, true);
    }
    match parse_number_runs(text, limits) {
        Some(parsed) => parsed,
        None => parse_values(text, limits),
    }
}

/// The values of `text`'s documents: read directly when the file is in the plain block style,
/// through the event parser otherwise.
fn parse_values(text: &str, limits: Limits) -> Parsed {
    super::yaml_block::parse(text, limits).unwrap_or_else(|| parse_events(text, limits, false))
}

/// The YAML text of a number entry written on one line, `- {number: "+…"}`: its indentation
/// and its number (`+` and digits only, so the quoted string is its text as it stands).
fn number_entry(line: &str) -> Option<(usize, &str)> {
    let rest = line.trim_start_matches(' ');
    let number = rest.strip_prefix("- {number: \"")?.strip_suffix("\"}")?;
    let plain = !number.is_empty() && number.len() <= 20 && number.bytes().all(|b| b == b'+' || b.is_ascii_digit());
    plain.then_some((line.len() - rest.len(), number))
}

/// A run of number entries stands for itself in the shortened text as one entry holding this
/// prefix and the run's index.
const RUN_MARK: &str = "telform-number-run-";
/// Shorter runs are parsed as they are.
const MIN_RUN: usize = 8;

/// The fast path for the large `NumberSet`s: their numbers are long runs of lines of one form,
/// `- {number: "+…"}`, and the event parser spends most of a million-number repository's time
/// on them. Each run of at least [`MIN_RUN`] such lines at one indentation is replaced by one
/// line of that form holding a mark; the shortened text is parsed, and each entry that holds a
/// mark is replaced by the run's entries, built directly. The lines of a run are alike, so the
/// shortened text has the structure of the whole one, except where a run is not a list's
/// entries at all (inside a block or multi-line scalar, or under an alias): then a mark is
/// found in a string, or twice, or not at all, and the file is parsed in full instead. So is a
/// file with any YAML error (its positions must be those of the file itself).
fn parse_number_runs(text: &str, limits: Limits) -> Option<Parsed> {
    if !text.contains("- {number: \"") || text.contains(RUN_MARK) {
        return None;
    }
    let mut shortened = Shortened::default();
    for piece in text.split_inclusive('\n') {
        match piece.strip_suffix('\n').and_then(number_entry) {
            Some((indent, number)) => {
                if !shortened.run.is_empty() && indent != shortened.indent {
                    shortened.flush();
                }
                shortened.indent = indent;
                shortened.run.push(number);
                shortened.run_lines.push(piece);
            }
            None => {
                shortened.flush();
                shortened.line += 1;
                shortened.text.push_str(piece);
            }
        }
    }
    shortened.flush();
    let Shortened {
        text: short,
        runs,
        shifts,
        ..
    } = shortened;
    if runs.is_empty() {
        return None;
    }
    let mut parsed = parse_values(&short, limits);
    if !parsed.errors.is_empty() {
        return None;
    }
    let mut found = vec![0u32; runs.len()];
    for doc in &mut parsed.docs {
        expand_runs(&mut doc.value, &runs, &mut found);
        let removed: u32 = shifts
            .iter()
            .filter(|(line, _)| *line < doc.start.line)
            .map(|(_, n)| n)
            .sum();
        doc.start.line += removed;
    }
    found.iter().all(|n| *n == 1).then_some(parsed)
}

/// The text being shortened, and its runs.
#[derive(Default)]
struct Shortened<'t> {
    text: String,
    /// Lines written so far.
    line: u32,
    runs: Vec<Vec<&'t str>>,
    /// (line of the shortened text that holds a run's mark, lines of the file it leaves out)
    shifts: Vec<(u32, u32)>,
    /// The run being read: its numbers, its lines and their indentation.
    run: Vec<&'t str>,
    run_lines: Vec<&'t str>,
    indent: usize,
}

impl<'t> Shortened<'t> {
    /// Ends the run being read: a long one is written as its mark, a short one as it stands.
    fn flush(&mut self) {
        if self.run.len() >= MIN_RUN {
            self.line += 1;
            self.text.push_str(&" ".repeat(self.indent));
            self.text
                .push_str(&format!("- {{number: \"{RUN_MARK}{}\"}}\n", self.runs.len()));
            self.shifts.push((self.line, self.run.len() as u32 - 1));
            self.runs.push(std::mem::take(&mut self.run));
        } else {
            for line in &self.run_lines {
                self.line += 1;
                self.text.push_str(line);
            }
            self.run.clear();
        }
        self.run_lines.clear();
    }
}

/// The run a marked entry stands for.
fn run_of(value: &Value) -> Option<usize> {
    let Value::Object(map) = value else { return None };
    match map.get("number") {
        Some(Value::String(text)) if map.len() == 1 => text.strip_prefix(RUN_MARK)?.parse().ok(),
        _ => None,
    }
}

/// Replaces each marked entry of a list by its run's entries, counting the marks found.
fn expand_runs(value: &mut Value, runs: &[Vec<&str>], found: &mut [u32]) {
    match value {
        Value::Array(items) if items.iter().any(|item| run_of(item).is_some()) => {
            let size = |item: &Value| match run_of(item) {
                Some(run) if run < runs.len() => runs[run].len(),
                _ => 1,
            };
            let mut expanded = Vec::with_capacity(items.iter().map(size).sum());
            for mut item in std::mem::take(items) {
                match run_of(&item) {
                    Some(run) if run < runs.len() => {
                        found[run] += 1;
                        expanded.extend(runs[run].iter().map(|number| {
                            let mut entry = Map::new();
                            entry.insert("number".to_string(), Value::String(number.to_string()));
                            Value::Object(entry)
                        }));
                    }
                    _ => {
                        expand_runs(&mut item, runs, found);
                        expanded.push(item);
                    }
                }
            }
            *items = expanded;
        }
        Value::Array(items) => items.iter_mut().for_each(|item| expand_runs(item, runs, found)),
        Value::Object(map) => map.values_mut().for_each(|item| expand_runs(item, runs, found)),
        _ => {}
    }
}

/// Parses `text` through the event parser, every node built from its events.
fn parse_events(text: &str, limits: Limits, with_spans: bool) -> Parsed {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        limits,
        with_spans,
        anchors: Vec::new(),
        alias_nodes: 0,
        doc_errors: Vec::new(),
    };
    let mut parsed = Parsed::default();
    loop {
        let (event, span) = match builder.next() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(error) => {
                parsed.errors.push(error);
                break;
            }
        };
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                builder.anchors.clear();
                builder.doc_errors.clear();
                match builder.node_after_start() {
                    Ok((value, node)) => {
                        if builder.doc_errors.is_empty() {
                            parsed.docs.push(YamlDoc {
                                value,
                                start: node.as_ref().map_or(span_of(span).start, |n| n.span.start),
                                spans: node,
                            });
                        } else {
                            parsed.errors.append(&mut builder.doc_errors);
                        }
                    }
                    Err(error) => {
                        parsed.errors.append(&mut builder.doc_errors);
                        parsed.errors.push(error);
                        break;
                    }
                }
            }
            other => {
                parsed.errors.push(YamlError {
                    kind: YamlErrorKind::Syntax,
                    message: format!("unexpected YAML event {other:?}"),
                    span: span_of(span),
                    related: None,
                });
                break;
            }
        }
    }
    parsed
}

type Built = (Value, Option<SpanNode>);

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    limits: Limits,
    with_spans: bool,
    /// Anchored values by anchor id, with their node counts for the alias budget.
    anchors: Vec<Option<(Value, Option<SpanNode>, usize)>>,
    alias_nodes: usize,
    /// Errors that spoil the current document but not the rest of the file.
    doc_errors: Vec<YamlError>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<Option<(Event<'a>, RawSpan)>, YamlError> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok(event)) => Ok(Some(event)),
            Some(Err(error)) => {
                let marker = error.marker();
                let pos = Pos {
                    line: marker.line() as u32,
                    col: marker.col() as u32 + 1,
                };
                let info = error.info();
                let kind = if info.contains("recursion limit") {
                    YamlErrorKind::Limit
                } else if info.contains("tab") {
                    YamlErrorKind::Tab
                } else {
                    YamlErrorKind::Syntax
                };
                Err(YamlError {
                    kind,
                    message: info.to_string(),
                    span: Span::point(pos),
                    related: None,
                })
            }
        }
    }

    fn node_after_start(&mut self) -> Result<Built, YamlError> {
        let Some((event, span)) = self.next()? else {
            return Ok((Value::Null, None));
        };
        let (value, node, _) = self.node(event, span, 0)?;
        Ok((value, node))
    }

    /// Builds the node that starts with `event`. Returns its value, spans and node count.
    fn node(
        &mut self,
        event: Event<'a>,
        raw: RawSpan,
        depth: usize,
    ) -> Result<(Value, Option<SpanNode>, usize), YamlError> {
        let span = span_of(raw);
        if depth > self.limits.max_depth {
            return Err(YamlError {
                kind: YamlErrorKind::Limit,
                message: format!("nesting is deeper than {} levels", self.limits.max_depth),
                span,
                related: None,
            });
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = match resolve_scalar(&text, style, tag.as_deref()) {
                    Ok(value) => value,
                    Err(message) => {
                        return Err(YamlError {
                            kind: YamlErrorKind::Unsupported,
                            message,
                            span,
                            related: None,
                        });
                    }
                };
                let node = self.with_spans.then_some(SpanNode {
                    span,
                    children: SpanChildren::Leaf,
                });
                self.remember(anchor, &value, &node, 1);
                Ok((value, node, 1))
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", span)?;
                let mut items = Vec::new();
                let mut spans = Vec::new();
                let mut count = 1;
                let mut end = span.end;
                loop {
                    let (event, raw) = self.expect_next(span)?;
                    if let Event::SequenceEnd = event {
                        end = span_of(raw).end.max(end);
                        break;
                    }
                    let (value, node, n) = self.node(event, raw, depth + 1)?;
                    count += n;
                    items.push(value);
                    if let Some(node) = node {
                        end = node.span.end.max(end);
                        spans.push(node);
                    }
                }
                let value = Value::Array(items);
                let node = self.with_spans.then_some(SpanNode {
                    span: Span { start: span.start, end },
                    children: SpanChildren::Seq(spans),
                });
                self.remember(anchor, &value, &node, count);
                Ok((value, node, count))
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", span)?;
                let mut map = Map::new();
                let mut entries: Vec<(String, Span, SpanNode)> = Vec::new();
                let mut key_spans: Vec<(String, Span)> = Vec::new();
                let mut count = 1;
                let mut end = span.end;
                loop {
                    let (event, raw) = self.expect_next(span)?;
                    let key_span = span_of(raw);
                    let key = match event {
                        Event::MappingEnd => {
                            end = key_span.end.max(end);
                            break;
                        }
                        Event::Scalar(text, _, _, _) => text.into_owned(),
                        _ => {
                            return Err(YamlError {
                                kind: YamlErrorKind::Unsupported,
                                message: "a mapping key must be a plain string, not a list, a mapping or an alias"
                                    .into(),
                                span: key_span,
                                related: None,
                            });
                        }
                    };
                    let (event, raw) = self.expect_next(span)?;
                    let (value, node, n) = self.node(event, raw, depth + 1)?;
                    count += n;
                    if map.contains_key(&key) {
                        let first = key_spans.iter().find(|(k, _)| *k == key).map(|(_, s)| *s);
                        self.doc_errors.push(YamlError {
                            kind: YamlErrorKind::DuplicateKey,
                            message: format!("duplicate key `{key}`"),
                            span: key_span,
                            related: first,
                        });
                        continue;
                    }
                    // Key spans are kept even without the span tree so that a duplicate key
                    // can point at its first occurrence on the first pass.
                    key_spans.push((key.clone(), key_span));
                    if let Some(node) = node {
                        end = node.span.end.max(end);
                        entries.push((key.clone(), key_span, node));
                    }
                    map.insert(key, value);
                }
                let value = Value::Object(map);
                let node = self.with_spans.then_some(SpanNode {
                    span: Span { start: span.start, end },
                    children: SpanChildren::Map(entries),
                });
                self.remember(anchor, &value, &node, count);
                Ok((value, node, count))
            }
            Event::Alias(id) => {
                let Some(Some((value, node, count))) = self.anchors.get(id).cloned() else {
                    return Err(YamlError {
                        kind: YamlErrorKind::Syntax,
                        message: "alias to an anchor that is not defined before it".into(),
                        span,
                        related: None,
                    });
                };
                self.alias_nodes += count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(YamlError {
                        kind: YamlErrorKind::Limit,
                        message: format!(
                            "aliases expand to more than {} nodes (an alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                        span,
                        related: None,
                    });
                }
                // An alias points back at the anchored node's source; the alias itself is
                // where a reader would look, so the top span is the alias.
                let node = node.map(|mut n| {
                    n.span = span;
                    n
                });
                Ok((value, node, count))
            }
            other => Err(YamlError {
                kind: YamlErrorKind::Syntax,
                message: format!("unexpected YAML event {other:?}"),
                span,
                related: None,
            }),
        }
    }

    fn expect_next(&mut self, open: Span) -> Result<(Event<'a>, RawSpan), YamlError> {
        match self.next()? {
            Some(event) => Ok(event),
            None => Err(YamlError {
                kind: YamlErrorKind::Syntax,
                message: "the file ends inside an unclosed mapping or list".into(),
                span: open,
                related: None,
            }),
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value, node: &Option<SpanNode>, count: usize) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some((value.clone(), node.clone(), count));
    }
}

fn check_collection_tag(tag: Option<&Tag>, expected: &str, span: Span) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(tag) if tag.is_yaml_core_schema() && tag.suffix == expected => Ok(()),
        Some(tag) => Err(YamlError {
            kind: YamlErrorKind::Unsupported,
            message: format!("YAML tag `{}{}` is not supported here", tag.handle, tag.suffix),
            span,
            related: None,
        }),
    }
}

/// Resolves a scalar with the YAML 1.2 core schema. Quoted and block scalars are strings.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(format!("YAML tag `{}{}` is not supported", tag.handle, tag.suffix));
        }
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "null" => Ok(Value::Null),
            "bool" => match text {
                "true" | "True" | "TRUE" => Ok(Value::Bool(true)),
                "false" | "False" | "FALSE" => Ok(Value::Bool(false)),
                _ => Err(format!("`{text}` is not a boolean")),
            },
            "int" | "float" => plain_number(text).ok_or_else(|| format!("`{text}` is not a number")),
            other => Err(format!("YAML tag `!!{other}` is not supported on a scalar")),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(resolve_plain(text))
}

/// An untagged plain scalar with the YAML 1.2 core schema: null, a boolean, a number or a string.
pub(super) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => plain_number(text).unwrap_or_else(|| Value::String(text.to_string())),
    }
}

fn plain_number(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        if let Ok(u) = unsigned.parse::<u64>()
            && bytes[0] != b'-'
        {
            return Some(Value::Number(u.into()));
        }
        return text.parse::<f64>().ok().and_then(float_value);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|i| Value::Number(i.into()));
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(|i| Value::Number(i.into()));
    }
    // YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let mut chars = unsigned.chars().peekable();
    let mut digits = 0;
    while chars.peek().is_some_and(char::is_ascii_digit) {
        chars.next();
        digits += 1;
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('+' | '-')) {
            chars.next();
        }
        let mut exp = 0;
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            exp += 1;
        }
        if exp == 0 {
            return None;
        }
    }
    if chars.next().is_some() {
        return None;
    }
    text.parse::<f64>().ok().and_then(float_value)
}

/// A float as a JSON number. A whole number that a `f64` holds exactly (`8.0`, `1e0`) is an
/// integer: YAML writers mean the same thing by `8` and `8.0`, and an integer field given `8.0`
/// would otherwise pass the schema (JSON Schema counts 8.0 as an integer) and fail later.
fn float_value(x: f64) -> Option<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        return Some(Value::Number((x as i64).into()));
    }
    Number::from_f64(x).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Value> {
        let parsed = parse(text, Limits::default(), false);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.docs.into_iter().map(|d| d.value).collect()
    }

    #[test]
    fn core_schema_scalars() {
        let v = values("a: 1\nb: '1'\nc: true\nd: ~\ne: +14255550100\nf: 1.5\ng: abc\nh: 0x1F\ni: 001a2b\n");
        assert_eq!(
            v[0],
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": null, "e": 14255550100i64, "f": 1.5, "g": "abc", "h": 31, "i": "001a2b"})
        );
    }

    #[test]
    fn whole_floats_are_integers() {
        let v = values("a: 8.0\nb: 1e0\nc: -2.0\nd: 1.5\ne: 1e300\nf: !!float 3\n");
        assert_eq!(v[0]["a"], serde_json::json!(8));
        assert!(v[0]["a"].is_i64());
        assert!(v[0]["b"].is_i64() && v[0]["c"].is_i64() && v[0]["f"].is_i64());
        assert!(v[0]["d"].is_f64() && v[0]["e"].is_f64());
    }

    #[test]
    fn pointer_segments_unescape() {
        let segments: Vec<String> = pointer_segments("/a~1b/c~0d/~01").collect();
        assert_eq!(segments, ["a/b", "c~d", "~1"]);
        assert_eq!(escape_segment("a/b~"), "a~1b~0");
    }

    #[test]
    fn several_documents() {
        assert_eq!(values("a: 1\n---\nb: 2\n").len(), 2);
    }

    #[test]
    fn duplicate_key_points_at_both() {
        let parsed = parse("a: 1\nb: 2\na: 3\n", Limits::default(), false);
        assert_eq!(parsed.errors.len(), 1);
        let e = &parsed.errors[0];
        assert_eq!(e.kind, YamlErrorKind::DuplicateKey);
        assert_eq!(e.span.start, Pos { line: 3, col: 1 });
        assert_eq!(e.related.unwrap().start, Pos { line: 1, col: 1 });
    }

    #[test]
    fn alias_bomb_stops_at_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let parsed = parse(&text, Limits::default(), false);
        assert_eq!(parsed.errors[0].kind, YamlErrorKind::Limit);
    }

    #[test]
    fn deep_nesting_stops_at_limit() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let parsed = parse(&text, Limits::default(), false);
        assert_eq!(parsed.errors[0].kind, YamlErrorKind::Limit);
    }

    /// The fast path gives what the event parser gives on the whole text.
    fn same_as_full(text: &str) {
        let fast = parse(text, Limits::default(), false);
        let full = parse_events(text, Limits::default(), false);
        assert_eq!(fast.errors, full.errors, "{text}");
        assert_eq!(fast.docs.len(), full.docs.len(), "{text}");
        for (a, b) in fast.docs.iter().zip(&full.docs) {
            assert_eq!(a.value, b.value, "{text}");
            assert_eq!(a.start, b.start, "{text}");
        }
    }

    fn entries(indent: usize, from: u64, count: u64) -> String {
        (from..from + count)
            .map(|n| format!("{}- {{number: \"+1200{n:07}\"}}\n", " ".repeat(indent)))
            .collect()
    }

    #[test]
    fn number_runs_parse_as_the_whole_text() {
        let head = "apiVersion: telform/v1\nkind: NumberSet\nmetadata: {name: s}\nspec:\n  account: a\n  service: operatorConnect\n  numbers:\n";
        let sets = format!(
            "{head}{}---\n# next\n{head}{}  ensure: present\n---\n{head}{}",
            entries(4, 0, 30),
            entries(4, 100, 12),
            entries(2, 200, 9)
        );
        assert!(parse_number_runs(&sets, Limits::default()).is_some());
        same_as_full(&sets);
        // Entries with other attributes split a run; short runs stay as they are.
        let mixed = format!(
            "{head}{}    - {{number: \"+12001\", usage: user}}\n{}{}",
            entries(4, 0, 10),
            entries(4, 20, 3),
            entries(4, 40, 10)
        );
        assert!(parse_number_runs(&mixed, Limits::default()).is_some());
        same_as_full(&mixed);
        // A list at the top, and a last line without its line break.
        let top = entries(0, 0, 20);
        same_as_full(&top);
        same_as_full(top.trim_end());
        // Runs at two indentations one after the other.
        same_as_full(&format!("a:\n{}b:\n  c:\n{}", entries(2, 0, 10), entries(4, 0, 10)));
        same_as_full(&format!("a:\n  - x\n  -\n{}", entries(4, 0, 10)));
    }

    #[test]
    fn number_runs_that_are_not_list_entries_are_parsed_in_full() {
        // Inside a block scalar, a multi-line plain scalar, under an alias, with an error.
        let literal = format!("a: |\n{}b: 1\n", entries(2, 0, 10));
        assert!(parse_number_runs(&literal, Limits::default()).is_none());
        same_as_full(&literal);
        let folded = format!("a: >\n{}", entries(4, 0, 10));
        same_as_full(&folded);
        let plain = format!("a: b\n{}", entries(2, 0, 10));
        same_as_full(&plain);
        let quoted = format!("a: \"b\n{}\"\n", entries(2, 0, 10));
        same_as_full(&quoted);
        let alias = format!("a: &x\n{}b: *x\n", entries(2, 0, 10));
        assert!(parse_number_runs(&alias, Limits::default()).is_none());
        same_as_full(&alias);
        let error = format!("a:\n{}b: [\n", entries(2, 0, 10));
        assert!(parse_number_runs(&error, Limits::default()).is_none());
        same_as_full(&error);
        let duplicate = format!("a:\n{}a: 1\n", entries(2, 0, 10));
        same_as_full(&duplicate);
        let flow = format!("a: [\n{}]\n", entries(2, 0, 10));
        same_as_full(&flow);
        let marked = format!("a:\n{}b: {RUN_MARK}0\n", entries(2, 0, 10));
        assert!(parse_number_runs(&marked, Limits::default()).is_none());
        same_as_full(&marked);
        let tabs = format!("a:\n{}\tb: 1\n", entries(2, 0, 10));
        same_as_full(&tabs);
        let crlf = entries(2, 0, 10).replace('\n', "\r\n");
        same_as_full(&format!("a:\r\n{crlf}"));
    }

    /// Every YAML file of the repository's examples and test inputs (and of the folder named by
    /// `TELFORM_YAML_COMPARE_DIR`, e.g. the synthetic repository of docs/benchmarks.md) parses
    /// the same on both paths.
    #[test]
    fn files_parse_the_same_on_both_paths() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("examples"), &mut files);
        walk(&root.join("tests"), &mut files);
        if let Some(dir) = std::env::var_os("TELFORM_YAML_COMPARE_DIR") {
            walk(std::path::Path::new(&dir), &mut files);
        }
        assert!(files.len() > 100);
        for file in files {
            if let Ok(text) = std::fs::read_to_string(&file) {
                same_as_full(&text);
            }
        }
    }

    const USER: &str = "apiVersion: telform/v1\nkind: User\nmetadata: {name: cust0251-u01, labels: {team: \"a b\"}}\nspec:\n  customer: CUST-000251\n  email: u01@cust0251.example\n  firstName: O'Brien\n  lastName: Thomas, Jr.\n  package: webex_calling\n  extension: \"1000\"\n  admin: true\n  phoneNumber: +12125550100\n";
    const DEVICE: &str = "# devices\n---\napiVersion: telform/v1\nkind: Device\nmetadata:\n  name: 'desk'\nspec:\n  customer: CUST-000001\n  mac: \"80:5E:C0:00:00:00\"\n  owner: {user: u01@cust0001.example}\n  sipPassword: {generate: true, rotation: 2}\n  sharedWith: []\n  tags:\n  - a\n  - {b: [1, 2.5, ~, x y]}\n\n  list:\n    - key: 1\n      other: -2\n    - plain\n  empty:\n";

    #[test]
    fn plain_block_files_are_read_directly() {
        for text in [USER, DEVICE, &format!("{USER}{DEVICE}---\n{USER}"), "a: 1"] {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_some(),
                "{text}"
            );
            same_as_full(text);
        }
        let device = &values(DEVICE)[0];
        assert_eq!(device["spec"]["mac"], "80:5E:C0:00:00:00");
        assert_eq!(device["spec"]["tags"][1]["b"], serde_json::json!([1, 2.5, null, "x y"]));
        assert_eq!(device["spec"]["list"][0], serde_json::json!({"key": 1, "other": -2}));
        assert_eq!(device["spec"]["empty"], Value::Null);
    }

    /// A hostile file of one long `{…}` line: each key is read once (read again from the key to
    /// the end of the line, 100,000 keys would take minutes).
    #[test]
    fn a_long_flow_line_reads_in_one_pass() {
        let entries: Vec<String> = (0..100_000).map(|i| format!("k{i}: {i}")).collect();
        let text = format!("a: {{{}}}\n", entries.join(", "));
        assert!(super::super::yaml_block::parse(&text, Limits::default()).is_some());
        same_as_full(&text);
    }

    #[test]
    fn lines_of_doubtful_meaning_go_to_the_event_parser() {
        let doubtful = [
            "a: 1 # comment\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: plain\n  continued\n",
            "a: \"two\n  lines\"\n",
            "a: \"esc\\\"aped\"\n",
            "a: 'it''s'\n",
            "a: {b: 'it''s'}\n",
            "a:\tb\n",
            "a: b\r\n",
            "\u{feff}a: 1\n",
            "a: 1\na: 2\n",
            "a: {b: 1, b: 2}\n",
            "a: {b: 1,}\n",
            "a: {b}\n",
            "a: {b:c}\n",
            "a: {\"b\": 1}\n",
            "a: [b, {c: d: e}]\n",
            "a: [b\n",
            "a: [b] c\n",
            "a: b: c\n",
            "a: b:\n",
            "a:\n  b: 1\n c: 2\n",
            "a:\n    b: 1\n  c: 2\n",
            "a:\n  - b\n   - c\n",
            "a:\n  -\n    b\n",
            "a:\n  - - b\n",
            "- a\n- b\n",
            "  a: 1\n",
            "? a\n: b\n",
            "\"a\": 1\n",
            "a : 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "--- a: 1\n",
            "a: 1\n---\n",
            "---\n---\na: 1\n",
            "# only a comment\n",
            "",
            "a: @b\n",
            "a: `b`\n",
            "a: -\n",
            "a: - b\n",
            "a: x]\n",
            "a: [x: y]\n",
            "a: {b: #c}\n",
            "a: \u{85}b\n",
            "a: b\u{2028}c\n",
        ];
        for text in doubtful {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_none(),
                "{text:?}"
            );
            same_as_full(text);
        }
        // Deeper than the limit on either path.
        let deep: String =
            (0..70).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>() + &"  ".repeat(70) + "k: v\n";
        same_as_full(&deep);
        let deep_flow = format!("a: {}1{}\n", "[".repeat(70), "]".repeat(70));
        same_as_full(&deep_flow);
    }

    /// YAML limits an implicit key to 1024 characters: the event parser refuses a longer key in
    /// block context (an error, or the line read as a string), so such a key is not read here.
    #[test]
    fn keys_of_1024_characters_or_more_go_to_the_event_parser() {
        let long = "k".repeat(1025);
        let refused = [
            format!("{long}: 1\n"),
            format!("a:\n  {long}: 1\n"),
            format!("a:\n- {long}: 1\n"),
            format!("a:\n-   {long}: 1\n"),
            format!("a:\n- x: 1\n  {long}: 1\n"),
            format!("{long}:\n  x: 1\n"),
            format!("a: {{{long}: 1}}\n"),
        ];
        for text in &refused {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_none(),
                "{text}"
            );
            same_as_full(text);
        }
        let short = "k".repeat(1023);
        for text in [
            format!("{short}: 1\n"),
            format!("a:\n- {short}: 1\n"),
            format!("a: {{{short}: 1}}\n"),
        ] {
            assert!(
                super::super::yaml_block::parse(&text, Limits::default()).is_some(),
                "{text}"
            );
            same_as_full(&text);
        }
    }

    /// In a flow collection, a `-` after a space and right before `,`, `]` or `}` is an error on
    /// the event path (the scanner starts a new plain scalar there, and one cannot begin with
    /// `-` and a flow indicator): not read as part of the scalar here.
    #[test]
    fn a_dash_before_a_flow_indicator_goes_to_the_event_parser() {
        for text in [
            "a: [b -]\n",
            "a: [b -, c]\n",
            "a: [1, x y -]\n",
            "a: {b: c -}\n",
            "a: {b: [c -], d: e}\n",
            "a:\n- [b -[c]]\n",
            "a: [b - ]\n",
        ] {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_none(),
                "{text:?}"
            );
            same_as_full(text);
        }
        for text in ["a: [b-, c - d, -1]\n", "a: {b: c-}\n", "a: x -\n"] {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_some(),
                "{text:?}"
            );
            same_as_full(text);
        }
    }

    /// A key without a value holds a null one level deeper than its mapping, which counts
    /// against the depth limit on the event path.
    #[test]
    fn an_empty_value_deeper_than_the_limit_goes_to_the_event_parser() {
        let nested = |levels: usize| -> String { (0..levels).map(|i| format!("{}k:\n", "  ".repeat(i))).collect() };
        let too_deep = [nested(65), format!("{}{}- k:\n", nested(63), "  ".repeat(63))];
        for text in &too_deep {
            assert!(
                super::super::yaml_block::parse(text, Limits::default()).is_none(),
                "{text}"
            );
            same_as_full(text);
        }
        // At the limit, both paths read it.
        for text in [nested(64), format!("{}{}- k: 1\n", nested(62), "  ".repeat(62))] {
            assert!(
                super::super::yaml_block::parse(&text, Limits::default()).is_some(),
                "{text}"
            );
            same_as_full(&text);
        }
    }

    proptest::proptest! {
        /// Lines assembled from pieces of the plain block style and pieces that are not read
        /// the same on both paths, or not at all: whatever the fast path accepts, it reads as
        /// the event parser does.
        #[test]
        fn any_mix_of_lines_reads_as_the_event_parser_reads_it(
            lines in proptest::collection::vec(
                (0usize..4, proptest::sample::select(vec![
                    "a:", "b: 1", "c: x y", "d: \"q: #\"", "e: 'q'", "- f", "- g: 1", "-", "- - h",
                    "i: {j: 1, k: [l, 2]}", "m: []", "n: {}", "# note", "", "---", "o: p # c",
                    "q: &r s", "t: *r", "u: |", "  v", "w: 'x''y'", "z: -1", "aa: 0x1F", "ab: .5",
                    "ac: ~", "ad: True", "ae: 1e3", "af: +1", "ag: a, b", "ah: x:y", "ai: {aj: a b}",
                    "ak: [\"l, m\", 'n']", "al: {am: [1, {an: 2}]}", "b: 2", "ao: é ü", "ap:   q",
                    "K1023: 1", "K1025: 1", "- K1025: 1", "K1025:", "aq: {K1025: 1}",
                    "ar: [s -, t-]", "as: {t: u -}",
                ])),
                0..24,
            )
        ) {
            // `K1023` and `K1025` stand for keys of that many characters, around YAML's limit.
            let text: String = lines
                .iter()
                .map(|(indent, line)| format!("{}{}\n", "  ".repeat(*indent), line))
                .collect::<String>()
                .replace("K1023", &"k".repeat(1023))
                .replace("K1025", &"k".repeat(1025));
            same_as_full(&text);
        }
    }

    proptest::proptest! {
        /// Lines of the plain block style under a nesting of mappings that reaches the depth
        /// limit: whatever the fast path accepts is within the limit, as on the event path.
        #[test]
        fn lines_near_the_depth_limit_read_as_the_event_parser_reads_them(
            levels in 60usize..67,
            lines in proptest::collection::vec(
                (0usize..3, proptest::sample::select(vec![
                    "a:", "b: 1", "- c", "- d: 1", "- e:", "f: []", "g: {}", "h: [1, [2]]",
                    "i: {j: {k: 1}}", "l: 'm'", "- [n]", "# note", "",
                ])),
                0..8,
            )
        ) {
            let mut text: String = (0..levels).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
            for (deeper, line) in &lines {
                text.push_str(&format!("{}{}\n", "  ".repeat(levels + deeper), line));
            }
            same_as_full(&text);
        }
    }

    proptest::proptest! {
        /// The same with the plain block style's pieces only, most of which the fast path reads.
        #[test]
        fn any_plain_block_text_reads_as_the_event_parser_reads_it(
            lines in proptest::collection::vec(
                (0usize..3, proptest::sample::select(vec![
                    "a:", "b: 1", "c: x y", "d: \"q: #\"", "e: 'q'", "- f", "- g: 1", "- h:",
                    "i: {j: 1, k: [l, 2]}", "m: []", "n: {}", "# note", "", "z: -1", "aa: 0x1F",
                    "ab: .5", "ac: ~", "ad: True", "ae: 1e3", "af: +1", "ag: a, b", "ah: x:y",
                    "ai: {aj: a b}", "ak: [\"l, m\", 'n']", "al: {am: [1, {an: 2}]}", "ao: é ü",
                    "- [1, 2]", "- 'p'", "ap:    q",
                ])),
                1..16,
            ),
            documents in 1usize..3,
        ) {
            let document: String = lines
                .iter()
                .map(|(indent, line)| format!("{}{}\n", "  ".repeat(*indent), line))
                .collect();
            let text = format!("top: 1\n{document}").repeat(documents).replace("top: 1\n", "---\ntop: 1\n");
            same_as_full(&text);
        }
    }

    /// A random document in the plain block style, rendered from `seed`.
    fn block_document(seed: u64) -> String {
        struct Random(u64);
        impl Random {
            fn below(&mut self, n: usize) -> usize {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((self.0 >> 33) % n as u64) as usize
            }
        }
        const SCALARS: [&str; 24] = [
            "x",
            "x y",
            "1",
            "-2",
            "2.50",
            "1e3",
            "0x1F",
            "0o17",
            "~",
            "null",
            "True",
            "false",
            "+14255550100",
            "\"80:5E:C0\"",
            "'a, b'",
            "\"\"",
            "''",
            "é",
            "a-b_c.d",
            "12:30",
            "O'Brien",
            "a, b",
            "x#y",
            "007",
        ];
        fn flow(random: &mut Random, depth: usize) -> String {
            match random.below(if depth > 2 { 1 } else { 4 }) {
                0 => SCALARS[random.below(SCALARS.len())]
                    .replace(", ", "-")
                    .replace(['#', ':'], ""),
                1 => "[]".into(),
                2 => {
                    let items: Vec<String> = (0..random.below(4)).map(|_| flow(random, depth + 1)).collect();
                    format!("[{}]", items.join(", "))
                }
                _ => {
                    let entries: Vec<String> = (0..random.below(4))
                        .map(|i| format!("k{i}: {}", flow(random, depth + 1)))
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }
            }
        }
        fn mapping(random: &mut Random, indent: usize, depth: usize, out: &mut String, first_inline: bool) {
            for i in 0..1 + random.below(4) {
                if !(first_inline && i == 0) {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&format!("key{i}:"));
                value(random, indent, depth, out);
            }
        }
        fn value(random: &mut Random, indent: usize, depth: usize, out: &mut String) {
            match random.below(if depth > 3 { 2 } else { 6 }) {
                0 => out.push_str(&format!(" {}\n", SCALARS[random.below(SCALARS.len())])),
                1 => out.push_str(&format!(" {}\n", flow(random, 0))),
                2 => out.push('\n'),
                3 => {
                    out.push('\n');
                    let deeper = indent + 1 + random.below(3);
                    mapping(random, deeper, depth + 1, out, false);
                }
                _ => {
                    out.push('\n');
                    let at = indent + 2 * random.below(2);
                    for _ in 0..1 + random.below(3) {
                        out.push_str(&" ".repeat(at));
                        out.push_str("- ");
                        if random.below(2) == 0 {
                            mapping(random, at + 2, depth + 1, out, true);
                        } else {
                            out.push_str(&format!("{}\n", flow(random, 0)));
                        }
                    }
                }
            }
        }
        let mut random = Random(seed);
        let mut out = String::new();
        mapping(&mut random, 0, 0, &mut out, false);
        out
    }

    proptest::proptest! {
        /// Random documents of the plain block style, alone or one after another: the fast path
        /// reads them, as the event parser does.
        #[test]
        fn random_plain_block_documents_read_as_the_event_parser_reads_them(seeds in proptest::collection::vec(proptest::num::u64::ANY, 1..4)) {
            let text: String = seeds.iter().map(|seed| format!("---\n{}", block_document(*seed))).collect();
            proptest::prop_assert!(super::super::yaml_block::parse(&text, Limits::default()).is_some(), "{}", text);
            same_as_full(&text);
        }
    }

    #[test]
    fn spans_resolve_pointers() {
        let text = "spec:\n  numbers:\n    - number: '+1'\n    - number: '+2'\n";
        let parsed = parse(text, Limits::default(), true);
        let tree = parsed.docs[0].spans.as_ref().unwrap();
        let r = tree.resolve("/spec/numbers/1/number");
        assert!(!r.partial);
        assert_eq!(r.value.start, Pos { line: 4, col: 15 });
        assert_eq!(r.key.unwrap().start, Pos { line: 4, col: 7 });
        let missing = tree.resolve("/spec/ranges");
        assert!(missing.partial);
    }
}
