//! `telform apply`

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{ApplyArgs, ApplyFormat, ExitStatus, OperatorSettings, print_err, print_out};
use crate::apply::secrets::KEEP_WITH_FLAG;
use crate::apply::{report, stale};
use crate::model::Stop;
use crate::model::plan::Plan;
use crate::plan::render;
use crate::provider::config::{Env, Trusted, process_env};
use crate::reconcile::guard::{self, StoreConfig};
use crate::reconcile::{self, PlanOptions, Planned};

/// Where apply finds provider settings and SIP passwords.
pub(crate) struct ApplyEnv<'a> {
    /// The provider configuration and the SIP password policy.
    pub trusted: Trusted<'a>,
    /// Variables named by `sipPassword.fromEnv`.
    pub secrets: Env<'a>,
    /// The folder `sipPassword.fromFile` paths are relative to (default: the manifest folder).
    pub secrets_base: Option<PathBuf>,
    /// Where the apply lock and the history are kept.
    pub store: StoreConfig,
}

pub fn run(args: ApplyArgs, operator: &OperatorSettings) -> ExitStatus {
    let settings = match operator.load(args.target.as_deref().unwrap_or(Path::new("."))) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let secrets = |name: &str| std::env::var(name).ok();
    let trusted = Trusted {
        env: &process_env,
        settings: settings.as_ref(),
    };
    let store = match operator.store(args.lock_timeout, trusted) {
        Ok(store) => store,
        Err(status) => return status,
    };
    run_with_env(
        args,
        &ApplyEnv {
            trusted,
            secrets: &secrets,
            secrets_base: None,
            store,
        },
    )
}

/// A `.json` target is a saved plan, whether or not it exists: `apply nope.json` must not be
/// read as a manifest folder.
fn is_saved_plan(target: &Path) -> bool {
    !target.is_dir() && target.extension().is_some_and(|e| e == "json")
}

fn fail(message: &str) -> ExitStatus {
    print_err(&format!("error: {message}\n"));
    ExitStatus::Failure
}

