//! Reading files of the manifest folder as what they are: input written by whoever opened the
//! pull request. A committed symlink may point anywhere (`/proc/self/environ`, a key under
//! `~/.ssh`), and a "file" may be a FIFO that blocks a read forever or a device that never ends.
//! Only regular files whose real location lies inside the folder are read; nothing of a refused
//! entry is ever shown, not even where its link points.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The manifest folder of a command's target: the folder itself, or a file's folder. Paths
/// written in manifests (`sipPassword.fromFile`) are relative to it.
pub fn folder_of(target: &Path) -> PathBuf {
    if target.is_file() {
        match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        target.to_path_buf()
    }
}

/// Why an entry of the folder is not read.
#[derive(Debug)]
pub enum Refusal {
    /// A symbolic link whose target lies outside the folder.
    Outside,
    /// A symbolic link to nothing: what it will point to once its target exists is unknown.
    Dangling,
    /// Not a regular file: a FIFO, a socket, a device, a folder.
    NotRegular(&'static str),
    /// It cannot be examined or opened.
    Io(std::io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Outside => write!(f, "it is a symbolic link to something outside the manifest folder"),
            Refusal::Dangling => write!(
                f,
                "it is a symbolic link to nothing, which could lead anywhere once it exists"
            ),
            Refusal::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refusal::Io(error) => write!(f, "{error}"),
        }
    }
}

/// The real path of `path` when it may be read as a file of the folder `root`: it resolves,
/// through any symlinks, to a regular file inside `root`.
pub fn check(root: &Path, path: &Path) -> Result<PathBuf, Refusal> {
    let root = std::fs::canonicalize(root).map_err(Refusal::Io)?;
    let real = std::fs::canonicalize(path).map_err(Refusal::Io)?;
    if !real.starts_with(&root) {
        return Err(Refusal::Outside);
    }
    let meta = std::fs::metadata(&real).map_err(Refusal::Io)?;
    regular(&meta)?;
    Ok(real)
}

fn regular(meta: &std::fs::Metadata) -> Result<(), Refusal> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() { "a folder" } else { kind_name(&kind) };
    Err(Refusal::NotRegular(what))
}

#[cfg(unix)]
fn kind_name(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_name(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Opens `path` as a regular file, never following a final symlink and never blocking on a FIFO
/// (it is refused once opened, after `fstat`, so a swap between a check and the open changes
/// nothing).
pub fn open_regular(path: &Path) -> Result<File, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = options.open(path).map_err(|error| {
        // ELOOP: the last component is a symlink (O_NOFOLLOW).
        #[cfg(unix)]
        if error.raw_os_error() == Some(libc::ELOOP) {
            return Refusal::NotRegular("a symbolic link");
        }
        Refusal::Io(error)
    })?;
    regular(&file.metadata().map_err(Refusal::Io)?)?;
    Ok(file)
}

/// Reads at most `limit` bytes of a regular file (`None` when it is longer: a file in `/proc`
/// says it has 0 bytes, so its size cannot be trusted before reading).
pub fn read_regular(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Refusal> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(Refusal::Io)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Why `relative`, below `root`, may not be a file of the folder even before it exists: one of
/// its components is a symbolic link that leads outside `root`, or to nothing. `None` when the
/// components that exist are plain entries or links inside `root`.
pub fn link_on_the_way(root: &Path, relative: &Path) -> Option<Refusal> {
    let real_root = std::fs::canonicalize(root).ok()?;
    let mut prefix = root.to_path_buf();
    for component in relative.components() {
        prefix.push(component);
        let Ok(meta) = std::fs::symlink_metadata(&prefix) else {
            // Not there (yet): nothing below it exists either.
            return None;
        };
        if meta.file_type().is_symlink() {
            match std::fs::canonicalize(&prefix) {
                Ok(real) if real.starts_with(&real_root) => {}
                Ok(_) => return Some(Refusal::Outside),
                Err(_) => return Some(Refusal::Dangling),
            }
        }
    }
    None
}

/// The first component of the folder `path` that is a symbolic link a checkout could hold, if
/// any: the root of the manifest folder is confinement's reference, so it must not itself be a
/// link a pull request committed (`manifests -> ../elsewhere`). Checked are the components below
/// the current folder for a relative path (the CI workspace, the operator's choice), and the
/// components below the Git work tree that holds an absolute one; a link above them is the
/// operator's.
pub fn linked_component(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut prefix = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().ok()?
    };
    let mut checked = !path.is_absolute();
    for component in path.components() {
        prefix.push(component);
        if !matches!(component, Component::Normal(_)) {
            continue;
        }
        if checked && std::fs::symlink_metadata(&prefix).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(prefix);
        }
        if !checked && prefix.join(".git").exists() {
            checked = true;
        }
    }
    None
}

/// Writes `bytes` to `path` by creating a new file beside it (never an existing one, never
/// through a symlink, with `mode`) and renaming it over `path`. The rename replaces whatever
/// `path` was, a symlink included, without following it; a reader sees the old file or the
/// whole new one.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let temp = path.with_file_name(format!(".{name}.{suffix}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let written = options
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Why a relative path written in a manifest may not be joined to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadPath {
    Absolute,
    Parent,
    Empty,
}

impl std::fmt::Display for BadPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BadPath::Absolute => "is absolute",
            BadPath::Parent => "climbs out with `..`",
            BadPath::Empty => "names no file",
        })
    }
}

