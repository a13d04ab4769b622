//! The store against real back-ends: SQLite files in temporary folders, and a PostgreSQL
//! server named by `TELFORM_TEST_POSTGRES_URL` (each test creates its own database).
//!
//! Without that variable the PostgreSQL tests say so loudly and pass, except when `CI` is set:
//! `.ci/run` starts a server and sets the variable, so a CI run without it is a broken CI and
//! the tests fail.

use std::time::Duration;

use super::*;

/// The error of what must fail (the stores and locks have no `Debug`, for `expect_err`).
fn refused<T>(result: Result<T, StoreError>) -> StoreError {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(e) => e,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn holder(command: &str) -> Holder {
    Holder::here(command, Some("0123456789abcdef0123".into()), &|name: &str| {
        (name == "USER").then(|| "ci".to_string())
    })
}

fn estates() -> Vec<String> {
    vec![
        estate("webex", "http://127.0.0.1:1/v1/"),
        estate("acg", "http://127.0.0.1:1"),
    ]
}

fn run_start() -> RunStart {
    RunStart {
        kind: "apply".into(),
        started_at: "2026-12-06T10:00:00Z".into(),
        host: "ci-runner-3".into(),
        user: "ci".into(),
        pid: 4242,
        command: "telform apply --auto-approve manifests".into(),
        ci_url: Some("https://github.com/op/manifests/actions/runs/42".into()),
        commit: Some("0123456789abcdef".into()),
        dir: "manifests".into(),
        estates: estates(),
        plan: PlanCounts {
            add: 1,
            change: 1,
            delete: 0,
        },
        telform_version: "0.1.0".into(),
    }
}

fn changes() -> Vec<ObjectChange> {
    vec![
        ObjectChange {
            provider: "acg".into(),
            kind: "Number".into(),
            key: "+33465710101".into(),
            group: "contoso".into(),
            op: "update".into(),
            fields: vec![FieldRecord {
                path: "customSipHeader".into(),
                before: Some(serde_json::json!("portal")),
                after: Some(serde_json::json!("hq")),
                sensitive: false,
            }],
            status: "done".into(),
            message: None,
        },
        ObjectChange {
            provider: "webex".into(),
            kind: "Device".into(),
            key: "001A2B3C4D5E".into(),
            group: "ACME-0001".into(),
            op: "update".into(),
            fields: vec![FieldRecord {
                path: "sipPassword".into(),
                before: None,
                after: None,
                sensitive: true,
            }],
            status: "failed".into(),
            message: Some("409 conflict".into()),
        },
    ]
}

/// The behaviour both back-ends share, run against each.
async fn lock_is_exclusive_names_its_holder_and_frees(a: &Store, b: &Store) {
    let first = holder("telform apply first");
    let lock = a
        .lock(&estates(), &first, Duration::ZERO)
        .await
        .expect("free lock taken");
    assert_eq!(lock.estates.len(), 2);

    // A second store handle (another process, another host) is refused at once, by name.
    let refused = refused(
        b.lock(&estates(), &holder("telform apply second"), Duration::ZERO)
            .await,
    );
    assert_eq!(refused.locked.as_deref(), Some(&first));
    assert!(refused.message.contains("telform apply first"), "{}", refused.message);
    assert!(
        refused.message.contains(&format!("pid {}", first.pid)),
        "{}",
        refused.message
    );
    assert!(refused.message.contains("commit 0123456789ab"), "{}", refused.message);
    assert!(
        refused.hint.contains(&format!("force-unlock {}", first.id)),
        "{}",
        refused.hint
    );
    assert!(refused.hint.contains("--lock-timeout"), "{}", refused.hint);

    // One estate in common is enough to be refused.
    let one = vec![estate("acg", "http://127.0.0.1:1")];
    assert!(b.lock(&one, &holder("third"), Duration::ZERO).await.is_err());
    // Another estate is independent.
    let other = vec![estate("acg", "http://127.0.0.1:2")];
    let independent = b
        .lock(&other, &holder("fourth"), Duration::ZERO)
        .await
        .expect("another estate");
    independent.release().await;

    let (found, held) = b.lock_by_id(&first.id).await.expect("read").expect("recorded");
    assert_eq!(found, first);
    assert_eq!(held.len(), 2);

    // A waiter gets the lock once the holder releases it, within its timeout.
    let waiter = async {
        b.lock(&estates(), &holder("telform apply waiter"), Duration::from_secs(20))
            .await
    };
    let releaser = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        lock.release().await;
    };
    let (waited, ()) = tokio::join!(waiter, releaser);
    let waited = waited.expect("the waiter gets the lock once it is released");
    assert_eq!(
        b.lock_by_id(&first.id).await.expect("read"),
        None,
        "a released lock's record is gone"
    );
    waited.release().await;
}

