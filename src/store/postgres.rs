//! The shared store: PostgreSQL, for CI runners and watch servers on several hosts.
//!
//! The apply lock of an estate is a session advisory lock, taken on a connection opened for
//! it alone and kept for the whole apply: when the holder dies (or its host, or the network),
//! the server ends the session and frees the lock. The two-key form
//! `pg_try_advisory_lock(TELFORM_LOCKS, hashtext(estate))` keeps telform's locks apart from
//! the one-key locks other programs take on the same database.
//!
//! The connection is made without TLS (`NoTls`): reach the server on loopback, a Unix socket
//! or a private network (docs/store.md says what is not done yet).

use tokio_postgres::{Client, NoTls, Row};

use super::{
    FieldRecord, Filter, Holder, Intent, ObjectChange, PlanCounts, RunRecord, RunStart, SCHEMA_VERSION, StoreError,
    check_version, redact,
};

/// The first key of every telform advisory lock ("tf").
const TELFORM_LOCKS: i32 = 0x7466;
/// The advisory lock that serialises migrations (second key; no estate hashes to it by
/// accident that matters: a collision only makes one wait for the other).
const MIGRATION_LOCK: i32 = 0;

/// Version `i + 1` of the schema is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[r"
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    host TEXT NOT NULL,
    user_name TEXT NOT NULL,
    pid BIGINT NOT NULL,
    command TEXT NOT NULL,
    ci_url TEXT,
    commit_sha TEXT,
    dir TEXT NOT NULL,
    estates TEXT NOT NULL,
    plan_add BIGINT NOT NULL,
    plan_change BIGINT NOT NULL,
    plan_delete BIGINT NOT NULL,
    telform_version TEXT NOT NULL
);
CREATE INDEX runs_started ON runs (started_at);
CREATE TABLE changes (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
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
    pid BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    command TEXT NOT NULL,
    commit_sha TEXT,
    since TEXT NOT NULL,
    backend_pid INTEGER
);
CREATE TABLE journal (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
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

pub struct Postgres {
    pub url: String,
    client: Client,
}

/// The connection that holds an apply's advisory locks.
pub struct Held {
    client: Client,
    id: String,
}

impl Held {
    pub async fn alive(&self) -> bool {
        self.client.simple_query("SELECT 1").await.is_ok()
    }

    pub async fn release(self) {
        let _ = self
            .client
            .execute("DELETE FROM locks WHERE id = $1", &[&self.id])
            .await;
        let _ = self.client.execute("SELECT pg_advisory_unlock_all()", &[]).await;
        // Dropping the client ends the session, which would free the locks anyway.
    }
}

fn err(what: &str, url: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(
        format!("the store {}: {what}: {e}", redact(url)),
        "check the server is up and reachable, and that the role may connect and create tables in that database; name another store with --store",
    )
}

async fn connect(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(|e| {
        let mut error = err("cannot connect", url, &e);
        if e.to_string().to_ascii_lowercase().contains("tls") || url.contains("sslmode=require") {
            error.hint = "telform connects to PostgreSQL without TLS for now: reach the server on loopback, a Unix socket (host=/run/postgresql) or a private network, with sslmode=disable or prefer".into();
        }
        error
    })?;
    tokio::spawn(async move {
        // Ends when the client is dropped, or the server goes away (the next query says so).
        let _ = connection.await;
    });
    Ok(client)
}

impl Postgres {
    pub async fn open(url: &str) -> Result<Postgres, StoreError> {
        let mut client = connect(url).await?;
        migrate(&mut client, url).await?;
        Ok(Postgres {
            url: url.to_string(),
            client,
        })
    }

    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        version(&self.client, &self.url).await
    }

    #[cfg(test)]
    pub(super) fn client_for_tests(&self) -> &Client {
        &self.client
    }

    /// Takes every estate's advisory lock on a new connection, or none.
    pub async fn try_lock(&self, estates: &[String], holder: &Holder) -> Result<Result<Held, super::Busy>, StoreError> {
        let client = connect(&self.url).await?;
        for estate in estates {
            let row = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    &[&TELFORM_LOCKS, estate],
                )
                .await
                .map_err(|e| err("cannot take the apply lock", &self.url, e))?;
            let taken: bool = row.get(0);
            if !taken {
                drop(client);
                let other = self.holder_of(estate).await?;
                return Ok(Err(Box::new((estate.clone(), other))));
            }
        }
        for estate in estates {
            client
                .execute(
                    "INSERT INTO locks (estate, id, host, pid, user_name, command, commit_sha, since, backend_pid)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid())
                     ON CONFLICT (estate) DO UPDATE SET id = EXCLUDED.id, host = EXCLUDED.host, pid = EXCLUDED.pid,
                        user_name = EXCLUDED.user_name, command = EXCLUDED.command, commit_sha = EXCLUDED.commit_sha,
                        since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid",
                    &[
                        estate,
                        &holder.id,
                        &holder.host,
                        &i64::from(holder.pid),
                        &holder.user,
                        &holder.command,
                        &holder.commit,
                        &holder.since,
                    ],
                )
                .await
                .map_err(|e| err("cannot record the lock's holder", &self.url, e))?;
        }
        Ok(Ok(Held {
            client,
            id: holder.id.clone(),
        }))
    }

    async fn holder_of(&self, estate: &str) -> Result<Option<Holder>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT id, host, pid, user_name, command, commit_sha, since FROM locks WHERE estate = $1",
                &[&estate],
            )
            .await
            .map_err(|e| err("cannot read the lock's holder", &self.url, e))?;
        Ok(row.map(|r| holder_row(&r)))
    }

    pub async fn locks(&self) -> Result<Vec<(String, Holder)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT id, host, pid, user_name, command, commit_sha, since, estate FROM locks ORDER BY estate",
                &[],
            )
            .await
            .map_err(|e| err("cannot read the locks", &self.url, e))?;
        Ok(rows.iter().map(|r| (r.get(7), holder_row(r))).collect())
    }

    pub async fn lock_by_id(&self, id: &str) -> Result<Option<(Holder, Vec<String>)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT id, host, pid, user_name, command, commit_sha, since, estate FROM locks WHERE id = $1 ORDER BY estate",
                &[&id],
            )
            .await
            .map_err(|e| err("cannot read the locks", &self.url, e))?;
        let Some(first) = rows.first() else { return Ok(None) };
        Ok(Some((holder_row(first), rows.iter().map(|r| r.get(7)).collect())))
    }

    /// Ends the session that holds the lock (the server frees its advisory locks), then
    /// removes the record.
    pub async fn force_unlock(&self, id: &str) -> Result<String, StoreError> {
        if self.lock_by_id(id).await?.is_none() {
            return Err(super::sqlite::no_such_lock(id, &redact(&self.url)));
        }
        let row = self
            .client
            .query_opt(
                "SELECT l.backend_pid, pg_terminate_backend(l.backend_pid)
                 FROM locks l JOIN pg_stat_activity a ON a.pid = l.backend_pid
                 WHERE l.id = $1 LIMIT 1",
                &[&id],
            )
            .await
            .map_err(|e| {
                let mut error = err("cannot end the session that holds the lock", &self.url, e);
                error.hint = "the role needs to be the lock holder's role, or to have pg_signal_backend: ask the database administrator".into();
                error
            })?;
        self.client
            .execute("DELETE FROM locks WHERE id = $1", &[&id])
            .await
            .map_err(|e| err("cannot remove the lock's record", &self.url, e))?;
        Ok(match row {
            Some(r) if r.get::<_, bool>(1) => format!(
                "The lock {id} is released: the database session that held it (backend {}) was ended; its telform will fail at its next write.",
                r.get::<_, i32>(0)
            ),
            _ => format!("The lock {id} was no longer held (its session had ended); its record is removed."),
        })
    }

    /// The runs still `running`, with their estates.
    pub async fn running(&self) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let rows = self
            .client
            .query("SELECT id, estates FROM runs WHERE outcome = 'running'", &[])
            .await
            .map_err(|e| err("cannot read the history", &self.url, e))?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get::<_, i64>(0),
                    serde_json::from_str(r.get::<_, &str>(1)).unwrap_or_default(),
                )
            })
            .collect())
    }

    pub async fn set_outcome(&self, id: i64, outcome: &str) -> Result<(), StoreError> {
        self.client
            .execute("UPDATE runs SET outcome = $2 WHERE id = $1", &[&id, &outcome])
            .await
            .map(|_| ())
            .map_err(|e| err("cannot update the history", &self.url, e))
    }

    pub async fn begin_run(&self, run: &RunStart) -> Result<i64, StoreError> {
        let row = self
            .client
            .query_one(
                "INSERT INTO runs (kind, started_at, outcome, host, user_name, pid, command, ci_url, commit_sha, dir, estates,
                                   plan_add, plan_change, plan_delete, telform_version)
                 VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                &[
                    &run.kind,
                    &run.started_at,
                    &run.host,
                    &run.user,
                    &i64::from(run.pid),
                    &run.command,
                    &run.ci_url,
                    &run.commit,
                    &run.dir,
                    &serde_json::to_string(&run.estates).unwrap_or_default(),
                    &run.plan.add,
                    &run.plan.change,
                    &run.plan.delete,
                    &run.telform_version,
                ],
            )
            .await
            .map_err(|e| err("cannot record the run", &self.url, e))?;
        Ok(row.get(0))
    }

    pub async fn finish_run(
        &self,
        id: i64,
        outcome: &str,
        finished: &str,
        changes: &[ObjectChange],
    ) -> Result<(), StoreError> {
        // One connection of its own: the transaction must not interleave with the lock's.
        let mut client = connect(&self.url).await?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| err("cannot record the run's end", &self.url, e))?;
        // Many rows per statement: a 100,000-number apply is 100 round trips, not 100,000.
        const ROWS: usize = 1000;
        for (chunk_no, chunk) in changes.chunks(ROWS).enumerate() {
            let mut sql = String::from(
                "INSERT INTO changes (run_id, seq, provider, kind, key, grp, op, fields, status, message) VALUES ",
            );
            let seqs: Vec<i64> = (0..chunk.len()).map(|i| (chunk_no * ROWS + i) as i64).collect();
            let fields: Vec<String> = chunk
                .iter()
                .map(|c| serde_json::to_string(&c.fields).unwrap_or_default())
                .collect();
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::with_capacity(chunk.len() * 10);
            for (i, c) in chunk.iter().enumerate() {
                let n = i * 10;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8,
                    n + 9,
                    n + 10
                ));
                params.extend_from_slice(&[
                    &id,
                    &seqs[i],
                    &c.provider,
                    &c.kind,
                    &c.key,
                    &c.group,
                    &c.op,
                    &fields[i],
                    &c.status,
                    &c.message,
                ]);
            }
            tx.execute(sql.as_str(), &params)
                .await
                .map_err(|e| err("cannot record the run's changes", &self.url, e))?;
        }
        tx.execute(
            "UPDATE runs SET outcome = $2, finished_at = $3 WHERE id = $1",
            &[&id, &outcome, &finished],
        )
        .await
        .map_err(|e| err("cannot record the run's end", &self.url, e))?;
        tx.commit()
            .await
            .map_err(|e| err("cannot record the run's end", &self.url, e))
    }

    pub async fn history(&self, filter: &Filter) -> Result<Vec<RunRecord>, StoreError> {
        let read = |e: tokio_postgres::Error| err("cannot read the history", &self.url, e);
        let (kind, key) = filter.object.clone().unzip();
        let rows = self
            .client
            .query(
                "SELECT id, kind, started_at, finished_at, outcome, host, user_name, pid, command, ci_url, commit_sha, dir,
                        estates, plan_add, plan_change, plan_delete, telform_version,
                        (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id)
                 FROM runs r
                 WHERE ($1::text IS NULL OR started_at >= $1)
                   AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM changes c WHERE c.run_id = r.id AND c.kind = $2 AND c.key = $3))
                   AND ($5::bigint IS NULL OR id = $5)
                 ORDER BY id DESC LIMIT $4",
                &[&filter.since, &kind, &key, &(filter.limit as i64), &filter.run],
            )
            .await
            .map_err(read)?;
        // PostgreSQL reads a null LIMIT as none.
        let most: Option<i64> = filter.changes_per_run.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut runs = Vec::new();
        for row in rows {
            let id: i64 = row.get(0);
            let changes = self
                .client
                .query(
                    "SELECT provider, kind, key, grp, op, fields, status, message FROM changes
                     WHERE run_id = $1 AND ($2::text IS NULL OR (kind = $2 AND key = $3)) ORDER BY seq LIMIT $4",
                    &[&id, &kind, &key, &most],
                )
                .await
                .map_err(read)?
                .iter()
                .map(|c| ObjectChange {
                    provider: c.get(0),
                    kind: c.get(1),
                    key: c.get(2),
                    group: c.get(3),
                    op: c.get(4),
                    fields: serde_json::from_str::<Vec<FieldRecord>>(c.get::<_, &str>(5)).unwrap_or_default(),
                    status: c.get(6),
                    message: c.get(7),
                })
                .collect();
            runs.push(RunRecord {
                id,
                start: RunStart {
                    kind: row.get(1),
                    started_at: row.get(2),
                    host: row.get(5),
                    user: row.get(6),
                    pid: u32::try_from(row.get::<_, i64>(7)).unwrap_or_default(),
                    command: row.get(8),
                    ci_url: row.get(9),
                    commit: row.get(10),
                    dir: row.get(11),
                    estates: serde_json::from_str(row.get::<_, &str>(12)).unwrap_or_default(),
                    plan: PlanCounts {
                        add: row.get(13),
                        change: row.get(14),
                        delete: row.get(15),
                    },
                    telform_version: row.get(16),
                },
                finished_at: row.get(3),
                outcome: row.get(4),
                changes,
                change_count: usize::try_from(row.get::<_, i64>(17)).unwrap_or_default(),
            });
        }
        Ok(runs)
    }

    pub async fn intend(&self, i: &Intent) -> Result<i64, StoreError> {
        let row = self
            .client
            .query_one(
                "INSERT INTO journal (run_id, provider, kind, key, grp, op, note, started_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &i.run_id,
                    &i.provider,
                    &i.kind,
                    &i.key,
                    &i.group,
                    &i.op,
                    &i.note,
                    &i.started_at,
                ],
            )
            .await
            .map_err(|e| err("cannot record a write's intent", &self.url, e))?;
        Ok(row.get(0))
    }

    pub async fn settle(&self, id: i64, outcome: &str, at: &str) -> Result<(), StoreError> {
        self.client
            .execute(
                "UPDATE journal SET settled_at = $2, outcome = $3 WHERE id = $1",
                &[&id, &at, &outcome],
            )
            .await
            .map(|_| ())
            .map_err(|e| err("cannot record a write's outcome", &self.url, e))
    }

    /// Unsettled intents, with their runs' estates.
    pub async fn unsettled(&self) -> Result<Vec<(Intent, Vec<String>)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT j.id, j.run_id, j.provider, j.kind, j.key, j.grp, j.op, j.note, j.started_at, r.estates
                 FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.settled_at IS NULL ORDER BY j.id",
                &[],
            )
            .await
            .map_err(|e| err("cannot read the journal", &self.url, e))?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    Intent {
                        id: r.get(0),
                        run_id: r.get(1),
                        provider: r.get(2),
                        kind: r.get(3),
                        key: r.get(4),
                        group: r.get(5),
                        op: r.get(6),
                        note: r.get(7),
                        started_at: r.get(8),
                    },
                    serde_json::from_str(r.get::<_, &str>(9)).unwrap_or_default(),
                )
            })
            .collect())
    }
}

