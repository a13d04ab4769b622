//! The store with the real binary: two applies at once, a lock holder killed, the history
//! command, and the trust boundary. Each runs against SQLite (a temporary file) and, when
//! `TELFORM_TEST_POSTGRES_URL` names a server, PostgreSQL (a database of its own); in CI a
//! missing server fails the PostgreSQL tests (`.ci/run` starts one).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use telform::emulator::seed;
use telform::provider::webex::WebexClient;
use telform::store::{Filter, Location, Store};

use crate::apply_webex::{GENERATED, fleet_contents, fleet_with, secrets_lines};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A PostgreSQL database of the test's own, or `None` (said loudly) without a server outside CI.
fn postgres_url(test: &str) -> Option<String> {
    let Some(url) = std::env::var("TELFORM_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("TELFORM_TEST_POSTGRES_URL is not set in CI: .ci/run must start PostgreSQL and export it ({test})");
        }
        // Straight to stderr, past the test harness's capture: a skip must be seen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED {test} on PostgreSQL: TELFORM_TEST_POSTGRES_URL is not set; .ci/run sets it\n"
        );
        return None;
    };
    let name = format!(
        "telform_it_{test}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
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
        Some((base, query)) => (base.to_string(), format!("?{query}")),
        None => (url.clone(), String::new()),
    };
    let authority = base
        .rsplit_once('/')
        .filter(|(a, _)| a.contains("//"))
        .map_or(base.as_str(), |(a, _)| a)
        .to_string();
    Some(format!("{authority}/{name}{query}"))
}

/// The stores a test runs against: SQLite always, PostgreSQL when there is a server.
fn stores(dir: &Path, test: &str) -> Vec<String> {
    let mut out = vec![format!("sqlite:{}", dir.join("state/store.db").display())];
    out.extend(postgres_url(test));
    out
}

struct Fleet {
    runtime: tokio::runtime::Runtime,
    emulator: telform::emulator::Emulator,
    env: HashMap<String, String>,
    dir: tempfile::TempDir,
    client: WebexClient,
}

