//! Finding manifest files and reading them into YAML documents.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use super::confined::{self, Refusal};
use super::settings::SETTINGS_FILE_NAMES;
use super::yaml::{self, Limits, Pos, Span, YamlError, YamlErrorKind};
use super::{FileId, Origin};
use crate::diag::codes;
use crate::diag::diagnostic::{At, Diagnostic};

/// Files larger than this are refused: a manifest file this big is a mistake (or an attack),
/// and split files keep pull-request diffs readable.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The files a run read, by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<PathBuf>,
    /// Where each file may be read: its real path, checked to be a regular file inside the
    /// folder it was found in; `None` for an entry that is never read (refused, unreadable).
    readable: Vec<Option<PathBuf>>,
}

impl Sources {
    /// An entry that is shown by its path and never read.
    pub fn add(&mut self, path: PathBuf) -> FileId {
        self.files.push(path);
        self.readable.push(None);
        FileId(self.files.len() as u32 - 1)
    }

    /// A file that may be read, at its checked real path.
    pub fn add_readable(&mut self, path: PathBuf, real: PathBuf) -> FileId {
        let id = self.add(path);
        self.readable[id.0 as usize] = Some(real);
        id
    }

    /// The bytes of a file that may be read (at most [`MAX_FILE_BYTES`]), read again from disk
    /// the way the loader read it: never an entry it refused, never through a final symlink.
    pub fn read(&self, id: FileId) -> Option<Vec<u8>> {
        let real = self.readable[id.0 as usize].as_ref()?;
        confined::read_regular(real, MAX_FILE_BYTES).ok().flatten()
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id.0 as usize]
    }

    /// The path as shown to users: as given on the command line, with `/` separators.
    /// The path as shown to people. A file name is chosen by whoever committed it: control
    /// characters are escaped, so that a name holding a newline cannot start a line of its own
    /// (a CI workflow command such as `::warning::`, a forged diagnostic).
    pub fn display(&self, id: FileId) -> String {
        let path: String = self
            .path(id)
            .to_string_lossy()
            .chars()
            .map(|c| match c {
                '\\' => "/".to_string(),
                c if c.is_control() => c.escape_default().to_string(),
                c => c.to_string(),
            })
            .collect();
        path.strip_prefix("./").map(str::to_string).unwrap_or(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A parsed YAML document waiting for the schema layer.
#[derive(Debug, Clone)]
pub struct RawDoc {
    pub origin: Origin,
    pub value: Value,
}

#[derive(Debug)]
pub struct Loaded<T = RawDoc> {
    pub sources: Sources,
    /// The documents, as `load_map`'s function made them, in file order.
    pub docs: Vec<T>,
    /// The settings file, when one of the folders holds one.
    pub settings: Option<RawDoc>,
    pub diagnostics: Vec<Diagnostic>,
    /// Manifest files (or folders) that could not be read completely: a syntax error, a limit,
    /// bad encoding, an unreadable entry. Documents may be missing from `docs`, so a reference
    /// that does not resolve may point at one of them. (The settings file is not counted: it
    /// declares nothing that a manifest refers to.)
    pub partial: Vec<FileId>,
}

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct FileRead {
    pub docs: Vec<RawDoc>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when documents of the file may be missing from `docs`: the file could not be read,
    /// decoded or parsed to its end, or a document was dropped (a duplicate key). An empty file
    /// is complete: it holds nothing.
    pub complete: bool,
}

impl FileRead {
    fn failed(diagnostic: Diagnostic) -> FileRead {
        FileRead {
            docs: Vec::new(),
            diagnostics: vec![diagnostic],
            complete: false,
        }
    }
}

/// Loads every manifest under `paths` (folders are searched recursively for `*.yaml` and
/// `*.yml`, skipping hidden folders and files; files are taken as given). A `telform.yaml` at the
/// top of a folder is the settings file. A file reached twice (`validate examples examples/acg`)
/// is read once.
pub fn load(paths: &[PathBuf]) -> Loaded {
    load_map(paths, |doc| doc)
}

/// Like [`load`], but hands each document to `map` as soon as its file is parsed, on the
/// worker thread that parsed it. A million-number repository is never held as YAML values all
/// at once: each file's values are turned into `T` and dropped before the next file.
pub fn load_map<T: Send>(paths: &[PathBuf], map: impl Fn(RawDoc) -> T + Sync) -> Loaded<T> {
    let files = load_files(paths, |docs| docs.into_iter().map(&map).collect::<Vec<T>>());
    // One vector of every document, allocated once (grown document by document, a vector of
    // 200,000 manifests is copied again at each doubling).
    let mut docs = Vec::with_capacity(files.docs.iter().map(Vec::len).sum());
    for file in files.docs {
        docs.extend(file);
    }
    Loaded {
        sources: files.sources,
        docs,
        settings: files.settings,
        diagnostics: files.diagnostics,
        partial: files.partial,
    }
}

/// Like [`load_map`], but hands `map` the documents of a file at once, and keeps one `T` per
/// file (in file order) in [`Loaded::docs`]: a caller that sorts the documents into its own
/// collections moves them there file by file, without a vector of every document first.
pub fn load_files<T: Send>(paths: &[PathBuf], map: impl Fn(Vec<RawDoc>) -> T + Sync) -> Loaded<T> {
    let mut loaded = Loaded::<T> {
        sources: Sources::default(),
        docs: Vec::new(),
        settings: None,
        diagnostics: Vec::new(),
        partial: Vec::new(),
    };
    let mut files = Vec::new();
    let mut settings_file = None;
    // Canonical paths of the files taken so far: overlapping arguments must not read a file
    // twice (its identities would be reported as declared twice, by themselves).
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut first_visit = |path: &Path| seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    for path in paths {
        let folder = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => path.as_path(),
            _ => path.parent().unwrap_or(Path::new("")),
        };
        if let Some(link) = confined::linked_component(folder) {
            let id = loaded.sources.add(path.clone());
            loaded.diagnostics.push(
                Diagnostic::error(
                    codes::UNSAFE_ENTRY,
                    At::File(id),
                    format!(
                        "not read: {} is a symbolic link inside the checkout, so the manifest folder could be anywhere",
                        link.display()
                    ),
                )
                .hint("name the real folder, or commit the manifests themselves instead of a link to them")
                .sensitive(),
            );
            loaded.partial.push(id);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                walk(path, &mut found);
                found.sort_by(|a, b| a.path().cmp(b.path()));
                for entry in found {
                    match entry {
                        Found::File(file) => {
                            let is_settings = file.parent() == Some(path.as_path()) && is_settings_name(&file);
                            // Confinement first: every refused entry is named, even when two
                            // of them lead to the same place.
                            let id = match confined::check(path, &file) {
                                Ok(real) if !first_visit(&real) => continue,
                                Ok(real) => loaded.sources.add_readable(file, real),
                                Err(refusal) => {
                                    let id = loaded.sources.add(file);
                                    loaded.diagnostics.push(refused(id, &refusal));
                                    loaded.partial.push(id);
                                    continue;
                                }
                            };
                            if is_settings && settings_file.is_none() {
                                settings_file = Some(id);
                            } else {
                                files.push(id);
                            }
                        }
                        Found::Unreadable(file, error) => {
                            let id = loaded.sources.add(file);
                            loaded.diagnostics.push(io_error(id, &error));
                            loaded.partial.push(id);
                        }
                    }
                }
            }
            Ok(_) => {
                // A file named on the command line is confined to its own folder.
                let folder = match path.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent,
                    _ => Path::new("."),
                };
                let id = match confined::check(folder, path) {
                    Ok(real) if !first_visit(&real) => continue,
                    Ok(real) => loaded.sources.add_readable(path.clone(), real),
                    Err(refusal) => {
                        let id = loaded.sources.add(path.clone());
                        loaded.diagnostics.push(refused(id, &refusal));
                        loaded.partial.push(id);
                        continue;
                    }
                };
                if is_settings_name(path) && settings_file.is_none() {
                    settings_file = Some(id);
                } else {
                    files.push(id);
                }
            }
            Err(error) => {
                let id = loaded.sources.add(path.clone());
                loaded.diagnostics.push(io_error(id, &error));
                loaded.partial.push(id);
            }
        }
    }
    if files.is_empty() && loaded.diagnostics.is_empty() {
        let shown: Vec<_> = paths.iter().map(|p| p.display().to_string()).collect();
        loaded.diagnostics.push(
            Diagnostic::error(
                codes::NO_MANIFESTS,
                At::Nowhere,
                format!("no manifest file (*.yaml, *.yml) found in {}", shown.join(", ")),
            )
            .hint("point telform at the folder that holds your manifests, e.g. `telform validate examples/`"),
        );
    }

    let sources = &loaded.sources;
    let results: Vec<(FileId, T, Vec<Diagnostic>, bool)> = files
        .par_iter()
        .map(|&id| {
            let read = read_source(sources, id);
            (id, map(read.docs), read.diagnostics, read.complete)
        })
        .collect();
    loaded.docs.reserve_exact(results.len());
    for (id, docs, diagnostics, complete) in results {
        loaded.docs.push(docs);
        loaded.diagnostics.extend(diagnostics);
        if !complete {
            loaded.partial.push(id);
        }
    }
    if let Some(id) = settings_file {
        let FileRead {
            mut docs, diagnostics, ..
        } = read_source(&loaded.sources, id);
        loaded.diagnostics.extend(diagnostics);
        if docs.len() > 1 {
            loaded.diagnostics.push(
                Diagnostic::error(
                    codes::YAML_UNSUPPORTED,
                    At::Span(
                        id,
                        Span::point(Pos {
                            line: docs[1].origin.line,
                            col: 1,
                        }),
                    ),
                    "the settings file holds more than one document",
                )
                .hint("keep one document in telform.yaml"),
            );
        }
        loaded.settings = if docs.is_empty() {
            None
        } else {
            Some(docs.swap_remove(0))
        };
    }
    loaded
}

