//! Masking secrets in the source lines that diagnostics show.
//!
//! A snippet is shown for whatever a diagnostic is about, including syntax errors in files that
//! do not parse: so redaction works on the text, not on the parsed values. A line cannot be
//! judged alone (the value of `sipPassword:` may be on the lines below it), so the whole file is
//! scanned from the top, tracking whether a line is inside the value of a secret-named key:
//!
//! - a key whose name contains `password`, `secret`, `token` or `passwd` (any case) is a secret
//!   key; its value on the same line is masked, unless it is a flow mapping of reference keys
//!   only (`{fromEnv: X}`, `{generate: true, rotation: 1}`);
//! - every following line more indented than that key (or a list item at its indentation) is
//!   part of its value and masked entirely, unless it is one reference entry (`fromEnv: X`);
//! - a masked quoted scalar or flow collection that goes on over several lines is masked until
//!   it closes, whatever the indentation of its lines.
//!
//! Masking errs on the side of hiding: a line that merely looks like a secret key is masked too.

use std::collections::HashMap;

/// What a masked value or line shows instead.
pub const MASK: &str = "(sensitive)";

const SECRET_WORDS: [&str; 4] = ["password", "secret", "token", "passwd"];

/// Width of a tab when comparing indentation. YAML forbids tabs in indentation, but a file with
/// one is still shown (with a TF005), and a tab-indented line under a secret key must count as
/// inside its value.
const TAB_WIDTH: usize = 8;

/// The lines of `text` that must not be shown as they are, by 0-based line index, with what to
/// show instead.
pub fn redactions(text: &str) -> HashMap<usize, String> {
    let mut out = HashMap::new();
    // Inside the value of a secret key at this indentation.
    let mut block: Option<usize> = None;
    // Inside a masked quoted scalar or flow collection that started on an earlier line.
    let mut open: Option<Scan> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(scan) = &mut open {
            scan.feed(line);
            if scan.is_closed() {
                open = None;
            }
            out.insert(i, mask_line(line));
            continue;
        }
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() {
            continue;
        }
        let indent = width(&line[..line.len() - content.len()]);
        if let Some(key_indent) = block {
            let is_item = content == "-" || content.starts_with("- ");
            if indent > key_indent || (indent == key_indent && is_item) {
                if !is_reference_entry(content) {
                    out.insert(i, mask_line(line));
                    open = Scan::after(content);
                }
                continue;
            }
            // A comment less indented does not end the value in YAML; anything else does.
            if !content.starts_with('#') {
                block = None;
            }
        }
        if let Some(masked) = redact_keys(line, &mut block, &mut open) {
            out.insert(i, masked);
        }
    }
    out
}

/// Looks for secret keys on one line (outside a secret value). Returns the line to show when
/// something on it is masked; sets `block` when the line opens a secret value that goes on
/// below, and `open` when a masked value stays open at the end of the line.
fn redact_keys(line: &str, block: &mut Option<usize>, open: &mut Option<Scan>) -> Option<String> {
    let mut from = 0;
    while let Some((key_start, colon)) = next_key(line, from) {
        let key = line[key_start..colon].trim_matches(['"', '\'']);
        if !is_secret_name(key) {
            from = colon + 1;
            continue;
        }
        let rest = &line[colon + 1..];
        let value = rest.trim_start_matches([' ', '\t']);
        if value.is_empty() || value.starts_with('#') {
            // The value is on the lines below: a block, or the rest of an open flow collection.
            *block = Some(width(&line[..key_start]));
            let mut scan = Scan::default();
            scan.feed(&line[..key_start]);
            if !scan.is_closed() {
                *open = Some(scan);
            }
            return None;
        }
        if value.starts_with('{')
            && let Some(end) = flow_end(value)
            && is_reference_mapping(&value[..end])
        {
            from = line.len() - value.len() + end;
            continue;
        }
        // A literal: masked, with what may continue it below (a multi-line plain or block
        // scalar is more indented than its key; a quoted one or a flow collection may not be).
        *block = Some(width(&line[..key_start]));
        *open = Scan::after(value);
        return Some(format!("{} {MASK}", &line[..=colon]));
    }
    None
}

