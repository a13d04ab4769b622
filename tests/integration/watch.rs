//! `telform watch`: the loop in-process against the in-process emulator, over real HTTP, on real
//! files in a temp folder; the real binary where a process is needed (signals, exit codes).
//!
//! Waits are polls with a deadline ([`PATIENCE`]) on the status endpoint or the emulator's
//! store. The only fixed waits check that something does *not* happen (a second reconcile),
//! which no event can announce; they are a few debounce periods long.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use telform::emulator::{App, Emulator, seed};
use telform::watch::{self, ActionOptions, Config, Deps, Ended, Listener, LogFormat, OpsConfig, Printer, Shutdown};

/// The debounce of most tests: short, so that a test takes little time.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(100);
/// The longest wait for something that must happen. Far above what it takes (well under a
/// second here); a loaded CI machine is slow, and a failure shows the status and the log.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);
pub(crate) const NEVER: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------------------------------------
// The emulator

pub(crate) struct Emu {
    runtime: tokio::runtime::Runtime,
    emulator: Emulator,
    pub(crate) env: Vec<(String, String)>,
}

pub(crate) fn start_emulator(faults: &str) -> Emu {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(10);
    let (runtime, emulator, env) = crate::emulator_on_runtime(seed, faults);
    Emu { runtime, emulator, env }
}

impl Emu {
    pub(crate) fn header(&self, tn: &str) -> Option<String> {
        let acg = App::lock(&self.emulator.app.acg);
        acg.numbers
            .get(tn)
            .and_then(|n| n.resource.configuration.as_ref())
            .and_then(|c| c.custom_sip_header.clone())
    }

    /// Accounts and numbers of the accounts whose name starts with `prefix`.
    pub(crate) fn objects(&self, prefix: &str) -> usize {
        let acg = App::lock(&self.emulator.app.acg);
        acg.accounts.keys().filter(|a| a.starts_with(prefix)).count()
            + acg
                .numbers
                .values()
                .filter(|n| n.resource.account_name.starts_with(prefix))
                .count()
    }

    /// Changes a number's SIP header through the ACG API, as an engineer in the Azure portal
    /// would: behind telform's back.
    pub(crate) fn edit_behind_the_back(&self, account: &str, tn: &str, header: &str) {
        let (tenant, id, secret, scope) = {
            let acg = App::lock(&self.emulator.app.acg);
            let c = &acg.clients[0];
            (
                c.tenant.clone(),
                c.client_id.clone(),
                c.client_secret.clone(),
                acg.scope.clone(),
            )
        };
        let base = self.emulator.url();
        self.runtime.block_on(async {
            let http = reqwest::Client::new();
            let token: Value = http
                .post(format!("{base}/login/{tenant}/oauth2/v2.0/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                    ("scope", &scope),
                ])
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("token");
            let token = token["access_token"].as_str().expect("a token");
            let response = http
                .put(format!(
                    "{base}/acg/accounts/{account}/numbers/{tn}?api-version={}",
                    telform::wire::acg::API_VERSION
                ))
                .bearer_auth(token)
                .json(&json!({
                    "telephoneNumber": tn,
                    "accountName": account,
                    "serviceDetails": {"teamsDirectRouting": {"enabled": true}},
                    "configuration": {"customSipHeader": header},
                }))
                .send()
                .await
                .expect("PUT number");
            assert!(response.status().is_success(), "{}", response.status());
        });
        assert_eq!(self.header(tn).as_deref(), Some(header));
    }
}

// ---------------------------------------------------------------------------------------------
// Manifests: ACG Direct Routing without backend sync, so that nothing waits for a sync.

pub(crate) fn account(name: &str) -> String {
    format!(
        "apiVersion: telform/v1\nkind: Account\nmetadata: {{name: {name}}}\nspec:\n  services:\n    directRouting: {{enabled: true, sync: false}}\n"
    )
}

pub(crate) fn numbers(name: &str, account: &str, header: &str, first: u64, count: u64) -> String {
    format!(
        "apiVersion: telform/v1\nkind: NumberSet\nmetadata: {{name: {name}}}\nspec:\n  account: {account}\n  service: directRouting\n  defaults: {{customSipHeader: {header}}}\n  ranges:\n    - {{from: \"+{first}\", to: \"+{}\"}}\n",
        first + count - 1
    )
}

