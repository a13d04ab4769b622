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
pub mod source;