impl Fleet {
    fn new(customers: usize, users: usize, faults: &str) -> Fleet {
        let mut seed = seed::demo();
        seed.timing.webex_provisioning_delay = Duration::from_millis(50);
        let (runtime, emulator, env) = crate::emulator_on_runtime(seed, faults);
        let env: HashMap<String, String> = env.into_iter().collect();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("manifests")).expect("folder");
        fleet_with(&dir.path().join("manifests"), customers, users, |_| GENERATED);
        let client = WebexClient::new(telform::provider::config::WebexConfig {
            url: env["TELFORM_WEBEX_URL"].clone(),
            token: secrecy::SecretString::from(env["TELFORM_WEBEX_TOKEN"].clone()),
        })
        .expect("client");
        Fleet {
            runtime,
            emulator,
            env,
            dir,
            client,
        }
    }

    fn command(&self, store: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("telform"));
        cmd.current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("TELFORM_STORE", store)
            .envs(&self.env)
            .args(args);
        cmd
    }

    fn run(&self, store: &str, args: &[&str]) -> Output {
        self.command(store, args).output().expect("telform runs")
    }

    fn spawn_apply(&self, store: &str, secrets: &str) -> Child {
        self.command(
            store,
            &["apply", "--auto-approve", "--secrets-out", secrets, "manifests"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns")
    }

    /// The provider estates this fleet's applies lock.
    fn estates(&self) -> Vec<String> {
        let lookup = |name: &str| self.env.get(name).cloned();
        telform::reconcile::guard::estates(telform::provider::config::Trusted::env(&lookup))
    }

    fn devices(&self) -> Vec<String> {
        self.runtime
            .block_on(fleet_contents(&self.client))
            .into_iter()
            .flat_map(|(_, _, macs)| macs)
            .collect()
    }

    fn store(&self, url: &str) -> Store {
        self.runtime
            .block_on(Store::open(&Location::parse(url).expect("store url")))
            .expect("the store opens")
    }

    /// Waits until the process `pid` holds the lock (its record is there).
    fn wait_for_holder(&self, store: &Store, pid: u32, child: &mut Child) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let locks = self.runtime.block_on(store.locks()).expect("locks");
            if locks.iter().any(|(_, h)| h.pid == pid) {
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the first apply ended ({status}) before it was seen holding the lock");
            }
            assert!(Instant::now() < deadline, "the first apply never took the lock");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn two_applies_at_once_one_applies_the_other_refuses_naming_the_holder() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for url in stores(scratch.path(), "concurrent") {
        let fleet = Fleet::new(2, 10, "latency=10ms,only=webex");
        let store = fleet.store(&url);
        let mut first = fleet.spawn_apply(&url, "first.tsv");
        fleet.wait_for_holder(&store, first.id(), &mut first);

        let second = fleet.run(
            &url,
            &["apply", "--auto-approve", "--secrets-out", "second.tsv", "manifests"],
        );
        let said = text(&second.stderr);
        assert_eq!(second.status.code(), Some(1), "{url}: {said}");
        assert!(
            said.contains("the apply lock of ") && said.contains(" http://127.0.0.1:"),
            "{url}: {said}"
        );
        assert!(
            said.contains(&format!("pid {}", first.id())),
            "{url}: names the holder: {said}"
        );
        assert!(
            said.contains("telform apply --auto-approve --secrets-out first.tsv manifests"),
            "{said}"
        );
        assert!(said.contains("lock ID") && said.contains("hint: "), "{said}");
        assert!(!fleet.dir.path().join("second.tsv").exists(), "no stray secrets file");

        let done = first.wait_with_output().expect("the first apply ends");
        assert_eq!(done.status.code(), Some(0), "{url}: {}", text(&done.stderr));
        let plan = fleet.run(&url, &["plan", "--detailed-exitcode", "manifests"]);
        assert_eq!(plan.status.code(), Some(0), "{url}: {}", text(&plan.stdout));

        // Every device once, its password once, in the first apply's file only.
        let devices = fleet.devices();
        let unique: BTreeSet<&String> = devices.iter().collect();
        assert_eq!((devices.len(), unique.len()), (20, 20), "{url}");
        let passwords = secrets_lines(&[fleet.dir.path().join("first.tsv"), fleet.dir.path().join("second.tsv")]);
        let macs: BTreeSet<String> = passwords.iter().map(|(_, mac, _)| mac.clone()).collect();
        assert_eq!((passwords.len(), macs.len()), (20, 20), "{url}");

        // The history holds the one apply, and what the emulator holds.
        let runs = fleet
            .runtime
            .block_on(store.history(&Filter {
                limit: 10,
                ..Filter::default()
            }))
            .expect("history");
        assert_eq!(runs.len(), 1, "{url}: the refused apply wrote nothing: {runs:?}");
        assert_eq!(runs[0].outcome, "applied");
        let recorded: BTreeSet<String> = runs[0]
            .changes
            .iter()
            .filter(|c| c.kind == "Device" && c.status == "done")
            .map(|c| c.key.clone())
            .collect();
        assert_eq!(recorded, unique.into_iter().cloned().collect(), "{url}");
        let history_text = text(&fleet.run(&url, &["history", "--limit", "1"]).stdout);
        for (_, _, password) in &passwords {
            assert!(!history_text.contains(password.as_str()), "a password in the history");
        }
        assert!(history_text.contains("sipPassword: (sensitive, set)"), "{history_text}");
        fleet.runtime.block_on(fleet.emulator.shutdown()).expect("shutdown");
    }
}

#[test]
fn a_lock_holder_killed_frees_the_lock_and_the_next_apply_converges() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for url in stores(scratch.path(), "killed") {
        let fleet = Fleet::new(2, 20, "latency=20ms,only=webex");
        let store = fleet.store(&url);
        let mut first = fleet.spawn_apply(&url, "first.tsv");
        fleet.wait_for_holder(&store, first.id(), &mut first);
        let deadline = Instant::now() + Duration::from_secs(60);
        while fleet.devices().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        first.kill().expect("SIGKILL");
        let _ = first.wait();
        let partial = fleet.devices().len();
        assert!(partial < 40, "killed in the middle: {partial} of 40 devices");
        let open = fleet
            .runtime
            .block_on(store.unsettled(&fleet.estates()))
            .expect("journal")
            .len();
        eprintln!("{url}: killed with {partial} of 40 devices made, {open} password intents open");

        // No force-unlock: the OS (SQLite) or the server (PostgreSQL) freed the lock.
        let next = fleet.run(
            &url,
            &[
                "apply",
                "--auto-approve",
                "--lock-timeout",
                "20s",
                "--secrets-out",
                "second.tsv",
                "manifests",
            ],
        );
        assert_eq!(next.status.code(), Some(0), "{url}: {}", text(&next.stderr));
        let plan = fleet.run(&url, &["plan", "--detailed-exitcode", "manifests"]);
        assert_eq!(plan.status.code(), Some(0), "{url}: {}", text(&plan.stdout));
        let devices = fleet.devices();
        assert_eq!(devices.iter().collect::<BTreeSet<_>>().len(), 40);
        // Every device's password on record exactly once: those the killed apply set but had not
        // kept (its journal's open intents) were set again by the next one.
        let passwords = secrets_lines(&[fleet.dir.path().join("first.tsv"), fleet.dir.path().join("second.tsv")]);
        let macs: BTreeSet<&String> = passwords.iter().map(|(_, mac, _)| mac).collect();
        assert_eq!(
            macs.len(),
            passwords.len(),
            "{url}: a device with two passwords on record"
        );
        let live: BTreeSet<&String> = devices.iter().collect();
        assert_eq!(macs, live, "{url}: a device whose password is on record nowhere");
        let open = fleet
            .runtime
            .block_on(store.unsettled(&fleet.estates()))
            .expect("journal");
        assert!(open.is_empty(), "{url}: {open:?}");
        let runs = fleet
            .runtime
            .block_on(store.history(&Filter {
                limit: 10,
                ..Filter::default()
            }))
            .expect("history");
        let outcomes: Vec<&str> = runs.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes, ["applied", "killed"], "{url}: the killed run is said so");
        fleet.runtime.block_on(fleet.emulator.shutdown()).expect("shutdown");
    }
}

