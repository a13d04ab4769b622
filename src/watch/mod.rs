//! `telform watch`: the GitOps loop on a manifest folder, in the manner of Argo CD's and
//! Flux's reconcilers.
//!
//! One reconcile at a time: validate → read live → plan (`crate::reconcile`), then with
//! `--apply` apply (`crate::apply`). What starts one:
//!
//! - file changes, once the folder has been quiet for `--debounce` (an editor's save, a
//!   `git pull` of hundreds of files and a `git checkout` each become one reconcile; a Git
//!   command still running holds it back until it is done);
//! - the periodic drift check every `--interval` (±10% jitter, so that many watchers do not
//!   call a provider in step);
//! - after a failure, the retry, with an exponential backoff (capped).
//!
//! Changes that arrive during a reconcile are gathered and make exactly one more. An invalid
//! manifest set is never planned nor applied: nothing changes on the providers (the last
//! valid set stays in force) and the periodic check pauses until a change makes the set valid
//! again, since there is nothing valid to compare live state with.
//!
//! Drift is told apart from pending Git changes by comparison with the previous reconcile: when
//! the manifest files have not changed since then (same paths, sizes and times), an action the
//! previous reconcile did not leave behind can only come from a change made outside Git.

pub mod events;
pub mod metrics;
pub mod notify;
pub mod page;
pub mod server;
pub mod status;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::apply::secrets::EnvLookup;
use crate::apply::{self, report};
use crate::clock::human;
use crate::model::Stop;
use crate::model::plan::{Action, ObjectRef, Op};
use crate::provider::Provider;
use crate::provider::config::Trusted;
use crate::reconcile::guard::{self, Guard, StoreConfig};
use crate::reconcile::{self, Failure, PlanOptions, Planned};
use events::{Batch, Classifier, Root, Watcher};
use metrics::{Metrics, ProviderCalls};
pub use server::Token;
use server::{Actions, Console, Health, Ops, Server, Shared, lock};
use status::{CallCounts, Calls, Drift, Outcome, Record, State, Status, Trigger};

/// A change is never held back longer than this by a Git command that keeps the index locked
/// (a crashed one leaves `index.lock` behind) or keeps writing.
const GIT_WAIT_MAX: Duration = Duration::from_secs(60);
/// The first retry after a failure; each next one waits twice as long, up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How often the loop checks that the manifest folder's path still leads to the folder it
/// watches (a replacement the watcher cannot report: a rename onto the path, an unmount).
const ROOT_CHECK: Duration = Duration::from_secs(2);
/// How often the loop looks for the folder again while it is gone.
const ROOT_POLL: Duration = Duration::from_millis(100);
/// How long notifications still queued at the end get to be delivered.
const NOTIFY_FLUSH: Duration = Duration::from_secs(5);

/// How watch runs (from the command line).
#[derive(Debug)]
pub struct Config {
    /// The manifest folder.
    pub dir: PathBuf,
    /// Apply changes and correct drift; without it, only report.
    pub apply: bool,
    /// Between two drift checks.
    pub interval: Duration,
    /// How long the folder must be quiet after a change before a reconcile.
    pub debounce: Duration,
    /// Where to serve `/healthz`, `/status` and `/`.
    pub listen: Option<Listener>,
    /// One reconcile, then return.
    pub once: bool,
    pub output: LogFormat,
    /// Generated SIP passwords go to `FILE.<time>` (a secrets file is never overwritten).
    pub secrets_out: Option<PathBuf>,
    /// With `apply`: the store of the apply lock and the history (none: no lock, no history).
    pub store: Option<StoreConfig>,
    /// Notifications, health and the folder's replacement.
    pub ops: OpsConfig,
    /// The status page's actions.
    pub actions: ActionOptions,
}

/// `--allow-actions` and the bearer token that guards the actions.
#[derive(Debug, Default)]
pub struct ActionOptions {
    /// "Reconcile now" and pause / resume on the status page.
    pub allow: bool,
    /// From the trusted configuration (`TELFORM_WATCH_TOKEN`); required off loopback.
    pub token: Option<Token>,
}

/// `--notify`, `--healthz-max-age` and `--rewatch-timeout` (docs/watch.md, "Metrics, alerts
/// and health").
#[derive(Debug, Clone)]
pub struct OpsConfig {
    /// Webhooks told of failures, drift and applied changes.
    pub notify: Vec<notify::Target>,
    pub notify_retry: notify::Retry,
    /// `/healthz` fails when no reconcile has succeeded for this long.
    pub healthz_max_age: Duration,
    /// How long a deleted or replaced manifest folder may stay away before watch exits.
    pub rewatch_timeout: Duration,
}

impl Default for OpsConfig {
    fn default() -> OpsConfig {
        OpsConfig {
            notify: Vec::new(),
            notify_retry: notify::Retry::default(),
            healthz_max_age: DEFAULT_HEALTHZ_MAX_AGE,
            rewatch_timeout: DEFAULT_REWATCH_TIMEOUT,
        }
    }
}

