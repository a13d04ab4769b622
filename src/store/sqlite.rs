//! The embedded store: a SQLite file (WAL), and OS file locks beside it.
//!
//! The apply lock of an estate is `flock` on `<db>.locks/<hash>.lock`: the kernel releases it
//! when the process that holds it dies, whatever the death (kill -9 included), so no lock is
//! ever left behind. The holder's description is a row of the database, replaced by the next
//! holder. `flock` is per host: keep the file on a local disk (a network file system may not
//! honour it); several hosts share a PostgreSQL store instead.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    FieldRecord, Filter, Holder, Intent, ObjectChange, PlanCounts, RunRecord, RunStart, SCHEMA_VERSION, StoreError,
    check_version, fnv64,
};

/// Version `i + 1` of the schema is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[r"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    host TEXT NOT NULL,
    user_name TEXT NOT NULL,
    pid INTEGER NOT NULL,
    command TEXT NOT NULL,
    ci_url TEXT,
    commit_sha TEXT,
    dir TEXT NOT NULL,
    estates TEXT NOT NULL,
    plan_add INTEGER NOT NULL,
    plan_change INTEGER NOT NULL,
    plan_delete INTEGER NOT NULL,
    telform_version TEXT NOT NULL
);
CREATE INDEX runs_started ON runs (started_at);
CREATE TABLE changes (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    op TEXT NOT NULL,
    fields TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX changes_object ON changes (kind, key);
CREATE TABLE locks (
    estate TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    command TEXT NOT NULL,
    commit_sha TEXT,
    since TEXT NOT NULL,
    backend_pid INTEGER
);
CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    op TEXT NOT NULL,
    note TEXT NOT NULL,
    started_at TEXT NOT NULL,
    settled_at TEXT,
    outcome TEXT
);
CREATE INDEX journal_unsettled ON journal (settled_at);
"];

pub struct Sqlite {
    pub path: PathBuf,
    conn: Mutex<Connection>,
}

/// The OS locks of one apply, and what removes their record.
pub struct Held {
    pub(super) files: Vec<File>,
    path: PathBuf,
    id: String,
}

impl Held {
    pub fn release(self) {
        // The record first: once the files are closed, another run may write its own.
        if let Ok(conn) = Connection::open(&self.path) {
            let _ = conn.busy_timeout(std::time::Duration::from_secs(10));
            let _ = conn.execute("DELETE FROM locks WHERE id = ?1", params![self.id]);
        }
        drop(self.files);
    }
}