pub(crate) fn run_with_env(args: ApplyArgs, env: &ApplyEnv) -> ExitStatus {
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(status) => return status,
    };
    let target = args.target.clone().unwrap_or_else(|| PathBuf::from("."));
    let text = args.output == ApplyFormat::Text;
    let saved = is_saved_plan(&target);

    // 0. The lock of the providers this apply writes to, before anything is read: the plan is
    // made (or a saved one checked) under it, so that no other apply changes what it read.
    let manifests = if saved {
        crate::manifest::confined::folder_of(&target)
    } else {
        target.clone()
    };
    let mut guard = match runtime.block_on(guard::lock(
        &env.store,
        guard::estates(env.trusted),
        &manifests,
        "apply",
        env.trusted.env,
    )) {
        Ok(guard) => guard,
        Err(message) => return fail(&message),
    };

    // 1. The plan to apply: made now, or saved and still fresh.
    let (planned, plan) = if saved {
        if args.scope.shapes_the_plan() {
            return fail(
                "--prune, --max-deletes, --selector, --target and --changed-since belong to `telform plan`: a saved plan is applied as it was made\nhint: make a new plan with the options you want",
            );
        }
        match load_saved(&target) {
            Ok((saved_plan, options)) => {
                let mut planned = match super::while_reading(&runtime, reconcile::plan_dir(&options, env.trusted)) {
                    Ok(p) => p,
                    Err(failure) => {
                        print_err(&failure.text());
                        return ExitStatus::Failure;
                    }
                };
                if let Some(differ) = other_endpoints(&saved_plan, &planned) {
                    return fail(&format!(
                        "the saved plan {} was made against other providers ({differ}): nothing was applied\nhint: set TELFORM_ACG_URL / TELFORM_WEBEX_URL (or the operator's settings) as when the plan was made, or make a new plan against these providers",
                        target.display()
                    ));
                }
                let stale = stale::check(&saved_plan, &planned.plan);
                if !stale.is_empty() {
                    let mut message = format!(
                        "error: the saved plan {} is stale: {} changed since it was made; nothing was applied\n",
                        target.display(),
                        crate::diag::counted(stale.len(), "object")
                    );
                    for s in stale.iter().take(50) {
                        message.push_str(&format!("  {} ({}): {}\n", s.object, s.object.group, s.how));
                    }
                    if stale.len() > 50 {
                        message.push_str(&format!("  … and {} more\n", stale.len() - 50));
                    }
                    message.push_str(&format!(
                        "hint: run `telform plan {} -o {}` again, review it, then apply the new plan\n",
                        options.dir.display(),
                        target.display()
                    ));
                    print_err(&message);
                    return ExitStatus::Failure;
                }
                // The saved actions are applied; the fresh ones were only for the comparison
                // (its fingerprints stay: the writes check them).
                planned.plan.actions = Vec::new();
                (planned, saved_plan)
            }
            Err(message) => return fail(&message),
        }
    } else {
        let options = match args.scope.plan_options(target.clone(), env.trusted.env) {
            Ok(options) => PlanOptions {
                reset_passwords: guard.uncertain_passwords(),
                ..options
            },
            Err(message) => return fail(&message),
        };
        match super::while_reading(&runtime, reconcile::plan_dir(&options, env.trusted)) {
            Ok(mut planned) => {
                // One copy of the plan: a plan over 100,000 numbers is hundreds of megabytes.
                let plan = std::mem::take(&mut planned.plan);
                planned.plan.fingerprints = plan.fingerprints.clone();
                if text {
                    print_out(&render::text(&plan, true));
                } else if !args.auto_approve {
                    // The question needs the plan beside it; stdout is kept for the JSON.
                    print_err(&render::text(&plan, true));
                }
                (planned, plan)
            }
            Err(failure) => {
                print_err(&failure.text());
                return ExitStatus::Failure;
            }
        }
    };
    if !plan.errors.is_empty() {
        if !text {
            print_err(&render::text(&plan, false));
        }
        return fail(&format!(
            "the plan has {} with live state (listed above): nothing was applied",
            crate::diag::counted(plan.errors.len(), "problem")
        ));
    }
    if !plan.has_changes() {
        if text {
            // The plan already said "No changes".
            if saved {
                print_out("No changes. Live state matches the manifests.\n");
            }
        } else {
            print_out(&report::json(&[]));
        }
        if args.stats {
            print_err(&super::plan::call_stats(planned.acg.as_ref(), planned.webex.as_ref()));
        }
        runtime.block_on(guard.release());
        return ExitStatus::Success;
    }

    // 2. Confirmation.
    if !saved && !args.auto_approve {
        match confirm() {
            Ok(true) => {}
            Ok(false) => {
                print_err("Apply cancelled: nothing was changed.\n");
                return ExitStatus::Failure;
            }
            Err(message) => return fail(&message),
        }
    }

    // 3. Passwords, before any write; 4. apply.
    let request = reconcile::ApplyRequest {
        secrets: env.secrets,
        policy: env.trusted.secret_policy(),
        secrets_base: env.secrets_base.clone(),
        secrets_out: args.secrets_out.clone(),
        how_to_keep: KEEP_WITH_FLAG,
        concurrency: args.concurrency,
        progress: text.then(|| std::io::stderr().is_terminal()),
        stop: Stop::default(),
    };
    let prepared = match planned.prepare_apply(plan.actions, request) {
        Ok(prepared) => prepared,
        Err(message) => {
            print_err(&message);
            return ExitStatus::Failure;
        }
    };
    let stop = prepared.run.stop.clone();
    let say = prepared.run.progress.printer();
    let outcomes = runtime.block_on(async {
        let signals = tokio::spawn(async move {
            let message = "interrupted: finishing the writes in flight, starting nothing new (press Ctrl-C again to quit at once)\n";
            super::signals::stop_on_signals(|| stop.request(), message, say).await;
        });
        // Recorded in the history: before the first write (a store that cannot record it
        // stops the apply), and its outcome after the last.
        let outcomes = prepared.execute_recorded(&mut guard).await;
        signals.abort();
        outcomes
    });
    runtime.block_on(guard.release());
    let (outcomes, recorded) = match outcomes {
        Ok(done) => done,
        Err(message) => {
            print_err(&message);
            return ExitStatus::Failure;
        }
    };

    // 5. Report.
    match args.output {
        ApplyFormat::Text => print_out(&report::text(&outcomes)),
        ApplyFormat::Json => print_out(&report::json(&outcomes)),
    }
    if args.stats {
        print_err(&super::plan::call_stats(planned.acg.as_ref(), planned.webex.as_ref()));
    }
    let totals = report::totals(&outcomes);
    if let Some(message) = recorded {
        print_err(&format!("error: {message}\n"));
        return ExitStatus::Failure;
    }
    if totals.failed + totals.skipped > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// Reads a saved plan and the options it was made with.
