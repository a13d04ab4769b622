//! `telform watch` for operations: `/metrics` read by a Prometheus text-format parser,
//! `--notify` webhooks received by a real listener that fails the first deliveries, the watched
//! folder deleted and re-created or renamed over, and `/healthz` when reconciles keep failing.
//! The loop runs in-process against the in-process emulator over real HTTP (the helpers of
//! `watch.rs`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_parse::{Scrape, Value};
use serde_json::Value as Json;
use telform::watch::OpsConfig;
use telform::watch::notify::{Format, Retry, Target};

use crate::watch::{
    DEBOUNCE, FABRIKAM, PATIENCE, TN, Watching, eventually, fabrikam, get, start_emulator, start_watch_ops, write,
};

const NEVER: Duration = Duration::from_secs(3600);

fn watch(dir: &Path, env: &[(String, String)], apply: bool, interval: Duration, ops: OpsConfig) -> Watching {
    start_watch_ops(dir, env, apply, interval, DEBOUNCE, None, ops)
}

// ---------------------------------------------------------------------------------------------
// /metrics

/// `/metrics`, parsed; fails on a line the parser does not take as a sample.
fn scrape(w: &Watching) -> Scrape {
    let (code, content_type, body) = get(w.addr, "/metrics");
    assert_eq!(code, 200, "{body}");
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let scrape = Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("the text format parses");
    // A histogram's bucket lines fold into one sample; every other line (its sum and count
    // included) is a sample of its own.
    let lines = body.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    let plain = lines.filter(|l| !l.contains("_seconds_bucket")).count();
    let histograms = scrape
        .samples
        .iter()
        .filter(|s| matches!(s.value, Value::Histogram(_)))
        .count();
    assert!(histograms >= 1, "{body}");
    assert_eq!(
        scrape.samples.len() - histograms,
        plain,
        "every line parses as a sample:\n{body}"
    );
    scrape
}

/// `/status` and `/metrics` of the same moment: no reconcile between them (the periodic
/// check runs every second).
fn steady(w: &Watching) -> (Json, Scrape) {
    let started = Instant::now();
    loop {
        let before = w.status();
        let m = scrape(w);
        let after = w.status();
        if before["state"] == "idle" && after["state"] == "idle" && before["reconciles"] == after["reconciles"] {
            return (after, m);
        }
        assert!(started.elapsed() < PATIENCE, "never idle: {after:#}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The value of the sample `name` with these labels (others ignored).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no sample {name} {labels:?}"));
    match &sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{name} is not a number: {other:?}"),
    }
}

#[test]
fn metrics_count_pending_objects_by_kind_without_apply() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let w = watch(temp.path(), &emu.env, false, NEVER, OpsConfig::default());
    w.wait_reconciles(1);
    let m = scrape(&w);
    assert_eq!(
        value(&m, "telform_watch_reconciles_total", &[("outcome", "pending")]),
        1.0
    );
    assert_eq!(
        value(&m, "telform_watch_reconciles_total", &[("outcome", "failed")]),
        0.0
    );
    // One account and ten numbers to create: none of them in sync yet.
    let pending = |kind| value(&m, "telform_watch_objects", &[("kind", kind), ("state", "pending")]);
    assert_eq!(pending("Account"), 1.0);
    assert_eq!(pending("Number"), 10.0);
    assert!(
        value(
            &m,
            "telform_provider_calls_total",
            &[("provider", "acg"), ("kind", "read")]
        ) >= 1.0
    );
    assert_eq!(
        value(
            &m,
            "telform_provider_calls_total",
            &[("provider", "acg"), ("kind", "write")]
        ),
        0.0,
        "without --apply nothing is written"
    );
    assert_eq!(value(&m, "telform_watch_watcher_up", &[]), 1.0);
    assert_eq!(emu.objects(FABRIKAM), 0);
}

