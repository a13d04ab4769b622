//! Showing diagnostics: positions resolved, then rendered as text, JSON or GitHub annotations.

use std::collections::HashMap;

use annotate_snippets::{AnnotationKind, Group, Level, Origin as SnippetOrigin, Renderer, Snippet};
use serde::Serialize;

use crate::diag::diagnostic::{At, Diagnostic, Part, Severity};
use crate::manifest::FileId;
use crate::manifest::load::Sources;
use crate::manifest::yaml::{self, Limits, SpanChildren, SpanNode};
use crate::validate::redact;

/// A diagnostic with its position resolved, ready to show. This is also the documented JSON
/// format of `telform validate --output json` (an array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Located {
    /// Stable code, e.g. `TF101`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The object concerned, `Kind/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// Other places the message refers to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    #[serde(skip)]
    snippet: Snip,
}

/// The source line a diagnostic shows in text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Snip {
    Line(SourceLine),
    /// Not shown: it holds, or may hold, a secret.
    Hidden,
    /// No line to show (no file, or the file cannot be read now).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Related {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// One source line and the columns to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceLine {
    text: String,
    bytes: std::ops::Range<usize>,
}

/// A file's text and, when needed, its documents' position trees and its masked lines.
struct FileView {
    text: Option<String>,
    trees: Option<Vec<Option<SpanNode>>>,
    /// Lines that must not be shown as they are (see [`redact`]), by 0-based index.
    redactions: Option<HashMap<usize, String>>,
}

/// Resolves positions, re-reading (and re-parsing with positions) only the files concerned.
pub fn locate(diagnostics: &[Diagnostic], sources: &Sources) -> Vec<Located> {
    let mut files: HashMap<FileId, FileView> = HashMap::new();
    let mut out: Vec<Located> = diagnostics
        .iter()
        .map(|d| {
            let (file, span, snippet) = place(&d.at, d.sensitive, sources, &mut files);
            let related = d
                .related
                .iter()
                .map(|(at, message)| {
                    let (file, span, _) = place(at, true, sources, &mut files);
                    Related {
                        message: message.clone(),
                        file,
                        line: span.map(|s| s.start.line),
                        column: span.map(|s| s.start.col),
                    }
                })
                .collect();
            Located {
                code: d.code.id,
                severity: d.severity.as_str(),
                message: d.message.clone(),
                hint: d.hint.clone(),
                object: d.object.clone(),
                file,
                line: span.map(|s| s.start.line),
                column: span.map(|s| s.start.col),
                end_line: span.map(|s| s.end.line),
                end_column: span.map(|s| s.end.col),
                related,
                snippet,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code)));
    out
}

/// Where each field (a document's origin and a JSON pointer) is written: the file as shown,
/// and the line and column of its key; a field not written is placed at the key of the mapping
/// that would hold it. Each file is re-read (and re-parsed with positions) once, as [`locate`]
/// does.
pub fn locate_nodes(nodes: &[(crate::manifest::Origin, String)], sources: &Sources) -> Vec<(String, u32, u32)> {
    let mut files: HashMap<FileId, FileView> = HashMap::new();
    nodes
        .iter()
        .map(|(origin, pointer)| {
            let at = At::Node {
                origin: *origin,
                pointer: pointer.clone(),
                part: Part::Key,
            };
            // No snippet is shown: a sensitive place skips the redaction pass.
            let (file, span, _) = place(&at, true, sources, &mut files);
            let start = span.map_or(
                yaml::Pos {
                    line: origin.line,
                    col: 1,
                },
                |s| s.start,
            );
            (
                file.unwrap_or_else(|| sources.display(origin.file)),
                start.line,
                start.col,
            )
        })
        .collect()
}

