//! The store: the apply lock, the history of applies and a journal of write intents, behind
//! one small interface with two back-ends (docs/store.md):
//!
//! - [`sqlite`], the embedded default: one file in the user's state folder (or `sqlite:PATH`),
//!   in WAL mode; the lock is an OS file lock (`flock`) beside the database, which the kernel
//!   releases when its process dies, whatever the death;
//! - [`postgres`], for several hosts (CI runners, watch servers): `postgres://…`; the lock is a
//!   PostgreSQL advisory lock on a connection of its own, which the server releases when that
//!   connection ends (the holder died, or its host did).
//!
//! Where the store is comes from trusted configuration only (`--store`, `TELFORM_STORE`, the
//! operator's settings file): a pull request must not be able to point CI's history at a
//! server of its choosing. Nothing secret is ever stored: a sensitive field is recorded by its
//! path alone.
//!
//! The store imports only the ground floor (`model`, `manifest::settings`, `clock`): it
//! records what `reconcile` gives it and decides nothing.

pub mod postgres;
pub mod sqlite;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::manifest::settings::Settings;

/// The newest schema this build knows; a store migrated further by a newer telform is refused.
pub const SCHEMA_VERSION: i64 = 1;

/// Between two tries of a lock that is held, while `--lock-timeout` lasts.
const LOCK_POLL: Duration = Duration::from_millis(200);

/// What went wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub message: String,
    pub hint: String,
    /// The lock is held by someone else (the refusal names them).
    pub locked: Option<Box<Holder>>,
}

impl StoreError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            hint: hint.into(),
            locked: None,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\nhint: {}", self.message, self.hint)
    }
}

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…` or `postgresql://…`). May hold a password:
    /// shown only through [`Location::display`].
    Postgres(String),
}

/// How to name a store, for hints.
const FORMS: &str = "`sqlite:PATH` (a file on this host) or `postgres://USER@HOST/DB` (shared by several hosts)";

impl Location {
    /// `sqlite:PATH`, `sqlite://PATH`, `postgres://…`, `postgresql://…`.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_string()));
        }
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::new(
                    "the store `sqlite:` names no file",
                    "write `sqlite:PATH`, e.g. `sqlite:/var/lib/telform/store.db`",
                ));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        Err(StoreError::new(
            format!("`{}` is not a store telform knows", redact(text)),
            format!("name the store as {FORMS}"),
        ))
    }

    /// The default: `$XDG_STATE_HOME/telform/store.db`, else `~/.local/state/telform/store.db`.
    pub fn default_from(env: &dyn Fn(&str) -> Option<String>) -> Result<Location, StoreError> {
        let state = env("XDG_STATE_HOME")
            .filter(|v| Path::new(v).is_absolute())
            .map(PathBuf::from)
            .or_else(|| {
                env("HOME")
                    .filter(|v| Path::new(v).is_absolute())
                    .map(|home| Path::new(&home).join(".local/state"))
            });
        match state {
            Some(state) => Ok(Location::Sqlite(state.join("telform").join("store.db"))),
            None => Err(StoreError::new(
                "no state folder for telform's store: neither XDG_STATE_HOME nor HOME is set to an absolute path",
                format!("name the store with --store or TELFORM_STORE: {FORMS}"),
            )),
        }
    }

    /// `--store` / `TELFORM_STORE` (given as `flag`), else the operator's settings file's
    /// `store.url`, else the default. Never the manifest folder.
    pub fn resolve(
        flag: Option<&str>,
        settings: Option<&Settings>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Location, StoreError> {
        let named = flag
            .filter(|f| !f.trim().is_empty())
            .map(str::to_string)
            .or_else(|| settings.and_then(|s| s.store.as_ref()).and_then(|s| s.url.clone()));
        match named {
            Some(text) => Location::parse(&text),
            None => Location::default_from(env),
        }
    }

    /// For messages: a PostgreSQL password is never shown.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("sqlite:{}", path.display()),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// A URL without its password (`postgres://u:***@h/db`, `…?password=***`).
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..].find(['/', '?']).map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// Who holds (or asks for) the apply lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Names the lock for `telform force-unlock ID`.
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub user: String,
    /// The command line, e.g. `telform apply --auto-approve manifests`.
    pub command: String,
    /// The manifests' Git commit, when the folder is a Git checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// When it was taken (ISO 8601, UTC).
    pub since: String,
}