fn err(what: &str, path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(
        format!("the store sqlite:{}: {what}: {e}", path.display()),
        "check the file and its folder are writable by this user, on a local disk, and not full; name another with --store sqlite:PATH",
    )
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|e| err("cannot create its folder", path, e))?;
        }
        if !path.exists() {
            // History is nobody else's business: the file is private from the start.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(false);
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            options.open(path).map_err(|e| err("cannot create it", path, e))?;
        }
        // SQLite answers "database is locked" at once, without waiting on the busy timeout, to a
        // connection that switches the journal to WAL or opens while another one closes the
        // last connection (checkpointing the WAL): runs started together (CI, watch, a test
        // suite) meet it, so opening is retried until the same deadline as a busy write.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = std::time::Duration::from_millis(10);
        let conn = loop {
            match open_configured(path) {
                Err(e) if e.is_busy() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(200));
                }
                other => break other,
            }
        };
        let conn = conn.map_err(|e| e.into_error(path))?;
        Ok(Sqlite {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        version(&self.conn()).map_err(|e| err("cannot read its schema version", &self.path, e))
    }

    fn lock_dir(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(".locks");
        PathBuf::from(name)
    }

    fn lock_file(&self, estate: &str) -> Result<File, StoreError> {
        let dir = self.lock_dir();
        create_private_dir(&dir).map_err(|e| err("cannot create its lock folder", &self.path, e))?;
        let file = dir.join(format!("{:016x}.lock", fnv64(estate)));
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&file)
            .map_err(|e| err(&format!("cannot open the lock file {}", file.display()), &self.path, e))
    }

    /// Takes every estate's OS lock, or none: `Err((estate, its holder))` when one is held.
    pub fn try_lock(&self, estates: &[String], holder: &Holder) -> Result<Result<Held, super::Busy>, StoreError> {
        let mut files = Vec::new();
        for estate in estates {
            let file = self.lock_file(estate)?;
            if !try_flock(&file) {
                drop(files);
                let other = self.holder_of(estate)?;
                return Ok(Err(Box::new((estate.clone(), other))));
            }
            files.push(file);
        }
        let conn = self.conn();
        for estate in estates {
            conn.execute(
                "INSERT OR REPLACE INTO locks (estate, id, host, pid, user_name, command, commit_sha, since, backend_pid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)",
                params![
                    estate,
                    holder.id,
                    holder.host,
                    holder.pid,
                    holder.user,
                    holder.command,
                    holder.commit,
                    holder.since
                ],
            )
            .map_err(|e| err("cannot record the lock's holder", &self.path, e))?;
        }
        Ok(Ok(Held {
            files,
            path: self.path.clone(),
            id: holder.id.clone(),
        }))
    }

    fn holder_of(&self, estate: &str) -> Result<Option<Holder>, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, host, pid, user_name, command, commit_sha, since FROM locks WHERE estate = ?1",
                params![estate],
                holder_row,
            )
            .optional()
            .map_err(|e| err("cannot read the lock's holder", &self.path, e))
    }

    pub fn locks(&self) -> Result<Vec<(String, Holder)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, host, pid, user_name, command, commit_sha, since, estate FROM locks ORDER BY estate")
            .map_err(|e| err("cannot read the locks", &self.path, e))?;
        stmt.query_map([], |row| Ok((row.get::<_, String>(7)?, holder_row(row)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| err("cannot read the locks", &self.path, e))
    }

    pub fn lock_by_id(&self, id: &str) -> Result<Option<(Holder, Vec<String>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, host, pid, user_name, command, commit_sha, since, estate FROM locks WHERE id = ?1 ORDER BY estate")
            .map_err(|e| err("cannot read the locks", &self.path, e))?;
        let rows = stmt
            .query_map(params![id], |row| Ok((holder_row(row)?, row.get::<_, String>(7)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| err("cannot read the locks", &self.path, e))?;
        let Some((holder, _)) = rows.first().cloned() else {
            return Ok(None);
        };
        Ok(Some((holder, rows.into_iter().map(|(_, e)| e).collect())))
    }

    /// An OS lock cannot be taken from a live process: a record whose lock is free is
    /// removed; a lock still held is refused, naming the process to stop.
    pub fn force_unlock(&self, id: &str) -> Result<String, StoreError> {
        let Some((holder, estates)) = self.lock_by_id(id)? else {
            return Err(no_such_lock(id, &format!("sqlite:{}", self.path.display())));
        };
        for estate in &estates {
            let file = self.lock_file(estate)?;
            if !try_flock(&file) {
                return Err(StoreError::new(
                    format!(
                        "the lock {id} of {estate} is held by a live process: {}",
                        holder.describe()
                    ),
                    format!(
                        "the embedded store's lock is the operating system's: it goes when its process does. Stop that process (on {}: `kill {}`), then apply again",
                        holder.host, holder.pid
                    ),
                ));
            }
        }
        self.conn()
            .execute("DELETE FROM locks WHERE id = ?1", params![id])
            .map_err(|e| err("cannot remove the lock's record", &self.path, e))?;
        Ok(format!(
            "The lock {id} was no longer held (its process had ended); its record is removed."
        ))
    }

    /// The runs still `running`, with their estates.
    pub fn running(&self) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, estates FROM runs WHERE outcome = 'running'")
            .map_err(|e| err("cannot read the history", &self.path, e))?;
        stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                serde_json::from_str(&row.get::<_, String>(1)?).unwrap_or_default(),
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| err("cannot read the history", &self.path, e))
    }

    pub fn set_outcome(&self, id: i64, outcome: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE runs SET outcome = ?2 WHERE id = ?1", params![id, outcome])
            .map(|_| ())
            .map_err(|e| err("cannot update the history", &self.path, e))
    }

    pub fn begin_run(&self, run: &RunStart) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO runs (kind, started_at, outcome, host, user_name, pid, command, ci_url, commit_sha, dir, estates,
                               plan_add, plan_change, plan_delete, telform_version)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                run.kind,
                run.started_at,
                run.host,
                run.user,
                run.pid,
                run.command,
                run.ci_url,
                run.commit,
                run.dir,
                serde_json::to_string(&run.estates).unwrap_or_default(),
                run.plan.add,
                run.plan.change,
                run.plan.delete,
                run.telform_version
            ],
        )
        .map_err(|e| err("cannot record the run", &self.path, e))?;
        Ok(conn.last_insert_rowid())
    }

    pub fn finish_run(
        &self,
        id: i64,
        outcome: &str,
        finished: &str,
        changes: &[ObjectChange],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| err("cannot record the run's end", &self.path, e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO changes (run_id, seq, provider, kind, key, grp, op, fields, status, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(|e| err("cannot record the run's changes", &self.path, e))?;
            for (seq, c) in changes.iter().enumerate() {
                insert
                    .execute(params![
                        id,
                        seq as i64,
                        c.provider,
                        c.kind,
                        c.key,
                        c.group,
                        c.op,
                        serde_json::to_string(&c.fields).unwrap_or_default(),
                        c.status,
                        c.message
                    ])
                    .map_err(|e| err("cannot record the run's changes", &self.path, e))?;
            }
            tx.execute(
                "UPDATE runs SET outcome = ?2, finished_at = ?3 WHERE id = ?1",
                params![id, outcome, finished],
            )
            .map_err(|e| err("cannot record the run's end", &self.path, e))?;
        }
        tx.commit()
            .map_err(|e| err("cannot record the run's end", &self.path, e))
    }

    pub fn history(&self, filter: &Filter) -> Result<Vec<RunRecord>, StoreError> {
        let conn = self.conn();
        let read = |e: rusqlite::Error| err("cannot read the history", &self.path, e);
        let (kind, key) = filter.object.clone().unzip();
        let mut stmt = conn
            .prepare(
                "SELECT id, kind, started_at, finished_at, outcome, host, user_name, pid, command, ci_url, commit_sha, dir,
                        estates, plan_add, plan_change, plan_delete, telform_version,
                        (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id)
                 FROM runs r
                 WHERE (?1 IS NULL OR started_at >= ?1)
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM changes c WHERE c.run_id = r.id AND c.kind = ?2 AND c.key = ?3))
                   AND (?5 IS NULL OR id = ?5)
                 ORDER BY id DESC LIMIT ?4",
            )
            .map_err(read)?;
        let mut runs = stmt
            .query_map(
                params![filter.since, kind, key, filter.limit as i64, filter.run],
                |row| {
                    Ok(RunRecord {
                        id: row.get(0)?,
                        start: RunStart {
                            kind: row.get(1)?,
                            started_at: row.get(2)?,
                            host: row.get(5)?,
                            user: row.get(6)?,
                            pid: row.get(7)?,
                            command: row.get(8)?,
                            ci_url: row.get(9)?,
                            commit: row.get(10)?,
                            dir: row.get(11)?,
                            estates: serde_json::from_str(&row.get::<_, String>(12)?).unwrap_or_default(),
                            plan: PlanCounts {
                                add: row.get(13)?,
                                change: row.get(14)?,
                                delete: row.get(15)?,
                            },
                            telform_version: row.get(16)?,
                        },
                        finished_at: row.get(3)?,
                        outcome: row.get(4)?,
                        changes: Vec::new(),
                        change_count: usize::try_from(row.get::<_, i64>(17)?).unwrap_or_default(),
                    })
                },
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(read)?;
        let mut changes = conn
            .prepare(
                "SELECT provider, kind, key, grp, op, fields, status, message FROM changes
                 WHERE run_id = ?1 AND (?2 IS NULL OR (kind = ?2 AND key = ?3)) ORDER BY seq LIMIT ?4",
            )
            .map_err(read)?;
        let (kind, key) = filter.object.clone().unzip();
        // SQLite reads a negative LIMIT as none.
        let most = filter
            .changes_per_run
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        for run in &mut runs {
            run.changes = changes
                .query_map(params![run.id, kind, key, most], |row| {
                    Ok(ObjectChange {
                        provider: row.get(0)?,
                        kind: row.get(1)?,
                        key: row.get(2)?,
                        group: row.get(3)?,
                        op: row.get(4)?,
                        fields: serde_json::from_str::<Vec<FieldRecord>>(&row.get::<_, String>(5)?).unwrap_or_default(),
                        status: row.get(6)?,
                        message: row.get(7)?,
                    })
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(read)?;
        }
        Ok(runs)
    }

    pub fn intend(&self, i: &Intent) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO journal (run_id, provider, kind, key, grp, op, note, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![i.run_id, i.provider, i.kind, i.key, i.group, i.op, i.note, i.started_at],
        )
        .map_err(|e| err("cannot record a write's intent", &self.path, e))?;
        Ok(conn.last_insert_rowid())
    }

    pub fn settle(&self, id: i64, outcome: &str, at: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE journal SET settled_at = ?2, outcome = ?3 WHERE id = ?1",
                params![id, at, outcome],
            )
            .map(|_| ())
            .map_err(|e| err("cannot record a write's outcome", &self.path, e))
    }

    /// Unsettled intents, with their runs' estates.
    pub fn unsettled(&self) -> Result<Vec<(Intent, Vec<String>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT j.id, j.run_id, j.provider, j.kind, j.key, j.grp, j.op, j.note, j.started_at, r.estates
                 FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.settled_at IS NULL ORDER BY j.id",
            )
            .map_err(|e| err("cannot read the journal", &self.path, e))?;
        stmt.query_map([], |row| {
            Ok((
                Intent {
                    id: row.get(0)?,
                    run_id: row.get(1)?,
                    provider: row.get(2)?,
                    kind: row.get(3)?,
                    key: row.get(4)?,
                    group: row.get(5)?,
                    op: row.get(6)?,
                    note: row.get(7)?,
                    started_at: row.get(8)?,
                },
                serde_json::from_str(&row.get::<_, String>(9)?).unwrap_or_default(),
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| err("cannot read the journal", &self.path, e))
    }
}

fn holder_row(row: &rusqlite::Row) -> rusqlite::Result<Holder> {
    Ok(Holder {
        id: row.get(0)?,
        host: row.get(1)?,
        pid: row.get(2)?,
        user: row.get(3)?,
        command: row.get(4)?,
        commit: row.get(5)?,
        since: row.get(6)?,
    })
}

pub(super) fn no_such_lock(id: &str, store: &str) -> StoreError {
    StoreError::new(
        format!("no lock named {id} in the store {store}"),
        "the ID is the one a refused apply printed (`lock ID …`); the lock may already be free: apply again",
    )
}

/// `flock(LOCK_EX | LOCK_NB)`: whether this open file now holds the lock.
fn try_flock(file: &File) -> bool {
    // SAFETY: the descriptor is open for the duration of the call.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// The schema version the file is at (0 for a new file).
fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT MAX(version) FROM telform_schema", [], |row| {
        row.get::<_, Option<i64>>(0)
    })
    .map(|v| v.unwrap_or(0))
}