/// `fabrikam-dr` with ten numbers, +33170000000 to +33170000009.
pub(crate) fn fabrikam(header: &str) -> String {
    format!(
        "{}---\n{}",
        account("fabrikam-dr"),
        numbers("fabrikam-dr-numbers", "fabrikam-dr", header, 33_170_000_000, 10)
    )
}

pub(crate) const FABRIKAM: &str = "fabrikam-dr";
pub(crate) const TN: &str = "+33170000004";

pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(path, text).expect("written");
}

// ---------------------------------------------------------------------------------------------
// watch in-process

pub(crate) struct Watching {
    pub(crate) addr: SocketAddr,
    shutdown: Shutdown,
    pub(crate) thread: Option<std::thread::JoinHandle<Result<Ended, String>>>,
    log: Arc<Mutex<String>>,
}

pub(crate) fn start_watch(
    dir: &Path,
    env: &[(String, String)],
    apply: bool,
    interval: Duration,
    debounce: Duration,
) -> Watching {
    start_watch_with(dir, env, apply, interval, debounce, None)
}

/// [`start_watch`] with `--secrets-out`. `env` also answers `sipPassword.fromEnv`.
fn start_watch_with(
    dir: &Path,
    env: &[(String, String)],
    apply: bool,
    interval: Duration,
    debounce: Duration,
    secrets_out: Option<PathBuf>,
) -> Watching {
    start_watch_full(
        dir,
        env,
        apply,
        interval,
        debounce,
        secrets_out,
        OpsConfig::default(),
        ActionOptions::default(),
    )
}

/// [`start_watch_with`] with notifications, health and rewatch settings.
pub(crate) fn start_watch_ops(
    dir: &Path,
    env: &[(String, String)],
    apply: bool,
    interval: Duration,
    debounce: Duration,
    secrets_out: Option<PathBuf>,
    ops: OpsConfig,
) -> Watching {
    start_watch_full(
        dir,
        env,
        apply,
        interval,
        debounce,
        secrets_out,
        ops,
        ActionOptions::default(),
    )
}

/// [`start_watch_with`] and the status page's actions (`--allow-actions`).
pub(crate) fn start_watch_with_actions(
    dir: &Path,
    env: &[(String, String)],
    apply: bool,
    interval: Duration,
    debounce: Duration,
    secrets_out: Option<PathBuf>,
    actions: ActionOptions,
) -> Watching {
    start_watch_full(
        dir,
        env,
        apply,
        interval,
        debounce,
        secrets_out,
        OpsConfig::default(),
        actions,
    )
}

#[allow(clippy::too_many_arguments)]
fn start_watch_full(
    dir: &Path,
    env: &[(String, String)],
    apply: bool,
    interval: Duration,
    debounce: Duration,
    secrets_out: Option<PathBuf>,
    ops: OpsConfig,
    actions: ActionOptions,
) -> Watching {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let shutdown = Shutdown::default();
    let log = Arc::new(Mutex::new(String::new()));
    let config = Config {
        dir: dir.to_path_buf(),
        apply,
        interval,
        debounce,
        listen: Some(Listener::Bound(listener)),
        once: false,
        output: LogFormat::Json,
        secrets_out,
        store: Some(test_store()),
        ops,
        actions,
    };
    let thread = {
        let (env, shutdown, log) = (env.to_vec(), shutdown.clone(), log.clone());
        std::thread::spawn(move || run_watch(config, env, shutdown, log))
    };
    Watching {
        addr,
        shutdown,
        thread: Some(thread),
        log,
    }
}

/// The store of in-process watches: one file for the test binary, outside every watched folder
/// (each test's emulator is another estate, so their locks never meet).
fn test_store() -> telform::reconcile::guard::StoreConfig {
    telform::reconcile::guard::StoreConfig {
        location: telform::store::Location::Sqlite(
            std::env::temp_dir().join(format!("telform-watch-tests-{}/store.db", std::process::id())),
        ),
        lock_timeout: Duration::ZERO,
    }
}

fn run_watch(
    config: Config,
    env: Vec<(String, String)>,
    shutdown: Shutdown,
    log: Arc<Mutex<String>>,
) -> Result<Ended, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let (out, err) = (log.clone(), log);
    let printer = Printer {
        out: Box::new(move |text| out.lock().expect("log").push_str(text)),
        err: Box::new(move |text| err.lock().expect("log").push_str(text)),
    };
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let deps = Deps {
        trusted: telform::provider::config::Trusted::env(&lookup),
        secrets: &lookup,
        printer: &printer,
    };
    runtime.block_on(watch::run(config, deps, shutdown))
}