#[test]
fn an_unsettled_password_intent_makes_the_next_apply_set_that_password_again() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for url in stores(scratch.path(), "journal") {
        let fleet = Fleet::new(1, 3, "only=webex");
        let apply = |secrets: &str| {
            let out = fleet.run(
                &url,
                &["apply", "--auto-approve", "--secrets-out", secrets, "manifests"],
            );
            assert_eq!(out.status.code(), Some(0), "{url}: {}", text(&out.stderr));
            text(&out.stdout)
        };
        apply("first.tsv");
        let store = fleet.store(&url);
        let first = fleet.dir.path().join("first.tsv");
        let run = fleet
            .runtime
            .block_on(store.history(&Filter {
                limit: 1,
                ..Filter::default()
            }))
            .expect("history")[0]
            .id;
        let intent = |mac: &str, file: &Path| telform::store::Intent {
            id: 0,
            run_id: run,
            provider: "webex".into(),
            kind: "Device".into(),
            key: mac.into(),
            group: "FLEET-000".into(),
            op: "set-password".into(),
            note: format!("a generated SIP password, kept once set in {}", file.display()),
            started_at: "2026-12-06T10:00:00Z".into(),
        };
        // As a kill leaves them: one device's password set but never kept (its file has no
        // line for it), one kept but the settle lost.
        let lost = "02AB00000001";
        let kept = "02AB00000002";
        fleet
            .runtime
            .block_on(store.intend(&intent(lost, &fleet.dir.path().join("gone.tsv"))))
            .expect("intent");
        fleet
            .runtime
            .block_on(store.intend(&intent(kept, &first)))
            .expect("intent");

        let said = apply("second.tsv");
        assert!(
            said.contains("Resources: 0 added, 1 changed, 0 deleted."),
            "{url}: {said}"
        );
        let second = secrets_lines(&[fleet.dir.path().join("second.tsv")]);
        let macs: Vec<&str> = second.iter().map(|(_, mac, _)| mac.as_str()).collect();
        assert_eq!(macs, [lost], "{url}: only the password not kept is set again");
        assert!(
            fleet
                .runtime
                .block_on(store.unsettled(&fleet.estates()))
                .expect("journal")
                .is_empty()
        );
        let plan = fleet.run(&url, &["plan", "--detailed-exitcode", "manifests"]);
        assert_eq!(plan.status.code(), Some(0), "{url}: {}", text(&plan.stdout));
        fleet.runtime.block_on(fleet.emulator.shutdown()).expect("shutdown");
    }
}