#[test]
fn metrics_count_applies_drift_found_and_corrected_and_lock_waits() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let w = watch(
        temp.path(),
        &emu.env,
        true,
        Duration::from_secs(1),
        OpsConfig::default(),
    );
    w.wait_reconciles(1);
    emu.edit_behind_the_back(FABRIKAM, TN, "portal-edit");
    w.wait("drift corrected", |s| {
        s["drift"]["corrected"] == 1 && s["state"] == "idle"
    });
    let (status, m) = steady(&w);
    let reconciles = status["reconciles"].as_f64().expect("a count");
    assert_eq!(
        value(&m, "telform_watch_reconciles_total", &[("outcome", "applied")]),
        2.0,
        "the first apply and the correction"
    );
    let in_sync = value(&m, "telform_watch_reconciles_total", &[("outcome", "in-sync")]);
    assert_eq!(in_sync, reconciles - 2.0, "the other checks found nothing");
    assert_eq!(value(&m, "telform_watch_drift_found_total", &[]), 1.0);
    assert_eq!(value(&m, "telform_watch_drift_corrected_total", &[]), 1.0);
    // The calls are the sum of what each reconcile's log line says it made.
    let records = w.records();
    for (kind, field) in [("read", "reads"), ("write", "writes")] {
        let logged: f64 = records
            .iter()
            .map(|r| r["calls"]["acg"][field].as_f64().expect("a count"))
            .sum();
        let counted = value(
            &m,
            "telform_provider_calls_total",
            &[("provider", "acg"), ("kind", kind)],
        );
        assert!(counted >= 2.0, "{kind}: {counted}");
        assert_eq!(counted, logged, "{kind}");
    }
    assert_eq!(
        value(&m, "telform_provider_throttled_total", &[("provider", "acg")]),
        0.0
    );
    let last = value(&m, "telform_watch_last_success_timestamp_seconds", &[]);
    assert!(last >= started.floor(), "{last} {started}");
    // Every reconcile with --apply took the store's lock once.
    let lock = m
        .samples
        .iter()
        .find(|s| s.metric == "telform_watch_lock_wait_seconds" && s.labels.get("outcome") == Some("acquired"))
        .expect("lock waits");
    let Value::Histogram(buckets) = &lock.value else {
        panic!("a histogram: {lock:?}")
    };
    let all = buckets.iter().find(|b| b.less_than.is_infinite()).expect("+Inf").count;
    assert_eq!(all, reconciles);
    // After the correction nothing is left drifted or pending.
    for state in ["pending", "drifted", "failed"] {
        assert_eq!(
            value(&m, "telform_watch_objects", &[("kind", "Number"), ("state", state)]),
            0.0,
            "{state}"
        );
    }
}

#[test]
fn rate_limits_are_counted_as_throttled_calls() {
    // Half the ACG calls are answered 429 (with a replayable draw): each is retried, and counted.
    let emu = start_emulator("seed=7,429=0.5,retry-after=0,only=acg");
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let w = watch(temp.path(), &emu.env, false, NEVER, OpsConfig::default());
    let status = w.wait_reconciles(1);
    assert_eq!(status["last_reconcile"]["outcome"], "pending", "{status:#}");
    let m = scrape(&w);
    let throttled = value(&m, "telform_provider_throttled_total", &[("provider", "acg")]);
    assert!(throttled >= 1.0, "{throttled}");
    assert!(value(&m, "telform_provider_retries_total", &[("provider", "acg")]) >= throttled);
}

// ---------------------------------------------------------------------------------------------
// --notify

/// A webhook receiver: answers 500 to the first `fail` requests of each path, then 200, and
/// keeps every request (path, body).
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<(String, String, u16)>>>,
}

impl Receiver {
    fn start(fail: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let received: Arc<Mutex<Vec<(String, String, u16)>>> = Arc::default();
        let kept = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some((path, body)) = read_request(&mut stream) else {
                    continue;
                };
                let mut kept = kept.lock().expect("kept");
                let seen = kept.iter().filter(|(p, _, _)| *p == path).count();
                let code = if path.contains("always-500") || seen < fail {
                    500
                } else {
                    200
                };
                kept.push((path, body, code));
                drop(kept);
                let reason = if code == 200 { "OK" } else { "Internal Server Error" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { addr, received }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// (body, answer) of each request to `path`, in order.
    fn to(&self, path: &str) -> Vec<(String, u16)> {
        self.received
            .lock()
            .expect("received")
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, b, c)| (b.clone(), *c))
            .collect()
    }

    fn all(&self) -> Vec<String> {
        self.received
            .lock()
            .expect("received")
            .iter()
            .map(|(_, b, _)| b.clone())
            .collect()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<(String, String)> {
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, v)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, String::from_utf8(body).ok()?))
}

