//! The fast path for files written in the plain block style that telform's own files and most
//! people's use: mappings by indentation, lists of `- ` entries, one-line scalars and one-line
//! `{…}` / `[…]` collections.
//!
//! The event parser spends most of a large repository's validation on its users' and devices'
//! files, which are nothing but that. A file is read here line by line, and only when every
//! line is of a form whose YAML meaning is certain; at the first doubt (a comment after a value,
//! an anchor, a tag, a block scalar, a multi-line or escaped scalar, a tab, a duplicate key, an
//! unusual indentation, an empty document, any character YAML might not print) the whole file
//! goes to the event parser instead, which also reports every error with its position. Scalars
//! are resolved by the same function as on the event path, so the values are the same.

use serde_json::{Map, Value};

use super::yaml::{Limits, Parsed, Pos, YamlDoc, resolve_plain};

/// The documents of `text`, or `None` when any part of it is not of the plain block style.
pub(super) fn parse(text: &str, limits: Limits) -> Option<Parsed> {
    if !printable_without_tabs(text) {
        return None;
    }
    let mut parsed = Parsed::default();
    let mut lines: Vec<Line> = Vec::new();
    // The line of the `---` that opened the document being read, if one did.
    let mut opened_at: Option<u32> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let no = index as u32 + 1;
        let content = raw.trim_end_matches(' ');
        if raw.starts_with("---") || raw.starts_with("...") {
            if content != "---" {
                return None;
            }
            if !lines.is_empty() {
                parsed.docs.push(document(&mut lines, opened_at, limits)?);
            } else if opened_at.is_some() {
                // `---` after `---`: an empty document.
                return None;
            }
            opened_at = Some(no);
            continue;
        }
        let body = content.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.starts_with('%') {
            return None;
        }
        lines.push(Line {
            no,
            indent: content.len() - body.len(),
            text: body,
        });
    }
    if lines.is_empty() {
        // A last `---` opening nothing, or a file of comments only: left to the event parser.
        return None;
    }
    parsed.docs.push(document(&mut lines, opened_at, limits)?);
    Some(parsed)
}

/// One content line: its number, indentation and text (without the indentation and the
/// trailing spaces).
#[derive(Clone, Copy)]
struct Line<'t> {
    no: u32,
    indent: usize,
    text: &'t str,
}

/// The document of `lines` (emptied), which a `---` on line `opened_at` opened, if one did.
fn document(lines: &mut Vec<Line>, opened_at: Option<u32>, limits: Limits) -> Option<YamlDoc> {
    let first = lines[0];
    if first.indent != 0 || is_entry(first.text) {
        return None;
    }
    let mut reader = Reader {
        lines: std::mem::take(lines),
        next: 0,
        max_depth: limits.max_depth,
    };
    let value = reader.mapping(0, 0)?;
    if reader.next != reader.lines.len() {
        return None;
    }
    // Where the event parser says the document starts: its `---`, or its first content.
    let start = match opened_at {
        Some(line) => Pos { line, col: 1 },
        None => Pos { line: first.no, col: 1 },
    };
    *lines = reader.lines;
    lines.clear();
    Some(YamlDoc {
        value,
        start,
        spans: None,
    })
}

/// No tab, carriage return or other control character, no byte order mark, no character YAML
/// does not print, no Unicode line or paragraph separator: nothing whose reading varies.
fn printable_without_tabs(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' | 0x20..=0x7E => {}
            0x00..=0x1F | 0x7F => return false,
            // C1 controls and NEL (U+0080–U+009F).
            0xC2 if bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)) => return false,
            // U+2028, U+2029.
            0xE2 if bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) => return false,
            // U+FEFF, U+FFFE, U+FFFF.
            0xEF if matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(0xBB), Some(0xBF)) | (Some(0xBF), Some(0xBE | 0xBF))
            ) =>
            {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

fn is_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Keys this long or longer are left to the event parser: YAML limits an implicit key to 1024
/// characters, and the event parser refuses a longer one in block context (`simple key expect
/// ':'`, or `mapping values are not allowed`) where a plain reading would accept it.
const MAX_KEY: usize = 1024;

/// A key of the plain style: letters, digits, `_`, `-` and `.`, not starting with `-` or `.`,
/// shorter than [`MAX_KEY`]; 0 when there is none.
fn key_length(bytes: &[u8]) -> usize {
    if !bytes.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return 0;
    }
    let length = bytes
        .iter()
        .take(MAX_KEY)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    if length >= MAX_KEY { 0 } else { length }
}

/// `key: rest` or `key:` → the key and the rest (empty when the value follows on other lines).
fn split_key(text: &str) -> Option<(&str, &str)> {
    let length = key_length(text.as_bytes());
    if length == 0 {
        return None;
    }
    let (key, after) = text.split_at(length);
    let after = after.strip_prefix(':')?;
    if after.is_empty() {
        return Some((key, ""));
    }
    let rest = after.strip_prefix(' ')?.trim_start_matches(' ');
    Some((key, rest))
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    next: usize,
    max_depth: usize,
}