fn is_settings_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| SETTINGS_FILE_NAMES.contains(&n))
}

/// What a folder walk found: a manifest file, or an entry that could not be examined.
enum Found {
    File(PathBuf),
    Unreadable(PathBuf, std::io::Error),
}

impl Found {
    fn path(&self) -> &Path {
        match self {
            Found::File(path) | Found::Unreadable(path, _) => path,
        }
    }
}

/// Collects the manifest files under `dir`. An entry that cannot be examined (a dangling
/// symlink, a folder without permission) is reported on its own and the walk goes on: one bad
/// entry must not hide every other file.
fn walk(dir: &Path, out: &mut Vec<Found>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            out.push(Found::Unreadable(dir.to_path_buf(), error));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                out.push(Found::Unreadable(dir.to_path_buf(), error));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden folders (.git) and files (editor lock files such as `.#users.yaml`) are not
        // manifests.
        if name.starts_with('.') {
            continue;
        }
        // A symlinked folder could loop; manifests are plain files in plain folders.
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(error) => {
                out.push(Found::Unreadable(path, error));
                continue;
            }
        };
        if file_type.is_dir() {
            walk(&path, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            // Follows a symlink: a dangling one is reported, a link to a folder is skipped, and
            // anything else (a link out of the folder, a FIFO, a device) is taken, to be refused
            // by name when it is checked.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => out.push(Found::File(path)),
                Err(error) => out.push(Found::Unreadable(path, error)),
            }
        }
    }
}