fn quick_retry() -> Retry {
    Retry {
        attempts: 4,
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
    }
}

fn ops_notifying(urls: &[String]) -> OpsConfig {
    OpsConfig {
        notify: urls
            .iter()
            .map(|u| Target::parse(u, Format::Generic).expect("a URL"))
            .collect(),
        notify_retry: quick_retry(),
        ..OpsConfig::default()
    }
}

/// The values of the emulator's environment that are secrets.
fn secrets(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .filter(|(k, _)| k.contains("SECRET") || k.contains("TOKEN"))
        .map(|(_, v)| v.clone())
        .filter(|v| v.len() >= 6)
        .collect()
}

#[test]
fn notifications_of_an_apply_and_of_drift_are_retried_after_500s_and_never_carry_a_secret() {
    let emu = start_emulator("");
    let receiver = Receiver::start(2);
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let token_path = "/services/T000/B000/tok3n-in-the-path";
    let ops = ops_notifying(&[
        receiver.url("/generic"),
        format!("slack+{}", receiver.url(token_path)),
        format!("teams+{}", receiver.url("/teams")),
        receiver.url("/always-500"),
    ]);
    let w = watch(temp.path(), &emu.env, true, Duration::from_secs(1), ops);
    w.wait_reconciles(1);
    emu.edit_behind_the_back(FABRIKAM, TN, "portal-edit");
    w.wait("drift corrected", |s| s["drift"]["corrected"] == 1);
    // Two notifications (the apply, the drift), each failed twice and then delivered.
    eventually("both notifications delivered", || {
        receiver.to("/generic").iter().filter(|(_, c)| *c == 200).count() == 2
    });
    let generic = receiver.to("/generic");
    let codes: Vec<u16> = generic.iter().map(|(_, c)| *c).collect();
    assert_eq!(&codes[..3], &[500, 500, 200], "{generic:#?}");
    assert_eq!(generic[0].0, generic[2].0, "a retry sends the same body");
    let delivered: Vec<Json> = generic
        .iter()
        .filter(|(_, c)| *c == 200)
        .map(|(b, _)| serde_json::from_str(b).expect("JSON"))
        .collect();
    let applied = &delivered[0];
    assert_eq!(applied["event"], "applied", "{applied:#}");
    assert_eq!(applied["source"], "telform watch");
    assert_eq!(applied["reconcile"], 1);
    assert_eq!(
        applied["plan"], "Plan: 11 to add, 0 to change, 0 to delete.",
        "{applied:#}"
    );
    assert!(
        applied["apply"]
            .as_str()
            .expect("apply line")
            .starts_with("Apply complete!")
    );
    let drift = &delivered[1];
    assert_eq!(drift["event"], "drift", "{drift:#}");
    assert_eq!(drift["drift"]["found"], 1);
    assert_eq!(drift["drift"]["corrected"], 1);
    let what = drift["drift"]["objects"][0].as_str().expect("the drifted object");
    assert!(what.contains(TN) && what.contains("portal-edit"), "{what}");

    eventually("the chat formats delivered", || {
        receiver.to(token_path).iter().filter(|(_, c)| *c == 200).count() == 2
            && receiver.to("/teams").iter().filter(|(_, c)| *c == 200).count() == 2
    });
    let slack: Json = serde_json::from_str(&receiver.to(token_path)[2].0).expect("JSON");
    let text = slack["text"].as_str().expect("Slack's text");
    assert!(
        text.contains("changes applied") && text.contains("Plan: 11 to add"),
        "{text}"
    );
    let teams: Json = serde_json::from_str(&receiver.to("/teams")[2].0).expect("JSON");
    assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard", "{teams:#}");

    // A receiver that always fails is given up after the attempts, said with its host only.
    eventually("the undeliverable ones dropped", || {
        w.log().matches("was dropped after 4 attempts: answer 500").count() == 2
    });
    assert_eq!(receiver.to("/always-500").len(), 8);
    let log = w.log();
    assert!(log.contains(&format!("to http://{}", receiver.addr)), "{log}");
    assert!(
        !log.contains("tok3n-in-the-path") && !log.contains("always-500"),
        "{log}"
    );
    for body in receiver.all() {
        for secret in secrets(&emu.env) {
            assert!(!body.contains(&secret), "a secret in a notification: {body}");
        }
    }
}

#[test]
fn a_failing_reconcile_is_notified_once_per_streak_without_the_secret() {
    let emu = start_emulator("");
    let receiver = Receiver::start(1);
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let wrong = "wrong-secret-5e7a";
    let mut env = emu.env.clone();
    for (k, v) in &mut env {
        if k == "TELFORM_ACG_CLIENT_SECRET" {
            *v = wrong.into();
        }
    }
    let w = watch(temp.path(), &env, true, NEVER, ops_notifying(&[receiver.url("/hook")]));
    w.wait("three failures", |s| s["failures"].as_u64() >= Some(3));
    eventually("the failure delivered", || {
        receiver.to("/hook").iter().any(|(_, c)| *c == 200)
    });
    let hook = receiver.to("/hook");
    assert_eq!(
        hook.len(),
        2,
        "one notification for the streak, retried once: {hook:#?}"
    );
    let body: Json = serde_json::from_str(&hook[1].0).expect("JSON");
    assert_eq!(body["event"], "failed", "{body:#}");
    assert_eq!(body["outcome"], "failed");
    assert_eq!(body["reconcile"], 1);
    let error = body["error"].as_str().expect("the error");
    assert!(
        error.contains("TELFORM_ACG_CLIENT_SECRET"),
        "the hint names the variable: {error}"
    );
    for (body, _) in &hook {
        assert!(!body.contains(wrong), "{body}");
        for secret in secrets(&emu.env) {
            assert!(!body.contains(&secret), "{body}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The watched folder replaced

#[test]
fn a_folder_deleted_and_re_created_or_renamed_over_is_watched_and_reconciled_again() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = watch(&dir, &emu.env, true, NEVER, OpsConfig::default());
    w.wait_reconciles(1);
    assert_eq!(emu.header(TN).as_deref(), Some("dr"));

    // `rm -rf manifests && git clone …`: the same path, a new folder, new content.
    std::fs::remove_dir_all(&dir).expect("removed");
    write(&dir, "fabrikam.yaml", &fabrikam("hq"));
    eventually("the new folder's content applied", || {
        emu.header(TN).as_deref() == Some("hq")
    });
    w.wait("watching again", |s| s["state"] == "idle");
    assert!(w.log().contains("\"event\":\"rewatch\""), "{}", w.log());
    assert_eq!(get(w.addr, "/healthz").0, 200);

    // A change in the new folder is seen: it is watched, not only read once.
    write(&dir, "fabrikam.yaml", &fabrikam("branch"));
    eventually("a change in the new folder applied", || {
        emu.header(TN).as_deref() == Some("branch")
    });

    // Another folder renamed onto the path (a deploy that swaps checkouts).
    let next = temp.path().join("next");
    write(&next, "fabrikam.yaml", &fabrikam("swapped"));
    std::fs::rename(&dir, temp.path().join("old")).expect("moved away");
    std::fs::rename(&next, &dir).expect("renamed onto the path");
    eventually("the swapped folder applied", || {
        emu.header(TN).as_deref() == Some("swapped")
    });
    write(&dir, "fabrikam.yaml", &fabrikam("after-swap"));
    eventually("a change in the swapped folder applied", || {
        emu.header(TN).as_deref() == Some("after-swap")
    });
    // No reconcile read a folder half gone.
    let failed = w
        .records()
        .iter()
        .filter(|r| r["outcome"] == "failed" || r["outcome"] == "invalid")
        .count();
    assert_eq!(failed, 0, "{}", w.log());
}

#[test]
fn a_folder_gone_for_good_fails_healthz_and_then_ends_watch_with_an_error() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    let ops = OpsConfig {
        rewatch_timeout: Duration::from_secs(3),
        ..OpsConfig::default()
    };
    let mut w = watch(&dir, &emu.env, false, NEVER, ops);
    w.wait_reconciles(1);
    std::fs::remove_dir_all(&dir).expect("removed");
    let started = Instant::now();
    let (code, _, body) = loop {
        let answer = get(w.addr, "/healthz");
        if answer.0 != 200 || started.elapsed() > PATIENCE {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, 503, "{body}");
    assert!(body.starts_with("not watching: the manifest folder"), "{body}");
    let thread = w.thread.take().expect("running");
    let error = thread.join().expect("no panic").expect_err("watch ends with an error");
    assert!(error.contains("has been gone for 3s"), "{error}");
    assert!(error.contains("hint:"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// /healthz

#[test]
fn healthz_fails_when_reconciles_keep_failing_past_the_max_age() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let mut env = emu.env.clone();
    for (k, v) in &mut env {
        if k == "TELFORM_ACG_CLIENT_SECRET" {
            *v = "wrong-secret".into();
        }
    }
    let max_age = Duration::from_millis(1500);
    let ops = OpsConfig {
        healthz_max_age: max_age,
        ..OpsConfig::default()
    };
    let started = Instant::now();
    let w = watch(temp.path(), &env, true, NEVER, ops);
    w.wait("a failure", |s| s["failures"].as_u64() >= Some(1));
    let (code, _, body) = loop {
        let answer = get(w.addr, "/healthz");
        if answer.0 != 200 || started.elapsed() > PATIENCE {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(started.elapsed() >= max_age, "not before the max age");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("no reconcile has succeeded since watch started for"),
        "{body}"
    );
    assert!(body.contains("--healthz-max-age 1500ms"), "{body}");
    // The loop goes on retrying meanwhile.
    let status = w.status();
    assert_eq!(status["state"], "idle", "{status:#}");
}

/// The real `telform watch ARGS` in `cwd`, its stdout gathered line by line as it comes.
struct Process {
    child: std::process::Child,
    stdout: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    fn start(cwd: &Path, env: &[(String, String)], args: &[&str]) -> Process {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_telform"))
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("watch")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("telform starts");
        let out = child.stdout.take().expect("stdout");
        let stdout = Arc::new(Mutex::new(String::new()));
        let reader = {
            let stdout = stdout.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    stdout.lock().expect("stdout").push_str(&format!("{line}\n"));
                }
            })
        };
        Process {
            child,
            stdout,
            reader: Some(reader),
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout").clone()
    }

    /// Waits for the exit: (status code, stderr).
    fn exit(mut self) -> (Option<i32>, String) {
        let started = Instant::now();
        while self.child.try_wait().expect("waitable").is_none() {
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("watch did not exit: {}", self.stdout());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut stderr).expect("stderr");
        }
        if let Some(reader) = self.reader.take() {
            reader.join().expect("reader");
        }
        (self.child.try_wait().expect("waited").and_then(|s| s.code()), stderr)
    }
}

#[test]
fn the_binary_on_its_working_folder_follows_a_fresh_clone_into_it() {
    // A service's `WorkingDirectory=…/manifests` and `telform watch .`, then a fresh clone there.
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    let process = Process::start(&dir, &emu.env, &["--interval", "1h", "--debounce", "100ms", "."]);
    eventually("the first reconcile", || process.stdout().contains("reconcile #1"));
    std::fs::remove_dir_all(&dir).expect("removed");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    write(
        &dir,
        "more.yaml",
        &crate::watch::numbers("more", FABRIKAM, "x", 33_170_000_200, 3),
    );
    eventually("the new folder planned", || process.stdout().contains("reconcile #2"));
    let stdout = process.stdout();
    assert!(stdout.contains("watching . again"), "{stdout}");
    let second = stdout.lines().find(|l| l.contains("reconcile #2")).expect("a line");
    assert!(
        second.contains("Plan: 14 to add"),
        "the new folder's three more numbers: {second}"
    );
    assert!(
        !stdout.contains("invalid"),
        "no reconcile read the folder half gone: {stdout}"
    );
    let pid = process.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let (code, stderr) = process.exit();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn the_binary_exits_1_when_its_folder_stays_gone() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    write(&dir, "fabrikam.yaml", &fabrikam("dr"));
    let process = Process::start(
        temp.path(),
        &emu.env,
        &["--interval", "1h", "--rewatch-timeout", "1s", "manifests"],
    );
    eventually("the first reconcile", || process.stdout().contains("reconcile #1"));
    std::fs::remove_dir_all(&dir).expect("removed");
    let (code, stderr) = process.exit();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: the manifest folder manifests has been gone for 1s"),
        "{stderr}"
    );
    assert!(stderr.contains("was deleted, replaced or unmounted"), "{stderr}");
}