/// Replaces what differs between runs: times, hosts, pids, users, folders, ports.
fn scrub(text: &str, dir: &Path) -> String {
    let mut out = text.replace(&dir.display().to_string(), "[DIR]");
    out = out.replace(&telform::store::hostname(), "[HOST]");
    let bytes: Vec<char> = out.chars().collect();
    let mut result = String::new();
    let mut i = 0;
    let is_time = |s: &[char]| {
        s.len() >= 20
            && s[..20].iter().enumerate().all(|(k, c)| match k {
                4 | 7 => *c == '-',
                10 => *c == 'T',
                13 | 16 => *c == ':',
                19 => *c == 'Z',
                _ => c.is_ascii_digit(),
            })
    };
    while i < bytes.len() {
        if is_time(&bytes[i..]) {
            result.push_str("[TIME]");
            i += 20;
        } else {
            result.push(bytes[i]);
            i += 1;
        }
    }
    let mut lines = Vec::new();
    for line in result.lines() {
        let mut line = line.to_string();
        for (marker, label) in [("(pid ", "[PID]"), ("127.0.0.1:", "[PORT]"), ("by ", "[USER]")] {
            if let Some(at) = line.find(marker) {
                let start = at + marker.len();
                let end = line[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
                    .map_or(line.len(), |e| start + e);
                let end = if marker == "by " {
                    // `by uid 0 on` / `by alice on`
                    line[start..].find(" on ").map_or(end, |e| start + e)
                } else {
                    end
                };
                line.replace_range(start..end, label);
            }
        }
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

#[test]
fn history_shows_fields_before_and_after_and_never_a_secret() {
    let fleet = Fleet::new(1, 2, "only=webex");
    let url = format!("sqlite:{}", fleet.dir.path().join("store.db").display());
    let apply = |secrets: &str| {
        let out = fleet.run(
            &url,
            &["apply", "--auto-approve", "--secrets-out", secrets, "manifests"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    apply("first.tsv");
    // A new extension and a password rotation (a user's name cannot be changed through the
    // APIs telform uses: the plan refuses it).
    let file = fleet.dir.path().join("manifests/fleet.yaml");
    let yaml = std::fs::read_to_string(&file).expect("read");
    assert!(yaml.contains("extension: \"2001\""), "{yaml}");
    let yaml = yaml.replacen("extension: \"2001\"", "extension: \"2101\"", 1).replacen(
        "sipPassword: {generate: true}",
        "sipPassword: {generate: true, rotation: 1}",
        1,
    );
    std::fs::write(&file, yaml).expect("write");
    apply("second.tsv");

    let history = fleet.run(&url, &["history", "--limit", "1"]);
    assert_eq!(history.status.code(), Some(0), "{}", text(&history.stderr));
    let shown = scrub(&text(&history.stdout), fleet.dir.path());
    insta::assert_snapshot!("history_text", shown);

    let device = fleet.run(&url, &["history", "--object", "Device/02:ab:00:00:00:00"]);
    let shown = scrub(&text(&device.stdout), fleet.dir.path());
    insta::assert_snapshot!("history_object_text", shown);

    let json = fleet.run(
        &url,
        &[
            "history",
            "--object",
            "User/user1@fleet-000.example",
            "--output",
            "json",
        ],
    );
    let mut value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    for run in value.as_array_mut().expect("an array") {
        for field in [
            "startedAt",
            "finishedAt",
            "host",
            "user",
            "pid",
            "command",
            "dir",
            "estates",
            "telformVersion",
        ] {
            run[field] = serde_json::json!(format!("[{field}]"));
        }
    }
    insta::assert_json_snapshot!("history_object_json", value);

    // No secret anywhere: neither in the output nor in the database file.
    let passwords = secrets_lines(&[fleet.dir.path().join("first.tsv"), fleet.dir.path().join("second.tsv")]);
    assert_eq!(passwords.len(), 3, "two devices made, one rotated");
    let everything = [
        text(&fleet.run(&url, &["history", "--output", "json"]).stdout),
        text(&fleet.run(&url, &["history"]).stdout),
    ]
    .concat();
    let mut database = std::fs::read(fleet.dir.path().join("store.db")).expect("db");
    database.extend(std::fs::read(fleet.dir.path().join("store.db-wal")).unwrap_or_default());
    for (_, _, password) in &passwords {
        assert!(!everything.contains(password.as_str()));
        assert!(
            !database.windows(password.len()).any(|w| w == password.as_bytes()),
            "a password in the store"
        );
    }

    // Filters that match nothing, and bad ones.
    let none = fleet.run(&url, &["history", "--since", "2999-01-01"]);
    assert!(
        text(&none.stdout).starts_with("No applies recorded in sqlite:"),
        "{}",
        text(&none.stdout)
    );
    let bad = fleet.run(&url, &["history", "--object", "Phone/1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("hint: KIND is one of"),
        "{}",
        text(&bad.stderr)
    );
    let bad = fleet.run(&url, &["history", "--since", "last tuesday"]);
    assert!(text(&bad.stderr).contains("is not a date"), "{}", text(&bad.stderr));
    fleet.runtime.block_on(fleet.emulator.shutdown()).expect("shutdown");
}

#[test]
fn a_manifest_folder_may_not_name_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("telform.yaml"),
        "apiVersion: telform/v1\nstore:\n  url: postgres://attacker.example/steal\n  lockTimeout: 1h\n",
    )
    .expect("write");
    let out = crate::telform(dir.path(), &["validate", "."]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("TF027"), "{said}");
    assert!(
        said.contains("`store.url` may not be set in the manifest folder"),
        "{said}"
    );
    assert!(said.contains("TELFORM_STORE"), "{said}");
    assert!(said.contains("`store.lockTimeout` may not be set"), "{said}");
    assert!(
        !said.contains("attacker.example/steal") || said.contains("store.url"),
        "{said}"
    );
}

/// Processes started together (a CI job's steps, watch, this suite) open the same new store at
/// once. SQLite refuses all but one of those that switch a new file to WAL with "database is
/// locked" without waiting; telform must wait its turn instead. The race is narrow, so it is run
/// many times (on the code before the fix, about one round in a hundred was refused).
#[test]
fn a_new_store_opened_by_many_processes_at_once_opens_for_all() {
    let binary = assert_cmd::cargo::cargo_bin("telform");
    for round in 0..60 {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("store.db").display());
        let runs: Vec<Child> = (0..8)
            .map(|_| {
                Command::new(&binary)
                    .env("TELFORM_STORE", &url)
                    .args(["history", "--output", "json"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("runs")
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().expect("ends");
            assert!(
                out.status.success() && text(&out.stdout).trim() == "[]",
                "round {round}: {}",
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn force_unlock_asks_and_refuses_an_unknown_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("store.db").display());
    let out = assert_cmd::Command::cargo_bin("telform")
        .expect("binary")
        .env("TELFORM_STORE", &url)
        .args(["force-unlock", "0123456789ab"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no lock named 0123456789ab"),
        "{}",
        text(&out.stderr)
    );
    let bad = assert_cmd::Command::cargo_bin("telform")
        .expect("binary")
        .env("TELFORM_STORE", "mysql://root:hunter2@db/x")
        .args(["history"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    let said = text(&bad.stderr);
    assert!(
        said.contains("not a store telform knows") && !said.contains("hunter2"),
        "{said}"
    );
}

#[test]
fn two_watch_replicas_one_leads_and_the_standby_takes_over_when_it_is_killed() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for url in stores(scratch.path(), "replicas") {
        let fleet = Fleet::new(1, 1, "only=webex");
        let store = fleet.store(&url);
        let manifests = fleet.dir.path().join("manifests");
        let watch = |name: &str| {
            let log = std::fs::File::create(fleet.dir.path().join(format!("{name}.log"))).expect("log");
            fleet
                .command(
                    &url,
                    &[
                        "watch",
                        "--apply",
                        "--interval",
                        "1s",
                        "--debounce",
                        "100ms",
                        "--secrets-out",
                        &format!("{name}.tsv"),
                        "manifests",
                    ],
                )
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("watch starts")
        };
        let log =
            |name: &str| std::fs::read_to_string(fleet.dir.path().join(format!("{name}.log"))).unwrap_or_default();
        let until = |what: &str, done: &dyn Fn() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !done() {
                assert!(
                    Instant::now() < deadline,
                    "{url}: {what}\nA: {}\nB: {}",
                    log("a"),
                    log("b")
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        let mut a = watch("a");
        until("A leads and applies", &|| {
            fleet.devices().len() == 1
                && fleet
                    .runtime
                    .block_on(store.locks())
                    .expect("locks")
                    .iter()
                    .any(|(estate, h)| estate.starts_with("leader ") && h.pid == a.id())
        });
        let mut b = watch("b");
        until("B stands by", &|| log("b").contains("standby"));
        fleet_with(&manifests, 1, 2, |_| GENERATED);
        until("A applies a change", &|| fleet.devices().len() == 2);
        assert!(
            !log("b").contains("leading: this watch applies"),
            "{url}: B applied while A led:\n{}",
            log("b")
        );

        a.kill().expect("SIGKILL");
        let _ = a.wait();
        fleet_with(&manifests, 1, 3, |_| GENERATED);
        until("B takes over and applies the next change", &|| {
            fleet.devices().len() == 3
        });
        assert!(log("b").contains("leading: this watch applies"), "{url}: {}", log("b"));
        b.kill().expect("stop");
        let _ = b.wait();
        fleet.runtime.block_on(fleet.emulator.shutdown()).expect("shutdown");
    }
}

#[test]
fn force_unlock_confirms_then_frees_a_postgres_lock_and_names_a_live_sqlite_holder() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for url in stores(scratch.path(), "unlock") {
        let store = rt
            .block_on(Store::open(&Location::parse(&url).expect("url")))
            .expect("opens");
        let holder = telform::store::Holder::here("telform apply (hung)", None, &|_: &str| None);
        let estates = vec![telform::store::estate("acg", "http://127.0.0.1:9")];
        let lock = rt
            .block_on(store.lock(&estates, &holder, Duration::ZERO))
            .expect("taken");
        let unlock = |args: &[&str]| {
            assert_cmd::Command::cargo_bin("telform")
                .expect("binary")
                .env("TELFORM_STORE", &url)
                .env("NO_COLOR", "1")
                .arg("force-unlock")
                .args(args)
                .write_stdin("")
                .output()
                .expect("runs")
        };
        // No terminal, no --yes: nothing is unlocked.
        let asked = unlock(&[&holder.id]);
        assert_eq!(asked.status.code(), Some(1), "{url}");
        let said = text(&asked.stderr);
        assert!(
            said.contains("telform apply (hung)") && said.contains("--yes"),
            "{url}: {said}"
        );
        assert!(rt.block_on(lock.alive()), "{url}: still held");

        let forced = unlock(&["--yes", &holder.id]);
        let said = text(&forced.stdout) + &text(&forced.stderr);
        if url.starts_with("postgres") {
            assert_eq!(forced.status.code(), Some(0), "{said}");
            assert!(said.contains("was ended"), "{said}");
            assert!(!rt.block_on(lock.alive()), "the hung holder's session is gone");
            let next = telform::store::Holder::here("telform apply next", None, &|_: &str| None);
            let taken = rt.block_on(store.lock(&estates, &next, Duration::from_secs(10)));
            assert!(taken.is_ok(), "the lock is free after force-unlock");
        } else {
            // An OS lock is not taken from a live process: it is named, to be stopped.
            assert_eq!(forced.status.code(), Some(1), "{said}");
            assert!(said.contains(&format!("kill {}", std::process::id())), "{said}");
        }
    }
}