/// A path written in a manifest, checked by its text alone: relative, without `..`, naming a
/// file. (Where it leads on disk, through symlinks, is [`check`]'s business.)
pub fn relative(text: &str) -> Result<PathBuf, BadPath> {
    let path = Path::new(text);
    // `\` is a separator on Windows and an ordinary character here; `C:` a drive prefix there.
    if text.starts_with(['/', '\\']) || text.contains(':') || path.is_absolute() {
        return Err(BadPath::Absolute);
    }
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(BadPath::Parent),
            Component::RootDir | Component::Prefix(_) => return Err(BadPath::Absolute),
        }
    }
    if text.split(['/', '\\']).any(|part| part == "..") {
        return Err(BadPath::Parent);
    }
    if out.as_os_str().is_empty() {
        return Err(BadPath::Empty);
    }
    Ok(out)
}

/// Reads the file a manifest names (`sipPassword.fromFile`) under `root`: the text must pass
/// [`relative`], and the file it leads to must be a regular file inside `root`.
pub fn read_named(root: &Path, text: &str, limit: u64) -> Result<Option<Vec<u8>>, NamedRefusal> {
    let relative = relative(text).map_err(NamedRefusal::Path)?;
    let real = check(root, &root.join(relative)).map_err(NamedRefusal::Entry)?;
    read_regular(&real, limit).map_err(NamedRefusal::Entry)
}

/// Why a file a manifest names was not read.
#[derive(Debug)]
pub enum NamedRefusal {
    Path(BadPath),
    Entry(Refusal),
}

impl std::fmt::Display for NamedRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamedRefusal::Path(bad) => write!(f, "the path {bad}"),
            NamedRefusal::Entry(refusal) => refusal.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_written_in_manifests_stay_relative_and_below() {
        assert_eq!(relative("secrets/a.sip"), Ok(PathBuf::from("secrets/a.sip")));
        assert_eq!(relative("./secrets/a.sip"), Ok(PathBuf::from("secrets/a.sip")));
        assert_eq!(relative("/etc/passwd"), Err(BadPath::Absolute));
        assert_eq!(relative("\\\\server\\share"), Err(BadPath::Absolute));
        assert_eq!(relative("C:/x"), Err(BadPath::Absolute));
        assert_eq!(relative("../../outside"), Err(BadPath::Parent));
        assert_eq!(relative("secrets/../../x"), Err(BadPath::Parent));
        assert_eq!(relative("secrets\\..\\x"), Err(BadPath::Parent));
        assert_eq!(relative("."), Err(BadPath::Empty));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_fifos_and_links_are_refused() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret"), "canary").expect("write");
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        std::fs::write(r.join("ok.sip"), "pw").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), r.join("out.sip")).expect("symlink");
        std::os::unix::fs::symlink("ok.sip", r.join("in.sip")).expect("symlink");
        let fifo = r.join("fifo.sip");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("c string");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

        assert_eq!(read_named(r, "ok.sip", 100).expect("read"), Some(b"pw".to_vec()));
        assert_eq!(read_named(r, "in.sip", 100).expect("read"), Some(b"pw".to_vec()));
        assert!(matches!(
            read_named(r, "out.sip", 100),
            Err(NamedRefusal::Entry(Refusal::Outside))
        ));
        assert!(matches!(
            read_named(r, "fifo.sip", 100),
            Err(NamedRefusal::Entry(Refusal::NotRegular("a named pipe")))
        ));
        assert!(matches!(
            open_regular(&r.join("in.sip")),
            Err(Refusal::NotRegular("a symbolic link"))
        ));
        assert!(matches!(open_regular(&fifo), Err(Refusal::NotRegular("a named pipe"))));
        assert_eq!(
            read_regular(&r.join("ok.sip"), 1).expect("read"),
            None,
            "longer than the limit"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_that_is_a_committed_link_is_found() {
        let temp = tempfile::tempdir().expect("temp dir");
        let repo = temp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("repo");
        std::fs::create_dir_all(repo.join("real/acg")).expect("folder");
        std::fs::create_dir_all(temp.path().join("outside")).expect("outside");
        std::os::unix::fs::symlink("../outside", repo.join("manifests")).expect("link");
        assert_eq!(linked_component(&repo.join("manifests")), Some(repo.join("manifests")));
        assert_eq!(
            linked_component(&repo.join("manifests/acg")),
            Some(repo.join("manifests"))
        );
        assert_eq!(linked_component(&repo.join("real/acg")), None);
        // Above the work tree, a link is the operator's.
        std::os::unix::fs::symlink(&repo, temp.path().join("checkout")).expect("link");
        assert_eq!(linked_component(&temp.path().join("checkout/real")), None);
    }

    #[test]
    fn a_replaced_file_never_writes_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let outside = tempfile::tempdir().expect("tempdir");
        let target = outside.path().join("victim");
        std::fs::write(&target, "untouched").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("plan.json");
        std::os::unix::fs::symlink(&target, &out).expect("symlink");
        replace_file(&out, b"{}", 0o644).expect("written");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "untouched");
        assert_eq!(std::fs::read_to_string(&out).expect("read"), "{}");
        assert!(!std::fs::symlink_metadata(&out).expect("meta").file_type().is_symlink());
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600);
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            1,
            "no temporary file left"
        );
    }
}
