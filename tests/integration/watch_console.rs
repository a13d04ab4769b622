//! The status page of `telform watch` in a real browser: Debian's `chromium`, headless, driven
//! over WebDriver (`chromedriver`, Debian's `chromium-driver`) by `fantoccini`. Watch runs
//! in-process against the in-process emulator over loopback HTTP (the helpers of
//! [`crate::watch`]); the browser loads the page from watch's own server.
//!
//! Without `chromium` and `chromedriver` these tests say so loudly and pass, except when `CI`
//! is set: `.ci/run` installs both, so a CI run without them is a broken CI and fails.
//!
//! Each state is photographed (PNG) into `target/tmp/watch-console/` for review; two of the
//! pictures are in docs/watch.md.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use telform::watch::{ActionOptions, Token};

use crate::watch::{
    DEBOUNCE, Emu, FABRIKAM, NEVER, PATIENCE, TN, Watching, assert_well_formed, copy_dir, fabrikam, numbers,
    start_emulator, start_watch, start_watch_with_actions, write,
};

// ---------------------------------------------------------------------------------------------
// The browser

/// A headless Chromium session, and the `chromedriver` this test started for it.
struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

/// Whether `CI` asks for every test to run.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Starts `chromedriver` and a headless Chromium, or says why not: `None` outside CI when
/// they are not installed (the test then passes, loudly skipped).
fn browser(test: &str) -> Option<Browser> {
    let missing: Vec<&str> = ["chromium", "chromedriver"]
        .into_iter()
        .filter(|p| !on_path(p))
        .collect();
    if !missing.is_empty() {
        assert!(
            !in_ci(),
            "{} not installed in CI: .ci/run must install Debian's chromium and chromium-driver (test {test})",
            missing.join(" and ")
        );
        eprintln!(
            "\n!!! SKIPPED {test}: {} not installed (apt-get install chromium chromium-driver); .ci/run installs them\n",
            missing.join(" and ")
        );
        return None;
    }
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("address").port()
    };
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut browser = Browser {
        runtime,
        client: None,
        driver,
    };
    let url = format!("http://127.0.0.1:{port}");
    let capabilities: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--hide-scrollbars"]
        }
    }))
    .expect("capabilities");
    let deadline = Instant::now() + PATIENCE;
    let client = loop {
        let connected = browser.runtime.block_on(
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url),
        );
        match connected {
            Ok(client) => break client,
            // chromedriver takes a moment to listen.
            Err(error) => {
                assert!(Instant::now() < deadline, "no WebDriver session on {url}: {error}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    browser.client = Some(client);
    Some(browser)
}

impl Browser {
    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    fn goto(&self, addr: SocketAddr, path: &str) {
        self.runtime
            .block_on(self.client().goto(&format!("http://{addr}{path}")))
            .expect("the page loads");
    }

    /// The text of the first element `css` selects, as shown (hidden text excluded).
    fn text(&self, css: &str) -> String {
        self.runtime
            .block_on(async {
                let element = self.client().find(Locator::Css(css)).await?;
                element.text().await
            })
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}\n{}", self.source()))
    }

    fn exists(&self, css: &str) -> bool {
        self.runtime
            .block_on(self.client().find_all(Locator::Css(css)))
            .is_ok_and(|found| !found.is_empty())
    }

    fn displayed(&self, css: &str) -> bool {
        self.runtime
            .block_on(async { self.client().find(Locator::Css(css)).await?.is_displayed().await })
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    fn click(&self, css: &str) {
        self.runtime
            .block_on(async { self.client().find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}\n{}", self.source()));
    }

    /// Replaces what the input `css` holds with `text`, typed.
    fn type_into(&self, css: &str, text: &str) {
        self.runtime
            .block_on(async {
                let input = self.client().find(Locator::Css(css)).await?;
                input.clear().await?;
                input.send_keys(text).await
            })
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Presses Tab until `css` has the keyboard focus (at most `presses` times), then Enter.
    fn press_with_keyboard(&self, css: &str, presses: usize) {
        use fantoccini::key::Key;
        let id = css.trim_start_matches('#');
        for _ in 0..presses {
            let focused = self
                .runtime
                .block_on(async {
                    let active = self.client().active_element().await?;
                    active.send_keys(&char::from(Key::Tab).to_string()).await?;
                    self.client().active_element().await?.attr("id").await
                })
                .expect("keyboard");
            if focused.as_deref() == Some(id) {
                self.runtime
                    .block_on(async {
                        self.client()
                            .active_element()
                            .await?
                            .send_keys(&char::from(Key::Enter).to_string())
                            .await
                    })
                    .expect("Enter");
                return;
            }
        }
        panic!("{css} is not reached with Tab in {presses} presses");
    }

    /// Runs `script` in the page and returns what it returns.
    fn script(&self, script: &str) -> Value {
        self.runtime
            .block_on(self.client().execute(script, vec![]))
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    fn source(&self) -> String {
        self.runtime.block_on(self.client().source()).unwrap_or_default()
    }

    fn resize(&self, width: u32, height: u32) {
        self.runtime
            .block_on(self.client().set_window_size(width, height))
            .expect("window resized");
    }

    /// Loads `path` again until `done` holds on the page, or fails with the page after PATIENCE.
    fn wait_for(&self, addr: SocketAddr, path: &str, what: &str, done: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.goto(addr, path);
            if done(self) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} on the page:\n{}",
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the window, into `target/tmp/watch-console/NAME.png`.
    fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.runtime.block_on(self.client().screenshot()).expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("watch-console");
        std::fs::create_dir_all(&dir).expect("folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("written");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Requests a browser of another site would make

/// A raw HTTP/1.1 POST with `headers`: (status, body).
fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("response");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    (code, body.to_string())
}

/// The token the page embeds in its action forms.
fn csrf(addr: SocketAddr) -> String {
    let (_, _, page) = crate::watch::get(addr, "/");
    let at = page.find("name=\"csrf\" value=\"").expect("an action form") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().expect("a value").to_string()
}

fn git(repo: &Path, args: &[&str]) {
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
}

fn head(repo: &Path) -> String {
    let output = Command::new("git")
        .current_dir(repo)
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("git runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// The tests

/// The overview lists every account and customer of the examples with its state, the filter
/// narrows it, the commit is shown and a committed edit shows as pending with its diff.
#[test]
fn the_overview_lists_the_examples_and_an_edit_shows_as_pending_with_its_diff() {
    let Some(browser) = browser("the_overview_lists_the_examples_and_an_edit_shows_as_pending_with_its_diff") else {
        return;
    };
    let emu: Emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    copy_dir(&crate::root().join("examples"), &repo.to_path_buf());
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "the examples"]);
    let first = head(repo);
    // A password the examples name: never on the page, whatever the page shows of the plan.
    let secret = "a-password-from-the-vault-7d1e";
    let mut env = emu.env.clone();
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), secret.into()));
    let w = start_watch(repo, &env, false, NEVER, DEBOUNCE);
    w.wait_reconciles(1);

    browser.goto(w.addr, "/");
    assert_well_formed(&crate::watch::get(w.addr, "/").2);
    for (provider, name) in [
        ("acg", "contoso"),
        ("acg", "fabrikam-mobile"),
        ("acg", "tailspin"),
        ("acg", "litware-legacy"),
        ("webex", "ACME-0001"),
        ("webex", "GLOBEX-0042"),
    ] {
        let row = format!("#group-{provider}-{name}");
        assert!(browser.exists(&row), "{row} missing:\n{}", browser.source());
        assert!(browser.text(&format!("{row} th")).contains(name));
    }
    // A customer is shown by its manifest's name and its external id.
    assert_eq!(browser.text("#group-webex-ACME-0001 th"), "acme (ACME-0001)");
    assert_eq!(browser.text("#commit"), first);
    let lang = browser
        .runtime
        .block_on(async { browser.client().find(Locator::Css("html")).await?.attr("lang").await })
        .expect("html");
    assert_eq!(lang.as_deref(), Some("en"));
    browser.screenshot("overview");

    // The filter keeps what matches, by name or by state, and the page's own refresh keeps it.
    browser.type_into("#filter", "globex");
    assert!(browser.displayed("#group-webex-GLOBEX-0042"));
    assert!(!browser.displayed("#group-acg-contoso"));
    browser.script("document.getElementById('live').dataset.before = 'refresh';");
    let deadline = Instant::now() + PATIENCE;
    while browser.script("return document.getElementById('live').dataset.before || null;") != Value::Null {
        assert!(Instant::now() < deadline, "the page never refreshed itself");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        browser.script("return document.getElementById('filter').value;"),
        "globex"
    );
    assert!(browser.displayed("#group-webex-GLOBEX-0042"));
    assert!(
        !browser.displayed("#group-acg-contoso"),
        "the refreshed rows are filtered too"
    );

    // The examples are not applied to the emulator's demo data: every account is pending.
    // An edit, committed, shows in contoso's diff, with the new commit.
    browser.goto(w.addr, "/");
    assert_eq!(browser.text("#group-acg-contoso .state"), "changes pending");
    browser.click("#group-acg-contoso-plan summary");
    let before = browser.text("#group-acg-contoso-plan pre");
    assert!(
        before.contains("Account contoso") && before.contains("contoso-redmond"),
        "{before}"
    );
    assert!(!before.contains("contoso-hq"), "{before}");
    let path = repo.join("acg/contoso.yaml");
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.contains("customSipHeader: contoso-redmond\n"), "{text}");
    std::fs::write(
        &path,
        text.replace("customSipHeader: contoso-redmond\n", "customSipHeader: contoso-hq\n"),
    )
    .expect("written");
    git(repo, &["commit", "-q", "-am", "contoso: a new header"]);
    let second = head(repo);
    assert_ne!(first, second);
    w.wait("the edit planned", |s| {
        s["reconciles"].as_u64() >= Some(2) && s["state"] == "idle" && s["commit"]["id"] == second.as_str()
    });
    browser.goto(w.addr, "/");
    assert_eq!(browser.text("#commit"), second, "the commit watch is on now");
    assert_eq!(browser.text("#group-acg-contoso .state"), "changes pending");
    browser.type_into("#filter", "contoso");
    assert!(browser.displayed("#group-acg-contoso"));
    assert!(!browser.displayed("#group-acg-tailspin"));
    // The diff, as `telform plan` prints it, behind a keyboard-operable disclosure.
    browser.click("#group-acg-contoso-plan summary");
    let diff = browser.text("#group-acg-contoso-plan pre");
    assert!(diff.contains("customSipHeader: \"contoso-hq\""), "{diff}");
    assert!(diff.contains("to add"), "{diff}");
    browser.screenshot("pending");
    let (_, _, status) = crate::watch::get(w.addr, "/status");
    assert!(!browser.source().contains(secret) && !status.contains(secret));

    // Readable on a phone: nothing wider than the screen but the tables' own scroll boxes.
    browser.resize(390, 844);
    browser.goto(w.addr, "/");
    let overflow = browser.script("return document.body.scrollWidth - window.innerWidth;");
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "the page scrolls sideways by {overflow}"
    );
    browser.screenshot("phone");
    drop(w);
}

/// Drift made through the provider's API appears on the page, is corrected with `--apply`,
/// and stays there (and in the store's history, with the run's object changes).
#[test]
fn drift_through_the_api_is_corrected_and_stays_in_the_history() {
    let Some(browser) = browser("drift_through_the_api_is_corrected_and_stays_in_the_history") else {
        return;
    };
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(dir, &emu.env, true, Duration::from_secs(1), DEBOUNCE);
    w.wait_reconciles(1);
    browser.goto(w.addr, "/");
    assert_eq!(browser.text(&format!("#group-acg-{FABRIKAM} .state")), "in sync");
    assert!(browser.exists("#no-drift"));
    assert_eq!(browser.text("#commit"), "not a Git checkout");

    emu.edit_behind_the_back(FABRIKAM, TN, "portal-edit");
    let status = w.wait("drift corrected", |s| s["drift"]["corrected"] == 1);
    // The next drift checks find nothing: the drift must stay on the page all the same.
    let after = status["reconciles"].as_u64().expect("count");
    w.wait_reconciles(after + 2);
    // Tall enough for the history in the picture.
    browser.resize(1280, 1300);
    browser.goto(w.addr, "/");
    let drift = browser.text("#drift-seen tbody tr");
    assert!(drift.contains(TN) && drift.contains("portal-edit"), "{drift}");
    assert!(drift.contains("corrected at"), "{drift}");
    assert_eq!(browser.text(&format!("#group-acg-{FABRIKAM} .state")), "in sync");
    // The store's history: the first apply and the correction, newest first.
    let rows = browser
        .runtime
        .block_on(browser.client().find_all(Locator::Css("#history tbody tr")))
        .expect("history rows");
    assert_eq!(rows.len(), 2, "{}", browser.source());
    assert!(browser.text("#history tbody tr").contains("applied"));
    browser.screenshot("drift-corrected");

    browser.click("#history tbody tr a");
    let changes = browser.text("#changes");
    assert!(changes.contains(TN), "{changes}");
    assert!(changes.contains("customSipHeader"), "{changes}");
    assert!(changes.contains("\"portal-edit\" → \"dr\""), "{changes}");
    browser.screenshot("run");
    assert_eq!(crate::watch::get(w.addr, "/runs/999999").0, 404);
    assert_eq!(crate::watch::get(w.addr, "/runs/x").0, 404);
    drop(w);
}

/// A broken manifest: the error is current (and counts as a failure); fixed, it is marked
/// resolved and never shown as current under a green state.
#[test]
fn a_broken_manifest_shows_its_error_then_resolved() {
    let Some(browser) = browser("a_broken_manifest_shows_its_error_then_resolved") else {
        return;
    };
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let w = start_watch(dir, &emu.env, true, NEVER, DEBOUNCE);
    w.wait_reconciles(1);
    write(
        dir,
        "broken.yaml",
        &numbers("broken", FABRIKAM, "x", 33_170_000_200, 1).replace("+33170000200\", to", "0170000200\", to"),
    );
    let status = w.wait("an invalid reconcile", |s| {
        s["last_reconcile"]["outcome"] == "invalid" && s["state"] == "idle"
    });
    // One save is one reconcile, or two when a loaded machine spreads its events over more
    // than the debounce: each counts.
    let failures = status["failures"].as_u64().expect("a count");
    assert!(failures >= 1, "invalid manifests count as a failure: {status:#}");
    browser.goto(w.addr, "/");
    assert_eq!(browser.text("#outcome"), "invalid");
    let error = browser.text("#current-error");
    assert!(error.contains("broken.yaml"), "{error}");
    assert!(error.contains(&format!("{failures} in a row")), "{error}");
    assert!(browser.text("#errors tbody tr").contains("current"));
    browser.screenshot("error");

    std::fs::remove_file(dir.join("broken.yaml")).expect("removed");
    let status = w.wait("a good reconcile", |s| {
        s["last_reconcile"]["outcome"] == "in-sync" && s["state"] == "idle"
    });
    assert!(status["last_error"]["resolved_at"].is_string(), "{status:#}");
    assert_eq!(status["failures"], 0, "{status:#}");
    browser.goto(w.addr, "/");
    assert_eq!(browser.text("#outcome"), "in sync");
    assert!(!browser.exists("#current-error"), "{}", browser.source());
    let resolved = browser.text("#errors tbody tr");
    assert!(resolved.contains("resolved at"), "{resolved}");
    browser.click("#error-0 summary");
    assert!(browser.text("#error-0 pre").contains("broken.yaml"));
    browser.screenshot("error-resolved");
    drop(w);
}

/// "Reconcile now" and pause / resume: absent and refused (403) without `--allow-actions`;
/// with it, they work from the page, and a request from another site is refused.
#[test]
fn reconcile_now_and_pause_work_only_with_allow_actions_and_never_cross_site() {
    let Some(browser) = browser("reconcile_now_and_pause_work_only_with_allow_actions_and_never_cross_site") else {
        return;
    };
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));

    // Without --allow-actions: no button, no switch, and the endpoints refuse.
    let w = start_watch(dir, &emu.env, true, NEVER, DEBOUNCE);
    w.wait_reconciles(1);
    browser.goto(w.addr, "/");
    assert!(browser.exists("#actions-off"));
    assert!(!browser.exists("#reconcile-now") && !browser.exists("#pause"));
    for path in ["/actions/reconcile", "/actions/pause", "/actions/resume"] {
        let (code, body) = post(w.addr, path, &[], "csrf=anything");
        assert_eq!(code, 403, "{path}: {body}");
        assert!(body.contains("--allow-actions"), "{body}");
    }
    assert_eq!(crate::watch::get(w.addr, "/actions/reconcile").0, 405, "POST only");
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(w.status()["reconciles"], 1, "nothing was reconciled");
    drop(w);

    let w: Watching = start_watch_with_actions(
        dir,
        &emu.env,
        true,
        NEVER,
        DEBOUNCE,
        None,
        ActionOptions {
            allow: true,
            token: None,
        },
    );
    w.wait_reconciles(1);
    browser.goto(w.addr, "/");
    browser.screenshot("actions");
    // Keyboard only: Tab to the button, Enter.
    browser.press_with_keyboard("#reconcile-now", 10);
    let status = w.wait_reconciles(2);
    assert_eq!(status["last_reconcile"]["trigger"], "manual", "{status:#}");

    // Another site's page posting to watch: refused however it is dressed.
    let token = csrf(w.addr);
    let form = format!("csrf={token}");
    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Origin", "null")],
        vec![("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "same-site")],
    ] {
        let (code, body) = post(w.addr, "/actions/reconcile", &headers, &form);
        assert_eq!(code, 403, "{headers:?}: {body}");
    }
    let (code, body) = post(w.addr, "/actions/reconcile", &[], "csrf=guessed");
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("reload the page"), "{body}");
    let (code, _) = post(w.addr, "/actions/reconcile", &[], "");
    assert_eq!(code, 403);
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(w.status()["reconciles"], 2, "no refused request reconciled");

    // Paused: a change is planned, not applied, and the page says so.
    browser.click("#pause");
    browser.wait_for(w.addr, "/", "the paused banner", |b| b.exists("#paused"));
    assert_eq!(browser.text("#pause"), "Resume applying");
    write(dir, "fabrikam.yaml", &fabrikam("dr-paused"));
    let status = w.wait("the change planned while paused", |s| {
        s["last_reconcile"]["outcome"] == "pending" && s["state"] == "idle"
    });
    assert_eq!(status["paused"], true, "{status:#}");
    assert_eq!(emu.header(TN).as_deref(), Some("dr"), "nothing applied while paused");
    browser.goto(w.addr, "/");
    assert_eq!(
        browser.text(&format!("#group-acg-{FABRIKAM} .state")),
        "changes pending"
    );
    browser.screenshot("paused");

    // Resumed: what waited is applied at once.
    browser.click("#pause");
    crate::watch::eventually("the change applied on resume", || {
        emu.header(TN).as_deref() == Some("dr-paused")
    });
    browser.wait_for(w.addr, "/", "the switch back", |b| b.text("#pause") == "Pause applying");
    assert!(!browser.exists("#paused"));
    drop(w);
}

