//! Putting keys in schema order and sorted lists in order, by moving whole blocks of lines.
//!
//! The YAML parser drops comments, so fmt never re-serialises a document. It moves the source
//! text itself: each entry of a block mapping or list owns whole lines (its key line, its
//! value, the comment lines right above it and deeper-indented comments right after it), and
//! those blocks are permuted. Every scalar keeps its exact text, every comment travels with the
//! key it sits on, and blank lines stay where they were (they separate positions, not keys).
//! Flow collections (`{enabled: true, sync: true}`, `[inbound, outbound]`) are permuted item by
//! item inside their brackets. Whatever cannot be moved safely (a comment inside a flow
//! collection that must be reordered, an unusual layout) is refused with a position and a hint;
//! nothing is rewritten half-way.

use serde_json::Value;

use super::Refusal;
use super::shape::{Shape, SortBy};
use super::source::Source;
use crate::manifest::yaml::{Pos, Span, SpanChildren, SpanNode};

/// How the lines of a block collection are shared among its entries. Ranges are 0-based lines,
/// end exclusive.
pub(super) struct Layout {
    /// Lines before the first entry's head that stay in place.
    pub(super) prefix: (usize, usize),
    pub(super) entries: Vec<Part>,
    /// Lines after the last entry's body that stay in place.
    pub(super) suffix: (usize, usize),
}

pub(super) struct Part {
    /// Blank lines (and comments separated from the entry by a blank line) before the head;
    /// they belong to the position, not to the entry. Empty for the first entry.
    pub(super) gap: (usize, usize),
    /// Comment lines directly above the entry: they move with it.
    pub(super) head: (usize, usize),
    /// The entry itself, from its first line to its last content line, plus the comments
    /// indented deeper than the entry that follow it.
    pub(super) body: (usize, usize),
}

pub struct Reorder<'s, 'a> {
    pub src: &'s Source<'a>,
}

/// The kind of node, as written.
pub(super) enum Written {
    Scalar,
    Alias,
    Flow,
    Block,
}

impl Reorder<'_, '_> {
    pub(super) fn written(&self, node: &SpanNode) -> Written {
        let start = self.src.offset(node.span.start);
        // A block collection's span starts where its first item does (a block list of flow
        // mappings starts with `{`): a flow collection starts with its bracket, before that.
        let first = match &node.children {
            SpanChildren::Map(entries) => entries.first().map(|(_, key, _)| key.start),
            SpanChildren::Seq(items) => items.first().map(|item| item.span.start),
            SpanChildren::Leaf => None,
        };
        match (&node.children, self.src.text[start..].chars().next()) {
            (_, Some('*')) => Written::Alias,
            (SpanChildren::Leaf, _) => Written::Scalar,
            (_, Some('{' | '[')) if first != Some(node.span.start) => Written::Flow,
            _ => Written::Block,
        }
    }

    /// The new text of a document's top-level node, which starts on or after line `first` and
    /// ends before line `end`.
    pub fn document(
        &self,
        node: &SpanNode,
        value: &Value,
        shape: &Shape,
        first: usize,
        end: usize,
    ) -> Result<String, Refusal> {
        match self.written(node) {
            Written::Block => self.block(node, value, shape, first, end, true),
            Written::Flow => {
                let (a, b) = self.flow_range(node)?;
                let mut out = self.src.lines_text(first, end).to_string();
                let (base, inner) = (self.src.line_start(first), self.flow(node, value, shape)?);
                out.replace_range(a - base..b - base, &inner);
                Ok(out)
            }
            Written::Scalar | Written::Alias => Ok(self.src.lines_text(first, end).to_string()),
        }
    }

    fn range(&self, span: Span) -> (usize, usize) {
        (self.src.offset(span.start), self.src.offset(span.end))
    }