async fn history_round_trips_without_secrets(store: &Store) {
    let id = store.begin_run(&run_start()).await.expect("begun");
    let running = store
        .history(&Filter {
            limit: 10,
            ..Filter::default()
        })
        .await
        .expect("read");
    assert_eq!(running[0].outcome, "running");
    store.finish_run(id, "failed", &changes()).await.expect("finished");
    let second = store.begin_run(&run_start()).await.expect("begun");
    store
        .finish_run(second, "applied", &changes()[..1])
        .await
        .expect("finished");

    let all = store
        .history(&Filter {
            limit: 10,
            ..Filter::default()
        })
        .await
        .expect("read");
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second, id],
        "newest first"
    );
    assert_eq!(all[1].changes, changes());
    assert_eq!(all[1].start, run_start());
    assert!(all[1].finished_at.is_some());

    let device = store
        .history(&Filter {
            object: Some(("Device".into(), "001A2B3C4D5E".into())),
            limit: 10,
            ..Filter::default()
        })
        .await
        .expect("read");
    assert_eq!(device.len(), 1, "only the run that touched the device");
    assert_eq!(device[0].changes.len(), 1, "only the device's change");
    let field = &device[0].changes[0].fields[0];
    assert!(field.sensitive && field.before.is_none() && field.after.is_none());

    let later = store
        .history(&Filter {
            since: Some("2026-12-07".into()),
            limit: 10,
            ..Filter::default()
        })
        .await
        .expect("read");
    assert!(later.is_empty());
    let limited = store
        .history(&Filter {
            limit: 1,
            ..Filter::default()
        })
        .await
        .expect("read");
    assert_eq!(limited.len(), 1);
    // One run by its id, with at most some of its changes and the count of all.
    let one = store
        .history(&Filter {
            limit: 1,
            run: Some(id),
            changes_per_run: Some(1),
            ..Filter::default()
        })
        .await
        .expect("read");
    assert_eq!(one.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    assert_eq!(one[0].changes, changes()[..1]);
    assert_eq!(one[0].change_count, changes().len());
    let listed = store
        .history(&Filter {
            limit: 10,
            changes_per_run: Some(0),
            ..Filter::default()
        })
        .await
        .expect("read");
    assert!(listed.iter().all(|r| r.changes.is_empty()));
    assert_eq!(
        listed.iter().map(|r| r.change_count).collect::<Vec<_>>(),
        [1, changes().len()]
    );

    // The journal: an intent is unsettled until its outcome is recorded.
    let intent = Intent {
        id: 0,
        run_id: id,
        provider: "webex".into(),
        kind: "Device".into(),
        key: "001A2B3C4D5E".into(),
        group: "ACME-0001".into(),
        op: "create".into(),
        note: "generated password".into(),
        started_at: "2026-12-06T10:00:01Z".into(),
    };
    let intent_id = store.intend(&intent).await.expect("intended");
    let open = store.unsettled(&estates()).await.expect("read");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].key, "001A2B3C4D5E");
    let elsewhere = vec![estate("acg", "http://127.0.0.1:2")];
    assert!(
        store.unsettled(&elsewhere).await.expect("read").is_empty(),
        "another gateway's journal is not this one's"
    );
    store.settle(intent_id, "done").await.expect("settled");
    assert!(store.unsettled(&estates()).await.expect("read").is_empty());
}