/// With a bearer token (required off loopback), an action needs it; the page never shows it.
#[test]
fn actions_need_the_bearer_token_when_watch_has_one() {
    let emu = start_emulator("");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(dir, "fabrikam.yaml", &fabrikam("dr"));
    let secret = "watch-token-3f9c0e";
    let w = start_watch_with_actions(
        dir,
        &emu.env,
        false,
        NEVER,
        DEBOUNCE,
        None,
        ActionOptions {
            allow: true,
            token: Token::new(secret.into()),
        },
    );
    w.wait_reconciles(1);
    let form = format!("csrf={}", csrf(w.addr));
    let (code, body) = post(w.addr, "/actions/reconcile", &[], &form);
    assert_eq!(code, 401, "{body}");
    let (code, _) = post(
        w.addr,
        "/actions/reconcile",
        &[("Authorization", "Bearer wrong")],
        &form,
    );
    assert_eq!(code, 401);
    let bearer = format!("Bearer {secret}");
    let (code, _) = post(w.addr, "/actions/reconcile", &[("Authorization", &bearer)], &form);
    assert_eq!(code, 303);
    w.wait_reconciles(2);
    let (_, _, page) = crate::watch::get(w.addr, "/");
    let (_, _, status) = crate::watch::get(w.addr, "/status");
    assert!(page.contains("id=\"token\""), "the page asks for the token");
    assert!(!page.contains(secret) && !status.contains(secret) && !w.log().contains(secret));

    // In the browser: the token typed into the page goes with the action, as a header.
    let Some(browser) = browser("actions_need_the_bearer_token_when_watch_has_one") else {
        return;
    };
    browser.goto(w.addr, "/");
    browser.type_into("#token", secret);
    browser.click("#reconcile-now");
    let status = w.wait_reconciles(3);
    assert_eq!(status["last_reconcile"]["trigger"], "manual", "{status:#}");
    assert!(
        !browser.source().contains(secret),
        "the token is never written into the page"
    );
}

/// Actions on an address other machines reach, without a bearer token: watch refuses to start,
/// and says where the token comes from.
#[test]
fn actions_off_loopback_without_a_token_refuse_to_start() {
    let temp = tempfile::tempdir().expect("temp dir");
    write(temp.path(), "fabrikam.yaml", &fabrikam("dr"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_telform"))
        .current_dir(temp.path())
        .env("NO_COLOR", "1")
        .env_remove("TELFORM_WATCH_TOKEN")
        .args(["watch", "--listen", "0.0.0.0:0", "--allow-actions", "."])
        .output()
        .expect("telform runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--allow-actions on 0.0.0.0:0 needs a bearer token") && stderr.contains("TELFORM_WATCH_TOKEN"),
        "{stderr}"
    );
}
