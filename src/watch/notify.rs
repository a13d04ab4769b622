//! `--notify URL`: webhook notifications of a failed reconcile, of drift, and of an apply that
//! changed something: a generic JSON body, or Slack's and Teams' formats.
//!
//! A reconcile only puts a notification in a bounded queue (and drops it, counted and logged,
//! when the queue is full): delivery happens beside the loop, each target at its own pace, and
//! is retried with an exponential back-off up to a number of attempts. The payload is built from
//! the reconcile's record only, whose texts never hold a secret (plan lines, counts, redacted
//! drift descriptions, error messages). A webhook URL can hold a token (Slack's do), so only its
//! scheme and host are ever logged.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::status::{Outcome, Record};

/// Notifications waiting per target; beyond, new ones are dropped (a receiver down for hours
/// must not make watch hold an unbounded backlog).
const QUEUE: usize = 64;
/// Longest error text in a notification (a chat message is no place for a whole diagnostics
/// listing; the log and `/status` have it).
const ERROR_CHARS: usize = 1_500;
/// Drifted objects listed in a notification.
const DRIFT_LISTED: usize = 10;
/// How long one delivery may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The body a target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// telform's own JSON object (docs/watch.md).
    Generic,
    /// A Slack incoming webhook's `{"text": …}`.
    Slack,
    /// A Microsoft Teams workflow webhook's message with an Adaptive Card.
    Teams,
}

/// One `--notify` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: reqwest::Url,
    pub format: Format,
}

/// Never the URL: its path or query may hold the webhook's token.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({}, {:?})", self.display(), self.format)
    }
}

impl Target {
    /// `https://…`, or `slack+https://…` / `teams+https://…` to choose the format; `default`
    /// is the format of URLs without a prefix (`--notify-format`).
    pub fn parse(text: &str, default: Format) -> Result<Target, String> {
        let (format, rest) = match text.split_once('+') {
            Some(("slack", rest)) => (Format::Slack, rest),
            Some(("teams", rest)) => (Format::Teams, rest),
            Some(("generic", rest)) => (Format::Generic, rest),
            _ => (default, text),
        };
        // The error never repeats the URL: it may hold a token, and end up in a CI log.
        let url = reqwest::Url::parse(rest).map_err(|e| {
            format!("--notify: not a URL ({e})\nhint: e.g. --notify https://alerts.example.com/telform or --notify slack+https://hooks.slack.com/services/…")
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "--notify: a webhook URL is http or https with a host, not {}:\nhint: prefix slack+ or teams+ for those formats, e.g. slack+https://hooks.slack.com/services/…",
                url.scheme()
            ));
        }
        Ok(Target { url, format })
    }

    /// What the log may say of the target: scheme and host (and port).
    pub fn display(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{}://{host}:{port}", self.url.scheme()),
            None => format!("{}://{host}", self.url.scheme()),
        }
    }
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts per notification, the first one included.
    pub attempts: u32,
    /// The wait after the first failed attempt; doubled after each, up to `max`.
    pub first: Duration,
    pub max: Duration,
}

impl Default for Retry {
    /// 6 attempts over about a minute: a receiver restarting is waited for, a dead one is not.
    fn default() -> Retry {
        Retry {
            attempts: 6,
            first: Duration::from_secs(2),
            max: Duration::from_secs(30),
        }
    }
}

impl Retry {
    fn wait(&self, failed_attempts: u32) -> Duration {
        let doubled = self
            .first
            .saturating_mul(2u32.saturating_pow(failed_attempts.saturating_sub(1).min(20)));
        doubled.min(self.max)
    }
}

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The first failed (or invalid) reconcile after a success: the next failures of the
    /// same streak are not sent again (each retry would send one).
    Failed,
    /// Objects changed outside Git (corrected or not).
    Drift,
    /// An apply with changes succeeded.
    Applied,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::Failed => "failed",
            Event::Drift => "drift",
            Event::Applied => "applied",
        }
    }
}

/// What a reconcile is worth notifying, if anything: failure first, then drift, then changes.
/// `failing`: the streak of failures this one may continue was notified already.
pub fn event_of(record: &Record, failing: bool) -> Option<Event> {
    match record.outcome {
        Outcome::Failed | Outcome::Invalid if !failing => Some(Event::Failed),
        Outcome::Failed | Outcome::Invalid | Outcome::Interrupted => None,
        _ if record.drift.found > 0 => Some(Event::Drift),
        Outcome::Applied if record.applied.is_some_and(|t| t.done > 0) => Some(Event::Applied),
        _ => None,
    }
}

/// One notification, ready for every format.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub event: Event,
    /// The generic body (also what the chat formats are made from).
    pub body: Value,
    /// One line for people.
    pub title: String,
}