impl Holder {
    /// This process, about to run `command` on manifests at `commit`.
    pub fn here(command: &str, commit: Option<String>, env: &dyn Fn(&str) -> Option<String>) -> Holder {
        Holder {
            id: new_id(),
            host: hostname(),
            pid: std::process::id(),
            user: user(env),
            command: command.to_string(),
            commit,
            since: crate::clock::iso8601(SystemTime::now()),
        }
    }

    /// `telform apply (pid 4242 on ci-runner-3, user ci, commit 1a2b3c4, since …; lock ID …)`.
    pub fn describe(&self) -> String {
        format!(
            "`{}` (pid {} on {}, user {}{}, since {}; lock ID {})",
            self.command,
            self.pid,
            self.host,
            self.user,
            self.commit
                .as_deref()
                .map(|c| format!(", commit {}", short(c)))
                .unwrap_or_default(),
            self.since,
            self.id
        )
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// 12 hex digits from the system's random source.
fn new_id() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        // The id only has to tell locks apart: time and pid do when randomness fails.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return format!("{:06x}{:06x}", std::process::id() & 0xff_ffff, nanos & 0xff_ffff);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This host's name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length, which is what we pass.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown-host".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn user(env: &dyn Fn(&str) -> Option<String>) -> String {
    env("USER")
        .or_else(|| env("LOGNAME"))
        .filter(|u| !u.is_empty())
        // SAFETY: getuid never fails.
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }))
}

/// The apply lock of one provider estate: an ACG gateway, or a Webex partner API.
pub fn estate(provider: &str, url: &str) -> String {
    format!("{provider} {}", url.trim_end_matches('/'))
}

/// FNV-1a, 64 bits: a stable name for an estate's lock file.
pub(crate) fn fnv64(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// An estate whose lock another holds, and who (when recorded).
pub(crate) type Busy = Box<(String, Option<Holder>)>;

/// A held apply lock; released by [`Lock::release`], or by the death of its process.
pub struct Lock {
    pub holder: Holder,
    pub estates: Vec<String>,
    inner: Option<LockInner>,
}

enum LockInner {
    Sqlite(sqlite::Held),
    Postgres(postgres::Held),
}

impl Lock {
    /// Whether the lock is still held: a PostgreSQL session the server ended (force-unlock, a
    /// restart, the network) no longer holds it.
    pub async fn alive(&self) -> bool {
        match &self.inner {
            Some(LockInner::Sqlite(_)) => true,
            Some(LockInner::Postgres(held)) => held.alive().await,
            None => false,
        }
    }

    /// Releases the lock and removes its holder's record.
    pub async fn release(mut self) {
        match self.inner.take() {
            Some(LockInner::Sqlite(held)) => held.release(),
            Some(LockInner::Postgres(held)) => held.release().await,
            None => {}
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Dropping without `release` still frees the lock: the file is closed, or the
        // connection ends (its record is replaced by the next holder).
        if let Some(LockInner::Sqlite(held)) = self.inner.take() {
            held.release();
        }
    }
}

/// An apply (or a watch reconcile) as it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStart {
    /// `apply` or `reconcile`.
    pub kind: String,
    pub started_at: String,
    pub host: String,
    pub user: String,
    pub pid: u32,
    pub command: String,
    /// The CI job's page, when the environment names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub dir: String,
    pub estates: Vec<String>,
    pub plan: PlanCounts,
    pub telform_version: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    pub add: i64,
    pub change: i64,
    pub delete: i64,
}

/// One object's change in a run: what was asked and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectChange {
    /// `acg` or `webex`.
    pub provider: String,
    pub kind: String,
    pub key: String,
    /// The account or customer it belongs to.
    pub group: String,
    /// `create`, `update`, `replace` or `delete`.
    pub op: String,
    pub fields: Vec<FieldRecord>,
    /// `done`, `unchanged`, `failed`, `skipped` or `not-run`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A field before → after. A sensitive one has neither: only that it was set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRecord {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// A run as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: i64,
    #[serde(flatten)]
    pub start: RunStart,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// `running` until it ends; then `applied`, `failed` or `interrupted`; `killed` when the
    /// next holder of its lock found it still `running` (its process had died).
    pub outcome: String,
    pub changes: Vec<ObjectChange>,
    /// How many changes the run recorded (`changes` may hold fewer: [`Filter::changes_per_run`]).
    #[serde(skip)]
    pub change_count: usize,
}