/// `--healthz-max-age`'s default: a dozen failed retries at the longest back-off.
pub const DEFAULT_HEALTHZ_MAX_AGE: Duration = Duration::from_secs(3600);
/// `--rewatch-timeout`'s default: long enough for a fresh clone of a large repository.
pub const DEFAULT_REWATCH_TIMEOUT: Duration = Duration::from_secs(300);

/// The status endpoint's socket: an address, or a listener bound beforehand (tests bind
/// `127.0.0.1:0` themselves, so no port is ever guessed).
#[derive(Debug)]
pub enum Listener {
    Addr(SocketAddr),
    Bound(std::net::TcpListener),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One line per reconcile for people; details (diagnostics, failures) on stderr.
    Text,
    /// One JSON object per line on stdout, details included.
    Json,
}

/// Where watch writes (the command's printer; tests capture it).
pub struct Printer {
    pub out: Box<dyn Fn(&str) + Send + Sync>,
    pub err: Box<dyn Fn(&str) + Send + Sync>,
}

/// Asks the loop to stop: the apply in progress finishes its writes in flight and starts
/// nothing new, then the loop returns.
#[derive(Debug, Clone)]
pub struct Shutdown {
    stop: Stop,
    flag: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown {
            stop: Stop::default(),
            flag: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Shutdown {
    pub fn request(&self) {
        self.stop.request();
        self.flag.send_replace(true);
    }

    pub fn requested(&self) -> bool {
        *self.flag.borrow()
    }

    async fn wait(&self) {
        let mut rx = self.flag.subscribe();
        // An error means the sender is gone, which cannot happen while `self` holds it.
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// What the loop reads from its surroundings.
pub struct Deps<'a> {
    /// The provider configuration and the SIP password policy.
    pub trusted: Trusted<'a>,
    /// Variables named by `sipPassword.fromEnv`.
    pub secrets: EnvLookup<'a>,
    pub printer: &'a Printer,
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Asked to stop (a signal).
    Stopped,
    /// `--once`: the outcome of its reconcile.
    Once(Outcome),
}

/// Runs watch until `shutdown` (or after one reconcile with `--once`). Errors are the ones that
/// keep it from starting (a missing folder, a port in use).
pub async fn run(mut config: Config, deps: Deps<'_>, shutdown: Shutdown) -> Result<Ended, String> {
    if config.interval.is_zero() {
        return Err("--interval must be more than 0\nhint: e.g. --interval 5m".into());
    }
    let dir = std::fs::canonicalize(&config.dir).map_err(|e| {
        format!(
            "cannot watch {}: {e}\nhint: give the manifest folder, a checkout of the manifest repository",
            config.dir.display()
        )
    })?;
    if !dir.is_dir() {
        return Err(format!(
            "{} is not a folder: watch follows a manifest folder\nhint: give the folder that holds telform.yaml and the manifests",
            config.dir.display()
        ));
    }
    let root = Root::find(&config.dir).map_err(|e| format!("cannot watch {}: {e}", config.dir.display()))?;
    let classifier = Classifier::new(&dir, config.secrets_out.as_deref());
    let ops = Ops {
        metrics: Arc::new(Metrics::new()),
        health: Arc::new(Health::new(config.ops.healthz_max_age)),
    };
    let shared: Shared = Arc::new(Mutex::new(Status::new(
        config.dir.display().to_string(),
        config.apply,
        config.interval,
        config.debounce,
    )));
    let actions = Arc::new(Actions::new(config.actions.allow, config.actions.token.take()));
    let console = Console {
        shared: shared.clone(),
        actions: actions.clone(),
        store: config.store.clone(),
        estates: guard::estates(deps.trusted),
        ops: ops.clone(),
    };
    let server = match config.listen.take() {
        Some(Listener::Addr(addr)) => {
            server::check_exposure(addr, &actions)?;
            Some(Server::start(addr, console).await?)
        }
        Some(Listener::Bound(listener)) => {
            let addr = listener.local_addr().map_err(|e| format!("cannot listen: {e}"))?;
            server::check_exposure(addr, &actions)?;
            Some(Server::start_on(listener, addr, console).await?)
        }
        None => None,
    };
    // Watching starts before the first reconcile, so that a change made during it is seen.
    let watcher = if config.once {
        None
    } else {
        Some(events::watch(classifier.clone(), config.debounce)?)
    };
    ops.metrics.watcher_up(watcher.is_some());
    // Webhook deliveries run beside the loop (polled with it below), never inside a reconcile.
    let report_delivery = {
        let (printer, output, metrics) = (deps.printer, config.output, ops.metrics.clone());
        move |target: &notify::Target, event: notify::Event, delivered: &notify::Delivered| {
            let dropped = match delivered {
                notify::Delivered::Yes { .. } => None,
                notify::Delivered::Dropped { attempts, last } => Some(format!(
                    "warning: the {} notification to {} was dropped after {}: {last}",
                    event.name(),
                    target.display(),
                    crate::diag::counted(*attempts as usize, "attempt")
                )),
            };
            metrics.notified(dropped.is_none());
            if let Some(message) = dropped {
                say_to(printer, output, "warning", &message);
            }
        }
    };
    let (notifier, deliveries) = notify::start(&config.ops.notify, config.ops.notify_retry, &report_delivery);
    let mut lp = Loop {
        config: &config,
        deps,
        shared: shared.clone(),
        classifier,
        shutdown,
        number: 0,
        baseline: None,
        changed: BTreeSet::new(),
        failures: 0,
        leadership: guard::Leadership::new(),
        leading: None,
        ops: ops.clone(),
        notifier: (!config.ops.notify.is_empty()).then_some(notifier),
        failure_notified: false,
        dir: config.dir.clone(),
        root,
        actions,
    };
    lp.say(
        "start",
        &format!(
            "watching {} ({}; drift check every {}, debounce {}){}",
            config.dir.display(),
            if config.apply {
                "applying changes"
            } else {
                "reporting only: add --apply to apply"
            },
            human(config.interval),
            human(config.debounce),
            server
                .as_ref()
                .map(|s| format!("; status on http://{}/", s.addr))
                .unwrap_or_default()
        ),
    );
    if config.secrets_out.is_some() && !config.apply {
        lp.say(
            "warning",
            "warning: --secrets-out has no effect without --apply: watch only reports, it sets no password",
        );
    }
    if let Some(warning) = watcher.as_ref().and_then(|w| w.warning.clone()) {
        lp.say("warning", &format!("warning: {warning}"));
    }
    // `/healthz` turns 503 as soon as a signal arrives, while the writes in flight finish.
    let stopping = {
        let (shared, shutdown) = (shared.clone(), lp.shutdown.clone());
        tokio::spawn(async move {
            shutdown.wait().await;
            lock(&shared).state = State::Stopping;
        })
    };
    let mut deliveries = std::pin::pin!(deliveries);
    let mut deliveries_ended = false;
    let ended = {
        let run = lp.run(watcher);
        let mut run = std::pin::pin!(run);
        tokio::select! {
            ended = &mut run => ended,
            // Only without targets (no queue to wait on): then the loop alone.
            () = &mut deliveries => {
                deliveries_ended = true;
                run.await
            }
        }
    };
    stopping.abort();
    // What is still queued gets a moment to go out (a failure's alert, typically).
    lp.notifier = None;
    if !deliveries_ended && tokio::time::timeout(NOTIFY_FLUSH, &mut deliveries).await.is_err() {
        lp.say(
            "warning",
            "warning: notifications still undelivered at the stop were dropped",
        );
    }
    let ended = match ended {
        Ok(ended) => ended,
        Err(message) => {
            lock(&shared).state = State::Stopped;
            if let Some(server) = server {
                server.stop().await;
            }
            return Err(message);
        }
    };
    lock(&shared).state = State::Stopped;
    if let Some(server) = server {
        server.stop().await;
    }
    let reconciles = lp.number;
    lp.say(
        "stop",
        &match ended {
            Ended::Stopped => format!(
                "watch stopped after {}",
                crate::diag::counted(reconciles as usize, "reconcile")
            ),
            Ended::Once(outcome) => format!("watch --once: {}", outcome.label()),
        },
    );
    Ok(ended)
}

/// The state a reconcile compares the next one with.
struct Baseline {
    /// [`events::fingerprint`] of the manifests it planned.
    fingerprint: u64,
    /// The actions it left behind: not applied (no `--apply`) or failed.
    residual: HashSet<String>,
}

struct Loop<'a> {
    config: &'a Config,
    deps: Deps<'a>,
    shared: Shared,
    classifier: Classifier,
    shutdown: Shutdown,
    number: u64,
    baseline: Option<Baseline>,
    /// Manifest files changed since the last reconcile started.
    changed: BTreeSet<PathBuf>,
    /// Consecutive failed reconciles.
    failures: u32,
    /// With --apply and a store: whether this replica leads (applies) or stands by.
    leadership: guard::Leadership,
    /// The role last said in the log.
    leading: Option<bool>,
    /// Metrics and health, which the server serves.
    ops: Ops,
    /// With `--notify`: the webhooks' queues.
    notifier: Option<notify::Notifier>,
    /// A failure was notified and no reconcile has succeeded since.
    failure_notified: bool,
    /// The folder watched, to tell when its path leads elsewhere.
    root: Root,
    /// Where reconciles read the manifests: the folder as given, then, once it was replaced,
    /// its absolute path (a relative one may go through the deleted folder: `.`).
    dir: PathBuf,
    /// What the status page asks: reconcile now, pause applying.
    actions: Arc<Actions>,
}

impl Loop<'_> {
    /// Reconciles until asked to stop. An error: watching stopped working, and watch must
    /// exit with a failure so that its supervisor restarts it.
    async fn run(&mut self, mut watcher: Option<Watcher>) -> Result<Ended, String> {
        let mut next_check = Instant::now();
        let mut trigger_next = Trigger::Start;
        // Changes waiting for the folder to be quiet: until when, and since when.
        let mut quiet_until: Option<Instant> = None;
        let mut pending_since: Option<Instant> = None;
        let mut retry_at: Option<Instant> = None;
        let mut paused = false;
        let mut root_check = tokio::time::interval(ROOT_CHECK);
        root_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut asked = false;
        let actions = self.actions.clone();
        loop {
            if self.shutdown.requested() {
                return Ok(Ended::Stopped);
            }
            // What comes next: a change wins over a retry, a retry replaces the periodic check.
            let (due, trigger) = match (quiet_until, retry_at) {
                _ if asked => (Instant::now(), Trigger::Manual),
                (Some(q), Some(r)) if r < q => (r, Trigger::Retry),
                (Some(q), _) => (q, Trigger::Change),
                (None, Some(r)) => (r, Trigger::Retry),
                (None, None) if paused => (Instant::now() + Duration::from_secs(86_400 * 365), trigger_next),
                (None, None) => (next_check, trigger_next),
            };
            {
                let mut status = lock(&self.shared);
                if status.state != State::Stopping {
                    status.state = State::Idle;
                }
                status.next_reconcile_at = (!paused || quiet_until.is_some() || retry_at.is_some())
                    .then(|| status::timestamp(SystemTime::now() + due.saturating_duration_since(Instant::now())));
            }
            let watching = watcher.is_some();
            let next_event = async {
                match watcher.as_mut() {
                    Some(w) => w.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            let mut root_gone = false;
            tokio::select! {
                biased;
                () = self.shutdown.wait() => return Ok(Ended::Stopped),
                _ = root_check.tick(), if watching => {
                    root_gone = !self.root.still_there();
                    if !root_gone {
                        continue;
                    }
                }
                () = actions.wake.notified() => {
                    asked = true;
                    continue;
                }
                batch = next_event => {
                    match batch {
                        Some(Batch::RootGone) => root_gone = true,
                        Some(Batch::Events { changed, git, at }) => {
                            if !changed.is_empty() {
                                self.changed.extend(changed);
                                lock(&self.shared).pending.files = self.changed.len();
                                pending_since.get_or_insert(at);
                                quiet_until = Some(at + self.config.debounce);
                            } else if git && quiet_until.is_some() {
                                // A Git command is still writing the checkout: wait for it.
                                quiet_until = Some(at + self.config.debounce);
                            }
                        }
                        Some(Batch::Error(message)) => {
                            // Events may have been lost with the error: reconcile to be sure.
                            self.say("warning", &format!("warning: file watching: {message}; reconciling in case a change was missed"));
                            pending_since.get_or_insert(Instant::now());
                            quiet_until = Some(Instant::now() + self.config.debounce);
                        }
                        None => {
                            // The watcher thread is gone: only the periodic check would still
                            // run, which is not what the operator asked for.
                            return Err("file watching stopped unexpectedly\nhint: restart telform watch (systemd's Restart=on-failure does)".into());
                        }
                    }
                    if !root_gone {
                        continue;
                    }
                }
                () = tokio::time::sleep_until(due.into()) => {}
            }
            // A reconcile never reads a folder that has gone (the watcher may report the removal
            // of its files before its own).
            if watching && !root_gone && !self.root.still_there() {
                root_gone = true;
            }
            if root_gone {
                // Whatever is at the path now is reconciled once it has been quiet.
                match self.rewatch().await? {
                    Some(new) => watcher = Some(new),
                    None => return Ok(Ended::Stopped),
                }
                self.changed.insert(PathBuf::new());
                lock(&self.shared).pending.files = self.changed.len();
                pending_since = Some(Instant::now());
                quiet_until = Some(Instant::now() + self.config.debounce);
                continue;
            }
            if trigger == Trigger::Change
                && self.classifier.git_busy()
                && pending_since.is_some_and(|since| since.elapsed() < GIT_WAIT_MAX)
            {
                // `index.lock` goes away when Git is done; its removal is an event too.
                quiet_until = Some(Instant::now() + self.config.debounce);
                continue;
            }
            quiet_until = None;
            pending_since = None;
            asked = false;
            let files = std::mem::take(&mut self.changed);
            lock(&self.shared).pending.files = 0;
            let record = self.reconcile(trigger, files.len()).await;
            if self.config.once {
                return Ok(Ended::Once(record.outcome));
            }
            match record.outcome {
                Outcome::Interrupted => return Ok(Ended::Stopped),
                Outcome::Failed => retry_at = record.retry_in_ms.map(|ms| Instant::now() + Duration::from_millis(ms)),
                _ => retry_at = None,
            }
            paused = record.outcome == Outcome::Invalid;
            next_check = Instant::now() + jittered(self.config.interval);
            trigger_next = Trigger::Interval;
        }
    }

    /// The manifest folder was deleted, replaced or unmounted: waits for a folder at its path
    /// and watches that one. `None`: asked to stop meanwhile. An error: none came within
    /// `--rewatch-timeout`, or it cannot be watched; watch exits for its supervisor to act.
    async fn rewatch(&mut self) -> Result<Option<Watcher>, String> {
        let given = self.config.dir.display().to_string();
        self.ops.metrics.watcher_up(false);
        self.ops.health.unwatched(Some(format!(
            "the manifest folder {given} was deleted, replaced or unmounted; waiting for it"
        )));
        self.say(
            "warning",
            &format!(
                "warning: the manifest folder {given} was deleted, replaced or unmounted: waiting up to {} for a folder at its path",
                human(self.config.ops.rewatch_timeout)
            ),
        );
        let deadline = Instant::now() + self.config.ops.rewatch_timeout;
        let root = loop {
            // Any folder: even one with the old inode number is new (a number is reused as
            // soon as the folder it numbered is deleted).
            if let Ok(root) = self.root.again() {
                break root;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the manifest folder {given} has been gone for {}: watch cannot follow it any more\nhint: check what removed or replaced it (a deploy script, an unmount); watch exits so that its service manager restarts it (--rewatch-timeout sets the wait)",
                    human(self.config.ops.rewatch_timeout)
                ));
            }
            tokio::select! {
                () = self.shutdown.wait() => return Ok(None),
                () = tokio::time::sleep(ROOT_POLL) => {}
            }
        };
        self.classifier = Classifier::new(&root.canonical, self.config.secrets_out.as_deref());
        let watcher = events::watch(self.classifier.clone(), self.config.debounce)
            .map_err(|e| format!("the manifest folder {given} was replaced, and {e}"))?;
        if let Some(warning) = &watcher.warning {
            self.say("warning", &format!("warning: {warning}"));
        }
        self.dir = root.path.clone();
        self.root = root;
        // The plan of another folder is no baseline for drift.
        self.baseline = None;
        self.ops.metrics.watcher_up(true);
        self.ops.health.unwatched(None);
        self.say(
            "rewatch",
            &format!("watching {given} again: a new folder is at its path"),
        );
        Ok(Some(watcher))
    }

    /// Whether this replica applies: always without a store; with one, when it holds (or
    /// takes) the leader lock. A change of role is said in the log once.
    async fn lead(&mut self) -> bool {
        let Some(store) = &self.config.store else { return true };
        let role = self.leadership.lead(store, self.deps.trusted, &self.dir).await;
        let (leading, message) = match role {
            Ok(guard::Role::Leader { .. }) => (true, "leading: this watch applies the changes".to_string()),
            Ok(guard::Role::Standby { leader, lost }) => (
                false,
                format!(
                    "standby{}: {leader} leads and applies; this watch reports, and takes over when it is gone",
                    if lost { " (the lead was lost)" } else { "" }
                ),
            ),
            Err(message) => {
                // The apply lock (taken next) says the same error in the reconcile's record.
                self.say("warning", &format!("warning: cannot take the lead: {message}"));
                return true;
            }
        };
        if self.leading != Some(leading) {
            self.say(if leading { "leader" } else { "standby" }, &message);
            self.leading = Some(leading);
        }
        leading
    }

    /// Prints a message about watch itself, in the log's format.
    fn say(&self, event: &str, message: &str) {
        say_to(self.deps.printer, self.config.output, event, message);
    }

    /// One reconcile: plan, maybe apply, report. Never fails: a failure is its outcome.
    async fn reconcile(&mut self, trigger: Trigger, files_changed: usize) -> Record {
        self.number += 1;
        {
            let mut status = lock(&self.shared);
            if status.state != State::Stopping {
                status.state = State::Reconciling;
            }
        }
        let started = Instant::now();
        let mut record = Record {
            number: self.number,
            trigger,
            files_changed,
            started_at: status::timestamp(SystemTime::now()),
            duration_ms: 0,
            outcome: Outcome::InSync,
            plan: None,
            plan_line: None,
            applied: None,
            apply_line: None,
            drift: Drift::default(),
            problems: None,
            error: None,
            retry_in_ms: None,
            calls: Calls::default(),
            paused: false,
        };
        // Printed before the log line in text mode (the JSON line carries them in `error`).
        let mut details = String::new();
        let classifier = self.classifier.clone();
        // The folder as found again after a replacement (a `.` may lead to the deleted one).
        let dir = self.dir.clone();
        let (fingerprint, commit) =
            tokio::task::spawn_blocking(move || (events::fingerprint(&classifier), crate::store::git_commit(&dir)))
                .await
                .unwrap_or_default();
        lock(&self.shared).checked_out(commit);
        let options = PlanOptions {
            dir: self.dir.clone(),
            ..PlanOptions::default()
        };
        // Several replicas on one store: only the leader applies; the others plan and report.
        // Paused from the status page: plan and report only.
        record.paused = self.config.apply && self.actions.paused();
        let apply = self.config.apply && !record.paused && self.lead().await;
        // The apply lock, before the reads: another apply (CI) must not change what this plan
        // reads. Held, it fails this reconcile, which is retried.
        let mut guard = match (&self.config.store, apply) {
            (Some(store), true) => {
                let waiting = Instant::now();
                let locked = guard::lock(
                    store,
                    guard::estates(self.deps.trusted),
                    &self.dir,
                    "reconcile",
                    self.deps.trusted.env,
                )
                .await;
                self.ops.metrics.lock_waited(waiting.elapsed(), locked.is_ok());
                match locked {
                    Ok(guard) => Some(guard),
                    Err(message) => {
                        record.outcome = Outcome::Failed;
                        record.error = Some(format!("error: {message}"));
                        details = format!("error: {message}\n");
                        return self.finish(record, started, details, None);
                    }
                }
            }
            _ => None,
        };
        let options = PlanOptions {
            reset_passwords: guard.as_ref().map(Guard::uncertain_passwords).unwrap_or_default(),
            ..options
        };
        // Reads only: a signal drops the plan at once.
        let planned = tokio::select! {
            planned = reconcile::plan_dir(&options, self.deps.trusted) => Some(planned),
            () = self.shutdown.wait() => None,
        };
        // Nothing to apply: the lock goes before the record says the reconcile is over.
        if !matches!(planned, Some(Ok(_)))
            && let Some(guard) = guard.take()
        {
            guard.release().await;
        }
        let Some(planned) = planned else {
            record.outcome = Outcome::Interrupted;
            record.error = Some("stopped while planning: nothing was written".into());
            return self.finish(record, started, details, None);
        };
        let planned = match planned {
            Ok(planned) => planned,
            Err(Failure::Invalid { text, problems }) => {
                record.outcome = Outcome::Invalid;
                record.problems = Some(problems);
                details = text.clone();
                record.error = Some(text);
                return self.finish(record, started, details, None);
            }
            Err(failure @ Failure::Problems(_)) => {
                record.outcome = Outcome::Failed;
                details = failure.text();
                record.error = Some(details.trim_end().to_string());
                return self.finish(record, started, details, None);
            }
        };
        let plan = &planned.plan;
        let summary = plan.summary();
        record.plan = Some(summary);
        record.plan_line = Some(summary.line());
        let keys: Vec<String> = plan.actions.iter().map(key).collect();
        // Drift: only when the manifests are the ones the previous plan was made from.
        let drifted: Vec<usize> = match &self.baseline {
            Some(baseline) if baseline.fingerprint == fingerprint => (0..keys.len())
                .filter(|i| !baseline.residual.contains(&keys[*i]))
                .collect(),
            _ => Vec::new(),
        };
        record.drift.found = drifted.len();
        record.drift.objects = drifted
            .iter()
            .take(status::DRIFT_LISTED)
            .map(|i| describe(&plan.actions[*i]))
            .collect();
        let mut residual: HashSet<String> = keys.iter().cloned().collect();
        let mut failed: HashSet<usize> = HashSet::new();
        let mut failures: HashMap<(Op, ObjectRef), String> = HashMap::new();

        if !plan.errors.is_empty() {
            record.outcome = Outcome::Failed;
            let mut text = format!(
                "error: the plan has {} with live state: nothing was applied\n",
                crate::diag::counted(plan.errors.len(), "problem")
            );
            for e in &plan.errors {
                let what = e.object.as_ref().map(|o| format!("{o}: ")).unwrap_or_default();
                text.push_str(&format!("  {what}{}\n  hint: {}\n", e.message, e.hint));
            }
            details = text.clone();
            record.error = Some(text);
        } else if !plan.has_changes() {
            record.outcome = Outcome::InSync;
        } else if !apply || self.actions.paused() {
            // Paused while this reconcile waited for the lock or planned: the pause still holds.
            record.paused |= apply;
            record.outcome = Outcome::Pending;
        } else if let Some(outcomes) = self.apply(&planned, &mut record, &mut details, guard.as_mut()).await {
            let done: HashSet<(Op, &ObjectRef)> = outcomes
                .iter()
                .filter(|o| matches!(o.status, apply::Status::Done | apply::Status::Unchanged))
                .map(|o| (o.op, &o.object))
                .collect();
            let applied = |a: &Action| done.contains(&(a.op, &a.object));
            residual = plan
                .actions
                .iter()
                .zip(&keys)
                .filter(|(a, _)| !applied(a))
                .map(|(_, k)| k.clone())
                .collect();
            record.drift.corrected = drifted.iter().filter(|i| applied(&plan.actions[**i])).count();
            for o in &outcomes {
                if let apply::Status::Failed { reason } = &o.status {
                    failures.insert((o.op, o.object.clone()), reason.clone());
                }
            }
            let failed_objects: HashSet<(Op, &ObjectRef)> = outcomes
                .iter()
                .filter(|o| o.failed())
                .map(|o| (o.op, &o.object))
                .collect();
            failed = (0..plan.actions.len())
                .filter(|i| failed_objects.contains(&(plan.actions[*i].op, &plan.actions[*i].object)))
                .collect();
        }
        // Metrics: the plan's objects by state.
        let left: HashSet<usize> = (0..keys.len()).filter(|i| residual.contains(&keys[*i])).collect();
        self.ops
            .metrics
            .objects(&metrics::object_states(&plan.actions, &left, &drifted, &failed));
        if let Some(guard) = guard {
            guard.release().await;
        }
        let drifted: HashSet<usize> = drifted.into_iter().collect();
        let observed: Vec<status::Observed<'_>> = plan
            .actions
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(i, (a, k))| status::Observed {
                object: &a.object,
                key: k,
                description: drifted.contains(&i).then(|| describe(a)),
                drifted: drifted.contains(&i),
                remaining: residual.contains(k),
                failure: if failures.is_empty() {
                    None
                } else {
                    failures.get(&(a.op, a.object.clone())).cloned()
                },
            })
            .collect();
        let groups = status::groups(record.number, record.outcome, plan, &planned.declared, &observed);
        lock(&self.shared).observe(record.number, groups, &observed);
        self.baseline = Some(Baseline { fingerprint, residual });
        let pending = self.baseline.as_ref().map_or(0, |b| b.residual.len());
        let calls = Calls {
            acg: planned
                .acg
                .as_ref()
                .map(|c| CallCounts::from_snapshot(c.stats().snapshot()))
                .unwrap_or_default(),
            webex: planned
                .webex
                .as_ref()
                .map(|c| CallCounts::from_snapshot(c.stats().snapshot()))
                .unwrap_or_default(),
        };
        record.calls = calls;
        if let Some(acg) = &planned.acg {
            self.ops.metrics.calls("acg", ProviderCalls::of(acg.stats()));
        }
        if let Some(webex) = &planned.webex {
            self.ops.metrics.calls("webex", ProviderCalls::of(webex.stats()));
        }
        self.finish(record, started, details, Some(pending))
    }