/// Builds the notification of `record` for watch of `folder`.
pub fn alert(event: Event, record: &Record, folder: &str) -> Alert {
    let title = match event {
        Event::Failed => format!(
            "telform watch {folder}: reconcile #{} {}",
            record.number,
            record.outcome.label()
        ),
        Event::Drift => format!(
            "telform watch {folder}: drift on {} ({} corrected)",
            crate::diag::counted(record.drift.found, "object"),
            record.drift.corrected
        ),
        Event::Applied => format!("telform watch {folder}: changes applied"),
    };
    let mut body = json!({
        "source": "telform watch",
        "event": event.name(),
        "title": title,
        "folder": folder,
        "reconcile": record.number,
        "trigger": record.trigger.name(),
        "outcome": record.outcome,
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
    });
    if let Some(line) = &record.plan_line {
        body["plan"] = json!(line);
    }
    if let Some(line) = &record.apply_line {
        body["apply"] = json!(line);
    }
    if record.drift.found > 0 {
        body["drift"] = json!({
            "found": record.drift.found,
            "corrected": record.drift.corrected,
            "objects": record.drift.objects.iter().take(DRIFT_LISTED).collect::<Vec<_>>(),
        });
    }
    if let Some(error) = &record.error {
        body["error"] = json!(truncate(error, ERROR_CHARS));
    }
    Alert { event, body, title }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… (cut: the log and /status have the whole text)", &text[..cut]),
        None => text.to_string(),
    }
}

/// The lines of a chat message: the title, then what the generic body says.
fn lines(alert: &Alert) -> Vec<String> {
    let b = &alert.body;
    let mut out = Vec::new();
    for field in ["plan", "apply"] {
        if let Some(text) = b[field].as_str() {
            out.push(text.to_string());
        }
    }
    if let Some(objects) = b["drift"]["objects"].as_array() {
        out.extend(objects.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(error) = b["error"].as_str() {
        out.push(error.to_string());
    }
    out
}

/// Slack's three control characters, escaped as its message format asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The body `format` sends.
pub fn payload(alert: &Alert, format: Format) -> Value {
    match format {
        Format::Generic => alert.body.clone(),
        Format::Slack => {
            // Slack reads `<…>` as a mention or a link and ``` as the end of the block: a value
            // changed outside Git (a drift description) must not ping a channel or show a link.
            let mut text = format!("*{}*", slack_escape(&alert.title));
            for line in lines(alert) {
                text.push_str(&format!(
                    "\n```{}```",
                    slack_escape(&line).replace("```", "`\u{200b}``")
                ));
            }
            json!({ "text": text })
        }
        Format::Teams => {
            let mut blocks = vec![json!({
                "type": "TextBlock", "text": alert.title, "weight": "Bolder", "wrap": true,
            })];
            for line in lines(alert) {
                blocks.push(json!({ "type": "TextBlock", "text": line, "wrap": true, "fontType": "Monospace" }));
            }
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": blocks,
                    },
                }],
            })
        }
    }
}

/// The loop's side of the queues: never waits.
pub struct Notifier {
    queues: Vec<(String, mpsc::Sender<Alert>)>,
}

