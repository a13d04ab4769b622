//! The status page at `/` and a run's page at `/runs/ID`: server-rendered HTML, readable without
//! script (a `<noscript>` refresh), with a little script for the filter and a refresh that
//! keeps what the reader opened. Everything shown is escaped: manifests, provider messages and
//! the store are text from elsewhere.

use std::fmt::Write as _;

use super::status::{Outcome, Status, Sync, duration_text, escape};
use crate::store::RunRecord;

/// How often the page refreshes itself.
const REFRESH_SECONDS: u32 = 5;

/// What the page knows of the actions (`--allow-actions`).
pub struct ActionsView<'a> {
    pub allowed: bool,
    /// Embedded in each action's form; a cross-site page cannot read it.
    pub csrf: &'a str,
    /// A bearer token is required: the page asks for it (it never shows it).
    pub token_required: bool,
}

/// The history part of the page.
pub enum History {
    /// Watch runs without a store (no `--apply`).
    NoStore,
    Runs(Vec<RunRecord>),
    Unreadable(String),
}

const STYLE: &str = "\
:root{color-scheme:light}\
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.45}\
header,main,footer{padding:0 1.5rem;max-width:90rem;margin:0 auto}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #c8c8c8;vertical-align:top}\
.scroll{overflow-x:auto}\
.ok{color:#176f2c}.warn{color:#7a4f00}.bad{color:#a3001b}\
.state{font-weight:600;white-space:nowrap}\
.banner{border:2px solid currentColor;padding:.6rem 1rem;margin:1rem 0}\
pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:.8rem;margin:.4rem 0}\
button,input{font:inherit;padding:.4rem .8rem;min-height:2.5rem}\
button{cursor:pointer;border:1px solid #1b1b1b;background:#fff;color:#1b1b1b}\
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}\
.actions form{display:inline-block;margin:0 .5rem .5rem 0}\
a{color:#0b4fb3}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
@media (max-width:40rem){header,main,footer{padding:0 .6rem}th,td{padding:.3rem}}";

/// Filters the rows and sections that carry `data-filter`, and refreshes `#live` in place
/// (keeping open sections and the filter), every few seconds.
const SCRIPT: &str = "\
(function(){\
var f=document.getElementById('filter');\
function apply(){var q=f?f.value.trim().toLowerCase():'';\
document.querySelectorAll('[data-filter]').forEach(function(e){e.hidden=q!==''&&e.getAttribute('data-filter').indexOf(q)===-1;});}\
if(f){f.addEventListener('input',apply);}\
var token=document.getElementById('token');\
document.querySelectorAll('form.action').forEach(function(form){form.addEventListener('submit',function(ev){\
if(!token){return;}ev.preventDefault();\
fetch(form.action,{method:'POST',headers:{'Authorization':'Bearer '+token.value,'Content-Type':'application/x-www-form-urlencoded'},body:new URLSearchParams(new FormData(form))})\
.then(function(r){if(r.ok){location.reload();}else{r.text().then(function(t){alert(t);});}});});});\
function refresh(){fetch(location.pathname,{cache:'no-store'}).then(function(r){return r.text();}).then(function(t){\
var d=new DOMParser().parseFromString(t,'text/html');var n=d.getElementById('live');var o=document.getElementById('live');\
if(!n||!o){return;}var open=[];o.querySelectorAll('details[open]').forEach(function(e){open.push(e.id);});\
o.replaceWith(n);open.forEach(function(id){var e=document.getElementById(id);if(e){e.open=true;}});\
document.title=d.title;apply();}).catch(function(){});}\
if(document.getElementById('live')){setInterval(refresh,REFRESH);}\
apply();})();";

fn head(page: &mut String, title: &str) {
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Without script the page still refreshes (and works in `curl`).
    let _ = writeln!(
        page,
        "<noscript><meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\"></noscript>"
    );
    let _ = writeln!(page, "<title>{}</title>", escape(title));
    let _ = writeln!(page, "<style>{STYLE}</style>");
    page.push_str("</head>\n<body>\n");
}