    /// Applies a plan with changes. Returns the outcomes, or `None` when nothing was tried
    /// (passwords that cannot be set); the record gets the outcome.
    async fn apply(
        &self,
        planned: &Planned,
        record: &mut Record,
        details: &mut String,
        guard: Option<&mut Guard>,
    ) -> Option<Vec<apply::Outcome>> {
        let request = reconcile::ApplyRequest {
            secrets: self.deps.secrets,
            policy: self.deps.trusted.secret_policy(),
            secrets_base: None,
            secrets_out: self.config.secrets_out.as_deref().map(secrets_file),
            how_to_keep: "start watch with --secrets-out FILE (each apply writes FILE.<time>)",
            concurrency: None,
            progress: None,
            stop: self.shutdown.stop.clone(),
        };
        let outcomes = match (planned.prepare_apply(planned.plan.actions.clone(), request), guard) {
            (Ok(prepared), None) => prepared.execute().await,
            // Recorded in the history: before the first write, and its outcome after the last.
            (Ok(prepared), Some(guard)) => match prepared.execute_recorded(guard).await {
                Ok((outcomes, None)) => outcomes,
                Ok((outcomes, Some(message))) => {
                    let text = format!("error: {message}\n");
                    details.push_str(&text);
                    record.outcome = Outcome::Failed;
                    record.error = Some(text);
                    return Some(outcomes);
                }
                Err(text) => {
                    record.outcome = Outcome::Failed;
                    details.push_str(&text);
                    record.error = Some(text);
                    return None;
                }
            },
            (Err(text), _) => {
                record.outcome = Outcome::Failed;
                details.push_str(&text);
                record.error = Some(text);
                return None;
            }
        };
        let totals = report::totals(&outcomes);
        record.applied = Some(totals);
        record.apply_line = Some(report::closing_line(&outcomes));
        if totals.failed + totals.skipped == 0 {
            record.outcome = Outcome::Applied;
        } else {
            record.outcome = if self.shutdown.requested() {
                Outcome::Interrupted
            } else {
                Outcome::Failed
            };
            // The result table says what was done and what was not, and why.
            details.push_str(&report::text(&outcomes));
            let mut text = report::closing_line(&outcomes);
            for o in outcomes.iter().filter(|o| o.failed()).take(20) {
                if let apply::Status::Failed { reason } = &o.status {
                    text.push_str(&format!("\n  {}: {}", o.object, reason.replace('\n', "\n    ")));
                }
            }
            record.error = Some(text);
        }
        Some(outcomes)
    }

