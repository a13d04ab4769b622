//! What a check found, and where. Rules point at a document and a JSON pointer; positions are
//! resolved only when a diagnostic is shown (by `validate::report`).

use super::codes::Code;
use super::source::{FileId, Origin, Span};

/// Where a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// A whole file (it could not be read, it is empty).
    File(FileId),
    /// A known position.
    Span(FileId, Span),
    /// A node of a document, by JSON pointer (`/spec/numbers/3/number`).
    Node {
        origin: Origin,
        pointer: String,
        part: Part,
    },
    /// Nowhere in particular (no manifest found).
    Nowhere,
}

/// Which part of a mapping entry to point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl At {
    pub fn value(origin: Origin, pointer: impl Into<String>) -> At {
        At::Node {
            origin,
            pointer: pointer.into(),
            part: Part::Value,
        }
    }

    pub fn key(origin: Origin, pointer: impl Into<String>) -> At {
        At::Node {
            origin,
            pointer: pointer.into(),
            part: Part::Key,
        }
    }

    pub fn file(&self) -> Option<FileId> {
        match self {
            At::File(f) | At::Span(f, _) => Some(*f),
            At::Node { origin, .. } => Some(origin.file),
            At::Nowhere => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    pub at: At,
    /// The object concerned, as `Kind/name`, when there is one.
    pub object: Option<String>,
    /// Other places the message refers to ("first declared here").
    pub related: Vec<(At, String)>,
    /// The source at this place may hold a secret: show no snippet.
    pub sensitive: bool,
}

impl Diagnostic {
    pub fn error(code: Code, at: At, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
            at,
            object: None,
            related: Vec::new(),
            sensitive: false,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn object(mut self, object: impl Into<String>) -> Diagnostic {
        self.object = Some(object.into());
        self
    }

    pub fn related(mut self, at: At, note: impl Into<String>) -> Diagnostic {
        self.related.push((at, note.into()));
        self
    }

    pub fn sensitive(mut self) -> Diagnostic {
        self.sensitive = true;
        self
    }
}