/// Which runs `telform history` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only runs that changed this object (kind, key), and only its changes.
    pub object: Option<(String, String)>,
    /// Only runs started at or after this ISO 8601 text (a date or a timestamp, UTC).
    pub since: Option<String>,
    /// At most this many runs, newest first.
    pub limit: usize,
    /// Only this run.
    pub run: Option<i64>,
    /// At most this many of each run's changes (all when `None`): a run of a million numbers
    /// is a million rows, and a page listing runs needs none of them.
    pub changes_per_run: Option<usize>,
}

/// A write about to happen (the journal): recorded before it, settled after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub id: i64,
    pub run_id: i64,
    pub provider: String,
    pub kind: String,
    pub key: String,
    pub group: String,
    pub op: String,
    /// What the next run must check, e.g. `generated password to /path/secrets.tsv`.
    pub note: String,
    pub started_at: String,
}

/// The store, one of its back-ends.
pub enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Store {
    /// Opens the store, creating it and migrating its schema to this build's as needed.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(path) => sqlite::Sqlite::open(path).map(Store::Sqlite),
            Location::Postgres(url) => postgres::Postgres::open(url).await.map(Store::Postgres),
        }
    }

    /// Where it is, for messages (no password).
    pub fn display(&self) -> String {
        match self {
            Store::Sqlite(s) => format!("sqlite:{}", s.path.display()),
            Store::Postgres(p) => redact(&p.url),
        }
    }

    /// The schema version the store is at.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.schema_version(),
            Store::Postgres(p) => p.schema_version().await,
        }
    }

    /// Takes the apply lock of every estate (in a fixed order, so that two runs never hold
    /// one each and wait for the other), retrying for up to `timeout`. Refuses naming the
    /// holder when it cannot.
    pub async fn lock(&self, estates: &[String], holder: &Holder, timeout: Duration) -> Result<Lock, StoreError> {
        let mut estates: Vec<String> = estates.to_vec();
        estates.sort();
        estates.dedup();
        let deadline = Instant::now() + timeout;
        loop {
            let tried = match self {
                Store::Sqlite(s) => s.try_lock(&estates, holder).map(|r| r.map(LockInner::Sqlite)),
                Store::Postgres(p) => p.try_lock(&estates, holder).await.map(|r| r.map(LockInner::Postgres)),
            }?;
            match tried {
                Ok(inner) => {
                    return Ok(Lock {
                        holder: holder.clone(),
                        estates,
                        inner: Some(inner),
                    });
                }
                Err(busy) => {
                    let (estate, other) = *busy;
                    if Instant::now() >= deadline {
                        return Err(refusal(&estate, other, timeout, self));
                    }
                    tokio::time::sleep(LOCK_POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
                }
            }
        }
    }

    /// The lock named `id` and its estates, when its record is there.
    pub async fn lock_by_id(&self, id: &str) -> Result<Option<(Holder, Vec<String>)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.lock_by_id(id),
            Store::Postgres(p) => p.lock_by_id(id).await,
        }
    }

    /// Every lock record: estate and holder (a record may outlive a holder that died; the next
    /// holder replaces it).
    pub async fn locks(&self) -> Result<Vec<(String, Holder)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.locks(),
            Store::Postgres(p) => p.locks().await,
        }
    }

    /// Frees the lock named `id` (`telform force-unlock`): what it did, said for people.
    pub async fn force_unlock(&self, id: &str) -> Result<String, StoreError> {
        match self {
            Store::Sqlite(s) => s.force_unlock(id),
            Store::Postgres(p) => p.force_unlock(id).await,
        }
    }

    /// Marks `killed` the runs still `running` that wrote to any of `estates`: called by the
    /// holder of their locks, so their processes are gone. Returns how many.
    pub async fn mark_killed(&self, estates: &[String]) -> Result<usize, StoreError> {
        let running = match self {
            Store::Sqlite(s) => s.running()?,
            Store::Postgres(p) => p.running().await?,
        };
        let dead: Vec<i64> = running
            .into_iter()
            .filter(|(_, theirs)| theirs.iter().any(|e| estates.contains(e)))
            .map(|(id, _)| id)
            .collect();
        for id in &dead {
            match self {
                Store::Sqlite(s) => s.set_outcome(*id, "killed")?,
                Store::Postgres(p) => p.set_outcome(*id, "killed").await?,
            }
        }
        Ok(dead.len())
    }

    /// Records a run as it starts; returns its id.
    pub async fn begin_run(&self, run: &RunStart) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.begin_run(run),
            Store::Postgres(p) => p.begin_run(run).await,
        }
    }

    /// Records how a run ended, with its objects' changes.
    pub async fn finish_run(&self, id: i64, outcome: &str, changes: &[ObjectChange]) -> Result<(), StoreError> {
        let finished = crate::clock::iso8601(SystemTime::now());
        match self {
            Store::Sqlite(s) => s.finish_run(id, outcome, &finished, changes),
            Store::Postgres(p) => p.finish_run(id, outcome, &finished, changes).await,
        }
    }

    /// Runs, newest first.
    pub async fn history(&self, filter: &Filter) -> Result<Vec<RunRecord>, StoreError> {
        match self {
            Store::Sqlite(s) => s.history(filter),
            Store::Postgres(p) => p.history(filter).await,
        }
    }

    /// Records the intent of a write before it is made; returns its id.
    pub async fn intend(&self, intent: &Intent) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.intend(intent),
            Store::Postgres(p) => p.intend(intent).await,
        }
    }

    /// Records how an intended write ended.
    pub async fn settle(&self, id: i64, outcome: &str) -> Result<(), StoreError> {
        let at = crate::clock::iso8601(SystemTime::now());
        match self {
            Store::Sqlite(s) => s.settle(id, outcome, &at),
            Store::Postgres(p) => p.settle(id, outcome, &at).await,
        }
    }

    /// Intents never settled (their process died between the intent and the outcome) of the
    /// runs that wrote to any of `estates`: another gateway's journal is not this one's.
    pub async fn unsettled(&self, estates: &[String]) -> Result<Vec<Intent>, StoreError> {
        let all = match self {
            Store::Sqlite(s) => s.unsettled()?,
            Store::Postgres(p) => p.unsettled().await?,
        };
        Ok(all
            .into_iter()
            .filter(|(_, theirs)| theirs.iter().any(|e| estates.contains(e)))
            .map(|(intent, _)| intent)
            .collect())
    }
}