    /// Completes a record: duration, backoff, status, log.
    fn finish(&mut self, mut record: Record, started: Instant, details: String, pending: Option<usize>) -> Record {
        record.duration_ms = started.elapsed().as_millis() as u64;
        record.error = record.error.as_deref().map(status::strip_ansi);
        if record.outcome == Outcome::Failed {
            self.failures += 1;
            if !self.config.once {
                record.retry_in_ms = Some(backoff(self.failures).as_millis() as u64);
            }
        } else if record.outcome != Outcome::Interrupted {
            self.failures = 0;
        }
        {
            let mut status = lock(&self.shared);
            let pending = pending.unwrap_or(status.pending.actions);
            status.record(&record, pending);
        }
        self.observed(&record);
        match self.config.output {
            LogFormat::Text => {
                if !details.is_empty() {
                    (self.deps.printer.err)(&details);
                }
                (self.deps.printer.out)(&status::text_line(&record, self.config.apply));
            }
            LogFormat::Json => (self.deps.printer.out)(&status::json_line(&record)),
        }
        record
    }
}

impl Loop<'_> {
    /// A reconcile ended: metrics, health and notifications hear of it.
    fn observed(&mut self, record: &Record) {
        self.ops.metrics.reconciled(record);
        if matches!(record.outcome, Outcome::InSync | Outcome::Pending | Outcome::Applied) {
            self.ops.health.succeeded();
            self.failure_notified = false;
        }
        let (Some(notifier), Some(event)) = (&self.notifier, notify::event_of(record, self.failure_notified)) else {
            return;
        };
        if event == notify::Event::Failed {
            self.failure_notified = true;
        }
        let alert = notify::alert(event, record, &self.config.dir.display().to_string());
        for target in notifier.send(&alert) {
            self.ops.metrics.notified(false);
            self.say(
                "warning",
                &format!(
                    "warning: the {} notification to {target} was dropped: its queue is full (the receiver is slow or down)",
                    event.name()
                ),
            );
        }
    }
}

