//! Places in the manifest sources: what a diagnostic points at. The loader
//! (`crate::manifest`) fills them in and re-exports them; they live here so that a diagnostic
//! can name a place without this layer importing the loader.

/// Index of a source file in `manifest::load::Sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// Where a document came from: its file and its index among the file's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub file: FileId,
    pub doc: u32,
    /// Line where the document starts, for messages that need no finer position.
    pub line: u32,
}

/// A position in a source file: 1-based line and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A range in a source file, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn point(pos: Pos) -> Span {
        Span { start: pos, end: pos }
    }
}
