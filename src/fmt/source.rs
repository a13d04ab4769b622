//! A source file seen as lines: positions to byte offsets, and which lines are comments.

use crate::manifest::yaml::{Pos, SpanChildren, SpanNode};

pub struct Source<'a> {
    pub text: &'a str,
    /// Byte offset where each line starts, plus `text.len()` at the end.
    starts: Vec<usize>,
    /// Lines inside a multi-line scalar (after its first line): content, even when they look
    /// like a comment or are blank.
    in_scalar: Vec<bool>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Source<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.last() != Some(&text.len()) {
            starts.push(text.len());
        }
        let lines = starts.len() - 1;
        Source {
            text,
            starts,
            in_scalar: vec![false; lines],
        }
    }

    /// Marks the lines of the multi-line scalars of `node` as content.
    pub fn mark_scalars(&mut self, node: &SpanNode) {
        match &node.children {
            SpanChildren::Leaf => {
                let (first, last) = (node.span.start.line as usize, node.span.end.line as usize);
                // Lines are 1-based in spans; `first` is the scalar's own line, the ones after
                // it (0-based `first..last`) are inside it.
                for line in first..last.min(self.in_scalar.len()) {
                    self.in_scalar[line] = true;
                }
            }
            SpanChildren::Seq(items) => items.iter().for_each(|n| self.mark_scalars(n)),
            SpanChildren::Map(entries) => entries.iter().for_each(|(_, _, n)| self.mark_scalars(n)),
        }
    }

    /// Number of lines (a last line without a newline counts).
    pub fn lines(&self) -> usize {
        self.starts.len() - 1
    }

    /// Byte offset where 0-based line `line` starts (`text.len()` past the end).
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.min(self.starts.len() - 1)]
    }

    /// The text of 0-based line `line`, without its line break.
    pub fn line(&self, line: usize) -> &'a str {
        if line >= self.lines() {
            return "";
        }
        let text = &self.text[self.starts[line]..self.starts[line + 1]];
        text.trim_end_matches('\n').trim_end_matches('\r')
    }

    /// Text of the whole lines `from..to` (0-based, `to` exclusive), line breaks included.
    pub fn lines_text(&self, from: usize, to: usize) -> &'a str {
        if from >= to {
            return "";
        }
        &self.text[self.line_start(from)..self.line_start(to)]
    }

    /// The byte offset of a span position (1-based line, 1-based column in characters).
    pub fn offset(&self, pos: Pos) -> usize {
        let line = (pos.line as usize).saturating_sub(1);
        if line >= self.lines() {
            return self.text.len();
        }
        let start = self.starts[line];
        let text = &self.text[start..self.starts[line + 1]];
        let col = (pos.col as usize).saturating_sub(1);
        start + text.char_indices().nth(col).map_or(text.len(), |(i, _)| i)
    }

    /// The 0-based line of a span position.
    pub fn line_of(pos: Pos) -> usize {
        (pos.line as usize).saturating_sub(1)
    }

    pub fn is_blank(&self, line: usize) -> bool {
        !self.in_scalar.get(line).copied().unwrap_or(false) && self.line(line).trim().is_empty()
    }

    pub fn is_comment(&self, line: usize) -> bool {
        !self.in_scalar.get(line).copied().unwrap_or(false) && self.line(line).trim_start().starts_with('#')
    }

    /// Blank or comment only: lines that carry no data.
    pub fn is_filler(&self, line: usize) -> bool {
        self.is_blank(line) || self.is_comment(line)
    }

    /// Leading spaces of a line.
    pub fn indent(&self, line: usize) -> usize {
        let text = self.line(line);
        text.len() - text.trim_start_matches(' ').len()
    }

    /// The text of line `line` before the character column `col` (0-based).
    pub fn before(&self, line: usize, col: usize) -> &'a str {
        let text = self.line(line);
        let end = text.char_indices().nth(col).map_or(text.len(), |(i, _)| i);
        &text[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_offsets() {
        let src = Source::new("a: 1\r\n# é\nb: é2");
        assert_eq!(src.lines(), 3);
        assert_eq!(src.line(0), "a: 1");
        assert!(src.is_comment(1));
        assert_eq!(src.line(2), "b: é2");
        assert_eq!(src.offset(Pos { line: 3, col: 5 }), src.text.len() - 1);
        assert_eq!(src.lines_text(1, 3), "# é\nb: é2");
    }
}