impl<'t> Reader<'t> {
    /// The block collection whose first line is the next one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let line = self.lines.get(self.next)?;
        if is_entry(line.text) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > self.max_depth {
            return None;
        }
        let mut map = Map::new();
        while let Some(line) = self.lines.get(self.next).copied() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_entry(line.text) {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            self.next += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.next) {
                    Some(child) if child.indent > indent => self.block(child.indent, depth + 1)?,
                    Some(child) if child.indent == indent && is_entry(child.text) => {
                        self.sequence(indent, depth + 1)?
                    }
                    // The empty value is a node one level deeper than the mapping, which the
                    // event parser counts against the depth limit like any other.
                    _ if depth + 1 > self.max_depth => return None,
                    _ => Value::Null,
                }
            } else {
                let value = inline(rest, depth + 1, self.max_depth)?;
                // A deeper line after a value on the key's line continues it (or is an error).
                if self.lines.get(self.next).is_some_and(|n| n.indent > indent) {
                    return None;
                }
                value
            };
            if map.insert(key.to_string(), value).is_some() {
                // A duplicate key: the event parser reports it, pointing at both.
                return None;
            }
        }
        Some(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > self.max_depth {
            return None;
        }
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.next).copied() {
            if line.indent > indent {
                return None;
            }
            if line.indent < indent || !is_entry(line.text) {
                break;
            }
            let content = line.text[1..].trim_start_matches(' ');
            if content.is_empty() || is_entry(content) {
                return None;
            }
            let item = if split_key(content).is_some() {
                // `- key: value`: a mapping whose first key is on the entry's line.
                let column = indent + (line.text.len() - content.len());
                self.lines[self.next] = Line {
                    no: line.no,
                    indent: column,
                    text: content,
                };
                self.mapping(column, depth + 1)?
            } else {
                self.next += 1;
                inline(content, depth + 1, self.max_depth)?
            };
            items.push(item);
        }
        Some(Value::Array(items))
    }
}

/// A value written on its key's or entry's line.
fn inline(text: &str, depth: usize, max_depth: usize) -> Option<Value> {
    if depth > max_depth {
        return None;
    }
    match text.as_bytes()[0] {
        b'{' | b'[' => {
            let mut flow = Flow {
                text: text.as_bytes(),
                at: 0,
                max_depth,
            };
            let value = flow.value(depth)?;
            (flow.at == text.len()).then_some(value)
        }
        b'"' | b'\'' => {
            let quote = text.as_bytes()[0] as char;
            let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
            // An escape or a doubled quote inside: left to the event parser.
            let escaped = inner.contains(quote) || quote == '"' && inner.contains('\\');
            (!escaped).then(|| Value::String(inner.to_string()))
        }
        _ => plain_in_block(text).then(|| resolve_plain(text)),
    }
}

/// Whether `text` (trimmed) reads as one plain scalar in block context, for certain.
fn plain_in_block(text: &str) -> bool {
    starts_plain(text)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains(['[', ']', '{', '}'])
}

/// Whether `text` starts a plain scalar: not with an indicator (a `-` only before a digit).
fn starts_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes.first() {
        None => false,
        Some(b'-') => bytes.get(1).is_some_and(u8::is_ascii_digit),
        Some(b) => !b"?:,[]{}#&*!|>'\"%@` ".contains(b),
    }
}

/// A one-line flow collection.
struct Flow<'t> {
    text: &'t [u8],
    at: usize,
    max_depth: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.text.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > self.max_depth {
            return None;
        }
        self.skip_spaces();
        match self.peek()? {
            b'{' => self.mapping(depth),
            b'[' => self.sequence(depth),
            quote @ (b'"' | b'\'') => {
                let start = self.at + 1;
                let length = self.text[start..].iter().position(|b| *b == quote)?;
                let inner = &self.text[start..start + length];
                if quote == b'"' && inner.contains(&b'\\') {
                    return None;
                }
                self.at = start + length + 1;
                // `'it''s'` is one scalar with an escaped quote: left to the event parser.
                if self.peek() == Some(quote) {
                    return None;
                }
                Some(Value::String(std::str::from_utf8(inner).ok()?.to_string()))
            }
            _ => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'[' | b']' | b'{' | b'}'))
                {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.text[start..self.at])
                    .ok()?
                    .trim_end_matches(' ');
                // A `-` after a space and before the `,`, `]` or `}` that ends the scalar
                // (`[a -]`) is an error on the event path: the scanner takes it for the start of
                // a new plain scalar, which cannot begin with `-` and a flow indicator.
                let plain = starts_plain(text) && !text.contains([':', '#']) && !text.ends_with(" -");
                plain.then(|| resolve_plain(text))
            }
        }
    }

    /// After an entry: `,` and another entry, or the collection's end. A `,` before the end
    /// (an empty entry) is left to the event parser.
    fn entry_end(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.peek()? {
            b',' => {
                self.at += 1;
                self.skip_spaces();
                (self.peek()? != close).then_some(false)
            }
            b if b == close => {
                self.at += 1;
                Some(true)
            }
            _ => None,
        }
    }

    fn mapping(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        self.skip_spaces();
        let mut map = Map::new();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Value::Object(map));
        }
        loop {
            // The key alone is looked at: the rest of a long line is not read again per key.
            let rest = &self.text[self.at..];
            let length = key_length(rest);
            if length == 0 || !rest[length..].starts_with(b": ") {
                return None;
            }
            let key = std::str::from_utf8(&rest[..length]).ok()?.to_string();
            self.at += length + 2;
            let value = self.value(depth + 1)?;
            if map.insert(key, value).is_some() {
                return None;
            }
            if self.entry_end(b'}')? {
                return Some(Value::Object(map));
            }
        }
    }

    fn sequence(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.entry_end(b']')? {
                return Some(Value::Array(items));
            }
        }
    }
}