fn place(
    at: &At,
    sensitive: bool,
    sources: &Sources,
    files: &mut HashMap<FileId, FileView>,
) -> (Option<String>, Option<yaml::Span>, Snip) {
    let (file, span) = match at {
        At::Nowhere => return (None, None, Snip::None),
        // A path that does not exist: named, without a position it does not have.
        At::File(file) if std::fs::symlink_metadata(sources.path(*file)).is_err() => {
            return (Some(sources.display(*file)), None, Snip::None);
        }
        At::File(file) => (*file, None),
        At::Span(file, span) => (*file, Some(*span)),
        At::Node { origin, pointer, part } => {
            let view = view(origin.file, true, sources, files);
            let tree = view
                .trees
                .as_ref()
                .and_then(|t| t.get(origin.doc as usize))
                .and_then(Option::as_ref);
            let span = tree.map(|tree| {
                let r = tree.resolve(pointer);
                let is_collection = !r.partial && !matches!(r.node.children, SpanChildren::Leaf);
                match (part, r.key) {
                    // A missing field: point at the key of the mapping that should hold it.
                    (_, Some(key)) if r.partial => key,
                    (Part::Key, Some(key)) => key,
                    // A block mapping or list "value" reads best at its key.
                    (Part::Value, Some(key)) if is_collection => key,
                    _ => r.value,
                }
            });
            (
                origin.file,
                span.or(Some(yaml::Span::point(yaml::Pos {
                    line: origin.line,
                    col: 1,
                }))),
            )
        }
    };
    // A whole-file problem is reported at its first line so that every diagnostic is located.
    let span = span.unwrap_or(yaml::Span::point(yaml::Pos { line: 1, col: 1 }));
    let span = {
        let FileView { text, .. } = view(file, false, sources, files);
        text.as_deref().map_or(span, |text| quoted_span(text, span))
    };
    let snippet = if sensitive {
        Snip::Hidden
    } else {
        let FileView { text, redactions, .. } = view(file, false, sources, files);
        let text = text.as_deref();
        let redactions = redactions.get_or_insert_with(|| text.map(redact::redactions).unwrap_or_default());
        text.map_or(Snip::None, |text| source_line(text, span, redactions))
    };
    (Some(sources.display(file)), Some(span), snippet)
}

/// A quoted scalar's span as the parser gives it runs on to what follows it on its line (a
/// comment): it ends at the closing quote.
fn quoted_span(text: &str, span: yaml::Span) -> yaml::Span {
    if span.start.line != span.end.line {
        return span;
    }
    let Some(line) = text.lines().nth(span.start.line.saturating_sub(1) as usize) else {
        return span;
    };
    let mut chars = line.chars().skip(span.start.col.saturating_sub(1) as usize);
    let Some(quote @ ('"' | '\'')) = chars.next() else {
        return span;
    };
    let mut length = 1;
    let mut escaped = false;
    let mut rest = chars.peekable();
    while let Some(c) = rest.next() {
        length += 1;
        match c {
            '\\' if quote == '"' && !escaped => {
                escaped = true;
                continue;
            }
            // `''` is a quote inside a single-quoted scalar.
            '\'' if quote == '\'' && rest.peek() == Some(&'\'') => {
                rest.next();
                length += 1;
            }
            c if c == quote && !escaped => {
                let end = span.start.col + length;
                return if end < span.end.col {
                    yaml::Span {
                        start: span.start,
                        end: yaml::Pos {
                            line: span.start.line,
                            col: end,
                        },
                    }
                } else {
                    span
                };
            }
            _ => {}
        }
        escaped = false;
    }
    span
}

fn view<'a>(
    file: FileId,
    with_trees: bool,
    sources: &Sources,
    files: &'a mut HashMap<FileId, FileView>,
) -> &'a mut FileView {
    let view = files.entry(file).or_insert_with(|| FileView {
        // Read the way the loader read it: an entry it refused is never shown.
        text: sources
            .read(file)
            .and_then(|b| String::from_utf8(b).ok())
            .map(|t| t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t)),
        trees: None,
        redactions: None,
    });
    if with_trees && view.trees.is_none() {
        view.trees = Some(match &view.text {
            Some(text) => yaml::parse(text, Limits::default(), true)
                .docs
                .into_iter()
                .map(|d| d.spans)
                .collect(),
            None => Vec::new(),
        });
    }
    view
}