/// `watch --once` in-process.
fn once(dir: &Path, env: &[(String, String)], apply: bool) -> Ended {
    let config = Config {
        dir: dir.to_path_buf(),
        apply,
        interval: Duration::from_secs(300),
        debounce: DEBOUNCE,
        listen: None,
        once: true,
        output: LogFormat::Json,
        secrets_out: None,
        store: Some(test_store()),
        ops: OpsConfig::default(),
        actions: ActionOptions::default(),
    };
    run_watch(config, env.to_vec(), Shutdown::default(), Arc::default()).expect("watch starts")
}

impl Watching {
    pub(crate) fn status(&self) -> Value {
        let (code, _, body) = get(self.addr, "/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("/status is JSON")
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// The reconcile log lines (JSON mode).
    pub(crate) fn records(&self) -> Vec<Value> {
        self.log()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["event"] == "reconcile")
            .collect()
    }

    /// Polls `/status` until `done` holds; fails with the status and the log after PATIENCE.
    pub(crate) fn wait(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let status = self.status();
            if done(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\nstatus: {status:#}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `n` reconciles are done and the loop is idle.
    pub(crate) fn wait_reconciles(&self, n: u64) -> Value {
        self.wait(&format!("{n} reconcile(s)"), |s| {
            s["reconciles"].as_u64() >= Some(n) && s["state"] == "idle"
        })
    }

    pub(crate) fn stop(mut self) -> Ended {
        self.shutdown.request();
        let thread = self.thread.take().expect("running");
        thread.join().expect("the loop does not panic").expect("watch ran")
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        // A failed test must not leave the loop running into the next one.
        self.shutdown.request();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until `done` holds, polling.
pub(crate) fn eventually(what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
    started.elapsed()
}

/// A plain HTTP/1.1 GET: (status, content type, body).
pub(crate) fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (code, content_type, body.to_string())
}

// ---------------------------------------------------------------------------------------------
// Changes

#[test]
fn a_plain_write_and_an_atomic_rename_save_are_each_applied_within_debounce_plus_one_reconcile() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(dir, &emu.env, true, NEVER, DEBOUNCE);
    let first = w.wait_reconciles(1);
    assert_eq!(first["last_reconcile"]["outcome"], "applied", "{first:#}");
    assert_eq!(emu.header(TN).as_deref(), Some("dr"));

    // An in-place write.
    let started = Instant::now();
    write(dir, "fabrikam.yaml", &fabrikam("dr-2"));
    eventually("the edit to reach the emulator", || {
        emu.header(TN).as_deref() == Some("dr-2")
    });
    let latency = started.elapsed();
    let status = w.wait_reconciles(2);
    let last = &status["last_reconcile"];
    assert_eq!(last["trigger"], "change", "{status:#}");
    assert_eq!(last["outcome"], "applied", "{status:#}");
    assert_eq!(last["plan"]["change"], 10, "{status:#}");
    let reconcile = Duration::from_millis(last["duration_ms"].as_u64().expect("duration"));
    // Debounce, one reconcile, and the watcher's own delivery (a few ms; a second of slack for
    // a loaded machine). A loop that waited for the periodic check would take an hour.
    assert!(
        latency < DEBOUNCE + reconcile + Duration::from_millis(1500),
        "latency {latency:?}, reconcile {reconcile:?}"
    );
    eprintln!("edit → applied: {latency:?} (debounce {DEBOUNCE:?}, reconcile {reconcile:?})");

    // An editor's atomic save: a hidden temp file renamed over the manifest.
    let started = Instant::now();
    write(dir, ".fabrikam.yaml.tmp-4821", &fabrikam("dr-3"));
    std::fs::rename(dir.join(".fabrikam.yaml.tmp-4821"), dir.join("fabrikam.yaml")).expect("renamed");
    eventually("the renamed save to reach the emulator", || {
        emu.header(TN).as_deref() == Some("dr-3")
    });
    eprintln!("atomic rename save → applied: {:?}", started.elapsed());
    let status = w.wait_reconciles(3);
    assert_eq!(status["last_reconcile"]["files_changed"], 1, "{status:#}");
    assert_eq!(w.stop(), Ended::Stopped);
}

#[test]
fn two_hundred_files_rewritten_at_once_cause_exactly_one_reconcile() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "account.yaml", &account("northwind-dr"));
    let set = |header: &str| {
        for i in 0..200u64 {
            write(
                dir,
                &format!("numbers/n{i:03}.yaml"),
                &numbers(
                    &format!("northwind-{i:03}"),
                    "northwind-dr",
                    header,
                    33_180_000_000 + i,
                    1,
                ),
            );
        }
    };
    set("a");
    // A longer quiet window than the other tests: the 200 writes must land in it even on a slow
    // machine, as a `git pull`'s do on a real one.
    let debounce = Duration::from_millis(300);
    let w = start_watch(dir, &emu.env, true, NEVER, debounce);
    let first = w.wait_reconciles(1);
    assert_eq!(first["last_reconcile"]["applied"]["done"], 201, "{first:#}");

    let started = Instant::now();
    set("b");
    let status = w.wait_reconciles(2);
    let elapsed = started.elapsed();
    let last = &status["last_reconcile"];
    assert_eq!(last["trigger"], "change", "{status:#}");
    assert_eq!(last["files_changed"], 200, "{status:#}");
    assert_eq!(last["plan"]["change"], 200, "{status:#}");
    assert_eq!(last["outcome"], "applied", "{status:#}");
    eprintln!("200 files → one reconcile, applied after {elapsed:?}");
    // Nothing else is coming: not a second reconcile for late events, nor one for the reads of
    // the reconcile itself.
    std::thread::sleep(debounce * 4);
    let status = w.status();
    assert_eq!(status["reconciles"], 2, "{status:#}\n{}", w.log());
    assert_eq!(w.records().len(), 2, "{}", w.log());
}

#[test]
fn changes_during_a_reconcile_schedule_exactly_one_more() {
    // Every request takes 400 ms: a reconcile (token, reads, a write) lasts well over a second,
    // long enough to change files under it.
    let emu = start_emulator("latency=400ms");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    write(
        dir,
        "other.yaml",
        &numbers("fabrikam-extra", FABRIKAM, "x", 33_170_000_100, 1),
    );
    let w = start_watch(dir, &emu.env, true, NEVER, DEBOUNCE);
    w.wait_reconciles(1);

    write(dir, "fabrikam.yaml", &fabrikam("dr-2"));
    w.wait("a reconcile in progress", |s| {
        s["state"] == "reconciling" && s["reconciles"] == 1
    });
    write(
        dir,
        "other.yaml",
        &numbers("fabrikam-extra", FABRIKAM, "y", 33_170_000_100, 1),
    );
    std::thread::sleep(DEBOUNCE * 2);
    write(dir, "fabrikam.yaml", &fabrikam("dr-3"));
    let during = w.status();
    assert_eq!(
        during["state"], "reconciling",
        "the test needs the reconcile to last: {during:#}"
    );
    let status = w.wait_reconciles(3);
    assert_eq!(status["last_reconcile"]["files_changed"], 2, "{status:#}");
    assert_eq!(emu.header(TN).as_deref(), Some("dr-3"));
    assert_eq!(emu.header("+33170000100").as_deref(), Some("y"));
    std::thread::sleep(DEBOUNCE * 4);
    assert_eq!(w.status()["reconciles"], 3, "{}", w.log());
}

#[test]
fn a_git_checkout_of_another_branch_is_one_reconcile() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .current_dir(repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", repo)
            .args(["-c", "user.name=telform", "-c", "user.email=telform@example.com"])
            .args(args)
            .output()
            .expect("git runs (the test needs git)");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    write(repo, "manifests/fabrikam.yaml", &fabrikam("dr"));
    for i in 0..20u64 {
        write(
            repo,
            &format!("manifests/sites/s{i:02}.yaml"),
            &numbers(&format!("site-{i:02}"), FABRIKAM, "site", 33_170_001_000 + i, 1),
        );
    }
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "main"]);
    git(&["checkout", "-q", "-b", "rename-sites"]);
    for i in 0..20u64 {
        write(
            repo,
            &format!("manifests/sites/s{i:02}.yaml"),
            &numbers(&format!("site-{i:02}"), FABRIKAM, "site-renamed", 33_170_001_000 + i, 1),
        );
    }
    git(&["commit", "-q", "-am", "rename"]);
    git(&["checkout", "-q", "main"]);

