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
//! - a key that is a misspelling of one (`sipPasword`, `pasword`, `secert`, `tokn`: within two
//!   edits of a secret word, or holding `pass`, `pwd` or `secr`) is a secret key too: a
//!   diagnostic about it suggests the real name, and its value is the password the user meant;
//! - an anchored value (`&pw "…"`) that a secret key uses later (`sipPassword: *pw`) is masked
//!   where it is written.
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
    let anchors = secret_anchors(text);
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
        if let Some(masked) = redact_keys(line, &anchors, &mut block, &mut open) {
            out.insert(i, masked);
        } else if anchors.iter().any(|a| defines_anchor(line, a)) {
            // An anchored secret where no key precedes it (a list item, a flow collection).
            out.insert(i, mask_line(line));
        }
    }
    out
}

/// Looks for secret keys on one line (outside a secret value). Returns the line to show when
/// something on it is masked; sets `block` when the line opens a secret value that goes on
/// below, and `open` when a masked value stays open at the end of the line.
fn redact_keys(line: &str, anchors: &[String], block: &mut Option<usize>, open: &mut Option<Scan>) -> Option<String> {
    let mut from = 0;
    while let Some((key_start, colon)) = next_key(line, from) {
        let key = line[key_start..colon].trim_matches(['"', '\'']);
        let rest = &line[colon + 1..];
        let value = rest.trim_start_matches([' ', '\t']);
        if !is_secret_name(key) && !anchors.iter().any(|a| defines_anchor(value, a)) {
            from = colon + 1;
            continue;
        }
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
    if SECRET_WORDS.iter().any(|w| key.contains(w)) || ["pass", "pwd", "secr"].iter().any(|w| key.contains(w)) {
        return true;
    }
    // A misspelling: some part of the key is within two edits of `password`, one of the
    // shorter words (two would take `customer` for `token`).
    let key: Vec<char> = key.chars().collect();
    SECRET_WORDS.iter().any(|word| {
        let word: Vec<char> = word.chars().collect();
        let most = if word.len() >= 8 { 2 } else { 1 };
        near(&key, &word, most)
    })
}

/// Whether some part of `text` is within `most` edits (insertions, deletions, substitutions,
/// swaps of neighbours) of `word`: Sellers' approximate matching, one pass over `text` per
/// letter of `word`. Every key of a file with a problem goes through it, so it must stay linear
/// in the key (a file may hold a million keys).
fn near(text: &[char], word: &[char], most: usize) -> bool {
    // Row `i` holds, for each end in `text`, the distance of `word[..i]` to the best part of
    // `text` ending there; row 0 is all zeros: a match may start anywhere.
    let mut before = vec![0usize; text.len() + 1];
    let mut previous = vec![0usize; text.len() + 1];
    for i in 1..=word.len() {
        let mut row = vec![i; text.len() + 1];
        for j in 1..=text.len() {
            let cost = usize::from(word[i - 1] != text[j - 1]);
            let mut best = (previous[j] + 1).min(row[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && word[i - 1] == text[j - 2] && word[i - 2] == text[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            row[j] = best;
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous.iter().any(|&distance| distance <= most)
}

/// The names of the anchors a secret key uses as its value (`sipPassword: *pw`).
fn secret_anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut from = 0;
        while let Some((key_start, colon)) = next_key(line, from) {
            let key = line[key_start..colon].trim_matches(['"', '\'']);
            let value = line[colon + 1..].trim_start_matches([' ', '\t']);
            if is_secret_name(key)
                && let Some(alias) = value.strip_prefix('*')
            {
                let name: String = alias
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '}' | ']'))
                    .collect();
                if !name.is_empty() && !out.contains(&name) {
                    out.push(name);
                }
            }
            from = colon + 1;
        }
    }
    out
}

/// `text` defines the anchor `name` (`&name` followed by a space, a flow separator or the end).
fn defines_anchor(text: &str, name: &str) -> bool {
    let pattern = format!("&{name}");
    text.match_indices(&pattern).any(|(at, _)| {
        text[at + pattern.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '}' | ']'))
    })
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
    fn misspelled_secret_keys_are_masked() {
        for key in [
            "sipPasword",
            "sipPasswrod",
            "sipPassowrd",
            "pasword",
            "secert",
            "tokn",
            "clientSecert",
            "sipPwd",
        ] {
            let text = format!("spec:\n  {key}: Hunter2-literal\n");
            let masked = redactions(&text);
            assert_eq!(
                masked.get(&1).map(String::as_str),
                Some(format!("  {key}: (sensitive)").as_str()),
                "{key}"
            );
        }
        for key in [
            "model",
            "owner",
            "mac",
            "customer",
            "extension",
            "location",
            "capacity",
            "paging",
            "tenant",
            "teamsTenantId",
            "template",
            "ticketId",
            "timezone",
            "language",
            "country",
            "relationship",
            "correlationId",
            "rotation",
        ] {
            let text = format!("spec:\n  {key}: shown\n");
            assert!(redactions(&text).is_empty(), "{key}");
        }
    }

    #[test]
    fn an_anchored_value_used_as_a_password_is_masked_where_it_is_written() {
        let text = "metadata:\n  labels: {vendor: &pw \"Hunter2-anchor\" }\n  other: &fine shown\nspec:\n  sipPassword: *pw\n  model: *fine\n";
        let masked = redactions(text);
        assert!(masked.contains_key(&1), "{masked:?}");
        assert!(!masked.contains_key(&2), "{masked:?}");
        let text = "a: &pw Hunter2-anchor\nb: *pw\nspec:\n  sipPassword: *pw\n";
        let masked = redactions(text);
        assert_eq!(masked.get(&0).map(String::as_str), Some("a: (sensitive)"), "{masked:?}");
        let text = "list:\n  - &pw Hunter2-anchor\nspec:\n  sipPassword: *pw\n";
        assert_eq!(redactions(text).get(&1).map(String::as_str), Some("  (sensitive)"));
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