fn tail(page: &mut String) {
    page.push_str(
        "<footer><p>JSON: <a href=\"/status\">/status</a> · health: <a href=\"/healthz\">/healthz</a></p></footer>\n",
    );
    let _ = writeln!(
        page,
        "<script>{}</script>",
        SCRIPT.replace("REFRESH", &(REFRESH_SECONDS * 1000).to_string())
    );
    page.push_str("</body>\n</html>\n");
}

fn outcome_class(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        Some(Outcome::InSync | Outcome::Applied) => "ok",
        Some(Outcome::Pending | Outcome::Interrupted) | None => "warn",
        Some(Outcome::Invalid | Outcome::Failed) => "bad",
    }
}

fn sync_class(sync: Sync) -> &'static str {
    match sync {
        Sync::InSync => "ok",
        Sync::Provisioning | Sync::Pending | Sync::Drifted => "warn",
        Sync::Failed => "bad",
    }
}

/// `contoso` → `group-acg-contoso`, an id made of safe characters only.
fn group_id(provider: &str, name: &str) -> String {
    let mut id = format!("group-{provider}-");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            id.push(c);
        } else {
            let _ = write!(id, "_{:x}", c as u32);
        }
    }
    id
}

/// The page at `/`.
pub fn overview(status: &Status, actions: &ActionsView<'_>, history: &History) -> String {
    let last = status.last_reconcile.as_ref();
    let outcome = last.map_or("starting", |r| r.outcome.label());
    let mut page = String::new();
    head(&mut page, &format!("telform watch: {outcome}"));
    page.push_str("<header>\n");
    let _ = writeln!(
        page,
        "<h1>telform watch: <span id=\"outcome\" class=\"{}\">{}</span></h1>",
        outcome_class(last.map(|r| r.outcome)),
        escape(outcome)
    );
    page.push_str("</header>\n<main>\n");
    actions_section(&mut page, status, actions);
    // Outside the part the refresh replaces: typing is never interrupted, and the refresh
    // applies the filter to the new rows.
    page.push_str(
        "<p><label for=\"filter\">Filter accounts, customers and drift by name or state</label> <input id=\"filter\" type=\"search\" placeholder=\"e.g. contoso, drifted\"></p>\n",
    );
    page.push_str("<div id=\"live\">\n");
    summary_section(&mut page, status);
    groups_section(&mut page, status);
    drift_section(&mut page, status);
    errors_section(&mut page, status);
    history_section(&mut page, history);
    recent_section(&mut page, status);
    details_section(&mut page, status);
    page.push_str("</div>\n</main>\n");
    tail(&mut page);
    page
}

fn actions_section(page: &mut String, status: &Status, actions: &ActionsView<'_>) {
    page.push_str(
        "<section class=\"actions\" aria-labelledby=\"actions-title\">\n<h2 id=\"actions-title\">Actions</h2>\n",
    );
    if !actions.allowed {
        page.push_str(
            "<p id=\"actions-off\">Actions are off: start watch with <code>--allow-actions</code> to reconcile now or pause applying from this page.</p>\n</section>\n",
        );
        return;
    }
    if actions.token_required {
        page.push_str(
            "<p><label for=\"token\">Bearer token (asked by this watch for actions)</label><br><input id=\"token\" type=\"password\" autocomplete=\"off\"></p>\n",
        );
    }
    let csrf = escape(actions.csrf);
    let _ = writeln!(
        page,
        "<form class=\"action\" method=\"post\" action=\"/actions/reconcile\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button id=\"reconcile-now\" type=\"submit\">Reconcile now</button></form>"
    );
    let (path, label) = if status.paused {
        ("/actions/resume", "Resume applying")
    } else {
        ("/actions/pause", "Pause applying")
    };
    let _ = writeln!(
        page,
        "<form class=\"action\" method=\"post\" action=\"{path}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button id=\"pause\" type=\"submit\" role=\"switch\" aria-checked=\"{}\">{label}</button></form>",
        status.paused
    );
    page.push_str("</section>\n");
}