/// Prints a message about watch itself, in the log's format.
fn say_to(printer: &Printer, output: LogFormat, event: &str, message: &str) {
    match output {
        LogFormat::Text => {
            let line = format!("{} {message}\n", status::timestamp(SystemTime::now()));
            if event == "warning" {
                (printer.err)(&line);
            } else {
                (printer.out)(&line);
            }
        }
        LogFormat::Json => (printer.out)(&status::json_event(event, message)),
    }
}

/// The identity of an action across two plans: what, how, and from what to what.
fn key(action: &Action) -> String {
    format!(
        "{:?}|{:?}|{}|{}|{}",
        action.op,
        action.object.provider,
        action.object.kind,
        action.object.key,
        serde_json::to_string(&action.changes()).unwrap_or_default()
    )
}

/// `~ Number +14255550105: customSipHeader "portal" → "hq"`; sensitive values are never shown.
fn describe(action: &Action) -> String {
    let mut text = format!("{} {}", action.op.symbol(), action.object);
    let all = action.changes();
    let changes: Vec<String> = all
        .iter()
        .take(5)
        .map(|c| {
            if c.sensitive {
                format!("{} (sensitive, changed)", c.path)
            } else {
                let show = |v: &Option<serde_json::Value>| v.as_ref().map_or("(none)".to_string(), ToString::to_string);
                format!("{} {} → {}", c.path, show(&c.old), show(&c.new))
            }
        })
        .collect();
    if !changes.is_empty() {
        text.push_str(": ");
        text.push_str(&changes.join(", "));
        if all.len() > 5 {
            text.push_str(&format!(", and {} more", all.len() - 5));
        }
    }
    text
}