    // The manifest folder is a subfolder of the checkout: watch finds the Git folder above it.
    let w = start_watch(&repo.join("manifests"), &emu.env, true, NEVER, DEBOUNCE);
    w.wait_reconciles(1);
    assert_eq!(emu.header("+33170001005").as_deref(), Some("site"));
    git(&["checkout", "-q", "rename-sites"]);
    let status = w.wait_reconciles(2);
    assert_eq!(status["last_reconcile"]["plan"]["change"], 20, "{status:#}");
    assert_eq!(emu.header("+33170001005").as_deref(), Some("site-renamed"));
    // Git's own writes (index, HEAD) start nothing by themselves.
    std::thread::sleep(DEBOUNCE * 4);
    git(&["status", "--short"]);
    std::thread::sleep(DEBOUNCE * 4);
    assert_eq!(w.status()["reconciles"], 2, "{}", w.log());
}

#[test]
fn an_invalid_manifest_applies_nothing_and_fixing_it_applies() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(dir, &emu.env, true, Duration::from_secs(1), DEBOUNCE);
    w.wait_reconciles(1);

    // A valid change and a broken file in the same save: neither is applied.
    write(dir, "fabrikam.yaml", &fabrikam("dr-2"));
    write(
        dir,
        "broken.yaml",
        &numbers("broken", FABRIKAM, "x", 33_170_000_200, 1).replace("+33170000200\", to", "0170000200\", to"),
    );
    let status = w.wait("an invalid reconcile", |s| s["last_reconcile"]["outcome"] == "invalid");
    let last = &status["last_reconcile"];
    assert!(last["problems"].as_u64() >= Some(1), "{status:#}");
    let error = status["last_error"]["message"].as_str().expect("the diagnostics");
    assert!(error.contains("broken.yaml"), "{error}");
    assert!(error.contains("not valid"), "{error}");
    assert!(
        !error.contains('\u{1b}'),
        "no terminal styling in the status: {error:?}"
    );
    assert_eq!(emu.header(TN).as_deref(), Some("dr"), "nothing applied");
    // No drift check on an invalid set: there is nothing valid to compare with.
    assert_eq!(status["next_reconcile_at"], Value::Null, "{status:#}");

    std::fs::remove_file(dir.join("broken.yaml")).expect("removed");
    eventually("the fix to apply the waiting change", || {
        emu.header(TN).as_deref() == Some("dr-2")
    });
    let status = w.wait("an applied reconcile", |s| {
        s["last_reconcile"]["outcome"] == "applied" && s["state"] == "idle"
    });
    assert_eq!(status["failures"], 0, "{status:#}");
    assert!(status["next_reconcile_at"].is_string(), "{status:#}");
}