/// The line of `span`, with secrets masked, and the byte range to underline. A masked line is
/// shown only when the span lies in the part left as written: the renderer takes the column it
/// prints from the underline, which would be wrong on the shortened line.
fn source_line(text: &str, span: yaml::Span, redactions: &HashMap<usize, String>) -> Snip {
    let Some(index) = span.start.line.checked_sub(1) else {
        return Snip::None;
    };
    let index = index as usize;
    let Some(original) = text.lines().nth(index) else {
        return Snip::None;
    };
    let line = match redactions.get(&index) {
        Some(masked) => {
            let kept = masked.find(redact::MASK).unwrap_or(masked.len());
            let kept = original
                .chars()
                .zip(masked[..kept].chars())
                .take_while(|(a, b)| a == b)
                .count() as u32;
            let end = if span.end.line == span.start.line {
                span.end.col.max(span.start.col + 1)
            } else {
                u32::MAX
            };
            if end - 1 > kept {
                return Snip::Hidden;
            }
            masked.clone()
        }
        None => original.to_string(),
    };
    let byte_at = |col: u32| {
        line.char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(line.len(), |(i, _)| i)
    };
    let start = byte_at(span.start.col);
    let mut end = if span.end.line == span.start.line {
        byte_at(span.end.col)
    } else {
        line.len()
    };
    if end <= start {
        end = line[start..].chars().next().map_or(start, |c| start + c.len_utf8());
    }
    Snip::Line(SourceLine {
        text: line,
        bytes: start..end,
    })
}

/// Renders diagnostics for a terminal. `styled` adds colours (the caller's stream strips them
/// when the output is not a terminal or `NO_COLOR` is set).
pub fn render_text(located: &[Located], styled: bool) -> String {
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in located {
        let level = if d.severity == Severity::Error.as_str() {
            Level::ERROR
        } else {
            Level::WARNING
        };
        let mut group = Group::with_title(level.primary_title(d.message.as_str()).id(d.code));
        match (&d.file, &d.snippet) {
            (Some(file), Snip::Line(snippet)) => {
                group = group.element(
                    Snippet::source(snippet.text.as_str())
                        .line_start(d.line.unwrap_or(1) as usize)
                        .path(file.as_str())
                        .annotation(AnnotationKind::Primary.span(snippet.bytes.clone())),
                );
            }
            (Some(file), _) => {
                group = group.element(match (d.line, d.column) {
                    (Some(line), Some(column)) => SnippetOrigin::path(file.as_str())
                        .line(line as usize)
                        .char_column(column as usize),
                    // A path that does not exist has no line to point at.
                    _ => SnippetOrigin::path(file.as_str()),
                });
            }
            _ => {}
        }
        if d.snippet == Snip::Hidden {
            group = group.element(Level::NOTE.message("the source line is not shown: it may hold a secret"));
        }
        for related in &d.related {
            let place = match (&related.file, related.line, related.column) {
                (Some(file), Some(line), Some(col)) => format!(" ({file}:{line}:{col})"),
                _ => String::new(),
            };
            group = group.element(Level::NOTE.message(format!("{}{place}", related.message)));
        }
        if let Some(hint) = &d.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

pub fn render_json(located: &[Located]) -> String {
    serde_json::to_string_pretty(located).unwrap_or_else(|_| "[]".to_string())
}

/// GitHub Actions workflow commands: one `::error` line per diagnostic, shown as annotations on
/// the pull request's changed lines.
pub fn render_github(located: &[Located]) -> String {
    let mut out = String::new();
    for d in located {
        let mut properties = Vec::new();
        if let Some(file) = &d.file {
            properties.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = d.line {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = d.column {
            properties.push(format!("col={col}"));
        }
        if let (Some(end_line), Some(end_col)) = (d.end_line, d.end_column)
            && d.line == Some(end_line)
        {
            properties.push(format!("endLine={end_line}"));
            properties.push(format!("endColumn={end_col}"));
        }
        properties.push(format!("title={}", escape_property(&format!("telform {}", d.code))));
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message.push_str("\nhint: ");
            message.push_str(hint);
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            d.severity,
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// Escaping of workflow command data, as GitHub's runner (`toolkit/core/command.ts`) does it.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
