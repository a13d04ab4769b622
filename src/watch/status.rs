//! What watch knows about itself: served as `/status` (JSON) and `/` (HTML), and written as one
//! log line per reconcile (text or JSON).

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::apply::report::Totals;
use crate::model::plan::Summary;

/// Longest error text kept in the status (a whole repository's diagnostics can be megabytes;
/// the log has them all).
const ERROR_CHARS: usize = 8_000;
/// Drifted objects listed in a record (the count is always exact).
pub const DRIFT_LISTED: usize = 50;

/// Why a reconcile ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The first one, when watch starts.
    Start,
    /// Manifest files changed.
    Change,
    /// The periodic drift check.
    Interval,
    /// The previous one failed; this is its retry after the backoff.
    Retry,
}

impl Trigger {
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Change => "change",
            Trigger::Interval => "interval",
            Trigger::Retry => "retry",
        }
    }
}

/// How a reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Live state matches the manifests.
    InSync,
    /// The plan has changes and watch runs without `--apply`.
    Pending,
    /// The changes were applied, all of them.
    Applied,
    /// The manifests are not valid: nothing was planned or applied.
    Invalid,
    /// A provider, the plan or the apply failed; retried after a backoff.
    Failed,
    /// A signal stopped it (after the writes in flight).
    Interrupted,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::InSync => "in sync",
            Outcome::Pending => "changes pending",
            Outcome::Applied => "applied",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Whether `--once` exits 0.
    pub fn ok(self) -> bool {
        matches!(
            self,
            Outcome::InSync | Outcome::Pending | Outcome::Applied | Outcome::Interrupted
        )
    }
}

/// API calls of one provider client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub reads: u64,
    pub writes: u64,
    pub retries: u64,
}

impl CallCounts {
    pub fn from_snapshot((reads, writes, retries): (u64, u64, u64)) -> CallCounts {
        CallCounts { reads, writes, retries }
    }

    fn add(&mut self, other: CallCounts) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.retries += other.retries;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Calls {
    pub acg: CallCounts,
    pub webex: CallCounts,
}

impl Calls {
    pub fn add(&mut self, other: Calls) {
        self.acg.add(other.acg);
        self.webex.add(other.webex);
    }
}

/// Drift: actions in a plan made from unchanged manifests that the previous reconcile did not
/// leave behind, i.e. changes made outside Git.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub found: usize,
    pub corrected: usize,
    /// `~ Number +14255550105: customSipHeader "portal" → "hq"`, at most [`DRIFT_LISTED`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
}

/// One reconcile, as logged and as `/status` shows the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Counts from 1 in each watch process.
    pub number: u64,
    pub trigger: Trigger,
    /// Manifest files that changed since the previous reconcile (for `change`).
    #[serde(skip_serializing_if = "is_zero")]
    pub files_changed: usize,
    pub started_at: String,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// The plan's counts (absent when no plan was made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Summary>,
    /// `Plan: 1 to add, 0 to change, 0 to delete.` or `No changes. …`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_line: Option<String>,
    /// What apply did (with `--apply`, when there was something to apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Totals>,
    /// `Apply complete! …` or `Apply failed: …`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_line: Option<String>,
    #[serde(skip_serializing_if = "Drift::is_empty")]
    pub drift: Drift,
    /// Invalid manifests: how many problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<usize>,
    /// What went wrong (diagnostics, provider error, failed actions), with its hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next attempt is, after a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_in_ms: Option<u64>,
    pub calls: Calls,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Drift {
    fn is_empty(&self) -> bool {
        self.found == 0
    }
}

/// What the loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Starting,
    Idle,
    Reconciling,
    Stopping,
    Stopped,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Idle => "idle",
            State::Reconciling => "reconciling",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// Manifest files changed and not reconciled yet.
    pub files: usize,
    /// Actions of the last plan not applied (without `--apply`, or failed).
    pub actions: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftTotals {
    pub found: u64,
    pub corrected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_found_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    pub at: String,
    pub message: String,
}

/// Everything `/status` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub dir: String,
    pub apply: bool,
    pub interval_ms: u64,
    pub debounce_ms: u64,
    pub state: State,
    pub started_at: String,
    pub reconciles: u64,
    pub last_reconcile: Option<Record>,
    pub last_success_at: Option<String>,
    pub next_reconcile_at: Option<String>,
    pub pending: Pending,
    pub drift: DriftTotals,
    pub last_error: Option<LastError>,
    /// Consecutive failures (0 when the last reconcile did not fail).
    pub failures: u32,
    /// Calls made since watch started, per provider.
    pub calls: Calls,
}