// ---------------------------------------------------------------- SQLite

#[test]
fn sqlite_lock_is_exclusive_names_its_holder_and_frees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = Location::Sqlite(dir.path().join("state/telform/store.db"));
    runtime().block_on(async {
        let a = Store::open(&location).await.expect("created");
        let b = Store::open(&location).await.expect("opened again");
        lock_is_exclusive_names_its_holder_and_frees(&a, &b).await;
    });
}

#[test]
fn sqlite_history_round_trips_without_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = Location::Sqlite(dir.path().join("store.db"));
    runtime().block_on(async {
        let store = Store::open(&location).await.expect("created");
        history_round_trips_without_secrets(&store).await;
    });
}

#[test]
fn sqlite_store_is_private_in_wal_mode_and_at_this_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a/b/store.db");
    runtime().block_on(async {
        let store = Store::open(&Location::Sqlite(path.clone())).await.expect("created");
        assert_eq!(store.schema_version().await.expect("read"), SCHEMA_VERSION);
    });
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).expect("file").permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(path.parent().expect("folder"))
            .expect("folder")
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let conn = rusqlite::Connection::open(&path).expect("open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[test]
fn sqlite_schema_newer_than_this_build_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let location = Location::Sqlite(path.clone());
    runtime().block_on(async { Store::open(&location).await.expect("created") });
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute(
        "INSERT INTO telform_schema (version, applied_at) VALUES (?1, 'later')",
        [SCHEMA_VERSION + 1],
    )
    .expect("a newer telform's migration");
    drop(conn);
    let refused = refused(runtime().block_on(Store::open(&location)));
    assert!(
        refused.message.contains("newer than this telform"),
        "{}",
        refused.message
    );
    assert!(refused.hint.contains("newer telform"), "{}", refused.hint);
}

#[test]
fn sqlite_force_unlock_refuses_a_live_holder_and_clears_a_dead_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = Location::Sqlite(dir.path().join("store.db"));
    runtime().block_on(async {
        let store = Store::open(&location).await.expect("created");
        let live = holder("telform apply live");
        let lock = store.lock(&estates(), &live, Duration::ZERO).await.expect("taken");
        let live_refusal = refused(store.force_unlock(&live.id).await);
        assert!(
            live_refusal.message.contains("live process"),
            "{}",
            live_refusal.message
        );
        assert!(
            live_refusal.hint.contains(&format!("kill {}", live.pid)),
            "{}",
            live_refusal.hint
        );
        // The process "dies": its OS lock goes, its record stays until the next holder.
        let Some(LockInner::Sqlite(held)) = { lock }.inner.take() else {
            panic!("a SQLite lock")
        };
        drop(held.files);
        let said = store
            .force_unlock(&live.id)
            .await
            .expect("a dead holder's record is removed");
        assert!(said.contains("no longer held"), "{said}");
        assert_eq!(store.lock_by_id(&live.id).await.expect("read"), None);
        let unknown = refused(store.force_unlock("nope").await);
        assert!(unknown.message.contains("no lock named nope"), "{}", unknown.message);
    });
}