    /// The bytes of a flow collection, brackets included. The parser's end position lies past
    /// the closing bracket (after the comments that follow it), so the bracket is found by
    /// reading on from the last item, past separators and comments.
    pub(super) fn flow_range(&self, node: &SpanNode) -> Result<(usize, usize), Refusal> {
        let text = self.src.text;
        let start = self.src.offset(node.span.start);
        let close = match text[start..].chars().next() {
            Some('{') => '}',
            Some('[') => ']',
            _ => return Ok(self.range(node.span)),
        };
        let last = match &node.children {
            SpanChildren::Map(entries) => entries.last().map(|(_, _, child)| child),
            SpanChildren::Seq(items) => items.last(),
            SpanChildren::Leaf => None,
        };
        let at = match last {
            Some(child) => match self.written(child) {
                Written::Flow => self.flow_range(child)?.1,
                _ => self.src.offset(child.span.end),
            },
            None => start + 1,
        };
        let mut chars = text[at..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                _ if c == close => return Ok((start, at + i + 1)),
                ',' => {}
                '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
                c if c.is_whitespace() => {}
                _ => break,
            }
        }
        Err(self.refusal(
            node.span.start,
            "fmt cannot find the end of this flow collection",
            LAYOUT_HINT,
        ))
    }

    /// A block collection whose region is the lines `first..end`.
    fn block(
        &self,
        node: &SpanNode,
        value: &Value,
        shape: &Shape,
        first: usize,
        end: usize,
        top: bool,
    ) -> Result<String, Refusal> {
        match &node.children {
            SpanChildren::Map(entries) => self.block_map(entries, value, shape, first, end, top),
            SpanChildren::Seq(items) => self.block_seq(items, value, shape, first, end),
            SpanChildren::Leaf => Ok(self.src.lines_text(first, end).to_string()),
        }
    }

    fn block_map(
        &self,
        entries: &[(String, Span, SpanNode)],
        value: &Value,
        shape: &Shape,
        first: usize,
        end: usize,
        top: bool,
    ) -> Result<String, Refusal> {
        let Some((_, first_key, _)) = entries.first() else {
            return Ok(self.src.lines_text(first, end).to_string());
        };
        let col = first_key.start.col as usize - 1;
        let starts: Vec<usize> = entries.iter().map(|(_, k, _)| Source::line_of(k.start)).collect();
        let layout = self.layout(&starts, col, first, end, top, first_key.start)?;
        let mut bodies = Vec::with_capacity(entries.len());
        for ((key, key_span, child), part) in entries.iter().zip(&layout.entries) {
            let child_value = value.get(key).unwrap_or(&Value::Null);
            let child_shape = shape.field(key).unwrap_or(&Shape::Leaf);
            bodies.push(self.body(
                Source::line_of(key_span.start),
                child,
                child_value,
                child_shape,
                part.body,
            )?);
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by_key(|&i| shape.rank(&entries[i].0));
        if order[0] != 0 {
            // The first key may share its line with the dash of a list item (`- number: …`): the
            // dash stays on the first line of the item, whichever key comes first now.
            let key_line = starts[0];
            let lead = self.src.before(key_line, col);
            if key_line == first && !lead.trim().is_empty() {
                if lead.trim() != "-" || !lead.trim_start().starts_with('-') {
                    return Err(self.refusal(
                        first_key.start,
                        "the keys of this mapping are out of order, and its first key does not start its line",
                        "put each key of this mapping on a line of its own, then run `telform fmt` again",
                    ));
                }
                let blank = " ".repeat(lead.chars().count());
                bodies[0] = format!("{blank}{}", &bodies[0][lead.len()..]);
                let new_first = &mut bodies[order[0]];
                if new_first.starts_with(&blank) {
                    *new_first = format!("{lead}{}", &new_first[blank.len()..]);
                }
            }
        }
        for (i, (_, key_span, _)) in entries.iter().enumerate().skip(1) {
            let line = Source::line_of(key_span.start);
            if order[i] != i && !self.src.before(line, col).trim().is_empty() {
                return Err(self.refusal(
                    key_span.start,
                    "the keys of this mapping are out of order, and this key does not start its line",
                    "put each key of this mapping on a line of its own, then run `telform fmt` again",
                ));
            }
        }
        Ok(self.assemble(&layout, &order, &bodies))
    }

    fn block_seq(
        &self,
        items: &[SpanNode],
        value: &Value,
        shape: &Shape,
        first: usize,
        end: usize,
    ) -> Result<String, Refusal> {
        let Some(first_item) = items.first() else {
            return Ok(self.src.lines_text(first, end).to_string());
        };
        let (starts, col) = self.seq_starts(items, first)?;
        let layout = self.layout(&starts, col, first, end, false, first_item.span.start)?;
        let mut bodies = Vec::with_capacity(items.len());
        let item_shape = match shape {
            Shape::Seq { item, .. } => item.as_ref(),
            _ => &Shape::Leaf,
        };
        for (i, (item, part)) in items.iter().zip(&layout.entries).enumerate() {
            let item_value = value.get(i).unwrap_or(&Value::Null);
            bodies.push(self.body(starts[i], item, item_value, item_shape, part.body)?);
        }
        let order = sort_order(items.len(), value, shape);
        if order.iter().enumerate().any(|(i, &j)| i != j) {
            for (i, item) in items.iter().enumerate() {
                if !self.src.before(starts[i], col).trim().is_empty() {
                    return Err(self.refusal(
                        item.span.start,
                        "the items of this list are out of order, and this item does not start its line",
                        "put each item of this list on a line of its own, then run `telform fmt` again",
                    ));
                }
            }
        }
        Ok(self.assemble(&layout, &order, &bodies))
    }

    /// The line of each list item's dash (the item's own line, or a line above it when the
    /// item starts under a lone `-`), and the dashes' column.
    pub(super) fn seq_starts(&self, items: &[SpanNode], first: usize) -> Result<(Vec<usize>, usize), Refusal> {
        let mut starts = Vec::with_capacity(items.len());
        let mut dash_col = None;
        for item in items {
            let line = Source::line_of(item.span.start);
            let col = item.span.start.col as usize - 1;
            let lead = self.src.before(line, col);
            let dash = if lead.trim_end().ends_with('-') {
                Some((line, lead.trim_end().chars().count() - 1))
            } else {
                // The nearest line above that is not a comment or blank must be the lone dash.
                (first..line)
                    .rev()
                    .find(|&l| !self.src.is_filler(l))
                    .filter(|&l| self.src.line(l).trim() == "-" || self.src.line(l).trim_start().starts_with("- #"))
                    .map(|l| (l, self.src.indent(l)))
            };
            let Some((dash_line, col)) = dash else {
                return Err(self.refusal(
                    item.span.start,
                    "fmt cannot find the dash of this list item",
                    "write the item on the line of its `-`, then run `telform fmt` again",
                ));
            };
            starts.push(dash_line);
            dash_col.get_or_insert(col);
        }
        Ok((starts, dash_col.unwrap_or(0)))
    }

    /// The new text of one entry's body (`lines`), whose first line is `line` and whose value
    /// is `node`.
    fn body(
        &self,
        line: usize,
        node: &SpanNode,
        value: &Value,
        shape: &Shape,
        lines: (usize, usize),
    ) -> Result<String, Refusal> {
        let text = self.src.lines_text(lines.0, lines.1);
        match self.written(node) {
            Written::Scalar | Written::Alias => Ok(text.to_string()),
            Written::Flow => {
                let (a, b) = self.flow_range(node)?;
                let base = self.src.line_start(lines.0);
                if a < base || b > base + text.len() {
                    return Err(self.refusal(node.span.start, "unexpected layout around this value", LAYOUT_HINT));
                }
                let mut out = text.to_string();
                out.replace_range(a - base..b - base, &self.flow(node, value, shape)?);
                Ok(out)
            }
            Written::Block => {
                let value_line = Source::line_of(node.span.start);
                if value_line == line {
                    // A mapping that starts on its list item's dash line: the region starts
                    // there, and the mapping handles the dash.
                    return self.block(node, value, shape, lines.0, lines.1, false);
                }
                if value_line < line || value_line >= lines.1 {
                    return Err(self.refusal(node.span.start, "unexpected layout around this value", LAYOUT_HINT));
                }
                let head = self.src.lines_text(lines.0, line + 1);
                Ok(format!(
                    "{head}{}",
                    self.block(node, value, shape, line + 1, lines.1, false)?
                ))
            }
        }
    }

    /// Shares the lines `first..end` among entries starting on lines `starts`, at column `col`.
    pub(super) fn layout(
        &self,
        starts: &[usize],
        col: usize,
        first: usize,
        end: usize,
        top: bool,
        at: Pos,
    ) -> Result<Layout, Refusal> {
        let src = self.src;
        let ordered = starts.windows(2).all(|w| w[0] < w[1]);
        if !ordered
            || starts[0] < first
            || starts[starts.len() - 1] >= end
            || (first..starts[0]).any(|l| !src.is_filler(l))
        {
            return Err(self.refusal(at, "unexpected layout of this block", LAYOUT_HINT));
        }
        let head_start = |entry: usize, floor: usize| {
            let mut h = entry;
            while h > floor && src.is_comment(h - 1) {
                h -= 1;
            }
            h
        };
        // The first entry of a document keeps whatever is above it (the file's header comment
        // describes the file, not `apiVersion`).
        let h0 = if top { starts[0] } else { head_start(starts[0], first) };
        let mut layout = Layout {
            prefix: (first, h0),
            entries: Vec::with_capacity(starts.len()),
            suffix: (end, end),
        };
        let mut gap = (h0, h0);
        let mut head = (h0, starts[0]);
        for (i, &start) in starts.iter().enumerate() {
            let raw_end = starts.get(i + 1).copied().unwrap_or(end);
            let content_end = (start..raw_end)
                .rev()
                .find(|&l| !src.is_filler(l))
                .map_or(start + 1, |l| l + 1);
            let mut body_end = content_end;
            let mut l = content_end;
            while l < raw_end && (src.is_blank(l) || (src.is_comment(l) && src.indent(l) > col)) {
                if src.is_comment(l) {
                    body_end = l + 1;
                }
                l += 1;
            }
            layout.entries.push(Part {
                gap,
                head,
                body: (start, body_end),
            });
            match starts.get(i + 1) {
                Some(&next) => {
                    let h = head_start(next, body_end);
                    gap = (body_end, h);
                    head = (h, next);
                }
                None => layout.suffix = (body_end, end),
            }
        }
        Ok(layout)
    }

    fn assemble(&self, layout: &Layout, order: &[usize], bodies: &[String]) -> String {
        let src = self.src;
        let mut out = src.lines_text(layout.prefix.0, layout.prefix.1).to_string();
        for (position, &entry) in order.iter().enumerate() {
            let gap = layout.entries[position].gap;
            let head = layout.entries[entry].head;
            out.push_str(src.lines_text(gap.0, gap.1));
            out.push_str(src.lines_text(head.0, head.1));
            out.push_str(&bodies[entry]);
        }
        out.push_str(src.lines_text(layout.suffix.0, layout.suffix.1));
        out
    }

    /// The new text of a flow collection (its exact span).
    fn flow(&self, node: &SpanNode, value: &Value, shape: &Shape) -> Result<String, Refusal> {
        let (start, end) = self.flow_range(node)?;
        // Each item is a segment from its first character (the key, for a mapping) to the end
        // of its value; what lies between segments stays in place.
        let mut segments: Vec<(usize, usize, String)> = Vec::new();
        let order = match &node.children {
            SpanChildren::Leaf => return Ok(self.src.text[start..end].to_string()),
            SpanChildren::Map(entries) => {
                for (key, key_span, child) in entries {
                    let child_value = value.get(key).unwrap_or(&Value::Null);
                    let child_shape = shape.field(key).unwrap_or(&Shape::Leaf);
                    let a = self.key_start(key_span);
                    let (text, b) = self.flow_item(child, child_value, child_shape, a)?;
                    segments.push((a, b, text));
                }
                let mut order: Vec<usize> = (0..entries.len()).collect();
                order.sort_by_key(|&i| shape.rank(&entries[i].0));
                order
            }
            SpanChildren::Seq(items) => {
                let item_shape = match shape {
                    Shape::Seq { item, .. } => item.as_ref(),
                    _ => &Shape::Leaf,
                };
                for (i, item) in items.iter().enumerate() {
                    let a = self.src.offset(item.span.start);
                    let (text, b) = self.flow_item(item, value.get(i).unwrap_or(&Value::Null), item_shape, a)?;
                    segments.push((a, b, text));
                }
                sort_order(items.len(), value, shape)
            }
        };
        if segments.is_empty() {
            return Ok(self.src.text[start..end].to_string());
        }
        let in_order = segments.windows(2).all(|w| w[0].1 <= w[1].0);
        if !in_order || segments[0].0 < start || segments[segments.len() - 1].1 > end {
            return Err(self.refusal(
                node.span.start,
                "unexpected layout of this flow collection",
                LAYOUT_HINT,
            ));
        }
        let moved = order.iter().enumerate().any(|(i, &j)| i != j);
        let mut out = self.src.text[start..segments[0].0].to_string();
        for (position, &item) in order.iter().enumerate() {
            out.push_str(&segments[item].2);
            let separator_end = segments.get(position + 1).map_or(end, |s| s.0);
            let separator = &self.src.text[segments[position].1..separator_end];
            if moved && separator.contains('#') {
                return Err(self.refusal(
                    node.span.start,
                    "this flow collection must be reordered, but it holds a comment that would lose its place",
                    "write it in block style (one key or item per line), or move the comment out of the brackets",
                ));
            }
            out.push_str(separator);
        }
        Ok(out)
    }

    /// One item of a flow collection starting at byte `a`: its new text and where it ends.
    fn flow_item(&self, node: &SpanNode, value: &Value, shape: &Shape, a: usize) -> Result<(String, usize), Refusal> {
        let (start, end) = match self.written(node) {
            Written::Flow => self.flow_range(node)?,
            _ => self.range(node.span),
        };
        if start < a {
            return Err(self.refusal(
                node.span.start,
                "unexpected layout of this flow collection",
                LAYOUT_HINT,
            ));
        }
        let inner = match self.written(node) {
            Written::Flow => self.flow(node, value, shape)?,
            _ => self.src.text[start..end].to_string(),
        };
        Ok((format!("{}{inner}", &self.src.text[a..start]), end))
    }

    /// Where a key's text starts: a quoted key's span may begin after its quote.
    fn key_start(&self, key: &Span) -> usize {
        let at = self.src.offset(key.start);
        match self.src.text[..at].chars().next_back() {
            Some(q @ ('"' | '\'')) => at - q.len_utf8(),
            _ => at,
        }
    }

    pub(super) fn refusal(&self, at: Pos, message: &str, hint: &str) -> Refusal {
        Refusal {
            line: at.line,
            column: at.col,
            message: message.to_string(),
            hint: hint.to_string(),
        }
    }
}