/// The next mapping key at or after byte `from`: (start of the key, its colon). A key ends with
/// `:` followed by a space, a tab or the end of the line.
fn next_key(line: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t') {
            let start = line[from..i]
                .rfind([' ', '\t', '{', '[', ','])
                .map_or(from, |p| from + p + 1);
            if start < i {
                return Some((start, i));
            }
        }
        i += 1;
    }
    None
}

fn is_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

/// `fromEnv: NAME` (and the like) alone on a line, perhaps with a comment.
fn is_reference_entry(content: &str) -> bool {
    let content = strip_comment(content).trim_end();
    match content.split_once(':') {
        Some((key, value)) => is_reference(key.trim(), value.trim()),
        None => false,
    }
}

/// `{fromEnv: X}`, `{generate: true, rotation: 1}`, `{}`: a flow mapping of reference keys only.
fn is_reference_mapping(flow: &str) -> bool {
    let Some(inner) = flow.strip_prefix('{').and_then(|f| f.strip_suffix('}')) else {
        return false;
    };
    inner
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .all(|entry| match entry.split_once(':') {
            Some((key, value)) => is_reference(key.trim(), value.trim()),
            None => false,
        })
}

/// A reference key (`fromEnv`, `fromFile`, `generate`, `rotation`: they name where a secret
/// comes from, never the secret itself) with a value of the form the key takes: a password typed into `fromEnv`
/// (which the schema refuses) is masked too.
fn is_reference(key: &str, value: &str) -> bool {
    let key = key.trim_matches(['"', '\'']);
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match key {
        "fromEnv" => value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && value.chars().all(word),
        "fromFile" => !value.is_empty() && value.chars().all(|c| word(c) || matches!(c, '.' | '/' | '-' | '~')),
        "generate" => matches!(value, "true" | "false"),
        "rotation" => !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// The byte length of the flow collection that starts `text`, if it closes on this line.
fn flow_end(text: &str) -> Option<usize> {
    let mut scan = Scan::default();
    for (i, c) in text.char_indices() {
        scan.step(c, text[..i].chars().next_back());
        if scan.is_closed() {
            return Some(i + c.len_utf8());
        }
    }
    None
}

/// `text` without its trailing comment (a `#` after a space, outside quotes).
fn strip_comment(text: &str) -> &str {
    let mut scan = Scan::default();
    for (i, c) in text.char_indices() {
        let before = text[..i].chars().next_back();
        if c == '#' && scan.quote.is_none() && before.is_none_or(|b| b == ' ' || b == '\t') {
            return &text[..i];
        }
        scan.step(c, before);
    }
    text
}

/// The indentation of what follows `prefix`, in columns.
fn width(prefix: &str) -> usize {
    prefix.chars().fold(0, |col, c| {
        if c == '\t' {
            (col / TAB_WIDTH + 1) * TAB_WIDTH
        } else {
            col + 1
        }
    })
}

/// A whole line masked, keeping its indentation so that the snippet still reads as YAML.
fn mask_line(line: &str) -> String {
    let content = line.trim_start_matches([' ', '\t']);
    format!("{}{MASK}", &line[..line.len() - content.len()])
}

/// Quotes and flow brackets, followed through text.
#[derive(Debug, Default, Clone, Copy)]
struct Scan {
    quote: Option<char>,
    depth: usize,
    /// The previous character was a backslash inside double quotes.
    escaped: bool,
}

impl Scan {
    /// The scan of a value, when it is still open at the end of the line.
    fn after(value: &str) -> Option<Scan> {
        let mut scan = Scan::default();
        scan.feed(value);
        (!scan.is_closed()).then_some(scan)
    }

    fn is_closed(&self) -> bool {
        self.quote.is_none() && self.depth == 0
    }

    /// Follows one line; a comment ends it.
    fn feed(&mut self, line: &str) {
        let mut before = None;
        for c in line.chars() {
            if c == '#' && self.quote.is_none() && before.is_none_or(|b: char| b == ' ' || b == '\t') {
                break;
            }
            self.step(c, before);
            before = Some(c);
        }
        // A line break ends an escape sequence (`\` at the end of a line folds it).
        self.escaped = false;
    }

    fn step(&mut self, c: char, before: Option<char>) {
        match self.quote {
            Some('"') if self.escaped => self.escaped = false,
            Some('"') if c == '\\' => self.escaped = true,
            // `''` inside single quotes is a quote: closing then reopening gives the same result.
            Some(q) if c == q => self.quote = None,
            Some(_) => {}
            None => match c {
                // A quote opens a quoted scalar only where a scalar starts (`it's` is plain).
                '"' | '\'' if before.is_none_or(|b| matches!(b, ' ' | '\t' | '{' | '[' | ',' | ':')) => {
                    self.quote = Some(c)
                }
                '{' | '[' => self.depth += 1,
                '}' | ']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text as shown: every line, masked where needed.
    fn shown(text: &str) -> String {
        let masks = redactions(text);
        text.lines()
            .enumerate()
            .map(|(i, l)| masks.get(&i).cloned().unwrap_or_else(|| l.to_string()) + "\n")
            .collect()
    }

    #[test]
    fn masks_inline_values_but_not_references() {
        assert_eq!(shown("  sipPassword: hunter2hunter2\n"), "  sipPassword: (sensitive)\n");
        assert_eq!(shown("  sipPassword: {value: x}\n"), "  sipPassword: (sensitive)\n");
        assert_eq!(shown("  sipPassword: {fromEnv: X}\n"), "  sipPassword: {fromEnv: X}\n");
        assert_eq!(
            shown("  sipPassword: {generate: true, rotation: 2}  # new\n"),
            "  sipPassword: {generate: true, rotation: 2}  # new\n"
        );
        assert_eq!(shown("  clientSecret: abc\n"), "  clientSecret: (sensitive)\n");
        assert_eq!(shown("  name: phone\n"), "  name: phone\n");
        assert_eq!(
            shown("  url: https://token.example\n"),
            "  url: https://token.example\n"
        );
    }

    #[test]
    fn a_reference_key_first_does_not_clear_the_mapping() {
        assert_eq!(
            shown("  sipPassword: {fromEnv: X, pw: Hunter2}\n"),
            "  sipPassword: (sensitive)\n"
        );
        assert_eq!(
            shown("  sipPassword: {fromEnv: \"Hunter2 Secret!\"}\n"),
            "  sipPassword: (sensitive)\n"
        );
        assert_eq!(
            shown("webex: {token: {fromEnv: T}, password: Hunter2}\n"),
            "webex: {token: {fromEnv: T}, password: (sensitive)\n"
        );
    }

    #[test]
    fn masks_block_values_below_the_key() {
        let text = "webex:\n  token:\n    fromEnv: T\n    value: Hunter2Token\n  url: https://x\n";
        assert_eq!(
            shown(text),
            "webex:\n  token:\n    fromEnv: T\n    (sensitive)\n  url: https://x\n"
        );
        let text = "spec:\n  sipPassword:\n\tvalue: Hunter2\n  mac: x\n";
        assert_eq!(shown(text), "spec:\n  sipPassword:\n\t(sensitive)\n  mac: x\n");
        let text = "spec:\n  sipPassword: |\n    Hunter2\n\n    more\n  # note\n  mac: x\n";
        assert_eq!(
            shown(text),
            "spec:\n  sipPassword: (sensitive)\n    (sensitive)\n\n    (sensitive)\n  # note\n  mac: x\n"
        );
        let text = "token:\n- Hunter2\nnext: 1\n";
        assert_eq!(shown(text), "token:\n(sensitive)\nnext: 1\n");
        let text = "- sipPassword:\n    fromEnv: X\n  mac: x\n";
        assert_eq!(shown(text), text);
    }

    #[test]
    fn masks_values_that_go_on_over_lines() {
        let text = "  sipPassword: \"Hunter2\nSecret\"\nmac: x\n";
        assert_eq!(shown(text), "  sipPassword: (sensitive)\n(sensitive)\nmac: x\n");
        let text = "x: {sipPassword:\n Hunter2}\ny: 1\n";
        assert_eq!(shown(text), "x: {sipPassword:\n (sensitive)\ny: 1\n");
        let text = "  sipPassword: {fromEnv: X,\n pw: Hunter2}\ny: 1\n";
        assert_eq!(shown(text), "  sipPassword: (sensitive)\n (sensitive)\ny: 1\n");
    }
}
