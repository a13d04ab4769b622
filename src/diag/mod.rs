//! The ground floor of reporting: diagnostic codes, [`diagnostic::Diagnostic`], and the places in
//! the sources a diagnostic points at ([`source`]). No I/O, and no import of any other telform
//! module: the loader (`manifest`), the checks (`validate`) and the commands all report through
//! these types, so they sit below all of them.
//!
//! What was chosen, and why:
//! - `codes` and `diagnostic` moved here from `validate` because the loader reports YAML and file
//!   errors before any validation runs; with them in `validate`, `manifest` and `validate`
//!   imported each other.
//! - The positions (`FileId`, `Origin`, `Pos`, `Span`) moved here with them, since a
//!   `Diagnostic` holds them; `manifest` re-exports them, so its users did not change.
//! - Rendering a diagnostic (snippets, colours) stays in `validate::report`: it needs the loaded
//!   sources, which belong to `manifest`.

pub mod codes;
pub mod diagnostic;
mod problem;
pub mod source;

pub use problem::Problem;

/// `1 problem`, `2 problems`: a count with its noun, for messages people read. `word` is the
/// singular; the plural adds an `s` (`retry`, `retries`).
pub fn counted(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(super::counted(1, "write"), "1 write");
        assert_eq!(super::counted(0, "write"), "0 writes");
        assert_eq!(super::counted(2, "SIP password"), "2 SIP passwords");
        assert_eq!(super::counted(3, "retry"), "3 retries");
        assert_eq!(super::counted(3, "day"), "3 days");
    }
}