fn load_saved(path: &Path) -> Result<(Plan, PlanOptions), String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the saved plan {}: {e}\nhint: make one with `telform plan DIR -o plan.json`, or name a manifest folder to plan and apply in one go",
            path.display()
        )
    })?;
    let plan = render::from_json(&text).map_err(|e| {
        // The file is someone's: the hint must not suggest overwriting it.
        format!(
            "{} is not a saved telform plan ({e})\nhint: apply a plan saved by `telform plan DIR -o plan.json`, or name a manifest folder",
            path.display(),
        )
    })?;
    let Some(origin) = plan.origin.clone() else {
        return Err(format!(
            "{} does not say which manifest folder it was made from (made with `--output json` rather than `-o`?)\nhint: save the plan with `telform plan DIR -o plan.json`",
            path.display(),
        ));
    };
    // The folder as seen from the plan file first: the plan may be applied from elsewhere.
    let from_plan = origin.dir_from_plan.as_deref().map(|relative| {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        folder.join(relative)
    });
    let dir = match from_plan {
        Some(dir) if dir.is_dir() => dir,
        _ => PathBuf::from(&origin.dir),
    };
    Ok((
        plan,
        PlanOptions {
            dir,
            prune: origin.prune,
            max_deletes: origin.max_deletes,
            max_number_changes: origin.max_number_changes,
            selector: origin.selector,
            targets: origin.targets,
            reset_passwords: Default::default(),
            changed_since: None,
            scope: origin.scope,
            // A saved plan that refused a creation-only edit cannot be applied: one saved
            // applicable had none to refuse.
            creation_edits: Vec::new(),
        },
    ))
}

/// Why the providers `planned` would write to are not those the saved plan read, if they are
/// not: a plan made against one ACG or Webex must not be applied to another.
fn other_endpoints(saved: &Plan, planned: &Planned) -> Option<String> {
    let origin = saved.origin.as_ref()?;
    let mut differ = Vec::new();
    let now = (
        planned.acg.as_ref().map(|c| c.config.url.as_str()),
        planned.webex.as_ref().map(|c| c.config.url.as_str()),
    );
    for (name, then, now) in [
        ("ACG", origin.acg_url.as_deref(), now.0),
        ("Webex", origin.webex_url.as_deref(), now.1),
    ] {
        if let (Some(then), Some(now)) = (then, now)
            && then != now
        {
            differ.push(format!("{name}: planned against {then}, now configured for {now}"));
        }
    }
    (!differ.is_empty()).then(|| differ.join("; "))
}

/// Asks on the terminal, as Terraform does.
fn confirm() -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "no terminal to confirm the plan on, and --auto-approve was not given: nothing was applied\nhint: review the plan, then run `telform apply --auto-approve` (CI), or apply a saved, reviewed plan: `telform apply plan.json`"
                .into(),
        );
    }
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}