impl Notifier {
    /// Queues `alert` for every target. A full queue drops it: returns the targets (for the
    /// log) it was dropped for.
    pub fn send(&self, alert: &Alert) -> Vec<String> {
        self.queues
            .iter()
            .filter(|(_, tx)| tx.try_send(alert.clone()).is_err())
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// What a delivery attempt came to.
#[derive(Debug)]
pub enum Delivered {
    Yes { attempts: u32 },
    Dropped { attempts: u32, last: String },
}

/// The queues of `targets`, and the future that delivers what they receive until the
/// [`Notifier`] is dropped and they are empty. `report` hears each delivery's result.
pub fn start<'a>(
    targets: &[Target],
    retry: Retry,
    report: &'a (dyn Fn(&Target, Event, &Delivered) + Send + Sync),
) -> (Notifier, impl std::future::Future<Output = ()> + Send + 'a) {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        // A redirect could send the alert to another host: a 3xx is a failed delivery.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("telform/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    let mut queues = Vec::new();
    let mut workers = Vec::new();
    for target in targets {
        let (tx, mut rx) = mpsc::channel::<Alert>(QUEUE);
        queues.push((target.display(), tx));
        let (http, target) = (http.clone(), target.clone());
        workers.push(async move {
            while let Some(alert) = rx.recv().await {
                let result = deliver(&http, &target, &alert, retry).await;
                report(&target, alert.event, &result);
            }
        });
    }
    (Notifier { queues }, async move {
        futures_util::future::join_all(workers).await;
    })
}

/// Posts one notification, retrying server errors, 408, 429 and transport errors; another
/// answer (a 404 of a deleted webhook) is final.
async fn deliver(http: &reqwest::Client, target: &Target, alert: &Alert, retry: Retry) -> Delivered {
    let body = payload(alert, target.format);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (last, again) = match http.post(target.url.clone()).json(&body).send().await {
            Ok(response) if response.status().is_success() => return Delivered::Yes { attempts },
            Ok(response) => {
                let status = response.status();
                let again = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
                (format!("answer {status}"), again)
            }
            // Without the URL, which reqwest puts in its errors.
            Err(error) => {
                let again = !error.is_builder();
                (error.without_url().to_string(), again)
            }
        };
        if !again || attempts >= retry.attempts {
            return Delivered::Dropped { attempts, last };
        }
        tokio::time::sleep(retry.wait(attempts)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::status::{Calls, Drift, Trigger};

    fn record(outcome: Outcome) -> Record {
        Record {
            number: 3,
            trigger: Trigger::Interval,
            files_changed: 0,
            started_at: "2026-12-07T00:00:00Z".into(),
            duration_ms: 12,
            outcome,
            plan: None,
            plan_line: Some("Plan: 0 to add, 1 to change, 0 to delete.".into()),
            applied: None,
            apply_line: None,
            drift: Drift {
                found: 1,
                corrected: 0,
                objects: vec!["~ Number +14255550105: sipPassword (sensitive, changed)".into()],
            },
            problems: None,
            error: None,
            retry_in_ms: None,
            calls: Calls::default(),
            paused: false,
        }
    }

    #[test]
    fn a_prefix_chooses_the_format_and_the_log_never_shows_the_token() {
        let slack = Target::parse(
            "slack+https://hooks.slack.com/services/T0/B0/XyZsecret",
            Format::Generic,
        )
        .expect("a URL");
        assert_eq!(slack.format, Format::Slack);
        assert_eq!(slack.display(), "https://hooks.slack.com");
        assert!(!format!("{slack:?}").contains("XyZsecret"));
        let plain = Target::parse("http://127.0.0.1:9000/hook?token=abc", Format::Teams).expect("a URL");
        assert_eq!(plain.format, Format::Teams);
        assert_eq!(plain.display(), "http://127.0.0.1:9000");
        let error = Target::parse("ftp://files.example.com/abc", Format::Generic).expect_err("not http");
        assert!(error.contains("http or https"), "{error}");
        let error = Target::parse("slack+not a url/XyZsecret", Format::Generic).expect_err("not a URL");
        assert!(!error.contains("XyZsecret"), "{error}");
    }

    #[test]
    fn failures_are_sent_once_per_streak_and_drift_before_changes() {
        assert_eq!(event_of(&record(Outcome::Failed), false), Some(Event::Failed));
        assert_eq!(event_of(&record(Outcome::Failed), true), None);
        assert_eq!(event_of(&record(Outcome::Invalid), true), None, "failed, then invalid");
        assert_eq!(event_of(&record(Outcome::Pending), false), Some(Event::Drift));
        let mut quiet = record(Outcome::InSync);
        quiet.drift = Drift::default();
        assert_eq!(event_of(&quiet, false), None);
    }

    #[test]
    fn every_format_carries_the_title_and_the_drift() {
        let alert = alert(Event::Drift, &record(Outcome::Pending), "manifests");
        let slack = payload(&alert, Format::Slack).to_string();
        assert!(
            slack.contains("drift on 1 object") && slack.contains("+14255550105"),
            "{slack}"
        );
        let teams = payload(&alert, Format::Teams);
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert!(teams.to_string().contains("+14255550105"));
        let generic = payload(&alert, Format::Generic);
        assert_eq!(generic["event"], "drift");
        assert_eq!(generic["drift"]["found"], 1);
    }

    /// A value changed outside Git reaches the drift text: in Slack it must stay text.
    #[test]
    fn slack_text_cannot_mention_link_or_leave_its_code_block() {
        let mut drifted = record(Outcome::Pending);
        drifted.drift.objects = vec!["~ Account contoso: correlationId \"<!channel> <https://phish|fix> ```x\"".into()];
        let alert = alert(Event::Drift, &drifted, "manifests");
        let text = payload(&alert, Format::Slack)["text"]
            .as_str()
            .expect("text")
            .to_string();
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        // Each line is one code block: two fences per line, none from the value.
        assert_eq!(text.matches("```").count(), 2 * text.lines().skip(1).count(), "{text}");
    }

    #[test]
    fn the_back_off_doubles_up_to_its_cap() {
        let retry = Retry {
            attempts: 10,
            first: Duration::from_secs(2),
            max: Duration::from_secs(30),
        };
        assert_eq!(retry.wait(1), Duration::from_secs(2));
        assert_eq!(retry.wait(2), Duration::from_secs(4));
        assert_eq!(retry.wait(9), Duration::from_secs(30));
    }
}