fn summary_section(page: &mut String, status: &Status) {
    if status.paused {
        let text = if status.apply {
            "Applying is paused: reconciles plan and report, nothing is applied until it is resumed."
        } else {
            "Applying is paused (watch runs without --apply, so nothing is applied anyway)."
        };
        let _ = writeln!(
            page,
            "<p id=\"paused\" class=\"banner warn\" role=\"status\">{text}</p>"
        );
    }
    if let Some(error) = status.last_error.as_ref().filter(|e| e.resolved_at.is_none()) {
        let _ = writeln!(
            page,
            "<div id=\"current-error\" class=\"banner bad\" role=\"alert\"><p><strong>Failing since {}</strong> ({} in a row): nothing is reconciled until this is fixed.</p><pre>{}</pre></div>",
            escape(
                status
                    .errors
                    .first()
                    .filter(|e| e.resolved_at.is_none())
                    .map_or(error.at.as_str(), |e| e.since.as_str())
            ),
            status.failures,
            escape(&error.message)
        );
    }
    page.push_str("<dl id=\"summary\">\n");
    let _ = writeln!(page, "<dt>Folder</dt><dd>{}</dd>", escape(&status.dir));
    let commit = match &status.commit {
        None => "not known yet".to_string(),
        Some(c) => match &c.id {
            Some(id) => format!("<code id=\"commit\">{}</code> since {}", escape(id), escape(&c.since)),
            None => format!(
                "<span id=\"commit\">not a Git checkout</span> (since {})",
                escape(&c.since)
            ),
        },
    };
    let _ = writeln!(page, "<dt>Commit</dt><dd>{commit}</dd>");
    let _ = writeln!(
        page,
        "<dt>Mode</dt><dd>{}</dd>",
        if status.apply {
            "apply (changes and drift are applied)"
        } else {
            "report only (no --apply)"
        }
    );
    page.push_str("</dl>\n");
}

