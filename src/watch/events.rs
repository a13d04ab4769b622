//! File events of the manifest folder: which ones matter, and the Git operations behind them.
//!
//! `notify-debouncer-full` coalesces the raw events of each path (an editor's temp file and
//! rename become one rename; a file written in several `write` calls becomes one event) and
//! hands them over in batches. The quiet window that turns a whole burst (a `git pull` of
//! hundreds of files) into one reconcile is the loop's (see `super::Loop`), because the
//! debouncer times each path on its own.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::event::{EventKind, MetadataKind, ModifyKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

/// What the debouncer thread hands to the loop.
#[derive(Debug)]
pub enum Batch {
    /// Some events of one debouncer tick.
    Events {
        /// Changed manifest files and folders (relative to the manifest folder).
        changed: Vec<PathBuf>,
        /// Something happened in the Git folder (a checkout, pull or commit is under way or
        /// just finished).
        git: bool,
        /// When the batch left the debouncer: the quiet window counts from here, not from when
        /// the loop got round to it (it may have been busy reconciling).
        at: Instant,
    },
    /// The watcher reported a problem (a folder it could not watch, the inotify limit).
    Error(String),
    /// The watched folder itself was removed or moved away: the watcher hears nothing more
    /// of it, whatever appears at its path next.
    RootGone,
}

/// What a path is to the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A manifest file or a folder that may hold some: the manifests changed.
    Manifest,
    /// Inside the Git folder.
    Git,
    /// Hidden, an editor's scratch file, not YAML, or the secrets file watch writes itself.
    Ignored,
}

/// Sorts paths into [`Class`]es. Built once; moved into the debouncer's thread.
#[derive(Debug, Clone)]
pub struct Classifier {
    /// The manifest folder, canonical (the watcher reports paths under the path it watches).
    pub dir: PathBuf,
    /// The repository's Git folder, when the manifest folder is in a Git checkout.
    pub git_dir: Option<PathBuf>,
    /// `--secrets-out FILE`: watch writes `FILE.<time>` itself, maybe inside the folder.
    pub secrets_out: Option<PathBuf>,
}

impl Classifier {
    pub fn new(dir: &Path, secrets_out: Option<&Path>) -> Classifier {
        let secrets_out = secrets_out.map(|path| {
            // The file may not exist yet: its folder does (or the apply will say so).
            match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) => {
                    let parent = if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    };
                    std::fs::canonicalize(parent)
                        .map(|p| p.join(name))
                        .unwrap_or_else(|_| path.to_path_buf())
                }
                _ => path.to_path_buf(),
            }
        });
        Classifier {
            dir: dir.to_path_buf(),
            git_dir: git_dir_of(dir),
            secrets_out,
        }
    }

    pub fn classify(&self, path: &Path) -> Class {
        if let Some(git) = &self.git_dir
            && path.starts_with(git)
        {
            return Class::Git;
        }
        if let Some(out) = &self.secrets_out
            && let (Some(parent), Some(name), Some(out_name)) = (path.parent(), path.file_name(), out.file_name())
            && Some(parent) == out.parent()
            && name.to_string_lossy().starts_with(&*out_name.to_string_lossy())
        {
            return Class::Ignored;
        }
        let Ok(relative) = path.strip_prefix(&self.dir) else {
            return Class::Ignored;
        };
        if relative.as_os_str().is_empty() {
            // The folder itself (moved or removed): everything under it changed.
            return Class::Manifest;
        }
        // The loader skips hidden folders and files (`.git/`, `.#contoso.yaml`): so does watch.
        let hidden = relative.components().any(|c| match c {
            Component::Normal(name) => name.to_string_lossy().starts_with('.'),
            _ => false,
        });
        if hidden {
            return Class::Ignored;
        }
        let name = relative
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            return Class::Manifest;
        }
        // A folder moved in or out reports only its own path, and a removed path cannot be
        // asked whether it was a folder: a name without an extension counts. Vim's write probe
        // (`4913`) and backups (`contoso.yaml~`, `#contoso.yaml#`) are noise.
        if !name.contains('.') && name != "4913" && !name.starts_with('#') {
            return Class::Manifest;
        }
        Class::Ignored
    }

    /// Whether a Git command is writing the checkout right now: it holds `index.lock` until
    /// it is done, so a reconcile waits for it to go away.
    pub fn git_busy(&self) -> bool {
        self.git_dir.as_ref().is_some_and(|git| git.join("index.lock").exists())
    }
}

/// The Git folder of the checkout `dir` is in: `.git` in `dir` or one of its parents, or the
/// folder a `.git` file points to (worktrees, submodules).
pub fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    for folder in dir.ancestors() {
        let dot_git = folder.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        if meta.is_dir() {
            return Some(dot_git);
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        let target = folder.join(target);
        return std::fs::canonicalize(&target).ok().or(Some(target));
    }
    None
}

