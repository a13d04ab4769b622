//! An apply's place in the store: the lock of the provider estates it writes to, held from
//! before it reads what it will change until its report, and the history record of what it
//! did (docs/store.md).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::apply::secrets::PasswordJournal;
use crate::apply::{Outcome, Status};
use crate::model::ProviderName;
use crate::model::plan::{Action, ObjectRef, Op, Summary};
use crate::provider::config::{DEFAULT_WEBEX_URL, Trusted};
use crate::store::{self, FieldRecord, Holder, Intent, Location, Lock, ObjectChange, PlanCounts, RunStart, Store};

/// Where the store is and how long an apply waits for its lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub location: Location,
    pub lock_timeout: Duration,
}

impl StoreConfig {
    /// `--store` / `TELFORM_STORE` (`flag`), `--lock-timeout` (`timeout`), then the operator's
    /// settings file, then the defaults. Never the manifest folder. `parse` reads a duration
    /// (`clock::parse_duration`).
    pub fn resolve(
        flag: Option<&str>,
        timeout: Option<Duration>,
        trusted: Trusted<'_>,
        parse: fn(&str) -> Result<Duration, String>,
    ) -> Result<StoreConfig, String> {
        let location = Location::resolve(flag, trusted.settings, trusted.env).map_err(|e| e.to_string())?;
        let lock_timeout = match timeout {
            Some(t) => t,
            None => match trusted
                .settings
                .and_then(|s| s.store.as_ref())
                .and_then(|s| s.lock_timeout.as_deref())
            {
                Some(text) => parse(text).map_err(|e| format!("store.lockTimeout in the operator's settings: {e}"))?,
                None => Duration::ZERO,
            },
        };
        Ok(StoreConfig { location, lock_timeout })
    }
}

/// The estates an apply with this configuration writes to: the ACG gateway, and the Webex
/// API when a token is configured. Read from trusted configuration only, before planning, so
/// that the plan itself is made under the lock.
pub fn estates(trusted: Trusted<'_>) -> Vec<String> {
    let var = |name: &str| (trusted.env)(name).filter(|v| !v.is_empty());
    let settings = trusted.settings;
    let mut out = Vec::new();
    if let Some(url) =
        var("TELFORM_ACG_URL").or_else(|| settings.and_then(|s| s.acg.as_ref()).and_then(|a| a.url.clone()))
    {
        out.push(store::estate("acg", &url));
    }
    let token_var = settings
        .and_then(|s| s.webex.as_ref())
        .and_then(|w| w.token.as_ref())
        .map_or_else(|| "TELFORM_WEBEX_TOKEN".to_string(), |t| t.from_env.clone());
    if var(&token_var).is_some() {
        let url = var("TELFORM_WEBEX_URL")
            .or_else(|| settings.and_then(|s| s.webex.as_ref()).and_then(|w| w.url.clone()))
            .unwrap_or_else(|| DEFAULT_WEBEX_URL.to_string());
        out.push(store::estate("webex", &url));
    }
    out
}

/// This process's command line, with every URL cut to its scheme and host: a URL's path or
/// query may be a credential (a Slack or Teams webhook given to `--notify` is one), and the
/// command line is kept in the history and shown to whoever waits for the lock.
pub fn command_line() -> String {
    shown_command_line(std::env::args())
}