/// An entry of the folder that is not read. Nothing of it is shown (the diagnostic has no
/// snippet, and a symlink's target is not named): it may lead to a secret.
fn refused(id: FileId, refusal: &Refusal) -> Diagnostic {
    let diagnostic = match refusal {
        Refusal::Io(error) => return io_error(id, error),
        Refusal::Outside | Refusal::Dangling => {
            Diagnostic::error(codes::UNSAFE_ENTRY, At::File(id), format!("not read: {refusal}")).hint(
                "manifests are regular files inside the manifest folder: commit the file itself, not a link to it",
            )
        }
        Refusal::NotRegular(_) => Diagnostic::error(codes::UNSAFE_ENTRY, At::File(id), format!("not read: {refusal}"))
            .hint(
                "manifests are regular files: remove this entry, or rename it so that it does not end in .yaml or .yml",
            ),
    };
    diagnostic.sensitive()
}

/// Reads a file the loader accepted; see [`read_file`].
fn read_source(sources: &Sources, id: FileId) -> FileRead {
    match sources.readable[id.0 as usize].as_deref() {
        Some(real) => read_file(id, real),
        None => FileRead::failed(io_error(id, &std::io::Error::other("this entry is not read"))),
    }
}

fn io_error(id: FileId, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(codes::IO, At::File(id), format!("cannot read: {error}"))
        .hint("check that the path exists and is readable")
}

/// Reads one file into documents. Never fails: problems come back as diagnostics.
pub fn read_file(id: FileId, path: &Path) -> FileRead {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            const MIB: f64 = 1024.0 * 1024.0;
            return FileRead::failed(
                Diagnostic::error(
                    codes::TOO_LARGE,
                    At::File(id),
                    format!(
                        "the file is {:.1} MiB; the limit is {} MiB per file",
                        meta.len() as f64 / MIB,
                        MAX_FILE_BYTES / (1024 * 1024)
                    ),
                )
                .hint("split it into several files (10,000 numbers per file is a good size)"),
            );
        }
        Ok(_) => {}
        Err(error) => return FileRead::failed(io_error(id, &error)),
    }
    // Opened again without following a symlink and checked after the open: the entry may have
    // been swapped since the folder was walked.
    let bytes = match confined::read_regular(path, MAX_FILE_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return FileRead::failed(
                Diagnostic::error(
                    codes::TOO_LARGE,
                    At::File(id),
                    format!(
                        "the file is larger than {} MiB, the limit per file",
                        MAX_FILE_BYTES / (1024 * 1024)
                    ),
                )
                .hint("split it into several files (10,000 numbers per file is a good size)"),
            );
        }
        Err(Refusal::Io(error)) => return FileRead::failed(io_error(id, &error)),
        Err(refusal) => return FileRead::failed(refused(id, &refusal)),
    };
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return FileRead::failed(
            Diagnostic::error(codes::NOT_UTF8, At::File(id), "the file is UTF-16; save it as UTF-8")
                .hint("telform reads UTF-8 only: in your editor, save the file with the UTF-8 encoding"),
        );
    }
    let text = match decode(&bytes) {
        Ok(text) => text,
        Err(pos) => {
            return FileRead::failed(
                Diagnostic::error(
                    codes::NOT_UTF8,
                    At::Span(id, Span::point(pos)),
                    "the file is not valid UTF-8",
                )
                .hint("save the file as UTF-8 (YAML files must be UTF-8)"),
            );
        }
    };
    parse_text(id, text)
}