impl Status {
    pub fn new(dir: String, apply: bool, interval: Duration, debounce: Duration) -> Status {
        Status {
            version: env!("CARGO_PKG_VERSION"),
            dir,
            apply,
            interval_ms: interval.as_millis() as u64,
            debounce_ms: debounce.as_millis() as u64,
            state: State::Starting,
            started_at: timestamp(SystemTime::now()),
            reconciles: 0,
            last_reconcile: None,
            last_success_at: None,
            next_reconcile_at: None,
            pending: Pending::default(),
            drift: DriftTotals::default(),
            last_error: None,
            failures: 0,
            calls: Calls::default(),
        }
    }

    /// Takes a finished reconcile into account.
    pub fn record(&mut self, record: &Record, pending_actions: usize) {
        self.reconciles = record.number;
        self.calls.add(record.calls);
        self.pending.actions = pending_actions;
        let finished = timestamp(SystemTime::now());
        if record.drift.found > 0 {
            self.drift.found += record.drift.found as u64;
            self.drift.corrected += record.drift.corrected as u64;
            self.drift.last_found_at = Some(finished.clone());
        }
        match record.outcome {
            Outcome::Invalid | Outcome::Failed => {
                self.failures += u32::from(record.outcome == Outcome::Failed);
                self.last_error = Some(LastError {
                    at: finished,
                    message: truncate(record.error.as_deref().unwrap_or("unknown error")),
                });
            }
            Outcome::InSync | Outcome::Pending | Outcome::Applied => {
                self.failures = 0;
                self.last_success_at = Some(finished);
            }
            Outcome::Interrupted => {}
        }
        let mut kept = record.clone();
        kept.error = kept.error.as_deref().map(truncate);
        self.last_reconcile = Some(kept);
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(ERROR_CHARS) {
        Some((cut, _)) => format!("{}\n… (cut; the log has the whole text)", &text[..cut]),
        None => text.to_string(),
    }
}

/// Removes terminal styling (`ESC [ … m`): the diagnostics are rendered for a terminal, and
/// the status, the JSON log and the page are not one.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.clone().next() == Some('[') {
            chars.next();
            // Parameters, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// `2026-11-21T07:10:17Z` (UTC).
pub fn timestamp(time: SystemTime) -> String {
    crate::clock::iso8601(time)
}

/// `20261121T071017Z`, for file names.
pub fn compact_timestamp(time: SystemTime) -> String {
    crate::clock::compact(time)
}

/// `1.42 s`, `350 ms`
fn duration_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

/// The log line of a reconcile, for people. Details (diagnostics, failed actions) are printed
/// before it by the loop; this is the one line to grep.
pub fn text_line(record: &Record, apply: bool) -> String {
    let trigger = match record.trigger {
        Trigger::Start => "start".to_string(),
        Trigger::Change => format!(
            "{} file{} changed",
            record.files_changed,
            if record.files_changed == 1 { "" } else { "s" }
        ),
        Trigger::Interval => "drift check".to_string(),
        Trigger::Retry => "retry".to_string(),
    };
    let mut line = format!(
        "{} reconcile #{} ({trigger}): {} in {}",
        record.started_at,
        record.number,
        record.outcome.label(),
        duration_text(record.duration_ms)
    );
    let mut parts: Vec<String> = Vec::new();
    if let Some(plan) = &record.plan_line {
        parts.push(plan.clone());
    }
    if let Some(applied) = &record.apply_line {
        parts.push(applied.clone());
    }
    match record.outcome {
        Outcome::Pending if !apply => parts.push("not applied: watch runs without --apply".into()),
        // With --apply, changes stay pending only on a standby replica (docs/store.md).
        Outcome::Pending => parts.push("not applied here: this watch stands by while another applies".into()),
        Outcome::Invalid => parts.push(format!(
            "{} in the manifests (above): nothing was applied; fix them and save, the next valid change resumes",
            crate::diag::counted(record.problems.unwrap_or(0), "problem")
        )),
        Outcome::Failed => {
            if let Some(error) = &record.error {
                parts.push(
                    error
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    if record.drift.found > 0 {
        let verb = if record.drift.corrected == record.drift.found {
            "drift corrected"
        } else if record.drift.corrected > 0 {
            "drift partly corrected"
        } else if apply {
            "drift found"
        } else {
            "drift found (not corrected: watch runs without --apply)"
        };
        let shown: Vec<&str> = record.drift.objects.iter().take(5).map(String::as_str).collect();
        let more = record.drift.found.saturating_sub(shown.len());
        let mut text = format!("{verb} ({}): {}", record.drift.found, shown.join("; "));
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        parts.push(text);
    }
    if let Some(ms) = record.retry_in_ms {
        parts.push(format!("next attempt in {}", duration_text(ms)));
    }
    if !parts.is_empty() {
        line.push_str(" — ");
        line.push_str(&parts.join(" "));
    }
    line.push('\n');
    line
}

/// The log line of a reconcile for log shippers: one JSON object.
pub fn json_line(record: &Record) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        event: &'static str,
        #[serde(flatten)]
        record: &'a Record,
    }
    serde_json::to_string(&Line {
        event: "reconcile",
        record,
    })
    .unwrap_or_default()
        + "\n"
}

/// A JSON line about watch itself (`start`, `stop`, `warning`).
pub fn json_event(event: &str, message: &str) -> String {
    serde_json::json!({"event": event, "at": timestamp(SystemTime::now()), "message": message}).to_string() + "\n"
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page at `/`: the same status for a person, refreshed every few seconds.
pub fn html(status: &Status) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("Folder", status.dir.clone()),
        (
            "Mode",
            if status.apply {
                "apply (changes and drift are applied)".into()
            } else {
                "report only (no --apply)".into()
            },
        ),
        ("State", status.state.name().to_string()),
        ("Started", status.started_at.clone()),
        ("Reconciles", status.reconciles.to_string()),
        (
            "Last success",
            status.last_success_at.clone().unwrap_or_else(|| "never".into()),
        ),
        (
            "Next reconcile",
            status.next_reconcile_at.clone().unwrap_or_else(|| "—".into()),
        ),
        ("Pending file changes", status.pending.files.to_string()),
        ("Pending actions", status.pending.actions.to_string()),
        (
            "Drift",
            format!(
                "{} found, {} corrected{}",
                status.drift.found,
                status.drift.corrected,
                status
                    .drift
                    .last_found_at
                    .as_deref()
                    .map(|t| format!(" (last at {t})"))
                    .unwrap_or_default()
            ),
        ),
        ("Consecutive failures", status.failures.to_string()),
        (
            "ACG calls",
            format!(
                "{} reads, {} writes, {} retries",
                status.calls.acg.reads, status.calls.acg.writes, status.calls.acg.retries
            ),
        ),
        (
            "Webex calls",
            format!(
                "{} reads, {} writes, {} retries",
                status.calls.webex.reads, status.calls.webex.writes, status.calls.webex.retries
            ),
        ),
    ];
    if let Some(last) = &status.last_reconcile {
        rows.insert(
            5,
            (
                "Last reconcile",
                format!(
                    "#{} at {} ({}): {} in {}",
                    last.number,
                    last.started_at,
                    last.trigger.name(),
                    last.outcome.label(),
                    duration_text(last.duration_ms)
                ),
            ),
        );
        if let Some(plan) = &last.plan_line {
            rows.insert(6, ("Plan", plan.clone()));
        }
        if let Some(applied) = &last.apply_line {
            rows.insert(7, ("Apply", applied.clone()));
        }
    }
    let outcome = status.last_reconcile.as_ref().map_or("starting", |r| r.outcome.label());
    let class = match status.last_reconcile.as_ref().map(|r| r.outcome) {
        Some(Outcome::InSync | Outcome::Applied) => "ok",
        Some(Outcome::Pending | Outcome::Interrupted) | None => "warn",
        Some(Outcome::Invalid | Outcome::Failed) => "bad",
    };
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // A refresh without JavaScript: the page works in any browser and in `curl`.
    page.push_str("<meta http-equiv=\"refresh\" content=\"5\">\n");
    page.push_str(&format!("<title>telform watch: {}</title>\n", escape(outcome)));
    page.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}\
th,td{text-align:left;padding:.3em .8em;border-bottom:1px solid #ddd;vertical-align:top}\
.ok{color:#176f2c}.warn{color:#8a5a00}.bad{color:#b00020}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style>\n",
    );
    page.push_str("</head>\n<body>\n");
    page.push_str(&format!(
        "<h1>telform watch: <span id=\"outcome\" class=\"{class}\">{}</span></h1>\n",
        escape(outcome)
    ));
    page.push_str("<table id=\"status\">\n");
    for (name, value) in &rows {
        page.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            escape(name),
            escape(value)
        ));
    }
    page.push_str("</table>\n");
    if let Some(last) = &status.last_reconcile
        && !last.drift.objects.is_empty()
    {
        page.push_str("<h2>Drift in the last reconcile</h2>\n<ul id=\"drift\">\n");
        for object in &last.drift.objects {
            page.push_str(&format!("<li>{}</li>\n", escape(object)));
        }
        page.push_str("</ul>\n");
    }
    if let Some(error) = &status.last_error {
        page.push_str(&format!(
            "<h2>Last error ({})</h2>\n<pre id=\"last-error\">{}</pre>\n",
            escape(&error.at),
            escape(&error.message)
        ));
    }
    page.push_str("<p>JSON: <a href=\"/status\">/status</a> · health: <a href=\"/healthz\">/healthz</a></p>\n");
    page.push_str("</body>\n</html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_it_shows() {
        let mut status = Status::new(
            "/srv/<repo>".into(),
            true,
            Duration::from_secs(300),
            Duration::from_millis(500),
        );
        status.last_error = Some(LastError {
            at: "t".into(),
            message: "bad \"value\" <script>alert('x')</script> & more".into(),
        });
        let page = html(&status);
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"),
            "{page}"
        );
        assert!(page.contains("/srv/&lt;repo&gt;"), "{page}");
        assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    }

    fn record(outcome: Outcome) -> Record {
        Record {
            number: 7,
            trigger: Trigger::Interval,
            files_changed: 0,
            started_at: "2026-11-21T07:10:17Z".into(),
            duration_ms: 420,
            outcome,
            plan: Some(Summary {
                add: 0,
                change: 1,
                delete: 0,
            }),
            plan_line: Some("Plan: 0 to add, 1 to change, 0 to delete.".into()),
            applied: None,
            apply_line: None,
            drift: Drift {
                found: 1,
                corrected: 0,
                objects: vec!["~ Number +14255550105: customSipHeader \"portal\" → \"hq\"".into()],
            },
            problems: None,
            error: None,
            retry_in_ms: None,
            calls: Calls::default(),
        }
    }

    #[test]
    fn the_log_line_says_what_happened_to_drift() {
        let mut corrected = record(Outcome::Applied);
        corrected.drift.corrected = 1;
        corrected.apply_line = Some("Apply complete! Resources: 0 added, 1 changed, 0 deleted.".into());
        assert_eq!(
            text_line(&corrected, true),
            "2026-11-21T07:10:17Z reconcile #7 (drift check): applied in 420 ms — Plan: 0 to add, 1 to change, 0 to delete. \
Apply complete! Resources: 0 added, 1 changed, 0 deleted. drift corrected (1): ~ Number +14255550105: customSipHeader \"portal\" → \"hq\"\n"
        );
        let reported = text_line(&record(Outcome::Pending), false);
        assert!(
            reported.contains("changes pending in 420 ms")
                && reported.contains("not applied: watch runs without --apply")
                && reported.contains("drift found (not corrected: watch runs without --apply) (1): ~ Number"),
            "{reported}"
        );
        let json: serde_json::Value = serde_json::from_str(&json_line(&corrected)).expect("one JSON object");
        assert_eq!(json["event"], "reconcile");
        assert_eq!(json["drift"]["corrected"], 1);
        assert_eq!(json["outcome"], "applied");
        assert!(!json_line(&corrected).trim_end().contains('\n'), "one line");
    }

    #[test]
    fn a_failure_line_names_the_error_and_the_next_attempt() {
        let mut failed = record(Outcome::Failed);
        failed.drift = Drift::default();
        failed.plan = None;
        failed.plan_line = None;
        failed.trigger = Trigger::Retry;
        failed.error = Some("error: ACG: token request failed (401)\nhint: check TELFORM_ACG_CLIENT_SECRET".into());
        failed.retry_in_ms = Some(4000);
        assert_eq!(
            text_line(&failed, true),
            "2026-11-21T07:10:17Z reconcile #7 (retry): failed in 420 ms — ACG: token request failed (401) next attempt in 4.00 s\n"
        );
    }

    #[test]
    fn terminal_styling_is_removed() {
        assert_eq!(
            strip_ansi(
                "\u{1b}[1m\u{1b}[91merror[TF023]\u{1b}[0m: unknown field\n \u{1b}[1m\u{1b}[94m--> \u{1b}[0ma.yaml:4:8"
            ),
            "error[TF023]: unknown field\n --> a.yaml:4:8"
        );
        assert_eq!(strip_ansi("plain [text]"), "plain [text]");
    }

    #[test]
    fn long_errors_are_cut_in_the_status() {
        let long = "x".repeat(ERROR_CHARS + 10);
        let cut = truncate(&long);
        assert!(cut.len() < long.len() + 50 && cut.ends_with("the log has the whole text)"));
        assert_eq!(truncate("short"), "short");
    }
}
