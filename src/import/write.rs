//! Writing an import's files under `--out`: never replacing a file, never leaving a
//! half-written one, never going outside the folder.
//!
//! Every file is written whole to a hidden temporary file beside it, the file system is flushed
//! once, then each is linked to its name with `link(2)`, which fails when the name exists: a file someone wrote meanwhile is kept, and an
//! interrupted import leaves at most a hidden `.tmp` file that no manifest loader reads (its
//! name does not end in `.yaml`). Every folder on the way must be a real folder inside `--out`
//! (a symbolic link there could point anywhere), and every path component was made by
//! `names` from live data, so none is `..` or absolute; each is checked again here.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::File;
use crate::model::Stop;

/// Why a file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    pub path: PathBuf,
    pub message: String,
}

/// Every regular file under `dir` (relative, `/`-separated); symbolic links are not followed.
pub fn existing_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push((entry.path(), relative)),
                Ok(_) => out.push(relative),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

fn safe_component(c: &str) -> bool {
    !c.is_empty()
        && c != "."
        && c != ".."
        && !c.starts_with('.')
        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
}

/// Makes the folders of `path` under `root`, refusing any that is not a real folder.
fn folders(root: &Path, components: &[String]) -> Result<PathBuf, String> {
    let mut dir = root.to_path_buf();
    for c in components {
        dir.push(c);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(format!(
                    "{} is not a folder (a file or a symbolic link is there)",
                    dir.display()
                ));
            }
            Err(_) => std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
        }
    }
    Ok(dir)
}

/// A file written whole under a hidden temporary name, waiting for its own name.
struct Staged {
    relative: PathBuf,
    temp: PathBuf,
    target: PathBuf,
}

/// Writes one file under a temporary name beside its own; `Ok(None)` when a file of that name
/// exists (it is kept).
fn stage(root: &Path, file: &File) -> Result<Option<Staged>, String> {
    if !file.path.iter().all(|c| safe_component(c)) {
        return Err(format!("the path {:?} is not safe to write", file.path.join("/")));
    }
    let Some((name, parents)) = file.path.split_last() else {
        return Err("an empty path".into());
    };
    let dir = folders(root, parents)?;
    let target = dir.join(name);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Ok(None);
    }
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        f.write_all(file.text.as_bytes())
    })();
    match written {
        Ok(()) => Ok(Some(Staged {
            relative: file.relative(),
            temp,
            target,
        })),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(format!("cannot write {}: {e}", temp.display()))
        }
    }
}

/// Flushes the file system that holds `root` once for all the staged files: a sync per file
/// costs more than the whole import of an estate (25,000 files).
fn sync(root: &Path) {
    #[cfg(target_os = "linux")]
    if let Ok(dir) = std::fs::File::open(root) {
        use std::os::fd::AsRawFd;
        // SAFETY: `syncfs` takes an open file descriptor and touches no memory of ours.
        unsafe {
            libc::syncfs(dir.as_raw_fd());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = root;
}

/// What [`write_all`] did.
#[derive(Debug, Default)]
pub struct Written {
    pub written: Vec<PathBuf>,
    /// Files of that name that appeared since the import looked: kept, not replaced.
    pub kept: Vec<PathBuf>,
    pub errors: Vec<WriteError>,
    /// Ctrl-C stopped the writing before these.
    pub not_written: Vec<PathBuf>,
}

/// Writes `files` under `root` (created when missing) until `stop`: each whole under a
/// temporary name, then one flush to disk, then each linked to its own name (never over a file
/// that is there). A file has its name only once all of it is on disk.
pub fn write_all(root: &Path, files: &[File], stop: &Stop, mut each: impl FnMut(&Path)) -> Written {
    let mut out = Written::default();
    if let Err(e) = std::fs::create_dir_all(root) {
        out.errors.push(WriteError {
            path: root.to_path_buf(),
            message: format!("cannot create {}: {e}", root.display()),
        });
        return out;
    }
    let mut staged = Vec::new();
    for file in files {
        if stop.requested() {
            out.not_written.push(file.relative());
            continue;
        }
        match stage(root, file) {
            Ok(Some(s)) => staged.push(s),
            Ok(None) => out.kept.push(file.relative()),
            Err(message) => out.errors.push(WriteError {
                path: file.relative(),
                message,
            }),
        }
    }
    if !stop.requested() {
        sync(root);
    }
    for s in staged {
        if stop.requested() {
            out.not_written.push(s.relative);
        } else {
            match std::fs::hard_link(&s.temp, &s.target) {
                Ok(()) => {
                    each(&s.relative);
                    out.written.push(s.relative);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => out.kept.push(s.relative),
                Err(e) => out.errors.push(WriteError {
                    path: s.relative,
                    message: format!("cannot write {}: {e}", s.target.display()),
                }),
            }
        }
        let _ = std::fs::remove_file(&s.temp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &[&str], text: &str) -> File {
        File {
            path: path.iter().map(|s| s.to_string()).collect(),
            text: text.into(),
            documents: 1,
        }
    }

    #[test]
    fn an_existing_file_is_kept_and_unsafe_paths_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("acg")).expect("mkdir");
        std::fs::write(dir.path().join("acg/a.yaml"), "mine").expect("write");
        let files = [
            file(&["acg", "a.yaml"], "theirs"),
            file(&["acg", "b.yaml"], "new"),
            file(&["..", "x.yaml"], "escape"),
            file(&["webex", ".hidden"], "hidden"),
        ];
        let w = write_all(dir.path(), &files, &Stop::default(), |_| {});
        assert_eq!(
            std::fs::read_to_string(dir.path().join("acg/a.yaml")).expect("read"),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("acg/b.yaml")).expect("read"),
            "new"
        );
        assert_eq!(w.written, [PathBuf::from("acg/b.yaml")]);
        assert_eq!(w.kept, [PathBuf::from("acg/a.yaml")]);
        assert_eq!(w.errors.len(), 2);
        assert!(!dir.path().parent().expect("parent").join("x.yaml").exists());
        // No temporary file is left.
        assert_eq!(existing_files(dir.path()), ["acg/a.yaml", "acg/b.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_on_the_way_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("webex")).expect("symlink");
        let w = write_all(dir.path(), &[file(&["webex", "c.yaml"], "x")], &Stop::default(), |_| {});
        assert_eq!(w.errors.len(), 1, "{w:?}");
        assert!(existing_files(elsewhere.path()).is_empty());
    }
}