/// The line of a document's first content at or after `line` (1-based): past its `---`
/// separator, blank lines and comments, so that a plan or a message points at the object itself.
/// `lines` is the file's lines, split once: a file may hold many thousand documents.
fn first_content_line(lines: &[&str], line: u32) -> u32 {
    let start = line.saturating_sub(1) as usize;
    lines
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, l)| {
            let l = l.trim();
            !(l.is_empty() || l.starts_with('#') || l == "---" || l.starts_with("--- #") || l.starts_with('%'))
        })
        // A document that is only a separator and comments keeps its own line.
        .map_or(line, |(i, _)| i as u32 + 1)
}

/// Parses text already in memory (also used by the fuzz and property tests).
pub fn parse_text(id: FileId, text: &str) -> FileRead {
    let parsed = yaml::parse(text, Limits::default(), false);
    let diagnostics: Vec<Diagnostic> = parsed.errors.iter().map(|e| yaml_diagnostic(id, e)).collect();
    let lines: Vec<&str> = text.lines().collect();
    let docs: Vec<RawDoc> = parsed
        .docs
        .into_iter()
        .enumerate()
        .filter(|(_, d)| !d.value.is_null())
        .map(|(i, d)| RawDoc {
            origin: Origin {
                file: id,
                doc: i as u32,
                line: first_content_line(&lines, d.start.line),
            },
            value: d.value,
        })
        .collect();
    if docs.is_empty() && diagnostics.is_empty() {
        return FileRead {
            docs,
            diagnostics: vec![
                Diagnostic::error(codes::EMPTY_FILE, At::File(id), "the file holds no document")
                    .hint("add a manifest (apiVersion, kind, metadata, spec) or delete the file"),
            ],
            complete: true,
        };
    }
    // Every YAML error either ends the file (syntax, limits, unsupported features) or drops its
    // document (a duplicate key).
    let complete = parsed.errors.is_empty();
    FileRead {
        docs,
        diagnostics,
        complete,
    }
}

/// UTF-8 with an optional byte-order mark; on failure, the position of the first bad byte.
fn decode(bytes: &[u8]) -> Result<&str, Pos> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // The prefix is valid UTF-8 by construction.
        let good = std::str::from_utf8(good).unwrap_or_default();
        let line = good.matches('\n').count() as u32 + 1;
        let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        Pos { line, col }
    })
}

fn yaml_diagnostic(id: FileId, error: &YamlError) -> Diagnostic {
    let at = At::Span(id, error.span);
    let diagnostic = match error.kind {
        YamlErrorKind::Syntax => {
            Diagnostic::error(codes::YAML_SYNTAX, at, format!("YAML syntax error: {}", error.message))
                .hint("check the indentation and the brackets and quotes around this place")
        }
        YamlErrorKind::Tab => Diagnostic::error(codes::YAML_TAB, at, format!("YAML syntax error: {}", error.message))
            .hint("YAML indents with spaces only: replace the tab with spaces"),
        YamlErrorKind::DuplicateKey => Diagnostic::error(codes::DUPLICATE_KEY, at, error.message.clone())
            .hint("a key may appear once per mapping: keep one and delete the other"),
        YamlErrorKind::Limit => Diagnostic::error(codes::YAML_LIMIT, at, error.message.clone())
            .hint("manifests need neither deep nesting nor large aliases: write the values out"),
        YamlErrorKind::Unsupported => Diagnostic::error(codes::YAML_UNSUPPORTED, at, error.message.clone())
            .hint("use plain YAML mappings, lists and scalars"),
    };
    match error.related {
        Some(first) => diagnostic.related(At::Span(id, first), "first defined here"),
        None => diagnostic,
    }
}