#[test]
fn locations_parse_and_never_show_a_password() {
    assert_eq!(
        Location::parse("sqlite:/var/lib/telform/store.db"),
        Ok(Location::Sqlite("/var/lib/telform/store.db".into()))
    );
    assert_eq!(
        Location::parse("sqlite:///tmp/x.db"),
        Ok(Location::Sqlite("/tmp/x.db".into()))
    );
    assert!(Location::parse("sqlite:").is_err());
    let bad = refused(Location::parse("mysql://root:hunter2@db/telform"));
    assert!(!bad.message.contains("hunter2"), "{}", bad.message);
    let pg = Location::parse("postgres://telform:hunter2@db.internal:5432/telform?password=x&sslmode=disable")
        .expect("postgres");
    let shown = pg.display();
    assert_eq!(
        shown,
        "postgres://telform:***@db.internal:5432/telform?password=***&sslmode=disable"
    );
    assert_eq!(redact("postgresql://u@h/db"), "postgresql://u@h/db");

    let env = |state: Option<&'static str>, home: Option<&'static str>| {
        move |name: &str| match name {
            "XDG_STATE_HOME" => state.map(str::to_string),
            "HOME" => home.map(str::to_string),
            _ => None,
        }
    };
    assert_eq!(
        Location::default_from(&env(Some("/state"), Some("/home/u"))),
        Ok(Location::Sqlite("/state/telform/store.db".into()))
    );
    assert_eq!(
        Location::default_from(&env(Some("relative"), Some("/home/u"))),
        Ok(Location::Sqlite("/home/u/.local/state/telform/store.db".into()))
    );
    assert!(Location::default_from(&env(None, None)).is_err());

    // The flag wins over the operator's settings, which win over the default.
    let settings = Settings {
        store: Some(crate::manifest::settings::StoreSettings {
            url: Some("sqlite:/from/settings.db".into()),
            lock_timeout: None,
        }),
        ..Settings::default()
    };
    let home = env(None, Some("/home/u"));
    assert_eq!(
        Location::resolve(Some("sqlite:/flag.db"), Some(&settings), &home),
        Ok(Location::Sqlite("/flag.db".into()))
    );
    assert_eq!(
        Location::resolve(None, Some(&settings), &home),
        Ok(Location::Sqlite("/from/settings.db".into()))
    );
    assert_eq!(
        Location::resolve(Some(" "), None, &home),
        Ok(Location::Sqlite("/home/u/.local/state/telform/store.db".into()))
    );
}

#[test]
fn ci_urls_come_from_the_platform_s_variables() {
    let github = |name: &str| {
        Some(
            match name {
                "GITHUB_SERVER_URL" => "https://github.com/",
                "GITHUB_REPOSITORY" => "op/manifests",
                "GITHUB_RUN_ID" => "42",
                _ => return None,
            }
            .to_string(),
        )
    };
    assert_eq!(
        ci_url(&github).as_deref(),
        Some("https://github.com/op/manifests/actions/runs/42")
    );
    assert_eq!(ci_url(&|_: &str| None), None);
}

// ---------------------------------------------------------------- PostgreSQL

/// A database of its own on the test server, or `None` (said loudly) when no server is
/// configured outside CI. In CI, a missing server fails the test.
fn postgres_database(rt: &tokio::runtime::Runtime, test: &str) -> Option<String> {
    let Some(url) = std::env::var("TELFORM_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!(
                "TELFORM_TEST_POSTGRES_URL is not set in CI: .ci/run must start PostgreSQL and export it (test {test})"
            );
        }
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED {test}: TELFORM_TEST_POSTGRES_URL is not set (e.g. postgres://telform:telform@127.0.0.1:5432/postgres); .ci/run sets it\n"
        );
        return None;
    };
    let name = format!("telform_test_{}_{}", test, new_id());
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("the test PostgreSQL server accepts connections");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("the test role may create databases");
    });
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url.as_str(), String::new()),
    };
    let authority = base
        .rsplit_once('/')
        .filter(|(a, _)| a.contains("//"))
        .map_or(base, |(a, _)| a);
    Some(format!("{authority}/{name}{query}"))
}

#[test]
fn postgres_lock_is_exclusive_names_its_holder_and_frees() {
    let rt = runtime();
    let Some(url) = postgres_database(&rt, "lock") else {
        return;
    };
    rt.block_on(async {
        let a = Store::open(&Location::Postgres(url.clone())).await.expect("created");
        let b = Store::open(&Location::Postgres(url.clone()))
            .await
            .expect("opened again");
        assert_eq!(b.schema_version().await.expect("read"), SCHEMA_VERSION);
        lock_is_exclusive_names_its_holder_and_frees(&a, &b).await;
    });
}