fn holder_row(row: &Row) -> Holder {
    Holder {
        id: row.get(0),
        host: row.get(1),
        pid: u32::try_from(row.get::<_, i64>(2)).unwrap_or_default(),
        user: row.get(3),
        command: row.get(4),
        commit: row.get(5),
        since: row.get(6),
    }
}

async fn version(client: &Client, url: &str) -> Result<i64, StoreError> {
    let row = client
        .query_one("SELECT MAX(version) FROM telform_schema", &[])
        .await
        .map_err(|e| err("cannot read its schema version", url, e))?;
    Ok(row.get::<_, Option<i64>>(0).unwrap_or(0))
}

async fn migrate(client: &mut Client, url: &str) -> Result<(), StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| err("cannot start its migration", url, e))?;
    // Two telforms opening a new store at once: one migrates, the other waits and finds it done.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&TELFORM_LOCKS, &MIGRATION_LOCK],
    )
    .await
    .map_err(|e| err("cannot start its migration", url, e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS telform_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .await
    .map_err(|e| err("cannot create its schema table", url, e))?;
    let row = tx
        .query_one("SELECT MAX(version) FROM telform_schema", &[])
        .await
        .map_err(|e| err("cannot read its schema version", url, e))?;
    let found = row.get::<_, Option<i64>>(0).unwrap_or(0);
    check_version(found, &redact(url))?;
    let now = crate::clock::iso8601(std::time::SystemTime::now());
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if v <= found {
            continue;
        }
        tx.batch_execute(step)
            .await
            .map_err(|e| err(&format!("cannot migrate it to schema version {v}"), url, e))?;
        tx.execute(
            "INSERT INTO telform_schema (version, applied_at) VALUES ($1, $2)",
            &[&v, &now],
        )
        .await
        .map_err(|e| err("cannot record its schema version", url, e))?;
    }
    debug_assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
    tx.commit()
        .await
        .map_err(|e| err("cannot commit its migration", url, e))
}