/// Where this apply's generated passwords go: `FILE.<time>`, never an existing file.
fn secrets_file(file: &Path) -> PathBuf {
    let stamp = status::compact_timestamp(SystemTime::now());
    let mut name = file.as_os_str().to_os_string();
    name.push(format!(".{stamp}"));
    let mut path = PathBuf::from(&name);
    let mut n = 2;
    while path.exists() {
        let mut again = name.clone();
        again.push(format!("-{n}"));
        path = PathBuf::from(again);
        n += 1;
    }
    path
}

/// The wait before the retry after `failures` consecutive failures: 1 s, 2 s, 4 s… up to
/// 5 minutes, ±10%.
pub fn backoff(failures: u32) -> Duration {
    let doubled = BACKOFF_FIRST.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)));
    jittered(doubled.min(BACKOFF_MAX))
}

/// `d` ±10%, from the system's random source (a fixed `d` when it fails: no reason to stop).
fn jittered(d: Duration) -> Duration {
    let r = getrandom::u64().unwrap_or(u64::MAX / 2);
    let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
    d.mul_f64(0.9 + 0.2 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectKind;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let within = |d: Duration, target: Duration| d >= target.mul_f64(0.9) && d <= target.mul_f64(1.1);
        assert!(within(backoff(1), Duration::from_secs(1)));
        assert!(within(backoff(2), Duration::from_secs(2)));
        assert!(within(backoff(4), Duration::from_secs(8)));
        assert!(within(backoff(30), BACKOFF_MAX));
        assert!(within(backoff(u32::MAX), BACKOFF_MAX));
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_varies() {
        let d = Duration::from_secs(300);
        let draws: HashSet<Duration> = (0..50).map(|_| jittered(d)).collect();
        assert!(
            draws
                .iter()
                .all(|j| *j >= Duration::from_secs(270) && *j <= Duration::from_secs(330))
        );
        assert!(draws.len() > 1, "the interval is jittered");
    }

    #[test]
    fn secrets_files_are_never_reused() {
        let temp = tempfile::tempdir().expect("temp dir");
        let file = temp.path().join("secrets.tsv");
        let first = secrets_file(&file);
        assert!(first.to_string_lossy().starts_with(&*file.to_string_lossy()));
        std::fs::write(&first, "x").expect("written");
        let second = secrets_file(&file);
        assert_ne!(first, second);
        assert!(!second.exists());
    }

    #[test]
    fn drift_descriptions_never_show_sensitive_values() {
        use crate::model::plan::{FieldChange, ProviderName};
        let action = Action {
            op: Op::Update,
            object: ObjectRef::new(ProviderName::Acg, ObjectKind::Number, "+14255550105", "contoso"),
            source: None,
            changes: vec![
                FieldChange {
                    path: "customSipHeader".into(),
                    old: Some(serde_json::json!("portal")),
                    new: Some(serde_json::json!("hq")),
                    sensitive: false,
                    secret_source: None,
                },
                FieldChange {
                    path: "sipPassword".into(),
                    old: Some(serde_json::json!("hunter2")),
                    new: Some(serde_json::json!("s3cret")),
                    sensitive: true,
                    secret_source: None,
                },
            ],
            reason: None,
            desired: None,
            number: None,
        };
        let text = describe(&action);
        assert_eq!(
            text,
            "~ Number +14255550105: customSipHeader \"portal\" → \"hq\", sipPassword (sensitive, changed)"
        );
    }
}
