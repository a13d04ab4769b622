//! `telform plan`

use std::path::PathBuf;

use super::{ExitStatus, OperatorSettings, PlanArgs, PlanFormat, print_err, print_out};
use crate::plan::render;
use crate::provider::acg::AcgClient;
use crate::provider::config::{Trusted, process_env};
use crate::provider::webex::WebexClient;
use crate::provider::{CallStats, Provider};
use crate::reconcile;

pub fn run(args: PlanArgs, operator: &OperatorSettings) -> ExitStatus {
    let settings = match operator.load(args.dir.as_deref().unwrap_or(std::path::Path::new("."))) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    run_with_env(
        args,
        Trusted {
            env: &process_env,
            settings: settings.as_ref(),
        },
    )
}

/// Plans with the provider configuration `trusted` gives (the process environment and the
/// operator's settings, or the emulator's environment for `telform demo`).
pub fn run_with_env(args: PlanArgs, trusted: Trusted) -> ExitStatus {
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(status) => return status,
    };
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let options = match args.scope.plan_options(dir, trusted.env) {
        Ok(options) => options,
        Err(message) => {
            print_err(&format!("error: {message}\n"));
            return ExitStatus::Failure;
        }
    };
    let planned = match super::while_reading(&runtime, reconcile::plan_dir(&options, trusted)) {
        Ok(planned) => planned,
        Err(failure) => {
            print_err(&failure.text());
            return ExitStatus::Failure;
        }
    };
    let mut planned = planned;
    match args.output {
        PlanFormat::Text => print_out(&render::text(&planned.plan, true)),
        PlanFormat::Markdown => print_out(&render::markdown(&planned.plan)),
        // Written as it is made: the JSON of millions of numbers is never held whole.
        PlanFormat::Json => {
            let _ = render::json_to(&planned.plan, anstream::stdout().lock());
        }
    }
    if let Some(path) = &args.out {
        // The plan itself, with its origin, rather than a copy: a plan can be large.
        planned.plan.origin = Some(planned.origin(path));
        let saved = render::json(&planned.plan);
        planned.plan.origin = None;
        // A new file renamed into place: a committed symlink named like the plan is replaced,
        // never followed.
        if let Err(error) = crate::manifest::confined::replace_file(path, saved.as_bytes(), 0o644) {
            print_err(&format!("error: cannot write {}: {error}\n", path.display()));
            return ExitStatus::Failure;
        }
        if planned.plan.errors.is_empty() {
            print_err(&format!(
                "Saved the plan to {0}. Apply it with: telform apply {0}\n",
                path.display()
            ));
        }
    }
    let plan = &planned.plan;
    if args.stats {
        print_err(&call_stats(planned.acg.as_ref(), planned.webex.as_ref()));
    }
    if !plan.errors.is_empty() {
        print_err(&format!(
            "error: the plan has {} with live state (listed above): it cannot be applied\n",
            crate::diag::counted(plan.errors.len(), "problem")
        ));
        return ExitStatus::Failure;
    }
    match (args.detailed_exitcode, plan.has_changes()) {
        (true, true) => ExitStatus::Changes,
        _ => ExitStatus::Success,
    }
}

/// `API calls: ACG 3 reads, 0 writes, 0 retries; …`
pub(crate) fn call_stats(acg: Option<&AcgClient>, webex: Option<&WebexClient>) -> String {
    let mut line = String::from("API calls:");
    if let Some(client) = acg {
        line.push_str(&stats("ACG", client.stats()));
    }
    if let Some(client) = webex {
        line.push_str(&stats("Webex", client.stats()));
    }
    line.push('\n');
    line
}

fn stats(name: &str, stats: &CallStats) -> String {
    let (reads, writes, retries) = stats.snapshot();
    let prechecks = stats.prechecks.load(std::sync::atomic::Ordering::Relaxed);
    let reads = match prechecks {
        0 => crate::diag::counted(reads as usize, "read"),
        n => format!(
            "{} ({})",
            crate::diag::counted(reads as usize, "read"),
            crate::diag::counted(n as usize, "precheck")
        ),
    };
    format!(
        " {name} {reads}, {}, {};",
        crate::diag::counted(writes as usize, "write"),
        crate::diag::counted(retries as usize, "retry")
    )
}