/// Whether an event can change what a reconcile reads. Reads (`Access`: validate opens every
/// file) must not count, or each reconcile would schedule the next.
fn counts(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))
    )
}

/// A running watcher; dropping it stops the events.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    pub events: mpsc::UnboundedReceiver<Batch>,
    /// Something that works less well than it should (printed once at start).
    pub warning: Option<String>,
}

/// Starts watching `classifier.dir` (recursively) and, when it lies outside, the top of the
/// Git folder (not recursively: `index.lock`, `HEAD` and `ORIG_HEAD` are there, and a pull's
/// thousands of object writes are not worth a wake-up each).
pub fn watch(classifier: Classifier, debounce: Duration) -> Result<Watcher, String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let dir = classifier.dir.clone();
    let git_dir = classifier.git_dir.clone();
    // The debouncer stitches renames and merges each path's events over this time; the loop's
    // quiet window (`--debounce`) does the rest, so this one stays short.
    let per_path = (debounce / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let handler = move |result: DebounceEventResult| {
        let batch = match result {
            Ok(events) => {
                let mut changed = Vec::new();
                let mut git = false;
                let mut root_gone = false;
                for event in events.iter() {
                    if matches!(
                        event.kind,
                        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                    ) && event.paths.contains(&classifier.dir)
                    {
                        root_gone = true;
                    }
                    if event.need_rescan() {
                        // The kernel dropped events (inotify's queue overflowed): anything may
                        // have changed, so the whole folder counts as changed.
                        changed.push(PathBuf::new());
                        continue;
                    }
                    if !counts(&event.kind) {
                        continue;
                    }
                    for path in &event.paths {
                        match classifier.classify(path) {
                            Class::Manifest => {
                                changed.push(path.strip_prefix(&classifier.dir).unwrap_or(path).to_path_buf())
                            }
                            Class::Git => git = true,
                            Class::Ignored => {}
                        }
                    }
                }
                if root_gone {
                    // The loop watches the path again: what else happened matters no more.
                    let _ = tx.send(Batch::RootGone);
                    return;
                }
                if changed.is_empty() && !git {
                    return;
                }
                Batch::Events {
                    changed,
                    git,
                    at: Instant::now(),
                }
            }
            Err(errors) => Batch::Error(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        };
        // The loop is gone when this fails: nothing left to tell.
        let _ = tx.send(batch);
    };
    let mut debouncer = new_debouncer(per_path, Some(per_path / 2), handler).map_err(|e| {
        format!("cannot start watching files: {e}\nhint: on Linux, check the inotify limits (sysctl fs.inotify.max_user_instances)")
    })?;
    debouncer.watch(&dir, RecursiveMode::Recursive).map_err(|e| {
        format!(
            "cannot watch {}: {e}\nhint: on Linux, a large repository may need more inotify watches: sysctl fs.inotify.max_user_watches=524288",
            dir.display()
        )
    })?;
    let mut warning = None;
    if let Some(git) = git_dir.filter(|g| !g.starts_with(&dir)) {
        // Without it watch still works; it only cannot tell when a checkout is finished.
        if let Err(error) = debouncer.watch(&git, RecursiveMode::NonRecursive) {
            warning = Some(format!(
                "cannot watch the Git folder {}: {error}; a reconcile may start before a checkout is finished",
                git.display()
            ));
        }
    }
    Ok(Watcher {
        _debouncer: debouncer,
        events: rx,
        warning,
    })
}

/// The watched folder as found on disk: the path given on the command line, where it led, and
/// the folder itself (device and inode). A watcher follows the folder, not the path: once the
/// folder is deleted (`rm -rf` before a fresh `git clone`), renamed over or unmounted, the
/// watcher hears nothing of what happens at the path any more, so the loop compares this with
/// what the path leads to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The path given, made absolute without following links: `.` (a service's working
    /// folder) must still name the place once the folder there is replaced, and a link
    /// swapped to another checkout must be followed anew.
    pub path: PathBuf,
    pub canonical: PathBuf,
    identity: (u64, u64),
}

impl Root {
    /// What `given` leads to now: an error when it is missing or not a folder.
    pub fn find(given: &Path) -> Result<Root, String> {
        let path = std::path::absolute(given).map_err(|e| e.to_string())?;
        let canonical = std::fs::canonicalize(&path).map_err(|e| e.to_string())?;
        let meta = std::fs::metadata(&canonical).map_err(|e| e.to_string())?;
        if !meta.is_dir() {
            return Err("not a folder".into());
        }
        Ok(Root {
            path,
            canonical,
            identity: identity(&meta),
        })
    }

    /// What the same path leads to now.
    pub fn again(&self) -> Result<Root, String> {
        Root::find(&self.path)
    }

