//! `telform import`: live state → manifests (see `crate::import`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use super::{ExitStatus, ImportArgs, OperatorSettings, print_err, print_out};
use crate::import::{self, Origin, Scope, read};
use crate::model::{ProviderName, Stop};
use crate::provider::acg::AcgClient;
use crate::provider::config::{self, Trusted, process_env};
use crate::provider::webex::WebexClient;

fn fail(message: &str) -> ExitStatus {
    print_err(&format!("error: {message}\n"));
    ExitStatus::Failure
}

/// Progress on stderr: a spinner with the current step on a terminal, plain lines elsewhere
/// (CI logs keep every line).
struct Steps {
    started: Instant,
    spinner: Option<indicatif::ProgressBar>,
    last: Mutex<String>,
    /// The ACG reads expected, once known.
    acg_expected: std::sync::atomic::AtomicU64,
}

impl read::Progress for Steps {
    fn step(&self, provider: ProviderName, what: &str) {
        let name = match provider {
            ProviderName::Acg => "ACG",
            ProviderName::Webex => "Webex",
        };
        let line = format!("{name}: {what}");
        if let Ok(mut last) = self.last.lock() {
            *last = line.clone();
        }
        match &self.spinner {
            Some(s) => s.set_message(line),
            None => print_err(&format!("[{:>5.1}s] {line}\n", self.started.elapsed().as_secs_f64())),
        }
    }

    fn expect(&self, provider: ProviderName, reads: u64) {
        if provider == ProviderName::Acg {
            self.acg_expected.store(reads, std::sync::atomic::Ordering::Relaxed);
            if let Some(s) = &self.spinner {
                s.set_length(reads);
                s.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:20}] {pos}/{len} reads, ETA {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
                        .progress_chars("=> "),
                );
            }
        }
    }
}

impl Steps {
    /// Where the ACG reads are, from the client's own counter: on a terminal the bar moves,
    /// in a log a line says it every 10 s with an ETA (a full read at ACG's real limit takes
    /// minutes, and a silent CI log looks stuck).
    fn tick(&self, done: u64, last_line: &mut Instant) {
        let expected = self.acg_expected.load(std::sync::atomic::Ordering::Relaxed);
        if expected == 0 {
            return;
        }
        let done = done.min(expected);
        match &self.spinner {
            Some(s) => s.set_position(done),
            None if last_line.elapsed() >= std::time::Duration::from_secs(10) && done > 0 => {
                *last_line = Instant::now();
                let elapsed = self.started.elapsed();
                let left = elapsed.mul_f64((expected - done) as f64 / done as f64);
                print_err(&format!(
                    "[{:>5.1}s] ACG: {done}/{expected} reads, about {} left\n",
                    elapsed.as_secs_f64(),
                    minutes_seconds(left)
                ));
            }
            None => {}
        }
    }
}