fn groups_section(page: &mut String, status: &Status) {
    page.push_str("<section aria-labelledby=\"groups-title\">\n<h2 id=\"groups-title\">Accounts and customers</h2>\n");
    if status.groups.is_empty() {
        page.push_str("<p>None yet: they are listed once a reconcile has planned the manifests.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"scroll\"><table id=\"groups\">\n<caption class=\"visually-hidden\">Sync state per account (ACG) and customer (Webex)</caption>\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Provider</th><th scope=\"col\">State</th><th scope=\"col\">Pending actions</th><th scope=\"col\">Last reconcile</th><th scope=\"col\">Plan</th></tr></thead>\n<tbody>\n");
    for g in &status.groups {
        let id = group_id(g.provider, &g.name);
        let name = match (&g.manifest, g.name.is_empty()) {
            (_, true) => format!("(no {})", g.kind),
            (Some(manifest), false) => format!("{manifest} ({})", g.name),
            (None, false) => g.name.clone(),
        };
        let filter = format!("{} {} {} {}", name, g.provider, g.kind, g.sync.label()).to_lowercase();
        let _ = write!(
            page,
            "<tr id=\"{id}\" data-filter=\"{}\"><th scope=\"row\">{}</th><td>{} {}</td><td class=\"state {}\">{}</td><td>{}</td><td>#{} {}</td><td>",
            escape(&filter),
            escape(&name),
            if g.provider == "acg" { "ACG" } else { "Webex" },
            g.kind,
            sync_class(g.sync),
            g.sync.label(),
            g.pending_actions,
            g.last_reconcile,
            g.last_outcome.label()
        );
        let mut detail = String::new();
        if !g.plan.is_empty() {
            let _ = write!(detail, "<pre class=\"plan\">{}</pre>", escape(&g.plan));
        }
        for what in g.provisioning.iter().chain(&g.failures) {
            let _ = write!(detail, "<p>{}</p>", escape(what));
        }
        if detail.is_empty() {
            page.push('—');
        } else {
            let _ = write!(
                page,
                "<details id=\"{id}-plan\"><summary>Show what is pending for {}</summary>{detail}</details>",
                escape(&name)
            );
        }
        page.push_str("</td></tr>\n");
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn drift_section(page: &mut String, status: &Status) {
    page.push_str(
        "<section aria-labelledby=\"drift-title\">\n<h2 id=\"drift-title\">Drift (changes made outside Git)</h2>\n",
    );
    if status.drift_seen.is_empty() {
        page.push_str("<p id=\"no-drift\">None seen since watch started.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"scroll\"><table id=\"drift-seen\">\n<thead><tr><th scope=\"col\">Seen</th><th scope=\"col\">Account / customer</th><th scope=\"col\">Change</th><th scope=\"col\">Corrected</th></tr></thead>\n<tbody>\n");
    for d in &status.drift_seen {
        let corrected = match &d.corrected_at {
            Some(at) => format!("<span class=\"ok\">corrected at {}</span>", escape(at)),
            None if status.apply && !status.paused => "<span class=\"warn\">not yet</span>".to_string(),
            None => "<span class=\"warn\">not corrected (nothing is applied)</span>".to_string(),
        };
        let _ = writeln!(
            page,
            "<tr data-filter=\"{}\"><td>{} (#{})</td><td>{}</td><td>{}</td><td>{corrected}</td></tr>",
            escape(&format!("{} {} drifted", d.group, d.object).to_lowercase()),
            escape(&d.seen_at),
            d.reconcile,
            escape(&d.group),
            escape(&d.object)
        );
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn errors_section(page: &mut String, status: &Status) {
    page.push_str("<section aria-labelledby=\"errors-title\">\n<h2 id=\"errors-title\">Errors</h2>\n");
    if status.errors.is_empty() {
        page.push_str("<p id=\"no-errors\">None since watch started.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"scroll\"><table id=\"errors\">\n<thead><tr><th scope=\"col\">Since</th><th scope=\"col\">Times</th><th scope=\"col\">Kind</th><th scope=\"col\">Resolved</th><th scope=\"col\">Error</th></tr></thead>\n<tbody>\n");
    for (n, e) in status.errors.iter().enumerate() {
        let resolved = match &e.resolved_at {
            Some(at) => format!("<span class=\"ok resolved\">resolved at {}</span>", escape(at)),
            None => "<span class=\"bad\">current</span>".to_string(),
        };
        let first_line = e.message.lines().next().unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{} (last {})</td><td>{}</td><td>{resolved}</td><td><details id=\"error-{n}\"><summary>{}</summary><pre>{}</pre></details></td></tr>",
            escape(&e.since),
            e.times,
            escape(&e.at),
            e.outcome.label(),
            escape(first_line),
            escape(&e.message)
        );
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn history_section(page: &mut String, history: &History) {
    page.push_str("<section aria-labelledby=\"history-title\">\n<h2 id=\"history-title\">History (applies recorded in the store)</h2>\n");
    let runs = match history {
        History::NoStore => {
            page.push_str("<p id=\"no-history\">No store: watch records its applies with <code>--apply</code> (docs/store.md). The reconciles of this process are below.</p>\n</section>\n");
            return;
        }
        History::Unreadable(message) => {
            let _ = writeln!(
                page,
                "<p id=\"history-error\" class=\"bad\">Cannot read the store: {}</p>\n</section>",
                escape(message)
            );
            return;
        }
        History::Runs(runs) => runs,
    };
    if runs.is_empty() {
        page.push_str("<p id=\"no-history\">Nothing applied to these providers yet.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"scroll\"><table id=\"history\">\n<thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Kind</th><th scope=\"col\">Started</th><th scope=\"col\">Outcome</th><th scope=\"col\">Commit</th><th scope=\"col\">Plan</th><th scope=\"col\">Objects</th></tr></thead>\n<tbody>\n");
    for run in runs {
        let _ = writeln!(
            page,
            "<tr><td><a href=\"/runs/{id}\">#{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>+{} ~{} -{}</td><td>{}</td></tr>",
            escape(&run.start.kind),
            escape(&run.start.started_at),
            escape(&run.outcome),
            // Whatever the store holds is cut by characters, never inside one.
            escape(
                &run.start
                    .commit
                    .as_deref()
                    .map_or("—".to_string(), |c| c.chars().take(12).collect())
            ),
            run.start.plan.add,
            run.start.plan.change,
            run.start.plan.delete,
            run.change_count,
            id = run.id
        );
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn recent_section(page: &mut String, status: &Status) {
    page.push_str(
        "<section aria-labelledby=\"recent-title\">\n<h2 id=\"recent-title\">Reconciles of this watch</h2>\n",
    );
    if status.recent.is_empty() {
        page.push_str("<p>None yet.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"scroll\"><table id=\"reconciles\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Trigger</th><th scope=\"col\">Started</th><th scope=\"col\">Took</th><th scope=\"col\">Outcome</th><th scope=\"col\">Plan / apply</th></tr></thead>\n<tbody>\n");
    for r in &status.recent {
        let mut what: Vec<&str> = Vec::new();
        what.extend(r.plan_line.as_deref());
        what.extend(r.apply_line.as_deref());
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"state {}\">{}</td><td>{}</td></tr>",
            r.number,
            r.trigger.name(),
            escape(&r.started_at),
            duration_text(r.duration_ms),
            outcome_class(Some(r.outcome)),
            r.outcome.label(),
            escape(&what.join(" "))
        );
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// The figures `/status` has, as a table.
fn details_section(page: &mut String, status: &Status) {
    let mut rows: Vec<(&str, String)> = vec![
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
        let mut at = 3;
        rows.insert(
            at,
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
        for (name, line) in [("Plan", &last.plan_line), ("Apply", &last.apply_line)] {
            if let Some(line) = line {
                at += 1;
                rows.insert(at, (name, line.clone()));
            }
        }
    }
    page.push_str(
        "<section aria-labelledby=\"details-title\">\n<h2 id=\"details-title\">Details</h2>\n<table id=\"status\">\n",
    );
    for (name, value) in &rows {
        let _ = writeln!(
            page,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
    page.push_str("</table>\n</section>\n");
}

/// The page of one run of the history, at `/runs/ID`.
pub fn run_page(run: &RunRecord) -> String {
    let mut page = String::new();
    head(&mut page, &format!("telform watch: run #{}", run.id));
    let _ = writeln!(
        page,
        "<header>\n<p><a href=\"/\">← telform watch</a></p>\n<h1>Run #{}: {} ({})</h1>\n</header>\n<main>",
        run.id,
        escape(&run.start.kind),
        escape(&run.outcome)
    );
    page.push_str("<dl id=\"run\">\n");
    let mut facts: Vec<(&str, String)> = vec![
        ("Started", run.start.started_at.clone()),
        ("Finished", run.finished_at.clone().unwrap_or_else(|| "—".into())),
        (
            "By",
            format!("{}@{} (pid {})", run.start.user, run.start.host, run.start.pid),
        ),
        ("Command", run.start.command.clone()),
        ("Folder", run.start.dir.clone()),
        (
            "Commit",
            run.start.commit.clone().unwrap_or_else(|| "not a Git checkout".into()),
        ),
        (
            "Plan",
            format!(
                "{} to add, {} to change, {} to delete",
                run.start.plan.add, run.start.plan.change, run.start.plan.delete
            ),
        ),
    ];
    if let Some(url) = &run.start.ci_url {
        facts.push(("CI job", url.clone()));
    }
    for (name, value) in facts {
        let _ = writeln!(page, "<dt>{name}</dt><dd>{}</dd>", escape(&value));
    }
    page.push_str("</dl>\n<h2>Objects changed</h2>\n");
    if run.changes.is_empty() {
        page.push_str("<p>None recorded.</p>\n");
    } else {
        page.push_str("<div class=\"scroll\"><table id=\"changes\">\n<thead><tr><th scope=\"col\">Object</th><th scope=\"col\">Account / customer</th><th scope=\"col\">Operation</th><th scope=\"col\">Fields</th><th scope=\"col\">Result</th></tr></thead>\n<tbody>\n");
        for c in &run.changes {
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| {
                    if f.sensitive {
                        format!("{} (sensitive, set)", f.path)
                    } else {
                        let show = |v: &Option<serde_json::Value>| {
                            v.as_ref().map_or("(none)".to_string(), ToString::to_string)
                        };
                        format!("{}: {} → {}", f.path, show(&f.before), show(&f.after))
                    }
                })
                .collect();
            let result = match &c.message {
                Some(message) => format!("{}: {message}", c.status),
                None => c.status.clone(),
            };
            let _ = writeln!(
                page,
                "<tr><th scope=\"row\">{} {} ({})</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.kind),
                escape(&c.key),
                escape(&c.provider),
                escape(&c.group),
                escape(&c.op),
                escape(&fields.join("\n")).replace('\n', "<br>"),
                escape(&result)
            );
        }
        page.push_str("</tbody>\n</table></div>\n");
        if run.change_count > run.changes.len() {
            let _ = writeln!(
                page,
                "<p>The first {} of {} changes; <code>telform history --object KIND/KEY</code> shows any of them.</p>",
                run.changes.len(),
                run.change_count
            );
        }
    }
    page.push_str("</main>\n");
    tail(&mut page);
    page
}

/// A page that says something went wrong (an unknown run, an unreadable store).
pub fn message_page(title: &str, message: &str) -> String {
    let mut page = String::new();
    head(&mut page, title);
    let _ = writeln!(
        page,
        "<header>\n<p><a href=\"/\">← telform watch</a></p>\n<h1>{}</h1>\n</header>\n<main>\n<p id=\"message\">{}</p>\n</main>",
        escape(title),
        escape(message)
    );
    tail(&mut page);
    page
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::status::LastError;
    use super::*;

    fn status() -> Status {
        Status::new(
            "/srv/<repo>".into(),
            true,
            Duration::from_secs(300),
            Duration::from_millis(500),
        )
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let mut status = status();
        status.last_error = Some(LastError {
            at: "t".into(),
            message: "bad \"value\" <script>alert('x')</script> & more".into(),
            resolved_at: None,
        });
        let actions = ActionsView {
            allowed: true,
            csrf: "\"><script>",
            token_required: false,
        };
        let page = overview(&status, &actions, &History::Unreadable("<b>no</b>".into()));
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("\"><script>"), "{page}");
        assert!(page.contains("&lt;b&gt;no&lt;/b&gt;"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"),
            "{page}"
        );
        assert!(page.contains("/srv/&lt;repo&gt;"), "{page}");
        assert!(page.contains("http-equiv=\"refresh\""), "{page}");
        assert!(
            page.contains("id=\"current-error\""),
            "an unresolved error is current: {page}"
        );
    }

    #[test]
    fn a_resolved_error_is_never_shown_as_current() {
        let mut status = status();
        status.last_error = Some(LastError {
            at: "2026-11-21T07:10:17Z".into(),
            message: "broken".into(),
            resolved_at: Some("2026-11-21T07:11:00Z".into()),
        });
        let actions = ActionsView {
            allowed: false,
            csrf: "x",
            token_required: false,
        };
        let page = overview(&status, &actions, &History::NoStore);
        assert!(!page.contains("id=\"current-error\""), "{page}");
        assert!(page.contains("id=\"actions-off\""), "{page}");
        assert!(
            !page.contains("/actions/reconcile"),
            "no action form without --allow-actions"
        );
    }

    #[test]
    fn group_ids_are_made_of_safe_characters() {
        assert_eq!(group_id("acg", "contoso-dr"), "group-acg-contoso-dr");
        assert_eq!(group_id("webex", "a b\"<"), "group-webex-a_20b_22_3c");
    }

    #[test]
    fn the_script_has_no_angle_bracket_that_would_end_the_element() {
        // `</script>` inside the script would end it; any `<` is avoided so the page stays
        // well formed for a strict reader.
        assert!(!SCRIPT.contains('<'));
    }

    /// WCAG's contrast ratio of `#rrggbb` on white.
    fn contrast_on_white(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
        1.05 / (luminance + 0.05)
    }

    #[test]
    fn every_text_colour_has_a_contrast_of_at_least_4_5_to_1() {
        let colours: Vec<&str> = STYLE
            .split("color:#")
            .skip(1)
            .map(|rest| &rest[..6])
            .filter(|c| c.chars().all(|x| x.is_ascii_hexdigit()))
            .collect();
        assert!(colours.len() >= 5, "{colours:?}");
        for colour in colours {
            // The code background (#f3f3f3) is close to white; 4.5 on white leaves room.
            assert!(
                contrast_on_white(colour) >= 4.5,
                "#{colour}: {:.2}",
                contrast_on_white(colour)
            );
        }
    }
}
