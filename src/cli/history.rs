//! `telform history` and `telform force-unlock`: the store, read and repaired.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{ExitStatus, ForceUnlockArgs, HistoryArgs, OperatorSettings, TextOrJson, print_err, print_out};
use crate::provider::config::{Trusted, process_env};
use crate::store::{Filter, RunRecord, Store};

/// The kinds history knows objects by.
const KINDS: [&str; 8] = [
    "Account",
    "Number",
    "Consent",
    "Customer",
    "Location",
    "User",
    "Workspace",
    "Device",
];

/// Objects shown per apply in text (JSON has them all).
const SHOWN_PER_RUN: usize = 50;

fn fail(message: &str) -> ExitStatus {
    print_err(&format!("error: {message}\n"));
    ExitStatus::Failure
}

/// Opens the store the trusted configuration names.
fn open(operator: &OperatorSettings) -> Result<(tokio::runtime::Runtime, Store), ExitStatus> {
    let settings = operator.load(Path::new("."))?;
    let trusted = Trusted {
        env: &process_env,
        settings: settings.as_ref(),
    };
    let config = operator.store(None, trusted)?;
    let runtime = super::runtime()?;
    let store = runtime
        .block_on(Store::open(&config.location))
        .map_err(|e| fail(&e.to_string()))?;
    Ok((runtime, store))
}

pub fn run(args: HistoryArgs, operator: &OperatorSettings) -> ExitStatus {
    let object = match args.object.as_deref().map(parse_object).transpose() {
        Ok(o) => o,
        Err(message) => return fail(&message),
    };
    let since = match args
        .since
        .as_deref()
        .map(|s| parse_since(s, SystemTime::now()))
        .transpose()
    {
        Ok(s) => s,
        Err(message) => return fail(&message),
    };
    let (runtime, store) = match open(operator) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let filter = Filter {
        object,
        since,
        limit: args.limit.max(1),
        ..Filter::default()
    };
    let runs = match runtime.block_on(store.history(&filter)) {
        Ok(runs) => runs,
        Err(e) => return fail(&e.to_string()),
    };
    match args.output {
        TextOrJson::Json => print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&runs).unwrap_or_else(|_| "[]".into())
        )),
        TextOrJson::Text => print_out(&text(&runs, &store.display(), filter.object.is_some())),
    }
    ExitStatus::Success
}

/// `KIND/KEY`; a device's MAC as the providers write it (upper-case hex).
fn parse_object(text: &str) -> Result<(String, String), String> {
    let bad = || {
        format!(
            "--object `{text}` is not KIND/KEY\nhint: KIND is one of {}; e.g. `--object Number/+33465710101`, `--object Device/001A2B3C4D5E`",
            KINDS.join(", ")
        )
    };
    let (kind, key) = text.split_once('/').ok_or_else(bad)?;
    if !KINDS.contains(&kind) || key.is_empty() {
        return Err(bad());
    }
    let key = if kind == "Device" {
        key.chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_uppercase()
    } else {
        key.to_string()
    };
    Ok((kind.to_string(), key))
}

/// `2026-12-01`, `2026-12-01T08:00:00Z`, or a duration back from `now` (`24h`, `7d`), as the
/// ISO 8601 text runs are compared with.
pub(crate) fn parse_since(text: &str, now: SystemTime) -> Result<String, String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let is_date = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if is_date && (bytes.len() == 10 || (bytes[10] == b'T' && text.ends_with('Z'))) {
        return Ok(text.to_string());
    }
    let back = match text.strip_suffix('d').and_then(|d| d.parse::<u64>().ok()) {
        Some(days) => Ok(Duration::from_secs(days.saturating_mul(86_400))),
        None => crate::clock::parse_duration(text),
    }
    .map_err(|_| {
        format!(
            "--since `{text}` is not a date\nhint: write a date (2026-12-01), a UTC time (2026-12-01T08:00:00Z) or a duration back from now (24h, 7d)"
        )
    })?;
    Ok(crate::clock::iso8601(
        now.checked_sub(back).unwrap_or(SystemTime::UNIX_EPOCH),
    ))
}