/// The status page and `/status` show diagnostics for everyone who can reach them: a committed
/// link to the process environment or to a file outside the folder is named, never read.
#[test]
fn the_status_never_shows_what_a_link_out_of_the_folder_leads_to() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let canary = "canary-outside-the-watched-folder-93be";
    let outside = temp.path().join("outside.yaml");
    std::fs::write(
        &outside,
        format!("apiVersion: telform/v1\nkind: Account\nmetadata: {{name: {canary}}}\nspec: [\n"),
    )
    .expect("outside");
    let dir = temp.path().join("manifests");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("zz.yaml")).expect("link");
    std::os::unix::fs::symlink(&outside, dir.join("leak.yaml")).expect("link");
    let w = start_watch(&dir, &emu.env, true, NEVER, DEBOUNCE);
    let status = w.wait("an invalid reconcile", |s| s["last_reconcile"]["outcome"] == "invalid");
    let (_, _, page) = get(w.addr, "/");
    let shown = format!("{status}{page}{}", w.log());
    for entry in ["zz.yaml", "leak.yaml"] {
        assert!(shown.contains(entry), "{entry} is not named: {shown}");
    }
    assert!(shown.contains("TF011"), "{shown}");
    assert!(!shown.contains(canary), "a file outside the folder is shown: {shown}");
    let path = std::env::var("PATH").expect("PATH");
    assert!(!shown.contains(&path), "the environment is shown: {shown}");
    assert_eq!(emu.header(TN), None, "nothing applied");
}

// ---------------------------------------------------------------------------------------------
// Drift