    /// Whether the path still leads to this very folder.
    pub fn still_there(&self) -> bool {
        self.again().is_ok_and(|now| now == *self)
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inodes, a folder replaced at the same path is told apart by its creation time.
#[cfg(not(unix))]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    let created = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    (created.as_secs(), u64::from(created.subsec_nanos()))
}

/// A cheap summary of the manifest files (path, size, modification time): equal before and
/// after means the manifests did not change, so a plan with new actions is drift.
pub fn fingerprint(classifier: &Classifier) -> u64 {
    let mut files = Vec::new();
    collect(&classifier.dir, classifier, &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

fn collect(dir: &Path, classifier: &Classifier, out: &mut Vec<(PathBuf, u64, u128)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if classifier.classify(&path) != Class::Manifest {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            collect(&path, classifier, out);
        } else {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            out.push((path, meta.len(), modified));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier(root: &Path) -> Classifier {
        Classifier {
            dir: root.join("repo/manifests"),
            git_dir: Some(root.join("repo/.git")),
            secrets_out: Some(root.join("repo/manifests/secrets.tsv")),
        }
    }

    #[test]
    fn manifests_count_and_noise_does_not() {
        let root = Path::new("/x");
        let c = classifier(root);
        let m = |p: &str| c.classify(&root.join(p));
        assert_eq!(m("repo/manifests/acg/contoso.yaml"), Class::Manifest);
        assert_eq!(m("repo/manifests/acg/contoso.yml"), Class::Manifest);
        assert_eq!(m("repo/manifests/acg"), Class::Manifest);
        assert_eq!(m("repo/manifests"), Class::Manifest);
        assert_eq!(m("repo/.git/index.lock"), Class::Git);
        assert_eq!(m("repo/.git/HEAD"), Class::Git);
        assert_eq!(m("repo/manifests/.hidden/contoso.yaml"), Class::Ignored);
        assert_eq!(m("repo/manifests/acg/.contoso.yaml.swp"), Class::Ignored);
        assert_eq!(m("repo/manifests/acg/contoso.yaml~"), Class::Ignored);
        assert_eq!(m("repo/manifests/acg/#contoso#"), Class::Ignored);
        assert_eq!(m("repo/manifests/acg/4913"), Class::Ignored);
        assert_eq!(m("repo/manifests/README.md"), Class::Ignored);
        assert_eq!(m("repo/manifests/secrets.tsv.20261121T071017Z"), Class::Ignored);
        assert_eq!(m("repo/other/contoso.yaml"), Class::Ignored);
    }

    #[test]
    fn the_git_folder_is_found_from_a_subfolder_and_through_a_gitdir_file() {
        let temp = tempfile::tempdir().expect("temp dir");
        let repo = temp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("git dir");
        std::fs::create_dir_all(repo.join("manifests/acg")).expect("manifests");
        assert_eq!(git_dir_of(&repo.join("manifests/acg")), Some(repo.join(".git")));
        let worktree = temp.path().join("worktree");
        std::fs::create_dir_all(&worktree).expect("worktree");
        std::fs::write(worktree.join(".git"), "gitdir: ../repo/.git\n").expect("written");
        let found = git_dir_of(&worktree).expect("found");
        assert_eq!(
            std::fs::canonicalize(found).expect("exists"),
            std::fs::canonicalize(repo.join(".git")).expect("exists")
        );
    }

    #[test]
    fn a_folder_replaced_at_the_same_path_is_another_root() {
        let temp = tempfile::tempdir().expect("temp dir");
        let path = temp.path().join("manifests");
        std::fs::create_dir(&path).expect("folder");
        let root = Root::find(&path).expect("a folder");
        assert!(root.still_there());
        std::fs::write(path.join("a.yaml"), "x: 1\n").expect("written");
        assert!(root.still_there(), "a change inside is the same folder");
        // Made while the first one exists, so that it cannot get its inode number.
        let other = temp.path().join("clone");
        std::fs::create_dir(&other).expect("folder");
        std::fs::remove_dir_all(&path).expect("removed");
        assert!(!root.still_there());
        assert!(root.again().is_err());
        std::fs::rename(&other, &path).expect("renamed onto the path");
        let again = root.again().expect("a folder");
        assert!(!root.still_there());
        assert!(again.still_there());
        std::fs::write(temp.path().join("file"), "").expect("written");
        assert_eq!(Root::find(&temp.path().join("file")), Err("not a folder".into()));
    }

    #[test]
    fn the_fingerprint_follows_manifests_only() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = std::fs::canonicalize(temp.path()).expect("canonical");
        std::fs::write(dir.join("a.yaml"), "x: 1\n").expect("written");
        let c = Classifier::new(&dir, None);
        let before = fingerprint(&c);
        std::fs::write(dir.join("notes.md"), "hello").expect("written");
        std::fs::create_dir(dir.join(".cache")).expect("hidden");
        std::fs::write(dir.join(".cache/b.yaml"), "y").expect("written");
        assert_eq!(fingerprint(&c), before);
        std::fs::write(dir.join("a.yaml"), "x: 22\n").expect("written");
        assert_ne!(fingerprint(&c), before);
    }
}