const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One attempt at opening, configuring and migrating the file; the error says which step failed.
fn open_configured(path: &Path) -> Result<Connection, Failed> {
    let mut conn = Connection::open(path).map_err(|e| Failed::sqlite("cannot open it", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| Failed::sqlite("cannot configure it", e))?;
    // The journal mode is kept in the file: switching it takes an exclusive lock, so only the
    // first run to open a new store does.
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .map_err(|e| Failed::sqlite("cannot configure it (is it a SQLite database?)", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(|e| Failed::sqlite("cannot configure it (is it a SQLite database?)", e))?;
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(|e| Failed::sqlite("cannot configure it (is it a SQLite database?)", e))?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Failed> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| Failed::sqlite("cannot start its migration", e))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS telform_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(|e| Failed::sqlite("cannot create its schema table", e))?;
    let found = version(&tx).map_err(|e| Failed::sqlite("cannot read its schema version", e))?;
    check_version(found, &format!("sqlite:{}", path.display())).map_err(Failed::Refused)?;
    let now = crate::clock::iso8601(std::time::SystemTime::now());
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if v <= found {
            continue;
        }
        tx.execute_batch(step)
            .map_err(|e| Failed::Sqlite(format!("cannot migrate it to schema version {v}"), e))?;
        tx.execute(
            "INSERT INTO telform_schema (version, applied_at) VALUES (?1, ?2)",
            params![v, now],
        )
        .map_err(|e| Failed::sqlite("cannot record its schema version", e))?;
    }
    debug_assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
    tx.commit()
        .map_err(|e| Failed::sqlite("cannot commit its migration", e))
}

/// Why one attempt at opening the store failed: a step of SQLite's, or telform's refusal.
enum Failed {
    Sqlite(String, rusqlite::Error),
    Refused(StoreError),
}

impl Failed {
    fn sqlite(what: &str, e: rusqlite::Error) -> Failed {
        Failed::Sqlite(what.to_string(), e)
    }

    fn is_busy(&self) -> bool {
        matches!(self, Failed::Sqlite(_, e) if matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        ))
    }

    fn into_error(self, path: &Path) -> StoreError {
        match self {
            Failed::Sqlite(what, e) => err(&what, path, e),
            Failed::Refused(e) => e,
        }
    }
}