pub fn run(args: ImportArgs, operator: &OperatorSettings) -> ExitStatus {
    let scope = Scope {
        all: args.all,
        accounts: args.accounts.iter().cloned().collect(),
        customers: args.customers.iter().cloned().collect(),
        consents: args.consents,
        shared_lines: args.shared_lines,
        patterns: args.patterns.clone(),
    };
    if scope.is_empty() {
        return fail(
            "say what to import\nhint: `--all`, or any of `--account NAME`, `--customer EXTERNAL_ID`, `--consents`, `--match PATTERN` (each may be repeated)",
        );
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
    if out.exists() && !out.is_dir() {
        return fail(&format!(
            "--out {} is not a folder\nhint: name the manifest folder to import into",
            out.display()
        ));
    }
    let trusted_settings = match operator.load(&out) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let trusted = Trusted {
        env: &process_env,
        settings: trusted_settings.as_ref(),
    };

    // What the folder declares already is not imported again.
    let (declared, folder_settings) = if out.is_dir() {
        let validated = crate::validate::validate_with(std::slice::from_ref(&out), &trusted.secret_policy());
        if !validated.is_valid() {
            let located = crate::validate::report::locate(&validated.diagnostics, &validated.sources);
            print_out(&crate::validate::report::render_text(&located, true));
            return fail(&format!(
                "the manifests in {} are not valid: import adds only what they do not declare, so it must read them; nothing was imported\nhint: run `telform validate {}` and fix them, or import into another folder",
                out.display(),
                out.display()
            ));
        }
        (validated.manifests, validated.settings)
    } else {
        (Default::default(), None)
    };

    let acg = if scope.uses_acg() {
        match config::acg(trusted, folder_settings.as_ref()).map_err(|m| m.to_string()) {
            Ok(cfg) => match AcgClient::new(cfg) {
                Ok(c) => Some(c),
                Err(e) => return fail(&e.to_string()),
            },
            Err(message) => return fail(&message),
        }
    } else {
        None
    };
    let webex = if scope.uses_webex() {
        match config::webex(trusted).map_err(|m| m.to_string()) {
            Ok(cfg) => match WebexClient::new(cfg) {
                Ok(c) => Some(c),
                Err(e) => return fail(&e.to_string()),
            },
            Err(message) => return fail(&message),
        }
    } else {
        None
    };

    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(status) => return status,
    };
    let stop = Stop::default();
    let terminal = std::io::stderr().is_terminal();
    let steps = Steps {
        started: Instant::now(),
        spinner: terminal.then(|| {
            let s = indicatif::ProgressBar::new_spinner();
            s.enable_steady_tick(std::time::Duration::from_millis(120));
            s
        }),
        last: Mutex::new(String::new()),
        acg_expected: std::sync::atomic::AtomicU64::new(0),
    };
    {
        let stop = stop.clone();
        runtime.spawn(super::signals::stop_on_signals(
            move || stop.request(),
            "stopping: no file is half-written; nothing more is read or written (again to quit at once)\n",
            super::signals::to_stderr,
        ));
    }
    let estate = runtime.block_on(async {
        let reading = read::read(acg.as_ref(), webex.as_ref(), &scope, &steps, &stop);
        tokio::pin!(reading);
        let mut last_line = Instant::now();
        let mut ticks = tokio::time::interval(std::time::Duration::from_millis(250));
        loop {
            tokio::select! {
                result = &mut reading => break result,
                _ = ticks.tick() => {
                    let done = acg.as_ref().map_or(0, |c| c.stats.snapshot().0);
                    steps.tick(done, &mut last_line);
                }
            }
        }
    });
    if let Some(s) = &steps.spinner {
        s.finish_and_clear();
    }
    let estate = match estate {
        Ok(e) => e,
        Err(read::ReadError::Stopped) => return fail("stopped before anything was written"),
        Err(read::ReadError::Provider(e)) => return fail(&format!("{e}\nnothing was written")),
    };
    let origin = Origin {
        when: crate::clock::iso8601(std::time::SystemTime::now()),
        acg_url: acg.as_ref().map(|c| c.config.url.clone()),
        webex_url: webex.as_ref().map(|c| c.config.url.clone()),
    };
    let existing = import::write::existing_files(&out);
    let result = import::build(&estate, &declared, existing, &scope, &origin);

    let mut summary = String::new();
    if args.dry_run {
        for f in &result.files {
            print_out(&format!(
                "--- {} ({} document(s))\n{}",
                out.join(f.relative()).display(),
                f.documents,
                f.text
            ));
        }
        summary.push_str(&format!(
            "Dry run: {} file(s) would be written under {}; nothing was written.\n",
            result.files.len(),
            out.display()
        ));
    } else {
        let written = import::write::write_all(&out, &result.files, &stop, |path| {
            if !terminal {
                print_err(&format!("wrote {}\n", out.join(path).display()));
            }
        });
        for path in &written.written {
            summary.push_str(&format!("  + {}\n", out.join(path).display()));
        }
        for path in &written.kept {
            summary.push_str(&format!(
                "  = {} appeared meanwhile: kept, not replaced (import again to add what it lacks)\n",
                out.join(path).display()
            ));
        }
        for e in &written.errors {
            summary.push_str(&format!("  ! {}: {}\n", e.path.display(), e.message));
        }
        if !written.not_written.is_empty() {
            summary.push_str(&format!(
                "Stopped: {} file(s) not written (no file was half-written); import again to finish.\n",
                written.not_written.len()
            ));
        }
        summary.push_str(&format!(
            "Import: {} file(s) written under {}{}.\n",
            written.written.len(),
            out.display(),
            if result.files.is_empty() {
                " (everything in scope is declared already)"
            } else {
                ""
            }
        ));
        if !written.errors.is_empty() {
            print_out(&summary);
            return ExitStatus::Failure;
        }
        if !written.not_written.is_empty() {
            print_out(&summary);
            return ExitStatus::Failure;
        }
    }
    if !result.counts.is_empty() {
        let counts: Vec<String> = result.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        summary.push_str(&format!("Imported: {}.\n", counts.join(", ")));
    }
    if !result.notes.is_empty() {
        summary.push_str(&format!("Not imported or to complete ({}):\n", result.notes.len()));
        for n in &result.notes {
            // A note quotes live values (an external id may hold escape sequences): one line
            // of plain text on the terminal.
            summary.push_str(&format!("  - {}\n", import::yaml::comment_text(n)));
        }
    }
    if !result.files.is_empty() && !args.dry_run {
        summary.push_str(&format!(
            "Next: `telform validate {0}` then `telform plan {0}` (no change is expected for what was imported).\n",
            out.display()
        ));
    }
    print_out(&summary);
    ExitStatus::Success
}

/// `21m05s`, `40s`: an ETA to the second.
fn minutes_seconds(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}
