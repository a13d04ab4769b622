//! A small YAML writer for the manifests import makes.
//!
//! Import builds each document as a tree of [`Node`]s with its keys already in schema order,
//! and renders it in the layout of the design's examples: block mappings, one-line flow
//! mappings for small objects (`metadata: {name: x}`, a range, a number entry), flow lists of
//! scalars. Every string that is not obviously a plain word is double-quoted, so that a value
//! read from a provider (an attacker may have chosen it) is always data: it can never close the
//! mapping, start a comment, become a number or a boolean, or break the line.
//!
//! The text is then passed through `fmt`'s canonical formatter (see `super::canonical`), which
//! would correct any ordering this writer got wrong.

use std::fmt::Write;

/// A YAML value, with its layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Bool(bool),
    Int(i64),
    /// A block mapping (one key per line), unless it is written inside a flow node.
    Map(Vec<Entry>),
    /// A block list (one item per line, `- item`), unless inside a flow node.
    List(Vec<Node>),
    /// Its content on one line, in flow style: `{a: 1, b: [x, y]}`.
    Flow(Box<Node>),
}

/// A key, its value, and comment lines written above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Node,
    pub comment: Vec<String>,
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub fn flow(node: Node) -> Node {
        Node::Flow(Box::new(node))
    }

    /// A flow list of strings.
    pub fn strings<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Node {
        Node::flow(Node::List(items.into_iter().map(|s| Node::Str(s.into())).collect()))
    }
}

/// Builds a mapping in the order keys are pushed.
#[derive(Debug, Default, Clone)]
pub struct MapBuilder(Vec<Entry>);

impl MapBuilder {
    pub fn new() -> MapBuilder {
        MapBuilder(Vec::new())
    }

    pub fn put(mut self, key: &str, value: Node) -> MapBuilder {
        self.0.push(Entry {
            key: key.to_string(),
            value,
            comment: Vec::new(),
        });
        self
    }

    pub fn opt(self, key: &str, value: Option<Node>) -> MapBuilder {
        match value {
            Some(value) => self.put(key, value),
            None => self,
        }
    }

    /// Adds `key` with comment lines above it (each without its `#`).
    pub fn commented(mut self, key: &str, value: Node, comment: &[String]) -> MapBuilder {
        self.0.push(Entry {
            key: key.to_string(),
            value,
            comment: comment.to_vec(),
        });
        self
    }

    pub fn build(self) -> Node {
        Node::Map(self.0)
    }
}

/// Whether `s` can be written without quotes and read back as the same string. Deliberately
/// narrow: ASCII words, with spaces, dots, dashes, `@`, `/` and `_` inside, which is what most
/// names, emails, time zones and ids are.
fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !first.is_ascii_alphabetic() && first != '_' {
        return false;
    }
    if s.ends_with(' ') || s.contains("  ") {
        return false;
    }
    let reserved = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf", ".inf", "~",
    ];
    if reserved.iter().any(|r| s.eq_ignore_ascii_case(r)) {
        return false;
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '@' | '/'))
}

/// A string as a YAML scalar: plain when that is safe, else double-quoted with escapes for
/// quotes, backslashes and every control or invisible character.
pub fn scalar(s: &str) -> String {
    if plain(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}') => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment line's text, made safe: one line, no control characters.
pub fn comment_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn inline(node: &Node, out: &mut String) {
    match node {
        Node::Str(s) => out.push_str(&scalar(s)),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&scalar(&e.key));
                out.push_str(": ");
                inline(&e.value, out);
            }
            out.push('}');
        }
        Node::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(item, out);
            }
            out.push(']');
        }
        Node::Flow(inner) => inline(inner, out),
    }
}

fn is_block(node: &Node) -> bool {
    match node {
        Node::Map(entries) => !entries.is_empty(),
        Node::List(items) => !items.is_empty(),
        _ => false,
    }
}

fn comments(lines: &[String], indent: usize, out: &mut String) {
    for line in lines {
        let _ = writeln!(out, "{:indent$}# {}", "", comment_text(line));
    }
}

fn block_map(entries: &[Entry], indent: usize, out: &mut String) {
    for e in entries {
        comments(&e.comment, indent, out);
        let _ = write!(out, "{:indent$}{}:", "", scalar(&e.key));
        block_value(&e.value, indent, out);
    }
}

/// Writes what follows `key:` (or `-`): a space and an inline value, or a line break and a
/// block indented under it.
fn block_value(value: &Node, indent: usize, out: &mut String) {
    match value {
        Node::Map(entries) if is_block(value) => {
            out.push('\n');
            block_map(entries, indent + 2, out);
        }
        Node::List(items) if is_block(value) => {
            out.push('\n');
            for item in items {
                let _ = write!(out, "{:width$}-", "", width = indent + 2);
                match item {
                    Node::Map(entries) if is_block(item) => {
                        // `- key: value` then the other keys under the first.
                        let mut first = String::new();
                        block_map(entries, indent + 4, &mut first);
                        out.push(' ');
                        out.push_str(first.trim_start());
                    }
                    _ => {
                        out.push(' ');
                        inline(item, out);
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push(' ');
            inline(value, out);
            out.push('\n');
        }
    }
}

/// One document's text (without its `---`), its top-level mapping in block style.
pub fn document(node: &Node) -> String {
    let mut out = String::new();
    match node {
        Node::Map(entries) => block_map(entries, 0, &mut out),
        other => {
            inline(other, &mut out);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_could_mean_something_else_are_quoted() {
        for s in [
            "+14255550100",
            "1100",
            "true",
            "No",
            "",
            "a: b",
            "x #y",
            "../../x",
            "-dash",
            "line\nbreak",
            "{x}",
            "trailing ",
        ] {
            assert!(scalar(s).starts_with('"'), "{s:?} -> {}", scalar(s));
        }
        for s in ["contoso", "Salle Jupiter", "jeanne.dupont@acme.example", "Europe/Paris"] {
            assert_eq!(scalar(s), s);
        }
        assert_eq!(scalar("a\u{7}\"\\"), r#""a\u0007\"\\""#);
    }

    #[test]
    fn a_document_reads_back_as_written() {
        let doc = MapBuilder::new()
            .put("kind", Node::str("NumberSet"))
            .put(
                "metadata",
                Node::flow(MapBuilder::new().put("name", Node::str("x")).build()),
            )
            .commented(
                "spec",
                MapBuilder::new()
                    .put("numbers", Node::strings(["+1", "a\"b"]))
                    .put(
                        "ranges",
                        Node::List(vec![Node::flow(
                            MapBuilder::new()
                                .put("from", Node::str("+10"))
                                .put("to", Node::str("+19"))
                                .build(),
                        )]),
                    )
                    .put("capacity", Node::Int(8))
                    .put("on", Node::Bool(true))
                    .build(),
                &["why\nnot".to_string()],
            )
            .build();
        let text = document(&doc);
        assert_eq!(
            text,
            "kind: NumberSet\nmetadata: {name: x}\n# why not\nspec:\n  numbers: [\"+1\", \"a\\\"b\"]\n  ranges:\n    - {from: \"+10\", to: \"+19\"}\n  capacity: 8\n  \"on\": true\n"
        );
    }
}