const LAYOUT_HINT: &str =
    "write this part in plain block style (one key or item per line), then run `telform fmt` again";

/// The order of a list's items: sorted by the shape's key when it has one, stable otherwise.
/// Items without a text key (which validation rules out) keep the list in its written order.
fn sort_order(len: usize, value: &Value, shape: &Shape) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let Shape::Seq { sort: Some(by), .. } = shape else {
        return order;
    };
    let keys: Option<Vec<&str>> = (0..len)
        .map(|i| {
            let item = value.get(i)?;
            match by {
                SortBy::Itself => item.as_str(),
                SortBy::Key(key) => item.get(*key)?.as_str(),
            }
        })
        .collect();
    if let Some(keys) = keys {
        order.sort_by(|&a, &b| keys[a].cmp(keys[b]));
    }
    order
}

/// `value` with the lists of `shape` sorted as fmt sorts them: what the reordered text must
/// parse back to.
pub fn sorted_value(value: &Value, shape: &Shape) -> Value {
    match (value, shape) {
        (Value::Object(map), _) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), sorted_value(v, shape.field(k).unwrap_or(&Shape::Leaf))))
                .collect(),
        ),
        (Value::Array(items), Shape::Seq { item, .. }) => {
            let order = sort_order(items.len(), value, shape);
            Value::Array(order.into_iter().map(|i| sorted_value(&items[i], item)).collect())
        }
        _ => value.clone(),
    }
}
