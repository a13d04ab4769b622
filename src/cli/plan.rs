//! `telform plan`

use std::path::PathBuf;

use super::{ExitStatus, PlanArgs, PlanFormat, print_err, print_out};
use crate::manifest::ManifestSet;
use crate::plan::{self, Context, DEFAULT_MAX_DELETES, Live, render};
use crate::provider::acg::AcgClient;
use crate::provider::config::{self, Env, process_env};
use crate::provider::webex::WebexClient;
use crate::provider::{CallStats, Provider};
use crate::validate::{self, report};

pub fn run(args: PlanArgs) -> ExitStatus {
    run_with_env(args, &process_env)
}

/// Plans with the provider configuration read from `env` (the process environment, or the
/// emulator's for `telform demo`).
pub fn run_with_env(args: PlanArgs, env: Env) -> ExitStatus {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let validated = validate::validate(std::slice::from_ref(&dir));
    if !validated.is_valid() {
        let located = report::locate(&validated.diagnostics, &validated.sources);
        print_err(&report::render_text(&located, true));
        print_err(&format!(
            "error: the manifests are not valid ({} problems): nothing was planned\nhint: run `telform validate {}` and fix them\n",
            located.len(),
            dir.display()
        ));
        return ExitStatus::Failure;
    }
    let manifests = match select(validated.manifests, &args.selector) {
        Ok(m) => m,
        Err(message) => {
            print_err(&format!("error: {message}\nhint: write --selector key=value\n"));
            return ExitStatus::Failure;
        }
    };
    let settings = validated.settings.as_ref();
    let max_deletes = args
        .max_deletes
        .or_else(|| {
            settings
                .and_then(|s| s.apply.as_ref())
                .and_then(|a| a.max_deletes)
                .map(|n| n as usize)
        })
        .unwrap_or(DEFAULT_MAX_DELETES);

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(error) => {
            print_err(&format!("error: cannot start the runtime: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    let uses_acg =
        !manifests.accounts.is_empty() || !manifests.number_sets.is_empty() || !manifests.consents.is_empty();
    let acg = if uses_acg {
        match config::acg(settings, env).map(AcgClient::new) {
            Ok(Ok(client)) => Some(client),
            Ok(Err(error)) => return provider_failed(&error.to_string()),
            Err(missing) => return provider_failed(&missing.to_string()),
        }
    } else {
        None
    };
    let uses_webex = !manifests.templates.is_empty()
        || !manifests.customers.is_empty()
        || !manifests.locations.is_empty()
        || !manifests.users.is_empty()
        || !manifests.workspaces.is_empty()
        || !manifests.devices.is_empty();
    let webex = if uses_webex {
        match config::webex(settings, env).map(WebexClient::new) {
            Ok(Ok(client)) => Some(client),
            Ok(Err(error)) => return provider_failed(&error.to_string()),
            Err(missing) => return provider_failed(&missing.to_string()),
        }
    } else {
        None
    };
    let live = runtime.block_on(async {
        let mut live = Live::default();
        if let Some(client) = &acg {
            live.acg = Some(client.read_live(&plan::acg::needs(&manifests)).await?);
        }
        if let Some(client) = &webex {
            live.webex = Some(client.read_live(&plan::webex::needs(&manifests)).await?);
        }
        Ok::<Live, crate::provider::http::ProviderError>(live)
    });
    let live = match live {
        Ok(live) => live,
        Err(error) => return provider_failed(&error.to_string()),
    };
    let cx = Context {
        sources: &validated.sources,
        prune: args.prune,
        max_deletes,
        partial: !args.selector.is_empty(),
    };
    let plan = plan::plan(&manifests, &live, &cx);

    let shown = match args.output {
        PlanFormat::Text => render::text(&plan, true),
        PlanFormat::Markdown => render::markdown(&plan),
        PlanFormat::Json => render::json(&plan),
    };
    print_out(&shown);
    if let Some(path) = &args.out
        && let Err(error) = std::fs::write(path, render::json(&plan))
    {
        print_err(&format!("error: cannot write {}: {error}\n", path.display()));
        return ExitStatus::Failure;
    }
    if args.stats {
        let mut line = String::from("API calls:");
        if let Some(client) = &acg {
            line.push_str(&stats("ACG", client.stats()));
        }
        if let Some(client) = &webex {
            line.push_str(&stats("Webex", client.stats()));
        }
        print_err(&format!("{line}\n"));
    }
    if !plan.errors.is_empty() {
        print_err(&format!(
            "error: the plan has {} problem(s) with live state (listed above): it cannot be applied\n",
            plan.errors.len()
        ));
        return ExitStatus::Failure;
    }
    match (args.detailed_exitcode, plan.has_changes()) {
        (true, true) => ExitStatus::Changes,
        _ => ExitStatus::Success,
    }
}

fn stats(name: &str, stats: &CallStats) -> String {
    let (reads, writes, retries) = stats.snapshot();
    format!(" {name} {reads} reads, {writes} writes, {retries} retries;")
}

fn provider_failed(message: &str) -> ExitStatus {
    print_err(&format!("error: {message}\n"));
    ExitStatus::Failure
}

/// Keeps the manifests whose labels match every `key=value`.
fn select(set: ManifestSet, selectors: &[String]) -> Result<ManifestSet, String> {
    if selectors.is_empty() {
        return Ok(set);
    }
    let mut pairs = Vec::new();
    for s in selectors {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--selector `{s}` is not key=value"))?;
        pairs.push((k.to_string(), v.to_string()));
    }
    let keep =
        |labels: &std::collections::BTreeMap<String, String>| pairs.iter().all(|(k, v)| labels.get(k) == Some(v));
    let mut out = ManifestSet::default();
    macro_rules! filter {
        ($($field:ident),*) => {$(
            out.$field = set.$field.into_iter().filter(|m| keep(&m.metadata.labels)).collect();
        )*};
    }
    // Templates are reference data (never an action): a selected customer still needs its
    // template's provisioning id, whatever the template's labels.
    out.templates = set.templates;
    filter!(
        accounts,
        number_sets,
        consents,
        customers,
        locations,
        users,
        workspaces,
        devices
    );
    Ok(out)
}