#[test]
fn postgres_history_round_trips_without_secrets() {
    let rt = runtime();
    let Some(url) = postgres_database(&rt, "history") else {
        return;
    };
    rt.block_on(async {
        let store = Store::open(&Location::Postgres(url)).await.expect("created");
        history_round_trips_without_secrets(&store).await;
    });
}

#[test]
fn postgres_lock_of_a_dead_session_frees_and_force_unlock_ends_a_live_one() {
    let rt = runtime();
    let Some(url) = postgres_database(&rt, "dead") else {
        return;
    };
    rt.block_on(async {
        let store = Store::open(&Location::Postgres(url.clone())).await.expect("created");
        // The holder's connection ends without a word (its process was killed).
        let dead = holder("telform apply killed");
        let lock = store.lock(&estates(), &dead, Duration::ZERO).await.expect("taken");
        let Some(LockInner::Postgres(held)) = { lock }.inner.take() else {
            panic!("a PostgreSQL lock")
        };
        drop(held);
        let next = store
            .lock(&estates(), &holder("telform apply next"), Duration::from_secs(10))
            .await
            .expect("the server freed the dead session's lock");
        // A live holder that hangs: force-unlock ends its session.
        let hung = next.holder.clone();
        let said = store.force_unlock(&hung.id).await.expect("forced");
        assert!(said.contains("session"), "{said}");
        let after = store
            .lock(&estates(), &holder("telform apply after"), Duration::from_secs(10))
            .await
            .expect("free once the hung session is ended");
        after.release().await;
        drop(next);
    });
}

#[test]
fn postgres_schema_newer_than_this_build_is_refused() {
    let rt = runtime();
    let Some(url) = postgres_database(&rt, "newer") else {
        return;
    };
    rt.block_on(async {
        let store = Store::open(&Location::Postgres(url.clone())).await.expect("created");
        let Store::Postgres(pg) = &store else {
            panic!("postgres")
        };
        pg.client_for_tests()
            .execute(
                "INSERT INTO telform_schema (version, applied_at) VALUES ($1, 'later')",
                &[&(SCHEMA_VERSION + 1)],
            )
            .await
            .expect("a newer telform's migration");
        let refused = refused(Store::open(&Location::Postgres(url)).await);
        assert!(
            refused.message.contains("newer than this telform"),
            "{}",
            refused.message
        );
    });
}

/// Not a test: how long recording a 100,000-object apply takes on each back-end
/// (`cargo test --lib store::tests::timing -- --ignored --nocapture`).
#[test]
#[ignore = "a timing, not a test"]
fn timing_of_recording_100000_changes() {
    let many: Vec<ObjectChange> = (0..100_000)
        .map(|i| ObjectChange {
            provider: "acg".into(),
            kind: "Number".into(),
            key: format!("+3317{i:07}"),
            group: "contoso".into(),
            op: "update".into(),
            fields: vec![FieldRecord {
                path: "customSipHeader".into(),
                before: Some(serde_json::json!("portal")),
                after: Some(serde_json::json!("hq")),
                sensitive: false,
            }],
            status: "done".into(),
            message: None,
        })
        .collect();
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stores = vec![Location::Sqlite(dir.path().join("store.db"))];
    stores.extend(postgres_database(&rt, "timing").map(Location::Postgres));
    for location in stores {
        rt.block_on(async {
            let store = Store::open(&location).await.expect("opens");
            let id = store.begin_run(&run_start()).await.expect("begun");
            let started = std::time::Instant::now();
            store.finish_run(id, "applied", &many).await.expect("recorded");
            let recorded = started.elapsed();
            let started = std::time::Instant::now();
            let one = store
                .history(&Filter {
                    object: Some(("Number".into(), "+33170050000".into())),
                    limit: 10,
                    ..Filter::default()
                })
                .await
                .expect("read");
            eprintln!(
                "{}: 100,000 changes recorded in {:.2?}; one number's history read in {:.2?}",
                location.display(),
                recorded,
                started.elapsed()
            );
            assert_eq!(one[0].changes.len(), 1);
        });
    }
}