fn shown_command_line(args: impl Iterator<Item = String>) -> String {
    args.enumerate()
        .map(|(i, a)| {
            if i == 0 {
                "telform".to_string()
            } else if a.contains("://") {
                match a
                    .split_once('=')
                    .filter(|(flag, _)| flag.starts_with("--") && !flag.contains("://"))
                {
                    Some((flag, url)) => format!("{flag}={}", url_origin(url)),
                    None => url_origin(&a),
                }
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `scheme://host[:port]`, and `/…` when the URL said more: no user, password, path or query.
fn url_origin(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "…".to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let more = if authority_end < rest.len() || host.len() < authority.len() {
        "/…"
    } else {
        ""
    };
    format!("{}://{host}{more}", &url[..scheme_end])
}

#[cfg(test)]
mod command_line_tests {
    use super::shown_command_line;

    #[test]
    fn urls_on_the_command_line_keep_only_their_scheme_and_host() {
        let args = [
            "/usr/bin/telform",
            "watch",
            "--notify",
            "slack+https://hooks.slack.com/services/T0/B0/XyZsecret",
            "--notify=https://example.com/hook?token=abc",
            "--store",
            "postgres://telform:hunter2@db.example:5432/telform",
            "manifests",
        ]
        .map(String::from);
        let shown = shown_command_line(args.into_iter());
        assert_eq!(
            shown,
            "telform watch --notify slack+https://hooks.slack.com/… --notify=https://example.com/… \
             --store postgres://db.example:5432/… manifests"
        );
        for secret in ["XyZsecret", "token=abc", "hunter2", "telform@"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

/// An apply holding its lock, about to be recorded.
pub struct Guard {
    pub store: Arc<Store>,
    lock: Option<Lock>,
    start: RunStart,
    run: Option<i64>,
    /// Unsettled intents of earlier runs (read under the lock): their devices' passwords are
    /// reset by this run, and the intents settled once that is done.
    uncertain: Vec<Intent>,
}

/// Opens the store and takes the lock of `estates` for an apply of `dir` (`kind`: `apply` or
/// `reconcile`). The error is the message to print, with its hint.
pub async fn lock(
    config: &StoreConfig,
    estates: Vec<String>,
    dir: &Path,
    kind: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Guard, String> {
    let store = Store::open(&config.location).await.map_err(|e| e.to_string())?;
    let commit = store::git_commit(dir);
    let command = command_line();
    let holder = Holder::here(&command, commit.clone(), env);
    let lock = store
        .lock(&estates, &holder, config.lock_timeout)
        .await
        .map_err(|e| e.to_string())?;
    let start = RunStart {
        kind: kind.to_string(),
        started_at: holder.since.clone(),
        host: holder.host.clone(),
        user: holder.user.clone(),
        pid: holder.pid,
        command,
        ci_url: store::ci_url(env),
        commit,
        dir: dir.display().to_string(),
        estates: lock.estates.clone(),
        plan: PlanCounts::default(),
        telform_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    // Runs still `running` on these estates died: this process holds their locks.
    store.mark_killed(&lock.estates).await.map_err(|e| e.to_string())?;
    // An intent whose password reached its secrets file was kept: only the settle was lost.
    let mut uncertain = Vec::new();
    for intent in store.unsettled(&lock.estates).await.map_err(|e| e.to_string())? {
        if intent.kind != "Device" {
            continue;
        }
        if kept(&intent) {
            store
                .settle(intent.id, "kept (found in its secrets file)")
                .await
                .map_err(|e| e.to_string())?;
        } else {
            uncertain.push(intent);
        }
    }
    Ok(Guard {
        store: Arc::new(store),
        lock: Some(lock),
        start,
        run: None,
        uncertain,
    })
}

/// How an intent's note names the secrets file of its password.
const KEPT_IN: &str = "a generated SIP password, kept once set in ";

/// Whether the secrets file an intent names holds its device's line (written only once the
/// provider accepted the password). A file moved away counts as not kept: the password is reset.
fn kept(intent: &Intent) -> bool {
    let Some(file) = intent.note.strip_prefix(KEPT_IN) else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    let line = format!("{}\t{}\t", intent.group, intent.key);
    text.lines().any(|l| l.starts_with(&line))
}

/// What each action asked, kept before apply consumes the plan: fields before → after, a
/// sensitive one by its path alone.
pub struct Pending {
    asked: Vec<(Op, ObjectRef, Vec<FieldRecord>)>,
}

impl Pending {
    fn of(actions: Vec<&Action>) -> Pending {
        Pending {
            asked: actions
                .into_iter()
                .map(|a| {
                    let fields = a
                        .changes()
                        .iter()
                        .map(|c| {
                            if c.sensitive {
                                FieldRecord {
                                    path: c.path.clone(),
                                    before: None,
                                    after: None,
                                    sensitive: true,
                                }
                            } else {
                                FieldRecord {
                                    path: c.path.clone(),
                                    before: c.old.clone(),
                                    after: c.new.clone(),
                                    sensitive: false,
                                }
                            }
                        })
                        .collect();
                    (a.op, a.object.clone(), fields)
                })
                .collect(),
        }
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Create => "create",
        Op::Update => "update",
        Op::Replace => "replace",
        Op::Delete => "delete",
    }
}

impl Guard {
    /// Devices whose live password may not be the one kept: an earlier apply was stopped
    /// between setting a generated password and writing it to its secrets file. Plan resets
    /// them ([`crate::reconcile::PlanOptions::reset_passwords`]).
    pub fn uncertain_passwords(&self) -> BTreeSet<String> {
        self.uncertain.iter().map(|i| i.key.clone()).collect()
    }

    /// The journal apply records generated passwords' writes in (once the run is recorded).
    pub fn journal(&self) -> Option<Box<dyn PasswordJournal>> {
        let run = self.run?;
        Some(Box::new(StoreJournal {
            store: self.store.clone(),
            run,
        }))
    }

    /// Records the run as it starts writing `actions`. A store that cannot record it stops
    /// the apply before its first write: an apply nobody can audit is not made.
    pub async fn begin<'a>(&mut self, actions: impl Iterator<Item = &'a Action>) -> Result<Pending, String> {
        let mut summary = Summary::default();
        let mut asked = Vec::new();
        for action in actions {
            summary.record(action.op);
            asked.push(action);
        }
        let pending = Pending::of(asked);
        self.start.plan = PlanCounts {
            add: summary.add as i64,
            change: summary.change as i64,
            delete: summary.delete as i64,
        };
        self.start.started_at = crate::clock::iso8601(SystemTime::now());
        let id = self.store.begin_run(&self.start).await.map_err(|e| e.to_string())?;
        self.run = Some(id);
        Ok(pending)
    }

    /// Records how the run ended. An error says the history could not be recorded.
    pub async fn finish(&mut self, pending: Pending, outcomes: &[Outcome], interrupted: bool) -> Result<(), String> {
        let Some(id) = self.run.take() else { return Ok(()) };
        let by: HashMap<(Op, &ObjectRef), &Outcome> = outcomes.iter().map(|o| ((o.op, &o.object), o)).collect();
        let mut failed = false;
        let changes: Vec<ObjectChange> = pending
            .asked
            .into_iter()
            .map(|(op, object, fields)| {
                let (status, message) = match by.get(&(op, &object)).map(|o| &o.status) {
                    Some(Status::Done) => ("done", None),
                    Some(Status::Unchanged) => ("unchanged", None),
                    Some(Status::Failed { reason }) => ("failed", Some(reason.clone())),
                    Some(Status::Skipped { because }) => ("skipped", Some(because.clone())),
                    None => ("not-run", None),
                };
                failed |= !matches!(status, "done" | "unchanged");
                ObjectChange {
                    provider: match object.provider {
                        ProviderName::Acg => "acg",
                        ProviderName::Webex => "webex",
                    }
                    .to_string(),
                    kind: object.kind.as_str().to_string(),
                    key: object.key.clone(),
                    group: object.group.clone(),
                    op: op_name(op).to_string(),
                    fields,
                    status: status.to_string(),
                    message,
                }
            })
            .collect();
        // Earlier runs' unsettled intents are settled once this run set those devices' passwords.
        let done: BTreeSet<&str> = changes
            .iter()
            .filter(|c| c.kind == "Device" && c.status == "done")
            .map(|c| c.key.as_str())
            .collect();
        for intent in self.uncertain.iter().filter(|i| done.contains(i.key.as_str())) {
            self.store
                .settle(intent.id, &format!("password set again by run {id}"))
                .await
                .map_err(|e| format!("the apply was made, but its journal could not be updated: {e}"))?;
        }
        let outcome = if !failed {
            "applied"
        } else if interrupted {
            "interrupted"
        } else {
            "failed"
        };
        self.store
            .finish_run(id, outcome, &changes)
            .await
            .map_err(|e| format!("the apply was made, but its history could not be recorded: {e}"))
    }

    /// Releases the lock (after the report).
    pub async fn release(mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release().await;
        }
    }
}

/// The store's journal, for apply's generated passwords. The calls are synchronous (they come
/// from inside a write); on PostgreSQL they block this worker thread for one round trip.
struct StoreJournal {
    store: Arc<Store>,
    run: i64,
}

impl StoreJournal {
    fn call<T>(&self, work: impl std::future::Future<Output = Result<T, store::StoreError>>) -> Result<T, String> {
        let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return Err("the journal needs telform's multi-threaded runtime".into());
        }
        tokio::task::block_in_place(|| handle.block_on(work)).map_err(|e| e.to_string())
    }
}

impl PasswordJournal for StoreJournal {
    fn intend(&self, customer: &str, mac: &str, kept_in: &Path) -> Result<i64, String> {
        let intent = Intent {
            id: 0,
            run_id: self.run,
            provider: "webex".into(),
            kind: "Device".into(),
            key: mac.to_string(),
            group: customer.to_string(),
            op: "set-password".into(),
            note: format!("{KEPT_IN}{}", kept_in.display()),
            started_at: crate::clock::iso8601(SystemTime::now()),
        };
        match &*self.store {
            Store::Sqlite(s) => s.intend(&intent).map_err(|e| e.to_string()),
            Store::Postgres(_) => self.call(self.store.intend(&intent)),
        }
    }

    fn settle(&self, id: i64) {
        // A settle that fails leaves the intent open: the next run resets that password once
        // more, which is safe.
        let _ = match &*self.store {
            Store::Sqlite(s) => s
                .settle(id, "kept", &crate::clock::iso8601(SystemTime::now()))
                .map_err(|e| e.to_string()),
            Store::Postgres(_) => self.call(self.store.settle(id, "kept")),
        };
    }
}

/// Which `watch --apply` replica applies, when several follow the same providers on one store:
/// the one holding the leader lock (`leader <estate>`, the same kind of lock as an apply's, so
/// it is freed when its process or its database session dies). The others are on standby: they
/// plan and report, and take over at their next reconcile once the leader is gone.
pub struct Leadership {
    store: Option<Store>,
    lock: Option<Lock>,
}

/// The answer of [`Leadership::lead`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// This replica applies; `new`: it just became the leader.
    Leader { new: bool },
    /// Another replica leads (named), or led until it was lost (`lost`).
    Standby { leader: String, lost: bool },
}

impl Leadership {
    pub fn new() -> Leadership {
        Leadership {
            store: None,
            lock: None,
        }
    }

    /// Keeps or takes the lead for the estates `trusted` names.
    pub async fn lead(&mut self, config: &StoreConfig, trusted: Trusted<'_>, dir: &Path) -> Result<Role, String> {
        let mut lost = false;
        if let Some(lock) = &self.lock {
            if lock.alive().await {
                return Ok(Role::Leader { new: false });
            }
            self.lock = None;
            lost = true;
        }
        if self.store.is_none() {
            self.store = Some(Store::open(&config.location).await.map_err(|e| e.to_string())?);
        }
        let Some(store) = &self.store else {
            return Err("the store did not open".into());
        };
        let estates: Vec<String> = estates(trusted).into_iter().map(|e| format!("leader {e}")).collect();
        let holder = Holder::here(&command_line(), store::git_commit(dir), trusted.env);
        match store.lock(&estates, &holder, Duration::ZERO).await {
            Ok(lock) => {
                self.lock = Some(lock);
                Ok(Role::Leader { new: true })
            }
            Err(e) if e.message.contains(" is held by ") => Ok(Role::Standby {
                leader: e.locked.map_or_else(|| "another watch".to_string(), |h| h.describe()),
                lost,
            }),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Default for Leadership {
    fn default() -> Leadership {
        Leadership::new()
    }
}