#[test]
fn drift_is_found_by_the_periodic_check_and_corrected_with_apply() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(dir, &emu.env, true, Duration::from_secs(1), DEBOUNCE);
    w.wait_reconciles(1);
    emu.edit_behind_the_back(FABRIKAM, TN, "portal-edit");
    let status = w.wait("drift corrected", |s| s["drift"]["corrected"] == 1);
    assert_eq!(emu.header(TN).as_deref(), Some("dr"));
    assert_eq!(status["drift"]["found"], 1, "{status:#}");
    let record = w
        .records()
        .into_iter()
        .find(|r| r["drift"]["found"] == 1)
        .expect("a reconcile reports the drift");
    assert_eq!(record["trigger"], "interval", "{record:#}");
    assert_eq!(record["outcome"], "applied", "{record:#}");
    assert_eq!(record["drift"]["corrected"], 1, "{record:#}");
    let what = record["drift"]["objects"][0].as_str().expect("what changed");
    assert!(
        what.contains(TN) && what.contains("portal-edit") && what.contains("\"dr\""),
        "{what}"
    );
    // Corrected once; the next checks find nothing.
    let after = status["reconciles"].as_u64().expect("count");
    let status = w.wait_reconciles(after + 1);
    assert_eq!(status["drift"]["found"], 1, "{status:#}");
}

#[test]
fn drift_is_only_reported_without_apply() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    assert_eq!(once(dir, &emu.env, true), Ended::Once(watch::status::Outcome::Applied));
    let w = start_watch(dir, &emu.env, false, Duration::from_secs(1), DEBOUNCE);
    let first = w.wait_reconciles(1);
    assert_eq!(first["last_reconcile"]["outcome"], "in-sync", "{first:#}");
    emu.edit_behind_the_back(FABRIKAM, TN, "portal-edit");
    let status = w.wait("drift found", |s| s["drift"]["found"] == 1 && s["state"] == "idle");
    assert_eq!(status["drift"]["corrected"], 0, "{status:#}");
    assert_eq!(status["last_reconcile"]["outcome"], "pending", "{status:#}");
    assert_eq!(status["pending"]["actions"], 1, "{status:#}");
    assert_eq!(emu.header(TN).as_deref(), Some("portal-edit"), "not corrected");
    // The same drift is not reported again by every check.
    let seen = status["reconciles"].as_u64().expect("count");
    let status = w.wait_reconciles(seen + 2);
    assert_eq!(status["drift"]["found"], 1, "{status:#}");
    assert_eq!(emu.header(TN).as_deref(), Some("portal-edit"));
}

// ---------------------------------------------------------------------------------------------
// Failures

#[test]
fn provider_failures_back_off_and_never_stop_the_loop() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let mut env = emu.env.clone();
    for (k, v) in &mut env {
        if k == "TELFORM_ACG_CLIENT_SECRET" {
            *v = "wrong-secret".into();
        }
    }
    let w = start_watch(dir, &env, true, Duration::from_secs(1), DEBOUNCE);
    let status = w.wait("two failures in a row", |s| s["failures"] == 2 && s["state"] == "idle");
    let records = w.records();
    assert!(records.len() >= 2, "{}", w.log());
    assert_eq!(records[0]["trigger"], "start");
    assert_eq!(records[1]["trigger"], "retry");
    let retry = |r: &Value| r["retry_in_ms"].as_u64().expect("a retry");
    assert!((900..=1100).contains(&retry(&records[0])), "{records:#?}");
    assert!((1800..=2200).contains(&retry(&records[1])), "{records:#?}");
    let error = status["last_error"]["message"].as_str().expect("an error");
    assert!(!error.contains("wrong-secret"), "secrets are never shown: {error}");
    assert_eq!(get(w.addr, "/healthz").0, 200);
    assert_eq!(emu.objects(FABRIKAM), 0);
}