fn symbol(op: &str) -> &'static str {
    match op {
        "create" => "+",
        "update" => "~",
        "replace" => "-/+",
        "delete" => "-",
        _ => "?",
    }
}

fn value(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map_or_else(|| "(none)".to_string(), ToString::to_string)
}

/// The history for people.
pub(crate) fn text(runs: &[RunRecord], store: &str, one_object: bool) -> String {
    if runs.is_empty() {
        return format!("No applies recorded in {store} (with these filters).\n");
    }
    let mut out = String::new();
    for run in runs {
        let s = &run.start;
        out.push_str(&format!(
            "{} #{} · {} · {} → {}\n",
            if s.kind == "reconcile" { "Reconcile" } else { "Apply" },
            run.id,
            run.outcome,
            s.started_at,
            run.finished_at.as_deref().unwrap_or("(not finished)")
        ));
        out.push_str(&format!(
            "  by {} on {} (pid {}): {}\n",
            s.user, s.host, s.pid, s.command
        ));
        if let Some(url) = &s.ci_url {
            out.push_str(&format!("  from {url}\n"));
        }
        out.push_str(&format!(
            "  folder {}{}\n",
            s.dir,
            s.commit
                .as_deref()
                .map(|c| format!(" at commit {c}"))
                .unwrap_or_default()
        ));
        if !one_object {
            out.push_str(&format!(
                "  Plan: {} to add, {} to change, {} to delete.\n",
                s.plan.add, s.plan.change, s.plan.delete
            ));
        }
        for change in run.changes.iter().take(SHOWN_PER_RUN) {
            out.push_str(&format!(
                "  {} {} {}{}: {}{}\n",
                symbol(&change.op),
                change.kind,
                change.key,
                if change.group.is_empty() || change.group == change.key {
                    String::new()
                } else {
                    format!(" ({})", change.group)
                },
                change.status,
                change
                    .message
                    .as_deref()
                    .map(|m| format!(" ({})", m.lines().next().unwrap_or_default()))
                    .unwrap_or_default()
            ));
            for field in &change.fields {
                if field.sensitive {
                    let how = if change.op == "update" { "rotated" } else { "set" };
                    out.push_str(&format!("      {}: (sensitive, {how})\n", field.path));
                } else {
                    out.push_str(&format!(
                        "      {}: {} → {}\n",
                        field.path,
                        value(&field.before),
                        value(&field.after)
                    ));
                }
            }
        }
        if run.changes.len() > SHOWN_PER_RUN {
            out.push_str(&format!(
                "  … and {} more objects (`--output json` lists them all; `--object KIND/KEY` shows one)\n",
                run.changes.len() - SHOWN_PER_RUN
            ));
        }
        out.push('\n');
    }
    out
}

pub fn force_unlock(args: ForceUnlockArgs, operator: &OperatorSettings) -> ExitStatus {
    let (runtime, store) = match open(operator) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let found = match runtime.block_on(store.lock_by_id(&args.id)) {
        Ok(found) => found,
        Err(e) => return fail(&e.to_string()),
    };
    let Some((holder, estates)) = found else {
        return fail(&format!(
            "no lock named {} in the store {}\nhint: the ID is the one a refused apply printed (`lock ID …`); the lock may already be free: apply again",
            args.id,
            store.display()
        ));
    };
    print_err(&format!(
        "Lock {} of {}\n  held by {}\n",
        args.id,
        estates.join(", "),
        holder.describe()
    ));
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return fail(
                "no terminal to confirm on: nothing was unlocked\nhint: make sure that apply is not still writing, then run `telform force-unlock --yes ID`",
            );
        }
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\nUnlocking while that apply still writes lets a second one write at the same time.\nDo you really want to force-unlock?\n  Only 'yes' will be accepted.\n\n  Enter a value: "
        );
        let _ = err.flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            print_err("Force-unlock cancelled: the lock is kept.\n");
            return ExitStatus::Failure;
        }
    }
    match runtime.block_on(store.force_unlock(&args.id)) {
        Ok(message) => {
            print_out(&format!("{message}\n"));
            ExitStatus::Success
        }
        Err(e) => fail(&e.to_string()),
    }
}