/// The refusal when the lock of `estate` is held.
fn refusal(estate: &str, holder: Option<Holder>, timeout: Duration, store: &Store) -> StoreError {
    let waited = if timeout.is_zero() {
        String::new()
    } else {
        format!(" (waited {} s)", timeout.as_secs_f64().round())
    };
    let (who, id) = match &holder {
        Some(h) => (h.describe(), h.id.clone()),
        None => (
            "another telform (its details are not recorded yet)".to_string(),
            "ID".to_string(),
        ),
    };
    StoreError {
        message: format!("the apply lock of {estate} is held by {who}{waited}: nothing was applied"),
        hint: format!(
            "wait for it to finish, or pass --lock-timeout 10m to wait for it; if its process hangs, stop it, or run `telform force-unlock {id}` (store {})",
            store.display()
        ),
        locked: holder.map(Box::new),
    }
}

/// The migrations of one back-end: version `i + 1` is `steps[i]`.
pub(crate) fn check_version(found: i64, store: &str) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::new(
            format!(
                "the store {store} has schema version {found}, newer than this telform knows ({SCHEMA_VERSION}): a newer telform migrated it"
            ),
            "use that newer telform (or a newer build of this one); never point an older telform at a migrated store",
        ));
    }
    Ok(())
}

/// Where CI says this run is, when it does: GitHub Actions, GitLab CI.
pub fn ci_url(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let (Some(server), Some(repo), Some(run)) =
        (env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID"))
    {
        return Some(format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/')));
    }
    env("CI_JOB_URL").or_else(|| env("BUILD_URL"))
}

/// The Git commit `dir` is checked out at, when it is in a Git work tree (`git` on PATH).
pub fn git_commit(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let commit = text.trim();
    (output.status.success() && commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| commit.to_string())
}