#[test]
fn generated_passwords_go_to_a_new_secrets_file_for_each_apply() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    copy_dir(&crate::root().join("examples/webex"), &dir.join("webex"));
    std::fs::copy(crate::root().join("examples/telform.yaml"), dir.join("telform.yaml")).expect("copied");
    write(&dir, "secrets/acme-accueil-phone.sip", "a-password-from-a-file\n");
    let mut env = emu.env.clone();
    env.push((
        "ACME_JUPITER_TABLE_SIP_PASSWORD".into(),
        "a-password-from-the-vault".into(),
    ));
    let out = temp.path().join("out");
    std::fs::create_dir(&out).expect("folder");
    let files = || {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&out)
            .expect("readable")
            .map(|e| e.expect("entry").path())
            .collect();
        names.sort();
        names
    };
    let w = start_watch_with(&dir, &env, true, NEVER, DEBOUNCE, Some(out.join("sip-passwords.tsv")));
    let status = w.wait_reconciles(1);
    assert_eq!(status["last_reconcile"]["outcome"], "applied", "{status:#}");
    let first = files();
    assert_eq!(first.len(), 1, "{first:?}");
    let name = first[0].file_name().expect("a name").to_string_lossy().into_owned();
    assert!(name.starts_with("sip-passwords.tsv.2"), "{name}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&first[0]).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let kept = std::fs::read_to_string(&first[0]).expect("readable");
    let passwords: Vec<&str> = kept.lines().filter_map(|l| l.split('\t').nth(2)).collect();
    assert!(
        !passwords.is_empty() && passwords.iter().all(|p| p.len() >= 16),
        "{kept}"
    );

    // A rotation makes a new password: a new file, the first one untouched.
    let devices = dir.join("webex/acme/devices.yaml");
    let text = std::fs::read_to_string(&devices).expect("readable");
    assert!(text.contains("rotation: 1}"));
    std::fs::write(&devices, text.replace("rotation: 1}", "rotation: 2}")).expect("written");
    let status = w.wait_reconciles(2);
    assert_eq!(status["last_reconcile"]["outcome"], "applied", "{status:#}");
    let second = files();
    assert_eq!(second.len(), 2, "{second:?}");
    assert_eq!(std::fs::read_to_string(&first[0]).expect("readable"), kept);
    let rotated = std::fs::read_to_string(&second[1]).expect("readable");
    let rows: Vec<&str> = rotated.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len(), 1, "{rotated}");
    assert!(rows[0].starts_with("ACME-0001\t805EC03A7210\t"), "{rotated}");
    // No password is ever shown.
    let shown = format!("{}{}", w.log(), w.status());
    for secret in passwords
        .iter()
        .copied()
        .chain(["a-password-from-the-vault", "a-password-from-a-file"])
    {
        assert!(!shown.contains(secret), "{secret} shown");
    }
}

// ---------------------------------------------------------------------------------------------
// Endpoints

#[test]
fn healthz_status_and_the_page_answer() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    // Whatever the page shows is escaped, even a folder name.
    let dir = temp.path().join("ops<b>&\"x\"");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(&dir, &emu.env, false, Duration::from_secs(300), DEBOUNCE);
    w.wait_reconciles(1);

    let (code, _, body) = get(w.addr, "/healthz");
    assert_eq!((code, body.as_str()), (200, "ok\n"));

    let (code, content_type, body) = get(w.addr, "/status");
    assert_eq!(code, 200);
    assert_eq!(content_type, "application/json");
    let status: Value = serde_json::from_str(&body).expect("JSON");
    let last = &status["last_reconcile"];
    assert_eq!(last["outcome"], "pending", "{status:#}");
    assert!(
        last["started_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{status:#}"
    );
    assert_eq!(last["plan"], json!({"add": 11, "change": 0, "delete": 0}), "{status:#}");
    assert_eq!(last["plan_line"], "Plan: 11 to add, 0 to change, 0 to delete.");
    assert_eq!(status["pending"], json!({"files": 0, "actions": 11}), "{status:#}");
    assert_eq!(status["drift"]["found"], 0, "{status:#}");
    assert_eq!(status["last_error"], Value::Null, "{status:#}");
    assert!(status["calls"]["acg"]["reads"].as_u64() > Some(0), "{status:#}");
    assert_eq!(status["calls"]["webex"]["reads"], 0, "{status:#}");
    assert!(status["next_reconcile_at"].is_string(), "{status:#}");

    let (code, content_type, page) = get(w.addr, "/");
    assert_eq!(code, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert_well_formed(&page);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"5\">"), "{page}");
    for field in [
        "changes pending",
        "Last reconcile",
        "Plan: 11 to add, 0 to change, 0 to delete.",
        "Pending actions",
        "Drift",
        "ACG calls",
    ] {
        assert!(page.contains(field), "{field} missing: {page}");
    }
    assert!(page.contains("ops&lt;b&gt;&amp;&quot;x&quot;"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    if let Some(dom) = chromium_dom(w.addr) {
        assert!(
            dom.contains("id=\"status\"") && dom.contains("Pending actions"),
            "{dom}"
        );
    }
    assert_eq!(w.stop(), Ended::Stopped);
}

/// Every element opened is closed, in order (void elements excepted): a strict reading of
/// what browsers forgive.
pub(crate) fn assert_well_formed(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("every tag is closed");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name.trim()), "in {html}");
        } else {
            let name = tag.split_whitespace().next().expect("a tag name").to_string();
            if !VOID.contains(&name.as_str()) {
                open.push(name);
            }
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert!(!rest.contains('>'), "a stray `>` after the last tag");
}

/// The page as headless Chromium builds it, when Debian's `chromium` is installed (CI has it;
/// without it the page is still fetched and parsed above).
fn chromium_dom(addr: SocketAddr) -> Option<String> {
    let output = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("http://{addr}/"))
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

// ---------------------------------------------------------------------------------------------
// The real binary

fn binary(dir: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_telform"));
    cmd.current_dir(dir).env("NO_COLOR", "1").arg("watch").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn sigterm_during_an_apply_finishes_the_writes_in_flight_and_exits_0() {
    a_signal_during_an_apply_finishes_the_writes_in_flight_and_exits_0("TERM");
}

/// A closed SSH session or terminal sends SIGHUP: the same clean stop, said in the log.
#[test]
fn sighup_during_an_apply_finishes_the_writes_in_flight_and_exits_0() {
    a_signal_during_an_apply_finishes_the_writes_in_flight_and_exits_0("HUP");
}

fn a_signal_during_an_apply_finishes_the_writes_in_flight_and_exits_0(name: &str) {
    // 64 accounts of one number each, every request 150 ms, 8 accounts at a time: the writes
    // last about 2.4 s, and the signal comes after the first one.
    let emu = start_emulator("latency=150ms");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    for i in 0..64u64 {
        write(
            dir,
            &format!("a{i:02}.yaml"),
            &format!(
                "{}---\n{}",
                account(&format!("sig-{i:02}")),
                numbers(
                    &format!("sig-{i:02}-n"),
                    &format!("sig-{i:02}"),
                    "h",
                    33_190_000_000 + i,
                    1
                )
            ),
        );
    }
    let mut child = binary(dir, &emu.env, &["--apply", "--output", "json", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("telform starts");
    eventually("the apply to start writing", || emu.objects("sig-") > 0);
    let signal = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let started = Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        assert!(started.elapsed() < PATIENCE, "telform did not stop after SIG{name}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("finishing the writes in flight"), "{stderr}");
    assert!(stderr.contains(&format!("SIG{name}: stopping")), "{stderr}");
    let record: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "reconcile")
        .expect("the reconcile is reported");
    assert_eq!(record["outcome"], "interrupted", "{record:#}");
    let done = record["applied"]["done"].as_u64().expect("done");
    let skipped = record["applied"]["skipped"].as_u64().expect("skipped");
    assert!(done > 0 && skipped > 0, "stopped part-way: {record:#}");
    assert_eq!(record["applied"]["failed"], 0, "{record:#}");
    // Every write that started finished and was reported: what the emulator holds is exactly
    // what the report says was done.
    assert_eq!(emu.objects("sig-") as u64, done, "{record:#}");
    assert!(stdout.contains("\"event\":\"stop\""), "{stdout}");

    // The next run converges.
    let output = binary(dir, &emu.env, &["--once", "--apply", "."])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(emu.objects("sig-"), 128);
    let output = binary(dir, &emu.env, &["--once", "."]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("in sync"), "{stdout}");
}

#[test]
fn once_exits_1_on_invalid_manifests_and_on_passwords_it_cannot_keep() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(
        dir,
        "broken.yaml",
        "apiVersion: telform/v1\nkind: Account\nmetadata: {name: x}\nspec: {bogus: 1}\n",
    );
    let output = binary(dir, &emu.env, &["--once", "--apply", "."])
        .output()
        .expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("broken.yaml") && stderr.contains("bogus"), "{stderr}");
    assert!(stdout.contains("reconcile #1 (start): invalid"), "{stdout}");

    // The examples' devices get generated SIP passwords: without --secrets-out there is nowhere
    // to keep them, so nothing at all is applied.
    let examples = temp.path().join("examples");
    copy_dir(&crate::root().join("examples"), &examples);
    let before = emu.objects("");
    let output = binary(&examples, &emu.env, &["--once", "--apply", "."])
        .env("ACME_JUPITER_TABLE_SIP_PASSWORD", "a-password-from-the-vault")
        .output()
        .expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("generated SIP password"), "{stderr}");
    assert!(stderr.contains("start watch with --secrets-out FILE"), "{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("a-password-from-the-vault"));
    assert_eq!(emu.objects(""), before, "nothing applied");
}

pub(crate) fn copy_dir(from: &Path, to: &PathBuf) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}
